"""What the model is shown of each row, and grounding: a value counts only where it is printed at its place."""

from __future__ import annotations

from nianbao.ingest import ingest_bytes
from nianbao.model.prompting import units
from nianbao.model.sources import ground, ground_region, source_rows
from nianbao.pipeline import parse_document
from pages import T3_LABEL_TEXT, T4_DEFAULT, consistent_table3, page

TABLE3 = consistent_table3(
    {"granted": [27, 0, 0, 2, 0, 1], "unable.not_held": [3, 0, 0, 0, 0, 0]}, new_received=[40, 0, 0, 2, 0, 1]
)


def rows_of(text: str) -> dict:
    doc = ingest_bytes(text.encode("utf-8"), "t.txt")
    _, parsed = parse_document(doc, "t.txt")
    return {r.row: r for r in source_rows(parsed, doc.text)}, doc


def test_a_clean_row_grounds_cell_by_cell_at_its_tokens():
    rows, doc = rows_of(page(TABLE3))
    granted = rows["granted"]
    assert granted.shown() == "予以公开: 27 0 0 2 0 1 30"
    good = ground(granted, (27, 0, 0, 2, 0, 1, 30))
    assert all(g.grounded for g in good)
    assert doc.text[slice(*good[0].span)] == "27" and doc.text[slice(*good[6].span)] == "30"


def test_a_number_printed_in_the_wrong_column_is_not_grounded():
    rows, _ = rows_of(page(TABLE3))
    swapped = ground(rows["granted"], (2, 0, 0, 27, 0, 1, 30))  # the row still sums to 30
    assert [g.grounded for g in swapped] == [False, True, True, False, True, True, True]
    assert not any(g.grounded for g in ground(rows["granted"], (99, 0, 0, 2, 0, 1, 102))[:1])


def test_a_glued_run_is_shown_as_the_splits_its_identity_allows_and_grounds_on_them():
    rows, _ = rows_of(page(TABLE3, cell_sep=""))
    granted = rows["granted"]  # "2700201" + "30" glued: "270020130"
    assert granted.shown() == "予以公开: one of: 2 7 0 0 20 1 30 / 27 0 0 2 0 1 30"
    assert rows["new_received"].shown() == "本年新收政府信息公开申请数量: 40 0 0 2 0 1 43"
    assert all(g.grounded for g in ground(granted, (27, 0, 0, 2, 0, 1, 30)))
    assert all(g.grounded for g in ground(granted, (2, 7, 0, 0, 20, 1, 30)))
    assert not all(g.grounded for g in ground(granted, (270020130, 0, 0, 0, 0, 0, 0)))


def test_rows_whose_labels_are_lost_get_their_values_dealt_in_page_order():
    garbled = {**T3_LABEL_TEXT, "granted": "（一）准予公示"}
    rows, _ = rows_of(page(TABLE3, t3_labels=garbled))
    assert rows["carried_over"].shown() == "上年结转政府信息公开申请数量: 0 0 0 0 0 0 0"
    assert rows["granted"].shown() == "予以公开: 27 0 0 2 0 1 30"
    assert all(g.grounded for g in ground(rows["granted"], (27, 0, 0, 2, 0, 1, 30)))


def test_table_four_is_shown_as_its_three_groups_and_table_three_a_few_rows_at_a_time():
    rows, _ = rows_of(page(TABLE3))
    assert rows["review_litigation"].shown().splitlines() == [
        "R1 行政复议: 1 0 1 0 2",
        "R2 未经复议直接起诉: 0 0 0 1 1",
        "R3 复议后起诉: 0 0 0 0 0",
    ]
    sizes = {u.table: [] for u in units(list(rows.values()))}
    for u in units(list(rows.values())):
        sizes[u.table].append(len(u.rows))
    assert sizes == {"二": [6], "三": [3, 4, 3, 4, 3, 4, 4], "四": [1]}


