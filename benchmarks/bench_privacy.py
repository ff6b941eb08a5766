"""Cost of the privacy operations on a vault of N records: forget (with compaction), re-key, export, import.

    python benchmarks/bench_privacy.py [--records 10000] [--json PATH]

The vault is filled with generated notes (about 2 KB of text each) and random unit vectors, so the figures measure
the vault, not the embedding model. Prints the vault size and the seconds each operation takes: forgetting one
record (delete, FTS merge, checkpoint and VACUUM), a passphrase change (Argon2id plus the re-encryption of every
page), an export to the zip format and its import into a fresh vault (reusing the vectors).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import knowme  # noqa: E402
from knowme.extract.chunking import chunk_record  # noqa: E402
from knowme.models import Record  # noqa: E402
from knowme.store.sqlcipher import VAULT_FILE  # noqa: E402


def fill(vault: knowme.Vault, n: int) -> None:
    rng = np.random.default_rng(7)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    for first in range(0, n, 500):
        with vault.store.transaction():
            for i in range(first, min(n, first + 500)):
                text = " ".join(f"w{int(x)}" for x in rng.integers(0, 50_000, size=300))
                record = Record(
                    source="bench:/notes", kind="note", native_id=f"n{i}", ref=f"note:n{i}.md", text=text,
                    title=f"Note {i}", timestamp=start + timedelta(hours=i),
                )  # fmt: skip
                chunks = chunk_record(record)
                vecs = rng.normal(size=(len(chunks), vault.store.dim)).astype(np.float32)
                vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
                vault.store.upsert_record(record, chunks, vecs)


def timed(fn: object) -> float:
    started = time.perf_counter()
    fn()  # type: ignore[operator]
    return round(time.perf_counter() - started, 3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args()
    os.environ.setdefault("CI", "true")
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "vault"
        figures: dict[str, object] = {"records": args.records}
        with knowme.open(home, "bench passphrase one") as vault:
            figures["fill_s"] = timed(lambda: fill(vault, args.records))
            figures["vault_mb"] = round((home / VAULT_FILE).stat().st_size / 1e6, 1)
            figures["forget_one_s"] = timed(lambda: vault.forget(ref="note:n17.md"))
            figures["change_passphrase_s"] = timed(lambda: vault.change_passphrase("bench passphrase two"))
            archive = Path(tmp) / "export.zip"
            figures["export_s"] = timed(lambda: vault.export(archive))
            figures["export_mb"] = round(archive.stat().st_size / 1e6, 1)
        with knowme.open(Path(tmp) / "restored", "bench passphrase three") as fresh:
            figures["import_s"] = timed(lambda: fresh.import_file(archive))
    for key, value in figures.items():
        print(f"{key:22} {value}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
