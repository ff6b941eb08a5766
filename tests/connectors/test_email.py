"""The email connectors on real mbox, Maildir and .eml files written into ``tmp_path``."""

from __future__ import annotations

import json
import mailbox
from collections import Counter
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import pluggy
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from knowme.connectors import email as email_connectors
from knowme.connectors.base import LIKELY, MAYBE, NO, SURE
from knowme.connectors.email import EmlConnector, MaildirConnector, MboxConnector, split_body
from knowme.errors import IngestError
from knowme.models import ItemProblem, Record
from knowme.plugins import HookSpecs


def crlf(text: str) -> bytes:
    return text.replace("\n", "\r\n").encode("utf-8")


def message(
    *,
    subject: str = "Hello",
    sender: str = "Ana Lima <ana@example.org>",
    to: str = "Bob Stone <bob@example.org>",
    body: str = "Plain body.",
    message_id: str | None = "<m1@example.org>",
    date: str | None = "Tue, 02 Jan 2024 10:00:00 +0100",
    **headers: str,
) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    if date:
        msg["Date"] = date
    if message_id:
        msg["Message-ID"] = message_id
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content(body)
    return msg


def write_eml(path: Path, data: bytes | EmailMessage) -> Path:
    path.write_bytes(data if isinstance(data, bytes) else data.as_bytes())
    return path


def write_mbox(path: Path, messages: list[EmailMessage]) -> Path:
    box = mailbox.mbox(path)
    for msg in messages:
        box.add(msg)
    box.flush()
    box.close()
    return path


def read_all(connector: MboxConnector | MaildirConnector | EmlConnector) -> tuple[list[Record], list[ItemProblem]]:
    items = list(connector.iter_records())
    records = [item for item in items if isinstance(item, Record)]
    problems = [item for item in items if isinstance(item, ItemProblem)]
    assert len(records) + len(problems) == len(items)
    for record in records:
        json.dumps(dict(record.meta))  # meta must be JSON-serialisable
        assert record.timestamp is None or record.timestamp.tzinfo is not None
        assert record.ref == f"mail:{record.native_id}"
        assert record.kind == "email"
    return records, problems


def only(connector: MboxConnector | MaildirConnector | EmlConnector) -> Record:
    records, problems = read_all(connector)
    assert problems == []
    assert len(records) == 1
    return records[0]


# ---------------------------------------------------------------------------------------------------------------
# mbox


def test_mbox_reads_every_message_with_headers_people_and_time(tmp_path: Path) -> None:
    path = write_mbox(
        tmp_path / "archive.mbox",
        [
            message(message_id="<a1@example.org>", Cc="Carla <carla@example.org>, bob@example.org"),
            message(message_id="<a2@example.org>", subject="Second", body="From here on we meet on Fridays."),
            message(message_id="<a3@example.org>", subject="Third", Reply_To="Team <team@example.org>"),
        ],
    )
    connector = MboxConnector(path)
    assert connector.estimate() == 3
    records, problems = read_all(connector)
    assert problems == []
    assert [r.native_id for r in records] == ["a1@example.org", "a2@example.org", "a3@example.org"]
    first = records[0]
    assert first.source == f"mbox:{path.resolve()}"
    assert first.ref == "mail:a1@example.org"
    assert first.title == "Hello"
    assert first.text == "Plain body."
    assert first.author == "Ana Lima <ana@example.org>"
    # bob appears in To and Cc: listed once, with the first spelling
    assert first.participants == (
        "Ana Lima <ana@example.org>",
        "Bob Stone <bob@example.org>",
        "Carla <carla@example.org>",
    )
    assert first.timestamp == datetime(2024, 1, 2, 9, 0, tzinfo=UTC)
    assert first.meta["cc"] == ["Carla <carla@example.org>", "bob@example.org"]
    assert first.meta["message_id"] == "a1@example.org"
    assert first.meta["date_header"] == "Tue, 02 Jan 2024 10:00:00 +0100"
    assert first.meta["path"] == str(path.resolve())
    assert first.sections[0].anchor == "message"
    # mailbox escaped the body's "From " line as ">From "; it is restored and is not mistaken for a quote
    assert records[1].text == "From here on we meet on Fridays."
    assert records[1].meta["quoted"] == ""
    assert records[2].participants[-1] == "Team <team@example.org>"


