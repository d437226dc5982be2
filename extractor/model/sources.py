"""The source rows the model is shown, and the test every model-read value must pass: grounding.

The rows come from the parser's result (`ParsedTables.rows`: each row's label anchor and the value
tokens up to the next label), so the model reads one row's own text and its answer is checked
against that same text. A value is grounded when it is printed at its place in its row: a reading
by position the parser's own row reader allows — the row's cells, or a split of a glued digit run
that the row identity accepts. A value that merely occurs somewhere is not grounded: sums that hold
are not proof, and neither is a number that is printed in the wrong column.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from extractor import solve
from extractor.parse import Item, ParsedTables, TableRow
from schemas.keys import OTHER_TOTAL_ROW

MAX_CHOICES = 4  # a glued run with at most this many readings is shown as those readings

Value = int | Decimal | None

# What the model is told a row is. The printed label is not shown: its ordinals ("5.属于…") are
# digits a small model copies into the first cell.
ROW_NAMES = {
    "regulations": "规章", "normative_docs": "行政规范性文件", "licensing": "行政许可", "penalty": "行政处罚",
    "coercion": "行政强制", "fees": "行政事业性收费",
    "new_received": "本年新收政府信息公开申请数量", "carried_over": "上年结转政府信息公开申请数量",
    "granted": "予以公开", "partially_granted": "部分公开",
    "denied.state_secret": "不予公开：属于国家秘密", "denied.law_prohibited": "不予公开：其他法律行政法规禁止公开",
    "denied.three_safety_one_stability": "不予公开：危及“三安全一稳定”", "denied.third_party_rights": "不予公开：保护第三方合法权益",
    "denied.internal_affairs": "不予公开：属于三类内部事务信息", "denied.process_info": "不予公开：属于四类过程性信息",
    "denied.enforcement_files": "不予公开：属于行政执法案卷", "denied.admin_query": "不予公开：属于行政查询事项",
    "unable.not_held": "无法提供：本机关不掌握相关政府信息", "unable.needs_creation": "无法提供：没有现成信息需要另行制作",
    "unable.unclear_after_correction": "无法提供：补正后申请内容仍不明确",
    "not_processed.petition_complaint": "不予处理：信访举报投诉类申请", "not_processed.duplicate": "不予处理：重复申请",
    "not_processed.publication": "不予处理：要求提供公开出版物", "not_processed.unreasonable_mass": "不予处理：无正当理由大量反复申请",
    "not_processed.confirm_or_reissue": "不予处理：要求行政机关确认或重新出具已获取信息",
    "other.no_correction": "其他处理：申请人逾期不补正", "other.fee_unpaid": "其他处理：申请人逾期未缴纳费用", "other.other": "其他处理：其他",
    OTHER_TOTAL_ROW: "其他处理", "total_processed": "总计", "carried_forward": "结转下年度继续办理",
    "review_litigation": "行政复议、行政诉讼",
}
T4_GROUP_NAMES = ("行政复议", "未经复议直接起诉", "复议后起诉")


@dataclass
class SourceRow(TableRow):
    """A parser row with the text the model is shown for it."""

    def shown(self) -> str:
        """The row as the model sees it: its name, then its values as printed ("_" for an empty cell).

        A glued digit run ("1000001") is shown as the split its identity allows (a small model copies
        the run whole rather than split it), or as the few splits it allows, to choose from.
        """
        cells = [i for i in self.items if i.kind != "text"]
        values = [i for i in cells if i.kind == "value"]
        if not values:
            return f"{ROW_NAMES[self.row]}: (no numbers printed)"
        printed = [i.text or "_" for i in cells[cells.index(values[0]) : cells.index(values[-1]) + 1]]
        note = ""
        if len(values) < len(self.keys) and all(v.text.isdigit() for v in values):
            splits = solve.split_tokens([v.text for v in values], len(self.keys), self.constraint)
            if len(splits) == 1:
                printed = [str(v) for v in splits[0]]
            elif 1 < len(splits) <= MAX_CHOICES:
                printed = ["one of:", " / ".join(" ".join(map(str, c)) for c in splits)]
            else:
                note = f" (printed without spaces: {len(self.keys)} numbers)"
        if self.table == "四" and len(printed) == len(self.keys):  # one printed row of 15, shown as its three groups
            return "\n".join(f"R{g + 1} {name}: " + " ".join(printed[g * 5 : g * 5 + 5]) for g, name in enumerate(T4_GROUP_NAMES))
        return f"{ROW_NAMES[self.row]}: " + " ".join(printed) + note


def source_rows(parsed: ParsedTables) -> list[SourceRow]:
    """Every row of every located table, in template order, as the parser found it."""
    return [SourceRow(**vars(row)) for row in parsed.rows]


@dataclass(frozen=True)
class Grounding:
    grounded: bool
    raw: str | None = None
    span: tuple[int, int] | None = None


def ground(row: SourceRow, values: tuple[Value, ...]) -> list[Grounding]:
    """Per cell: is the model's value printed at its place in the row's source?"""
    n = len(row.keys)
    tokens = [i for i in row.items if i.kind == "value"]
    candidates = row.candidates()
    if not candidates:  # the row's tokens allow no reading by position: nothing to ground on
        return [Grounding(False)] * n
    best = max(candidates, key=lambda c: sum(same_value(a, b) for a, b in zip(c, values)))
    spans = _candidate_spans(row, best, tokens)
    return [Grounding(True, *spans[i]) if same_value(best[i], values[i]) else Grounding(False) for i in range(n)]


def _candidate_spans(row: SourceRow, reading: tuple, tokens: list[Item]) -> list[tuple[str | None, tuple[int, int] | None]]:
    """Where each cell of a positional reading was printed: its own token, or the run it was split from."""
    if len(tokens) == len(reading):
        return [(t.text, (t.start, t.end)) for t in tokens]
    interior = [i for i in row.items if i.kind != "text"]
    if len(interior) == len(reading):
        return [(t.text, (t.start, t.end)) for t in interior]
    if tokens:
        run = (" ".join(t.text for t in tokens), (tokens[0].start, tokens[-1].end))
        return [run] * len(reading)
    return [(None, None)] * len(reading)


def same_value(a: Value, b: Value) -> bool:
    """Equal as printed: for the fee, the same decimal string ("7730.28" is not "7730.280")."""
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, Decimal) or isinstance(b, Decimal):
        return str(a) == str(b)
    return a == b
