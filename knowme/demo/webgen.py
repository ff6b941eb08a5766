"""Write the demo life's browser history: a Chromium ``History`` and a Firefox ``places.sqlite``.

Both are real SQLite databases with the browsers' own table definitions (Chromium history schema
version 69: ``meta``, ``urls``, ``visits``, ``visit_source``, ``keyword_search_terms``, ``segments``;
Firefox places schema 77: ``moz_origins``, ``moz_places``, ``moz_historyvisits`` and the bookmark and
annotation tables, with the real indexes). Chromium times are microseconds since 1601-01-01 UTC (the
WebKit epoch); Firefox times are microseconds since 1970-01-01 UTC. Chromium transitions carry the
core type plus the chain-start/chain-end qualifiers; link visits within five minutes point at the
previous visit through ``from_visit``. Firefox ``url_hash`` is computed with Mozilla's own hash
(``HashURL``: 16 bits of the scheme's hash above the 32-bit hash of the URL), so Firefox itself
would find the rows. URLs are ASCII (non-ASCII is percent-encoded), as browsers store them.
"""

from __future__ import annotations

import base64
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote, quote_plus, urlsplit

from knowme.demo.story import Story, at_time

WEBKIT_EPOCH_OFFSET = 11_644_473_600  # seconds from 1601-01-01 to 1970-01-01
CHAIN = 0x30000000  # CHAIN_START | CHAIN_END
LINK, TYPED, GENERATED = 0, 1, 5

CHROMIUM_SCHEMA = """
CREATE TABLE meta(key LONGVARCHAR NOT NULL UNIQUE PRIMARY KEY, value LONGVARCHAR);
CREATE TABLE urls(id INTEGER PRIMARY KEY AUTOINCREMENT,url LONGVARCHAR,title LONGVARCHAR,visit_count INTEGER DEFAULT 0 NOT NULL,typed_count INTEGER DEFAULT 0 NOT NULL,last_visit_time INTEGER NOT NULL,hidden INTEGER DEFAULT 0 NOT NULL);
CREATE TABLE visits(id INTEGER PRIMARY KEY AUTOINCREMENT,url INTEGER NOT NULL,visit_time INTEGER NOT NULL,from_visit INTEGER,external_referrer_url TEXT,transition INTEGER DEFAULT 0 NOT NULL,segment_id INTEGER,visit_duration INTEGER DEFAULT 0 NOT NULL,incremented_omnibox_typed_score BOOLEAN DEFAULT FALSE NOT NULL,opener_visit INTEGER,originator_cache_guid TEXT,originator_visit_id INTEGER,originator_from_visit INTEGER,originator_opener_visit INTEGER,is_known_to_sync BOOLEAN DEFAULT FALSE NOT NULL,consider_for_ntp_most_visited BOOLEAN DEFAULT FALSE NOT NULL,visited_link_id INTEGER DEFAULT 0 NOT NULL,app_id TEXT);
CREATE TABLE visit_source(id INTEGER PRIMARY KEY,source INTEGER NOT NULL);
CREATE TABLE keyword_search_terms (keyword_id INTEGER NOT NULL,url_id INTEGER NOT NULL,term LONGVARCHAR NOT NULL,normalized_term LONGVARCHAR NOT NULL);
CREATE TABLE segments (id INTEGER PRIMARY KEY,name VARCHAR,url_id INTEGER NON NULL);
CREATE TABLE segment_usage (id INTEGER PRIMARY KEY,segment_id INTEGER NOT NULL,time_slot INTEGER NOT NULL,visit_count INTEGER DEFAULT 0 NOT NULL);
CREATE INDEX urls_url_index ON urls (url);
CREATE INDEX visits_url_index ON visits (url);
CREATE INDEX visits_from_index ON visits (from_visit);
CREATE INDEX visits_time_index ON visits (visit_time);
CREATE INDEX keyword_search_terms_index1 ON keyword_search_terms (keyword_id, normalized_term);
CREATE INDEX keyword_search_terms_index2 ON keyword_search_terms (url_id);
CREATE INDEX keyword_search_terms_index3 ON keyword_search_terms (term);
CREATE INDEX segments_name ON segments(name);
CREATE INDEX segments_url_id ON segments(url_id);
CREATE INDEX segment_usage_time_slot_segment_id ON segment_usage(time_slot, segment_id);
CREATE INDEX segments_usage_seg_id ON segment_usage(segment_id);
"""  # noqa: E501 - the browsers' own CREATE statements, kept verbatim