def test_garbage_message_in_mbox_is_one_problem_and_the_rest_still_come_out(tmp_path: Path) -> None:
    good = "From: ana@example.org\nSubject: {n}\nMessage-ID: <g{n}@example.org>\nDate: Mon, 1 Jan 2024 10:00:00 +0000\n"
    raw = (
        b"From ana@example.org Mon Jan  1 10:00:00 2024\n"
        + crlf(good.format(n=1) + "\nfirst\n")
        + b"\nFrom garbage Mon Jan  1 10:00:00 2024\n\x00\x01\x02\xff\xfe binary junk, no headers at all\n\x7f\x80\n"
        + b"\nFrom ana@example.org Mon Jan  1 11:00:00 2024\n"
        + crlf(good.format(n=3) + "\nthird\n")
    )
    path = tmp_path / "mixed.mbox"
    path.write_bytes(raw)
    records, problems = read_all(MboxConnector(path))
    assert [r.native_id for r in records] == ["g1@example.org", "g3@example.org"]
    assert [r.text for r in records] == ["first", "third"]
    assert len(problems) == 1
    assert problems[0].where == f"{path.resolve()} message 2"
    assert "no email headers" in problems[0].reason


def test_missing_or_unreadable_mbox_is_an_ingest_error(tmp_path: Path) -> None:
    with pytest.raises(IngestError):
        list(MboxConnector(tmp_path / "nope.mbox").iter_records())
    with pytest.raises(IngestError):
        list(EmlConnector(tmp_path / "nope.eml").iter_records())
    with pytest.raises(IngestError):
        list(MaildirConnector(tmp_path / "nope").iter_records())


def test_mbox_from_line_date_is_the_last_fallback(tmp_path: Path) -> None:
    path = tmp_path / "Inbox"  # Thunderbird: no suffix
    path.write_bytes(
        b"From - Wed Mar  6 14:30:00 2024\n" + crlf("From: ana@example.org\nSubject: undated\n\nno date here\n")
    )
    assert MboxConnector.sniff(path) == SURE
    record = only(MboxConnector(path))
    assert record.timestamp is not None
    assert record.timestamp.replace(tzinfo=None) == datetime(2024, 3, 6, 14, 30)
    assert record.native_id.startswith("knowme-")


# ---------------------------------------------------------------------------------------------------------------
# Headers


def test_encoded_and_raw_8bit_headers_are_decoded(tmp_path: Path) -> None:
    raw = crlf(
        "From: =?utf-8?q?Jos=C3=A9_N=C3=BA=C3=B1ez?= <jose@x.org>\n"
        'To: =?iso-8859-1?q?Fran=E7oise?= <f@x.org>, "Smith, John" <john@x.org>\n'
        "Cc: =?utf-8?b?0JjQstCw0L0=?= <ivan@x.org>\n"
        "Subject: =?utf-8?b?UsOpdW5pb24gZGUgbCfDqXF1aXBl?= =?utf-8?q?_=E2=9C=93?=\n"
        "X-Raw: caf\u00e9 crème\n"
        "Message-ID: <enc@x.org>\n"
        "Date: Fri, 5 Apr 2024 08:15:00 -0700\n"
        "\n"
        "Body.\n"
    )
    record = only(EmlConnector(write_eml(tmp_path / "enc.eml", raw)))
    assert record.author == "José Núñez <jose@x.org>"
    assert record.title == "Réunion de l'équipe ✓"
    assert record.meta["to"] == ["Françoise <f@x.org>", "Smith, John <john@x.org>"]
    assert record.meta["cc"] == ["Иван <ivan@x.org>"]
    assert record.timestamp == datetime(2024, 4, 5, 15, 15, tzinfo=UTC)


def test_malformed_headers_fall_back_to_raw_text(tmp_path: Path) -> None:
    # The strict parser raises on each of these: IndexError ("To: a@", "Message-ID: <>"),
    # AttributeError ("<a@[1.2.3"); the message must still come out.
    raw = crlf(
        "From: Broken <a@[1.2.3\n"
        "To: nobody@\n"
        "Cc: =?x-unknown?q?Zo=E9?= <zoe@x.org>\n"
        "Subject: =?utf-8?q?caf=C3=A9?=\n"
        "Message-ID: <>\n"
        "Date: Tue, 32 Foo 2024 99:99:99 +9999\n"
        "\n"
        "Still readable.\n"
    )
    record = only(EmlConnector(write_eml(tmp_path / "bad.eml", raw)))
    assert record.text == "Still readable."
    assert record.title == "café"
    assert record.author is not None and "a@" in record.author
    assert record.meta["to"] == ["nobody@"]
    assert record.meta["cc"] and record.meta["cc"][0].endswith("<zoe@x.org>")
    assert record.native_id.startswith("knowme-")  # "<>" is no Message-ID
    assert record.meta["message_id"] is None
    assert record.timestamp is None
    assert record.meta["date_header"] == "Tue, 32 Foo 2024 99:99:99 +9999"


