"""Numbers a PDF→markdown converter cut or glued at a column border (pymupdf4llm): the page no longer prints them one
value a cell, so the record does not stand behind the reading nor call a failing identity the agency's error."""

from decimal import Decimal

from nianbao.ingest import ingest_bytes
from nianbao.pipeline import extract_document
from nianbao.schemas.keys import T3_COLUMNS
from pages import T3_LABEL_TEXT, consistent_table3, page


def extract(text: str):
    return extract_document(ingest_bytes(text.encode("utf-8"), "page.md"), "page.md")


TABLE3 = consistent_table3({"granted": [3, 1, 2, 1, 1, 0]}, [8, 2, 20, 13, 4, 2])


def test_numbers_stacked_in_one_grid_cell_whose_digits_glued_are_split_anew_where_every_identity_checks_them():
    """pymupdf4llm printed three of table 三's columns in one cell a line each and glued the 1 of 13 to the 20
    before it (`| 2<br>201 | 3<br>4 |`): as printed the row and column identities fail, by the converter's cut, not
    the agency's arithmetic (they were filed as a source error once). The one split of the row's digits that makes
    every identity through the row hold is the reading, each cell with the pieces it is made of."""
    label = T3_LABEL_TEXT["new_received"]
    printed = " ".join([label, *map(str, TABLE3["new_received"])])
    assert printed in page(TABLE3)
    text = page(TABLE3).replace(printed, f"|{label}|8|2<br>201|3<br>4|2<br>49|")
    report = extract(text)
    row = [report.values()[f"applications.new_received.{c}"] for c in T3_COLUMNS]
    assert row == TABLE3["new_received"]
    cell = report.cells["applications.new_received.public_interest_org"]
    assert cell.raw == "1 3" and "split_from_run" in cell.flags
    assert report.verdict.value != "source_error"


def test_numbers_stacked_and_glued_where_an_identity_through_them_is_unchecked_are_not_a_source_error():
    """The same cut (`| 7 | 5<br>301 | 6<br>9 | 3<br>70 |` for 7 5 30 16 9 3 70, one split keeping its total) where
    the row carried forward is not printed: the balance through the row checks nothing, so the split is not taken;
    as printed the row's identity fails by the converter's cut, and its cells are neither stood behind nor the
    failure called the agency's."""
    table3 = consistent_table3({"granted": [3, 1, 2, 1, 1, 0]}, [7, 5, 30, 16, 9, 3])
    label = T3_LABEL_TEXT["new_received"]
    printed = " ".join([label, *map(str, table3["new_received"])])
    text = page(table3).replace(printed, f"|{label}|7|5<br>301|6<br>9|3<br>70|")
    forward = " ".join([T3_LABEL_TEXT["carried_forward"], *map(str, table3["carried_forward"])])
    assert forward in text
    report = extract(text.replace(forward, T3_LABEL_TEXT["carried_forward"]))
    assert report.values()["applications.new_received.research"] == 301
    assert "applications.new_received.research" in report.unverified
    assert report.verdict.value != "source_error"
    report = extract(text)  # with it printed, every identity through the row checks the split
    assert [report.values()[f"applications.new_received.{c}"] for c in T3_COLUMNS] == table3["new_received"]


def test_a_2019_merged_last_cell_cut_at_the_border_stays_open_its_row_read():
    """2019's 本年增/减 spans two columns: `| 0 | 3 | 3 |` is 0 and a repeat of 3, or 0 and 33 cut at the border."""
    text = page(TABLE3)
    start, end = text.index("第二十条第（一）项"), text.index("三、收到和处理")
    block = "第二十条第（八）项\n信息内容 上一年项目数量 本年增/减\n|行政事业性收费|0|3|3|\n"
    report = extract(text[:start] + block + text[end:])
    assert report.meta.template == "gov2019"
    assert report.values()["active_2019.fees.prev_items"] == 0
    delta = report.cells["active_2019.fees.delta"]
    assert delta.value is None and set(delta.candidates) == {3, 33}


