"""Each verdict, each bad-input class, and HTML/DOCX/GBK pages made here with real libraries."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from nianbao.ingest import IngestError, ingest_bytes, ingest_path
from nianbao.pipeline import extract_document
from nianbao.schemas.keys import T3_ROWS, t3_key, t4_key
from pages import T3_LABEL_TEXT, T4_DEFAULT, consistent_table3, page, t3_cells

TABLE3 = consistent_table3({"granted": [3, 1, 0, 0, 0, 0]}, new_received=[4, 1, 0, 0, 0, 0])


def extract(data: bytes, name: str):
    return extract_document(ingest_bytes(data, name), name)


def nianbao(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "nianbao.cli", *args], capture_output=True, text=True, cwd=cwd, timeout=120
    )


def test_verdict_verified():
    assert extract(page(TABLE3).encode(), "a.txt").verdict.value == "verified"


def test_verdict_source_error_keeps_the_printed_number():
    t4 = list(T4_DEFAULT)
    t4[4] = 9  # the agency prints a review total that its parts don't make
    report = extract(page(TABLE3, t4=t4).encode(), "a.txt")
    assert report.verdict.value == "source_error"
    assert report.values()[t4_key("review", "total")] == 9


def test_verdict_needs_model_when_a_row_cannot_be_read():
    text = page(TABLE3).replace("2.重复申请 0 0 0 0 0 0 0", "2.重复申请 0 0 0 0")
    report = extract(text.encode(), "a.txt")
    assert report.verdict.value == "needs_model"
    assert "ambiguous" in report.cells[t3_key("not_processed.duplicate", "total")].flags


def test_verdict_incomplete_for_a_page_that_stops_mid_table():
    text = page(TABLE3)
    cut = text[: text.index("（四）无法提供")]
    report = extract(cut.encode(), "a.txt")
    assert report.verdict.value == "incomplete"
    assert report.values()[t3_key("granted", "natural_person")] == 3


def test_verdict_failed_for_a_page_that_is_not_a_report():
    report = extract("今天天气很好，我们去公园散步。".encode(), "a.txt")
    assert report.verdict.value == "failed"


def test_gbk_page_is_decoded():
    report = extract(page(TABLE3).encode("gbk"), "gbk.txt")
    assert report.verdict.value == "verified"
    assert report.meta.agency_name == "测试县人民政府"


@pytest.mark.parametrize(
    "data,name,reason",
    [
        (b"", "empty.txt", "empty"),
        (b"   \n\t ", "blank.txt", "empty"),
        (bytes(range(256)) * 20, "noise.bin", "binary"),
        (b"%PDF-1.7\n%broken", "broken.pdf", "PDF"),
        (b"PK\x03\x04not really a zip", "broken.docx", "DOCX"),
        (b"plain text", "fake.pdf", "not a valid PDF"),
    ],
)
def test_bad_input_is_one_clear_error(data, name, reason):
    with pytest.raises(IngestError) as info:
        ingest_bytes(data, name)
    assert reason in str(info.value) and "\n" not in str(info.value)


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(IngestError, match="no such file"):
        ingest_path(tmp_path / "nope.txt")


def test_html_with_colspan_rowspan_scripts_and_chrome(tmp_path):
    from lxml import etree
    from lxml.builder import E

    rows = []
    for index, row in enumerate(T3_ROWS):
        cells = []
        if row == "granted":
            cells.append(E.td("三、本年度办理结果", rowspan="21"))
        label = T3_LABEL_TEXT[row].replace("三、本年度办理结果 ", "")
        cells.append(E.td(label, colspan="2" if index > 1 else "3"))
        cells += [E.td(str(v)) for v in TABLE3[row]]
        rows.append(E.tr(*cells))
    t2 = E.table(
        E.tr(E.td("第二十条第（一）项", colspan="4")),
        E.tr(E.td("信息内容"), E.td("本年制发件数"), E.td("本年废止件数"), E.td("现行有效件数")),
        E.tr(E.td("规章"), E.td("0"), E.td("0"), E.td("0")),
        E.tr(E.td("行政规范性文件"), E.td("2"), E.td("0"), E.td("9")),
        E.tr(E.td("行政许可"), E.td("5", colspan="3")),
        E.tr(E.td("行政处罚"), E.td("1", colspan="3")),
        E.tr(E.td("行政强制"), E.td("0", colspan="3")),
        E.tr(E.td("行政事业性收费"), E.td("0.35", colspan="3")),
    )
    t4 = E.table(E.tr(*[E.td(str(v)) for v in T4_DEFAULT]))
    doc = E.html(
        E.head(E.title("x"), E.script("var a = 1234567;"), E.style("td {width: 100px}")),
        E.body(
            E.nav("首页 » 政务公开 » 年报 2023 99"),
            E.h1("测试县人民政府2023年政府信息公开工作年度报告"),
            E.p("二、主动公开政府信息情况"),
            t2,
            E.p("三、收到和处理政府信息公开申请情况"),
            E.table(*rows),
            E.p("四、政府信息公开行政复议、行政诉讼情况"),
            t4,
            E.p("五、存在的主要问题及改进情况"),
            E.img(src="http://example.invalid/x.png"),
        ),
    )
    path = tmp_path / "report.html"
    path.write_bytes(etree.tostring(doc, encoding="utf-8", method="html"))
    document = ingest_path(path)
    assert "1234567" not in document.text and "首页" not in document.text
    grid = document.tables[1]
    assert grid[2][0] == "三、本年度办理结果" and grid[3][0] == "三、本年度办理结果"  # rowspan expanded
    report = extract_document(document, str(path))
    assert report.verdict.value == "verified", report.verdict_reason
    assert report.values()["active.licensing.decisions"] == 5
    assert report.values()[t3_key("granted", "total")] == 4


def test_docx_with_tables_made_by_python_docx(tmp_path):
    import docx

    document = docx.Document()
    document.add_paragraph("测试县人民政府2023年政府信息公开工作年度报告")
    document.add_paragraph("三、收到和处理政府信息公开申请情况")
    table = document.add_table(rows=len(T3_ROWS), cols=8)
    for r, row in enumerate(T3_ROWS):
        table.cell(r, 0).text = T3_LABEL_TEXT[row]
        for c, value in enumerate(TABLE3[row]):
            table.cell(r, c + 1).text = str(value)
    document.add_paragraph("四、政府信息公开行政复议、行政诉讼情况")
    t4 = document.add_table(rows=1, cols=15)
    for c, value in enumerate(T4_DEFAULT):
        t4.cell(0, c).text = str(value)
    document.add_paragraph("五、存在的主要问题及改进情况")
    path = tmp_path / "report.docx"
    document.save(path)
    report = extract_document(ingest_path(path), str(path))
    assert all(report.values()[k] == v for k, v in t3_cells(TABLE3).items())
    assert report.meta.input_format == "docx"


def test_cli_keeps_good_results_when_one_input_is_bad(tmp_path):
    good = tmp_path / "good.txt"
    good.write_text(page(TABLE3), encoding="utf-8")
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"")
    out = tmp_path / "out.jsonl"
    result = nianbao("extract", str(good), str(bad), "-o", str(out), "--mode", "rules")
    assert result.returncode == 1
    assert (
        result.stderr.count("\n") == 1 and "bad.txt: empty file" in result.stderr and "Traceback" not in result.stderr
    )
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1 and json.loads(lines[0])["verdict"] == "verified"


def test_cli_check_reruns_the_checker_on_a_saved_record(tmp_path):
    source = tmp_path / "r.txt"
    source.write_text(page(TABLE3), encoding="utf-8")
    record = tmp_path / "r.json"
    assert nianbao("extract", str(source), "--format", "json", "-o", str(record)).returncode == 0
    [data] = json.loads(record.read_text(encoding="utf-8"))
    data["cells"][t3_key("granted", "natural_person")]["value"] = 30
    record.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    result = nianbao("check", str(record))
    assert result.returncode == 1
    assert "T3.row:granted" in result.stdout


def test_cli_bad_record_is_one_line(tmp_path):
    bad = tmp_path / "r.json"
    bad.write_text("{not json", encoding="utf-8")
    result = nianbao("check", str(bad))
    assert result.returncode == 2 and "not a JSON record" in result.stderr and "Traceback" not in result.stderr


def test_committed_json_schema_is_current():
    from nianbao.schemas.record import record_schema

    committed = json.loads(
        (Path(__file__).resolve().parents[1] / "schemas" / "report.schema.json").read_text(encoding="utf-8")
    )
    assert committed == record_schema(), "run: nianbao schema -o schemas/report.schema.json"


def test_report_table_nested_in_a_layout_table_is_still_a_grid():
    rows = "".join(
        f"<tr><td>{T3_LABEL_TEXT[r]}</td>" + "".join(f"<td>{v}</td>" for v in TABLE3[r]) + "</tr>" for r in T3_ROWS
    )
    html = (
        "<html><body><table><tr><td>导航</td></tr><tr><td>"
        f"<p>三、收到和处理政府信息公开申请情况</p><table>{rows}</table><p>五、存在的主要问题</p>"
        "</td></tr></table></body></html>"
    )
    report = extract(html.encode(), "layout.html")
    assert all(report.values()[k] == v for k, v in t3_cells(TABLE3).items())


def test_html_entities_left_in_scraped_text_are_decoded():
    report = extract(page(TABLE3).replace(" ", "&nbsp;").encode(), "a.txt")
    assert all(report.values()[k] == v for k, v in t3_cells(TABLE3).items())


def test_utf16_page_with_its_byte_order_mark_is_decoded():
    report = extract(page(TABLE3).encode("utf-16"), "unicode.txt")
    assert report.verdict.value == "verified"


def test_cli_check_refuses_a_record_without_cells(tmp_path):
    empty = tmp_path / "r.json"
    empty.write_text("{}", encoding="utf-8")
    result = nianbao("check", str(empty))
    assert result.returncode == 2 and "no cells" in result.stderr and "Traceback" not in result.stderr


def test_a_directory_means_its_pages_not_the_json_beside_them(tmp_path):
    (tmp_path / "a.txt").write_text(page(TABLE3), encoding="utf-8")
    (tmp_path / "a.gold.json").write_text("{}", encoding="utf-8")
    result = nianbao("extract", str(tmp_path))
    assert result.returncode == 0 and len(result.stdout.splitlines()) == 1


def test_model_mode_without_a_model_says_so_and_keeps_the_parser_records(tmp_path, monkeypatch):
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    source = tmp_path / "a.txt"
    source.write_text(page(TABLE3), encoding="utf-8")
    result = nianbao("extract", str(source), "--mode", "model", "--no-cache")
    assert result.returncode == 0 and "without a model" in result.stderr
    assert json.loads(result.stdout)["verdict"] == "verified"


def test_a_terminal_gets_a_summary_per_report_and_a_pipe_or_format_gets_json_lines(monkeypatch):
    from nianbao import cli
    from typer.testing import CliRunner

    corpus = Path(__file__).resolve().parents[1] / "eval" / "corpus"
    pages = [str(corpus / "hzq-2023.pdf"), str(corpus / "pingtan-2022.txt")]
    monkeypatch.setattr(cli, "_stdout_is_terminal", lambda: True)
    shown = CliRunner().invoke(cli.app, ["extract", *pages, "--mode", "rules"]).stdout
    assert shown.startswith(f"{pages[0]}: source_error — the report's own numbers break T4.sum:review")
    assert "  fails T4.sum:review (printed 0, parts add to 11): source" in shown
    assert f"{pages[1]}: verified — " in shown and "{" not in shown
    lines = CliRunner().invoke(cli.app, ["extract", *pages, "--mode", "rules", "--format", "cells"]).stdout
    assert [json.loads(line)["verdict"] for line in lines.splitlines()] == ["source_error", "verified"]
    monkeypatch.setattr(cli, "_stdout_is_terminal", lambda: False)
    piped = CliRunner().invoke(cli.app, ["extract", *pages, "--mode", "rules"]).stdout
    assert piped == lines
