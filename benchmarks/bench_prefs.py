"""Preference-respecting answers, measured on the demo life with the embedded default model.

    python benchmarks/bench_prefs.py [--home DIR] [--as-of 2025-06-02]

Writes the sample life, ingests it into a fresh vault (or reuses ``--home``), states ten preferences (food,
scheduling, travel, writing), asks questions that invite a violation and prints:

- applicable-preference recall: for each question, the share of the preferences that bear on it (hand-labelled
  below) that reached the prompt (``Answer.preferences``, at most three).
- violations: the share of model answers that break an applicable preference, per the compliance check, for the
  model's first reply (with the rules in its prompt), after enforcement (asked again once; what is left gets a
  note), and, as a baseline, the same questions asked with no preference stated, checked against the same rules.
- how often the note was needed, and how long a checked answer takes.
- checker quality: precision and recall of :func:`knowme.assist.comply.check` on :data:`LABELLED`, answer texts
  written by hand (violating and respecting, with negated mentions and past reports), at the level of (answer,
  preference) pairs.

The violation figures count what the check finds, so they are only as good as its recall on LABELLED.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import knowme
from knowme.assist.comply import check
from knowme.demo.generator import generate_life
from knowme.models.persona import Preference
from knowme.persona.prefs import make_preference

PREFERENCES: dict[str, str] = {
    "red-meat": "Avoid red meat",
    "alcohol": "no alcohol",
    "early": "never book meetings before 10:00",
    "friday": "no meetings on Fridays",
    "late": "no meetings after 17:00",
    "ryanair": "never fly Ryanair",
    "red-eye": "no red-eye flights",
    "emoji": "never use emoji in my messages",
    "exclaim": "no exclamation marks in my writing",
    "window": "I prefer a window seat",
}

#: Questions that invite a violation, with the preferences that bear on each (by key of PREFERENCES).
QUESTIONS: list[tuple[str, tuple[str, ...]]] = [
    ("Suggest a dinner for Friday with Miguel", ("red-meat", "alcohol")),
    ("What should I cook for dinner at my mother's?", ("red-meat", "alcohol")),
    ("What wine should I bring for Christmas at Mãe's?", ("alcohol",)),
    ("Where should we eat after the hike with Inês?", ("red-meat", "alcohol")),
    ("What should we drink at Rui's birthday dinner?", ("alcohol",)),
    ("Suggest a lunch place near the office for the team", ("red-meat", "alcohol")),
    ("When should I meet Tom next week?", ("early", "friday", "late")),
    ("Suggest a time for a call with Priya about the Porto hub", ("early", "friday", "late")),
    ("Plan an early morning meeting with José about the ledger migration", ("early",)),
    ("Can I schedule the design review with Lena on Friday evening?", ("friday", "late")),
    ("Book a flight to Berlin for BackendConf", ("ryanair", "red-eye", "window")),
    ("How should I fly to Paris to visit Zoë?", ("ryanair", "red-eye", "window")),
    ("Write a short message to Lena about the design review", ("emoji", "exclaim")),
    ("Draft a reply to Miguel about the move to Porto", ("emoji", "exclaim")),
]

#: Hand-labelled answers: (question, answer text, keys of the preferences it breaks). Every preference of
#: PREFERENCES is checked against every text; a pair is positive when its key is listed.
LABELLED: list[tuple[str, str, tuple[str, ...]]] = [
    ("Suggest a dinner", "Try the picanha at Ramiro on Friday.", ("red-meat",)),
    ("Suggest a dinner", "A steak with a glass of Douro red at Ramiro.", ("red-meat", "alcohol")),
    ("Suggest a dinner", "The mushroom risotto at Ao 26, with sparkling water.", ()),
    ("Suggest a dinner", "Go for the grilled sea bass instead of the beef.", ()),
    ("Suggest a dinner", "No steak this time: the vegetable curry at Ao 26.", ()),
    ("Suggest a dinner", "A veggie burger at the Honorato place.", ()),
    ("Suggest a dinner", "Burgers at the Honorato place, then cocktails at the rooftop bar.", ("red-meat", "alcohol")),
    ("Suggest a dinner", "Francesinha at Café Santiago, the Porto classic.", ("red-meat",)),
    ("Suggest a dinner", "Leitão à Bairrada at the Mealhada place.", ("red-meat",)),
    ("Suggest a dinner", "Grab a pint at the pub and some fish and chips.", ("alcohol",)),
    ("Suggest a dinner", "The tasting menu with the wine pairing at Belcanto.", ("alcohol",)),
    ("Suggest a dinner", "Since you avoid red meat, the octopus at Ramiro.", ()),
    ("Suggest a dinner", "A lamb tagine at the Moroccan place in Graça.", ("red-meat",)),
    ("What did I eat?", "You had steak at Ramiro with Ana last Friday [2].", ()),
    ("What did I eat?", "You ordered the bacalhau and a beer [1].", ()),
    ("What should we drink?", "Non-alcoholic beer or a fresh lemonade.", ()),
    ("What should we drink?", "A bottle of Vinho Verde for the table.", ("alcohol",)),
    ("What should we drink?", "Skip the wine; kombucha goes well with it.", ()),
    ("What should we drink?", "Sangria for everyone.", ("alcohol",)),
    ("What should we drink?", "A round of ginjinha after dinner.", ("alcohol",)),
    ("What should we drink?", "Mocktails: a virgin mojito and an elderflower spritz.", ()),
    ("When should I meet Tom?", "How about Tuesday at 9:00?", ("early",)),
    ("When should I meet Tom?", "Tuesday at 10:30 or Thursday at 14:00.", ()),
    ("When should I meet Tom?", "Friday at 11:00 is free.", ("friday",)),
    ("When should I meet Tom?", "Let's say Wednesday from 16:30 to 17:30.", ("late",)),
    ("When should I meet Tom?", "Monday at 8:30 am, before standup.", ("early",)),
    ("When should I meet Tom?", "Any day but Friday; Wednesday at 11:00 works.", ()),
    ("When should I meet Tom?", "Thursday afternoon, at 3.", ()),
    ("When should I meet Tom?", "Early on Monday, 7:45, before the traffic.", ("early",)),
    ("When should I meet Tom?", "Over breakfast on Tuesday at 8:30.", ("early",)),
    ("When should I meet Tom?", "At the end of the day on Thursday, around 18:00.", ("late",)),
    ("When should I meet Tom?", "You met Tom on Friday at 9:00 [3].", ()),
    ("When is Ana's birthday?", "Ana's birthday is on Friday 14 March.", ()),
    ("Book a flight to Berlin", "Ryanair has a 06:15 flight from Lisbon.", ("ryanair",)),
    ("Book a flight to Berlin", "TAP at 10:40, with a window seat.", ()),
    ("Book a flight to Berlin", "Take the overnight flight and land at 06:00.", ("red-eye",)),
    ("Book a flight to Berlin", "Not Ryanair: easyJet at 11:20 or TAP at 13:05.", ()),
    ("Book a flight to Berlin", "The red-eye on Thursday is the cheapest.", ("red-eye",)),
    ("Book a flight to Berlin", "The late-night 23:55 departure saves a hotel night.", ("red-eye",)),
    ("Write a message to Lena", "Hi Lena, the review moved to Thursday. Sofia", ()),
    ("Write a message to Lena", "Hi Lena! The review moved to Thursday.", ("exclaim",)),
    ("Write a message to Lena", "Hi Lena, see you Thursday \U0001f642", ("emoji",)),
    ("Write a message to Lena", "Great news \U0001f389 see you Thursday!", ("emoji", "exclaim")),
]


def stated(vault: knowme.Vault) -> dict[str, Preference]:
    for pref in vault.preferences():
        if pref.origin == "stated":
            vault.remove_preference(pref.id)
    return {key: vault.prefer(text) for key, text in PREFERENCES.items()}


def answers(vault: knowme.Vault, prefs: dict[str, Preference], as_of: str) -> None:
    by_id = {p.id: key for key, p in prefs.items()}
    recalls: list[float] = []
    first = after = noted = modelled = 0
    took: list[float] = []
    rows = []
    for question, wanted in QUESTIONS:
        started = time.perf_counter()
        answer = vault.ask(question, as_of=as_of)
        took.append(time.perf_counter() - started)
        shown = {by_id.get(p.id) for p in answer.preferences}
        recalls.append(sum(1 for k in wanted if k in shown) / len(wanted))
        question = f"{question} [{sum(1 for k in wanted if k in shown)}/{len(wanted)} rules]"
        c = answer.compliance
        if c is None:
            rows.append((question, "-", "no model asked", answer.text))
            continue
        modelled += 1
        first += bool(c.first)
        after += bool(c.violations)
        noted += bool(c.note)
        status = "kept, noted" if c.violations else "fixed on retry" if c.first else "respected"
        rows.append((question, ",".join(sorted({by_id.get(v.preference_id, "?") for v in c.first})) or "-", status,
                     answer.text))  # fmt: skip
    full = sum(1 for r in recalls if r == 1.0)
    print(f"applicable-preference recall over {len(QUESTIONS)} questions: mean {statistics.fmean(recalls):.2f}; "
          f"all the right preferences reached the prompt for {full} of {len(QUESTIONS)}")  # fmt: skip
    print(f"model answers ({modelled} of {len(QUESTIONS)} went to the model; {statistics.fmean(took):.2f} s per "
          "checked answer, median {:.2f} s):".format(statistics.median(took)))  # fmt: skip
    share = (lambda n: f"{n}/{modelled} = {n / modelled:.2f}") if modelled else (lambda n: "n/a")
    print(f"  first reply breaks an applicable preference: {share(first)}")
    print(f"  after enforcement (asked again once) still breaks one: {share(after)}; note appended: {share(noted)}")
    for question, broke, status, text in rows:
        print(f"    {question[:72]:72} first broke: {broke:14} {status}")
        print(f"      \u2192 {' '.join(text.split())[:150]}")
    baseline(vault, prefs, as_of)


def baseline(vault: knowme.Vault, prefs: dict[str, Preference], as_of: str) -> None:
    """The same questions with no preference stated (so none in the prompt), checked against the same rules."""
    for pref in prefs.values():
        vault.remove_preference(pref.id)
    rules = list(prefs.values())
    broke = modelled = 0
    for question, _ in QUESTIONS:
        answer = vault.ask(question, as_of=as_of)
        if answer.backend == "none" or answer.compliance is None:
            continue
        modelled += 1
        broke += bool(check(answer.text, rules, question=question))
    print(f"  baseline, no preference in the prompt: {broke}/{modelled} answers break one of the same rules")


def checker_quality() -> None:
    prefs = {key: make_preference(text) for key, text in PREFERENCES.items()}
    tp = fp = fn = 0
    misses: list[str] = []
    started = time.perf_counter()
    for question, text, wanted in LABELLED:
        found = {v.preference_id for v in check(text, list(prefs.values()), question=question)}
        for key, pref in prefs.items():
            truth, said = key in wanted, pref.id in found
            tp += truth and said
            fp += said and not truth
            fn += truth and not said
            if truth != said:
                misses.append(f"{'missed' if truth else 'false alarm'} {key}: {text}")
    took = (time.perf_counter() - started) / len(LABELLED)
    positives = sum(len(w) for _, _, w in LABELLED)
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    print(f"checker on {len(LABELLED)} hand-labelled answers x {len(prefs)} preferences ({positives} violations): "
          f"P={p:.3f} R={r:.3f} ({tp} found, {fp} false alarms, {fn} missed; "
          f"{took * 1000:.2f} ms per answer)")  # fmt: skip
    for line in misses:
        print(f"  {line}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--home", type=Path, default=None)
    parser.add_argument("--as-of", default="2025-06-02")
    parser.add_argument("--checker-only", action="store_true", help="only the checker's precision and recall")
    args = parser.parse_args()
    checker_quality()
    if args.checker_only:
        return
    home = args.home or Path(tempfile.mkdtemp(prefix="knowme-bench-prefs-"))
    os.environ.setdefault("KNOWME_PASSPHRASE", "bench")
    life = home / "life"
    started = time.perf_counter()
    with knowme.open(home / "vault") as vault:
        if not vault.store.counts():
            generate_life(life)
            vault.ingest([life / "contacts", life / "mail", life / "calendar", life / "notes", life / "chats"])
        print(f"ingest: {time.perf_counter() - started:.1f} s; backend: {vault.backend.describe()}")
        prefs = stated(vault)
        answers(vault, prefs, args.as_of)
        for pref in vault.preferences():
            if pref.origin == "stated":
                vault.remove_preference(pref.id)


if __name__ == "__main__":
    main()
