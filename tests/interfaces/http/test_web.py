"""The web page end to end in headless Chromium (Debian's, never a downloaded browser), against the real server on
a socket: the token from the link, a streamed answer whose citation opens the original record, the memory
inspector with rating and forgetting, people with the neighbourhood picture, the timeline, preferences, the digest,
the audit log with grants, the status page; screenshots that must not be blank."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

import knowme
from knowme.interfaces.http.full import build_app
from tests.graph.life import write_life
from tests.interfaces.http.conftest import make_vault

CHROMIUM = "/usr/bin/chromium"

VARIANCE_JS = """async (data) => {
  const img = new Image();
  img.src = "data:image/png;base64," + data;
  await img.decode();
  const canvas = document.createElement("canvas");
  canvas.width = img.width; canvas.height = img.height;
  const ctx = canvas.getContext("2d");
  ctx.drawImage(img, 0, 0);
  const px = ctx.getImageData(0, 0, img.width, img.height).data;
  let sum = 0, sq = 0, n = 0;
  for (let i = 0; i < px.length; i += 4 * 7) {
    const y = 0.299 * px[i] + 0.587 * px[i + 1] + 0.114 * px[i + 2];
    sum += y; sq += y * y; n += 1;
  }
  const mean = sum / n;
  return sq / n - mean * mean;
}"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"])
        yield b
        b.close()


@pytest.fixture(scope="module")
def server_vault(tmp_path_factory: pytest.TempPathFactory) -> Iterator[knowme.Vault]:
    """The server tests' sample life plus the graph tests' life, so the people and timeline views have content."""
    root = tmp_path_factory.mktemp("web")
    vault = make_vault(root)
    life = write_life(root / "graph-life")
    vault.ingest([life / "contacts.vcf", life / "mail.mbox", life / "notes", life / "family.chat.jsonl"])
    try:
        yield vault
    finally:
        vault.close()


@pytest.fixture(scope="module")
def site(server_vault: knowme.Vault, serve_on_socket: object) -> str:
    return str(serve_on_socket(build_app(server_vault)).url)  # type: ignore[operator]


def shot(browser: Browser, page: Page, path: Path) -> float:
    """Save a screenshot and return the variance of its luminance (0 for a blank page), measured in the browser."""
    data = page.screenshot(path=str(path), full_page=True)
    probe = browser.new_page()
    try:
        probe.goto("about:blank")
        return float(probe.evaluate(VARIANCE_JS, base64.b64encode(data).decode()))
    finally:
        probe.close()


def test_chat_with_sources(browser: Browser, site: str, token: str, tmp_path: Path) -> None:
    page = browser.new_page(viewport={"width": 1100, "height": 800})
    page.goto(f"{site}/#token={token}")
    assert "token=" not in page.url  # taken out of the address bar
    page.fill("#question", "What is the rent of the Porto flat?")
    page.click("#ask-form button")
    turn = page.locator(".turn[data-state=done]")
    turn.wait_for(timeout=30_000)
    assert "950" in turn.locator(".answer").inner_text()
    citation = turn.locator(".citations a.ref").first
    assert citation.get_attribute("data-ref") == "mail:porto-7@example.org"
    citation.click()
    dialog = page.locator("#record[open]")
    dialog.wait_for()
    assert "Rua das Flores" in dialog.locator("#record-text").inner_text()
    assert page.locator("#record-ref").inner_text() == "mail:porto-7@example.org"
    assert shot(browser, page, tmp_path / "chat.png") > 100
    page.close()


def test_memory_inspector_and_status(browser: Browser, site: str, token: str, tmp_path: Path) -> None:
    page = browser.new_page(viewport={"width": 1100, "height": 800})
    page.goto(f"{site}/memory#token={token}")
    page.locator("#recent li").first.wait_for()
    page.fill("#query", "dentist")
    page.select_option("#kind", "event")
    page.click("#search-form button")
    page.locator("#results[data-state=done]").wait_for()
    first = page.locator("#results a.ref").first
    assert first.get_attribute("data-ref") == "cal:dentist-42@example.org"
    first.click()
    page.locator("#record[open]").wait_for()
    assert "Okafor" in page.locator("#record-title").inner_text() + page.locator("#record-text").inner_text()
    assert shot(browser, page, tmp_path / "memory.png") > 100

    page.goto(f"{site}/status")  # the token is kept for the tab
    page.locator("#status-table[data-state=done]").wait_for()
    table = page.locator("#status-table").inner_text()
    assert "email" in table and "extractive" in table
    features = page.locator("#features").inner_text()
    assert "graph: yes" in features and "privacy: yes" in features
    assert shot(browser, page, tmp_path / "status.png") > 100
    page.close()