def test_gmail_labels_and_raw_utf8_subject(tmp_path: Path) -> None:
    raw = (
        b"From: ana@example.org\r\nSubject: Gr\xc3\xbc\xc3\x9fe aus K\xc3\xb6ln\r\nMessage-ID: <lab@x>\r\n"
        b'X-Gmail-Labels: Inbox,Important,"Category Updates",Opened\r\n\r\nHallo\r\n'
    )
    record = only(EmlConnector(write_eml(tmp_path / "l.eml", raw)))
    assert record.title == "Grüße aus Köln"
    assert record.meta["labels"] == ["Inbox", "Important", "Category Updates", "Opened"]


# ---------------------------------------------------------------------------------------------------------------
# Bodies


HTML = (
    "<html><head><style>p { color: red }</style><title>Newsletter</title></head><body>"
    '<div style="display:none">hidden preheader</div>'
    "<p>Hello <b>Bob</b>,</p><p>Read <a href='https://example.com/q3'>the Q3 report</a> today.</p>"
    "<ul><li>Revenue up</li><li>Costs down</li></ul>"
    "<script>track()</script></body></html>"
)


def test_multipart_alternative_with_empty_plain_uses_the_html(tmp_path: Path) -> None:
    msg = message(body=" \n")
    msg.add_alternative(HTML, subtype="html")
    record = only(EmlConnector(write_eml(tmp_path / "alt.eml", msg)))
    assert record.text == (
        "Hello Bob,\n\nRead the Q3 report (https://example.com/q3) today.\n\n- Revenue up\n- Costs down"
    )
    for leftover in ("<", "color", "track", "hidden preheader", "Newsletter"):
        assert leftover not in record.text
    assert record.meta["attachments"] == []  # the html alternative is the body, not an attachment


def test_plain_part_wins_over_html(tmp_path: Path) -> None:
    msg = message(body="The plain version.")
    msg.add_alternative("<p>The <i>html</i> version.</p>", subtype="html")
    assert only(EmlConnector(write_eml(tmp_path / "both.eml", msg))).text == "The plain version."


def test_html_only_message(tmp_path: Path) -> None:
    raw = crlf(
        "From: ana@example.org\nSubject: html\nMessage-ID: <h@x>\nContent-Type: text/html; charset=utf-8\n\n"
        "<div>Line one<br>Line&nbsp;two &amp; more</div>\n"
    )
    assert only(EmlConnector(write_eml(tmp_path / "h.eml", raw))).text == "Line one\nLine two & more"


def test_quoted_printable_and_base64_bodies(tmp_path: Path) -> None:
    qp = crlf(
        "From: a@x.org\nSubject: qp\nMessage-ID: <qp@x>\nContent-Type: text/plain; charset=utf-8\n"
        "Content-Transfer-Encoding: quoted-printable\n\n"
        "Caf=C3=A9 au lait, a very long line that was soft=\n broken by the encoder.\n"
    )
    b64 = crlf(
        "From: a@x.org\nSubject: b64\nMessage-ID: <b64@x>\nContent-Type: text/plain; charset=utf-8\n"
        "Content-Transfer-Encoding: base64\n\n"
        "w5xiZXJtb3JnZW4gdW0gOSBVaHIgaW0gQsO8cm8u\n"
    )
    assert only(EmlConnector(write_eml(tmp_path / "qp.eml", qp))).text == (
        "Café au lait, a very long line that was soft broken by the encoder."
    )
    assert only(EmlConnector(write_eml(tmp_path / "b64.eml", b64))).text == "Übermorgen um 9 Uhr im Büro."


