"""Loose ends in the demo life's mail, for the digest: questions Sofia has not answered yet and promises with due
dates, some kept and some still open. :data:`PENDING` describes each one for the ground truth
(:func:`knowme.demo.truth.digest_truth`), so the mail and the truth cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from knowme.demo.mailstory import MailBook, Step


@dataclass(frozen=True)
class Pending:
    """One loose end: what kind (``awaiting_reply`` or a commitment direction), who, when it opened, when it is due,
    and when it closed (Sofia replied or the promise was kept), if ever."""

    key: str
    kind: str  # awaiting_reply, made, asked, received
    person: str
    opened: tuple[int, int]
    due: tuple[int, int] | None = None
    closed: tuple[int, int] | None = None
    keywords: tuple[str, ...] = ()

    def day(self, year: int, which: tuple[int, int] | None) -> date | None:
        return date(year, *which) if which else None


PENDING: tuple[Pending, ...] = (
    Pending("zoe-visit", "awaiting_reply", "zoe", (6, 20), closed=(6, 24), keywords=("Porto", "weekend")),
    Pending("desk-plan", "received", "priya", (10, 13), due=(10, 20), keywords=("desk plan",)),
    Pending("contract", "made", "ricardo", (11, 18), due=(12, 5), keywords=("rental contract",)),
    Pending("capacity", "asked", "chloe", (11, 24), due=(11, 28), keywords=("capacity estimates",)),
    Pending("capacity-mail", "awaiting_reply", "chloe", (11, 24), keywords=("capacity estimates",)),
    Pending("party", "awaiting_reply", "hugo", (12, 1), keywords=("Christmas party",)),
)


def pending_threads(book: MailBook) -> None:
    s = book.story
    at = s.at
    book.thread(
        "Porto in July?",
        [
            Step(
                "zoe",
                at(6, 20, 18, 30),
                "Coucou Sofia! Are you free the weekend of 5 July? I could take the train "
                "up to Porto and help you pack.\n\nBises,\nZoë",
                to=("me",),
            ),  # fmt: skip
            Step(
                "me",
                at(6, 24, 21, 10),
                "Zoë! That weekend is the last one before the move, chaos everywhere. "
                "Come in September instead, the guest room will be ready.\n\nBeijinhos",
            ),  # fmt: skip
        ],
        work=False,
    )
    book.thread(
        "Desk plan for the Porto hub",
        [
            Step(
                "priya",
                at(10, 13, 9, 40),
                "Hi Sofia,\n\nWe're reshuffling the second floor. I'll send you the desk "
                "plan by 20 October so you can pick a spot near the window.\n\nPriya",
                to=("me",),
            )
        ],  # fmt: skip
        work=True,
    )
    book.thread(
        "IRS: rental contract",
        [
            Step(
                "me",
                at(11, 18, 10, 5),
                "Dear Ricardo,\n\nThank you for the reminder. I'll send you the signed rental "
                "contract for the Bonfim flat by 5 December.\n\nSofia",
                to=("ricardo",),
            )
        ],  # fmt: skip
        work=False,
    )
    book.thread(
        "Q1 capacity",
        [
            Step(
                "chloe",
                at(11, 24, 11, 15),
                "Hi Sofia,\n\nCould you send me the Q1 capacity estimates for the ledger "
                "team by Friday 28 November? I need them for the roadmap review.\n\nThanks!\nChloé",
                to=("me",),
            )
        ],  # fmt: skip
        work=True,
    )
    book.thread(
        "Christmas party at Vertigem",
        [
            Step(
                "hugo",
                at(12, 1, 19, 20),
                "Olá vizinha! Are you and Miguel coming to the climbing gym's Christmas "
                "party on the 12th? I need numbers by Wednesday.\n\nHugo",
                to=("me",),
            )
        ],  # fmt: skip
        work=False,
    )
