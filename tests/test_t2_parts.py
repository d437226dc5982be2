"""Table 二's parts placed by order (docs/damage.md): stood behind only where the page itself decides the placement."""

from nianbao.parse.parts import settle_parts
from nianbao.parse.tables import T2_2021
from nianbao.schemas.keys import T2_KEYS
from pages import page
from test_parser import TABLE3, extract

PROSE_88 = "设立规范性文件库，集中公开现行有效行政规范性文件698件，动态更新本年度制发的规范性文件88件。"


def with_table2(table2: str, prose: str = "") -> str:
    """The test page with its table 二 replaced by `table2` (from its section title on), `prose` in section 一."""
    text = page(TABLE3).replace("本年度工作稳步推进。", "本年度工作稳步推进。" + prose)
    return (
        text[: text.index("二、主动公开")]
        + "二、主动公开政府信息情况\n"
        + table2
        + text[text.index("三、收到和处理") :]
    )


# numbers a converter printed above their labels (markitdown, pdftotext): 10690 above 行政许可, the fee above its label
ABOVE = (
    "第二十条第（一）项\n信息内容 本年制发件数 本年废止件数 现行有效件数\n规章 0 0 0\n行政规范性文件 88 55 698\n"
    "第二十条第（五）项\n信息内容 本年处理决定数量\n\n10690\n行政许可\n"
    "第二十条第（六）项\n信息内容 本年处理决定数量\n行政处罚 2113\n行政强制 0\n"
    "第二十条第（八）项\n信息内容 本年收费金额（单位：万元）\n9116.36\n行政事业性收费\n"
)


def flags(report, row: str) -> set[str]:
    return {f for k, c in report.cells.items() if k.startswith(f"active.{row}.") for f in c.flags}


def test_a_one_row_part_whose_block_prints_only_its_number_has_no_other_placement():
    report = extract(with_table2(ABOVE))
    assert report.cells["active.licensing.decisions"].value == 10690
    assert str(report.cells["active.fees.amount"].value) == "9116.36"
    assert "realigned" not in flags(report, "licensing") | flags(report, "fees")
    assert report.verdict.value == "verified", report.verdict_reason


def test_a_number_the_block_does_not_print_alone_leaves_the_placement_by_order():
    # no title between 行政许可 and the next part: 行政处罚's and 行政强制's numbers are in its block
    no_title = extract(with_table2(ABOVE.replace("第二十条第（六）项\n", "")))
    assert "realigned" in flags(no_title, "licensing") and no_title.verdict.value != "verified"
    # the last part's block ends at table 三's title only: no title, no block
    untitled = extract(with_table2(ABOVE.replace("第二十条第（八）项\n", "")))
    assert "realigned" in flags(untitled, "fees")
    no_t3_title = extract(with_table2(ABOVE).replace("三、收到和处理政府信息公开申请情况\n", ""))
    assert "realigned" in flags(no_t3_title, "fees") and "realigned" not in flags(no_t3_title, "licensing")


def test_a_row_left_once_the_others_are_read_on_their_label_lines_has_no_other_placement():
    # markitdown: 行政强制's 0 printed above its label, 行政处罚's number on its own label's line
    table2 = ABOVE.replace("行政处罚 2113\n行政强制 0\n", "行政处罚 2113\n0\n行政强制\n")
    report = extract(with_table2(table2))
    assert report.cells["active.coercion.decisions"].value == 0
    assert "realigned" not in flags(report, "coercion") | flags(report, "penalty")
    assert report.verdict.value == "verified", report.verdict_reason
    # a bare line of three numbers above 规章, 行政规范性文件's on its label's line
    bare = ABOVE.replace("规章 0 0 0\n", "| | 0 | 0 | 0 |\n规章\n")
    assert "realigned" not in flags(extract(with_table2(bare), "page.md"), "regulations")


def test_a_part_whose_rows_are_both_placed_by_order_stays_realigned():
    # pdfminer: both labels, then both numbers: 2113 may be either row's
    table2 = ABOVE.replace("行政处罚 2113\n行政强制 0\n", "行政处罚\n行政强制\n2113\n0\n")
    report = extract(with_table2(table2))
    assert "realigned" in flags(report, "penalty") and "realigned" in flags(report, "coercion")
    assert "active.penalty.decisions" in report.unverified and report.verdict.value != "verified"


