"""No unmarked numbers: which values a record stands behind (`Report.unverified`), and every output says so."""

import csv
import io
import json
from pathlib import Path

import pytest
from nianbao.datasets import ROW_COLUMNS, cell_rows, dataset_rows, read_rows
from nianbao.output import render_cells, render_csv, render_json
from nianbao.pipeline import extract_path
from nianbao.records import load_record, slim
from nianbao.schemas.keys import t3_key
from nianbao.schemas.record import Cell, Check, Report, Verdict

CORPUS = Path(__file__).resolve().parent.parent / "eval" / "corpus"
ROW = "granted"
TOTAL, PERSON, FIRM = t3_key(ROW, "total"), t3_key(ROW, "natural_person"), t3_key(ROW, "commercial")
OTHER_ROW = t3_key("partially_granted", "natural_person")


def report(cells: dict[str, Cell], checks=()) -> Report:
    made = Report(source="p.txt", verdict=Verdict.needs_model).with_cells(cells)
    made.checks = list(checks)
    return made


@pytest.mark.parametrize(
    "cell",
    [
        Cell(value=3, flags=["ambiguous"], candidates=[3, 30]),  # a model's pick among several readings
        Cell(value=3, flags=["split_from_run"], candidates=[3, 30]),  # a split with alternatives left
        Cell(value=3, flags=["model_read", "ungrounded"], source="model"),
        Cell(value=3, flags=["model_read"], source="model"),  # a model value never grounded
        Cell(value=3, flags=["model_read", "parser_disagrees"], candidates=[3, 4]),
        Cell(value=0, flags=["not_found"]),  # a value where nothing was found printed
    ],
)
def test_a_value_not_read_unambiguously_where_printed_is_unverified(cell):
    assert report({PERSON: cell, OTHER_ROW: Cell(value=1)}).unverified == [PERSON]


@pytest.mark.parametrize(
    "cell",
    [
        Cell(value=3),
        Cell(value=0, flags=["zero_marker"]),
        Cell(value=3, flags=["split_from_run", "prose_confirmed"], raw="8855698", span=(5, 12)),
        Cell(value=3, flags=["model_read", "grounded"], source="model"),
        Cell(value=3, flags=["model_read"]),  # the parser's plain reading, which the model also gave
    ],
)
def test_a_value_read_unambiguously_is_stood_behind(cell):
    assert report({PERSON: cell}).unverified == []


def test_every_value_of_a_failing_identity_is_unverified_unless_the_failure_is_the_sources():
    cells = {
        TOTAL: Cell(value=5),
        PERSON: Cell(value=3),
        FIRM: Cell(value=1),
        t3_key(ROW, "research"): Cell(value=None, flags=["blank"]),
    }
    failing = Check(id=f"T3.row:{ROW}", status="fail", cells=[TOTAL, PERSON, FIRM], cause="extraction")
    assert report(cells, [failing]).unverified == [PERSON, FIRM, TOTAL]
    assert report(cells, [failing.model_copy(update={"cause": "unknown"})]).unverified == [PERSON, FIRM, TOTAL]
    assert report(cells, [failing.model_copy(update={"cause": "source"})]).unverified == []
    assert report(cells, [failing.model_copy(update={"severity": "soft"})]).unverified == []
    assert report(cells, [failing.model_copy(update={"status": "uncheckable"})]).unverified == []


@pytest.mark.parametrize("flag", ["split_from_run", "dropped_extra_value", "realigned"])
def test_a_row_reading_nianbao_chose_stands_only_where_every_identity_of_its_values_holds(flag):
    """The choice placed the row's values together: one of them unconfirmed puts every one in doubt (rows swapped
    in one column keep that column's sums)."""
    cells = {
        TOTAL: Cell(value=4, flags=[flag], raw="314", span=(0, 3)),
        PERSON: Cell(value=3, flags=[flag], raw="314", span=(0, 3)),
    }
    cells[FIRM] = Cell(value=1)  # printed plainly, but placed in the row by the same choice
    row = Check(id=f"T3.row:{ROW}", status="pass", cells=[TOTAL, PERSON, FIRM])
    column = Check(
        id="T3.sum:natural_person", status="pass", cells=[t3_key("total_processed", "natural_person"), PERSON]
    )
    assert report(cells, [row, column]).unverified == []
    unconfirmed = column.model_copy(update={"status": "uncheckable"})  # the row's own identity chose the split
    assert report(cells, [row, unconfirmed]).unverified == [PERSON, FIRM, TOTAL]
    assert report(cells, []).unverified == [PERSON, FIRM, TOTAL]  # no identity at all (a table 二 run)
    assert report({**cells, OTHER_ROW: Cell(value=2)}, [row, unconfirmed]).unverified == [PERSON, FIRM, TOTAL]


def test_a_run_of_zeros_has_no_other_split_and_is_stood_behind():
    regulations = [f"active.regulations.{c}" for c in ("issued", "repealed", "in_force")]
    forced = {k: Cell(value=0, flags=["split_from_run"], raw="000", span=(5, 8)) for k in regulations}
    assert report(forced).unverified == []
    for raw in ("236", "83 4"):  # 236|无|无 or 83|无|4 printed: a cell the page lost is not in the run
        guessed = {k: Cell(value=1, flags=["split_from_run"], raw=raw, span=(5, 5 + len(raw))) for k in regulations}
        assert report(guessed).unverified == regulations


