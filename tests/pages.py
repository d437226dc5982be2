"""Small report pages for the parser tests: the 2021 template's labels, filled with chosen values."""

from __future__ import annotations

from nianbao.schemas.keys import T3_COLUMNS, T3_LEAF_ROWS, T3_ROWS, T4_COLUMNS, T4_GROUPS, t3_key, t4_key
from nianbao.schemas.template import RESULTS_LABEL, T3_GROUP_LABELS, T3_SINGLE_LABELS, T3_WIDE_LABELS


def _flat_labels() -> dict[str, str]:
    """The template's row labels (eval.damage) flattened to one line, as a text conversion prints them."""
    labels = dict(T3_WIDE_LABELS)
    labels |= T3_SINGLE_LABELS
    labels["granted"] = f"{RESULTS_LABEL} {T3_SINGLE_LABELS['granted']}"
    for group, (title, leaves) in T3_GROUP_LABELS.items():
        for index, (row, leaf) in enumerate(
            zip([r for r in T3_ROWS if r.startswith(group + ".")], leaves, strict=True)
        ):
            labels[row] = (f"{title} " if index == 0 else "") + f"{index + 1}.{leaf}"
    return {row: labels[row] for row in T3_ROWS}


T3_LABEL_TEXT = _flat_labels()


def consistent_table3(
    leaves: dict[str, list[int]], new_received: list[int], carried_over: list[int] | None = None
) -> dict[str, list[int]]:
    """All 25 rows of table 三 (six applicant values each, plus the total), made to satisfy every identity."""
    carried_over = carried_over or [0] * 6
    rows = {r: leaves.get(r, [0] * 6) for r in T3_LEAF_ROWS}
    processed = [sum(rows[r][c] for r in T3_LEAF_ROWS) for c in range(6)]
    forward = [n + o - p for n, o, p in zip(new_received, carried_over, processed, strict=True)]
    assert min(forward) >= 0, "choose new_received large enough"
    table = {
        "new_received": new_received,
        "carried_over": carried_over,
        **rows,
        "total_processed": processed,
        "carried_forward": forward,
    }
    return {r: [*table[r], sum(table[r])] for r in T3_ROWS}


T2_DEFAULT = {
    "规章": [0, 0, 0],
    "行政规范性文件": [3, 1, 20],
    "行政许可": [15],
    "行政处罚": [7],
    "行政强制": [0],
    "行政事业性收费": ["12.5"],
}
T4_DEFAULT = [1, 0, 1, 0, 2, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0]


def page(
    table3: dict[str, list[int]],
    *,
    row_sep: str = "\n",
    cell_sep: str = " ",
    t2: dict | None = None,
    t4: list | None = None,
    t3_labels: dict[str, str] | None = None,
) -> str:
    """A report page with the three tables, one row per line unless the separators say otherwise."""
    labels = t3_labels or T3_LABEL_TEXT
    t2 = T2_DEFAULT if t2 is None else t2
    t4 = T4_DEFAULT if t4 is None else t4
    lines = [
        "测试县人民政府2023年政府信息公开工作年度报告",
        "一、总体情况",
        "本年度工作稳步推进。",
        "二、主动公开政府信息情况",
        "第二十条第（一）项",
        "信息内容 本年制发件数 本年废止件数 现行有效件数",
    ]
    lines += [cell_sep.join([label, *map(str, values)]) for label, values in t2.items()]
    lines += [
        "三、收到和处理政府信息公开申请情况",
        "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）",
        "申请人情况 自然人 法人或其他组织 总计",
        "商业企业 科研机构 社会公益组织 法律服务机构 其他",
    ]
    body = row_sep.join(cell_sep.join([labels[r], *map(str, table3[r])]) for r in T3_ROWS)
    lines.append(body)
    lines += [
        "四、政府信息公开行政复议、行政诉讼情况",
        "行政复议 行政诉讼",
        "结果维持 结果纠正 其他结果 尚未审结 总计",
        cell_sep.join(map(str, t4)),
    ]
    lines += ["五、存在的主要问题及改进情况", "无。", "六、其他需要报告的事项", "无。"]
    return "\n".join(lines) + "\n"


def t3_cells(table3: dict[str, list[int]]) -> dict[str, int]:
    return {t3_key(r, c): v for r, values in table3.items() for c, v in zip(T3_COLUMNS, values, strict=True)}


def t4_cells(values: list[int]) -> dict[str, int]:
    keys = [t4_key(g, c) for g in T4_GROUPS for c in T4_COLUMNS]
    return dict(zip(keys, values, strict=True))


def collapse_legal_entities(text: str, table3: dict[str, list[int]], labels: dict[str, str] | None = None) -> str:
    """The page with table 三's five 法人或其他组织 columns printed as one (format.md §3.29): 自然人 | 法人 sum | 总计."""
    labels = labels or T3_LABEL_TEXT
    text = text.replace(
        "申请人情况 自然人 法人或其他组织 总计\n商业企业 科研机构 社会公益组织 法律服务机构 其他\n",
        "申请人情况 自然人 法人或其他组织 总计\n",
    )
    for row in T3_ROWS:
        values = table3[row]
        printed = " ".join([labels[row], *map(str, values)]).strip()
        collapsed = " ".join([labels[row], str(values[0]), str(sum(values[1:6])), str(values[6])]).strip()
        text = text.replace(printed, collapsed, 1)
    return text
