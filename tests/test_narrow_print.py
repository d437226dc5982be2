"""A report's HTML page printed by a browser on narrower paper (A5, or scaled up), then converted to markdown
(docs/damage.md, browser-printed PDFs): table 三's label column is narrow, so each label wraps over several lines
with its row's numbers centred among them, and the vertical group labels print a character a line among them."""

import random

import pytest
from nianbao.eval.damage import cjk_font_file, converter_missing, generate
from nianbao.parse.tables import _halves_joined, _number_lines
from nianbao.parse.tokens import segment_items
from nianbao.schemas.keys import T3_COLUMNS, T3_ROWS, t3_key
from nianbao.schemas.template import OTHER_TOTAL_ROW, t3_rows_2019
from pages import T3_LABEL_TEXT, consistent_table3, page, t3_cells
from test_parser import TABLE2_2019, extract

TABLE3 = consistent_table3(
    {
        "granted": [27, 0, 0, 2, 0, 1],
        "partially_granted": [5, 0, 0, 0, 0, 0],
        "denied.internal_affairs": [1, 0, 0, 0, 0, 0],
        "denied.enforcement_files": [6, 0, 0, 0, 0, 0],
        "unable.not_held": [22, 0, 0, 0, 0, 3],
        "other.other": [1, 0, 0, 0, 0, 0],
    },
    new_received=[64, 0, 0, 2, 0, 4],
    carried_over=[0, 0, 0, 0, 0, 0],
)


def _number_line(values: list[int], rng: random.Random, first: str = "", pad: int = 0) -> list[str]:
    """A row's numbers as markitdown prints them: a markdown row of its own, two cells often in one, after `pad`
    empty cells (the label columns' cells)."""
    cells, rest = ["    "] * pad, [str(v) for v in values]
    while rest:
        take = 2 if len(rest) > 1 and rng.random() < 0.5 else 1
        cells.append(" ".join(rest[:take]))
        rest = rest[take:]
    return [f"| {first} | " + " | ".join(cells) + " |", "| --- | " + " | ".join("---" for _ in cells) + " |"]


SHORT = 7  # a label this long fits its cell's line: printed whole in the first cell of its row's line


def narrow_markdown(
    table3: dict[str, list[int]], seed: int, width: int, pad: int = 0, rows: list[str] = T3_ROWS, labels=T3_LABEL_TEXT
) -> str:
    """Table 三 as markitdown prints a narrow browser print: each label cut into lines of `width` characters, its
    row's numbers on a line among them (a piece of the label in the line's first cell now and then; a short label
    whole), the group titles a character a line among the rows' lines."""
    rng = random.Random(seed)
    lines: list[str] = []
    for row in rows:
        title, _, leaf = labels[row].rpartition(" ")
        chunks = [leaf[i : i + width] for i in range(0, len(leaf), width)] if len(leaf) > SHORT else []
        middle = len(chunks) // 2
        first = chunks.pop(middle) if len(chunks) > 2 and rng.random() < 0.5 else "" if chunks else leaf
        printed = [*chunks[:middle], *_number_line(table3[row], rng, first, pad), *chunks[middle:]]
        vertical = [ch for ch in title if not ch.isspace()]
        for line in printed:  # the group title's characters, each on a line of its own between the row's lines
            lines.append(line)
            if vertical and not line.startswith("|"):
                lines.append(vertical.pop(0))
        lines += vertical
    text = page(TABLE3)
    start, end = text.index(T3_LABEL_TEXT["new_received"]), text.index("四、政府信息公开行政复议")
    return text[:start] + "\n".join(lines) + "\n" + text[end:]


@pytest.mark.parametrize("width", [4, 5, 6])
@pytest.mark.parametrize("seed", range(3))
def test_labels_wrapped_around_their_rows_numbers_are_read_by_their_order(seed, width):
    report = extract(narrow_markdown(TABLE3, seed, width), "page.md")
    for key, value in t3_cells(TABLE3).items():
        assert report.cells[key].value == value, key
    assert report.verdict.value == "verified"


def test_a_2019_table_whose_labels_are_far_apart_is_read_in_the_2019_rows():
    # the 2019 template's single （六）其他处理 row is known by its label and （七）总计's, both far past the last
    # label found before them
    rows = t3_rows_2019()
    table3 = {row: TABLE3.get(row, TABLE3["other.other"]) for row in rows}
    labels = T3_LABEL_TEXT | {OTHER_TOTAL_ROW: "（六）其他处理"}
    text = narrow_markdown(table3, 0, 4, pad=20, rows=rows, labels=labels)
    report = extract(text, "page.md")
    for row in rows:
        assert [report.cells[t3_key(row, c)].value for c in T3_COLUMNS] == table3[row], row