@pytest.mark.parametrize(
    ("charset", "body", "expected"),
    [
        ("iso-8859-1", "Gr\xfc\xdfe, J\xfcrgen".encode("latin-1"), "Grüße, Jürgen"),
        ("x-bogus-charset", "Gr\xfc\xdfe, J\xfcrgen".encode("latin-1"), "Grüße, Jürgen"),
        ("x-bogus-charset", "Grüße, Jürgen".encode(), "Grüße, Jürgen"),
        ("base64", b"plain words", "plain words"),  # a bytes-to-bytes codec is no text charset
        ("utf-8", b"broken \xc3\x28 bytes", "broken \ufffd( bytes"),
        ("us-ascii", "actually utf-8: ½".encode(), "actually utf-8: ½"),
    ],
)
def test_charsets_decode_with_replacement_never_fail(tmp_path: Path, charset: str, body: bytes, expected: str) -> None:
    raw = (
        b"From: a@x.org\r\nSubject: cs\r\nMessage-ID: <cs@x>\r\n"
        + f"Content-Type: text/plain; charset={charset}\r\nContent-Transfer-Encoding: 8bit\r\n\r\n".encode()
        + body
        + b"\r\n"
    )
    assert only(EmlConnector(write_eml(tmp_path / "cs.eml", raw))).text == expected


def test_format_flowed_is_unwrapped(tmp_path: Path) -> None:
    raw = crlf(
        "From: a@x.org\nSubject: flowed\nMessage-ID: <fl@x>\n"
        "Content-Type: text/plain; charset=utf-8; format=flowed\n\n"
        "This paragraph was wrapped by the \nsender's client into \nthree lines.\n\nNew paragraph.\n"
    )
    record = only(EmlConnector(write_eml(tmp_path / "f.eml", raw)))
    assert record.text == "This paragraph was wrapped by the sender's client into three lines.\n\nNew paragraph."


# ---------------------------------------------------------------------------------------------------------------
# Threads, quotes, signatures, attachments


def test_threads_resolve_to_the_root_message(tmp_path: Path) -> None:
    root = message(message_id="<root@x.org>", subject="Plan")
    reply = message(message_id="<r1@x.org>", subject="Re: Plan", In_Reply_To="<root@x.org>")
    second = message(
        message_id="<r2@x.org>",
        subject="Re: Plan",
        In_Reply_To="<r1@x.org>",
        References="<root@x.org> <r1@x.org>",
    )
    records, _ = read_all(MboxConnector(write_mbox(tmp_path / "t.mbox", [root, reply, second])))
    assert [r.meta["thread_id"] for r in records] == ["root@x.org"] * 3
    folded = crlf(
        "From: c@x.org\nSubject: Re: Plan\nMessage-ID: <r3@x.org>\nIn-Reply-To: <r2@x.org>\n"
        "References: <root@x.org>\n <r1@x.org>\n\t<r2@x.org>\n\nAgreed.\n"
    )
    third = only(EmlConnector(write_eml(tmp_path / "r3.eml", folded)))
    assert third.meta["references"] == ["root@x.org", "r1@x.org", "r2@x.org"]
    assert third.meta["thread_id"] == "root@x.org"
    assert records[1].meta["in_reply_to"] == "root@x.org"
    assert records[2].meta["references"] == ["root@x.org", "r1@x.org"]
    assert records[2].meta["in_reply_to"] == "r1@x.org"


REPLY = """Sure, Thursday at 3pm works for me.

I'll bring the budget numbers.

Thanks,
Bob

--\x20
Bob Stone | Finance
+1 555 0100

On Tue, Jan 2, 2024 at 10:00 AM Ana Lima <
ana@example.org> wrote:
> Can we meet this week?
>
> > Earlier: the budget is due Friday.
"""


def test_quoted_reply_and_signature_are_kept_apart(tmp_path: Path) -> None:
    record = only(EmlConnector(write_eml(tmp_path / "r.eml", message(body=REPLY))))
    assert record.text == "Sure, Thursday at 3pm works for me.\n\nI'll bring the budget numbers."
    assert record.sections[0].text == record.text
    assert record.meta["signature"] == "Thanks,\nBob\n\nBob Stone | Finance\n+1 555 0100"
    quoted = record.meta["quoted"]
    assert quoted.startswith("On Tue, Jan 2, 2024 at 10:00 AM Ana Lima <")
    assert "> Can we meet this week?" in quoted
    assert "> > Earlier: the budget is due Friday." in quoted


