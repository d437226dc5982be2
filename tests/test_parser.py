"""The template parser against each damage kind of format.md §3, one small page per kind."""

from decimal import Decimal

import pytest
from nianbao.ingest import ingest_bytes
from nianbao.pipeline import extract_document
from nianbao.schemas.keys import T3_ROWS, t3_key
from pages import T2_DEFAULT, T3_LABEL_TEXT, T4_DEFAULT, consistent_table3, page, t3_cells, t4_cells

TABLE3 = consistent_table3(
    {
        "granted": [27, 0, 0, 2, 0, 1],
        "partially_granted": [5, 0, 0, 0, 0, 0],
        "unable.not_held": [22, 0, 0, 0, 0, 3],
        "other.other": [1, 0, 0, 0, 0, 0],
    },
    new_received=[64, 0, 0, 2, 0, 4],
)

TABLE2_2019 = {  # a 2019 table 二: signed deltas, a fee, an amount with its unit
    "规章": [0, 0, 0],
    "规范性文件": [3, 3, 40],
    "行政许可": [10, "-2", 55],
    "其他对外管理服务事项": [1, "+1", 0],
    "行政处罚": [5, 0, 7],
    "行政强制": [0, 0, 0],
    "行政事业性收费": [4, 0],
    "政府集中采购": [3, "251000元"],
}


def extract(text: str, name: str = "page.txt"):
    return extract_document(ingest_bytes(text.encode("utf-8"), name), name)


def assert_reads(report, expected: dict) -> None:
    values = report.values()
    wrong = {k: (v, values.get(k)) for k, v in expected.items() if values.get(k) != v}
    assert not wrong, wrong


def test_clean_page_is_verified_with_every_cell():
    report = extract(page(TABLE3))
    assert report.verdict.value == "verified", report.verdict_reason
    assert_reads(report, t3_cells(TABLE3) | t4_cells(T4_DEFAULT))
    assert report.values()["active.fees.amount"] == Decimal("12.5")
    assert report.values()["active.normative_docs.in_force"] == 20
    assert len(report.values()) == 200


def test_one_cell_per_line_with_tab_indent_and_blank_line_between_rows():
    text = page(TABLE3, row_sep="\n\n\t\n", cell_sep="\n\t")
    report = extract(text)
    assert report.verdict.value == "verified", report.verdict_reason
    assert_reads(report, t3_cells(TABLE3))


def test_misaligned_tsv_maps_values_by_order_not_tab_position():
    rows = page(TABLE3, cell_sep="\t").splitlines()
    skewed = [("\t\t" + line + "\t\t") if i % 3 == 0 else line.replace("\t", "\t\t", 1) for i, line in enumerate(rows)]
    report = extract("\n".join(skewed))
    assert_reads(report, t3_cells(TABLE3))
    assert report.verdict.value == "verified"


def test_markdown_pipe_table_with_renamed_columns():
    header = "| 类别 | 数据1 | 数据2 | 数据3 | 数据4 | 数据5 | 数据6 | 总计 |\n|---|---|---|---|---|---|---|---|\n"
    text = page(TABLE3, row_sep=" |\n" + header + "| ", cell_sep=" | ")
    report = extract(text, "page.md")
    assert_reads(report, t3_cells(TABLE3))
    assert report.verdict.value == "verified"


def test_extra_value_per_row_is_dropped_where_the_identities_say():
    def with_extra(values):  # a spurious subtotal printed after the first column
        return [values[0], sum(values[1:6]), *values[1:]]

    damaged = {r: (v if r in ("new_received", "carried_over") else with_extra(v)) for r, v in TABLE3.items()}
    report = extract(page(damaged))
    assert_reads(report, t3_cells(TABLE3))
    cell = report.cells[t3_key("granted", "natural_person")]
    assert "dropped_extra_value" in cell.flags
    assert report.verdict.value == "verified"


def test_merged_value_cell_repeated_is_read_once():
    t2 = dict(T2_DEFAULT, 行政许可=[15, 15, 15])
    report = extract(page(TABLE3, t2=t2))
    assert report.values()["active.licensing.decisions"] == 15
    assert "merged_repeat" in report.cells["active.licensing.decisions"].flags
    assert report.verdict.value == "verified"