def test_a_row_printed_over_its_labels_line_and_the_next_is_one_row():
    # the label's line ends in the row's first number; the rest of the row is the line under it
    text = narrow_markdown(TABLE3, 0, 5)
    bare = next(line for line in text.split("\n") if line.startswith("| ") and " 6 " in line)  # enforcement_files
    first, rest = bare.split(" | ", 2)[1], bare.split(" | ", 2)[2]
    assert first.split()[0] == "6"
    glued = f"7.属于行政执法案卷{first.split()[0]}\n|     | {' '.join(first.split()[1:])} | {rest}"
    lines = [line for line in text.split("\n") if not line.startswith("7.属于") and "法案卷" not in line]
    text = "\n".join(lines).replace(bare, glued)
    report = extract(text, "page.md")
    assert [report.cells[t3_key("denied.enforcement_files", c)].value for c in ("natural_person", "total")] == [6, 6]
    assert report.verdict.value == "verified"


def _wrapped(text: str, values: list[int]) -> str:
    """The row's total wrapped in its narrow column around the row's line: its first digit on the line above, its
    last on the line below (a browser breaks `30` as `3` / `0`)."""
    total = str(values[-1])
    line = next(line for line in text.split("\n") if line.startswith("| ") and line.endswith(f" {total} |"))
    others = " | ".join(map(str, values[:-1]))
    return text.replace(line, f"{total[0]}\n| {line.split(' | ')[0][2:]} | {others} |\n{total[1:]}", 1)


def test_a_number_wrapped_around_its_rows_line_is_one_number_where_one_place_keeps_the_row_total():
    text = narrow_markdown(TABLE3, 1, 5)
    text = _wrapped(text, TABLE3["granted"])  # 27 0 0 2 0 1 30: 30 fits only as the total
    report = extract(text, "page.md")
    cell = report.cells[t3_key("granted", "total")]
    assert cell.value == 30 and "realigned" in cell.flags
    assert report.cells[t3_key("granted", "natural_person")].value == 27


def test_a_wrapped_number_whose_rows_label_is_printed_under_the_rows_line_is_one_number():
    # `3` / `| | 27 | 0 | 0 | 2 | 0 | 1 |` / `（一）予以公开` / `0` (markitdown, 35 mm margins): the label between the
    # row's line and the number's last piece lies inside the row as one between the first piece and the line does
    text = _wrapped(narrow_markdown(TABLE3, 1, 5), TABLE3["granted"])
    line = next(line for line in text.split("\n") if line.startswith("| （一）予以公开 | 27 |"))
    text = text.replace(line, line.replace("（一）予以公开", "") + "\n（一）予以公开", 1)
    report = extract(text, "page.md")
    assert report.cells[t3_key("granted", "total")].value == 30
    assert report.cells[t3_key("granted", "natural_person")].value == 27
    assert report.verdict.value == "verified", report.verdict_reason


def _wrapped_22(text: str, count: int = 1) -> str:
    """The first `count` rows printing 22 0 0 0 0 0 22 with their 22 wrapped: `2` / `0 0 0 0 0 22` / `2`."""
    for _ in range(count):
        line = next(
            line
            for line in text.split("\n")
            if line.startswith("| ") and line.endswith(" 22 |") and not line.endswith("| 0 0 | 0 0 | 0 | 22 |")
        )
        text = text.replace(line, f"2\n| {line.split(' | ')[0][2:]} | 0 0 | 0 0 | 0 | 22 |\n2", 1)
    return text


def test_a_wrapped_number_several_places_keep_is_placed_where_the_identities_allow_one():
    # 22 0 0 0 0 0 22 printed `2` / `0 0 0 0 0 22` / `2`: 22 keeps the row total in any of the first six places;
    # the column identities (the 自然人 column's sum) allow only the first
    table3 = consistent_table3({"unable.not_held": [22, 0, 0, 0, 0, 0]}, new_received=[25, 0, 0, 0, 0, 0])
    report = extract(_wrapped_22(narrow_markdown(table3, 2, 5)), "page.md")
    cell = report.cells[t3_key("unable.not_held", "natural_person")]
    assert cell.value == 22 and "realigned" in cell.flags
    assert report.cells[t3_key("unable.not_held", "other_org")].value == 0
    assert report.verdict.value == "verified"


