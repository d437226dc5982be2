"""Real PDFs converted column by column (docs/damage.md): what rules mode gives is right or marked.

tests/columnwise holds conversions of the real reports with other pdfminer LAParams than eval/columnwise's (one
sample each: pdfminer breaks ties differently from run to run), with the gold of the same report."""

import json
from decimal import Decimal
from pathlib import Path

from nianbao.check import table3_identities
from nianbao.parse import parse_tables
from nianbao.parse.align import Alignment
from nianbao.parse.blocks import _counted, number_blocks
from nianbao.parse.labels import find_labels
from nianbao.parse.tables import _on_label_lines, t3_printed_keys
from nianbao.pipeline import extract_path
from nianbao.schemas.keys import T3_COLUMNS, T3_ROWS
from nianbao.schemas.template import T3_LABELS
from nianbao.solve import row_total_holds

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


COLUMN = [23, 0, 7, 1, *[0] * 8, 7, 0, 5, 0, 3, 0, 0, 0, 0, 0, 0, 23, 0]  # every applicant a natural person


def _counted_rows(breaks: dict[int, set[int]], col: list[int] = COLUMN) -> dict[str, list[tuple]]:
    """Table 三 printed as a column stream, one cell a line, and read by counting each column down the rows (as
    pdfminer's mixed columns are read); `breaks`: column → the rows before whose cells a text line stands. The rows
    _counted leaves unchecked, with their other readings."""
    columns = [col, *[[0] * len(col)] * 5, col]
    text, at = "三、收到和处理政府信息公开申请情况\n", []
    for c, values in enumerate(columns):
        for r, v in enumerate(values):
            text += "信息需要另行\n" * (r in breaks.get(c, {1}))  # 本年新收 a band of its own
            at.append((c, r))
            text += f"{v}\n"
    blocks = number_blocks(text, 0, len(text))
    items = dict(zip(at, [v for b in blocks for v in b.values], strict=True))
    alignment = Alignment({row: [items[c, r] for c in range(7)] for r, row in enumerate(T3_ROWS)})
    checks = (row_total_holds, table3_identities, lambda row: t3_printed_keys(row, T3_COLUMNS))
    _counted(list(T3_ROWS), alignment, blocks, 7, checks)
    return alignment.unchecked


def test_rows_a_column_stream_counts_where_a_shift_keeps_every_identity_are_unchecked():
    # pdfminer prints the cells of a row whose label it splits outside their columns' boxes: the 自然人 column's
    # run ends two rows early, the 总计 column's four, each count made up by cells printed later. Counted down, the
    # rows from there may each be one row off in both columns, and every identity holds either way
    unchecked = _counted_rows({0: {1, 20}, 6: {1, 18}})
    assert {"unable.needs_creation", "unable.unclear_after_correction", "not_processed.duplicate"} <= set(unchecked)
    assert (0, 0, 0, 0, 0, 0, 0) in unchecked["unable.unclear_after_correction"]  # its 5 one row off


def test_rows_counted_where_a_rows_cells_printed_elsewhere_in_every_column_keep_every_identity_are_unchecked():
    # pdfminer can print the cells of a row whose label it splits (2.没有现成…信息需要另行制作) before the rows
    # above it, inside one run of each column: counted down, the rows between read one row off in 自然人 and 总计
    # alike, every identity holding. No run boundary shows it, so no count of such a stream is stood behind where
    # moving one row's cells elsewhere keeps every identity: the rows stay, unchecked, the truth among their readings
    printed = [*COLUMN[:2], COLUMN[13], *COLUMN[2:13], *COLUMN[14:]]  # needs_creation's 0 printed after 上年结转
    unchecked = _counted_rows({c: {1} for c in range(7)}, printed)
    wrong = [at for at in range(len(COLUMN)) if printed[at] != COLUMN[at]]
    assert [T3_ROWS[at] for at in wrong] == [
        "granted",
        "partially_granted",
        "denied.state_secret",
        "unable.not_held",
        "unable.needs_creation",
    ]
    for at in wrong:
        assert (COLUMN[at], 0, 0, 0, 0, 0, COLUMN[at]) in unchecked[T3_ROWS[at]], T3_ROWS[at]


