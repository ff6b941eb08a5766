"""Write the demo life's email as two mbox files with the standard library's writers.

``mail/inbox.mbox`` holds what Sofia received and ``mail/sent.mbox`` what she sent, each in date order.
Messages are built with ``email.message.EmailMessage`` (default policy), so non-ASCII display names and
subjects (``José Núñez``, ``Quote: move Lisbon → Porto``) come out as RFC 2047 encoded words, non-ASCII
attachment names as RFC 2231 parameters, and long or 8-bit bodies with a proper transfer encoding. The
``From_`` separator line is set on each message so ``mailbox.mbox`` never stamps the wall-clock time.
"""

from __future__ import annotations

import mailbox
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

from knowme.demo.formats import mbox_from_line
from knowme.demo.mailfiller import all_filler
from knowme.demo.mailpending import pending_threads
from knowme.demo.mailstory import Addr, Mail, MailBook, home_threads, work_threads
from knowme.demo.story import Story


def _address(addr: Addr) -> Address:
    local, _, domain = addr[1].partition("@")
    return Address(display_name=addr[0], username=local, domain=domain)


def to_email_message(mail: Mail) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = _address(mail.sender)
    msg["To"] = [_address(a) for a in mail.to]
    if mail.cc:
        msg["Cc"] = [_address(a) for a in mail.cc]
    msg["Subject"] = mail.subject
    msg["Date"] = format_datetime(mail.when)
    msg["Message-ID"] = f"<{mail.message_id}>"
    if mail.in_reply_to:
        msg["In-Reply-To"] = f"<{mail.in_reply_to}>"
        msg["References"] = " ".join(f"<{ref}>" for ref in mail.references)
    if mail.list_id:
        msg["List-Id"] = mail.list_id
        msg["List-Unsubscribe"] = f"<mailto:unsubscribe@{mail.sender[1].split('@')[1]}>"
    if mail.text is not None:
        msg.set_content(mail.text)
        if mail.html is not None:
            msg.add_alternative(mail.html, subtype="html")
    elif mail.html is not None:
        msg.set_content(mail.html, subtype="html")
    for att in mail.attachments:
        if att.maintype == "text":
            msg.add_attachment(att.data.decode("utf-8"), subtype=att.subtype, filename=att.filename)
        else:
            msg.add_attachment(att.data, maintype=att.maintype, subtype=att.subtype, filename=att.filename)
    for n, part in enumerate(msg.walk()):
        if part.is_multipart():  # the generator would otherwise draw a random boundary
            part.set_boundary(f"=-=knowme.{n}.{mail.message_id}=-=")
    msg.set_unixfrom(mbox_from_line(mail.sender[1], mail.when))
    return msg


def write_mbox_file(path: Path, mails: list[Mail]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    box = mailbox.mbox(path, create=True)
    try:
        for mail in mails:
            box.add(to_email_message(mail))
        box.flush()
    finally:
        box.close()


def build_mail(story: Story) -> MailBook:
    book = MailBook(story)
    work_threads(book)
    home_threads(book)
    all_filler(book)
    pending_threads(book)
    return book


def write_life_mail(story: Story, root: Path) -> tuple[list[str], int, dict[str, str]]:
    """Write both mboxes under ``root``; return (relative paths, message count, mail refs by story key)."""
    book = build_mail(story)
    ordered = sorted(book.mails, key=lambda m: (m.when, m.message_id))
    ids = [m.message_id for m in ordered]
    if len(ids) != len(set(ids)):
        raise ValueError("duplicate Message-ID in the demo mail")
    write_mbox_file(root / "mail" / "inbox.mbox", [m for m in ordered if not m.outgoing])
    write_mbox_file(root / "mail" / "sent.mbox", [m for m in ordered if m.outgoing])
    refs = {key: f"mail:{message_id}" for key, message_id in book.keys.items()}
    return ["mail/inbox.mbox", "mail/sent.mbox"], len(ordered), refs
