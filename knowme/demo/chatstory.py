"""What was said in the demo life's chats: friends and family messages, and ChatGPT conversations.

Data only; :mod:`knowme.demo.chatgen` writes it. Story lines have fixed dates that agree with the mail,
calendar and notes (the Porto decision on 14 March, moving day on 12 July, Gerês on 15-17 August, the
anniversary booking); filler lines are scattered over the year by the seed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class ChatLine:
    conversation: str
    month: int
    day: int
    hour: int
    minute: int
    who: str
    text: str
    caption: str | None = None
    key: str | None = None


@dataclass(frozen=True)
class Turn:
    role: str  # "user" or "assistant"
    text: str
    key: str | None = None


@dataclass(frozen=True)
class GptConversation:
    title: str
    when: tuple[int, int, int, int]  # month, day, hour, minute (Lisbon time)
    turns: tuple[Turn, ...]
    branch: tuple[int, str, str] | None = None  # (turn index, earlier user text, earlier assistant reply)


def U(text: str) -> Turn:
    return Turn("user", text)


def A(text: str, key: str | None = None) -> Turn:
    return Turn("assistant", text, key)


def _lines_of(conversation: str) -> Callable[..., ChatLine]:
    """A writer of ``conversation``'s lines: (month, day, hour, minute, who, text, caption=None, key=None)."""

    def line(
        month: int,
        day: int,
        hour: int,
        minute: int,
        who: str,
        text: str,
        caption: str | None = None,
        key: str | None = None,
    ) -> ChatLine:
        return ChatLine(conversation, month, day, hour, minute, who, text, caption, key)

    return line


_m, _c, _f = _lines_of("miguel"), _lines_of("crew"), _lines_of("family")


