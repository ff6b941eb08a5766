"""The notes connector on a real Obsidian-like vault written into tmp_path."""

from __future__ import annotations

import json
import os
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from knowme.connectors import notes
from knowme.connectors.base import LIKELY, NO, SURE
from knowme.connectors.notes import NotesConnector
from knowme.errors import IngestError
from knowme.models import ItemProblem, Record

LISBON = """\
---
title: Lisbon trip
tags: [travel, "#family"]
aliases:
  - Lisboa 2024
created: 2024-02-10
updated: 2024-02-12T18:30:00+01:00
budget: 1200
---
Planning notes with [[Maria Santos|Maria]] and a map ![[lisbon-map.png]].

# Trip planning

We fly with [TAP](https://www.flytap.com/en-pt/ "TAP Air Portugal") and stay near #travel/europe spots.
See https://example.com/guide#food for the food guide. Issue #2024 is not a tag. Same for [top](#trip-planning).
Pack per [[Packing list#Shoes]] and [[Packing list]].

## Flights

TP1351 leaves at 07:05. Inline `#notatag` stays code. Mail <https://booking.example.org/confirm>.

```bash
# not a heading
echo "#alsonotatag" [[Not a link]]
```

## Hotel

Casa do Largo, #hotels/lisbon #travel.
### Check-in
After 15:00.
"""

BROKEN = """\
---
title: [unclosed
tags: : :
---
# Broken front matter

Still a #valid note body.
"""


def write_vault(root: Path) -> Path:
    vault = root / "Vault"
    (vault / ".obsidian").mkdir(parents=True)
    (vault / ".obsidian" / "workspace.json").write_text("{}", encoding="utf-8")
    (vault / ".obsidian" / "snippet.md").write_text("# hidden config", encoding="utf-8")
    (vault / ".trash").mkdir()
    (vault / ".trash" / "deleted.md").write_text("old", encoding="utf-8")
    (vault / "Trips").mkdir()
    (vault / "Trips" / "Lisbon.md").write_text(LISBON, encoding="utf-8")
    (vault / "Daily").mkdir()
    (vault / "Daily" / "2024-03-05.md").write_text("Called the dentist. #health\n", encoding="utf-8")
    (vault / "Daily" / "2024_03_06.md").write_text("Gym.\n", encoding="utf-8")
    (vault / "Daily" / "20240307.md").write_text("Read.\n", encoding="utf-8")
    (vault / "Daily" / "2024-03-08 Friday.md").write_text("---\ndate: 2023-01-01\n---\nFriday.\n", encoding="utf-8")
    (vault / "Journal" / "2024" / "03").mkdir(parents=True)
    (vault / "Journal" / "2024" / "03" / "09.md").write_text("Nested daily note.\n", encoding="utf-8")
    (vault / "Broken.md").write_text(BROKEN, encoding="utf-8")
    (vault / "Latin.markdown").write_bytes("# Recette\n\nCafé crème à 8h.\n".encode("latin-1"))
    (vault / "Empty.md").write_bytes(b"")
    (vault / "Untitled.md").write_text("# Groceries\n\nMilk, eggs.\n", encoding="utf-8")
    (vault / "readme.txt").write_text("not a note", encoding="utf-8")
    (vault / "loop").symlink_to(vault, target_is_directory=True)  # a symlink loop back to the vault
    return vault


def read_all(connector: NotesConnector) -> tuple[dict[str, Record], list[ItemProblem]]:
    records: dict[str, Record] = {}
    problems: list[ItemProblem] = []
    for item in connector.iter_records():
        if isinstance(item, Record):
            assert item.ref not in records, f"{item.ref} yielded twice"
            records[item.ref] = item
        else:
            problems.append(item)
    return records, problems


@pytest.fixture
def vault(tmp_path: Path) -> Path:
    return write_vault(tmp_path)


