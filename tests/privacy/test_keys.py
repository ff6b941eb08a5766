"""Keys: change the passphrase in place (also when killed half-way), lock and unlock, and secrets never shown."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

import knowme
from knowme.extract.chunking import chunk_record
from knowme.models import Record
from knowme.store.keys import KEY_FILE, derive_key, keyring_get
from knowme.store.rekey import PENDING_KEY_FILE
from knowme.store.sqlcipher import VAULT_FILE
from tests.conftest import PASSPHRASE, MemoryKeyring
from tests.privacy.test_forget import _run
from tests.samples import write_life

NEW = "a much longer new passphrase 42"
ROOT = Path(__file__).resolve().parents[2]


def _fill(vault: knowme.Vault, n: int) -> None:
    """``n`` records with random vectors (no embedding model needed), enough pages to make a re-key take a while."""
    rng = np.random.default_rng(7)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    with vault.store.transaction():
        for i in range(n):
            words = " ".join(f"w{int(x)}" for x in rng.integers(0, 50_000, size=300))
            record = Record(
                source="test:/fill", kind="note", native_id=f"n{i}", ref=f"note:n{i}.md", text=words,
                title=f"Note {i}", timestamp=start + timedelta(hours=i),
            )  # fmt: skip
            chunks = chunk_record(record)
            vecs = rng.normal(size=(len(chunks), vault.store.dim)).astype(np.float32)
            vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
            vault.store.upsert_record(record, chunks, vecs)


def test_change_passphrase_rekeys_in_place(home: Path, tmp_path: Path, memory_keyring: MemoryKeyring) -> None:
    paths = write_life(tmp_path / "life")
    with knowme.open(home, PASSPHRASE) as vault:
        vault.ingest(list(paths.values()))
        vault.unlock(PASSPHRASE)
        before = json.loads((home / KEY_FILE).read_text())
        old_key = derive_key(home, PASSPHRASE)
        vault.change_passphrase(NEW)
        assert keyring_get(home) == NEW, "the keyring entry follows the change"
        # the open vault keeps working
        assert vault.search("Rua das Flores", k=1)[0].ref == "mail:porto-7@example.org"
    after = json.loads((home / KEY_FILE).read_text())
    assert after["salt"] != before["salt"] and not (home / PENDING_KEY_FILE).exists()
    with pytest.raises(knowme.WrongPassphrase, match="wrong passphrase"):
        knowme.open(home, PASSPHRASE)
    with knowme.open(home, NEW) as vault:
        assert vault.store.counts()["email"] == 2
        assert vault.store.integrity_check() == "ok"  # type: ignore[attr-defined]
    from knowme.store.rekey import key_opens

    assert not key_opens(home / VAULT_FILE, old_key), "the old key no longer decrypts any page"


def test_lock_and_unlock_keep_the_passphrase_in_the_keyring_or_not(
    home: Path, memory_keyring: MemoryKeyring, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _run(capsys, "init")[0] == 0
    code, out, _ = _run(capsys, "unlock")
    assert code == 0 and "Unlocked" in out and keyring_get(home) == PASSPHRASE
    monkeypatch.delenv("KNOWME_PASSPHRASE")
    assert _run(capsys, "status", "--json")[0] == 0, "the keyring opens it now"
    code, out, _ = _run(capsys, "lock")
    assert code == 0 and "Locked" in out and keyring_get(home) is None
    code, _, err = _run(capsys, "status")
    assert code == 4 and "no passphrase" in err
    code, out, _ = _run(capsys, "lock")
    assert code == 0 and "nothing to lock" in out
    monkeypatch.setenv("KNOWME_PASSPHRASE", "not it")
    code, _, err = _run(capsys, "unlock")
    assert code == 4 and keyring_get(home) is None


def test_cli_passphrase_change(home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    assert _run(capsys, "init")[0] == 0
    code, _, err = _run(capsys, "passphrase", "change")
    assert code == 4 and "KNOWME_NEW_PASSPHRASE" in err, "no terminal and no new passphrase: a clear refusal"
    monkeypatch.setenv("KNOWME_NEW_PASSPHRASE", NEW)
    code, out, err = _run(capsys, "passphrase", "change")
    assert code == 0 and "new passphrase" in out
    assert NEW not in out + err and PASSPHRASE not in out + err
    monkeypatch.setenv("KNOWME_PASSPHRASE", NEW)
    assert _run(capsys, "status", "--json")[0] == 0


def test_secrets_never_appear_in_reprs_errors_or_files(home: Path, tmp_path: Path) -> None:
    secrets_ = [PASSPHRASE, NEW]
    with knowme.open(home, PASSPHRASE) as vault:
        vault.ingest(write_life(tmp_path / "life")["note"])
        keys = [derive_key(home, PASSPHRASE).hex()]
        vault.change_passphrase(NEW)
        keys.append(derive_key(home, NEW).hex())
        shown = [repr(vault), repr(vault.store), str(vars(vault)), str(vars(vault.store))]
    for wrong in (PASSPHRASE, "nope"):
        with pytest.raises(knowme.WrongPassphrase) as info:
            knowme.open(home, wrong)
        shown += [str(info.value), repr(info.value)]
    for text in shown:
        for secret in secrets_ + keys:
            assert secret not in text
    for path in home.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            for secret in secrets_ + keys:
                assert secret.encode() not in data, path
                assert bytes.fromhex(secret) not in data if secret in keys else True


_CHANGER = """
import os, sys, time
import knowme
vault = knowme.open(sys.argv[1])
def step(name):
    print(name, flush=True)
    if name == os.environ.get("STALL_AT"):
        time.sleep(120)
