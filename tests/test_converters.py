"""What the PDF converters people run do to the tables (docs/damage.md, converters): the generator's converter
layouts render, and the parser's rules for what the converters print."""

import random
from decimal import Decimal

import pytest
from nianbao.eval.conversions import CONVERTERS
from nianbao.eval.damage import (
    CONVERTER_LAYOUTS,
    CONVERTER_MODULES,
    LAYOUTS,
    cjk_font_file,
    converter_missing,
    generate,
)
from nianbao.ingest.text import normalise
from nianbao.parse.tokens import segment_items
from nianbao.schemas.keys import FEE_KEY, t3_key
from pages import T3_LABEL_TEXT, consistent_table3, page, t3_cells, t4_cells
from test_parser import TABLE2_2019, assert_reads, extract

TABLE3 = consistent_table3(
    {
        "granted": [4, 1, 0, 0, 0, 0],
        "denied.process_info": [0, 0, 0, 3, 0, 0],
        "denied.enforcement_files": [0, 0, 4, 0, 0, 0],
        "unable.not_held": [10, 0, 0, 1, 0, 0],
    },
    new_received=[14, 1, 4, 4, 0, 0],
)


def test_every_converter_is_a_generated_layout_of_its_name():
    assert set(CONVERTERS) < set(CONVERTER_LAYOUTS) <= set(LAYOUTS)


@pytest.mark.parametrize("layout", CONVERTER_LAYOUTS)
def test_each_converter_layout_renders_a_report_it_reads_never_guessing(layout):
    if cjk_font_file() is None or converter_missing(layout):
        pytest.skip(f"the {layout} layout draws with fonts-wqy-zenhei: {converter_missing(layout)}")
    case = generate(random.Random(f"{layout}:0"), layout)
    text = case.data.decode("utf-8")
    assert "三、收到和处理政府信息公开申请情况" in text and "行政许" in text  # on A6 paper its label wraps after 许
    report = extract(text, case.filename)
    values = report.values()
    wrong = {k: (v, values[k]) for k, v in case.cells.items() if values.get(k) not in (None, v)}
    assert all(k in report.unverified for k in wrong if str(values[k]) != str(case.cells[k])), wrong


@pytest.mark.parametrize(
    ("layout", "install"),
    [("pypdf", "pip install -e '.[conversions]'"), ("pdftext", "pip install --no-deps pdftext pydantic-settings")],
)
def test_the_converter_layouts_without_their_converter_are_one_clear_line_naming_what_to_install(
    monkeypatch, layout, install
):
    from nianbao.cli import app
    from nianbao.eval import damage
    from typer.testing import CliRunner

    monkeypatch.setitem(damage.CONVERTER_MODULES, layout, "nianbao_no_such_converter")
    result = CliRunner().invoke(app, ["eval", "--cases", "generated", "--count", "1", "--layouts", layout])
    assert result.exit_code != 0 and install in result.output
    assert "Traceback" not in result.output


def test_a_converter_layout_whose_program_is_missing_names_what_to_install(monkeypatch):
    # opendataloader-pdf's module runs a Java program: without java the layout is one line, not a traceback
    from nianbao.eval import damage

    monkeypatch.setattr(damage.importlib.util, "find_spec", lambda name: object())
    monkeypatch.setattr(damage.shutil, "which", lambda program: None if program == "java" else "/usr/bin/" + program)
    assert "apt-get install default-jre-headless" in converter_missing("opendataloader")
    assert converter_missing("pypdf") is None


def test_each_converter_layout_names_what_it_needs():
    # a converter added to eval/conversions.py without its module would render nothing but a traceback
    assert set(CONVERTER_LAYOUTS) - set(CONVERTER_MODULES) == {"pdftotext", "pdftotext-layout", "pdftotext-raw"}


def _with_table2(text: str, table2: str) -> str:
    start, end = text.index("二、主动公开政府信息情况"), text.index("三、收到和处理政府信息公开申请情况")
    return text[:start] + "二、主动公开政府信息情况\n" + table2 + text[end:]


# table 二 as pdfminer prints a page whose boxes it groups by block: labels together, numbers after, block
# headers between; 15 after 行政事业性收费 is 行政许可's
PDFMINER_T2 = """第二十条第（一）项
信息内容
规章
行政规范性文件
本年制发件数
本年废止件数
现行有效件数
0 0 0
3 1 20
第二十条第（五）项
信息内容
行政许可
信息内容
行政处罚
行政强制
信息内容
行政事业性收费
{after_fee}
第二十条第（六）项
本年处理决定数量
7
0
第二十条第（八）项
本年收费金额（单位：万元）
{fee}
"""


