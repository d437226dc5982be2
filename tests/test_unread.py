"""Every null leaves with its status: printed empty (`blank`) or not read (`unread`), in every format."""

import csv
import html
import io
import itertools
import json
import re

import pytest
from nianbao.cli import app
from nianbao.output import render_summary
from nianbao.review import build_site
from nianbao.review.build import cell_statuses
from nianbao.schemas.columns import WIDE_COLUMNS
from nianbao.schemas.keys import t3_key
from nianbao.schemas.record import Cell, Report, Verdict
from pages import T2_DEFAULT, consistent_table3, page
from typer.testing import CliRunner

BLANK = t3_key("carried_over", "commercial")  # the page prints the cell empty
UNREAD = "active.coercion.decisions"  # the page prints no 行政强制 row: nothing to read


def as_html(text: str) -> bytes:
    """A page whose tab-separated lines are table rows (an empty field an empty <td>), the rest paragraphs."""
    blocks = []
    for grid, lines in itertools.groupby(text.splitlines(), lambda line: "\t" in line):
        if grid:
            rows = ("".join(f"<td>{html.escape(c)}</td>" for c in line.split("\t")) for line in lines)
            blocks.append("<table>" + "".join(f"<tr>{r}</tr>" for r in rows) + "</table>")
        else:
            blocks.extend(f"<p>{html.escape(line)}</p>" for line in lines)
    return ("<html><body>" + "".join(blocks) + "</body></html>").encode("utf-8")


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    """A folder with one HTML report: one cell of table 三 printed empty, table 二's 行政强制 row missing."""
    table3 = consistent_table3({}, [5, 1, 0, 0, 0, 0])
    table3["carried_over"] = [0, "", 0, 0, 0, 0, 0]
    t2 = {label: values for label, values in T2_DEFAULT.items() if label != "行政强制"}
    folder = tmp_path_factory.mktemp("unread") / "in"
    folder.mkdir()
    (folder / "page.html").write_bytes(as_html(page(table3, t2=t2, cell_sep="\t")))
    return folder


def extract(*args: str) -> str:
    done = CliRunner().invoke(app, ["extract", *args])
    assert done.exit_code in (0, 3), done.output
    return done.stdout


def says_which_is_which(row: dict) -> None:
    """A wide row: both cells empty, the unread one listed in `unread`, the blank one nowhere."""
    assert row[BLANK] == "" and row[UNREAD] == ""
    assert row["unread"].split(";") == [UNREAD]
    assert BLANK not in row["unverified"] and BLANK not in row["confirmed"]


def test_the_wide_csv_says_which_null_is_blank_and_which_unread(pages):
    text = extract(str(pages / "page.html"), "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert len(rows) == 1 and rows[0]["verdict"] == "incomplete"
    says_which_is_which(rows[0])


def test_the_cells_line_says_which_null_is_blank_and_which_unread(pages):
    line = json.loads(extract(str(pages / "page.html"), "--format", "cells"))
    assert line["cells"][BLANK] is None and line["cells"][UNREAD] is None
    assert line["unread"] == [UNREAD] and BLANK not in line["unverified"] + line["confirmed"]


def test_a_batch_says_it_in_reports_csv_the_cells_datasets_the_records_and_check(pages, tmp_path):
    out = tmp_path / "out"
    names = "reports.csv,cells.csv,cells.parquet,records.jsonl"
    extract(str(pages), "--out", str(out), "--jobs", "1", "--datasets", names)
    with (out / "reports.csv").open(encoding="utf-8-sig", newline="") as handle:
        (row,) = csv.DictReader(handle)
    says_which_is_which(row)
    with (out / "cells.csv").open(encoding="utf-8-sig", newline="") as handle:
        status = {r["key"]: r["status"] for r in csv.DictReader(handle)}
    assert (status[BLANK], status[UNREAD]) == ("blank", "unread")
    pyarrow = pytest.importorskip("pyarrow.parquet")
    cells = pyarrow.read_table(out / "cells.parquet", columns=["key", "status"]).to_pylist()
    assert {c["key"]: c["status"] for c in cells} == status
    record = json.loads((out / "records.jsonl").read_text(encoding="utf-8"))
    assert record["unread"] == [UNREAD] and "blank" in record["cells"][BLANK]["flags"]
    checked = CliRunner().invoke(app, ["check", str(out)])
    assert json.loads(checked.stdout)["unread"] == [UNREAD], checked.output
    site = tmp_path / "site"
    build_site(out, site)
    (page_html,) = (site / "r").iterdir()
    text = page_html.read_text(encoding="utf-8")
    for key, colour, title in ((BLANK, "st-blank", "blank: printed empty"), (UNREAD, "st-absent", "unread: ")):
        cell = f'<td id="cell-{key}" class="c {colour}" data-n="[0-9]+" tabindex="0" title="{title}'
        assert re.search(cell, text), key


def test_unread_lists_every_null_not_printed_empty_in_template_order():
    cells = {
        t3_key("granted", "total"): Cell(value=None, flags=["ambiguous"], candidates=[5, 50]),
        BLANK: Cell(value=None, flags=["blank"]),
        UNREAD: Cell(value=None, flags=["not_found"]),
        t3_key("granted", "research"): Cell(value=None, flags=["model_read", "ungrounded"], source="model"),
        t3_key("granted", "commercial"): Cell(value=None, flags=["blank", "confirmed"], source="person"),
        t3_key("granted", "other_org"): Cell(value=2),
    }
    made = Report(source="p.txt", verdict=Verdict.needs_model, cells=cells)  # not in template order
    assert made.unread == [UNREAD, t3_key("granted", "research"), t3_key("granted", "total")]
    assert made.unread == [k for k, s in made.with_cells(cells).cell_status().items() if s == "unread"]
    assert f"left open: 3 cells not read (null, not blank) — {UNREAD}" in render_summary([made])


def test_the_review_site_shows_a_null_blank_only_where_the_record_says_it_is_printed_empty():
    grounded_null = Cell(value=None, flags=["model_read", "grounded"], source="model")  # no `blank`: unread
    made = Report(source="p.txt").with_cells({UNREAD: grounded_null, BLANK: Cell(value=None, flags=["blank"])})
    assert made.unread == [UNREAD]
    assert cell_statuses(made) == {UNREAD: "unverified", BLANK: "blank"}


def test_unread_sits_beside_unverified_and_every_other_column_keeps_its_order():
    at = WIDE_COLUMNS.index("unverified")
    assert WIDE_COLUMNS[at + 1] == "unread"
    assert WIDE_COLUMNS[:3] == ("source", "verdict", "unverified") and WIDE_COLUMNS[4:6] == ("confirmed", "agency_name")
