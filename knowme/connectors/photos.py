"""The photos connector: JPEG, HEIC, TIFF, WebP and PNG files become dated ``photo`` records; no pixel is stored.

A photo's record says when and where it was taken, with what, and where the file is: "Photo IMG_0042.jpg taken
on Sunday 12 May 2024 at 14:03 in Porto, Portugal (GPS 41.14850, -8.61097), with an Apple iPhone 13, in the folder
Holidays/Porto." ``ref`` is ``photo:<path relative to the ingested folder>``. What is read (with Pillow, which
reads the EXIF without decoding the image, and ``pillow-heif`` for the HEIC files iPhones take):

- Time: EXIF ``DateTimeOriginal`` (else ``DateTimeDigitized``, else ``DateTime``), a wall-clock time in the
  camera's zone. The zone is ``OffsetTimeOriginal`` when the camera wrote it; else the difference to the GPS
  clock (``GPSDateStamp`` + ``GPSTimeStamp`` are UTC), rounded to a quarter hour; else the time zone of the place
  the GPS position names; else the local zone. No EXIF time: the file's modification time.
  ``meta["date_source"]`` says which (``exif``, ``exif+offset``, ``exif+gps-clock``, ``exif+place-zone``, ``file``).
- Place: the GPS position (``meta["gps"]``: latitude, longitude, altitude) named offline by
  :func:`knowme.connectors.places.nearest_place` (``meta["place"]``: town, country, distance); other names of the
  town (``Seville`` for ``Sevilla``, ``Oporto``) are a second section, so a search in either language finds it.
- Camera (make and model, lens), the image's description or comment, its size in pixels.
- Google Photos' Takeout writes a JSON sidecar beside each photo (``IMG_1234.jpg.json``, or
  ``IMG_1234.jpg.supplemental-metadata.json``) because the download may lack what was edited online: its
  ``photoTakenTime`` (UTC) dates a photo without EXIF time, its ``geoData`` places one without EXIF GPS, its
  ``description`` is the caption and its ``people`` (the faces named in Google Photos) are the record's
  participants ("with Rui Mendes"). The sidecar itself is claimed and yields nothing, so it is not reported as an
  unknown file.

Location is sensitive: the text carries the GPS position, which the sensitivity classifier recognises, so a grant
sees photos only with the ``photos`` scope and their passages only with ``location`` as well. A file that is not an
image or whose EXIF cannot be read is a problem in the report; a truncated JPEG whose header is intact is still
read (its EXIF is at the start).
"""

from __future__ import annotations

import json
import math
import re
import struct
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from knowme.connectors.base import LIKELY, NO, SURE, Connector, Cursor, local_tz
from knowme.connectors.places import Place, nearest_place
from knowme.models import REF_PREFIX, ItemProblem, Record, Section
from knowme.plugins import hookimpl

__all__ = ["PhotosConnector", "photo_time"]

_MAGIC = {
    b"\xff\xd8\xff": "JPEG",
    b"II*\x00": "TIFF",
    b"MM\x00*": "TIFF",
    b"\x89PNG\r\n\x1a\n": "PNG",
}
_SUFFIXES = (".jpg", ".jpeg", ".jpe", ".heic", ".heif", ".tif", ".tiff", ".webp", ".png")
_HEIF_BRANDS = (b"heic", b"heix", b"heim", b"heis", b"mif1", b"msf1")
_EXIF_IFD, _GPS_IFD = 0x8769, 0x8825
_MAKE, _MODEL, _DATETIME, _DESCRIPTION, _XP_COMMENT, _XP_TITLE = 0x010F, 0x0110, 0x0132, 0x010E, 0x9C9C, 0x9C9B
_ORIGINAL, _DIGITIZED, _OFFSET_ORIGINAL, _OFFSET, _USER_COMMENT, _LENS = 0x9003, 0x9004, 0x9011, 0x9010, 0x9286, 0xA434
_EXIF_TIME = re.compile(r"^\s*(\d{4})[:\-](\d{2})[:\-](\d{2})[ T](\d{2}):(\d{2}):(\d{2})")
_OFFSET_TEXT = re.compile(r"^\s*([+-])(\d{2}):?(\d{2})\s*$")
#: The largest image (in pixels) Pillow is asked to open; only the header is read, but Pillow warns past its limit.
_MAX_PIXELS = 1_000_000_000


def _head(path: Path, size: int = 16) -> bytes:
    try:
        with path.open("rb") as handle:
            return handle.read(size)
    except OSError:
        return b""


