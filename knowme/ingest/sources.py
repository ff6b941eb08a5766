"""From ``knowme sources add PATH_OR_URI`` to a registered source, its credentials and its live connector.

Accepted targets: a file or folder path (kind ``files``), ``imap://`` / ``imaps://HOST[:PORT]/FOLDER`` (``imap``),
``caldav+http(s)://HOST[:PORT]/PATH/`` (``caldav``) and ``carddav+http(s)://HOST[:PORT]/PATH/`` (``carddav``).

Credentials are never stored: ``settings`` keeps the user name and the *name* of an environment variable; the
password comes from that variable or from the OS keyring (service ``knowme``, user name ``USER@HOST``, then the
source name). A password written into the URI is refused with a message saying where to put it instead.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from knowme.config import variable
from knowme.connectors.live.base import LiveConnector
from knowme.errors import ConfigError, SourceError
from knowme.models import SourceEntry

KEYRING_SERVICE = "knowme"

SCHEMES: Mapping[str, str] = {
    "imap": "imap",
    "imaps": "imap",
    "caldav+http": "caldav",
    "caldav+https": "caldav",
    "carddav+http": "carddav",
    "carddav+https": "carddav",
}
NETWORK_KINDS = ("imap", "caldav", "carddav")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def _slug(text: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-._")
    return (slug or "source")[:64]


#: What a sync does with items deleted at the source: keep them, marked and out of search (``mark``), or forget them
#: with everything derived from them (``forget``).
ON_DELETE = ("mark", "forget")


def make_entry(
    target: str,
    *,
    name: str | None = None,
    user: str | None = None,
    password_env: str | None = None,
    on_delete: str = "mark",
    taken: set[str] | frozenset[str] = frozenset(),
    insecure: bool = False,
) -> SourceEntry:
    """A new :class:`SourceEntry` for ``target`` (validated; nothing contacted yet). A password never travels in
    clear: ``imap://`` must upgrade with STARTTLS, ``caldav+http://`` and ``carddav+http://`` are refused, unless
    ``insecure`` is given for a loopback or test host (:func:`cleartext_allowed`)."""
    if on_delete not in ON_DELETE:
        raise ConfigError(f"--on-delete is one of {', '.join(ON_DELETE)}, not {on_delete!r}")
    settings: dict[str, Any] = {"on_delete": on_delete}
    if "://" in target:
        parts = urlsplit(target)
        kind = SCHEMES.get(parts.scheme.lower())
        if kind is None:
            known = ", ".join(f"{s}://" for s in SCHEMES)
            raise ConfigError(f"unknown source scheme {parts.scheme!r}; use a path or one of {known}")
        if parts.password:
            raise ConfigError(
                "do not put a password in the source URI; use --password-env VAR or the OS keyring "
                f"(service {KEYRING_SERVICE!r})"
            )
        if not parts.hostname:
            raise ConfigError(f"the source URI {target!r} names no host")
        user = user or parts.username
        check_cleartext(parts.scheme.lower(), parts.hostname, insecure=insecure)
        if insecure:
            settings["insecure"] = True
        netloc = parts.hostname + (f":{parts.port}" if parts.port else "")
        uri = urlunsplit((parts.scheme.lower(), netloc, parts.path or "/", "", ""))
        default = f"{kind}-{parts.hostname}" + (
            f"-{parts.path.strip('/').split('/')[-1]}" if parts.path.strip("/") else ""
        )
    else:
        path = Path(target).expanduser()
        if not path.exists():
            raise ConfigError(f"no such file or folder: {path}")
        kind, uri, default = "files", str(path.resolve()), path.resolve().name
    if user:
        settings["user"] = user
    if password_env:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", password_env):
            raise ConfigError(f"--password-env takes the NAME of an environment variable, not {password_env!r}")
        settings["password_env"] = password_env
    if kind in NETWORK_KINDS and not user:
        settings.setdefault("user", None)
    chosen = name or _slug(default)
    if not _NAME.match(chosen):
        raise ConfigError(f"source names use letters, digits, '.', '_' and '-' (got {chosen!r})")
    if chosen in taken:
        if name:
            raise ConfigError(f"a source named {chosen!r} exists already; pick another --name")
        n = 2
        while f"{chosen}-{n}" in taken:
            n += 1
        chosen = f"{chosen}-{n}"
    return SourceEntry(name=chosen, uri=uri, kind=kind, settings=settings, created_at=datetime.now(UTC))


#: Schemes whose connection is not encrypted from the first byte (imap:// can still upgrade with STARTTLS).
CLEARTEXT = {"imap": "imaps", "caldav+http": "caldav+https", "carddav+http": "carddav+https"}
#: Names that never leave the machine or a test network (RFC 6761).
TEST_SUFFIXES = (".test", ".localhost", ".invalid", ".example")


def cleartext_allowed(host: str) -> bool:
    """Whether ``--insecure`` may be given for ``host``: a loopback address, ``localhost`` or a reserved test name."""
    import ipaddress

    name = host.strip("[]").lower().rstrip(".")
    if name == "localhost" or name.endswith(TEST_SUFFIXES):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def check_cleartext(scheme: str, host: str, *, insecure: bool) -> None:
    """Refuse a source that would send the password in clear, unless ``insecure`` for a loopback or test host."""
    if insecure and not cleartext_allowed(host):
        raise ConfigError(
            f"--insecure is only for a loopback or test host (127.0.0.1, localhost, *.test), not {host!r}: the "
            "password would cross the network in clear"
        )
    if scheme in ("caldav+http", "carddav+http") and not insecure:
        raise ConfigError(
            f"{scheme}:// sends your password and data in clear: use {CLEARTEXT[scheme]}:// (for a server on this "
            "machine or a test host, add --insecure)"
        )


def keyring_user(entry: SourceEntry) -> str:
    host = urlsplit(entry.uri).hostname or entry.name
    return f"{entry.settings.get('user') or ''}@{host}"


def password_for(entry: SourceEntry) -> str | None:
    """The source's password from its environment variable or the OS keyring; None when it needs none."""
    if entry.kind not in NETWORK_KINDS:
        return None
    env = entry.settings.get("password_env")
    if env:
        value = variable(env)
        if value is None:
            raise SourceError(f"source {entry.name!r}: the environment variable {env} is not set")
        return value
    import keyring
    from keyring.errors import KeyringError

    try:
        for username in (keyring_user(entry), entry.name):
            value = keyring.get_password(KEYRING_SERVICE, username)
            if value is not None:
                return value
    except KeyringError:
        pass
    if entry.settings.get("user"):
        raise SourceError(
            f"source {entry.name!r}: no password; set it with `keyring set {KEYRING_SERVICE} {keyring_user(entry)}` "
            "or register the source with --password-env VAR"
        )
    return None


def connector_for(entry: SourceEntry) -> LiveConnector:
    """The live connector that synchronises ``entry``, with its credentials resolved."""
    if entry.kind == "files":
        from knowme.connectors.live.files import FilesSource

        return FilesSource(entry.uri)
    parts = urlsplit(entry.uri)
    insecure = bool(entry.settings.get("insecure"))
    try:  # also for sources registered before this check existed
        check_cleartext(parts.scheme, parts.hostname or "", insecure=insecure)
    except ConfigError as exc:
        raise SourceError(f"source {entry.name!r}: {exc}") from None
    password = password_for(entry)
    user = entry.settings.get("user")
    if entry.kind == "imap":
        from knowme.connectors.live.imap import ImapSource

        return ImapSource(entry.uri, user=user, password=password, insecure=insecure)
    if entry.kind in ("caldav", "carddav"):
        from knowme.connectors.live.dav import CalDavSource, CardDavSource

        cls = CalDavSource if entry.kind == "caldav" else CardDavSource
        return cls(entry.uri, user=user, password=password, insecure=insecure)
    raise ConfigError(f"source {entry.name!r} has an unknown kind {entry.kind!r}")
