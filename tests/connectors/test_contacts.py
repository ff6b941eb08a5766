"""The contacts connector on real vCard files written into tmp_path (Apple, vCard 4, vCard 2.1 and vobject exports)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import vobject

from knowme.connectors import contacts
from knowme.connectors.base import LIKELY, NO, SURE
from knowme.connectors.contacts import ContactsConnector
from knowme.errors import IngestError
from knowme.models import ItemProblem, Record

APPLE_EXPORT = """\
BEGIN:VCARD
VERSION:3.0
PRODID:-//Apple Inc.//iPhone OS 17.2//EN
N:Silva;Maria;Luísa;Dr.;
FN:Maria Silva
NICKNAME:Mia
ORG:Acme Corp;Research & Development;
TITLE:Head of Engineering, Europe
EMAIL;type=INTERNET;type=HOME;type=pref:maria@x.org
EMAIL;type=INTERNET;type=WORK:maria.silva@acme.com
TEL;type=CELL;type=VOICE;type=pref:+351 912 345 678
item1.ADR;type=HOME;type=pref:;;Rua Augusta 10;Lisboa;;1100-053;Portugal
item1.X-ABADR:pt
BDAY;X-APPLE-OMIT-YEAR=1604:1604-03-12
item2.X-ABRELATEDNAMES;type=pref:Ana Silva
item2.X-ABLabel:_$!<Mother>!$_
item3.X-ABRELATEDNAMES:Tom Baker
item3.X-ABLabel:_$!<Manager>!$_
item4.X-ABRELATEDNAMES:Rex
item4.X-ABLabel:Dog walker
item5.X-ABDATE;type=pref:2010-06-19
item5.X-ABLabel:_$!<Anniversary>!$_
item6.X-ABDATE:2021-09-01
item6.X-ABLabel:Started at Acme
item7.URL;type=pref:https://maria.example.org
item7.X-ABLabel:_$!<HomePage>!$_
NOTE:Likes green tea\\, hates meetings before 10.\\nAllergic to peanuts.
PHOTO;ENCODING=b;TYPE=JPEG:/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsLDBkSEw8UHRofHh0a
 HBwgJC4nICIsIxwcKDcpLDAxNDQ0Hyc5PTgyPC4zNDL/wAALCAABAAEBAREA/8QAFAABAAAAAA
