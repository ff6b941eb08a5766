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
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from knowme.assist.ask import AnswerEvent, ContextPack, build_context, stream_answer
from knowme.assist.ask import answer as compose_answer
from knowme.config import Settings, load_settings, user_dir
from knowme.connectors.base import local_tz
from knowme.errors import AccessDenied, ConfigError, IngestError, VaultCorrupt, VaultExists, VaultNotFound
from knowme.extract.chunking import chunk_record
from knowme.ingest import ProgressHook, ingest_paths
from knowme.llm.base import ChatBackend
from knowme.llm.registry import make_backend
from knowme.models import Answer, Hit, IngestReport, ItemProblem, Record, SourceEntry, stable_hash
from knowme.plugins import embedders, rerankers
from knowme.retrieve.abstain import found, shown_found
from knowme.retrieve.batching import uncached_queries
from knowme.retrieve.embedders import Embedder
from knowme.retrieve.rerank import Reranker as PassageReranker
from knowme.retrieve.rerank import rerank_scored
from knowme.retrieve.search import HYBRID, PRESETS, SearchPreset, SearchResult, run_search
from knowme.store.base import ForgettingStore, GovernanceStore, PortableStore, SearchFilters, Store
from knowme.store.keys import KEY_FILE, create_key_file, keyring_delete, keyring_get, keyring_set, resolve_passphrase
from knowme.store.rekey import StepHook, change_passphrase, unlock_key
from knowme.store.sqlcipher import VAULT_FILE, SQLCipherStore

if TYPE_CHECKING:
    from knowme.privacy.export import ExportReport, ImportReport
    from knowme.privacy.forget import ForgetResult
    from knowme.privacy.grants import AuditEvent, Grant

DateLike = datetime | date | str
# passages ask considers; the pack takes them in rank order until its token budget is full
ASK_CANDIDATES = 40

if TYPE_CHECKING:
    from knowme.assist.draft import Draft
    from knowme.graph.views import FactView, PersonProfile, PersonSummary, TimelineEntry
    from knowme.learn.voice import LearnReport, LearnStatus
    from knowme.persona.digest import Digest
    from knowme.persona.model import Feedback, Preference
    from knowme.persona.rerank import Reranker
    from knowme.persona.slots import Slot
    from knowme.persona.style import StyleProfile
    from knowme.sources.sync import SyncReport

#: Chat backends that run inside knowme's process: a context pack given to them never leaves the machine.
LOCAL_BACKENDS = ("embedded", "extractive")


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


#: The embedder every vault used before vaults recorded which one made their vectors.
FIRST_EMBEDDER = "minilm"


def check_embedder(store: Store, embedder: Embedder) -> None:
    """Vectors compare only with vectors of the same model: remember which embedder made the store's, refuse another.

    The dimension alone does not tell two 384-dimensional models apart, and a question embedded by one model finds
    nothing sensible among the vectors of another.
    """
    stored = store.get_meta("embedder")
    if stored is None:
        stored = FIRST_EMBEDDER if store.chunk_count() else embedder.name
        store.set_meta("embedder", stored)
    if stored != embedder.name:
        raise ConfigError(
            f"this vault's vectors were made by the {stored!r} embedder, but the settings name {embedder.name!r}; "
            f'set [embedder] name = "{stored}" in config.toml, or export and import into a new vault to change it'
        )


@cache
def make_reranker(name: str) -> PassageReranker:
    """The reranker plugin ``name``, one instance per process (its model loads once, on first use)."""
    known = rerankers()
    cls = known.get(name)
    if cls is None:
        raise ConfigError(f"unknown reranker {name!r}; known: {', '.join(sorted(known))}")
    return cls()


