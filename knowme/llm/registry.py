"""Pick the chat backend named in the settings from the plugin registry.

Backends are found only through :func:`knowme.plugins.chat_backends` (built-ins and third-party plugins alike),
so no list of backend names lives here. An unknown name is a :class:`ConfigError` that lists the known ones.
"""

from __future__ import annotations

from knowme.config import LLMSettings
from knowme.errors import ConfigError
from knowme.llm.base import ChatBackend
from knowme.plugins import chat_backends


def make_backend(settings: LLMSettings) -> ChatBackend:
    """Construct the backend named by ``settings.backend`` with ``settings``."""
    known = chat_backends()
    cls = known.get(settings.backend)
    if cls is None:
        names = ", ".join(sorted(known)) or "none"
        raise ConfigError(f"unknown llm.backend {settings.backend!r}: known backends are {names}")
    return cls(settings)  # type: ignore[call-arg]
