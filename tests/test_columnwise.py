"""Real PDFs converted column by column (docs/damage.md): what rules mode gives is right or marked.

tests/columnwise holds conversions of the real reports with other pdfminer LAParams than eval/columnwise's (one
sample each: pdfminer breaks ties differently from run to run), with the gold of the same report."""

import json
from decimal import Decimal
from pathlib import Path

from nianbao.parse.labels import find_labels
from nianbao.parse.tables import _on_label_lines
from nianbao.pipeline import extract_path
from nianbao.schemas.template import T3_LABELS

COLUMNWISE = Path(__file__).resolve().parent / "columnwise"


def unmarked(case: str) -> dict:
    """The cells a record gives out wrong as values it stands behind (not open, not in `unverified`)."""
    gold = json.loads((COLUMNWISE / f"{case}.gold.json").read_text(encoding="utf-8"))
    report = extract_path(COLUMNWISE / gold["input"])
    values = {k: (str(v) if isinstance(v, Decimal) else v) for k, v in report.values().items()}
    return {
        k: (g, values[k])
        for k, g in gold["cells"].items()
        if values.get(k) is not None and values[k] != g and k not in report.unverified
    }


def test_rows_lines_printed_out_of_row_order_are_never_read_in_print_order():
    # pdfminer -L 1.0 prints table 三's rows' first-two lines beside the tall labels out of row order, five of them
    # before `1.属于国家秘密 0 0`; read in print order the zeros make the row totals hold with the 1 and 2 on the
    # wrong rows. The label's own line places its numbers: that reading is no reading.
    assert unmarked("pingtan-2022.pdfminer-L1.0") == {}


def test_numbers_on_a_labels_line_are_that_rows():
    text = "三、收到和处理政府信息公开申请情况\n一、本年新收政府信息公开申请数量 71 3\n二、上年结转政府信息公开申请数量\n1 0\n"
    text += "（一）予以公开\n21 0\n1.属于国家秘密 0 0\n2.其他法律行政\n法规禁止公开\n0 0\n"
    found = _on_label_lines(text, find_labels(text, T3_LABELS, 0, len(text)))
    assert {text[at : at + 2].strip(): row for at, row in found.items()} == {
        "71": "new_received",
        "3": "new_received",
        "0": "denied.state_secret",
    }
    assert sorted(found.values()).count("denied.state_secret") == 2  # the label's two numbers; the bare lines none


def test_table_four_boxes_whose_group_order_the_page_does_not_fix_are_left_open():
    # pdfminer -F 0.9 prints every group label before the numbers and the 行政复议 group's numbers last: in print
    # order each group total holds, the groups in the wrong places. A group's numbers stand under its own label
    # and the two 行政诉讼 groups keep their order, which leaves three group orders: the cells they disagree on open.
    assert unmarked("pingtan-2022.pdfminer-F0.9") == {}
    report = extract_path(COLUMNWISE / "pingtan-2022.pdfminer-F0.9.txt")
    total = report.cells["review_litigation.review.total"]
    assert "ambiguous" in total.flags and set(total.candidates) == {0, 1, 2}
    assert "ambiguous" not in report.cells["review_litigation.review.pending"].flags  # 0 in every order


def test_table_four_boxes_whose_first_group_is_printed_before_the_litigation_labels_are_read():
    # the default margins print the 行政复议 group's numbers before 未经复议直接起诉 / 复议后起诉: only it can be
    # first, and the two 行政诉讼 groups keep their order, so the printed order is the only one
    report = extract_path(COLUMNWISE.parent.parent / "eval" / "columnwise" / "pingtan-2022.pdfminer.txt")
    assert report.cells["review_litigation.review.total"].value == 2
    assert not any("ambiguous" in c.flags for k, c in report.cells.items() if k.startswith("review_litigation"))
