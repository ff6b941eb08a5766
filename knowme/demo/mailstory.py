"""The demo life's email, as data: threads, replies with quotes and signatures, newsletters, notifications.

This module only decides *what* was sent (:class:`Mail` values); :mod:`knowme.demo.lifemail` writes them
with ``email.message.EmailMessage`` into ``mail/inbox.mbox`` and ``mail/sent.mbox``. Replies quote the
message they answer Gmail-style (``On Tue, 4 Feb 2025 at 17:40, Tom Becker <...> wrote:`` then ``> `` lines),
carry In-Reply-To and References, and work mail ends with an RFC 3676 ``-- `` signature. Day and month
names are spelled here, not by ``strftime``, so the output never depends on the locale.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from knowme.demo.formats import tiny_pdf
from knowme.demo.story import Story

DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

Addr = tuple[str, str]

#: Senders who write from a personal address and sign in the body, never with a ``-- `` signature.
PERSONAL = frozenset({"miguel", "helena", "pedro", "teresa", "rui", "ines", "zoe", "kenji", "hugo"})


def long_day(d: date) -> str:
    """``Thursday 20 February``."""
    return f"{DAYS[d.weekday()]} {d.day} {MONTHS[d.month - 1]}"


def short_day(d: date) -> str:
    """``20 February``."""
    return f"{d.day} {MONTHS[d.month - 1]}"


def quote_header(when: datetime, sender: Addr) -> str:
    stamp = f"{DAYS[when.weekday()][:3]}, {when.day} {MONTHS[when.month - 1][:3]} {when.year} at {when:%H:%M}"
    return f"On {stamp}, {sender[0]} <{sender[1]}> wrote:"


@dataclass(frozen=True)
class Attachment:
    filename: str
    maintype: str
    subtype: str
    data: bytes


@dataclass
class Mail:
    sender: Addr
    to: list[Addr]
    subject: str
    when: datetime
    message_id: str
    text: str | None = None
    html: str | None = None
    cc: list[Addr] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    in_reply_to: str | None = None
    references: list[str] = field(default_factory=list)
    outgoing: bool = False
    list_id: str | None = None
    key: str | None = None


@dataclass(frozen=True)
class Step:
    """One message of a thread. ``to=None`` means reply-all to the previous message."""

    who: str
    when: datetime
    body: str
    to: tuple[str, ...] | None = None
    cc: tuple[str, ...] = ()
    attach: tuple[Attachment, ...] = ()
    html: str | None = None
    key: str | None = None


class MailBook:
    """Collects the year's mail; :meth:`thread` turns :class:`Step` lists into linked, quoted messages."""

    def __init__(self, story: Story) -> None:
        self.story = story
        self.mails: list[Mail] = []
        self.keys: dict[str, str] = {}

    # ---------------------------------------------------------------- addresses and ids
    def addr(self, key: str, work: bool) -> Addr:
        person = self.story.p(key)
        if key == "me" and work:
            return (person.name, self.story.work_email)
        return (person.name, person.email)

    def message_id(self, when: datetime, domain: str, *salt: object) -> str:
        digest = self.story.digest("mail", when.isoformat(), domain, *salt)
        if domain.endswith("mailbox.example"):
            return f"CA+{digest[:22]}{digest[40:48].upper()}@mail.{domain}"
        return f"{when:%Y%m%d%H%M%S}.{digest[:16]}@{domain}"

    def signature(self, key: str, work: bool) -> str:
        if key in PERSONAL or (key == "me" and not work):
            return ""
        person = self.story.p(key)
        lines = [person.name, f"{person.title} · {person.org}" if person.org else person.title]
        if key != "me":
            lines.append(person.phone)
        return "\n\n-- \n" + "\n".join(line for line in lines if line)

    # ---------------------------------------------------------------- building
    def add(self, mail: Mail) -> Mail:
        self.mails.append(mail)
        if mail.key:
            self.keys[mail.key] = mail.message_id
        return mail

    def thread(self, subject: str, steps: list[Step], *, work: bool) -> list[Mail]:
        out: list[Mail] = []
        prev: Mail | None = None
        for n, step in enumerate(steps):
            sender = self.addr(step.who, work)
            if step.to is not None:
                to = [self.addr(k, work) for k in step.to]
                cc = [self.addr(k, work) for k in step.cc]
            elif prev is not None:
                to = [prev.sender]
                seen = {sender[1], prev.sender[1]}
                cc = []
                for a in [*prev.to, *prev.cc]:
                    if a[1] not in seen:
                        cc.append(a)
                        seen.add(a[1])
            else:
                raise ValueError(f"the first message of {subject!r} needs recipients")
            text = step.body + self.signature(step.who, work)
            if prev is not None and prev.text:
                quoted = "\n".join(f"> {line}" if line else ">" for line in prev.text.splitlines())
                text += "\n\n" + quote_header(prev.when, prev.sender) + "\n" + quoted
            mail = Mail(
                sender=sender,
                to=to,
                cc=cc,
                subject=subject if prev is None else f"Re: {subject}",
                when=step.when,
                message_id=self.message_id(step.when, sender[1].split("@")[1], subject, n),
                text=text + "\n",
                html=step.html,
                attachments=list(step.attach),
                in_reply_to=prev.message_id if prev else None,
                references=[*prev.references, prev.message_id] if prev else [],
                outgoing=step.who == "me",
                key=step.key,
            )
            out.append(self.add(mail))
            prev = mail
        return out


