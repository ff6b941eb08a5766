"""Issue 23, the doors around the vault: a client under a grant gets "not found"; one query cache per tenant."""

from __future__ import annotations

from typing import Any

import knowme
from knowme.retrieve.abstain import NOT_FOUND_BELOW
from tests.privacy.test_grants import life_vault  # noqa: F401 - the fixture


def test_a_grant_gets_not_found_for_what_the_vault_does_not_hold(life_vault: knowme.Vault) -> None:  # noqa: F811
    vault = life_vault
    _, token = vault.grant("calendar-app", "calendar", expires="30d")
    grant = vault.check_grant(token)
    unrelated = vault.context("What is the serial number of my grandfather's submarine periscope?", grant=grant)
    assert unrelated.passages  # something matched (a calendar event always comes back) ...
    assert unrelated.found < NOT_FOUND_BELOW  # ... but the signal says not found, as it does for the owner
    owner = vault.context("What is the serial number of my grandfather's submarine periscope?")
    assert owner.found < NOT_FOUND_BELOW
    answered = vault.context("When is the team standup about the Porto offsite?", grant=grant)
    assert answered.found >= NOT_FOUND_BELOW
    assert any(p.ref == "cal:standup-1@example.org" for p in answered.passages)
    reply = vault.ask("What is the serial number of my grandfather's submarine periscope?", grant=grant)
    assert not reply.citations or "not" in reply.text.lower()


def test_a_grant_cannot_time_the_owners_searches_through_the_query_cache(life_vault: knowme.Vault) -> None:  # noqa: F811
    from knowme.llm.batching import BatchingEmbedder

    vault = life_vault
    vault.embedder = shared = BatchingEmbedder(vault.embedder, linger=0)
    try:
        _, token = vault.grant("calendar-app", "calendar", expires="30d")
        grant = vault.check_grant(token)
        vault.search("what did the landlord say about the rent", k=3)  # the owner searches
        hits, calls = shared.hits, shared.batches
        vault.search("what did the landlord say about the rent", k=3, grant=grant)
        assert shared.hits == hits and shared.batches > calls  # not served from the owner's cache
        calls = shared.batches
        vault.search("standup about the offsite", k=3, grant=grant)
        vault.search("standup about the offsite", k=3)  # nor does the client's search warm the owner's
        assert shared.hits == hits and shared.batches == calls + 2
        vault.search("standup about the offsite", k=3)
        assert shared.hits == hits + 1  # the owner's own repeat is cached as before
    finally:
        shared.close()


def test_forgetting_an_assistants_note_leaves_no_copy_in_pending_or_audit(vault: knowme.Vault) -> None:
    import json

    import anyio
    from mcp import Client

    from knowme.interfaces.mcp.server import build_mcp
    from knowme.privacy.pending import PENDING_META

    text = "The neighbour's spare key is inside the fake rock by the hydrangea."

    async def store() -> Any:
        async with Client(build_mcp(vault, allow_write=True)) as client:
            return (await client.call_tool("remember", {"text": text})).structured_content

    stored = anyio.run(store)
    assert stored["stored"] is True and vault.records(stored["ref"])
    assert any(stored["ref"] in json.dumps(e.detail) for e in vault.audit())
    vault.forget(ref=stored["ref"])
    assert text not in (vault.store.get_meta(PENDING_META) or "")
    assert not any(stored["ref"] in json.dumps(e.detail) for e in vault.audit())  # tombstones, as for every forget
