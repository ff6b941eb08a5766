"""A vault remembers which embedder made its vectors and refuses another of the same dimension."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

import knowme
import knowme.opening as vault_module
from knowme.errors import ConfigError
from knowme.llm.embedders import Embedder
from tests.conftest import PASSPHRASE
from tests.samples import write_messages


class OtherModel(Embedder):
    """A 384-dimensional embedder that is not MiniLM: the dimension check alone would let it in."""

    name = "other-model"
    dim = 384

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        out[:, 0] = 1.0
        return out


def _fill(home: Path, tmp_path: Path) -> None:
    mbox = write_messages(
        tmp_path / "m.mbox",
        [{"From": "a@x.example", "Subject": "Hi", "Message-ID": "<1@x.example>", "body": "The van is booked."}],
    )
    with knowme.open(home, PASSPHRASE) as vault:
        vault.ingest(mbox)
        assert vault.store.get_meta("embedder") == "minilm"


def test_another_embedder_is_refused_with_the_fix(home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _fill(home, tmp_path)
    monkeypatch.setattr(vault_module, "make_embedder", lambda settings: OtherModel())
    with pytest.raises(ConfigError, match=r"'minilm' embedder.*'other-model'.*name = \"minilm\""):
        knowme.open(home, PASSPHRASE)
    monkeypatch.undo()
    with knowme.open(home, PASSPHRASE) as vault:  # nothing was changed by the refusal
        assert [h.ref for h in vault.search("van", k=1)] == ["mail:1@x.example"]


def test_a_vault_from_before_the_record_is_taken_as_minilm(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fill(home, tmp_path)
    with knowme.open(home, PASSPHRASE) as vault, vault.store.transaction():
        vault.store._conn.execute("DELETE FROM meta WHERE key = 'embedder'")  # as vaults were made before
    monkeypatch.setattr(vault_module, "make_embedder", lambda settings: OtherModel())
    with pytest.raises(ConfigError, match="'minilm' embedder"):
        knowme.open(home, PASSPHRASE)


def test_an_empty_vault_takes_the_configured_embedder(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(vault_module, "make_embedder", lambda settings: OtherModel())
    with knowme.open(home, PASSPHRASE) as vault:
        assert vault.store.get_meta("embedder") == "other-model"