FRIENDS: tuple[ChatLine, ...] = (
    _m(1, 24, 18, 2, "miguel", "Sardinhas tonight? Zé da Mouraria at 20:00"),
    _m(1, 24, 18, 5, "me", "Yes!! Leaving the office at 19:30"),
    _m(3, 10, 17, 45, "miguel", "Call me when you can. Big news 😳"),
    _m(3, 10, 17, 50, "me", "In a meeting until 18:30, everything ok??"),
    _m(3, 10, 17, 51, "miguel", "Good news! Porto news. Tell you tonight"),
    _m(3, 14, 22, 10, "me", "Just sent you my pros and cons list. I think it's a yes ❤️"),
    _m(3, 14, 22, 12, "miguel", "It's a yes. Calling Atelier Douro tomorrow at 9"),
    _m(5, 10, 12, 3, "miguel", "📷", "Living room of the Bonfim flat with both balcony doors open in the afternoon"),
    _m(5, 10, 12, 4, "miguel", "Look at this light!!"),
    _m(5, 10, 12, 6, "me", "Bonfim. Decided."),
    _m(
        6,
        4,
        10,
        40,
        "me",
        "Movers confirmed! Duarte says a crew of three. Now I need that parking permit",
        key="movers_crew",
    ),
    _m(6, 4, 10, 42, "miguel", "You're a machine"),
    _m(7, 12, 16, 20, "miguel", "Unloading in Bonfim. The sofa does not fit the stairwell 😂", key="sofa_stairwell"),
    _m(7, 12, 16, 21, "me", "Balcony + rope. Ask Duarte, he's done it before"),
    _m(7, 26, 9, 30, "me", "IKEA list: wardrobe, study shelves, balcony lamp. Anything else?", key="ikea_list"),
    _m(7, 26, 9, 32, "miguel", "Meatballs"),
    _m(
        9,
        2,
        19,
        41,
        "miguel",
        "Booked Taberna Flor de Sal for our anniversary: the 19th at 20:30, table by the window 🥂",
        key="anniversary_booking",
    ),
    _m(9, 2, 19, 45, "me", "The one in Ribeira with the grilled octopus?? 😍"),
    _m(9, 2, 19, 46, "miguel", "That one"),
    _m(9, 19, 23, 30, "me", "Five years ❤️ best night"),
    _m(10, 7, 20, 5, "me", "Landed in Berlin. Hotel is right by the river"),
    _m(10, 8, 12, 20, "me", "Talk done!! Full room"),
    _m(10, 8, 12, 21, "miguel", "SO proud of you"),
    _m(11, 2, 7, 15, "me", "Cut-over done, going back to bed"),
    _c(2, 24, 20, 0, "rui", "Arrábida on Saturday the 1st? Portinho loop, 14 km"),
    _c(2, 24, 20, 3, "lena", "In!"),
    _c(2, 24, 20, 10, "me", "In, I'll bring snacks"),
    _c(2, 24, 21, 2, "ines", "Can't, working 😢"),
    _c(3, 1, 19, 0, "rui", "📷", "Lena on the cliff above Portinho da Arrábida at sunset"),
    _c(3, 1, 19, 5, "me", "My trail shoes died on the descent. RIP 🪦", key="shoes_died"),
    _c(3, 14, 23, 0, "me", "Crew news: Miguel and I are moving to Porto in July!"),
    _c(3, 14, 23, 2, "ines", "AAAH neighbours!!! 🎉"),
    _c(3, 14, 23, 5, "lena", "Noooo but also yay"),
    _c(7, 21, 19, 0, "rui", "Campsite booked in Campo do Gerês for 15-17 August", key="campsite"),
    _c(7, 21, 19, 4, "ines", "I'll drive from Porto, Sofia you're with me"),
    _c(7, 21, 19, 9, "me", "Deal. Shopping for new trail footwear this week"),
    _c(8, 16, 13, 12, "ines", "📷", "Arado waterfall seen from the upper pool, three people swimming"),
    _c(8, 16, 13, 13, "rui", "Water: 14 degrees. Sofia: still in", key="water_temp"),
    _c(8, 17, 20, 30, "me", "Home. Legs destroyed. Best weekend"),
    _c(12, 2, 19, 0, "lena", "Crew Christmas dinner? I'll be in Porto on the 20th"),
    _c(12, 2, 19, 8, "me", "Yes! Come to ours, the flat finally has chairs"),
    _f(1, 1, 0, 5, "helena", "Feliz Ano Novo meus filhos! ❤️"),
    _f(1, 1, 0, 7, "pedro", "Feliz ano, Mãe!"),
    _f(3, 15, 12, 30, "me", "Mãe, Pedro: news. Miguel got a job in Porto and we're moving there in July"),
    _f(3, 15, 12, 34, "helena", "Porto?! 😢 É longe... but I'm happy for you, filha"),
    _f(3, 15, 12, 40, "pedro", "Free place to stay for São João 🎉"),
    _f(7, 12, 7, 40, "me", "📷", "Empty living room in Alfama with boxes stacked by the door"),
    _f(7, 12, 7, 45, "helena", "Vou chorar 😭"),
    _f(7, 12, 21, 10, "me", "Arrived in Porto, all in one piece"),
    _f(8, 9, 9, 0, "me", "Parabéns Pedro!! 🎉"),
    _f(8, 9, 9, 20, "helena", "Parabéns meu filho ❤️"),
    _f(11, 2, 9, 5, "me", "Parabéns Mãe!! ❤️ Check your mailbox today"),
    _f(11, 2, 9, 6, "pedro", "Parabéns Mãe! 🎂"),
    _f(11, 2, 10, 30, "helena", "Um passe para a Gulbenkian!! Meus queridos ❤️", key="mae_gift"),
    _f(11, 11, 18, 0, "helena", "📷", "Roasted chestnuts in a clay pot on the kitchen table"),
    _f(12, 24, 23, 50, "pedro", "Feliz Natal família ❤️"),
)

