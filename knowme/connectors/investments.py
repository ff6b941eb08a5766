"""OFX investment statements (``INVSTMTRS``) and a lenient reading of OFX 1 files the strict parser refuses.

An investment statement becomes the same money records as a bank statement (``document`` records with
``meta["transaction"]``, refs ``bank:<last 4 of the account>/<FITID>``), one per transaction:

- trades (``BUYSTOCK``, ``SELLSTOCK``, ``BUYMF``, ``SELLMF``, ``BUYDEBT``, ``SELLDEBT``, ``BUYOTHER``, ``SELLOTHER``,
  ``REINVEST``): "Bought 10 shares of Vanguard FTSE All-World (VWCE) at 95.20 EUR, 952.00 EUR on ...", the cash
  effect as the signed amount (a purchase is money out), the security, units and price in ``meta["investment"]``;
- income (``INCOME``: dividends, interest, capital gains) and return of capital;
- cash moves in the account (``INVBANKTRAN``: the ``STMTTRN`` inside, read as a bank transaction);
- positions (``INVPOSLIST``): one record per holding as of its price date,
  ``bank:<account>/pos/<security>/<date>``, with no ``transaction`` (no money moved) but ``meta["position"]``.

Securities are named from the statement's ``SECLIST`` (name and ticker), else by their CUSIP/ISIN. One damaged
transaction is a problem in the report; the rest is read.

Empty elements: ``ofxtools`` reads an OFX 1 (SGML) element with no value and no closing tag (``<MEMO>`` then a new
line, which some banks write) as the start of an aggregate, so everything after it nests inside it: the next
transactions are lost or refused. :func:`drop_empty_elements` removes such elements before parsing (an element
with no value carries nothing), so the strict parser reads the rest as the bank meant it.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime
from decimal import Decimal
from typing import Any

from knowme.connectors.base import aware
from knowme.models import ItemProblem, Record, stable_hash

__all__ = ["INVESTMENT_STATEMENT", "drop_empty_elements", "investment_records"]

INVESTMENT_STATEMENT = "INVSTMTRS"
_TRADES = {
    "BUYSTOCK": ("Bought", "invbuy"), "SELLSTOCK": ("Sold", "invsell"), "BUYMF": ("Bought", "invbuy"),
    "SELLMF": ("Sold", "invsell"), "BUYDEBT": ("Bought", "invbuy"), "SELLDEBT": ("Sold", "invsell"),
    "BUYOTHER": ("Bought", "invbuy"), "SELLOTHER": ("Sold", "invsell"), "BUYOPT": ("Bought", "invbuy"),
    "SELLOPT": ("Sold", "invsell"),
}  # fmt: skip
_INCOME_WORDS = {"DIV": "Dividend", "INTEREST": "Interest", "CGLONG": "Capital gain", "CGSHORT": "Capital gain",
                 "MISC": "Income"}  # fmt: skip
_EMPTY = re.compile(r"<([A-Z0-9.]+)>[ \t]*(?=\r?\n|<)")


def drop_empty_elements(text: str) -> str:
    """OFX 1 SGML without the elements that hold no value and are never closed (``<MEMO>`` then a new line).

    Aggregates (``<STMTTRN>``, ``<OFX>``: what ofxtools has a model for) are kept even when a truncated file never
    closes them."""
    import ofxtools.models as models

    closed = set(re.findall(r"</([A-Z0-9.]+)>", text))

    def keep(match: re.Match[str]) -> str:
        tag = match.group(1)
        return match.group(0) if tag in closed or hasattr(models, tag) else ""

    return _EMPTY.sub(keep, text)


def _day(when: datetime) -> str:
    return f"{when:%A} {when.day} {when:%B %Y}"


def _money(value: Decimal, currency: str) -> str:
    return f"{abs(value):,.2f} {currency}".strip()


def _number(value: Decimal) -> str:
    return f"{value.normalize():f}" if value == value.to_integral() else f"{value:f}".rstrip("0")


class _Securities:
    def __init__(self, root: Any) -> None:
        self.names: dict[str, tuple[str, str]] = {}
        for info in root.iter("SECINFO") if root is not None else ():
            uid = (info.findtext("SECID/UNIQUEID") or "").strip()
            if uid:
                self.names[uid] = ((info.findtext("SECNAME") or "").strip(), (info.findtext("TICKER") or "").strip())

    def describe(self, uid: str) -> str:
        name, ticker = self.names.get(uid, ("", ""))
        if name and ticker:
            return f"{name} ({ticker})"
        return name or ticker or uid or "a security"


def investment_records(
    statement: Any,
    root: Any,
    *,
    source: str,
    tail: Callable[[str], str],
    bank_record: Callable[..., Record | ItemProblem],
    problem: Callable[[str, str | BaseException], ItemProblem],
) -> Iterator[Record | ItemProblem]:
    """The records of one ``INVSTMTRS`` element (``root`` is the whole file, for its security list).

    ``bank_record(stmttrn_element, account, currency, n)`` reads an ``INVBANKTRAN``'s ``STMTTRN`` the way bank
    statements are read."""
    from ofxtools.models.base import Aggregate

    account = tail(statement.findtext("INVACCTFROM/ACCTID") or "")
    currency = (statement.findtext("CURDEF") or "").strip().upper()
    securities = _Securities(root)
    seen: Counter[str] = Counter()
    tranlist = statement.find("INVTRANLIST")
    elements = [e for e in (list(tranlist) if tranlist is not None else []) if e.tag not in ("DTSTART", "DTEND")]
    for n, element in enumerate(elements, start=1):
        tag = element.tag
        where = f"investment transaction {n} ({tag}) of account ending {account}"
        if tag == "INVBANKTRAN":
            inner = element.find("STMTTRN")
            if inner is not None:
                yield bank_record(inner, account, currency, n)
            continue
        try:
            model: Any = Aggregate.from_etree(element)
            item = _transaction(tag, model, account, currency, securities)
        except Exception as exc:  # one damaged transaction: report it, read the others
            yield problem(where, exc)
            continue
        if item is None:
            continue
        fitid, when, text, title, meta = item
        key = fitid or stable_hash(tag, when.isoformat(), text, length=16)
        seen[key] += 1
        native = f"{account}/{key}" + (f"-{seen[key]}" if seen[key] > 1 else "")
        yield Record(source=source, kind="document", native_id=native, ref=f"bank:{native}", text=text, title=title,
                     timestamp=when, meta=meta)  # fmt: skip
    yield from _positions(statement, account, currency, securities, source=source, problem=problem)


def _transaction(
    tag: str, model: Any, account: str, currency: str, securities: _Securities
) -> tuple[str, datetime, str, str, dict[str, Any]] | None:
    label = f"brokerage account ending {account}"
    if tag in _TRADES or tag == "REINVEST":
        verb, part = _TRADES.get(tag, ("Reinvested in", ""))
        detail = getattr(model, part) if part else model
        invtran = detail.invtran if part else model.invtran
        uid = str(detail.secid.uniqueid)
        units, price, total = Decimal(detail.units), Decimal(detail.unitprice), Decimal(detail.total)
        cur = (detail.currency.cursym if getattr(detail, "currency", None) is not None else currency) or currency
        security = securities.describe(uid)
        kind = "shares" if "STOCK" in tag or tag == "REINVEST" else "bonds" if "DEBT" in tag else "units"
        when = aware(invtran.dttrade)
        assert when is not None
        text = (
            f"{verb} {_number(abs(units))} {kind} of {security} at {_money(price, cur)}, {_money(total, cur)} "
            f"on {_day(when)}, {label}."
        )
        if invtran.memo:
            text += f" Details: {' '.join(str(invtran.memo).split())}"
        meta = {
            "transaction": {"amount": str(total), "currency": cur, "payee": security, "memo": str(invtran.memo or ""),
                            "type": tag, "account": account},
            "investment": {"security": uid, "name": security, "units": str(units), "unit_price": str(price),
                           "total": str(total), "action": verb.lower()},
        }  # fmt: skip
        sign = "-" if total < 0 else "+"
        return str(invtran.fitid or ""), when, text, f"{sign}{_money(total, cur)} {verb} {security}"[:200], meta
    if tag in ("INCOME", "RETOFCAP"):
        invtran = model.invtran
        uid = str(model.secid.uniqueid)
        total = Decimal(model.total)
        cur = (model.currency.cursym if getattr(model, "currency", None) is not None else currency) or currency
        what = _INCOME_WORDS.get(str(getattr(model, "incometype", "") or ""), "Income") if tag == "INCOME" else (
            "Return of capital"
        )  # fmt: skip
        security = securities.describe(uid)
        when = aware(invtran.dttrade)
        assert when is not None
        text = f"{what} of {_money(total, cur)} from {security} on {_day(when)}, {label}."
        meta = {
            "transaction": {"amount": str(total), "currency": cur, "payee": security, "memo": str(invtran.memo or ""),
                            "type": f"{tag}:{getattr(model, 'incometype', '') or ''}".rstrip(":"), "account": account},
            "investment": {"security": uid, "name": security, "total": str(total), "action": what.lower()},
        }  # fmt: skip
        return str(invtran.fitid or ""), when, text, f"+{_money(total, cur)} {what} {security}"[:200], meta
    return None  # transfers of securities, splits, journal entries: no money moved


def _positions(
    statement: Any,
    account: str,
    currency: str,
    securities: _Securities,
    *,
    source: str,
    problem: Callable[[str, str | BaseException], ItemProblem],
) -> Iterator[Record | ItemProblem]:
    from ofxtools.models.base import Aggregate

    poslist = statement.find("INVPOSLIST")
    for n, element in enumerate(list(poslist) if poslist is not None else [], start=1):
        try:
            pos: Any = Aggregate.from_etree(element).invpos
            uid = str(pos.secid.uniqueid)
            units, price, value = Decimal(pos.units), Decimal(pos.unitprice), Decimal(pos.mktval)
            cur = (pos.currency.cursym if getattr(pos, "currency", None) is not None else currency) or currency
            when = aware(pos.dtpriceasof)
            assert when is not None
        except Exception as exc:
            yield problem(f"position {n} of account ending {account}", exc)
            continue
        security = securities.describe(uid)
        day = when.date().isoformat()
        text = (
            f"Holding of {_number(units)} of {security} worth {_money(value, cur)} ({_money(price, cur)} each) on "
            f"{_day(when)}, brokerage account ending {account}."
        )
        native = f"{account}/pos/{uid}/{day}"
        yield Record(
            source=source,
            kind="document",
            native_id=native,
            ref=f"bank:{native}",
            text=text,
            title=f"{security}: {_money(value, cur)}"[:200],
            timestamp=when,
            meta={
                "position": {
                    "security": uid,
                    "name": security,
                    "units": str(units),
                    "unit_price": str(price),
                    "market_value": str(value),
                    "currency": cur,
                    "account": account,
                }
            },  # fmt: skip
        )
