"""Knowledge graph quality on the demo life: entity resolution, facts, commitments and exact answers.

    python benchmarks/bench_graph.py [--home DIR]

Writes the sample life, ingests it (mail, calendar, contacts, notes, chats) into a fresh vault and prints:
entity-resolution pairwise precision/recall/F1 over the true people's aliases; fact precision/recall by predicate
(facts about the story's people, compared on subject, predicate and value); commitment precision/recall; exact-answer
accuracy by question type, where an unanswerable question counts as right only when the graph gives no answer.
"""

from __future__ import annotations

import argparse
import itertools
import os
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import knowme
from knowme.demo.generator import generate_life
from knowme.demo.truth import ground_truth
from knowme.models.graph import USER_ID
from knowme.text.names import email_key, is_email, name_key


def _pr(tp: int, predicted: int, actual: int) -> tuple[float, float, float]:
    p = tp / predicted if predicted else 1.0
    r = tp / actual if actual else 1.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--home", type=Path, default=None)
    args = parser.parse_args()
    home = args.home or Path(tempfile.mkdtemp(prefix="knowme-bench-graph-"))
    os.environ.setdefault("KNOWME_PASSPHRASE", "bench")
    life = home / "life"
    generate_life(life)
    truth = ground_truth()
    started = time.perf_counter()
    with knowme.open(home / "vault") as vault:
        vault.ingest([life / "contacts", life / "mail", life / "calendar", life / "notes", life / "chats"])
        print(f"ingest with graph: {time.perf_counter() - started:.1f} s")
        graph = vault.store.graph()
        # -- resolution: pairs of aliases of the true people put in the same entity -------------------------
        owner_of: dict[str, str] = {}
        for alias in graph.aliases():
            key = email_key(alias.alias) if alias.kind == "email" else name_key(alias.alias)
            owner_of.setdefault(f"{alias.kind == 'email'}:{key}", alias.entity_id)
        mapped: list[tuple[str, str | None]] = []
        for person in truth.people:
            for alias in person.aliases:
                key = f"{is_email(alias)}:{email_key(alias) if is_email(alias) else name_key(alias)}"
                mapped.append((person.key, owner_of.get(key)))
        tp = fp = fn = 0
        for (ta, ea), (tb, eb) in itertools.combinations(mapped, 2):
            same_true, same_pred = ta == tb, ea is not None and ea == eb
            tp += same_true and same_pred
            fp += same_pred and not same_true
            fn += same_true and not same_pred
        p, r, f1 = _pr(tp, tp + fp, tp + fn)
        print(f"entity resolution (alias pairs): P={p:.3f} R={r:.3f} F1={f1:.3f}  ({len(mapped)} aliases)")
        # -- facts ------------------------------------------------------------------------------------------
        names = {e.id: e.name for e in graph.entities()}
        names[USER_ID] = "me"
        predicates = {f.predicate for f in truth.facts}
        subjects = {f.subject for f in truth.facts}
        true_set = {(f.subject, f.predicate, f.value) for f in truth.facts}
        got: set[tuple[str, str, str]] = set()
        disputed = 0
        for fact in graph.facts():
            subject = names.get(fact.subject_id, "?")
            if fact.invalidated_at:  # a claim another one won against: kept with its sources, not believed
                disputed += 1
                continue
            if fact.predicate not in predicates or subject not in subjects:
                continue
            value = names.get(fact.object_id or "", "?") if fact.object_id else fact.object_value or ""
            if fact.predicate == "birthday":
                value = f"--{value[-5:]}"
            got.add((subject, fact.predicate, value))
        for predicate in sorted(predicates):
            t = {x for x in true_set if x[1] == predicate}
            g = {x for x in got if x[1] == predicate}
            p, r, _ = _pr(len(t & g), len(g), len(t))
            print(f"facts {predicate:10} P={p:.3f} R={r:.3f}  ({len(g)} extracted, {len(t)} true)")
        p, r, _ = _pr(len(true_set & got), len(got), len(true_set))
        print(f"facts overall    P={p:.3f} R={r:.3f}  ({disputed} disputed claims kept, not counted)")
        # -- commitments ------------------------------------------------------------------------------------
        found = graph.commitments()
        matched = 0
        for c in truth.commitments:
            if any(
                x.direction == c.direction
                and names.get(x.counterparty_id or "") == c.counterparty
                and all(k in x.what.lower() for k in c.keywords)
                and x.due == (c.due.isoformat() if c.due else None)
                for x in found
            ):
                matched += 1
        print(
            f"commitments: recall={matched / len(truth.commitments):.3f} ({matched}/{len(truth.commitments)} true ones "
            f"found with counterparty and due date); {len(found)} extracted in all (the story holds more than the "
            "truth lists, so precision is not measured)"
        )
        # -- exact answers ----------------------------------------------------------------------------------
        right: dict[str, list[bool]] = defaultdict(list)
        for q in truth.questions:
            answer = vault.graph_answer(q.question, as_of=q.as_of)
            if q.kind == "unanswerable":
                ok = answer is None
            else:
                ok = answer is not None and all(e.lower() in answer.text.lower() for e in q.expected)
            right[q.kind].append(ok)
            if not ok:
                print(f"  miss [{q.kind}] {q.question} -> {answer.text if answer else None}")
        total = [ok for oks in right.values() for ok in oks]
        for kind, oks in right.items():
            print(f"exact answers {kind:17} {sum(oks)}/{len(oks)}")
        print(f"exact-answer accuracy: {sum(total) / len(total):.3f}")


if __name__ == "__main__":
    main()
