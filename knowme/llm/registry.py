"""Pick the chat backend named in the settings from the plugin registry.

Backends are found only through :func:`knowme.plugins.chat_backend` (built-ins and third-party plugins alike),
so no list of backend names lives here. An unknown name is a :class:`ConfigError` that lists the known ones.
"""

from __future__ import annotations

from knowme.config import LLMSettings
from knowme.llm.base import ChatBackend
from knowme.plugins import chat_backend


def make_backend(settings: LLMSettings) -> ChatBackend:
    """Construct the backend named by ``settings.backend`` with ``settings``."""
    return chat_backend(settings.backend)(settings)  # type: ignore[call-arg]