def test_a_counted_row_a_shift_would_keep_keeps_its_value_and_is_not_stood_behind():
    # pdfminer -F 0.9 breaks the 总计 column's run at 7.属于行政执法案卷 where the 其他 column runs on: 6. and 7.
    # (2 and 1) may be counted one row off in both columns, every identity holding either way
    report = extract_path(COLUMNWISE / "pingtan-2022.pdfminer-F0.9.txt")
    key = "applications.denied.process_info.natural_person"
    assert report.cells[key].value == 2 and {1, 2} <= set(report.cells[key].candidates)
    assert key in report.unverified


_T2_STREAM = """二、主动公开政府信息情况
第二十条第（一）项
信息内容
本年制发件数 本年废止件数 现行有效件数
规章
行政规范性文件
 0
69
0
3
0
665
信息内容
行政许可
信息内容
行政处罚
行政强制
第二十条第（五）项
本年处理决定数量
2293
第二十条第（六）项
本年处理决定数量
1282
42
第二十条第（八）项
信息内容
本年收费金额（单位：万元）
行政事业性收费
24252.311082
三、收到和处理政府信息公开申请情况
申请人情况
自然人
一、本年新收政府信息公开申请数量
23
0
（一）予以公开
7
四、结转下年度继续办理
0
四、政府信息公开行政复议、行政诉讼情况
行政复议
"""


def test_table_two_in_a_column_stream_of_its_own_is_read_in_print_order_where_table_three_is_not():
    # pdfminer prints table 二's labels together and its numbers after them, one a box (a blank line after each
    # line), its two three-column rows column by column; table 三 here reads from no stream. Table 二's region is a
    # stream by itself: its rows are read in print order, flagged realigned (no identity checks them)
    parsed = parse_tables(_T2_STREAM.replace("\n", "\n\n"), trust_blanks=False)
    values = {k: c.value for k, c in parsed.cells.items() if k.startswith("active.")}
    assert values["active.regulations.in_force"] == 0 and values["active.normative_docs.issued"] == 69
    assert (values["active.normative_docs.in_force"], values["active.coercion.decisions"]) == (665, 42)
    assert "realigned" in parsed.cells["active.normative_docs.issued"].flags


_T2_2019_STREAM = """二、主动公开政府信息情况
第二十条第（一）项
信息内容
规章
规范性文件
第二十条第（五）项
本年新
本年新
制作数量
公开数量
对外公开总数量
2
5
1
4
30
60
信息内容
上一年项目数量 本年增/减
处理决定数量
行政许可
120
其他对外管理服务事项 8
第二十条第（六）项
3
0
45
17
信息内容
行政处罚
行政强制
第二十条第（八）项
上一年项目数量 本年增/减
处理决定数量
900
40
0
0
310
12
信息内容
上一年项目数量 本年增/减
行政事业性收费
11
0
第二十条第（九）项
信息内容
采购项目数量
采购总金额
政府集中采购
7
1234.5元
"""


def test_a_block_title_among_a_parts_numbers_is_no_break_between_them():
    # pdfminer prints the 2019 table 二's parts column by column, one number a box; the next part's title
    # (第二十条第（六）项) can fall among 行政许可's numbers, after the number on its label's line: the part is still
    # read column by column, the number beside 其他对外管理服务事项 that row's first cell
    text = _T2_2019_STREAM + _T2_STREAM[_T2_STREAM.index("三、收到") :]
    parsed = parse_tables(text.replace("\n", "\n\n"), trust_blanks=False)
    read = {
        row: tuple(parsed.cells[f"active_2019.{row}.{c}"].value for c in ("prev_items", "delta", "decisions"))
        for row in ("licensing", "other_mgmt_services", "coercion")
    }
    assert read == {"licensing": (120, 3, 45), "other_mgmt_services": (8, 0, 17), "coercion": (40, 0, 12)}
    assert "realigned" in parsed.cells["active_2019.licensing.prev_items"].flags
