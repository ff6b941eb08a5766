"""Knowing the person, measured on the demo life: the digest against ground truth, and feedback learning.

    python benchmarks/bench_persona.py [--home DIR] [--days N]

Writes the sample life, ingests it into a fresh vault and prints:

- digest precision and recall per kind, over the digests as of several dates (every fortnight of the year plus
  the dates of the story's loose ends), against :func:`knowme.demo.truth.digest_truth`. A predicted item matches
  a true one of the same kind (both commitment kinds count as one) on the same day that names the same person or
  carries one of its keywords in its title.
- style match: drafts of held-out replies the user really sent, compared feature by feature (greeting, sign-off,
  length, formality, emoji, exclamation, language) with the real reply, next to a generic template.
- slot suggestions that break a stated rule or the calendar (target: none).
- the feedback learning curve: NDCG@10 of search for a simulated user with known tastes, before and after N
  rating events, and after ``reset``.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import re
import statistics
import tempfile
import time
from collections import defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path

import knowme
from knowme.assist.digest import DigestItem
from knowme.assist.draft import draft_reply
from knowme.assist.slots import busy_times, parse_rules, suggest_slots, violations
from knowme.demo.generator import generate_life
from knowme.demo.story import LISBON
from knowme.demo.truth import TrueDigestItem, digest_truth
from knowme.models import Hit
from knowme.persona.style import first_name, message_features, sent_messages, split_message

COMMITMENT = {"my_commitment", "owed_to_me"}


def _same_kind(a: str, b: str) -> bool:
    return a == b or (a in COMMITMENT and b in COMMITMENT)


def matches(item: DigestItem, truth: TrueDigestItem) -> bool:
    if not _same_kind(item.kind, truth.kind) or item.date != truth.day.isoformat():
        return False
    if truth.person and any(truth.person.lower() in p.lower() or p.lower() in truth.person.lower()
                            for p in item.people if p):  # fmt: skip
        return (
            not truth.keywords
            or item.kind in ("birthday", "anniversary")
            or any(k.lower() in f"{item.title} {item.detail}".lower() for k in truth.keywords)
        )
    return any(k.lower() in f"{item.title} {item.detail}".lower() for k in truth.keywords)


def score_digest(vault: knowme.Vault, dates: list[date], days: int) -> dict[str, tuple[int, int, int]]:
    """Per kind: (true positives, predicted, actual) summed over ``dates``."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for day in dates:
        predicted = list(vault.digest(as_of=day.isoformat(), days=days).items)
        actual = digest_truth(day, days)
        used: set[int] = set()
        for truth in actual:
            kind = "commitment" if truth.kind in COMMITMENT else truth.kind
            counts[kind][2] += 1
            for n, item in enumerate(predicted):
                if n not in used and matches(item, truth):
                    used.add(n)
                    counts[kind][0] += 1
                    break
        for n, item in enumerate(predicted):
            kind = "commitment" if item.kind in COMMITMENT else item.kind
            counts[kind][1] += 1
            if n not in used:
                print(f"    extra  {day} {item.kind}: {item.title} ({item.date})")
        for truth in actual:
            if not any(matches(i, truth) for i in predicted):
                print(f"    missed {day} {truth.kind}: {truth.person} {truth.keywords} ({truth.day})")
    return {k: (v[0], v[1], v[2]) for k, v in counts.items()}


def digest_dates(year: int = 2025) -> list[date]:
    days = [date(year, 1, 6) + timedelta(days=14 * n) for n in range(26)]
    days += [date(year, m, d) for m, d in ((2, 10), (6, 22), (9, 15), (10, 14), (10, 25), (11, 25), (12, 3))]
    return sorted(set(days))


# -- feedback learning ---------------------------------------------------------------------------------------------
QUERIES = (
    "Porto flat", "moving day", "offsite in Sintra", "birthday", "dinner", "latency slides", "ledger migration",
    "hiking", "dentist", "Berlin talk", "Miguel", "Lena", "yoga", "climbing", "tax return", "IKEA", "train tickets",
    "coffee", "bank statement", "pull request", "standup", "performance review", "rent", "weekend plans", "photos",
    "recipe", "Christmas", "lunch", "budget", "alerts", "Porto hub", "Helena", "Pedro", "flight", "conference",
)  # fmt: skip
TEST_QUERIES = QUERIES[::3]
TRAIN_QUERIES = tuple(q for q in QUERIES if q not in TEST_QUERIES)
CLOSE = ("miguel", "lena")
BOTS = ("cobalto git", "banco", "cp -", "comboios")