REV:2024-01-15T10:20:30Z
UID:8D7C6B5A-1234-4F00-9ABC-0123456789AB
END:VCARD
BEGIN:VCARD
VERSION:3.0
PRODID:-//Apple Inc.//iPhone OS 17.2//EN
N:Baker;Tom;;;
FN:Tom Baker
BDAY:1975-11-02
EMAIL;type=INTERNET;type=WORK;type=pref:tom@acme.com
UID:11111111-2222-3333-4444-555555555555
END:VCARD
"""


def write(tmp_path: Path, text: str, name: str = "contacts.vcf", *, crlf: bool = True) -> Path:
    path = tmp_path / name
    path.write_bytes((text.replace("\n", "\r\n") if crlf else text).encode("utf-8"))
    return path


def read(path: Path) -> tuple[list[Record], list[ItemProblem]]:
    items = list(ContactsConnector(path).iter_records())
    records = [i for i in items if isinstance(i, Record)]
    problems = [i for i in items if isinstance(i, ItemProblem)]
    assert len(records) + len(problems) == len(items)
    for record in records:
        json.dumps(dict(record.meta))  # meta must be JSON-serialisable
        assert record.kind == "contact"
        assert record.timestamp is None or record.timestamp.tzinfo is not None
    return records, problems


def test_apple_vcard3_export(tmp_path: Path) -> None:
    path = write(tmp_path, APPLE_EXPORT)
    records, problems = read(path)
    assert problems == []
    maria, tom = records
    assert maria.native_id == "8D7C6B5A-1234-4F00-9ABC-0123456789AB"
    assert maria.ref == "vcf:8D7C6B5A-1234-4F00-9ABC-0123456789AB"
    assert maria.title == "Maria Silva"
    assert maria.source == f"contacts:{path.resolve()}"
    assert maria.timestamp == datetime(2024, 1, 15, 10, 20, 30, tzinfo=UTC)
    assert maria.participants == ("Maria Silva <maria@x.org>", "Maria Silva <maria.silva@acme.com>")
    meta = maria.meta
    assert meta["version"] == "3.0"
    assert meta["name"] == {"family": "Silva", "given": "Maria", "additional": "Luísa", "prefix": "Dr.", "suffix": None}
    assert meta["nickname"] == "Mia"
    assert meta["emails"] == [
        {"value": "maria@x.org", "type": "home"},
        {"value": "maria.silva@acme.com", "type": "work"},
    ]
    assert meta["phones"] == [{"value": "+351 912 345 678", "type": "cell"}]
    assert (meta["org"], meta["department"]) == ("Acme Corp", "Research & Development")
    assert meta["title"] == "Head of Engineering, Europe"  # an unescaped comma does not cut the title
    assert meta["birthday"] == "--03-12"  # X-APPLE-OMIT-YEAR: Apple's "no year"
    assert meta["anniversary"] == "2010-06-19"  # item5.X-ABDATE labelled _$!<Anniversary>!$_
    assert meta["dates"] == [{"label": "started at acme", "date": "2021-09-01"}]
    assert meta["related"] == [
        {"name": "Ana Silva", "relation": "mother"},
        {"name": "Tom Baker", "relation": "manager"},
        {"name": "Rex", "relation": "dog walker"},
    ]
    assert meta["addresses"] == [
        {
            "type": "home",
            "po_box": None,
            "extended": None,
            "street": "Rua Augusta 10",
            "city": "Lisboa",
            "region": None,
            "postal_code": "1100-053",
            "country": "Portugal",
        }
    ]
    assert meta["urls"] == [{"value": "https://maria.example.org", "type": "homepage"}]
    assert meta["note"] == "Likes green tea, hates meetings before 10.\nAllergic to peanuts."
    assert meta["path"] == str(path.resolve())
    assert "PHOTO" not in maria.text and "/9j/" not in maria.text
    assert maria.text.startswith(
        "Maria Silva (Mia). Email: maria@x.org (home), maria.silva@acme.com (work). Phone: +351 912 345 678 (cell). "
        "Works at Acme Corp (Research & Development) as Head of Engineering, Europe. Birthday: 12 March. "
        "Anniversary: 19 June 2010. Started at acme: 1 September 2021. Mother: Ana Silva. Manager: Tom Baker. "
        "Dog walker: Rex. Address (home): Rua Augusta 10, Lisboa, 1100-053, Portugal."
    )
    assert maria.text.endswith("Note: Likes green tea, hates meetings before 10.\nAllergic to peanuts.")

    assert tom.meta["birthday"] == "1975-11-02"
    assert "Birthday: 2 November 1975." in tom.text
    assert tom.timestamp is None  # no REV


def test_vcard4_related_and_dates_without_year(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
BEGIN:VCARD
VERSION:4.0
UID:urn:uuid:4fbe8971-0bc3-424c-9c26-36c3e1eff6b1
FN:José Müller
N:Müller;José;;;
GENDER:M
BDAY:--0412
ANNIVERSARY:20150620
RELATED;TYPE=spouse:urn:uuid:03a0e51f-d1aa-4385-8a53-e29025acd8af
RELATED;TYPE=mother;VALUE=text:Greta Müller
RELATED;TYPE="co-worker,friend":mailto:pal@example.com
RELATED;TYPE=child:urn:uuid:00000000-dead-beef-0000-000000000000
EMAIL;TYPE=work;PREF=1:jose@example.de
TEL;VALUE=uri;TYPE="voice,cell":tel:+49-170-1234567
END:VCARD
BEGIN:VCARD
VERSION:4.0
UID:urn:uuid:03a0e51f-d1aa-4385-8a53-e29025acd8af
FN:Lena Müller
BDAY:--10-31
EMAIL:lena@example.de
END:VCARD
BEGIN:VCARD
VERSION:4.0
UID:urn:uuid:9d1c2f3e-0000-4000-8000-000000000001
FN:Pal Friend
EMAIL:pal@example.com
BDAY;VALUE=text:circa 1800
END:VCARD
""",
    )
    records, problems = read(path)
    assert problems == []
    jose, lena, pal = records
    assert jose.ref == "vcf:urn:uuid:4fbe8971-0bc3-424c-9c26-36c3e1eff6b1"
    assert jose.meta["version"] == "4.0"
    assert jose.meta["birthday"] == "--04-12"
    assert jose.meta["anniversary"] == "2015-06-20"
    assert jose.meta["phones"] == [{"value": "+49-170-1234567", "type": "cell"}]
    assert jose.meta["related"] == [
        {
            "name": "Lena Müller",  # resolved through the other card's UID
            "relation": "spouse",
            "uri": "urn:uuid:03a0e51f-d1aa-4385-8a53-e29025acd8af",
        },
        {"name": "Greta Müller", "relation": "mother"},
        {"name": "Pal Friend", "relation": "co-worker", "email": "pal@example.com"},
        {"name": None, "relation": "child", "uri": "urn:uuid:00000000-dead-beef-0000-000000000000"},
    ]
    assert "Birthday: 12 April. Anniversary: 20 June 2015." in jose.text
    assert "Spouse: Lena Müller. Mother: Greta Müller. Co-worker: Pal Friend." in jose.text
    assert "urn:uuid" not in jose.text
    assert lena.meta["birthday"] == "--10-31"
    assert pal.meta["birthday"] is None
    assert pal.meta["birthday_text"] == "circa 1800"
    assert "Birthday: circa 1800." in pal.text


