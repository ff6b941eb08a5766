"""The bundled model on ONNX Runtime: the same vectors as torch, a cache that heals itself, torch when ONNX cannot run.

Each test exports the real bundled model into its own cache folder (a few seconds), except the first, which shares
one export for the comparisons."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest

from knowme.errors import BackendError, ConfigError
from knowme.llm.embedders import MiniLMEmbedder
from knowme.llm.onnx_minilm import PROBE, OnnxMiniLM, cached_paths, model_dir

WORDS = [
    "the",
    "budget",
    "review",
    "moved",
    "to",
    "Friday",
    "Zoë's",
    "café",
    "invoice",
    "overdue",
    "flight",
    "Lisbon",
    "dentist",
    "appointment",
    "日本語",
    "naïve",
    "contract",
    "renewal",
    "terms",
    "offsite",
    "agenda",
    "password",
    "reset",
    "hiring",
    "plan",
    "train",
    "tickets",
    "doctor",
    "results",
    "☕",
    "2026-05-03",
]


def texts(n: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    out = [" ".join(rng.choice(WORDS) for _ in range(rng.choice([1, 3, 8, 40, 120, 400]))) for _ in range(n)]
    return [*out, "", "   ", "a", PROBE]


@pytest.fixture(scope="module")
def shared_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("onnx-cache")


def test_onnx_vectors_equal_torch_vectors(shared_cache: Path) -> None:
    onnx = OnnxMiniLM(cache=shared_cache)
    torch = MiniLMEmbedder("torch")
    sample = texts(120)
    # in batches of mixed lengths (padding), and one by one
    a = np.concatenate([onnx.embed_batch(sample[i : i + 16]) for i in range(0, len(sample), 16)])
    b = torch.embed(sample, batch_size=16)
    assert a.shape == b.shape == (len(sample), 384)
    assert a.dtype == np.float32
    cosine = (a * b).sum(axis=1)
    assert float(cosine.min()) > 0.9999
    assert np.allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-5)
    single = onnx.embed_batch([sample[5]])[0]
    assert float(np.dot(single, b[5])) > 0.9999
    assert onnx.embed_batch([]).shape == (0, 384)


def test_a_cached_model_is_reused_without_exporting(shared_cache: Path) -> None:
    paths = cached_paths(model_dir(), shared_cache)
    OnnxMiniLM(cache=shared_cache)  # exported by the test above, or now
    stamp = paths.onnx.stat().st_mtime_ns
    again = OnnxMiniLM(cache=shared_cache)
    assert paths.onnx.stat().st_mtime_ns == stamp
    assert again.embed_batch(["hello"]).shape == (1, 384)
    assert [p.name for p in shared_cache.iterdir() if p.suffix == ".tmp"] == []  # no temporary files left


@pytest.mark.parametrize("damage", ["truncated", "other vector", "probe unreadable", "missing"])
def test_a_missing_or_corrupt_cache_file_is_exported_again(damage: str, shared_cache: Path, tmp_path: Path) -> None:
    good = OnnxMiniLM(cache=shared_cache)
    cache = tmp_path / "cache"
    cache.mkdir()
    paths = cached_paths(model_dir(), cache)
    for name in ("onnx", "probe"):
        getattr(paths, name).write_bytes(getattr(good.paths, name).read_bytes())
    if damage == "truncated":
        paths.onnx.write_bytes(paths.onnx.read_bytes()[:1_000_000])
    elif damage == "other vector":  # the file loads, but the probe says it is not this model
        probe = json.loads(paths.probe.read_text())
        probe["vector"] = [-x for x in probe["vector"]]
        paths.probe.write_text(json.dumps(probe))
    elif damage == "probe unreadable":
        paths.probe.write_text("{")
    else:
        paths.onnx.unlink()
    healed = OnnxMiniLM(cache=cache)
    expected = good.embed_batch(["the offsite agenda"])[0]
    assert float(np.dot(healed.embed_batch(["the offsite agenda"])[0], expected)) > 0.9999
    assert paths.onnx.stat().st_size > 10_000_000
    assert json.loads(paths.probe.read_text())["text"] == PROBE


def test_auto_falls_back_to_torch_when_the_cache_cannot_be_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder would go")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    monkeypatch.setattr(MiniLMEmbedder, "_shared", {})  # load afresh under this cache location
    auto = MiniLMEmbedder("auto")
    assert auto.backend == "torch"
    vector = auto.embed_query("train tickets")
    assert vector.shape == (384,)
    assert abs(float(np.linalg.norm(vector)) - 1.0) < 1e-5
    with pytest.raises(BackendError, match="ONNX embedding backend is unavailable"):
        MiniLMEmbedder("onnx").embed_query("train tickets")


def test_auto_uses_onnx_from_a_warm_cache(shared_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    OnnxMiniLM(cache=shared_cache)  # make sure the cache is warm
    monkeypatch.setenv("XDG_CACHE_HOME", str(shared_cache.parent / "xdg"))
    target = shared_cache.parent / "xdg" / "knowme" / "models"
    target.mkdir(parents=True, exist_ok=True)
    for path in shared_cache.iterdir():
        (target / path.name).write_bytes(path.read_bytes())
    stamps = [p.stat().st_mtime_ns for p in sorted(target.iterdir())]
    monkeypatch.setattr(MiniLMEmbedder, "_shared", {})
    embedder = MiniLMEmbedder()
    assert embedder.backend == "onnx"
    assert embedder.embed(["hiring plan", "doctor results"]).shape == (2, 384)
    assert [p.stat().st_mtime_ns for p in sorted(target.iterdir())] == stamps  # loaded, not exported again


def test_the_backend_is_chosen_by_argument_or_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KNOWME_EMBED_BACKEND", "torch")
    assert MiniLMEmbedder().requested == "torch"
    assert MiniLMEmbedder("onnx").requested == "onnx"
    monkeypatch.setenv("KNOWME_EMBED_BACKEND", "gpu")
    with pytest.raises(ConfigError, match="unknown embedding backend 'gpu'"):
        MiniLMEmbedder()
