"""The contacts connector: vCard files (``.vcf``, ``.vcard``), one record of kind ``contact`` per card.

Reads vCard 2.1, 3.0 and 4.0 as written by Apple Contacts, Google Contacts, Outlook, Thunderbird and phones. The file
is unfolded and split into BEGIN:VCARD..END:VCARD blocks here, so one broken card is one
:class:`~knowme.models.ItemProblem` and the others still come out. Each content line is parsed by vobject's line
parser (groups, parameters, quoted parameter values, vCard 2.1 bare parameters, QUOTED-PRINTABLE with its CHARSET
and soft line breaks); values are unescaped and split here, because vobject's vCard behaviours keep only the first
part of a text value with an unescaped comma (``TITLE:Head of Sales, Europe`` would lose ``Europe``).

- ``native_id`` is the UID, else FN; ``ref`` is ``vcf:<UID or FN>``. A card without FN gets a display name from N,
  ORG, NICKNAME or its first email. A card with none of these and no UID uses ``knowme-<hash of its text>``.
  A second card with the same id in one file gets ``<id>~<hash of its text>`` as ``native_id`` (its ``ref`` stays
  ``vcf:<UID or FN>``); an exact duplicate card is read once.
- Fields: N, FN, NICKNAME, EMAIL/TEL/ADR/URL with their TYPEs (and Apple ``itemN.X-ABLabel`` labels), ORG (with
  units), TITLE, ROLE, NOTE, CATEGORIES, BDAY and ANNIVERSARY (full dates, ``--MMDD``/``--MM-DD`` without a year,
  Apple's ``X-APPLE-OMIT-YEAR=1604``, free text), Apple ``X-ABDATE`` (labelled dates; ``Anniversary`` becomes the
  anniversary), ``X-ANNIVERSARY``-style fields of other address books, vCard 4 RELATED (TYPE spouse/mother/...;
  the value may be text, a ``urn:uuid`` naming another card of the file, a ``mailto:`` or another URI) and Apple's
  ``itemN.X-ABRELATEDNAMES`` + ``itemN.X-ABLabel`` pairs (``_$!<Mother>!$_`` or custom text), plus the
  ``X-SPOUSE``/``X-MANAGER``/``X-ASSISTANT`` fields of Evolution, KAddressBook and Outlook. Relations get
  lower-case labels (``mother``, ``manager``, ``dog walker``).
- ``timestamp`` is REV when present and readable, else ``None``.
- ``participants`` are the contact's own ``Name <email>`` forms, so the person can be matched to mail and events.
- A card that is not terminated (a truncated file), has a line that cannot be parsed, or carries no name, email,
  phone or organisation at all is a problem. A file with no BEGIN:VCARD at all raises
  :class:`~knowme.errors.IngestError`. The file is read as UTF-8 (a BOM is dropped), UTF-16 when it has a UTF-16
  BOM, else as Windows-1252.
"""

from __future__ import annotations

import codecs
import dataclasses
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, ClassVar

from dateutil import parser as date_parser
from vobject.base import ContentLine, VObjectError, textLineToContentLine

from knowme.connectors._text import decode_folded
from knowme.connectors.base import LIKELY, MAYBE, NO, SURE, Connector, Cursor, aware
from knowme.errors import IngestError
from knowme.models import ItemProblem, Record, stable_hash
from knowme.plugins import hookimpl

#: How many bytes :meth:`ContactsConnector.sniff` reads.
SNIFF_BYTES = 4096