def _image_kind(head: bytes) -> str | None:
    for magic, kind in _MAGIC.items():
        if head.startswith(magic):
            return kind
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    if head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS:
        return "HEIF"
    return None


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        if value.startswith((b"ASCII\x00\x00\x00", b"UNICODE\x00", b"\x00" * 8)):  # EXIF UserComment's charset code
            code, value = value[:8], value[8:]
            return value.decode("utf-16" if code.startswith(b"UNICODE") else "latin-1", "replace").strip("\x00 ")
        try:
            return value.decode("utf-16-le").strip("\x00 ")  # Windows XP* tags
        except UnicodeDecodeError:
            return value.decode("latin-1", "replace").strip("\x00 ")
    return str(value).strip("\x00 ") if value is not None else ""


def _ratio(value: Any) -> float:
    if isinstance(value, tuple) and len(value) == 2:
        return float(value[0]) / float(value[1]) if value[1] else math.nan
    return float(value)


def _degrees(value: Any, ref: Any) -> float | None:
    try:
        parts = [_ratio(v) for v in value]
        if len(parts) != 3:
            return None
        degrees = parts[0] + parts[1] / 60 + parts[2] / 3600
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    if not math.isfinite(degrees):
        return None
    return -degrees if _text(ref).upper() in ("S", "W") else degrees


def _gps(ifd: dict[int, Any]) -> dict[str, float] | None:
    latitude, longitude = _degrees(ifd.get(2), ifd.get(1)), _degrees(ifd.get(4), ifd.get(3))
    if latitude is None or longitude is None or abs(latitude) > 90 or abs(longitude) > 180:
        return None
    if latitude == 0 and longitude == 0:  # "null island": a camera that had no fix
        return None
    found = {"latitude": round(latitude, 6), "longitude": round(longitude, 6)}
    try:
        altitude = _ratio(ifd[6])
        if math.isfinite(altitude):
            found["altitude"] = round(-altitude if ifd.get(5) in (1, b"\x01") else altitude, 1)
    except (KeyError, TypeError, ValueError, ZeroDivisionError):
        pass
    return found


def _gps_clock(ifd: dict[int, Any]) -> datetime | None:
    """The UTC time of the GPS fix (GPSDateStamp + GPSTimeStamp)."""
    try:
        day = datetime.strptime(_text(ifd[29]), "%Y:%m:%d")
        hours, minutes, seconds = (_ratio(v) for v in ifd[7])
        return day.replace(tzinfo=UTC) + timedelta(hours=hours, minutes=minutes, seconds=seconds)
    except (KeyError, TypeError, ValueError, ZeroDivisionError, OverflowError):
        return None


def _wall_clock(value: Any) -> datetime | None:
    match = _EXIF_TIME.match(_text(value))
    if not match:
        return None
    try:
        return datetime(*(int(g) for g in match.groups()))  # type: ignore[arg-type, misc]
    except ValueError:  # 0000:00:00 00:00:00, which cameras write for "unset"
        return None


def _offset(value: Any) -> tzinfo | None:
    match = _OFFSET_TEXT.match(_text(value))
    if not match:
        return None
    sign, hours, minutes = match.groups()
    delta = timedelta(hours=int(hours), minutes=int(minutes))
    if delta > timedelta(hours=14):
        return None
    return timezone(-delta if sign == "-" else delta)


def photo_time(exif: dict[int, Any], gps: dict[int, Any], place: Place | None) -> tuple[datetime | None, str]:
    """When a photo was taken, in the camera's zone, and where that came from (see the module's docstring)."""
    wall = _wall_clock(exif.get(_ORIGINAL)) or _wall_clock(exif.get(_DIGITIZED)) or _wall_clock(exif.get(_DATETIME))
    if wall is None:
        return None, "none"
    zone = _offset(exif.get(_OFFSET_ORIGINAL)) or _offset(exif.get(_OFFSET))
    if zone is not None:
        return wall.replace(tzinfo=zone), "exif+offset"
    clock = _gps_clock(gps)
    if clock is not None:
        minutes = round((wall.replace(tzinfo=UTC) - clock).total_seconds() / 900) * 15
        if abs(minutes) <= 14 * 60:
            return wall.replace(tzinfo=timezone(timedelta(minutes=minutes))), "exif+gps-clock"
    if place is not None and place.timezone:
        try:
            return wall.replace(tzinfo=ZoneInfo(place.timezone)), "exif+place-zone"
        except (KeyError, ValueError):
            pass
    return wall.replace(tzinfo=local_tz()), "exif"


