"""The calendar connector on real iCalendar files written into tmp_path (literal exports and icalendar's writer)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest

from knowme.connectors import calendar
from knowme.connectors.base import LIKELY, NO, SURE, local_tz
from knowme.connectors.calendar import CalendarConnector
from knowme.errors import IngestError
from knowme.models import ItemProblem, Record

NOW = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
NEW_YORK = ZoneInfo("America/New_York")

VTIMEZONE_NY = """\
BEGIN:VTIMEZONE
TZID:America/New_York
X-LIC-LOCATION:America/New_York
BEGIN:DAYLIGHT
TZOFFSETFROM:-0500
TZOFFSETTO:-0400
TZNAME:EDT
DTSTART:19700308T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:-0400
TZOFFSETTO:-0500
TZNAME:EST
DTSTART:19701101T020000
RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU
END:STANDARD
END:VTIMEZONE
"""


def write_ics(tmp_path: Path, body: str, *, name: str = "cal.ics", header: str = "") -> Path:
    """A calendar file as Google/Apple write it: CRLF line ends, a PRODID, the given components."""
    text = (
        "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//Google Inc//Google Calendar 70.9054//EN\nCALSCALE:GREGORIAN\n"
        + header
        + body
        + "END:VCALENDAR\n"
    )
    path = tmp_path / name
    path.write_bytes(text.replace("\n", "\r\n").encode("utf-8"))
    return path


def read(path: Path, **kwargs: object) -> tuple[list[Record], list[ItemProblem]]:
    items = list(CalendarConnector(path, now=NOW, **kwargs).iter_records())  # type: ignore[arg-type]
    records = [i for i in items if isinstance(i, Record)]
    problems = [i for i in items if isinstance(i, ItemProblem)]
    assert len(records) + len(problems) == len(items)
    for record in records:
        json.dumps(dict(record.meta))  # meta must be JSON-serialisable
        assert record.timestamp is None or record.timestamp.tzinfo is not None
    return records, problems


def by_uid(records: list[Record]) -> dict[str, Record]:
    return {r.meta["uid"]: r for r in records}


def test_time_zones_tzid_with_vtimezone_utc_floating_and_windows_names(tmp_path: Path) -> None:
    path = write_ics(
        tmp_path,
        VTIMEZONE_NY
        + """\
BEGIN:VEVENT
UID:ny@example.com
DTSTAMP:20240201T000000Z
DTSTART;TZID=America/New_York:20240305T100000
DTEND;TZID=America/New_York:20240305T113000
SUMMARY:Budget review
LOCATION:Room 4\\, 5th floor
END:VEVENT
BEGIN:VEVENT
UID:utc@example.com
DTSTAMP:20240201T000000Z
DTSTART:20240306T150000Z
DTEND:20240306T160000Z
SUMMARY:Call with Lisbon
END:VEVENT
BEGIN:VEVENT
UID:floating@example.com
DTSTAMP:20240201T000000Z
DTSTART:20240307T090000
DTEND:20240307T093000
SUMMARY:Morning run
END:VEVENT
BEGIN:VEVENT
UID:outlook@example.com
DTSTAMP:20240201T000000Z
DTSTART;TZID=Eastern Standard Time:20240308T080000
DTEND;TZID=Eastern Standard Time:20240308T083000
SUMMARY:Outlook meeting
END:VEVENT
""",
    )
    records, problems = read(path)
    assert problems == []
    events = by_uid(records)
    assert set(events) == {"ny@example.com", "utc@example.com", "floating@example.com", "outlook@example.com"}

    ny = events["ny@example.com"]
    assert ny.timestamp == datetime(2024, 3, 5, 15, 0, tzinfo=UTC)  # 10:00 EST
    assert ny.timestamp.utcoffset() == timedelta(hours=-5)
    assert ny.native_id == "ny@example.com"
    assert ny.ref == "cal:ny@example.com"
    assert ny.title == "Budget review"
    assert ny.meta["timezone"] == "America/New_York"
    assert ny.meta["start"] == "2024-03-05T10:00:00-05:00"
    assert ny.meta["end"] == "2024-03-05T11:30:00-05:00"
    assert ny.meta["location"] == "Room 4, 5th floor"
    assert ny.meta["all_day"] is False
    assert "Tuesday 5 March 2024, 10:00–11:30 (America/New_York)" in ny.text
    assert "Where: Room 4, 5th floor." in ny.text

    utc = events["utc@example.com"]
    assert utc.timestamp == datetime(2024, 3, 6, 15, 0, tzinfo=UTC)
    assert utc.meta["timezone"] == "UTC"
    assert "15:00–16:00 (UTC)" in utc.text

    floating = events["floating@example.com"]
    assert floating.timestamp == datetime(2024, 3, 7, 9, 0, tzinfo=local_tz())
    assert floating.meta["timezone"] == "floating"
    assert "09:00–09:30 (local time)" in floating.text

    outlook = events["outlook@example.com"]
    assert outlook.timestamp == datetime(2024, 3, 8, 8, 0, tzinfo=NEW_YORK)


def test_all_day_events_are_dates_at_local_midnight(tmp_path: Path) -> None:
    path = write_ics(
        tmp_path,
        """\