REWORDED = {
    **T3_LABEL_TEXT,
    "granted": "三、本年度办理结果 （一）准予公示",
    "partially_granted": "（二）部分同意（区分处理的）",
}
# with 属于国家秘密's row after them printed bare: a row a line with every label printed is read by the
# template's row order whatever the labels say, so the reworded rows would not be open
GARBLED = {**REWORDED, "denied.state_secret": ""}
REGION_TABLE = consistent_table3(
    {"granted": [5, 1, 0, 0, 0, 0], "partially_granted": [2, 0, 0, 3, 0, 0]},
    new_received=[7, 1, 0, 3, 0, 0],
    carried_over=[0, 0, 1, 0, 0, 0],
)


def test_rows_the_parser_cannot_read_are_read_from_their_regions_lines():
    rows, _ = rows_of(page(REGION_TABLE, t3_labels=GARBLED))
    region = rows["granted"].region
    assert region is not None and region.rows == ("carried_over", "granted", "partially_granted", "denied.state_secret")
    assert rows["carried_over"].region is region and rows["new_received"].region is None
    assert [label for label, _ in region.lines] == [
        "上年结转政府信息公开申请数量",
        "三、本年度办理结果 (一)准予公示",
        "(二)部分同意(区分处理的)",
        "",
    ]
    assert region.choosable(7) and not region.choosable(5)
    (unit,) = [u for u in units(list(rows.values())) if u.region is region]
    assert unit.choice and len(unit.rows) == 4
    task = unit.task()
    assert "L2 三、本年度办理结果 (一)准予公示: 5 1 0 0 0 0 6" in task and "B （一）予以公开" in task
    named = unit.row_values(unit.response_model(L1="A", L2="B", L3="C", L4="D"))
    assert named == [(0, 0, 1, 0, 0, 0, 1), (5, 1, 0, 0, 0, 0, 6), (2, 0, 0, 3, 0, 0, 5), (0,) * 7]
    twice = unit.row_values(
        unit.response_model(L1="A", L2="B", L3="B", L4="D")
    )  # two lines for one row: that row gets none
    assert twice[1] == (None,) * 7 and twice[2] == (None,) * 7


def test_a_regions_rows_ground_only_as_a_partition_of_its_printed_numbers_in_order():
    rows, doc = rows_of(page(REGION_TABLE, t3_labels=GARBLED))
    region = rows["granted"].region
    carried, granted, partial, secret = (0, 0, 1, 0, 0, 0, 1), (5, 1, 0, 0, 0, 0, 6), (2, 0, 0, 3, 0, 0, 5), (0,) * 7
    good = ground_region(region, [7, 7, 7, 7], [carried, granted, partial, secret])
    assert all(g.grounded for row in good for g in row)
    assert doc.text[slice(*good[1][0].span)] == "5" and doc.text[slice(*good[2][3].span)] == "3"
    for wrong in (
        [carried, partial, granted, secret],  # two rows swapped: every number is printed, not at its row
        [carried, None, partial, secret],  # a row skipped: which row a line is would be a guess
        [carried, granted, (None,) * 7, secret],  # a row left out
        [carried, granted, (2, 0, 0, 3, 0, 0, 6), secret],  # a number not printed
    ):
        assert not any(g.grounded for row in ground_region(region, [7, 7, 7, 7], wrong) for g in row)


def test_only_the_regions_holding_a_wanted_row_are_asked_and_each_whole():
    rows, _ = rows_of(page(REGION_TABLE, t3_labels=GARBLED))
    every = list(rows.values())
    (only,) = units(every, {"new_received"})  # a row the parser read: its own request, no region
    assert only.region is None and [r.row for r in only.rows] == ["new_received"]
    (unit,) = units(every, {"granted"})
    assert unit.region is not None
    assert [r.row for r in unit.rows] == ["carried_over", "granted", "partially_granted", "denied.state_secret"]


def test_a_label_repeated_by_merged_cells_is_shown_once():
    from nianbao.model.sources import _distinct

    repeated = ["上年结转政府信息公开申请数量", "二、上年结转政府信息公开申请数量", "二、上年结转政府信息公开申请数量"]
    assert _distinct(repeated) == ["二、上年结转政府信息公开申请数量"]
    assert _distinct(["三、本年度办理结果", "（一）准予公示"]) == ["三、本年度办理结果", "（一）准予公示"]


