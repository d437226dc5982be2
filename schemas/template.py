"""The template of the annual report's tables (format.md §1): one place for every row's labels.

The canonical keys (schemas/keys.py) name the cells; this module says how the template prints them:
the label keywords (and their variants) the parser anchors rows on, the full labels and headers the
page generator draws, the names the model is shown, and the 2019 variant (one （六）其他处理 row
instead of the three other.* rows), and the tables laid out as the canonical HTML prints them (`table2/3/4`:
canonical key → printed text in, rows of `Td` out), which the page generator renders and the review
site colours.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

from nianbao.schemas.keys import (
    OTHER_SUB_ROWS,
    OTHER_TOTAL_ROW,
    T2_ROWS,
    T3_COLUMNS,
    T3_LEAF_ROWS,
    T3_ROWS,
    T4_COLUMNS,
    T4_GROUPS,
    t2_key,
    t3_key,
    t4_key,
)

# ---------------------------------------------------------------- label keywords the parser anchors on


@dataclass(frozen=True)
class Label:
    row: str
    keywords: tuple[str, ...]
    ordinal: int | None = None  # the '1.' … '8.' printed before a sub-item


T2_LABELS = (
    Label("regulations", ("规章",)),
    Label("normative_docs", ("规范性文件", "规范文件")),
    Label("licensing", ("行政许可",)),
    Label("penalty", ("行政处罚",)),
    Label("coercion", ("行政强制",)),
    Label("fees", ("行政事业性收费", "事业性收费")),
)
T3_LABELS = (
    Label("new_received", ("本年新收", "新收政府信息公开申请")),
    Label("carried_over", ("上年结转",)),
    Label("granted", ("予以公开",)),
    Label("partially_granted", ("部分公开",)),
    Label("denied.state_secret", ("国家秘密",), 1),
    Label("denied.law_prohibited", ("禁止公开", "其他法律"), 2),
    Label("denied.three_safety_one_stability", ("三安全一稳定", "三安全"), 3),
    Label("denied.third_party_rights", ("第三方合法权益", "第三方"), 4),
    Label("denied.internal_affairs", ("内部事务",), 5),
    Label("denied.process_info", ("过程性信息", "过程性"), 6),
    Label("denied.enforcement_files", ("执法案卷",), 7),
    Label("denied.admin_query", ("行政查询",), 8),
    Label("unable.not_held", ("不掌握",), 1),
    Label("unable.needs_creation", ("另行制作", "没有现成信息"), 2),
    Label("unable.unclear_after_correction", ("仍不明确", "补正后申请"), 3),
    Label("not_processed.petition_complaint", ("信访举报投诉", "信访"), 1),
    Label("not_processed.duplicate", ("重复申请",), 2),
    Label("not_processed.publication", ("出版物",), 3),
    Label("not_processed.unreasonable_mass", ("大量反复",), 4),
    Label("not_processed.confirm_or_reissue", ("重新出具", "确认或重新"), 5),
    Label("other.no_correction", ("逾期不补正", "不补正"), 1),
    Label("other.fee_unpaid", ("缴纳费用", "收费通知"), 2),
    Label("other.other", ("其他",), 3),
    Label("total_processed", ("总计",)),
    Label("carried_forward", ("结转下年度", "结转下一年度", "结转下年")),
)
OTHER_TOTAL_LABEL = Label(OTHER_TOTAL_ROW, ("其他处理",))
# the 2019 trial template's table 二 (format.md §1.4): 规范性文件 without 行政, two more rows
T2_2019_LABELS = (
    Label("regulations", ("规章",)),
    Label("normative_docs", ("规范性文件", "规范文件")),
    Label("licensing", ("行政许可",)),
    Label("other_mgmt_services", ("其他对外管理服务事项", "对外管理服务")),
    Label("penalty", ("行政处罚",)),
    Label("coercion", ("行政强制",)),
    Label("fees", ("行政事业性收费", "事业性收费")),
    Label("procurement", ("政府集中采购", "集中采购")),
)
# table 四 printed one row per result (format.md §3.22): the result labels, keyed by the canonical column
T4_RESULT_LABELS = (
    Label("upheld", ("结果维持", "维持")),
    Label("corrected", ("结果纠正", "纠正")),
    Label("other", ("其他结果",)),
    Label("pending", ("尚未审结", "未审结")),
    Label("total", ("总计",)),
)


def t3_rows_2019() -> list[str]:
    """Table 三's rows in the 2019 template: the single （六）其他处理 row in place of the three other.* rows."""
    names = [r for r in T3_ROWS if r not in OTHER_SUB_ROWS]
    names.insert(names.index("total_processed"), OTHER_TOTAL_ROW)
    return names


# ---------------------------------------------------------------- the printed labels and headers