def test_merged_repeat_that_disagrees_is_ambiguous_not_guessed():
    report = extract(page(TABLE3, t2=dict(T2_DEFAULT, 行政许可=[15, 16, 15])))
    cell = report.cells["active.licensing.decisions"]
    assert cell.value is None and "ambiguous" in cell.flags
    assert report.verdict.value == "needs_model"


def glued(table3):
    return page(table3, row_sep="", cell_sep="").replace("\n", "")


def test_glued_digit_runs_are_split_by_the_identities():
    report = extract(glued(TABLE3))
    assert_reads(report, t3_cells(TABLE3) | t4_cells(T4_DEFAULT))
    assert "split_from_run" in report.cells[t3_key("new_received", "total")].flags
    # "270020130": two splits satisfy T3.row; the column sums pick 27|0|0|2|0|1|30
    assert report.values()[t3_key("granted", "natural_person")] == 27


def test_glued_table2_run_without_identity_is_ambiguous():
    report = extract(glued(TABLE3))
    cell = report.cells["active.normative_docs.issued"]  # "3120" has several splits
    assert cell.value is None and "ambiguous" in cell.flags and len(cell.candidates) > 1
    assert report.verdict.value == "needs_model"


def test_glued_table2_run_decided_by_the_prose():
    t2 = dict(T2_DEFAULT, 行政规范性文件=[88, 55, 698])
    text = glued(TABLE3).replace(
        "本年度工作稳步推进。", "集中公开现行有效行政规范性文件698件，本年度制发的规范性文件88件。"
    )
    report = extract(text.replace("行政规范性文件3120", "行政规范性文件8855698"))
    assert [report.values()[f"active.normative_docs.{c}"] for c in ("issued", "repealed", "in_force")] == t2[
        "行政规范性文件"
    ]
    assert "prose_confirmed" in report.cells["active.normative_docs.in_force"].flags


@pytest.mark.parametrize("cut", [2, 3, 7])  # after 64, after 64|0, before the total 70
def test_partial_whitespace_is_a_hint_not_a_separator(cut):
    run = "".join(map(str, TABLE3["new_received"]))  # "640020470"
    text = glued(TABLE3)
    assert run in text
    report = extract(text.replace(run, f"{run[:cut]} {run[cut:]}"))
    assert_reads(report, t3_cells(TABLE3))


def test_vertical_label_text_never_starts_a_row():
    labels = dict(T3_LABEL_TEXT, granted="三、\n本年\n度办\n理结\n果\n（一）予以公开")
    report = extract(page(TABLE3, t3_labels=labels))
    assert_reads(report, t3_cells(TABLE3))
    assert report.verdict.value == "verified"


def test_a_label_glyph_ocr_reads_as_its_look_alike_still_starts_its_row():
    labels = dict(T3_LABEL_TEXT, granted=T3_LABEL_TEXT["granted"].replace("予", "子"))  # a scan's 予 read as 子
    report = extract(page(TABLE3, t3_labels=labels))
    assert_reads(report, t3_cells(TABLE3))
    assert report.verdict.value == "verified", report.verdict_reason


def test_an_ordinal_whose_full_stop_ocr_lost_is_no_value_of_the_row_above():
    labels = dict(T3_LABEL_TEXT)
    labels["denied.process_info"] = labels["denied.process_info"].replace("6.", "6")  # '6属于四类过程性信息'
    report = extract(page(TABLE3, t3_labels=labels))
    assert_reads(report, t3_cells(TABLE3))
    assert report.verdict.value == "verified", report.verdict_reason


def test_cut_and_missing_headers_do_not_matter():
    text = (
        page(TABLE3)
        .replace("申请人情况 自然人 法人或其他组织 总计", "然人 法人或其他组织")
        .replace("结果维持 结果纠正 其他结果 尚未审结 总计", "他结果 未审结")
    )
    report = extract(text)
    assert_reads(report, t3_cells(TABLE3) | t4_cells(T4_DEFAULT))


def test_group_label_repeated_at_a_page_break_is_ignored():
    labels = dict(T3_LABEL_TEXT)
    labels["unable.not_held"] = "- 3 -\n三、本年度办理结果\n" + labels["unable.not_held"]
    report = extract(page(TABLE3, t3_labels=labels))
    assert_reads(report, t3_cells(TABLE3))
    assert report.verdict.value == "verified"


