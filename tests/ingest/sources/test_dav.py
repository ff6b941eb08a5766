"""CalDAV and CardDAV sources against a real Radicale on 127.0.0.1: add, change, delete at the server, then sync."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

import knowme
from tests.ingest.sources.servers import Radicale

WEEKLY = """BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//knowme tests//EN\r
BEGIN:VEVENT\r
UID:choir@example.org\r
DTSTAMP:20250101T000000Z\r
DTSTART:20250303T180000Z\r
DTEND:20250303T193000Z\r
RRULE:FREQ=WEEKLY;COUNT=4\r
EXDATE:20250317T180000Z\r
SUMMARY:Choir rehearsal\r
LOCATION:St. Mary's hall\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:choir@example.org\r
DTSTAMP:20250101T000000Z\r
RECURRENCE-ID:20250310T180000Z\r
DTSTART:20250311T190000Z\r
DTEND:20250311T203000Z\r
SUMMARY:Choir rehearsal (moved to Tuesday)\r
END:VEVENT\r
END:VCALENDAR\r
"""


def single(uid: str, summary: str, day: str = "20250405") -> str:
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//knowme tests//EN\r\nBEGIN:VEVENT\r\n"
        f"UID:{uid}\r\nDTSTAMP:20250101T000000Z\r\nDTSTART:{day}T090000Z\r\nDTEND:{day}T100000Z\r\n"
        f"SUMMARY:{summary}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )


def card(uid: str, name: str, email: str) -> str:
    return f"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:{uid}\r\nFN:{name}\r\nEMAIL:{email}\r\nEND:VCARD\r\n"


@pytest.fixture
def radicale(tmp_path: Path) -> Iterator[Radicale]:
    server = Radicale(tmp_path / "radicale").start()
    try:
        yield server
    finally:
        server.stop()


def _dav(server: Radicale) -> httpx.Client:
    return httpx.Client(base_url=server.base, auth=(server.user, server.password), timeout=10)


def _make(client: httpx.Client, path: str, kind: str) -> None:
    ns, tag = (
        ("urn:ietf:params:xml:ns:caldav", "calendar")
        if kind == "cal"
        else ("urn:ietf:params:xml:ns:carddav", "addressbook")
    )
    body = (
        f'<?xml version="1.0"?><D:mkcol xmlns:D="DAV:" xmlns:X="{ns}"><D:set><D:prop>'
        f"<D:resourcetype><D:collection/><X:{tag}/></D:resourcetype></D:prop></D:set></D:mkcol>"
    )
    assert client.request("MKCOL", path, content=body).status_code == 201


def _put(client: httpx.Client, path: str, text: str, content_type: str) -> None:
    assert client.put(path, content=text, headers={"Content-Type": content_type}).status_code in (201, 204)


def test_caldav_add_change_delete(vault: knowme.Vault, radicale: Radicale, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DAV_PW", radicale.password)
    with _dav(radicale) as dav:
        _make(dav, "/sam/home/", "cal")
        _put(dav, "/sam/home/choir.ics", WEEKLY, "text/calendar")
        _put(dav, "/sam/home/dentist.ics", single("dentist@example.org", "Dentist check-up"), "text/calendar")
        entry = vault.add_source(
            f"caldav+http://127.0.0.1:{radicale.port}/sam/home/",
            user="sam",
            password_env="DAV_PW",
            name="cal",
            insecure=True,
        )
        assert entry.kind == "caldav"
        [first] = vault.sync()
        assert first.error is None, first.error
        choir = vault.records("cal:choir@example.org")
        assert len(choir) == 3, "four weekly rehearsals, one excluded by EXDATE"
        assert {r.title for r in choir} == {"Choir rehearsal", "Choir rehearsal (moved to Tuesday)"}
        moved = next(r for r in choir if "moved" in r.title)
        assert moved.timestamp is not None and moved.timestamp.day == 11
        assert first.items == 4 and vault.records("cal:dentist@example.org")

        [quiet] = vault.sync()
        assert quiet.ingest.total == 0 and quiet.removed == 0, "an unchanged calendar fetches nothing"

        _put(
            dav,
            "/sam/home/dentist.ics",
            single("dentist@example.org", "Dentist check-up (bring x-rays)"),
            "text/calendar",
        )
        _put(dav, "/sam/home/bike.ics", single("bike@example.org", "Bike service", "20250412"), "text/calendar")
        assert dav.delete("/sam/home/choir.ics").status_code in (200, 204)
        [second] = vault.sync(["cal"])
        assert second.error is None
        assert sum(second.ingest.added.values()) == 1 and sum(second.ingest.updated.values()) == 1
        assert second.marked == 3 and second.removed == 0 and second.items == 2
        kept = vault.records("cal:choir@example.org")  # the default policy keeps what the server deleted, marked
        assert len(kept) == 3 and all(r.deleted_at_source for r in kept)
        assert all(h.ref != "cal:choir@example.org" for h in vault.search("choir rehearsal", k=10))
        [calm] = vault.sync(["cal"])
        assert calm.marked == 0 and calm.items == 2, "marking happens once"
        assert vault.records("cal:dentist@example.org")[0].title == "Dentist check-up (bring x-rays)"
        assert vault.search("bike service", k=1)[0].ref == "cal:bike@example.org"


def test_carddav_and_wrong_password(vault: knowme.Vault, radicale: Radicale, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DAV_PW", radicale.password)
    monkeypatch.setenv("BAD_PW", "nope")
    with _dav(radicale) as dav:
        _make(dav, "/sam/contacts/", "card")
        _put(dav, "/sam/contacts/lena.vcf", card("lena", "Lena Vogel", "lena@example.org"), "text/vcard")
        _put(dav, "/sam/contacts/omar.vcf", card("omar", "Omar Haddad", "omar@example.org"), "text/vcard")
        url = f"carddav+http://127.0.0.1:{radicale.port}/sam/contacts/"
        vault.add_source(url, user="sam", password_env="DAV_PW", name="book", insecure=True)
        vault.add_source(url, user="sam", password_env="BAD_PW", name="bad", insecure=True)
        reports = {r.name: r for r in vault.sync()}
        assert "refused the login for 'sam' (wrong password?)" in (reports["bad"].error or "")
        assert reports["book"].error is None and reports["book"].items == 2
        assert vault.records("vcf:lena")[0].title == "Lena Vogel"

        _put(dav, "/sam/contacts/lena.vcf", card("lena", "Lena Vogel-Brandt", "lena@example.org"), "text/vcard")
        assert dav.delete("/sam/contacts/omar.vcf").status_code in (200, 204)
        [again] = vault.sync(["book"])
        assert again.marked == 1 and sum(again.ingest.updated.values()) == 1 and again.items == 1
        assert vault.records("vcf:lena")[0].title == "Lena Vogel-Brandt"
        assert vault.records("vcf:omar")[0].deleted_at_source
        _put(dav, "/sam/contacts/omar.vcf", card("omar", "Omar Haddad", "omar@example.org"), "text/vcard")
        [back] = vault.sync(["book"])
        assert back.items == 2 and not vault.records("vcf:omar")[0].deleted_at_source, "restored at the source"
        assert vault.search("Omar Haddad", k=1)[0].ref == "vcf:omar"