# fmt: off
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")
# fmt: on
#: Binary properties: skipped.
_BINARY = {"PHOTO", "LOGO", "SOUND", "KEY"}
#: Types that say nothing a person would use ("INTERNET" mail, "VOICE" phone) or only mark preference.
_NOISE_TYPES = {"internet", "x400", "pref", "voice", "encoding", "charset"}
#: Relation fields of other address books (Evolution, KAddressBook, Outlook) and the relation they name.
_LEGACY_RELATIONS = {
    "X-SPOUSE": "spouse",
    "X-EVOLUTION-SPOUSE": "spouse",
    "X-MS-SPOUSE": "spouse",
    "X-KADDRESSBOOK-X-SPOUSESNAME": "spouse",
    "X-MANAGER": "manager",
    "X-EVOLUTION-MANAGER": "manager",
    "X-MS-MANAGER": "manager",
    "X-KADDRESSBOOK-X-MANAGERSNAME": "manager",
    "X-ASSISTANT": "assistant",
    "X-EVOLUTION-ASSISTANT": "assistant",
    "X-MS-ASSISTANT": "assistant",
    "X-KADDRESSBOOK-X-ASSISTANTSNAME": "assistant",
    "X-MS-CHILD": "child",
}
_LEGACY_ANNIVERSARY = {"X-ANNIVERSARY", "X-EVOLUTION-ANNIVERSARY", "X-MS-ANNIVERSARY", "X-KADDRESSBOOK-X-ANNIVERSARY"}
_APPLE_LABEL = re.compile(r"^_\$!<(.+?)>!\$_$")
_FULL_DATE = re.compile(r"^(\d{4})-?(\d{2})-?(\d{2})(?:[T ].*)?$")
_NO_YEAR = re.compile(r"^--(\d{2})-?(\d{2})$")
#: Years address books write when they mean "no year" (Apple: 1604; some phones: 0000 or 1900 with OMIT markers).
_NO_YEAR_YEARS = {"1604", "0000"}


@dataclass
class _Block:
    """One BEGIN:VCARD..END:VCARD block: its first line, logical lines with line numbers, and whether it ended."""

    line: int
    lines: list[tuple[str, int]] = field(default_factory=list)
    complete: bool = False

    @property
    def text(self) -> str:
        return "\n".join(text for text, _ in self.lines)


@dataclass
class _Line:
    """One parsed content line: value still escaped, QUOTED-PRINTABLE already decoded."""

    name: str
    group: str | None
    params: dict[str, list[str]]
    types: list[str]
    value: str
    number: int


@dataclass
class _Card:
    """What a card says, before it becomes a record (related names are resolved across the file first)."""

    block: _Block
    lines: list[_Line]
    uid: str | None = None
    fn: str | None = None


class _BadCard(Exception):
    """The card cannot be read; becomes an ItemProblem."""


def _logical_lines(text: str) -> Iterator[tuple[str, int]]:
    """Unfolded lines with the number of their first physical line.

    A line starting with a space or tab continues the previous one (RFC 6350 folding); a QUOTED-PRINTABLE value
    ending in ``=`` continues on the next line (vCard 2.1 soft line breaks, kept as ``=\\n`` for the decoder).
    """
    buffer: list[str] = []
    start = 0
    quoted_printable = False
    for number, line in enumerate(text.split("\n"), start=1):
        if buffer and quoted_printable:
            buffer.append("\n" + line)
        elif buffer and line[:1] in (" ", "\t"):
            buffer.append(line[1:])
        else:
            if buffer:
                yield "".join(buffer), start
            buffer, start = ([line], number) if line.strip() else ([], number)
        current = "".join(buffer)
        quoted_printable = current.endswith("=") and "quoted-printable" in current.lower()
    if buffer:
        yield "".join(buffer), start


def _split_cards(text: str) -> list[_Block]:
    """The file's cards, by their BEGIN:VCARD/END:VCARD logical lines (nested vCard 2.1 AGENT cards stay inside)."""
    blocks: list[_Block] = []
    current: _Block | None = None
    depth = 0
    for line, number in _logical_lines(text):
        marker = line.strip().upper()
        if marker == "BEGIN:VCARD":
            if current is not None and depth > 0 and not current.lines[-1][0].upper().startswith("AGENT"):
                current = None  # a new card while the last is still open: that one was cut off
            if current is None:
                current = _Block(number)
                blocks.append(current)
                depth = 0
            depth += 1
            current.lines.append((line, number))
            continue
        if current is None:
            continue
        current.lines.append((line, number))
        if marker == "END:VCARD":
            depth -= 1
            if depth == 0:
                current.complete = True
                current = None
    return blocks


