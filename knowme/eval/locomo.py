"""The LoCoMo long-conversation benchmark, measured turn by turn through knowme's own ingest and search.

Each LoCoMo conversation (``conv-*.json``: ``speaker_a``/``speaker_b``, ``session_K`` turn lists with their
``session_K_date_time``, and ``qa`` with evidence ``dia_id``s) is written as a ``*.chat.jsonl`` transcript (one
conversation per session, message ids are the ``dia_id``s, a turn's time is its session's time plus one second per
turn so order is kept, shared-photo captions kept as ``caption``) and ingested into a fresh vault through the normal
path. The annotation fields (observations, summaries, events) are never read: they were written from the answers.

Every question is asked through :meth:`knowme.Vault.search` and scored against its evidence turns:
``any@k``/``all@k`` (one / every evidence turn among the top k distinct refs), NDCG@10 (binary gains), MRR, and
budget recall (every evidence turn inside the context pack :meth:`knowme.Vault.context` builds for ``ask`` under a
1,000-token budget). Category 5 questions (adversarial: they presume something never said) have no evidence to
find; they measure the "not found" signal instead. Evidence ids are normalised (``D8:6; D9:17`` lists, leading
zeros); ids that name no turn of the conversation are dropped and counted, and a question left with no evidence is
skipped and counted.
"""

from __future__ import annotations

import json
import math
import re
import statistics
import time
import weakref
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from dateutil import parser as dateparser

from knowme.assist.ask import build_context
from knowme.assist.pipeline import ASK_CANDIDATES
from knowme.errors import ConfigError
from knowme.opening import create, vault_exists
from knowme.opening import open as open_vault
from knowme.retrieve.abstain import NOT_FOUND_BELOW

CATEGORIES = {1: "multi-hop", 2: "temporal", 3: "open-domain", 4: "single-hop", 5: "adversarial"}
KS = (1, 5, 10)
NDCG_K = 10
SEARCH_DEPTH = 50
BUDGET_TOKENS = 1000
UNRELATED_PER_VAULT = 40
PASSPHRASE = "knowme-eval"  # throwaway vaults holding public benchmark data

_DIA = re.compile(r"D(\d+):(\d+)")
_SESSION = re.compile(r"session_(\d+)$")


@dataclass(frozen=True)
class Question:
    conversation: str
    index: int
    question: str
    category: int | str  # LoCoMo's number, or a label (``knowme eval refs``)
    evidence: tuple[str, ...]  # refs: chat:D1:3; none = nothing answers it
    as_of: datetime | None = None  # ask as of this moment (default: now)


@dataclass
class Conversation:
    name: str
    turns: int
    questions: list[Question]
    dropped_evidence: int = 0
    questions_without_evidence: int = 0


def normalise_dia_id(raw: str) -> str | None:
    match = _DIA.fullmatch(raw.strip())
    if match is None:
        return None
    return f"D{int(match.group(1))}:{int(match.group(2))}"


def parse_session_time(value: str) -> datetime:
    """``"1:47 pm on 18 May, 2023"`` as an aware datetime (UTC: the data carries no zone)."""
    try:
        when = datetime.strptime(value.strip(), "%I:%M %p on %d %B, %Y")
    except ValueError:
        try:
            when = dateparser.parse(value.replace(" on ", " "), fuzzy=True)
        except (ValueError, OverflowError) as exc:
            raise ConfigError(f"cannot read the session time {value!r}") from exc
    return when.replace(tzinfo=UTC)


