"""The voice model of an open vault, as ``vault.voice``: train it on the user's own writing, see its state (and
that it saw nothing forgotten), export it, and the backend that rewords drafts with it."""

from __future__ import annotations

import os
from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any

from knowme.learn.artifacts import LearnStatus
from knowme.learn.generate import adapted_backend
from knowme.learn.voice import LearnReport, ProgressHook, export_adapter, learn_status, learn_voice, on_forget
from knowme.llm.base import ChatBackend
from knowme.parts import Parts
from knowme.privacy.governance import Grants


class Voice:
    def __init__(self, parts: Parts, *, grants: Grants, backend: Callable[[], ChatBackend]) -> None:
        self.parts = parts
        self.grants = grants
        self.backend = backend

    def learn(
        self, *, method: str = "lora", shards: int = 4, max_steps: int | None = None, max_minutes: float | None = None,
        resume: bool = True, progress: ProgressHook | None = None, **options: Any,
    ) -> LearnReport:  # fmt: skip
        """Fine-tune the voice adapter on the user's own writing, within the budget (see :mod:`knowme.learn.voice`);
        ``resume`` keeps every valid checkpoint (interrupted runs continue, only stale shards retrain)."""
        report = learn_voice(self.parts.store, method=method, shards=shards, max_steps=max_steps,
                             max_minutes=max_minutes, resume=resume, progress=progress, **options)  # fmt: skip
        self.grants.record("owner", "learn_voice", {"method": method, "steps": report.steps, "records": report.records})
        return report

    def status(self) -> LearnStatus:
        """The voice adapter's shards, what is stale, and the check that no adapter in use saw a forgotten record."""
        return learn_status(self.parts.store)

    def phrasing_backend(self) -> ChatBackend:
        """The model that rewords drafts: the voice adapter when one is in use and the configured backend is the
        embedded default (see :mod:`knowme.learn.generate`), else the configured backend."""
        backend = self.backend()
        if backend.name == "embedded":
            return adapted_backend(self.parts.store) or backend
        return backend

    def export_adapter(self, folder: str | os.PathLike[str]) -> list[Path]:
        """Write the voice adapter in use as a standard PEFT folder: adapter_config.json, adapter_model.safetensors."""
        target = Path(folder).expanduser()
        written = export_adapter(self.parts.store, target)
        self.grants.record("owner", "export_adapter", {"path": str(target.resolve())})
        return written

    def on_forget(self, content_hashes: Collection[str]) -> list[int]:
        """Take forgotten records out of the adapter's shards; the touched shards wait for a retrain."""
        return on_forget(self.parts.store, content_hashes)
