"""The Python API: open a vault, ingest, search, ask.

import knowme
with knowme.open() as vault:            # KNOWME_HOME / KNOWME_PASSPHRASE / keyring / prompt
    vault.ingest("~/Mail/archive.mbox")
    for hit in vault.search("offsite agenda", k=5):
        print(hit.ref, hit.text)
    print(vault.ask("When is Lena's birthday?").citations)
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import date, datetime, time
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from knowme.assist.ask import AnswerEvent, ContextPack, build_context, stream_answer
from knowme.assist.ask import answer as compose_answer
from knowme.config import Settings, load_settings, user_dir
from knowme.connectors.base import local_tz
from knowme.errors import ConfigError, VaultCorrupt, VaultExists, VaultNotFound
from knowme.extract.chunking import chunk_record
from knowme.ingest import ProgressHook, ingest_paths
from knowme.llm.base import ChatBackend
from knowme.llm.registry import make_backend
from knowme.models import Answer, Hit, IngestReport, Record, SourceEntry, stable_hash
from knowme.plugins import embedders
from knowme.retrieve.abstain import found
from knowme.retrieve.embedders import Embedder
from knowme.retrieve.search import HYBRID, PRESETS, SearchPreset, SearchResult, run_search
from knowme.store.base import SearchFilters, Store
from knowme.store.keys import KEY_FILE, create_key_file, derive_key, resolve_passphrase
from knowme.store.sqlcipher import VAULT_FILE, SQLCipherStore

DateLike = datetime | date | str

if TYPE_CHECKING:
    from knowme.graph.views import FactView, PersonProfile, PersonSummary, TimelineEntry
    from knowme.sources.sync import SyncReport


def parse_when(value: DateLike | None, *, end_of_day: bool = True) -> datetime | None:
    """A timezone-aware datetime from a datetime, a date or an ISO string; a bare date means its last second."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        text = value.strip()
        try:
            value = datetime.fromisoformat(text) if ("T" in text or " " in text) else date.fromisoformat(text)
        except ValueError as exc:
            raise ConfigError(f"not a date: {text!r} (use YYYY-MM-DD or an ISO 8601 date-time)") from exc
    if not isinstance(value, datetime):
        value = datetime.combine(value, time.max if end_of_day else time.min)
    if value.tzinfo is None:
        value = value.replace(tzinfo=local_tz())
    return value


def make_embedder(settings: Settings) -> Embedder:
    known = embedders()
    cls = known.get(settings.embedder.name)
    if cls is None:
        raise ConfigError(f"unknown embedder {settings.embedder.name!r}; known: {', '.join(sorted(known))}")
    return cls()


