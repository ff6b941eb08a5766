"""A question that calls someone by their relation to the owner ("my brother") also searches for their name."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

import knowme
import knowme.retrieve.searcher
from knowme.graph.context import relatives_named
from knowme.retrieve.search import HYBRID
from tests.samples import write_messages

CARDS = """BEGIN:VCARD\r
VERSION:3.0\r
UID:me-card\r
FN:Sofia Almeida\r
EMAIL:sofia@home.example\r
item1.X-ABRELATEDNAMES:Pedro Almeida\r
item1.X-ABLabel:_$!<Brother>!$_\r
END:VCARD\r
BEGIN:VCARD\r
VERSION:3.0\r
UID:pedro-card\r
FN:Pedro Almeida\r
ORG:Hospital de Santa Maria\r
TITLE:Nurse\r
END:VCARD\r
BEGIN:VCARD\r
VERSION:3.0\r
UID:rui-card\r
FN:Rui Pereira\r
ORG:Trilho Outdoor\r
TITLE:Shop owner\r
END:VCARD\r
"""


def test_my_brother_finds_his_card(vault: knowme.Vault, tmp_path: Path) -> None:
    (tmp_path / "contacts.vcf").write_text(CARDS, encoding="utf-8")
    recipients = ["Rui Pereira <rui@shop.example>", "Ana <ana@home.example>", "Bea <bea@home.example>"]
    bodies = ["You're the best brother.", "What does the brother printer do when the toner is low?",
              "See you on Sunday at the market."]  # fmt: skip
    write_messages(
        tmp_path / "mail.mbox",
        [  # her own mail, to several people: the graph learns who the owner is
            {"From": "Sofia Almeida <sofia@home.example>", "To": to, "Subject": "Hello", "body": body,
             "Date": f"Mon, 0{n + 1} Jun 2025 09:00:00 +0000", "Message-ID": f"<m{n}@home.example>"}
            for n, (to, body) in enumerate(zip(recipients, bodies, strict=True))
        ],
    )  # fmt: skip
    vault.ingest([tmp_path / "contacts.vcf", tmp_path / "mail.mbox"])
    question = "What does my brother do for a living?"
    assert relatives_named(vault.store, question, date.today()) == ["Pedro Almeida"]
    result = vault.search_result(question, k=3)
    assert {"pedro", "almeida"} <= set(result.analysis.terms)
    assert result.hits[0].ref == "vcf:pedro-card"
    plain = vault.search(question, k=3, preset=replace(HYBRID, relatives=False))
    assert plain[0].ref != "vcf:pedro-card"  # the word "brother" alone finds the mail that says it
    # someone else's relative is not the owner's, and a question without one costs nothing
    assert relatives_named(vault.store, "What does Rui's brother do?", date.today()) == []
    assert relatives_named(vault.store, "What does Pedro do?", date.today()) == []


def test_the_reranker_reads_the_name_too(vault: knowme.Vault, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.llm.test_rerank import ByWord

    (tmp_path / "contacts.vcf").write_text(CARDS, encoding="utf-8")
    write_messages(
        tmp_path / "mail.mbox",
        [
            {"From": "Sofia Almeida <sofia@home.example>", "To": to, "Subject": "Hi", "body": "See you soon.",
             "Date": f"Mon, 0{n + 1} Jun 2025 09:00:00 +0000", "Message-ID": f"<r{n}@home.example>"}
            for n, to in enumerate(["Ana <ana@home.example>", "Bea <bea@home.example>", "Rui <rui@shop.example>"])
        ],
    )  # fmt: skip
    vault.ingest([tmp_path / "contacts.vcf", tmp_path / "mail.mbox"])
    fake = ByWord("nurse")
    monkeypatch.setattr(knowme.retrieve.searcher, "make_reranker", lambda name: fake)
    vault.context("What does my brother do for a living?")
    assert fake.calls[-1][0] == "What does my brother do for a living? (Pedro Almeida)"
    vault.context("What does Rui do for a living?")
    assert fake.calls[-1][0] == "What does Rui do for a living?"
