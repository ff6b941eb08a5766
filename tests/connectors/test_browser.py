"""Browser history connectors, on real Chromium ``History`` and Firefox ``places.sqlite`` files.

The schemas are those of current browsers: Chromium's History database version 70 (as ``sqlite3 .schema``
prints it) and Firefox's ``toolkit/components/places/nsPlacesTables.h``; the rows are what a browser writes.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import pluggy
import pytest

from knowme.connectors import browser
from knowme.connectors.base import LIKELY, NO, SURE
from knowme.connectors.browser import (
    ChromiumHistoryConnector,
    FirefoxPlacesConnector,
    chromium_transition,
    firefox_visit_type,
)
from knowme.errors import IngestError
from knowme.models import ItemProblem, Record
from knowme.plugins import HookSpecs

CHROMIUM_SCHEMA = """
CREATE TABLE meta(key LONGVARCHAR NOT NULL UNIQUE PRIMARY KEY, value LONGVARCHAR);
CREATE TABLE urls(id INTEGER PRIMARY KEY AUTOINCREMENT,url LONGVARCHAR,title LONGVARCHAR,
  visit_count INTEGER DEFAULT 0 NOT NULL,typed_count INTEGER DEFAULT 0 NOT NULL,last_visit_time INTEGER NOT NULL,
  hidden INTEGER DEFAULT 0 NOT NULL);
CREATE TABLE visits(id INTEGER PRIMARY KEY AUTOINCREMENT,url INTEGER NOT NULL,visit_time INTEGER NOT NULL,
  from_visit INTEGER,external_referrer_url TEXT,transition INTEGER DEFAULT 0 NOT NULL,segment_id INTEGER,
  visit_duration INTEGER DEFAULT 0 NOT NULL,incremented_omnibox_typed_score BOOLEAN DEFAULT FALSE NOT NULL,
  opener_visit INTEGER,originator_cache_guid TEXT,originator_visit_id INTEGER,originator_from_visit INTEGER,
  originator_opener_visit INTEGER,is_known_to_sync BOOLEAN DEFAULT FALSE NOT NULL,
  consider_for_ntp_most_visited BOOLEAN DEFAULT FALSE NOT NULL,visited_link_id INTEGER DEFAULT 0 NOT NULL,
  app_id TEXT);
CREATE TABLE visit_source(id INTEGER PRIMARY KEY,source INTEGER NOT NULL);
CREATE TABLE keyword_search_terms (keyword_id INTEGER NOT NULL,url_id INTEGER NOT NULL,term LONGVARCHAR NOT NULL,
  normalized_term LONGVARCHAR NOT NULL);
CREATE TABLE segments (id INTEGER PRIMARY KEY,name VARCHAR,url_id INTEGER NON NULL);
CREATE TABLE segment_usage (id INTEGER PRIMARY KEY,segment_id INTEGER NOT NULL,time_slot INTEGER NOT NULL,
  visit_count INTEGER DEFAULT 0 NOT NULL);
CREATE TABLE visited_links(id INTEGER PRIMARY KEY AUTOINCREMENT,link_url_id INTEGER NOT NULL,
  top_level_url LONGVARCHAR NOT NULL,frame_url LONGVARCHAR NOT NULL,visit_count INTEGER DEFAULT 0 NOT NULL);
CREATE INDEX urls_url_index ON urls (url);
CREATE INDEX visits_url_index ON visits (url);
CREATE INDEX visits_from_index ON visits (from_visit);
CREATE INDEX visits_time_index ON visits (visit_time);
CREATE INDEX keyword_search_terms_index1 ON keyword_search_terms (keyword_id, normalized_term);
CREATE INDEX keyword_search_terms_index2 ON keyword_search_terms (url_id);
CREATE INDEX keyword_search_terms_index3 ON keyword_search_terms (term);
CREATE INDEX segments_name ON segments(name);
INSERT INTO meta VALUES ('mmap_status', '-1'), ('version', '70'), ('last_compatible_version', '16');
"""

FIREFOX_SCHEMA = """
CREATE TABLE moz_origins ( id INTEGER PRIMARY KEY, prefix TEXT NOT NULL, host TEXT NOT NULL,
  frecency INTEGER NOT NULL, recalc_frecency INTEGER NOT NULL DEFAULT 0, alt_frecency INTEGER,
  recalc_alt_frecency INTEGER NOT NULL DEFAULT 0, UNIQUE (prefix, host) );
