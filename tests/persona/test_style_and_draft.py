"""The user's voice: a style profile from their sent mail and chat lines, per recipient; drafts that greet and sign
off the way the user does with that person, carry the intent in the first person, and are grounded in open
commitments; the CLI."""

from __future__ import annotations

import json
import mailbox
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

import pytest

import knowme
from knowme.assist.draft import first_person
from knowme.errors import ConfigError
from knowme.interfaces.cli import main
from knowme.persona.style import message_features, split_message

TZ = timezone(timedelta(hours=1))
ME = "Nora Vidal <nora@home.example>"
MUM = "Ines Vidal <ines@home.example>"
BOSS = "Karl Weber <karl@work.example>"


def _write(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    box = mailbox.mbox(root / "mail.mbox")
    n = 0

    def add(sender: str, to: str, subject: str, body: str, reply: str | None = None) -> str:
        nonlocal n
        n += 1
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = sender, to, subject
        msg["Message-ID"] = f"<m{n}@test>"
        msg["Date"] = format_datetime(datetime(2024, 4, 1, 9, 0, tzinfo=TZ) + timedelta(hours=n))
        if reply:
            msg["In-Reply-To"] = msg["References"] = f"<{reply}>"
        msg.set_content(body)
        box.add(msg)
        return f"m{n}@test"

    for topic in ("Sunday lunch", "The garden", "Photos"):
        asked = add(MUM, ME, topic, f"Filha, what about {topic.lower()}?\n\nMãe")
        add(ME, MUM, f"Re: {topic}", "Mãe,\n\nYes, lovely! See you then 😊\n\nBeijinhos\nNora", asked)
    for topic in ("Budget review", "Hiring plan", "Quarterly report"):
        asked = add(BOSS, ME, topic, f"Hello Nora,\n\nCould you look at the {topic.lower()}?\n\nKarl")
        add(ME, BOSS, f"Re: {topic}", f"Dear Karl,\n\nI would be glad to review the {topic.lower()} this week and "
            "send my comments in writing, together with a short summary of the open questions for the team.\n\n"
            "Kind regards,\nNora\n\n-- \nNora Vidal\nHead of Finance", asked)  # fmt: skip
    add(ME, BOSS, "Travel costs", "Dear Karl,\n\nI will send you the travel cost report by Friday 12 April.\n\n"
        "Kind regards,\nNora")  # fmt: skip
    add(BOSS, ME, "Offsite", "Hello Nora,\n\nAre you joining the offsite in May?\n\nKarl")
    add(MUM, ME, "Easter", "Filha, are you coming for Easter?\n\nMãe")
    box.flush()
    box.close()
    return root / "mail.mbox"


def test_split_message_and_features() -> None:
    greeting, body, sign_off = split_message("Hi Tom,\n\nSounds good!\n\nCheers,\nNora", "Tom Becker <t@x>")
    assert (greeting, body, sign_off) == ("Hi {name},", "Sounds good!", "Cheers,\nNora")
    feats = message_features("Olá! Obrigada, é para amanhã 😊")
    assert feats["language"] == "pt" and feats["emoji"] is True and feats["exclamation"] is True
    assert first_person("tell her I'll send it on Friday") == "I'll send it on Friday."


def test_style_profile_per_recipient(vault: knowme.Vault, tmp_path: Path) -> None:
    vault.ingest(_write(tmp_path))
    mum = vault.style("Ines Vidal")
    assert mum.samples == 3 and mum.greeting == "Mãe," and mum.sign_off == "Beijinhos\nNora"
    assert mum.emoji_rate == 1.0 and mum.formality < 0.5
    boss = vault.style("karl@work.example")
    assert boss.samples == 4 and boss.greeting == "Dear {name}," and boss.sign_off == "Kind regards,\nNora"
    assert boss.signature == "Nora Vidal\nHead of Finance" and boss.formality > mum.formality
    assert boss.words > mum.words
    overall = vault.style()
    assert overall.samples == 7 and overall.language == "en"


def test_drafts_in_the_users_voice_grounded_in_commitments(vault: knowme.Vault, tmp_path: Path) -> None:
    vault.ingest(_write(tmp_path))
    easter = vault.records("mail:m15@test")[0]
    assert easter.title == "Easter"
    draft = vault.draft("mail:m15@test", "say yes, we'll bring the cake")
    assert draft.text.startswith("Mãe,\n\nYes, we'll bring the cake.") and draft.text.endswith("Beijinhos\nNora")
    assert draft.subject == "Re: Easter" and draft.to.startswith("Ines Vidal")
    assert draft.examples and draft.examples[0].startswith("mail:m")  # her past replies to mum
    offsite = vault.draft("mail:m14@test", "tell him I will join on both days")
    assert offsite.text.startswith("Dear Karl,\n\nI will join on both days.")
    assert "I haven't forgotten: I'll send you the travel cost report by 2024-04-12." in offsite.text
    assert offsite.grounding and "mail:m13@test" in offsite.refs
    assert offsite.text.endswith("-- \nNora Vidal\nHead of Finance")
    with pytest.raises(ConfigError):
        vault.draft("mail:m14@test", "   ")
    with pytest.raises(ConfigError):
        vault.draft("mail:nowhere", "yes")


def test_draft_and_style_cli(vault: knowme.Vault, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    vault.ingest(_write(tmp_path))
    vault.close()

    def run(*args: str) -> tuple[int, str]:
        with pytest.raises(SystemExit) as info:
            main(list(args))
        code = info.value.code
        return (code if isinstance(code, int) else 0), capsys.readouterr().out

    code, out = run("draft", "--reply-to", "mail:m15@test", "--intent", "say yes", "--json")
    assert code == 0 and json.loads(out)["text"].startswith("Mãe,")
    code, out = run("draft", "--reply-to", "mail:m15@test", "--intent", "say yes")
    assert "Subject: Re: Easter" in out and "Beijinhos" in out
    code, out = run("style", "--to", "Karl Weber", "--json")
    assert json.loads(out)["samples"] == 4
    code, out = run("style")
    assert "greetings" in out and "7 messages" in out
