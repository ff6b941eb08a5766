"""``knowme eval refs``: do the items that answer questions about a person's own files come back from search?

The same measurement as LoCoMo's (:mod:`knowme.eval.locomo`), on any files knowme ingests: a folder (or files) of
mail, calendars, contacts, notes, chats and browser history, and a questions file in JSON Lines, one question per
line::

    {"question": "When is the dentist appointment?", "evidence": ["cal:4f1c...@example"], "as_of": "2025-12-31",
     "category": "calendar"}

``evidence`` lists the refs (``mail:<Message-ID>``, ``cal:<UID>``, ``vcf:<UID or FN>``, ``note:<path>``,
``chat:<id>``, ``web:<url>``) of every item that answers the question; an empty list marks a question nothing
answers (scored for the "not found" signal only). ``as_of`` (optional) asks as of that date; ``category``
(optional) groups the scores, by default the evidence's source (``mail``, ``cal``, ``note``..., or ``several``). Refs
that name no item of the vault are dropped and counted (a typo must not read as a miss); a question left with none
is skipped and counted.

Without files, it measures the sample life of ``knowme demo`` and its questions (:mod:`knowme.demo.questions`).
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from knowme.demo.generator import generate_life, ingest_targets
from knowme.errors import ConfigError
from knowme.eval.locomo import BUDGET_TOKENS, SYSTEMS, Question, run_with_progress, system_results
from knowme.opening import create
from knowme.text.when import parse_when


@dataclass
class QuestionSet:
    questions: list[Question]
    dropped_evidence: list[str] = field(default_factory=list)  # refs that name no item
    questions_without_evidence: int = 0  # skipped: every ref was unknown


def sources_of(refs: Sequence[str]) -> str:
    """The default category: the evidence's source (``mail``, ``cal``...), ``several`` when it spans sources,
    ``unanswerable`` when there is none."""
    sources = {ref.split(":", 1)[0] for ref in refs}
    return sources.pop() if len(sources) == 1 else "several" if sources else "unanswerable"


def _as_of(value: Any, where: str) -> datetime | None:

    if value is None:
        return None
    try:
        return parse_when(value)
    except (TypeError, ValueError, ConfigError) as exc:
        raise ConfigError(f"{where}: bad as_of {value!r} ({exc})") from exc


def load_questions(path: Path) -> list[Question]:
    """Questions from a JSON Lines file; a malformed line is an error naming its line (nothing is guessed)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the questions ({exc})") from exc
    questions: list[Question] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{where}: not JSON ({exc.msg})") from exc
        if not isinstance(row, dict) or not isinstance(row.get("question"), str) or not row["question"].strip():
            raise ConfigError(f'{where}: each line needs a "question" string')
        evidence = row.get("evidence", [])
        if not isinstance(evidence, list) or not all(isinstance(r, str) and ":" in r for r in evidence):
            raise ConfigError(f'{where}: "evidence" must be a list of refs such as "mail:<Message-ID>"')
        category = row.get("category") or sources_of(evidence)
        questions.append(
            Question(
                conversation=path.stem,
                index=len(questions),
                question=row["question"].strip(),
                category=str(category),
                evidence=tuple(dict.fromkeys(evidence)),
                as_of=_as_of(row.get("as_of"), where),
            )
        )
    if not questions:
        raise ConfigError(f"{path}: no questions")
    return questions


def demo_questions(manifest: Any) -> list[Question]:
    """The sample life's questions (``knowme demo``'s eight, then the search set), asked today as the demo asks them
    (an undated note is dated by its file, written today: asked as of the life's last day, it would not exist yet)."""
    return [
        Question("demo", n, q.question, sources_of(q.expected_refs), tuple(q.expected_refs))
        for n, q in enumerate([*manifest.questions, *manifest.search_questions])
    ]


def check_evidence(vault: Any, questions: Sequence[Question]) -> QuestionSet:
    """Drop (and count) refs that name no item of ``vault``; skip questions left with none."""
    known: dict[str, bool] = {}
    kept: list[Question] = []
    out = QuestionSet(kept)
    for q in questions:
        refs = []
        for ref in q.evidence:
            if ref not in known:
                known[ref] = bool(vault.records(ref))
            if known[ref]:
                refs.append(ref)
            else:
                out.dropped_evidence.append(ref)
        if q.evidence and not refs:
            out.questions_without_evidence += 1
            continue
        kept.append(Question(q.conversation, q.index, q.question, q.category, tuple(refs), q.as_of))
    return out


def run(
    paths: Sequence[Path],
    questions: Sequence[Question],
    work: Path,
    *,
    name: str = "questions",
    systems: Sequence[str] = tuple(SYSTEMS),
    progress: Any = None,
    log: Callable[[str], None] = lambda _msg: None,
    passphrase: str | None = None,
) -> dict[str, Any]:
    """Ingest ``paths`` into a fresh vault under ``work``, ask every question through each system, score them.

    The vault holds the user's own files: it is encrypted under ``passphrase``, or a random one that is never
    written anywhere (then a vault kept in ``work`` cannot be opened again by anyone)."""

    results = system_results(systems)
    home = work / "vault"
    if home.exists() and any(home.iterdir()):
        raise ConfigError(f"{home} is not empty: give a fresh --work folder")
    with create(home, passphrase or secrets.token_urlsafe(32)) as vault:
        started = time.perf_counter()
        report = vault.ingest(list(paths))
        ingest_seconds = time.perf_counter() - started
        counts = vault.store.counts()
        if not sum(counts.values()):
            raise ConfigError(f"nothing was ingested from {', '.join(map(str, paths))}")
        vault.warm_up()
        checked = check_evidence(vault, questions)
        log(f"{name}: {sum(counts.values())} items, {len(checked.questions)} questions")
        for result in results:
            run_with_progress(result, vault, checked.questions, SYSTEMS[result.name](), progress, result.name)
    systems_report = {}
    for result in results:
        entry = result.report()
        abstention = entry.pop("abstention")
        entry.pop("abstention_auc")
        entry["found"] = {
            "auc_vs_unanswerable": abstention["auc_vs_adversarial"],
            "answerable_said_found": abstention["answerable_said_found"],
            "unanswerable_said_not_found": abstention["adversarial_said_not_found"],
        }
        systems_report[result.name] = entry
    return {
        "benchmark": "refs",
        "questions": name,
        "items": counts,
        "ingest_seconds": round(ingest_seconds, 1),
        "ingest_problems": len(report.skipped_paths) + len(report.problems),
        "answerable": sum(1 for q in checked.questions if q.evidence),
        "unanswerable": sum(1 for q in checked.questions if not q.evidence),
        "dropped_evidence": checked.dropped_evidence,
        "questions_without_evidence": checked.questions_without_evidence,
        "budget_tokens": BUDGET_TOKENS,
        "systems": systems_report,
    }


def run_demo(work: Path, **kwargs: Any) -> dict[str, Any]:
    """Write the sample life under ``work`` and measure it with its own questions."""

    life = work / "sample-life"
    manifest = generate_life(life)
    return run(ingest_targets(life, manifest.files), demo_questions(manifest), work, name="sample life", **kwargs)