@pytest.mark.parametrize("marker", ["—", "无", "/", "-"])
def test_zero_markers_read_as_zero_with_a_flag(marker):
    text = page(TABLE3).replace("4.保护第三方合法权益 0 0 0 0 0 0 0", "4.保护第三方合法权益 " + " ".join([marker] * 7))
    report = extract(text)
    cell = report.cells[t3_key("denied.third_party_rights", "natural_person")]
    assert cell.value == 0 and "zero_marker" in cell.flags
    assert report.verdict.value == "verified"


def test_full_width_digits_and_units_inside_cells():
    full = str.maketrans("0123456789", "０１２３４５６７８９")
    values = [str(v) for v in TABLE3["total_processed"]]
    printed = "（七）总计 " + " ".join(values)
    damaged = ("（七）总计 " + " ".join([values[0] + "件", *values[1:-1], values[-1] + "件"])).translate(full)
    text = page(TABLE3)
    assert printed in text
    report = extract(text.replace(printed, damaged))
    assert_reads(report, t3_cells(TABLE3))


def test_word_bookmark_artefact_is_not_a_number():
    text = page(TABLE3).replace("行政强制 0", "行政强制 [bookmark: _GoBack]0")
    report = extract(text)
    assert report.values()["active.coercion.decisions"] == 0


def test_blank_cells_in_an_html_grid_stay_null_not_zero():
    rows = "".join(
        f"<tr><td>{T3_LABEL_TEXT[r]}</td>"
        + "".join(f"<td>{v}</td>" for v in TABLE3[r][:6])
        + ("<td>&nbsp;</td>" if r != "new_received" else f"<td>{TABLE3[r][6]}</td>")
        + "</tr>"
        for r in T3_ROWS
    )
    html = f"<html><body><p>三、收到和处理政府信息公开申请情况</p><table>{rows}</table><p>五、存在的主要问题</p></body></html>"
    report = extract(html, "page.html")
    assert report.values()[t3_key("granted", "total")] is None
    assert "blank" in report.cells[t3_key("granted", "total")].flags
    assert report.values()[t3_key("new_received", "total")] == 70
    check = next(c for c in report.checks if c.id == "T3.row:granted")
    assert check.status == "uncheckable"


def test_table4_found_by_its_header_when_its_title_is_missing():
    text = page(TABLE3).replace("四、政府信息公开行政复议、行政诉讼情况\n", "")
    report = extract(text)
    assert_reads(report, t4_cells(T4_DEFAULT))
    assert report.verdict.value == "verified"


def test_label_column_followed_by_a_block_of_values():
    lines = page(TABLE3).splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("一、本年新收"))
    rows = lines[start : start + 25]
    labels = [row.rsplit(" ", 7)[0] for row in rows]
    values = [" ".join(row.rsplit(" ", 7)[1:]) for row in rows]
    text = "\n".join(lines[:start] + labels + values + lines[start + 25 :])
    report = extract(text)
    assert_reads(report, t3_cells(TABLE3))


def test_2019_table2_is_read_into_keys_of_its_own():
    t2 = TABLE2_2019
    text = page(TABLE3, t2=t2).replace(
        "本年制发件数 本年废止件数 现行有效件数", "本年新制作数量 本年新公开数量 对外公开总数量"
    )
    report = extract(text)
    assert report.meta.template == "gov2019"
    values = report.values()
    assert values["active.licensing.decisions"] is None
    assert [values[f"active_2019.licensing.{c}"] for c in ("prev_items", "delta", "decisions")] == [10, -2, 55]
    assert values["active_2019.other_mgmt_services.delta"] == 1
    assert values["active_2019.normative_docs.total_published"] == 40
    assert values["active_2019.procurement.total_amount"] == Decimal("251000")
    assert report.cells["active_2019.procurement.total_amount"].raw == "251000元"
    assert report.active_2019.licensing.delta == -2
    assert report.verdict.value == "verified", report.verdict_reason