CREATE TABLE moz_places (   id INTEGER PRIMARY KEY, url LONGVARCHAR, title LONGVARCHAR, rev_host LONGVARCHAR,
  visit_count INTEGER DEFAULT 0, hidden INTEGER DEFAULT 0 NOT NULL, typed INTEGER DEFAULT 0 NOT NULL,
  frecency INTEGER DEFAULT -1 NOT NULL, last_visit_date INTEGER , guid TEXT,
  foreign_count INTEGER DEFAULT 0 NOT NULL, url_hash INTEGER DEFAULT 0 NOT NULL , description TEXT,
  preview_image_url TEXT, site_name TEXT, origin_id INTEGER REFERENCES moz_origins(id),
  recalc_frecency INTEGER NOT NULL DEFAULT 0, alt_frecency INTEGER, recalc_alt_frecency INTEGER NOT NULL DEFAULT 0);
CREATE TABLE moz_historyvisits (  id INTEGER PRIMARY KEY, from_visit INTEGER, place_id INTEGER,
  visit_date INTEGER, visit_type INTEGER, session INTEGER, source INTEGER DEFAULT 0 NOT NULL,
  triggeringPlaceId INTEGER);
CREATE TABLE moz_inputhistory (  place_id INTEGER NOT NULL, input LONGVARCHAR NOT NULL, use_count INTEGER,
  PRIMARY KEY (place_id, input));
CREATE TABLE moz_bookmarks (  id INTEGER PRIMARY KEY, type INTEGER, fk INTEGER DEFAULT NULL, parent INTEGER,
  position INTEGER, title LONGVARCHAR, keyword_id INTEGER, folder_type TEXT, dateAdded INTEGER,
  lastModified INTEGER, guid TEXT, syncStatus INTEGER NOT NULL DEFAULT 0,
  syncChangeCounter INTEGER NOT NULL DEFAULT 1);
CREATE TABLE moz_keywords (  id INTEGER PRIMARY KEY AUTOINCREMENT, keyword TEXT UNIQUE, place_id INTEGER,
  post_data TEXT);
CREATE TABLE moz_meta (key TEXT PRIMARY KEY, value NOT NULL) WITHOUT ROWID ;
CREATE TABLE moz_places_metadata (id INTEGER PRIMARY KEY, place_id INTEGER NOT NULL, referrer_place_id INTEGER,
  created_at INTEGER NOT NULL DEFAULT 0, updated_at INTEGER NOT NULL DEFAULT 0,
  total_view_time INTEGER NOT NULL DEFAULT 0, typing_time INTEGER NOT NULL DEFAULT 0,
  key_presses INTEGER NOT NULL DEFAULT 0, scrolling_time INTEGER NOT NULL DEFAULT 0,
  scrolling_distance INTEGER NOT NULL DEFAULT 0, document_type INTEGER NOT NULL DEFAULT 0,
  search_query_id INTEGER,
  FOREIGN KEY (place_id) REFERENCES moz_places(id) ON DELETE CASCADE,
  FOREIGN KEY (referrer_place_id) REFERENCES moz_places(id) ON DELETE CASCADE,
  FOREIGN KEY(search_query_id) REFERENCES moz_places_metadata_search_queries(id) ON DELETE CASCADE
  CHECK(place_id != referrer_place_id) );