T2_BLOCKS = (
    (
        "第二十条第（一）项",
        ("本年制发件数", "本年废止件数", "现行有效件数"),
        (("regulations", "规章"), ("normative_docs", "行政规范性文件")),
    ),
    ("第二十条第（五）项", ("本年处理决定数量",), (("licensing", "行政许可"),)),
    ("第二十条第（六）项", ("本年处理决定数量",), (("penalty", "行政处罚"), ("coercion", "行政强制"))),
    ("第二十条第（八）项", ("本年收费金额（单位：万元）",), (("fees", "行政事业性收费"),)),
)
T2_2019_BLOCKS = (
    (
        "第二十条第（一）项",
        ("本年新制作数量", "本年新公开数量", "对外公开总数量"),
        (("regulations", "规章"), ("normative_docs", "规范性文件")),
    ),
    (
        "第二十条第（五）项",
        ("上一年项目数量", "本年增/减", "处理决定数量"),
        (("licensing", "行政许可"), ("other_mgmt_services", "其他对外管理服务事项")),
    ),
    (
        "第二十条第（六）项",
        ("上一年项目数量", "本年增/减", "处理决定数量"),
        (("penalty", "行政处罚"), ("coercion", "行政强制")),
    ),
    ("第二十条第（八）项", ("上一年项目数量", "本年增/减"), (("fees", "行政事业性收费"),)),
    ("第二十条第（九）项", ("采购项目数量", "采购总金额"), (("procurement", "政府集中采购"),)),
)
T3_NOTE = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"
T3_CORP_HEADERS = ("商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他")
T3_COLUMN_HEADERS = ("自然人", *T3_CORP_HEADERS, "总计")  # table 三's seven columns as printed, in T3_COLUMNS order
RESULTS_LABEL = "三、本年度办理结果"
T3_WIDE_LABELS = {  # rows whose label spans all three label columns
    "new_received": "一、本年新收政府信息公开申请数量",
    "carried_over": "二、上年结转政府信息公开申请数量",
    "carried_forward": "四、结转下年度继续办理",
}
T3_SINGLE_LABELS = {  # rows under 三、 whose label spans two columns
    "granted": "（一）予以公开",
    "partially_granted": "（二）部分公开（区分处理的，只计这一情形，不计其他情形）",
    "total_processed": "（七）总计",
}
T3_GROUP_LABELS = {
    "denied": (
        "（三）不予公开",
        (
            "属于国家秘密",
            "其他法律行政法规禁止公开",
            "危及“三安全一稳定”",
            "保护第三方合法权益",
            "属于三类内部事务信息",
            "属于四类过程性信息",
            "属于行政执法案卷",
            "属于行政查询事项",
        ),
    ),
    "unable": ("（四）无法提供", ("本机关不掌握相关政府信息", "没有现成信息需要另行制作", "补正后申请内容仍不明确")),
    "not_processed": (
        "（五）不予处理",
        (
            "信访举报投诉类申请",
            "重复申请",
            "要求提供公开出版物",
            "无正当理由大量反复申请",
            "要求行政机关确认或重新出具已获取信息",
        ),
    ),
    "other": (
        "（六）其他处理",
        (
            "申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
            "申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
            "其他",
        ),
    ),
}
# every label text of table 三, NFKC, run together without spaces: a label's wrapped piece must be a piece of one
T3_VOCABULARY = re.sub(
    r"\s",
    "",
    unicodedata.normalize(
        "NFKC",
        "|".join(
            [*T3_WIDE_LABELS.values(), *T3_SINGLE_LABELS.values()]
            + [text for title, leaves in T3_GROUP_LABELS.values() for text in (title, *leaves)]
            + [RESULTS_LABEL]
        ),
    ),
)
T4_RESULT_HEADERS = ("结果维持", "结果纠正", "其他结果", "尚未审结", "总计")
SECTION_TITLES = (
    "一、总体情况",
    "二、主动公开政府信息情况",
    "三、收到和处理政府信息公开申请情况",
    "四、政府信息公开行政复议、行政诉讼情况",
    "五、存在的主要问题及改进情况",
    "六、其他需要报告的事项",
)


# ---------------------------------------------------------------- what the model is shown

# What the model is told a row is. The printed label is not shown: its ordinals ("5.属于…") are
# digits a small model copies into the first cell.
ROW_NAMES = {
    "regulations": "规章",
    "normative_docs": "行政规范性文件",
    "licensing": "行政许可",
    "penalty": "行政处罚",
    "coercion": "行政强制",
    "fees": "行政事业性收费",
    "new_received": "本年新收政府信息公开申请数量",
    "carried_over": "上年结转政府信息公开申请数量",
    "granted": "予以公开",
    "partially_granted": "部分公开",
    "denied.state_secret": "不予公开：属于国家秘密",
    "denied.law_prohibited": "不予公开：其他法律行政法规禁止公开",
    "denied.three_safety_one_stability": "不予公开：危及“三安全一稳定”",
    "denied.third_party_rights": "不予公开：保护第三方合法权益",
    "denied.internal_affairs": "不予公开：属于三类内部事务信息",
    "denied.process_info": "不予公开：属于四类过程性信息",
    "denied.enforcement_files": "不予公开：属于行政执法案卷",
    "denied.admin_query": "不予公开：属于行政查询事项",
    "unable.not_held": "无法提供：本机关不掌握相关政府信息",
    "unable.needs_creation": "无法提供：没有现成信息需要另行制作",
    "unable.unclear_after_correction": "无法提供：补正后申请内容仍不明确",
    "not_processed.petition_complaint": "不予处理：信访举报投诉类申请",
    "not_processed.duplicate": "不予处理：重复申请",
    "not_processed.publication": "不予处理：要求提供公开出版物",
    "not_processed.unreasonable_mass": "不予处理：无正当理由大量反复申请",
    "not_processed.confirm_or_reissue": "不予处理：要求行政机关确认或重新出具已获取信息",
    "other.no_correction": "其他处理：申请人逾期不补正",
    "other.fee_unpaid": "其他处理：申请人逾期未缴纳费用",
    "other.other": "其他处理：其他",
    OTHER_TOTAL_ROW: "其他处理",
    "total_processed": "总计",
    "carried_forward": "结转下年度继续办理",
    "review_litigation": "行政复议、行政诉讼",
}
T4_GROUP_NAMES = ("行政复议", "未经复议直接起诉", "复议后起诉")


