"""Crawl files: one record per report of a crawler's table (CSV, JSON Lines, .xlsx), never one for the file."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from nianbao import crawl
from pages import consistent_table3, page

YEARS = range(2013, 2024)  # eleven years of one agency


def report(year: int, agency: str = "测试县人民政府", titled: bool = True) -> str:
    """One year's report page: its own numbers (so every page differs) under its own title."""
    text = page(consistent_table3({"granted": [year - 2010, 1, 0, 0, 0, 0]}, new_received=[year - 2000, 1, 0, 0, 0, 0]))
    title = f"{agency}{year}年政府信息公开工作年度报告"
    text = text.replace("测试县人民政府2023年政府信息公开工作年度报告", title if titled else "")
    return text


def rows() -> list[dict]:
    return [
        {
            "title": f"测试县人民政府{y}年政府信息公开工作年度报告",
            "date": f"{y + 1}-01-15",
            "url": f"https://example.gov.cn/{y}.html",
            "content": report(y),
        }
        for y in YEARS
    ]


def write_csv(path: Path, records: list[dict]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(records[0]))
        writer.writeheader()
        writer.writerows(records)
    return path


def write_xlsx(path: Path, records: list[dict]) -> Path:
    """A minimal .xlsx (one sheet, inline strings), as a spreadsheet program saves a crawl."""
    header = list(records[0])
    lines = []
    for r, values in enumerate([header, *[[rec[k] for k in header] for rec in records]], start=1):
        cells = "".join(
            f'<c r="{chr(65 + c)}{r}" t="inlineStr"><is><t>{escape(v)}</t></is></c>' for c, v in enumerate(values)
        )
        lines.append(f'<row r="{r}">{cells}</row>')
    sheet = (
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        + "".join(lines)
        + "</sheetData></worksheet>"
    )
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.xml", "<workbook/>")
        zf.writestr("xl/worksheets/sheet1.xml", sheet)
    return path


def nianbao(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "nianbao.cli", *args], capture_output=True, text=True, timeout=300, cwd=cwd
    )


def cells_lines(result: subprocess.CompletedProcess) -> list[dict]:
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_a_crawl_csv_of_eleven_reports_gives_eleven_records(tmp_path):
    crawl_file = write_csv(tmp_path / "crawl.csv", rows())
    result = nianbao("extract", str(crawl_file), "--mode", "rules", "--format", "cells")
    assert result.returncode == 0, result.stderr
    lines = cells_lines(result)
    assert [line["source"] for line in lines] == [f"{crawl_file}#row={k}" for k in range(1, 12)]
    assert [line["meta"]["report_year"] for line in lines] == list(YEARS)
    assert {line["meta"]["agency_name"] for line in lines} == {"测试县人民政府"}
    assert {line["meta"]["scope"] for line in lines} == {"aggregate"}
    assert {line["verdict"] for line in lines} == {"verified"}


def test_jsonl_and_xlsx_crawls_read_the_same(tmp_path):
    records = rows()[:3]
    jsonl = tmp_path / "crawl.jsonl"
    jsonl.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    for crawl_file in (jsonl, write_xlsx(tmp_path / "crawl.xlsx", records)):
        pages = list(crawl.read_pages(crawl_file))
        assert [p.source for p in pages] == [f"{crawl_file}#row={k}" for k in (1, 2, 3)]
        assert [p.data.decode() for p in pages] == [r["content"] for r in records]
        assert pages[0].properties == {
            "crawl_title": records[0]["title"],
            "crawl_date": records[0]["date"],
            "crawl_url": records[0]["url"],
        }


def test_the_title_and_date_columns_are_evidence(tmp_path):
    """A row whose page lost its title: agency and year from the title column, the date from the date column."""
    records = rows()[:2]
    records[1]["content"] = report(2014, titled=False)
    result = nianbao("extract", str(write_csv(tmp_path / "c.csv", records)), "--mode", "rules", "--format", "json")
    second = json.loads(result.stdout)[1]["meta"]
    assert (second["agency_name"], second["report_year"], second["publish_date"]) == (
        "测试县人民政府",
        2014,
        "2015-01-15",
    )
    assert second["provenance"]["agency_name"] == "crawl_title" and second["provenance"]["publish_date"] == "crawl_date"