CREATE TABLE moz_places_metadata_search_queries ( id INTEGER PRIMARY KEY, terms TEXT NOT NULL UNIQUE );
CREATE UNIQUE INDEX moz_places_url_hashindex ON moz_places (url_hash, url);
CREATE INDEX moz_places_hostindex ON moz_places (rev_host);
CREATE INDEX moz_places_visitcount ON moz_places (visit_count);
CREATE INDEX moz_places_frecencyindex ON moz_places (frecency);
CREATE INDEX moz_places_lastvisitdateindex ON moz_places (last_visit_date);
CREATE UNIQUE INDEX moz_places_guid_uniqueindex ON moz_places (guid);
CREATE INDEX moz_historyvisits_placedateindex ON moz_historyvisits (place_id, visit_date);
CREATE INDEX moz_historyvisits_fromindex ON moz_historyvisits (from_visit);
CREATE INDEX moz_historyvisits_dateindex ON moz_historyvisits (visit_date);
"""

# A known instant in both encodings (WebKit: microseconds since 1601-01-01 UTC; Firefox: since 1970).
T0_WEBKIT = 13354122130123456
T0 = datetime(2024, 3, 5, 14, 22, 10, 123456, tzinfo=UTC)
F0_UNIX = 1700467500654321
F0 = datetime(2023, 11, 20, 8, 5, 0, 654321, tzinfo=UTC)
SECOND = 1_000_000

# Chromium transitions as Chrome writes them: core type | qualifiers (CHAIN_START 0x10000000,
# CHAIN_END 0x20000000, FROM_ADDRESS_BAR 0x02000000, SERVER_REDIRECT 0x80000000 stored as signed int32).
GENERATED_FROM_OMNIBOX = 0x32000005
LINK_CHAIN = 0x30000000
TYPED_FROM_OMNIBOX = 0x32000001
RELOAD_CHAIN = 0x30000008
AUTO_BOOKMARK_CHAIN = 0x30000002
LINK_SERVER_REDIRECT_END = 0xA0000000 - (1 << 32)  # -1610612736
AUTO_SUBFRAME = 3

SEARCH_URL = (
    "https://www.google.com/search?q=sourdough+starter+ratio&oq=sourdough+starter+ratio&sourceid=chrome&ie=UTF-8"
)
RECIPE_URL = "https://www.kingarthurbaking.com/recipes/sourdough-starter-recipe"
CAFE_URL = "https://en.wikipedia.org/wiki/Caf%C3%A9_au_lait"
FILE_URL = "file:///home/ada/Documents/trip-plan.html"
HN_URL = "https://news.ycombinator.com/"
DDG_URL = "https://duckduckgo.com/?q=cache-control+immutable&ia=web"
MDN_URL = "https://developer.mozilla.org/en-US/docs/Web/HTTP/Headers/Cache-Control"
BBC_URL = "https://www.bbc.co.uk/news/science-environment"


def rev_host(url: str) -> str:
    """moz_places.rev_host as Firefox writes it: the host reversed, then a dot."""
    return (urlsplit(url).hostname or "")[::-1] + "."


def chromium_history(path: Path) -> Path:
    """A Chrome profile's ``History``: searches, links, a reload, internal pages and an ad iframe."""
    conn = sqlite3.connect(path)
    conn.executescript(CHROMIUM_SCHEMA)
    urls = [
        (1, SEARCH_URL, "sourdough starter ratio - Google Search", 1, 0, T0_WEBKIT, 0),
        (2, RECIPE_URL, "Sourdough Starter Recipe | King Arthur Baking", 1, 0, T0_WEBKIT + 9 * SECOND, 0),
        (3, CAFE_URL, "Café au lait - Wikipedia", 2, 1, T0_WEBKIT + 300 * SECOND, 0),
        (4, "chrome://settings/", "Settings", 1, 1, T0_WEBKIT + 400 * SECOND, 0),
        (5, FILE_URL, "Trip plan", 1, 0, T0_WEBKIT + 500 * SECOND, 0),
        (6, HN_URL, "", 1, 0, T0_WEBKIT + 600 * SECOND, 0),
        (7, "https://ads.example.net/frame?slot=9", "", 1, 0, T0_WEBKIT + 9 * SECOND, 1),
    ]
    conn.executemany("INSERT INTO urls VALUES (?,?,?,?,?,?,?)", urls)
    visits = [  # id, url, visit_time, from_visit, transition, visit_duration
        (1, 1, T0_WEBKIT, 0, GENERATED_FROM_OMNIBOX, 8_200_000),
        (2, 2, T0_WEBKIT + 9 * SECOND, 1, LINK_CHAIN, 95_500_000),
        (3, 7, T0_WEBKIT + 9 * SECOND, 2, AUTO_SUBFRAME, 0),
        (4, 3, T0_WEBKIT + 200 * SECOND, 0, TYPED_FROM_OMNIBOX, 60_000_000),
        (5, 3, T0_WEBKIT + 300 * SECOND, 4, RELOAD_CHAIN, 0),
        (6, 4, T0_WEBKIT + 400 * SECOND, 0, TYPED_FROM_OMNIBOX, 0),
        (7, 5, T0_WEBKIT + 500 * SECOND, 0, AUTO_BOOKMARK_CHAIN, 0),
        (8, 6, T0_WEBKIT + 600 * SECOND, 0, LINK_SERVER_REDIRECT_END, 0),
    ]
    conn.executemany(
        "INSERT INTO visits (id, url, visit_time, from_visit, transition, segment_id, visit_duration) "
        "VALUES (?,?,?,?,?,0,?)",
        visits,
    )
    conn.execute("INSERT INTO keyword_search_terms VALUES (2, 1, 'sourdough starter ratio', 'sourdough starter ratio')")
    conn.commit()
    conn.close()
    return path