class ContactsConnector(Connector):
    """Reads a vCard file: one record per contact."""

    name: ClassVar[str] = "contacts"
    kinds: ClassVar[tuple[str, ...]] = ("contact",)
    suffixes: ClassVar[tuple[str, ...]] = (".vcf", ".vcard")

    @classmethod
    def sniff(cls, path: Path) -> int:
        if path.is_dir():
            return NO
        by_name = super().sniff(path)
        try:
            with path.open("rb") as handle:
                head = handle.read(SNIFF_BYTES)
        except OSError:
            return by_name
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            head = head.decode("utf-16", errors="ignore").encode("utf-8")
        looks = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:11].upper() == b"BEGIN:VCARD"
        if looks:
            return SURE if by_name else LIKELY
        return MAYBE if by_name else NO

    def estimate(self) -> int | None:
        try:
            return len(re.findall(r"^BEGIN:VCARD[ \t]*$", self._read_text(), re.IGNORECASE | re.MULTILINE))
        except IngestError:
            return None

    def iter_records(self, cursor: Cursor | None = None) -> Iterator[Record | ItemProblem]:
        text = self._read_text()
        blocks = _split_cards(text)
        if not blocks:
            raise IngestError(f"{self.path} is not a vCard file (no BEGIN:VCARD)")
        cards: list[_Card | ItemProblem] = []
        for block in blocks:
            try:
                cards.append(self._parse(block))
            except _BadCard as exc:
                cards.append(self.problem(f"line {block.line}", str(exc)))
        uid_names = {c.uid: c.fn for c in cards if isinstance(c, _Card) and c.uid and c.fn}
        email_names: dict[str, str] = {}
        for card in cards:
            if isinstance(card, _Card) and card.fn:
                for line in card.lines:
                    if line.name == "EMAIL":
                        email_names.setdefault(_unescape(line.value).strip().lower(), card.fn)
        seen: set[str] = set()
        for card in cards:
            if isinstance(card, ItemProblem):
                yield card
                continue
            try:
                record = self._record(card, uid_names, email_names)
            except Exception as exc:  # noqa: BLE001 - one bad card never stops the rest
                yield self.problem(f"line {card.block.line}", exc)
                continue
            if record.native_id in seen:
                unique = f"{record.native_id}~{stable_hash(card.block.text, length=12)}"
                if unique in seen:
                    continue  # the very same card twice: read once
                record = dataclasses.replace(record, native_id=unique)
            seen.add(record.native_id)
            yield record

    def _read_text(self) -> str:
        try:
            raw = self.path.read_bytes()
        except OSError as exc:
            raise IngestError(f"cannot read {self.path}: {exc.strerror or exc}") from exc
        if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            text = raw.decode("utf-16", errors="replace")
        else:
            text = decode_folded(raw)
        return text.replace("\r\n", "\n").replace("\r", "\n")

    def _parse(self, block: _Block) -> _Card:
        if not block.complete:
            raise _BadCard("the card is not terminated (no END:VCARD); the file looks truncated")
        lines: list[_Line] = []
        nested = 0
        for text, number in block.lines[1:-1]:
            marker = text.strip().upper()
            if marker == "BEGIN:VCARD" or nested:  # a vCard 2.1 AGENT's own card: not this person's fields
                nested += 1 if marker == "BEGIN:VCARD" else -1 if marker == "END:VCARD" else 0
                continue
            if not text.strip():
                continue
            try:
                content: ContentLine = textLineToContentLine(text, number)
            except (VObjectError, ValueError, LookupError, TypeError) as exc:
                raise _BadCard(f"line {number} cannot be read: {_short(text)} ({type(exc).__name__})") from exc
            if content.name in _BINARY or "B" in (v.upper() for v in content.params.get("ENCODING", [])):
                continue
            if "BASE64" in (p.upper() for p in content.singletonparams):
                continue
            lines.append(
                _Line(
                    name=content.name,
                    group=content.group.lower() if content.group else None,
                    params={k.upper(): list(v) for k, v in content.params.items()},
                    types=_types(content),
                    value=content.value if isinstance(content.value, str) else str(content.value),
                    number=number,
                )
            )
        card = _Card(block, lines)
        uid = _first(lines, "UID")
        card.uid = (_unescape(uid.value).strip() or None) if uid else None
        card.fn = _display_name(lines)
        if not card.fn and not any(line.name in ("EMAIL", "TEL", "ORG") for line in lines):
            raise _BadCard("the card has no name, email, phone or organisation")
        return card

    def _record(self, card: _Card, uid_names: dict[str, str], email_names: dict[str, str]) -> Record:
        f = _card_fields(card, uid_names, email_names)
        fn, version, nicknames, emails, phones = card.fn, f["version"], f["nicknames"], f["emails"], f["phones"]
        org_parts, birthday, anniversary, dates = f["org_parts"], f["birthday"], f["anniversary"], f["dates"]
        title, role, note, related, addresses, urls = (
            f["title"],
            f["role"],
            f["note"],
            f["related"],
            f["addresses"],
            f["urls"],
        )
        name_parts, categories, rev = f["name_parts"], f["categories"], f["rev"]

        native_id = card.uid or fn or f"knowme-{stable_hash(card.block.text)}"
        meta: dict[str, Any] = {
            "uid": card.uid,
            "version": _unescape(version.value).strip() if version else None,
            "formatted_name": fn,
            "name": name_parts,
            "nickname": nicknames[0] if nicknames else None,
            "nicknames": nicknames,
            "emails": [{"value": e["value"], "type": e["type"]} for e in emails],
            "phones": [{"value": p["value"], "type": p["type"]} for p in phones],
            "org": org_parts[0] if org_parts else None,
            "department": " / ".join(org_parts[1:]) or None,
            "title": title,
            "role": role,
            "birthday": birthday["iso"] if birthday else None,
            "anniversary": anniversary["iso"] if anniversary else None,
            "dates": [{"label": d["label"], "date": d["iso"]} for d in dates],
            "related": related,
            "addresses": [{k: v for k, v in a.items() if k != "text"} for a in addresses],
            "urls": [{"value": u["value"], "type": u["type"]} for u in urls],
            "note": note,
            "categories": categories,
            "path": str(self.path),
        }
        if birthday and birthday["iso"] is None:
            meta["birthday_text"] = birthday["text"]
        if anniversary and anniversary["iso"] is None:
            meta["anniversary_text"] = anniversary["text"]
        text = _summary(
            fn=fn,
            nicknames=nicknames,
            emails=emails,
            phones=phones,
            org=org_parts,
            title=title,
            role=role,
            birthday=birthday,
            anniversary=anniversary,
            dates=dates,
            related=related,
            addresses=addresses,
            urls=urls,
            note=note,
        )
        participants = tuple(dict.fromkeys(f"{fn} <{e['value']}>" if fn else e["value"] for e in emails))
        return Record(
            source=self.source,
            kind="contact",
            native_id=native_id,
            ref=f"vcf:{card.uid or fn or native_id}",
            text=text,
            title=fn or "",
            timestamp=_timestamp(_unescape(rev.value)) if rev else None,
            author=None,
            participants=participants,
            meta=meta,
        )