FIREFOX_SCHEMA = """
CREATE TABLE moz_origins ( id INTEGER PRIMARY KEY, prefix TEXT NOT NULL, host TEXT NOT NULL, frecency INTEGER NOT NULL, recalc_frecency INTEGER NOT NULL DEFAULT 0, alt_frecency INTEGER, recalc_alt_frecency INTEGER NOT NULL DEFAULT 0, UNIQUE (prefix, host) );
CREATE TABLE moz_places (   id INTEGER PRIMARY KEY, url LONGVARCHAR, title LONGVARCHAR, rev_host LONGVARCHAR, visit_count INTEGER DEFAULT 0, hidden INTEGER DEFAULT 0 NOT NULL, typed INTEGER DEFAULT 0 NOT NULL, frecency INTEGER DEFAULT -1 NOT NULL, last_visit_date INTEGER , guid TEXT, foreign_count INTEGER DEFAULT 0 NOT NULL, url_hash INTEGER DEFAULT 0 NOT NULL , description TEXT, preview_image_url TEXT, site_name TEXT, origin_id INTEGER REFERENCES moz_origins(id), recalc_frecency INTEGER NOT NULL DEFAULT 0, alt_frecency INTEGER, recalc_alt_frecency INTEGER NOT NULL DEFAULT 0);
CREATE TABLE moz_historyvisits (  id INTEGER PRIMARY KEY, from_visit INTEGER, place_id INTEGER, visit_date INTEGER, visit_type INTEGER, session INTEGER, source INTEGER DEFAULT 0 NOT NULL, triggeringPlaceId INTEGER);
CREATE TABLE moz_inputhistory (  place_id INTEGER NOT NULL, input LONGVARCHAR NOT NULL, use_count INTEGER, PRIMARY KEY (place_id, input));
CREATE TABLE moz_bookmarks (  id INTEGER PRIMARY KEY, type INTEGER, fk INTEGER DEFAULT NULL, parent INTEGER, position INTEGER, title LONGVARCHAR, keyword_id INTEGER, folder_type TEXT, dateAdded INTEGER, lastModified INTEGER, guid TEXT, syncStatus INTEGER NOT NULL DEFAULT 0, syncChangeCounter INTEGER NOT NULL DEFAULT 1);
CREATE TABLE moz_keywords (  id INTEGER PRIMARY KEY AUTOINCREMENT, keyword TEXT UNIQUE, place_id INTEGER, post_data TEXT);
CREATE TABLE moz_anno_attributes (  id INTEGER PRIMARY KEY, name VARCHAR(32) UNIQUE NOT NULL);
CREATE TABLE moz_annos (  id INTEGER PRIMARY KEY, place_id INTEGER NOT NULL, anno_attribute_id INTEGER, content LONGVARCHAR, flags INTEGER DEFAULT 0, expiration INTEGER DEFAULT 0, type INTEGER DEFAULT 0, dateAdded INTEGER DEFAULT 0, lastModified INTEGER DEFAULT 0);
CREATE TABLE moz_items_annos (  id INTEGER PRIMARY KEY, item_id INTEGER NOT NULL, anno_attribute_id INTEGER, content LONGVARCHAR, flags INTEGER DEFAULT 0, expiration INTEGER DEFAULT 0, type INTEGER DEFAULT 0, dateAdded INTEGER DEFAULT 0, lastModified INTEGER DEFAULT 0);
CREATE TABLE moz_meta (key TEXT PRIMARY KEY, value NOT NULL) WITHOUT ROWID ;
CREATE INDEX moz_places_url_hashindex ON moz_places (url_hash);
CREATE INDEX moz_places_hostindex ON moz_places (rev_host);
CREATE INDEX moz_places_visitcount ON moz_places (visit_count);
CREATE INDEX moz_places_frecencyindex ON moz_places (frecency);
CREATE INDEX moz_places_lastvisitdateindex ON moz_places (last_visit_date);
CREATE UNIQUE INDEX moz_places_guid_uniqueindex ON moz_places (guid);
CREATE INDEX moz_places_originidindex ON moz_places (origin_id);
CREATE INDEX moz_historyvisits_placedateindex ON moz_historyvisits (place_id, visit_date);
CREATE INDEX moz_historyvisits_fromindex ON moz_historyvisits (from_visit);
CREATE INDEX moz_historyvisits_dateindex ON moz_historyvisits (visit_date);
CREATE INDEX moz_bookmarks_itemindex ON moz_bookmarks (fk, type);
CREATE INDEX moz_bookmarks_parentindex ON moz_bookmarks (parent, position);
CREATE UNIQUE INDEX moz_bookmarks_guid_uniqueindex ON moz_bookmarks (guid);
"""  # noqa: E501 - Firefox's own CREATE statements, kept verbatim