def firefox_places(path: Path) -> Path:
    """A Firefox profile's ``places.sqlite`` (WAL mode, as Firefox keeps it)."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.executescript(FIREFOX_SCHEMA)
    conn.execute("PRAGMA user_version = 78")
    conn.executemany(
        "INSERT INTO moz_origins (id, prefix, host, frecency) VALUES (?,?,?,?)",
        [(1, "https://", "duckduckgo.com", 120), (2, "https://", "developer.mozilla.org", 300)]
        + [(3, "https://", "www.bbc.co.uk", 80), (4, "https://", "http.cat", 40)],
    )
    mdn_description = "The Cache-Control HTTP header field holds directives for caching."
    places = [  # id, url, title, visit_count, typed, frecency, last_visit_date, description, origin_id
        (1, DDG_URL, "cache-control immutable at DuckDuckGo", 1, 1, 120, F0_UNIX, None, 1),
        (2, MDN_URL, "Cache-Control - HTTP | MDN", 2, 0, 300, F0_UNIX + 90 * SECOND, mdn_description, 2),
        (3, "about:newtab", None, 3, 0, 0, F0_UNIX + 100 * SECOND, None, None),
        (4, BBC_URL, "Science - BBC News", 1, 0, 80, F0_UNIX + 200 * SECOND, None, 3),
        (5, "https://http.cat/404", None, 1, 0, 40, F0_UNIX + 300 * SECOND, None, 4),
    ]
    conn.executemany(
        "INSERT INTO moz_places (id, url, title, visit_count, typed, frecency, last_visit_date, description, "
        "origin_id, rev_host, guid) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        [(*row, rev_host(row[1]), f"aBcDeFgHiJk{row[0]}") for row in places],
    )
    visits = [  # id, from_visit, place_id, visit_date, visit_type
        (1, 0, 1, F0_UNIX, 2),
        (2, 1, 2, F0_UNIX + 30 * SECOND, 1),
        (3, 0, 3, F0_UNIX + 100 * SECOND, 1),
        (4, 0, 2, F0_UNIX + 90 * SECOND, 9),
        (5, 0, 4, F0_UNIX + 200 * SECOND, 5),
        (6, 5, 5, F0_UNIX + 300 * SECOND, 4),
    ]
    conn.executemany(
        "INSERT INTO moz_historyvisits (id, from_visit, place_id, visit_date, visit_type, session) "
        "VALUES (?,?,?,?,?,0)",
        visits,
    )
    conn.execute("INSERT INTO moz_places_metadata_search_queries VALUES (1, 'cache-control immutable')")
    conn.execute(
        "INSERT INTO moz_places_metadata (place_id, referrer_place_id, created_at, updated_at, total_view_time, "
        "document_type, search_query_id) VALUES (2, 1, ?, ?, 41000, 1, 1)",
        (F0_UNIX // 1000 + 30_000, F0_UNIX // 1000 + 71_000),
    )
    conn.commit()
    conn.close()
    return path


def records(items: list[Record | ItemProblem]) -> list[Record]:
    return [item for item in items if isinstance(item, Record)]


def problems(items: list[Record | ItemProblem]) -> list[ItemProblem]:
    return [item for item in items if isinstance(item, ItemProblem)]


def snapshot(folder: Path) -> dict[str, str]:
    """Every file in ``folder`` with the SHA-256 of its bytes."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


@pytest.fixture
def history(tmp_path: Path) -> Path:
    profile = tmp_path / "Default"
    profile.mkdir()
    return chromium_history(profile / "History")


@pytest.fixture
def places(tmp_path: Path) -> Path:
    profile = tmp_path / "abcd1234.default-release"
    profile.mkdir()
    return firefox_places(profile / "places.sqlite")


# -- Chromium --------------------------------------------------------------------------------------