def pdf(filename: str, title: str, *lines: str) -> Attachment:
    return Attachment(filename, "application", "pdf", tiny_pdf(title, list(lines)))


def work_threads(book: MailBook) -> None:
    """The work story: planning, the offsite, the relocation, the Porto hub, Berlin, the ledger cut-over."""
    work_planning(book)
    work_relocation(book)
    work_porto_and_later(book)


def work_planning(book: MailBook) -> None:
    """Q1 planning and the Sintra offsite (Tom's request for the latency budget slides)."""
    s = book.story
    at = s.at
    team = ("me", "jose", "lena", "bjorn", "chloe", "daniel")
    planning = s.day(1, 9)
    book.thread(
        "Q1 planning: agenda and pre-reads",
        [
            Step(
                "tom",
                at(1, 6, 9, 5),
                f"Hi all,\n\nQ1 planning is on {long_day(planning)}, 10:00-12:30 in the Tejo "
                "room. Agenda:\n\n1. What we shipped in Q4 (Chloé)\n2. Ledger migration: scope and risks (José)\n"
                "3. Latency of the checkout API (Sofia)\n4. On-call load and alert fatigue (Björn)\n\nPre-reads are "
                "in the Q1 planning folder. Please add your comments the evening before.\n\nThanks,\nTom",
                to=team,
            ),
            Step(
                "jose",
                at(1, 6, 10, 12),
                "Thanks Tom. I'll bring the migration risk register. Short version: the "
                "double-write phase is the scary part, everything else is plumbing.",
            ),
            Step(
                "me",
                at(1, 6, 11, 40),
                "Works for me. I'll have a one-page summary of the checkout API latency: "
                "p50 is fine at 140 ms, p99 is 1.8 s and that's what we need to talk about.",
            ),
        ],
        work=True,
    )

    offsite = s.offsite
    deadline = date(s.year, 2, 18)
    book.thread(
        "Before the Sintra offsite",
        [
            Step(
                "tom",
                at(2, 4, 17, 40),
                f"Hi Sofia,\n\nOne thing before the offsite in Sintra on {short_day(offsite)}: "
                f"could you send me the p99 latency budget slides by {long_day(deadline)}? I'd like to circulate them "
                "to Chloé and the leadership group so we spend the offsite deciding, not reading.\n\nIf you have time, "
                "a rough on-call rota for Q2 would be nice too, but the latency budget slides are the must-have.\n\n"
                "Thanks!\nTom",
                to=("me",),
                key="tom_offsite",
            ),
            Step(
                "me",
                at(2, 4, 18, 2),
                f"Sure, I'll send you the p99 latency budget slides by the {deadline.day}th "
                "and take a first pass at the Q2 on-call rota.",
                key="me_offsite_reply",
            ),
            Step(
                "me",
                at(2, 17, 16, 20),
                "Here are the latency budget slides. Headline: we split the 800 ms p99 budget "
                "between the gateway (80 ms), checkout (320 ms), ledger (250 ms) and fraud checks (150 ms).\n\n"
                "The on-call rota draft is on the last slide.",
                to=("tom",),
                attach=(
                    pdf(
                        "latency-budget-q2.pdf",
                        "Checkout p99 latency budget",
                        "Gateway 80 ms",
                        "Checkout 320 ms",
                        "Ledger 250 ms",
                        "Fraud checks 150 ms",
                        "Total 800 ms",
                    ),
                ),
            ),
            Step("tom", at(2, 17, 19, 11), "Perfect, thank you. Forwarding to the leadership group."),
        ],
        work=True,
    )

    html = (
        "<html><body><p>Hi team,</p><p>For the offsite on <b>" + short_day(offsite) + "</b> we're staying at "
        "<b>Quinta da Serra</b>, Sintra (two nights). Rooms are shared in pairs, list in the sheet.</p>"
        "<ul><li>Carpool leaves Saldanha at 08:00</li><li>Bring walking shoes for the Pena park walk</li>"
        "<li>Dinner on day one at the quinta</li></ul><p>Chloé</p></body></html>"
    )
    book.thread(
        "Sintra offsite: carpool and hotel",
        [
            Step(
                "chloe",
                at(2, 10, 12, 30),
                f"Hi team,\n\nFor the offsite on {short_day(offsite)} we're staying at "
                "Quinta da Serra, Sintra (two nights). Rooms are shared in pairs, list in the sheet.\n\n"
                "- Carpool leaves Saldanha at 08:00\n- Bring walking shoes for the Pena park walk\n"
                "- Dinner on day one at the quinta\n\nChloé",
                to=("tom", *team[:5]),
                html=html,
                key="sintra_hotel",
            ),
            Step(
                "bjorn", at(2, 10, 13, 2), "I can drive three people from Saldanha at 08:00. First come, first served."
            ),
            Step("me", at(2, 10, 13, 15), "Count me in for Björn's car, please!"),
        ],
        work=True,
    )


