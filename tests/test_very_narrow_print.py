"""A report printed on very narrow paper (A6) and converted to text (PyMuPDF, pypdf, pypdfium2: docs/damage.md):
table 三's cells are so narrow that a two-digit number prints a digit a line (`6` / `4` for 64) and a label a
character a line, its characters before and after its row's numbers."""

import random
import re

from nianbao.check import table3_identities
from nianbao.parse.align import _consistent, printed_rows
from nianbao.parse.labels import find_labels
from nianbao.parse.readings import read_row
from nianbao.parse.tables import t3_printed_keys
from nianbao.parse.tokens import segment_items
from nianbao.schemas.keys import T3_COLUMNS, T3_ROWS, t3_key
from nianbao.schemas.template import T3_LABELS
from nianbao.solve import join_tokens, row_total_holds
from pages import T3_LABEL_TEXT, consistent_table3, page, t3_cells, t4_cells
from test_narrow_print import TABLE3
from test_parser import assert_reads, extract


def _number_lines(values: list[int], style: str) -> list[str]:
    """A row's numbers as the converter prints them: `cell`, a cell a line and an applicant cell's digits a line
    each (PyMuPDF; the wider 总计 column keeps its number whole); `first`, the first number's digits a line each and the rest on one line (pypdf); `head`, the first
    number's first digit on a line and the rest of the row on the next (pypdf's `6` / `3 0 0 2 0 4 69`); `digits`, every
    digit a line, the 总计 too (fullwidth digits on A6: `8` / `9` / `3` / `8` / `0` / …); `halves`,
    every number of two digits or more broken in two, a line each (`1028` / `18`)."""
    cells = [str(v) for v in values]
    if style == "cell":
        return [*(d for cell in cells[:-1] for d in cell), cells[-1]]
    if style == "halves":
        return [
            piece for cell in cells for piece in (cell[: (len(cell) + 1) // 2], cell[(len(cell) + 1) // 2 :]) if piece
        ]
    if style == "digits":
        return [d for cell in cells for d in cell]
    if style == "first":
        return [*cells[0], " ".join(cells[1:])]
    return [cells[0][0], " ".join([cells[0][1:], *cells[1:]]).strip()]


_PIECE = re.compile(r"\d+[.、．]|[（(][一二三四五六七][）)]|[一二三四]、|\S")  # an ordinal prints whole


def a6_text(table3: dict[str, list[int]], seed: int, styles=("cell", "first", "head")) -> str:
    """Table 三 printed on A6: each label a character a line (its first few before its row's numbers, the rest
    after them), the group titles' characters among them, each row's numbers in one of `styles`."""
    rng = random.Random(seed)
    lines: list[str] = []
    for row in T3_ROWS:
        title, _, leaf = T3_LABEL_TEXT[row].rpartition(" ")
        chars = _PIECE.findall(leaf)
        cut = rng.randint(2, max(2, len(chars) - 1))
        lines += [*_PIECE.findall(title), *chars[:cut]]
        lines += _number_lines(table3[row], rng.choice(styles))
        lines += chars[cut:]
    text = page(table3)
    start, end = text.index(T3_LABEL_TEXT["new_received"]), text.index("四、政府信息公开行政复议")
    return text[:start] + "\n".join(lines) + "\n" + text[end:]


def test_a_number_printed_a_digit_a_line_is_read_where_the_identities_choose_one_joining():
    for seed in range(4):
        for styles in (("cell",), ("first", "head"), ("cell", "first", "head")):
            report = extract(a6_text(TABLE3, seed, styles))
            values = report.values()
            assert {k: (v, values.get(k)) for k, v in t3_cells(TABLE3).items() if values.get(k) != v} == {}, styles
            assert report.verdict.value == "verified", (seed, styles, report.verdict_reason)


def test_a_line_that_is_a_row_by_itself_ends_a_run():
    # pypdf's `6` / `3 0 0 2 0 4 69`: the line of seven fails its row total, so it is a piece of the run; a line of
    # seven that keeps it is a row of its own and never takes in a lone number printed before it
    text = "三、收到和处理政府信息公开申请情况\n（七）总计\n6\n3 0 0 2 0 4 69\n1 0 0 0 0 0 1\n"
    anchors = find_labels(text, T3_LABELS, 0, len(text), stretch=True)
    rows = printed_rows(text, anchors, 0, len(text), 7, row_total_holds)
    assert rows is not None
    assert [[i.text for i in r.items] for r in rows] == [
        ["6", "3", "0", "0", "2", "0", "4", "69"],
        ["1", "0", "0", "0", "0", "0", "1"],
    ]


def test_joinings_several_keep_are_all_candidates_never_a_pick():
    # 2 / 2 / 0 0 0 0 3 25 reads as 22 0 0 0 0 3 25 and as 2 20 0 0 0 3 25: both keep the row total
    text = "（七）总计\n2\n2\n0\n0\n0\n0\n3\n25\n"
    anchors = find_labels(text, T3_LABELS, 0, len(text), stretch=True)
    run = printed_rows(text, anchors, 0, len(text), 7, row_total_holds)
    assert run is not None and len(run) == 1
    reading = read_row(run[0].items, 7, row_total_holds, trust_blanks=True)
    assert {tuple(r) for r in reading.candidates or reading.joined} == {
        (22, 0, 0, 0, 0, 3, 25),
        (2, 20, 0, 0, 0, 3, 25),
    }


def test_a_broken_row_no_joining_keeps_is_never_read():
    # the agency's own error in a row printed a digit a line: no joining keeps its total, so no joining is read
    table3 = {r: list(v) for r, v in TABLE3.items()}
    table3["unable.not_held"] = [22, 0, 0, 0, 0, 3, 26]
    report = extract(a6_text(table3, 1, ("cell",)))
    values = report.values()
    assert report.verdict.value != "verified"
    wrong = [k for k, v in t3_cells(table3).items() if values.get(k) not in (None, v)]
    assert all(k in report.unverified for k in wrong), wrong
    assert values.get(t3_key("unable.not_held", "natural_person")) in (None, 22)


def test_a_row_whose_every_number_wraps_is_read_where_the_identities_choose():
    # large counts on A6 paper: each cell's number broken in two (`1028` / `18`), a row of seven printed as thirteen
    # (no piece begins with 0: the tokenizer reads such a piece as two tokens)
    table3 = consistent_table3(
        {"granted": [7160, 13326, 14140, 408, 0, 3142], "unable.not_held": [10396, 17085, 0, 5617, 0, 398]},
        new_received=[17556, 30411, 14140, 6025, 0, 3540],
        carried_over=[0, 0, 0, 0, 0, 0],
    )
    report = extract(a6_text(table3, 0, ("halves",)))
    values = report.values()
    assert {k: (v, values.get(k)) for k, v in t3_cells(table3).items() if values.get(k) != v} == {}
    assert report.verdict.value == "verified", report.verdict_reason


def test_lines_no_joining_explains_stay_as_printed():
    # `6` over a line of seven that fails its row total, and no joining keeps it (63 0 0 2 0 4 would need 69): no
    # run, so the lone number leaves the table to the other readings
    text = "三、收到和处理政府信息公开申请情况\n（七）总计\n6\n3 0 0 2 0 4 68\n1 0 0 0 0 0 1\n"
    anchors = find_labels(text, T3_LABELS, 0, len(text), stretch=True)
    assert printed_rows(text, anchors, 0, len(text), 7, row_total_holds) is None


def test_an_alignment_with_a_row_of_one_token_too_many_is_consistent_where_a_joining_is():
    # `1` / `2 0 0 0 0 0 12`: eight tokens, read only by joining 1 and 2; the alignment is weighed by that joining
    text = "1\n2 0 0 0 0 0 12\n"
    items = segment_items(text.replace("\n", " "), 0, len(text))
    keys_of = lambda row: t3_printed_keys(row, T3_COLUMNS)  # noqa: E731
    assert _consistent({"carried_forward": items}, 7, row_total_holds, table3_identities, keys_of)


def _t4_a6(pieces: list[str], t4: list[int]) -> str:
    """The test page with table 四's row printed as A6 prints it through PyMuPDF or pypdf: a piece of a number a line."""
    text = page(TABLE3, t4=t4)
    return text.replace(" ".join(map(str, t4)) + "\n", "\n".join(pieces) + "\n")


# table 四 on A6 through PyMuPDF: `11` / `7` for 117, neighbouring cells' single lines side by side (`0 22`)
T4_A6 = [117, 104, 0, 0, 221, 267, 134, 0, 12, 413, 0, 0, 280, 0, 280]
T4_A6_LINES = "11/7/10/4/0/0 22/1/26/7/13/4/0 12 41/3/0/0 28/0/0 28/0".split("/")


def test_table4_printed_a_piece_of_a_number_a_line_is_read_where_the_totals_choose_one_joining():
    report = extract(_t4_a6(T4_A6_LINES, T4_A6))
    assert_reads(report, t4_cells(T4_A6))
    assert "split_from_run" in report.cells["review_litigation.review.upheld"].flags
    assert report.cells["review_litigation.review.upheld"].raw == "11 7"


def test_table4_with_fullwidth_digits_glued_across_cells_is_read_digit_by_digit():
    # fullwidth digits print no space between neighbouring cells: `７０００１` is 7 (the end of 17) | 0 | 0 | 0 | 1
    t4 = [297, 0, 26, 0, 323, 0, 0, 106, 0, 106, 17, 0, 0, 0, 17]
    lines = ["2", "9", "7", "02", "60", "3", "2", "3", "00", "1", "0", "6", "0", "1", "0", "6", "1", "70001", "7"]
    report = extract(_t4_a6([line.translate(_FULLWIDTH) for line in lines], t4))
    assert_reads(report, t4_cells(t4))


_FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def test_table4_digits_a_run_cuts_into_fifteen_numbers_that_break_a_total_are_cut_anew_where_the_totals_choose():
    # A6 with fullwidth digits (seed 25, page 32): the zeros of the first eight cells print as one run with the next
    # cell's first digit (`００００００００２`), which the tokenizer cuts into exactly 15 numbers (… 2 / 9 / 2 / 9 / 1 /
    # 60802 / 4) that break two group totals. That cut is a choice as any joining is: the one cut keeping all three
    # totals is read
    t4 = [0, 0, 0, 0, 0, 0, 0, 0, 29, 29, 16, 0, 8, 0, 24]
    lines = ["000000002", "9", "2", "9", "1", "60802", "4"]
    report = extract(_t4_a6([line.translate(_FULLWIDTH) for line in lines], t4))
    assert_reads(report, t4_cells(t4))
    assert "split_from_run" in report.cells["review_litigation.litigation_direct.total"].flags


def test_table4_a_cut_run_that_no_other_cut_balances_stays_as_printed():
    # the same run with the agency's own error in the last group (24 printed 25): no cut keeps every total, so the
    # numbers stay as the tokenizer cut them (0 0 0 2 9 | 2 9 1 60802 5), none of the groups they break stood behind
    t4 = [0, 0, 0, 0, 0, 0, 0, 0, 29, 29, 16, 0, 8, 0, 25]
    lines = ["000000002", "9", "2", "9", "1", "60802", "5"]
    report = extract(_t4_a6([line.translate(_FULLWIDTH) for line in lines], t4))
    values = report.values()
    assert [values[k] for k in t4_cells(t4)][5:] == [0, 0, 0, 2, 9, 2, 9, 1, 60802, 5]
    assert all(k in report.unverified for k in list(t4_cells(t4))[5:])
    assert report.verdict.value != "verified"


def test_table4_joinings_several_totals_keep_leave_their_cells_open_with_candidates():
    # `2` / `2` / `1`: 2 | 21 or 22 | 1, both keep the group's 44; the cells both readings share are read
    t4 = [2, 21, 20, 1, 44, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
    report = extract(_t4_a6(["2", "2", "1", "2", "0", "1", "4", "4", "0 0 0 0 0 0 0 0 0 0"], t4))
    upheld, corrected = (report.cells[f"review_litigation.review.{c}"] for c in ("upheld", "corrected"))
    assert upheld.value is None and upheld.candidates == [2, 22] and "ambiguous" in upheld.flags
    assert corrected.value is None and corrected.candidates == [1, 21]
    assert report.values()["review_litigation.review.total"] == 44
    assert report.verdict.value != "verified"


def test_table4_pieces_no_joining_balances_read_only_the_groups_that_hold():
    # the agency's own error (the review group's total off by one): no joining keeps every total, so no review cell
    # is read from them; the two groups that keep theirs, one way only, are
    t4 = [117, 104, 0, 0, 222, 267, 134, 0, 12, 413, 0, 0, 280, 0, 280]
    lines = [*T4_A6_LINES[:5], "0 22", "2", *T4_A6_LINES[7:]]
    report = extract(_t4_a6(lines, t4))
    assert [report.cells[k].value for k in t4_cells(t4)] == [None] * 5 + t4[5:]


def test_table4_a_digit_a_line_with_one_groups_own_error_reads_the_groups_that_hold():
    # A6 with fullwidth digits (seed 43, page 1): every digit a line and the review group's total the agency's own
    # error (13567 + 9348 + 0 + 699 is 23614, printed 23621): no joining keeps all three totals; the two groups that
    # keep theirs are read, the review's cells stay open
    t4 = [13567, 9348, 0, 699, 23621, 14021, 19624, 16664, 0, 50309, 0, 3895, 18649, 0, 22544]
    digits = [d for n in t4 for d in (str(n) if n else "/")]
    report = extract(_t4_a6(digits, t4))
    values = report.values()
    for key, value in t4_cells(t4).items():
        assert values[key] == (None if ".review." in key else value), key
    assert "split_from_run" in report.cells["review_litigation.litigation_direct.total"].flags
    assert report.verdict.value != "verified"


def test_table4_a_digit_a_line_whose_groups_hold_in_several_ways_reads_only_what_they_agree_on():
    # small numbers (seed 43, page 3): the groups that hold do so in several readings; only the cells every one of
    # them reads alike are read, and none wrongly
    t4 = [23, 101, 0, 0, 124, 0, 8, 44, 0, 52, 0, 0, 0, 30, 31]
    digits = [d for n in t4 for d in str(n)]
    report = extract(_t4_a6(digits, t4))
    values = report.values()
    assert all(values[k] in (None, v) for k, v in t4_cells(t4).items())


# large counts (a city's), on A6 with fullwidth digits: every digit of a row a line, far more pieces than cells
TABLE3_LARGE = consistent_table3(
    {
        "granted": [13274, 0, 9028, 0, 871, 5],
        "partially_granted": [15507, 0, 5232, 18997, 371, 0],
        "denied.state_secret": [17836, 123, 15080, 0, 0, 993],
        "unable.not_held": [270, 14784, 13567, 5, 659, 5049],
        "other.other": [781, 0, 7625, 860, 5872, 552],
    },
    new_received=[84938, 28173, 60044, 33590, 16632, 14912],
    carried_over=[19647, 0, 2124, 872, 329, 0],
)


def test_a_row_printed_a_digit_a_line_is_read_however_many_its_pieces():
    # `1` / `3` / `2` / `7` / `4` / `0` / … : 38 pieces for seven cells, more joins than tried one by one; the total
    # is the row's last pieces, the others add up to it, and the column identities choose across the rows
    report = extract(a6_text(TABLE3_LARGE, 0, ("digits",)))
    assert_reads(report, t3_cells(TABLE3_LARGE))
    assert report.verdict.value == "verified", report.verdict_reason


def test_joinings_of_a_row_of_many_pieces_are_every_reading_that_keeps_its_total():
    tokens = list("89380857641067071263528150096003585706")
    assert join_tokens(tokens, 7, row_total_holds) == [(89380, 85764, 106707, 126352, 81500, 96003, 585706)]
    tokens = list("2200003") + ["25"] + ["0"] * 8  # a row total no joining keeps: none
    assert join_tokens(tokens, 7, row_total_holds) == []


def test_a_row_whose_digits_wrap_and_touch_across_cells_is_split_anew_where_the_identities_choose():
    # A6 through PyMuPDF: a number's digits wrap inside its cell and neighbouring cells touch, so a space falls inside
    # numbers (`25 3` for 253) and none between cells (`5062` for 50 | 62…): no joining of the tokens holds the row,
    # its digits split anew do, once
    leaves = {"granted": [253, 561, 50, 620, 16105, 816], "unable.not_held": [4687, 0, 622, 1625, 84, 0]}
    table3 = consistent_table3(leaves, new_received=[20000, 20000, 20000, 20000, 20000, 20000])
    text = page(table3)
    for row, printed in (
        ("granted", "25 3 56 1 5062 0 16 10 5 81 6 18 40 5"),
        ("unable.not_held", "46 87 / 62 2 16 2584 / 70 18"),
    ):
        line = " ".join([T3_LABEL_TEXT[row], *map(str, table3[row])])
        assert line in text
        text = text.replace(line, f"{T3_LABEL_TEXT[row]} {printed}")
    report = extract(text)
    assert_reads(report, t3_cells(table3))
    assert "split_from_run" in report.cells[t3_key("granted", "legal_service")].flags
    assert report.verdict.value == "verified", report.verdict_reason


def test_digits_split_anew_that_several_splits_hold_stay_candidates_never_a_pick():
    text = "1 1 1 1 112 1 1 3 7"  # 1|11|11|1|2|11|37 printed so; 1|1|1|11|12|11|37 holds the total as well
    reading = read_row(segment_items(text, 0, len(text)), 7, row_total_holds, trust_blanks=True)
    assert (1, 11, 11, 1, 2, 11, 37) in reading.candidates and len(reading.candidates) > 1
    assert all(flags == ["split_from_run"] for flags in reading.flags)


def test_wrapped_digits_split_anew_whatever_the_count_of_printed_pieces():
    # the same print, its pieces one more than the cells (`10 0 0 2811 8 0 15 6` for 10|0|0|28|118|0|156), fewer
    # (`0 1916 0 0 6610 1` for 0|19|16|0|0|66|101) and exactly as many (`0 75 0 3 0 2210 0` for 0|75|0|3|0|22|100):
    # the split that holds the row and every column identity through it is read
    leaves = {
        "granted": [10, 0, 0, 28, 118, 0],
        "partially_granted": [0, 19, 16, 0, 0, 66],
        "denied.state_secret": [0, 75, 0, 3, 0, 22],
    }
    table3 = consistent_table3(leaves, new_received=[20000, 20000, 20000, 20000, 20000, 20000])
    text = page(table3)
    for row, printed in (
        ("granted", "10 0 0 2811 8 0 15 6"),
        ("partially_granted", "0 1916 0 0 6610 1"),
        ("denied.state_secret", "0 75 0 3 0 2210 0"),
    ):
        line = " ".join([T3_LABEL_TEXT[row], *map(str, table3[row])])
        text = text.replace(line, f"{T3_LABEL_TEXT[row]} {printed}")
    report = extract(text)
    assert_reads(report, t3_cells(table3))
    assert report.verdict.value == "verified", report.verdict_reason
    total = report.cells[t3_key("denied.state_secret", "total")]
    assert total.raw == "10 0" and "split_from_run" in total.flags


def test_a_wrong_total_printed_as_its_cells_is_never_split_anew():
    # the agency's own error: seven numbers whose total is off; no split of their digits holds every identity, so
    # they are read as printed and the row's total is filed as the source's
    leaves = {"denied.state_secret": [0, 75, 0, 3, 0, 22]}
    table3 = consistent_table3(leaves, new_received=[20000, 20000, 20000, 20000, 20000, 20000])
    text = page(table3)
    line = " ".join([T3_LABEL_TEXT["denied.state_secret"], *map(str, table3["denied.state_secret"])])
    text = text.replace(line, f"{T3_LABEL_TEXT['denied.state_secret']} 0 75 0 3 0 22 101")
    report = extract(text)
    assert report.values()[t3_key("denied.state_secret", "total")] == 101
    assert report.values()[t3_key("denied.state_secret", "other_org")] == 22


def test_a_row_printing_fewer_numbers_that_add_up_is_cells_left_blank_not_digits_to_split():
    text = "650 291 941"  # 650 + 291 = 941, blanks between: never its digits as 6|5|0|2|9|19|41, which holds too
    reading = read_row(segment_items(text, 0, len(text)), 7, row_total_holds, trust_blanks=False)
    assert (6, 5, 0, 2, 9, 19, 41) not in reading.candidates