def test_a_null_is_never_listed_and_its_status_says_why():
    cells = {
        TOTAL: Cell(value=None, flags=["ambiguous"], candidates=[5, 50]),
        PERSON: Cell(value=None, flags=["blank"]),
        FIRM: Cell(value=None, flags=["not_found"]),
        t3_key(ROW, "research"): Cell(value=2, flags=["ungrounded"], source="model"),
        t3_key(ROW, "other_org"): Cell(value=2),
    }
    made = report(cells)
    assert made.unverified == [t3_key(ROW, "research")]
    assert made.cell_status() == {
        PERSON: "blank",
        FIRM: "unread",
        t3_key(ROW, "research"): "unverified",
        t3_key(ROW, "other_org"): "verified",
        TOTAL: "unread",
    }


def test_every_output_names_the_unverified_values():
    cells = {
        PERSON: Cell(value=3, flags=["ambiguous"], candidates=[3, 30]),
        FIRM: Cell(value=1, flags=["ungrounded"], source="model"),
        TOTAL: Cell(value=4),
    }
    made = report(cells)
    assert json.loads(render_cells([made]))["unverified"] == [PERSON, FIRM]
    assert json.loads(render_json([made]))[0]["unverified"] == [PERSON, FIRM]
    assert Report.model_validate(json.loads(render_json([made]))[0]).unverified == [
        PERSON,
        FIRM,
    ]  # a saved record reads back
    row = next(csv.DictReader(io.StringIO(render_csv([made]).lstrip("\ufeff"))))
    assert row["unverified"] == f"{PERSON};{FIRM}" and row[PERSON] == "3"
    wide = read_rows(dataset_rows(made))[0]["wide"]
    assert f"{PERSON};{FIRM}" in wide
    status = {row[ROW_COLUMNS.index("key")]: row[ROW_COLUMNS.index("status")] for row in cell_rows(made)}
    assert status == {PERSON: "unverified", FIRM: "unverified", TOTAL: "verified"}
    slimmed = json.loads(json.dumps(slim(made)))  # records.jsonl(.gz) of a batch
    assert slimmed["unverified"] == [PERSON, FIRM] and load_record(slimmed).unverified == [PERSON, FIRM]


@pytest.mark.parametrize("name", sorted(p.name for p in CORPUS.iterdir() if not p.name.endswith(".json")))
def test_a_verified_record_stands_behind_every_value(name):
    made = extract_path(CORPUS / name)
    if made.verdict == Verdict.verified:
        assert made.unverified == []
    assert set(made.unverified) <= {k for k, c in made.cells.items() if c.value is not None}


def test_an_ocr_reading_stands_only_where_an_identity_it_takes_part_in_is_checked_and_holds():
    """A hyphen OCR read as "1" in a row whose other cells it lost: no identity checks it, so it is unverified."""
    cells = {TOTAL: Cell(value=None, flags=["not_found", "ocr"]), PERSON: Cell(value=1, flags=["ocr"])}
    row = Check(id=f"T3.row:{ROW}", status="uncheckable", cells=[TOTAL, PERSON])
    assert report(cells, [row]).unverified == [PERSON]
    cells[TOTAL] = Cell(value=1, flags=["ocr"])
    column = Check(id="T3.sum:natural_person", status="uncheckable", cells=[PERSON])
    assert report(cells, [row.model_copy(update={"status": "pass"}), column]).unverified == []


def test_an_identity_that_takes_in_a_cell_the_page_does_not_print_checks_nothing():
    # a collapsed table 三 (format.md §3.29): the row identity takes in the five 法人 sub-columns, which the page
    # prints only as their sum: it cannot confirm a realigned row, the column it prints can
    unprinted = {t3_key(ROW, c): Cell(flags=["collapsed", "not_found"]) for c in ("commercial", "research")}
    cells = {PERSON: Cell(value=3, flags=["realigned"]), **unprinted}
    row = Check(id=f"T3.row:{ROW}", status="uncheckable", cells=[TOTAL, PERSON, *unprinted])
    column = Check(
        id="T3.sum:natural_person", status="pass", cells=[t3_key("total_processed", "natural_person"), PERSON]
    )
    assert report(cells, [row, column]).unverified == []
    assert report(cells, [row]).unverified == [PERSON]  # no identity checks it at all
    printed = {k: Cell(flags=["not_found"]) for k in unprinted}  # not found where printed: the row could check it
    assert report({**cells, **printed}, [row, column]).unverified == [PERSON]


def test_a_collapsed_table_three_keeps_its_sub_columns_null_and_not_found_in_every_output(tmp_path):
    from pages import collapse_legal_entities, consistent_table3, page

    table3 = consistent_table3({"granted": [5, 1, 2, 0, 0, 0]}, new_received=[5, 1, 2, 0, 0, 0])
    path = tmp_path / "collapsed.txt"
    path.write_text(collapse_legal_entities(page(table3), table3), encoding="utf-8")
    made = extract_path(path)
    assert made.verdict == Verdict.incomplete and not made.unverified, made.verdict_reason
    sub = t3_key(ROW, "commercial")
    assert made.cells[PERSON].value == 5 and made.cells[TOTAL].value == 8
    assert made.cells[sub].value is None and {"collapsed", "not_found"} <= set(made.cells[sub].flags)
    saved = json.loads(render_json([made]))[0]["cells"][sub]
    assert saved["value"] is None and {"collapsed", "not_found"} <= set(saved["flags"])
    line = json.loads(render_cells([made]))
    assert line["cells"][sub] is None and line["cells"][PERSON] == 5 and line["verdict"] == "incomplete"
    row = next(csv.DictReader(io.StringIO(render_csv([made]).lstrip("\ufeff"))))
    assert row[sub] == "" and row[PERSON] == "5" and row["verdict"] == "incomplete"
    status = {r[ROW_COLUMNS.index("key")]: r[ROW_COLUMNS.index("status")] for r in cell_rows(made)}
    assert status[sub] == "unread" and status[PERSON] == "verified"
    assert load_record(json.loads(json.dumps(slim(made)))).cells[sub].flags == made.cells[sub].flags
