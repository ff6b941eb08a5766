"""The demo life generator: deterministic bytes, files every standard reader accepts, refs that resolve.

Each test reads the generated files with the standard library or the format's usual library (mailbox and
email, icalendar and recurring-ical-events, vobject, yaml, json, sqlite3), never with knowme's connectors.
"""

from __future__ import annotations

import json
import mailbox
import re
import sqlite3
import time
from datetime import UTC, date, datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest
import recurring_ical_events
import vobject
import yaml

from knowme.demo.generator import DemoQuestion, LifeManifest, generate_life, write_mbox
from knowme.demo.webgen import firefox_url_hash, mozilla_hash

LISBON = ZoneInfo("Europe/Lisbon")
REF_KINDS = ("mail", "cal", "vcf", "note", "chat", "web")


@pytest.fixture(scope="module")
def life(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, LifeManifest]:
    root = tmp_path_factory.mktemp("life")
    return root, generate_life(root)


def all_files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def read_mbox(path: Path) -> list[EmailMessage]:
    box = mailbox.mbox(path, create=False)
    try:
        parser = BytesParser(policy=policy.default)
        return [parser.parsebytes(box.get_bytes(key)) for key in box.iterkeys()]
    finally:
        box.close()


def message_text(msg: EmailMessage) -> str:
    parts = []
    for part in msg.walk():
        if part.get_content_maintype() == "text" and not part.is_attachment():
            parts.append(part.get_content())
    return "\n".join([str(msg["Subject"]), *parts])


def read_calendar(root: Path) -> icalendar.Calendar:
    return icalendar.Calendar.from_ical((root / "calendar" / "personal.ics").read_bytes())


def read_cards(root: Path) -> list[vobject.base.Component]:
    text = (root / "contacts" / "contacts.vcf").read_text(encoding="utf-8")
    return list(vobject.readComponents(text))


def read_chat_lines(root: Path) -> list[dict[str, str]]:
    text = (root / "chats" / "friends.chat.jsonl").read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines()]


def read_conversations(root: Path) -> list[dict[str, object]]:
    return json.loads((root / "chats" / "chatgpt" / "conversations.json").read_text(encoding="utf-8"))


def sqlite_rows(path: Path, query: str) -> list[tuple[object, ...]]:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return con.execute(query).fetchall()
    finally:
        con.close()


# ---------------------------------------------------------------- determinism


def test_same_seed_gives_byte_identical_files(tmp_path: Path, life: tuple[Path, LifeManifest]) -> None:
    first_root, first = life
    second = generate_life(tmp_path / "again")
    assert second == first
    assert all_files(tmp_path / "again") == all_files(first_root)


def test_regenerating_into_the_same_folder_replaces_rather_than_appends(
    tmp_path: Path, life: tuple[Path, LifeManifest]
) -> None:
    generate_life(tmp_path)
    generate_life(tmp_path)  # mailbox.mbox appends to an existing file; the generator must not
    assert all_files(tmp_path) == all_files(life[0])


def test_another_seed_moves_the_background_but_keeps_the_story(tmp_path: Path, life: tuple[Path, LifeManifest]) -> None:
    other = generate_life(tmp_path, seed=8)
    root, manifest = life
    assert (tmp_path / "mail" / "inbox.mbox").read_bytes() != (root / "mail" / "inbox.mbox").read_bytes()
    assert [q.question for q in other.questions] == [q.question for q in manifest.questions]
    assert other.files == manifest.files


def test_generation_is_fast(tmp_path: Path) -> None:
    start = time.perf_counter()
    generate_life(tmp_path)
    assert time.perf_counter() - start < 10  # about 0.7 s on an idle 2-core machine


# ---------------------------------------------------------------- manifest


