"""OFX investment statements (trades, dividends, cash moves, positions) as money records, and the lenient reading of
OFX 1.02 files with empty elements, which the strict parser refuses."""

from __future__ import annotations

from pathlib import Path

import knowme
from knowme.connectors.bank import OFXConnector
from knowme.connectors.investments import drop_empty_elements
from knowme.models import ItemProblem, Record
from tests.conftest import PASSPHRASE
from tests.connectors.bank_samples import OFX1_HEAD


def _invtran(fitid: str, day: str, memo: str = "") -> str:
    return f"<INVTRAN><FITID>{fitid}<DTTRADE>{day}120000" + (f"<MEMO>{memo}" if memo else "") + "</INVTRAN>"


def _secid(uid: str) -> str:
    return f"<SECID><UNIQUEID>{uid}<UNIQUEIDTYPE>ISIN</SECID>"


def write_brokerage(path: Path) -> Path:
    """An OFX 1.02 brokerage statement as brokers send it: trades, a dividend, a cash deposit, a damaged trade,
    positions and the security list."""
    vwce, aapl, fund = "IE00BK5BQT80", "US0378331005", "PTYCXLHM0008"
    trades = (
        f"<BUYSTOCK><INVBUY>{_invtran('T1', '20240305', 'Monthly plan')}{_secid(vwce)}<UNITS>10<UNITPRICE>95.20"
        "<COMMISSION>1.00<TOTAL>-953.00<SUBACCTSEC>CASH<SUBACCTFUND>CASH</INVBUY><BUYTYPE>BUY</BUYSTOCK>\n"
        f"<SELLSTOCK><INVSELL>{_invtran('T2', '20240412')}{_secid(aapl)}<UNITS>-5<UNITPRICE>170.00<TOTAL>849.00"
        "<SUBACCTSEC>CASH<SUBACCTFUND>CASH</INVSELL><SELLTYPE>SELL</SELLSTOCK>\n"
        f"<SELLMF><INVSELL>{_invtran('T3', '20240502')}{_secid(fund)}<UNITS>-20.5<UNITPRICE>12.30<TOTAL>252.15"
        "<SUBACCTSEC>CASH<SUBACCTFUND>CASH</INVSELL><SELLTYPE>SELL</SELLMF>\n"
        f"<INCOME>{_invtran('D1', '20240615')}{_secid(vwce)}<INCOMETYPE>DIV<TOTAL>23.10<SUBACCTSEC>CASH"
        "<SUBACCTFUND>CASH</INCOME>\n"
        "<INVBANKTRAN><STMTTRN><TRNTYPE>CREDIT<DTPOSTED>20240301120000<TRNAMT>1000.00<FITID>C1"
        "<NAME>TRANSFER FROM CURRENT ACCOUNT</STMTTRN><SUBACCTFUND>CASH</INVBANKTRAN>\n"
        f"<BUYSTOCK><INVBUY>{_invtran('T9', '20240620')}{_secid(aapl)}<UNITPRICE>171.00<TOTAL>-171.00"
        "<SUBACCTSEC>CASH<SUBACCTFUND>CASH</INVBUY><BUYTYPE>BUY</BUYSTOCK>\n"  # no UNITS: damaged
    )
    positions = (
        f"<POSSTOCK><INVPOS>{_secid(vwce)}<HELDINACCT>CASH<POSTYPE>LONG<UNITS>42<UNITPRICE>118.40<MKTVAL>4972.80"
        "<DTPRICEASOF>20240628160000</INVPOS></POSSTOCK>\n"
        f"<POSMF><INVPOS>{_secid(fund)}<HELDINACCT>CASH<POSTYPE>LONG<UNITS>100<UNITPRICE>12.50<MKTVAL>1250.00"
        "<DTPRICEASOF>20240628160000</INVPOS></POSMF>\n"
    )
    seclist = (
        f"<SECLIST><STOCKINFO><SECINFO>{_secid(vwce)}<SECNAME>Vanguard FTSE All-World<TICKER>VWCE</SECINFO>"
        f"</STOCKINFO><STOCKINFO><SECINFO>{_secid(aapl)}<SECNAME>Apple Inc<TICKER>AAPL</SECINFO></STOCKINFO>"
        f"<MFINFO><SECINFO>{_secid(fund)}<SECNAME>Caixa Acções Portugal</SECINFO></MFINFO></SECLIST>"
    )
    body = (
        "<OFX><SIGNONMSGSRSV1><SONRS><STATUS><CODE>0<SEVERITY>INFO</STATUS><DTSERVER>20240701120000"
        "<LANGUAGE>ENG</SONRS></SIGNONMSGSRSV1>\n<INVSTMTMSGSRSV1><INVSTMTTRNRS><TRNUID>1<STATUS><CODE>0"
        "<SEVERITY>INFO</STATUS><INVSTMTRS><DTASOF>20240630<CURDEF>EUR<INVACCTFROM><BROKERID>broker.example"
        "<ACCTID>U7654321</INVACCTFROM>\n<INVTRANLIST><DTSTART>20240101<DTEND>20240630\n"
        f"{trades}</INVTRANLIST>\n<INVPOSLIST>\n{positions}</INVPOSLIST></INVSTMTRS></INVSTMTTRNRS>"
        f"</INVSTMTMSGSRSV1>\n<SECLISTMSGSRSV1>{seclist}</SECLISTMSGSRSV1></OFX>\n"
    )
    path.write_text(OFX1_HEAD + body, encoding="cp1252")
    return path


