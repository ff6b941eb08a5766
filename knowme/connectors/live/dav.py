"""CalDAV calendars and CardDAV address books kept in sync by sync token (RFC 6578), then ETags, via ``caldav``.

``caldav+http(s)://HOST:PORT/PATH/`` is a calendar collection and ``carddav+http(s)://HOST:PORT/PATH/`` an address
book. The state remembers the collection's sync token and, per resource (``href``), its ETag and the native ids of
the records it produced. A sync asks for the changes since the token (a ``sync-collection`` REPORT listing
changed and deleted hrefs with their ETags); without a token, or when the server forgot it, it lists the whole
collection and treats every href it no longer lists as deleted. Only resources whose ETag changed are fetched.

Resources are parsed by the file connectors (:class:`~knowme.connectors.calendar.CalendarConnector` and
:class:`~knowme.connectors.contacts.ContactsConnector`), so a recurring event becomes one record per occurrence
with its exceptions (``RECURRENCE-ID`` overrides, ``EXDATE``) applied, refs are ``cal:UID/INSTANCE`` and
``vcf:UID`` as for files, and occurrences that vanish from a changed series are removed.

Edge cases: a 401 becomes "wrong password?", an unreachable server "cannot reach"; both are
:class:`~knowme.errors.SourceError` and never include the password.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlsplit, urlunsplit

from knowme.connectors.base import Connector, Cursor
from knowme.connectors.calendar import CalendarConnector
from knowme.connectors.contacts import ContactsConnector
from knowme.connectors.live.base import Checkpoint, Gone, LiveConnector, LiveItem
from knowme.errors import SourceError
from knowme.models import Record

logging.getLogger("caldav").setLevel(logging.ERROR)  # it warns about every text/vcard content type


class _FromText:
    """A file connector fed with text fetched from a server, under the live source's name."""

    def __init__(self, text: str, source: str, where: str) -> None:
        super().__init__(Path(where))  # type: ignore[call-arg]
        self._text = text
        self._source = source

    @property
    def source(self) -> str:
        return self._source

    def _read_text(self) -> str:
        return self._text


class _CalendarText(_FromText, CalendarConnector):
    pass


class _ContactsText(_FromText, ContactsConnector):
    pass


class _DavSource(LiveConnector):
    scheme: ClassVar[str]

    def __init__(
        self, uri: str, *, user: str | None = None, password: str | None = None, insecure: bool = False
    ) -> None:
        super().__init__(uri, user=user, password=password)
        parts = urlsplit(uri)
        http = parts.scheme.split("+", 1)[1]
        if http != "https" and not insecure:  # the password and the data would travel in clear
            raise SourceError(f"{parts.scheme}:// is not encrypted: use {parts.scheme}s://, or --insecure for a "
                              "server on this machine")  # fmt: skip
        path = parts.path if parts.path.endswith("/") else parts.path + "/"
        self.url = urlunsplit((http, parts.netloc, path, "", ""))

    @property
    def source(self) -> str:
        return f"{self.name}:{self.url}"

    def _parser(self, text: str, href: str) -> Connector:
        raise NotImplementedError

    def _client(self) -> Any:
        from caldav.davclient import DAVClient

        return DAVClient(url=self.url, username=self.user or None, password=self._password or None, timeout=30)

    def _fail(self, exc: BaseException) -> SourceError:
        import caldav.lib.error as dav_error

        if isinstance(exc, dav_error.AuthorizationError) or "401" in str(exc):
            return SourceError(f"the server at {self.url} refused the login for {self.user!r} (wrong password?)")
        if isinstance(exc, dav_error.NotFoundError) or "404" in str(exc):
            return SourceError(f"no collection at {self.url}")
        if isinstance(exc, OSError) or "connect" in str(exc).lower():
            reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
            return SourceError(f"cannot reach {self.url}: {reason}")
        return SourceError(f"{self.url}: {type(exc).__name__}: {exc}")

    def _listing(self, collection: Any, token: str | None) -> tuple[Any, bool]:
        """The changes since ``token`` (delta=True) or the whole collection (delta=False).

        ``objects_by_sync_token`` exists in every caldav release we support (1.4 to 3.x); deleted hrefs come back
        in ``deleted_urls`` (caldav 3) or as listed objects whose GET answers 404 (caldav 1 and 2).
        """
        import caldav.lib.error as dav_error

        if token:
            try:
                return collection.objects_by_sync_token(sync_token=token), True
            except dav_error.AuthorizationError as exc:
                if "sync-token" not in str(exc) and "403" not in str(exc):
                    raise
            except dav_error.DAVError:
                pass  # the server forgot the token: list everything
        return collection.objects_by_sync_token(sync_token=None), False

    def iter_records(self, cursor: Cursor | None = None) -> Iterator[LiveItem]:  # type: ignore[override]
        state = dict(cursor or {})
        resources: dict[str, dict[str, Any]] = dict(state.get("resources", {}))
        try:
            client = self._client()
            collection = client.calendar(url=self.url)
            listing, delta = self._listing(collection, state.get("token"))
        except SourceError:
            raise
        except Exception as exc:
            raise self._fail(exc) from None
        listed: dict[str, str] = {}
        for obj in listing:
            href = urlsplit(str(obj.url)).path
            listed[href] = str((getattr(obj, "props", None) or {}).get("{DAV:}getetag", ""))
        deleted = {urlsplit(str(u)).path for u in (getattr(listing, "deleted_urls", None) or ())}
        if not delta:
            deleted |= set(resources) - set(listed)
        for href in sorted(deleted):
            old = resources.pop(href, None)
            if old and old.get("ids"):
                yield Gone(self.source, tuple(old["ids"]))
        changed = [
            href
            for href, etag in sorted(listed.items())
            if href not in deleted and (not etag or resources.get(href, {}).get("etag") != etag)
        ]
        for n, href in enumerate(changed, start=1):
            try:
                response = client.request(urlunsplit((*urlsplit(self.url)[:2], href, "", "")), "GET")
            except Exception as exc:
                raise self._fail(exc) from None
            if response.status == 404:  # deleted between the listing and now
                old = resources.pop(href, None)
                if old and old.get("ids"):
                    yield Gone(self.source, tuple(old["ids"]))
                continue
            raw = response.raw
            text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
            ids: list[str] = []
            try:
                for item in self._parser(text, href).iter_records(None):
                    if isinstance(item, Record):
                        ids.append(item.native_id)
                    yield item
            except Exception as exc:  # one unreadable resource never stops the others
                yield self.problem(href, exc)
                continue
            old_ids = set(resources.get(href, {}).get("ids", []))
            vanished = tuple(sorted(old_ids - set(ids)))
            if vanished:
                yield Gone(self.source, vanished)
            resources[href] = {"etag": listed[href], "ids": ids}
            if n % 100 == 0:
                yield Checkpoint({"token": state.get("token"), "resources": resources})
        yield Checkpoint({"token": getattr(listing, "sync_token", None), "resources": resources})


class CalDavSource(_DavSource):
    """A CalDAV calendar collection: events (recurring ones expanded) and simple to-dos."""

    name: ClassVar[str] = "caldav"

    def _parser(self, text: str, href: str) -> Connector:
        return _CalendarText(text, self.source, href)


class CardDavSource(_DavSource):
    """A CardDAV address book: one contact record per vCard."""

    name: ClassVar[str] = "carddav"

    def _parser(self, text: str, href: str) -> Connector:
        return _ContactsText(text, self.source, href)
