"""Value tokens: the values, blank cells and label text of a stretch of the page, with their spans."""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from itertools import pairwise

from nianbao.schemas.template import T3_VOCABULARY


@dataclass(slots=True)  # a few hundred a report
class Item:
    kind: str  # value | blank | text
    text: str
    start: int
    end: int


_NUMBER = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?")
_LONGEST_NUMBER = sys.get_int_max_str_digits() or 4300  # int() refuses longer digit strings (0: no limit set)
_ZERO_MARKERS = frozenset({"—", "–", "-", "－", "/", "／", "无", "——", "--", "─", "一"})
# in a glued run a dash or slash between digits is a cell of its own ("0—0" = 0|0|0), and so is 无 glued to a
# digit or another marker (`8900无`, `信息无无`; a label's 无 is not: `（四）无` / `法提供`, 无正当理由). No count is
# printed with a leading zero, so a 0 before digits is a cell of its own too ("025" = 0|25).
_GLUED_VALUE = re.compile(
    r"(?:[1-9]\d{0,2}(?:,\d{3})+|[1-9]\d*|0)(?:\.\d+)?|[—–－/／-]|(?<=[\d—–－/／无-])无|无(?=[\d—–－/／无-])"
)
_ORDINAL = re.compile(r"[1-8]\s*[.、．](?=\s*[\u4e00-\u9fff])")
_CELL_SPLIT = re.compile(r"[\t|]")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_NUMBER_WITH_UNIT = re.compile(r"\s*\d[\d,]*(?:\.\d+)?\s*(?:万元|元|件|条|个|项|次)?\s*")
# a label cell that ends in its row's first number: '…申请数量 71', or glued to a wrapped label's line ('…只计这一情8');
# markitdown prints the cell after it in the same cell, a space between ('情8 1')
_LABEL_THEN_NUMBER = re.compile(r"(.*?)(\s*)((?:[1-9]\d*|0)(?:\s+(?:[1-9]\d*|0))*)\s*")
# what may close a label after its last character: a bracket or a quote, of any shape agencies and OCR print
# ('…不计其他情形）', '危及“三安全一稳定”', '「三安全一稳定」', a straight or a turned quote)
LABEL_CLOSERS = re.escape(")）]】」』》〉”“\"'\u2019\u2018")
_LABEL_END = re.compile(rf"[\u4e00-\u9fff][{LABEL_CLOSERS}]*$")
_ORDINAL_PREFIX = re.compile(r"^\d\s*[.、．]")


def label_fragment(text: str) -> bool:
    """Cell text that is a piece of a template label ("申请", "新出具", "2.其他法律行政法规", letter-spaced or not),
    or pieces of several side by side, or no text at all. markitdown prints the text of neighbouring label columns
    in one cell, a space between (`| 度办理结 法提供 |`: 三、本年度办理结果 and （四）无法提供; `| 理  正、行政机关不2 |`),
    or glued at an ordinal (`_GLUED_PIECES`)."""
    return _pieces(re.sub(r"\s", "", text)) or all(_pieces(word) for word in text.split())


def _pieces(text: str) -> bool:
    return all(_one_piece(piece) for piece in _GLUED_PIECES.split(text))


# where a narrow print glues two labels' pieces: at a bracket (a vertical group label's ordinal before or after a
# leaf's words, whole or a bracket of it: markitdown's `理(三)`, `(三)政法规禁止公`, `（ 六 ）1.申请人无正当`,
# `）1.申请人无正`) or after a section's ordinal (`三、分处理的`)
_GLUED_PIECES = re.compile(r"(?=[（(])|(?<=[）)])|(?<=[一二三四]、)")


def _one_piece(piece: str) -> bool:
    piece = _ORDINAL_PREFIX.sub("", piece)
    return not _CJK.search(piece) or piece in T3_VOCABULARY


