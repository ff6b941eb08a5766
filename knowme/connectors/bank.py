"""Bank statements: OFX/QFX files (read with ``ofxtools``) and CSV exports with recognised or configured columns.

Every transaction becomes a ``document`` record whose text reads like "Card payment of 12.99 EUR to NETFLIX.COM on
Friday 1 March 2024, bank account ending 1234", with the numbers in ``meta["transaction"]`` (``amount`` as a
signed decimal string, negative for money out, ``currency``, ``payee``, ``memo``, ``type``, ``account``). Refs are
``bank:<account>/<id>``: the account is the last four characters of the account number (never the whole number),
or the CSV's configured account name, or the file's stem; the id is the bank's own transaction id (OFX ``FITID``)
or, for a CSV row without one, a hash of its date, amount, text and occurrence (so re-ingesting the same file is a
no-op). The graph turns these records into money facts (recurring payments and income, large purchases: see
:mod:`knowme.extract.money`).

OFX: version 1 (SGML) and 2 (XML), bank and credit-card statements, several statements in one file. Each
``STMTTRN`` is converted on its own, so one malformed transaction is a problem in the report and the rest are read;
a file ``ofxtools`` cannot parse at all raises :class:`~knowme.errors.IngestError`.

CSV: the delimiter is sniffed; the header row may follow a preamble (account details some banks write first) and is
found among the first 30 lines; UTF-8 (with or without BOM) else Windows-1252. Columns are recognised by name in
English, German, French, Spanish, Portuguese and Dutch (date; amount, or debit and credit; payee; description;
currency; transaction id), or set in ``[bank]`` of ``config.toml`` (see docs/connectors.md). Amounts may use a
decimal comma (``1.234,56``), parentheses or a trailing minus for money out, and currency signs. Dates are
``date_format`` when configured, else ISO, else day-first or month-first decided for the whole file (a first number
over 12 means day-first, a second over 12 month-first; day-first when nothing settles it). A row that does not parse
is a problem naming its line; the other rows are read.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from knowme.connectors.base import LIKELY, NO, SURE, Connector, Cursor, aware
from knowme.connectors.investments import INVESTMENT_STATEMENT, drop_empty_elements, investment_records
from knowme.errors import IngestError
from knowme.models import ItemProblem, Record, stable_hash
from knowme.plugins import hookimpl
from knowme.text.names import fold

if TYPE_CHECKING:
    from knowme.config import BankSettings, Settings

#: Header names that identify each column of a bank CSV (compared folded: case, accents and punctuation aside).
ALIASES: dict[str, tuple[str, ...]] = {
    "date": ("date", "transaction date", "booking date", "posting date", "posted date", "value date", "trans date",
             "buchungstag", "buchungsdatum", "datum", "wertstellung", "valutadatum", "fecha", "fecha operacion",
             "fecha valor", "data", "data movimento", "data lancamento", "data operacao", "date operation",
             "date de valeur", "date comptable", "transactiedatum", "boekdatum"),
    "amount": ("amount", "transaction amount", "betrag", "umsatz", "importe", "montant", "valor", "bedrag", "value"),
    "debit": ("debit", "debit amount", "withdrawal", "withdrawals", "paid out", "money out", "soll", "cargo",
              "debito", "af", "out"),
    "credit": ("credit", "credit amount", "deposit", "deposits", "paid in", "money in", "haben", "abono", "credito",
               "bij", "in"),
    "payee": ("payee", "beneficiary", "counterparty", "merchant", "name", "recipient", "payer", "empfanger",
              "zahlungsempfanger", "beguenstigter/zahlungspflichtiger", "auftraggeber/empfanger", "beneficiario",
              "beneficiaire", "tiers", "naam / omschrijving", "naam", "tegenpartij"),
    "description": ("description", "details", "memo", "narrative", "reference", "transaction details", "particulars",
                    "verwendungszweck", "concepto", "descripcion", "libelle", "libelle operation",
                    "descricao", "omschrijving", "mededelingen"),
    "currency": ("currency", "wahrung", "moneda", "devise", "moeda", "ccy"),
    "type": ("type", "transaction type", "buchungsart", "buchungstext", "tipo", "type d'operation", "mutatiesoort"),
    "id": ("transaction id", "id", "reference number", "fitid", "transaktions-id"),
}  # fmt: skip
_FOLDED_ALIASES = {field: frozenset(fold(name) for name in names) for field, names in ALIASES.items()}
_TYPE_WORDS = {
    "POS": "Card payment", "DEBIT": "Payment", "CREDIT": "Payment received", "ATM": "Cash withdrawal",
    "CHECK": "Cheque", "DIRECTDEBIT": "Direct debit", "DIRECTDEP": "Deposit", "XFER": "Transfer", "FEE": "Bank fee",
    "SRVCHG": "Service charge", "INT": "Interest", "DIV": "Dividend", "REPEATPMT": "Standing order",
    "PAYMENT": "Payment", "CASH": "Cash", "DEP": "Deposit", "OTHER": "Transaction",
}  # fmt: skip
_OFX_SNIFF = re.compile(rb"OFXHEADER|<OFX>", re.I)


@dataclass(frozen=True)
class Transaction:
    account: str
    when: datetime
    amount: Decimal  # negative: money out
    currency: str
    payee: str
    memo: str = ""
    type: str = ""
    id: str | None = None
    account_label: str = ""  # how the text names the account ("ending 6789"); the account itself when empty


def transaction_record(source: str, tx: Transaction, native_id: str) -> Record:
    """The record of one transaction (shared by the OFX and CSV readers)."""
    out = tx.amount < 0
    size = f"{abs(tx.amount):,.2f} {tx.currency}".strip()
    what = _TYPE_WORDS.get(tx.type.upper(), "Payment" if out else "Payment received")
    if what == "Payment received" or (not out and what in ("Payment", "Transaction")):
        what = "Money received"
    party = tx.payee or tx.memo or "unknown"
    direction = "to" if out else "from"
    day = tx.when.strftime("%A %-d %B %Y")
    text = f"{what} of {size} {direction} {party} on {day}, bank account {tx.account_label or tx.account}."
    if tx.memo and tx.memo != tx.payee:
        text += f" Details: {tx.memo}"
    meta = {
        "transaction": {
            "amount": str(tx.amount), "currency": tx.currency, "payee": tx.payee, "memo": tx.memo, "type": tx.type,
            "account": tx.account,
        }
    }  # fmt: skip
    sign = "-" if out else "+"
    return Record(
        source=source,
        kind="document",
        native_id=native_id,
        ref=f"bank:{tx.account}/{native_id.split('/', 1)[-1]}",
        text=text,
        title=f"{sign}{size} {party}"[:200],
        timestamp=tx.when,
        meta=meta,
    )


def _tail(account: str) -> str:
    clean = re.sub(r"\s", "", account)
    return clean[-4:] if len(clean) > 4 else clean or "account"


# -- OFX / QFX ----------------------------------------------------------------------------------------------------
class OFXConnector(Connector):
    """OFX and QFX statements (bank and credit card)."""

    name = "bank"
    kinds = ("document",)
    suffixes = (".ofx", ".qfx")

    @classmethod
    def sniff(cls, path: Path) -> int:
        if path.is_dir():
            return NO
        try:
            with path.open("rb") as handle:
                head = handle.read(4096)
        except OSError:
            return NO
        if _OFX_SNIFF.search(head):
            return SURE
        return LIKELY if path.suffix.lower() in cls.suffixes else NO

    def iter_records(self, cursor: Cursor | None = None) -> Iterator[Record | ItemProblem]:
        from ofxtools.Parser import OFXTree

        parser = OFXTree()
        try:
            raw = self.path.read_bytes()
            if not raw.lstrip().startswith(b"<?xml"):  # OFX 1 SGML: empty elements would nest what follows them
                raw = drop_empty_elements(raw.decode("latin-1")).encode("latin-1")
            parser.parse(io.BytesIO(raw))
        except Exception as exc:  # ofxtools raises several error types for a damaged file
            first = (str(exc).strip().splitlines() or [""])[0][:200]  # it may quote the whole header
            raise IngestError(f"{self.path} is not a readable OFX/QFX file: {type(exc).__name__}: {first}") from exc
        root = parser.getroot()
        statements = [*root.iter("STMTRS"), *root.iter("CCSTMTRS")] if root is not None else []
        investments = list(root.iter(INVESTMENT_STATEMENT)) if root is not None else []
        if not statements and not investments:
            raise IngestError(f"{self.path} holds no bank or credit-card statement (it may be truncated)")
        with self.path.open("rb") as handle:
            handle.seek(max(0, self.path.stat().st_size - 512))
            if b"</OFX>" not in handle.read().upper():
                yield self.problem("", "the file ends before </OFX>: it may be truncated; what precedes is read")
        for statement in investments:
            cash = partial(self._transaction, seen=Counter())
            yield from investment_records(statement, root, source=self.source, tail=_tail, bank_record=cash,
                                          problem=self.problem)  # fmt: skip
        for statement in statements:
            account = _tail(statement.findtext(".//ACCTID") or "")
            currency = (statement.findtext("CURDEF") or "").strip().upper()
            seen: Counter[str] = Counter()
            for n, element in enumerate(statement.iter("STMTTRN"), 1):
                yield self._transaction(element, account, currency, n, seen)

    def _transaction(
        self, element: Any, account: str, currency: str, n: int, seen: Counter[str]
    ) -> Record | ItemProblem:
        """One ``STMTTRN`` as a record (a bank statement's, or the cash move of an investment account)."""
        from ofxtools.models.base import Aggregate

        try:
            trn: Any = Aggregate.from_etree(element)
            fitid = str(trn.fitid or "").strip()
            tx = Transaction(
                account=account,
                when=aware(trn.dtposted) or aware(trn.dtuser),  # type: ignore[arg-type]
                amount=Decimal(trn.trnamt),
                currency=(trn.currency.cursym if trn.currency is not None else currency) or currency,
                payee=" ".join(str(trn.name or (trn.payee.name if trn.payee else "") or "").split()),
                memo=" ".join(str(trn.memo or "").split()),
                type=str(trn.trntype or ""),
                id=fitid or None,
                account_label=f"ending {account}",
            )
            if tx.when is None:
                raise ValueError("no date")
        except Exception as exc:  # one damaged transaction: report it, read the others
            return self.problem(f"transaction {n} of account ending {account}", exc)
        key = tx.id or stable_hash(tx.when.isoformat(), str(tx.amount), tx.payee, tx.memo, length=16)
        seen[key] += 1
        suffix = f"-{seen[key]}" if seen[key] > 1 else ""
        return transaction_record(self.source, tx, f"{account}/{key}{suffix}")


# -- CSV ------------------------------------------------------------------------------------------------------------
def _read_text(path: Path) -> str:
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1")


def _columns(header: Sequence[str], configured: Mapping[str, str]) -> dict[str, int]:
    """Which index holds each field, from configured names first, then the aliases."""
    folded = [fold(re.sub(r"\s*\([A-Za-z]{3}\)\s*$", "", h)) for h in header]  # "Betrag (EUR)" is "betrag"
    found: dict[str, int] = {}
    for field_name, wanted in configured.items():
        if wanted and fold(wanted) in folded:
            found[field_name] = folded.index(fold(wanted))
    for field_name, names in _FOLDED_ALIASES.items():
        if field_name in found:
            continue
        for i, name in enumerate(folded):
            if name in names and i not in found.values():
                found[field_name] = i
                break
    return found


def _usable(columns: Mapping[str, int]) -> bool:
    has_amount = "amount" in columns or ("debit" in columns and "credit" in columns)
    return "date" in columns and has_amount and ("payee" in columns or "description" in columns)


def parse_amount(value: str, decimal: str | None = None) -> Decimal | None:
    """A signed amount from a bank's text: ``-1.234,56``, ``(12.99)``, ``12.99-``, ``€ 5``, ``1 234,56``."""
    text = value.strip().replace("\u00a0", " ").replace("\u202f", " ")
    if not text:
        return None
    negative = text.startswith("(") and text.endswith(")") or text.endswith("-") or text.startswith("-")
    digits = re.sub(r"[^\d.,]", "", text)
    if not digits or not re.search(r"\d", digits):
        return None
    if decimal is None:  # the last separator followed by one or two digits is the decimal point
        m = re.search(r"[.,](\d{1,2})$", digits)
        decimal = digits[m.start()] if m else "."
        if m is None and digits.count(",") == 1 and digits.count(".") == 0 and len(digits.split(",")[1]) != 3:
            decimal = ","
    thousands = "," if decimal == "." else "."
    normal = digits.replace(thousands, "").replace(decimal, ".")
    try:
        amount = Decimal(normal)
    except InvalidOperation:
        return None
    return -amount if negative else amount


_DATE_PARTS = re.compile(r"^\s*(\d{1,4})[./-](\d{1,2})[./-](\d{1,4})")


def _day_first(values: Sequence[str]) -> bool:
    for value in values:
        m = _DATE_PARTS.match(value)
        if not m or len(m.group(1)) == 4:
            continue
        if int(m.group(1)) > 12:
            return True
        if int(m.group(2)) > 12:
            return False
    return True


def parse_day(value: str, *, date_format: str | None, day_first: bool) -> date | None:
    from dateutil import parser as dateparser

    text = value.strip()
    if not text:
        return None
    if date_format:
        return datetime.strptime(text, date_format).date()
    if re.match(r"^\d{4}-\d{2}-\d{2}", text):
        return date.fromisoformat(text[:10])
    return dateparser.parse(text, dayfirst=day_first).date()


class BankCSVConnector(Connector):
    """Bank statements exported as CSV (columns recognised by name, or configured in ``[bank]``)."""

    name = "bank-csv"
    kinds = ("document",)
    suffixes = (".csv",)

    def __init__(self, path: Path | str) -> None:
        super().__init__(path)
        from knowme.config import BankSettings

        self.bank: BankSettings = BankSettings()

    def configure(self, settings: Settings) -> None:
        self.bank = settings.bank

    @classmethod
    def sniff_configured(cls, path: Path, settings: Settings | None) -> int:
        if path.is_dir() or path.suffix.lower() != ".csv":
            return NO
        try:
            with path.open("rb") as handle:
                head = handle.read(8192).decode("utf-8", "ignore")
        except OSError:
            return NO
        configured = settings.bank.columns if settings is not None else {}
        for line in head.splitlines()[:30]:
            for delimiter in ",;\t|":
                fields = next(csv.reader([line], delimiter=delimiter), [])
                if len(fields) >= 3 and _usable(_columns(fields, configured)):
                    return LIKELY
        return NO

    @classmethod
    def sniff(cls, path: Path) -> int:
        return cls.sniff_configured(path, None)

    def _table(self, text: str) -> tuple[int, list[str], dict[str, int], csv.Dialect | type[csv.Dialect]]:
        lines = text.splitlines()
        for i, line in enumerate(lines[:30]):
            for delimiter in [self.bank.delimiter] if self.bank.delimiter else [",", ";", "\t", "|"]:
                fields = next(csv.reader([line], delimiter=delimiter), [])
                columns = _columns(fields, self.bank.columns)
                if len(fields) >= 3 and _usable(columns):
                    try:
                        dialect = csv.Sniffer().sniff("\n".join(lines[i : i + 20]), delimiters=delimiter)
                    except csv.Error:
                        dialect = csv.excel
                    return i, fields, columns, dialect
        raise IngestError(
            f"{self.path}: no header row with a date, an amount (or debit and credit) and a payee or description "
            "column; name the columns in [bank] columns of config.toml (see docs/connectors.md)"
        )

    def iter_records(self, cursor: Cursor | None = None) -> Iterator[Record | ItemProblem]:
        text = _read_text(self.path)
        start, header, columns, dialect = self._table(text)
        rows = list(csv.reader(io.StringIO("\n".join(text.splitlines()[start + 1 :])), dialect))
        account = self.bank.account or re.sub(r"[^\w.-]+", "-", self.path.stem)[:40]

        def cell(row: Sequence[str], name: str) -> str:
            i = columns.get(name)
            return row[i].strip() if i is not None and i < len(row) else ""

        day_first = _day_first([cell(r, "date") for r in rows[:500]])
        amount_header = header[columns.get("amount", columns.get("debit", 0))]
        named = re.search(r"\(([A-Za-z]{3})\)", amount_header)  # "Betrag (EUR)", "Amount (GBP)"
        header_currency = named.group(1) if named else ""
        seen: Counter[str] = Counter()
        for n, row in enumerate(rows, start + 2):
            if not any(field.strip() for field in row):
                continue
            try:
                day = parse_day(cell(row, "date"), date_format=self.bank.date_format, day_first=day_first)
                if day is None:
                    raise ValueError("no date")
                amount = self._amount(row, columns, cell)
                payee, memo = " ".join(cell(row, "payee").split()), " ".join(cell(row, "description").split())
                tx = Transaction(
                    account=account,
                    when=aware(day),  # type: ignore[arg-type]
                    amount=amount,
                    currency=(cell(row, "currency") or header_currency or self.bank.currency).upper(),
                    payee=payee or memo,
                    memo=memo if payee else "",
                    type=cell(row, "type"),
                    id=cell(row, "id") or None,
                )
            except (ValueError, OverflowError) as exc:
                yield self.problem(f"line {n}", exc)
                continue
            key = tx.id or stable_hash(day.isoformat(), str(amount), tx.payee, tx.memo, length=16)
            seen[key] += 1
            suffix = f"-{seen[key]}" if seen[key] > 1 else ""
            yield transaction_record(self.source, tx, f"{account}/{key}{suffix}")

    def _amount(self, row: Sequence[str], columns: Mapping[str, int], cell: Any) -> Decimal:
        decimal = self.bank.decimal
        if "amount" in columns:
            amount = parse_amount(cell(row, "amount"), decimal)
        else:
            debit = parse_amount(cell(row, "debit"), decimal)
            credit = parse_amount(cell(row, "credit"), decimal)
            amount = (credit or Decimal(0)) - abs(debit or Decimal(0)) if (debit or credit) else None
        if amount is None:
            raise ValueError("no amount")
        return amount


@hookimpl
def register_connectors() -> list[type[Connector]]:
    return [OFXConnector, BankCSVConnector]