BEGIN:VEVENT
UID:easter@example.com
DTSTART;VALUE=DATE:20240401
DTEND;VALUE=DATE:20240403
SUMMARY:Easter break
END:VEVENT
BEGIN:VEVENT
UID:one-day@example.com
DTSTART;VALUE=DATE:20240415
SUMMARY:Tax day
END:VEVENT
""",
    )
    records, problems = read(path)
    assert problems == []
    events = by_uid(records)
    easter = events["easter@example.com"]
    assert easter.meta["all_day"] is True
    assert easter.timestamp == datetime(2024, 4, 1, tzinfo=local_tz())
    assert (easter.meta["start"], easter.meta["end"]) == ("2024-04-01", "2024-04-03")  # iCalendar's exclusive end
    assert easter.meta["timezone"] is None
    assert "Monday 1 April 2024 – Tuesday 2 April 2024 (all day)" in easter.text
    tax = events["one-day@example.com"]
    assert tax.meta["end"] == "2024-04-16"
    assert "Monday 15 April 2024 (all day)" in tax.text


def test_weekly_series_with_exdate_and_moved_instance(tmp_path: Path) -> None:
    path = write_ics(
        tmp_path,
        VTIMEZONE_NY
        + """\
BEGIN:VEVENT
UID:sync-42@example.com
DTSTART;TZID=America/New_York:20240305T100000
DTEND;TZID=America/New_York:20240305T103000
RRULE:FREQ=WEEKLY;COUNT=6
EXDATE;TZID=America/New_York:20240312T100000
SUMMARY:Team sync
ORGANIZER;CN=Ana Boss:mailto:ana@example.com
SEQUENCE:0
END:VEVENT
BEGIN:VEVENT
UID:sync-42@example.com
RECURRENCE-ID;TZID=America/New_York:20240319T100000
DTSTART;TZID=America/New_York:20240319T140000
DTEND;TZID=America/New_York:20240319T143000
SUMMARY:Team sync (moved to the afternoon)
ORGANIZER;CN=Ana Boss:mailto:ana@example.com
SEQUENCE:1
END:VEVENT
""",
    )
    records, problems = read(path)
    assert problems == []
    starts = [r.timestamp.astimezone(NEW_YORK).replace(tzinfo=None) for r in records if r.timestamp]
    assert sorted(starts) == [
        datetime(2024, 3, 5, 10, 0),
        # 12 March is excluded by EXDATE
        datetime(2024, 3, 19, 14, 0),  # the moved instance
        datetime(2024, 3, 26, 10, 0),
        datetime(2024, 4, 2, 10, 0),
        datetime(2024, 4, 9, 10, 0),
    ]
    assert {r.ref for r in records} == {"cal:sync-42@example.com"}
    assert len({r.native_id for r in records}) == 5
    moved = next(r for r in records if "moved" in r.title)
    # the instance keeps its original start (RECURRENCE-ID, 10:00 EDT) as id, so moving it again is an update
    assert moved.native_id == "sync-42@example.com@2024-03-19T14:00:00Z"
    assert moved.meta["recurrence_id"] == "2024-03-19T10:00:00-04:00"
    assert moved.meta["start"] == "2024-03-19T14:00:00-04:00"
    first = min(records, key=lambda r: r.timestamp or NOW)
    assert first.native_id == "sync-42@example.com@2024-03-05T15:00:00Z"
    assert first.meta["rrule"] == "FREQ=WEEKLY;COUNT=6"
    assert "Repeats weekly." in first.text
    assert all(r.author == "Ana Boss <ana@example.com>" for r in records)


def test_infinite_rule_is_bounded_by_the_window_and_the_cap(tmp_path: Path) -> None:
    path = write_ics(
        tmp_path,
        """\
