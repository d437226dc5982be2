"""Table 四 whose header pdftotext broke into pieces between its numbers, or whose numbers a converter printed a
box each (docs/damage.md): the print order may be the converter's flow order, so a failing group total is blamed
on the reading, not on the agency, where some reordering of the printed numbers would hold or where the numbers
are a box each."""

import random

import pytest
from nianbao.eval.damage import generate
from nianbao.ingest import ingest_bytes
from nianbao.parse.tables import _open_groups_in_doubt
from nianbao.pipeline import extract_document
from nianbao.schemas.keys import t4_key
from pages import T4_DEFAULT, consistent_table3, page, t4_cells
from test_parser import assert_reads, extract

TABLE3 = consistent_table3({"granted": [4, 1, 0, 0, 0, 0]}, new_received=[5, 1, 0, 0, 0, 0])
# the grid's 15 cells: 复议 1/0/2/0/3, 直接起诉 12/0/0/0/12, 复议后起诉 0×5
GRID = [1, 0, 2, 0, 3, 12, 0, 0, 0, 12, 0, 0, 0, 0, 0]


def flowed(numbers: list[int]) -> str:
    """Table 四 as pdftotext prints a narrow header: its characters on lines of their own between the numbers."""
    first, rest = numbers[:5], numbers[5:]
    pieces = "\n\n".join("结果维持纠正其他尚未审结总计")
    return (
        page(TABLE3)
        .replace(" ".join(map(str, T4_DEFAULT)), "")
        .replace(
            "结果维持 结果纠正 其他结果 尚未审结 总计\n",
            "\n\n".join(map(str, first)) + "\n\n" + pieces + "\n\n" + "\n\n".join(map(str, rest)) + "\n",
        )
    )


def failing_t4(report) -> list:
    return [c for c in report.checks if c.id.startswith("T4.sum") and c.status == "fail"]


def test_a_flow_ordered_table_four_that_a_reordering_would_balance_is_not_the_agencys_error():
    # the 12 of 直接起诉's total printed last, as pdftotext's flow put it: read in print order, two group
    # totals fail, and a reordering of the same numbers holds, so the failure may be the converter's order
    printed = [1, 0, 2, 0, 3, 12, 0, 0, 0, 0, 0, 0, 0, 12, 0]
    report = extract(flowed(printed))
    failing = failing_t4(report)
    assert failing and all(c.cause == "extraction" for c in failing)
    assert set(t4_cells(GRID)) - {k for k in t4_cells(GRID) if k.startswith("review_litigation.review.")} <= set(
        report.unverified
    )
    assert report.verdict != "source_error"


def test_a_flow_ordered_table_four_that_no_reordering_balances_is_not_filed_as_the_agencys_error():
    # 10 and 1 under 复议 with a total of 0, 5 under 复议后起诉 with a total of 0: no order of these numbers makes
    # the totals hold, but printed a box each which number is which cell is the converter's order: no value of
    # the table is stood behind, and the failing totals are no evidence of the agency's arithmetic
    printed = [10, 1, 0, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0]
    report = extract(flowed(printed))
    failing = failing_t4(report)
    assert failing and all(c.cause == "extraction" for c in failing)
    assert set(t4_cells(GRID)) <= set(report.unverified)
    assert report.verdict != "source_error"


def test_a_flow_ordered_table_four_that_fails_one_total_in_every_order_is_the_agencys_error():
    # 5 under 复议's first result with a total of 0, every other number 0: whichever cell the 5 is, one group fails,
    # as in the order read, so the failure is the agency's; which cell is which still no identity says
    report = extract(flowed([5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]))
    assert [c.cause for c in failing_t4(report)] == ["source"]
    assert report.verdict == "source_error" and set(t4_cells(GRID)) <= set(report.unverified)


def boxes_in_grid_header(numbers: list[int], sep: str = "\n\n") -> str:
    """Table 四 as pdfminer with a wide line margin (`-L 1.2`) prints it: the header whole and in the grid's order,
    then the numbers a box each in the converter's order."""
    return page(TABLE3).replace(" ".join(map(str, T4_DEFAULT)), sep.join(map(str, numbers)))