def work_relocation(book: MailBook) -> None:
    """Telling Tom about Porto; Priya's welcome."""
    s = book.story
    at = s.at
    book.thread(
        "Relocating to Porto in July",
        [
            Step(
                "me",
                at(3, 17, 10, 20),
                "Hi Tom,\n\nHeads-up before our 1:1: Miguel has accepted a job in Porto and we "
                "are planning to move in July. I'd love to keep my role and work from the Porto hub with Priya's "
                "team. Nothing changes for the ledger and latency work, and I'm happy to come down to Lisbon for "
                "planning weeks.\n\nCan we talk about it on Thursday?",
                to=("tom",),
            ),
            Step(
                "tom",
                at(3, 17, 11, 3),
                "Congratulations to Miguel! That's absolutely fine, the Porto hub is exactly "
                "for this. Let's sort the details on Thursday; I'll ask Priya about a desk from mid-July.",
            ),
            Step("me", at(3, 17, 11, 9), "Thank you, that's a relief."),
        ],
        work=True,
    )

    first = s.porto_first_day
    book.thread(
        "Welcome to the Porto hub",
        [
            Step(
                "priya",
                at(4, 2, 9, 48),
                "Hi Sofia!\n\nTom told me the news: welcome (almost) to Porto. The hub is at "
                "Rua das Flores 120, 2nd floor, above the bookshop. We have a free desk by the window from July, and "
                f"your badge will be ready on your first day, {long_day(first)}.\n\nCome say hi if you're in town "
                "before that.\n\nPriya",
                to=("me",),
                cc=("tom",),
            ),
            Step(
                "me",
                at(4, 2, 10, 30),
                "Thank you Priya! We'll be up in May to look at flats, I'll drop by for a coffee.",
            ),
        ],
        work=True,
    )