def _card_fields(card: _Card, uid_names: dict[str, str], email_names: dict[str, str]) -> dict[str, Any]:
    """Every value a contact card holds, parsed (labels of Apple's item groups applied)."""
    lines = card.lines
    labels = {ln.group: _label(_unescape(ln.value)) for ln in lines if ln.name == "X-ABLABEL" and ln.group}
    version = _first(lines, "VERSION")
    name_line = _first(lines, "N")
    name_parts = _name_parts(name_line.value) if name_line else None
    nicknames = [n for line in lines if line.name == "NICKNAME" for n in _split_list(line.value)]
    emails = [_typed(line, labels, _unescape(line.value).strip()) for line in lines if line.name == "EMAIL"]
    phones = [_typed(line, labels, _phone(line.value)) for line in lines if line.name == "TEL"]
    urls = [_typed(line, labels, _unescape(line.value).strip()) for line in lines if line.name == "URL"]
    emails, phones, urls = ([e for e in group if e["value"]] for group in (emails, phones, urls))
    addresses = [_address(line, labels) for line in lines if line.name == "ADR"]
    addresses = [a for a in addresses if a["text"]]
    org_line = _first(lines, "ORG")
    org_parts = [p for p in (_unescape(x).strip() for x in _split(org_line.value, ";")) if p] if org_line else []
    title = _text_value(lines, "TITLE")
    role = _text_value(lines, "ROLE")
    note = _text_value(lines, "NOTE")
    categories = [c for line in lines if line.name == "CATEGORIES" for c in _split_list(line.value)]
    birthday = _date_field(_first(lines, "BDAY"))
    anniversary = _date_field(_first(lines, "ANNIVERSARY"))
    anniversary, dates = _other_dates(lines, labels, anniversary)
    related = [
        _related(line, labels, uid_names, email_names)
        for line in lines
        if line.name in ("RELATED", "X-ABRELATEDNAMES") or line.name in _LEGACY_RELATIONS
    ]
    related = [r for r in related if r["name"] or r.get("uri") or r.get("email")]
    rev = _first(lines, "REV")
    return {
        "version": version, "name_parts": name_parts, "nicknames": nicknames, "emails": emails, "phones": phones,
        "urls": urls, "addresses": addresses, "org_parts": org_parts, "title": title, "role": role, "note": note,
        "categories": categories, "birthday": birthday, "anniversary": anniversary, "dates": dates,
        "related": related, "rev": rev,
    }  # fmt: skip