def test_a_table_four_printed_a_box_each_with_failing_totals_is_not_stood_behind():
    # the grid 10 1 0 0 0 / 0×5 / 5 0 0 0 0 (the agency's own totals wrong) printed in another order under a header
    # in the grid's order: read as printed, its values are not where the grid has them and the failing totals
    # are those of a misplaced reading, so all 15 values go to `unverified` and none is the agency's error. So too
    # where pdftotext prints two touching boxes on one line (`10 0`): no line holds a row's five numbers
    printed = [0, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 10, 0, 0, 1]
    two_a_line = boxes_in_grid_header(printed).replace("10\n\n0", "10 0")
    assert "10 0\n" in two_a_line
    for text in (boxes_in_grid_header(printed, "\n\n"), boxes_in_grid_header(printed, "\n"), two_a_line):
        report = extract(text)
        failing = failing_t4(report)
        assert failing and all(c.cause == "extraction" for c in failing)
        assert set(t4_cells(GRID)) <= set(report.unverified)
        assert report.verdict != "source_error"


def test_a_table_four_printed_a_row_a_line_with_failing_totals_is_the_agencys_error():
    # the same grid printed a row a line (the normal layout): the order is the grid's, the failure the agency's
    printed = [10, 1, 0, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0]
    report = extract(page(TABLE3, t4=printed))
    assert failing_t4(report) and all(c.cause == "source" for c in failing_t4(report))
    assert report.verdict == "source_error"
    assert not set(t4_cells(GRID)) & set(report.unverified)


def test_a_table_four_printed_in_grid_order_keeps_the_agencys_error():
    # the same numbers as the first case, printed on one line after an unbroken header: the order is the grid's
    printed = [1, 0, 2, 0, 3, 12, 0, 0, 0, 0, 0, 0, 0, 12, 0]
    report = extract(page(TABLE3, t4=printed))
    assert failing_t4(report) and all(c.cause == "source" for c in failing_t4(report))


def out_of_order(numbers: list[int], sep: str = "\n\n") -> str:
    """Table 四 as pdfminer with boxes_flow 1 prints it: the result headers whole but not in the grid's order (its
    box order), then the numbers, a box each, in that box order too."""
    header = (
        "结果纠正\n\n结果维持\n\n尚未审结\n\n其他结果\n\n总计\n\n总计\n\n结果纠正\n\n其他结果\n\n尚未审结\n\n结果维持"
    )
    return page(TABLE3).replace(
        "结果维持 结果纠正 其他结果 尚未审结 总计\n" + " ".join(map(str, T4_DEFAULT)),
        header + "\n\n" + sep.join(map(str, numbers)),
    )


def test_a_table_four_in_box_order_that_balances_one_way_of_several_is_left_open():
    # printed 0 2 1 0 3 balances as 维持/纠正/其他/未结/总计, and so does the grid's 1 0 2 0 3: the totals
    # cannot say which, so no cell of the table is stood behind
    report = extract(out_of_order([0, 2, 1, 0, 3, 12, 0, 0, 0, 12, 0, 0, 0, 0, 0]))
    assert all(report.values()[k] is None for k in t4_cells(GRID))
    assert report.verdict != "verified"


def test_a_table_four_in_box_order_with_one_balancing_arrangement_is_read_so():
    # a 4 printed before 复议's last 1: the one order of these numbers in which every total holds is 1 1 1 1 4 in
    # each group, so that is read, flagged `realigned`
    report = extract(out_of_order([1, 1, 1, 4, 1, 1, 1, 1, 1, 4, 1, 1, 1, 1, 4]))
    assert_reads(report, t4_cells([1, 1, 1, 1, 4] * 3))
    assert "realigned" in report.cells[t4_key("review", "total")].flags


def test_a_table_four_in_box_order_that_no_arrangement_balances_is_left_open():
    # no order of 10, 1 and 5 among zeros balances, and which printed number is which cell is not known
    report = extract(out_of_order([10, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0]))
    assert all(report.values()[k] is None for k in t4_cells(GRID))