def work_porto_and_later(book: MailBook) -> None:
    """The checkout win, the first day in Porto, Berlin, the ledger cut-over, reviews and alerts."""
    s = book.story
    at = s.at
    first = s.porto_first_day
    book.thread(
        "Checkout API: p99 after the connection-pool fix",
        [
            Step(
                "me",
                at(5, 15, 15, 5),
                "Hi all,\n\nThe connection-pool fix went out on Tuesday. Checkout p99 dropped "
                "from 1.8 s to 610 ms, comfortably inside the 800 ms budget we agreed in Sintra. The remaining tail is "
                "the fraud check call; José and I will look at caching the device fingerprints next.\n\nGraphs are on "
                "the checkout dashboard.",
                to=("tom", "jose", "bjorn", "chloe"),
                key="pool_fix_mail",
            ),
            Step("tom", at(5, 15, 15, 40), "Fantastic work. Please present this at the all-hands."),
            Step("bjorn", at(5, 15, 16, 2), "And the pager has been quiet for a week. Thank you!"),
        ],
        work=True,
    )

    book.thread(
        "Your first day at the Porto hub",
        [
            Step(
                "priya",
                at(7, 9, 11, 0),
                f"Hi Sofia,\n\nAll set for {long_day(first)}:\n\n- Badge pick-up at reception "
                "at 09:00\n- Wi-Fi: cobalto-porto (password on the fridge, as is tradition)\n- Team lunch at 13:00 at "
                "Tasca do Bolhão\n\nSee you then!\nPriya",
                to=("me",),
            ),
            Step("me", at(7, 9, 11, 25), "Can't wait. The truck comes on the 12th, so I might look slightly tired."),
        ],
        work=True,
    )

    berlin = s.berlin
    book.thread(
        "BackendConf Berlin: speaker logistics",
        [
            Step(
                "sara",
                at(8, 26, 14, 0),
                f"Hi Sofia,\n\nWe're happy to confirm your talk \"Idempotency keys at scale: "
                f'lessons from a payments ledger" on {long_day(berlin)}, 11:30, Hall B (40 minutes including '
                "questions).\n\nWe cover two hotel nights at the Hotel Spreeblick. The speaker guide is attached; "
                "please send your slides by the day before.\n\nBest,\nSara",
                to=("me",),
                attach=(
                    pdf(
                        "speaker-guide.pdf",
                        "BackendConf Berlin speaker guide",
                        "Talks are 40 minutes.",
                        "Slides 16:9, send by the day before.",
                        "Speaker room: Hall B foyer.",
                    ),
                ),
                key="berlin_hotel",
            ),
            Step("me", at(8, 26, 16, 45), "Hi Sara, thank you! Flights are booked; I arrive the evening before."),
        ],
        work=True,
    )

    book.thread(
        "Ledger migration: cut-over plan",
        [
            Step(
                "jose",
                at(10, 20, 9, 30),
                "Hola equipo,\n\nAttached is the cut-over checklist for the ledger "
                "migration. Proposed window: Sunday 2 November, 06:00-08:00, read-only mode for twenty minutes. Björn "
                "owns the rollback switch, Sofia owns the reconciliation job.",
                to=("me", "bjorn", "tom"),
                attach=(
                    Attachment(
                        "cutover-checklist.csv",
                        "text",
                        "csv",
                        "step,owner,minutes\nfreeze writes,José,5\nfinal sync,Björn,10\n"
                        "reconciliation,Sofia,20\nswitch reads,Björn,5\nunfreeze,José,2\n".encode(),
                    ),
                ),
                key="cutover_plan",
            ),
            Step("bjorn", at(10, 20, 10, 2), "Rollback switch tested twice in staging. Good to go from my side."),
            Step(
                "me",
                at(10, 20, 10, 41),
                "Reconciliation job runs in 14 minutes on a production-sized copy. I'll be online from Porto at 05:45.",
            ),
        ],
        work=True,
    )

    book.thread(
        "Performance review: self-assessment",
        [
            Step(
                "tom",
                at(11, 17, 16, 0),
                "Hi Sofia,\n\nReminder that self-assessments are due on 28 November. Keep "
                "it short: three things you're proud of, one thing you'd do differently.\n\nTom",
                to=("me",),
            ),
            Step(
                "me",
                at(11, 27, 18, 30),
                "Done! The three: the latency budget, the ledger reconciliation job, and "
                "setting up the Porto on-call rotation. Differently: I'd have written the Berlin talk earlier.",
                key="self_assessment",
            ),
        ],
        work=True,
    )

    book.thread(
        "Alert fatigue: proposal",
        [
            Step(
                "bjorn",
                at(3, 26, 11, 15),
                "Hi all,\n\nWe paged 61 times in February and 48 of those needed no action. "
                "Proposal: delete the disk-space warnings on the batch hosts and move the queue-depth alert to a "
                "ticket instead of a page.",
                to=("tom", "me", "jose"),
                key="alert_proposal",
            ),
            Step("me", at(3, 26, 11, 50), "+1. The queue-depth alert woke me up three times last month for nothing."),
            Step("tom", at(3, 26, 14, 5), "Agreed, go ahead."),
        ],
        work=True,
    )