def test_walks_the_vault_skipping_hidden_folders_and_symlink_loops(vault: Path) -> None:
    records, problems = read_all(NotesConnector(vault))
    assert problems == []
    assert set(records) == {
        "note:Trips/Lisbon.md",
        "note:Daily/2024-03-05.md",
        "note:Daily/2024_03_06.md",
        "note:Daily/20240307.md",
        "note:Daily/2024-03-08 Friday.md",
        "note:Journal/2024/03/09.md",
        "note:Broken.md",
        "note:Latin.markdown",
        "note:Empty.md",
        "note:Untitled.md",
    }
    lisbon = records["note:Trips/Lisbon.md"]
    assert lisbon.kind == "note"
    assert lisbon.native_id == "Trips/Lisbon.md"
    assert lisbon.source == f"notes:{vault.resolve()}"
    assert lisbon.meta["path"] == "Trips/Lisbon.md"
    for record in records.values():
        json.dumps(dict(record.meta))  # meta is plain JSON
        assert record.timestamp is not None and record.timestamp.tzinfo is not None


def test_front_matter_links_tags_and_urls(vault: Path) -> None:
    records, _ = read_all(NotesConnector(vault))
    note = records["note:Trips/Lisbon.md"]
    assert note.title == "Lisbon trip"
    assert not note.text.startswith("---") and "budget: 1200" not in note.text
    assert note.text.startswith("Planning notes with [[Maria Santos|Maria]]")
    assert note.meta["aliases"] == ["Lisboa 2024"]
    assert note.meta["created"] == "2024-02-10"
    assert note.meta["updated"] == "2024-02-12T18:30:00+01:00"
    assert note.meta["frontmatter"]["budget"] == 1200
    assert note.meta["frontmatter"]["created"] == "2024-02-10"
    assert note.meta["links"] == ["Maria Santos", "lisbon-map.png", "Packing list"]
    assert note.meta["tags"] == ["travel", "family", "travel/europe", "hotels/lisbon"]
    assert note.meta["urls"] == [
        "https://www.flytap.com/en-pt/",
        "https://booking.example.org/confirm",
        "https://example.com/guide#food",
    ]
    # front matter "created" dates the note when the file name is not a daily-note date
    assert note.meta["date_source"] == "frontmatter:created"
    assert note.timestamp is not None
    assert note.timestamp.date() == date(2024, 2, 10) and note.timestamp.hour == 0


def test_headings_become_section_anchors_ignoring_code(vault: Path) -> None:
    records, _ = read_all(NotesConnector(vault))
    sections = records["note:Trips/Lisbon.md"].sections
    assert [s.anchor for s in sections] == [
        "",
        "Trip planning",
        "Trip planning > Flights",
        "Trip planning > Hotel",
        "Trip planning > Hotel > Check-in",
    ]
    assert sections[0].text.startswith("Planning notes with")
    flights = sections[2].text
    assert flights.startswith("## Flights") and "# not a heading" in flights and "TP1351" in flights
    assert sections[4].text == "### Check-in\nAfter 15:00."


def test_daily_notes_are_dated_by_file_name(vault: Path) -> None:
    records, _ = read_all(NotesConnector(vault))
    expected = {
        "note:Daily/2024-03-05.md": date(2024, 3, 5),
        "note:Daily/2024_03_06.md": date(2024, 3, 6),
        "note:Daily/20240307.md": date(2024, 3, 7),
        "note:Daily/2024-03-08 Friday.md": date(2024, 3, 8),  # the file name wins over front matter
        "note:Journal/2024/03/09.md": date(2024, 3, 9),
    }
    for ref, day in expected.items():
        record = records[ref]
        assert record.meta["date_source"] == "filename", ref
        assert record.timestamp is not None and record.timestamp.tzinfo is not None
        assert (record.timestamp.date(), record.timestamp.hour, record.timestamp.minute) == (day, 0, 0), ref
    assert records["note:Daily/2024-03-05.md"].meta["tags"] == ["health"]
    assert records["note:Daily/2024-03-05.md"].title == "2024-03-05"


def test_broken_front_matter_keeps_the_whole_note(vault: Path) -> None:
    records, problems = read_all(NotesConnector(vault))
    note = records["note:Broken.md"]
    assert problems == []
    assert "not valid YAML" in note.meta["frontmatter_error"]
    assert "title: [unclosed" in note.text and "Still a #valid note body." in note.text
    assert note.title == "Broken front matter"  # the first H1, as the front matter title is unreadable
    assert note.meta["frontmatter"] == {}
    assert "valid" in note.meta["tags"]