def test_login_with_a_wrong_token_then_the_right_one(browser: Browser, site: str, token: str) -> None:
    page = browser.new_page()
    page.goto(f"{site}/preferences")  # no token yet: the page asks for one and calls no API
    assert page.locator("#login").is_visible() and not page.locator("#main").is_visible()
    page.fill("#token-input", "km_wrong")
    page.click("#token-form button")  # the page reloads, its first API call is refused
    page.locator("#token-form .hint", has_text="not accepted").wait_for()
    assert page.locator("#login").is_visible() and not page.locator("#main").is_visible()
    page.goto(f"{site}/status#token={token}")
    page.locator("#status-table[data-state=done]").wait_for()
    page.goto(f"{site}/preferences")  # the token is kept for the tab
    page.locator("#prefs[data-state=done]").wait_for()
    assert page.locator("nav a.planned").count() == 0
    for label in ("Preferences", "Digest", "Audit", "People", "Timeline"):
        assert page.locator("nav a", has_text=label).count() == 1
    page.close()


def test_preferences_editor(browser: Browser, site: str, token: str, tmp_path: Path) -> None:
    page = browser.new_page(viewport={"width": 1100, "height": 800})
    page.goto(f"{site}/preferences#token={token}")
    page.locator("#prefs[data-state=done]").wait_for()
    page.fill("#statement", "Never book meetings before 10:00")
    page.click("#prefer-form button")
    item = page.locator("#prefs li", has_text="Never book meetings before 10:00")
    item.wait_for()
    assert "scheduling" in item.inner_text() and "stated" in item.inner_text()
    page.fill("#statement", "red meat")
    page.check("#avoid")
    page.click("#prefer-form button")
    avoid = page.locator("#prefs li", has_text="red meat")
    avoid.wait_for()
    assert "avoid" in avoid.inner_text()
    assert shot(browser, page, tmp_path / "preferences.png") > 100
    avoid.locator("button.remove").click()
    avoid.wait_for(state="detached")
    item.locator("button.toggle").click()  # hide: gone from the list unless hidden ones are shown
    item.wait_for(state="detached")
    page.check("#show-hidden")
    page.locator("#prefs li.hidden-pref", has_text="Never book meetings").wait_for()
    page.close()


def test_digest(browser: Browser, site: str, token: str, tmp_path: Path) -> None:
    page = browser.new_page(viewport={"width": 1100, "height": 800})
    page.goto(f"{site}/digest#token={token}")
    page.locator("#digest[data-state=done]").wait_for()
    page.fill("#digest-as-of", "2024-09-10")
    page.fill("#digest-days", "14")
    page.evaluate("document.querySelector('#digest').dataset.state = ''")
    page.click("#digest-form button")
    page.locator("#digest[data-state=done]").wait_for()
    birthday = page.locator("#digest li[data-kind=birthday]", has_text="Rosa")
    assert birthday.count() == 1 and "2024-09-17" in birthday.inner_text()
    birthday.locator("a.ref").first.click()  # its source opens
    page.locator("#record[open]").wait_for()
    assert page.locator("#record-ref").inner_text()
    assert shot(browser, page, tmp_path / "digest.png") > 100
    page.close()


def test_rate_and_forget_a_record_then_see_the_audit(
    browser: Browser, site: str, token: str, server_vault: knowme.Vault, tmp_path: Path
) -> None:
    note = server_vault.remember("The storage unit code is 2468.", title="Storage unit")
    _, lent = server_vault.grant("web-test-app", "notes", expires="1d")
    server_vault.search("storage unit code", grant=server_vault.check_grant(lent))
    page = browser.new_page(viewport={"width": 1100, "height": 800})
    page.goto(f"{site}/memory#token={token}")
    page.fill("#query", "storage unit code")
    page.click("#search-form button")
    page.locator("#results[data-state=done]").wait_for()
    page.locator(f"#results a.ref[data-ref='{note.ref}']").click()
    page.locator("#record[open]").wait_for()
    page.click("#rate-up")
    page.locator("#record-status", has_text="more like this").wait_for()
    rated = [f for f in server_vault.store.persona().feedback() if f.target_id == note.ref]
    assert rated and rated[-1].rating == 1 and rated[-1].detail.get("query") == "storage unit code"
    page.click("#forget-preview")
    page.locator("#forget-box[data-state=preview]").wait_for()
    assert "1 record(s)" in page.locator("#forget-summary").inner_text()
    assert server_vault.records(note.ref), "the preview changed nothing"
    page.click("#forget-confirm")
    page.locator("#forget-box[data-state=done]").wait_for()
    assert not server_vault.records(note.ref)
    page.goto(f"{site}/audit")
    page.locator("#audit[data-state=done]").wait_for()
    assert page.locator("#grants tr[data-client=web-test-app][data-status=active]").count() == 1
    assert page.locator("#audit tr[data-actor=web-test-app]", has_text="search").count() >= 1
    assert shot(browser, page, tmp_path / "audit.png") > 100
    page.locator("#grants tr[data-client=web-test-app] button").click()
    page.locator("#grants tr[data-client=web-test-app][data-status=revoked]").wait_for()
    page.close()