class Vault:
    """One person's knowledge vault. Use :func:`knowme.open` to get one; close it (or use ``with``)."""

    def __init__(self, home: Path, store: Store, embedder: Embedder, settings: Settings) -> None:
        self.home = home
        self.store = store
        self.embedder = embedder
        self.settings = settings
        self._backend: ChatBackend | None = None
        self._money_stale = False  # a batch brought bank transactions: the money facts need recomputing

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
        self,
        path: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
        *,
        progress: ProgressHook | None = None,
        include_forgotten: bool = False,
    ) -> IngestReport:
        """Read files or folders (format detected) into the vault; re-ingesting is a no-op, changes update.

        Items removed with :meth:`forget` stay out unless ``include_forgotten`` asks for them back.
        """
        paths = [path] if isinstance(path, str | os.PathLike) else list(path)
        report = ingest_paths(
            self.store,
            self.embedder,
            [Path(p) for p in paths],
            progress=progress,
            batch_size=self.settings.embedder.batch_size,
            on_batch=self._update_graph,
            include_forgotten=include_forgotten,
            settings=self.settings,
        )
        self._settle_money(report)
        return report

    def _update_graph(self, records: list[Record]) -> None:
        from knowme.graph.build import update_graph
        from knowme.graph.money import is_transaction

        update_graph(self.store, records, self.settings)
        self._money_stale = self._money_stale or any(is_transaction(r) for r in records)

    def _settle_money(self, report: IngestReport | None = None, *, force: bool = False) -> None:
        """Recompute the money facts once after work that brought (or removed) bank transactions."""
        from knowme.graph.money import EXTRACTOR, update_money

        if not self.settings.graph.enabled:
            return
        if force and not self._money_stale:
            force = bool(self.store.graph().facts(extractor=EXTRACTOR))
        if not (self._money_stale or force):
            return
        self._money_stale = False
        try:
            update_money(self.store, self.settings)
        except Exception as exc:  # the records are stored; a graph bug must not lose them
            if report is None:
                raise
            report.problems.append(ItemProblem("money facts", f"could not be updated: {type(exc).__name__}: {exc}"))

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
        grant: Grant | None = None,
        personalize: bool = True,
        rerank: bool = False,
    ) -> list[Hit]:
        """The ``k`` best passages for ``query``; ``as_of`` ignores items dated after it.

        With ``grant`` (from :meth:`check_grant`), only what the grant's scopes allow is returned, and the refs shown
        are written to the audit log under the grant's client. ``personalize=False`` skips the re-ranker learned from
        the user's ratings (a no-op until they rate something). ``rerank=True`` has the reranker plugin (a
        cross-encoder) reorder the top ``[search] rerank_depth`` passages, as ``ask`` does: better order, about
        0.4 s more on two cores (:mod:`knowme.retrieve.rerank`).
        """
        if grant is not None:
            options = {"as_of": as_of, "sources": sources, "since": since, "until": until, "preset": preset}
            hits = self._granted_search(query, k, grant, kinds=kinds, rerank=rerank, **options)
            self._disclose(grant.client, "search", hits, grant=grant)
            return hits
        return self.search_result(
            query, k, as_of, kinds=kinds, sources=sources, since=since, until=until, preset=preset,
            personalize=personalize, rerank=rerank,
        ).hits  # fmt: skip

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
        personalize: bool = True,
        rerank: bool = False,
    ) -> SearchResult:
        """:meth:`search` with the query analysis and the raw signals behind the hits (the owner's view: no grant)."""
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
        depth = self.settings.search.rerank_depth if rerank else 0
        feedback = self._reranker() if personalize else None
        fetch = max(k, depth, 2 * k if feedback is not None else k)
        result = run_search(self.store, self.embedder, query, k=fetch, filters=filters, preset=preset)
        hits, found_by_reranker = result.hits, None
        if depth:
            reranker = make_reranker(self.settings.search.reranker)
            people = result.analysis.relatives  # "my brother" reads as "my brother (Pedro Almeida)" to the reranker
            asked = f"{query} ({', '.join(people)})" if people else query
            hits, best = rerank_scored(reranker, asked, hits, depth)
            found_by_reranker = reranker.found(best) if best is not None else None
        if feedback is not None:
            from knowme.persona.feedback import user_names

            hits = feedback.rerank(hits, user_names(self.store))
        return replace(result, hits=hits[:k], found=found_by_reranker)

    def _reranker(self) -> Reranker | None:
        from knowme.persona.feedback import load_reranker

        reranker = load_reranker(self.store)
        return reranker if reranker.trained else None

    def warm_up(self) -> None:
        """Load the embedding model, the vector index and the reranker and prepare them, so later searches are fast."""
        self.embedder.warm_up()
        self.search("warm up", k=1)
        if self.settings.search.rerank_depth:
            make_reranker(self.settings.search.reranker).warm_up()

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

    def _context_hits(
        self, question: str, when: datetime | None, k: int, grant: Grant | None
    ) -> tuple[list[Hit], float]:
        if grant is not None:  # a client sees only its grant's scopes, and no graph facts (they may be sensitive)
            return self._granted_result(question, k, grant, as_of=when, rerank=True)
        result = self.search_result(question, k=k, as_of=when, rerank=True)
        hits = result.hits
        if self.settings.graph.enabled:
            from knowme.graph.context import entity_passages

            hits = [*entity_passages(self.store, question, when), *hits]
        # The reranker's signal tells a question about things the vault never mentions from one it answers far
        # better (ROC AUC 0.998 against 0.92 on LoCoMo) but misjudges a paraphrase or "my brother" for his name on
        # mixed sources; their mean keeps most of the first and none of those refusals (docs/retrieval.md).
        signal = found(result.signals)
        return hits, signal if result.found is None else (signal + result.found) / 2

    def context(
        self,
        question: str,
        as_of: DateLike | None = None,
        *,
        k: int = ASK_CANDIDATES,
        budget: int | None = None,
        grant: Grant | None = None,
    ) -> ContextPack:
        """The cited context pack ``ask`` hands the model: the best passages for ``question`` within ``budget``."""
        hits, signal = self._context_hits(question, parse_when(as_of), k, grant)
        pack = build_context(hits, budget or self.settings.search.context_tokens, found=signal)
        return pack if grant is not None else replace(pack, preferences=tuple(self.applicable_preferences(question)))

    def _answer_plan(
        self, question: str, when: datetime | None, k: int, budget: int | None, grant: Grant | None
    ) -> tuple[ContextPack, ChatBackend, Any, bool]:
        """The pack and the backend to phrase it, after the egress policy for a model outside knowme."""
        backend: ChatBackend = self.backend
        budget = budget or self.settings.search.context_tokens
        if backend.context_tokens is not None:
            budget = min(budget, backend.context_tokens)
        hits, signal = self._context_hits(question, when, k, grant)
        remote = backend.name not in LOCAL_BACKENDS
        redacting = None
        if remote:  # the egress policy: drop what the remote model may not see, replace identifiers
            from knowme.privacy.redact import RedactingBackend, egress_filter, people_names

            policy = self.settings.privacy
            hits = egress_filter(hits, policy.remote_scopes)
            if policy.redact:
                names = people_names([h.author for h in hits]) + self._person_names() if policy.redact_names else []
                backend = redacting = RedactingBackend(
                    backend, names=names, redact_names=policy.redact_names, phone_region=policy.phone_region
                )
        pack = build_context(hits, budget, found=signal)
        if grant is None:  # the user's own standing preferences; a client under a grant does not see them
            prefs = self.applicable_preferences(question)
            if remote:  # a rule touching a sensitive class ("never book therapy on Mondays") stays home unless allowed
                from knowme.privacy.sensitivity import classify

                allowed = set(self.settings.privacy.remote_scopes)
                home = tuple(p for p in prefs if not classify(p.statement) <= allowed)  # still checked, locally
                prefs = [p for p in prefs if classify(p.statement) <= allowed]
                pack = replace(pack, withheld=home)
            pack = replace(pack, preferences=tuple(prefs))
        return pack, backend, redacting, remote

    def lend_context(
        self, question: str, *, k: int = 12, grant: Grant | None = None
    ) -> tuple[ContextPack, ChatBackend]:
        """The cited context (and applicable preferences) for a conversation another app sends through the
        OpenAI-compatible proxy, and the backend to forward it to: the same egress policy and redaction as
        :meth:`ask` for a remote backend; the disclosure is audited under the grant's client, else the model."""
        pack, backend, redacting, remote = self._answer_plan(question, None, k, None, grant)
        self._audit_disclosure("chat", pack.passages, grant, backend, redacting, remote)
        return pack, backend

    def _audit_disclosure(
        self, action: str, hits: Sequence[Hit], grant: Grant | None, backend: ChatBackend, redacting: Any, remote: bool
    ) -> None:
        """Log what a client (a grant) or a model outside knowme was shown: under the client, else the model."""
        if grant is not None or remote:
            actor = grant.client if grant is not None else f"model:{backend.describe()}"
            redacted = redacting.last.counts() if redacting is not None and redacting.last is not None else {}
            self._disclose(actor, action, hits, grant=grant, backend=backend.describe(), redacted=redacted)

    def ask(
        self,
        question: str,
        as_of: DateLike | None = None,
        *,
        k: int = ASK_CANDIDATES,
        budget: int | None = None,
        grant: Grant | None = None,
        challenge: bool = False,
    ) -> Answer:
        """Answer ``question`` from the vault with citations; ``as_of`` answers as of that date.

        The knowledge graph answers first when it can settle the question exactly. With ``grant``, the context pack
        holds only what the grant allows (and the graph is not consulted). The pack is written to the audit log when
        it goes to a client (a grant) or to a model backend that is not embedded in knowme. ``challenge`` adds, to
        advice-seeking questions, a labelled counterpoint from the user's own history when there is one.
        """
        when = parse_when(as_of)
        if grant is None:
            exact = self.graph_answer(question, as_of=when)
            if exact is not None:
                return replace(exact, preferences=self.applicable_preferences(question))
        pack, backend, redacting, remote = self._answer_plan(question, when, k, budget, grant)
        result = compose_answer(question, pack, backend, today=when or datetime.now(local_tz()))
        self._audit_disclosure("ask", result.evidence, grant, backend, redacting, remote)
        return self._challenge(question, result, when) if challenge and grant is None else result

    def _challenge(self, question: str, result: Answer, when: datetime | None) -> Answer:
        from knowme.assist.challenge import counterpoint, is_advice
        from knowme.persona.feedback import user_names

        if not is_advice(question):
            return result
        hits = self.search(f"{question} lesson learned regret in hindsight next time", k=20, as_of=when)
        point = counterpoint(question, hits, self.preferences(), user_names=user_names(self.store))
        if point is None:
            return result
        return replace(result, counterpoint=point.text, counterpoint_refs=list(point.refs))

    def ask_stream(
        self,
        question: str,
        as_of: DateLike | None = None,
        *,
        k: int = ASK_CANDIDATES,
        budget: int | None = None,
        grant: Grant | None = None,
    ) -> Iterator[AnswerEvent]:
        """:meth:`ask` as events: ``("evidence", hits)``, ``("delta", text)``..., then ``("answer", Answer)``."""
        when = parse_when(as_of)
        exact = self.graph_answer(question, as_of=when) if grant is None else None
        if exact is not None:
            exact = replace(exact, preferences=self.applicable_preferences(question))
            yield "evidence", exact.evidence
            yield "delta", exact.text
            yield "answer", exact
            return
        pack, backend, redacting, remote = self._answer_plan(question, when, k, budget, grant)
        for event, data in stream_answer(question, pack, backend, today=when or datetime.now(local_tz())):
            if event == "answer":
                self._audit_disclosure("ask", data.evidence, grant, backend, redacting, remote)
            yield event, data

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

    def _person_names(self) -> list[str]:
        """Names and nicknames of the people in the knowledge graph (for redaction)."""
        if not isinstance(self.store, PortableStore):
            return []
        people = {row["id"]: row["name"] for row in self.store.export_rows("entities") if row["type"] == "person"}
        aliases = [
            row["alias"]
            for row in self.store.export_rows("entity_aliases")
            if row["entity_id"] in people and row["alias_kind"] in ("name", "nickname")
        ]
        return [*people.values(), *aliases]

    def merge_people(self, keep: str, drop: str) -> str:
        """Join ``drop`` into ``keep`` (kept across later ingests); returns the kept person's name."""
        from knowme.graph import views

        return views.merge_people(self.store, keep, drop).name

    def split_person(self, name: str, alias: str) -> str:
        """Move ``alias`` off ``name`` into a person of its own; returns the new person's name."""
        from knowme.graph import views

        return views.split_person(self.store, name, alias).name

    # -- knowing the person -------------------------------------------------------------------------------------
    def digest(self, as_of: DateLike | None = None, days: int = 7) -> Digest:
        """Birthdays, due commitments, mail awaiting a reply and events to prepare from ``as_of`` (default today)
        to ``days`` later, each with the refs of the records behind it."""
        from knowme.persona.digest import build_digest

        when = parse_when(as_of) or datetime.now(local_tz())
        return build_digest(self.store, when.date(), days)

    def prefer(
        self,
        statement: str,
        *,
        avoid: bool = False,
        scope: str | None = None,
        strength: float = 1.0,
        polarity: str | None = None,
    ) -> Preference:
        """Record a standing preference or rule the user states ("never book meetings before 10:00"); the scope is
        guessed from the words unless given."""
        from knowme.persona.prefs import make_preference

        pref = make_preference(statement, avoid=avoid, scope=scope, strength=strength, polarity=polarity)
        with self.store.transaction():
            self.store.persona().put_preference(pref)
        return pref

    def preferences(self, *, include_inactive: bool = False) -> list[Preference]:
        """Stated preferences, those inferred from the user's own words (diet, likes, dislikes) and those learned
        from feedback."""
        from knowme.persona.prefs import all_preferences

        return all_preferences(self.store, include_inactive=include_inactive)

    def applicable_preferences(self, question: str, *, limit: int = 5) -> list[Preference]:
        """The active preferences that bear on ``question`` (same scope, or a shared word), strongest first."""
        from knowme.persona.prefs import applicable

        return applicable(self.preferences(), question, limit=limit)

    def edit_preference(
        self,
        preference_id: str,
        *,
        statement: str | None = None,
        scope: str | None = None,
        strength: float | None = None,
        active: bool | None = None,
    ) -> Preference:
        """Change a preference (an inferred one keeps its source; the edit is stored beside it)."""
        from knowme.persona.prefs import find_preference

        pref = find_preference(self.store, preference_id)
        if strength is not None and not 0.0 <= strength <= 1.0:
            raise ConfigError(f"strength must be between 0 and 1, not {strength}")
        changed = replace(
            pref,
            statement=" ".join(statement.split()) if statement else pref.statement,
            scope=scope.strip().lower() if scope else pref.scope,
            strength=pref.strength if strength is None else strength,
            active=pref.active if active is None else active,
        )
        with self.store.transaction():
            self.store.persona().put_preference(changed)
        return changed

    def remove_preference(self, preference_id: str) -> Preference:
        """Delete a stated or learned preference; an inferred one is hidden (its source record stays)."""
        from knowme.persona.prefs import find_preference

        pref = find_preference(self.store, preference_id)
        if pref.origin == "inferred":
            return self.edit_preference(preference_id, active=False)
        with self.store.transaction():
            self.store.persona().delete_preference(preference_id)
        return pref

    def feedback(
        self,
        ref: str,
        *,
        rating: int | None = None,
        correction: str | None = None,
        query: str | None = None,
        target_type: str = "hit",
        as_of: DateLike | None = None,
    ) -> Feedback:
        """Rate (+1/-1) or correct what knowme showed: a rating on a hit trains the re-ranker (pass the ``query`` it
        was shown for, so its rank and recency count); a correction becomes a rule or a fact, with this feedback as
        its provenance."""
        from knowme.persona import feedback as fb
        from knowme.persona.model import Feedback
        from knowme.persona.prefs import make_preference

        if rating is None and not (correction or "").strip():
            raise ConfigError("give a --rating (+1 or -1) or a --correction")
        if rating is not None and rating not in (1, -1):
            raise ConfigError(f"a rating is +1 or -1, not {rating}")
        if target_type not in fb.TARGET_TYPES:
            raise ConfigError(f"unknown feedback target {target_type!r}; use one of {', '.join(fb.TARGET_TYPES)}")
        if target_type == "hit" and not self.store.records_by_ref(ref):
            raise ConfigError(f"no record {ref!r} in the vault; rate a ref that search or ask showed")
        now = datetime.now(local_tz()).replace(microsecond=0)
        fid = "f" + stable_hash(ref, str(rating), correction or "", now.isoformat(), length=12)
        detail: dict[str, object] = {}
        if query:
            detail["query"] = query
        if rating is not None and target_type == "hit":
            shown = self.search(query, k=40, as_of=as_of, personalize=False) if query else None
            features = fb.features_for(self.store, ref, shown)
            reranker = fb.load_reranker(self.store)
            reranker.update(features, rating)
            fb.save_reranker(self.store, reranker)
            detail["features"] = features
        text = " ".join((correction or "").split())
        if text and fb.reads_as_rule(text):
            pref = make_preference(text, origin="feedback", strength=0.8, provenance={"feedback": fid, "ref": ref})
            with self.store.transaction():
                self.store.persona().put_preference(pref)
            detail["preference"] = pref.id
        elif text:
            record = self.remember(text, title=f"Correction to {ref}", source="feedback",
                                   meta={"feedback": fid, "corrects": ref})  # fmt: skip
            self._update_graph([record])
            detail["record"] = record.ref
            detail["facts"] = sorted(self.store.graph().supported_by("fact", [record.id]))
        item = Feedback(fid, target_type, ref, rating, text or None, now.isoformat(), detail)
        with self.store.transaction():
            self.store.persona().add_feedback(item)
        return item

    def reset_feedback(self) -> int:
        """Forget the re-ranker and the ratings that trained it (corrections and what they became stay); return how
        many ratings went."""
        from knowme.persona.rerank import META_KEY

        with self.store.transaction():
            self.store.set_meta(META_KEY, "")
            return self.store.persona().clear_ratings()

    def style(self, recipient: str | None = None) -> StyleProfile:
        """The user's writing style from their sent mail and chat lines; with ``recipient`` (a name or address),
        the style they use with that person when there are enough examples."""
        from knowme.persona.style import learn_style, sent_messages, style_for

        messages = sent_messages(self.store)
        return style_for(messages, recipient) if recipient else learn_style(messages)

    def draft(self, reply_to: str, intent: str, *, phrase: bool = False) -> Draft:
        """A reply to the email or chat message ``reply_to`` that does ``intent``, in the user's voice, grounded in
        the thread and open commitments; ``phrase=True`` lets the configured chat model reword it. The draft is
        checked against the user's applicable rules (``Draft.compliance``)."""
        from knowme.assist.draft import draft_reply
        from knowme.persona.style import sent_messages

        records = self.store.records_by_ref(reply_to)
        if not records:
            raise ConfigError(f"no record {reply_to!r} in the vault; use a ref from search")
        backend = self.phrasing_backend() if phrase else None
        rules = self.applicable_preferences(f"{intent} (a reply message)")  # writing rules, and what the intent touches
        return draft_reply(self.store, records[-1], intent, sent_messages(self.store), backend=backend,
                           preferences=rules)  # fmt: skip

    def suggest_slots(
        self,
        duration: timedelta | str = "45m",
        within: timedelta | str = "7d",
        *,
        start: DateLike | None = None,
        with_person: str | None = None,
        limit: int = 5,
        purpose: str = "meeting",
    ) -> list[Slot]:
        """Free times of ``duration`` in the next ``within`` (from ``start``, default now) that respect the
        calendar, the user's scheduling rules and their energy pattern (a ``meeting`` keeps their best hours free,
        ``focus`` time takes them), each with its reason; ``with_person`` is named in them."""
        from knowme.graph.views import find_entity
        from knowme.persona.energy import learn_energy
        from knowme.persona.slots import parse_span, suggest_slots

        begin = parse_when(start, end_of_day=False) or datetime.now(local_tz()).replace(second=0, microsecond=0)
        people = (find_entity(self.store, with_person).name,) if with_person else ()
        energy = learn_energy(self.store, until=begin, zone=begin.tzinfo)
        slots, _ = suggest_slots(
            self.store, self.preferences(), start=begin, duration=parse_span(duration),
            within=parse_span(within), limit=limit, people=people, purpose=purpose, energy=energy,
        )  # fmt: skip
        return slots

    # -- records ---------------------------------------------------------------------------------------------
    def records(self, ref: str, *, grant: Grant | None = None) -> list[Record]:
        """The stored records behind a source-native reference (several for a recurring event), oldest first.

        With ``grant``, only records the grant may see (none: as if the ref did not exist), and the disclosure is
        written to the audit log."""
        found = self.store.records_by_ref(ref)
        return self._granted_records("record", found, grant) if grant is not None else found

    def recent(
        self,
        limit: int = 20,
        *,
        kinds: Sequence[str] = (),
        until: DateLike | None = None,
        grant: Grant | None = None,
    ) -> list[Record]:
        """The ``limit`` newest dated records (optionally of ``kinds``, at or before ``until``), newest first; with
        ``grant``, only those of the grant's kinds and sensitive classes (audited)."""
        if grant is None:
            return self.store.recent_records(limit, kinds=tuple(kinds), until=parse_when(until))
        allowed = [kind for kind in (kinds or grant.kinds) if kind in grant.kinds]
        if not allowed:
            return []
        found = self.store.recent_records(4 * limit, kinds=tuple(allowed), until=parse_when(until))
        return self._granted_records("recent", found, grant)[:limit]

    def _granted_records(self, action: str, records: Sequence[Record], grant: Grant) -> list[Record]:
        shown = [r for r in records if grant.allows(r.kind, f"{r.title}\n{r.text}")]
        if shown:
            refs = list(dict.fromkeys(r.ref for r in shown))
            self._audit(grant.client, action, {"grant": grant.id, "refs": refs, "records": len(shown)})
        return shown

    def remember(
        self, text: str, *, title: str = "", source: str = "remembered", meta: Mapping[str, object] | None = None
    ) -> Record:
        """Store ``text`` the user stated as a note (``note:remembered/<time>-<hash>``), indexed for search; ``meta``
        adds to the record's meta (feedback notes name the feedback)."""
        body = text.strip()
        if not body:
            raise ConfigError("nothing to remember: the text is empty")
        now = datetime.now(local_tz())  # full precision: newer than a file written earlier in the same second
        digest = stable_hash(source, now.replace(microsecond=0).isoformat(), body, length=12)
        record = Record(
            source=source,
            kind="note",
            native_id=digest,
            ref=f"note:remembered/{now.strftime('%Y%m%dT%H%M%S')}-{digest[:8]}",
            text=body,
            title=title.strip() or body.splitlines()[0][:80],
            timestamp=now,
            meta={"origin": source, **(meta or {})},
        )
        chunks = chunk_record(record)
        vectors = self.embedder.embed([c.index_text for c in chunks], batch_size=self.settings.embedder.batch_size)
        with self.store.transaction():
            self.store.upsert_record(record, chunks, vectors)
        self._update_graph([record])  # a remembered fact ("my sister moved to Porto") reaches the graph too
        return record

    # -- registered sources ------------------------------------------------------------------------------------
    def add_source(
        self,
        target: str | os.PathLike[str],
        *,
        name: str | None = None,
        user: str | None = None,
        password_env: str | None = None,
        on_delete: str = "mark",
        insecure: bool = False,
    ) -> SourceEntry:
        """Register a folder, file or ``imap://``, ``caldav+http(s)://``, ``carddav+http(s)://`` URI to keep in sync.
        ``insecure`` allows a cleartext connection (no TLS) to a loopback or test host only.

        ``on_delete`` says what a sync does with items deleted at the source: ``mark`` keeps them (viewable by ref and
        exported, marked ``deleted_at_source``, out of search, answers and the digest; back if they reappear),
        ``forget`` forgets them and everything derived from them."""
        from knowme.sources.registry import make_entry

        taken = {e.name for e in self.store.list_sources()}
        entry = make_entry(
            os.fspath(target), name=name, user=user, password_env=password_env, on_delete=on_delete, taken=taken,
            insecure=insecure,
        )  # fmt: skip
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
        reports = sync_all(
            self.store,
            self.embedder,
            entries,
            connector_for,
            progress=progress,
            on_batch=self._update_graph,
            batch_size=self.settings.embedder.batch_size,
        )
        self._settle_money(force=any(r.removed for r in reports))
        return reports

    # -- overview ----------------------------------------------------------------------------------------------
    def stats(self) -> dict[str, object]:
        return {
            "home": str(self.home),
            "records": self.store.counts(),
            "chunks": self.store.chunk_count(),
            "vault_bytes": self.store.size_bytes(),
        }

    # -- forget ------------------------------------------------------------------------------------------------
    def forget(
        self,
        *,
        ref: str | Sequence[str] | None = None,
        source: str | os.PathLike[str] | None = None,
        person: str | None = None,
        before: DateLike | None = None,
        query: str | None = None,
        dry_run: bool = False,
    ) -> ForgetResult:
        """Remove matching records and everything derived from them, for good (see :mod:`knowme.privacy.forget`).

        Criteria combine with AND. ``dry_run`` returns the same preview without changing anything.
        """
        from knowme.privacy.forget import forget

        result = forget(
            self._forgetting(),
            self.home,
            ref=ref,
            source=source,
            person=person,
            before=parse_when(before, end_of_day=False),
            query=query,
            dry_run=dry_run,
        )
        if not dry_run and not result.empty:
            self._audit("owner", "forget", {"counts": result.counts.as_dict()})
            self._settle_money(force=True)
        if not dry_run and result.records:
            from knowme.learn.voice import on_forget

            on_forget(self.store, [r.content_hash for r in result.records])  # stale shards wait for a retrain
        return result

    def _forgetting(self) -> ForgettingStore:
        if not isinstance(self.store, ForgettingStore):
            raise ConfigError(f"the {type(self.store).__name__} store cannot forget")
        return self.store

    # -- keys --------------------------------------------------------------------------------------------------
    def change_passphrase(self, new_passphrase: str, *, on_step: StepHook | None = None) -> None:
        """Re-encrypt the vault under ``new_passphrase``, in place and safely if interrupted; updates the keyring
        entry if the vault has one. ``on_step(name)`` is told each step (``pending``, ``rekeyed``, ``committed``)."""
        if not isinstance(self.store, SQLCipherStore):
            raise ConfigError(f"the {type(self.store).__name__} store cannot change its key here")
        change_passphrase(self.home, self.store, new_passphrase, on_step=on_step)

    def lock(self) -> bool:
        """Remove the passphrase from the OS keyring (later opens need KNOWME_PASSPHRASE or a prompt)."""
        return keyring_delete(self.home)

    def unlock(self, passphrase: str) -> None:
        """Keep ``passphrase`` in the OS keyring, after checking that it opens this vault."""
        unlock_key(self.home, passphrase, self.home / VAULT_FILE)
        keyring_set(self.home, passphrase)

    @property
    def unlocked(self) -> bool:
        """Whether the OS keyring holds this vault's passphrase."""
        return keyring_get(self.home) is not None

    # -- export and import -------------------------------------------------------------------------------------
    def export(
        self,
        path: str | os.PathLike[str],
        *,
        format: str = "json",  # noqa: A002 - the CLI option's name
        passphrase: str | None = None,
    ) -> ExportReport:
        """Write the whole knowledge graph to ``path``: ``json`` (the documented zip of JSON Lines), ``jsonld`` or
        ``turtle`` (RDF); with ``passphrase`` the file is encrypted (Argon2id + AES-256-GCM)."""
        from knowme.privacy.export import export_vault

        report = export_vault(
            self.store, Path(path).expanduser(), embedder=self.embedder.name, fmt=format, passphrase=passphrase
        )
        self._audit("owner", "export", {**report.as_dict(), "path": str(Path(report.path).resolve())})
        return report

    def import_file(self, path: str | os.PathLike[str], *, passphrase: str | None = None) -> ImportReport:
        """Restore a knowme export (``passphrase`` for an encrypted one), or bring in another assistant's export
        (ChatGPT: conversations and what it remembered) or any file ``ingest`` reads."""
        from knowme.errors import PassphraseMissing
        from knowme.privacy import envelope
        from knowme.privacy.export import ImportReport, import_archive, is_knowme_export

        source = Path(path).expanduser()
        if not source.exists():
            raise IngestError(f"{source}: no such file or folder")
        data = source.read_bytes() if source.is_file() else b""
        if data and is_knowme_export(data):
            if envelope.is_encrypted(data[:64]):
                if passphrase is None:
                    raise PassphraseMissing(f"{source} is encrypted: give the export passphrase")
                data = envelope.decrypt(data, passphrase)
            return import_archive(self.store, self.embedder, data, path=str(source))
        ingested = self.ingest(source)
        report = ImportReport(path=str(source), kind="ingest", records=ingested.total)
        from knowme.connectors.base import LIKELY
        from knowme.connectors.chats import ChatGPTConnector

        if source.is_file() and ChatGPTConnector.sniff(source) >= LIKELY and isinstance(self.store, PortableStore):
            from knowme.privacy.assistants import chatgpt_memories

            report.kind = "chatgpt"
            report.rows["preferences"] = self.store.import_rows("preferences", chatgpt_memories(source))
        if ingested.total == 0 and (ingested.problems or ingested.skipped_paths):
            reasons = "; ".join(p.reason for p in [*ingested.skipped_paths, *ingested.problems][:3])
            raise IngestError(f"{source}: nothing could be imported ({reasons})")
        return report

    # -- grants and audit --------------------------------------------------------------------------------------
    def _governance(self) -> GovernanceStore:
        if not isinstance(self.store, GovernanceStore):
            raise ConfigError(f"the {type(self.store).__name__} store keeps no grants")
        return self.store

    def grant(
        self, client: str, scopes: str | Sequence[str], *, expires: str | timedelta | datetime | None = "30d"
    ) -> tuple[Grant, str]:
        """Let ``client`` read ``scopes`` until ``expires`` (``30d``, ``never``, a date...). Returns the grant and its
        token: show the token once, it is stored only as a hash."""
        from knowme.privacy.grants import Grant, new_token, parse_expiry, parse_scopes, token_hash

        if not client.strip():
            raise ConfigError("a grant needs a client name")
        now = datetime.now(UTC)
        ident = stable_hash(client, now.isoformat(), new_token(), length=12)
        grant = Grant(ident, client.strip(), parse_scopes(scopes), now, parse_expiry(expires, now))
        token = new_token()
        self._governance().save_grant(grant, token_hash(token))
        self._audit("owner", "grant.add", {"grant": grant.id, "client": grant.client, "scopes": list(grant.scopes)})
        return grant, token

    def grants(self) -> list[Grant]:
        return self._governance().grants()

    def revoke(self, id_or_client: str) -> list[Grant]:
        """Revoke a grant by id, or every active grant of a client."""
        gone = self._governance().revoke_grants(id_or_client, datetime.now(UTC))
        for grant in gone:
            self._audit("owner", "grant.revoke", {"grant": grant.id, "client": grant.client})
        return gone

    def check_grant(self, token: str) -> Grant:
        """The active grant a client's token stands for; :class:`AccessDenied` if unknown, expired or revoked."""
        from knowme.privacy.grants import token_hash

        grant = self._governance().grant_for_token(token_hash(token or ""))
        if grant is None:
            raise AccessDenied("unknown token: ask the vault owner for a grant (knowme grant add CLIENT --scopes ...)")
        if not grant.active():
            raise AccessDenied(f"the grant for {grant.client} is {grant.status()}; ask the vault owner for a new one")
        return grant

    def audit(self, *, actor: str | None = None, limit: int | None = None) -> list[AuditEvent]:
        """The audit log, oldest first: what was disclosed to whom, under which grant, when."""
        return self._governance().audit_events(actor=actor, limit=limit)

    def _audit(self, actor: str, action: str, detail: dict[str, object]) -> None:
        from knowme.privacy.grants import AuditEvent

        if isinstance(self.store, GovernanceStore):
            self.store.append_audit(AuditEvent(datetime.now(UTC), actor, action, detail))

    def _disclose(self, actor: str, action: str, hits: Sequence[Hit], *, grant: Grant | None, **extra: object) -> None:
        refs = list(dict.fromkeys(h.ref for h in hits))
        self._audit(actor, action, {"grant": grant.id if grant else None, "refs": refs, "passages": len(hits), **extra})

    def _granted_search(
        self, query: str, k: int, grant: Grant, *, kinds: Sequence[str] = (), **options: Any
    ) -> list[Hit]:
        return self._granted_result(query, k, grant, kinds=kinds, **options)[0]

    def _granted_result(
        self, query: str, k: int, grant: Grant, *, kinds: Sequence[str] = (), **options: Any
    ) -> tuple[list[Hit], float]:
        """What ``grant`` may see of the search, and the "found" signal of what it may see (never a bare 1.0)."""
        from knowme.privacy.grants import filter_hits

        current = next((g for g in self._governance().grants() if g.id == grant.id), None)
        if current is None or not current.active():
            raise AccessDenied(f"the grant for {grant.client} is no longer active")
        allowed = [kind for kind in (kinds or current.kinds) if kind in current.kinds]
        if not allowed:
            return [], 0.0
        with uncached_queries():  # no timing of the owner's searches through the query cache
            result = self.search_result(query, k=max(4 * k, 40), kinds=allowed, **options)
        hits = filter_hits(result.hits, current)[:k]
        return hits, shown_found(result, hits)

    # -- learning (knowme.learn) -------------------------------------------------------------------------------
    def learn_voice(
        self,
        *,
        method: str = "lora",
        shards: int = 4,
        max_steps: int | None = None,
        max_minutes: float | None = None,
        resume: bool = True,
        progress: ProgressHook | None = None,
        **options: Any,
    ) -> LearnReport:
        """Fine-tune the voice adapter on the user's own writing, within the budget (see :mod:`knowme.learn.voice`);
        ``resume`` keeps every valid checkpoint (interrupted runs continue, only stale shards retrain)."""
        from knowme.learn.voice import learn_voice

        report = learn_voice(self.store, method=method, shards=shards, max_steps=max_steps, max_minutes=max_minutes,
                             resume=resume, progress=progress, **options)  # fmt: skip
        self._audit("owner", "learn_voice", {"method": method, "steps": report.steps, "records": report.records})
        return report

    def learn_status(self) -> LearnStatus:
        """The voice adapter's shards, what is stale, and the check that no adapter in use saw a forgotten record."""
        from knowme.learn.voice import learn_status

        return learn_status(self.store)

    def phrasing_backend(self) -> ChatBackend:
        """The model that rewords drafts: the voice adapter when one is in use and the configured backend is the
        embedded default (see :mod:`knowme.learn.generate`), else the configured backend."""
        backend = self.backend
        if backend.name == "embedded":
            from knowme.learn.generate import adapted_backend

            return adapted_backend(self.store) or backend
        return backend

    def export_adapter(self, folder: str | os.PathLike[str]) -> list[Path]:
        """Write the voice adapter in use as a standard PEFT folder: adapter_config.json, adapter_model.safetensors."""
        from knowme.learn.voice import export_adapter

        written = export_adapter(self.store, Path(folder).expanduser())
        self._audit("owner", "export_adapter", {"path": str(Path(folder).expanduser().resolve())})
        return written


