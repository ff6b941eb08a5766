"""The digest on a small real life: birthdays (29 February too), anniversaries, due and overdue commitments, mail
awaiting a reply, events to prepare, as of different dates; the CLI's JSON form."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import knowme
from tests.persona.life import write_life


def _ingest(vault: knowme.Vault, tmp_path: Path) -> None:
    life = write_life(tmp_path / "life")
    vault.ingest([life / "people.vcf", life / "cal.ics", life / "mail.mbox"])


def test_digest_as_of_a_date_lists_what_needs_attention(vault: knowme.Vault, tmp_path: Path) -> None:
    _ingest(vault, tmp_path)
    digest = vault.digest(as_of="2024-03-07", days=7)
    kinds = {(i.kind, i.date) for i in digest.items}
    assert ("birthday", "2024-03-14") in kinds
    birthday = digest.of_kind("birthday")[0]
    assert birthday.people == ("Ivo Marques",) and birthday.detail == "turns 39" and birthday.refs == ("vcf:ivo",)
    assert ("anniversary", "2024-03-10") in kinds
    mine = digest.of_kind("my_commitment")
    assert {i.date for i in mine} == {"2024-03-08"}  # Ivo's request and my promise, both due Friday the 8th
    assert all("budget sheet" in i.title and i.refs for i in mine)
    owed = digest.of_kind("owed_to_me")
    assert [(i.date, i.people) for i in owed] == [("2024-03-09", ("Leo Brandt",))]
    replies = digest.of_kind("awaiting_reply")
    # the hike question waits; the lunch question was answered, the budget thread ends with my reply, the photos
    # ask nothing and the newsletter is bulk
    assert [i.refs for i in replies] == [("mail:h1@home",)]
    assert "hike" in replies[0].detail
    prepare = digest.of_kind("prepare")
    assert [(i.date, i.refs) for i in prepare] == [("2024-03-12", ("cal:dentist-1",))]  # not the recurring yoga
    assert "insurance card" in prepare[0].detail
    assert [i.date for i in digest.items] == sorted(i.date for i in digest.items)


def test_digest_respects_the_window_and_time(vault: knowme.Vault, tmp_path: Path) -> None:
    _ingest(vault, tmp_path)
    early = vault.digest(as_of="2024-03-01", days=3)
    assert not early.of_kind("birthday", "prepare", "my_commitment")
    assert not early.of_kind("awaiting_reply")  # nothing was asked yet on 1 March
    late = vault.digest(as_of="2024-03-20", days=7)
    overdue = late.of_kind("my_commitment")
    assert overdue and all(i.overdue and i.detail == "overdue" for i in overdue)
    assert not vault.digest(as_of="2024-05-01", days=7).of_kind("my_commitment")  # beyond the overdue horizon
    leap = vault.digest(as_of="2025-02-25", days=5).of_kind("birthday")
    assert [(i.people, i.date) for i in leap] == [(("Leo Brandt",), "2025-02-28")]


def test_digest_cli_json(vault: knowme.Vault, tmp_path: Path, home: Path) -> None:
    _ingest(vault, tmp_path)
    vault.close()
    done = subprocess.run(
        [sys.executable, "-m", "knowme.interfaces.cli", "digest", "--as-of", "2024-03-07", "--days", "7", "--json"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    data = json.loads(done.stdout)
    assert data["as_of"] == "2024-03-07" and data["days"] == 7
    assert {"kind", "title", "date", "people", "refs"} <= set(data["items"][0])
    assert "birthday" in {i["kind"] for i in data["items"]}
    text = subprocess.run(
        [sys.executable, "-m", "knowme.interfaces.cli", "digest", "--as-of", "2024-03-07"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert "Awaiting your reply" in text and "mail:h1@home" in text
