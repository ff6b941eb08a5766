"""Write the demo life's address book, ``contacts/contacts.vcf``, as literal vCard text.

Most cards are vCard 3.0 as macOS Contacts exports them: grouped ``itemN.`` properties, Apple's
``X-ABRELATEDNAMES`` with ``X-ABLabel`` (``_$!<Mother>!$_``), ``X-ABADR``, ``BDAY`` (one with
``X-APPLE-OMIT-YEAR`` for a birthday whose year is unknown) and ``X-ABUID``. Three cards are vCard 4.0 with
``RELATED`` (by ``urn:uuid`` and by text), ``ANNIVERSARY`` and ``tel:`` URIs. Two business cards have no
UID, so their ref falls back to the FN. Values are escaped and lines folded at 75 octets with CRLF endings
(RFC 2426 / RFC 6350); vobject is not used as the writer because it cannot emit vCard 4.0.
"""

from __future__ import annotations

from pathlib import Path

from knowme.demo.formats import vcard_escape, vcard_fold
from knowme.demo.story import Person, Story

PRODID = "PRODID:-//Apple Inc.//macOS 14.5//EN"
V4 = ("miguel", "teresa", "priya")
ADDRESSES = {
    "me": ("Rua do Bonfim 214, 3.º Esq.", "Porto", "4300-069"),
    "miguel": ("Rua do Bonfim 214, 3.º Esq.", "Porto", "4300-069"),
    "helena": ("Rua Cláudio Nunes 12, 2.º", "Lisboa", "1500-168"),
    "pedro": ("Avenida do Brasil 88, 5.º B", "Lisboa", "1700-073"),
    "teresa": ("Rua do Souto 40", "Braga", "4700-329"),
    "hugo": ("Rua do Bonfim 214, 1.º Dto.", "Porto", "4300-069"),
    "beatriz": ("Rua de Santa Catarina 512", "Porto", "4000-446"),
    "carla": ("Rua de São Bento 210", "Lisboa", "1200-821"),
}
RELATED_NAMES = (("helena", "Mother"), ("miguel", "Partner"), ("tom", "Manager"), ("pedro", "Brother"))
CATEGORY = {
    "tom": "Work",
    "jose": "Work",
    "lena": "Work,Friends",
    "bjorn": "Work",
    "chloe": "Work",
    "priya": "Work",
    "daniel": "Work",
    "miguel": "Family",
    "helena": "Family",
    "pedro": "Family",
    "teresa": "Family",
    "rui": "Friends",
    "ines": "Friends",
    "zoe": "Friends",
    "kenji": "Friends",
    "hugo": "Friends",
}


def card_uid(s: Story, key: str) -> str:
    """The UID written in the card: a bare UUID for 3.0 cards, a ``urn:uuid:`` URI for 4.0 cards."""
    value = s.uuid("vcf", key).upper()
    return f"urn:uuid:{value.lower()}" if key in V4 else value


def entity_names(person: Person) -> tuple[str, str, str, str]:
    """(family, given, prefix, display) for the N and FN properties."""
    name = person.name
    prefix = ""
    if name.startswith("Dr. "):
        prefix, name = "Dr.", name[4:]
    if " (" in name:
        name = name.split(" (")[0]
    given, _, family = name.partition(" ")
    display = f"{prefix} {name}".strip()
    return family, given, prefix, display


def _n(family: str, given: str, prefix: str) -> str:
    return f"N:{vcard_escape(family)};{vcard_escape(given)};;{vcard_escape(prefix)};"


def card_v3(s: Story, person: Person, rev: str) -> list[str]:
    key = person.key
    family, given, prefix, display = entity_names(person)
    uid = card_uid(s, key)
    work = key != "me" and person.email.endswith("cobaltolabs.example")
    lines = ["BEGIN:VCARD", "VERSION:3.0", PRODID, _n(family, given, prefix), f"FN:{vcard_escape(display)}"]
    if "(" in person.name:
        lines.append(f"NICKNAME:{vcard_escape(person.name.split('(')[1].rstrip(')'))}")
    if person.org:
        lines.append(f"ORG:{vcard_escape(person.org)};")
    if person.title:
        lines.append(f"TITLE:{vcard_escape(person.title)}")
    email_type = "WORK" if work else "HOME"
    lines.append(f"EMAIL;type=INTERNET;type={email_type};type=pref:{person.email}")
    if key == "me":
        lines.append(f"EMAIL;type=INTERNET;type=WORK:{s.work_email}")
    if person.phone:
        lines.append(f"TEL;type=CELL;type=VOICE;type=pref:{person.phone}")
    item = 1
    if key in ADDRESSES:
        street, city, code = ADDRESSES[key]
        kind = "WORK" if key in ("beatriz", "carla") else "HOME"
        lines.append(
            f"item{item}.ADR;type={kind};type=pref:;;{vcard_escape(street)};{vcard_escape(city)};;{code};Portugal"
        )
        lines.append(f"item{item}.X-ABADR:pt")
        item += 1
    if person.birthday is not None:
        if key == "tom":  # macOS stores a birthday without a year as 1604 plus this flag
            lines.append(f"BDAY;X-APPLE-OMIT-YEAR=1604:1604-{person.birthday:%m-%d}")
        else:
            lines.append(f"BDAY;value=date:{person.birthday.isoformat()}")
    if key == "me":
        for other, label in RELATED_NAMES:
            lines.append(f"item{item}.X-ABRELATEDNAMES;type=pref:{vcard_escape(s.p(other).name)}")
            lines.append(f"item{item}.X-ABLabel:_$!<{label}>!$_")
            item += 1
    if key == "lena":
        lines.append(f"item{item}.URL;type=pref:https://lenafischer.design")
        lines.append(f"item{item}.X-ABLabel:_$!<HomePage>!$_")
        item += 1
    if person.note:
        lines.append(f"NOTE:{vcard_escape(person.note)}")
    if key in CATEGORY:
        lines.append(f"CATEGORIES:{CATEGORY[key]}")
    lines += [f"UID:{uid}", f"X-ABUID:{uid}:ABPerson", f"REV:{rev}", "END:VCARD"]
    return lines