BEGIN:VEVENT
UID:standup@example.com
DTSTART:20240101T090000Z
DURATION:PT15M
RRULE:FREQ=DAILY
SUMMARY:Standup
END:VEVENT
""",
    )
    # from the first start (1 January) to now + 30 days (31 March, 12:00): 31 + 29 + 31 days
    records, _ = read(path, future_days=30)
    assert len(records) == 91
    stamps = sorted(r.timestamp for r in records if r.timestamp)
    assert stamps[0] == datetime(2024, 1, 1, 9, tzinfo=UTC)
    assert stamps[-1] == datetime(2024, 3, 31, 9, tzinfo=UTC)
    assert records[0].meta["end"] == "2024-01-01T09:15:00+00:00"

    # past_days moves the start of the window: 21 February .. 31 March
    records, _ = read(path, future_days=30, past_days=10)
    assert len(records) == 40
    assert min(r.timestamp for r in records if r.timestamp) == datetime(2024, 2, 21, 9, tzinfo=UTC)

    # the cap keeps the latest occurrences of the window
    records, _ = read(path, future_days=30, max_occurrences=5)
    assert sorted(r.timestamp.day for r in records if r.timestamp) == [27, 28, 29, 30, 31]


def test_series_outside_the_window_keeps_its_first_occurrence(tmp_path: Path) -> None:
    path = write_ics(
        tmp_path,
        """\
BEGIN:VEVENT
UID:old-course@example.com
DTSTART;VALUE=DATE:20100104
RRULE:FREQ=WEEKLY;COUNT=10
SUMMARY:Evening course
END:VEVENT
""",
    )
    records, problems = read(path, past_days=30)
    assert problems == []
    assert [r.native_id for r in records] == ["old-course@example.com@2010-01-04"]
    records, _ = read(path)  # without past_days the whole series is in the window
    assert len(records) == 10


def test_a_rule_too_dense_to_expand_is_reported_not_hung_on(tmp_path: Path) -> None:
    path = write_ics(
        tmp_path,
        """\