def test_2019_table2_without_its_procurement_row_is_incomplete_not_verified():
    t2 = {
        "规章": [0, 0, 0],
        "规范性文件": [3, 3, 40],
        "行政许可": [10, 2, 55],
        "其他对外管理服务事项": [1, 0, 0],
        "行政处罚": [5, 0, 7],
        "行政强制": [0, 0, 0],
        "行政事业性收费": [4, 0],
    }
    text = page(TABLE3, t2=t2).replace(
        "本年制发件数 本年废止件数 现行有效件数", "本年新制作数量 本年新公开数量 对外公开总数量"
    )
    report = extract(text)
    assert report.values()["active_2019.procurement.projects"] is None
    assert report.verdict.value == "incomplete", report.verdict_reason


def test_values_printed_above_a_wrapped_label_are_realigned():
    lines = page(TABLE3).splitlines()
    i = next(k for k, line in enumerate(lines) if line.startswith("（二）部分公开"))
    j = i + 1  # （三）不予公开 1.属于国家秘密 …: its values move above its label, as a PDF text layer prints them
    label, values = lines[j].rsplit(" ", 7)[0], " ".join(lines[j].rsplit(" ", 7)[1:])
    lines[j : j + 1] = [values, label]
    report = extract("\n".join(lines))
    assert_reads(report, t3_cells(TABLE3))
    assert "realigned" in report.cells[t3_key("denied.state_secret", "total")].flags


def test_a_2019_procurement_block_left_in_a_2021_table2_is_not_read_as_the_fee():
    text = page(TABLE3).replace(
        "行政事业性收费 12.5",
        "行政事业性收费 12.5\n第二十条第（九）项\n信息内容 采购项目数量 采购总金额\n政府集中采购 3 251000元",
    )
    report = extract(text)
    assert report.meta.template == "gov2021"
    assert report.values()["active.fees.amount"] == Decimal("12.5")
    assert report.verdict.value == "verified"


def test_a_glued_run_with_a_leading_zero_is_not_read_as_one_count():
    """No count is printed with a leading zero: '035670' is cells glued together (0|35|670), not 35670."""
    report = extract(page(TABLE3).replace("行政强制 0", "行政强制 035670"))
    cell = report.cells["active.coercion.decisions"]
    assert cell.value is None and "ambiguous" in cell.flags
    assert "active.coercion.decisions" not in report.unverified  # a null is no number the record stands behind
    assert report.verdict.value != "verified"


def test_a_2019_table2_fragment_is_known_by_its_column_headers():
    """A fragment that prints only 2019's 第二十条第（六）项 block (no 本年新制作数量, no （九）项) is still the
    2019 template: its 行政强制 row is three columns (0 +35 670), never 2021's one cell."""
    text = page(TABLE3)
    start, end = text.index("第二十条第（一）项"), text.index("三、收到和处理")
    block = (
        "第二十条第（六）项\n信息内容 上一年项目数量 本年增/减 处理决定数量\n行政处罚 81 +2 98\n行政强制 0 +35 670\n"
    )
    report = extract(text[:start] + block + text[end:])
    assert report.meta.template == "gov2019"
    values = report.values()
    assert [values[f"active_2019.coercion.{c}"] for c in ("prev_items", "delta", "decisions")] == [0, 35, 670]
    assert values["active.coercion.decisions"] is None


def test_a_glued_number_that_may_be_several_cells_is_not_stood_behind_as_printed():
    """'30—0—3—…' reads as fifteen values only by taking '30' whole; it may be 3|0 (an extra value, a lost
    separator). When the group it is in does not add up, that is no source error the record stands behind."""
    report = extract(page(TABLE3).replace("1 0 1 0 2 0 0 0 1 1 0 0 0 0 0", "30—0—3—————————0"))
    upheld = "review_litigation.review.upheld"
    assert report.values()[upheld] == 30 and "split_from_run" in report.cells[upheld].flags
    assert upheld in report.unverified
    assert report.verdict.value != "verified"


def test_a_megabyte_digit_run_is_no_number_at_once():
    """The parser asks a token's number for every reading it tries: a hostile megabyte run must cost nothing."""
    import time

    from nianbao.parse.tokens import as_number

    run = "8" * 2_500_000
    start = time.perf_counter()
    assert all(as_number(run) is None for _ in range(2000))
    assert time.perf_counter() - start < 1.0
    assert as_number("8" * 40) == int("8" * 40)  # a glued row's run is still a number