def segment_items(text: str, lo: int, hi: int) -> list[Item]:
    """Values, blank cells and label text between two anchors, in page order."""
    items: list[Item] = []
    pos = lo
    lines = text[lo:hi].split("\n")
    for at, line in enumerate(lines):
        line_start = pos
        pos += len(line) + 1
        after = lines[at + 1] if at + 1 < len(lines) else ""
        if wrapped := _wrapped_amount(line, after):
            head = line_start + len(line) - len(line.lstrip())
            indent = len(after) - len(after.lstrip())
            items.append(Item("value", wrapped, head, pos + indent + len(wrapped) - len(line.strip())))
            continue
        if items and items[-1].end > line_start:  # this line's digits end the amount above
            line, line_start = line[items[-1].end - line_start :], items[-1].end
        if _ordinal_alone(line, text, pos):
            head = line_start + len(line) - len(line.lstrip())
            items.append(Item("text", line.strip(), head, head + len(line.strip())))
            continue
        if not line.strip():
            if "\t" in line or "|" in line:
                items.append(Item("blank", "", line_start, line_start + len(line)))
            continue
        cells, offset = [], 0
        for part in _CELL_SPLIT.split(line):
            cells.append((part, line_start + offset))
            offset += len(part) + 1
        delimited = len(cells) > 1  # cells bounded by a tab or a pipe, though only one holds anything
        if len([part for part, _ in cells if not part.isspace() and part]) == 1:  # indentation, not empty cells
            cells = [(p, s) for p, s in cells if p.strip()]
        elif line.lstrip().startswith("|"):  # markdown row: the outer pipes are not cells
            cells = cells[1:-1] if line.rstrip().endswith("|") else cells[1:]
        in_grid = len(cells) > 1
        amounts = _amounts_across_borders(cells) if delimited else {}
        for index, (part, start) in enumerate(cells):
            if index in amounts:  # an amount cut at a cell border, joined
                items.append(amounts[index])
            elif index - 1 in amounts:  # its tail
                continue
            elif part.isdigit() and part.isascii() and (part[0] != "0" or len(part) == 1):  # most cells: one number
                items.append(Item("value", part, start, start + len(part)))
            elif (
                delimited
                and (amount := _WRAPPED_CELL.fullmatch(part))
                and one_amount(amount.group(1), amount.group(3) is not None)
            ):
                joined = amount.group(1) + amount.group(2)
                items.append(Item("value", joined, start + amount.start(1), start + amount.end(2)))
            elif not part.strip():
                items.append(Item("blank", "", start, start + len(part)))
            elif in_grid and _CJK.search(part) and not _cells_in_one(part):
                items.extend(_label_cell(part, start))
            else:
                items.extend(_cell_items(part, start))
    return [Item("text", i.text, i.start, i.end) if _in_label(text, i) else i for i in items]


def _amounts_across_borders(cells: list[tuple[str, int]]) -> dict[int, Item]:
    """Amounts a PDF→markdown converter cut at a column border (pymupdf4llm: `| 75394432.5 | 2元 |`), by the index
    of their head's cell: one number where `one_amount` says so (the head ends in its decimal point, or the tail in
    the unit after a head with its point), as an amount wrapped inside its cell is; its place is its digits' span."""
    amounts: dict[int, Item] = {}
    for index, ((part, start), (after, after_start)) in enumerate(pairwise(cells)):
        head, tail = _AMOUNT_HEAD.fullmatch(part.strip()), _AMOUNT_TAIL.fullmatch(after.strip())
        if head and tail and index - 1 not in amounts and one_amount(head.group(), tail.group().endswith("元")):
            end = after_start + after.index(tail.group(1)) + len(tail.group(1))
            amounts[index] = Item("value", head.group() + tail.group(1), start + part.index(head.group()), end)
    return amounts


def _cells_in_one(part: str) -> bool:
    """A grid cell of numbers with their units and zero markers only: a number, or cells a converter printed in one
    (markitdown: `| 无 997 |` for 无 and 997), never a label that took in its row's first number."""
    return bool(_NUMBER_WITH_UNIT.fullmatch(part)) or all(
        token in _ZERO_MARKERS or _NUMBER_WITH_UNIT.fullmatch(token) for token in part.split()
    )


_ORDINAL_LINE = re.compile(r"\s*[1-8][.、．]\s*")
_LEADING_WORD = re.compile(r"\s*([\u4e00-\u9fff]+)")


def _ordinal_alone(line: str, text: str, after: int) -> bool:
    """An item's ordinal on a line of its own, its label's words beginning the next (pypdfium2, pdftext: `5.` /
    `属于三` / `类内部事务信息`): label text, never a number one too many for the row above."""
    word = _LEADING_WORD.match(text, after)
    return bool(_ORDINAL_LINE.fullmatch(line) and word and word.group(1) in T3_VOCABULARY)


_AMOUNT_HEAD = re.compile(r"[1-9]\d*\.\d*|0\.\d*")
_AMOUNT_TAIL = re.compile(r"(\d+)(?:万元|元)?")


def _wrapped_amount(line: str, after: str) -> str | None:
    """An amount whose digits wrap inside its narrow cell (pdftotext: `35414941.1` over `3元`, or `974.053` over `2`
    where the header names the unit; pypdf begins the second line with a space): a line that is a number with its
    decimal point, and the next line's digits (before the unit, if any), not indented further (a column of its
    own); the amount as one number. Only an amount has a decimal point: a count is never the line above."""
    tail = _AMOUNT_TAIL.fullmatch(after.strip())
    if not (tail and _AMOUNT_HEAD.fullmatch(line.strip()) and not after.startswith(("  ", "\t"))):
        return None
    return line.strip() + tail.group(1)


def one_amount(head: str, unit: bool) -> bool:
    """Whether an amount's two wrapped pieces are one number: where the head ends in its decimal point
    (`78784508.` is no number), or the tail ends in the unit (`unit`) after a head with its decimal point; a head
    and tail of no such evidence (`503.734` / `3`) may be two numbers."""
    return head.endswith(".") or ("." in head and unit)


