"""Run the server: check where it may listen, then hand the app to uvicorn.

:func:`check_bind` refuses a non-loopback address (``0.0.0.0``, a LAN address, a host name other than
``localhost``) unless both a TLS certificate and key are given: personal data must not cross a network in clear.
A certificate without its key (or the reverse), or a file that does not exist, is a :class:`ConfigError` too.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path

from knowme.errors import ConfigError

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765


def is_loopback(host: str) -> bool:
    name = host.strip().strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def check_bind(host: str, tls_cert: Path | None, tls_key: Path | None) -> bool:
    """Validate the listening address and TLS files; return whether TLS is on."""
    if (tls_cert is None) != (tls_key is None):
        raise ConfigError("TLS needs both --tls-cert and --tls-key")
    for path in (tls_cert, tls_key):
        if path is not None and not path.is_file():
            raise ConfigError(f"TLS file not found: {path}")
    tls = tls_cert is not None
    if not tls and not is_loopback(host):
        raise ConfigError(
            f"refusing to listen on {host} without TLS: personal data would cross the network in clear; "
            "pass --tls-cert and --tls-key, or listen on 127.0.0.1"
        )
    return tls


def base_url(host: str, port: int, *, tls: bool) -> str:
    shown = f"[{host}]" if ":" in host and not host.startswith("[") else host
    return f"{'https' if tls else 'http'}://{shown}:{port}"