def vault_exists(home: str | os.PathLike[str] | None = None) -> bool:
    return (user_dir(home) / VAULT_FILE).exists()


def create(home: str | os.PathLike[str] | None = None, passphrase: str | None = None) -> Vault:
    """Make a new, empty vault; refuse if one exists."""
    from knowme.store.choose import refuse_in_service_mode

    refuse_in_service_mode("creating a vault")
    folder = user_dir(home)
    if (folder / VAULT_FILE).exists():
        raise VaultExists(f"a vault already exists in {folder}")
    return open(folder, passphrase)


def open(  # noqa: A001 - the documented API name
    home: str | os.PathLike[str] | None = None, passphrase: str | None = None, *, create: bool = True
) -> Vault:
    """Open the vault in ``home`` (default ``KNOWME_HOME``), creating it on first use unless ``create=False``.

    With ``KNOWME_STORE=postgresql://...`` and ``KNOWME_USER`` set, open that user's data in the vault service
    instead (see docs/service.md); ``home`` then only holds settings, and no passphrase is needed.
    """
    folder = user_dir(home)
    settings = load_settings(folder)
    from knowme.store.choose import service_store

    served = service_store(lambda: make_embedder(settings))
    if served is not None:
        _checked(served[0], served[1])
        return Vault(folder, served[0], served[1], settings)
    db = folder / VAULT_FILE
    keyfile = folder / KEY_FILE
    if db.exists() and not keyfile.exists():
        raise VaultCorrupt(f"{keyfile} is missing: the vault in {folder} cannot be opened without it")
    if keyfile.exists():
        key = unlock_key(folder, resolve_passphrase(folder, passphrase, creating=False), db)
    elif not create:
        raise VaultNotFound(f"no vault in {folder}; create one with `knowme init`")
    else:
        folder.mkdir(parents=True, exist_ok=True)
        os.chmod(folder, 0o700)
        key = create_key_file(folder, resolve_passphrase(folder, passphrase, creating=True))
    embedder = make_embedder(settings)
    store = SQLCipherStore(db, key, dim=embedder.dim)
    _checked(store, embedder)
    return Vault(folder, store, embedder, settings)


def _checked(store: Store, embedder: Embedder) -> None:
    try:
        check_embedder(store, embedder)
    except ConfigError:
        store.close()
        raise