def write_empty_elements_ofx(path: Path) -> Path:
    """An OFX 1.02 bank statement with empty elements (a MEMO and a NAME with no value), as some banks write."""
    body = (
        "<OFX><SIGNONMSGSRSV1><SONRS><STATUS><CODE>0<SEVERITY>INFO</STATUS><DTSERVER>20240701120000"
        "<LANGUAGE>ENG</SONRS></SIGNONMSGSRSV1>\n<BANKMSGSRSV1><STMTTRNRS><TRNUID>1<STATUS><CODE>0<SEVERITY>INFO"
        "</STATUS>\n<STMTRS><CURDEF>EUR<BANKACCTFROM><BANKID>0035<ACCTID>PT50000000001234<ACCTTYPE>CHECKING"
        "</BANKACCTFROM>\n<BANKTRANLIST><DTSTART>20240101<DTEND>20240131\n"
        "<STMTTRN>\n<TRNTYPE>POS\n<DTPOSTED>20240105\n<TRNAMT>-12.99\n<FITID>E1\n<NAME>NETFLIX.COM\n<MEMO>\n"
        "</STMTTRN>\n<STMTTRN>\n<TRNTYPE>DEBIT\n<DTPOSTED>20240110\n<TRNAMT>-40.00\n<FITID>E2\n<NAME>\n"
        "<MEMO>LEVANTAMENTO ATM\n</STMTTRN>\n</BANKTRANLIST>\n<LEDGERBAL><BALAMT>100.00<DTASOF>20240131</LEDGERBAL>\n"
        "</STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>\n"
    )
    path.write_text(OFX1_HEAD + body, encoding="ascii")
    return path


def read(path: Path) -> tuple[list[Record], list[ItemProblem]]:
    items = list(OFXConnector(path).iter_records())
    return [i for i in items if isinstance(i, Record)], [i for i in items if isinstance(i, ItemProblem)]