def taste(hit: Hit) -> int:
    """The simulated user: her own notes and chats matter most, then her calendar, mail from the people she is close
    to above other mail; automated mail, contacts and browsing matter least."""
    author = (hit.author or "").lower()
    gain = {"note": 3, "chat_message": 2, "event": 2, "email": 1}.get(hit.kind, 0)
    if any(b in author for b in BOTS):
        gain = 0
    if any(c in author for c in CLOSE):
        gain += 1
    return gain


def ndcg(shown: list[Hit], pool: list[Hit], k: int = 10) -> float:
    def dcg(gains: list[int]) -> float:
        return sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(gains[:k]))

    ideal = dcg(sorted((taste(h) for h in pool), reverse=True))
    return dcg([taste(h) for h in shown]) / ideal if ideal else 1.0


def mean_ndcg(vault: knowme.Vault, pools: dict[str, list[Hit]]) -> float:
    return statistics.fmean(ndcg(vault.search(q, k=10), pools[q]) for q in TEST_QUERIES)


def feedback_curve(vault: knowme.Vault, events: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    vault.reset_feedback()
    pools = {q: vault.search(q, k=20, personalize=False) for q in TEST_QUERIES}
    print(f"feedback learning: NDCG@10 on {len(TEST_QUERIES)} held-out queries; simulated ratings on "
          f"{len(TRAIN_QUERIES)} others (+1 when the hit suits her taste, else -1)")  # fmt: skip
    print(f"  after   0 ratings: NDCG@10={mean_ndcg(vault, pools):.3f}")
    checkpoints = {10, 25, 50, events}
    started = time.perf_counter()
    for n in range(1, events + 1):
        query = TRAIN_QUERIES[(n - 1) % len(TRAIN_QUERIES)]
        shown = vault.search(query, k=10)
        if not shown:
            continue
        hit = rng.choice(shown)
        vault.feedback(hit.ref, rating=1 if taste(hit) >= 2 else -1, query=query)
        if n in checkpoints:
            print(f"  after {n:3d} ratings: NDCG@10={mean_ndcg(vault, pools):.3f}")
    took = (time.perf_counter() - started) / max(events, 1)
    removed = vault.reset_feedback()
    print(f"  after reset ({removed} ratings removed): NDCG@10={mean_ndcg(vault, pools):.3f}")
    print(f"  {took * 1000:.0f} ms per rating event (a search shown and a feedback call)")


# -- voice ---------------------------------------------------------------------------------------------------------
FEATURES = ("greeting", "sign_off", "length", "formality", "emoji", "exclamation", "language")


def agreement(draft: str, real: str, recipient: str) -> dict[str, bool]:
    a, b = message_features(draft, recipient), message_features(real, recipient)
    words_a, words_b = max(int(a["words"]), 1), max(int(b["words"]), 1)  # type: ignore[call-overload]
    return {
        "greeting": a["greeting"] == b["greeting"],
        "sign_off": a["sign_off"] == b["sign_off"],
        "length": 0.5 <= words_a / words_b <= 2.0,
        "formality": abs(float(a["formality"]) - float(b["formality"])) <= 0.2,  # type: ignore[arg-type]
        "emoji": a["emoji"] == b["emoji"],
        "exclamation": a["exclamation"] == b["exclamation"],
        "language": a["language"] == b["language"],
    }


def style_match(vault: knowme.Vault) -> None:
    """Leave one out: for each reply the user really sent, draft it from the parent message with the reply's first
    sentence as the intent and the rest of the sent mail as the style source; compare explicit features with the
    real reply, against a generic template ("Hi NAME," ... "Best regards,")."""
    messages = sent_messages(vault.store)
    replies = [m for m in messages if m.reply_to and vault.store.records_by_ref(m.reply_to)]
    ours: dict[str, list[bool]] = defaultdict(list)
    generic: dict[str, list[bool]] = defaultdict(list)
    owner = first_name(vault.people()[0].name)
    for real in replies:
        parent = vault.store.records_by_ref(real.reply_to or "")[-1]
        if parent.kind not in ("email", "chat_message"):
            continue
        _, body, _ = split_message(real.text, real.recipient)
        intent = re.split(r"(?<=[.!?])\s+", body.strip())[0] if body.strip() else real.text
        rest = [m for m in messages if m.ref != real.ref]
        draft = draft_reply(vault.store, parent, intent, rest).text.split("\n\n-- \n")[0]
        plain = f"Hi {first_name(real.recipient)},\n\n{intent}\n\nBest regards,\n{owner}"
        for name, hit in agreement(draft, real.text, real.recipient).items():
            ours[name].append(hit)
        for name, hit in agreement(plain, real.text, real.recipient).items():
            generic[name].append(hit)
    n = len(ours["greeting"])
    print(f"style match on {n} held-out replies the user sent (share of replies where the draft's feature matches):")
    print(f"  {'feature':12} {'knowme':>7} {'generic':>8}")
    for name in FEATURES:
        print(f"  {name:12} {statistics.fmean(ours[name]):7.2f} {statistics.fmean(generic[name]):8.2f}")
    print(f"  {'mean':12} {statistics.fmean(statistics.fmean(ours[f]) for f in FEATURES):7.2f} "
          f"{statistics.fmean(statistics.fmean(generic[f]) for f in FEATURES):8.2f}")  # fmt: skip


# -- slots ---------------------------------------------------------------------------------------------------------
RULES = ("never book meetings before 10:00", "no meetings on Fridays", "no meetings after 17:00", "not during lunch")


def slot_check(vault: knowme.Vault) -> None:
    """Slots for a 45-minute meeting within 7 days from 12 Mondays of the year, checked against the calendar and
    four stated rules; the same search without the rules shows how many of its slots would have broken one."""
    for pref in vault.preferences():
        if pref.origin == "stated":
            vault.remove_preference(pref.id)
    starts = [datetime(2025, 1, 6, 8, tzinfo=LISBON) + timedelta(weeks=4 * n) for n in range(12)]
    made = [vault.prefer(rule) for rule in RULES]
    rules = parse_rules(made)
    total = bad = 0
    started = time.perf_counter()
    for start in starts:
        found, _ = suggest_slots(
            vault.store, made, start=start, duration=timedelta(minutes=45), within=timedelta(days=7)
        )
        busy = busy_times(vault.store, start, start + timedelta(days=7))
        total, bad = total + len(found), bad + violations(found, rules, busy)
    took = (time.perf_counter() - started) / len(starts)
    free = free_bad = 0
    for start in starts:
        found, _ = suggest_slots(vault.store, [], start=start, duration=timedelta(minutes=45), within=timedelta(days=7))
        busy = busy_times(vault.store, start, start + timedelta(days=7))
        free, free_bad = free + len(found), free_bad + violations(found, rules, busy)
    print(f"slots: {total} suggested from {len(starts)} dates, {bad} break a rule or the calendar "
          f"({took * 1000:.0f} ms per request); without the rules {free_bad} of {free} would break one")  # fmt: skip
    for pref in made:
        vault.remove_preference(pref.id)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--home", type=Path, default=None)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--events", type=int, default=100)
    args = parser.parse_args()
    home = args.home or Path(tempfile.mkdtemp(prefix="knowme-bench-persona-"))
    os.environ.setdefault("KNOWME_PASSPHRASE", "bench")
    life = home / "life"
    generate_life(life)
    started = time.perf_counter()
    with knowme.open(home / "vault") as vault:
        if not vault.store.counts():
            vault.ingest([life / "contacts", life / "mail", life / "calendar", life / "notes", life / "chats"])
        else:
            vault.ingest([life / "mail"])
        print(f"ingest: {time.perf_counter() - started:.1f} s")
        dates = digest_dates()
        started = time.perf_counter()
        counts = score_digest(vault, dates, args.days)
        took = (time.perf_counter() - started) / len(dates)
        print(f"digest over {len(dates)} dates, {args.days}-day window ({took * 1000:.0f} ms per digest):")
        total = [0, 0, 0]
        for kind, (tp, predicted, actual) in sorted(counts.items()):
            p = tp / predicted if predicted else 1.0
            r = tp / actual if actual else 1.0
            print(f"  {kind:15} P={p:.3f} R={r:.3f}  ({tp} right, {predicted} listed, {actual} true)")
            total = [total[0] + tp, total[1] + predicted, total[2] + actual]
        p = total[0] / total[1] if total[1] else 1.0
        r = total[0] / total[2] if total[2] else 1.0
        print(f"  {'all':15} P={p:.3f} R={r:.3f}  ({total[0]} right, {total[1]} listed, {total[2]} true)")
        style_match(vault)
        slot_check(vault)
        feedback_curve(vault, args.events)


if __name__ == "__main__":
    main()
