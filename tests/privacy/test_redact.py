"""Egress policy: a remote model sees only what the policy allows, identifiers replaced; the user sees them back."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import knowme
from knowme.config import LLMSettings
from knowme.llm.openai_compat import OpenAICompatBackend
from knowme.privacy.redact import Redactor, people_names
from tests.conftest import PASSPHRASE
from tests.llm.conftest import FakeOpenAI, fake_openai  # noqa: F401 - the fixture
from tests.samples import write_life

NOTE = (
    "# Rui\nCall Rui at +351 912 345 678 (or 912 345 678 from Portugal); his flat is at Rua das Flores 12, Porto. "
    "Write to rui.costa@example.pt. For the van rental he pays from PT50 0002 0123 1234 5678 9015 4.\n"
)


def test_redactor_recognises_identifiers_consistently() -> None:
    r = Redactor(phone_region="PT")
    text = (
        "Mail ana@example.org and ANA@example.org; call +351 912 345 678 or 912 345 678; "
        "IBAN GB82 WEST 1234 5698 7654 32, card 4111-1111-1111-1111; lives at 221B Baker Street; "
        "Lindenstraße 5; 12 rue de Rivoli. Not these: 2025-03-03, 950 euros, 5 km, order 1234567890123."
    )
    out = r.redact(text)
    for secret in ("ana@example.org", "912 345 678", "GB82", "4111", "Baker Street", "Lindenstraße", "Rivoli"):
        assert secret not in out
    assert out.count("[EMAIL_1]") == 2 and "[EMAIL_2]" not in out, "the same address is the same placeholder"
    assert out.count("[PHONE_1]") == 2, "the same number in two notations is one placeholder"
    assert "2025-03-03" in out and "950 euros" in out and "5 km" in out and "1234567890123" in out
    assert r.counts() == {"EMAIL": 1, "PHONE": 1, "IBAN": 1, "CARD": 1, "ADDRESS": 3}
    reply = "Write to [EMAIL_1] at [ADDRESS_1]; [PERSON_9] is not something I sent."
    assert r.restore(reply) == "Write to ana@example.org at 221B Baker Street; [PERSON_9] is not something I sent."
    assert r.redact("already [EMAIL_1] here") == "already [EMAIL_1] here"


def test_names_only_when_asked() -> None:
    names = people_names(["Tom Baker <tom.baker@example.org>", None, "José Núñez"])
    assert names == ["Tom Baker", "Tom", "Baker", "José Núñez", "José", "Núñez"]
    text = "Tom Baker asked José Núñez about Tomorrow's plan with Tom."
    assert Redactor(names).redact(text) == text
    out = Redactor(names, redact_names=True).redact(text)
    assert "Tom" not in out.replace("Tomorrow", "") and "José" not in out and "Tomorrow" in out


_IDENTIFIERS = st.sampled_from(
    [
        "ana@example.org", "tom.baker@example.co.uk", "+351 912 345 678", "+1 415 555 2671",
        "GB82 WEST 1234 5698 7654 32", "DE89 3704 0044 0532 0130 00", "4111 1111 1111 1111", "5500-0000-0000-0004",
        "221B Baker Street", "Rua das Flores 12", "Lindenstraße 5", "Maya Silva",
    ]
)  # fmt: skip
_FILLER = st.sampled_from(
    ["the", "meeting", "on", "2025-03-03", "costs", "950", "euros", "and", "call", "at", "5", "km"]
)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(_IDENTIFIERS, _FILLER), max_size=25), st.text(max_size=120))
def test_property_identifiers_never_survive_and_restore_round_trips(pieces: list[str], noise: str) -> None:
    text = " ; ".join(pieces)
    r = Redactor(["Maya Silva"], redact_names=True, phone_region="PT")
    out = r.redact(text)
    for piece in pieces:
        if piece in _IDENTIFIERS.elements:  # type: ignore[attr-defined]
            assert piece not in out
    assert r.restore(out) == text
    Redactor(phone_region="US").redact(noise)  # arbitrary text never breaks it


def _remote(vault: knowme.Vault, fake: FakeOpenAI) -> None:
    vault.use_backend(OpenAICompatBackend(LLMSettings(backend="openai", base_url=fake.base("ok"))))


def _sent(fake: FakeOpenAI) -> str:
    return json.dumps(fake.requests[-1].body, ensure_ascii=False)


def test_remote_model_gets_placeholders_and_the_user_gets_the_values(
    home: Path,
    tmp_path: Path,
    fake_openai: FakeOpenAI,  # noqa: F811
) -> None:
    home.mkdir(parents=True)
    policy = '[privacy]\nphone_region = "PT"\nremote_scopes = ["notes", "mail", "money"]\n'
    (home / "config.toml").write_text(policy, encoding="utf-8")  # money: the note has an IBAN
    paths = write_life(tmp_path / "life")
    (paths["note"] / "rui.md").write_text(NOTE, encoding="utf-8")
    with knowme.open(home, PASSPHRASE) as vault:
        vault.ingest(list(paths.values()))
        _remote(vault, fake_openai)
        answer = vault.ask("How do I reach Rui (rui.costa@example.pt)?")
        sent = _sent(fake_openai)
        for secret in ("912 345 678", "Rua das Flores 12", "rui.costa@example.pt", "PT50 0002"):
            assert secret not in sent
            assert secret in answer.text, "the echo comes back with the real values"
        assert "[PHONE_1]" in sent and "[ADDRESS_1]" in sent and "[EMAIL_1]" in sent
        event = vault.audit()[-1]
        assert event.detail["redacted"]["PHONE"] == 1 and event.detail["redacted"]["IBAN"] == 1
        assert event.detail["redacted"]["EMAIL"] >= 1
        assert answer.evidence and any(h.ref == "note:rui.md" for h in answer.evidence)


def test_sensitive_and_out_of_scope_passages_never_reach_a_remote_model(
    home: Path,
    tmp_path: Path,
    fake_openai: FakeOpenAI,  # noqa: F811
) -> None:
    paths = write_life(tmp_path / "life")
    with knowme.open(home, PASSPHRASE) as vault:
        vault.ingest(list(paths.values()))
        _remote(vault, fake_openai)
        vault.ask("What is the rent of the Porto flat?")
        assert "950" not in _sent(fake_openai), "money matters stay local by default"
        vault.ask("When is my dentist appointment?")
        assert "Okafor" not in _sent(fake_openai), "health matters stay local by default"
    (home / "config.toml").write_text('[privacy]\nremote_scopes = ["mail", "money"]\n', encoding="utf-8")
    with knowme.open(home, PASSPHRASE) as vault:
        _remote(vault, fake_openai)
        answer = vault.ask("What is the rent of the Porto flat?")
        assert "950" in _sent(fake_openai) and "jose@example.org" not in _sent(fake_openai)
        assert "jose@example.org" in answer.text
        vault.ask("When is my dentist appointment?")
        assert "Okafor" not in _sent(fake_openai), "calendar is not in remote_scopes"
    (home / "config.toml").write_text('[privacy]\nremote_scopes = ["mail", "wealth"]\n', encoding="utf-8")
    with knowme.open(home, PASSPHRASE) as vault:
        _remote(vault, fake_openai)
        with pytest.raises(knowme.ConfigError, match="unknown scope"):
            vault.ask("anything")
