"""The platform as a person uses it: Debian's Chromium (Playwright) against a live server started here.

Sign in, search in English and in Chinese, open a patent, create and run a navigation project, read its report
and download the PDF, switch the language, and try another organisation's project (refused). Every page is
screenshotted into the test's folder and each screenshot must show content (not a blank page).
"""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from conftest import Platform, make_settings


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def live(tmp_path: Path, web_corpus: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """uvicorn serving the platform on a free port of 127.0.0.1, with the job dispatcher running, speaking the
    protocol ``patnav serve`` uses."""
    import uvicorn

    from patnav.app.protocol import RoomyHttpToolsProtocol

    monkeypatch.setenv("PATNAV_SEARCH_MODEL", "minilm")
    plat = Platform(make_settings(tmp_path / "data", f"sqlite:///{tmp_path / 'app.db'}", web_corpus), jobs=True)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(plat.app, host="127.0.0.1", port=port, log_level="warning",
                                           lifespan="off", http=RoomyHttpToolsProtocol))  # fmt: skip
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started
    yield f"http://127.0.0.1:{port}", plat
    server.should_exit = True
    thread.join(timeout=10)
    plat.close()


def _shot(page: Any, folder: Path, name: str) -> Path:
    """A full-page screenshot that must show something: several shades, not one blank colour."""
    from PIL import Image

    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    with Image.open(path) as img:
        low, high = img.convert("L").getextrema()
        colours = len(img.convert("L").getcolors(256) or [])
    assert high - low > 100 and colours > 8, f"{name}: the page looks blank"
    return path


def _sign_in(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", f"pw-{username}")
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")


def test_main_flows_in_chromium(live: Any, browser: Any, tmp_path: Path) -> None:
    base, _plat = live
    shots = tmp_path / "screenshots"
    shots.mkdir()
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True, locale="en-GB")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    page.goto(f"{base}/search")
    assert "/login" in page.url  # signed out: to the sign-in page
    _shot(page, shots, "01-sign-in")
    _sign_in(page, base, "alpha-analyst")
    _shot(page, shots, "02-start")

    # search in English: htmx swaps the results in and the address follows the query
    page.goto(f"{base}/search")
    page.fill("#q", "ti:(neural network)")
    page.click("#searchform button[type=submit]")
    page.wait_for_selector("#results article.hit")
    assert "q=ti" in page.url
    first = page.locator("article.hit").first
    assert "neural" in first.inner_text().lower()
    assert page.locator("article.hit mark").count() > 0  # the matched words are highlighted
    _shot(page, shots, "03-search-english")

    # search in Chinese: applicants written in Chinese in the Google Patents exports
    page.fill("#q", "pa:清华大学")
    page.click("#searchform button[type=submit]")
    page.wait_for_function("document.querySelector('#results').innerText.includes('清华大学')")
    assert page.locator("article.hit").count() > 0
    _shot(page, shots, "04-search-chinese")

    # open a patent from the results
    number = page.locator("article.hit a.pn").first.inner_text()
    page.locator("article.hit a.pn").first.click()
    page.wait_for_selector("h1 .pn")
    assert page.locator("h1 .pn").inner_text() == number
    _shot(page, shots, "05-patent")

    # create a project from a search, run it, watch it finish, read the report, download the PDF
    small = 'ti:"spiking neural network" AND pd:[2015 TO 2030]'  # 11 publications: the run takes seconds
    page.goto(f"{base}/projects/new?" + urlencode({"q": small, "scope": "public"}))
    assert page.input_value("#f-query") == small
    page.fill("#f-name", "browser-nn")
    page.fill("#f-title", "Neural networks (browser test)")
    page.select_option("#f-lang", "en")
    page.click("form.project-form button[type=submit]")
    page.wait_for_selector("#run-button")
    project_url = page.url
    page.click("#run-button")
    page.wait_for_selector("a[data-format=pdf]", timeout=600_000)  # the page reloads when the run ends
    _shot(page, shots, "06-project")
    report = page.frame_locator("iframe.report")
    report.locator("h1").first.wait_for(timeout=60_000)
    assert "Neural networks (browser test)" in report.locator("h1").first.inner_text()
    # the charts are drawn: the report's page loads the platform's copy of the Vega libraries
    report.locator(".chart svg").first.wait_for(timeout=60_000)
    with page.expect_download() as download:
        page.click("a[data-format=pdf]")
    pdf = tmp_path / "report.pdf"
    download.value.save_as(pdf)
    assert pdf.read_bytes()[:5] == b"%PDF-" and pdf.stat().st_size > 20_000

    # switch the language: remembered for the next pages
    page.click("a[data-lang=ja]")
    page.wait_for_load_state()
    assert "検索" in page.locator("header.top nav").inner_text()
    page.goto(f"{base}/search")
    assert "検索" in page.locator("header.top nav").inner_text()
    _shot(page, shots, "07-japanese")
    page.click("a[data-lang=zh_CN]")
    page.wait_for_load_state()
    assert "检索" in page.locator("header.top nav").inner_text()

    # another organisation cannot open alpha's project
    other = browser.new_context(viewport={"width": 1280, "height": 900})
    stranger = other.new_page()
    _sign_in(stranger, base, "beta-analyst")
    answer = stranger.goto(project_url)
    assert answer is not None and answer.status == 404
    assert "Not found" in stranger.locator("main").inner_text()
    _shot(stranger, shots, "08-refused")
    other.close()
    context.close()
    assert errors == []
    assert len(list(shots.glob("*.png"))) == 8
