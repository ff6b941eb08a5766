"""Search questions about the demo life: what a person asks of their own mail, calendar, contacts, notes, chats and
browsing, each with the refs of every item that answers it.

``knowme eval refs`` asks them through :meth:`knowme.Vault.search` (as the demo's eight ``ask`` questions, which
come first). They are written the way people ask, mostly in other words than the items use ("my annual physical"
for a "check-up", "Who handles the rollback" for "owns the rollback switch"), and some need the other language of the
life (the lease and a thank-you are in Portuguese). The evidence lists every item that states the answer on its own (a
reply's quotation of an earlier message does not count), so ``all@k`` asks for all of them, as LoCoMo's evidence
turns do.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DemoQuestion:
    """A question about the demo life, the refs of the items that answer it, and the expected answer."""

    question: str
    expected_refs: tuple[str, ...]
    answer_hint: str


# (question, evidence as (source, key) pairs, what the answer is); daily and meeting notes are named by ``year``
QUESTIONS: tuple[tuple[str, tuple[tuple[str, str], ...], str], ...] = (
    # calendar
    (
        "What time is my annual physical, and do I have to fast?",
        (("cal", "checkup"),),
        "20 March 09:00; fasting blood test at 08:15",
    ),
    ("Which flight do I take to Berlin?", (("cal", "flight-ber"),), "TP 1524 OPO → BER on 7 October"),
    ("When do we get the keys to the new flat?", (("cal", "keys"),), "1 July at 18:00, from Beatriz at the door"),
    ("When do I have to file my taxes by?", (("cal", "irs"),), "30 June"),
    ("What should I bring to the dentist?", (("cal", "dentist"),), "the insurance card"),
    ("Who is sleeping on our sofa bed in May?", (("cal", "zoe"),), "Zoë, on 20 May"),
    ("When is my performance review with my manager?", (("cal", "review"),), "4 December at 11:00"),
    ("What's the booking reference for the Berlin trip?", (("cal", "flight-ber"), ("cal", "flight-opo")), "K7Q2ZP"),
    ("Where are we spending New Year's Eve?", (("cal", "nye"),), "at Hugo's, Rua do Bonfim 214, 1.º Dto"),
    (
        "When does Miguel start his new job?",
        (
            ("cal", "miguel-start"),
            ("note", "Projects/Move to Porto.md"),
            ("note", "Daily/{year}-03-10.md"),
            ("mail", "miguel_offer_mail"),
        ),
        "1 September, at Atelier Douro",
    ),
    (
        "Where do I go climbing in Porto, and with whom?",
        (("cal", "climbing"), ("note", "Porto Neighbourhood.md"), ("mail", "Climbing on Wednesday?")),
        "Vertigem, with Hugo",
    ),
    (
        "What am I getting at IKEA for the new flat?",
        (("cal", "ikea"), ("chat", "ikea_list"), ("mail", "IKEA Matosinhos on Saturday?")),
        "a wardrobe, study shelves and a balcony lamp",
    ),
    # notes
    ("What hydration do I use for my bread dough?", (("note", "Recipes/Sourdough.md"),), "75%"),
    (
        "How does my mother make bacalhau à Brás?",
        (("note", "Recipes/Bacalhau à Brás.md"),),
        "onions, cod, potatoes, then eggs off the heat",
    ),
    (
        "Why did we decide to leave Lisbon?",
        (("note", "Daily/{year}-03-14.md"),),
        "Miguel's dream job, cheaper rent, more space",
    ),
    ("Who is our landlord in Porto?", (("note", "Projects/Move to Porto.md"),), "Beatriz Sousa (Imóveis Norte)"),
    (
        "Which books am I reading?",
        (("note", "Reading/Books.md"),),
        "DDIA (reread), O Ano da Morte de Ricardo Reis, The Manager's Path",
    ),
    (
        "How much faster did checkout get after the connection-pool fix?",
        (("note", "Daily/{year}-05-15.md"), ("note", "Projects/Latency Budget.md"), ("mail", "pool_fix_mail")),
        "p99 from 1.8 s to 610 ms",
    ),
    (
        "What was my conference talk about?",
        (("note", "Projects/Berlin Talk.md"), ("cal", "talk")),
        "idempotency keys at scale",
    ),
    (
        "What happened to my old hiking shoes?",
        (
            ("note", "Daily/{year}-03-01.md"),
            ("chat", "shoes_died"),
            ("note", "Projects/Gerês Trip.md"),
            ("mail", "geres_reply"),
        ),
        "they fell apart on the Arrábida descent",
    ),
    ("How does Tom like to get updates?", (("note", "People/Tom Becker.md"),), "a one-line summary before details"),
    ("Who leads the Porto hub?", (("note", "People/Priya Raman.md"), ("vcf", "priya")), "Priya Raman"),
    (
        "What did we decide at the Q1 planning meeting?",
        (("note", "Meetings/{year}-01-09 Q1 Planning.md"),),
        "ledger migration first, Sofia drives checkout latency",
    ),
    (
        "What did we eat on our first night in the new place?",
        (("note", "Daily/{year}-07-12.md"),),
        "pizza on the living-room floor",
    ),
    (
        "Where's a pharmacy near the new flat?",
        (("note", "Porto Neighbourhood.md"), ("vcf", "Farmácia Bonfim")),
        "Farmácia Bonfim",
    ),
    # mail
    (
        "Which hotel is the Berlin conference putting me up in?",
        (("mail", "berlin_hotel"),),
        "Hotel Spreeblick, two nights",
    ),
    (
        "Who handles the rollback during the ledger cut-over?",
        (("mail", "cutover_plan"), ("note", "Projects/Ledger Migration.md")),
        "Björn",
    ),
    ("What is Pedro bringing for Christmas Eve?", (("mail", "xmas_plan"),), "the bolo-rei and the wine"),
    ("How many of February's pages needed no action?", (("mail", "alert_proposal"),), "48 of 61"),
    (
        "What did I tell Tom I was proudest of?",
        (("mail", "self_assessment"),),
        "the latency budget, the reconciliation job, the Porto on-call",
    ),
    (
        "How big is the deposit on the Porto flat?",
        (("mail", "lease_mail"), ("note", "Projects/Move to Porto.md")),
        "two months' rent",
    ),
    (
        "Where is the team staying for the offsite?",
        (("mail", "sintra_hotel"), ("cal", "offsite"), ("note", "Meetings/{year}-02-20 Sintra Offsite.md")),
        "Quinta da Serra, Sintra",
    ),
    # contacts
    ("What does my brother do for a living?", (("vcf", "pedro"),), "a nurse at Hospital de Santa Maria"),
    ("What's my mother's phone number?", (("vcf", "helena"),), "+351 217 654 321"),
    ("Where is José from?", (("vcf", "jose"), ("note", "People/José Núñez.md")), "Valencia"),
    ("How long have I known Lena?", (("vcf", "lena"),), "since the 2021 design sprint"),
    # chats
    ("What wouldn't fit up the stairs on moving day?", (("chat", "sofa_stairwell"),), "the sofa"),
    (
        "What did we give Mãe for her birthday?",
        (("chat", "mae_gift"), ("mail", "Mãe's birthday present")),
        "a Gulbenkian season pass",
    ),
    ("How cold was the water at the waterfall?", (("chat", "water_temp"),), "14 degrees"),
    (
        "Where did Rui book the campsite?",
        (("chat", "campsite"), ("mail", "geres_mail"), ("note", "Projects/Gerês Trip.md"), ("cal", "geres")),
        "Campo do Gerês, 15-17 August",
    ),
    (
        "How many people are on the moving crew?",
        (("chat", "movers_crew"), ("cal", "moving-truck"), ("mail", "truck_mail")),
        "three",
    ),
)


def search_questions(refs: dict[str, dict[str, str]], year: int) -> list[DemoQuestion]:
    """The questions above with their refs, from the writers' ``refs`` (source prefix -> key -> ref) for ``year``."""
    out = []
    for question, evidence, hint in QUESTIONS:
        keys = [(source, key.format(year=year)) for source, key in evidence]
        missing = [f"{source}:{key}" for source, key in keys if key not in refs.get(source, {})]
        if missing:
            raise ValueError(f"{question!r}: no demo item named {', '.join(missing)}")
        out.append(DemoQuestion(question, tuple(refs[source][key] for source, key in keys), hint))
    return out