_SIDECAR_SUFFIXES = (".supplemental-metadata.json", ".json")


def _sidecar_image(path: Path) -> Path | None:
    """The photo a Google Photos sidecar (``IMG_1.jpg.json``) describes, when ``path`` is one and the photo is there."""
    lower = path.name.lower()
    for suffix in _SIDECAR_SUFFIXES:
        if lower.endswith(suffix):
            image = path.with_name(path.name[: -len(suffix)])
            if image.name.lower().endswith(_SUFFIXES) and image.is_file():
                return image
            return None
    return None


def _sidecar(photo: Path) -> dict[str, Any]:
    """What a Google Photos sidecar says of ``photo``: taken (UTC), gps, description, people; {} without one."""
    for suffix in _SIDECAR_SUFFIXES:
        path = photo.with_name(photo.name + suffix)
        if not path.is_file():
            continue
        try:
            data = json.loads(path.read_bytes()[:1_000_000])
        except (OSError, ValueError):
            return {}
        if not isinstance(data, dict):
            return {}
        found: dict[str, Any] = {}
        taken = data.get("photoTakenTime")
        try:
            stamp = int(taken["timestamp"]) if isinstance(taken, dict) else 0
            if stamp > 0:
                found["taken"] = datetime.fromtimestamp(stamp, tz=UTC)
        except (KeyError, TypeError, ValueError, OverflowError, OSError):
            pass
        geo = data.get("geoData")
        if isinstance(geo, dict):
            try:
                latitude, longitude = float(geo["latitude"]), float(geo["longitude"])
                if (latitude, longitude) != (0.0, 0.0) and abs(latitude) <= 90 and abs(longitude) <= 180:
                    found["gps"] = {"latitude": round(latitude, 6), "longitude": round(longitude, 6)}
            except (KeyError, TypeError, ValueError):
                pass
        if isinstance(data.get("description"), str) and data["description"].strip():
            found["description"] = data["description"].strip()
        people = data.get("people")
        if isinstance(people, list):
            names = [str(p.get("name")).strip() for p in people if isinstance(p, dict) and p.get("name")]
            found["people"] = [n for n in dict.fromkeys(names) if n]
        return found
    return {}


def _when_text(when: datetime) -> str:
    return f"{when:%A} {when.day} {when:%B %Y} at {when:%H:%M}"


