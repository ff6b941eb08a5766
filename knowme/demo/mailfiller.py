"""The everyday background of the demo inbox: newsletters, notifications, receipts and small work threads.

Newsletters are HTML-only (no text/plain part), as many real ones are; the shop newsletter and train
tickets are multipart/alternative; train tickets and bank statements carry PDF attachments. Code-review
notifications come in pairs (review requested, then merged) threaded with In-Reply-To. Small work
threads are drawn from a pool with the seed, so their days and order change with the seed while the
story threads in :mod:`knowme.demo.mailstory` stay put.
"""

from __future__ import annotations

import html as htmllib
from datetime import date, timedelta

from knowme.demo.mailstory import MONTHS, Mail, MailBook, Step, pdf
from knowme.demo.story import at_time, workdays

BACKEND_TOPICS = [
    (
        "Idempotency keys, properly",
        "Why retries without idempotency keys double-charge customers, and a schema that makes duplicates impossible.",
    ),
    (
        "The outbox pattern in practice",
        "Publishing events from the same transaction as your writes, with a poller that survives restarts.",
    ),
    ("Postgres vacuum for humans", "Autovacuum thresholds, bloat, and the three settings worth touching."),
    ("Tail latency is a product problem", "How p99 budgets turn arguments into arithmetic."),
    ("Feature flags that don't rot", "Expiry dates, owners and a weekly report of stale flags."),
    ("Structured logging on a budget", "Sampling, cardinality and when to stop logging request bodies."),
    ("Backpressure, explained with queues at the post office", "Bounded queues, load shedding and honest 503s."),
    ("Zero-downtime schema changes", "Expand, migrate, contract: the boring recipe that always works."),
    ("Connection pools: the hidden bottleneck", "Pool sizing from first principles and Little's law."),
    ("Reading EXPLAIN ANALYZE without fear", "Nested loops, hash joins and when the planner is lying."),
    ("Testing with real databases", "Ephemeral Postgres in CI in under two seconds."),
    ("Rate limiting with token buckets", "A Redis script, a Postgres version and the edge cases."),
    ("On-call without burnout", "Alert budgets, follow-the-sun and paying people for pages."),
]
PORTO_EVENTS = [
    "Python Porto meetup at UPTEC",
    "Product night at Porto Digital",
    "Women in Tech Porto breakfast",
    "Rust Porto: async in anger",
    "Data Engineering Porto at Palácio do Freixo",
    "Startup Porto demo day",
    "Porto Codes: accessibility talks",
    "Frontend Porto at Maus Hábitos",
]
LISBON_EVENTS = [
    "Fado night at the Museu do Fado",
    "Open-air cinema at Largo do Carmo",
    "Festas de Lisboa: arraial in Alfama",
    "Jazz em Agosto preview",
    "Book fair at Parque Eduardo VII",
    "Exhibition at MAAT: Light and Water",
]
SHOP_TOPICS = [
    ("Rain shells for the north", "Three-layer jackets tested in the Serra da Estrela."),
    ("Tents for two", "Lightweight tents under 2 kg for summer trips."),
    ("Merino base layers", "Why wool beats synthetics on multi-day hikes."),
    ("Trekking poles: carbon or aluminium?", "Our guide to picking poles."),
    ("Summer sale: up to 40% off", "Backpacks, sleeping bags and headlamps."),
    ("Map of the month: Peneda-Gerês", "Our favourite day hikes around Campo do Gerês."),
]
PR_TITLES = [
    "Fix rounding in FX conversion",
    "Add idempotency key to refunds endpoint",
    "Cache device fingerprints",
    "Bump psycopg to 3.2",
    "Reconciliation job: stream rows instead of loading all",
    "Remove legacy v1 webhooks",
    "Add p99 latency panel to checkout dashboard",
    "Ledger: double-write behind a flag",
    "Retry with jitter in fraud client",
    "Split settlement worker by currency",
    "Drop unused index on payments.created_at",
    "Migrate batch jobs to the new scheduler",
    "Add read-only mode switch",
    "Document the cut-over runbook",
    "Pin Python to 3.12 in CI",
]
SMALL_THREADS = [
    ("jose", "Lunch tomorrow?", "Lunch tomorrow at the Cervejaria? Björn is in.", "Yes! 12:30?", "12:30 it is."),
    (
        "chloe",
        "Roadmap doc comments",
        "I left comments on the Q3 roadmap doc, mostly on the refunds section.",
        "Thanks, replied inline. Refunds v2 needs the idempotency work first.",
        "Makes sense, I'll move it to Q4.",
    ),
    (
        "bjorn",
        "Staging is down",
        "Staging Postgres ran out of disk again. I'm resizing it now, ~20 minutes.",
        "Thanks for the heads-up, I'll hold the deploy.",
        "Back up. Deploy away.",
    ),
    (
        "daniel",
        "Flaky test in checkout suite",
        "test_refund_partial_capture fails about 1 in 30 runs in CI. Timezone issue?",
        "Probably the midnight boundary; it uses date.today(). I'll pin the clock in the test.",
        "Confirmed, green for 200 runs now.",
    ),
    (
        "lena",
        "Error messages for the payment form",
        "Can you check the new copy for the declined-card errors? Figma link in the ticket.",
        "Looks great. One nit: 'insufficient funds' should not blame the user.",
        "Changed to 'The bank declined this payment'.",
    ),
    (
        "tom",
        "Hiring loop on Friday",
        "Can you do the system design interview on Friday at 15:00?",
        "Yes, I'll take it.",
        "Thank you!",
    ),
    (
        "priya",
        "Data export for finance",
        "Finance wants a monthly export of settled payments. Can the ledger expose a view?",
        "Yes, a read replica view is easy. I'll write it up.",
        "Perfect, thanks.",
    ),
    (
        "jose",
        "Code review etiquette",
        "Proposal: reviews within one working day, and 'nit:' prefix for optional comments.",
        "+1 from me.",
        "Adopted, I'll add it to the handbook.",
    ),
    (
        "bjorn",
        "Postmortem: settlement delay",
        "Draft postmortem for Tuesday's settlement delay is in the wiki. Please check the timeline.",
        "Timeline looks right. Add that the retry queue was paused by hand.",
        "Added, thanks.",
    ),
    (
        "chloe",
        "Customer call recap",
        "Recap of the call with the marketplace customer: they want webhooks for partial refunds.",
        "Doable after the refunds idempotency work.",
        "I'll tell them Q4.",
    ),
    (
        "daniel",
        "Release checklist",
        "I updated the release checklist with the new smoke tests.",
        "Thanks!",
        "Let me know if anything's unclear.",
    ),
    (
        "tom",
        "Conference budget",
        "You have budget for one conference this year. Thinking of Berlin?",
        "Yes, I submitted a talk to BackendConf Berlin.",
        "Great, fingers crossed.",
    ),
    (
        "priya",
        "Porto hub coffee machine",
        "The hub voted: we're getting a proper espresso machine.",
        "Best news this week.",
        "Installation on Thursday.",
    ),
    (
        "jose",
        "Spanish tortilla debate",
        "Settle this: onion or no onion?",
        "Onion. Always.",
        "Finally someone with taste.",
    ),
    (
        "lena",
        "Design crit on Thursday",
        "Join the design crit on Thursday? We're reviewing the new receipts.",
        "Sure, I'll bring the API constraints.",
        "Amazing, see you there.",
    ),
    (
        "bjorn",
        "Disk alerts removed",
        "The disk-space warnings on the batch hosts are gone as agreed.",
        "Thank you! Fewer pages already.",
        "That's the idea.",
    ),
]