def test_wrapped_numbers_the_identities_cannot_tell_apart_stay_open():
    # two rows of 22 wrapped so, one the 自然人's and one the 其他's: the column sums hold with either in either
    # place, so neither row is read
    table3 = consistent_table3(
        {"unable.not_held": [22, 0, 0, 0, 0, 0], "not_processed.duplicate": [0, 0, 0, 0, 0, 22]},
        new_received=[25, 0, 0, 0, 0, 22],
    )
    report = extract(_wrapped_22(narrow_markdown(table3, 2, 5), 2), "page.md")
    values = report.values()
    wrong = [k for k, v in t3_cells(table3).items() if values.get(k) not in (None, v)]
    assert all(k in report.unverified for k in wrong), wrong
    for row in ("unable.not_held", "not_processed.duplicate"):
        cell = report.cells[t3_key(row, "natural_person")]
        assert cell.value is None and "ambiguous" in cell.flags and cell.candidates == [0, 22], row
    assert report.verdict.value != "verified"


def test_a_rows_label_between_its_wrapped_numbers_top_piece_and_its_line_is_its_own():
    # a narrow page: `6` / `一、本年新收政府信` / `| | | 0 0 2 | 0 4 | 70 |` / `| 息公开申请数量 | 4 |`; the row's
    # label printed between the top piece and the row's line is no other row's
    text = narrow_markdown(TABLE3, 0, 5)
    start = text.index(T3_LABEL_TEXT["new_received"].rpartition(" ")[2][:4])
    end = text.index("\n", text.index(" 70 |", start))
    wrapped = (
        "6\n一、本年新收政府信\n|         |     | 0 0 2 | 0 4 | 70 |\n| 息公开申请数量 | 4   |       |     |     |"
    )
    text = text[: text.rfind("\n", 0, start) + 1] + wrapped + text[end:]
    report = extract(text, "page.md")
    values = report.values()
    assert [values[t3_key("new_received", c)] for c in T3_COLUMNS] == TABLE3["new_received"]
    assert report.verdict.value == "verified"


def test_table3_numbers_wrapped_in_their_grid_cells_around_the_rows_line_are_one_number_each():
    # `| (一)予以公 | 2 |  |  | 3 |` / `|  |  | 0 0 2 | 0 1 |  |` / `| 开 | 7 |  |  | 0 |`: 27 and 30 in their columns
    text = narrow_markdown(TABLE3, 1, 5)
    line = next(line for line in text.split("\n") if line.startswith("| ") and line.endswith(" 30 |"))
    grid = (
        "| (一)予以公 | 2 |  |  | 3 |\n| --- | --- | --- | --- | --- |\n|  |  | 0 0 2 | 0 1 |  |\n| 开 | 7 |  |  | 0 |"
    )
    text = text.replace(line, grid, 1)
    report = extract(text, "page.md")
    values = report.values()
    assert [values[t3_key("granted", c)] for c in T3_COLUMNS] == TABLE3["granted"]
    assert "realigned" in report.cells[t3_key("granted", "total")].flags
    assert report.verdict.value == "verified"


def test_label_pieces_of_two_columns_in_one_cell_and_a_lone_ordinal_cell_are_label_text():
    # markitdown puts the group column's piece and the row label's in one cell, a space between or glued to the
    # group's ordinal; a narrow cell's ordinal can stand in a cell of its own, a quote in the next
    text = narrow_markdown(TABLE3, 0, 5)
    line = next(line for line in text.split("\n") if line.startswith("| ") and line.endswith(" 30 |"))
    text = text.replace(line, line.replace("|  |", "| 度办理结 予以公 |", 1), 1)
    line = next(line for line in text.split("\n") if line.startswith("| ") and " 22 " in line)
    text = text.replace(line, "|     | 3.  | “     |\n" + line.replace("|  |", "| 理(四)无法 |", 1), 1)
    report = extract(text, "page.md")
    for key, value in t3_cells(TABLE3).items():
        assert report.cells[key].value == value, key
    assert report.verdict.value == "verified"


