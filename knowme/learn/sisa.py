"""SISA bookkeeping (Bourtoule et al., "Machine Unlearning"): shards, slices, and the manifest that proves forgetting.

The training records are split into ``K`` disjoint shards of about equal training work (each new record goes to
the shard with the least work so far, heaviest records first; a record never moves once placed); each shard's
records are split into
slices, and shard ``k`` is trained slice after slice (slice ``j`` trains on slices ``0..j`` together), with a
checkpoint stored after each slice. The :class:`Manifest` (kept in the vault as JSON) says which record hashes
are in which shard and slice and how many slices of each shard are trained.

Forgetting a record (:meth:`Manifest.forget`) removes its hash, drops the checkpoints of its slice and every later
one of its shard, and marks the shard stale: a stale shard is never used at inference and is retrained from the last
checkpoint before the record's slice by the next ``knowme learn voice``. Shards that never saw the record are
untouched, so one forget costs at most ``1/K`` of a full training.

Edge cases: records that appear after a shard finished go into a new slice of that shard (trained on the next run,
the shard counts as stale until then); a shard with no records stays empty and is never combined; the manifest
never holds text, only content hashes.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

MANIFEST = "voice/manifest"


def record_weight(words: int) -> int:
    """A record's training work: the 48-token windows it makes (about 37 words each), at least one."""
    return 1 + max(words, 0) // 37


def checkpoint_name(shard: int, slice_: int) -> str:
    return f"voice/shard-{shard}/slice-{slice_}"


def progress_name(shard: int) -> str:
    return f"voice/shard-{shard}/in-progress"


@dataclass
class Shard:
    index: int
    slices: list[list[str]] = field(default_factory=list)  # content hashes per slice
    trained: int = 0  # slices trained (checkpoint ``trained - 1`` is the newest)
    steps: int = 0  # optimiser steps behind the newest checkpoint
    forgotten: int = 0  # records forgotten from this shard since it was last complete

    @property
    def records(self) -> list[str]:
        return [h for part in self.slices for h in part]

    @property
    def complete(self) -> bool:
        return bool(self.slices) and self.trained >= len(self.slices)

    @property
    def stale(self) -> bool:
        """Not usable at inference: it has records some of which no finished checkpoint covers."""
        return bool(self.records) and not self.complete

    def as_dict(self) -> dict[str, Any]:
        return {"index": self.index, "slices": self.slices, "trained": self.trained, "steps": self.steps,
                "forgotten": self.forgotten}  # fmt: skip


@dataclass
class Manifest:
    method: str
    shards: list[Shard]
    slices: int
    settings: dict[str, Any] = field(default_factory=dict)
    combine: str = "average"

    @classmethod
    def new(cls, method: str, shards: int, slices: int, settings: Mapping[str, Any], combine: str) -> Manifest:
        return cls(method, [Shard(k) for k in range(shards)], slices, dict(settings), combine)

    def to_bytes(self) -> bytes:
        payload = {"version": 1, "method": self.method, "slices": self.slices, "settings": self.settings,
                   "combine": self.combine, "shards": [s.as_dict() for s in self.shards]}  # fmt: skip
        return json.dumps(payload, sort_keys=True).encode()

    @classmethod
    def from_bytes(cls, blob: bytes) -> Manifest:
        data = json.loads(blob)
        shards = [
            Shard(s["index"], s["slices"], s["trained"], s["steps"], s.get("forgotten", 0)) for s in data["shards"]
        ]
        return cls(data["method"], shards, data["slices"], data["settings"], data.get("combine", "average"))

    def meta(self) -> dict[str, Any]:
        """What ``learn status`` shows without reading the blob."""
        return {"method": self.method, "shards": len(self.shards), "records": sum(len(s.records) for s in self.shards),
                "stale": [s.index for s in self.shards if s.stale]}  # fmt: skip

    # -- planning ------------------------------------------------------------------------------------------------
    def place(self, hashes: Iterable[str], weights: Mapping[str, int] | None = None) -> int:
        """Put records not yet in the manifest into the untrained slices of the shards with the least work so far
        (``weights``: each record's work, default 1; see :func:`record_weight`), so that a shard, and the cost of
        retraining it after a forget, stays close to 1/K of the whole. Returns how many records were new."""
        given = weights or {}

        def weight(digest: str) -> int:
            return given.get(digest, 1)

        load = [sum(weight(h) for h in s.records) for s in self.shards]
        known = {h for s in self.shards for h in s.records}
        fresh: dict[int, list[str]] = {}
        for digest in sorted(set(hashes) - known, key=lambda h: (-weight(h), h)):
            index = min(range(len(self.shards)), key=lambda k: (load[k], k))
            load[index] += weight(digest)
            fresh.setdefault(index, []).append(digest)
        for index, new in fresh.items():
            shard = self.shards[index]
            if not shard.slices:
                shard.slices = _split(sorted(new), self.slices)
            elif shard.complete:  # a finished shard: the newcomers form one more slice
                shard.slices.append(sorted(new))
            else:
                untrained = sorted([*new, *(h for part in shard.slices[shard.trained :] for h in part)])
                shard.slices = shard.slices[: shard.trained] + _split(untrained, len(shard.slices) - shard.trained)
        return sum(len(v) for v in fresh.values())

    def drop_missing(self, present: Collection[str]) -> list[int]:
        """Records gone from the vault without a forget (deleted by a re-ingest): forget them the same way."""
        gone = [h for s in self.shards for h in s.records if h not in present]
        return self.forget(gone) if gone else []

    def forget(self, hashes: Collection[str]) -> list[int]:
        """Remove ``hashes``; each shard that held one rolls back to the checkpoint before the earliest slice that
        held one. Returns the shard indices touched (their later checkpoints must be deleted)."""
        touched: list[int] = []
        wanted = set(hashes)
        for shard in self.shards:
            hit = [j for j, part in enumerate(shard.slices) if wanted.intersection(part)]
            if not hit:
                continue
            first = hit[0]
            removed = sum(len(wanted.intersection(part)) for part in shard.slices)
            shard.slices = [[h for h in part if h not in wanted] for part in shard.slices]
            shard.forgotten += removed
            if shard.trained > first:
                shard.trained = first
                shard.steps = 0  # set again from the checkpoint the shard resumes from
            shard.slices = shard.slices[: shard.trained] + [part for part in shard.slices[shard.trained :] if part]
            touched.append(shard.index)
        return touched

    def usable(self) -> list[Shard]:
        """Shards combined at inference: complete, with records."""
        return [s for s in self.shards if s.complete and s.records]

    def trained_hashes(self) -> list[str]:
        """Every record hash behind a checkpoint that a usable shard stands on."""
        return [h for s in self.usable() for part in s.slices[: s.trained] for h in part]


def _split(items: Sequence[str], parts: int) -> list[list[str]]:
    """``items`` in at most ``parts`` non-empty consecutive slices."""
    parts = max(1, min(parts, len(items)))
    size, extra = divmod(len(items), parts)
    out: list[list[str]] = []
    start = 0
    for index in range(parts):
        end = start + size + (1 if index < extra else 0)
        out.append(list(items[start:end]))
        start = end
    return out