@dataclass(frozen=True)
class Page:
    url: str
    title: str
    search: str | None = None  # the search term when this is a results page


@dataclass(frozen=True)
class Visit:
    when: datetime
    page: Page
    typed: bool = False


def google(term: str) -> Page:
    return Page(
        f"https://www.google.com/search?q={quote_plus(term)}&sourceid=chrome&ie=UTF-8", f"{term} - Google Search", term
    )


def duckduckgo(term: str) -> Page:
    return Page(f"https://duckduckgo.com/?q={quote_plus(term)}&t=ffab&ia=web", f"{term} at DuckDuckGo", term)


def wiki(title: str, lang: str = "en") -> Page:
    return Page(f"https://{lang}.wikipedia.org/wiki/{quote(title.replace(' ', '_'))}", f"{title} - Wikipedia")


BOOTS = Page(
    "https://shop.trilhooutdoor.example/products/montanha-trek-gtx-mid-womens",
    "Montanha Trek GTX Mid Women's Hiking Boots | Trilho Outdoor",
)
HOME_PAGES = [
    Page("https://www.publico.pt/", "PÚBLICO"),
    Page("https://news.ycombinator.com/", "Hacker News"),
    Page("https://www.ipma.pt/pt/index.html", "IPMA - Instituto Português do Mar e da Atmosfera"),
    Page("https://www.youtube.com/", "YouTube"),
]
WORK_PAGES = [
    Page("https://git.cobaltolabs.example/cobalto-labs/ledger/pulls", "Pull requests · cobalto-labs/ledger"),
    Page("https://grafana.cobaltolabs.example/d/checkout/checkout-latency", "Checkout latency - Grafana"),
    Page(
        "https://www.postgresql.org/docs/15/runtime-config-resource.html",
        "PostgreSQL: Documentation: 15: 20.4. Resource Consumption",
    ),
    Page("https://www.postgresql.org/docs/15/sql-createindex.html", "PostgreSQL: Documentation: 15: CREATE INDEX"),
    Page("https://docs.python.org/3/library/asyncio-task.html", "Coroutines and Tasks — Python 3.11 documentation"),
    Page(
        "https://docs.python.org/3/library/contextlib.html",
        "contextlib — Utilities for with-statement contexts — Python documentation",
    ),
    Page("https://wiki.cobaltolabs.example/oncall/runbook", "On-call runbook - Cobalto wiki"),
    Page(
        "https://stackoverflow.com/questions/48203812/postgres-external-merge-sort-work-mem",
        "Postgres external merge sort: how big should work_mem be? - Stack Overflow",
    ),
    Page(
        "https://stackoverflow.com/questions/51752311/idempotency-key-table-design",
        "database - Idempotency key table design - Stack Overflow",
    ),
]
LEISURE_PAGES = [
    Page("https://www.youtube.com/watch?v=Q3dvbM6Pias", "Sourdough starter from scratch, day by day - YouTube"),
    Page("https://www.youtube.com/watch?v=8kTjG3pQwzE", "Fado ao vivo no Museu do Fado - YouTube"),
    wiki("Peneda-Gerês National Park"),
    wiki("Bonfim (Porto)", "pt"),
    wiki("Magusto"),
    Page("https://gulbenkian.pt/musica/", "Gulbenkian Música"),
]