def test_a_label_cell_can_take_in_two_of_its_rows_numbers():
    line = "|     | 这 一 | 情8 1 | 0 0 | 0 |"
    assert [i.text for i in segment_items(line, 0, len(line)) if i.kind == "value"] == ["8", "1", "0", "0", "0"]
    # a 无 that reads on with the label character after it is that label's (（四）无法提供 printed a character a line)
    text = "无 法\n供  2.没有现成信息"
    assert {i.kind for i in segment_items(text, 0, len(text))} == {"text"}


def test_a_bare_table2_row_whose_amount_prints_its_unit_is_placed_by_order():
    # 2019's 政府集中采购 row printed bare with its label on the line under it: the 元 after the amount is no text
    # beside the row's numbers, so the row is placed as the line between its neighbours
    text = page(TABLE3, t2=TABLE2_2019).replace(
        "本年制发件数 本年废止件数 现行有效件数", "本年新制作数量 本年新公开数量 对外公开总数量"
    )
    text = text.replace("政府集中采购 3 251000元", "|      | 3    | 251000元 |     |\n政府集中采购")
    report = extract(text, "page.md")
    assert report.cells["active_2019.procurement.projects"].value == 3
    assert str(report.cells["active_2019.procurement.total_amount"].value) == "251000"
    assert "active_2019.procurement.projects" in report.unverified  # placed by order: no identity checks it


@pytest.mark.parametrize("index", range(2))
def test_the_generated_narrow_print_reads_every_cell(index):
    if cjk_font_file() is None or converter_missing("markitdown-narrow"):
        pytest.skip(f"the markitdown-narrow layout needs fonts-wqy-zenhei: {converter_missing('markitdown-narrow')}")
    case = generate(random.Random(f"markitdown-narrow:{index}"), "markitdown-narrow")
    text = case.data.decode("utf-8")
    leaves = [label.rpartition(" ")[2] for label in T3_LABEL_TEXT.values()]
    assert sum(leaf in text for leaf in leaves) < len(leaves) // 2  # most labels wrapped: the narrow print's class
    report = extract(text, case.filename)
    values = report.values()
    assert {k: (v, values.get(k)) for k, v in case.cells.items() if str(values.get(k)) != str(v)} == {}


def test_a_vertical_labels_none_character_beside_anothers_is_no_zero_marker():
    # `（四）无法提供` printed a character a line beside the group title's column: `果 无` right above a number line
    text = narrow_markdown(TABLE3, 0, 5)
    lines = text.split("\n")
    at = lines.index("无")
    below = next(i for i in range(at, len(lines)) if lines[i].startswith("| "))
    lines[below:below] = ["果 无"]
    del lines[at]
    report = extract("\n".join(lines), "page.md")
    for key, value in t3_cells(TABLE3).items():
        assert report.cells[key].value == value, key
    assert report.verdict.value == "verified"


def test_a_none_character_between_two_pieces_of_label_text_is_no_zero_marker():
    # a text line (no grid) where a vertical label's 无 stands between the group title's piece and the row's label
    text = narrow_markdown(TABLE3, 0, 5)
    lines = text.split("\n")
    at = next(i for i, line in enumerate(lines) if line.startswith("| ") and line.endswith(" 25 |"))
    lines[at : at + 2] = ["三、 无 掌握相关 22 0 0 0 0 3 25"]
    report = extract("\n".join(lines), "page.md")
    assert [report.cells[t3_key("unable.not_held", c)].value for c in T3_COLUMNS] == TABLE3["unable.not_held"]
    assert report.verdict.value == "verified"


@pytest.mark.parametrize(
    "cell",
    [
        "）1.本机关不掌22",  # the closing bracket of the group title `（ 四 ）` glued before the row's ordinal
        "( 四 )1.本机关不掌22",  # the whole group ordinal, letter-spaced
        "供  1.本机关不掌22",  # the group title's last character and the row's label, spaces between
    ],
)
def test_a_label_cell_of_two_labels_pieces_before_the_rows_first_number_is_label_text(cell):
    # markitdown prints the group column's piece and the row label's piece in one cell, glued at a bracket or set
    # apart by spaces, the row's first number glued after them: the line is a bare row of the partly labelled table
    text = narrow_markdown(TABLE3, 0, 5)
    line = next(line for line in text.split("\n") if line.startswith("| ") and " 22 " in line)
    cells = line.strip("|").split("|")
    rest = " ".join(cells[1:]).split()
    assert rest[0] == "22"
    text = text.replace(line, f"| {cell} | " + " | ".join(rest[1:]) + " |", 1)
    report = extract(text, "page.md")
    for key, value in t3_cells(TABLE3).items():
        assert report.cells[key].value == value, key
    assert report.verdict.value == "verified"