def test_the_rows_are_read_only_when_the_model_path_asks():
    """The parser path never needs the model's rows; they are read on first use."""
    doc = ingest_bytes(page(TABLE3).encode("utf-8"), "t.txt")
    report, parsed = parse_document(doc, "t.txt")
    assert report.verdict.value == "verified" and "rows" not in vars(parsed)
    assert {"regulations", "granted", "unable.not_held"} <= {r.row for r in source_rows(parsed, doc.text)}
    assert "rows" in vars(parsed)


def test_a_row_printed_bare_after_a_misread_one_is_shown_as_its_own_line_to_name():
    bare = {**REWORDED, "partially_granted": ""}  # its numbers follow the line before, with no label
    rows, _ = rows_of(page(REGION_TABLE, t3_labels=bare))
    region = rows["granted"].region
    assert [label for label, _ in region.lines][-2:] == ["三、本年度办理结果 (一)准予公示", ""]
    (unit,) = [u for u in units(list(rows.values())) if u.region is region]
    assert unit.choice and "L3 (no label): 2 0 0 3 0 0 5" in unit.task()
    named = unit.row_values(unit.response_model(L1="A", L2="B", L3="B"))  # the bare line fills the row after L2
    assert named[2] == (2, 0, 0, 3, 0, 0, 5)


def test_a_merged_cell_repeated_on_the_next_line_names_no_row_of_its_own():
    from nianbao.model.sources import _lines
    from nianbao.parse import Item

    def items(*texts):
        return [Item("value" if t.isdigit() else "text", t, 0, 0) for t in texts]

    lines = _lines(
        items("三、本年度办理结果", "（三）不予公开", "1.属干国家秘蜜", "1", "1", "三、本年度办理结果", "2", "2")
    )
    assert [label for label, _ in lines] == ["三、本年度办理结果 （三）不予公开 1.属干国家秘蜜", ""]


def test_a_region_that_prints_more_numbers_than_its_rows_hold_is_not_asked():
    noisy = {**GARBLED, "partially_granted": "（二）部分同意（区分处理的）2023"}  # a number in a label
    rows, _ = rows_of(page(REGION_TABLE, t3_labels=noisy))
    region = rows["granted"].region
    assert region is not None and not region.groundable([7, 7, 7, 7])
    assert not [u for u in units(list(rows.values())) if u.region is region]


def test_a_table_the_parser_did_not_locate_is_read_from_its_section():
    from nianbao.model.sources import section, template_rows

    text = page(REGION_TABLE)
    lo, hi = section(text, "四")
    assert text[lo:hi].split() == ["行政复议", "行政诉讼", "结果维持", "结果纠正", "其他结果", "尚未审结", "总计"] + [
        str(v) for v in T4_DEFAULT
    ]
    lo, hi = section(text, "二")
    assert text[lo:hi].startswith("\n第二十条") and text[hi:].startswith("\n三、")
    assert [len(r.keys) for r in template_rows("二")] == [3, 3, 1, 1, 1, 1]
    assert [len(r.keys) for r in template_rows("四")] == [15]


def test_table_four_from_its_region_is_asked_as_three_groups_of_five_and_table_two_with_its_fee_as_printed():
    from nianbao.model.prompting import Unit
    from nianbao.model.sources import Region, template_rows

    region = Region("四", ("review_litigation",), (0, 0), "", (), ())
    unit = Unit("四", template_rows("四"), region)
    assert unit.widths == (5, 5, 5) and "R2 未经复议直接起诉: 5 numbers" in unit.task()
    answer = unit.response_model(R1=[1, 0, 0, 0, 1], R2=[0, 0, 0, 0, 0], R3=[2, 0, 0, 0, 2])
    assert unit.row_values(answer) == [(1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 2, 0, 0, 0, 2)]
    table2 = Unit("二", template_rows("二"), Region("二", (), (0, 0), "", (), ()))
    fee = table2.response_model(R1=[1, 0, 3], R2=[0, 0, 0], R3=[0], R4=[0], R5=[0], R6=["7730.28"])
    assert str(table2.row_values(fee)[-1][0]) == "7730.28"