def test_table2_numbers_after_other_rows_labels_leave_the_rows_open():
    report = extract(_with_table2(page(TABLE3), PDFMINER_T2.format(after_fee="15", fee="12.5")))
    values = report.values()
    for row in ("licensing", "penalty", "coercion"):
        assert values.get(f"active.{row}.decisions") is None
    assert values.get("active.fees.amount") is None  # 15 is 行政许可's, not the fee
    assert values.get("active.regulations.issued") is None  # the order of the table's numbers is not its rows'
    assert_reads(report, t3_cells(TABLE3))
    # numbers astray only before a label (pingtan-2021 as pdfminer prints it): the rows after them read as printed
    strays_before = PDFMINER_T2.split("第二十条第（五）项")[0] + (
        "第二十条第（五）项\n信息内容\n行政许可\n信息内容\n行政处罚\n第二十条第（六）项\n本年处理决定数量\n15\n7\n9\n"
        "行政强制\n0\n第二十条第（八）项\n信息内容\n行政事业性收费\n12.5\n"
    )
    report = extract(_with_table2(page(TABLE3), strays_before))
    values = report.values()
    assert values["active.coercion.decisions"] == 0 and str(values["active.fees.amount"]) == "12.5"
    assert values.get("active.licensing.decisions") is None and values.get("active.regulations.issued") is None
    # an amount with decimals after the fee's label is the fee: no count has decimals
    report = extract(_with_table2(page(TABLE3), PDFMINER_T2.format(after_fee="12.5", fee="15")))
    assert str(report.values()["active.fees.amount"]) == "12.5"


def test_table3_rows_printed_out_of_order_stay_open_where_no_identity_tells():
    # pdfminer prints 7.属于行政执法案卷 and its numbers before 6.属于四类过程性信息 and its: the column sums hold
    # either way, so neither row is placed
    labels = dict(T3_LABEL_TEXT)
    text = page(TABLE3, t3_labels=labels)
    six = " ".join([labels["denied.process_info"], *map(str, TABLE3["denied.process_info"])])
    seven = " ".join([labels["denied.enforcement_files"], *map(str, TABLE3["denied.enforcement_files"])])
    text = text.replace(six + "\n" + seven, seven.replace(" ", "\n\n", 1) + "\n" + six.replace(" ", "\n\n", 1))
    report = extract(text.replace("\n", "\n\n"))
    values = report.values()
    for row in ("denied.process_info", "denied.enforcement_files"):
        for column in ("research", "public_interest_org", "total"):
            key = t3_key(row, column)
            assert values.get(key) in (None, t3_cells(TABLE3)[key]) or key in report.unverified, key
    assert values.get(t3_key("denied.process_info", "total")) is None


def test_a_number_cut_at_the_borders_of_its_merged_cell_is_one_number():
    # pymupdf4llm cuts a one-column row's centred number where the three columns above it meet
    table2 = (
        "|信息内容|本年制发件数|本年废止件数|现行有效件数|\n|规章|0|0|0|\n|行政规范性文件|3|1|20|\n"
        "|行政许可||1|51|\n|行政处罚|||7|\n|行政强制|0|||\n|行政事业性收费|17|994.236|096|\n"
    )
    report = extract(_with_table2(page(TABLE3), table2), "page.md")
    values = report.values()
    assert values["active.licensing.decisions"] == 151 and str(values["active.fees.amount"]) == "17994.236096"
    # one column holds one number: the pieces joined are no choice, and stand as printed
    assert not {"active.licensing.decisions", "active.fees.amount"} & set(report.unverified)
    assert values["active.penalty.decisions"] == 7 and "active.penalty.decisions" not in report.unverified
    report = extract(_with_table2(page(TABLE3), table2.replace("|17|994.236|096|", "|2|0517.|3|")), "page.md")
    assert str(report.values()["active.fees.amount"]) == "20517.3"
    # a merged cell printed again in each column it spans is the one number
    report = extract(_with_table2(page(TABLE3), table2.replace("||1|51|", "|28|28|28|")), "page.md")
    assert report.values()["active.licensing.decisions"] == 28
    # a blank cell between two numbers: two cells, not one number cut
    report = extract(_with_table2(page(TABLE3), table2.replace("||1|51|", "|1||51|")), "page.md")
    assert report.values().get("active.licensing.decisions") is None