def _table2_2019(rows: str) -> str:
    text = page(TABLE3, t2=TABLE2_2019).replace(
        "本年制发件数 本年废止件数 现行有效件数", "本年新制作数量 本年新公开数量 对外公开总数量"
    )
    return text.replace("行政许可 10 -2 55\n其他对外管理服务事项 1 +1 0", rows)


def test_a_table2_markdown_row_printed_over_two_lines_of_complementary_cells_is_one_row():
    # markitdown prints the cells of a row whose label is taller than its numbers on a line of their own, above the
    # label's line that prints the rest: the bare line fills exactly the cells the label's line leaves blank
    rows = "| 行政许可 | 10 | -2 | 55 |\n|  |  | +1 | 0 |\n| 其他对外管理服务事项 | 1 |  |  |"
    report = extract(_table2_2019(rows), "page.md")
    values = report.values()
    assert [values[f"active_2019.licensing.{c}"] for c in ("prev_items", "delta", "decisions")] == [10, -2, 55]
    assert [values[f"active_2019.other_mgmt_services.{c}"] for c in ("prev_items", "delta", "decisions")] == [1, 1, 0]
    assert "active_2019.other_mgmt_services.delta" in report.unverified  # placed by its columns: no identity checks it


def test_a_bare_table2_line_that_completes_either_neighbour_is_joined_to_neither():
    # `|  |  | -2 | 55 |` fills the cells both the line above and the line below leave blank: no evidence of whose
    text = "| 行政许可 | 10 |  |  |\n|  |  | -2 | 55 |\n| 其他对外管理服务事项 | 1 |  |  |"
    lines = _number_lines(text, 0, len(text), ["行政许可", "其他对外管理服务事项"])
    assert len(_halves_joined(text, lines)) == 3
    joined = _halves_joined(text, lines[1:])  # the line above gone: the line below is the one it completes
    assert [[i.text for i in line if i.kind == "value"] for line in joined] == [["1", "-", "2", "55"]]


T4_WRAPPED = [1, 0, 2, 0, 3, 12, 0, 0, 0, 12, 0, 0, 0, 0, 0]


def _t4_wrapped(lines: str, t4: list[int] = T4_WRAPPED) -> str:
    text = page(TABLE3, t4=t4)
    return text.replace(" ".join(map(str, t4)), lines)


def test_table4_numbers_wrapped_in_their_grid_cells_around_the_rows_line_are_one_number_each():
    # markitdown of a narrow print: the two 12s wrap in their narrow cells, `1` above and `2` below the row's line;
    # the first stands in a column the row's line leaves blank, the second in one that prints 0 0 0 too, where only
    # the totals say it comes last (12 0 0 0 12)
    lines = "|  |  | 1 | 1 |  |  |  |\n| 1 0 2 | 0 3 |  | 0 0 0 | 0 0 | 0 0 | 0 |\n|  |  | 2 | 2 |  |  |  |"
    report = extract(_t4_wrapped(lines), "page.md")
    values = report.values()
    keys = [k for k in values if k.startswith("review_litigation.")]
    assert [values[k] for k in keys] == T4_WRAPPED
    assert "realigned" in report.cells["review_litigation.litigation_direct.total"].flags
    assert report.verdict.value == "verified"


def test_table4_numbers_wrapped_where_the_totals_allow_several_places_stay_open():
    # 20 wrapped (`2` / `0`) beside a 0 in the column of 行政复议's 结果维持 and 结果纠正: 20 0 and 0 20 both keep
    # the group's total, so neither cell is read
    t4 = [20, 0, 0, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
    lines = "| 2 |  |  |  |\n| 0 | 0 0 20 | 0 0 0 0 0 | 0 0 0 0 0 |\n| 0 |  |  |  |"
    report = extract(_t4_wrapped(lines, t4), "page.md")
    values = report.values()
    assert values["review_litigation.review.upheld"] is None and values["review_litigation.review.corrected"] is None
    assert report.cells["review_litigation.review.upheld"].candidates == [0, 20]
    assert values["review_litigation.review.total"] == 20
    assert report.verdict.value != "verified"