def _other_dates(
    lines: list[Any], labels: dict[str, str], anniversary: dict[str, Any] | None
) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """The anniversary (from a labelled or legacy date when the card has no ANNIVERSARY) and the other dates."""
    dates: list[dict[str, Any]] = []
    for line in lines:
        if line.name == "X-ABDATE" or line.name in _LEGACY_ANNIVERSARY:
            label = labels.get(line.group) if line.group else None
            label = label or ("anniversary" if line.name in _LEGACY_ANNIVERSARY else _main_type(line) or "date")
            value = _date_field(line)
            if value is None:
                continue
            if label == "anniversary" and anniversary is None:
                anniversary = value
            else:
                dates.append({"label": label, **value})
    return anniversary, dates


# -- values ----------------------------------------------------------------------------------------------------------


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _split(value: str, separator: str) -> list[str]:
    """Split on ``separator`` where it is not backslash-escaped; the parts keep their escapes."""
    parts: list[str] = []
    current: list[str] = []
    escaped = False
    for char in value:
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\":
            current.append(char)
            escaped = True
        elif char == separator:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def _unescape(value: str) -> str:
    r"""Undo vCard text escaping: ``\n`` and ``\N`` are new lines, ``\,`` ``\;`` ``\\`` their characters."""
    value = value.replace("\r\n", "\n")
    return re.sub(r"\\(.)", lambda m: "\n" if m.group(1) in "nN" else m.group(1), value, flags=re.DOTALL)


def _split_list(value: str) -> list[str]:
    return [part for part in (_unescape(p).strip() for p in _split(value, ",")) if part]


def _first(lines: list[_Line], name: str) -> _Line | None:
    return next((line for line in lines if line.name == name), None)


def _text_value(lines: list[_Line], name: str) -> str | None:
    line = _first(lines, name)
    if line is None:
        return None
    return _unescape(line.value).strip() or None


