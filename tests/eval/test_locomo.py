"""The LoCoMo harness on a small conversation in the benchmark's own format, written by the test."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from knowme.eval.locomo import convert, normalise_dia_id, parse_session_time, run, score
from knowme.interfaces.cli import app

SESSION_1 = [
    ("Maya", "I finally adopted a rescue greyhound named Pixel last weekend!"),
    ("Theo", "That's wonderful. How is Pixel settling in?"),
    ("Maya", "She sleeps twenty hours a day and steals my socks."),
    ("Theo", "Ha. I started learning the cello, my teacher is very patient."),
]
SESSION_2 = [
    ("Theo", "Look what I built this weekend.", "a photo of a wooden birdhouse painted yellow"),
    ("Maya", "Beautiful! I ran my first half marathon on Sunday in 2 hours 5 minutes."),
    ("Theo", "Impressive. Did Pixel come to cheer?"),
    ("Maya", "She did, wearing a tiny orange raincoat."),
]


def locomo_file(path: Path) -> Path:
    data: dict[str, object] = {
        "speaker_a": "Maya",
        "speaker_b": "Theo",
        "session_1_date_time": "1:47 pm on 18 May, 2023",
        "session_2_date_time": "10:05 am on 2 June, 2023",
        "session_3_date_time": "9:00 am on 9 June, 2023",  # a date without a session: ignored
        "session_1": [{"speaker": s, "dia_id": f"D1:{i + 1}", "text": t} for i, (s, t) in enumerate(SESSION_1)],
        "session_2": [
            {
                "speaker": turn[0],
                "dia_id": f"D2:{i + 1}",
                "text": turn[1],
                **({"blip_caption": turn[2]} if len(turn) > 2 else {}),
            }
            for i, turn in enumerate(SESSION_2)
        ],
        "session_1_summary": "Maya adopted Pixel.",  # annotation: must never be indexed
        "qa": [
            {"question": "What is the name of Maya's dog?", "answer": "Pixel", "evidence": ["D1:1"], "category": 4},
            {"question": "What instrument is Theo learning?", "answer": "cello", "evidence": ["D1:04"], "category": 4},
            {"question": "What did Theo build?", "answer": "a birdhouse", "evidence": ["D2:1"], "category": 4},
            {
                "question": "What has Maya done recently?",
                "answer": "adopted a dog, ran a half marathon",
                "evidence": ["D1:1; D2:2", "D9:9"],
                "category": 1,
            },
            {
                "question": "What instrument is Maya learning?",
                "adversarial_answer": "cello",
                "evidence": ["D1:4"],
                "category": 5,
            },
            {"question": "Where did Theo travel?", "answer": "?", "evidence": ["D7:1"], "category": 2},
        ],
    }
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_conversion_writes_the_chat_format_and_normalises_evidence(tmp_path: Path) -> None:
    conversation = convert(locomo_file(tmp_path / "conv-1.json"), tmp_path / "out")
    lines = [json.loads(line) for line in (tmp_path / "out" / "conv-1.chat.jsonl").read_text().splitlines()]
    assert [line["id"] for line in lines] == [f"D1:{i}" for i in range(1, 5)] + [f"D2:{i}" for i in range(1, 5)]
    assert lines[0]["time"] == "2023-05-18T13:47:00+00:00" and lines[1]["time"] == "2023-05-18T13:47:01+00:00"
    assert lines[4]["caption"] == "a photo of a wooden birdhouse painted yellow"
    assert lines[0]["conversation"] == "conv-1 session 1" and lines[0]["speaker"] == "Maya"
    assert not any(line["text"] == "Maya adopted Pixel." for line in lines)
    by_question = {q.question: q for q in conversation.questions}
    assert by_question["What instrument is Theo learning?"].evidence == ("chat:D1:4",)
    assert by_question["What has Maya done recently?"].evidence == ("chat:D1:1", "chat:D2:2")
    assert by_question["What instrument is Maya learning?"].category == 5
    assert "Where did Theo travel?" not in by_question  # its only evidence id names no turn
    assert conversation.dropped_evidence == 2 and conversation.questions_without_evidence == 1


def test_helpers() -> None:
    assert normalise_dia_id(" D30:05 ") == "D30:5" and normalise_dia_id("session 3") is None
    assert parse_session_time("8:56 pm on 20 July, 2023").isoformat() == "2023-07-20T20:56:00+00:00"


def test_scores_count_turns_not_sessions() -> None:
    ranked = ["chat:D1:2", "chat:D1:1", "chat:D3:1", "chat:D2:2"]
    s = score(ranked, ["chat:D1:1", "chat:D2:2"], packed=ranked[:3])
    assert s.any_at == {1: 0.0, 5: 1.0, 10: 1.0} and s.all_at == {1: 0.0, 5: 1.0, 10: 1.0}
    assert s.rr == 0.5 and s.budget == 0.0
    ideal = 1 + 1 / 1.584962500721156
    assert s.ndcg == pytest.approx((1 / 1.584962500721156 + 1 / 2.321928094887362) / ideal)
    assert score(["chat:D9:9"], ["chat:D1:1"], []).rr == 0.0


def test_run_measures_every_system_through_real_vaults(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    locomo_file(tmp_path / "data" / "conv-1.json")
    report = run(tmp_path / "data", tmp_path / "work", systems=("knowme", "bm25"))
    knowme_overall = report["systems"]["knowme"]["overall"]
    assert knowme_overall["n"] == 4  # the adversarial question is scored for abstention only
    assert knowme_overall["any@10"] == 1.0 and knowme_overall["budget_recall"] == 1.0
    assert knowme_overall["any@1"] >= 0.75
    assert set(report["systems"]["knowme"]["by_category"]) == {"single-hop", "multi-hop"}
    assert report["systems"]["bm25"]["latency_ms"]["n"] == 5
    assert report["conversations"][0]["turns"] == 8
    # a second run reuses the vault: nothing is ingested twice
    again = run(tmp_path / "data", tmp_path / "work", systems=("bm25",))
    assert again["systems"]["bm25"]["overall"] == report["systems"]["bm25"]["overall"]


def test_cli_writes_a_json_report(tmp_path: Path) -> None:
    data = locomo_file(tmp_path / "conv-7.json")
    out = tmp_path / "report.json"
    result = CliRunner().invoke(
        app, ["eval", "locomo", "--data", str(data), "--system", "bm25", "--limit", "2", "--out", str(out), "--json"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())
    assert list(report["systems"]) == ["bm25"] and report["systems"]["bm25"]["overall"]["n"] == 2
    missing = CliRunner().invoke(app, ["eval", "locomo", "--data", str(tmp_path / "nowhere")])
    assert missing.exit_code != 0