def test_latin1_note_is_decoded_with_replacement(vault: Path) -> None:
    records, _ = read_all(NotesConnector(vault))
    note = records["note:Latin.markdown"]
    assert "Caf\ufffd cr\ufffdme" in note.text
    assert "not valid UTF-8" in note.meta["encoding_error"]
    assert "3 undecodable" in note.meta["encoding_error"]
    assert note.title == "Recette"
    assert "encoding_error" not in records["note:Untitled.md"].meta


def test_empty_note_and_title_fallbacks(vault: Path) -> None:
    records, _ = read_all(NotesConnector(vault))
    empty = records["note:Empty.md"]
    assert (empty.text, empty.title, empty.sections) == ("", "Empty", ())
    assert records["note:Untitled.md"].title == "Groceries"


def test_mtime_dates_notes_without_other_dates(tmp_path: Path) -> None:
    note = tmp_path / "Ideas.md"
    note.write_text("Some idea.\n", encoding="utf-8")
    moment = datetime(2023, 7, 1, 12, 30, tzinfo=UTC)
    os.utime(note, (moment.timestamp(), moment.timestamp()))
    (record,) = list(NotesConnector(note).iter_records())
    assert isinstance(record, Record)
    assert record.ref == "note:Ideas.md" and record.native_id == "Ideas.md"
    assert record.meta["date_source"] == "mtime"
    assert record.timestamp == moment


def test_front_matter_that_is_not_a_mapping(tmp_path: Path) -> None:
    (tmp_path / "list.md").write_text("---\n- a\n- b\n---\nBody #x\n", encoding="utf-8")
    (tmp_path / "rule.md").write_text("---\nJust a rule at the top, never closed.\n", encoding="utf-8")
    records, problems = read_all(NotesConnector(tmp_path))
    assert problems == []
    assert "not a mapping" in records["note:list.md"].meta["frontmatter_error"]
    rule = records["note:rule.md"]
    assert "frontmatter_error" not in rule.meta and rule.text.startswith("---\nJust a rule")


def test_rule_lower_down_is_not_front_matter(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("Intro\n\n---\n\nkey: value\n\n---\nMore\n", encoding="utf-8")
    records, _ = read_all(NotesConnector(tmp_path))
    assert records["note:a.md"].text == "Intro\n\n---\n\nkey: value\n\n---\nMore"
    assert records["note:a.md"].meta["frontmatter"] == {}


def test_unreadable_note_is_a_problem_and_the_rest_continue(tmp_path: Path) -> None:
    (tmp_path / "good.md").write_text("fine", encoding="utf-8")
    (tmp_path / "dangling.md").symlink_to(tmp_path / "nowhere.md")
    records, problems = read_all(NotesConnector(tmp_path))
    assert list(records) == ["note:good.md"]
    assert len(problems) == 1 and "dangling.md" in problems[0].where
    assert "FileNotFoundError" in problems[0].reason


def test_rereading_gives_identical_records(vault: Path) -> None:
    first = list(NotesConnector(vault).iter_records())
    second = list(NotesConnector(vault).iter_records())
    assert first == second
    assert [r.content_hash for r in first if isinstance(r, Record)] == [
        r.content_hash for r in second if isinstance(r, Record)
    ]
    assert NotesConnector(vault).estimate() == len(first)


def test_sniff(vault: Path, tmp_path: Path) -> None:
    assert NotesConnector.sniff(vault) == SURE  # has .obsidian
    plain = tmp_path / "plain"
    (plain / "deep" / "er").mkdir(parents=True)
    assert NotesConnector.sniff(plain) == NO
    (plain / "deep" / "er" / "note.MD").write_text("x", encoding="utf-8")
    assert NotesConnector.sniff(plain) == LIKELY
    hidden_only = tmp_path / "hidden_only"
    (hidden_only / ".git").mkdir(parents=True)
    (hidden_only / ".git" / "x.md").write_text("x", encoding="utf-8")
    assert NotesConnector.sniff(hidden_only) == NO
    assert NotesConnector.sniff(vault / "Trips" / "Lisbon.md") == LIKELY
    assert NotesConnector.sniff(vault / "readme.txt") == NO


def test_missing_path_is_an_ingest_error(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="no such folder"):
        list(NotesConnector(tmp_path / "missing").iter_records())


def test_registers_itself() -> None:
    assert notes.register_connectors() == [NotesConnector]
    assert NotesConnector.reads_directories and NotesConnector.name == "notes"
