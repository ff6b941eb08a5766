"""``knowme eval refs`` on a small life written by the test (mail, a calendar, notes, a chat) and a questions file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from knowme.errors import ConfigError
from knowme.eval.refs import load_questions, run, sources_of
from knowme.interfaces.cli import app
from tests.samples import write_messages

ICS = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//test//EN
BEGIN:VEVENT
UID:dentist-1@test
DTSTAMP:20250601T120000Z
DTSTART:20250617T153000Z
DTEND:20250617T163000Z
SUMMARY:Dentist: check-up with Dr. Carla Menezes
DESCRIPTION:Bring the insurance card.
END:VEVENT
BEGIN:VEVENT
UID:yoga-1@test
DTSTAMP:20250601T120000Z
DTSTART:20250618T190000Z
DTEND:20250618T200000Z
SUMMARY:Yoga with Ana
END:VEVENT
END:VCALENDAR
"""


def write_life(root: Path) -> Path:
    root.mkdir()
    write_messages(
        root / "inbox.mbox",
        [
            {"From": "Rui <rui@test>", "To": "Me <me@test>", "Subject": subject, "body": body,
             "Date": f"Mon, 0{day} Jun 2025 09:00:00 +0000", "Message-ID": f"<{mid}>"}
            for mid, subject, body, day in [
                ("boiler@test", "Boiler repair", "The boiler repair is on Thursday; the invoice is INV-2231.", 2),
                ("garden@test", "Garden", "The hedge trimming costs 80 euros, I will come on Saturday.", 3),
                ("books@test", "Book club", "Next month we read The Left Hand of Darkness.", 4),
            ]
        ],
    )  # fmt: skip
    (root / "personal.ics").write_text(ICS, encoding="utf-8")
    (root / "notes").mkdir()
    (root / "notes" / "Sourdough.md").write_text("# Sourdough\n\n75% hydration, 2% salt.\n", encoding="utf-8")
    (root / "notes" / "Wifi.md").write_text("# Home\n\nThe wifi password is on the fridge.\n", encoding="utf-8")
    lines = [
        {"conversation": "crew", "id": "c1", "time": "2025-06-05T10:00:00+00:00", "speaker": "Lena",
         "text": "The campsite is booked in Campo do Gerês for August."},
        {"conversation": "crew", "id": "c2", "time": "2025-06-05T10:01:00+00:00", "speaker": "Me",
         "text": "Perfect, I'll bring the tent."},
    ]  # fmt: skip
    (root / "crew.chat.jsonl").write_text("\n".join(json.dumps(x) for x in lines) + "\n", encoding="utf-8")
    return root


QUESTIONS = [
    {"question": "What should I bring to the dentist?", "evidence": ["cal:dentist-1@test"]},
    {"question": "What's the invoice number for the boiler?", "evidence": ["mail:boiler@test"], "category": "mail"},
    {"question": "What hydration for my bread?", "evidence": ["note:notes/Sourdough.md"], "as_of": "2099-12-31"},
    {"question": "Where is the campsite?", "evidence": ["chat:c1", "mail:no-such-message@test"]},
    {"question": "Which book is the club reading?", "evidence": ["mail:books@test", "note:notes/Sourdough.md"]},
    {"question": "What is my passport number?", "evidence": []},
    {"question": "Only a typo answers this", "evidence": ["cal:typo@test"]},
]


def write_questions(path: Path, rows: list[dict[str, object]] = QUESTIONS) -> Path:
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n\n", encoding="utf-8")
    return path