class Vault:
    """One person's knowledge vault. Use :func:`knowme.open` to get one; close it (or use ``with``)."""

    def __init__(self, home: Path, store: Store, embedder: Embedder, settings: Settings) -> None:
        self.home = home
        self.store = store
        self.embedder = embedder
        self.settings = settings
        self._backend: ChatBackend | None = None

    # -- lifecycle ---------------------------------------------------------------------------------------------
    def close(self) -> None:
        if self._backend is not None:
            self._backend.close()
            self._backend = None
        self.store.close()

    def __enter__(self) -> Vault:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- ingest ------------------------------------------------------------------------------------------------
    def ingest(
        self, path: str | os.PathLike[str] | Sequence[str | os.PathLike[str]], *, progress: ProgressHook | None = None
    ) -> IngestReport:
        """Read files or folders (format detected) into the vault; re-ingesting is a no-op, changes update."""
        paths = [path] if isinstance(path, str | os.PathLike) else list(path)
        return ingest_paths(
            self.store,
            self.embedder,
            [Path(p) for p in paths],
            progress=progress,
            batch_size=self.settings.embedder.batch_size,
            on_batch=self._update_graph,
        )

    def _update_graph(self, records: list[Record]) -> None:
        from knowme.graph.build import update_graph

        update_graph(self.store, records, self.settings)

    # -- search ------------------------------------------------------------------------------------------------
    def search(
        self,
        query: str,
        k: int = 10,
        as_of: DateLike | None = None,
        *,
        kinds: Sequence[str] = (),
        sources: Sequence[str] = (),
        since: DateLike | None = None,
        until: DateLike | None = None,
        preset: str | SearchPreset = HYBRID,
    ) -> list[Hit]:
        """The ``k`` best passages for ``query``; ``as_of`` ignores items dated after it."""
        return self.search_result(
            query, k, as_of, kinds=kinds, sources=sources, since=since, until=until, preset=preset
        ).hits

    def search_result(
        self,
        query: str,
        k: int = 10,
        as_of: DateLike | None = None,
        *,
        kinds: Sequence[str] = (),
        sources: Sequence[str] = (),
        since: DateLike | None = None,
        until: DateLike | None = None,
        preset: str | SearchPreset = HYBRID,
    ) -> SearchResult:
        """:meth:`search` with the query analysis and the raw signals behind the hits."""
        if isinstance(preset, str):
            if preset not in PRESETS:
                raise ConfigError(f"unknown search preset {preset!r}; known: {', '.join(PRESETS)}")
            preset = PRESETS[preset]
        upper = [d for d in (parse_when(as_of), parse_when(until)) if d is not None]
        filters = SearchFilters(
            kinds=tuple(kinds),
            sources=tuple(sources),
            since=parse_when(since, end_of_day=False),
            until=min(upper) if upper else None,
        )
        preset = replace(preset, rrf_k=self.settings.search.rrf_k)
        return run_search(self.store, self.embedder, query, k=k, filters=filters, preset=preset)

    def warm_up(self) -> None:
        """Load the embedding model and the vector index and prepare them, so later searches are fast."""
        self.embedder.warm_up()
        self.search("warm up", k=1)

    # -- ask ---------------------------------------------------------------------------------------------------
    @property
    def backend(self) -> ChatBackend:
        if self._backend is None:
            self._backend = make_backend(self.settings.llm)
        return self._backend

    def choose_backend(self, name: str) -> None:
        """Answer with the backend plugin ``name`` (embedded, openai, extractive...) instead of the configured one."""
        llm = self.settings.llm.model_copy(update={"backend": name})
        self.settings = self.settings.model_copy(update={"llm": llm})
        if self._backend is not None:
            self._backend.close()
            self._backend = None

    def use_backend(self, backend: ChatBackend) -> None:
        """Answer with ``backend`` instead of the configured one (closes the previous one)."""
        if self._backend is not None and self._backend is not backend:
            self._backend.close()
        self._backend = backend

    def context(
        self, question: str, as_of: DateLike | None = None, *, k: int = 20, budget: int | None = None
    ) -> ContextPack:
        """The cited context pack ``ask`` hands the model: the best passages for ``question`` within ``budget``."""
        result = self.search_result(question, k=k, as_of=as_of)
        return build_context(result.hits, budget or self.settings.search.context_tokens, found=found(result.signals))

    def _answer_pack(self, question: str, when: datetime | None, k: int, budget: int | None) -> ContextPack:
        budget = budget or self.settings.search.context_tokens
        if self.backend.context_tokens is not None:
            budget = min(budget, self.backend.context_tokens)
        return self.context(question, when, k=k, budget=budget)

    def ask(self, question: str, as_of: DateLike | None = None, *, k: int = 20, budget: int | None = None) -> Answer:
        """Answer ``question`` from the vault with citations; ``as_of`` answers as of that date."""
        when = parse_when(as_of)
        exact = self.graph_answer(question, as_of=when)
        if exact is not None:
            return exact
        pack = self._answer_pack(question, when, k, budget)
        return compose_answer(question, pack, self.backend, today=when or datetime.now(local_tz()))

    def ask_stream(
        self, question: str, as_of: DateLike | None = None, *, k: int = 20, budget: int | None = None
    ) -> Iterator[AnswerEvent]:
        """:meth:`ask` as events: ``("evidence", hits)``, ``("delta", text)``..., then ``("answer", Answer)``."""
        when = parse_when(as_of)
        exact = self.graph_answer(question, as_of=when)
        if exact is not None:
            yield "evidence", exact.evidence
            yield "delta", exact.text
            yield "answer", exact
            return
        pack = self._answer_pack(question, when, k, budget)
        yield from stream_answer(question, pack, self.backend, today=when or datetime.now(local_tz()))

    def graph_answer(self, question: str, as_of: DateLike | None = None) -> Answer | None:
        """An exact, cited answer from the knowledge graph, or None when the graph cannot settle the question."""
        from knowme.graph.answer import graph_answer

        return graph_answer(self.store, question, today=parse_when(as_of) or datetime.now(local_tz()))

    # -- the knowledge graph -----------------------------------------------------------------------------------
    def people(self) -> list[PersonSummary]:
        """Everyone in the graph (the user first), with aliases and their relationship to the user."""
        from knowme.graph import views

        return views.people(self.store)

    def person(self, name: str) -> PersonProfile:
        """One person's profile: aliases, relationship, facts with dates and refs, merges, recent interactions."""
        from knowme.graph import views

        return views.person(self.store, name)

    def facts(self, as_of: DateLike | None = None, about: str | None = None) -> list[FactView]:
        """Facts (all, or those true on ``as_of``), optionally only those about one person."""
        from knowme.graph import views

        when = parse_when(as_of)
        return views.facts(self.store, as_of=when.date() if when else None, about=about)

    def timeline(
        self, since: DateLike | None = None, until: DateLike | None = None, person: str | None = None
    ) -> list[TimelineEntry]:
        """Dated facts and commitments in order, optionally for one person."""
        from knowme.graph import views

        lo, hi = parse_when(since, end_of_day=False), parse_when(until)
        return views.timeline(
            self.store, since=lo.date() if lo else None, until=hi.date() if hi else None, person_name=person
        )

    def merge_people(self, keep: str, drop: str) -> str:
        """Join ``drop`` into ``keep`` (kept across later ingests); returns the kept person's name."""
        from knowme.graph import views

        return views.merge_people(self.store, keep, drop).name

    def split_person(self, name: str, alias: str) -> str:
        """Move ``alias`` off ``name`` into a person of its own; returns the new person's name."""
        from knowme.graph import views

        return views.split_person(self.store, name, alias).name

    # -- records ---------------------------------------------------------------------------------------------
    def records(self, ref: str) -> list[Record]:
        """The stored records behind a source-native reference (several for a recurring event), oldest first."""
        return self.store.records_by_ref(ref)

    def recent(self, limit: int = 20, *, kinds: Sequence[str] = (), until: DateLike | None = None) -> list[Record]:
        """The ``limit`` newest dated records (optionally of ``kinds``, at or before ``until``), newest first."""
        return self.store.recent_records(limit, kinds=tuple(kinds), until=parse_when(until))

    def remember(self, text: str, *, title: str = "", source: str = "remembered") -> Record:
        """Store ``text`` the user stated as a note (``note:remembered/<time>-<hash>``), indexed for search."""
        body = text.strip()
        if not body:
            raise ConfigError("nothing to remember: the text is empty")
        now = datetime.now(local_tz()).replace(microsecond=0)
        digest = stable_hash(source, now.isoformat(), body, length=12)
        record = Record(
            source=source,
            kind="note",
            native_id=digest,
            ref=f"note:remembered/{now.strftime('%Y%m%dT%H%M%S')}-{digest[:8]}",
            text=body,
            title=title.strip() or body.splitlines()[0][:80],
            timestamp=now,
            meta={"origin": source},
        )
        chunks = chunk_record(record)
        vectors = self.embedder.embed([c.index_text for c in chunks], batch_size=self.settings.embedder.batch_size)
        with self.store.transaction():
            self.store.upsert_record(record, chunks, vectors)
        return record

    # -- registered sources ------------------------------------------------------------------------------------
    def add_source(
        self,
        target: str | os.PathLike[str],
        *,
        name: str | None = None,
        user: str | None = None,
        password_env: str | None = None,
    ) -> SourceEntry:
        """Register a folder, file or ``imap://``, ``caldav+http(s)://``, ``carddav+http(s)://`` URI to keep in sync."""
        from knowme.sources.registry import make_entry

        taken = {e.name for e in self.store.list_sources()}
        entry = make_entry(os.fspath(target), name=name, user=user, password_env=password_env, taken=taken)
        self.store.save_source(entry)
        return entry

    def sources(self) -> list[SourceEntry]:
        """The registered sources with their last sync, item count and last error."""
        return self.store.list_sources()

    def remove_source(self, name: str, *, forget_data: bool = False) -> int:
        """Unregister ``name``; with ``forget_data`` also delete every record it brought. Returns records deleted."""
        from knowme.errors import SourceError
        from knowme.sources.sync import record_sources

        if name not in {e.name for e in self.store.list_sources()}:
            raise SourceError(f"no source named {name!r}; see `knowme sources list`")
        deleted = 0
        if forget_data:
            for source in record_sources(self.store, name):
                deleted += self.store.delete_records(list(self.store.source_record_ids(source).values()))
        self.store.delete_source(name)
        return deleted

    def sync(self, names: Sequence[str] = (), *, progress: ProgressHook | None = None) -> list[SyncReport]:
        """Bring the registered sources (all, or those named) up to date; one failing source never stops the rest."""
        from knowme.errors import SourceError
        from knowme.sources.registry import connector_for
        from knowme.sources.sync import sync_all

        entries = self.store.list_sources()
        if names:
            known = {e.name for e in entries}
            unknown = [n for n in names if n not in known]
            if unknown:
                raise SourceError(f"no source named {', '.join(map(repr, unknown))}; see `knowme sources list`")
            entries = [e for e in entries if e.name in names]
        return sync_all(
            self.store,
            self.embedder,
            entries,
            connector_for,
            progress=progress,
            on_batch=self._update_graph,
            batch_size=self.settings.embedder.batch_size,
        )

    # -- overview ----------------------------------------------------------------------------------------------
    def stats(self) -> dict[str, object]:
        return {
            "home": str(self.home),
            "records": self.store.counts(),
            "chunks": self.store.chunk_count(),
            "vault_bytes": (self.home / VAULT_FILE).stat().st_size if (self.home / VAULT_FILE).exists() else 0,
        }