def test_chromium_visits_become_records_with_exact_times(history: Path) -> None:
    items = list(ChromiumHistoryConnector(history).iter_records())
    assert problems(items) == []
    found = records(items)
    assert [r.meta["url"] for r in found] == [SEARCH_URL, RECIPE_URL, CAFE_URL, CAFE_URL, FILE_URL, HN_URL]

    search = found[0]
    assert search.timestamp == T0
    assert search.timestamp.utcoffset() is not None and search.timestamp.utcoffset().total_seconds() == 0
    assert search.native_id == f"{SEARCH_URL}@2024-03-05T14:22:10.123456+00:00"
    assert search.ref == f"web:{SEARCH_URL}"
    assert search.kind == "web_visit"
    assert search.source == f"chromium:{history.resolve()}"
    assert search.title == "sourdough starter ratio - Google Search"
    assert search.author is None and search.participants == ()
    assert "Searched for: sourdough starter ratio" in search.text
    assert "Site: google.com" in search.text
    assert search.meta == {
        "url": SEARCH_URL,
        "host": "www.google.com",
        "title": "sourdough starter ratio - Google Search",
        "visit_count": 1,
        "transition": "generated",
        "browser": "chromium",
        "search_terms": ["sourdough starter ratio"],
        "duration_s": 8.2,
        "path": str(history.resolve()),
    }

    recipe = found[1]
    assert recipe.timestamp == datetime(2024, 3, 5, 14, 22, 19, 123456, tzinfo=UTC)
    assert recipe.meta["transition"] == "link"
    assert recipe.meta["duration_s"] == 95.5
    assert recipe.meta["search_terms"] == []
    assert "Searched for" not in recipe.text
    assert recipe.text.splitlines()[:2] == ["Sourdough Starter Recipe | King Arthur Baking", RECIPE_URL]


def test_chromium_transitions_are_decoded_from_the_bit_mask(history: Path) -> None:
    found = records(list(ChromiumHistoryConnector(history).iter_records()))
    assert [r.meta["transition"] for r in found] == ["generated", "link", "typed", "reload", "auto_bookmark", "link"]
    assert chromium_transition(LINK_SERVER_REDIRECT_END) == "link"
    assert chromium_transition(0x10000000 | 7) == "form_submit"
    assert chromium_transition(0x2000000A) == "keyword_generated"
    assert chromium_transition(0x30000000 | 42) == "unknown_42"


def test_chromium_two_visits_of_a_page_are_two_records(history: Path) -> None:
    cafe = [r for r in records(list(ChromiumHistoryConnector(history).iter_records())) if r.meta["url"] == CAFE_URL]
    assert [r.timestamp for r in cafe] == [
        datetime(2024, 3, 5, 14, 25, 30, 123456, tzinfo=UTC),
        datetime(2024, 3, 5, 14, 27, 10, 123456, tzinfo=UTC),
    ]
    assert len({r.id for r in cafe}) == 2
    assert all(r.ref == f"web:{CAFE_URL}" for r in cafe)
    # The percent-encoded URL is also given readably, so a search for "Café" finds it.
    assert "https://en.wikipedia.org/wiki/Café_au_lait" in cafe[0].text
    assert cafe[0].meta["visit_count"] == 2


def test_chromium_internal_pages_and_ad_frames_are_skipped_local_files_kept(history: Path) -> None:
    found = records(list(ChromiumHistoryConnector(history).iter_records()))
    urls = {r.meta["url"] for r in found}
    assert "chrome://settings/" not in urls
    assert "https://ads.example.net/frame?slot=9" not in urls
    local = next(r for r in found if r.meta["url"] == FILE_URL)
    assert local.title == "Trip plan"
    assert local.meta["host"] == ""
    assert "Site:" not in local.text


def test_chromium_empty_title_falls_back_to_the_url(history: Path) -> None:
    hn = next(r for r in records(list(ChromiumHistoryConnector(history).iter_records())) if r.meta["url"] == HN_URL)
    assert hn.title == HN_URL
    assert hn.meta["title"] == ""
    assert hn.text == f"{HN_URL}\nSite: news.ycombinator.com"


def test_estimate_counts_the_visits_read(history: Path, places: Path) -> None:
    assert ChromiumHistoryConnector(history).estimate() == 6
    assert FirefoxPlacesConnector(places).estimate() == 4
    assert len(list(ChromiumHistoryConnector(history).iter_records())) == 6


def test_rereading_gives_identical_records(history: Path, places: Path) -> None:
    for cls, path in ((ChromiumHistoryConnector, history), (FirefoxPlacesConnector, places)):
        first = list(cls(path).iter_records())
        second = list(cls(path).iter_records())
        assert first == second
        assert [r.id for r in records(first)] == [r.id for r in records(second)]
        assert [r.content_hash for r in records(first)] == [r.content_hash for r in records(second)]
        for record in records(first):
            assert json.loads(json.dumps(record.meta)) == record.meta