def prompt_names() -> dict[str, str]:
    """The column and group names the prompt files name ($t2_columns, $t3_columns, $t4_groups, $t4_columns)."""
    return {
        "t2_columns": ", ".join(T2_BLOCKS[0][1]),
        "t3_columns": ", ".join(T3_COLUMN_HEADERS),
        "t4_groups": ", ".join(T4_GROUP_NAMES),
        "t4_columns": ", ".join(T4_RESULT_HEADERS),
    }


# ---------------------------------------------------------------- the tables as the canonical HTML lays them out

Cells = Mapping[str, object]


@dataclass
class Td:
    """One table cell of the canonical HTML layout; `key` names the gold cell a value cell holds."""

    text: str
    colspan: int = 1
    rowspan: int = 1
    key: str | None = None
    is_value: bool = False


@dataclass
class Table:
    rows: list[list[Td]]


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _values(cells: Cells, keys: list[str]) -> list[Td]:
    return [Td(_text(cells[k]), key=k, is_value=True) for k in keys]


def table2(cells: Cells) -> Table:
    rows: list[list[Td]] = []
    for block, headers, items in T2_BLOCKS:
        merged = 4 - len(headers)  # a single value column spans three (format.md §1.1)
        rows.append([Td(block, colspan=4)])
        rows.append([Td("信息内容")] + [Td(h, colspan=merged if len(headers) == 1 else 1) for h in headers])
        for row, label in items:
            values = _values(cells, [t2_key(row, col) for col in T2_ROWS[row]])
            if len(values) == 1:
                values[0].colspan = merged
            rows.append([Td(label), *values])
    return Table(rows)


def t3_printed_label(row: str) -> str:
    """A table 三 row's label as the template prints it, ordinals included: what a choice among printed lines
    is matched on (no number is copied there, so the ordinals help rather than mislead)."""
    if row in T3_WIDE_LABELS or row in T3_SINGLE_LABELS:
        return {**T3_WIDE_LABELS, **T3_SINGLE_LABELS}[row]
    group = row.split(".")[0]
    if group not in T3_GROUP_LABELS:
        return ROW_NAMES[row]
    title, leaves = T3_GROUP_LABELS[group]
    index = [r for r in T3_LEAF_ROWS if r.startswith(group + ".")].index(row)
    return f"{title} {index + 1}.{leaves[index]}"


def table3(cells: Cells) -> Table:
    rows = [
        [Td(T3_NOTE, colspan=3, rowspan=3), Td("申请人情况", colspan=7)],
        [Td("自然人", rowspan=2), Td("法人或其他组织", colspan=5), Td("总计", rowspan=2)],
        [Td(h) for h in T3_CORP_HEADERS],
    ]
    for row in T3_ROWS:
        if row in T3_WIDE_LABELS:
            labels = [Td(T3_WIDE_LABELS[row], colspan=3)]
        elif row in T3_SINGLE_LABELS:
            labels = [Td(T3_SINGLE_LABELS[row], colspan=2)]
        else:
            group = row.split(".")[0]
            title, leaves = T3_GROUP_LABELS[group]
            index = [r for r in T3_LEAF_ROWS if r.startswith(group + ".")].index(row)
            labels = ([Td(title, rowspan=len(leaves))] if index == 0 else []) + [Td(f"{index + 1}.{leaves[index]}")]
        if row == "granted":
            labels.insert(0, Td(RESULTS_LABEL, rowspan=len(T3_LEAF_ROWS) + 1))
        rows.append(labels + _values(cells, [t3_key(row, c) for c in T3_COLUMNS]))
    return Table(rows)


def table4(cells: Cells) -> Table:
    return Table(
        [
            [Td("行政复议", colspan=5), Td("行政诉讼", colspan=10)],
            [Td(h, rowspan=2) for h in T4_RESULT_HEADERS]
            + [Td("未经复议直接起诉", colspan=5), Td("复议后起诉", colspan=5)],
            [Td(h) for h in T4_RESULT_HEADERS * 2],
            _values(cells, [t4_key(g, c) for g in T4_GROUPS for c in T4_COLUMNS]),
        ]
    )
