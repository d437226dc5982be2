"""The review site: index, report and agency pages built from a batch; the eval's page; bad input."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from nianbao.batch import BatchOptions, run_batch
from nianbao.pipeline import extract_path
from nianbao.review import build_site
from nianbao.review.build import cell_statuses, report_id

CORPUS = Path(__file__).resolve().parents[1] / "eval" / "corpus"
NIANBAO = [sys.executable, "-m", "nianbao.cli"]


def batch_of(tmp: Path, names: list[str]) -> Path:
    inputs, out = tmp / "in", tmp / "out"
    inputs.mkdir()
    for name in names:
        (inputs / name).write_bytes((CORPUS / name).read_bytes())
    run_batch(sorted(inputs.iterdir()), out, BatchOptions(jobs=1, progress=False), log=lambda m: None)
    return out


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """The review site of a batch: Pingtan 2021 and 2022, and one report of another agency."""
    tmp = tmp_path_factory.mktemp("review")
    out = batch_of(tmp, ["pingtan-2021.txt", "pingtan-2022.txt", "002_a80d00d8d16235a9.txt"])
    figures = build_site(out, tmp / "site", jobs=2)
    assert figures["reports"] == 3 and figures["agencies"] == 2 and figures["bytes"] > 0
    return tmp / "site"


def index_data(site: Path) -> dict:
    text = (site / "data" / "index.js").read_text(encoding="utf-8")
    return json.loads(text.removeprefix("window.REVIEW_INDEX = ").rstrip().rstrip(";"))


def rows_of(site: Path) -> list[dict]:
    data = index_data(site)
    return [dict(zip(data["columns"], row, strict=True)) for row in data["rows"]]


def test_the_index_lists_every_report_and_links_the_pingtan_years(site):
    rows = rows_of(site)
    pingtan = [r for r in rows if r["agency"] == "平潭综合实验区"]
    assert sorted(r["year"] for r in pingtan) == [2021, 2022] and len({r["agency_id"] for r in pingtan}) == 1
    assert {r["verdict"] for r in pingtan} == {"needs_model", "verified"}
    assert next(r for r in pingtan if r["year"] == 2021)["cross"] == 1  # the suggestion from 2022
    grid = {g[1]: g[3] for g in index_data(site)["grid"]}
    assert set(grid["平潭综合实验区"]) == {"2021", "2022"}
    html = (site / "index.html").read_text(encoding="utf-8")
    assert "needs_model <b>1</b>" in html and 'id="q"' in html and "8 pass" in html


def test_the_2021_page_shows_the_glued_run_its_readings_and_the_suggestion(site):
    row = next(r for r in rows_of(site) if r["year"] == 2021)
    html = (site / "r" / f"{row['id']}.html").read_text(encoding="utf-8")
    numbers = re.search(r'<mark data-n="([\d ]+)">693665</mark>', html).group(1).split()
    glued = {re.search(rf'<td id="cell-([\w.]+)"[^>]* data-n="{n}"', html).group(1) for n in numbers}
    assert glued == {f"active.normative_docs.{c}" for c in ("issued", "repealed", "in_force")}
    assert "one of 6, 69, 693, 6936" in html and "one of 5, 65, 665, 3665" in html
    assert "698 − 88 + 55 = 665" in html and "the cells stay unverified" in html
    cell = re.search(r'<td id="cell-active.normative_docs.in_force" class="([^"]+)"', html).group(1)
    assert cell == "c st-unverified suggested"
    assert re.search(
        r'<td id="cell-active.licensing.decisions" class="c st-verified"[^>]*><input class="v" name="[^"]+" value="2293"',
        html,
    )
    assert f'href="../a/{row["agency_id"]}.html"' in html and "X.in_force:normative_docs" in html


def test_the_agency_page_has_its_years_side_by_side_and_the_checks(site):
    row = next(r for r in rows_of(site) if r["year"] == 2022)
    html = (site / "a" / f"{row['agency_id']}.html").read_text(encoding="utf-8")
    assert "the same name and scope" in html and html.count("<td>X.carry:") == 7
    assert re.search(r"<td>X.carry:total</td>.*?<td>pass</td>", html, re.DOTALL) and "? (693665)" in html


def test_the_site_needs_no_network(site):
    for page in site.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert not re.search(r'(?:src|href)="(?:https?:)?//', text), page
    assert {p.name for p in (site / "static").iterdir()} == {
        "site.css",
        "index.js",
        "report.js",
        "identities.js",
        "corrections.js",
        "edit.js",
    }


def test_cell_status_colours(tmp_path):
    report = extract_path(CORPUS / "hzq-2023.pdf")
    statuses = cell_statuses(report)
    failing = next(c for c in report.checks if c.status == "fail" and c.cause == "source")
    assert all(statuses[k] == "failing" for k in failing.cells)
    assert statuses["review_litigation.litigation_direct.upheld"] == "verified"  # in no failing identity
    fragment = cell_statuses(extract_path(CORPUS / "govnianbao-section3-fragment.txt"))
    assert "absent" in fragment.values()


def test_a_records_file_and_bad_input(tmp_path):
    record = tmp_path / "one.json"
    subprocess.run(
        [*NIANBAO, "extract", str(CORPUS / "pingtan-2022.txt"), "--format", "json", "-o", str(record)], check=True
    )
    done = subprocess.run(
        [*NIANBAO, "review", str(record), "-o", str(tmp_path / "s"), "--jobs", "1"],
        check=False,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0 and "1 reports" in done.stderr
    assert (tmp_path / "s" / "r" / f"{report_id(extract_path(CORPUS / 'pingtan-2022.txt'))}.html").is_file()
    for bad in (tmp_path / "missing.jsonl", tmp_path):
        failed = subprocess.run(
            [*NIANBAO, "review", str(bad), "-o", str(tmp_path / "t")], check=False, capture_output=True, text=True
        )
        assert failed.returncode == 2 and len(failed.stderr.splitlines()) == 1 and "Traceback" not in failed.stderr
    (tmp_path / "junk.jsonl").write_text('{"cells": 3}\n', encoding="utf-8")
    failed = subprocess.run(
        [*NIANBAO, "review", str(tmp_path / "junk.jsonl"), "-o", str(tmp_path / "t")],
        check=False,
        capture_output=True,
        text=True,
    )
    assert failed.returncode == 2 and "not a nianbao record" in failed.stderr and len(failed.stderr.splitlines()) == 1


def test_the_eval_page_links_its_worst_cells_to_their_review_pages(tmp_path):
    gold = json.loads((CORPUS / "pingtan-2022.gold.json").read_text(encoding="utf-8"))
    gold["cells"]["applications.granted.total"] += 1  # a gold the record disagrees with: one worst cell
    (tmp_path / "case.gold.json").write_text(json.dumps(gold, ensure_ascii=False), encoding="utf-8")
    (tmp_path / gold["input"]).write_bytes((CORPUS / gold["input"]).read_bytes())
    report = tmp_path / "e"
    done = subprocess.run(
        [*NIANBAO, "eval", "--cases", str(tmp_path / "case.gold.json"), "--report", str(report)],
        check=False,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1 and "1 silent errors" in done.stderr, done.stderr  # the gold disagrees on one cell
    html = (tmp_path / "e.html").read_text(encoding="utf-8")
    page = report_id(extract_path(tmp_path / gold["input"]))
    assert f'href="e-review/r/{page}.html#cell-applications.granted.total"' in html
    assert (tmp_path / "e-review" / "r" / f"{page}.html").is_file()
    assert "reports" not in json.loads((tmp_path / "e.json").read_text(encoding="utf-8"))