def test_a_merged_last_cell_repeated_whole_is_read_once():
    """`| 0 | -21 | -21 |`: -21-21 is no number, so the repeat is the only reading."""
    text = page(TABLE3)
    start, end = text.index("第二十条第（一）项"), text.index("三、收到和处理")
    block = "第二十条第（八）项\n信息内容 上一年项目数量 本年增/减\n|行政事业性收费|0|-21|-21|\n"
    report = extract(text[:start] + block + text[end:])
    assert report.values()["active_2019.fees.delta"] == -21
    assert "merged_repeat" in report.cells["active_2019.fees.delta"].flags


def test_a_merged_last_cell_repeated_under_its_repeated_header_is_read_once():
    """A converter that repeats a merged cell in each column it spans repeats its header too (`| 本年增/减 |
    本年增/减 |`): the row's `| 3 | 3 |` is 3 printed twice."""
    text = page(TABLE3)
    start, end = text.index("第二十条第（一）项"), text.index("三、收到和处理")
    block = "第二十条第（八）项\n|信息内容|上一年项目数量|本年增/减|本年增/减|\n|行政事业性收费|0|3|3|\n"
    report = extract(text[:start] + block + text[end:])
    assert report.values()["active_2019.fees.delta"] == 3
    assert "merged_repeat" in report.cells["active_2019.fees.delta"].flags


def test_a_sign_cut_from_its_number_at_the_border_is_the_signed_number():
    """`| 11 | - | 40 |`: pymupdf4llm cut the centred -40 of the merged 本年增/减 at the border. Read as a dash (zero)
    the row would print a value too many; a row that prints as many cells as its columns keeps its dash."""
    text = page(TABLE3)
    start, end = text.index("第二十条第（一）项"), text.index("三、收到和处理")
    block = "第二十条第（八）项\n信息内容 上一年项目数量 本年增/减\n|行政事业性收费|11|-|40|\n"
    report = extract(text[:start] + block + text[end:])
    assert report.values()["active_2019.fees.prev_items"] == 11
    assert report.values()["active_2019.fees.delta"] == -40 and "active_2019.fees.delta" not in report.unverified
    block = "第二十条第（六）项\n信息内容 上一年项目数量 本年增/减 处理决定数量\n|行政处罚|5|-|40|\n"
    values = extract(text[:start] + block + text[end:]).values()
    assert [values[f"active_2019.penalty.{c}"] for c in ("prev_items", "delta", "decisions")] == [5, 0, 40]
    # a dash in a column that is not 本年增/减 is a zero cell, beside an amount printed again in its merged cell
    block = (
        "第二十条第（九）项\n|信息内容|采购项目数量|采购总金额|采购总金额|\n|政府集中采购|-|291003.16元|291003.16元|\n"
    )
    values = extract(text[:start] + block + text[end:]).values()
    assert values["active_2019.procurement.projects"] == 0
    assert str(values["active_2019.procurement.total_amount"]) == "291003.16"


def test_inline_markup_around_a_cells_text_is_no_text_and_its_slash_no_zero():
    """pymupdf4llm writes small type as `<sup>15</sup>`: the tags go, and the `/` of `</sup>` is no zero marker."""
    text = page(TABLE3).replace("行政许可 15\n", "|行政许可|<sup>15</sup>|\n|---|---|\n")
    report = extract(text.replace("行政强制 0\n", "|行政强制|<SUP>0</SUP>|\n"))
    assert report.values()["active.licensing.decisions"] == 15
    assert "active.licensing.decisions" not in report.unverified
    assert report.values()["active.coercion.decisions"] == 0


def _procurement(header: str, rows: str):
    """The test page in the 2019 template with its (九) procurement block as a markdown table printed so."""
    text = page(TABLE3)
    start, end = text.index("第二十条第（一）项"), text.index("三、收到和处理")
    return extract(text[:start] + f"第二十条第（九）项\n|信息内容|{header}|\n{rows}\n" + text[end:])