def test_manifest_describes_the_life(life: tuple[Path, LifeManifest]) -> None:
    root, manifest = life
    assert manifest.owner_name == "Sofia Almeida"
    assert manifest.owner_email == "sofia.almeida@mailbox.example"
    assert manifest.owner_aliases == ("sofia@cobaltolabs.example",)
    assert manifest.files == sorted(manifest.files)
    assert set(manifest.files) == set(all_files(root))
    for required in (
        "mail/inbox.mbox",
        "mail/sent.mbox",
        "calendar/personal.ics",
        "contacts/contacts.vcf",
        "chats/chatgpt/conversations.json",
        "chats/friends.chat.jsonl",
        "browser/History",
        "browser/places.sqlite",
        "notes/Daily/2025-03-14.md",
    ):
        assert required in manifest.files
    counts = manifest.counts
    assert 230 <= counts["email"] <= 280
    assert counts["event"] == 80
    assert 24 <= counts["contact"] <= 28
    assert 38 <= counts["note"] <= 45
    assert 150 <= counts["chat_message"] <= 200
    assert 200 <= counts["web_visit"] <= 400
    assert 6 <= len(manifest.questions) <= 8
    for q in manifest.questions:
        assert isinstance(q, DemoQuestion)
        assert q.question.endswith("?") and q.answer_hint
        assert 1 <= len(q.expected_refs) <= 2
        assert all(ref.split(":", 1)[0] in REF_KINDS for ref in q.expected_refs)
    assert {ref.split(":", 1)[0] for q in manifest.questions for ref in q.expected_refs} == set(REF_KINDS)


# ---------------------------------------------------------------- mail


def test_mboxes_parse_without_defects(life: tuple[Path, LifeManifest]) -> None:
    root, manifest = life
    inbox = read_mbox(root / "mail" / "inbox.mbox")
    sent = read_mbox(root / "mail" / "sent.mbox")
    assert len(inbox) + len(sent) == manifest.counts["email"]
    assert 30 <= len(sent) <= len(inbox)
    for msg in [*inbox, *sent]:
        for part in msg.walk():
            assert not part.defects, (msg["Subject"], part.defects)
    ids = [m["Message-ID"] for m in [*inbox, *sent]]
    assert len(set(ids)) == len(ids)
    assert all(str(m["From"]).endswith(("sofia.almeida@mailbox.example>", "sofia@cobaltolabs.example>")) for m in sent)
    assert not any("sofia" in str(m["From"]).split("<")[1] for m in inbox)


def test_mail_has_threads_quotes_html_attachments_and_encoded_names(life: tuple[Path, LifeManifest]) -> None:
    root, _ = life
    raw = (root / "mail" / "inbox.mbox").read_bytes()
    messages = [*read_mbox(root / "mail" / "inbox.mbox"), *read_mbox(root / "mail" / "sent.mbox")]
    by_id = {m["Message-ID"]: m for m in messages}
    replies = [m for m in messages if m["In-Reply-To"]]
    assert len(replies) >= 60
    for reply in replies:
        assert reply["In-Reply-To"] in by_id
        assert reply["References"].split()[-1] == reply["In-Reply-To"]
    assert sum("\n> " in message_text(m) and " wrote:\n" in message_text(m) for m in replies) >= 40
    assert sum("\n-- \n" in message_text(m) for m in messages) >= 40
    html_only = [m for m in messages if m.get_content_type() == "text/html"]
    assert len(html_only) >= 30
    assert sum(m.get_content_type() == "multipart/alternative" for m in messages) >= 5
    names = sorted(a.get_filename() for m in messages for a in m.iter_attachments())
    assert "orçamento-mudança.pdf" in names and "cutover-checklist.csv" in names
    pdfs = [
        a.get_content() for m in messages for a in m.iter_attachments() if a.get_content_type() == "application/pdf"
    ]
    assert pdfs and all(p.startswith(b"%PDF-1.4") and p.rstrip().endswith(b"%%EOF") for p in pdfs)
    assert b"=?utf-8?" in raw  # RFC 2047 encoded words in the raw headers
    senders = {m["From"].addresses[0].display_name for m in messages}
    assert {"José Núñez", "Björn Lindqvist", "Kenji Watanabe (渡辺健二)"} <= senders
    assert any(m["Subject"] == "Quote: move Lisbon → Porto" for m in messages)
    from_lines = [line for line in raw.split(b"\n") if line.startswith(b"From ")]
    assert len(from_lines) == len(read_mbox(root / "mail" / "inbox.mbox"))
    assert all(b"MAILER-DAEMON" not in line for line in from_lines)  # never the wall-clock default


