"""The report's prose as evidence: figures read into canonical keys, choices it settles, warnings it raises."""

from decimal import Decimal
from types import SimpleNamespace

import pytest
from nianbao.check import run_checks
from nianbao.model.arbitrate import merge
from nianbao.prose import stated
from nianbao.schemas.keys import FEE_KEY, t3_key, t4_key
from nianbao.schemas.record import Cell
from pages import T3_LABEL_TEXT, T4_DEFAULT, consistent_table3, page, t3_cells, t4_cells
from test_parser import TABLE3, extract

NEW, CARRIED = t3_key("new_received", "total"), t3_key("carried_over", "total")
ORGS = tuple(t3_key("new_received", c) for c in ("commercial", "research", "public_interest_org", "legal_service"))
LAWSUITS = (t4_key("litigation_direct", "total"), t4_key("litigation_after_review", "total"))
PENDING = "+".join(t4_key(group, "pending") for group in ("litigation_direct", "litigation_after_review"))


# sentences as the committed real reports and seeds print them
@pytest.mark.parametrize(
    "sentence, expected",
    [
        (
            "本年度全区共收到70件申请，及时依法依规办结69件，1件结转下年度继续办理。",
            [(70, NEW), (69, t3_key("total_processed", "total")), (1, t3_key("carried_forward", "total"))],
        ),
        (
            "全县全年共受理政府信息公开申请 749 件，其中自然人申请 741 件，法人或其他组织申请 8 件。"
            "共办理 718 件，结转下一年 31 件。",
            [
                (749, NEW),
                (741, t3_key("new_received", "natural_person")),
                (8, "+".join((*ORGS, t3_key("new_received", "other_org")))),
                (718, t3_key("total_processed", "total")),
                (31, t3_key("carried_forward", "total")),
            ],
        ),
        (
            "2022年，全区收到政府信息公开申请75件，涉及自然人72件、商业企业3件，均在法定期限内予以答复，办结率100%。",
            [(75, NEW), (72, t3_key("new_received", "natural_person")), (3, t3_key("new_received", "commercial"))],
        ),
        (
            "设立规范性文件库，集中公开现行有效行政规范性文件698件，动态更新本年度制发的规范性文件88件。",
            [(698, "active.normative_docs.in_force"), (88, "active.normative_docs.issued")],
        ),
        ("本年新收政府信息公开申请12件，上年结转2件。", [(12, NEW), (2, CARRIED)]),
        (
            "2022年，全区政府信息公开工作方面共有行政诉讼案件1件、行政复议案件2件，均已结案。",
            [(1, "+".join(LAWSUITS)), (2, t4_key("review", "total")), (0, t4_key("review", "pending")), (0, PENDING)],
        ),
        (
            "本年度发生政府信息公开行政复议案件3件，已全部审结。",
            [(3, t4_key("review", "total")), (0, t4_key("review", "pending"))],
        ),
    ],
)
def test_real_phrasings_are_read_into_canonical_keys(sentence, expected):
    assert [(f.value, f.name) for f in stated(sentence)] == expected


def test_received_may_count_the_carried_over_applications_too():
    (figure,) = stated("全区收到政府信息公开申请75件。")
    assert figure.readings == ((NEW,), (NEW, CARRIED))
    assert figure.agrees({NEW: 74, CARRIED: 1}) is True
    assert figure.agrees({NEW: 74, CARRIED: 0}) is False
    assert figure.agrees({NEW: 74}) is None  # the other reading cannot be computed: no contradiction


@pytest.mark.parametrize(
    "sentence",
    [
        "依法做好相关行政复议、行政诉讼案件的应诉工作，全县共办理相关案件 74 件。",  # both subjects in one clause
        "区社会事业局不断公开社会保障信息，受理各类群众诉求259起。",  # not disclosure applications
        "全年公开政策文件4件，对3件主动公开政策性文件进行意见征集。",  # not 规范性文件
        "全县行政机关在办理2025年度信息公开申请中收取信息处理费共计380元，其中民政局1件，收取380元。",
        "本年度收到行政复议申请3件。",  # a review, not a disclosure application
        "因政府信息公开申请被申请行政复议，结果维持2件。",  # a result, not the total
        "对不予处理3件申请逐一说明理由。",
        "一、本年新收政府信息公开申请数量\t70件\t0\t0",  # a table row is not prose
        "本年度没有产生信息处理费，行政复议案件办理率100%。",
        "本年度收到政府信息公开申请，均已办结。",  # applications, not cases: nothing about pending cases
    ],
)
def test_unclear_subjects_state_nothing(sentence):
    assert stated(sentence) == ()


def test_the_sentence_after_a_received_figure_counts_only_for_applications():
    assert [f.value for f in stated("本年度收到政府信息公开申请10件。共办结9件。")] == [10, 9]
    assert [f.value for f in stated("本年度收到政府信息公开申请10件。全年处理群众来信30件。")] == [10]