class PhotosConnector(Connector):
    """One photo file (JPEG, TIFF, WebP, PNG): its EXIF time, place and camera."""

    name: ClassVar[str] = "photos"
    kinds: ClassVar[tuple[str, ...]] = ("photo",)
    suffixes: ClassVar[tuple[str, ...]] = _SUFFIXES

    @classmethod
    def sniff(cls, path: Path) -> int:
        if not path.is_file():
            return NO
        if _sidecar_image(path) is not None:
            return LIKELY
        kind = _image_kind(_head(path))
        if kind in ("JPEG", "HEIF", "TIFF", "WEBP"):
            return SURE
        if kind == "PNG":
            return LIKELY
        # claimed by its name only, so an empty or broken photo is reported rather than skipped
        return LIKELY if path.name.lower().endswith(_SUFFIXES) else NO

    def estimate(self) -> int | None:
        return 1

    @property
    def relative_name(self) -> str:
        if self.root is not None:
            try:
                return self.path.relative_to(self.root.expanduser().resolve()).as_posix()
            except ValueError:
                pass
        return self.path.name

    def iter_records(self, cursor: Cursor | None = None) -> Iterator[Record | ItemProblem]:
        from PIL import Image, UnidentifiedImageError

        try:
            stat = self.path.stat()
        except OSError as exc:
            yield self.problem("", f"cannot read the file: {exc.strerror or exc}")
            return
        if _sidecar_image(self.path) is not None:
            return  # a Google Photos sidecar: read with its photo
        if stat.st_size == 0:
            yield self.problem("", "the file is empty")
            return
        if _image_kind(_head(self.path)) == "HEIF":
            from pillow_heif import register_heif_opener

            register_heif_opener()  # teaches Pillow to open HEIC/HEIF (once; later calls change nothing)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # DecompressionBombWarning, corrupt-EXIF warnings: the header is all
                previous, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, _MAX_PIXELS
                try:
                    with Image.open(self.path) as image:
                        size = image.size
                        fmt = image.format or ""
                        exif_all = image.getexif()
                        exif = {**dict(exif_all), **dict(exif_all.get_ifd(_EXIF_IFD))}
                        gps_ifd = dict(exif_all.get_ifd(_GPS_IFD))
                finally:
                    Image.MAX_IMAGE_PIXELS = previous
        except (UnidentifiedImageError, Image.DecompressionBombError) as exc:
            yield self.problem("", f"not a readable image ({type(exc).__name__}: {exc})")
            return
        except (OSError, SyntaxError, ValueError, TypeError, KeyError, IndexError, struct.error) as exc:
            yield self.problem("", f"the image or its EXIF is damaged ({type(exc).__name__}: {exc})")
            return
        yield self._record(stat.st_mtime, stat.st_size, size, fmt, exif, gps_ifd)

    def _record(
        self,
        mtime: float,
        file_size: int,
        size: tuple[int, int],
        fmt: str,
        exif: dict[int, Any],
        gps_ifd: dict[int, Any],
    ) -> Record:
        rel = self.relative_name
        sidecar = _sidecar(self.path)
        gps = _gps(gps_ifd) or sidecar.get("gps")
        place = nearest_place(gps["latitude"], gps["longitude"]) if gps else None
        when, date_source = photo_time(exif, gps_ifd, place)
        if when is None and sidecar.get("taken") is not None:
            zone = ZoneInfo(place.timezone) if place is not None and place.timezone else local_tz()
            when, date_source = sidecar["taken"].astimezone(zone), "google-photos"
        if when is None:
            when, date_source = datetime.fromtimestamp(mtime, tz=local_tz()), "file"
        people: tuple[str, ...] = tuple(sidecar.get("people") or ())
        make, model = _text(exif.get(_MAKE)), _text(exif.get(_MODEL))
        camera = model if make and model.lower().startswith(make.lower()) else f"{make} {model}".strip()
        lens = _text(exif.get(_LENS))
        description = _description(exif) or str(sidecar.get("description") or "")
        folder = rel.rsplit("/", 1)[0] if "/" in rel else ""
        head = f"Photo {self.path.name} taken on {_when_text(when)}"
        if place is not None:
            head += (" near " if not place.near else " in ") + place.describe()
        if gps:
            head += f" (GPS {gps['latitude']:.5f}, {gps['longitude']:.5f})"
        extras = [f"with {', '.join(people)}"] if people else []
        extras += [f"camera {camera}"] if camera else []
        extras += [f"folder {folder}"] if folder else []
        text = ", ".join([head, *extras]) + "."
        if description:
            text += f" {description}"
        sections = [Section("photo", text)]
        if place is not None and place.near and place.aliases:
            sections.append(Section("place names", f"{place.name} is also called {', '.join(place.aliases)}."))
        where = f" in {place.name if place.near else place.country}" if place else ""
        meta: dict[str, Any] = {
            "filename": self.path.name,
            "folder": folder,
            "path": str(self.path),
            "size": file_size,
            "format": fmt,
            "width": size[0],
            "height": size[1],
            "taken": when.isoformat(),
            "date_source": date_source,
            **({"camera": camera} if camera else {}),
            **({"lens": lens} if lens else {}),
            **({"description": description} if description else {}),
            **({"gps": gps} if gps else {}),
        }
        if place is not None:
            meta["place"] = _place_meta(place)
        return Record(
            source=self.source,
            kind="photo",
            native_id=self.path.name,
            ref=f"{REF_PREFIX['photo']}:{rel}",
            text=text,
            title=f"Photo{where}, {when.day} {when:%B %Y}",
            timestamp=when,
            participants=people,
            sections=tuple(sections),
            meta=meta,
        )


def _description(exif: dict[int, Any]) -> str:
    """The photo's own caption from its EXIF fields, leaving out the cameras' placeholders."""
    texts = (_text(exif.get(tag)) for tag in (_DESCRIPTION, _USER_COMMENT, _XP_TITLE, _XP_COMMENT))
    return next((t for t in texts if t and t.lower() not in ("default", "image", "picture")), "")


def _place_meta(place: Any) -> dict[str, Any]:
    return {
        "name": place.name if place.near else "",
        "country": place.country,
        "country_code": place.country_code,
        "distance_km": place.distance_km,
        "timezone": place.timezone,
    }


@hookimpl
def register_connectors() -> list[type[Connector]]:
    return [PhotosConnector]
