"""The base model for learning: the bundled SmolLM2-135M GGUF loaded into ``transformers``, and adapter bytes.

``transformers`` reads the GGUF (with the ``gguf`` package) and dequantises its Q4_1 tensors to float32, which takes
about half a minute on 2 cores (mostly reading the GGUF's metadata). :func:`base_model_dir` therefore does it once
and keeps the float32 weights, config and tokenizer as a standard ``transformers`` folder in the user's cache folder
(``<platform cache>/knowme/models/<gguf name>-<size>``; about 540 MB): these are the public weights of the bundled
model, never anything learned from the user. Loading from there takes about a second and gives bit-identical logits
to loading from the GGUF, so an adapter exported from the vault works on a base loaded straight from the GGUF.

Adapters are :class:`AdapterState` values: the PEFT config, the adapter tensors (the same keys as a PEFT
``adapter_model.safetensors``), and, for a checkpoint, the optimiser state, the step and the data order. They travel
as bytes (:meth:`AdapterState.to_bytes`) into :class:`~knowme.store.base.ArtifactStore` so they are encrypted with
the vault; :func:`export_peft` writes the only plain-file form, on explicit request.

Edge cases: a cache folder left half-written by an interrupted conversion is ignored (written under a temporary name
and renamed); a missing ``gguf``/``peft`` install is a BackendError saying what to install; the PEFT config is kept
as JSON so a newer PEFT can still read an older adapter.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from knowme.errors import BackendError

ADAPTER_FORMAT = "knowme-adapter-v1"


def cache_root() -> Path:
    import platformdirs

    return Path(platformdirs.user_cache_dir("knowme", appauthor=False)) / "models"


@contextmanager
def quiet() -> Iterator[None]:
    """Silence the libraries' progress bars and deprecation chatter (pytest turns warnings into errors)."""
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    previous = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            yield
        finally:
            hf_logging.set_verbosity(previous)


def gguf_path() -> Path:
    from knowme.llm.embedded import bundled_model_path

    return bundled_model_path()