def test_people_with_neighbourhood_picture(browser: Browser, site: str, token: str, tmp_path: Path) -> None:
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    page.goto(f"{site}/people#token={token}")
    page.locator("#people[data-state=done]").wait_for()
    assert page.locator("#people li").first.inner_text().startswith("Marta Ribeiro")  # you first
    page.locator("#neighbourhood[data-state=done]").wait_for()
    assert page.locator("#person-name").inner_text() == "Marta Ribeiro"
    drawn = page.locator("#neighbourhood g.node").evaluate_all("gs => gs.map(g => g.dataset.name)")
    assert {"Rosa Ribeiro", "Tiago Lopes"} <= set(drawn)
    assert page.locator("#neighbourhood line.edge").count() == len(drawn) - 1
    page.locator("#neighbourhood g.node[data-name='Rosa Ribeiro']").click()  # walk the graph
    page.locator("#person-name", has_text="Rosa Ribeiro").wait_for()
    facts = page.locator("#person-facts").inner_text()
    assert "birthday 1958-09-17" in facts and "allergy shellfish" in facts
    assert shot(browser, page, tmp_path / "people.png") > 100
    box = page.locator("#neighbourhood").bounding_box()
    assert box is not None and box["width"] > 200 and box["height"] > 100
    page.locator("#person-facts a.ref").first.click()  # a fact's source opens the record
    page.locator("#record[open]").wait_for()
    assert page.locator("#record-ref").inner_text()
    page.close()


def test_timeline(browser: Browser, site: str, token: str, tmp_path: Path) -> None:
    page = browser.new_page(viewport={"width": 1100, "height": 800})
    page.goto(f"{site}/timeline#token={token}")
    page.locator("#timeline[data-state=done]").wait_for()
    days = page.locator("#timeline time").all_inner_texts()
    assert days and days == sorted(days)
    page.fill("#since", "2024-05-01")
    page.fill("#until", "2024-05-31")
    page.evaluate("document.querySelector('#timeline').dataset.state = ''")
    page.click("#timeline-form button")
    page.locator("#timeline[data-state=done]").wait_for()
    text = page.locator("#timeline").inner_text()
    assert "lives_in Braga" in text
    assert all("2024-05-01" <= d <= "2024-05-31" for d in page.locator("#timeline time").all_inner_texts())
    assert shot(browser, page, tmp_path / "timeline.png") > 100
    page.close()


def test_approve_and_reject_what_an_assistant_asked(
    browser: Browser, site: str, token: str, server_vault: knowme.Vault, tmp_path: Path
) -> None:
    """The audit page lists what MCP clients proposed; one click approves (the record is forgotten), one rejects."""
    from knowme.privacy.pending import pending, propose

    keep = server_vault.remember("The bike shed key hangs behind the kitchen door.", title="Bike shed")
    drop = server_vault.remember("The old router password was taped to the box.", title="Old router")
    spared = propose(server_vault.store, "forget", client="mcp", ref=keep.ref)
    doomed = propose(server_vault.store, "forget", client="mcp", ref=drop.ref)
    page = browser.new_page(viewport={"width": 1100, "height": 800})
    page.goto(f"{site}/audit#token={token}")
    page.locator("#pending[data-state=done]").wait_for()
    assert page.locator("#pending tr[data-action=forget]").count() == 2
    assert drop.ref in page.locator(f"#pending tr[data-pending='{doomed.id}']").inner_text()
    assert shot(browser, page, tmp_path / "pending.png") > 100
    page.locator(f"#pending tr[data-pending='{doomed.id}'] button", has_text="Approve").click()
    page.locator(f"#pending tr[data-pending='{doomed.id}']").wait_for(state="detached")
    assert not server_vault.records(drop.ref)
    page.locator(f"#pending tr[data-pending='{spared.id}'] button", has_text="Reject").click()
    page.locator(f"#pending tr[data-pending='{spared.id}']").wait_for(state="detached")
    assert server_vault.records(keep.ref) and pending(server_vault.store) == []
    page.close()
