"""Who and what a record names, read from the structure its source carries (never guessed from prose).

- email: From/To/Cc (``Name <addr>``); the author is the first From address
- event: organizer and attendees (name and address), the location as a place
- contact: the card's own person (FN, N, NICKNAME, EMAIL, TEL, all from one card: "same vCard"), ORG as an
  organisation, RELATED / X-ABRELATEDNAMES names as people
- note: a note about a person (in a ``People`` folder or tagged ``person``) names that person with its front matter
  ``email``/``aliases``; wikilinks name their targets (kind decided at resolution: an existing entity, else a topic);
  tags are topics
- chat_message: the speaker (``me`` in a ChatGPT export is the vault owner; the assistant is nobody)

Edge cases: a header address without a display name gives only the address; a display name that is itself an
address is treated as one; empty names are dropped.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from knowme.models import Record
from knowme.text.names import clean_name, email_key, is_email, name_variants, split_address

OWNER_SPEAKERS = frozenset({"me", "user", "you (me)"})
ASSISTANT_SPEAKERS = frozenset({"chatgpt", "assistant", "claude", "gemini", "copilot", "tool", "system"})
PEOPLE_FOLDERS = ("people/", "persons/", "contacts/", "person/")


@dataclass(frozen=True)
class Mention:
    """One entity named by a record, with every key the record gives for it."""

    type: str  # person, organisation, place, project, topic
    role: str  # author, recipient, organizer, attendee, contact, related, org, location, link, tag, speaker, subject
    names: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    nicknames: tuple[str, ...] = ()
    owner: bool = False  # the record itself says this is the vault owner (a ChatGPT "me")
    tentative: bool = False  # a wikilink: attach to an existing entity if one matches, else a topic
    attributes: Mapping[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return (self.names or self.emails or self.phones or ("?",))[0]


def _address_mention(value: str, role: str) -> Mention | None:
    name, address = split_address(value)
    if not name and not address:
        return None
    if name and is_email(name):
        name, address = "", address or email_key(name)
    cleaned = clean_name(name) if name else ""  # "Björn (Cobalto Git)": the bracket names a tool, not an alias
    return Mention("person", role, names=(cleaned,) if cleaned else (), emails=(address,) if address else ())


def _email(record: Record) -> list[Mention]:
    meta = record.meta
    found: list[Mention] = []
    for header, role in (("from", "author"), ("to", "recipient"), ("cc", "recipient")):
        for value in meta.get(header) or ():
            mention = _address_mention(str(value), role)
            if mention is not None:
                found.append(mention)
    if not found and record.author:
        mention = _address_mention(record.author, "author")
        if mention is not None:
            found.append(mention)
    return found


def _event(record: Record) -> list[Mention]:
    meta = record.meta
    found: list[Mention] = []
    people = [(meta.get("organizer"), "organizer")] + [(a, "attendee") for a in meta.get("attendees") or ()]
    for person, role in people:
        if not isinstance(person, Mapping):
            continue
        name = str(person.get("name") or "").strip()
        email = str(person.get("email") or "").strip()
        if name and is_email(name):
            name, email = "", email or name
        if name or email:
            found.append(
                Mention(
                    "person",
                    role,
                    names=tuple(name_variants(name)) if name else (),
                    emails=(email_key(email),) if email else (),
                )
            )
    location = str(meta.get("location") or "").strip()
    if location and not location.lower().startswith(("http://", "https://")) and len(location) <= 120:
        found.append(Mention("place", "location", names=(location,)))
    return found


def _contact(record: Record) -> list[Mention]:
    meta = record.meta
    names: list[str] = []
    fn = str(meta.get("formatted_name") or record.title or "").strip()
    if fn:
        names.extend(name_variants(fn))
    parts = meta.get("name")
    if isinstance(parts, Mapping):
        given = str(parts.get("given") or "").strip()
        family = str(parts.get("family") or "").strip()
        if given and family:
            names.append(f"{given} {family}")
    nicknames = tuple(str(n).strip() for n in meta.get("nicknames") or () if str(n).strip())
    emails = tuple(email_key(str(e["value"])) for e in meta.get("emails") or () if e.get("value"))
    phones = tuple(str(p["value"]) for p in meta.get("phones") or () if p.get("value"))
    org = str(meta.get("org") or "").strip()
    is_org = not names and bool(org)
    found = [
        Mention(
            "organisation" if is_org else "person",
            "contact",
            names=tuple(dict.fromkeys(names)) or ((org,) if is_org else ()),
            emails=emails,
            phones=phones,
            nicknames=nicknames,
        )
    ]
    if org and not is_org:
        found.append(Mention("organisation", "org", names=(org,)))
    for related in meta.get("related") or ():
        name = str(related.get("name") or "").strip()
        email = str(related.get("email") or "").strip()
        if name and is_email(name):
            name, email = "", email or name
        if name or email:
            found.append(
                Mention(
                    "person",
                    "related",
                    names=tuple(name_variants(name)) if name else (),
                    emails=(email_key(email),) if email else (),
                    attributes={"relation": str(related.get("relation") or "related")},
                )
            )
    return found


def is_person_note(record: Record) -> bool:
    path = str(record.meta.get("path") or record.native_id).lower()
    tags = {str(t).lower() for t in record.meta.get("tags") or ()}
    return path.startswith(PEOPLE_FOLDERS) or "/people/" in path or bool(tags & {"person", "people", "contact"})


def _note(record: Record) -> list[Mention]:
    meta = record.meta
    found: list[Mention] = []
    if is_person_note(record) and record.title:
        fm = meta.get("frontmatter") if isinstance(meta.get("frontmatter"), Mapping) else {}
        assert isinstance(fm, Mapping)
        emails = [fm.get("email"), *(fm.get("emails") or [] if isinstance(fm.get("emails"), list) else [])]
        found.append(
            Mention(
                "person",
                "subject",
                names=tuple(name_variants(record.title)),
                emails=tuple(email_key(str(e)) for e in emails if e and is_email(str(e))),
                nicknames=tuple(str(a) for a in meta.get("aliases") or () if str(a).strip()),
            )
        )
    for target in meta.get("links") or ():
        name = str(target).rsplit("/", 1)[-1].strip()
        if name.lower().endswith(".md"):
            name = name[:-3]
        if name:
            found.append(Mention("topic", "link", names=(name,), tentative=True))
    for tag in meta.get("tags") or ():
        tag = str(tag).strip().lstrip("#")
        if tag and tag.lower() not in {"person", "people"}:
            found.append(Mention("topic", "tag", names=(tag,)))
    return found


def _chat(record: Record) -> list[Mention]:
    found: list[Mention] = []
    for speaker in dict.fromkeys([record.author or "", *record.participants]):
        speaker = speaker.strip()
        low = speaker.lower()
        if not speaker or low in ASSISTANT_SPEAKERS:
            continue
        role = "author" if speaker == record.author else "participant"
        if low in OWNER_SPEAKERS:
            found.append(Mention("person", role, owner=True))
            continue
        mention = _address_mention(speaker, role)
        if mention is not None:
            found.append(mention)
    return found


def mentions(record: Record) -> list[Mention]:
    """Every entity the record's structure names (the author first when there is one)."""
    reader = {"email": _email, "event": _event, "contact": _contact, "note": _note, "chat_message": _chat}.get(
        record.kind
    )
    if reader is None:
        return []
    return [m for m in reader(record) if m.names or m.emails or m.phones or m.owner]


def display_name(mention: Mention) -> str:
    return clean_name(mention.names[0]) if mention.names else mention.label
