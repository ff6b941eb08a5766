"""Google location history: Semantic Location History, the Timeline export (Android and iOS) and Records.json
(streamed into days), as place visits named offline; damaged files; search and grants on a real vault."""

from __future__ import annotations

import json
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import knowme
from knowme.connectors.location_history import LocationHistoryConnector
from knowme.connectors.registry import detect
from knowme.errors import IngestError
from knowme.models import ItemProblem, Record
from tests.conftest import PASSPHRASE


def e7(value: float) -> int:
    return round(value * 1e7)


def write_semantic(path: Path) -> Path:
    """Takeout's Semantic Location History month file (as Takeout wrote it until 2024)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    visit = {
        "placeVisit": {
            "location": {"latitudeE7": e7(41.1468), "longitudeE7": e7(-8.6060), "placeId": "ChIJmajestic",
                         "address": "Rua de Santa Catarina 112, 4000-442 Porto, Portugal", "name": "Majestic Café"},
            "duration": {"startTimestamp": "2024-05-12T09:00:00.000Z", "endTimestamp": "2024-05-12T10:30:00.000Z"},
            "placeConfidence": "HIGH_CONFIDENCE",
        }
    }  # fmt: skip
    trip = {"activitySegment": {"duration": {"startTimestamp": "2024-05-12T10:30:00Z"}, "activityType": "WALKING"}}
    broken = {"placeVisit": {"location": {"name": "Nowhere"}, "duration": {}}}
    path.write_text(json.dumps({"timelineObjects": [visit, trip, broken]}), encoding="utf-8")
    return path


def write_android_timeline(path: Path) -> Path:
    seville = {
        "startTime": "2024-10-02T18:00:00.000+02:00",
        "endTime": "2024-10-02T21:15:00.000+02:00",
        "visit": {"hierarchyLevel": 0, "probability": 0.91,
                  "topCandidate": {"placeId": "ChIJseville", "semanticType": "UNKNOWN", "probability": 0.8,
                                   "placeLocation": {"latLng": "37.3826°, -5.9963°"}}},
    }  # fmt: skip
    inner = {
        "startTime": "2024-10-02T18:30:00.000+02:00",
        "endTime": "2024-10-02T19:00:00.000+02:00",
        "visit": {"hierarchyLevel": 1, "topCandidate": {"placeLocation": {"latLng": "37.3827°, -5.9960°"}}},
    }
    home = {
        "startTime": "2024-10-05T20:00:00.000+01:00",
        "endTime": "2024-10-06T08:00:00.000+01:00",
        "visit": {"hierarchyLevel": 0, "topCandidate": {"semanticType": "HOME",
                                                        "placeLocation": {"latLng": "38.7223°, -9.1393°"}}},
    }  # fmt: skip
    path.write_text(json.dumps({"semanticSegments": [seville, inner, home], "rawSignals": []}), encoding="utf-8")
    return path


def write_ios_timeline(path: Path) -> Path:
    segments = [
        {"endTime": "2023-03-10T13:00:00.000+01:00", "startTime": "2023-03-10T10:00:00.000+01:00",
         "visit": {"hierarchyLevel": "0", "topCandidate": {"probability": "0.9", "semanticType": "Unknown",
                                                           "placeID": "ChIJalcazar",
                                                           "placeLocation": "geo:37.383600,-5.990200"}}},
        {"endTime": "2023-03-10T13:30:00.000+01:00", "startTime": "2023-03-10T13:00:00.000+01:00",
         "activity": {"topCandidate": {"type": "walking"}}},
    ]  # fmt: skip
    path.write_text(json.dumps(segments), encoding="utf-8")
    return path


def write_records(path: Path, days: int = 3, per_day: int = 48, *, cut: bool = False) -> Path:
    """Takeout's raw Records.json: ``per_day`` fixes a day from local midnight on 10 May 2024 (UTC+1 all summer), the
    first two days in Porto, then Lisbon; Google writes UTC times."""
    start = datetime(2024, 5, 9, 23, 0, tzinfo=UTC)
    with path.open("w", encoding="utf-8") as handle:
        handle.write('{\n  "locations": [')
        for n in range(days * per_day):
            when = start + timedelta(minutes=30 * n * 48 // per_day)
            lat, lon = (41.1496, -8.6110) if when < datetime(2024, 5, 11, 23, 0, tzinfo=UTC) else (38.7223, -9.1393)
            fix = {"latitudeE7": e7(lat), "longitudeE7": e7(lon), "accuracy": 12, "source": "WIFI",
                   "timestamp": when.isoformat().replace("+00:00", "Z"),
                   "activity": [{"activity": [{"type": "STILL", "confidence": 100}], "timestamp": "x"}]}  # fmt: skip
            handle.write(("," if n else "") + "\n    " + json.dumps(fix))
        handle.write("\n  ]\n}\n")
    if cut:
        data = path.read_bytes()
        path.write_bytes(data[: len(data) * 2 // 3])
    return path


def read(path: Path) -> tuple[list[Record], list[ItemProblem]]:
    items = list(LocationHistoryConnector(path).iter_records())
    return [i for i in items if isinstance(i, Record)], [i for i in items if isinstance(i, ItemProblem)]


def test_semantic_location_history_visits(tmp_path: Path) -> None:
    path = write_semantic(tmp_path / "Semantic Location History" / "2024" / "2024_MAY.json")
    [visit], [problem] = read(path)
    assert visit.kind == "place_visit" and visit.ref == "place:2024-05-12T09:00:00Z"
    assert visit.timestamp is not None and visit.timestamp.isoformat() == "2024-05-12T10:00:00+01:00"  # Lisbon time
    assert visit.text == (
        "Visit to Majestic Café, Rua de Santa Catarina 112, 4000-442 Porto, Portugal on Sunday 12 May 2024 from "
        "10:00 to 11:30 (GPS 41.14680, -8.60600)."
    )
    assert visit.meta["place"]["name"] == "Porto" and visit.meta["place_id"] == "ChIJmajestic"
    assert visit.title == "Visit to Majestic Café, 12 May 2024"
    assert "timeline object 3" in problem.where and "without a readable time or position" in problem.reason


def test_timeline_exports_from_android_and_ios(tmp_path: Path) -> None:
    visits, problems = read(write_android_timeline(tmp_path / "Timeline.json"))
    assert not problems
    assert [v.ref for v in visits] == ["place:2024-10-02T16:00:00Z", "place:2024-10-05T19:00:00Z"]  # level 1 dropped
    seville, home = visits
    assert seville.text.startswith("Visit in Sevilla, Spain on Wednesday 2 October 2024 from 18:00 to 21:15")
    assert home.text.startswith("Visit to home in Lisbon, Portugal on Saturday 5 October 2024 from 20:00 to Sunday")
    [alcazar], _ = read(write_ios_timeline(tmp_path / "location-history.json"))
    assert alcazar.ref == "place:2023-03-10T09:00:00Z" and "Sevilla, Spain" in alcazar.text
    assert alcazar.meta["gps"] == {"latitude": 37.3836, "longitude": -5.9902}


def test_records_json_is_streamed_into_days_and_towns(tmp_path: Path) -> None:
    days, problems = read(write_records(tmp_path / "Records.json"))
    assert not problems
    assert [d.ref for d in days] == [
        "place:day/2024-05-10/Porto",
        "place:day/2024-05-11/Porto",
        "place:day/2024-05-12/Lisbon",
    ]
    first = days[0]
    assert first.text.startswith("Location history: in Porto, Portugal on Friday 10 May 2024 from 00:00 to 23:30")
    assert (
        first.meta["fixes"] == 48 and first.timestamp is not None and first.timestamp.utcoffset() == timedelta(hours=1)
    )
    cut, [problem] = read(write_records(tmp_path / "cut.json", cut=True))
    assert [d.ref for d in cut][:2] == ["place:day/2024-05-10/Porto", "place:day/2024-05-11/Porto"]
    assert "cut short" in problem.reason


def test_a_large_records_json_is_read_in_bounded_memory(tmp_path: Path) -> None:
    path = write_records(tmp_path / "Records.json", days=60, per_day=400)  # 24,000 fixes
    size_mb = path.stat().st_size / 2**20
    list(LocationHistoryConnector(write_records(tmp_path / "warm.json", days=1)).iter_records())  # loads the gazetteer
    tracemalloc.start()
    try:
        days, _ = read(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(days) == 60 and size_mb > 4
    assert peak < 2.5 * 2**20, f"peak {peak / 2**20:.1f} MB reading a {size_mb:.0f} MB file"


def test_detection_and_files_that_are_not_location_history(tmp_path: Path) -> None:
    write_semantic(tmp_path / "t" / "2024_MAY.json")
    write_android_timeline(tmp_path / "t" / "Timeline.json")
    write_records(tmp_path / "t" / "Records.json", days=1)
    (tmp_path / "t" / "settings.json").write_text('{"locations": "on"}', encoding="utf-8")
    found, skipped = detect([tmp_path / "t"])
    assert sorted(c.path.name for c in found if c.name == "location-history") == [
        "2024_MAY.json", "Records.json", "Timeline.json",
    ]  # fmt: skip
    assert [Path(p.where).name for p in skipped] == ["settings.json"]
    (tmp_path / "bad.json").write_text('{"timelineObjects": [ {"placeVisit": ', encoding="utf-8")
    with pytest.raises(IngestError, match="cannot read"):
        read(tmp_path / "bad.json")


def test_visits_answer_where_was_i_and_stay_behind_the_location_scope(home: Path, tmp_path: Path) -> None:
    folder = tmp_path / "Takeout" / "Location History"
    write_semantic(folder / "Semantic Location History" / "2024" / "2024_MAY.json")
    write_android_timeline(folder / "Timeline.json")
    with knowme.open(home, PASSPHRASE) as vault:
        report = vault.ingest(folder)
        assert report.added == {"place_visit": 3} and len(report.problems) == 1
        assert vault.ingest(folder).unchanged == {"place_visit": 3}
        assert vault.search("where was I in May 2024?", k=1)[0].ref == "place:2024-05-12T09:00:00Z"
        assert vault.search("when was I last in Seville?", k=1)[0].ref == "place:2024-10-02T16:00:00Z"
        _, places = vault.grant("maps", "places")
        _, located = vault.grant("travel", "places,location")
        assert vault.search("Majestic Café Porto", k=3, grant=vault.check_grant(places)) == []
        assert vault.search("Majestic Café Porto", k=1, grant=vault.check_grant(located))[0].kind == "place_visit"
        assert vault.export(tmp_path / "out.zip").counts["records"] == 3
        vault.forget(ref="place:2024-05-12T09:00:00Z")
        assert vault.store.records_by_ref("place:2024-05-12T09:00:00Z") == []


def test_a_takeout_archive_brings_its_location_history_photos_and_drive_files(home: Path, tmp_path: Path) -> None:
    import zipfile

    from tests.connectors.document_samples import jpeg_bytes, write_pdf

    parts = tmp_path / "parts" / "Takeout"
    write_semantic(parts / "Location History (Timeline)" / "Semantic Location History" / "2024" / "2024_MAY.json")
    (parts / "Google Photos" / "Porto").mkdir(parents=True)
    (parts / "Google Photos" / "Porto" / "IMG_1.jpg").write_bytes(jpeg_bytes())
    (parts / "Google Photos" / "Porto" / "IMG_1.jpg.json").write_text('{"people": [{"name": "Rui"}]}', "utf-8")
    (parts / "Drive").mkdir()
    write_pdf(parts / "Drive" / "lease.pdf")
    archive = tmp_path / "takeout-20240701T000000Z-001.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for file in sorted(parts.rglob("*")):
            if file.is_file():
                z.write(file, file.relative_to(parts.parent).as_posix())
    with knowme.open(home, PASSPHRASE) as vault:
        report = vault.ingest(archive)
        assert report.added == {"place_visit": 1, "photo": 1, "document": 1}
        refs = {r.ref for r in vault.store.iter_records()}
        assert refs == {"place:2024-05-12T09:00:00Z", "photo:Takeout/Google Photos/Porto/IMG_1.jpg",
                        "doc:Takeout/Drive/lease.pdf"}  # fmt: skip
        [photo] = vault.store.records_by_ref("photo:Takeout/Google Photos/Porto/IMG_1.jpg")
        assert photo.participants == ("Rui",) and photo.source.startswith(f"photos:{archive}!")
        assert vault.ingest(archive).unchanged == {"place_visit": 1, "photo": 1, "document": 1}