# an amount wrapped inside its grid cell, the line break a space (opendataloader-pdf: `| 78784508. 25元 |`): one
# number where `one_amount` says so, as a wrapped line's (tables.py `_wrapped_around`)
_WRAPPED_CELL = re.compile(rf"\s*({_AMOUNT_HEAD.pattern})\s+(\d+)(万元|元)?\s*")

_CJK_MARKERS = frozenset({"一", "无"})
_LEFT_WORD = re.compile(r"[\u4e00-\u9fff]{1,2}$")
_RIGHT_WORD = re.compile(r"^[\u4e00-\u9fff]{1,2}")


def _in_label(text: str, item: Item) -> bool:
    """A 一 or 无 that is a character of a template label, not a zero marker: where it reads on with the label
    characters beside it, spaces and line breaks dropped, as a piece of a label. So '三安全一' cut where the
    label's match ends, and label text letter-spaced or printed a character a line as a narrow cell comes out of
    a PDF ('只 计 这 一 情 形', '无 法 提 0 0 …', '无', '法', '提' on lines of their own); a marker glued to a label
    in a flattened page ('规章一一一') reads on as no label."""
    if item.kind != "value" or item.text not in _CJK_MARKERS:
        return False
    left = _LEFT_WORD.search(re.sub(r"\s", "", text[max(0, item.start - 6) : item.start]))
    right = _RIGHT_WORD.search(re.sub(r"\s", "", text[item.end : item.end + 6]))
    # the word on the right may be cut after one character ('无 法' / '供': 无法提供 wrapped around its cell)
    words = ([left.group() + item.text] if left else []) + (
        [item.text + right.group()[:n] for n in (1, 2)] if right else []
    )
    return any(w in T3_VOCABULARY for w in words)


_TOKEN = re.compile(r"\S+")
_CJK_SLASH = re.compile(r"[\u4e00-\u9fff][/／][\u4e00-\u9fff]")
_DIGITS = re.compile(r"\d+")


def _label_cell(cell: str, start: int) -> list[Item]:
    """A label cell ('数据1', '1. 属于…') is text, but for a number it ends in after a space or after a piece of a
    template label: a converter put the row's first value into the label's cell."""
    m = _LABEL_THEN_NUMBER.fullmatch(cell)
    if m and _LABEL_END.search(m.group(1)) and (m.group(2) or label_fragment(m.group(1))):
        numbers = _DIGITS.finditer(cell, m.start(3), m.end(3))
        return [Item("text", m.group(1), start, start + m.end(1))] + [
            Item("value", n.group(), start + n.start(), start + n.end()) for n in numbers
        ]
    return [Item("text", cell, start, start + len(cell))]


def _cell_items(cell: str, start: int) -> list[Item]:
    """The cell's numbers and text; an item's ordinal ('2.其他', or '2. 其他' as pypdf spaces it) is text."""
    items: list[Item] = []
    masked_cell = _ORDINAL.sub(lambda o: "#" * len(o.group()), cell)
    for m in _TOKEN.finditer(masked_cell):
        token, t0, masked = cell[m.start() : m.end()], start + m.start(), m.group()
        if token in _ZERO_MARKERS or (token.isascii() and token.isdigit() and (token[0] != "0" or len(token) == 1)):
            items.append(Item("value", token, t0, t0 + len(token)))  # one number: what the split below finds
            continue
        cursor = 0
        for n in _GLUED_VALUE.finditer(masked):
            if _CJK_SLASH.fullmatch(masked, max(0, n.start() - 1), n.end() + 1) or _wrapped_slash(masked, n):
                continue  # a header's '增/减': a slash between words is no cell
            if n.start() > cursor:
                items.append(Item("text", token[cursor : n.start()], t0 + cursor, t0 + n.start()))
            items.append(Item("value", n.group(), t0 + n.start(), t0 + n.end()))
            cursor = n.end()
        if cursor < len(token):
            items.append(Item("text", token[cursor:], t0 + cursor, t0 + len(token)))
    return items


def _wrapped_slash(token: str, n: re.Match) -> bool:
    """2019 table 二's header `本年增/减` wrapped in its narrow cell at the slash (`本年增/` over `减`, or `本年增` over
    `/减`): the slash ends or begins the token beside the word's other half, and is no cell."""
    return (n.end() == len(token) and token[n.start() - 1 : n.end()] == "增/") or (
        n.start() == 0 and token[: n.end() + 1] == "/减"
    )


def as_number(token: str, decimal: bool = False) -> int | Decimal | None:
    """A cell's number, or None. A token longer than Python reads as an int is none at once: a hostile page's
    megabyte digit run is asked here for every reading, and copying it each time cost seconds."""
    if len(token) > _LONGEST_NUMBER:
        return None
    if token in _ZERO_MARKERS:
        return Decimal(0) if decimal else 0
    plain = token.replace(",", "")
    try:
        return Decimal(plain) if decimal else int(plain)
    except (ValueError, InvalidOperation):
        return None