def test_the_original_file_is_left_byte_identical(history: Path, places: Path) -> None:
    for cls, path in ((ChromiumHistoryConnector, history), (FirefoxPlacesConnector, places)):
        before = snapshot(path.parent)
        assert cls.sniff(path) == SURE
        assert cls(path).estimate() is not None
        assert records(list(cls(path).iter_records()))
        assert snapshot(path.parent) == before  # same bytes, and no -journal/-wal/-shm appeared


def test_chromium_reads_a_copy_while_the_browser_holds_a_write_lock(history: Path) -> None:
    browser = sqlite3.connect(history, isolation_level=None)
    try:
        browser.execute("PRAGMA cache_size = 2")  # spill to the file mid-transaction: a hot journal
        browser.execute("BEGIN EXCLUSIVE")
        browser.execute(
            "INSERT INTO urls (id, url, title, visit_count, last_visit_time) VALUES (50, ?, 'Unsaved', 1, ?)",
            ("https://unsaved.example/", T0_WEBKIT + 900 * SECOND),
        )
        browser.execute(
            "INSERT INTO visits (url, visit_time, transition) VALUES (50, ?, ?)", (T0_WEBKIT + 900 * SECOND, 1)
        )
        browser.executemany("INSERT INTO segments (name, url_id) VALUES (?, 1)", [("x" * 400,)] * 3000)
        assert (history.parent / "History-journal").exists()
        reader = sqlite3.connect(history, timeout=0)
        with pytest.raises(sqlite3.OperationalError, match="locked"):  # nobody else can read the original now
            reader.execute("SELECT count(*) FROM visits").fetchone()
        reader.close()

        before = snapshot(history.parent)
        items = list(ChromiumHistoryConnector(history).iter_records())
        assert snapshot(history.parent) == before
    finally:
        browser.execute("ROLLBACK")
        browser.close()
    assert problems(items) == []
    urls = [r.meta["url"] for r in records(items)]
    assert urls == [SEARCH_URL, RECIPE_URL, CAFE_URL, CAFE_URL, FILE_URL, HN_URL]  # the uncommitted visit is not


def test_firefox_reads_committed_visits_still_in_the_wal_while_a_write_is_open(places: Path) -> None:
    browser = sqlite3.connect(places, isolation_level=None)
    try:
        browser.execute("PRAGMA wal_autocheckpoint = 0")  # keep committed pages in places.sqlite-wal
        browser.execute(
            "INSERT INTO moz_places (id, url, title, visit_count, guid) VALUES (9, 'https://www.rust-lang.org/', "
            "'Rust Programming Language', 1, 'aBcDeFgHiJk9')"
        )
        browser.execute(
            "INSERT INTO moz_historyvisits (place_id, visit_date, visit_type) VALUES (9, ?, 2)",
            (F0_UNIX + 400 * SECOND,),
        )
        browser.execute("BEGIN IMMEDIATE")
        browser.execute(
            "INSERT INTO moz_historyvisits (place_id, visit_date, visit_type) VALUES (9, ?, 9)",
            (F0_UNIX + 500 * SECOND,),
        )
        assert (places.parent / "places.sqlite-wal").stat().st_size > 0

        before = snapshot(places.parent)
        items = list(FirefoxPlacesConnector(places).iter_records())
        assert snapshot(places.parent) == before
    finally:
        browser.execute("ROLLBACK")
        browser.close()
    rust = [r for r in records(items) if r.meta["url"] == "https://www.rust-lang.org/"]
    assert [r.timestamp for r in rust] == [datetime(2023, 11, 20, 8, 11, 40, 654321, tzinfo=UTC)]
    assert rust[0].meta["transition"] == "typed"


def test_a_truncated_history_is_an_ingest_error(history: Path, places: Path) -> None:
    for cls, path, label in (
        (ChromiumHistoryConnector, history, "Chromium History"),
        (FirefoxPlacesConnector, places, "Firefox places"),
    ):
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 2])
        with pytest.raises(IngestError, match=f"is not a readable {label} database: .*malformed"):
            list(cls(path).iter_records())
        assert cls(path).estimate() is None
        assert cls.sniff(path) == LIKELY  # its usual name: ingesting it explains what is wrong


def test_a_file_that_is_not_sqlite_is_an_ingest_error(tmp_path: Path) -> None:
    path = tmp_path / "History"
    path.write_text("this is a text file someone named History\n")
    with pytest.raises(IngestError, match=r"History is not a readable Chromium History database: file is not a"):
        list(ChromiumHistoryConnector(path).iter_records())
    assert ChromiumHistoryConnector.sniff(path) == NO


