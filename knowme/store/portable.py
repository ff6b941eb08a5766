"""Export and import of the SQLCipher vault's contents as plain rows (the export format is in docs/export-format.md).

Rows are dicts keyed by column name, in primary-key order, so that the same vault always exports the same bytes.
Every column a table has is exported (columns that later migrations add travel too); on import, a key the table
does not have is an error. Provenance rows name a chunk by its record and ``chunk_ordinal`` instead of the internal
chunk id, which a fresh vault renumbers. JSON columns (``entities.attributes``) are exported as JSON values.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from knowme.errors import VaultCorrupt
from knowme.models import Chunk
from knowme.store.base import PortableStore

#: The tables an export carries besides records and chunks, in the order an import must write them.
TABLES: dict[str, str] = {
    "entities": "id",
    "entity_aliases": "entity_id, alias",
    "facts": "id",
    "preferences": "id",
    "provenance": "target_type, target_id, record_id",
    "feedback": "id",
    "tombstones": "hash",
    "commitments": "id",
    "entity_merges": "id",
    "alias_pins": "alias",
}
_JSON_COLUMNS = {"entities": ("attributes",), "facts": ("attributes",), "entity_merges": ("aliases",)}


class SQLCipherPortable(PortableStore):
    """The export/import half of :class:`~knowme.store.sqlcipher.SQLCipherStore` (mixed in)."""

    _conn: Any

    if TYPE_CHECKING:  # provided by SQLCipherStore
        from contextlib import AbstractContextManager

        def _q(self, sql: str, params: Sequence[Any] = ()) -> Any: ...

        def transaction(self) -> AbstractContextManager[None]: ...

    def portable_tables(self) -> tuple[str, ...]:
        return tuple(TABLES)

    def _columns(self, table: str) -> list[str]:
        if table not in TABLES:
            raise ValueError(f"not an exportable table: {table}")
        return [row[1] for row in self._q(f"PRAGMA table_info({table})")]

    def export_rows(self, table: str) -> Iterator[dict[str, Any]]:
        columns = self._columns(table)
        if table == "provenance":
            select = ", ".join(f"p.{c}" for c in columns if c != "chunk_id")
            sql = (
                f"SELECT {select}, c.ordinal AS chunk_ordinal FROM provenance p "
                f"LEFT JOIN chunks c ON c.id = p.chunk_id ORDER BY p.target_type, p.target_id, p.record_id"
            )
            names = [c for c in columns if c != "chunk_id"] + ["chunk_ordinal"]
        else:
            sql = f"SELECT {', '.join(columns)} FROM {table} ORDER BY {TABLES[table]}"
            names = columns
        for row in self._q(sql):
            item = dict(zip(names, row, strict=True))
            for column in _JSON_COLUMNS.get(table, ()):
                item[column] = json.loads(item[column]) if item[column] is not None else None
            yield item

    def import_rows(self, table: str, rows: Iterable[dict[str, Any]]) -> int:
        columns = set(self._columns(table))
        written = 0
        with self.transaction():
            for row in rows:
                item = dict(row)
                for column in _JSON_COLUMNS.get(table, ()):
                    if column in item:
                        item[column] = json.dumps(item[column], ensure_ascii=False, sort_keys=True)
                if table == "provenance":
                    ordinal = item.pop("chunk_ordinal", None)
                    item["chunk_id"] = None
                    if ordinal is not None:
                        found = self._q(
                            "SELECT id FROM chunks WHERE record_id = ? AND ordinal = ?", (item["record_id"], ordinal)
                        ).fetchone()
                        item["chunk_id"] = found[0] if found else None
                unknown = set(item) - columns
                if unknown:
                    raise VaultCorrupt(f"{table}: unknown field(s) {', '.join(sorted(unknown))} in the import")
                names = sorted(item)
                self._conn.execute(
                    f"INSERT OR REPLACE INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
                    [item[n] for n in names],
                )
                written += 1
        return written

    def record_chunks(self, record_id: str) -> list[tuple[Chunk, np.ndarray]]:
        rows = self._q(
            "SELECT c.ordinal, c.anchor, c.text, c.index_text, v.embedding FROM chunks c "
            "JOIN chunks_vec v ON v.chunk_id = c.id WHERE c.record_id = ? ORDER BY c.ordinal",
            (record_id,),
        )
        return [
            (Chunk(record_id, int(ordinal), anchor, text, index_text), np.frombuffer(blob, dtype=np.float32).copy())
            for ordinal, anchor, text, index_text, blob in rows
        ]