def home_threads(book: MailBook) -> None:
    """The personal story: the Porto decision, the flat, the movers, family and friends."""
    home_move(book)
    home_family(book)
    home_friends_and_admin(book)


def home_move(book: MailBook) -> None:
    """The Porto offer, the flat on Rua do Bonfim and the movers."""
    s = book.story
    at = s.at
    move = s.move_day
    book.thread(
        "Porto?!",
        [
            Step(
                "miguel",
                at(3, 10, 21, 14),
                "Amor, the Atelier Douro people just called. They want me to start on 1 "
                "September in Porto. I said I'd answer by Friday. Can we talk tonight? I know it means leaving "
                "Alfama...\n\nM.",
                to=("me",),
                key="miguel_offer_mail",
            ),
            Step(
                "me",
                at(3, 10, 21, 30),
                "Talk tonight, yes. Honestly I think we should do it. Cobalto has the Porto "
                "hub with Priya, I'll ask Tom next week.",
            ),
            Step("miguel", at(3, 10, 21, 33), "❤️ ok. I'll make dinner."),
        ],
        work=False,
    )

    book.thread(
        "T2 na Rua do Bonfim: visita sábado",
        [
            Step(
                "beatriz",
                at(5, 6, 15, 20),
                "Boa tarde Sofia,\n\nConfirmo a visita ao T2 na Rua do Bonfim 214, 3.º Esq., "
                "no sábado às 11h00. O apartamento tem duas varandas e a renda é de 1.150 € por mês, condomínio "
                "incluído.\n\nCumprimentos,",
                to=("me",),
                key="flat_viewing_mail",
            ),
            Step("me", at(5, 6, 18, 2), "Obrigada Beatriz, lá estaremos às 11h com o Miguel.\n\nSofia"),
        ],
        work=False,
    )

    book.thread(
        "Contrato de arrendamento: Rua do Bonfim 214",
        [
            Step(
                "beatriz",
                at(5, 20, 10, 0),
                "Bom dia Sofia,\n\nEnvio em anexo o contrato de arrendamento para "
                "assinatura. Início a 1 de julho, renda de 1.150 €, caução de dois meses.\n\nCumprimentos,",
                to=("me",),
                cc=("miguel",),
                attach=(
                    pdf(
                        "contrato-arrendamento.pdf",
                        "Contrato de arrendamento",
                        "Rua do Bonfim 214, 3 Esq., Porto",
                        "Inicio: 1 de julho",
                        "Renda: 1150 EUR",
                    ),
                ),
                key="lease_mail",
            ),
            Step(
                "me",
                at(5, 22, 20, 40),
                "Bom dia Beatriz,\n\nSegue o contrato assinado pelos dois.\n\nObrigada,\nSofia",
                attach=(
                    pdf(
                        "contrato-assinado.pdf",
                        "Contrato de arrendamento (assinado)",
                        "Assinado: Sofia Almeida",
                        "Assinado: Miguel Costa",
                    ),
                ),
            ),
        ],
        work=False,
    )

    quote = pdf(
        "orçamento-mudança.pdf",
        "Orcamento de mudanca Lisboa - Porto",
        "Rua dos Remedios 41 -> Rua do Bonfim 214",
        "Total: 1480 EUR (IVA incluido)",
    )
    book.thread(
        "Quote: move Lisbon → Porto",
        [
            Step(
                "duarte",
                at(6, 2, 9, 10),
                "Dear Sofia,\n\nThank you for having us over. Our quote for the move from "
                "Rua dos Remédios 41, Alfama, to Rua do Bonfim 214, Porto, is 1 480 € (VAT included), with packing "
                "materials and insurance. The quote is attached.\n\nKind regards,",
                to=("me",),
                attach=(quote,),
            ),
            Step("me", at(6, 2, 12, 55), f"Thanks Duarte, we accept. Can you do {long_day(move)}?"),
            Step(
                "duarte",
                at(6, 4, 10, 5),
                f"Dear Sofia,\n\nConfirmed: the moving truck will arrive at Rua dos Remédios "
                f"41 on {long_day(move)} at 08:00. The crew of three will load until about 12:00 and unload in Porto "
                "the same afternoon from 16:00. Please reserve parking in front of the building (the Junta de "
                "Freguesia issues the permit).\n\nKind regards,",
                key="truck_mail",
            ),
            Step("me", at(6, 4, 10, 30), "Perfect, thank you. I'll ask the Junta for the parking permit today."),
        ],
        work=False,
    )


