"""An IMAP mailbox kept in sync by UIDVALIDITY and UID (RFC 3501), through ``imapclient``.

``imap://HOST[:PORT]/FOLDER`` reads one folder (``imaps://`` uses TLS; ``imap://`` must upgrade with STARTTLS
before the login, unless registered ``--insecure`` for a loopback or test host); a URI without a folder (``/``)
reads every selectable folder. Each folder is its own ``Record.source`` (``imap:USER@HOST:PORT/FOLDER``), and its
sync state is ``{uidvalidity, uidnext, uids: {uid: native id}}``:

* same UIDVALIDITY, same UIDNEXT and as many messages as known: nothing changed, nothing is fetched (one SELECT);
* otherwise one ``UID SEARCH ALL`` lists the UIDs: unknown ones are fetched (``BODY.PEEK[]``, so nothing is marked
  read) 200 at a time with a checkpoint after each group, and known UIDs that vanished are :class:`Gone`;
* a new UIDVALIDITY means the server renumbered the folder: everything is read again and what is not seen is
  removed (:class:`Complete`); unchanged messages cost only a content-hash lookup.

Messages are parsed by the email connector (:func:`knowme.connectors.email.parse_email`), so refs are the same
``mail:<Message-ID>`` as for an mbox or a Maildir; flags (``\\Seen``, ``\\Answered``, ``\\Flagged``...; not the
per-session ``\\Recent``) and the UID go in ``meta``. Flag changes on known messages are followed on servers with
CONDSTORE (RFC 7162; Dovecot, Cyrus, Gmail...): the folder's HIGHESTMODSEQ is part of the state and of the "nothing
changed" test, and ``UID FETCH ... (FLAGS) (CHANGEDSINCE n)`` names the messages whose flags changed, which are read
again. Servers without CONDSTORE keep the flags of the first read. A refused connection or login raises
:class:`~knowme.errors.SourceError`.
"""

from __future__ import annotations

import contextlib
import ssl
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import unquote, urlsplit

from knowme.connectors.attachments import attachment_records, readable_attachments
from knowme.connectors.base import Cursor
from knowme.connectors.email import message_attachments, parse_email
from knowme.connectors.live.base import Checkpoint, Complete, Gone, LiveConnector, LiveItem
from knowme.errors import ParseError, SourceError
from knowme.models import Record

FETCH_GROUP = 200
TIMEOUT = 30.0


