"""The ask pipeline: from a question to a cited answer, in the order the design gives.

1. **Exact** (:mod:`knowme.assist.exact`): what the knowledge graph settles is answered from it, cited.
2. **Candidates**: the owner's search with the reranker (:class:`knowme.retrieve.searcher.Searcher`), or a grant's
   search (:class:`knowme.privacy.governance.Grants`), and, for the owner, the graph's facts about the people the
   question names (:func:`knowme.graph.context.entity_passages`). The found signal is the mean of the search's and
   the reranker's (docs/retrieval.md).
3. **Egress** (:mod:`knowme.privacy.egress`): for a model outside knowme, passages outside its scopes dropped and
   identifiers redacted; preferences touching a sensitive class kept home.
4. **Pack and answer** (:mod:`knowme.assist.ask`): the cited context pack within the token budget, the model's
   reply, its citations and the user's applicable rules enforced.
5. **Audit**: what a client or an outside model was shown goes to the audit log.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import datetime

from knowme.assist.ask import AnswerEvent, ContextPack, build_context, stream_answer
from knowme.assist.ask import answer as compose_answer
from knowme.assist.challenge import counterpoint, is_advice
from knowme.assist.exact import graph_answer
from knowme.graph.context import entity_passages
from knowme.llm.base import ChatBackend
from knowme.models import Answer, Hit
from knowme.models.governance import Grant
from knowme.parts import Parts
from knowme.persona.service import Persona
from knowme.privacy.egress import Outbound, outbound, preferences_out
from knowme.privacy.governance import Grants
from knowme.retrieve.abstain import found
from knowme.retrieve.searcher import Searcher
from knowme.text.when import DateLike, local_tz, parse_when

#: Passages ask considers; the pack takes them in rank order until its token budget is full.
ASK_CANDIDATES = 40


class AskPipeline:
    def __init__(
        self, parts: Parts, *, searcher: Searcher, grants: Grants, persona: Persona, backend: Callable[[], ChatBackend]
    ) -> None:
        self.parts = parts
        self.searcher = searcher
        self.grants = grants
        self.persona = persona
        self.backend = backend

    def exact(self, question: str, as_of: DateLike | None = None) -> Answer | None:
        """An exact, cited answer from the knowledge graph, or None when the graph cannot settle the question."""
        today = parse_when(as_of) or datetime.now(local_tz())
        return graph_answer(self.parts.store, question, today=today)

    def ask(
        self, question: str, as_of: DateLike | None = None, *, k: int = ASK_CANDIDATES, budget: int | None = None,
        grant: Grant | None = None, challenge: bool = False,
    ) -> Answer:  # fmt: skip
        """Answer ``question`` with citations; the graph first, the owner's only (a grant never reads the graph)."""
        when = parse_when(as_of)
        exact = self._exact_with_rules(question, when) if grant is None else None
        if exact is not None:
            return exact
        pack, out = self._plan(question, when, k, budget, grant)
        result = compose_answer(question, pack, out.backend, today=when or datetime.now(local_tz()))
        out.audit(self.grants, "ask", result.evidence, grant)
        return self._challenge(question, result, when) if challenge and grant is None else result

    def stream(
        self, question: str, as_of: DateLike | None = None, *, k: int = ASK_CANDIDATES, budget: int | None = None,
        grant: Grant | None = None,
    ) -> Iterator[AnswerEvent]:  # fmt: skip
        """:meth:`ask` as events: ``("evidence", hits)``, ``("delta", text)``..., then ``("answer", Answer)``."""
        when = parse_when(as_of)
        exact = self._exact_with_rules(question, when) if grant is None else None
        if exact is not None:
            yield "evidence", exact.evidence
            yield "delta", exact.text
            yield "answer", exact
            return
        pack, out = self._plan(question, when, k, budget, grant)
        for event, data in stream_answer(question, pack, out.backend, today=when or datetime.now(local_tz())):
            if event == "answer":
                out.audit(self.grants, "ask", data.evidence, grant)
            yield event, data

    def context(
        self, question: str, as_of: DateLike | None = None, *, k: int = ASK_CANDIDATES, budget: int | None = None,
        grant: Grant | None = None,
    ) -> ContextPack:  # fmt: skip
        """The cited context pack ``ask`` hands the model: the best passages for ``question`` within ``budget``."""
        hits, signal = self._candidates(question, parse_when(as_of), k, grant)
        pack = build_context(hits, budget or self.parts.settings.search.context_tokens, found=signal)
        return pack if grant is not None else replace(pack, preferences=tuple(self.persona.applicable(question)))

    def lend(self, question: str, *, k: int = 12, grant: Grant | None = None) -> tuple[ContextPack, ChatBackend]:
        """The cited context (and applicable preferences) for a conversation another app sends through the
        OpenAI-compatible proxy, and the backend to forward it to: the same egress policy and redaction as
        :meth:`ask`; the disclosure is audited under the grant's client, else the model."""
        pack, out = self._plan(question, None, k, None, grant)
        out.audit(self.grants, "chat", pack.passages, grant)
        return pack, out.backend

    # -- the steps -----------------------------------------------------------------------------------------
    def _exact_with_rules(self, question: str, when: datetime | None) -> Answer | None:
        exact = self.exact(question, as_of=when)
        return replace(exact, preferences=self.persona.applicable(question)) if exact is not None else None

    def _candidates(self, question: str, when: datetime | None, k: int, grant: Grant | None) -> tuple[list[Hit], float]:
        if grant is not None:  # a client sees only its grant's scopes, and no graph facts (they may be sensitive)
            return self.grants.search(self.searcher.result, question, k, grant, as_of=when, rerank=True)
        result = self.searcher.result(question, k=k, as_of=when, rerank=True)
        hits = result.hits
        if self.parts.settings.graph.enabled:
            hits = [*entity_passages(self.parts.store, question, when), *hits]
        # The reranker's signal tells a question about things the vault never mentions from one it answers far
        # better (ROC AUC 0.998 against 0.92 on LoCoMo) but misjudges a paraphrase or "my brother" for his name on
        # mixed sources; their mean keeps most of the first and none of those refusals (docs/retrieval.md).
        signal = found(result.signals)
        return hits, signal if result.found is None else (signal + result.found) / 2

    def _plan(
        self, question: str, when: datetime | None, k: int, budget: int | None, grant: Grant | None
    ) -> tuple[ContextPack, Outbound]:
        """The pack and the backend to phrase it, after the egress policy for a model outside knowme."""
        backend = self.backend()
        settings = self.parts.settings
        budget = budget or settings.search.context_tokens
        if backend.context_tokens is not None:
            budget = min(budget, backend.context_tokens)
        hits, signal = self._candidates(question, when, k, grant)
        hits, out = outbound(backend, hits, settings, self.parts.store)
        pack = build_context(hits, budget, found=signal)
        if grant is None:  # the user's own standing preferences; a client under a grant does not see them
            sent, home = preferences_out(self.persona.applicable(question), settings, remote=out.remote)
            pack = replace(pack, preferences=sent, withheld=home if out.remote else pack.withheld)
        return pack, out

    def _challenge(self, question: str, result: Answer, when: datetime | None) -> Answer:
        if not is_advice(question):
            return result
        hits = self.searcher.hits(f"{question} lesson learned regret in hindsight next time", k=20, as_of=when)
        point = counterpoint(question, hits, self.persona.preferences(), user_names=self.persona.user_names())
        if point is None:
            return result
        return replace(result, counterpoint=point.text, counterpoint_refs=list(point.refs))
