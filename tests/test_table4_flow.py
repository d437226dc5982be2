"""Table 四 whose header pdftotext broke into pieces between its numbers (docs/damage.md): the print order may be
the converter's flow order, so a failing group total is blamed on the reading, not on the agency, where some
reordering of the printed numbers would hold."""

from pages import T4_DEFAULT, consistent_table3, page, t4_cells
from test_parser import extract

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


def test_a_flow_ordered_table_four_that_no_reordering_balances_is_the_agencys_error():
    # 10 and 1 under 复议 with a total of 0, 5 under 复议后起诉 with a total of 0: no order of these numbers makes
    # the totals hold, so the agency's own arithmetic is wrong whatever the converter did to the order
    printed = [10, 1, 0, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0]
    report = extract(flowed(printed))
    failing = failing_t4(report)
    assert failing and all(c.cause == "source" for c in failing)
    assert report.verdict == "source_error"


def test_a_table_four_printed_in_grid_order_keeps_the_agencys_error():
    # the same numbers as the first case, printed on one line after an unbroken header: the order is the grid's
    printed = [1, 0, 2, 0, 3, 12, 0, 0, 0, 0, 0, 0, 0, 12, 0]
    report = extract(page(TABLE3, t4=printed))
    assert failing_t4(report) and all(c.cause == "source" for c in failing_t4(report))
