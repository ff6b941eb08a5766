"""The cast and the key dates of the demo life, shared by every format writer.

Sofia Almeida, a backend engineer at Cobalto Labs, lives in Alfama (Lisbon) with her partner Miguel
Costa. In March Miguel is offered a job in Porto; they move on 12 July (the moving truck comes at 08:00)
to a flat on Rua do Bonfim, and Sofia joins the company's Porto hub. Every writer reads the same people
and dates from here, so one person is one email address, one vCard, one wikilink and one chat speaker.

Nothing here reads the clock or the environment: every value is derived from ``(seed, year)``. The
weekday of a fixed calendar date changes with the year; the story never depends on it.
"""

from __future__ import annotations

import hashlib
import random
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

LISBON = ZoneInfo("Europe/Lisbon")

WORK_DOMAIN = "cobaltolabs.example"
HOME_DOMAIN = "mailbox.example"


@dataclass(frozen=True)
class Person:
    """One person of the story. ``key`` is the short handle the writers use."""

    key: str
    name: str
    email: str
    org: str = ""
    title: str = ""
    phone: str = ""
    birthday: date | None = None
    city: str = ""
    note: str = ""

    @property
    def first(self) -> str:
        return self.name.split()[0]


def _people(year: int) -> dict[str, Person]:
    born = year - 34  # Sofia is 34 at the start of the story year.
    w, h = WORK_DOMAIN, HOME_DOMAIN
    # fmt: off
    rows = [
        Person("me", "Sofia Almeida", f"sofia.almeida@{h}", "Cobalto Labs", "Senior Backend Engineer",
               "+351 912 345 678", date(born, 10, 3), "Lisbon"),
        Person("tom", "Tom Becker", f"tom.becker@{w}", "Cobalto Labs", "Engineering Manager", "+351 913 220 114",
               date(born - 8, 6, 30), "Lisbon", "Sofia's manager. Runs the payments platform team."),
        Person("jose", "José Núñez", f"jose.nunez@{w}", "Cobalto Labs", "Staff Engineer", "+351 915 870 332",
               date(born - 3, 2, 12), "Lisbon", "From Valencia. Leads the ledger migration."),
        Person("lena", "Lena Fischer", f"lena.fischer@{w}", "Cobalto Labs", "Product Designer", "+351 916 402 871",
               date(born, 4, 23), "Lisbon", "Friend since the 2021 design sprint."),
        Person("bjorn", "Björn Lindqvist", f"bjorn.lindqvist@{w}", "Cobalto Labs", "Site Reliability Engineer",
               "+351 917 118 009", date(born - 1, 12, 2), "Lisbon"),
        Person("chloe", "Chloé Martin", f"chloe.martin@{w}", "Cobalto Labs", "Product Manager", "+351 918 550 246",
               date(born + 2, 7, 19), "Lisbon"),
        Person("priya", "Priya Raman", f"priya.raman@{w}", "Cobalto Labs", "Data Engineer, Porto hub lead",
               "+351 919 003 517", date(born - 2, 1, 27), "Porto"),
        Person("daniel", "Daniel Okafor", f"daniel.okafor@{w}", "Cobalto Labs", "QA Engineer", "+351 914 771 600",
               None, "Lisbon"),
        Person("miguel", "Miguel Costa", f"miguel.costa@{h}", "Atelier Douro Arquitetos", "Architect",
               "+351 936 118 442", date(born - 1, 3, 5), "Lisbon", "Sofia's partner."),
        Person("helena", "Helena Almeida", f"helena.almeida@{h}", "", "Retired teacher", "+351 217 654 321",
               date(born - 28, 11, 2), "Lisbon", "Sofia's mother."),
        Person("pedro", "Pedro Almeida", f"pedro.almeida@{h}", "Hospital de Santa Maria", "Nurse",
               "+351 962 440 118", date(born + 3, 8, 9), "Lisbon", "Sofia's younger brother."),
        Person("teresa", "Teresa Costa", f"teresa.costa@{h}", "", "", "+351 226 009 871", date(born - 27, 5, 14),
               "Braga", "Miguel's mother."),
        Person("rui", "Rui Pereira", f"rui.pereira@{h}", "Escola Secundária Camões", "Geography teacher",
               "+351 933 201 774", date(born, 9, 1), "Lisbon", "Hiking crew."),
        Person("ines", "Inês Carvalho", f"ines.carvalho@{h}", "", "Physiotherapist", "+351 934 882 105",
               date(born + 1, 1, 16), "Porto", "Hiking crew."),
        Person("zoe", "Zoë Laurent", "zoe.laurent@courrier.example", "Université Paris Cité", "Researcher",
               "+33 6 12 34 56 78", date(born, 5, 28), "Paris", "Erasmus friend from Lyon."),
        Person("kenji", "Kenji Watanabe (渡辺健二)", "kenji.watanabe@tokyo-dev.example", "Hoshi Systems", "CTO",
               "+81 90 1234 5678", None, "Tokyo", "Former colleague."),
        Person("beatriz", "Beatriz Sousa", "beatriz.sousa@imoveis-norte.example", "Imóveis Norte", "Landlord",
               "+351 225 118 930", None, "Porto", "Landlord of the Bonfim flat."),
        Person("fernanda", "Fernanda Lopes", "fernanda.lopes@sapo.example", "", "Landlady", "+351 218 870 442",
               None, "Lisbon", "Landlady of the Alfama flat."),
        Person("carla", "Dr. Carla Menezes", "marcacoes@clinica-estrela.example", "Clínica Dentária Estrela",
               "Dentist", "+351 213 960 114", None, "Lisbon"),
        Person("duarte", "Duarte Silva", "duarte@mudancas-norte.example", "Mudanças Norte", "Move coordinator",
               "+351 220 145 600", None, "Porto"),
        Person("sara", "Sara Kowalski", "sara@backendconf.example", "BackendConf Berlin", "Speaker coordinator",
               "+49 30 1234 5670", None, "Berlin"),
        Person("ricardo", "Ricardo Mendes", "ricardo@mendes-contas.example", "Mendes Contabilidade", "Accountant",
               "+351 214 330 218", None, "Lisbon"),
        Person("ana", "Ana Sá", "ana@yoga-alfama.example", "Yoga Alfama", "Yoga teacher", "+351 927 500 661", None,
               "Lisbon"),
        Person("hugo", "Hugo Teixeira", f"hugo.teixeira@{h}", "", "Climbing instructor", "+351 938 774 020", None,
               "Porto", "Neighbour in Bonfim; climbing partner."),
    ]
    # fmt: on
    return {p.key: p for p in rows}