def vault_exists(home: str | os.PathLike[str] | None = None) -> bool:
    return (user_dir(home) / VAULT_FILE).exists()


def create(home: str | os.PathLike[str] | None = None, passphrase: str | None = None) -> Vault:
    """Make a new, empty vault; refuse if one exists."""
    folder = user_dir(home)
    if (folder / VAULT_FILE).exists():
        raise VaultExists(f"a vault already exists in {folder}")
    return open(folder, passphrase)


def open(  # noqa: A001 - the documented API name
    home: str | os.PathLike[str] | None = None, passphrase: str | None = None, *, create: bool = True
) -> Vault:
    """Open the vault in ``home`` (default ``KNOWME_HOME``), creating it on first use unless ``create=False``."""
    folder = user_dir(home)
    settings = load_settings(folder)
    db = folder / VAULT_FILE
    keyfile = folder / KEY_FILE
    if db.exists() and not keyfile.exists():
        raise VaultCorrupt(f"{keyfile} is missing: the vault in {folder} cannot be opened without it")
    if keyfile.exists():
        key = derive_key(folder, resolve_passphrase(folder, passphrase, creating=False))
    elif not create:
        raise VaultNotFound(f"no vault in {folder}; create one with `knowme init`")
    else:
        folder.mkdir(parents=True, exist_ok=True)
        os.chmod(folder, 0o700)
        key = create_key_file(folder, resolve_passphrase(folder, passphrase, creating=True))
    embedder = make_embedder(settings)
    store = SQLCipherStore(db, key, dim=embedder.dim)
    return Vault(folder, store, embedder, settings)