# both rows of part (一) printed bare below their labels: placed by the template's order
BARE_LINES = ABOVE.replace(
    "规章 0 0 0\n行政规范性文件 88 55 698\n", "规章\n行政规范性文件\n| | 0 | 0 | 0 |\n| | 88 | 55 | 698 |\n"
)


def test_prose_that_only_the_placement_read_allows_decides_the_part():
    prose = "本年度制发规范性文件88件，废止55件，现行有效698件。"
    report = extract(with_table2(BARE_LINES, prose), "page.md")
    assert report.cells["active.normative_docs.repealed"].value == 55
    for row in ("regulations", "normative_docs"):
        assert {"realigned", "prose_confirmed"} <= flags(report, row), row
    assert not [k for k in report.unverified if k.startswith("active.")]
    assert report.verdict.value == "verified", report.verdict_reason


def test_prose_another_placement_agrees_with_too_decides_nothing():
    # 88 and 698 as the real page states them: the numbers read column by column, the first two columns in the
    # other order, give 行政规范性文件 88 and 698 as well (and 55 to 规章): the prose cannot tell them apart
    report = extract(with_table2(BARE_LINES, PROSE_88), "page.md")
    assert "prose_confirmed" not in flags(report, "normative_docs")
    assert "active.normative_docs.repealed" in report.unverified
    # 本年未制发规章: 规章 issued none under the rows in either order (both rows print 0 first)
    zeros = BARE_LINES.replace("| | 88 | 55 | 698 |", "| | 0 | 55 | 698 |")
    none = extract(with_table2(zeros, "本年度未制发规章。"), "page.md")
    assert "prose_confirmed" not in flags(none, "regulations")


def test_prose_contradicting_the_placement_leaves_it_open():
    report = extract(with_table2(BARE_LINES, "本年度制发规范性文件90件，废止55件，现行有效698件。"), "page.md")
    assert "prose_confirmed" not in flags(report, "normative_docs")
    assert "active.normative_docs.issued" in report.unverified and report.verdict.value != "verified"


SPILLED = (
    "第二十条第（一）项\n规章 0 0 0\n行政规范性文件 88 55\n第二十条第（五）项\n698\n10690\n行政许可\n"
    "第二十条第（六）项\n行政处罚 2113\n行政强制 0\n第二十条第（八）项\n行政事业性收费 9116.36\n收到和处理政府信息公开申请情况"
)
NUMBERS = ["0", "0", "0", "88", "55", "698", "10690", "2113", "0", "9116.36"]


def settled(text: str, unread: str = "") -> bool:
    """Whether settle_parts stands behind 行政许可's number placed by order, the other rows read where printed."""
    cells, at = {}, 0
    for key, number in zip(T2_KEYS, NUMBERS, strict=True):
        at = text.index(number, at)
        cells[key] = {"value": None if key == unread else number, "span": (at, at + len(number)), "flags": []}
        at += len(number)
    cells["active.licensing.decisions"]["flags"] = ["realigned"]
    settle_parts(text, 0, text.index("收到和处理"), T2_2021, [], cells, ())
    return "realigned" not in cells["active.licensing.decisions"]["flags"]


def test_a_number_spilled_into_the_block_or_a_row_left_unread_leaves_the_placement_by_order():
    # pdfminer prints part (一)'s last number after part (五)'s title: the block's 698 is 现行有效's
    assert not settled(SPILLED)
    printed_in_place = SPILLED.replace("88 55\n第二十条第（五）项\n698\n", "88 55 698\n第二十条第（五）项\n")
    assert settled(printed_in_place)
    assert not settled(printed_in_place.replace("（五）项\n", "（五）项\n12\n"))  # a number no row of it reads
    assert not settled(printed_in_place, unread="active.penalty.decisions")  # a number of table 二 not accounted for


def test_a_fee_placed_from_outside_its_block_stands_where_the_prose_states_it():
    untitled = with_table2(ABOVE.replace("第二十条第（八）项\n", ""), "全年收取行政事业性收费9116.36万元。")
    report = extract(untitled)
    # (with no title after 行政强制, its block holds the fee's number too: 行政强制 stays placed by order)
    assert {"realigned", "prose_confirmed"} <= flags(report, "fees") and "realigned" in flags(report, "coercion")
    assert "active.fees.amount" not in report.unverified
    other = extract(untitled.replace("9116.36万元", "9000万元"))
    assert "prose_confirmed" not in flags(other, "fees") and "active.fees.amount" in other.unverified