def _newsletter_html(title: str, intro: str, items: list[tuple[str, str]], footer: str) -> str:
    rows = "".join(
        f'<tr><td style="padding:12px 0"><h2 style="font-size:18px;margin:0">{htmllib.escape(h)}</h2>'
        f'<p style="margin:4px 0 0">{htmllib.escape(p)}</p></td></tr>'
        for h, p in items
    )
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8"><title>' + htmllib.escape(title) + "</title></head>"
        '<body style="font-family:Georgia,serif;background:#f6f3ee"><table width="600" align="center">'
        f'<tr><td><h1 style="font-size:24px">{htmllib.escape(title)}</h1><p>{htmllib.escape(intro)}</p></td></tr>'
        f'{rows}<tr><td style="font-size:11px;color:#777">{htmllib.escape(footer)} · '
        '<a href="https://example.com/unsubscribe">Unsubscribe</a></td></tr></table></body></html>'
    )


def newsletters(book: MailBook) -> None:
    s = book.story
    rng = s.rng("newsletters")
    me = book.addr("me", False)
    work_me = book.addr("me", True)
    day = date(s.year, 1, 7)
    n = 0
    while day.year == s.year:  # The Pragmatic Backend: every second Tuesday, HTML only.
        title, blurb = BACKEND_TOPICS[n % len(BACKEND_TOPICS)]
        extra = BACKEND_TOPICS[(n + 5) % len(BACKEND_TOPICS)]
        when = at_time(day, 7, 0)
        sender = ("The Pragmatic Backend", "newsletter@pragmaticbackend.example")
        body = _newsletter_html(
            f"The Pragmatic Backend #{112 + n}: {title}",
            "This fortnight's essay and links.",
            [(title, blurb), extra, ("Job of the week", "Staff engineer, payments, remote EU.")],
            "You subscribed at pragmaticbackend.example",
        )
        book.add(
            Mail(
                sender,
                [work_me],
                f"#{112 + n}: {title}",
                when,
                book.message_id(when, sender[1].split("@")[1]),
                html=body,
                list_id="<weekly.pragmaticbackend.example>",
            )
        )
        day += timedelta(days=14)
        n += 1
    for month in range(1, 7):  # Agenda Lisboa: monthly until the move.
        when = at_time(date(s.year, month, 1), 8, 30)
        picks = rng.sample(LISBON_EVENTS, 3)
        sender = ("Agenda Lisboa", "agenda@agendalisboa.example")
        body = _newsletter_html(
            f"Agenda Lisboa · {MONTHS[month - 1]}",
            "What's on in Lisbon this month.",
            [(p, "Free entry for residents. See the site for times.") for p in picks],
            "Câmara Municipal de Lisboa",
        )
        book.add(
            Mail(
                sender,
                [me],
                f"Agenda Lisboa: {MONTHS[month - 1]} highlights",
                when,
                book.message_id(when, "agendalisboa.example"),
                html=body,
                list_id="<agenda.agendalisboa.example>",
            )
        )
    day = date(s.year, 6, 6)
    while day.year == s.year and day.month <= 12:  # Porto Tech Weekly: every other Friday from June.
        when = at_time(day, 10, 0)
        picks = rng.sample(PORTO_EVENTS, 3)
        sender = ("Porto Tech Weekly", "hello@portotech.example")
        body = _newsletter_html(
            "Porto Tech Weekly",
            f"Week of {day.day} {MONTHS[day.month - 1]}.",
            [(p, "RSVP on the site; seats are limited.") for p in picks],
            "Porto Tech community",
        )
        book.add(
            Mail(
                sender,
                [me],
                f"Porto Tech Weekly: {picks[0]} and more",
                when,
                book.message_id(when, "portotech.example"),
                html=body,
                list_id="<weekly.portotech.example>",
            )
        )
        day += timedelta(days=14)
    for month in range(1, 13):  # Trilho Outdoor shop: monthly, text and HTML alternatives.
        title, blurb = SHOP_TOPICS[(month - 1) % len(SHOP_TOPICS)]
        when = at_time(date(s.year, month, 12), 18, 0)
        sender = ("Trilho Outdoor", "news@trilhooutdoor.example")
        text = f"{title}\n\n{blurb}\n\nSee the full guide at https://shop.trilhooutdoor.example/journal\n"
        body = _newsletter_html(title, blurb, [("In the shop", "Free returns for 60 days.")], "Trilho Outdoor, Porto")
        book.add(
            Mail(
                sender,
                [me],
                f"{title} | Trilho Outdoor",
                when,
                book.message_id(when, "trilhooutdoor.example"),
                text=text,
                html=body,
                list_id="<news.trilhooutdoor.example>",
            )
        )


