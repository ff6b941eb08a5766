"""The Python API: open a vault, ingest, search, ask.

import knowme
with knowme.open() as vault:            # KNOWME_HOME / KNOWME_PASSPHRASE / keyring / prompt
    vault.ingest("~/Mail/archive.mbox")
    for hit in vault.search("offsite agenda", k=5):
        print(hit.ref, hit.text)
    print(vault.ask("When is Lena's birthday?").citations)

:class:`Vault` is a facade: each method hands over to the folder that owns the work. The person's side is
``vault.persona`` (:mod:`knowme.persona.service`), grants and the audit log ``vault.grants``
(:mod:`knowme.privacy.governance`), registered sources ``vault.sources`` (:mod:`knowme.ingest.service`), the voice
model ``vault.voice`` (:mod:`knowme.learn.service`); ``ask`` is :class:`knowme.assist.pipeline.AskPipeline`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from datetime import timedelta
from pathlib import Path
from types import TracebackType

from knowme.assist.ask import AnswerEvent, ContextPack
from knowme.assist.concierge import Concierge
from knowme.assist.digest import Digest
from knowme.assist.draft import Draft
from knowme.assist.pipeline import ASK_CANDIDATES, AskPipeline
from knowme.assist.slots import Slot
from knowme.config import Settings
from knowme.extract.upkeep import GraphUpkeep
from knowme.graph import views
from knowme.graph.views import FactView, PersonProfile, PersonSummary, TimelineEntry
from knowme.ingest.pipeline import ProgressHook
from knowme.ingest.service import Ingestor, PathLike, Sources
from knowme.ingest.sync import SyncReport
from knowme.learn.artifacts import LearnStatus
from knowme.learn.service import Voice
from knowme.learn.voice import LearnReport
from knowme.llm.base import ChatBackend
from knowme.llm.embedders import Embedder
from knowme.llm.registry import make_backend
from knowme.models import Answer, Hit, IngestReport, Record, SourceEntry
from knowme.models.governance import AuditEvent, Grant
from knowme.models.persona import Feedback, Preference
from knowme.persona.service import Persona
from knowme.persona.style import StyleProfile
from knowme.privacy.export import ExportReport, ImportReport
from knowme.privacy.forget import ForgetResult
from knowme.privacy.governance import Grants
from knowme.privacy.owner import export_to, forget_matching
from knowme.retrieve.search import HYBRID, SearchPreset, SearchResult
from knowme.retrieve.searcher import Searcher
from knowme.store.base import Store
from knowme.store.rekey import StepHook
from knowme.store.vaultkey import VaultKey
from knowme.text.when import DateLike, parse_when

__all__ = ["ASK_CANDIDATES", "DateLike", "Vault"]


class Vault:
    """One person's knowledge vault. Use :func:`knowme.open` to get one; close it (or use ``with``)."""

    def __init__(self, home: Path, store: Store, embedder: Embedder, settings: Settings) -> None:
        self.home, self.store, self.embedder, self.settings = home, store, embedder, settings
        self._backend: ChatBackend | None = None
        self.grants = Grants(self)
        self._upkeep = GraphUpkeep(self)
        self._ingestor = Ingestor(self, self._upkeep)
        self.sources = Sources(self, self._upkeep)
        self.persona = Persona(self, shown_for=self._shown_for, remember=self._ingestor.remember)
        self._searcher = Searcher(self, personal=self.persona.reorder)
        self._ask = AskPipeline(self, searcher=self._searcher, grants=self.grants, persona=self.persona,
                                backend=lambda: self.backend)  # fmt: skip
        self.voice = Voice(self, grants=self.grants, backend=lambda: self.backend)
        self._concierge = Concierge(self, persona=self.persona, phrasing=self.voice.phrasing_backend)
        self.key = VaultKey(home, store)

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

    # -- getting data in (knowme.ingest) -----------------------------------------------------------------------
    def ingest(
        self, path: PathLike | Sequence[PathLike], *, progress: ProgressHook | None = None,
        include_forgotten: bool = False,
    ) -> IngestReport:  # fmt: skip
        """Read files or folders (format detected) into the vault; re-ingesting is a no-op, changes update."""
        return self._ingestor.ingest(path, progress=progress, include_forgotten=include_forgotten)

    def remember(
        self, text: str, *, title: str = "", source: str = "remembered", meta: Mapping[str, object] | None = None
    ) -> Record:
        """Store ``text`` the user stated as a note (``note:remembered/<time>-<hash>``), indexed for search."""
        return self._ingestor.remember(text, title=title, source=source, meta=meta)

    def import_file(self, path: PathLike, *, passphrase: str | None = None) -> ImportReport:
        return self._ingestor.import_file(path, passphrase=passphrase)

    def add_source(self, target: PathLike, **options: object) -> SourceEntry:
        return self.sources.add(target, **options)  # type: ignore[arg-type]

    def remove_source(self, name: str, *, forget_data: bool = False) -> int:
        return self.sources.remove(name, forget_data=forget_data)

    def sync(self, names: Sequence[str] = (), *, progress: ProgressHook | None = None) -> list[SyncReport]:
        return self.sources.sync(names, progress=progress)

    # -- search (knowme.retrieve) ------------------------------------------------------------------------------
    def search(
        self, query: str, k: int = 10, as_of: DateLike | None = None, *, kinds: Sequence[str] = (),
        sources: Sequence[str] = (), since: DateLike | None = None, until: DateLike | None = None,
        preset: str | SearchPreset = HYBRID, grant: Grant | None = None, personalize: bool = True,
        rerank: bool = False,
    ) -> list[Hit]:  # fmt: skip
        """The ``k`` best passages for ``query``; ``as_of`` ignores items dated after it. With ``grant``, only what
        its scopes allow, audited under its client; ``rerank=True`` has the cross-encoder reorder the top passages."""
        options: dict[str, object] = {"sources": sources, "since": since, "until": until, "preset": preset}
        if grant is None:
            return self._searcher.hits(query, k, as_of, kinds=kinds, personalize=personalize, rerank=rerank, **options)
        options["as_of"] = as_of
        hits, _ = self.grants.search(self._searcher.result, query, k, grant, kinds=kinds, rerank=rerank, **options)
        self.grants.disclose(grant.client, "search", hits, grant=grant)
        return hits

    def search_result(self, query: str, k: int = 10, as_of: DateLike | None = None, **options: object) -> SearchResult:
        """:meth:`search` with the query analysis and the raw signals behind the hits (the owner's view)."""
        return self._searcher.result(query, k, as_of, **options)  # type: ignore[arg-type]

    def _shown_for(self, query: str, k: int, as_of: DateLike | None) -> list[Hit]:
        return self._searcher.hits(query, k, as_of, personalize=False)

    def warm_up(self) -> None:
        self._searcher.warm_up()

    # -- ask (knowme.assist) -----------------------------------------------------------------------------------
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

    def ask(
        self, question: str, as_of: DateLike | None = None, *, k: int = ASK_CANDIDATES, budget: int | None = None,
        grant: Grant | None = None, challenge: bool = False,
    ) -> Answer:  # fmt: skip
        """Answer ``question`` from the vault with citations; ``as_of`` answers as of that date."""
        return self._ask.ask(question, as_of, k=k, budget=budget, grant=grant, challenge=challenge)

    def ask_stream(
        self, question: str, as_of: DateLike | None = None, *, k: int = ASK_CANDIDATES, budget: int | None = None,
        grant: Grant | None = None,
    ) -> Iterator[AnswerEvent]:  # fmt: skip
        return self._ask.stream(question, as_of, k=k, budget=budget, grant=grant)

    def context(
        self, question: str, as_of: DateLike | None = None, *, k: int = ASK_CANDIDATES, budget: int | None = None,
        grant: Grant | None = None,
    ) -> ContextPack:  # fmt: skip
        return self._ask.context(question, as_of, k=k, budget=budget, grant=grant)

    def lend_context(
        self, question: str, *, k: int = 12, grant: Grant | None = None
    ) -> tuple[ContextPack, ChatBackend]:
        return self._ask.lend(question, k=k, grant=grant)

    def graph_answer(self, question: str, as_of: DateLike | None = None) -> Answer | None:
        return self._ask.exact(question, as_of)

    def digest(self, as_of: DateLike | None = None, days: int = 7) -> Digest:
        return self._concierge.digest(as_of, days)

    def draft(self, reply_to: str, intent: str, *, phrase: bool = False) -> Draft:
        return self._concierge.draft(reply_to, intent, phrase=phrase)

    def suggest_slots(
        self, duration: timedelta | str = "45m", within: timedelta | str = "7d", **options: object
    ) -> list[Slot]:
        return self._concierge.suggest_slots(duration, within, **options)  # type: ignore[arg-type]

    # -- the knowledge graph (knowme.graph) --------------------------------------------------------------------
    def people(self) -> list[PersonSummary]:
        return views.people(self.store)

    def person(self, name: str) -> PersonProfile:
        return views.person(self.store, name)

    def facts(self, as_of: DateLike | None = None, about: str | None = None) -> list[FactView]:
        when = parse_when(as_of)
        return views.facts(self.store, as_of=when.date() if when else None, about=about)

    def timeline(
        self, since: DateLike | None = None, until: DateLike | None = None, person: str | None = None
    ) -> list[TimelineEntry]:
        lo, hi = parse_when(since, end_of_day=False), parse_when(until)
        return views.timeline(self.store, since=lo.date() if lo else None, until=hi.date() if hi else None,
                              person_name=person)  # fmt: skip

    def merge_people(self, keep: str, drop: str) -> str:
        return views.merge_people(self.store, keep, drop).name

    def split_person(self, name: str, alias: str) -> str:
        return views.split_person(self.store, name, alias).name

    # -- the person (vault.persona) ----------------------------------------------------------------------------
    def prefer(self, statement: str, **options: object) -> Preference:
        return self.persona.prefer(statement, **options)  # type: ignore[arg-type]

    def preferences(self, *, include_inactive: bool = False) -> list[Preference]:
        return self.persona.preferences(include_inactive=include_inactive)

    def applicable_preferences(self, question: str, *, limit: int = 5) -> list[Preference]:
        return self.persona.applicable(question, limit=limit)

    def edit_preference(self, preference_id: str, **changes: object) -> Preference:
        return self.persona.edit(preference_id, **changes)  # type: ignore[arg-type]

    def remove_preference(self, preference_id: str) -> Preference:
        return self.persona.remove(preference_id)

    def feedback(self, ref: str, **options: object) -> Feedback:
        return self.persona.feedback(ref, **options)  # type: ignore[arg-type]

    def reset_feedback(self) -> int:
        return self.persona.reset_feedback()

    def style(self, recipient: str | None = None) -> StyleProfile:
        return self.persona.style(recipient)

    # -- records, grants and the audit log (vault.grants) ------------------------------------------------------
    def records(self, ref: str, *, grant: Grant | None = None) -> list[Record]:
        """The stored records behind a source-native reference, oldest first; under ``grant``, only what it may see."""
        found = self.store.records_by_ref(ref)
        return self.grants.records("record", found, grant) if grant is not None else found

    def recent(
        self, limit: int = 20, *, kinds: Sequence[str] = (), until: DateLike | None = None, grant: Grant | None = None
    ) -> list[Record]:
        """The ``limit`` newest dated records, newest first; under ``grant``, only what it may see (audited)."""
        if grant is not None:
            return self.grants.recent(limit, kinds=kinds, until=until, grant=grant)
        return self.store.recent_records(limit, kinds=tuple(kinds), until=parse_when(until))

    def grant(self, client: str, scopes: str | Sequence[str], **options: object) -> tuple[Grant, str]:
        return self.grants.add(client, scopes, **options)  # type: ignore[arg-type]

    def revoke(self, id_or_client: str) -> list[Grant]:
        return self.grants.revoke(id_or_client)

    def check_grant(self, token: str) -> Grant:
        return self.grants.check(token)

    def audit(self, *, actor: str | None = None, limit: int | None = None) -> list[AuditEvent]:
        return self.grants.audit(actor=actor, limit=limit)

    # -- forget, export, keys (knowme.privacy, knowme.store) ---------------------------------------------------
    def forget(
        self, *, ref: str | Sequence[str] | None = None, source: PathLike | None = None, person: str | None = None,
        before: DateLike | None = None, query: str | None = None, dry_run: bool = False,
    ) -> ForgetResult:  # fmt: skip
        """Remove matching records (criteria ANDed) and everything derived from them, for good; ``dry_run`` returns
        the same preview without changing anything."""
        criteria = {"ref": ref, "source": source, "person": person, "before": before, "query": query}
        result = forget_matching(self, self.grants, dry_run=dry_run, **criteria)  # type: ignore[arg-type]
        if not dry_run and not result.empty:
            self._upkeep.settle(force=True)
        if not dry_run and result.records:
            self.voice.on_forget([r.content_hash for r in result.records])  # stale shards wait for a retrain
        return result

    def export(self, path: PathLike, *, format: str = "json", passphrase: str | None = None) -> ExportReport:  # noqa: A002
        """Write the whole knowledge graph to ``path`` (``json``, ``jsonld``, ``turtle``), encrypted with
        ``passphrase`` when given."""
        return export_to(self, self.grants, path, fmt=format, passphrase=passphrase)

    def change_passphrase(self, new_passphrase: str, *, on_step: StepHook | None = None) -> None:
        self.key.change(new_passphrase, on_step=on_step)

    def lock(self) -> bool:
        return self.key.lock()

    def unlock(self, passphrase: str) -> None:
        self.key.unlock(passphrase)

    @property
    def unlocked(self) -> bool:
        return self.key.unlocked

    def stats(self) -> dict[str, object]:
        store = self.store
        return {"home": str(self.home), "records": store.counts(), "chunks": store.chunk_count(),
                "vault_bytes": store.size_bytes()}  # fmt: skip

    # -- the voice model (vault.voice) -------------------------------------------------------------------------
    def learn_voice(self, **options: object) -> LearnReport:
        return self.voice.learn(**options)  # type: ignore[arg-type]

    def learn_status(self) -> LearnStatus:
        return self.voice.status()

    def phrasing_backend(self) -> ChatBackend:
        return self.voice.phrasing_backend()

    def export_adapter(self, folder: str | os.PathLike[str]) -> list[Path]:
        return self.voice.export_adapter(folder)