def _glue_rows(table, rows, text):
    for row in rows:
        printed = T3_LABEL_TEXT[row] + " " + " ".join(map(str, table[row]))
        assert printed in text
        text = text.replace(printed, T3_LABEL_TEXT[row] + "".join(map(str, table[row])))
    return text


# 新收 "110000112" and 结转下年度 "110000011": 1|10|… and 11|0|… both keep every identity
GLUED3 = consistent_table3({"other.other": [0, 0, 0, 0, 0, 1]}, new_received=[1, 10, 0, 0, 0, 1])
GLUED3_PAGE = _glue_rows(GLUED3, ("new_received", "carried_forward"), page(GLUED3))


def test_glued_table3_row_decided_by_the_prose():
    before = extract(GLUED3_PAGE)
    cell = before.cells[t3_key("new_received", "natural_person")]
    assert cell.value is None and cell.candidates == [1, 11]
    report = extract(
        GLUED3_PAGE.replace("本年度工作稳步推进。", "本年度共收到政府信息公开申请12件，其中自然人申请1件。")
    )
    assert report.values() | t3_cells(GLUED3) == report.values()
    assert "prose_confirmed" in report.cells[t3_key("new_received", "natural_person")].flags
    assert "prose_confirmed" not in report.cells[t3_key("carried_forward", "natural_person")].flags  # identities
    assert report.verdict.value == "verified" and report.unverified == []


def test_prose_agreeing_with_no_reading_decides_nothing():
    report = extract(
        GLUED3_PAGE.replace("本年度工作稳步推进。", "本年度共收到政府信息公开申请12件，其中自然人申请5件。")
    )
    cell = report.cells[t3_key("new_received", "natural_person")]
    assert cell.value is None and cell.candidates == [1, 11] and "prose_confirmed" not in cell.flags


# review 0 0 1 0 1 | 12 10 0 1 23 glued reads as 0 0 1 0 1 | 12 … or 0 0 10 11 21 | 0 0 1 2 3
T4_RUN = [0, 0, 1, 0, 1, 12, 10, 0, 1, 23, 0, 10, 0, 0, 10]
T4_PAGE = page(TABLE3, t4=["".join(map(str, T4_RUN))])


@pytest.mark.parametrize("sentence", ["本年度发生政府信息公开行政复议案件1件。", "因政府信息公开被提起行政诉讼33起。"])
def test_glued_table4_run_decided_by_the_prose(sentence):
    before = extract(T4_PAGE).cells[t4_key("review", "total")]
    assert before.value is None and before.candidates == [1, 21]
    report = extract(T4_PAGE.replace("本年度工作稳步推进。", sentence))
    values = report.values()
    assert {k: values[k] for k in t4_cells(T4_RUN)} == t4_cells(T4_RUN)
    assert all("prose_confirmed" in report.cells[k].flags for k in t4_cells(T4_RUN))
    assert report.verdict.value == "verified"


def test_prose_contradicting_a_printed_cell_is_a_warning_only():
    text = page(TABLE3).replace("本年度工作稳步推进。", "本年度共收到政府信息公开申请99件，办结61件。")
    report = extract(text)
    assert report.verdict.value == "verified" and report.unverified == []
    assert report.values() | t3_cells(TABLE3) == report.values()
    checks = {c.id: c for c in report.checks if c.severity == "soft"}
    assert checks[f"prose:{NEW}"].status == "fail" and checks[f"prose:{NEW}"].lhs == 99
    assert checks[f"prose:{t3_key('total_processed', 'total')}"].status == "pass"
    assert any("99" in w for w in report.warnings)


def test_prose_never_fills_a_cell_that_is_not_printed():
    text = page(TABLE3).split("四、政府信息公开行政复议")[0]  # table 四 is not on the page
    report = extract(text.replace("本年度工作稳步推进。", "本年度政府信息公开行政复议案件2件，行政诉讼1件。"))
    assert all(report.cells[k].value is None for k in t4_cells(T4_DEFAULT))
    assert not [c for c in run_checks(report.cells, text) if c.id.startswith("prose:review")]


def test_the_model_does_not_overturn_a_reading_the_prose_settled():
    keys = [f"active.normative_docs.{c}" for c in ("issued", "repealed", "in_force")]
    flags = ["prose_confirmed", "split_from_run"]
    parser = {
        k: Cell(value=v, raw="8855698", span=(5, 12), flags=flags) for k, v in zip(keys, (88, 55, 698), strict=True)
    }
    model = {
        k: Cell(value=v, source="model", flags=["grounded", "model_read"])
        for k, v in zip(keys, (8, 855, 698), strict=True)
    }
    row_of = {k: SimpleNamespace(row="normative_docs") for k in keys}  # table 二: no identity can decide
    cells, _, _ = merge(parser, model, row_of)
    assert [cells[k].value for k in keys] == [88, 55, 698]
    assert not any("parser_disagrees" in cells[k].flags or cells[k].candidates for k in keys)
    plain = {k: c.model_copy(update={"flags": ["split_from_run"]}) for k, c in parser.items()}
    cells, _, _ = merge(plain, model, row_of)  # without the prose the disagreement stays open
    assert "parser_disagrees" in cells[keys[0]].flags


