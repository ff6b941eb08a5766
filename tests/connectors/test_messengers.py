"""WhatsApp chat exports in several locales and Telegram Desktop's result.json, written by generators here."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import knowme
from knowme.connectors.messengers import TelegramConnector, WhatsAppConnector
from knowme.connectors.registry import detect
from knowme.errors import IngestError
from knowme.models import Record

# (file name, lines): the same four-message conversation as each platform and locale writes it
ANDROID_UK = (
    "WhatsApp Chat with Lena Vogel.txt",
    [
        "13/01/2024, 09:15 - Messages and calls are end-to-end encrypted. No one outside of this chat can read them.",
        "13/01/2024, 09:15 - Lena Vogel: Are we still on for the allotment on Saturday?",
        "13/01/2024, 09:17 - Sam: Yes! I'll bring the seed potatoes.",
        "Also the spare spade.",
        "13/01/2024, 09:18 - Lena Vogel: <Media omitted>",
        "14/01/2024, 18:02 - Sam: IMG-20240114-WA0003.jpg (file attached)",
        "The new raised bed",
    ],
)
ANDROID_US = (
    "WhatsApp Chat with Lena Vogel.txt",
    [
        "1/13/24, 9:15\u202fAM - Lena Vogel: Are we still on for the allotment on Saturday?",
        "1/13/24, 9:17\u202fAM - Sam: Yes! I'll bring the seed potatoes.",
        "Also the spare spade.",
        "1/13/24, 9:18\u202fAM - Lena Vogel: <Media omitted>",
        "1/14/24, 6:02\u202fPM - Sam: IMG-20240114-WA0003.jpg (file attached)",
        "The new raised bed",
    ],
)
GERMAN = (
    "WhatsApp Chat mit Lena Vogel.txt",
    [
        "13.01.24, 09:15 - Lena Vogel: Are we still on for the allotment on Saturday?",
        "13.01.24, 09:17 - Sam: Yes! I'll bring the seed potatoes.",
        "Also the spare spade.",
        "13.01.24, 09:18 - Lena Vogel: <Medien ausgelassen>",
        "14.01.24, 18:02 - Sam: IMG-20240114-WA0003.jpg (Datei angehängt)",
        "The new raised bed",
    ],
)
IOS = (
    "_chat.txt",
    [
        "[13/01/2024, 09:15:02] Lena Vogel: Are we still on for the allotment on Saturday?",
        "[13/01/2024, 09:17:40] Sam: Yes! I'll bring the seed potatoes.",
        "Also the spare spade.",
        "\u200e[13/01/2024, 09:18:11] Lena Vogel: \u200eimage omitted",
        "[14/01/2024, 18:02:55] Sam: \u200e<attached: 00000012-PHOTO-2024-01-14-18-02-55.jpg>",
        "The new raised bed",
    ],
)


def write_whatsapp(folder: Path, sample: tuple[str, list[str]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / sample[0]
    path.write_text("\n".join(sample[1]) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("sample", [ANDROID_UK, ANDROID_US, GERMAN, IOS], ids=["uk", "us", "de", "ios"])
def test_whatsapp_locales(tmp_path: Path, sample: tuple[str, list[str]]) -> None:
    folder = (
        tmp_path / "WhatsApp Chat - Lena Vogel" if sample[0] == "_chat.txt" else tmp_path
    )  # the unzipped iOS export
    path = write_whatsapp(folder, sample)
    found, skipped = detect([path])
    assert [type(c) for c in found] == [WhatsAppConnector] and not skipped
    records = [r for r in found[0].iter_records() if isinstance(r, Record)]
    assert len(records) == 4, "the encryption notice is skipped; continuation lines join their message"
    first, second, media, attached = records
    assert first.author == "Lena Vogel" and first.title == "Lena Vogel"
    assert first.timestamp is not None and (first.timestamp.month, first.timestamp.day) == (1, 13)
    assert (first.timestamp.hour, first.timestamp.minute) == (9, 15)
    assert second.text == "Yes! I'll bring the seed potatoes.\nAlso the spare spade." and second.follows == first.ref
    assert media.text == "[media omitted]" and media.meta["media"] is True
    assert attached.text.startswith("[attached: ") and attached.text.endswith("The new raised bed")
    assert attached.timestamp is not None and (attached.timestamp.day, attached.timestamp.hour) == (14, 18)
    assert first.ref.startswith("chat:whatsapp:") and len({r.ref for r in records}) == 4
    assert set(first.participants) == {"Lena Vogel", "Sam"}


def test_whatsapp_ambiguous_dates_and_repeats(tmp_path: Path) -> None:
    path = write_whatsapp(
        tmp_path,
        (
            "WhatsApp Chat with Omar.txt",
            ["03/04/2024, 10:00 - Omar: ok", "03/04/2024, 10:00 - Omar: ok", "05/04/2024, 11:30 - Sam: see you"],
        ),
    )
    records = [r for r in WhatsAppConnector(path).iter_records() if isinstance(r, Record)]
    assert records[0].timestamp is not None and records[0].timestamp.month == 4, "24-hour clock: day first"
    assert len({r.native_id for r in records}) == 3, "two identical messages in one minute stay two"
    with pytest.raises(IngestError, match="no WhatsApp messages"):
        WhatsAppConnector(write_whatsapp(tmp_path / "x", ("notes.txt", ["just text"]))).iter_records().__next__()


def telegram_export() -> dict[str, object]:
    return {
        "about": "Here is the data you requested.",
        "chats": {
            "about": "This page lists all chats from this export.",
            "list": [
                {
                    "name": "Climbing crew",
                    "type": "private_group",
                    "id": 4471,
                    "messages": [
                        {"id": 1, "type": "service", "date": "2024-02-01T18:00:00", "action": "create_group"},
                        {
                            "id": 2,
                            "type": "message",
                            "date": "2024-02-01T18:01:10",
                            "date_unixtime": "1706810470",
                            "from": "Mara",
                            "from_id": "user101",
                            "text": "Bouldering Thursday at 7?",
                        },
                        {
                            "id": 3,
                            "type": "message",
                            "date": "2024-02-01T18:03:00",
                            "from": "Sam",
                            "from_id": "user1",
                            "reply_to_message_id": 2,
                            "text": ["Yes, ", {"type": "bold", "text": "Thursday"}, " works. Bring chalk!"],
                        },
                        {
                            "id": 4,
                            "type": "message",
                            "date": "2024-02-02T08:00:00",
                            "from": "Mara",
                            "photo": "photos/photo_1@02-02-2024_08-00-00.jpg",
                            "text": "",
                        },
                    ],
                }
            ],
        },
    }


def test_telegram_export(vault: knowme.Vault, tmp_path: Path) -> None:
    path = tmp_path / "DataExport_2024-02-03" / "result.json"
    path.parent.mkdir()
    path.write_text(json.dumps(telegram_export(), ensure_ascii=False), encoding="utf-8")
    found, _ = detect([path])
    assert [type(c) for c in found] == [TelegramConnector]
    records = [r for r in found[0].iter_records() if isinstance(r, Record)]
    assert [r.ref for r in records] == ["chat:telegram:4471/2", "chat:telegram:4471/3", "chat:telegram:4471/4"]
    assert records[1].text == "Yes, Thursday works. Bring chalk!" and records[1].follows == "chat:telegram:4471/2"
    assert records[2].text == "[photo]" and records[2].author == "Mara"
    report = vault.ingest(path)
    assert report.added == {"chat_message": 3}
    assert vault.search("bring chalk bouldering", k=1)[0].ref == "chat:telegram:4471/3"
    broken = tmp_path / "result.json"
    broken.write_text('{"messages": [', encoding="utf-8")
    with pytest.raises(IngestError, match="cannot read Telegram export"):
        list(TelegramConnector(broken).iter_records())


def test_whatsapp_ingest_and_search(vault: knowme.Vault, tmp_path: Path) -> None:
    path = write_whatsapp(tmp_path, ANDROID_UK)
    assert vault.ingest(path).added == {"chat_message": 4}
    assert vault.ingest(path).unchanged == {"chat_message": 4}
    hit = vault.search("seed potatoes spade", k=1)[0]
    assert hit.ref.startswith("chat:whatsapp:") and hit.author == "Sam"
