"""Where knowme keeps its data and how it is configured.

One place resolves the data folder (``KNOWME_HOME``, else the platform's user data folder) and reads
``config.toml`` from it into typed settings that reject unknown keys. Nothing here runs at import time.
Secrets never live in the config file: it names an environment variable or the OS keyring instead.
"""

from __future__ import annotations

import os
import sys
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from knowme.errors import ConfigError

CONFIG_FILE = "config.toml"


@dataclass(frozen=True)
class Environment:
    """Every environment variable knowme reads, read here and nowhere else, when asked for (never at import).

    See docs/configuration.md for what each one does.
    """

    home: str | None = None  # KNOWME_HOME
    passphrase: str | None = None  # KNOWME_PASSPHRASE
    new_passphrase: str | None = None  # KNOWME_NEW_PASSPHRASE (knowme passphrase change)
    export_passphrase: str | None = None  # KNOWME_EXPORT_PASSPHRASE (knowme export/import --encrypt)
    store: str | None = None  # KNOWME_STORE: postgresql://... for the vault service
    user: str | None = None  # KNOWME_USER: the service user a process works for
    broker: str | None = None  # KNOWME_BROKER: redis://... for queued jobs
    kek: str | None = None  # KNOWME_KEK: the service operator's key-encryption key
    kek_file: str | None = None  # KNOWME_KEK_FILE: a file holding it
    embed_backend: str | None = None  # KNOWME_EMBED_BACKEND: onnx, torch or auto
    embed_threads: str | None = None  # KNOWME_EMBED_THREADS
    rerank_threads: str | None = None  # KNOWME_RERANK_THREADS
    embed_linger_ms: str | None = None  # KNOWME_EMBED_LINGER_MS
    eval_passphrase: str | None = None  # KNOWME_EVAL_PASSPHRASE: for evaluation vaults of the user's own files
    federation_secret: str | None = None  # KNOWME_FEDERATION_SECRET: the enrolment secret of a federation
    ci: bool = False  # CI: no prompts, whatever the terminal

    def as_environ(self) -> dict[str, str]:
        """The variables that are set, under their names (for code that takes an environment mapping)."""
        names = {f: f"KNOWME_{f.upper()}" for f in self.__dataclass_fields__ if f != "ci"}
        found = {names[f]: getattr(self, f) for f in names if getattr(self, f)}
        return found | ({"CI": "true"} if self.ci else {})


def environment(environ: Mapping[str, str] | None = None) -> Environment:
    """knowme's environment variables, from ``environ`` (default: the process's)."""
    env = os.environ if environ is None else environ
    values = {f: env.get(f"KNOWME_{f.upper()}") or None for f in Environment.__dataclass_fields__ if f != "ci"}
    ci = env.get("CI", "").strip().lower() not in ("", "0", "false", "no")
    return Environment(**values, ci=ci)


def variable(name: str) -> str | None:
    """The value of an environment variable the user named in the settings (an API key's, a source's password)."""
    return os.environ.get(name) or None


def interactive() -> bool:
    """Whether a person can answer a prompt: standard input is a terminal and this is not a CI run."""
    return sys.stdin is not None and sys.stdin.isatty() and not environment().ci


def user_dir(home: str | os.PathLike[str] | None = None) -> Path:
    """The knowme data folder: ``home`` if given, else ``$KNOWME_HOME``, else the platform default."""
    if home is not None:
        return Path(home).expanduser()
    env = environment().home
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("knowme", appauthor=False))


def eval_passphrase() -> str | None:
    """The passphrase the user chose for evaluation vaults (``KNOWME_EVAL_PASSPHRASE``), if any: without one, an
    evaluation vault of the user's own files is encrypted under a random passphrase nobody keeps."""
    return environment().eval_passphrase


def federation_secret() -> str | None:
    """The enrolment secret of a federation of the user's devices (``KNOWME_FEDERATION_SECRET``), if set."""
    return environment().federation_secret


class LLMSettings(BaseModel):
    """Which language model backend answers, and how to reach it."""

    model_config = ConfigDict(extra="forbid")

    backend: str = Field(default="embedded", description="embedded, openai or extractive (or a plugin's name)")
    base_url: str | None = Field(default=None, description="OpenAI-compatible endpoint, e.g. http://127.0.0.1:8080/v1")
    model: str | None = Field(default=None, description="model name sent to the endpoint; a GGUF path for embedded")
    api_key_env: str | None = Field(default=None, description="environment variable holding the API key")
    timeout: float = Field(default=120.0, gt=0)
    n_ctx: int = Field(default=2048, ge=512)
    n_threads: int | None = Field(default=None, ge=1)


class EmbedderSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(default="minilm", description="embedder plugin name")
    batch_size: int = Field(default=64, ge=1)


class SearchSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    context_tokens: int = Field(default=1000, ge=100, description="token budget of the context pack for ask")
    rrf_k: int = Field(default=60, ge=1)
    reranker: str = Field(default="ms-marco-minilm", description="reranker plugin for ask's context and --rerank")
    rerank_depth: int = Field(
        default=30, ge=0, le=200, description="top passages the reranker reads for ask's context (0: no reranking)"
    )


class UserSettings(BaseModel):
    """Who owns the vault: their name and addresses (else learned from sent mail and chat exports)."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, description="the vault owner's name as others write it")
    emails: list[str] = Field(default_factory=list, description="the vault owner's email addresses")


class GraphSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    extractors: list[str] = Field(default_factory=lambda: ["patterns"], description="extractor plugins to run")
    enabled: bool = Field(default=True, description="build the knowledge graph while ingesting")


class BankSettings(BaseModel):
    """How bank statements are read and what counts as a large purchase (see docs/connectors.md)."""

    model_config = ConfigDict(extra="forbid")

    columns: dict[str, str] = Field(
        default_factory=dict,
        description="CSV header names: date, amount (or debit and credit), payee, description, currency, type, id",
    )
    date_format: str | None = Field(default=None, description="strptime format of CSV dates, e.g. %d.%m.%Y")
    decimal: str | None = Field(default=None, description='"." or ","; guessed from each amount when unset')
    delimiter: str | None = Field(default=None, description="CSV delimiter; sniffed when unset")
    currency: str = Field(default="", description="currency of CSV amounts when the file has no currency column")
    account: str | None = Field(default=None, description="account name in CSV refs (default: the file's name)")
    large_purchase: float = Field(default=500.0, ge=0, description="payments of at least this much are facts")

    @field_validator("columns")
    @classmethod
    def _known_columns(cls, value: dict[str, str]) -> dict[str, str]:
        known = {"date", "amount", "debit", "credit", "payee", "description", "currency", "type", "id"}
        unknown = sorted(set(value) - known)
        if unknown:
            raise ValueError(f"unknown bank column(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        return value


class DocumentsSettings(BaseModel):
    """How document files are read: OCR of scanned pages with Debian's tesseract-ocr (see docs/connectors.md)."""

    model_config = ConfigDict(extra="forbid")

    ocr: Literal["auto", "on", "off"] = Field(
        default="auto",
        description="read scanned pages with tesseract: auto (files alone and folders of few documents), on, off",
    )
    ocr_folder_limit: int = Field(default=100, ge=0, description="auto: no OCR in folders with more documents")
    ocr_max_pages: int = Field(default=20, ge=0, description="scanned pages read by OCR per document at most")
    ocr_languages: str = Field(default="eng", description="tesseract languages, e.g. eng+por")

    @field_validator("ocr", mode="before")
    @classmethod
    def _ocr_bool(cls, value: object) -> object:
        return {True: "on", False: "off"}.get(value, value) if isinstance(value, bool) else value


class PrivacySettings(BaseModel):
    """The egress policy: what a model backend outside knowme (an OpenAI-compatible endpoint) may see."""

    model_config = ConfigDict(extra="forbid")

    redact: bool = Field(default=True, description="replace identifiers with placeholders before a remote model")
    redact_names: bool = Field(default=False, description="also replace the names of people")
    phone_region: str = Field(default="US", description="region of phone numbers written without a country code")
    remote_scopes: list[str] = Field(
        default=["mail", "calendar", "contacts", "notes", "chats", "browsing", "documents"],
        description="scopes a remote model may see; add health, money or intimate to send those passages too",
    )


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    llm: LLMSettings = LLMSettings()
    embedder: EmbedderSettings = EmbedderSettings()
    search: SearchSettings = SearchSettings()
    user: UserSettings = UserSettings()
    graph: GraphSettings = GraphSettings()
    privacy: PrivacySettings = PrivacySettings()
    bank: BankSettings = BankSettings()
    documents: DocumentsSettings = DocumentsSettings()


def load_settings(home: Path) -> Settings:
    """Read ``home/config.toml``; a missing file gives the defaults, a typo gives a clear error."""
    path = home / CONFIG_FILE
    if not path.exists():
        return Settings()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        return Settings.model_validate(data)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from exc
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors())
        raise ConfigError(f"{path}: {problems}") from exc