# ---------------------------------------------------------------- calendar


def test_calendar_parses_with_timezone_recurrence_and_all_day_events(life: tuple[Path, LifeManifest]) -> None:
    root, manifest = life
    cal = read_calendar(root)
    zones = {str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")}
    assert {"Europe/Lisbon", "Europe/Berlin"} <= zones
    events = cal.walk("VEVENT")
    assert len(events) == manifest.counts["event"]
    uids = [str(e["UID"]) for e in events]
    assert len(set(uids)) == len(uids)
    assert all("DTSTAMP" in e and "DTSTART" in e for e in events)
    all_day = [e for e in events if type(e.decoded("DTSTART")) is date]
    assert len(all_day) >= 20
    assert any(str(e["SUMMARY"]) == "Lena Fischer's birthday" and e.get("RRULE") for e in all_day)
    recurring = [e for e in events if e.get("RRULE")]
    assert sum(1 for e in recurring if e.get("EXDATE")) >= 3
    organised = [e for e in events if e.get("ORGANIZER")]
    assert organised and all(e.get("ATTENDEE") for e in organised)
    assert any(e.walk("VALARM") for e in events)
    summaries = {str(e["SUMMARY"]) for e in events}
    assert {"Moving truck arrives (Mudanças Norte)", "First day at the Porto hub", "Dia de Portugal"} <= summaries


def test_weekly_standup_skips_its_exdates(life: tuple[Path, LifeManifest]) -> None:
    root, _ = life
    cal = read_calendar(root)
    offsite = date(2025, 2, 21)  # the offsite's Friday: the Monday-Wednesday-Friday standup is excluded
    week = recurring_ical_events.of(cal).between(datetime(2025, 2, 17, tzinfo=UTC), datetime(2025, 2, 24, tzinfo=UTC))
    standups = sorted(e.decoded("DTSTART") for e in week if str(e["SUMMARY"]) == "Team standup")
    assert [d.date() for d in standups] == [date(2025, 2, 17), date(2025, 2, 19)]
    assert offsite not in {d.date() for d in standups}
    assert standups[0].tzinfo is not None and standups[0].utcoffset() == timedelta(0)
    summer = recurring_ical_events.of(cal).at((2025, 7, 7))  # a Monday
    standup = next(e for e in summer if str(e["SUMMARY"]) == "Team standup")
    assert standup.decoded("DTSTART").utcoffset() == timedelta(hours=1)  # WEST in summer


# ---------------------------------------------------------------- contacts


def test_contacts_parse_with_vobject(life: tuple[Path, LifeManifest]) -> None:
    root, manifest = life
    raw = (root / "contacts" / "contacts.vcf").read_bytes()
    assert b"\r\n" in raw and all(len(line) <= 75 for line in raw.split(b"\r\n"))
    cards = read_cards(root)
    assert len(cards) == manifest.counts["contact"]
    versions = [c.version.value for c in cards]
    assert versions.count("4.0") >= 2 and versions.count("3.0") >= 20
    me = next(c for c in cards if c.fn.value == "Sofia Almeida")
    related = {n.value: n.group for n in me.contents["x-abrelatednames"]}
    labels = {lab.group: lab.value for lab in me.contents["x-ablabel"]}
    assert labels[related["Helena Almeida"]] == "_$!<Mother>!$_"
    assert labels[related["Miguel Costa"]] == "_$!<Partner>!$_"
    assert labels[related["Tom Becker"]] == "_$!<Manager>!$_"
    lena = next(c for c in cards if c.fn.value == "Lena Fischer")
    assert lena.bday.value == "1991-04-23"
    miguel = next(c for c in cards if c.fn.value == "Miguel Costa")
    assert miguel.version.value == "4.0"
    teresa = next(c for c in cards if c.fn.value == "Teresa Costa")
    assert {r.value for r in miguel.contents["related"]} == {"Sofia Almeida", teresa.uid.value}
    assert next(c for c in cards if c.fn.value == "José Núñez").n.value.family == "Núñez"
    assert sum("uid" not in c.contents for c in cards) == 2


# ---------------------------------------------------------------- notes


def test_notes_are_an_obsidian_vault(life: tuple[Path, LifeManifest]) -> None:
    root, manifest = life
    notes = sorted((root / "notes").rglob("*.md"))
    assert len(notes) == manifest.counts["note"]
    daily = [p for p in notes if p.parent.name == "Daily"]
    assert len(daily) >= 15 and all(re.fullmatch(r"\d{4}-\d{2}-\d{2}\.md", p.name) for p in daily)
    with_front = 0
    links = 0
    for path in notes:
        text = path.read_text(encoding="utf-8")
        assert text.endswith("\n") and "\r" not in text
        if text.startswith("---\n"):
            meta = yaml.safe_load(text.split("---\n")[1])
            assert isinstance(meta, dict) and meta.get("title")
            with_front += 1
        links += len(re.findall(r"\[\[[^\]]+\]\]", text))
    assert with_front >= 15 and links >= 30
    assert (root / "notes" / "Recipes" / "Bacalhau à Brás.md").exists()
    decision = (root / "notes" / "Daily" / "2025-03-14.md").read_text(encoding="utf-8")
    assert "[[Move to Porto]]" in decision and "#porto" in decision


# ---------------------------------------------------------------- chats


def test_chatgpt_export_has_consistent_mapping_trees(life: tuple[Path, LifeManifest]) -> None:
    root, _ = life
    conversations = read_conversations(root)
    assert 8 <= len(conversations) <= 12
    branched = 0
    for conv in conversations:
        mapping = conv["mapping"]
        assert isinstance(mapping, dict) and conv["id"] == conv["conversation_id"]
        roots = [n for n in mapping.values() if n["parent"] is None]
        assert len(roots) == 1 and roots[0]["message"] is None
        for node_id, node in mapping.items():
            assert node["id"] == node_id
            for child in node["children"]:
                assert mapping[child]["parent"] == node_id
        branched += any(len(n["children"]) > 1 for n in mapping.values())
        path = []
        node = mapping[conv["current_node"]]
        while node["parent"] is not None:
            path.append(node["message"])
            node = mapping[node["parent"]]
        roles = [m["author"]["role"] for m in reversed(path)]
        assert roles[0] == "system" and roles[1] == "user" and roles[-1] == "assistant"
        assert all(isinstance(m["create_time"], float) for m in path if m["author"]["role"] != "system")
    assert branched == 1


def test_friends_chat_is_generic_jsonl(life: tuple[Path, LifeManifest]) -> None:
    root, _ = life
    lines = read_chat_lines(root)
    assert 130 <= len(lines) <= 170
    assert len({line["id"] for line in lines}) == len(lines)
    times = []
    for line in lines:
        assert {"conversation", "id", "time", "speaker", "text"} <= set(line)
        when = datetime.fromisoformat(line["time"])
        assert when.tzinfo is not None and when.year == 2025
        times.append(when)
    assert times == sorted(times)
    assert {line["conversation"] for line in lines} == {"Miguel", "Trilhos & Tascas", "Família Almeida"}
    assert sum("caption" in line for line in lines) >= 4


# ---------------------------------------------------------------- browsers


def test_chromium_history_has_the_real_schema_and_webkit_times(life: tuple[Path, LifeManifest]) -> None:
    root, manifest = life
    path = root / "browser" / "History"
    tables = {r[0] for r in sqlite_rows(path, "SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"meta", "urls", "visits", "keyword_search_terms", "visit_source"} <= tables
    columns = {r[1] for r in sqlite_rows(path, "PRAGMA table_info(visits)")}
    assert {"id", "url", "visit_time", "from_visit", "transition", "visit_duration"} <= columns
    visits = sqlite_rows(path, "SELECT v.visit_time, v.transition, u.url FROM visits v JOIN urls u ON u.id = v.url")
    epoch = datetime(1601, 1, 1, tzinfo=UTC)
    for stamp, transition, _ in visits:
        assert (epoch + timedelta(microseconds=stamp)).year == 2025
        assert transition & 0xFF in (0, 1, 5)
    counts = sqlite_rows(path, "SELECT SUM(visit_count) = (SELECT COUNT(*) FROM visits) FROM urls")
    assert counts == [(1,)]
    terms = sqlite_rows(path, "SELECT t.term, u.url FROM keyword_search_terms t JOIN urls u ON u.id = t.url_id")
    assert terms and all("google.com/search" in url for _, url in terms)
    assert sqlite_rows(path, "SELECT value FROM meta WHERE key = 'version'") == [("69",)]
    firefox = len(sqlite_rows(root / "browser" / "places.sqlite", "SELECT id FROM moz_historyvisits"))
    assert len(visits) + firefox == manifest.counts["web_visit"]


def test_firefox_places_has_the_real_schema_and_unix_times(life: tuple[Path, LifeManifest]) -> None:
    root, _ = life
    path = root / "browser" / "places.sqlite"
    tables = {r[0] for r in sqlite_rows(path, "SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"moz_places", "moz_historyvisits", "moz_origins", "moz_bookmarks"} <= tables
    assert sqlite_rows(path, "PRAGMA user_version") == [(77,)]
    rows = sqlite_rows(
        path,
        "SELECT p.url, p.rev_host, p.url_hash, v.visit_date, v.visit_type FROM moz_historyvisits"
        " v JOIN moz_places p ON p.id = v.place_id",
    )
    assert len(rows) >= 100
    for url, rev_host, url_hash, visit_date, visit_type in rows:
        assert datetime.fromtimestamp(visit_date / 1_000_000, UTC).year == 2025
        assert visit_type in (1, 2)
        assert url_hash == firefox_url_hash(url) and url_hash >> 32 > 0
        assert rev_host.endswith(".") and rev_host[:-1][::-1] in url


def test_mozilla_hash_matches_known_values() -> None:
    # HashString is golden-ratio multiply-rotate: hash("a") = 0x9E3779B9 * 0x61 mod 2**32.
    assert mozilla_hash(b"a") == (0x9E3779B9 * 0x61) & 0xFFFFFFFF
    assert mozilla_hash(b"") == 0
    assert firefox_url_hash("no-colon-here") == mozilla_hash(b"no-colon-here")
    assert firefox_url_hash("https://x") >> 32 == mozilla_hash(b"https") & 0xFFFF


# ---------------------------------------------------------------- refs


def resolve(root: Path, ref: str) -> str:
    """The text of the item a ref names, read with the standard readers; KeyError when it does not exist."""
    kind, value = ref.split(":", 1)
    if kind == "mail":
        for box in ("inbox", "sent"):
            for msg in read_mbox(root / "mail" / f"{box}.mbox"):
                if msg["Message-ID"] == f"<{value}>":
                    return message_text(msg)
    elif kind == "cal":
        for event in read_calendar(root).walk("VEVENT"):
            if str(event["UID"]) == value:
                return event.to_ical().decode("utf-8").replace("\r\n ", "").replace("\\,", ",")
    elif kind == "vcf":
        for card in read_cards(root):
            uid = card.uid.value if "uid" in card.contents else None
            if value in (uid, card.fn.value):
                return card.serialize()
    elif kind == "note":
        path = root / "notes" / value
        if path.is_file():
            return path.read_text(encoding="utf-8")
    elif kind == "chat":
        for line in read_chat_lines(root):
            if line["id"] == value:
                return line["text"]
        for conv in read_conversations(root):
            node = conv["mapping"].get(value)  # type: ignore[union-attr]
            if node and node["message"]:
                return "\n".join(node["message"]["content"]["parts"])
    elif kind == "web":
        for db, query in (
            ("History", "SELECT url, title FROM urls"),
            ("places.sqlite", "SELECT url, title FROM moz_places"),
        ):
            for url, title in sqlite_rows(root / "browser" / db, query):
                if url == value:
                    return f"{url}\n{title}"
    raise KeyError(ref)


#: a distinctive word of the question -> facts every expected item must state (any one spelling of each)
FACTS: dict[str, list[tuple[str, ...]]] = {
    "Lena": [("1991-04-23", "19910423")],
    "Tom": [("latency budget slides",), ("offsite",)],
    "restaurant": [("Taberna Flor de Sal",), ("20:30", "T203000")],
    "dentist": [("Dentist",), ("20250617T153000",), ("Carla Menezes",)],
    "boots": [("Montanha Trek GTX Mid",), ("Hiking Boots",)],
    "truck": [("truck",), ("08:00",), ("Rua dos Remédios 41",)],
    "address": [("Rua do Bonfim 214, 3.º Esq.",)],
    "Postgres": [("work_mem",), ("64MB",)],
}


def test_every_expected_ref_exists_and_holds_the_answer(life: tuple[Path, LifeManifest]) -> None:
    root, manifest = life
    covered = set()
    for q in manifest.questions:
        key = next(k for k in FACTS if k in q.question)
        covered.add(key)
        for ref in q.expected_refs:
            text = resolve(root, ref)
            for spellings in FACTS[key]:
                assert any(fact in text for fact in spellings), (q.question, ref, spellings)
    assert covered == set(FACTS)


def test_refs_resolve_for_another_year_and_seed(tmp_path: Path) -> None:
    manifest = generate_life(tmp_path, seed=3, year=2026)
    assert "notes/Daily/2026-03-14.md" in manifest.files
    for q in manifest.questions:
        for ref in q.expected_refs:
            assert resolve(tmp_path, ref)
    dentist = next(q for q in manifest.questions if "dentist" in q.question)
    assert "2026" in dentist.answer_hint
    assert "20260617T153000" in resolve(tmp_path, dentist.expected_refs[0])


def test_an_unknown_ref_does_not_resolve(life: tuple[Path, LifeManifest]) -> None:
    with pytest.raises(KeyError):
        resolve(life[0], "mail:missing@example.com")


# ---------------------------------------------------------------- write_mbox


def test_write_mbox_writes_exactly_n_parseable_messages(tmp_path: Path) -> None:
    path = tmp_path / "bench.mbox"
    write_mbox(path, 600, seed=5)
    messages = read_mbox(path)
    assert len(messages) == 600
    ids = [m["Message-ID"] for m in messages]
    assert len(set(ids)) == 600
    earlier: set[str] = set()
    replies = quoted = 0
    for msg in messages:
        for part in msg.walk():
            assert not part.defects
        assert msg["From"].addresses and msg["Date"].datetime.tzinfo is not None
        if msg["In-Reply-To"]:
            assert msg["In-Reply-To"] in earlier and str(msg["Subject"]).startswith("Re: ")
            replies += 1
            quoted += "\n> " in message_text(msg)
        earlier.add(msg["Message-ID"])
    assert 120 <= replies <= 300 and quoted == replies
    types = [m.get_content_type() for m in messages]
    assert types.count("multipart/alternative") >= 50 and types.count("text/html") >= 10
    assert types.count("multipart/mixed") >= 5
    assert len({m["From"].addresses[0].addr_spec for m in messages}) >= 40
    assert any(not str(m["From"]).isascii() for m in messages)


def test_write_mbox_is_deterministic_and_replaces_the_file(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a.mbox", tmp_path / "b.mbox", tmp_path / "c.mbox"
    write_mbox(a, 300, seed=2)
    write_mbox(b, 50, seed=2)
    write_mbox(b, 300, seed=2)
    write_mbox(c, 300, seed=9)
    assert a.read_bytes() == b.read_bytes()
    assert a.read_bytes() != c.read_bytes()


def test_write_mbox_of_zero_messages_is_an_empty_mbox(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "empty.mbox"
    write_mbox(path, 0)
    assert path.exists() and read_mbox(path) == []
    with pytest.raises(ValueError):
        write_mbox(path, -1)


def test_write_mbox_handles_ten_thousand_quickly(tmp_path: Path) -> None:
    path = tmp_path / "big.mbox"
    start = time.perf_counter()
    write_mbox(path, 10_000)
    elapsed = time.perf_counter() - start
    box = mailbox.mbox(path, create=False)
    try:
        assert len(box) == 10_000
    finally:
        box.close()
    assert elapsed < 20  # about 2 s on an idle 2-core machine


#: each search question -> words every item of its evidence states (any one spelling of each; ICS and vCard text as
#: serialised, so a folded line may split a word: only short words are used for those)
SEARCH_FACTS: dict[str, tuple[tuple[str, ...], ...]] = {
    "annual physical": (("check-up",), ("Fasting",)),
    "flight do I take to Berlin": (("TP 1524",),),
    "keys to the new flat": (("Key handover",),),
    "file my taxes": (("IRS",),),
    "bring to the dentist": (("insurance card",),),
    "sofa bed": (("Zoë",),),
    "performance review": (("Performance review",),),
    "booking reference": (("K7Q2ZP",),),
    "New Year's Eve": (("Hugo",),),
    "Miguel start": (("Atelier Douro",), ("1 September", "20250901")),
    "climbing": (("Vertigem", "Climbing with Hugo"),),
    "IKEA": (("IKEA",),),
    "bread dough": (("75% hydration",),),
    "bacalhau": (("Fry the onions",),),
    "leave Lisbon": (("dream job",),),
    "landlord": (("Beatriz Sousa",),),
    "books": (("Ricardo Reis",),),
    "connection-pool": (("610 ms",),),
    "conference talk": (("Idempotency keys at scale",),),
    "hiking shoes": (("died", "fell apart"),),
    "Tom like": (("one-line summary",),),
    "Porto hub": (("Porto hub",),),
    "Q1 planning": (("Ledger migration is the Q1-Q2 priority",),),
    "first night": (("Pizza",),),
    "pharmacy": (("Farmácia Bonfim",),),
    "hotel": (("Spreeblick",),),
    "rollback": (("Björn",),),
    "Pedro bringing": (("bolo-rei",),),
    "pages": (("48 of those",),),
    "proudest": (("reconciliation job",),),
    "deposit": (("dois meses", "deposit two months"),),
    "staying for the offsite": (("Quinta da Serra",),),
    "brother": (("Nurse",),),
    "mother's phone": (("217 654 321",),),
    "José from": (("Valencia",),),
    "known Lena": (("2021 design sprint",),),
    "stairs": (("sofa",),),
    "Mãe for her birthday": (("Gulbenkian",),),
    "water": (("14 degrees",),),
    "campsite": (("Campo do Gerês",),),
    "moving crew": (("crew of three",),),
}


def test_every_search_question_names_items_that_state_its_answer(life: tuple[Path, LifeManifest]) -> None:
    root, manifest = life
    assert len(manifest.search_questions) == len(SEARCH_FACTS)
    covered = set()
    for q in manifest.search_questions:
        (key,) = [k for k in SEARCH_FACTS if k in q.question]
        covered.add(key)
        assert len(set(q.expected_refs)) == len(q.expected_refs)
        for ref in q.expected_refs:
            text = resolve(root, ref)
            for spellings in SEARCH_FACTS[key]:
                assert any(fact in text for fact in spellings), (q.question, ref, spellings)
    assert covered == set(SEARCH_FACTS)
    sources = {ref.split(":", 1)[0] for q in manifest.search_questions for ref in q.expected_refs}
    assert sources == {"mail", "cal", "vcf", "note", "chat"}
    other = generate_life(root.parent / "other-year", seed=3, year=2026)  # daily-note refs follow the year
    assert any("note:Daily/2026-" in ref for q in other.search_questions for ref in q.expected_refs)