def convert(path: Path, out_dir: Path) -> Conversation:
    """Write ``path`` (a LoCoMo conversation) as ``<out_dir>/<name>.chat.jsonl`` and read its questions."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{path}: not a readable LoCoMo conversation ({exc})") from exc
    if isinstance(data, dict) and "conversation" in data:  # the released locomo10.json wraps each one
        data = {**data["conversation"], "qa": data.get("qa", [])}
    if not isinstance(data, dict) or "qa" not in data:
        raise ConfigError(f"{path}: not a LoCoMo conversation (no 'qa')")
    name = path.stem
    lines: list[str] = []
    known: set[str] = set()
    sessions = sorted(
        (int(m.group(1)), key) for key in data if (m := _SESSION.match(key)) and isinstance(data[key], list)
    )
    for number, key in sessions:
        start = parse_session_time(str(data.get(f"{key}_date_time", "")))
        for offset, turn in enumerate(data[key]):
            dia_id = normalise_dia_id(str(turn.get("dia_id", "")))
            if dia_id is None:
                continue
            known.add(dia_id)
            line: dict[str, Any] = {
                "conversation": f"{name} session {number}",
                "id": dia_id,
                "time": (start + timedelta(seconds=offset)).isoformat(),
                "speaker": str(turn.get("speaker", "")),
                "text": str(turn.get("text", "")),
            }
            if turn.get("blip_caption"):
                line["caption"] = str(turn["blip_caption"])
            lines.append(json.dumps(line, ensure_ascii=False))
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / f"{name}.chat.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")

    conversation = Conversation(name=name, turns=len(lines), questions=[])
    for index, qa in enumerate(data["qa"]):
        category = int(qa.get("category", 0))
        evidence: list[str] = []
        for item in qa.get("evidence", []) or []:
            for piece in re.split(r"[;,\s]+", str(item)):
                if not piece:
                    continue
                dia_id = normalise_dia_id(piece)
                if dia_id in known:
                    evidence.append(f"chat:{dia_id}")
                else:
                    conversation.dropped_evidence += 1
        if category != 5 and not evidence:
            conversation.questions_without_evidence += 1
            continue
        conversation.questions.append(
            Question(name, index, str(qa["question"]), category, tuple(dict.fromkeys(evidence)))
        )
    return conversation


# -- metrics ------------------------------------------------------------------------------------------------------


def distinct_refs(refs: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(refs))


@dataclass(frozen=True)
class Scores:
    any_at: dict[int, float]
    all_at: dict[int, float]
    ndcg: float
    rr: float
    budget: float


def score(ranked: Sequence[str], evidence: Sequence[str], packed: Iterable[str]) -> Scores:
    """Turn-level scores of one question: ``ranked`` distinct refs, best first; ``packed`` refs in the pack."""
    wanted = set(evidence)
    any_at = {k: float(bool(wanted & set(ranked[:k]))) for k in KS}
    all_at = {k: float(wanted <= set(ranked[:k])) for k in KS}
    dcg = sum(1.0 / math.log2(rank + 2) for rank, ref in enumerate(ranked[:NDCG_K]) if ref in wanted)
    ideal = sum(1.0 / math.log2(rank + 2) for rank in range(min(len(wanted), NDCG_K)))
    first = next((rank for rank, ref in enumerate(ranked, start=1) if ref in wanted), None)
    return Scores(
        any_at=any_at,
        all_at=all_at,
        ndcg=dcg / ideal if ideal else 0.0,
        rr=1.0 / first if first else 0.0,
        budget=float(wanted <= set(packed)),
    )


@dataclass
class Aggregate:
    n: int = 0
    any_at: dict[int, float] = field(default_factory=lambda: dict.fromkeys(KS, 0.0))
    all_at: dict[int, float] = field(default_factory=lambda: dict.fromkeys(KS, 0.0))
    ndcg: float = 0.0
    mrr: float = 0.0
    budget_recall: float = 0.0

    def add(self, scores: Scores) -> None:
        self.n += 1
        for k in KS:
            self.any_at[k] += scores.any_at[k]
            self.all_at[k] += scores.all_at[k]
        self.ndcg += scores.ndcg
        self.mrr += scores.rr
        self.budget_recall += scores.budget

    def means(self) -> dict[str, float | int]:
        n = max(self.n, 1)
        out: dict[str, float | int] = {"n": self.n}
        out.update({f"any@{k}": self.any_at[k] / n for k in KS})
        out.update({f"all@{k}": self.all_at[k] / n for k in KS})
        out.update({"ndcg@10": self.ndcg / n, "mrr": self.mrr / n, "budget_recall": self.budget_recall / n})
        return out


def percentile(values: Sequence[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


@dataclass
class SystemResult:
    name: str
    overall: Aggregate = field(default_factory=Aggregate)
    by_category: dict[str, Aggregate] = field(default_factory=dict)
    latencies_ms: list[float] = field(default_factory=list)
    abstain_scores: dict[str, list[float]] = field(
        default_factory=lambda: {"answerable": [], "adversarial": [], "unrelated": []}
    )

    def report(self) -> dict[str, Any]:
        return {
            "overall": self.overall.means(),
            "by_category": {name: agg.means() for name, agg in sorted(self.by_category.items())},
            "latency_ms": {
                "p50": statistics.median(self.latencies_ms) if self.latencies_ms else 0.0,
                "p95": percentile(self.latencies_ms, 0.95),
                "n": len(self.latencies_ms),
            },
            "abstention_auc": abstention_auc(self.abstain_scores),
            "abstention": abstention_report(self.abstain_scores),
        }


def abstention_report(scores: dict[str, list[float]]) -> dict[str, Any]:
    """The "found" signal against both kinds of unanswerable question, and the ``found < 0.5`` decision."""
    answerable = scores["answerable"]
    out: dict[str, Any] = {
        "auc_vs_adversarial": abstention_auc(scores, "adversarial"),
        "auc_vs_unrelated": abstention_auc(scores, "unrelated"),
        "answerable_said_found": _share(answerable, lambda f: f >= NOT_FOUND_BELOW),
    }
    for kind in ("adversarial", "unrelated"):
        out[f"{kind}_said_not_found"] = _share(scores[kind], lambda f: f < NOT_FOUND_BELOW)
    return out


def _share(values: Sequence[float], test: Callable[[float], bool]) -> float | None:
    return sum(1 for v in values if test(v)) / len(values) if values else None


def abstention_auc(scores: dict[str, list[float]], negative: str = "adversarial") -> float | None:
    """How well the "found" signal separates answerable questions from ``negative`` ones (ROC AUC, 0.5 = chance)."""
    positives, negatives = scores["answerable"], scores[negative]
    if not positives or not negatives:
        return None
    wins = 0.0
    for p in positives:
        for n in negatives:
            wins += 1.0 if p > n else 0.5 if p == n else 0.0
    return wins / (len(positives) * len(negatives))


@dataclass(frozen=True)
class Probe:
    """What one system returns for one question."""

    ranked: list[str]
    packed: list[str]
    found: float  # the system's confidence that the vault holds the answer
    latency_ms: float  # of the search call alone


SystemFn = Callable[[Any, Question], Probe]


def run_system(
    result: SystemResult, vault: Any, questions: Sequence[Question], system: SystemFn, tick: Callable[[], None]
) -> None:
    for question in questions:
        probe = system(vault, question)
        result.latencies_ms.append(probe.latency_ms)
        tick()
        if question.category == 5 or not question.evidence:  # nothing to find: scored for abstention only
            result.abstain_scores["adversarial"].append(probe.found)
            continue
        result.abstain_scores["answerable"].append(probe.found)
        scores = score(probe.ranked, question.evidence, probe.packed)
        result.overall.add(scores)
        category = question.category
        label = CATEGORIES.get(category, str(category)) if isinstance(category, int) else category
        result.by_category.setdefault(label, Aggregate()).add(scores)


def system_results(systems: Sequence[str]) -> list[SystemResult]:
    """Empty results for ``systems``; an unknown name is an error naming the known ones."""
    unknown = [s for s in systems if s not in SYSTEMS]
    if unknown:
        raise ConfigError(f"unknown system {unknown[0]!r}; known: {', '.join(SYSTEMS)}")
    return [SystemResult(name) for name in systems]


def run_with_progress(
    result: SystemResult, vault: Any, questions: Sequence[Question], system: SystemFn, progress: Any, label: str
) -> None:
    """:func:`run_system` with a progress bar named ``label`` (``progress``: a rich Progress, or None)."""
    task = progress.add_task(label, total=len(questions)) if progress is not None else None

    def tick() -> None:
        if progress is not None:
            progress.advance(task)

    run_system(result, vault, questions, system, tick)
    if progress is not None:
        progress.remove_task(task)


def report_dict(results: Sequence[SystemResult], conversations: Sequence[Conversation], **extra: Any) -> dict[str, Any]:
    return {
        "benchmark": "locomo",
        "level": "turn",
        "conversations": [
            {
                "name": c.name,
                "turns": c.turns,
                "questions": len(c.questions),
                "dropped_evidence_ids": c.dropped_evidence,
                "questions_without_evidence": c.questions_without_evidence,
            }
            for c in conversations
        ],
        "systems": {r.name: r.report() for r in results},
        **extra,
    }


def as_jsonable(value: Any) -> Any:
    return asdict(value) if hasattr(value, "__dataclass_fields__") else value


# -- the run -------------------------------------------------------------------------------------------------------


_PACKS: weakref.WeakKeyDictionary[Any, dict[tuple[str, datetime | None], tuple[list[str], float]]] = (
    weakref.WeakKeyDictionary()
)


def _ask_pack(vault: Any, question: Question) -> tuple[list[str], float]:
    """The refs of the pack ``ask`` builds and its found signal: both product rows read it, so it is built once per
    vault and question (kept only while the vault lives)."""
    packs = _PACKS.setdefault(vault, {})
    key = (question.question, question.as_of)
    if key not in packs:
        pack = vault.context(question.question, as_of=question.as_of, budget=BUDGET_TOKENS)
        packs[key] = ([h.ref for h in pack.passages], pack.found)
    return packs[key]


def product_system(rerank: bool) -> SystemFn:
    """knowme as shipped: its search (``rerank``: with the reranker, as ``ask`` reads), and the pack ``ask`` builds."""

    def system(vault: Any, question: Question) -> Probe:
        started = time.perf_counter()
        hits = vault.search(question.question, k=SEARCH_DEPTH, as_of=question.as_of, rerank=rerank)
        latency = (time.perf_counter() - started) * 1000
        packed, signal = _ask_pack(vault, question)
        return Probe(ranked=distinct_refs(h.ref for h in hits), packed=list(packed), found=signal, latency_ms=latency)

    return system


def baseline_system(preset: str) -> SystemFn:
    """A plain retriever: its own top hits, packed in rank order under the same budget."""

    def system(vault: Any, question: Question) -> Probe:
        started = time.perf_counter()
        result = vault.search_result(question.question, k=SEARCH_DEPTH, as_of=question.as_of, preset=preset)
        latency = (time.perf_counter() - started) * 1000
        pack = build_context(result.hits[:ASK_CANDIDATES], BUDGET_TOKENS)
        signals = result.signals
        return Probe(
            ranked=distinct_refs(h.ref for h in result.hits),
            packed=[h.ref for h in pack.passages],
            found=signals.best_bm25 if preset == "bm25" else signals.best_cosine,
            latency_ms=latency,
        )

    return system


SYSTEMS: dict[str, Callable[[], SystemFn]] = {
    "knowme": lambda: product_system(rerank=False),
    "rerank": lambda: product_system(rerank=True),
    "rrf": lambda: baseline_system("rrf"),
    "bm25": lambda: baseline_system("bm25"),
    "dense": lambda: baseline_system("dense"),
}


def _natural(path: Path) -> list[Any]:
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", path.name)]


def find_conversations(data: Path) -> list[Path]:
    if data.is_file():
        return [data]
    paths = sorted(
        data.glob("*.json"), key=lambda p: [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", p.name)]
    )
    if not paths:
        raise ConfigError(f"{data}: no LoCoMo conversation files (*.json) found")
    return paths


def run(
    data: Path,
    work: Path,
    *,
    systems: Sequence[str] = tuple(SYSTEMS),
    limit: int | None = None,
    progress: Any = None,
    log: Callable[[str], None] = lambda _msg: None,
) -> dict[str, Any]:
    """Measure ``systems`` on every conversation under ``data``; vaults and transcripts live under ``work``."""

    results = system_results(systems)
    paths = find_conversations(data)
    conversations = [convert(path, work / "transcripts" / path.stem) for path in paths]
    for conversation in conversations:
        conversation.questions = conversation.questions[:limit] if limit else conversation.questions
    ingest_seconds = 0.0
    for number, (path, conversation) in enumerate(zip(paths, conversations, strict=True)):
        questions = conversation.questions
        # questions about another conversation's lives: nothing in this vault answers them
        other = conversations[(number + 1) % len(conversations)] if len(conversations) > 1 else None
        unrelated = [q for q in other.questions if q.category != 5][:UNRELATED_PER_VAULT] if other else []
        home = work / "vaults" / path.stem
        fresh = not vault_exists(home)
        vault = create(home, PASSPHRASE) if fresh else open_vault(home, PASSPHRASE, create=False)
        with vault:
            started = time.perf_counter()
            vault.ingest([work / "transcripts" / path.stem])
            ingest_seconds += time.perf_counter() - started
            vault.warm_up()
            log(f"{conversation.name}: {conversation.turns} turns, {len(questions)} questions")
            for result in results:
                system = SYSTEMS[result.name]()
                run_with_progress(result, vault, questions, system, progress, f"{conversation.name} {result.name}")
                result.abstain_scores["unrelated"].extend(system(vault, q).found for q in unrelated)
    return report_dict(results, conversations, ingest_seconds=round(ingest_seconds, 1), budget_tokens=BUDGET_TOKENS)


def format_table(report: dict[str, Any]) -> list[list[str]]:
    """Rows (system, category, metrics...) for printing."""
    rows: list[list[str]] = []
    columns = [*(f"any@{k}" for k in KS), *(f"all@{k}" for k in KS), "ndcg@10", "mrr", "budget_recall"]
    for name, system in report["systems"].items():
        for label, means in [("overall", system["overall"]), *system["by_category"].items()]:
            rows.append([name, label, str(means["n"]), *(f"{means[c]:.3f}" for c in columns)])
    return [["system", "category", "n", *columns], *rows]
