"""Realistic bank statement files, written the way banks write them: OFX 1 (SGML, as most banks still send), QFX (OFX 2
XML with Intuit's header), a US CSV (comma, month-first dates, one signed amount), a German CSV (semicolon, a
preamble before the header, Windows-1252, day-first dates, decimal comma) and a UK CSV (paid out / paid in)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

OFX1_HEAD = """OFXHEADER:100
DATA:OFXSGML
VERSION:102
SECURITY:NONE
ENCODING:USASCII
CHARSET:1252
COMPRESSION:NONE
OLDFILEUID:NONE
NEWFILEUID:NONE

"""


def _stmttrn(kind: str, day: date, amount: str, fitid: str, name: str, memo: str = "", *, sgml: bool) -> str:
    close = "" if sgml else "</{}>"
    parts = [("TRNTYPE", kind), ("DTPOSTED", day.strftime("%Y%m%d") + "120000[0:GMT]"), ("TRNAMT", amount),
             ("FITID", fitid), ("NAME", name)] + ([("MEMO", memo)] if memo else [])  # fmt: skip
    body = "".join(f"<{tag}>{value}{close.format(tag)}\n" for tag, value in parts)
    return f"<STMTTRN>\n{body}</STMTTRN>\n"


def monthly(start: date, months: int, day_of_month: int) -> list[date]:
    out = []
    year, month = start.year, start.month
    for _ in range(months):
        out.append(date(year, month, day_of_month))
        month += 1
        if month > 12:
            year, month = year + 1, 1
    return out


def ofx_transactions(*, sgml: bool) -> str:
    """Six months of one current account: salary in, rent and a streaming subscription out, groceries, one laptop."""
    rows = []
    for n, day in enumerate(monthly(date(2024, 1, 1), 6, 1)):
        rows.append(_stmttrn("DIRECTDEP", day + timedelta(days=24), "3200.00", f"SAL{n}", "ACME GMBH", "SALARY",
                             sgml=sgml))  # fmt: skip
        rows.append(_stmttrn("REPEATPMT", day + timedelta(days=2), "-950.00", f"RENT{n}", "CASA PORTO LDA",
                             "RENT RUA DAS FLORES", sgml=sgml))  # fmt: skip
        rows.append(_stmttrn("POS", day + timedelta(days=4), "-12.99", f"NFX{n}", "NETFLIX.COM", sgml=sgml))
        rows.append(_stmttrn("POS", day + timedelta(days=9 + n), f"-{47 + 3 * n}.20", f"GRO{n}", "PINGO DOCE",
                             sgml=sgml))  # fmt: skip
    rows.append(_stmttrn("POS", date(2024, 3, 14), "-1299.00", "LAP1", "WORTEN ONLINE", "LAPTOP", sgml=sgml))
    return "".join(rows)


def write_ofx(path: Path) -> Path:
    """OFX 1.02 SGML: no closing tags on elements."""
    body = f"""<OFX>
<SIGNONMSGSRSV1><SONRS><STATUS><CODE>0<SEVERITY>INFO</STATUS><DTSERVER>20240701120000<LANGUAGE>ENG</SONRS>
</SIGNONMSGSRSV1>
<BANKMSGSRSV1><STMTTRNRS><TRNUID>1<STATUS><CODE>0<SEVERITY>INFO</STATUS>
<STMTRS><CURDEF>EUR<BANKACCTFROM><BANKID>0035<ACCTID>PT50003506510000123456789<ACCTTYPE>CHECKING</BANKACCTFROM>
<BANKTRANLIST><DTSTART>20240101<DTEND>20240630
{ofx_transactions(sgml=True)}</BANKTRANLIST>
<LEDGERBAL><BALAMT>5120.33<DTASOF>20240630</LEDGERBAL>
</STMTRS></STMTTRNRS></BANKMSGSRSV1>
</OFX>
"""
    path.write_text(OFX1_HEAD + body, encoding="ascii")
    return path


def write_qfx(path: Path) -> Path:
    """A credit-card statement as OFX 2 XML with the INTU.BID extension Quicken files carry."""
    close = "</{}>"
    tx = [
        _stmttrn("DEBIT", date(2024, 5, 3), "-64.50", "CC1", "SHELL OIL 5720", sgml=False),
        _stmttrn("DEBIT", date(2024, 5, 11), "-820.00", "CC2", "DELTA AIR LINES", "FLIGHT ATL", sgml=False),
        _stmttrn("CREDIT", date(2024, 5, 20), "25.00", "CC3", "REFUND AMAZON", sgml=False),
    ]
    path.write_text(
        f"""<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<?OFX OFXHEADER="200" VERSION="211" SECURITY="NONE" OLDFILEUID="NONE" NEWFILEUID="NONE"?>
