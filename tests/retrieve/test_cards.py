"""A question that names a person also reads that person's contact card: it answers what such questions ask (a
birthday, a job, how they are known) in words the question rarely uses."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

import knowme
from knowme.retrieve.search import HYBRID
from tests.samples import write_messages

CARDS = """BEGIN:VCARD\r
VERSION:3.0\r
UID:lena-card\r
FN:Lena Fischer\r
EMAIL:lena@design.example\r
ORG:Cobalto Labs\r
TITLE:Product Designer\r
BDAY:1991-04-23\r
NOTE:Friend since the 2021 design sprint.\r
END:VCARD\r
BEGIN:VCARD\r
VERSION:3.0\r
UID:tom-card\r
FN:Tom Becker\r
EMAIL:tom@cobalto.example\r
TITLE:Engineering manager\r
END:VCARD\r
BEGIN:VCARD\r
VERSION:3.0\r
UID:will-card\r
FN:Will Carter\r
EMAIL:will@garden.example\r
END:VCARD\r
"""

# Mail full of the question's words ("Lena", "birthday", "long", "known"), none of it the answer.
BODIES = [
    "Lena's birthday party: shall we book the place by the river? Lena said she'd like a long lunch.",
    "Reminder: Lena's birthday cake. Who is bringing candles for Lena?",
    "Lena's birthday card is on my desk, sign it before Friday. Lena won't look, I promise.",
    "Long day. Lena and I have known about the launch delay since Monday.",
    "Did you know Lena's birthday falls on a Saturday this year? Lena is thrilled.",
    "Lena asked how long the birthday playlist should be. Lena wants it long.",
    "The birthday present for Lena has arrived. Lena will love the long scarf.",
    "Known issue: Lena's laptop battery. Lena needs a long cable for the birthday demo.",
    "Lena's birthday dinner moved to 8pm. Lena will be late, long meeting.",
    "Lena says thanks for the birthday wishes! Lena has known you all for so long.",
    "Tom wants the release notes by Thursday.",
    "Will you water the plants while we are away?",
]


@pytest.fixture
def people(vault: knowme.Vault, tmp_path: Path) -> knowme.Vault:
    (tmp_path / "contacts.vcf").write_text(CARDS, encoding="utf-8")
    write_messages(
        tmp_path / "mail.mbox",
        [
            {"From": "Ana <ana@home.example>", "To": "me@home.example", "Subject": f"Note {n}", "body": body,
             "Date": f"Mon, {n + 1:02d} Jun 2025 09:00:00 +0000", "Message-ID": f"<m{n}@home.example>"}
            for n, body in enumerate(BODIES)
        ],
    )  # fmt: skip
    vault.ingest([tmp_path / "contacts.vcf", tmp_path / "mail.mbox"])
    return vault


def test_a_named_persons_card_comes_back(people: knowme.Vault) -> None:
    question = "How long have I known Lena?"  # the card says "Friend since the 2021 design sprint"
    refs = [h.ref for h in people.search(question, k=5)]
    assert "vcf:lena-card" in refs, refs
    without = [h.ref for h in people.search(question, k=5, preset=replace(HYBRID, cards=False))]
    assert "vcf:lena-card" not in without  # the mail's words alone bury it


def test_a_full_name_finds_the_card_in_any_case(people: knowme.Vault) -> None:
    refs = [h.ref for h in people.search("what does tom becker do", k=5)]
    assert "vcf:tom-card" in refs


def test_no_card_unless_the_person_is_named(people: knowme.Vault) -> None:
    """A lower-case "will" is not Will Carter, and a question naming nobody is searched as without cards."""
    for question in ("who will water the plants?", "what is the birthday cake?"):
        hits = people.search(question, k=10)
        without = people.search(question, k=10, preset=replace(HYBRID, cards=False))
        assert [(h.ref, h.score) for h in hits] == [(h.ref, h.score) for h in without]


def test_filters_hold_for_cards(people: knowme.Vault) -> None:
    refs = [h.ref for h in people.search("When is Lena's birthday?", k=5, kinds=["email"])]
    assert refs and not any(r.startswith("vcf:") for r in refs)