class ImapSource(LiveConnector):
    """One IMAP account folder (or all folders), synchronised by UID."""

    name: ClassVar[str] = "imap"

    def __init__(
        self, uri: str, *, user: str | None = None, password: str | None = None, insecure: bool = False
    ) -> None:
        super().__init__(uri, user=user, password=password)
        parts = urlsplit(uri)
        self.tls = parts.scheme == "imaps"
        self.insecure = insecure  # imap:// without STARTTLS: only for a loopback or test host (sources.registry)
        self.host = parts.hostname or "localhost"
        self.port = parts.port or (993 if self.tls else 143)
        self.folder = unquote(parts.path.strip("/")) or None

    @property
    def source(self) -> str:
        return f"imap:{self.user or ''}@{self.host}:{self.port}"

    def _starttls(self, client: Any) -> None:
        """Upgrade an ``imap://`` connection before the password is sent; without STARTTLS, refuse (unless the
        source was registered ``--insecure`` for a loopback or test host)."""
        if b"STARTTLS" in set(client.capabilities()):
            try:
                client.starttls(ssl.create_default_context())
            except (OSError, ssl.SSLError) as exc:
                with contextlib.suppress(OSError):  # the half-upgraded socket may be gone already
                    client.shutdown()
                raise SourceError(f"the IMAP server {self.host}:{self.port} failed STARTTLS: {exc}") from None
            return
        if not self.insecure:
            client.shutdown()
            raise SourceError(
                f"the IMAP server {self.host}:{self.port} offers no STARTTLS: the password would go in clear. Use "
                "imaps://, or for a server on this machine register it with --insecure"
            )

    def folder_source(self, folder: str) -> str:
        return f"{self.source}/{folder}"

    def _connect(self) -> Any:
        from imapclient import IMAPClient
        from imapclient.exceptions import LoginError

        try:
            client = IMAPClient(self.host, port=self.port, ssl=self.tls, timeout=TIMEOUT)
        except (TimeoutError, OSError, ssl.SSLError) as exc:
            reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
            raise SourceError(f"cannot reach the IMAP server {self.host}:{self.port}: {reason}") from None
        if not self.tls:
            self._starttls(client)
        try:
            client.login(self.user or "", self._password or "")
        except LoginError:
            client.shutdown()
            raise SourceError(
                f"the IMAP server {self.host}:{self.port} refused the login for {self.user!r} (wrong password?)"
            ) from None
        caps = set(client.capabilities())
        self.condstore = b"CONDSTORE" in caps and b"ENABLE" in caps
        if self.condstore:
            client.enable("CONDSTORE")
        return client

    def iter_records(self, cursor: Cursor | None = None) -> Iterator[LiveItem]:  # type: ignore[override]
        folders_state: dict[str, Any] = dict((cursor or {}).get("folders", {}))
        client = self._connect()
        try:
            if self.folder:
                folders = [self.folder]
            else:
                folders = [name for flags, _, name in client.list_folders() if b"\\Noselect" not in flags]
            for folder in folders:
                for item in self._folder(client, folder, folders_state.get(folder) or {}):
                    if isinstance(item, Checkpoint):
                        folders_state[folder] = dict(item.state)
                        yield Checkpoint({"folders": folders_state})
                    else:
                        yield item
        finally:
            try:
                client.logout()
            except Exception:  # noqa: BLE001 - the server may already have closed the connection
                client.shutdown()

    def _folder(self, client: Any, folder: str, old: dict[str, Any]) -> Iterator[LiveItem]:
        info = client.select_folder(folder, readonly=True)
        validity = int(info.get(b"UIDVALIDITY", 0))
        uidnext = int(info.get(b"UIDNEXT", 0))
        exists = int(info.get(b"EXISTS", 0))
        source = self.folder_source(folder)
        modseq = int(info.get(b"HIGHESTMODSEQ", 0)) if getattr(self, "condstore", False) else 0
        renumbered = old.get("uidvalidity") != validity
        known: dict[str, str] = {} if renumbered else dict(old.get("uids", {}))
        flags_same = not modseq or old.get("modseq") == modseq
        if not renumbered and uidnext and old.get("uidnext") == uidnext and exists == len(known) and flags_same:
            return  # nothing new, nothing deleted, no flag changed
        current = {int(uid) for uid in client.search("ALL")} if exists else set()
        gone_uids = [uid for uid in known if int(uid) not in current]
        still: dict[str, str] = {uid: nid for uid, nid in known.items() if int(uid) in current}

        def state(seq: int) -> dict[str, Any]:
            return {"uidvalidity": validity, "uidnext": old.get("uidnext", 0), "uids": still, "modseq": seq}

        if gone_uids:
            remaining = set(still.values())
            ids = tuple(sorted({known[u] for u in gone_uids} - remaining))
            if ids:
                yield Gone(source, ids)
            yield Checkpoint(state(int(old.get("modseq", 0))))
        todo = sorted(uid for uid in current if str(uid) not in still)
        if still and modseq and old.get("modseq") and not flags_same:  # flags changed: read those messages again
            changed = client.fetch(
                sorted(int(u) for u in still), ["FLAGS"], modifiers=[f"CHANGEDSINCE {old['modseq']}"]
            )
            todo = sorted({*todo, *(int(uid) for uid in changed)})
        for start in range(0, len(todo), FETCH_GROUP):
            group = todo[start : start + FETCH_GROUP]
            fetched = client.fetch(group, ["BODY.PEEK[]", "FLAGS"])
            for uid in group:
                data = fetched.get(uid)
                if data is None:
                    continue  # expunged between SEARCH and FETCH
                item = self._record(data, uid=uid, folder=folder, source=source)
                if isinstance(item, Record):
                    still[str(uid)] = item.native_id
                yield item
                if isinstance(item, Record):
                    yield from self._attachments(data, item, where=f"{folder} UID {uid}")
            yield Checkpoint(state(int(old.get("modseq", 0))))
        if renumbered and old:
            yield Complete(source)
        yield Checkpoint({**state(modseq), "uidnext": uidnext})

    def _attachments(self, data: dict[bytes, Any], message: Record, *, where: str) -> Iterator[LiveItem]:
        """The records of a message's readable attachments (a sync's Gone for the message takes them along)."""
        if not readable_attachments(message):
            return
        try:
            parts = message_attachments(data.get(b"BODY[]") or b"")
        except Exception as exc:
            yield self.problem(where, exc)
            return
        yield from attachment_records(parts, message, problem=lambda at, why: self.problem(f"{where} {at}", why))

    def _record(self, data: dict[bytes, Any], *, uid: int, folder: str, source: str) -> LiveItem:
        raw = data.get(b"BODY[]") or b""
        names = (f.decode("ascii", "replace") if isinstance(f, bytes) else str(f) for f in data.get(b"FLAGS", ()))
        flags = sorted(name for name in names if name != "\\Recent")  # \\Recent belongs to one session
        try:
            record = parse_email(raw, source=source, path=Path(f"{folder}/{uid}"), folder=folder)
        except ParseError as exc:
            return self.problem(f"{folder} UID {uid}", str(exc))
        except Exception as exc:  # one unreadable message never stops the others
            return self.problem(f"{folder} UID {uid}", exc)
        meta = {**record.meta, "path": f"{self.uri.rstrip('/')}/{folder}/;UID={uid}", "imap_uid": uid, "flags": flags}
        return replace(record, meta=meta)