@pytest.mark.parametrize(
    ("body", "new", "quoted_start", "signature"),
    [
        (
            "Approved.\n\nSent from my iPhone\n\n-----Original Message-----\nFrom: Ana\nSent: Monday\n"
            "To: Bob\nSubject: PO 4411\n\nPlease approve PO 4411.\n",
            "Approved.",
            "-----Original Message-----",
            "Sent from my iPhone",
        ),
        (
            "Done, see attached.\n\n________________________________\nFrom: Ana Lima <ana@example.org>\n"
            "Sent: Monday, January 1, 2024 10:00 AM\nTo: Bob Stone\nSubject: Slides\n\nCan you fix slide 4?\n",
            "Done, see attached.",
            "________________________________\nFrom: Ana Lima",
            "",
        ),
        (
            "> Is the venue booked?\nYes, for 40 people.\n> And catering?\nStill waiting on a quote.\n",
            "Yes, for 40 people.\nStill waiting on a quote.",
            "> Is the venue booked?\n> And catering?",
            "",
        ),
        (
            "Top reply.\n\nOn 2 May 2024, at 09:12, Ana Lima wrote:\n\nUnprefixed older text.\n",
            "Top reply.",
            "On 2 May 2024, at 09:12, Ana Lima wrote:",
            "",
        ),
        (
            "Here is what the vendor wrote:\nthe part ships Monday.\n\nBest,\nBob\n\nP.S. call me after lunch\n",
            "Here is what the vendor wrote:\nthe part ships Monday.\n\nBest,\nBob\n\nP.S. call me after lunch",
            "",
            "",
        ),
        (
            "FYI\n\n---------- Forwarded message ---------\nFrom: Vendor <v@shop.com>\nDate: Mon, Jan 1, 2024\n"
            "Subject: Order\nTo: Bob\n\nYour order shipped.\n",
            "FYI\n\n---------- Forwarded message ---------\nFrom: Vendor <v@shop.com>\nDate: Mon, Jan 1, 2024\n"
            "Subject: Order\nTo: Bob\n\nYour order shipped.",
            "",
            "",
        ),
    ],
    ids=["outlook-original", "outlook-header-block", "inline-quotes", "unprefixed-attribution", "no-split", "forward"],
)
def test_split_body(body: str, new: str, quoted_start: str, signature: str) -> None:
    got_new, got_quoted, got_signature = split_body(body)
    assert got_new == new
    assert got_quoted.startswith(quoted_start)
    assert got_signature == signature
    # nothing is lost: every non-blank line ends up in exactly one of the three parts
    lines = [line.strip() for line in body.splitlines() if line.strip()]
    parts = [
        line.strip() for part in (got_new, got_quoted, got_signature) for line in part.splitlines() if line.strip()
    ]
    assert sorted(lines) == sorted(parts)


def test_html_reply_quote_and_gmail_signature(tmp_path: Path) -> None:
    html = (
        '<div dir="ltr">Works for me.</div><br><span class="gmail_signature_prefix">-- </span><br>'
        '<div class="gmail_signature">Bob Stone<br>Finance</div><br>'
        '<div class="gmail_quote"><div class="gmail_attr">On Mon, Jan 1, 2024 at 9:00 AM Ana &lt;ana@x.org&gt; '
        "wrote:<br></div><blockquote>Lunch on Friday?</blockquote></div>"
    )
    msg = message()
    msg.set_content(html, subtype="html")
    record = only(EmlConnector(write_eml(tmp_path / "g.eml", msg)))
    assert record.text == "Works for me."
    assert record.meta["signature"].startswith("Bob Stone\nFinance")
    assert record.meta["quoted"].endswith("> Lunch on Friday?")


def test_attachments_are_listed_not_read(tmp_path: Path) -> None:
    msg = message(body="Report and photo attached.")
    msg.add_attachment(b"%PDF-1.4 fake", maintype="application", subtype="pdf", filename="Q3 report.pdf")
    msg.add_attachment(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, maintype="image", subtype="png", filename="photo.png")
    forwarded = message(subject="Original thread", message_id="<inner@x.org>")
    msg.add_attachment(forwarded)
    [record], [problem] = read_all(EmlConnector(write_eml(tmp_path / "att.eml", msg)))
    assert problem.where.endswith("att.eml attachment Q3 report.pdf") and "PDF is damaged" in problem.reason
    assert record.text == "Report and photo attached."
    atts = record.meta["attachments"]
    assert [(a["filename"], a["content_type"]) for a in atts] == [
        ("Q3 report.pdf", "application/pdf"),
        ("photo.png", "image/png"),
        ("Original thread.eml", "message/rfc822"),
    ]
    assert atts[0]["size"] == len(b"%PDF-1.4 fake")
    assert atts[1]["size"] == 108
    assert atts[2]["size"] > 100
    assert record.sections[-1].anchor == "attachments"
    assert record.sections[-1].text == "Attachments: Q3 report.pdf, photo.png, Original thread.eml"
    assert record.native_id == "m1@example.org"  # the forwarded message's id does not leak into the outer one


