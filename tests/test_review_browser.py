"""The review site in a real browser: Debian's headless Chromium driven by playwright, pages opened from disk.

Skipped where no Chromium is installed, unless NIANBAO_BROWSER=required (CI sets it, so a missing
browser fails there). NIANBAO_SCREENSHOTS=DIR saves the screenshots the README shows.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from nianbao.batch import BatchOptions, run_batch
from nianbao.records import load_record, record_texts
from nianbao.review import build_site
from nianbao.review.build import report_id
from test_review import CORPUS, NIANBAO, batch_of, rows_of

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


# ---------------------------------------------------------------- corrections: a person finishes a record


def lost_value_page(tmp: Path) -> Path:
    """A report whose PDF conversion lost one value of （一）予以公开 (47): the row cannot be read, `needs_model`."""
    lines = (CORPUS / "002_a80d00d8d16235a9.txt").read_text(encoding="utf-8").split("\n")
    row = next(n for n, line in enumerate(lines) if "予以公开" in line)
    assert lines[row + 1].strip() == "47"
    del lines[row + 1]
    page = tmp / "in" / "lost-value.txt"
    page.parent.mkdir(parents=True, exist_ok=True)
    page.write_text("\n".join(lines), encoding="utf-8")
    return page


RIGHT = {"natural_person": "47", "commercial": "1", "research": "0", "public_interest_org": "0"}
RIGHT |= {"legal_service": "0", "other_org": "0", "total": "48"}


def _extract(page: Path, corrections: Path) -> dict:
    done = subprocess.run(
        [*NIANBAO, "extract", str(page), "--mode", "rules", "--format", "json", "--corrections", str(corrections)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0 and done.stderr == "", done.stderr
    return json.loads(done.stdout)[0]


def _download(page, button: str, target: Path) -> Path:
    with page.expect_download() as info:
        page.click(button)
    info.value.save_as(str(target))
    return target


def test_a_person_corrects_a_needs_model_report_and_the_pipeline_verifies_it(browser, tmp_path):
    page_file = lost_value_page(tmp_path)
    out = tmp_path / "out"
    run_batch([page_file], out, BatchOptions(jobs=1, progress=False), log=lambda m: None)
    build_site(out, tmp_path / "site", jobs=1)
    record = load_record(json.loads(next((out / "records").glob("*.json")).read_text(encoding="utf-8")))
    assert record.verdict.value == "needs_model"
    page, errors = watched(browser)
    page.goto((tmp_path / "site" / "r" / f"{report_id(record)}.html").as_uri())

    # the page's checker and the Python checker read one definition: untouched, they agree on every identity
    live = {c["id"]: c["status"] for c in page.evaluate("window.nianbaoReview.check()")}
    assert live == {c.id: c.status for c in record.checks if c.severity == "hard" and not c.id.startswith("nonneg")}
    row = page.locator("#live li[data-id='T3.row:granted']")
    assert "x-uncheckable" in row.get_attribute("class")

    for column, value in RIGHT.items():
        page.fill(f"input[name='applications.granted.{column}']", value)
    assert "x-pass" in row.get_attribute("class") and "in the record: uncheckable" in row.inner_text()
    assert "42 pass · 0 fail · 0 cannot be computed" in page.inner_text("#live-summary")
    page.click("#cell-applications\\.granted\\.natural_person")
    assert page.inner_text("#ed-state") == "corrected"
    page.evaluate("window.scrollTo(0, document.querySelector('section.tables').offsetTop + 300)")
    screenshot(page, "review-corrections.jpg", 900)
    fixed = _extract(page_file, _download(page, "#download", tmp_path / "corrections.jsonl"))
    assert fixed["verdict"] == "verified" and fixed["unverified"] == []
    granted = {k: c for k, c in fixed["cells"].items() if k.startswith("applications.granted.")}
    assert {c["source"] for c in granted.values()} == {"person"} and granted["applications.granted.total"][
        "value"
    ] == 48
    assert fixed["provenance"]["cells_from_person"] == 7

    # the edits survive a reload (localStorage); a wrong value turns the identity red and the record unverified
    page.reload()
    assert page.input_value("input[name='applications.granted.natural_person']") == "47"
    page.fill("input[name='applications.granted.natural_person']", "46")
    assert "x-fail" in row.get_attribute("class") and "48 ≠ 47" in row.inner_text()
    wrong = _extract(page_file, _download(page, "#download", tmp_path / "wrong.jsonl"))
    assert wrong["verdict"] == "needs_review" and "applications.granted.natural_person" in wrong["unverified"]
    assert "T3.row:granted (applications.granted.natural_person" in wrong["verdict_reason"]
    failing = {c["id"]: c for c in wrong["checks"] if c["status"] == "fail"}
    assert "applications.granted.natural_person" in failing["T3.row:granted"]["suspects"]

    # gold from the same page, scored by `nianbao eval` against the machine's own reading of the page
    page.fill("input[name='applications.granted.natural_person']", "47")
    gold_file = _download(page, "#gold", tmp_path / "in" / "lost-value.gold.json")
    gold = json.loads(gold_file.read_text(encoding="utf-8"))
    assert gold["input"] == "lost-value.txt" and gold["cells"]["applications.granted.natural_person"] == 47
    assert gold["cells"]["active.fees.amount"] == "21613.91" and gold["source_errors"] == []
    scored = subprocess.run(
        [*NIANBAO, "eval", "--cases", str(gold_file), "--report", str(tmp_path / "eval")],
        capture_output=True,
        text=True,
    )
    assert scored.returncode == 0, scored.stderr
    summary = json.loads((tmp_path / "eval.json").read_text(encoding="utf-8"))["summary"]
    assert summary["accuracy"]["total"] == 200 and summary["accuracy"]["right"] == 193  # the 7 cells left open
    assert summary["unmarked_errors"] == 0 and summary["silent_errors"] == 0
    assert errors == []


def test_corrections_download_for_the_agency_and_the_site(browser, tmp_path):
    page_file = lost_value_page(tmp_path)
    out = tmp_path / "out"
    run_batch([page_file], out, BatchOptions(jobs=1, progress=False), log=lambda m: None)
    build_site(out, tmp_path / "site", jobs=1)
    row = rows_of(tmp_path / "site")[0]
    page, errors = watched(browser)
    page.goto((tmp_path / "site" / "r" / f"{row['id']}.html").as_uri())
    page.evaluate("localStorage.clear()")  # edits are kept by content hash: the same page's, from the test before
    page.reload()
    page.fill("input[name='review_litigation.review.upheld']", "0")  # confirmed by typing what was read
    page.goto((tmp_path / "site" / "index.html").as_uri())
    assert page.inner_text("#stored") == "1"
    line = json.loads(_download(page, "[data-corrections=site]", tmp_path / "site.jsonl").read_text(encoding="utf-8"))
    assert line == {"input_sha256": row["sha256"], "cells": {"review_litigation.review.upheld": 0}, "note": ""}
    page.goto((tmp_path / "site" / "a" / f"{row['agency_id']}.html").as_uri())
    agency = _download(page, "[data-corrections]", tmp_path / "agency.jsonl").read_text(encoding="utf-8")
    assert json.loads(agency) == line
    assert errors == []


def test_a_reading_is_taken_from_the_candidates_or_a_neighbouring_years_suggestion(browser, site, tmp_path):
    row = next(r for r in rows_of(site) if r["year"] == 2021)
    page, errors = watched(browser)
    page.goto((site / "r" / f"{row['id']}.html").as_uri())
    page.evaluate("localStorage.clear()")
    page.reload()
    page.click("tr.reading[data-values='69 3 665']")  # 2022's suggestion, its second reading
    keys = ["active.normative_docs.issued", "active.normative_docs.repealed", "active.normative_docs.in_force"]
    assert [page.input_value(f"input[name='{k}']") for k in keys] == ["69", "3", "665"]
    page.click("#cell-active\\.normative_docs\\.issued")
    page.click('#ed-candidates button >> text="693"')  # one of the glued run's readings instead
    assert page.input_value("input[name='active.normative_docs.issued']") == "693"
    line = json.loads(_download(page, "#download", tmp_path / "c.jsonl").read_text(encoding="utf-8"))
    assert line["cells"] == {keys[0]: 693, keys[1]: 3, keys[2]: 665} and line["input_sha256"] == row["sha256"]
    assert errors == []


def test_the_pages_checker_agrees_with_the_python_checker_on_every_report(browser, site):
    """One definition of the identities: untouched, each page computes what the record's checks say (hzq-2023
    prints the 2019-style （六） row, whose cells the page lays out apart)."""
    page, errors = watched(browser)
    page.goto((site / "index.html").as_uri())
    page.evaluate("localStorage.clear()")
    records = list(record_texts(site.parent / "out"))  # the batch's records/: records.jsonl is asked for, not default
    shapes = set()
    for line in records:
        record = load_record(json.loads(line))
        page.goto((site / "r" / f"{report_id(record)}.html").as_uri())
        live = {c["id"]: c["status"] for c in page.evaluate("window.nianbaoReview.check()")}
        hard = {c.id: c.status for c in record.checks if c.severity == "hard" and not c.id.startswith("nonneg")}
        assert live == hard, record.source
        shapes.add("T3.row:other_total" in live)
    assert shapes == {True, False} and errors == []