def test_non_ascii_and_encoded_names(tmp_path: Path) -> None:
    # vCard 2.1 with QUOTED-PRINTABLE in UTF-8 and in Latin-1, a soft line break, bare TYPE parameters
    v21 = (
        "BEGIN:VCARD\r\nVERSION:2.1\r\n"
        "N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:M=C3=BCller;J=C3=BCrgen;;;\r\n"
        "FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:J=C3=BCrgen M=C3=BCller\r\n"
        "NOTE;ENCODING=QUOTED-PRINTABLE;CHARSET=UTF-8:Met at the Stra=C3=9Fenfest, wants the=\r\n"
        " recipe=0D=0Afor Apfelstrudel\r\n"
        "TEL;CELL:+49 170 1\r\nTEL;WORK;VOICE:+49 30 2\r\nEMAIL;INTERNET:juergen@example.de\r\n"
        "END:VCARD\r\n"
        "BEGIN:VCARD\r\nVERSION:2.1\r\n"
        "FN;CHARSET=ISO-8859-1;ENCODING=QUOTED-PRINTABLE:Fran=E7ois L=E9ger\r\n"
        "END:VCARD\r\n"
    ).encode("ascii")
    # vCard 3 in UTF-8 whose long line is folded in the middle of a two-byte character
    folded = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Zoë Åkesson\r\nNOTE:Café\r\n".encode() + (
        b"ORG:Caf\xc3\r\n \xa9 M\xc3\xbcller\r\nEND:VCARD\r\n"
    )
    (tmp_path / "old-phone.vcf").write_bytes(v21)
    (tmp_path / "folded.vcf").write_bytes(folded)
    [juergen, francois], problems = read(tmp_path / "old-phone.vcf")
    assert problems == []
    assert juergen.title == "Jürgen Müller"
    assert juergen.native_id == "Jürgen Müller"
    assert juergen.ref == "vcf:Jürgen Müller"
    assert juergen.meta["name"]["given"] == "Jürgen"
    assert juergen.meta["note"] == "Met at the Straßenfest, wants the recipe\nfor Apfelstrudel"
    assert juergen.meta["phones"] == [{"value": "+49 170 1", "type": "cell"}, {"value": "+49 30 2", "type": "work"}]
    assert juergen.participants == ("Jürgen Müller <juergen@example.de>",)
    assert francois.title == "François Léger"
    [zoe], problems = read(tmp_path / "folded.vcf")
    assert problems == []
    assert (zoe.title, zoe.meta["org"]) == ("Zoë Åkesson", "Café Müller")


def test_a_broken_card_among_good_ones(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
BEGIN:VCARD
VERSION:3.0
FN:Good One
EMAIL:one@example.com
END:VCARD
BEGIN:VCARD
VERSION:3.0
FN:Broken Line
EMAIL;TYPE=
this line is not a content line
END:VCARD
BEGIN:VCARD
VERSION:3.0
NOTE:no name\\, no email\\, no phone
END:VCARD
BEGIN:VCARD
VERSION:3.0
FN:Good Two
TEL:+1 555 0100
END:VCARD
BEGIN:VCARD
VERSION:3.0
FN:Cut Off
EMAIL:cut@exa""",
    )
    records, problems = read(path)
    assert [r.title for r in records] == ["Good One", "Good Two"]
    assert [p.where.rsplit(" ", 2)[-2:] for p in problems] == [["line", "6"], ["line", "12"], ["line", "21"]]
    assert "line 9 cannot be read" in problems[0].reason
    assert "no name, email, phone or organisation" in problems[1].reason
    assert "not terminated" in problems[2].reason


def test_cards_without_uid_or_fn(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
BEGIN:VCARD
VERSION:3.0
N:Santos;Pedro;;;
EMAIL:pedro@example.pt
END:VCARD
BEGIN:VCARD
VERSION:3.0
ORG:Clínica Dental Sorriso
TEL;TYPE=WORK:+351 21 000 0000
END:VCARD
BEGIN:VCARD
VERSION:3.0
FN:John Smith
EMAIL:john.smith@work.example
END:VCARD
BEGIN:VCARD
VERSION:3.0
FN:John Smith
EMAIL:john@home.example
END:VCARD
BEGIN:VCARD
VERSION:3.0
FN:John Smith
EMAIL:john@home.example
END:VCARD
""",
    )
    records, problems = read(path)
    assert problems == []
    assert [r.title for r in records] == ["Pedro Santos", "Clínica Dental Sorriso", "John Smith", "John Smith"]
    pedro, clinic, john_work, john_home = records
    assert pedro.native_id == "Pedro Santos" and pedro.ref == "vcf:Pedro Santos"
    assert clinic.meta["org"] == "Clínica Dental Sorriso"
    # two different people called John Smith: distinct ids, same ref; the exact duplicate card is read once
    assert john_work.native_id == "John Smith"
    assert john_home.native_id.startswith("John Smith~")
    assert john_home.ref == "vcf:John Smith"
    assert john_work.id != john_home.id


