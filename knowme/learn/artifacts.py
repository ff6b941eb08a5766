"""The voice adapter's artifacts in the vault: where the adapter in use is kept, how it is read, and what
``knowme learn status`` reports. Shared by local training (:mod:`knowme.learn.voice`) and federated training
(:mod:`knowme.learn.federate`)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from knowme.errors import ConfigError
from knowme.learn.model import AdapterState
from knowme.store.base import ArtifactStore, Store

ADAPTER = "voice/adapter"


@dataclass(frozen=True)
class ShardStatus:
    index: int
    records: int
    slices: int
    trained: int
    stale: bool
    steps: int


@dataclass(frozen=True)
class LearnStatus:
    method: str | None
    shards: tuple[ShardStatus, ...] = ()
    adapter_bytes: int = 0
    adapter_parameters: int = 0
    in_use: tuple[int, ...] = ()  # shard indices combined into the adapter in use
    combine: str = "average"
    checked_hashes: int = 0  # record hashes behind the adapter in use, checked against tombstones
    forgotten_in_use: int = 0  # of those, how many are forgotten (must be 0)
    artifacts: int = 0
    artifact_bytes: int = 0
    notes: tuple[str, ...] = field(default_factory=tuple)
    privacy: dict[str, Any] | None = None  # the adapter in use's DP guarantee (spent epsilon, delta) or federation

    @property
    def clean(self) -> bool:
        return self.forgotten_in_use == 0

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "clean": self.clean}


def artifacts(store: Store) -> ArtifactStore:
    if not isinstance(store, ArtifactStore):
        raise ConfigError(f"the {type(store).__name__} store cannot keep adapters")
    return store


def load_state(store: Store, name: str) -> AdapterState | None:
    found = artifacts(store).load_artifact(name)
    return AdapterState.from_bytes(found[1]) if found else None


def adapter_in_use(store: Store) -> AdapterState | None:
    if not isinstance(store, ArtifactStore):
        return None
    return load_state(store, ADAPTER)
