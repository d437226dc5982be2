"""Table 二's one-number rows where a converter prints a row's number above its label (pdfminer with boxes_flow 1):
the number after one label may be the next row's, and table 二 has no identity to tell."""

from pages import T2_DEFAULT, consistent_table3, page
from test_parser import extract

TABLE3 = consistent_table3({"granted": [4, 1, 0, 0, 0, 0]}, new_received=[5, 1, 0, 0, 0, 0])


def test_a_number_between_a_label_and_a_next_label_that_holds_none_is_left_open():
    # `行政处罚` / `42` / `行政强制` / `行政事业性收费`: 42 may be 行政处罚's or 行政强制's printed above its label
    t2 = {**T2_DEFAULT, "行政处罚": [42], "行政强制": []}
    report = extract(page(TABLE3, t2=t2))
    values = report.values()
    assert values["active.penalty.decisions"] is None
    assert values["active.licensing.decisions"] == 15


def test_a_row_whose_next_row_holds_its_own_number_is_read():
    report = extract(page(TABLE3))
    assert report.values()["active.penalty.decisions"] == 7


def _blocks(penalty_block: str) -> str:
    """The page with table 二's blocks headed as printed (`第二十条第（六）项`), 行政处罚 and 行政强制 as given."""
    return page(TABLE3).replace(
        "行政许可 15\n行政处罚 7\n行政强制 0\n",
        "第二十条第（五）项\n信息内容 本年处理决定数量\n行政许可 15\n第二十条第（六）项\n信息内容 本年处理决定数量\n"
        + penalty_block
        + "第二十条第（八）项\n信息内容 本年收费金额（单位：万元）\n",
    )


def test_a_blocks_rows_each_printed_under_its_number_are_read_from_the_line_above():
    # markitdown's text of a narrow print: `7` / `行政处罚` / `0` / `行政强制`, every number of the block above its label
    report = extract(_blocks("7\n行政处罚\n0\n行政强制\n"), "page.md")
    values = report.values()
    assert [values["active.penalty.decisions"], values["active.coercion.decisions"]] == [7, 0]
    assert values["active.regulations.issued"] == 0 and values["active.licensing.decisions"] == 15
    assert "active.penalty.decisions" in report.unverified  # placed by order: no identity checks table 二


def test_a_block_whose_numbers_lines_do_not_each_hold_their_rows_count_is_not_read_from_above():
    # `7 2` / `行政处罚` / `0` / `行政强制`: two numbers above a one-number row; which is whose no rule tells
    report = extract(_blocks("7 2\n行政处罚\n0\n行政强制\n"), "page.md")
    values = report.values()
    assert values["active.penalty.decisions"] is None
    assert values.get("active.coercion.decisions") is None


def test_a_lone_number_above_its_label_beside_a_block_read_from_above_keeps_its_row():
    # `行政处罚 7` / `0` / `行政强制`, then the fee's block `12.5` / `行政事业性收费`: the fee's block is read from above,
    # and 行政强制's 0 is still the line above its own label, not a number of no row
    text = _blocks("行政处罚 7\n0\n行政强制\n").replace("行政事业性收费 12.5", "12.5\n行政事业性收费")
    values = extract(text, "page.md").values()
    assert [values["active.penalty.decisions"], values["active.coercion.decisions"]] == [7, 0]
    assert str(values["active.fees.amount"]) == "12.5"


def test_a_blocks_rows_each_printed_under_its_numbers_a_line_each_are_read_from_the_lines_above():
    # pdfminer without boxes_flow: `0` / `0` / `0` / `规章` / `69` / `3` / `665` / `行政规范性文件`: each row's counts a
    # line each above its label; reading each label's next lines would give 规章 the 规范性文件's counts
    block = "第二十条第（一）项\n信息内容\n本年制发件数 本年废止件数 现行有效件数\n0\n\n0\n\n0\n\n规章\n\n69\n\n3\n\n665\n\n行政规范性文件\n"
    text = page(TABLE3)
    start, end = text.index("第二十条第（一）项"), text.index("行政许可")
    text = text[:start] + block + "第二十条第（五）项\n信息内容 本年处理决定数量\n" + text[end:]
    report = extract(text, "page.txt")
    values = report.values()
    assert [values[f"active.regulations.{c}"] for c in ("issued", "repealed", "in_force")] == [0, 0, 0]
    assert [values[f"active.normative_docs.{c}"] for c in ("issued", "repealed", "in_force")] == [69, 3, 665]
    assert "active.regulations.issued" in report.unverified  # placed by order: no identity checks table 二
