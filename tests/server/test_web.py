"""The web page end to end in headless Chromium (Debian's, never a downloaded browser), against the real server on
a socket: the token from the link, a streamed answer whose citation opens the original record, the memory
inspector, the status page, the planned views; screenshots that must not be blank."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

import knowme
from knowme.server.full import build_app

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
    assert "graph: not yet" in page.locator("#features").inner_text()
    assert shot(browser, page, tmp_path / "status.png") > 100
    page.close()


def test_planned_views_and_login(browser: Browser, site: str, token: str) -> None:
    page = browser.new_page()
    page.goto(f"{site}/people")
    assert page.locator("#login").is_visible() and not page.locator("#main").is_visible()
    page.fill("#token-input", "km_wrong")
    page.click("#token-form button")
    page.goto(f"{site}/status")
    page.locator("#login").wait_for(state="visible")
    assert "not accepted" in page.locator("#token-form .hint").inner_text()
    page.goto(f"{site}/people#token={token}")
    assert "Not in this version" in page.locator("[data-planned=people]").inner_text()
    for label in ("People", "Timeline", "Preferences", "Digest", "Audit"):
        assert page.locator("nav a.planned", has_text=label).count() == 1
    page.close()