<OFX><SIGNONMSGSRSV1><SONRS><STATUS><CODE>0</CODE><SEVERITY>INFO</SEVERITY></STATUS>
<DTSERVER>20240601000000</DTSERVER><LANGUAGE>ENG</LANGUAGE><INTU.BID>3000</INTU.BID></SONRS></SIGNONMSGSRSV1>
<CREDITCARDMSGSRSV1><CCSTMTTRNRS><TRNUID>0</TRNUID><STATUS><CODE>0</CODE><SEVERITY>INFO</SEVERITY></STATUS>
<CCSTMTRS><CURDEF>USD</CURDEF><CCACCTFROM><ACCTID>4111111111119876</ACCTID></CCACCTFROM>
<BANKTRANLIST><DTSTART>20240501</DTSTART><DTEND>20240531</DTEND>
{"".join(tx)}</BANKTRANLIST>
<LEDGERBAL><BALAMT>-859.50</BALAMT><DTASOF>20240531</DTASOF></LEDGERBAL></CCSTMTRS></CCSTMTTRNRS>
</CREDITCARDMSGSRSV1></OFX>
""".replace(close.format("x"), ""),
        encoding="utf-8",
    )
    return path


def write_us_csv(path: Path) -> Path:
    lines = ["Date,Description,Amount,Currency"]
    for day in monthly(date(2024, 1, 1), 5, 15):
        lines.append(f"{day:%m/%d/%Y},SPOTIFY USA,-10.99,USD")
        lines.append(f'{day + timedelta(days=1):%m/%d/%Y},"PAYROLL, INITECH INC","4,100.00",USD')
    lines.append("03/22/2024,APPLE STORE #R123,-2499.00,USD")
    lines.append("03/23/2024,COFFEE,not-a-number,USD")  # a damaged row
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_german_csv(path: Path) -> Path:
    lines = [
        '"Kontonummer:";"DE89 3704 0044 0532 0130 00";',
        '"Zeitraum:";"01.01.2024 - 30.06.2024";',
        "",
        '"Buchungstag";"Wertstellung";"Buchungstext";"Auftraggeber/Empfänger";"Verwendungszweck";"Betrag (EUR)"',
    ]
    for day in monthly(date(2024, 1, 1), 6, 3):
        lines.append(f'"{day:%d.%m.%Y}";"{day:%d.%m.%Y}";"Lastschrift";"Stadtwerke München";"Strom Abschlag";"-85,00"')
        lines.append(f'"{day:%d.%m.%Y}";"{day:%d.%m.%Y}";"Dauerauftrag";"Fitnessstudio Löwe";"Beitrag";"-29,90"')
    lines.append('"15.04.2024";"15.04.2024";"Kartenzahlung";"Möbelhaus Höffner";"Sofa";"-1.849,00"')
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))
    return path


def write_uk_csv(path: Path) -> Path:
    lines = ["Date,Type,Description,Paid out,Paid in,Balance"]
    for day in monthly(date(2024, 2, 1), 4, 28):
        lines.append(f"{day:%d/%m/%Y},DD,THAMES WATER,32.00,,1000.00")
    lines.append("13/03/2024,BGC,HMRC TAX REFUND,,412.50,1412.50")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