BEGIN:VEVENT
UID:ticker@example.com
DTSTART:20000101T000000Z
RRULE:FREQ=SECONDLY
SUMMARY:Ticker
END:VEVENT
BEGIN:VEVENT
UID:fine@example.com
DTSTART:20240105T100000Z
SUMMARY:Fine
END:VEVENT
""",
    )
    records, problems = read(path)
    assert len(problems) == 1 and "too dense" in problems[0].reason
    assert "line 5" in problems[0].where
    assert sorted(r.meta["uid"] for r in records) == ["fine@example.com", "ticker@example.com"]


def test_organizer_and_attendees_written_with_icalendar(tmp_path: Path) -> None:
    cal = icalendar.Calendar()
    cal.add("prodid", "-//knowme tests//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", "Work")
    event = icalendar.Event()
    event.add("uid", "kickoff@example.com")
    event.add("summary", "Project kickoff")
    event.add("dtstart", datetime(2024, 3, 12, 14, 0, tzinfo=ZoneInfo("Europe/Lisbon")))
    event.add("dtend", datetime(2024, 3, 12, 15, 0, tzinfo=ZoneInfo("Europe/Lisbon")))
    event.add("location", "Café Nicola, Lisboa")
    event.add("description", "Agenda:\n1. Scope\n2. Timeline")
    event.add("status", "CONFIRMED")
    event.add("categories", ["Work", "Projects"])
    event.add("url", "https://meet.example.com/kickoff")
    organizer = icalendar.vCalAddress("mailto:maria@example.org")
    organizer.params["cn"] = icalendar.vText("Maria Silva")
    event.add("organizer", organizer)
    for cn, email, role, partstat in [
        ("João Sousa", "joao@example.org", "REQ-PARTICIPANT", "ACCEPTED"),
        (None, "tom@example.com", "OPT-PARTICIPANT", "TENTATIVE"),
    ]:
        attendee = icalendar.vCalAddress(f"MAILTO:{email}")
        if cn:
            attendee.params["cn"] = icalendar.vText(cn)
        attendee.params["role"] = icalendar.vText(role)
        attendee.params["partstat"] = icalendar.vText(partstat)
        event.add("attendee", attendee, encode=0)
    cal.add_component(event)
    path = tmp_path / "kickoff.ics"
    path.write_bytes(cal.to_ical())

    records, problems = read(path)
    assert problems == []
    [record] = records
    assert record.author == "Maria Silva <maria@example.org>"
    assert record.participants == ("João Sousa <joao@example.org>", "tom@example.com")
    assert record.meta["organizer"]["email"] == "maria@example.org"
    assert [(a["name"], a["email"], a["role"], a["partstat"]) for a in record.meta["attendees"]] == [
        ("João Sousa", "joao@example.org", "REQ-PARTICIPANT", "ACCEPTED"),
        (None, "tom@example.com", "OPT-PARTICIPANT", "TENTATIVE"),
    ]
    assert record.meta["calendar"] == "Work"
    assert record.meta["status"] == "CONFIRMED"
    assert record.meta["categories"] == ["Work", "Projects"]
    assert record.meta["url"] == "https://meet.example.com/kickoff"
    assert record.meta["path"] == str(path.resolve())
    assert record.source == f"calendar:{path.resolve()}"
    assert record.text.startswith("Project kickoff. When: Tuesday 12 March 2024, 14:00–15:00 (Europe/Lisbon).")
    assert "Organiser: Maria Silva. Attendees: João Sousa, tom@example.com." in record.text
    assert record.text.endswith("Agenda:\n1. Scope\n2. Timeline")


def test_google_export_with_x_wr_timezone(tmp_path: Path) -> None:
    path = write_ics(
        tmp_path,
        """\
BEGIN:VEVENT
UID:dentist@google.com
DTSTART:20240704T130000Z
DTEND:20240704T140000Z
SUMMARY:Dentist
END:VEVENT
""",
        header="X-WR-CALNAME:Personal\nX-WR-TIMEZONE:Europe/Lisbon\n",
    )
    [record], _ = read(path)
    assert record.timestamp == datetime(2024, 7, 4, 13, 0, tzinfo=UTC)
    assert record.meta["timezone"] == "Europe/Lisbon"
    assert "14:00–15:00 (Europe/Lisbon)" in record.text  # summer time in Lisbon
    assert record.meta["calendar"] == "Personal"


def test_missing_uid_gets_a_stable_derived_id(tmp_path: Path) -> None:
    body = """\
BEGIN:VEVENT
DTSTART:20240310T180000Z
SUMMARY:Dinner at Ana's
LOCATION:Rua Augusta 10
END:VEVENT
BEGIN:VEVENT
DTSTART:20240311T180000Z
SUMMARY:Dinner at Ana's
LOCATION:Rua Augusta 10
END:VEVENT
"""
    first, _ = read(write_ics(tmp_path, body, name="a.ics"))
    again, _ = read(write_ics(tmp_path, body, name="a.ics"))
    assert len(first) == 2
    assert all(r.native_id.startswith("knowme-") for r in first)
    assert first[0].native_id != first[1].native_id  # different start, different id
    assert [r.native_id for r in first] == [r.native_id for r in again]
    assert [r.id for r in first] == [r.id for r in again]
    assert first[0].ref == f"cal:{first[0].native_id}"
    assert first[0].meta["uid"] == first[0].native_id


def test_rereading_gives_identical_records(tmp_path: Path) -> None:
    path = write_ics(
        tmp_path,
        VTIMEZONE_NY
        + """\
BEGIN:VEVENT
UID:weekly@example.com
DTSTART;TZID=America/New_York:20240105T090000
DTEND;TZID=America/New_York:20240105T100000
RRULE:FREQ=WEEKLY;UNTIL=20240301T000000Z
SUMMARY:Weekly planning
ATTENDEE;CN=Bob:mailto:bob@example.com
END:VEVENT
BEGIN:VEVENT
UID:party@example.com
DTSTART;VALUE=DATE:20240420
SUMMARY:Birthday party
END:VEVENT
""",
    )
    first, _ = read(path)
    second, _ = read(path)
    assert len(first) == 9  # eight Fridays in January and February, and the party
    assert [(r.id, r.content_hash) for r in first] == [(r.id, r.content_hash) for r in second]


def test_duplicate_copies_keep_the_highest_sequence(tmp_path: Path) -> None:
    path = write_ics(
        tmp_path,
        """\
