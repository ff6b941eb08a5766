"""knowme: the AI that knows you.

A local-first personal AI engine: an encrypted vault of your email, calendar, contacts, notes, chats and browsing,
searched with citations and answered by any language model. See :func:`open`.
"""

from knowme.errors import (
    AccessDenied,
    BackendError,
    ConfigError,
    IngestError,
    KnowmeError,
    ParseError,
    PassphraseMissing,
    VaultCorrupt,
    VaultError,
    VaultExists,
    VaultNotFound,
    WrongPassphrase,
)
from knowme.models import Answer, Hit, IngestReport, ItemProblem, Record
from knowme.opening import open  # noqa: A004 - the documented API name
from knowme.vault import Vault

__version__ = "0.1.0"

__all__ = [
    "AccessDenied",
    "Answer",
    "BackendError",
    "ConfigError",
    "Hit",
    "IngestError",
    "IngestReport",
    "ItemProblem",
    "KnowmeError",
    "ParseError",
    "PassphraseMissing",
    "Record",
    "Vault",
    "VaultCorrupt",
    "VaultError",
    "VaultExists",
    "VaultNotFound",
    "WrongPassphrase",
    "__version__",
    "open",
]