def test_a_row_of_two_reports_is_split(tmp_path):
    """Two agencies' reports in one row (text, then the same as HTML): two records, never one for the first."""
    records = rows()[:1]
    records[0]["content"] = report(2022, "甲市财政局") + report(2022, "甲市教育局")
    records.append(dict(records[0], content="<html><body><pre>" + report(2021) + report(2022) + "</pre></body></html>"))
    crawl_file = write_csv(tmp_path / "c.csv", records)
    result = nianbao("extract", str(crawl_file), "--mode", "rules", "--format", "cells")
    lines = cells_lines(result)
    assert [line["source"].split("#")[1] for line in lines] == [
        "row=1/report=1",
        "row=1/report=2",
        "row=2/report=1",
        "row=2/report=2",
    ]
    assert [(x["meta"]["agency_name"], x["meta"]["report_year"]) for x in lines] == [
        ("甲市财政局", 2022),
        ("甲市教育局", 2022),
        ("测试县人民政府", 2021),
        ("测试县人民政府", 2022),
    ]
    assert all(x["verdict"] == "verified" for x in lines), [x["verdict_reason"] for x in lines]


def test_a_batch_of_a_crawl_file_resumes_row_by_row(tmp_path):
    records = rows()
    crawl_file = write_csv(tmp_path / "crawl.csv", records[:10])
    out = tmp_path / "out"
    asked = ("--datasets", "cells.parquet,reports.csv,records.jsonl")
    first = nianbao("extract", str(crawl_file), "--mode", "rules", "--out", str(out), "--jobs", "2", *asked)
    assert first.returncode == 0, first.stderr
    saved = [json.loads(line) for line in (out / "records.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(saved) == 10 and saved[3]["source"] == f"{crawl_file}#row=4"
    write_csv(crawl_file, records)  # the crawler found one more year
    again = nianbao("extract", str(crawl_file), "--mode", "rules", "--out", str(out), *asked)
    assert "1 extracted, 10 done before" in again.stderr
    assert len((out / "records.jsonl").read_text(encoding="utf-8").splitlines()) == 11
    cross = json.loads((out / "summary.json").read_text())["cross_year"]
    assert cross["agencies_with_several_years"] == 1
    assert not list(tmp_path.glob(".nianbao-rows-*"))  # the staged rows are gone


def test_a_crawl_file_without_a_page_column_is_one_clear_error(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("title,url\n甲,https://a\n", encoding="utf-8")
    good = write_csv(tmp_path / "good.csv", rows()[:1])
    result = nianbao("extract", str(bad), str(good), "--mode", "rules", "--format", "cells")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "bad.csv: no column holding the page's text or HTML" in result.stderr
    assert len(cells_lines(result)) == 1


def test_records_jsonl_beside_the_pages_is_no_crawl_file(tmp_path):
    records = tmp_path / "records.jsonl"
    records.write_text(json.dumps({"source": "a.txt", "verdict": "verified", "cells": {}}) + "\n", encoding="utf-8")
    assert not crawl.is_crawl_file(records)
    rows_file = tmp_path / "rows.jsonl"
    rows_file.write_text(json.dumps({"content": report(2020)}, ensure_ascii=False) + "\n", encoding="utf-8")
    assert crawl.is_crawl_file(rows_file)


def test_a_crawl_file_at_a_url_names_its_rows_by_the_url(tmp_path, monkeypatch):
    fsspec = pytest.importorskip("fsspec")
    from nianbao.cli import app
    from typer.testing import CliRunner

    monkeypatch.setenv("NIANBAO_STAGING", str(tmp_path / "staging"))
    fs = fsspec.filesystem("memory")
    fs.pipe("/crawl-test/c.csv", write_csv(tmp_path / "c.csv", rows()[:2]).read_bytes())
    try:
        run = CliRunner().invoke(app, ["extract", "memory://crawl-test/c.csv", "--mode", "rules", "--format", "cells"])
    finally:
        fs.rm("/crawl-test", recursive=True)
    assert run.exit_code == 0, run.output
    sources = [json.loads(line)["source"] for line in run.stdout.splitlines() if line.startswith("{")]
    assert sources == ["memory://crawl-test/c.csv#row=1", "memory://crawl-test/c.csv#row=2"]


def test_a_batch_into_the_current_folder_keeps_its_rows(tmp_path):
    """`--out .`: the staged rows sit beside the output folder, never inside it (where a batch reads nothing)."""
    crawl_file = write_csv(tmp_path / "crawl.csv", rows()[:3])
    out = tmp_path / "out"
    out.mkdir()
    result = nianbao("extract", str(crawl_file), "--mode", "rules", "--out", ".", cwd=out)
    assert result.returncode == 0 and "3 extracted" in result.stderr, result.stderr
