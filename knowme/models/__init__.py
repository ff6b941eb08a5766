"""knowme's data model: pure, frozen data with no database code and no feature imports.

- :mod:`knowme.models.records`: what connectors produce and the API returns (``Record``, ``Chunk``, ``Hit``,
  ``Answer``, ``IngestReport``...), re-exported here;
- :mod:`knowme.models.graph`: entities, facts, commitments;
- :mod:`knowme.models.persona`: preferences, feedback, compliance;
- :mod:`knowme.models.governance`: grants and audit events;
- :mod:`knowme.models.store`: what callers hand the store (search filters, record selectors) and get back.
"""

from knowme.models.records import (
    ASSISTANT,
    CONFIRMED,
    KINDS,
    REF_PREFIX,
    WRITTEN_BY,
    Answer,
    Chunk,
    Hit,
    IngestReport,
    ItemProblem,
    Kind,
    Record,
    Section,
    SourceEntry,
    assistant_unconfirmed,
    stable_hash,
)

__all__ = [
    "ASSISTANT",
    "CONFIRMED",
    "WRITTEN_BY",
    "KINDS",
    "REF_PREFIX",
    "Answer",
    "Chunk",
    "Hit",
    "IngestReport",
    "ItemProblem",
    "Kind",
    "Record",
    "Section",
    "SourceEntry",
    "assistant_unconfirmed",
    "stable_hash",
]