def receipts(book: MailBook) -> None:
    s = book.story
    me = book.addr("me", False)
    trips = [
        (5, 10, "Lisboa Santa Apolónia", "Porto Campanhã", "07:09"),
        (5, 11, "Porto Campanhã", "Lisboa Santa Apolónia", "18:52"),
        (5, 31, "Lisboa Santa Apolónia", "Porto Campanhã", "09:09"),
        (11, 8, "Porto Campanhã", "Lisboa Santa Apolónia", "08:52"),
        (11, 10, "Lisboa Santa Apolónia", "Porto Campanhã", "19:09"),
        (12, 23, "Porto Campanhã", "Lisboa Santa Apolónia", "14:52"),
    ]
    for month, day, origin, dest, dep in trips:
        travel = date(s.year, month, day)
        when = at_time(travel - timedelta(days=6), 21, 14)
        sender = ("CP - Comboios de Portugal", "bilhetes@cp-tickets.example")
        text = (
            f"Alfa Pendular ticket\n\n{origin} -> {dest}\n{travel.day} {MONTHS[month - 1]} {s.year}, "
            f"departure {dep}\nCar 4, seats 41 and 42\nPassengers: Sofia Almeida, Miguel Costa\n"
        )
        html = "<html><body><pre>" + htmllib.escape(text) + "</pre></body></html>"
        ticket = pdf(
            "bilhete.pdf", "Alfa Pendular", f"{origin} -> {dest}", f"{travel.isoformat()} {dep}", "Car 4, seats 41-42"
        )
        book.add(
            Mail(
                sender,
                [me],
                f"Your ticket: {origin} → {dest}",
                when,
                book.message_id(when, "cp-tickets.example"),
                text=text,
                html=html,
                attachments=[ticket],
            )
        )
    for month in range(1, 13):
        when = at_time(date(s.year, month, 3), 6, 30)
        sender = ("Banco Atlântico", "extratos@bancoatlantico.example")
        name = MONTHS[month - 1]
        html = (
            f"<html><body><p>Olá Sofia,</p><p>Your {name} statement for the account ending 4471 is ready.</p>"
            "<p>Banco Atlântico</p></body></html>"
        )
        statement = pdf(f"extrato-{s.year}-{month:02d}.pdf", f"Extrato {name}", "Conta ...4471")
        book.add(
            Mail(
                sender,
                [me],
                f"Your {name} statement is ready",
                when,
                book.message_id(when, "bancoatlantico.example"),
                html=html,
                attachments=[statement],
            )
        )


