"""Money facts from bank transactions: recurring payments, income and large purchases.

A single transaction says little; the facts are in their patterns, so this step reads every transaction record in the
vault (``meta["transaction"]``, written by :mod:`knowme.connectors.bank`) and recomputes the ``money`` extractor's
facts about the user from scratch (cheap: a few thousand rows; it runs once after an ingest, sync or forget that
touched transactions, not per batch):

- ``recurring_payment`` / ``income`` (``cadence`` weekly, monthly, quarterly or yearly): at least three payments
  to (or from) the same payee in the same currency, most gaps within the cadence's range, most amounts within 25% of
  their median. The value reads "NETFLIX.COM: 12.99 EUR monthly"; ``valid_from`` is the first payment and
  ``valid_to`` the last one when the pattern has stopped (no payment for twice the cadence before the newest
  transaction of that account), else open. Monthly statements ingested one file at a time still add up.
- ``income`` (``cadence`` once): a single credit of at least ``[bank] large_purchase``.
- ``large_purchase``: a payment of at least ``[bank] large_purchase`` (any currency) that is not part of a pattern.

Every fact cites the transaction records it rests on, so ``forget`` of a transaction removes its support (and the
fact, when nothing else supports it) and the next recompute reflects what is left.
"""

from __future__ import annotations

import re
import statistics
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation

from knowme.config import Settings
from knowme.models import Record, stable_hash
from knowme.models.graph import USER_ID, Fact
from knowme.store.base import Store
from knowme.text.names import fold

EXTRACTOR = "money"
VERSION = "1"
#: (name, shortest gap, longest gap) in days.
CADENCES = (("weekly", 5, 9), ("monthly", 25, 35), ("quarterly", 80, 100), ("yearly", 350, 380))
MIN_REPEATS = 3
AMOUNT_SPREAD = Decimal("0.25")


@dataclass(frozen=True)
class _Tx:
    record_id: str
    day: date
    amount: Decimal
    currency: str
    payee: str
    account: str
    memo: str


def is_transaction(record: Record) -> bool:
    return record.kind == "document" and isinstance(record.meta.get("transaction"), dict)


def payee_key(payee: str) -> str:
    """The payee with store numbers, card masks, domains and punctuation removed: "SHELL OIL 5720" -> "shell oil"."""
    words = [w for w in fold(payee).split() if w != "com" and not re.search(r"\d", w)]
    return " ".join(words) or fold(payee)


def _transactions(store: Store) -> list[_Tx]:
    found = []
    for record in store.iter_records(kind="document"):
        data = record.meta.get("transaction")
        if not isinstance(data, dict) or record.timestamp is None:
            continue
        try:
            amount = Decimal(str(data.get("amount")))
        except InvalidOperation:
            continue
        found.append(_Tx(record.id, record.timestamp.date(), amount, str(data.get("currency") or ""),
                         str(data.get("payee") or ""), str(data.get("account") or ""),
                         str(data.get("memo") or "")))  # fmt: skip
    return found


def _cadence(days: Sequence[date]) -> tuple[str, int] | None:
    gaps = [(b - a).days for a, b in zip(days, days[1:], strict=False)]
    for name, low, high in CADENCES:
        fitting = sum(low <= g <= high for g in gaps)
        if gaps and fitting >= max(2, round(0.66 * len(gaps))):
            return name, high
    return None


def _steady(amounts: Sequence[Decimal]) -> bool:
    middle = statistics.median(abs(a) for a in amounts)
    close = sum(abs(abs(a) - middle) <= AMOUNT_SPREAD * middle for a in amounts)
    return close >= 0.7 * len(amounts)


def _money(amount: Decimal, currency: str) -> str:
    return f"{abs(amount):,.2f} {currency}".strip()


def _fact(predicate: str, value: str, start: date, end: date | None, evidence: str, **attributes: object) -> Fact:
    fid = stable_hash(EXTRACTOR, USER_ID, predicate, value, start.isoformat(), length=24)
    return Fact(
        id=fid,
        subject_id=USER_ID,
        predicate=predicate,
        object_value=value,
        valid_from=start.isoformat(),
        valid_to=end.isoformat() if end else None,
        recorded_at=datetime.now(UTC).isoformat(timespec="seconds"),
        confidence=0.9,
        extractor=EXTRACTOR,
        extractor_version=VERSION,
        attributes={"evidence": evidence[:300], "kind": "bank", **attributes},
    )


def update_money(store: Store, settings: Settings) -> int:
    """Recompute the money facts from every transaction in the vault; return how many there are now."""
    graph = store.graph()
    txs = _transactions(store)
    facts: list[tuple[Fact, list[str]]] = []
    newest: dict[str, date] = defaultdict(lambda: date.min)
    groups: dict[tuple[str, str, bool], list[_Tx]] = defaultdict(list)
    for tx in txs:
        newest[tx.account] = max(newest[tx.account], tx.day)
        if tx.amount != 0:
            groups[(payee_key(tx.payee), tx.currency, tx.amount < 0)].append(tx)
    patterned: set[str] = set()
    for (_key, currency, out), group in groups.items():
        group.sort(key=lambda t: t.day)
        if len(group) < MIN_REPEATS or not _steady([t.amount for t in group]):
            continue
        found = _cadence([t.day for t in group])
        if found is None:
            continue
        cadence, longest = found
        middle = Decimal(statistics.median(abs(t.amount) for t in group))
        last = group[-1].day
        stopped = (newest[group[-1].account] - last).days > 2 * longest
        payee = group[-1].payee or "unknown payee"
        value = f"{payee}: {_money(middle, currency)} {cadence}"
        evidence = f"{len(group)} {'payments to' if out else 'payments from'} {payee} from {group[0].day} to {last}"
        fact = _fact("recurring_payment" if out else "income", value, group[0].day, last if stopped else None,
                     evidence, cadence=cadence, amount=str(middle), currency=currency, payments=len(group),
                     details=group[-1].memo)  # fmt: skip
        facts.append((fact, [t.record_id for t in group]))
        patterned |= {t.record_id for t in group}
    threshold = Decimal(str(settings.bank.large_purchase))
    for tx in txs:
        if tx.record_id in patterned or threshold <= 0 or abs(tx.amount) < threshold:
            continue
        payee = tx.payee or "unknown payee"
        value = f"{payee}: {_money(tx.amount, tx.currency)}"
        if tx.amount < 0:
            fact = _fact("large_purchase", value, tx.day, tx.day, f"paid {value} on {tx.day}", amount=str(-tx.amount),
                         currency=tx.currency)  # fmt: skip
        else:
            fact = _fact("income", f"{value} once", tx.day, tx.day, f"received {value} on {tx.day}", cadence="once",
                         amount=str(tx.amount), currency=tx.currency)  # fmt: skip
        facts.append((fact, [tx.record_id]))
    with store.transaction():
        graph.delete_facts([f.id for f in graph.facts(extractor=EXTRACTOR)])
        for fact, record_ids in facts:
            graph.put_fact(fact)
            graph.add_provenance("fact", fact.id, record_ids)
    return len(facts)
