"""A small life in real files (mbox, vCard, notes, chat), written with phrasings unlike the demo generator's."""

from __future__ import annotations

import json
import mailbox
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

TZ = timezone(timedelta(hours=1))

VCF = """BEGIN:VCARD\r
VERSION:3.0\r
UID:me-card\r
FN:Marta Ribeiro\r
N:Ribeiro;Marta;;;\r
EMAIL:marta.ribeiro@home.example\r
item1.X-ABRELATEDNAMES:Rosa Ribeiro\r
item1.X-ABLabel:_$!<Mother>!$_\r
END:VCARD\r
BEGIN:VCARD\r
VERSION:4.0\r
UID:rosa-card\r
FN:Rosa Ribeiro\r
BDAY:19580917\r
TEL;TYPE=cell:+351 911 222 333\r
END:VCARD\r
BEGIN:VCARD\r
VERSION:3.0\r
UID:joao-card\r
FN:João Gonçalves\r
N:Gonçalves;João;;;\r
NICKNAME:Jota\r
EMAIL:joao.goncalves@acme.example\r
ORG:Acme Robotics\r
END:VCARD\r
"""

NOTES = {
    "Journal/2024-02-03.md": "# Saturday\n\nLunch with Jota and Rosa. Rosa, my mum, is allergic to shellfish "
    "so we skipped the seafood place.\n",
    "Journal/2024-05-20.md": "# Big news\n\nWe finally moved to Braga on 18 May. The boxes are everywhere.\n",
    "Journal/2024-01-10.md": "# Winter\n\nI live in Coimbra, near the old university. #home\n",
    "Journal/2024-06-02.md": "# Food\n\nI've gone vegetarian since the trip. Also I'm saving for a new bike.\n",
    "People/Ines Duarte.md": "---\nemail: ines.duarte@acme.example\nbirthday: 1990-08-14\n---\n# Ines Duarte\n\n"
    "My manager since March. Fair and calm.\n",
}


def _mail(box: mailbox.mbox, sender: str, to: str, subject: str, body: str, mid: str, when: datetime,
          reply_to: str | None = None) -> None:  # fmt: skip
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Message-ID"] = f"<{mid}>"
    msg["Date"] = format_datetime(when)
    if reply_to:
        msg["In-Reply-To"] = f"<{reply_to}>"
        msg["References"] = f"<{reply_to}>"
    msg.set_content(body)
    box.add(msg)


def write_life(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "contacts.vcf").write_text(VCF, encoding="utf-8")
    for rel, text in NOTES.items():
        path = root / "notes" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    box = mailbox.mbox(root / "mail.mbox")
    me = "Marta Ribeiro <marta.ribeiro@home.example>"
    joao = "=?utf-8?q?Jo=C3=A3o_Gon=C3=A7alves?= <joao.goncalves@acme.example>"
    ask = "Hi Marta,\n\nCould you review the quarterly forecast before the 12th?\n\nJ."
    _mail(box, joao, me, "Quarterly numbers", ask, "q1@acme.example", datetime(2024, 3, 4, 9, 0, tzinfo=TZ))
    _mail(box, me, "Joao <joao.goncalves@acme.example>", "Re: Quarterly numbers",
          "Sure. I'll send you my comments on the forecast by Friday.\n", "q2@home.example",
          datetime(2024, 3, 4, 10, 0, tzinfo=TZ), reply_to="q1@acme.example")  # fmt: skip
    _mail(box, me, "Joao <joao.goncalves@acme.example>", "Re: Quarterly numbers",
          "Here are my comments on the forecast, attached as promised.\n", "q3@home.example",
          datetime(2024, 3, 7, 16, 0, tzinfo=TZ), reply_to="q1@acme.example")  # fmt: skip
    _mail(box, me, "Rosa Ribeiro <rosa.r@home.example>", "Sunday",
          "Mãe, I will bring the photo album on Sunday.\n", "s1@home.example",
          datetime(2024, 4, 2, 20, 0, tzinfo=TZ))  # fmt: skip
    _mail(box, "news@shop.example", me, "Deals", "Big deals this week on bikes.\n", "n1@shop.example",
          datetime(2024, 4, 3, 8, 0, tzinfo=TZ))  # fmt: skip
    box.flush()
    box.close()
    lines = [
        {"conversation": "family", "id": "m1", "time": "2024-04-20T19:00:00+01:00", "speaker": "Rosa Ribeiro",
         "text": "Don't forget the album!"},
        {"conversation": "family", "id": "m2", "time": "2024-04-20T19:05:00+01:00", "speaker": "Marta Ribeiro",
         "text": "Jota says hi. My partner Tiago Lopes is cooking tonight."},
    ]  # fmt: skip
    (root / "family.chat.jsonl").write_text("\n".join(json.dumps(x) for x in lines) + "\n", encoding="utf-8")
    return root