def test_a_sqlite_file_without_the_browser_tables_is_an_ingest_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    conn.commit()
    conn.close()
    with pytest.raises(IngestError, match="no urls or visits table"):
        list(ChromiumHistoryConnector(path).iter_records())
    with pytest.raises(IngestError, match="no moz_places or moz_historyvisits table"):
        list(FirefoxPlacesConnector(path).iter_records())


def test_a_missing_file_is_an_ingest_error(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="does not exist"):
        list(ChromiumHistoryConnector(tmp_path / "History").iter_records())


def test_garbage_rows_are_problems_and_the_rest_still_ingest(history: Path) -> None:
    conn = sqlite3.connect(history)
    conn.execute("INSERT INTO urls (id, url, title, visit_count, last_visit_time) VALUES (20, NULL, 'x', 1, 0)")
    conn.execute(
        "INSERT INTO urls (id, url, title, visit_count, last_visit_time) VALUES (21, 'https://ok.example/', ?, 1, 0)",
        (b"\x00\xff",),
    )
    conn.executemany(
        "INSERT INTO visits (id, url, visit_time, transition) VALUES (?,?,?,?)",
        [
            (30, 20, T0_WEBKIT + 700 * SECOND, LINK_CHAIN),  # URL is NULL
            (31, 999, T0_WEBKIT + 701 * SECOND, LINK_CHAIN),  # URL id points nowhere
            (32, 2, 0, LINK_CHAIN),  # no time
            (33, 2, "yesterday", LINK_CHAIN),  # not a number
            (34, 2, 2**62, LINK_CHAIN),  # beyond year 9999
            (35, 21, T0_WEBKIT + 702 * SECOND, LINK_CHAIN),  # a blob title: ignored, the visit is fine
        ],
    )
    conn.commit()
    conn.close()

    items = list(ChromiumHistoryConnector(history).iter_records())
    found = problems(items)
    where = {p.where.rsplit(" ", 1)[-1]: p.reason for p in found}
    assert set(where) == {"30", "31", "32", "33", "34"}
    assert all(p.where.startswith(f"{history.resolve()} visit ") for p in found)
    assert "has no URL" in where["30"] and "999" in where["31"]
    assert "no usable visit time" in where["32"] and "'yesterday'" in where["33"]
    assert "impossible visit time" in where["34"]
    assert not any("kingarthurbaking" in p.reason for p in found)  # URLs (which may hold tokens) stay out
    good = records(items)
    assert len(good) == 7
    ok = next(r for r in good if r.meta["url"] == "https://ok.example/")
    assert ok.title == "https://ok.example/"


def test_the_same_url_at_the_same_instant_is_one_visit(history: Path) -> None:
    conn = sqlite3.connect(history)
    conn.execute(
        "INSERT INTO visits (id, url, visit_time, transition) VALUES (40, 2, ?, ?)", (T0_WEBKIT + 9 * SECOND, 0)
    )
    conn.commit()
    conn.close()
    found = records(list(ChromiumHistoryConnector(history).iter_records()))
    assert [r.meta["url"] for r in found].count(RECIPE_URL) == 1
    assert len({r.id for r in found}) == len(found)


def test_chromium_history_without_search_terms_table(history: Path) -> None:
    conn = sqlite3.connect(history)
    conn.execute("DROP TABLE keyword_search_terms")
    conn.commit()
    conn.close()
    found = records(list(ChromiumHistoryConnector(history).iter_records()))
    assert found[0].meta["search_terms"] == []
    assert len(found) == 6


# -- Firefox ---------------------------------------------------------------------------------------


def test_firefox_visits_become_records(places: Path) -> None:
    items = list(FirefoxPlacesConnector(places).iter_records())
    assert problems(items) == []
    found = records(items)
    assert [(r.meta["url"], r.meta["transition"]) for r in found] == [
        (DDG_URL, "typed"),
        (MDN_URL, "link"),
        (MDN_URL, "reload"),
        (BBC_URL, "redirect_permanent"),
    ]  # about:newtab and the embed visit are skipped
    ddg = found[0]
    assert ddg.timestamp == F0
    assert ddg.native_id == f"{DDG_URL}@2023-11-20T08:05:00.654321+00:00"
    assert ddg.source == f"firefox:{places.resolve()}"

    mdn = found[1]
    assert mdn.timestamp == datetime(2023, 11, 20, 8, 5, 30, 654321, tzinfo=UTC)
    assert mdn.title == "Cache-Control - HTTP | MDN"
    assert mdn.meta == {
        "url": MDN_URL,
        "host": "developer.mozilla.org",
        "title": "Cache-Control - HTTP | MDN",
        "visit_count": 2,
        "transition": "link",
        "browser": "firefox",
        "search_terms": ["cache-control immutable"],
        "duration_s": None,
        "path": str(places.resolve()),
        "description": "The Cache-Control HTTP header field holds directives for caching.",
    }
    assert mdn.text.splitlines() == [
        "Cache-Control - HTTP | MDN",
        MDN_URL,
        "Site: developer.mozilla.org",
        "Searched for: cache-control immutable",
        "The Cache-Control HTTP header field holds directives for caching.",
    ]
    assert "Site: bbc.co.uk" in found[3].text