def test_other_address_books_relations_and_anniversary(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
BEGIN:VCARD
VERSION:3.0
FN:Carla Dias
X-EVOLUTION-SPOUSE:Rui Dias
X-MS-MANAGER:Paula Reis
X-ASSISTANT:Sam
X-ANNIVERSARY:2005-05-05
X-EVOLUTION-FILE-AS:Dias\\, Carla
END:VCARD
""",
    )
    [carla], _ = read(path)
    assert carla.meta["related"] == [
        {"name": "Rui Dias", "relation": "spouse"},
        {"name": "Paula Reis", "relation": "manager"},
        {"name": "Sam", "relation": "assistant"},
    ]
    assert carla.meta["anniversary"] == "2005-05-05"
    assert "Spouse: Rui Dias. Manager: Paula Reis. Assistant: Sam." in carla.text


def test_vobject_written_file_and_rereading_is_identical(tmp_path: Path) -> None:
    cards = []
    for uid, given, family, email, rev in [
        ("a-1", "Inês", "Costa", "ines@example.pt", "20230102T030405Z"),
        ("a-2", "Ólafur", "Jónsson", "olafur@example.is", "2023-06-07"),
    ]:
        card = vobject.vCard()
        card.add("n").value = vobject.vcard.Name(family=family, given=given)
        card.add("fn").value = f"{given} {family}"
        mail = card.add("email")
        mail.value = email
        mail.type_param = "HOME"
        card.add("uid").value = uid
        card.add("rev").value = rev
        card.add("note").value = "Line one; with a semicolon, and a comma\nLine two"
        cards.append(card.serialize())
    path = tmp_path / "written.vcf"
    path.write_text("".join(cards), encoding="utf-8", newline="")
    first, problems = read(path)
    again, _ = read(path)
    assert problems == []
    assert [r.title for r in first] == ["Inês Costa", "Ólafur Jónsson"]
    assert first[0].meta["emails"] == [{"value": "ines@example.pt", "type": "home"}]
    assert first[0].meta["note"] == "Line one; with a semicolon, and a comma\nLine two"
    assert first[0].timestamp == datetime(2023, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert first[1].timestamp is not None and first[1].timestamp.date().isoformat() == "2023-06-07"
    assert [(r.id, r.content_hash) for r in first] == [(r.id, r.content_hash) for r in again]
    assert ContactsConnector(path).estimate() == 2


def test_not_a_vcard_raises(tmp_path: Path) -> None:
    path = tmp_path / "contacts.vcf"
    path.write_text("name,email\nAna,ana@example.com\n", encoding="utf-8")
    with pytest.raises(IngestError, match="not a vCard file"):
        list(ContactsConnector(path).iter_records())


def test_utf16_export_is_read(tmp_path: Path) -> None:
    path = tmp_path / "outlook.vcf"
    path.write_bytes("BEGIN:VCARD\r\nVERSION:2.1\r\nFN:Łukasz Nowak\r\nEND:VCARD\r\n".encode("utf-16"))
    assert ContactsConnector.sniff(path) == SURE
    [record], _ = read(path)
    assert record.title == "Łukasz Nowak"


def test_sniff_and_registration(tmp_path: Path) -> None:
    vcf = write(tmp_path, APPLE_EXPORT)
    assert ContactsConnector.sniff(vcf) == SURE
    renamed = tmp_path / "export.txt"
    renamed.write_bytes(vcf.read_bytes())
    assert ContactsConnector.sniff(renamed) == LIKELY
    csv = tmp_path / "fake.vcf"
    csv.write_text("name,email\n", encoding="utf-8")
    assert ContactsConnector.sniff(csv) < LIKELY
    ics = tmp_path / "cal.ics"
    ics.write_text("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n", encoding="utf-8")
    assert ContactsConnector.sniff(ics) == NO
    assert ContactsConnector.sniff(tmp_path) == NO
    assert contacts.register_connectors() == [ContactsConnector]
    assert ContactsConnector.name == "contacts"
    assert set(ContactsConnector.suffixes) == {".vcf", ".vcard"}