def chromium_visits(s: Story) -> list[Visit]:
    """Sofia's Chrome: work, searches and the July boot shopping."""
    at = s.at
    rng = s.rng("chromium")
    visits = [
        Visit(at(1, 15, 21, 35), google("p99 latency budget microservices")),
        Visit(at(1, 28, 15, 2), google("postgres external merge disk sort slow")),
        Visit(at(1, 28, 15, 4), WORK_PAGES[7]),
        Visit(at(1, 28, 15, 9), WORK_PAGES[2]),
        Visit(at(1, 28, 15, 30), WORK_PAGES[3]),
        Visit(at(2, 14, 11, 0), WORK_PAGES[1], typed=True),
        Visit(at(5, 15, 14, 50), WORK_PAGES[1], typed=True),
        Visit(at(5, 30, 20, 30), google("idempotency keys payments talk")),
        Visit(at(5, 30, 20, 33), WORK_PAGES[8]),
        Visit(at(6, 2, 10, 0), Page("https://backendconf.example/cfp", "Call for papers | BackendConf Berlin")),
        Visit(at(7, 24, 21, 2), google("waterproof trail boots women gerês")),
        Visit(
            at(7, 24, 21, 5),
            Page(
                "https://shop.trilhooutdoor.example/collections/hiking-footwear-women",
                "Women's hiking footwear | Trilho Outdoor",
            ),
        ),
        Visit(at(7, 24, 21, 7), BOOTS),
        Visit(
            at(7, 24, 21, 12),
            Page("https://shop.trilhooutdoor.example/pages/size-guide", "Size guide | Trilho Outdoor"),
        ),
        Visit(at(7, 25, 8, 15), BOOTS),
        Visit(at(7, 26, 19, 40), BOOTS, typed=True),
        Visit(
            at(7, 26, 19, 46),
            Page("https://shop.trilhooutdoor.example/checkout/thank-you", "Thank you for your order | Trilho Outdoor"),
        ),
        Visit(
            at(8, 26, 14, 20),
            Page("https://backendconf.example/speakers/sofia-almeida", "Sofia Almeida | Speakers | BackendConf Berlin"),
        ),
        Visit(at(9, 10, 14, 0), google("python asyncio timeout context manager")),
        Visit(at(9, 10, 14, 2), WORK_PAGES[4]),
        Visit(
            at(10, 20, 9, 40),
            Page("https://wiki.cobaltolabs.example/ledger/cutover", "Ledger cut-over runbook - Cobalto wiki"),
        ),
    ]
    terms = [
        "postgres vacuum settings",
        "python dataclass frozen slots",
        "grafana heatmap panel",
        "pytest freezegun alternative",
        "token bucket rate limit redis",
        "sql window function running total",
        "outbox pattern postgres",
        "kubectl rollout restart",
        "meteo porto",
        "cp horarios lisboa porto",
    ]
    for n in range(150):
        day = s.day(1, 6) + timedelta(days=rng.randrange(345))
        when = at_time(day, rng.randrange(8, 23), rng.randrange(60))
        roll = rng.random()
        if roll < 0.45:
            visits.append(Visit(when, rng.choice(WORK_PAGES), typed=rng.random() < 0.3))
        elif roll < 0.75:
            visits.append(Visit(when, rng.choice(HOME_PAGES), typed=True))
        elif roll < 0.9:
            visits.append(Visit(when, google(terms[n % len(terms)])))
        else:
            visits.append(Visit(when, rng.choice(LEISURE_PAGES)))
    return visits


def firefox_visits(s: Story) -> list[Visit]:
    """Sofia's Firefox at home: the flat hunt, movers, trains, trips."""
    at = s.at
    rng = s.rng("firefox")
    listing = Page(
        "https://www.casasdoporto.example/imovel/33456789/",
        "T2 com duas varandas, Rua do Bonfim - 1.150 €/mês - Casas do Porto",
    )
    visits = [
        Visit(at(3, 15, 10, 0), duckduckgo("arrendar t2 porto bonfim")),
        Visit(
            at(3, 15, 10, 2),
            Page(
                "https://www.casasdoporto.example/arrendar/porto/bonfim/t2/",
                "Apartamentos T2 para arrendar no Bonfim, Porto - Casas do Porto",
            ),
        ),
        Visit(at(4, 28, 22, 10), listing),
        Visit(at(5, 5, 9, 12), listing),
        Visit(
            at(5, 6, 18, 0),
            Page("https://www.google.com/maps/place/Rua+do+Bonfim+214,+Porto", "Rua do Bonfim 214 - Google Maps"),
        ),
        Visit(at(5, 6, 21, 30), Page("https://www.cp.pt/passageiros/en/buy-tickets", "Buy tickets - CP")),
        Visit(at(5, 28, 20, 15), duckduckgo("mudanças lisboa porto orçamento")),
        Visit(
            at(5, 28, 20, 18), Page("https://www.mudancas-norte.example/orcamento", "Pedir orçamento - Mudanças Norte")
        ),
        Visit(
            at(6, 5, 8, 50),
            Page(
                "https://www.jf-santamariamaior.pt/servicos/licencas",
                "Licenças de ocupação da via pública - Junta de Freguesia",
            ),
        ),
        Visit(at(7, 20, 21, 40), wiki("Peneda-Gerês National Park")),
        Visit(at(7, 22, 22, 0), Page("https://www.ikea.com/pt/pt/stores/matosinhos/", "IKEA Matosinhos - IKEA")),
        Visit(at(9, 29, 21, 0), Page("https://www.portaldasfinancas.gov.pt/", "Portal das Finanças")),
        Visit(
            at(10, 1, 22, 10), Page("https://www.visitberlin.de/en/alexanderplatz", "Alexanderplatz | visitBerlin.de")
        ),
        Visit(at(10, 19, 21, 5), Page("https://gulbenkian.pt/musica/", "Gulbenkian Música")),
    ]
    for _ in range(100):
        day = s.day(1, 6) + timedelta(days=rng.randrange(345))
        when = at_time(day, rng.randrange(18, 24), rng.randrange(60))
        if rng.random() < 0.6:
            visits.append(Visit(when, rng.choice(HOME_PAGES), typed=True))
        else:
            visits.append(Visit(when, rng.choice(LEISURE_PAGES)))
    return visits