CARRIED_FORWARD = t3_key("carried_forward", "total")
PROCESSED, REVIEW = t3_key("total_processed", "total"), t4_key("review", "total")


@pytest.mark.parametrize(
    "sentence, expected",
    [
        ("全年共答复政府信息公开申请56件。", [(56, PROCESSED)]),
        ("本年度共办结政府信息公开申请40件，结转至下一年度办理3件。", [(40, PROCESSED), (3, CARRIED_FORWARD)]),
        # a list item that is only a subject and its count takes the verb before it across 、 (not across ，)
        (
            "截至年底，现行有效规章12件、行政规范性文件56件。",
            [(12, "active.regulations.in_force"), (56, "active.normative_docs.in_force")],
        ),
        ("现行有效规章12件、修订规范性文件3件。", [(12, "active.regulations.in_force")]),
        # none, in a sentence that prints no number
        ("本机关全年未发生政府信息公开行政复议、行政诉讼案件。", [(0, REVIEW), (0, "+".join(LAWSUITS))]),
        ("全年未收到政府信息公开方面的行政诉讼案件。", [(0, "+".join(LAWSUITS))]),
        ("本年度未出台规范性文件。", [(0, "active.normative_docs.issued")]),
        ("本年度未发生被纠正的政府信息公开行政复议案件。", []),  # a result, not the total
    ],
)
def test_more_phrasings_agencies_use(sentence, expected):
    assert [(f.value, f.name) for f in stated(sentence)] == expected


def test_a_case_still_pending_leaves_the_pending_cells_unstated():
    figures = stated("共有政府信息公开行政诉讼案件2件、行政复议案件2件，除1件尚未审结外，均已结案。")
    assert [(f.value, f.name) for f in figures] == [(2, "+".join(LAWSUITS)), (2, t4_key("review", "total"))]


# a paragraph as a PDF converter prints it: wrapped at the page's width, mid-word
WRAPPED = (
    "平潭综合实验区切实落实国务院办公厅、省政府办公厅关于政务公开工作有关要求，持续推进基础信息公开、深化重点领域信\n"
    "息公开，2022年全区共主动公开政府信息14571条。一是做好规范性文件公开。设立规范性文件库，集中公开现行有效行政规范性\n"
    "文件698件，动态更新本年度制发的规范性文件88件。二是做好各类规划公开。设立规划和专项规划、空间规划、区域规划专栏，本\n"
    "年度公开信息77条。\n"
    "二、主动公开政府信息情况\n"
    "规章\n0\n0\n0\n行政规范性文件\n88\n"
)


def test_a_paragraph_wrapped_at_the_page_width_is_read_across_its_line_breaks():
    figures = stated(WRAPPED)
    assert [(f.value, f.name) for f in figures] == [
        (698, "active.normative_docs.in_force"),
        (88, "active.normative_docs.issued"),
    ]
    assert [WRAPPED[slice(*f.span)] for f in figures] == ["698", "88"]  # spans in the text as printed
    # a short line (a heading, a table's label or number) ends where it ends: nothing is read across it
    apart = stated(WRAPPED.replace("规范性\n文件698件", "规范性\n\n文件698件"))
    assert [(f.value, f.name) for f in apart] == [(88, "active.normative_docs.issued")]


# table 二's figures as agencies state them in section 一 (the corpus's real pages state only 规范性文件's, above)
@pytest.mark.parametrize(
    "sentence, expected",
    [
        ("本年度规范性文件制发3件，废止8件，现行有效20件。", [(3, "issued"), (8, "repealed"), (20, "in_force")]),
        ("全年共办结行政许可事项10690件。", [(10690, "licensing")]),
        ("行政许可本年处理决定数量10690件。", [(10690, "licensing")]),
        ("本年度全区作出行政处罚决定2113件，实施行政强制措施42件。", [(2113, "penalty"), (42, "coercion")]),
        ("全年收取行政事业性收费9116.36万元。", [(Decimal("9116.36"), "fees")]),
        ("对44件规范性文件进行清理，保留40件，废止4件。", [(4, "repealed")]),  # what is kept is no column
        ("公开行政许可信息3540件，行政处罚案件信息2113件。", []),  # information published, not decisions
        ("在信用网站公示办理行政许可决定3540件。", []),
        ("受理行政许可申请12000件。", []),  # neither a decision nor a disclosure application
        ("行政许可类信息69条。", []),  # items published, counted in 条
        ("本年度没有产生信息处理费。", []),  # the disclosure fee, not 行政事业性收费
    ],
)
def test_table2_phrasings_agencies_use(sentence, expected):
    short = {"active.normative_docs." + c: c for c in ("issued", "repealed", "in_force")}
    short |= {f"active.{r}.decisions": r for r in ("licensing", "penalty", "coercion")} | {FEE_KEY: "fees"}
    assert [(f.value, short[f.name]) for f in stated(sentence)] == expected