def home_family(book: MailBook) -> None:
    """Family, the old landlady, the hiking crew."""
    s = book.story
    at = s.at
    move = s.move_day
    book.thread(
        "Moving boxes + Sunday lunch",
        [
            Step(
                "helena",
                at(6, 8, 19, 2),
                "Filha, I saved twenty boxes from the supermarket for you. Come for lunch on "
                "Sunday and take them? Pedro is coming too.\n\nBeijinhos,\nMãe",
                to=("me",),
                cc=("pedro",),
            ),
            Step(
                "me",
                at(6, 8, 20, 15),
                "Yes! We'll be there at 13:00. And please show Miguel the bacalhau à Brás, he "
                "wants to learn before we go.\n\nBeijinhos",
            ),
            Step("pedro", at(6, 8, 21, 0), "I'll bring the car so we can take the boxes in one go."),
        ],
        work=False,
    )

    book.thread(
        "Alfama flat: end of contract",
        [
            Step(
                "me",
                at(6, 10, 9, 0),
                f"Dear Fernanda,\n\nAs discussed, we will hand back the flat on {short_day(move)}. "
                f"Could we do the inspection on {short_day(date(s.year, 7, 13))}?\n\nThank you for five lovely years "
                "in Alfama.\n\nSofia",
                to=("fernanda",),
            ),
            Step(
                "fernanda",
                at(6, 10, 17, 44),
                "Olá Sofia,\n\nPode ser no dia 13 às 10h. A caução será devolvida depois "
                "da vistoria. Vou ter saudades vossas!\n\nFernanda Lopes",
            ),
        ],
        work=False,
    )

    book.thread(
        "Gerês in August?",
        [
            Step(
                "rui",
                at(7, 20, 20, 0),
                "Who's up for Gerês on 15-17 August? I'd do the Arado waterfall trail and camp "
                "in Campo do Gerês. Inês knows a tasca in Terras de Bouro with the best cabrito.\n\nRui",
                to=("me", "ines", "lena"),
                key="geres_mail",
            ),
            Step("ines", at(7, 20, 20, 31), "Sim!! I'm in Porto now too, Sofia, we can drive up together."),
            Step(
                "me",
                at(7, 20, 21, 5),
                "In! My old trail shoes finally died in Arrábida, so I'm shopping this week.",
                key="geres_reply",
            ),
            Step("lena", at(7, 21, 8, 40), "Can't, I'm in Hamburg with my parents that week 😭 Send photos."),
        ],
        work=False,
    )