def _types(content: ContentLine) -> list[str]:
    """Lower-case TYPE values (comma lists split, vCard 2.1 bare parameters included); ``pref`` for PREF."""
    found: list[str] = []
    for key, values in content.params.items():
        if key.upper() == "TYPE":
            found.extend(t.strip().strip('"').lower() for v in values for t in v.split(","))
        elif key.upper() == "PREF":
            found.append("pref")
    found.extend(p.strip().lower() for p in content.singletonparams)
    return [t for t in dict.fromkeys(found) if t]


def _main_type(line: _Line) -> str | None:
    useful = [t for t in line.types if t not in _NOISE_TYPES]
    return ",".join(useful) or None


def _label(value: str) -> str:
    """Apple's ``_$!<Mother>!$_`` → ``mother``; a custom label → lower case as written."""
    value = value.strip()
    match = _APPLE_LABEL.match(value)
    return (match.group(1) if match else value).strip().lower()


def _typed(line: _Line, labels: Mapping[str, str], value: str) -> dict[str, Any]:
    label = labels.get(line.group) if line.group else None
    return {"value": value, "type": label or _main_type(line), "pref": "pref" in line.types}


def _phone(value: str) -> str:
    value = _unescape(value).strip()
    return value[4:].strip() if value.lower().startswith("tel:") else value


def _display_name(lines: list[_Line]) -> str | None:
    """FN, else a name built from N, else ORG, NICKNAME or the first email."""
    fn = _text_value(lines, "FN")
    if fn:
        return fn
    name_line = _first(lines, "N")
    if name_line:
        parts = _name_parts(name_line.value)
        built = " ".join(
            p for p in (parts["prefix"], parts["given"], parts["additional"], parts["family"], parts["suffix"]) if p
        )
        if built:
            return built
    org = _first(lines, "ORG")
    if org:
        first = _unescape(_split(org.value, ";")[0]).strip()
        if first:
            return first
    nickname = _first(lines, "NICKNAME")
    if nickname and _split_list(nickname.value):
        return _split_list(nickname.value)[0]
    return _text_value(lines, "EMAIL")


def _name_parts(value: str) -> dict[str, str | None]:
    keys = ("family", "given", "additional", "prefix", "suffix")
    parts = _split(value, ";") + [""] * 5
    return {key: " ".join(_split_list(part)) or None for key, part in zip(keys, parts, strict=False)}


def _address(line: _Line, labels: Mapping[str, str]) -> dict[str, Any]:
    keys = ("po_box", "extended", "street", "city", "region", "postal_code", "country")
    parts = [_unescape(p).strip() for p in _split(line.value, ";")] + [""] * 7
    fields = {key: (part.replace("\n", ", ") or None) for key, part in zip(keys, parts, strict=False)}
    label = labels.get(line.group) if line.group else None
    text = ", ".join(v for v in fields.values() if v)
    return {"type": label or _main_type(line), **fields, "text": text}


def _date_field(line: _Line | None) -> dict[str, Any] | None:
    """A birthday-like value: ``{"iso": "1980-03-12" | "--03-12" | None, "text": "12 March 1980"}``."""
    if line is None:
        return None
    raw = _unescape(line.value).strip()
    if not raw:
        return None
    omit_values = line.params.get("X-APPLE-OMIT-YEAR") or []
    omit = omit_values[0] if omit_values else None
    full = _FULL_DATE.match(raw)
    if full:
        year, month, day = full.groups()
        no_year = year in _NO_YEAR_YEARS or (omit is not None and omit.strip() == year)
        if _valid(2000 if no_year else int(year), int(month), int(day)):
            if no_year:
                return {"iso": f"--{month}-{day}", "text": f"{int(day)} {_MONTHS[int(month) - 1]}"}
            return {"iso": f"{year}-{month}-{day}", "text": f"{int(day)} {_MONTHS[int(month) - 1]} {int(year)}"}
    partial = _NO_YEAR.match(raw)
    if partial:
        month, day = partial.groups()
        if _valid(2000, int(month), int(day)):
            return {"iso": f"--{month}-{day}", "text": f"{int(day)} {_MONTHS[int(month) - 1]}"}
    return {"iso": None, "text": raw}