BEGIN:VEVENT
UID:lunch@example.com
SEQUENCE:2
DTSTART:20240110T120000Z
SUMMARY:Lunch (new place)
END:VEVENT
BEGIN:VEVENT
UID:lunch@example.com
SEQUENCE:1
DTSTART:20240110T120000Z
SUMMARY:Lunch
END:VEVENT
""",
    )
    [record], _ = read(path)
    assert record.title == "Lunch (new place)"


def test_vtodo_is_read_as_a_simple_record(tmp_path: Path) -> None:
    path = write_ics(
        tmp_path,
        """\
BEGIN:VTODO
UID:todo-1@example.com
SUMMARY:Renew passport
DUE;VALUE=DATE:20240415
STATUS:NEEDS-ACTION
END:VTODO
""",
    )
    [record], problems = read(path)
    assert problems == []
    assert record.kind == "event"
    assert record.meta["component"] == "VTODO"
    assert record.meta["due"] == "2024-04-15"
    assert record.timestamp == datetime(2024, 4, 15, tzinfo=local_tz())
    assert record.text.startswith("To do: Renew passport. Due: Monday 15 April 2024 (all day).")
    assert "Status: needs action." in record.text


def test_truncated_file_still_yields_the_good_events(tmp_path: Path) -> None:
    text = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nX-WR-CALNAME:Family\r\n"
        + VTIMEZONE_NY.replace("\n", "\r\n")
        + "BEGIN:VEVENT\r\nUID:good-1@example.com\r\nDTSTART;TZID=America/New_York:20240301T100000\r\n"
        "SUMMARY:School play\r\nEND:VEVENT\r\n"
        # this one lost its END:VEVENT (an interrupted sync wrote the next event into it)
        "BEGIN:VEVENT\r\nUID:cut@example.com\r\nDTSTART:20240302T100000Z\r\nSUMMARY:Half written\r\n"
        "BEGIN:VEVENT\r\nUID:good-2@example.com\r\nDTSTART:20240303T100000Z\r\nSUMMARY:Football\r\n"
        "DESCRIPTION:Bring the\r\n  orange ball\r\nEND:VEVENT\r\n"
        "BEGIN:VEVENT\r\nUID:bad-date@example.com\r\nDTSTART:2024-03-04 10h\r\nSUMMARY:Bad date\r\nEND:VEVENT\r\n"
        # and the file ends in the middle of the last event: no END:VEVENT, no END:VCALENDAR
        "BEGIN:VEVENT\r\nUID:tail@example.com\r\nDTSTART:20240305T100000Z\r\nSUMMA"
    )
    path = tmp_path / "family.ics"
    path.write_text(text, encoding="utf-8", newline="")
    records, problems = read(path)
    events = by_uid(records)
    assert set(events) == {"good-1@example.com", "good-2@example.com"}
    assert events["good-1@example.com"].timestamp == datetime(2024, 3, 1, 10, tzinfo=NEW_YORK)  # VTIMEZONE kept
    assert events["good-2@example.com"].text.endswith("Bring the orange ball")
    assert events["good-2@example.com"].meta["calendar"] == "Family"
    wheres = sorted(p.where for p in problems)
    assert len(problems) == 3
    lines = {p.where.rsplit(" ", 1)[-1] for p in problems if "not terminated" in p.reason}
    assert lines == {"27", "43"}  # the cut event and the tail, by the line of their BEGIN:VEVENT
    assert any("DTSTART" in p.reason and "line 38" in p.where for p in problems), wheres


def test_broken_values_in_a_sound_file(tmp_path: Path) -> None:
    path = write_ics(
        tmp_path,
        """\