def test_a_regions_parts_are_asked_all_or_none_within_the_budget():
    from nianbao.model.loop import within_budget
    from nianbao.model.prompting import Unit
    from nianbao.model.sources import Region

    rows, _ = rows_of(page(REGION_TABLE))
    three = [r for r in rows.values() if r.table == "三"]
    region = Region("三", (), (0, 0), "", (), ())
    parts = [Unit("三", three[k : k + 1], region) for k in range(3)]
    alone = Unit("三", three[3:4])
    assert within_budget([*parts, alone], 2) == [alone]  # three parts do not fit in two answers
    assert within_budget([*parts, alone], 4) == [*parts, alone]


def test_bare_lines_fill_the_rows_between_the_lines_the_model_named():
    from nianbao.model.prompting import fill_bare

    labels = ["部分公开", "1.属干国家秘蜜", "", "3.危及"]
    assert fill_bare(labels, [1, 2, 2, 4], 4) == [1, 2, 3, 4]  # the model's name for a bare line is no evidence
    assert fill_bare(labels, [1, 2, None, 3], 4) == [1, 2, None, 3]  # no room between 2 and 3
    assert fill_bare(["", "", "x"], [None, None, 3], 3) == [1, 2, 3]  # before the first named line
    assert fill_bare(["x", ""], [None, 2], 2) == [None, None]  # a neighbour the model did not name


def test_a_row_the_page_does_not_print_gets_no_numbers_of_the_row_before_it():
    # a fragment of table 二: 行政许可 is not printed, and the row before it ends at the next block's header. The
    # numbers between 行政规范性文件 and 行政处罚 are 行政规范性文件's own: grounding 行政许可 on them would let a
    # model's 3120 (its glued run) stand as a 行政许可 count the page never prints
    t2 = {"规章": [0, 0, 0], "行政规范性文件": ["3120"], "第二十条第（六）项": [], "行政处罚": [7], "行政强制": [0]}
    rows, _ = rows_of(page(TABLE3, t2={**t2, "行政事业性收费": ["12.5"]}))
    assert not [i for i in rows["licensing"].items if i.kind == "value"]
    assert not ground(rows["licensing"], (3120,))[0].grounded
    assert [i.text for i in rows["normative_docs"].items if i.kind == "value"] == ["3120"]


# the labels of two rows reworded and the row after them bare, as above, and one of them broken around a number
# of its own ("2023" on a line between its pieces): the region of the rows the parser left open prints one number
# more than its rows hold, so it could ground no answer
YEAR_SPLIT = {**GARBLED, "partially_granted": "（二）部分同意（区分处理的，\n2023\n年）"}


def test_a_table_three_whose_open_rows_no_region_can_ground_is_asked_whole_by_naming_every_line():
    from nianbao.schemas.keys import T3_ROWS

    rows, _ = rows_of(page(REGION_TABLE, t3_labels=YEAR_SPLIT))
    whole = rows["granted"].region
    assert whole is not None and whole.rows == T3_ROWS
    assert all(rows[r].region is whole for r in T3_ROWS) and rows["review_litigation"].region is None
    assert len(whole.lines) == len(T3_ROWS) and "2023" not in [v.text for v in whole.tokens]
    (unit,) = [u for u in units(list(rows.values())) if u.table == "三"]  # one question for the table
    assert unit.choice and unit.region is whole
    in_order = unit.row_values(
        unit.response_model(**{f"L{i + 1}": c for i, c in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXY")})
    )
    assert in_order == [tuple(REGION_TABLE[r]) for r in T3_ROWS]
    assert all(g.grounded for row in ground_region(whole, [7] * 25, in_order) for g in row)
    swapped = [*in_order[:2], in_order[3], in_order[2], *in_order[4:]]  # 准予公示 and 部分同意 named the other way
    assert not any(g.grounded for row in ground_region(whole, [7] * 25, swapped) for g in row)


def test_a_table_three_printing_more_full_lines_than_rows_or_a_broken_row_is_not_asked_whole():
    extra = {**YEAR_SPLIT, "carried_forward": "四、结转下年度继续办理 0 0 0 0 0 0 0\n"}  # a line no row holds
    broken = {**YEAR_SPLIT, "carried_forward": "四、结转下年度继续办理（1 2\n项）"}  # a line of two numbers
    for labels in (extra, broken):
        rows, _ = rows_of(page(REGION_TABLE, t3_labels=labels))
        assert rows["granted"].region is None or len(rows["granted"].region.rows) < 25