MIGUEL_FILLER: tuple[tuple[str, str], ...] = (
    ("miguel", "Can you buy bread on the way?"),
    ("me", "Running 10 min late"),
    ("miguel", "Dinner ideas?"),
    ("me", "Did you pay the electricity?"),
    ("miguel", "Miss you"),
    ("me", "Leaving now"),
    ("miguel", "🍕 tonight?"),
    ("me", "Bring an umbrella, it's pouring"),
    ("miguel", "Where are the car keys?"),
    ("me", "On the metro"),
    ("miguel", "Home in 20"),
    ("miguel", "Your mum called"),
    ("me", "Can you call the plumber?"),
    ("miguel", "Watching the match downstairs"),
    ("me", "Bought the good olive oil"),
    ("miguel", "Lunch?"),
    ("miguel", "I'll cook tonight"),
    ("me", "Did you see my email?"),
    ("me", "Take a jacket"),
    ("miguel", "Out of coffee!"),
    ("me", "Love you"),
    ("miguel", "Meeting ran over, sorry"),
    ("me", "Train delayed 15 min"),
    ("miguel", "Got the tickets"),
    ("me", "Forgot my charger at home"),
    ("miguel", "Good luck today!"),
    ("miguel", "How did it go?"),
    ("me", "Sleeping already?"),
    ("miguel", "Wine or beer?"),
    ("me", "📷"),
    ("miguel", "Haha"),
    ("me", "On my way"),
    ("miguel", "Ok"),
    ("me", "Can you pick up the laundry?"),
    ("miguel", "Done ✅"),
    ("miguel", "Traffic on the bridge, 30 min"),
    ("me", "Do we have eggs?"),
    ("miguel", "Yes, a dozen"),
    ("me", "Call you after the standup"),
    ("miguel", "The plants need water"),
    ("me", "Booked the haircut"),
)
GROUP_FILLER: tuple[tuple[str, str], ...] = (
    ("rui", "Anyone up for a walk on Sunday?"),
    ("lena", "That tasca was incredible"),
    ("rui", "Photos in the album"),
    ("ines", "Who has my headlamp?"),
    ("rui", "Rain forecast, postpone?"),
    ("lena", "Next one: Sintra?"),
    ("ines", "😂😂😂"),
    ("me", "Happy Friday crew"),
    ("rui", "Beers Thursday?"),
    ("lena", "Who's in for the Serra da Estrela in spring?"),
    ("me", "Sent the money, thanks Rui"),
    ("ines", "Best trip ever"),
    ("lena", "Miss you guys"),
    ("rui", "New trail map arrived!"),
    ("ines", "Training for the half marathon 🏃"),
    ("me", "Ouch my knees"),
    ("rui", "Congrats Inês!!"),
    ("me", "I can drive next time"),
    ("lena", "Sunset from the miradouro 🌅"),
    ("rui", "👍"),
    ("ines", "Physio tip of the week: stretch your calves"),
    ("me", "Saved for later"),
    ("lena", "Who's coming to the design meetup?"),
    ("rui", "Trail running on Saturday, 10 km, easy pace"),
    ("ines", "My car fits four, just saying"),
    ("me", "Podcast recommendation: the one about cartography"),
)
FAMILY_FILLER: tuple[tuple[str, str], ...] = (
    ("helena", "Já chegaram?"),
    ("helena", "Ligas-me logo?"),
    ("me", "Beijinhos"),
    ("pedro", "O jantar está pronto"),
    ("helena", "Vou ao médico amanhã, é só rotina"),
    ("me", "Está frio aqui"),
    ("helena", "Parabéns pelo projeto!"),
    ("helena", "Quando vêm cá?"),
    ("helena", "Comprei laranjas do Algarve"),
    ("pedro", "Estou de noite esta semana"),
    ("helena", "Tenho saudades"),
    ("helena", "Vi uma receita nova"),
    ("pedro", "Boa viagem!"),
    ("helena", "Manda fotos da casa"),
    ("helena", "A vizinha mandou beijinhos"),
    ("pedro", "Domingo almoço?"),
    ("me", "Já viste a previsão?"),
    ("helena", "Obrigada filha ❤️"),
    ("me", "Chegou a encomenda"),
    ("helena", "Boa noite"),
    ("pedro", "🙌"),
    ("me", "Ligo amanhã"),
    ("helena", "Fiz sopa de legumes"),
    ("pedro", "Alguém viu o jogo?"),
    ("me", "Saudades vossas ❤️"),
    ("helena", "Cuidado com a chuva"),
)

POSTGRES_ANSWER = (
    'The sort is spilling to disk ("external merge Disk: 512MB"), so the report waits on I/O. Two changes:\n\n'
    "1. Raise `work_mem` for the reporting session only: `SET work_mem = '64MB';` before the query, or "
    "`ALTER ROLE reporting SET work_mem = '64MB';`. That lets the sort and the hash aggregate run in memory.\n"
    "2. Add a composite index matching the filter and the order: "
    "`CREATE INDEX CONCURRENTLY payments_account_created_idx ON payments (account_id, created_at);`\n\n"
    "With both, a query like yours usually drops from tens of seconds to well under one."
)

