"""Per-tenant data keys: the operator's KEK from the environment or a file, wrapping, sealing, blind indexes."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from knowme.errors import ConfigError, PassphraseMissing, VaultCorrupt, WrongPassphrase
from knowme.store.tenantkeys import TenantCipher, load_kek, new_data_key, unwrap_key, wrap_key

KEK = bytes(range(32))


def test_the_kek_comes_as_hex_base64_or_a_file(tmp_path: Path) -> None:
    assert load_kek({"KNOWME_KEK": KEK.hex()}) == KEK
    assert load_kek({"KNOWME_KEK": base64.b64encode(KEK).decode()}) == KEK
    (tmp_path / "kek").write_text(KEK.hex() + "\n", encoding="ascii")
    assert load_kek({"KNOWME_KEK_FILE": str(tmp_path / "kek")}) == KEK
    for bad in ("abc", KEK.hex()[:-2], base64.b64encode(KEK[:16]).decode()):
        with pytest.raises(ConfigError, match="32 random bytes") as info:
            load_kek({"KNOWME_KEK": bad})
        assert bad not in str(info.value)
    with pytest.raises(ConfigError, match="cannot read"):
        load_kek({"KNOWME_KEK_FILE": str(tmp_path / "missing")})
    with pytest.raises(PassphraseMissing, match="KNOWME_KEK"):
        load_kek({})


def test_a_wrapped_key_opens_only_with_its_kek_and_its_tenant() -> None:
    data_key = new_data_key()
    wrapped = wrap_key(KEK, "alice", data_key)
    assert data_key not in wrapped and unwrap_key(KEK, "alice", wrapped) == data_key
    with pytest.raises(WrongPassphrase, match="alice"):
        unwrap_key(bytes(32), "alice", wrapped)
    with pytest.raises(WrongPassphrase):
        unwrap_key(KEK, "bob", wrapped)  # a wrapped key copied to another user's row


@given(st.text(max_size=300))
def test_sealed_values_round_trip_and_hide_their_text(value: str) -> None:
    cipher = TenantCipher(b"\x01" * 32)
    sealed = cipher.seal(value, "records.text")
    assert sealed is not None and cipher.open(sealed, "records.text") == value
    assert cipher.seal(value, "records.text") != sealed  # a fresh nonce every time
    if len(value.encode()) >= 8:
        assert value.encode() not in sealed


def test_sealed_values_are_bound_to_their_key_and_column() -> None:
    mine, theirs = TenantCipher(b"\x01" * 32), TenantCipher(b"\x02" * 32)
    sealed = mine.seal("Dinner at the Porto riverside", "records.text")
    assert mine.seal(None, "records.text") is None and mine.open(None, "records.text") is None
    with pytest.raises(VaultCorrupt, match="records.title"):
        mine.open(sealed, "records.title")
    with pytest.raises(VaultCorrupt):
        theirs.open(sealed, "records.text")


def test_blind_indexes_are_stable_per_tenant_and_differ_across_tenants() -> None:
    mine, theirs = TenantCipher(b"\x01" * 32), TenantCipher(b"\x02" * 32)
    assert mine.blind("mail:1") == mine.blind("mail:1") != mine.blind("mail:2")
    assert mine.blind("mail:1") != theirs.blind("mail:1")
    assert len(mine.blind("mail:1") or b"") == 16 and mine.blind(None) is None