def test_encoded_attachment_filename(tmp_path: Path) -> None:
    raw = crlf(
        "From: a@x.org\nSubject: att\nMessage-ID: <ef@x>\nMIME-Version: 1.0\n"
        'Content-Type: multipart/mixed; boundary="B"\n\n'
        "--B\nContent-Type: text/plain\n\nsee file\n"
        "--B\nContent-Type: application/octet-stream\n"
        "Content-Disposition: attachment; filename*=utf-8''R%C3%A9sum%C3%A9.docx\n"
        "Content-Transfer-Encoding: base64\n\nAAECAw==\n"
        "--B--\n"
    )
    [record], [problem] = read_all(EmlConnector(write_eml(tmp_path / "ef.eml", raw)))
    assert problem.where.endswith("attachment Résumé.docx") and "not the docx file" in problem.reason
    assert record.meta["attachments"] == [
        {"filename": "Résumé.docx", "content_type": "application/octet-stream", "size": 4}
    ]


# ---------------------------------------------------------------------------------------------------------------
# Ids without Message-ID, time fallbacks, re-reading


NO_ID = "From: Ana <ana@example.org>\nTo: bob@example.org\nSubject: Minutes\n\nThe minutes are below.\n"


def test_message_without_id_or_date_has_a_stable_derived_id(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    first = write_eml(tmp_path / "a" / "one.eml", crlf(NO_ID))
    second = write_eml(tmp_path / "two-elsewhere.eml", crlf(NO_ID))
    a1, a2, b = only(EmlConnector(first)), only(EmlConnector(first)), only(EmlConnector(second))
    assert a1.native_id == a2.native_id == b.native_id
    assert a1.native_id.startswith("knowme-") and len(a1.native_id) > len("knowme-") + 16
    assert a1.ref == b.ref == f"mail:{a1.native_id}"
    assert a1.meta["thread_id"] == a1.native_id
    assert a1.timestamp is None
    assert a1.content_hash == a2.content_hash
    other = only(EmlConnector(write_eml(tmp_path / "three.eml", crlf(NO_ID.replace("below", "attached")))))
    assert other.native_id != a1.native_id


def test_received_header_gives_the_time_when_date_is_missing(tmp_path: Path) -> None:
    raw = crlf(
        "Received: from mx.example.org by mail.example.net; Thu, 7 Mar 2024 18:45:10 +0000\n"
        "Received: from laptop by mx.example.org; Thu, 7 Mar 2024 18:45:01 +0000\n" + NO_ID
    )
    assert only(EmlConnector(write_eml(tmp_path / "r.eml", raw))).timestamp == datetime(
        2024, 3, 7, 18, 45, 10, tzinfo=UTC
    )


def test_date_without_zone_gets_the_local_zone(tmp_path: Path) -> None:
    raw = crlf("Date: Fri, 1 Mar 2024 12:30:00 -0000\n" + NO_ID)
    stamp = only(EmlConnector(write_eml(tmp_path / "z.eml", raw))).timestamp
    assert stamp is not None and stamp.tzinfo is not None
    assert stamp.replace(tzinfo=None) == datetime(2024, 3, 1, 12, 30)


def test_html_only_message_without_id_keeps_its_derived_id_across_files(tmp_path: Path) -> None:
    raw = crlf("From: a@x.org\nSubject: s\nContent-Type: text/html\n\n<p>Hi <b>there</b></p>\n")
    one = only(EmlConnector(write_eml(tmp_path / "h1.eml", raw)))
    two = only(EmlConnector(write_eml(tmp_path / "h2.eml", raw)))
    assert one.text == "Hi there"
    assert one.native_id == two.native_id and one.native_id.startswith("knowme-")


def test_eml_with_leading_envelope_line(tmp_path: Path) -> None:
    path = write_eml(tmp_path / "saved.eml", b"From ana@example.org Sat Feb 10 08:00:00 2024\n" + crlf(NO_ID))
    assert EmlConnector.sniff(path) > MboxConnector.sniff(path)
    record = only(EmlConnector(path))
    assert record.text == "The minutes are below."
    assert record.timestamp is not None and record.timestamp.replace(tzinfo=None) == datetime(2024, 2, 10, 8, 0)


def test_not_an_email_at_all_is_a_problem(tmp_path: Path) -> None:
    path = write_eml(tmp_path / "junk.eml", b"\x89PNG\r\n\x1a\n\x00\x00 not an email")
    records, problems = read_all(EmlConnector(path))
    assert records == []
    assert len(problems) == 1 and problems[0].where == str(path.resolve())


def test_rereading_gives_identical_records(tmp_path: Path) -> None:
    msgs = [message(message_id=f"<rr{n}@x.org>", body=REPLY) for n in range(3)]
    path = write_mbox(tmp_path / "again.mbox", msgs)
    first, _ = read_all(MboxConnector(path))
    second, _ = read_all(MboxConnector(path))
    assert [(r.id, r.content_hash) for r in first] == [(r.id, r.content_hash) for r in second]
    assert len({r.id for r in first}) == 3


# ---------------------------------------------------------------------------------------------------------------
# Maildir


def test_maildir_with_new_cur_and_subfolders(tmp_path: Path) -> None:
    root = tmp_path / "Mail"
    box = mailbox.Maildir(root)
    box.add(message(message_id="<new@x.org>", subject="Unread"))  # lands in new/
    seen = mailbox.MaildirMessage(message(message_id="<cur@x.org>", subject="Read"))
    seen.set_subdir("cur")
    seen.add_flag("S")
    box.add(seen)
    sent = box.add_folder("Sent")
    sent.add(message(message_id="<sent@x.org>", subject="My reply", sender="Bob <bob@example.org>"))
    sent.add(message(message_id="<new@x.org>", subject="Unread"))  # the same mail filed twice: read once
    archive = box.add_folder("Archive.2023")
    archive.add(message(message_id="<old@x.org>", subject="Old"))
    (root / "tmp" / "123.partial").write_bytes(b"From: half-delivered")  # tmp/ is never read
    (root / "new" / "999.garbage").write_bytes(b"\x00\x01\x02 no headers")

    assert MaildirConnector.sniff(root) == SURE
    connector = MaildirConnector(root)
    assert connector.estimate() == 6
    records, problems = read_all(connector)
    by_id = {r.native_id: r for r in records}
    assert sorted(by_id) == ["cur@x.org", "new@x.org", "old@x.org", "sent@x.org"]
    assert by_id["new@x.org"].meta["folder"] == "INBOX"
    assert by_id["cur@x.org"].meta["folder"] == "INBOX"
    assert by_id["sent@x.org"].meta["folder"] == "Sent"
    assert by_id["old@x.org"].meta["folder"] == "Archive/2023"
    assert Path(by_id["cur@x.org"].meta["path"]).parent.name == "cur"
    assert Path(by_id["sent@x.org"].meta["path"]).is_file()
    assert by_id["sent@x.org"].source == f"maildir:{root.resolve()}"
    assert [p.where for p in problems] == [f"{root.resolve()} new/999.garbage"]
    again, _ = read_all(MaildirConnector(root))
    assert [(r.id, r.content_hash) for r in records] == [(r.id, r.content_hash) for r in again]


# ---------------------------------------------------------------------------------------------------------------
# Detection and registration


def test_sniff_claims_each_format(tmp_path: Path) -> None:
    mbox = write_mbox(tmp_path / "all.mbox", [message()])
    plain_mbox = tmp_path / "Sent"
    plain_mbox.write_bytes(mbox.read_bytes())
    empty_mbox = tmp_path / "empty.mbox"
    empty_mbox.write_bytes(b"")
    eml = write_eml(tmp_path / "one.eml", message())
    note = tmp_path / "journal.txt"
    note.write_text("From now on I will run at 07:00 every day.\nIt is a plan.\n")
    maildir = tmp_path / "md"
    mailbox.Maildir(maildir)

    assert MboxConnector.sniff(mbox) == SURE
    assert MboxConnector.sniff(plain_mbox) == SURE
    assert MboxConnector.sniff(empty_mbox) == LIKELY
    assert MboxConnector.sniff(eml) == NO
    assert MboxConnector.sniff(note) <= MAYBE
    assert MboxConnector.sniff(maildir) == NO
    assert EmlConnector.sniff(eml) == LIKELY
    assert EmlConnector.sniff(mbox) == NO
    assert MaildirConnector.sniff(maildir) == SURE
    assert MaildirConnector.sniff(tmp_path) == NO
    assert MaildirConnector.sniff(mbox) == NO
    assert MaildirConnector.reads_directories


def test_connectors_register_through_the_plugin_hook() -> None:
    pm = pluggy.PluginManager("knowme")
    pm.add_hookspecs(HookSpecs)
    pm.register(email_connectors)
    registered = {cls.name: cls for classes in pm.hook.register_connectors() for cls in classes}
    assert registered == {"mbox": MboxConnector, "maildir": MaildirConnector, "eml": EmlConnector}


# ---------------------------------------------------------------------------------------------------------------
# Properties: malformed input never crashes, splitting never loses text

_TEXT = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=60)
_LINES = st.lists(
    st.one_of(
        st.sampled_from(
            [
                "",
                "-- ",
                "--",
                "> quoted",
                ">> deeper",
                "On Mon, 1 Jan 2024, Ana <a@x.org> wrote:",
                "-----Original Message-----",
                "From: Ana",
                "Sent: Monday",
                "To: Bob",
                "Subject: hi",
                "________________________________",
                "Thanks,",
                "Best",
                "Sent from my iPhone",
                "---------- Forwarded message ---------",
                "P.S. later",
            ]
        ),
        _TEXT.map(lambda s: s.replace("\r", " ").replace("\n", " ")),
    ),
    max_size=25,
)


