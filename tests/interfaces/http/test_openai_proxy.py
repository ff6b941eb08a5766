"""The OpenAI-compatible proxy, driven by the ``openai`` client, forwarding to a real upstream on 127.0.0.1 that
records what it received (the small OpenAI-shaped server of the backend tests)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path

import openai
import pytest

import knowme
from knowme.config import PrivacySettings
from knowme.interfaces.http.auth import issue_token
from knowme.interfaces.http.full import build_app
from tests.interfaces.http.conftest import make_vault
from tests.llm.conftest import FakeOpenAI, _make_handler


@pytest.fixture(scope="module")
def upstream() -> Iterator[FakeOpenAI]:
    fake = FakeOpenAI(url="")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(fake))
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield fake
    fake.release.set()
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def proxy(
    upstream: FakeOpenAI, tmp_path_factory: pytest.TempPathFactory, serve_on_socket: object
) -> Iterator[tuple[openai.OpenAI, knowme.Vault]]:
    root: Path = tmp_path_factory.mktemp("proxy")
    llm = f'backend = "openai"\nbase_url = "{upstream.base("ok")}"\nmodel = "upstream-model"'
    vault = make_vault(root, llm=llm + OPEN_POLICY)
    token = issue_token(vault.store)
    running = serve_on_socket(build_app(vault))  # type: ignore[operator]
    client = openai.OpenAI(base_url=f"{running.url}/v1", api_key=token, max_retries=0)
    try:
        yield client, vault
    finally:
        client.close()
        vault.close()


QUESTION = "How much is the rent of the flat on Rua das Flores?"
#: This vault lets the upstream model see money passages unredacted; the egress test puts the default policy back.
OPEN_POLICY = (
    "\n[privacy]\nredact = false\n"
    'remote_scopes = ["mail", "calendar", "contacts", "notes", "chats", "browsing", "documents", "money"]'
)


def context_of(upstream: FakeOpenAI) -> str:
    body = upstream.requests[-1].body
    system = body["messages"][0]
    assert system["role"] == "system"
    return str(system["content"])


def test_models(proxy: tuple[openai.OpenAI, knowme.Vault]) -> None:
    client, _ = proxy
    assert [m.id for m in client.models.list()] == ["knowme"]


def test_completion_gets_fenced_cited_context(proxy: tuple[openai.OpenAI, knowme.Vault], upstream: FakeOpenAI) -> None:
    client, _ = proxy
    before = len(upstream.requests)
    reply = client.chat.completions.create(
        model="knowme",
        messages=[{"role": "system", "content": "Be terse."}, {"role": "user", "content": QUESTION}],
        max_tokens=50,
    )
    assert reply.choices[0].message.content == f"echo: {QUESTION}"
    assert len(upstream.requests) == before + 1
    sent = upstream.requests[-1].body
    assert sent["model"] == "upstream-model" and sent["max_tokens"] == 50
    assert [m["role"] for m in sent["messages"]] == ["system", "system", "user"]
    assert sent["messages"][1:] == [{"role": "system", "content": "Be terse."}, {"role": "user", "content": QUESTION}]
    context = context_of(upstream)
    assert "never instructions" in context
    fenced = context.split("<knowme-context>\n", 1)[1]
    assert fenced.endswith("</knowme-context>")
    assert fenced.startswith("[mail:porto-7@example.org]") and "950 euros" in fenced
    assert reply.model_extra and reply.model_extra["knowme"]["refs"][0] == "mail:porto-7@example.org"


def test_streaming(proxy: tuple[openai.OpenAI, knowme.Vault], upstream: FakeOpenAI) -> None:
    client, _ = proxy
    stream = client.chat.completions.create(
        model="knowme", messages=[{"role": "user", "content": [{"type": "text", "text": QUESTION}]}], stream=True
    )
    pieces = [c.choices[0].delta.content for c in stream if c.choices and c.choices[0].delta.content]
    assert len(pieces) >= 3 and "".join(pieces) == f"echo: {QUESTION}"
    assert upstream.requests[-1].body["stream"] is True and "950 euros" in context_of(upstream)


def test_the_token_is_required(proxy: tuple[openai.OpenAI, knowme.Vault]) -> None:
    client, _ = proxy
    stranger = openai.OpenAI(base_url=str(client.base_url), api_key="not-the-token", max_retries=0)
    with pytest.raises(openai.AuthenticationError) as info:
        stranger.chat.completions.create(model="knowme", messages=[{"role": "user", "content": QUESTION}])
    assert "token" in str(info.value)
    stranger.close()


def test_bad_requests_are_envelopes(proxy: tuple[openai.OpenAI, knowme.Vault]) -> None:
    client, _ = proxy
    with pytest.raises(openai.UnprocessableEntityError):
        client.chat.completions.create(model="knowme", messages=[])
    with pytest.raises(openai.UnprocessableEntityError, match="body.n"):
        client.chat.completions.create(model="knowme", messages=[{"role": "user", "content": "hi"}], n=2)


def test_preferences_ride_along_and_the_egress_policy_applies(
    proxy: tuple[openai.OpenAI, knowme.Vault], upstream: FakeOpenAI
) -> None:
    client, vault = proxy
    vault.prefer("Never book meetings before 10:00")
    client.chat.completions.create(model="knowme", messages=[{"role": "user", "content": "When should we meet?"}])
    assert "[P1] Never book meetings before 10:00" in context_of(upstream)

    opened = vault.settings.privacy
    vault.settings.privacy = PrivacySettings()  # the default: no money passages, identifiers redacted
    try:
        reply = client.chat.completions.create(model="knowme", messages=[{"role": "user", "content": QUESTION}])
    finally:
        vault.settings.privacy = opened
    context = context_of(upstream)
    assert "950 euros" not in context and "@example.org" not in context
    assert reply.model_extra and "mail:porto-7@example.org" not in reply.model_extra["knowme"]["refs"]
    told = [e for e in vault.audit() if e.action == "chat" and e.actor.startswith("model:")]
    assert told and told[-1].detail["refs"] == reply.model_extra["knowme"]["refs"]


def test_a_grant_sees_only_its_scopes_through_the_proxy(
    proxy: tuple[openai.OpenAI, knowme.Vault], upstream: FakeOpenAI
) -> None:
    client, vault = proxy
    _, token = vault.grant("notes-app", "notes", expires="1h")
    lent = openai.OpenAI(base_url=str(client.base_url), api_key=token, max_retries=0)
    try:
        reply = lent.chat.completions.create(model="knowme", messages=[{"role": "user", "content": QUESTION}])
    finally:
        lent.close()
    refs = reply.model_extra["knowme"]["refs"] if reply.model_extra else []
    assert refs and all(r.startswith("note:") for r in refs)
    context = context_of(upstream)
    assert "950 euros" not in context and "[P1]" not in context
    assert [e.detail["refs"] for e in vault.audit(actor="notes-app") if e.action == "chat"] == [refs]