def home_friends_and_admin(book: MailBook) -> None:
    """Friends abroad, the accountant, a birthday."""
    s = book.story
    at = s.at
    book.thread(
        "Magusto de São Martinho",
        [
            Step(
                "helena",
                at(11, 3, 18, 30),
                "Meninos, magusto at my place on the 11th? Chestnuts, jeropiga and the neighbours.\n\nBeijinhos,\nMãe",
                to=("me", "pedro"),
            ),
            Step("pedro", at(11, 3, 19, 2), "I'm on the night shift, I'll come for the first hour."),
            Step(
                "me",
                at(11, 3, 21, 10),
                "We'll take the Alfa Pendular down on the morning of the 8th and stay the "
                "weekend. Can't promise the 11th itself, it's a workday up here.",
            ),
        ],
        work=False,
    )

    book.thread(
        "Christmas: who brings what",
        [
            Step(
                "pedro",
                at(12, 1, 20, 5),
                "Plan for the 24th at Mãe's: I bring the bolo-rei and the wine. Sofia and "
                "Miguel, bacalhau? Mãe does the rabanadas as always.",
                to=("me", "helena"),
                key="xmas_plan",
            ),
            Step("helena", at(12, 1, 20, 40), "And Teresa is welcome if she wants to come down from Braga.\n\nMãe"),
            Step(
                "me",
                at(12, 1, 21, 15),
                "Bacalhau is ours. Teresa is spending Christmas with Miguel's sister but sends "
                "hugs. We arrive on the 23rd on the afternoon train.",
            ),
        ],
        work=False,
    )

    book.thread(
        "Paris in spring?",
        [
            Step(
                "zoe",
                at(2, 25, 19, 0),
                "Coucou Sofia! I have a conference in Lisbon in May; can I stay a night? And "
                "when are you two finally coming to Paris?\n\nBises,\nZoë",
                to=("me",),
            ),
            Step(
                "me",
                at(2, 25, 22, 12),
                "Of course! Sofa bed is yours. Paris maybe in autumn; we might be moving "
                "house this summer, long story, I'll tell you in person.",
            ),
        ],
        work=False,
    )

    book.thread(
        "Long time! Lisbon in May",
        [
            Step(
                "kenji",
                at(4, 14, 7, 30),
                "Hi Sofia,\n\nIt's been too long! I'll be in Lisbon for a week in May for Web "
                "Summit meetings. Dinner? I still think about the grilled sardines from 2019.\n\nKenji",
                to=("me",),
            ),
            Step(
                "me",
                at(4, 14, 12, 3),
                "Kenji! Yes please. Sardine season starts in June, but we'll find something. Send me your dates.",
            ),
        ],
        work=False,
    )

    book.thread(
        "IRS: documents for this year",
        [
            Step(
                "ricardo",
                at(3, 3, 11, 20),
                "Cara Sofia,\n\nFor the tax return please send me: the rent receipts for "
                "Alfama, the health expenses you don't see in e-fatura, and tell me if anything changes in your "
                "address this year.\n\nCumprimentos,",
                to=("me",),
            ),
            Step(
                "me",
                at(3, 4, 9, 0),
                "Hi Ricardo, receipts attached. And yes, we're moving to Porto in July; I'll "
                "update the address at the Finanças after the move.",
                attach=(pdf("recibos-renda.pdf", "Recibos de renda", "Janeiro a Dezembro", "Rua dos Remedios 41"),),
            ),
        ],
        work=False,
    )

    book.thread(
        "Parabéns, Lena! 🎂",
        [
            Step(
                "me",
                at(4, 23, 8, 30),
                "Happy birthday, Lena! Cake at the office at 16:00, I got pastéis from "
                "Manteigaria.\n\nBeijinhos,\nSofia",
                to=("lena",),
            ),
            Step("lena", at(4, 23, 9, 2), "Obrigada!! You remembered the pastéis ❤️"),
        ],
        work=False,
    )
