"""Bank statements: OFX 1 (SGML) and QFX (OFX 2 XML), CSVs from three countries and a configured one; damaged input;
and the money facts the graph makes of them (recurring payments, income, large purchases), on a real vault."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

import knowme
from knowme.connectors.bank import BankCSVConnector, OFXConnector, parse_amount
from knowme.connectors.registry import detect
from knowme.errors import IngestError
from knowme.models import ItemProblem, Record
from tests.conftest import PASSPHRASE
from tests.connectors.bank_samples import (
    OFX1_HEAD,
    write_german_csv,
    write_ofx,
    write_qfx,
    write_uk_csv,
    write_us_csv,
)


def read(connector: OFXConnector | BankCSVConnector) -> tuple[list[Record], list[ItemProblem]]:
    items = list(connector.iter_records())
    return [i for i in items if isinstance(i, Record)], [i for i in items if isinstance(i, ItemProblem)]


def by_ref(records: list[Record]) -> dict[str, Record]:
    return {r.ref: r for r in records}


def test_ofx_sgml_statement(tmp_path: Path) -> None:
    path = write_ofx(tmp_path / "statement.ofx")
    [connector], skipped = detect([path])
    assert isinstance(connector, OFXConnector) and not skipped
    records, problems = read(connector)
    assert len(records) == 25 and not problems
    rent = by_ref(records)["bank:6789/RENT0"]
    assert rent.kind == "document" and rent.timestamp is not None and rent.timestamp.date().isoformat() == "2024-01-03"
    assert rent.meta["transaction"] == {
        "amount": "-950.00", "currency": "EUR", "payee": "CASA PORTO LDA", "memo": "RENT RUA DAS FLORES",
        "type": "REPEATPMT", "account": "6789",
    }  # fmt: skip
    assert "950.00 EUR to CASA PORTO LDA" in rent.text and "account ending 6789" in rent.text
    assert by_ref(records)["bank:6789/SAL0"].meta["transaction"]["amount"] == "3200.00"
    assert all("0000123456789" not in r.text + str(r.meta) + r.ref for r in records), "never the whole account"


def test_qfx_credit_card_statement(tmp_path: Path) -> None:
    records, problems = read(OFXConnector(write_qfx(tmp_path / "card.qfx")))
    assert not problems
    assert [(r.ref, r.meta["transaction"]["amount"], r.meta["transaction"]["currency"]) for r in records] == [
        ("bank:9876/CC1", "-64.50", "USD"),
        ("bank:9876/CC2", "-820.00", "USD"),
        ("bank:9876/CC3", "25.00", "USD"),
    ]


def test_a_damaged_transaction_is_a_problem_and_the_rest_are_read(tmp_path: Path) -> None:
    good = write_ofx(tmp_path / "good.ofx").read_text(encoding="ascii")
    damaged = good.replace("<TRNAMT>-12.99\n<FITID>NFX2", "<TRNAMT>twelve\n<FITID>NFX2", 1)
    assert damaged != good
    path = tmp_path / "damaged.ofx"
    path.write_text(damaged, encoding="ascii")
    records, problems = read(OFXConnector(path))
    assert len(records) == 24 and len(problems) == 1 and "transaction" in problems[0].where
    assert "bank:6789/NFX2" not in by_ref(records)


def test_an_unreadable_ofx_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.ofx"
    path.write_text("OFXHEADER:100\nDATA:OFXSGML\n<OFX><BANKMSGSRSV1>", encoding="ascii")
    with pytest.raises(IngestError, match="not a readable OFX/QFX file") as info:
        list(OFXConnector(path).iter_records())
    assert "\n" not in str(info.value)
    path.write_text(OFX1_HEAD + "<OFX><BANKMSGSRSV1><STMTTRNRS", encoding="ascii")
    with pytest.raises(IngestError, match="no bank or credit-card statement"):
        list(OFXConnector(path).iter_records())


def test_a_truncated_ofx_keeps_what_precedes_the_cut(tmp_path: Path) -> None:
    text = write_ofx(tmp_path / "full.ofx").read_text(encoding="ascii")
    cut = tmp_path / "cut.ofx"
    cut.write_text(text[: text.index("<FITID>GRO3")], encoding="ascii")
    records, problems = read(OFXConnector(cut))
    assert 10 <= len(records) < 25 and "bank:6789/SAL0" in by_ref(records)
    assert any("truncated" in p.reason for p in problems)


def test_us_csv_month_first_signed_amounts_and_a_bad_row(tmp_path: Path) -> None:
    [connector], _ = detect([write_us_csv(tmp_path / "checking.csv")])
    assert isinstance(connector, BankCSVConnector)
    records, problems = read(connector)
    assert len(records) == 11
    assert len(problems) == 1 and problems[0].where.endswith("line 13") and "amount" in problems[0].reason
    apple = next(r for r in records if "APPLE" in r.title)
    assert apple.timestamp is not None and apple.timestamp.date().isoformat() == "2024-03-22"
    assert apple.meta["transaction"]["amount"] == "-2499.00" and apple.ref.startswith("bank:checking/")
    pay = next(r for r in records if "INITECH" in r.title)
    assert pay.meta["transaction"]["amount"] == "4100.00" and pay.meta["transaction"]["currency"] == "USD"


def test_german_csv_with_preamble_windows_1252_and_decimal_comma(tmp_path: Path) -> None:
    records, problems = read(BankCSVConnector(write_german_csv(tmp_path / "Umsaetze.csv")))
    assert len(records) == 13 and not problems
    sofa = next(r for r in records if "Höffner" in r.title)
    assert sofa.meta["transaction"]["amount"] == "-1849.00" and sofa.meta["transaction"]["currency"] == "EUR"
    assert sofa.meta["transaction"]["memo"] == "Sofa" and sofa.meta["transaction"]["type"] == "Kartenzahlung"
    assert sofa.timestamp is not None and sofa.timestamp.date().isoformat() == "2024-04-15"


def test_uk_csv_paid_out_and_paid_in(tmp_path: Path) -> None:
    records, _ = read(BankCSVConnector(write_uk_csv(tmp_path / "uk.csv")))
    amounts = sorted(r.meta["transaction"]["amount"] for r in records)
    assert amounts == ["-32.00", "-32.00", "-32.00", "-32.00", "412.50"]
    refund = next(r for r in records if "HMRC" in r.title)
    assert refund.timestamp is not None and refund.timestamp.date().isoformat() == "2024-03-13"  # day-first


@pytest.mark.parametrize(
    ("text", "decimal", "expected"),
    [
        ("-1.234,56", None, "-1234.56"), ("1,234.56", None, "1234.56"), ("(12.99)", None, "-12.99"),
        ("12.99-", None, "-12.99"), ("€ 5", None, "5"), ("1 234,5", None, "1234.5"), ("1,234", ".", "1234"),
        ("7,5", None, "7.5"), ("", None, None), ("n/a", None, None),
    ],
)  # fmt: skip
def test_amounts(text: str, decimal: str | None, expected: str | None) -> None:
    assert parse_amount(text, decimal) == (Decimal(expected) if expected else None)


def make_vault(tmp_path: Path, config: str = "") -> knowme.Vault:
    home = tmp_path / "home"
    home.mkdir()
    (home / "config.toml").write_text('[llm]\nbackend = "extractive"\n' + config, encoding="utf-8")
    return knowme.open(home, PASSPHRASE)


def test_configured_columns_read_an_unusual_csv(tmp_path: Path) -> None:
    odd = tmp_path / "export.csv"
    odd.write_text("When|Who|How much|What for\n2024-02-01|Landlord|-700|February rent\n", encoding="utf-8")
    vault = make_vault(
        tmp_path,
        '[bank]\ncolumns = {date = "When", payee = "Who", amount = "How much", description = "What for"}\n'
        'currency = "CHF"\naccount = "zkb"\n',
    )
    try:
        assert detect([odd])[0] == [], "without the configuration the file is not a bank statement"
        report = vault.ingest(odd)
        assert report.total == 1 and not report.problems
        [hit] = vault.search("February rent landlord", k=1)
        assert hit.ref.startswith("bank:zkb/") and "700.00 CHF to Landlord" in hit.text
    finally:
        vault.close()


def test_money_facts_from_statements(tmp_path: Path) -> None:
    vault = make_vault(tmp_path)
    try:
        report = vault.ingest([write_ofx(tmp_path / "statement.ofx"), write_german_csv(tmp_path / "Umsaetze.csv")])
        assert report.total == 38
        facts = {(f.predicate, f.value) for f in vault.facts(about="me")}
        assert ("recurring_payment", "NETFLIX.COM: 12.99 EUR monthly") in facts
        assert ("recurring_payment", "Fitnessstudio Löwe: 29.90 EUR monthly") in facts
        assert ("income", "ACME GMBH: 3,200.00 EUR monthly") in facts
        assert ("large_purchase", "WORTEN ONLINE: 1,299.00 EUR") in facts
        assert ("large_purchase", "Möbelhaus Höffner: 1,849.00 EUR") in facts
        netflix = next(f for f in vault.facts(about="me") if f.value.startswith("NETFLIX"))
        assert netflix.valid_from == "2024-01-05" and netflix.valid_to is None and len(netflix.refs) == 6
        rent = vault.ask("How much is my rent?", as_of="2024-06-30")
        assert "950.00 EUR monthly" in rent.text and rent.citations[0].startswith("bank:6789/RENT")
        salary = vault.ask("How much is my salary?", as_of="2024-06-30")
        assert "3,200.00 EUR monthly" in salary.text

        vault.forget(query="NETFLIX", before="2024-04-01")  # three of six payments go
        left = [f for f in vault.facts(about="me") if f.value.startswith("NETFLIX")]
        assert len(left) == 1 and left[0].valid_from == "2024-04-05" and len(left[0].refs) == 3
        vault.forget(query="NETFLIX")
        assert not [f for f in vault.facts(about="me") if f.value.startswith("NETFLIX")]
    finally:
        vault.close()


def test_monthly_statements_one_file_at_a_time_add_up(tmp_path: Path) -> None:
    """Banks send one statement a month: a single payment per file is no pattern, three files are."""
    full = write_ofx(tmp_path / "all.ofx").read_text(encoding="ascii")
    head, _, rest = full.partition("<STMTTRN>")
    body, _, tail = rest.rpartition("</STMTTRN>")
    transactions = ["<STMTTRN>" + t for t in ("<STMTTRN>" + body + "</STMTTRN>").split("<STMTTRN>")[1:]]
    vault = make_vault(tmp_path)
    try:
        for month in ("202401", "202402", "202403"):
            part = tmp_path / f"statement-{month}.ofx"
            mine = [t for t in transactions if f"<DTPOSTED>{month}" in t]
            part.write_text(head + "".join(mine) + tail.lstrip("\n"), encoding="ascii")
            vault.ingest(part)
            if month == "202402":
                assert not [f for f in vault.facts(about="me") if f.value.startswith("NETFLIX")]
        netflix = [f for f in vault.facts(about="me") if f.value.startswith("NETFLIX")]
        assert [f.value for f in netflix] == ["NETFLIX.COM: 12.99 EUR monthly"] and len(netflix[0].refs) == 3
    finally:
        vault.close()