def review_notifications(book: MailBook) -> None:
    s = book.story
    rng = s.rng("reviews")
    work_me = book.addr("me", True)
    days = workdays(s.year)
    authors = ["jose", "bjorn", "daniel", "priya", "jose", "bjorn"]
    picks = sorted(rng.sample(range(len(days) - 5), len(PR_TITLES)))
    for n, (title, index) in enumerate(zip(PR_TITLES, picks, strict=True)):
        number = 400 + n * 7 + rng.randrange(7)
        author = s.p(authors[n % len(authors)]).name
        opened = at_time(days[index], rng.randrange(9, 18), rng.randrange(60))
        sender = (author + " (Cobalto Git)", "git@cobaltolabs.example")
        subject = f"[cobalto-labs/ledger] {title} (PR #{number})"
        first = book.add(
            Mail(
                sender,
                [work_me],
                subject,
                opened,
                book.message_id(opened, "cobaltolabs.example", n),
                text=f"{author} requested your review on #{number}.\n\n{title}\n\n"
                f"https://git.cobaltolabs.example/cobalto-labs/ledger/pull/{number}\n",
            )
        )
        merged = at_time(days[index + rng.randrange(1, 5)], rng.randrange(9, 19), rng.randrange(60))
        book.add(
            Mail(
                sender,
                [work_me],
                f"Re: {subject}",
                merged,
                book.message_id(merged, "cobaltolabs.example", n),
                text=f"Merged #{number} into main.\n\n"
                f"https://git.cobaltolabs.example/cobalto-labs/ledger/pull/{number}\n",
                in_reply_to=first.message_id,
                references=[first.message_id],
            )
        )