def _ordered(visits: list[Visit]) -> list[Visit]:
    out = sorted(visits, key=lambda v: (v.when, v.page.url))
    for v in out:
        if not v.page.url.isascii():
            raise ValueError(f"browser URLs are stored percent-encoded: {v.page.url!r}")
    return out


def webkit_us(when: datetime) -> int:
    utc = when.astimezone(UTC)
    return (int(utc.replace(microsecond=0).timestamp()) + WEBKIT_EPOCH_OFFSET) * 1_000_000 + utc.microsecond


def unix_us(when: datetime) -> int:
    utc = when.astimezone(UTC)
    return int(utc.replace(microsecond=0).timestamp()) * 1_000_000 + utc.microsecond


def _fresh(path: Path) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-journal", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    return sqlite3.connect(path)


def write_chromium(s: Story, path: Path) -> tuple[int, dict[str, str]]:
    visits = _ordered(chromium_visits(s))
    rng = s.rng("chromium-durations")
    con = _fresh(path)
    try:
        con.executescript(CHROMIUM_SCHEMA)
        con.executemany(
            "INSERT INTO meta(key, value) VALUES (?, ?)",
            [("mmap_status", "-1"), ("version", "69"), ("last_compatible_version", "16")],
        )
        url_ids: dict[str, int] = {}
        prev: tuple[int, datetime] | None = None
        for n, v in enumerate(visits, start=1):
            if v.page.url not in url_ids:
                con.execute(
                    "INSERT INTO urls(url, title, visit_count, typed_count, last_visit_time, hidden) "
                    "VALUES (?, ?, 0, 0, 0, 0)",
                    (v.page.url, v.page.title),
                )
                url_ids[v.page.url] = len(url_ids) + 1
                if v.page.search:
                    con.execute(
                        "INSERT INTO keyword_search_terms VALUES (2, ?, ?, ?)",
                        (url_ids[v.page.url], v.page.search, v.page.search.lower()),
                    )
            core = TYPED if v.typed else GENERATED if v.page.search else LINK
            from_visit = prev[0] if core == LINK and prev and v.when - prev[1] < timedelta(minutes=5) else 0
            stamp = webkit_us(v.when)
            con.execute(
                "INSERT INTO visits(url, visit_time, from_visit, external_referrer_url, transition, segment_id, "
                "visit_duration, incremented_omnibox_typed_score, opener_visit, originator_cache_guid, "
                "originator_visit_id, originator_from_visit, originator_opener_visit, is_known_to_sync, "
                "consider_for_ntp_most_visited, visited_link_id, app_id) "
                "VALUES (?, ?, ?, '', ?, 0, ?, ?, 0, '', 0, 0, 0, 0, 1, 0, NULL)",
                (url_ids[v.page.url], stamp, from_visit, core | CHAIN, rng.randrange(5, 600) * 1_000_000, int(v.typed)),
            )
            con.execute(
                "UPDATE urls SET visit_count = visit_count + 1, typed_count = typed_count + ?, "
                "last_visit_time = ? WHERE id = ?",
                (int(v.typed), stamp, url_ids[v.page.url]),
            )
            prev = (n, v.when)
        con.commit()
    finally:
        con.close()
    return len(visits), {"boots": f"web:{BOOTS.url}"}


def mozilla_hash(data: bytes) -> int:
    """``mozilla::HashString`` over bytes (golden-ratio multiply, rotate by 5)."""
    h = 0
    for byte in data:
        h = (0x9E3779B9 * ((((h << 5) | (h >> 27)) & 0xFFFFFFFF) ^ byte)) & 0xFFFFFFFF
    return h