def test_firefox_visit_types() -> None:
    assert [firefox_visit_type(n) for n in range(1, 10)] == [
        "link",
        "typed",
        "bookmark",
        "embed",
        "redirect_permanent",
        "redirect_temporary",
        "download",
        "framed_link",
        "reload",
    ]
    assert firefox_visit_type(12) == "unknown_12"


def test_firefox_visit_without_date_is_a_problem(places: Path) -> None:
    conn = sqlite3.connect(places)
    conn.execute("INSERT INTO moz_historyvisits (id, place_id, visit_date, visit_type) VALUES (50, 4, NULL, 1)")
    conn.execute(
        "INSERT INTO moz_historyvisits (id, place_id, visit_date, visit_type) VALUES (51, 77, ?, 1)", (F0_UNIX,)
    )
    conn.commit()
    conn.close()
    items = list(FirefoxPlacesConnector(places).iter_records())
    assert sorted(p.where.rsplit(" ", 1)[-1] for p in problems(items)) == ["50", "51"]
    assert len(records(items)) == 4


# -- detection and registration --------------------------------------------------------------------


def test_sniff_recognises_each_browser_by_content(history: Path, places: Path, tmp_path: Path) -> None:
    assert ChromiumHistoryConnector.sniff(history) == SURE
    assert FirefoxPlacesConnector.sniff(history) == NO
    assert FirefoxPlacesConnector.sniff(places) == SURE
    assert ChromiumHistoryConnector.sniff(places) == NO

    renamed = tmp_path / "chrome-history-backup.db"
    renamed.write_bytes(history.read_bytes())
    assert ChromiumHistoryConnector.sniff(renamed) == SURE

    unrelated = tmp_path / "contacts.sqlite"
    conn = sqlite3.connect(unrelated)
    conn.execute("CREATE TABLE contacts (id INTEGER PRIMARY KEY, name TEXT, email TEXT)")
    conn.execute("INSERT INTO contacts (name, email) VALUES ('Ada Lovelace', 'ada@example.org')")
    conn.commit()
    conn.close()
    assert ChromiumHistoryConnector.sniff(unrelated) == NO
    assert FirefoxPlacesConnector.sniff(unrelated) == NO

    assert ChromiumHistoryConnector.sniff(tmp_path) == NO
    text = tmp_path / "notes.txt"
    text.write_text("urls visits moz_places\n")
    assert ChromiumHistoryConnector.sniff(text) == NO


def test_the_shared_base_is_abstract(history: Path) -> None:
    with pytest.raises(TypeError, match="abstract"):
        browser.BrowserHistoryConnector(history)  # type: ignore[abstract]


def test_register_connectors_through_the_plugin_hook() -> None:
    manager = pluggy.PluginManager("knowme")
    manager.add_hookspecs(HookSpecs)
    manager.register(browser, "knowme.connectors.browser")  # validates the hookimpl against the spec
    classes = [cls for result in manager.hook.register_connectors() for cls in result]
    assert {cls.name: cls for cls in classes} == {
        "chromium": ChromiumHistoryConnector,
        "firefox": FirefoxPlacesConnector,
    }
    assert all(cls.kinds == ("web_visit",) for cls in classes)


def test_the_private_copy_lives_only_while_reading(
    history: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    iterator = ChromiumHistoryConnector(history).iter_records()
    assert isinstance(next(iterator), Record)
    copies = list(scratch.glob("knowme-browser-*/History"))
    assert len(copies) == 1 and copies[0].read_bytes() == history.read_bytes()
    iterator.close()  # stopping early removes the copy
    assert list(scratch.iterdir()) == []
    assert len(list(ChromiumHistoryConnector(history).iter_records())) == 6
    assert list(scratch.iterdir()) == []
