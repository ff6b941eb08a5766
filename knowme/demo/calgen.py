"""Write the demo life's calendar, ``calendar/personal.ics``, with the ``icalendar`` library.

The calendar carries a literal VTIMEZONE for Europe/Lisbon (WET/WEST rules) and, because one event
happens in Berlin, one for Europe/Berlin. It has timed events in local time (TZID), flights in UTC
(``Z`` times, as airline invites send them), all-day events (VALUE=DATE, exclusive DTEND) for holidays,
trips and birthdays (yearly RRULE from this year's birthday, so a reader expanding the series does not
produce decades of past occurrences; the birth date is in the description), and weekly recurring
meetings with RRULE, UNTIL and EXDATE (holidays, the offsite, vacations), some with ORGANIZER,
ATTENDEE and VALARM.
Holidays follow Portugal's calendar for the given year (movable feasts from Easter).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from dateutil.easter import easter
from icalendar import Alarm, Calendar, Event, Timezone, TimezoneDaylight, TimezoneStandard, vCalAddress

from knowme.demo.story import Story, at_time

BERLIN = ZoneInfo("Europe/Berlin")


@dataclass
class Ev:
    key: str
    summary: str
    start: date | datetime
    end: date | datetime
    location: str = ""
    description: str = ""
    organizer: str | None = None
    attendees: tuple[str, ...] = ()
    rrule: dict[str, object] | None = None
    exdates: list[datetime] = field(default_factory=list)
    categories: tuple[str, ...] = ()
    alarm_minutes: int | None = None


def _tz(tzid: str, std: tuple[str, int, str], dst: tuple[str, int, str]) -> Timezone:
    """A VTIMEZONE with EU rules: DST from the last Sunday of March, standard from the last Sunday of October."""
    tz = Timezone()
    tz.add("tzid", tzid)
    tz.add("x-lic-location", tzid)
    for cls, (name, offset, start), month, prev in (
        (TimezoneDaylight, dst, 3, std[1]),
        (TimezoneStandard, std, 10, dst[1]),
    ):
        part = cls()
        part.add("tzoffsetfrom", timedelta(hours=prev))
        part.add("tzoffsetto", timedelta(hours=offset))
        part.add("tzname", name)
        part.add("dtstart", datetime.strptime(start, "%Y%m%dT%H%M%S"))
        part.add("rrule", {"freq": "yearly", "bymonth": month, "byday": "-1su"})
        tz.add_component(part)
    return tz


def portuguese_holidays(year: int) -> list[tuple[date, str]]:
    e = easter(year)
    days = [
        (date(year, 1, 1), "Ano Novo"),
        (e - timedelta(days=47), "Carnaval"),
        (e - timedelta(days=2), "Sexta-feira Santa"),
        (e, "Páscoa"),
        (date(year, 4, 25), "Dia da Liberdade"),
        (date(year, 5, 1), "Dia do Trabalhador"),
        (e + timedelta(days=60), "Corpo de Deus"),
        (date(year, 6, 10), "Dia de Portugal"),
        (date(year, 6, 13), "Santo António (Lisboa)"),
        (date(year, 6, 24), "São João (Porto)"),
        (date(year, 8, 15), "Assunção de Nossa Senhora"),
        (date(year, 10, 5), "Implantação da República"),
        (date(year, 11, 1), "Todos os Santos"),
        (date(year, 12, 1), "Restauração da Independência"),
        (date(year, 12, 8), "Imaculada Conceição"),
        (date(year, 12, 25), "Natal"),
    ]
    return sorted(days)


def _next(day: date, weekday: int) -> date:
    """The first ``weekday`` (0 = Monday) on or after ``day``."""
    return day + timedelta(days=(weekday - day.weekday()) % 7)


def _weekly(first: date, weekday: int, last: date) -> list[date]:
    day = _next(first, weekday)
    out = []
    while day <= last:
        out.append(day)
        day += timedelta(days=7)
    return out


def recurring(s: Story) -> list[Ev]:
    y = s.year
    holidays = {d for d, _ in portuguese_holidays(y)}
    team = ("me", "jose", "lena", "bjorn", "chloe", "daniel")
    first_monday = _next(date(y, 1, 6), 0)
    end = date(y, 12, 19)
    off = {s.offsite, s.offsite + timedelta(days=1), s.move_day - timedelta(days=1)}
    vacation = {date(y, 8, 18) + timedelta(days=n) for n in range(12)}
    standup_skips = sorted(
        d for d in holidays | off | vacation if d.weekday() in (0, 2, 4) and first_monday <= d <= end
    )
    thursdays = _weekly(first_monday, 3, end)
    one_on_one_skips = [d for d in thursdays if d in holidays | off | vacation or d == s.berlin + timedelta(days=1)]
    tuesdays = _weekly(first_monday, 1, date(y, 7, 1))
    yoga_skips = [tuesdays[9], tuesdays[17]]
    until = datetime(y, 12, 19, 23, 59, tzinfo=UTC)
    sunday = _next(s.move_day + timedelta(days=1), 6)
    return [
        Ev(
            "standup",
            "Team standup",
            at_time(first_monday, 9, 45),
            at_time(first_monday, 10, 0),
            "Google Meet",
            "Standup of the payments platform team (Monday, Wednesday, Friday).",
            "tom",
            team,
            {"freq": "weekly", "byday": ["mo", "we", "fr"], "until": until},
            [at_time(d, 9, 45) for d in standup_skips],
            ("Work",),
        ),
        Ev(
            "one-on-one",
            "1:1 Tom / Sofia",
            at_time(thursdays[0], 14, 0),
            at_time(thursdays[0], 14, 30),
            "Google Meet",
            "Weekly 1:1. Running notes in the shared doc.",
            "tom",
            ("me",),
            {"freq": "weekly", "byday": "th", "until": until},
            [at_time(d, 14, 0) for d in one_on_one_skips],
            ("Work",),
            10,
        ),
        Ev(
            "yoga",
            "Yoga with Ana",
            at_time(tuesdays[0], 19, 0),
            at_time(tuesdays[0], 20, 15),
            "Yoga Alfama, Rua de São Miguel 18, Lisboa",
            "Bring the mat back!",
            None,
            (),
            {"freq": "weekly", "byday": "tu", "until": datetime(y, 7, 1, 23, 0, tzinfo=UTC)},
            [at_time(d, 19, 0) for d in yoga_skips],
            ("Health",),
        ),
        Ev(
            "climbing",
            "Climbing with Hugo",
            at_time(_next(date(y, 8, 4), 2), 19, 30),
            at_time(_next(date(y, 8, 4), 2), 21, 30),
            "Vertigem Climbing, Rua do Heroísmo 301, Porto",
            "",
            None,
            (),
            {"freq": "weekly", "byday": "we", "until": until},
            [at_time(d, 19, 30) for d in _weekly(date(y, 8, 18), 2, date(y, 8, 29))],
            ("Health",),
        ),
        Ev(
            "sprint",
            "Sprint planning",
            at_time(first_monday, 11, 0),
            at_time(first_monday, 12, 0),
            "Tejo room",
            "Bring your tickets groomed.",
            "chloe",
            team,
            {"freq": "weekly", "interval": 2, "byday": "mo", "until": until},
            [],
            ("Work",),
        ),
        Ev(
            "all-hands",
            "Cobalto all-hands",
            at_time(_next(date(y, 1, 1), 4), 16, 0),
            at_time(_next(date(y, 1, 1), 4), 17, 0),
            "Main hall / stream",
            "",
            None,
            (),
            {"freq": "monthly", "byday": "1fr", "count": 12},
            [],
            ("Work",),
        ),
        Ev(
            "call-mae",
            "Sunday call with Mãe",
            at_time(sunday, 18, 0),
            at_time(sunday, 18, 30),
            "Phone",
            "Now that we're in Porto.",
            None,
            (),
            {"freq": "weekly", "byday": "su", "until": until},
            [],
            ("Family",),
        ),
    ]


def singles(s: Story) -> list[Ev]:
    return [*singles_before_move(s), *singles_after_move(s), *singles_autumn(s)]


def singles_before_move(s: Story) -> list[Ev]:
    """One-off events from January to the end of June, in Lisbon (and the Porto flat hunt)."""
    y = s.year
    d = s.day
    at = s.at
    team = ("me", "jose", "lena", "bjorn", "chloe", "daniel")
    lunch_sunday = _next(date(y, 6, 9), 6)
    dentist = s.dentist
    return [
        Ev(
            "q1-planning",
            "Q1 planning",
            at(1, 9, 10, 0),
            at(1, 9, 12, 30),
            "Tejo room, Cobalto Labs Lisboa",
            "Agenda in Tom's email. Pre-reads in the Q1 planning folder.",
            "tom",
            team,
            categories=("Work",),
        ),
        Ev(
            "offsite",
            "Team offsite in Sintra",
            s.offsite,
            s.offsite + timedelta(days=2),
            "Quinta da Serra, Sintra",
            "Carpool from Saldanha at 08:00 (Björn's car).",
            categories=("Work",),
        ),
        Ev(
            "arrabida",
            "Hike: Arrábida with Rui and Lena",
            d(3, 1),
            d(3, 2),
            "Serra da Arrábida",
            "Portinho da Arrábida loop, 14 km.",
            categories=("Friends",),
        ),
        Ev("haircut", "Haircut", at(3, 8, 10, 0), at(3, 8, 11, 0), "Barbearia Alfama"),
        Ev(
            "checkup",
            "Annual check-up",
            at(3, 20, 9, 0),
            at(3, 20, 9, 40),
            "USF Alfama",
            "Fasting blood test at 08:15 first.",
            categories=("Health",),
        ),
        Ev(
            "lena-cake",
            "Cake for Lena's birthday",
            at(4, 23, 16, 0),
            at(4, 23, 16, 30),
            "Office kitchen",
            "Pastéis from Manteigaria.",
            categories=("Work",),
        ),
        Ev(
            "train-porto-may",
            "Alfa Pendular to Porto",
            at(5, 10, 7, 9),
            at(5, 10, 10, 5),
            "Lisboa Santa Apolónia → Porto Campanhã",
            "Car 4, seats 41-42.",
        ),
        Ev(
            "viewing-bonfim",
            "Flat viewing: T2 Rua do Bonfim 214",
            at(5, 10, 11, 0),
            at(5, 10, 11, 45),
            "Rua do Bonfim 214, Porto",
            "With Beatriz Sousa (Imóveis Norte). Two balconies, 1 150 € / month.",
            categories=("Move",),
        ),
        Ev(
            "viewing-cedofeita",
            "Flat viewing: T2 Cedofeita",
            at(5, 10, 14, 30),
            at(5, 10, 15, 15),
            "Rua de Cedofeita 455, Porto",
            "No lift, 4th floor.",
            categories=("Move",),
        ),
        Ev(
            "kenji",
            "Dinner with Kenji",
            at(5, 14, 20, 0),
            at(5, 14, 22, 30),
            "Taberna do Largo, Lisboa",
            categories=("Friends",),
        ),
        Ev("zoe", "Zoë stays over", d(5, 20), d(5, 21), "Home", "Sofa bed, towels.", categories=("Friends",)),
        Ev(
            "parking-permit",
            "Parking permit for the move",
            at(6, 5, 9, 30),
            at(6, 5, 10, 0),
            "Junta de Freguesia de Santa Maria Maior",
            "For the truck on moving day.",
            categories=("Move",),
        ),
        Ev(
            "mae-lunch",
            "Lunch at Mãe's (moving boxes)",
            at_time(lunch_sunday, 13, 0),
            at_time(lunch_sunday, 16, 0),
            "Casa da Mãe, Benfica",
            "Pedro brings the car for the boxes.",
            categories=("Family",),
        ),
        Ev(
            "dentist",
            "Dentist: check-up with Dr. Carla Menezes",
            dentist,
            dentist + timedelta(hours=1),
            "Clínica Dentária Estrela, Rua de São Bento 210, Lisboa",
            "Check-up and cleaning. Bring the insurance card.",
            categories=("Health",),
            alarm_minutes=24 * 60,
        ),
        Ev("irs", "IRS deadline", d(6, 30), d(7, 1), "", "Last day to submit the tax return.", categories=("Admin",)),
    ]


def singles_after_move(s: Story) -> list[Ev]:
    """One-off events from the key handover in July to September, in Porto."""
    y = s.year
    d = s.day
    at = s.at
    ikea = _next(date(y, 7, 23), 5)
    move = s.move_day
    return [
        Ev(
            "keys",
            "Key handover: Rua do Bonfim 214",
            at(7, 1, 18, 0),
            at(7, 1, 18, 30),
            "Rua do Bonfim 214, Porto",
            "Meet Beatriz at the door.",
            categories=("Move",),
        ),
        Ev(
            "moving-truck",
            "Moving truck arrives (Mudanças Norte)",
            at_time(move, 8, 0),
            at_time(move, 12, 0),
            "Rua dos Remédios 41, Alfama, Lisboa",
            "Mudanças Norte: truck arrives at 08:00, crew of three loads "
            "until about 12:00. Unloading in Porto from 16:00.",
            categories=("Move",),
            alarm_minutes=60,
        ),
        Ev(
            "unload",
            "Unload at Rua do Bonfim",
            at_time(move, 16, 0),
            at_time(move, 19, 0),
            "Rua do Bonfim 214, Porto",
            categories=("Move",),
        ),
        Ev(
            "inspection",
            "Alfama flat inspection with Fernanda",
            at(7, 13, 10, 0),
            at(7, 13, 11, 0),
            "Rua dos Remédios 41, Lisboa",
            categories=("Move",),
        ),
        Ev(
            "porto-first-day",
            "First day at the Porto hub",
            at_time(s.porto_first_day, 9, 0),
            at_time(s.porto_first_day, 10, 0),
            "Cobalto Labs Porto, Rua das Flores 120",
            "Badge at reception.",
            "priya",
            ("me",),
            categories=("Work",),
        ),
        Ev(
            "meo",
            "Internet installation (MEO)",
            at(7, 15, 14, 0),
            at(7, 15, 18, 0),
            "Rua do Bonfim 214, Porto",
            categories=("Move",),
        ),
        Ev(
            "financas",
            "Change address at the Finanças",
            at(7, 21, 10, 0),
            at(7, 21, 11, 0),
            "Loja do Cidadão, Porto",
            categories=("Admin",),
        ),
        Ev(
            "ikea",
            "IKEA Matosinhos",
            at_time(ikea, 10, 0),
            at_time(ikea, 13, 0),
            "IKEA Matosinhos",
            "Wardrobe, study shelves, balcony lamp.",
        ),
        Ev(
            "geres",
            "Gerês weekend",
            d(8, 15),
            d(8, 18),
            "Campo do Gerês",
            "Arado waterfall trail; camping.",
            categories=("Friends",),
        ),
        Ev("vacation", "Vacation", d(8, 18), d(8, 30), "", "Out of office.", categories=("Personal",)),
        Ev(
            "miguel-start",
            "Miguel starts at Atelier Douro",
            d(9, 1),
            d(9, 2),
            "Atelier Douro Arquitetos, Porto",
            categories=("Family",),
        ),
        Ev(
            "anniversary",
            "Anniversary dinner",
            s.anniversary,
            s.anniversary + timedelta(hours=2, minutes=30),
            "Taberna Flor de Sal, Ribeira, Porto",
            "Five years! Table by the window.",
            categories=("Personal",),
        ),
    ]


def singles_autumn(s: Story) -> list[Ev]:
    """One-off events from October: Berlin, family visits, the cut-over, Christmas."""
    y = s.year
    d = s.day
    at = s.at
    return [
        Ev(
            "flight-ber",
            "Flight TP 1524 OPO → BER",
            datetime(y, 10, 7, 16, 5, tzinfo=UTC),
            datetime(y, 10, 7, 19, 15, tzinfo=UTC),
            "Porto Airport (OPO)",
            "Booking ref K7Q2ZP.",
        ),
        Ev("backendconf", "BackendConf Berlin", s.berlin, s.berlin + timedelta(days=2), "Berlin", categories=("Work",)),
        Ev(
            "talk",
            "My talk: Idempotency keys at scale",
            datetime(y, 10, 8, 11, 30, tzinfo=BERLIN),
            datetime(y, 10, 8, 12, 10, tzinfo=BERLIN),
            "Hall B, BackendConf Berlin",
            "40 minutes with questions.",
            categories=("Work",),
            alarm_minutes=30,
        ),
        Ev(
            "flight-opo",
            "Flight TP 1525 BER → OPO",
            datetime(y, 10, 10, 8, 0, tzinfo=UTC),
            datetime(y, 10, 10, 11, 20, tzinfo=UTC),
            "Berlin Brandenburg (BER)",
            "Booking ref K7Q2ZP.",
        ),
        Ev("teresa", "Teresa visits", d(10, 18), d(10, 21), "Home", "Guest room.", categories=("Family",)),
        Ev(
            "cutover",
            "Ledger cut-over",
            at(11, 2, 6, 0),
            at(11, 2, 8, 0),
            "Google Meet",
            "I own the reconciliation job.",
            "jose",
            ("me", "bjorn", "tom"),
            categories=("Work",),
        ),
        Ev("magusto", "Lisbon weekend (magusto)", d(11, 8), d(11, 11), "Lisboa", categories=("Family",)),
        Ev(
            "review",
            "Performance review with Tom",
            at(12, 4, 11, 0),
            at(12, 4, 12, 0),
            "Google Meet",
            "",
            "tom",
            ("me",),
            categories=("Work",),
        ),
        Ev(
            "train-xmas",
            "Train to Lisbon",
            at(12, 23, 14, 52),
            at(12, 23, 17, 50),
            "Porto Campanhã → Lisboa Santa Apolónia",
        ),
        Ev(
            "consoada",
            "Consoada at Mãe's",
            at(12, 24, 20, 0),
            at(12, 24, 23, 30),
            "Casa da Mãe, Benfica",
            "We bring the bacalhau.",
            categories=("Family",),
        ),
        Ev(
            "nye",
            "New Year's Eve at Hugo's",
            at(12, 31, 21, 0),
            at(12, 31, 23, 59),
            "Rua do Bonfim 214, 1.º Dto",
            categories=("Friends",),
        ),
    ]


FILLER = [
    ("Coffee with José", "Café Tati"),
    ("Lunch with Lena", "Cantina LX"),
    ("Gym", "Ginásio do bairro"),
    ("Coffee with Chloé", "Fábrica Coffee Roasters"),
    ("Lunch with Priya", "Mercado do Bolhão"),
    ("Pick up parcel", "CTT"),
    ("Call the bank", "Phone"),
    ("Drinks with Rui", "Park bar"),
    ("Dinner at Inês'", "Cedofeita"),
    ("Bike repair", "Bicicletaria Central"),
    ("Concert: Capicua", "Coliseu"),
    ("Cinema with Miguel", "Cinema Trindade"),
]


def filler(s: Story, n: int) -> list[Ev]:
    rng = s.rng("calendar-filler")
    out = []
    for i in range(n):
        title, place = FILLER[i % len(FILLER)]
        day = date(s.year, 1, 13) + timedelta(days=rng.randrange(330))
        start = at_time(day, rng.choice([8, 12, 13, 18, 19]), rng.choice([0, 30]))
        city = s.lives_in(day)
        out.append(
            Ev(f"filler-{i}", title, start, start + timedelta(minutes=rng.choice([30, 60, 90])), f"{place}, {city}")
        )
    return out


def birthdays(s: Story) -> list[Ev]:
    out = []
    for key in ("lena", "miguel", "helena", "pedro", "teresa", "ines", "rui"):
        person = s.p(key)
        if person.birthday is None:
            continue
        b = person.birthday
        first = b.replace(year=s.year)  # the series starts this year, not at birth: no decades of past occurrences
        out.append(
            Ev(
                f"bday-{key}",
                f"{person.name}'s birthday",
                first,
                first + timedelta(days=1),
                description=f"Born {b.isoformat()}.",
                rrule={"freq": "yearly"},
                categories=("Birthday",),
            )
        )
    return out


def _address(s: Story, key: str, role: str) -> vCalAddress:
    person = s.p(key)
    email = s.work_email if key == "me" else person.email
    addr = vCalAddress(f"mailto:{email}")
    addr.params["CN"] = person.name
    if role != "ORGANIZER":
        addr.params["CUTYPE"] = "INDIVIDUAL"
        addr.params["ROLE"] = role
        addr.params["PARTSTAT"] = "ACCEPTED"
    return addr


def uid_of(s: Story, key: str) -> str:
    digest = s.digest("cal", key)
    if key.startswith("bday-") or key.startswith("filler-"):
        return s.uuid("cal", key).upper()
    return f"{digest[:26]}@calendar.mailbox.example"


def _event(s: Story, ev: Ev) -> Event:
    event = Event()
    event.add("uid", uid_of(s, ev.key))
    first = ev.start if isinstance(ev.start, datetime) else at_time(ev.start, 0, 0)
    stamp = (first - timedelta(days=9)).astimezone(UTC).replace(hour=12, minute=0)
    if stamp.year < s.year - 1:  # a birthday series starting at the birth date was created last year
        stamp = datetime(s.year - 1, 12, 1, 12, 0, tzinfo=UTC)
    event.add("dtstamp", stamp)
    event.add("created", stamp)
    event.add("last-modified", stamp)
    event.add("summary", ev.summary)
    event.add("dtstart", ev.start)
    event.add("dtend", ev.end)
    if isinstance(ev.start, date) and not isinstance(ev.start, datetime):
        event.add("transp", "TRANSPARENT")
    else:
        event.add("transp", "OPAQUE")
    event.add("status", "CONFIRMED")
    event.add("sequence", 0)
    if ev.location:
        event.add("location", ev.location)
    if ev.description:
        event.add("description", ev.description)
    if ev.categories:
        event.add("categories", list(ev.categories))
    if ev.organizer:
        event.add("organizer", _address(s, ev.organizer, "ORGANIZER"))
        for key in ev.attendees:
            event.add("attendee", _address(s, key, "REQ-PARTICIPANT"))
    if ev.rrule:
        event.add("rrule", ev.rrule)
    if ev.exdates:
        event.add("exdate", ev.exdates)
    if ev.alarm_minutes:
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", ev.summary)
        alarm.add("trigger", timedelta(minutes=-ev.alarm_minutes))
        event.add_component(alarm)
    return event


def write_calendar(s: Story, root: Path) -> tuple[list[str], int, dict[str, str]]:
    """Write ``calendar/personal.ics``; return (relative paths, event count, cal refs by event key)."""
    cal = Calendar()
    cal.add("prodid", "-//knowme//demo life//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", "Personal")
    cal.add("x-wr-timezone", "Europe/Lisbon")
    cal.add_component(_tz("Europe/Lisbon", ("WET", 0, "19701025T020000"), ("WEST", 1, "19700329T010000")))
    cal.add_component(_tz("Europe/Berlin", ("CET", 1, "19701025T030000"), ("CEST", 2, "19700329T020000")))
    holidays = [
        Ev(f"holiday-{day.isoformat()}", name, day, day + timedelta(days=1), "Portugal", categories=("Holiday",))
        for day, name in portuguese_holidays(s.year)
    ]
    events = [*recurring(s), *birthdays(s), *holidays, *singles(s)]
    events += filler(s, max(0, 80 - len(events)))
    events.sort(key=lambda e: (e.start if isinstance(e.start, datetime) else at_time(e.start, 0, 0), e.key))
    keys: dict[str, str] = {}
    for ev in events:
        cal.add_component(_event(s, ev))
        keys[ev.key] = f"cal:{uid_of(s, ev.key)}"
    path = root / "calendar" / "personal.ics"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(cal.to_ical())
    return ["calendar/personal.ics"], len(events), keys
