"""``knowme sources add|list|remove`` and ``knowme sync`` through the command line's one entry point."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.ingest.sources.mail import make_maildir
from tests.interfaces.test_cli import run


def test_sources_cli(home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    box = make_maildir(tmp_path / "Mail", 4)
    code, _, err = run(capsys, "sources", "list")
    assert code == 3 and "knowme init" in err
    assert run(capsys, "init")[0] == 0
    code, out, _ = run(capsys, "sources", "add", str(box), "--name", "mail", "--json")
    assert code == 0 and json.loads(out)["kind"] == "files"
    code, _, err = run(capsys, "sources", "add", "ftp://example.org/x")
    assert code == 2 and "unknown source scheme 'ftp'" in err
    code, _, err = run(
        capsys, "sources", "add", "caldav+http://127.0.0.1:5232/sam/cal/", "--user", "sam", "--password-env", "CAL_PW"
    )
    assert code == 2 and "in clear" in err and "--insecure" in err  # no cleartext password without saying so
    code, _, err = run(capsys, "sources", "add", "carddav+http://dav.example.org/sam/", "--insecure")
    assert code == 2 and "loopback or test host" in err  # and never to a real host
    code, out, _ = run(
        capsys, "sources", "add", "caldav+http://127.0.0.1:5232/sam/cal/", "--user", "sam", "--password-env", "CAL_PW",
        "--insecure",
    )  # fmt: skip
    assert code == 0 and "caldav-127.0.0.1-cal" in out

    code, out, _ = run(capsys, "sync", "mail", "--json")
    [report] = json.loads(out)
    assert code == 0 and report["added"] == {"email": 4} and report["error"] is None
    code, out, _ = run(capsys, "sync")
    assert code == 0 and "Sync report" in out and "CAL_PW is not set" in out

    code, out, _ = run(capsys, "sources", "list", "--json")
    listed = {s["name"]: s for s in json.loads(out)}
    assert listed["mail"]["items"] == 4 and listed["mail"]["last_sync"]
    assert listed["caldav-127.0.0.1-cal"]["password_env"] == "CAL_PW" and listed["caldav-127.0.0.1-cal"]["error"]
    code, out, _ = run(capsys, "sources", "list")
    assert code == 0 and "mail" in out and "never" not in out

    code, _, err = run(capsys, "sources", "remove", "mail")
    assert code == 2 and "--keep-data or --forget-data" in err, "no prompt without a terminal"
    code, out, _ = run(capsys, "sources", "remove", "mail", "--forget-data")
    assert code == 0 and "forgot 4 record(s)" in out
    code, _, err = run(capsys, "sources", "remove", "mail", "--keep-data")
    assert code == 8 and "no source named 'mail'" in err
    code, out, _ = run(capsys, "search", "greenhouse budget", "--json")
    assert json.loads(out) == []
