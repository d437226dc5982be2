"""Table 三 as pdfminer prints a browser print on narrow paper (A5, A6; docs/damage.md, pdfminer): each label
wraps over several lines, and a row's cells come as a run of number lines among its label's pieces (`1 0 0 0` /
`0 0 1`); where a few rows' cells came apart (columns mixed, a number broken over two lines) they stay open."""

from nianbao.check import table3_identities
from nianbao.parse.align import align_runs
from nianbao.schemas.keys import T3_COLUMNS, T3_ROWS, t3_key
from nianbao.solve import row_total_holds
from pages import T3_LABEL_TEXT, page
from test_narrow_print import TABLE3
from test_parser import extract

MIXED = T3_ROWS[:3]  # their cells printed column by column, 64 and 27 broken over two lines
ZEROS = ["not_processed.petition_complaint", "not_processed.duplicate"]  # all zeros, printed column by column


def _pieces(row: str, width: int = 2) -> list[str]:
    """The label's lines in a narrow cell, pdfminer's spaces between the characters (`他 法`)."""
    leaf = T3_LABEL_TEXT[row].rpartition(" ")[2]
    return [" ".join(leaf[i : i + width]).replace(" .", ".") for i in range(0, len(leaf), width)]


def narrow_pdfminer(table3: dict[str, list[int]], drop: str | None = None, printed: dict | None = None) -> str:
    """The page, a row's lines `printed` as given where it says."""
    printed = printed or {}
    lines: list[str] = ["自然人", "商业企业"]
    mixed = [table3[r] for r in MIXED]
    lines += ["6", "4", "0", "2", "7"] + [" ".join(map(str, v[1:4])) + "\n" + " ".join(map(str, v[4:])) for v in mixed]
    zeros = [v for r in ZEROS for v in table3[r]]
    for row in T3_ROWS:  # a row's numbers in the middle of its label's lines
        pieces = _pieces(row)
        middle = max(1, len(pieces) // 2)
        lines += pieces[:middle]
        if row in ZEROS:  # 9 of the 14 zeros after the first label's piece, 5 after the second's
            part = zeros[:9] if row == ZEROS[0] else zeros[9:]
            lines += [" ".join(map(str, part[k : k + 3])) for k in range(0, len(part), 3)]
        elif row in printed:
            lines += printed[row]
        elif row not in MIXED and row != drop:
            values = table3[row]
            lines += [" ".join(map(str, values[:4])), " ".join(map(str, values[4:]))]
        lines += pieces[middle:]
    text = page(TABLE3)
    start, end = text.index(T3_LABEL_TEXT["new_received"]), text.index("四、政府信息公开行政复议")
    return text[:start] + "\n".join(lines) + "\n" + text[end:]


def test_rows_printed_as_runs_among_their_labels_pieces_are_read_by_order():
    report = extract(narrow_pdfminer(TABLE3), "page.txt")
    for row in T3_ROWS:
        values = [report.cells[t3_key(row, c)].value for c in T3_COLUMNS]
        if row in MIXED:
            assert values == [None] * 7, row  # no reading of the mixed stretch: open, never a guess
            assert "ambiguous" in report.cells[t3_key(row, "total")].flags
        else:
            assert values == TABLE3[row], row
    assert "realigned" in report.cells[t3_key("denied.enforcement_files", "total")].flags
    assert report.verdict.value != "verified"


def test_a_stretch_of_zeros_only_is_its_rows_zeros():
    report = extract(narrow_pdfminer(TABLE3), "page.txt")
    for row in ZEROS:
        assert [report.cells[t3_key(row, c)].value for c in T3_COLUMNS] == [0] * 7, row


def test_runs_that_do_not_fill_the_template_rows_are_not_placed():
    text = narrow_pdfminer(TABLE3, drop="denied.internal_affairs")  # one row's numbers missing: counting is off
    lo, hi = text.index("三、收到和处理"), text.index("四、政府信息公开行政复议")
    checks = (row_total_holds, table3_identities, lambda r: [t3_key(r, c) for c in T3_COLUMNS])
    assert align_runs(text, lo, hi, list(T3_ROWS), 7, *checks) is None
    full = narrow_pdfminer(TABLE3)
    assert align_runs(full, lo, full.index("四、政府信息公开行政复议"), list(T3_ROWS), 7, *checks) is not None


def test_a_number_broken_over_two_lines_is_one_where_one_joining_keeps_the_row_total():
    text = narrow_pdfminer(TABLE3, printed={"unable.not_held": ["2", "2 0 0 0", "0 3 25"]})
    report = extract(text, "page.txt")
    assert [report.cells[t3_key("unable.not_held", c)].value for c in T3_COLUMNS] == TABLE3["unable.not_held"]
    assert "realigned" in report.cells[t3_key("unable.not_held", "natural_person")].flags


def test_a_run_two_joinings_fit_stays_open():
    table3 = dict(TABLE3, **{"other.other": [11, 1, 0, 0, 0, 0, 12]})  # 1 / 1 / 1 0 0 0 0 12: 11 1 or 1 11
    report = extract(narrow_pdfminer(table3, printed={"other.other": ["1", "1", "1 0 0 0 0 12"]}), "page.txt")
    assert report.cells[t3_key("other.other", "natural_person")].value is None
    assert report.cells[t3_key("carried_forward", "total")].value == TABLE3["carried_forward"][-1]