def _valid(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def _timestamp(value: str) -> datetime | None:
    """REV as an aware datetime (``2024-01-15T10:20:30Z``, ``20240115T102030Z``, ``2024-01-15``)."""
    value = value.strip()
    if not value:
        return None
    try:
        parsed = date_parser.isoparse(value)
    except (ValueError, OverflowError):
        try:
            parsed = date_parser.parse(value)
        except (ValueError, OverflowError):
            return None
    return aware(parsed)


def _related(
    line: _Line, labels: Mapping[str, str], uid_names: dict[str, str], email_names: dict[str, str]
) -> dict[str, Any]:
    """A relation: ``{"name", "relation"}`` plus ``uri``/``email`` when the value is one."""
    value = _unescape(line.value).strip()
    label = labels.get(line.group) if line.group else None
    if line.name in _LEGACY_RELATIONS:
        relation = _LEGACY_RELATIONS[line.name]
    else:
        kinds = [t for t in line.types if t not in _NOISE_TYPES]
        relation = label or (kinds[0] if kinds else "related")
    entry: dict[str, Any] = {"name": value or None, "relation": relation}
    lower = value.lower()
    is_text = any(v.lower() == "text" for v in line.params.get("VALUE", []))
    if line.name == "RELATED" and not is_text:
        if lower.startswith("mailto:"):
            email = value[7:].strip()
            entry.update(name=email_names.get(email.lower(), email), email=email)
        elif lower.startswith("urn:uuid:") or (":" in value and " " not in value):
            entry.update(name=uid_names.get(value) or uid_names.get(value[9:]), uri=value)
    return entry


def _summary(
    *,
    fn: str | None,
    nicknames: list[str],
    emails: list[dict[str, Any]],
    phones: list[dict[str, Any]],
    org: list[str],
    title: str | None,
    role: str | None,
    birthday: dict[str, Any] | None,
    anniversary: dict[str, Any] | None,
    dates: list[dict[str, Any]],
    related: list[dict[str, Any]],
    addresses: list[dict[str, Any]],
    urls: list[dict[str, Any]],
    note: str | None,
) -> str:
    """``Maria Silva (Mia). Email: ... Phone: ... Works at Acme as Engineer. Birthday: 12 March 1980. Mother: ...``"""

    def typed(items: list[dict[str, Any]]) -> str:
        return ", ".join(f"{i['value']} ({i['type']})" if i["type"] else i["value"] for i in items)

    head = fn or "(no name)"
    extra = [n for n in nicknames if n != fn]
    sentences = [f"{head} ({', '.join(extra)})." if extra else f"{head}."]
    if emails:
        sentences.append(f"Email: {typed(emails)}.")
    if phones:
        sentences.append(f"Phone: {typed(phones)}.")
    if org:
        where = org[0] + (f" ({', '.join(org[1:])})" if org[1:] else "")
        sentences.append(f"Works at {where} as {title}." if title else f"Works at {where}.")
    elif title:
        sentences.append(f"Title: {title}.")
    if role:
        sentences.append(f"Role: {role}.")
    if birthday:
        sentences.append(f"Birthday: {birthday['text']}.")
    if anniversary:
        sentences.append(f"Anniversary: {anniversary['text']}.")
    for item in dates:
        sentences.append(f"{item['label'][:1].upper()}{item['label'][1:]}: {item['text']}.")
    for relation in related:
        if not relation["name"]:
            continue  # a urn:uuid naming a card that is not in this file: nothing a person could read
        label = relation["relation"]
        sentences.append(f"{label[:1].upper()}{label[1:]}: {relation['name']}.")
    for address in addresses:
        kind = f" ({address['type']})" if address["type"] else ""
        sentences.append(f"Address{kind}: {address['text']}.")
    if urls:
        sentences.append(f"Website: {typed(urls)}.")
    text = " ".join(sentences)
    if note:
        text += f" Note: {note}"
    return text


@hookimpl
def register_connectors() -> list[type[Connector]]:
    return [ContactsConnector]