def test_an_amount_cut_at_the_borders_its_header_is_cut_at_reads_line_by_line_across_them_not_stood_behind():
    """pymupdf4llm cut 采购总金额's cell top to bottom where it cut its header (`| 采购总 | 金额 |`): each line's
    pieces lie side by side, `| 50613<br>7 | 362.6<br> |` is 50613 362.6 / 7, one amount, its last line at times
    the next row's. The pieces' order is the geometry's reading: the amount is flagged, and stood behind by nothing."""
    for rows, amount in [
        ("|政府集中采购|1631|<sup>50613</sup><br>7|<sup>362.6</sup><br>|", "50613362.67"),
        ("|政府集中采购|0|60999<br>|679.1<br>|\n|||9|元|", "60999679.19"),
        ("|政府集中采购|2537|50780<br>元|56.67<br>|", "5078056.67"),
    ]:  # each over two lines
        report = _procurement("采购<br>项目<br>数量|采购总|金额", rows)
        cell = report.cells["active_2019.procurement.total_amount"]
        assert str(cell.value) == amount and "split_from_run" in cell.flags, rows
        assert "active_2019.procurement.total_amount" in report.unverified
        assert report.values()["active_2019.procurement.projects"] == int(rows.split("|")[2])


def test_numbers_under_an_uncut_amount_header_are_not_woven_into_one():
    """The same cells under a header that names its columns whole (`| 采购项目数量 | 采购总金额 | 备注 |`): nothing
    says the cells are one, so they are not read as one amount."""
    report = _procurement("采购项目数量|采购总金额|备注", "|政府集中采购|1631|50613<br>7|362.6<br>|")
    assert report.values().get("active_2019.procurement.total_amount") != Decimal("50613362.67")


def test_a_2019_delta_cut_where_its_header_is_cut_is_the_one_number_its_pieces_make():
    """`| 本年 | 增/减 |` over `| 1 | 3 |`: the header shows the merged cell cut at that border, so its pieces are one
    value (13), read as printed in pieces; a repeated header (`| 本年增/减 | 本年增/减 |`) is a value printed twice."""
    text = page(TABLE3)
    start, end = text.index("第二十条第（一）项"), text.index("三、收到和处理")
    for header, row, delta in [
        ("|信息内容|上一年项目数量|本年|增/减|", "|行政事业性收费|0|1|3|", 13),
        ("|信息内容|上一年项目数量|本年|增/减|", "|行政事业性收费|0|3|3|", 33),
        ("|信息内容|上一年项目数量|本年增/减|本年增/减|", "|行政事业性收费|0|3|3|", 3),
    ]:
        report = extract(text[:start] + f"第二十条第（八）项\n{header}\n{row}\n" + text[end:])
        cell = report.cells["active_2019.fees.delta"]
        assert cell.value == delta and "split_from_run" not in cell.flags, (header, row)
        assert report.values()["active_2019.fees.prev_items"] == 0


def test_a_fee_cut_on_one_line_where_its_header_is_cut_reads_as_printed_in_pieces():
    """`| 4 | 80.82 | 36 |` under the fee's header cut into three cells: one line, so its pieces read left to right
    are the one amount, printed so (480.8236), as any one-column row's cut is."""
    text = page(TABLE3)
    block = "第二十条第（八）项\n|信息内容|本年<br>单|收费金<br>位：万|额（<br>元）|\n|行政事业性收费|4|80.82|36|\n"
    start, end = text.index("行政事业性收费"), text.index("三、收到和处理")
    report = extract(text[:start] + block + text[end:])
    cell = report.cells["active.fees.amount"]
    assert str(cell.value) == "480.8236" and "split_from_run" not in cell.flags
    assert "active.fees.amount" not in report.unverified