def base_model_dir(gguf: Path | None = None, *, cache: Path | None = None) -> Path:
    """A ``transformers`` folder holding the dequantised GGUF (made on first use, then reused)."""
    gguf = gguf or gguf_path()
    folder = (cache or cache_root()) / f"{gguf.stem}-{gguf.stat().st_size}"
    if (folder / "config.json").is_file() and (folder / "model.safetensors").is_file():
        return folder
    try:
        import gguf as _gguf  # noqa: F401 - transformers needs it to read the file
        import torch
        from safetensors.torch import save_file
        from transformers import AutoModelForCausalLM, AutoTokenizer
    except ImportError as exc:
        raise BackendError(f"learning needs torch, transformers and gguf: run `pip install gguf peft` ({exc})") from exc
    with quiet():
        tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
        model = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name, dtype=torch.float32)
    tmp = folder.with_name(folder.name + f".tmp{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    tied = {"lm_head.weight"} if model.config.tie_word_embeddings else set()
    save_file(
        {k: v.contiguous() for k, v in model.state_dict().items() if k not in tied}, str(tmp / "model.safetensors")
    )
    model.config.quantization_config = None
    model.config.save_pretrained(str(tmp))
    tokenizer.save_pretrained(str(tmp))
    shutil.rmtree(folder, ignore_errors=True)
    tmp.rename(folder)
    return folder


def default_threads() -> int:
    """2 threads on a quiet machine; 1 when the cores are already busy (two threads then wait on each other and a
    step takes about three times as long, measured on 2 shared cores)."""
    cores = os.cpu_count() or 1
    busy = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    return 1 if busy >= cores - 0.5 else min(2, cores)


def load_base(*, threads: int | None = None) -> tuple[Any, Any]:
    """(model, tokenizer) of the bundled model in float32 on CPU, in eval mode."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    torch.set_num_threads(max(1, threads or default_threads()))
    folder = base_model_dir()
    with quiet():
        model = AutoModelForCausalLM.from_pretrained(str(folder), dtype=torch.float32)
        tokenizer = AutoTokenizer.from_pretrained(str(folder))
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    model.eval()
    return model, tokenizer


@dataclass(frozen=True)
class AdapterState:
    """An adapter, and where its training stands (``optimizer`` is None in a finished, inference-only copy)."""

    method: str  # lora | prompt
    peft_config: Mapping[str, Any]
    weights: Mapping[str, Any]  # name -> torch.Tensor, PEFT's adapter_model.safetensors keys
    step: int = 0
    seed: int = 0
    optimizer: Mapping[str, Any] | None = None
    losses: tuple[float, ...] = ()
    data: tuple[str, ...] = field(default_factory=tuple)  # content hashes of the records it trained on, in order
    privacy: Mapping[str, Any] | None = None  # DP-SGD plan and accountant state (knowme.learn.dp), or federation

    def to_bytes(self) -> bytes:
        import torch

        payload = {
            "format": ADAPTER_FORMAT,
            "method": self.method,
            "peft_config": json.dumps(dict(self.peft_config), sort_keys=True),
            "weights": dict(self.weights),
            "step": self.step,
            "seed": self.seed,
            "optimizer": dict(self.optimizer) if self.optimizer is not None else None,
            "losses": list(self.losses),
            "data": list(self.data),
            "privacy": json.dumps(dict(self.privacy), sort_keys=True) if self.privacy is not None else None,
        }
        buffer = io.BytesIO()
        torch.save(payload, buffer)
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, blob: bytes) -> AdapterState:
        import torch

        payload = torch.load(io.BytesIO(blob), weights_only=True, map_location="cpu")
        if payload.get("format") != ADAPTER_FORMAT:
            raise BackendError("this adapter was written by another version of knowme: retrain it")
        return cls(
            method=payload["method"],
            peft_config=json.loads(payload["peft_config"]),
            weights=payload["weights"],
            step=int(payload["step"]),
            seed=int(payload["seed"]),
            optimizer=payload["optimizer"],
            losses=tuple(payload["losses"]),
            data=tuple(payload["data"]),
            privacy=json.loads(payload["privacy"]) if payload.get("privacy") else None,
        )

    def frozen(self) -> AdapterState:
        """The same adapter without the optimiser state (what inference and export need)."""
        return replace(self, optimizer=None)

    @property
    def parameters(self) -> int:
        return sum(int(t.numel()) for t in self.weights.values())


def peft_config_from(method: str, config: Mapping[str, Any]) -> Any:
    from peft import LoraConfig, PromptTuningConfig

    cls = LoraConfig if method == "lora" else PromptTuningConfig
    known = {k: v for k, v in config.items() if k in cls.__dataclass_fields__}
    return cls(**known)


def attach(base: Any, state: AdapterState, *, trainable: bool = False) -> Any:
    """``base`` wrapped in a PEFT model carrying ``state``'s adapter (modifies ``base`` in place)."""
    from peft import get_peft_model, set_peft_model_state_dict

    with quiet():
        model = get_peft_model(base, peft_config_from(state.method, state.peft_config))
        if state.weights:
            set_peft_model_state_dict(model, dict(state.weights))
    model.train(trainable)
    return model


def export_peft(state: AdapterState, folder: Path, *, base_name: str = "") -> list[Path]:
    """Write ``state`` as a standard PEFT folder: ``adapter_config.json`` + ``adapter_model.safetensors``."""
    from safetensors.torch import save_file

    folder.mkdir(parents=True, exist_ok=True)
    config = peft_config_from(state.method, state.peft_config)
    config.base_model_name_or_path = base_name or None
    config.inference_mode = True
    config.save_pretrained(str(folder))
    weights = {k: v.contiguous() for k, v in state.weights.items()}
    save_file(weights, str(folder / "adapter_model.safetensors"), metadata={"format": "pt"})
    return [folder / "adapter_config.json", folder / "adapter_model.safetensors"]
