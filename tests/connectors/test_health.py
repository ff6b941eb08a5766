"""Apple Health export.xml streamed into daily summaries: de-duplicated steps, sleep, resting heart rate, workouts."""

from __future__ import annotations

from pathlib import Path

import pytest

import knowme
from knowme.connectors.health import AppleHealthConnector
from knowme.connectors.registry import detect
from knowme.errors import IngestError
from knowme.models import Record
from tests.connectors.health_export import write_export


def test_daily_summaries(tmp_path: Path) -> None:
    path = write_export(tmp_path / "apple_health_export" / "export.xml", days=3)
    [connector] = detect([path])[0]
    assert isinstance(connector, AppleHealthConnector)
    records = [r for r in connector.iter_records() if isinstance(r, Record)]
    assert [r.ref for r in records] == ["health:2024-01-18", "health:2024-01-19", "health:2024-01-20"]
    day = records[1]
    assert day.meta["steps"] == 6120, "the Watch's 12 x 510 steps, not iPhone + Watch added up"
    assert day.meta["sleep_minutes"] == 432, "23:30 to 06:42 asleep; the iPhone's 'in bed' is not sleep"
    assert day.meta["resting_hr"] == 58
    assert day.meta["workouts"] == [
        {"activity": "running", "start": "2024-01-19T07:10:00+00:00", "minutes": 32, "km": 5.2, "kcal": 310}
    ]
    assert day.text == (
        "Health on Friday 19 January 2024: 6,120 steps; 7 h 12 min asleep; resting heart rate 58 bpm; "
        "workout: running 32 min, 5.2 km, 310 kcal."
    )
    assert records[0].meta["workouts"] == [] and day.kind == "document"


def test_damaged_export_keeps_days_before(tmp_path: Path) -> None:
    path = write_export(tmp_path / "export.xml", days=3)
    data = path.read_text(encoding="utf-8")
    path.write_text(data[: int(len(data) * 0.8)], encoding="utf-8")
    seen: list[Record] = []
    with pytest.raises(IngestError, match="damaged"):
        for item in AppleHealthConnector(path).iter_records():
            if isinstance(item, Record):
                seen.append(item)
    assert [r.ref for r in seen][:2] == ["health:2024-01-18", "health:2024-01-19"]


def test_an_unknown_encoding_in_the_declaration_is_a_clear_error(tmp_path: Path) -> None:
    path = write_export(tmp_path / "apple_health_export" / "export.xml", days=1)
    data = path.read_bytes()
    assert data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    path.write_bytes(data.replace(b'encoding="UTF-8"', b'encoding="U-F-8"', 1))
    with pytest.raises(IngestError, match="damaged.*U-F-8"):
        list(AppleHealthConnector(path).iter_records())


def test_ingest_and_search(vault: knowme.Vault, tmp_path: Path) -> None:
    path = write_export(tmp_path / "export.xml", days=4)
    assert vault.ingest(path).added == {"document": 4}
    hits = vault.search("running workout 5.2 km", k=2)
    assert hits[0].ref in {"health:2024-01-19", "health:2024-01-21"}
