"""How the PDF→text/markdown converters people reach for (PyMuPDF, pymupdf4llm, pypdf, pdftext) lay out the
tables, each class read by rule from a small page of that shape (docs/damage.md)."""

from __future__ import annotations

import re

from pages import T3_LABEL_TEXT, consistent_table3, page, t3_cells
from test_converted import VARIED
from test_parser import extract


def test_an_items_ordinal_spaced_from_its_label_is_no_value():
    """pypdf spaces an item's ordinal from its label ('2. 其他法律行政法规禁止公开'), wrapping the label over two
    lines with the row's numbers after the second: the ordinal is text, not one number too many for the row above."""
    labels = {}
    for row, label in T3_LABEL_TEXT.items():
        title, _, item = label.rpartition(" ")
        spaced = re.sub(r"^(\d)\.", r"\1. ", item)
        labels[row] = "\n".join(filter(None, [title, spaced[:9], spaced[9:]]))
    report = extract(page(VARIED, t3_labels=labels))
    for key, value in t3_cells(VARIED).items():
        assert report.cells[key].value == value, key
    assert report.verdict.value == "verified"


def _markdown_table3(row_cells) -> str:
    """The test page with table 三 as a markdown table whose rows `row_cells(label, values)` writes."""
    lines = [
        "| | 自然人 | 商业企业 | 科研机构 | 社会公益组织 | 法律服务机构 | 其他 | 总计 |",
        "|---|---|---|---|---|---|---|---|",
    ]
    lines += [f"| {' | '.join(row_cells(T3_LABEL_TEXT[row], list(map(str, VARIED[row]))))} |" for row in VARIED]
    text = page(VARIED)
    start, end = text.index(T3_LABEL_TEXT["new_received"]), text.index("四、政府信息公开行政复议")
    return text[:start] + "\n".join(lines) + "\n" + text[end:]


def _reads_varied(text: str) -> None:
    report = extract(text, "page.md")
    for key, value in t3_cells(VARIED).items():
        assert report.cells[key].value == value, key
    assert report.verdict.value == "verified"


def test_line_breaks_inside_markdown_cells():
    """pymupdf4llm writes a cell's line breaks as `<br>`, the row's first number often in the label's cell after
    one (`| 2.其他法律行政<br>法规禁止公开<br>0 | 0 | …`): a break is a space, never part of a number."""
    _reads_varied(_markdown_table3(lambda label, values: [f"{label[:7]}<br>{label[7:]}<br>{values[0]}", *values[1:]]))


def test_a_label_cut_across_two_markdown_cells():
    """pymupdf4llm's table finder can cut the label column in two mid-word (`| 三、本年度（一）予 | 以公开 21 |`):
    the label reads across the cell border."""
    _reads_varied(_markdown_table3(lambda label, values: [label[:-2], f"{label[-2:]} {values[0]}", *values[1:]]))


def test_a_row_printed_outside_its_markdown_table_in_another_order():
    """pymupdf4llm prints a row its table finder missed as text lines, one number a paragraph, ordered by the
    glyphs' tops (the 0s before the 9s): the orders that keep the row total are its readings, the column
    balances choose, and the row is flagged `realigned`."""
    text = _markdown_table3(lambda label, values: [label, *values])
    forward = VARIED["carried_forward"]
    assert forward == [9, 0, 0, 0, 0, 0, 9]
    row = f"| {T3_LABEL_TEXT['carried_forward']} | {' | '.join(map(str, forward))} |\n"
    loose = f"{T3_LABEL_TEXT['carried_forward']}\n\n" + "\n\n".join(map(str, sorted(forward))) + "\n\n"
    report = extract(text.replace(row, "\n" + loose), "page.md")
    for key, value in t3_cells(VARIED).items():
        assert report.cells[key].value == value, key
    assert "realigned" in report.cells["applications.carried_forward.natural_person"].flags
    assert report.verdict.value == "verified"


def test_a_title_with_the_pages_byline_on_its_line():
    """pymupdf4llm joins a saved page's title and its byline on one line: the byline is not the title."""
    text = page(VARIED).replace(
        "测试县人民政府2023年政府信息公开工作年度报告",
        "测试县人民政府2023年政府信息公开工作年度报告 来源：测试县人民政府办公室 时间：2024-01-20 16:34 微信 微博",
    )
    meta = extract(text, "page.md").meta
    assert (meta.agency_name, meta.report_year) == ("测试县人民政府", 2023)


def test_a_wrapped_label_printed_around_its_numbers():
    """PyMuPDF's `get_text(sort=True)` prints a wrapped label's lines above and below its row's numbers (they are
    centred beside it): `5.属于三类内部事` / `1 0 0 0 0 0 1` / `务信息`, a keyword cut by the numbers and another
    keyword of the label after them, on a line of its own or on theirs (`2.其他法律行政法` / `0 … 规禁止公开`), where
    the keyword that begins first is where the label is."""
    table = consistent_table3(
        {
            "denied.internal_affairs": [1, 0, 0, 0, 0, 0],
            "denied.enforcement_files": [6, 0, 0, 0, 0, 0],
            "denied.admin_query": [1, 0, 0, 0, 0, 0],
            "unable.not_held": [22, 0, 0, 0, 0, 3],
        },
        new_received=[40, 0, 0, 0, 0, 4],
    )
    labels = {}
    for row, label in T3_LABEL_TEXT.items():
        cut = label.rfind(" ") + 10  # a group's title is a cell of its own; an item's label wraps at 9 characters
        after = " " if row == "denied.law_prohibited" else "\n"  # the rest of the label on the numbers' line
        labels[row] = f"{label[:cut]}\n{{numbers}}{after}{label[cut:]}" if len(label) > cut else f"{label} {{numbers}}"
    text = page(table, t3_labels=dict.fromkeys(labels, "@"))
    for row, label in labels.items():
        text = text.replace(
            f"@ {' '.join(map(str, table[row]))}", label.format(numbers=" ".join(map(str, table[row]))), 1
        )
    report = extract(text)
    for key, value in t3_cells(table).items():
        assert report.cells[key].value == value, key
    assert report.verdict.value == "verified"