def test_questions_file_is_read_with_clear_errors(tmp_path: Path) -> None:
    questions = load_questions(write_questions(tmp_path / "q.jsonl"))
    assert len(questions) == 7
    assert [q.category for q in questions[:6]] == ["cal", "mail", "note", "several", "several", "unanswerable"]
    assert questions[2].as_of is not None and questions[2].as_of.year == 2099 and questions[0].as_of is None
    for bad, message in [
        ("{not json", "q.jsonl:2: not JSON"),
        ('{"evidence": ["mail:x"]}', 'needs a "question"'),
        ('{"question": "Q?", "evidence": "mail:x"}', "must be a list of refs"),
        ('{"question": "Q?", "evidence": ["no-colon"]}', "must be a list of refs"),
        ('{"question": "Q?", "as_of": "yesterday-ish"}', "q.jsonl:2: bad as_of"),
    ]:
        (tmp_path / "q.jsonl").write_text('{"question": "fine?"}\n' + bad + "\n", encoding="utf-8")
        with pytest.raises(ConfigError, match=message):
            load_questions(tmp_path / "q.jsonl")
    (tmp_path / "empty.jsonl").write_text("\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="no questions"):
        load_questions(tmp_path / "empty.jsonl")
    assert sources_of(["mail:a", "mail:b"]) == "mail" and sources_of([]) == "unanswerable"


def test_run_scores_every_source_and_counts_unknown_refs(tmp_path: Path) -> None:
    life = write_life(tmp_path / "life")
    questions = load_questions(write_questions(tmp_path / "q.jsonl"))
    report = run([life], questions, tmp_path / "work", systems=("knowme", "bm25"))
    assert report["items"] == {"chat_message": 2, "email": 3, "event": 2, "note": 2}
    assert report["dropped_evidence"] == ["mail:no-such-message@test", "cal:typo@test"]
    assert report["questions_without_evidence"] == 1 and report["answerable"] == 5 and report["unanswerable"] == 1
    knowme = report["systems"]["knowme"]
    assert knowme["overall"]["n"] == 5
    assert knowme["overall"]["any@10"] == 1.0 and knowme["overall"]["all@10"] == 1.0  # nine items: all in the top 10
    assert knowme["overall"]["any@1"] >= 0.6
    assert set(knowme["by_category"]) == {"cal", "mail", "note", "several"}  # categories as the file gives them
    assert knowme["by_category"]["several"]["n"] == 2  # the campsite question is scored on its one known ref
    assert knowme["latency_ms"]["n"] == 6  # the unanswerable question is asked too, for the found signal
    assert set(knowme["found"]) == {"auc_vs_unanswerable", "answerable_said_found", "unanswerable_said_not_found"}
    with pytest.raises(ConfigError, match="not empty"):
        run([life], questions, tmp_path / "work", systems=("bm25",))
    with pytest.raises(ConfigError, match="unknown system"):
        run([life], questions, tmp_path / "other", systems=("magic",))


def test_cli_measures_files_with_a_questions_file(tmp_path: Path) -> None:
    life = write_life(tmp_path / "life")
    questions = write_questions(tmp_path / "q.jsonl", QUESTIONS[:3])
    out = tmp_path / "report.json"
    result = CliRunner().invoke(
        app, ["eval", "refs", str(life), "--questions", str(questions), "--system", "bm25", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())
    assert list(report["systems"]) == ["bm25"] and report["systems"]["bm25"]["overall"]["n"] == 3
    assert "bm25: search p50" in result.output
    alone = CliRunner().invoke(app, ["eval", "refs", str(life)])
    assert alone.exit_code != 0 and "--questions" in str(alone.exception)
    nothing = CliRunner().invoke(app, ["eval", "refs", "--questions", str(questions)])
    assert nothing.exit_code != 0 and "files or folders" in str(nothing.exception)


def test_the_kept_vault_is_not_under_a_known_passphrase(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The user's own files in the --work vault: no constant of the code opens it; a passphrase the user gives does."""
    from knowme.errors import WrongPassphrase
    from knowme.eval import locomo
    from knowme.opening import open as open_vault

    monkeypatch.delenv("KNOWME_EVAL_PASSPHRASE", raising=False)
    life = write_life(tmp_path / "life")
    questions = write_questions(tmp_path / "q.jsonl", QUESTIONS[:2])
    work = tmp_path / "work"
    result = CliRunner().invoke(
        app, ["eval", "refs", str(life), "--questions", str(questions), "--system", "bm25", "--work", str(work),
              "--out", str(tmp_path / "r.json")],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    for known in (locomo.PASSPHRASE, "knowme-eval", "knowme-demo", ""):
        with pytest.raises(WrongPassphrase):
            open_vault(work / "vault", known or "x", create=False)
    raw = (work / "vault" / "vault.db").read_bytes()
    assert b"INV-2231" not in raw
    # a passphrase the user gives (KNOWME_EVAL_PASSPHRASE) is the one the vault takes
    monkeypatch.setenv("KNOWME_EVAL_PASSPHRASE", "my own eval phrase")
    mine = tmp_path / "mine"
    given = CliRunner().invoke(
        app, ["eval", "refs", str(life), "--questions", str(questions), "--system", "bm25", "--work", str(mine),
              "--out", str(tmp_path / "r2.json")],
    )  # fmt: skip
    assert given.exit_code == 0, given.output
    assert "my own eval phrase" not in given.output
    with open_vault(mine / "vault", "my own eval phrase", create=False) as vault:
        assert sum(vault.store.counts().values()) == 9