def test_a_table_four_whose_numbers_are_one_block_keeps_their_order():
    # the header scrambled (PyMuPDF's sorted blocks) but the numbers one block, a line each: the row's order
    printed = [1, 0, 2, 0, 3, 12, 0, 0, 0, 12, 0, 5, 0, 0, 0]  # the agency's own error in 复议后起诉
    report = extract(out_of_order(printed, sep="\n"))
    assert_reads(report, t4_cells(printed))


def test_a_table_four_whose_result_headers_come_out_of_order_among_its_numbers_is_in_box_order():
    # pdfminer with boxes_flow 1 can print the result headers among the numbers, 结果纠正 / 0 / 结果维持: an order
    # no grid row has, so the numbers' order is the boxes' too. Printed 0 2 1 0 3 balances, and so does the grid's
    # 1 0 2 0 3: a group that balances as printed proves nothing, so no cell is stood behind
    printed = [0, 2, 1, 0, 3, 12, 0, 0, 0, 12, 0, 0, 0, 0, 0]
    headers = ["结果纠正", "结果维持", "其他结果", "尚未审结", "总计"]
    boxes = [box for pair in zip(headers, map(str, printed), strict=False) for box in pair] + list(
        map(str, printed[5:])
    )
    report = extract(
        page(TABLE3).replace(
            "结果维持 结果纠正 其他结果 尚未审结 总计\n" + " ".join(map(str, T4_DEFAULT)), "\n\n".join(boxes)
        )
    )
    assert all(report.values()[k] is None for k in t4_cells(GRID))


@pytest.mark.parametrize(("seed", "profile"), [(0, "typical"), (1, "zero_heavy"), (5, "typical")])
def test_a_table_four_printed_a_cell_a_line_in_grid_order_is_read_so_though_table_three_is_in_blocks(seed, profile):
    # a scraped table a cell a line, table 三's row labels lost (read in blocks): table 四's header whole in the
    # grid's order and its numbers on consecutive lines are the grid's order, not pdftotext's flows, so the
    # other flow orders its mostly-zero groups balance in open nothing
    generated = generate(random.Random(seed), "lines", ("orphan_labels",), profile)
    report = extract_document(ingest_bytes(generated.data, generated.filename), generated.filename)
    t4 = {k: v for k, v in generated.cells.items() if k.startswith("review_litigation.")}
    assert {k: report.values().get(k) for k in t4} == t4
    assert not [k for k in t4 if "ambiguous" in report.cells[k].flags]
    assert report.verdict.value == "verified", report.verdict_reason


def test_a_group_the_flow_orders_disagree_on_has_every_result_of_another_value_opened():
    # pdfminer's boxes under a merged header, read as pdftotext's flows: the flows put the 直接起诉 group's 1 at
    # 结果纠正, 其他 or 尚未审结, while the page printed it at 结果维持, an order no known flow takes. Its total holds
    # under any order of the four results, so each of them stays open, keeping the value read
    read = (0, 1, 1, 0, 2, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0)
    flows = [read, (*read[:5], 0, 0, 1, 0, 1, *read[10:])]
    keys = [
        t4_key(g, c)
        for g in ("review", "litigation_direct", "litigation_after_review")
        for c in ("upheld", "corrected", "other", "pending", "total")
    ]
    cells = {k: {"value": v, "flags": [], "candidates": []} for k, v in zip(keys, read, strict=True)}
    _open_groups_in_doubt(cells, flows)
    direct = [t4_key("litigation_direct", c) for c in ("upheld", "corrected", "other", "pending")]
    assert all("ambiguous" in cells[k]["flags"] and cells[k]["candidates"] == [0, 1] for k in direct)
    assert [cells[k]["value"] for k in direct] == [0, 1, 0, 0]  # as read
    assert not any(cells[k]["flags"] for k in keys if not k.startswith("review_litigation.litigation_direct."))
    assert not cells[t4_key("litigation_direct", "total")]["flags"]  # the total holds in every order