def test_a_label_cell_cut_across_a_column_border_reads_line_by_line():
    row = "|1.申请人无正当理由<br>机关不再处理其政|逾期不补正、行政<br>府信息公开申请|0|13|0|3|0|0|16|"
    assert normalise(row).startswith("|1.申请人无正当理由逾期不补正、行|政机关不再处理其政府信息公开申请|0|")
    row = "||1.申<br>机|请人<br>关不|无正当<br>再处理|理由逾<br>其政|期不<br>府信息|补正、<br>公开申|行政<br>请|246|"
    assert normalise(row) == "||1.申请人|无正当理由|逾期不补正|、行政机关|不再处理其|政府信息公|开申请|246|"
    # two cells that are two labels (a group title beside its item) are left as printed
    row = "|（六）其他<br>处理|2.申请人逾期未按收费<br>通知要求缴纳费用|0|"
    assert normalise(row) == "|(六)其他 处理|2.申请人逾期未按收费 通知要求缴纳费用|0|"


AMOUNT_2019 = "active_2019.procurement.total_amount"


def _amount_around_label(row: str, lines: str) -> str:
    """The test page with its last table 二 row (2019's 政府集中采购 with 3 projects, or 2021's fee) as `lines`."""
    if row == "fee":
        return page(TABLE3).replace(
            "行政事业性收费 12.5", f"第二十条第（八）项\n信息内容 本年收费金额（单位：万元）\n{lines}"
        )
    block = "第二十条第（九）项\n信息内容 采购项目数量 采购总金额\n"
    text = page(TABLE3, t2=TABLE2_2019).replace("政府集中采购 3 251000元", block + lines)
    return text.replace("本年制发件数 本年废止件数 现行有效件数", "本年新制作数量 本年新公开数量 对外公开总数量")


@pytest.mark.parametrize(
    ("row", "lines", "amount"),
    [
        ("procurement", "35414941.1\n政府集中采购 3\n3元", "35414941.13"),  # pdfplumber
        ("procurement", "数量\n        78784508.\n  政府集中采购        3\n           25元", "78784508.25"),  # -layout
        (
            "procurement",
            "35414941.1\n| | 政府集中采购 | 3 | |\n| --- | --- | --- | --- |\n3元",
            "35414941.13",
        ),  # markitdown
        ("fee", "503.\n行政事业性收费\n7343", "503.7343"),
    ],
)
def test_an_amount_wrapped_around_its_label_line_is_one_number(row, lines, amount):
    # converters that order lines by their tops print a wrapped amount's first line above its centred label; its
    # decimal point makes it the table's one amount, so its place is no choice
    report = extract(_amount_around_label(row, lines), "page.md" if "|" in lines else "page.txt")
    key = FEE_KEY if row == "fee" else AMOUNT_2019
    cell = report.cells[key]
    assert str(cell.value) == amount and "realigned" not in cell.flags and key not in report.unverified
    if row == "procurement":
        assert report.values()["active_2019.procurement.projects"] == 3


@pytest.mark.parametrize(
    ("row", "lines", "amount"),
    [
        ("procurement", "|政府集中采购|3|78784508. 25元| |", "78784508.25"),  # opendataloader-pdf
        ("procurement", "|政府集中采购|3|35414941.1 3元|", "35414941.13"),
        ("fee", "|行政事业性收费|503. 7343| | |", "503.7343"),
        ("fee", "|行政事业性收费|503.734 3| | |", None),  # one number or two: open, as around its label
        # cut at a column border (pymupdf4llm, pingtan 2019): the same evidence, across the border
        ("procurement", "|政府集中采购|3|75394432.5|2元|", "75394432.52"),
        ("procurement", "|政府集中采购|3|78784508.|25|", "78784508.25"),
        ("procurement", "|政府集中采购|3|35414941.1|3|", None),  # no unit, no dangling point: one number or two
    ],
)
def test_an_amount_wrapped_inside_its_grid_cell_is_one_number_where_its_point_or_unit_tells(row, lines, amount):
    report = extract(_amount_around_label(row, f"|信息内容|数量| | |\n|---|---|---|---|\n{lines}"), "page.md")
    cell = report.cells[FEE_KEY if row == "fee" else AMOUNT_2019]
    assert (str(cell.value) if cell.value is not None else None) == amount
    if amount is None:
        assert "ambiguous" in cell.flags
    elif row == "procurement":
        assert report.values()["active_2019.procurement.projects"] == 3