@dataclass(frozen=True)
class Story:
    """The people and the fixed dates of one generated year."""

    seed: int
    year: int
    people: dict[str, Person]

    # ------------------------------------------------------------------ identities
    @property
    def me(self) -> Person:
        return self.people["me"]

    @property
    def work_email(self) -> str:
        return f"sofia@{WORK_DOMAIN}"

    def p(self, key: str) -> Person:
        return self.people[key]

    # ------------------------------------------------------------------ key dates
    def at(self, month: int, day: int, hour: int = 9, minute: int = 0) -> datetime:
        return datetime(self.year, month, day, hour, minute, tzinfo=LISBON)

    def day(self, month: int, day: int) -> date:
        return date(self.year, month, day)

    @property
    def offsite(self) -> date:
        return self.day(2, 20)

    @property
    def move_day(self) -> date:
        return self.day(7, 12)

    @property
    def porto_first_day(self) -> date:
        return self.day(7, 14)

    @property
    def dentist(self) -> datetime:
        return self.at(6, 17, 15, 30)

    @property
    def anniversary(self) -> datetime:
        return self.at(9, 19, 20, 30)

    @property
    def berlin(self) -> date:
        return self.day(10, 8)

    def lives_in(self, when: date) -> str:
        return "Lisbon" if when < self.move_day else "Porto"

    # ------------------------------------------------------------------ stable identifiers
    def digest(self, *parts: object) -> str:
        text = "\x1f".join([str(self.seed), str(self.year), *map(str, parts)])
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def uuid(self, *parts: object) -> str:
        """A version-4-shaped UUID derived from the seed and ``parts`` (never from the clock)."""
        return str(uuid.UUID(hex=self.digest(*parts)[:32], version=4))

    def rng(self, topic: str) -> random.Random:
        """An independent random stream per writer, so adding items to one never shifts another."""
        return random.Random(self.digest("rng", topic))


def make_story(seed: int, year: int) -> Story:
    return Story(seed=seed, year=year, people=_people(year))


def workdays(year: int, start: date | None = None, end: date | None = None) -> list[date]:
    """Every Monday-to-Friday of ``year`` between ``start`` and ``end`` (inclusive)."""
    day = start or date(year, 1, 2)
    last = end or date(year, 12, 22)
    out: list[date] = []
    while day <= last:
        if day.weekday() < 5:
            out.append(day)
        day += timedelta(days=1)
    return out


def at_time(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=LISBON)
