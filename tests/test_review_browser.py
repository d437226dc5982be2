"""The review site in a real browser: Debian's headless Chromium driven by playwright, pages opened from disk.

Skipped where no Chromium is installed, unless NIANBAO_BROWSER=required (CI sets it, so a missing
browser fails there). NIANBAO_SCREENSHOTS=DIR saves the screenshots the README shows.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from nianbao.review import build_site
from test_review import batch_of, rows_of

CHROMIUM = os.environ.get("NIANBAO_CHROMIUM", "/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _browser_or_skip():
    required = os.environ.get("NIANBAO_BROWSER") == "required"
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if required:
            raise
        pytest.skip("playwright is not installed")
    if not Path(CHROMIUM).is_file() and not shutil.which(CHROMIUM):
        if required:
            pytest.fail(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
        pytest.skip(f"no Chromium at {CHROMIUM}")
    return sync_playwright


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    sync_playwright = _browser_or_skip()
    profile = tmp_path_factory.mktemp("profile")  # a fresh --user-data-dir
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(profile),
            executable_path=CHROMIUM,
            args=FLAGS,
            headless=True,
            viewport={"width": 1360, "height": 860},
            offline=True,
        )
        yield context
        context.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("browser-site")
    out = batch_of(tmp, ["pingtan-2021.txt", "pingtan-2022.txt", "002_a80d00d8d16235a9.txt", "hzq-2023.pdf"])
    build_site(out, tmp / "site", jobs=1)
    return tmp / "site"


def watched(context):
    """A new page and the list its console errors, page errors and failed requests go into."""
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("requestfailed", lambda r: errors.append(f"request failed: {r.url}"))
    return page, errors


def screenshot(page, name: str, height: int) -> None:
    directory = os.environ.get("NIANBAO_SCREENSHOTS")
    if directory:
        page.set_viewport_size({"width": 1360, "height": height})
        page.screenshot(path=str(Path(directory) / name), type="jpeg", quality=80)  # small enough to commit


def test_index_search_filters_the_table(browser, site):
    page, errors = watched(browser)
    page.goto((site / "index.html").as_uri())
    rows = page.locator("#reports tbody tr")
    assert rows.count() == 4
    page.fill("#q", "平潭")
    assert rows.count() == 2 and page.locator("#shown").inner_text() == "2 of 4 reports"
    assert all("平潭综合实验区" in t for t in rows.all_inner_texts())
    assert page.locator("#grid tbody tr").count() == 1
    page.fill("#q", "")
    page.select_option("#verdict", "source_error")
    assert rows.count() == 1 and "洪泽区" in rows.inner_text()
    page.select_option("#verdict", "")
    page.click("#reports th[data-sort=year]")
    assert rows.first.locator("td").nth(1).inner_text() == "2021"
    screenshot(page, "review-index.jpg", 560)
    assert errors == []


def test_report_page_selecting_a_cell_highlights_its_span(browser, site):
    row = next(r for r in rows_of(site) if r["year"] == 2021)
    page, errors = watched(browser)
    page.goto((site / "r" / f"{row['id']}.html").as_uri())
    assert page.locator("mark.sel").count() == 0
    page.click("#cell-applications\\.new_received\\.total")
    marked = page.locator("mark.sel")
    assert marked.count() == 1 and marked.inner_text() == "640020470" and marked.is_visible()
    assert page.evaluate("document.querySelector('mark.sel').getBoundingClientRect().top") > 0
    page.click("#cell-active\\.normative_docs\\.in_force")
    assert page.locator("mark.sel").inner_text() == "693665"
    assert "sel" in page.locator("#cell-active\\.normative_docs\\.in_force").get_attribute("class")
    page.locator(".suggestion").first.click()
    assert page.locator("td.c.lit").count() == 3
    page.click("#cell-active\\.normative_docs\\.in_force")
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "review-report.jpg", 1000)
    page.locator("mark", has_text="1282").first.click()  # and back: a span selects its cell
    assert page.locator("td.c.lit").get_attribute("id") == "cell-active.penalty.decisions"
    assert errors == []