@pytest.mark.parametrize(
    ("lines", "amount"),
    [
        ("政府集中采购 3 35414941.1\n3元", "35414941.13"),  # kreuzberg: the unit ends the tail
        ("政府集中采购 3 35414941.\n13元", "35414941.13"),  # PyMuPDF: no number ends in a point
        ("政府集中采购 3 35414941.1\n3", None),  # no unit, no dangling point: one number or two
    ],
)
def test_an_amount_wrapped_after_its_label_on_the_same_line_is_read_where_its_point_or_unit_tells(lines, amount):
    # the head ends the label's own line, the tail (with the unit) alone on the next: no placement across the label
    report = extract(_amount_around_label("procurement", lines))
    cell = report.cells[AMOUNT_2019]
    if amount is None:
        assert cell.value is None and "ambiguous" in cell.flags
        return
    assert str(cell.value) == amount and "realigned" not in cell.flags and AMOUNT_2019 not in report.unverified
    assert report.values()["active_2019.procurement.projects"] == 3


def test_an_amount_wrapped_around_its_label_stays_open_where_nothing_tells_one_number_from_two():
    # a fee prints no unit: `503.734` over `3` may be one number or two
    cell = extract(_amount_around_label("fee", "503.734\n行政事业性收费\n3")).cells[FEE_KEY]
    assert cell.value is None and "ambiguous" in cell.flags
    assert set(cell.candidates) == {Decimal("3"), Decimal("503.7343")}
    # a number ending its line in a decimal point goes on on the next (PyMuPDF `sort=True` indents it): glued to
    # the projects, it stays open
    report = extract(_amount_around_label("procurement", "政府集中采购      259525472426.\n          13元"))
    assert report.values()["active_2019.procurement.projects"] is None and report.values()[AMOUNT_2019] is None


def test_a_markdown_cell_of_a_zero_marker_and_a_number_is_two_cells():
    # markitdown prints two cells in one (`| 无 997 |`) beside an empty column of its own: no label took in a number
    table3 = consistent_table3({"granted": [4, 0, 1, 0, 0, 0]}, new_received=[4, 0, 1, 0, 0, 0])
    text = page(table3)
    label = T3_LABEL_TEXT["granted"]
    text = text.replace(f"{label} 4 0 1 0 0 0 5", f"| {label} | 4 | | 无 1 | 0 | 0 | 0 | 5 |")
    report = extract(text, "page.md")
    assert_reads(report, t3_cells(table3))


def test_an_items_ordinal_on_a_line_of_its_own_is_no_value():
    # pypdfium2 prints a narrow label cell's lines as they wrap, the ordinal alone (`5.` / `属于三` / `类内部事务信息`),
    # and each number on a line of its own: the ordinal is label text, not a number one too many for the row above
    labels = {}
    for row, label in T3_LABEL_TEXT.items():
        title, _, item = label.rpartition(" ")
        ordinal, words = (item[:2], item[2:]) if item[:1].isdigit() else ("", item)
        labels[row] = "\n".join(filter(None, [title, ordinal, words[:3], words[3:]]))
    report = extract(page(TABLE3, t3_labels=labels, cell_sep="\n"))
    assert_reads(report, t3_cells(TABLE3))
    assert report.verdict.value == "verified"


@pytest.mark.parametrize("marker", ["-", "无"])
def test_zero_markers_glued_between_numbers_are_cells(marker):
    # kreuzberg glues a row's cells to its label when the row is set tight, zero printed as agencies print it:
    # `1.属于国家秘密-050038` is -|0|5|0|0|3|8 (a leading 0 is a cell of its own), `8900无` 89|0|0|无 where the
    # identities allow no other split; 无 before a word begins a label (无法提供)
    rows = {row: "".join(marker if v == 0 and i % 2 else str(v) for i, v in enumerate(TABLE3[row])) for row in TABLE3}
    text = page(TABLE3)
    for row, glued in rows.items():
        text = text.replace(
            f"{T3_LABEL_TEXT[row]} {' '.join(map(str, TABLE3[row]))}\n", f"{T3_LABEL_TEXT[row]}{glued}\n"
        )
    assert any(marker in glued for glued in rows.values())
    report = extract(text)
    assert_reads(report, t3_cells(TABLE3))
    # a label's 无 cut from its words by the row's numbers (markitdown: `（四）无` / `| 0 0 | … |` / `法提供`) is text
    line = "（四）无\n| | 0 0 | 0 0 | 0 |\n法提供"
    assert [i.text for i in segment_items(line, 0, len(line)) if i.kind == "value"] == ["0", "0", "0", "0", "0"]