@settings(max_examples=300, deadline=None)
@given(lines=_LINES)
def test_split_body_keeps_every_line(lines: list[str]) -> None:
    new, quoted, signature = split_body("\n".join(lines))
    kept = Counter(line.strip() for part in (new, quoted, signature) for line in part.split("\n") if line.strip())
    given_lines = Counter(line.strip() for line in lines if line.strip())
    assert kept - given_lines == Counter()
    assert given_lines - kept in (Counter(), Counter({"--": 1}))  # only the "-- " delimiter itself may go


_HEADER_NAMES = st.sampled_from(
    [
        "From",
        "To",
        "Cc",
        "Bcc",
        "Reply-To",
        "Subject",
        "Date",
        "Message-ID",
        "In-Reply-To",
        "References",
        "Received",
        "Content-Type",
        "Content-Transfer-Encoding",
        "Content-Disposition",
        "X-Gmail-Labels",
        "MIME-Version",
    ]
)
_RAW_MESSAGES = st.one_of(
    st.binary(max_size=400),
    st.builds(
        lambda headers, body: (
            "".join(f"{name}: {value}\r\n" for name, value in headers).encode("utf-8") + b"\r\n" + body
        ),
        st.lists(
            st.tuples(
                _HEADER_NAMES,
                st.one_of(
                    _TEXT,
                    st.sampled_from(
                        [
                            "<>",
                            "a@",
                            "<a@[1.2.3",
                            "=?utf-8?q?=E2=80?=",
                            "=?x?b?////?=",
                            "multipart/mixed; boundary=b",
                            "text/plain; charset=x-bogus",
                            "base64",
                            "quoted-printable",
                            "attachment; filename*=x''%ff",
                        ]
                    ),
                ),
            ),
            min_size=1,
            max_size=8,
        ),
        st.one_of(st.binary(max_size=300), st.just(b"--b\r\nContent-Type: text/html\r\n\r\n<p>x</p>\r\n--b--\r\n")),
    ),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=_RAW_MESSAGES)
def test_arbitrary_bytes_give_a_record_or_a_problem_never_a_crash(
    raw: bytes, tmp_path_factory: pytest.TempPathFactory
) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "m.eml"
    path.write_bytes(raw)
    items = list(EmlConnector(path).iter_records())
    assert len(items) == 1
    item = items[0]
    if isinstance(item, Record):
        payload = json.dumps(
            {"text": item.text, "title": item.title, "people": item.participants, "meta": dict(item.meta)},
            ensure_ascii=False,
        )
        payload.encode("utf-8")  # no lone surrogates anywhere
        assert "\x00" not in payload
        assert item.native_id
    else:
        assert isinstance(item, ItemProblem) and item.reason
