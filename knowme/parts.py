"""What an open vault hands each of its features: its folder, its store, its embedder and its current settings.

Features take an object with these four attributes (a :class:`~knowme.Vault` is one) instead of importing the
vault, so each folder depends only on the folders below it; settings are read when used, so a changed setting
(another chat backend, a search depth) reaches every feature at once.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from knowme.config import Settings
    from knowme.llm.embedders import Embedder
    from knowme.store.base import Store


class Parts(Protocol):
    home: Path
    store: Store
    embedder: Embedder
    settings: Settings