def card_v4(s: Story, person: Person, rev: str) -> list[str]:
    key = person.key
    family, given, prefix, display = entity_names(person)
    phone = person.phone.replace(" ", "-")
    lines = [
        "BEGIN:VCARD",
        "VERSION:4.0",
        "PRODID:-//knowme demo//vCard 4.0//EN",
        f"UID:{card_uid(s, key)}",
        f"FN:{vcard_escape(display)}",
        _n(family, given, prefix),
        "KIND:individual",
        f"EMAIL;TYPE=home;PREF=1:{person.email}",
        f'TEL;VALUE=uri;TYPE="cell,voice";PREF=1:tel:{phone}',
    ]
    if person.birthday is not None:
        lines.append(f"BDAY:{person.birthday:%Y%m%d}")
    if person.org:
        lines.append(f"ORG:{vcard_escape(person.org)}")
    if person.title:
        lines.append(f"TITLE:{vcard_escape(person.title)}")
    if key in ADDRESSES:
        street, city, code = ADDRESSES[key]
        lines.append(f"ADR;TYPE=home:;;{vcard_escape(street)};{vcard_escape(city)};;{code};Portugal")
    if key == "miguel":
        lines.append(f"ANNIVERSARY:{s.year - 5}{s.anniversary:%m%d}")
        lines.append(f"RELATED;TYPE=sweetheart;VALUE=text:{vcard_escape(s.me.name)}")
        lines.append(f"RELATED;TYPE=parent:{card_uid(s, 'teresa')}")
    elif key == "teresa":
        lines.append(f"RELATED;TYPE=child:{card_uid(s, 'miguel')}")
    elif key == "priya":
        lines.append(f"RELATED;TYPE=co-worker;VALUE=text:{vcard_escape(s.p('tom').name)}")
        lines.append(f"RELATED;TYPE=colleague;VALUE=text:{vcard_escape(s.me.name)}")
    if person.note:
        lines.append(f"NOTE:{vcard_escape(person.note)}")
    if key in CATEGORY:
        lines.append(f"CATEGORIES:{CATEGORY[key]}")
    lines += [f"REV:{rev}", "END:VCARD"]
    return lines


def business_cards() -> list[list[str]]:
    """Two organisation cards without a UID (their ref is ``vcf:<FN>``)."""
    return [
        [
            "BEGIN:VCARD",
            "VERSION:3.0",
            PRODID,
            "N:;;;;",
            "FN:Farmácia Bonfim",
            "ORG:Farmácia Bonfim;",
            "TEL;type=WORK;type=VOICE;type=pref:+351 225 370 118",
            "item1.ADR;type=WORK;type=pref:;;Rua do Bonfim 180;Porto;;4300-069;Portugal",
            "item1.X-ABADR:pt",
            "X-ABShowAs:COMPANY",
            "END:VCARD",
        ],
        [
            "BEGIN:VCARD",
            "VERSION:3.0",
            PRODID,
            "N:;;;;",
            "FN:Mudanças Norte",
            "ORG:Mudanças Norte;",
            "EMAIL;type=INTERNET;type=WORK;type=pref:geral@mudancas-norte.example",
            "TEL;type=WORK;type=VOICE;type=pref:+351 220 145 600",
            "NOTE:Movers for Lisbon → Porto. Contact: Duarte Silva.",
            "X-ABShowAs:COMPANY",
            "END:VCARD",
        ],
    ]


def write_contacts(s: Story, root: Path) -> tuple[list[str], int, dict[str, str]]:
    """Write ``contacts/contacts.vcf``; return (relative paths, card count, vcf refs by person key)."""
    cards: list[list[str]] = []
    refs: dict[str, str] = {}
    for n, person in enumerate(s.people.values()):
        if person.key in V4:
            cards.append(card_v4(s, person, f"{s.year}0715T10{n:02d}00Z"))
        else:
            cards.append(card_v3(s, person, f"{s.year}-07-15T10:{n:02d}:00Z"))
        refs[person.key] = f"vcf:{card_uid(s, person.key)}"
    for card in business_cards():
        cards.append(card)
        fn = next(line[3:] for line in card if line.startswith("FN:"))
        refs[fn] = f"vcf:{fn}"
    text = "".join(vcard_fold(line) for card in cards for line in card)
    path = root / "contacts" / "contacts.vcf"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8"))
    return ["contacts/contacts.vcf"], len(cards), refs