BEGIN:VEVENT
UID:ok@example.com
DTSTART:20240105T100000Z
SUMMARY:Fine
END:VEVENT
BEGIN:VEVENT
UID:broken@example.com
DTSTART:2024XX05T100000Z
SUMMARY:Broken
END:VEVENT
BEGIN:VEVENT
UID:bad-exdate@example.com
DTSTART:20240105T100000Z
RRULE:FREQ=DAILY;COUNT=3
EXDATE:nonsense
DTEND:tomorrow
SUMMARY:Series with a bad EXDATE and DTEND
END:VEVENT
BEGIN:VEVENT
UID:bad-rule@example.com
DTSTART:20240105T100000Z
RRULE:FREQ=SOMETIMES
SUMMARY:Series with a bad rule
END:VEVENT
""",
    )
    records, problems = read(path)
    counts = {uid: sum(r.meta["uid"] == uid for r in records) for uid in by_uid(records)}
    # an unreadable start loses that event only; an unreadable EXDATE or DTEND is dropped and the series expands;
    # an unreadable rule keeps the series' first occurrence
    assert counts == {"ok@example.com": 1, "bad-exdate@example.com": 3, "bad-rule@example.com": 1}
    assert len(problems) == 2
    broken, rule = sorted(problems, key=lambda p: p.where)
    assert "line 10 (UID broken@example.com)" in broken.where and "DTSTART" in broken.reason
    assert "line 23 (UID bad-rule@example.com)" in rule.where and "cannot expand the recurrence" in rule.reason
    [first] = [r for r in records if r.meta["uid"] == "bad-rule@example.com"]
    assert first.native_id == "bad-rule@example.com@2024-01-05T10:00:00Z"


def test_file_without_any_readable_component_is_one_problem(tmp_path: Path) -> None:
    path = tmp_path / "cut.ics"
    path.write_text("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nX-WR-CALNAME:Cut\r\nBEGIN:VEVE", encoding="utf-8")
    records, problems = read(path)
    assert records == []
    assert len(problems) == 1 and "no readable calendar" in problems[0].reason


def test_empty_calendar_is_not_a_problem(tmp_path: Path) -> None:
    records, problems = read(write_ics(tmp_path, ""))
    assert (records, problems) == ([], [])


def test_not_icalendar_at_all_raises(tmp_path: Path) -> None:
    path = tmp_path / "meeting.ics"
    path.write_text("<html><body>Sign in to see this calendar</body></html>\n", encoding="utf-8")
    with pytest.raises(IngestError, match="not an iCalendar file"):
        list(CalendarConnector(path, now=NOW).iter_records())


def test_fold_splitting_a_utf8_character_is_read(tmp_path: Path) -> None:
    raw = (
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:cafe@example.com\r\nDTSTART:20240105T100000Z\r\n"
    ) + b"SUMMARY:Caf\xc3\r\n \xa9 com a Jo\xc3\xa3o\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    path = tmp_path / "fold.ics"
    path.write_bytes(raw)
    [record], _ = read(path)
    assert record.title == "Café com a João"


def test_sniff_and_registration(tmp_path: Path) -> None:
    ics = write_ics(tmp_path, "")
    assert CalendarConnector.sniff(ics) == SURE
    renamed = tmp_path / "export.txt"
    renamed.write_bytes(b"\xef\xbb\xbf" + ics.read_bytes())
    assert CalendarConnector.sniff(renamed) == LIKELY
    fake = tmp_path / "fake.ics"
    fake.write_text("<html></html>", encoding="utf-8")
    assert CalendarConnector.sniff(fake) < LIKELY
    vcard = tmp_path / "people.vcf"
    vcard.write_text("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:A\r\nEND:VCARD\r\n", encoding="utf-8")
    assert CalendarConnector.sniff(vcard) == NO
    assert CalendarConnector.sniff(tmp_path) == NO
    assert calendar.register_connectors() == [CalendarConnector]
    assert CalendarConnector.name == "calendar"
    assert set(CalendarConnector.suffixes) == {".ics", ".ical", ".ifb"}


def test_window_arguments_are_checked(tmp_path: Path) -> None:
    path = write_ics(tmp_path, "")
    with pytest.raises(ValueError, match="max_occurrences"):
        CalendarConnector(path, max_occurrences=0)
    with pytest.raises(ValueError, match="negative"):
        CalendarConnector(path, past_days=-1)
    naive = CalendarConnector(path, now=datetime(2024, 1, 1))
    assert naive.now.tzinfo is not None
    assert date(2024, 1, 1) == naive.now.date()