def test_a_table2_label_wrapped_around_its_rows_numbers_anchors_them():
    # pdfplumber and PyMuPDF `sort=True` print a wrapped label's lines above and below the numbers centred beside
    # it (`行政事业性收` / `0` / `费`): the label begins there and the numbers after it are its row's
    text = (
        page(TABLE3)
        .replace("行政事业性收费 12.5", "行政事业性收\n12.5\n费")
        .replace("行政规范性文件 3 1 20", "行政规范性\n3 1 20\n文件")
    )
    values = extract(text).values()
    assert str(values[FEE_KEY]) == "12.5"
    assert [values[f"active.normative_docs.{c}"] for c in ("issued", "repealed", "in_force")] == [3, 1, 20]
    # a label too short to wrap (规章) that the page does not print is not found anywhere
    cell = extract(text.replace("规章 0 0 0\n", "")).cells["active.regulations.issued"]
    assert cell.value is None and "not_found" in cell.flags


def test_a_2019_row_printed_outside_its_table_keeps_its_signed_delta():
    # a hyphen before digits is a zero marker only where no sign is read: 2019's 本年增/减 prints `-23`
    text = _amount_around_label("procurement", "政府集中采购 3 251000元")
    text = text.replace("行政许可 10 -2 55\n", "").replace(
        "二、主动公开政府信息情况\n", "二、主动公开政府信息情况\n行政许可 0 -23 0\n"
    )
    values = extract(text).values()
    assert [values[f"active_2019.licensing.{c}"] for c in ("prev_items", "delta", "decisions")] == [0, -23, 0]


T4_MOVED = [100, 297, 9, 0, 406, 17, 0, 5, 0, 22, 12, 10, 29, 0, 51]


def _t4_in_table3s_markdown(title_after: str) -> str:
    """pymupdf4llm's print of a page whose table 四 runs on from table 三's markdown table: table 四's header cut into
    cells and its row of numbers as the table's last lines, section 四's title printed after the table."""
    text = page(TABLE3, t4=T4_MOVED)
    start, end = text.index("四、政府信息公开行政复议"), text.index("五、存在的主要问题")
    moved = [
        "|、政府|信息公开行|政复议<br>行|、行<br>政复|政诉讼<br>议|情况|||||行政|诉讼||||||||",
        "||||||||未经复|议直|接起诉|||复|议后起|诉|||||",
        "||果维<br>持|结果<br>纠正|他结<br>果|未审<br>结|总计|结果<br>维持|结果<br>纠正|他结<br>果|未审<br>结||果维<br>持|"
        "结果<br>纠正|他结<br>果<br>|未<br>结|审<br><br>总计||||",
        "||" + "|".join(map(str, T4_MOVED)) + "||||",
        "",
        title_after,
        "",
    ]
    rest = text[end:].replace("无。", "2024年，我们将进一步规范依申请公开工作。", 1)  # a number after the title
    return text[:start] + "\n".join(moved) + "\n" + rest


def test_table4_whose_title_is_printed_after_its_table_is_read_from_its_header():
    report = extract(_t4_in_table3s_markdown("四、政府信息公开行政复议、行政诉讼情况 "), "page.md")
    assert_reads(report, {**t3_cells(TABLE3), **t4_cells(T4_MOVED)})
    assert report.verdict.value == "verified", report.verdict_reason


def test_a_converters_comment_is_no_number():
    # pymupdf4llm closes a picture's OCR'd text with a comment: its dashes are no zero markers after table 四's row
    text = page(TABLE3, t4=T4_MOVED)
    row = " ".join(map(str, T4_MOVED))
    text = text.replace(row, f"<!-- Start of picture text --><br>{row}<br><!-- End of picture text -->")
    report = extract(text, "page.md")
    assert_reads(report, t4_cells(T4_MOVED))
    assert "<!--" not in normalise(text)


def test_a_section_title_in_the_first_cell_of_the_row_above_is_printed_after_the_row():
    # pymupdf4llm puts section 三's title under the fee's label in its cell: the fee's number is the fee's, not cut
    # off its row by the title (the fee open, the counts above it put in doubt)
    rows = "|行政处罚|||-||\n|行政强制|||0||\n"
    moved = "|行政事业性收费<br>三、收到和处理政府信息公开申请情况||||-||\n"
    text = page(TABLE3).replace(
        "行政处罚 7\n行政强制 0\n行政事业性收费 12.5\n三、收到和处理政府信息公开申请情况\n", rows + moved
    )
    assert "|行政事业性收费||||-||\n三、收到和处理政府信息公开申请情况\n" in normalise(text)
    report = extract(text, "page.md")
    assert_reads(report, {FEE_KEY: Decimal(0), "active.penalty.decisions": 0, "active.coercion.decisions": 0})
    assert_reads(report, t3_cells(TABLE3))
    assert report.verdict.value == "verified", report.verdict_reason