vault.change_passphrase(os.environ["KNOWME_NEW_PASSPHRASE"], on_step=step)
print("done", flush=True)
"""


def _change_and_kill(home: Path, *, stall_at: str | None, delay: float) -> list[str]:
    env = {**os.environ, "KNOWME_PASSPHRASE": PASSPHRASE, "KNOWME_NEW_PASSPHRASE": NEW, "PYTHONPATH": str(ROOT)}
    if stall_at:
        env["STALL_AT"] = stall_at
    proc = subprocess.Popen(
        [sys.executable, "-c", _CHANGER, str(home)], stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT
    )
    assert proc.stdout is not None
    seen = []
    try:
        for line in proc.stdout:
            seen.append(line.strip())
            if line.strip() == (stall_at or "pending"):
                time.sleep(delay)
                break
        # the process title and arguments never carry a secret (they travel in the environment only)
        title = Path(f"/proc/{proc.pid}/cmdline").read_bytes()
        assert PASSPHRASE.encode() not in title and NEW.encode() not in title
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        proc.stdout.close()
    return seen


@pytest.mark.parametrize(
    ("stall_at", "delay", "expected"),
    [
        ("pending", 0.0, PASSPHRASE),  # killed before re-encrypting: the old passphrase stays
        (None, 0.15, None),  # killed while re-encrypting (it takes about 0.5 s here): either, never a broken vault
        ("rekeyed", 0.0, NEW),  # killed after re-encrypting, before the key file moved: the new one, finished
    ],
)
def test_killed_rekey_leaves_a_vault_that_opens(
    home: Path, stall_at: str | None, delay: float, expected: str | None
) -> None:
    with knowme.open(home, PASSPHRASE) as vault:
        _fill(vault, 1500)
        count = vault.store.counts()["note"]
    seen = _change_and_kill(home, stall_at=stall_at, delay=delay)
    assert seen[0] == "pending" and "done" not in seen
    assert (home / PENDING_KEY_FILE).exists()
    opened_with = []
    for candidate in (PASSPHRASE, NEW):
        try:
            with knowme.open(home, candidate) as vault:
                assert vault.store.counts()["note"] == count
                assert vault.store.integrity_check() == "ok"  # type: ignore[attr-defined]
                opened_with.append(candidate)
        except knowme.WrongPassphrase as exc:
            assert "interrupted" in str(exc) or "wrong passphrase" in str(exc)
    assert len(opened_with) == 1, opened_with
    if expected is not None:
        assert opened_with == [expected]
    assert not (home / PENDING_KEY_FILE).exists(), "the interrupted change was finished or discarded on open"
    with pytest.raises(knowme.WrongPassphrase):
        knowme.open(home, NEW if opened_with == [PASSPHRASE] else PASSPHRASE)