CHATGPT: tuple[GptConversation, ...] = (
    GptConversation(
        "Slow Postgres report query",
        (1, 28, 15, 12),
        (
            U(
                "Our monthly report query on the payments table takes 40 seconds on Postgres 15. EXPLAIN ANALYZE shows "
                "'Sort Method: external merge Disk: 512MB' and a sequential scan filtered on account_id and a "
                "created_at range. What should I change?"
            ),
            A(POSTGRES_ANSWER, key="postgres_answer"),
            U("Is 64MB safe to set globally? We have about 200 connections."),
            A(
                "Not globally: work_mem applies per sort or hash node, per connection, so 200 connections could use "
                "many gigabytes at once. Keep the default and raise it only for the reporting role or session."
            ),
        ),
    ),
    GptConversation(
        "Explain p99 latency budgets",
        (1, 15, 21, 40),
        (
            U("How do I split a p99 latency budget of 800 ms across four services called in sequence?"),
            A(
                "Percentiles don't add exactly, but for a sequential chain the sum of per-service p99s is a safe upper "
                "bound. Give each service a share proportional to its current p99 and the slack you can win back, "
                "e.g. gateway 80 ms, checkout 320 ms, ledger 250 ms, fraud 150 ms, then alert when a service exceeds "
                "its share for an hour."
            ),
        ),
        branch=(0, "What is p99?", "The 99th percentile: 99% of requests are faster than this value."),
    ),
    GptConversation(
        "Moving checklist Lisbon to Porto",
        (3, 16, 11, 5),
        (
            U("We're moving from Lisbon to Porto in July with a rented flat on both ends. Make me a checklist."),
            A(
                "Two months before: give notice to your landlord in writing, get three quotes from movers, book the "
                "moving date. One month before: parking permit from the Junta de Freguesia for the truck, transfer "
                "internet, electricity and water. After: update your address at the Finanças and on the Cartão de "
                "Cidadão, register with a new health centre (USF)."
            ),
        ),
    ),
    GptConversation(
        "Sourdough starter smells like acetone",
        (4, 6, 10, 20),
        (
            U("My sourdough starter smells like nail polish remover. Is it dead?"),
            A(
                "It's hungry, not dead. The acetone smell means it has run out of food. Feed it twice a day at 1:1:1 "
                "for two or three days and keep it around 24 °C."
            ),
        ),
    ),
    GptConversation(
        "Portuguese rental contract terms",
        (5, 18, 22, 0),
        (
            U("Landlord in Porto asks for caução of two months and a fiador. What do these mean?"),
            A(
                "The caução is a security deposit, returned after the final inspection minus any damage. A fiador is a "
                "guarantor who pays if you don't; many landlords accept more deposit months instead of a fiador."
            ),
        ),
    ),
    GptConversation(
        "Abstract for a talk on idempotency keys",
        (5, 30, 20, 45),
        (
            U("Help me write a 100-word abstract: idempotency keys in a payments ledger, lessons from a migration."),
            A(
                "Retries are inevitable; double charges are not. This talk shows how a payments ledger uses "
                "idempotency keys to make every write safe to repeat: choosing key scope and expiry, storing "
                "responses instead of just keys, and what broke when we migrated the ledger to a new database "
                "while keeping the guarantees."
            ),
        ),
    ),
    GptConversation(
        "Gerês hiking routes for a group",
        (7, 19, 18, 30),
        (
            U("Good day hikes in Peneda-Gerês for a group of four, with a swim?"),
            A(
                "The Arado waterfall trail from the Junceda viewpoint is short and ends at pools; the Trilho da "
                "Preguiça is a longer forest loop; Poço Azul near Ermida is great for swimming. Start early in "
                "August, it gets hot."
            ),
        ),
    ),
    GptConversation(
        "Python asyncio timeout pattern",
        (9, 10, 14, 5),
        (
            U("What's the modern way to put a timeout around several awaits in Python 3.11?"),
            A(
                "Use `async with asyncio.timeout(5):` around the block; it raises TimeoutError on expiry and cancels "
                "the inner task cleanly. For one call `asyncio.wait_for` still works."
            ),
        ),
    ),
    GptConversation(
        "Berlin evening near Alexanderplatz",
        (10, 1, 22, 15),
        (
            U("One free evening in Berlin near Alexanderplatz. Ideas?"),
            A(
                "Walk to Museum Island at dusk, dinner in the Nikolaiviertel, then the TV tower bar for the view "
                "if you book ahead."
            ),
        ),
    ),
    GptConversation(
        "Gift ideas for my mum",
        (10, 19, 21, 0),
        (
            U("Gift ideas for my mum, retired teacher in Lisbon who loves classical music?"),
            A(
                "A season pass for the Gulbenkian orchestra, a record of her favourite pianist on vinyl, or a day trip "
                "to the Festival de Sintra."
            ),
        ),
    ),
)