def firefox_url_hash(url: str) -> int:
    """Places' ``hash(url)`` SQL function: (16-bit scheme hash << 32) + 32-bit hash of the first 1500 bytes."""
    data = url.encode("ascii")
    url_hash = mozilla_hash(data[:1500])
    colon = data[:50].find(b":")
    if colon < 0:
        return url_hash
    return ((mozilla_hash(data[:colon]) & 0xFFFF) << 32) + url_hash


def _guid(s: Story, *parts: object) -> str:
    return base64.urlsafe_b64encode(bytes.fromhex(s.digest("guid", *parts)[:18])).decode("ascii")


def write_firefox(s: Story, path: Path) -> int:
    visits = _ordered(firefox_visits(s))
    con = _fresh(path)
    try:
        con.execute("PRAGMA user_version = 77")
        con.executescript(FIREFOX_SCHEMA)
        con.executemany(
            "INSERT INTO moz_bookmarks(id, type, fk, parent, position, title, folder_type, dateAdded, "
            "lastModified, guid, syncStatus, syncChangeCounter) VALUES (?, 2, NULL, ?, ?, ?, NULL, ?, ?, "
            "?, 1, 1)",
            [
                (1, 0, 0, "", 0, 0, "root________"),
                (2, 1, 0, "menu", 0, 0, "menu________"),
                (3, 1, 1, "toolbar", 0, 0, "toolbar_____"),
                (4, 1, 2, "tags", 0, 0, "tags________"),
                (5, 1, 3, "unfiled", 0, 0, "unfiled_____"),
                (6, 1, 4, "mobile", 0, 0, "mobile______"),
            ],
        )
        origins: dict[tuple[str, str], int] = {}
        places: dict[str, int] = {}
        prev: tuple[int, datetime] | None = None
        for n, v in enumerate(visits, start=1):
            url = v.page.url
            parts = urlsplit(url)
            host = parts.hostname or ""
            key = (f"{parts.scheme}://", host)
            if key not in origins:
                origins[key] = len(origins) + 1
                con.execute(
                    "INSERT INTO moz_origins(id, prefix, host, frecency) VALUES (?, ?, ?, 0)",
                    (origins[key], key[0], host),
                )
            if url not in places:
                places[url] = len(places) + 1
                con.execute(
                    "INSERT INTO moz_places(id, url, title, rev_host, visit_count, hidden, typed, frecency, "
                    "last_visit_date, guid, foreign_count, url_hash, origin_id) "
                    "VALUES (?, ?, ?, ?, 0, 0, 0, 0, NULL, ?, 0, ?, ?)",
                    (
                        places[url],
                        url,
                        v.page.title,
                        host[::-1] + ".",
                        _guid(s, "place", url),
                        firefox_url_hash(url),
                        origins[key],
                    ),
                )
            visit_type = 2 if v.typed else 1
            from_visit = prev[0] if not v.typed and prev and v.when - prev[1] < timedelta(minutes=5) else 0
            stamp = unix_us(v.when)
            con.execute(
                "INSERT INTO moz_historyvisits(id, from_visit, place_id, visit_date, visit_type, session, "
                "source, triggeringPlaceId) VALUES (?, ?, ?, ?, ?, 0, 0, NULL)",
                (n, from_visit, places[url], stamp, visit_type),
            )
            con.execute(
                "UPDATE moz_places SET visit_count = visit_count + 1, typed = MAX(typed, ?), "
                "last_visit_date = ?, frecency = frecency + ? WHERE id = ?",
                (int(v.typed), stamp, 200 if v.typed else 100, places[url]),
            )
            prev = (n, v.when)
        con.execute(
            "UPDATE moz_origins SET frecency = (SELECT SUM(frecency) FROM moz_places WHERE origin_id = moz_origins.id)"
        )
        con.commit()
    finally:
        con.close()
    return len(visits)


def write_browsers(s: Story, root: Path) -> tuple[list[str], int, dict[str, str]]:
    """Write ``browser/History`` and ``browser/places.sqlite``; return (paths, visit count, web refs)."""
    chrome_count, refs = write_chromium(s, root / "browser" / "History")
    firefox_count = write_firefox(s, root / "browser" / "places.sqlite")
    return ["browser/History", "browser/places.sqlite"], chrome_count + firefox_count, refs