def test_an_investment_statement_is_one_money_record_per_transaction_and_position(tmp_path: Path) -> None:
    records, problems = read(write_brokerage(tmp_path / "broker.ofx"))
    by_ref = {r.ref: r for r in records}
    assert list(by_ref) == [
        "bank:4321/T1", "bank:4321/T2", "bank:4321/T3", "bank:4321/D1", "bank:4321/C1",
        "bank:4321/pos/IE00BK5BQT80/2024-06-28", "bank:4321/pos/PTYCXLHM0008/2024-06-28",
    ]  # fmt: skip
    [damaged] = problems
    assert "investment transaction 6 (BUYSTOCK)" in damaged.where and "units" in damaged.reason
    buy = by_ref["bank:4321/T1"]
    assert buy.kind == "document" and buy.timestamp is not None and buy.timestamp.date().isoformat() == "2024-03-05"
    assert buy.text == (
        "Bought 10 shares of Vanguard FTSE All-World (VWCE) at 95.20 EUR, 953.00 EUR on Tuesday 5 March 2024, "
        "brokerage account ending 4321. Details: Monthly plan"
    )
    assert buy.meta["transaction"] == {
        "amount": "-953.00", "currency": "EUR", "payee": "Vanguard FTSE All-World (VWCE)", "memo": "Monthly plan",
        "type": "BUYSTOCK", "account": "4321",
    }  # fmt: skip
    assert buy.meta["investment"]["units"] == "10" and buy.meta["investment"]["security"] == "IE00BK5BQT80"
    assert by_ref["bank:4321/T2"].text.startswith("Sold 5 shares of Apple Inc (AAPL) at 170.00 EUR, 849.00 EUR")
    assert by_ref["bank:4321/T3"].text.startswith("Sold 20.5 units of Caixa Acções Portugal at 12.30 EUR")
    dividend = by_ref["bank:4321/D1"]
    assert dividend.text.startswith("Dividend of 23.10 EUR from Vanguard FTSE All-World (VWCE) on Saturday 15 June")
    assert dividend.meta["transaction"]["amount"] == "23.10" and dividend.meta["transaction"]["type"] == "INCOME:DIV"
    cash = by_ref["bank:4321/C1"]
    assert cash.text.startswith("Money received of 1,000.00 EUR from TRANSFER FROM CURRENT ACCOUNT")
    holding = by_ref["bank:4321/pos/IE00BK5BQT80/2024-06-28"]
    assert "transaction" not in holding.meta and holding.meta["position"]["market_value"] == "4972.80"
    assert holding.text.startswith("Holding of 42 of Vanguard FTSE All-World (VWCE) worth 4,972.80 EUR")
    assert "U7654321" not in "".join(r.text + str(r.meta) + r.ref for r in records)  # never the whole account


def test_empty_elements_are_dropped_before_the_strict_parser_nests_the_rest_in_them(tmp_path: Path) -> None:
    from ofxtools.Parser import OFXTree

    path = write_empty_elements_ofx(tmp_path / "extrato.ofx")
    strict = OFXTree()
    strict.parse(str(path))
    nested = strict.getroot().find(".//STMTTRN/MEMO/../STMTTRN")  # the second transaction inside the first
    assert nested is not None, "ofxtools no longer nests after an empty element: the cleaning may be unneeded"
    records, problems = read(path)
    assert not problems
    assert [(r.ref, r.meta["transaction"]["amount"]) for r in records] == [
        ("bank:1234/E1", "-12.99"),
        ("bank:1234/E2", "-40.00"),
    ]
    assert "NETFLIX.COM" in records[0].text and "LEVANTAMENTO ATM" in records[1].text
    assert drop_empty_elements("<OFX>\n<A>\n<B>x\n<MEMO>\n</A>") == "<OFX>\n<A>\n<B>x\n\n</A>"  # OFX: an aggregate


def test_investments_in_a_vault_are_idempotent_and_searchable(home: Path, tmp_path: Path) -> None:
    path = write_brokerage(tmp_path / "broker.ofx")
    with knowme.open(home, PASSPHRASE) as vault:
        assert vault.ingest(path).added == {"document": 7}
        assert vault.ingest(path).unchanged == {"document": 7}
        hit = vault.search("dividend Vanguard", k=1)[0]
        assert hit.ref == "bank:4321/D1"