def small_threads(book: MailBook) -> None:
    s = book.story
    rng = s.rng("small-threads")
    days = workdays(s.year)
    picks = sorted(rng.sample(range(len(days)), len(SMALL_THREADS)))
    order = list(range(len(SMALL_THREADS)))
    rng.shuffle(order)
    for index, n in zip(picks, order, strict=True):
        who, subject, opener, reply, closer = SMALL_THREADS[n]
        start = at_time(days[index], rng.randrange(9, 17), rng.randrange(60))
        book.thread(
            subject,
            [
                Step(who, start, opener, to=("me",)),
                Step("me", start + timedelta(minutes=rng.randrange(5, 90)), reply),
                Step(who, start + timedelta(minutes=rng.randrange(95, 240)), closer),
            ],
            work=True,
        )


HOME_THREADS = [
    (
        "miguel",
        1,
        22,
        "Sardinhas on the 24th?",
        "Sardinhas at Zé da Mouraria on the 24th? I'll book for 20:00.",
        "Yes please, it's been ages.",
        "Booked!",
    ),
    (
        "rui",
        3,
        2,
        "Photos from Arrábida",
        "Uploaded the Arrábida photos to the shared album. The one of Lena on the cliff is a keeper.",
        "Amazing, thank you! The light at Portinho was unreal.",
        "Next time Sintra?",
    ),
    (
        "ines",
        4,
        7,
        "Knee exercises",
        "As promised, the three exercises for your knee: wall sits, step-downs and clamshells. 3x15, every other day.",
        "Thank you Inês! Starting tonight.",
        "And no running for two weeks!",
    ),
    (
        "miguel",
        5,
        26,
        "Flat list",
        "Shortlist after Saturday: Bonfim T2 (balconies!), Cedofeita T2 (no lift), Campanhã T3 (far). I vote Bonfim.",
        "Bonfim. The balconies won me over.",
        "Telling Beatriz tomorrow.",
    ),
    (
        "pedro",
        7,
        2,
        "Van for the small stuff",
        "I can borrow the hospital friend's van on the 11th for the plants and the bikes.",
        "You're the best brother.",
        "I know.",
    ),
    (
        "miguel",
        7,
        22,
        "IKEA Matosinhos on Saturday?",
        "We need a wardrobe and shelves for the study. IKEA Matosinhos on Saturday morning?",
        "Yes, and a lamp for the balcony.",
        "List is in the notes app.",
    ),
    (
        "hugo",
        8,
        4,
        "Climbing on Wednesday?",
        "Hey neighbour! Climbing at Vertigem on Wednesday at 19:30? I have a spare harness.",
        "I'm in, thanks Hugo!",
        "See you at the door at 19:15.",
    ),
    (
        "teresa",
        9,
        29,
        "Visit in October",
        "Querida Sofia, can I come to Porto for the weekend of the 18th? I want to see the flat!\n\nTeresa",
        "Of course! The guest room is finally ready.",
        "Wonderful, I'll bring pão-de-ló.",
    ),
    (
        "pedro",
        10,
        20,
        "Mãe's birthday present",
        "Mãe turns a year older on 2 November. Joint present? She wants the Gulbenkian concert season pass.",
        "Yes! I'll send you half.",
        "Done, bought it.",
    ),
    (
        "zoe",
        12,
        10,
        "Joyeux Noël!",
        "Happy holidays to you both! Paris in spring, promise?",
        "Promise! Bisous.",
        "Holding you to it.",
    ),
]


def home_small_threads(book: MailBook) -> None:
    s = book.story
    rng = s.rng("home-threads")
    for who, month, day, subject, opener, reply, closer in HOME_THREADS:
        start = at_time(date(s.year, month, day), rng.randrange(18, 22), rng.randrange(60))
        book.thread(
            subject,
            [
                Step(who, start, opener, to=("me",), key=subject),
                Step("me", start + timedelta(minutes=rng.randrange(5, 90)), reply),
                Step(who, start + timedelta(minutes=rng.randrange(95, 240)), closer),
            ],
            work=False,
        )


def all_filler(book: MailBook) -> None:
    home_small_threads(book)
    newsletters(book)
    receipts(book)
    review_notifications(book)
    small_threads(book)
