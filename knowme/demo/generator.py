"""The deterministic sample life behind ``knowme demo``, and a bulk mbox writer for benchmarks.

:func:`generate_life` writes one fictional year of Sofia Almeida, a backend engineer who moves from Lisbon
to Porto in July, into ``out_dir`` in the real formats of each source::

    mail/inbox.mbox, mail/sent.mbox         ~250 messages: threads, quotes, signatures, HTML-only
                                            newsletters, attachments, RFC 2047 names (knowme.demo.lifemail)
    calendar/personal.ics                   80 events: VTIMEZONE, RRULE + EXDATE, all-day (knowme.demo.calgen)
    contacts/contacts.vcf                   26 cards: Apple vCard 3.0 and vCard 4.0 (knowme.demo.cardgen)
    notes/...                               41 Obsidian-style notes (knowme.demo.notegen)
    chats/chatgpt/conversations.json        a ChatGPT export with mapping trees (knowme.demo.chatgen)
    chats/friends.chat.jsonl                knowme's generic chat format
    browser/History, browser/places.sqlite  Chromium and Firefox history databases (knowme.demo.webgen)

and returns a :class:`LifeManifest` with questions whose answers sit in specific items, named by their
source-native refs: eight for ``knowme demo`` to ``ask``, and more for ``knowme eval refs`` to search
(:mod:`knowme.demo.questions`). The same ``(seed, year)`` gives byte-identical files: nothing reads the clock, uses
``uuid4`` or iterates an unordered set, and MIME boundaries and mbox From_ lines are set explicitly. The
seed moves the background (filler threads, visits, chat banter); the story and its dates depend only on
``year``. Files this function owns are replaced; nothing else in ``out_dir`` is touched.

:func:`write_mbox` (from :mod:`knowme.demo.bulkmail`) writes N synthetic emails for benchmarks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from knowme.demo.bulkmail import write_mbox
from knowme.demo.calgen import write_calendar
from knowme.demo.cardgen import write_contacts
from knowme.demo.chatgen import write_chats
from knowme.demo.lifemail import write_life_mail
from knowme.demo.mailstory import long_day, short_day
from knowme.demo.notegen import write_notes
from knowme.demo.questions import DemoQuestion, search_questions
from knowme.demo.story import Story, make_story
from knowme.demo.webgen import write_browsers

__all__ = ["DemoQuestion", "LifeManifest", "generate_life", "write_mbox"]


@dataclass(frozen=True)
class LifeManifest:
    """What :func:`generate_life` wrote: whose life, which files, how many items of each kind, and questions."""

    owner_name: str
    owner_email: str
    year: int
    seed: int
    files: list[str]
    counts: dict[str, int]
    questions: list[DemoQuestion]
    owner_aliases: tuple[str, ...] = field(default=())
    search_questions: list[DemoQuestion] = field(default_factory=list)  # for ``knowme eval refs``


def _questions(story: Story, refs: dict[str, dict[str, str]]) -> list[DemoQuestion]:
    lena = story.p("lena")
    if lena.birthday is None:
        raise ValueError("the story needs Lena's birthday")
    dentist = story.dentist
    move = story.move_day
    mail, cal, vcf, note, chat, web = (refs[k] for k in ("mail", "cal", "vcf", "note", "chat", "web"))
    return [
        DemoQuestion(
            "When is Lena's birthday?",
            (vcf["lena"], cal["bday-lena"]),
            f"{short_day(lena.birthday)} (born {lena.birthday.year})",
        ),
        DemoQuestion(
            "What did Tom ask me to send before the offsite?",
            (mail["tom_offsite"], mail["me_offsite_reply"]),
            "The p99 latency budget slides (and, if time allowed, a Q2 on-call rota draft), "
            f"before the Sintra offsite on {short_day(story.offsite)}.",
        ),
        DemoQuestion(
            "Which restaurant did we book for the anniversary?",
            (chat["anniversary_booking"], cal["anniversary"]),
            f"Taberna Flor de Sal in Ribeira, Porto, on {short_day(story.anniversary.date())} at 20:30.",
        ),
        DemoQuestion(
            "When is the dentist appointment?",
            (cal["dentist"],),
            f"{long_day(dentist.date())} {dentist.year} at {dentist:%H:%M} with Dr. Carla Menezes "
            "(Clínica Dentária Estrela).",
        ),
        DemoQuestion(
            "Which hiking boots was I looking at?",
            (web["boots"],),
            "The Montanha Trek GTX Mid women's hiking boots from Trilho Outdoor.",
        ),
        DemoQuestion(
            "When does the moving truck arrive?",
            (mail["truck_mail"], cal["moving-truck"]),
            f"{long_day(move)} {move.year} at 08:00, at Rua dos Remédios 41 in Alfama (Mudanças Norte).",
        ),
        DemoQuestion(
            "What is the address of our new flat in Porto?",
            (note["Projects/Move to Porto.md"], mail["flat_viewing_mail"]),
            "Rua do Bonfim 214, 3.º Esq., 4300-069 Porto.",
        ),
        DemoQuestion(
            "Which Postgres setting did ChatGPT suggest for the slow report query?",
            (chat["postgres_answer"],),
            "Raise work_mem to 64MB for the reporting session or role (not globally), and add an index "
            "on payments (account_id, created_at).",
        ),
    ]


def generate_life(out_dir: Path, *, seed: int = 7, year: int = 2025) -> LifeManifest:
    """Write the sample life into ``out_dir`` and describe it; the same arguments give the same bytes."""
    root = Path(out_dir)
    root.mkdir(parents=True, exist_ok=True)
    story = make_story(seed, year)
    files: list[str] = []
    counts: dict[str, int] = {}
    refs: dict[str, dict[str, str]] = {}
    writers = (
        ("mail", "email", write_life_mail),
        ("cal", "event", write_calendar),
        ("vcf", "contact", write_contacts),
        ("note", "note", write_notes),
        ("chat", "chat_message", write_chats),
        ("web", "web_visit", write_browsers),
    )
    for prefix, kind, write in writers:
        paths, count, named = write(story, root)
        files.extend(paths)
        counts[kind] = count
        refs[prefix] = named
    return LifeManifest(
        owner_name=story.me.name,
        owner_email=story.me.email,
        year=year,
        seed=seed,
        files=sorted(files),
        counts=counts,
        questions=_questions(story, refs),
        owner_aliases=(story.work_email,),
        search_questions=search_questions(refs, year),
    )


def ingest_targets(life: Path, files: list[str]) -> list[Path]:
    """The paths to ingest: every written file, except that the notes folder goes in whole."""
    targets: list[Path] = []
    for rel in files:
        top = Path(rel).parts[0]
        if top == "notes":
            if life / "notes" not in targets:
                targets.append(life / "notes")
        else:
            targets.append(life / rel)
    return targets
