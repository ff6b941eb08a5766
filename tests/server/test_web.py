"""The web page end to end in headless Chromium (Debian's, never a downloaded browser), against the real server on
a socket: the token from the link, a streamed answer whose citation opens the original record, the memory
inspector, people with the neighbourhood picture, the timeline, the status page, the planned views; screenshots
that must not be blank."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

import knowme
from knowme.server.full import build_app
from tests.graph.life import write_life
from tests.server.conftest import make_vault

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


def test_planned_views_and_login(browser: Browser, site: str, token: str) -> None:
    page = browser.new_page()
    page.goto(f"{site}/preferences")  # a page that calls no API until the token is used
    assert page.locator("#login").is_visible() and not page.locator("#main").is_visible()
    page.fill("#token-input", "km_wrong")
    page.click("#token-form button")
    page.goto(f"{site}/status")
    page.locator("#login").wait_for(state="visible")
    assert "not accepted" in page.locator("#token-form .hint").inner_text()
    page.goto(f"{site}/preferences#token={token}")
    assert "Not in this version" in page.locator("[data-planned=preferences]").inner_text()
    for label in ("Preferences", "Digest", "Audit"):
        assert page.locator("nav a.planned", has_text=label).count() == 1
    for label in ("People", "Timeline"):
        assert page.locator("nav a.planned", has_text=label).count() == 0
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
