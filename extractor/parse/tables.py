"""Tables: read tables 二, 三 and 四 row by row from their label anchors."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from itertools import combinations, groupby, pairwise, permutations, product

from nianbao import solve
from nianbao.check import all_hold, table3_identities
from nianbao.ingest.text import read_across
from nianbao.parse.align import (
    _consistent,
    _line_at,
    align_rows,
    align_runs,
    open_reading,
    reorderings,
    under,
    wrapped_but_one_group,
    wrapped_in_grid,
    wrapped_over_lines,
)
from nianbao.parse.blocks import (
    _NUMBER,
    Spill,
    broken_numbers,
    number_blocks,
    read_bands,
    read_blocks,
    read_joined,
    shared_orders,
    shuffle_cache,
)
from nianbao.parse.flows import flow_readings
from nianbao.parse.labels import (
    _BLOCK_TITLE,
    _T2_BLOCK,
    _T4_HEADER,
    LEGAL_ENTITIES_HEADER,
    Anchor,
    TableSpans,
    _fuzzy,
    find_label,
    find_labels,
    row_end,
)
from nianbao.parse.readings import RowReading, read_row
from nianbao.parse.resolve import (
    _resolve_by_identities,
    _resolve_extra_values,
    finish_joined,
    place_number_rows,
    prose_pick,
    realign_shifted_values,
    settle_by_prose,
    take_rewraps,
)
from nianbao.parse.stream import stream_rows
from nianbao.parse.tokens import LABEL_CLOSERS, Item, as_number, label_fragment, one_amount, segment_items
from nianbao.prose import stated
from nianbao.schemas.keys import (
    FEE_KEY,
    OTHER_SUB_ROWS,
    OTHER_TOTAL_ROW,
    PROCUREMENT_KEY,
    T2_2019_ROWS,
    T2_ROWS,
    T3_COLUMNS,
    T3_ROWS,
    T4_COLUMNS,
    T4_GROUPS,
    T4_KEYS,
    t3_key,
    t4_key,
)
from nianbao.schemas.record import Cell
from nianbao.schemas.template import (
    OTHER_TOTAL_LABEL,
    T2_2019_BLOCKS,
    T2_2019_LABELS,
    T2_BLOCKS,
    T2_LABELS,
    T3_CORP_HEADERS,
    T3_LABELS,
    T4_GROUP_NAMES,
    T4_RESULT_LABELS,
    Label,
    t3_printed_label,
    t3_rows_2019,
)
from pydantic import TypeAdapter


@dataclass
class TableRow:
    """One template row as the page prints it: what the model is shown and what its answers are grounded on."""

    table: str  # 二 三 四
    row: str  # canonical row name; "review_litigation" for the one row of table 四
    keys: tuple[str, ...]  # its cells' canonical keys, in template order
    items: list[Item]  # the value, blank and text tokens of the row
    constraint: Callable | None  # the identity that splits a glued run of this row
    label: Anchor | None = None  # where its label was printed; None when the row is read between its neighbours

    @property
    def decimal_last(self) -> bool:
        return self.keys[-1] == FEE_KEY

    def candidates(self) -> list[tuple]:
        """The positional readings the parser's reader allows for this row's tokens."""
        reading = read_row(
            self.items, len(self.keys), self.constraint, trust_blanks=True, decimal_last=self.decimal_last
        )
        if reading.extra:
            return [solve.drop_one(reading.extra, p) for p in range(len(reading.extra))]
        return reading.candidates


@dataclass
class ParsedTables:
    cells: dict[str, Cell]
    regions: TableSpans
    rows_found: set[str]
    warnings: list[str]
    template: str
    stops_inside_tables: bool = False  # no table 四 and no later section after table 三: a truncated page
    absent: set[str] = field(default_factory=set)  # rows (like found's) whose labels are nowhere on the page
    t3_columns: tuple[str, ...] = T3_COLUMNS  # table 三's printed columns: collapsed ones name `LEGAL_ENTITIES`
    read_rows: Callable[[], list[TableRow]] | None = field(default=None, repr=False, compare=False)

    @cached_property
    def rows(self) -> list[TableRow]:
        """Every row of every located table, in template order: read when the model path first asks
        (the parser path never does, and they cost an eighth of its time)."""
        return self.read_rows() if self.read_rows else []


def _put(cells: dict[str, dict], keys: list[str], reading: RowReading, values: tuple | None) -> None:
    """The row's cells as their fields; `parse_tables` validates them all in one call (`_CELLS`)."""
    for i, key in enumerate(keys):
        flags = set(reading.flags[i]) if reading.flags else set()  # an ambiguous cell keeps why it is
        if values is None:
            flags.add("ambiguous")
        cells[key] = {
            "value": None if values is None else values[i],
            "raw": reading.raw[i] if reading.raw else None,
            "span": reading.spans[i] if reading.spans else None,
            "flags": sorted(flags),
            "candidates": sorted({c[i] for c in reading.candidates}, key=lambda v: (v is None, v))
            if values is None and reading.candidates
            else [],
        }


# One validation of every cell the parser read: a Cell(...) a cell cost a tenth of the stage.
_CELLS = TypeAdapter(dict[str, Cell])


def _rows_between(text: str, anchors: list[Anchor], hi: int, extra: re.Pattern | None = None) -> dict[str, list[Item]]:
    if not anchors:
        return {}
    ends = [a.start for a in anchors[1:]] + [hi]
    return {
        a.row: segment_items(text, a.end, row_end(text, a.end, end, extra))
        for a, end in zip(anchors, ends, strict=True)
    }


_T2_LEFTOVER = re.compile(_fuzzy("第二十条第(九)项") + "|" + _fuzzy("政府集中采购"))


@dataclass(frozen=True)
class Table2Template:
    """Table 二's rows as one template prints them: labels, columns, and the keys they fill."""

    prefix: str
    labels: tuple[Label, ...]
    rows: dict[str, tuple[str, ...]]
    parts: tuple  # its 第二十条第（X）项 blocks: (title, column headers, ((row, label), …))
    decimal_keys: frozenset[str]
    signed: bool
    leftover: re.Pattern | None  # a block of another template that ends the table
    merged_last: frozenset[str] = frozenset()  # rows whose last value cell spans two columns

    @cached_property
    def row_end(self) -> re.Pattern:
        """A table 二 row ends at the next block header or at any item's label (format.md §3.21)."""
        keywords = [_fuzzy(k) for label in self.labels for k in label.keywords]
        return re.compile("|".join([_T2_BLOCK.pattern, *keywords]))

    @cached_property
    def keys(self) -> dict[str, list[str]]:
        """Each row's canonical keys, in its columns' order."""
        return {row: [f"{self.prefix}.{row}.{c}" for c in columns] for row, columns in self.rows.items()}

    def decimal_last(self, row: str) -> bool:
        """Whether the row's last cell is an amount with decimals (the fee, the procurement total)."""
        return self.keys[row][-1] in self.decimal_keys


T2_2021 = Table2Template("active", T2_LABELS, T2_ROWS, T2_BLOCKS, frozenset({FEE_KEY}), False, _T2_LEFTOVER)
T2_2019 = Table2Template(
    "active_2019",
    T2_2019_LABELS,
    T2_2019_ROWS,
    T2_2019_BLOCKS,
    frozenset({PROCUREMENT_KEY}),
    True,
    None,
    frozenset({"fees", "procurement"}),
)


def parse_table2(
    text: str,
    lo: int,
    hi: int,
    trust_blanks: bool,
    cells: dict[str, dict],
    found: set[str],
    section_lo: int | None = None,
    template: Table2Template = T2_2021,
    headed: bool = True,
) -> list[Anchor]:
    """Read table 二; its items count wherever their label is in section 二 (format.md §3.23).

    `headed` is False where the page prints no column header of either template (misread, cut off): a row of
    several columns then has no evidence of which they are (the 2019 trial's 规章 row prints three other
    counts under the same label, format.md §1.4), nor, in a table of the 2019 shape, a one-column row printing
    several numbers (`_unheaded`), so their numbers stay candidates.
    Returns its row anchors in page order, for the later stages."""
    anchors = find_labels(text, template.labels, lo, hi, wrapped=True)
    if anchors and template.leftover and (leftover := template.leftover.search(text, anchors[-1].end, hi)):
        hi = leftover.start()  # a 2019 (九) 政府集中采购 block left in a 2021 table: not a 2021 cell
    stray = stray_items(text, template, anchors, lo if section_lo is None else section_lo, hi)
    anchors = sorted(anchors + stray, key=lambda a: a.start)
    segments = _rows_between(text, anchors, hi, template.row_end)
    taken = {i.start for items in segments.values() for i in items}
    label_of = {a.row: a for a in anchors}
    orphans = pulled_out(text, lo if section_lo is None else section_lo, anchors[0].start if anchors else hi)
    placed = _rows_by_lines(text, anchors, segments, template, lo, hi)
    placed += _numbers_above_labels(text, [a for a in anchors if a.row not in placed], segments, template, lo, hi)
    short = [r for r, items in segments.items() if 0 < _count(items) < len(template.rows[r])]
    doubtful = _above_next_label(anchors, segments, template, placed) | _numbers_apart(
        text, anchors, segments, template, hi
    )
    if not headed:
        doubtful |= _unheaded(segments, template)
    for row, items in segments.items():
        columns = template.rows[row]
        keys = template.keys[row]
        if template.signed:
            items = _signed(items, text, columns)
        repeated, cut_tail = False, None
        woven, across = _woven_under_header(text, items, len(columns)) or (None, False)  # cut where its header is
        if row in template.merged_last and not woven:
            items, repeated, cut_tail = _merged_tail(items, len(columns))
        decimal = template.decimal_last(row)
        cut = len(columns) == 1 and not woven and _cut_at_borders(text, items)
        if cut or woven:
            items = cut or woven
        around = _wrapped_around(text, label_of[row], items, taken) if decimal else None
        printed, items = items, around[0] if around else items
        reading = read_row(items, len(columns), None, trust_blanks=trust_blanks, decimal_last=decimal)
        if around and reading.flags:
            if around[2]:
                reading.flags[-1].append("realigned")  # its first line placed across the label: no identity checks it
            if not around[1]:
                as_printed = read_row(printed, len(columns), None, trust_blanks=trust_blanks, decimal_last=decimal)
                reading.candidates = list(dict.fromkeys(reading.candidates + as_printed.candidates))
        if repeated and reading.flags:
            reading.flags[-1].append("merged_repeat")
        for flags, span in zip(reading.flags, reading.spans, strict=False) if across else ():
            if span and text.count("|", *span):  # its pieces' order: the lines' geometry, no identity checks it
                flags.append("split_from_run")
        if row in placed:
            for flags in reading.flags:
                flags.append("realigned")
        if short == [row] and orphans and not decimal:  # cells pulled out of the table (format.md §3.28)
            reading = _with_orphans(items, orphans, len(columns), reading)
        found.add(f"{template.prefix}.{row}")
        settle_by_prose({row: reading}, lambda _, keys=keys: keys, None, stated(text))
        if keys[-1] == PROCUREMENT_KEY and reading.spans:
            reading.raw[-1] = _with_unit(text, reading.raw[-1], reading.spans[-1])
        values = reading.candidates[0] if len(reading.candidates) == 1 and row not in doubtful else None
        _put(cells, keys, reading, values)
        if cut_tail and values is not None and not _header_repeated(text, label_of[row].start):
            # a repeat or a number cut at the border (its header is cut too, not repeated): its cell stays open
            _open_disagreeing(cells, keys, [values, (*values[:-1], as_number(cut_tail))], keep=False)
        if values is None and row not in doubtful and any("split_from_run" in f for f in reading.flags):
            _open_disagreeing(cells, keys, reading.candidates, keep=False)  # a glued run: its agreed cells are read
    return anchors


def _unheaded(segments: dict[str, list[Item]], template: Table2Template) -> set[str]:
    """The rows of a table 二 under no template's header whose columns nothing tells: those of several columns,
    and in a table of the 2019 trial's shape (a one-column row printing several different numbers, or a signed
    one: 本年增/减) every row, whatever it prints (a glued run is one number). Elsewhere a one-column row printing
    one number several times is a merged cell printed again, as under a header."""
    values = {row: [i.text for i in items if i.kind == "value"] for row, items in segments.items()}
    shaped = any(
        (len(set(texts)) > 1 and len(template.rows[row]) == 1) or any(_SIGNED.match(t) for t in texts)
        for row, texts in values.items()
    )
    return {row for row in segments if shaped or len(template.rows[row]) > 1}


_SIGNED = re.compile(r"[+-]\d")


def _above_next_label(
    anchors: list[Anchor], segments: dict[str, list[Item]], template: Table2Template, placed: list[str]
) -> set[str]:
    """One-number rows whose number may be the next row's printed above its label: the next row, of one number
    too, holds none and is placed by no line (pdfminer with boxes_flow 1: `行政处罚` / `42` / `行政强制`, 42 being
    行政强制's). Table 二 has no identity to tell which: such a row is left open."""
    return {
        a.row
        for a, b in pairwise(anchors)
        if a.row not in placed
        and b.row not in placed
        and len(template.rows[a.row]) == len(template.rows[b.row]) == 1
        and _count(segments[a.row]) == 1
        and _count(segments[b.row]) == 0
    }


_DIGITS_BROKEN = re.compile(r"[1-9]\d*\n\d+")  # a number broken across two lines in its narrow cell (`3` / `0`)
_ONE_NUMBER = re.compile(r"[1-9]\d*(?:\.\d+)?|0\.\d+")
_HEAD_LINE = re.compile(r"[ \t|]*((?:[1-9]\d*|0)(?:\.\d*)?)[ \t|]*")
_TAIL_LINE = re.compile(r"[ \t|]*(\d+)[ \t]*(万元|元)?[ \t|]*")
_DANGLING_POINT = re.compile(r"\.[ \t|]*")
_NO_TEXT = re.compile(r"[\s|:\-]*")  # a blank line, or a markdown table's separator row


def _wrapped_around(
    text: str, label: Anchor, items: list[Item], taken: set[int]
) -> tuple[list[Item], bool, bool] | None:
    """An amount wrapped in its narrow cell whose first line a converter prints above the row's label line and its
    last below: converters that order a page's lines by their tops (pdfplumber, pdftotext -layout, PyMuPDF
    `sort=True`, markitdown) put the label, centred in the taller row, between them (`35414941.1` / `政府集中采购
    0` / `3元`). The head is a lone number on the last line with text before the label's line, in no row, or the
    number before the tail that ends its line in a decimal point (PyMuPDF: `政府集中采购 259525472426.` / `13元`);
    the tail is the row's last number, alone on a line after the label's. The row with the two joined, and whether
    that is the one reading: where the head ends in its decimal point (`78784508.` is no number), or the tail ends
    in the unit after a head with its decimal point; a head and tail of no such evidence (`503.734` / `3`) may be
    two numbers, so both readings stay. The head may also end the label's own line (kreuzberg: `政府集中采购 2006
    86678857.3` / `7元`): joined only where that evidence says one number. Returns the row's items, whether the
    joining is the one reading, and whether the head's placement across the label is a choice no identity checks:
    a head with its decimal point is the table's one amount (no count has decimals), so its place is no choice."""
    values = [i for i in items if i.kind == "value"]
    if not values or values[-1].start < text.find("\n", label.end):
        return None
    tail = values[-1]
    tail_match = _TAIL_LINE.fullmatch(text, *_line_at(text, tail.start))
    if not tail_match:
        return None
    before = values[-2] if len(values) > 1 else None
    if before and _DANGLING_POINT.fullmatch(text, before.end, _line_at(text, before.end)[1]):
        joined = Item("value", f"{before.text}.{tail.text}", before.start, tail.end)
        return [joined if i is tail else i for i in items if i is not before], True, False
    at_end = before and _NO_TEXT.fullmatch(text, before.end, _line_at(text, before.end)[1])
    if at_end and one_amount(before.text, tail_match.group(2) is not None):  # `… 86678857.3` / `7元`
        joined = Item("value", before.text + tail.text, before.start, tail.end)
        return [joined if i is tail else i for i in items if i is not before], True, False
    end = text.rfind("\n", 0, label.start)
    while end > 0 and _NO_TEXT.fullmatch(text, text.rfind("\n", 0, end) + 1, end):
        end = text.rfind("\n", 0, end)
    head_match = end > 0 and _HEAD_LINE.fullmatch(text, text.rfind("\n", 0, end) + 1, end)
    if not (head_match and head_match.start(1) not in taken):
        return None
    head = head_match.group(1)
    joined = Item("value", head + tail.text, head_match.start(1), tail.end)
    certain = one_amount(head, tail_match.group(2) is not None)
    return [joined if i is tail else i for i in items], certain, "." not in head


def _cut_at_borders(text: str, items: list[Item]) -> list[Item] | None:
    """A one-column row's number cut where the columns its merged cell spans meet (pymupdf4llm's table finder
    prints a centred `17994.236096` as `| 17 | 994.236 | 096 |`, `151` as `| 1 | 51 |`, `20517.3` as
    `| 2 | 0517. | 3 |`): pieces of digits side by side in neighbouring cells of one markdown row, no blank cell
    between, that read as one number are that number; the same number in each is the cell printed again. A
    one-column row holds one number, so the joining is no choice: it is read as printed, in pieces."""
    at = [k for k, i in enumerate(items) if i.kind == "value"]
    if len(at) < 2:
        return None
    first, last = items[at[0]], items[at[-1]]
    pieces = [p.strip() for p in text[first.start : last.end].split("|")]
    joined = "".join(pieces)
    if len(set(pieces)) < 2 or not all(re.fullmatch(r"[\d.]+", p) for p in pieces) or not _ONE_NUMBER.fullmatch(joined):
        return None  # one piece, or a merged cell printed again in each column it spans (`| 28 | 28 | 28 |`)
    return [*items[: at[0]], Item("value", joined, first.start, last.end), *items[at[-1] + 1 :]]


def _woven_under_header(text: str, items: list[Item], n: int) -> tuple[list[Item], bool] | None:
    """A markdown row's cell cut at column borders and wrapped over lines (pymupdf4llm: `| 1631 | 50613<br>7 |
    362.6<br> |` under `| 采购项目数量 | 采购总 | 金额 |`, its second line at times the next row's `| | 9 | 元 |`; 2019's
    `| 1 | 3 |` under `| 本年 | 增/减 |`): where the header row above cut a column's header at the same borders, those
    cells are that column's one cell. A cell cut top to bottom holds each line's piece, so the value reads line by
    line across them (50613 362.6 / 7: 50613362.67), the next row's pieces in those cells (and none elsewhere) its
    last line. The row's numbers with that one value, where they are then as many as its columns, and whether its
    pieces were read across lines; None elsewhere. Read across lines, the pieces' order is the geometry's reading,
    not printed, and the value is flagged; a cut on one line reads as printed, in pieces (as `_cut_at_borders`)."""
    values = [i for i in items if i.kind == "value"]
    if len(values) <= n:
        return None
    start = text.rfind("\n", 0, values[0].start) + 1
    row = text[start : _line_end(text, start)]
    above = text.rfind("\n", 0, max(start - 1, 0)) + 1
    header = text[above : max(start - 1, above)]
    if not (_MARKDOWN_ROW.fullmatch(row) and _MARKDOWN_ROW.fullmatch(header)):
        return None
    cells, heads = row.split("|"), header.split("|")
    if len(cells) != len(heads):
        return None
    run = _cut_header(heads)
    if run is None:
        return None
    lo = start + sum(len(c) + 1 for c in cells[: run[0]])
    hi = lo + sum(len(c) + 1 for c in cells[run[0] : run[1]]) - 1
    lines = [c.split() for c in cells[run[0] : run[1]]]
    woven, across = read_across(lines), any(len(piece) > 1 for piece in lines)
    last = (hi, hi)  # where the next row holds the value's last line
    nxt = len(row) + start + 1
    below = text[nxt : _line_end(text, nxt)] if nxt < len(text) else ""
    more = below.split("|")
    if _MARKDOWN_ROW.fullmatch(below) and len(more) == len(cells) and any(c.strip() for c in more[run[0] : run[1]]):
        if any(c.strip() for c in more[: run[0]] + more[run[1] :]):
            return None  # the next row prints more than this value's last line: not read so
        woven, across = woven + "".join(c.strip() for c in more[run[0] : run[1]]), True
        last = (nxt + sum(len(c) + 1 for c in more[: run[0]]), nxt + sum(len(c) + 1 for c in more[: run[1]]) - 1)
    amount = _WOVEN_AMOUNT.fullmatch(woven)
    inside = [v for v in values if lo <= v.start < hi or last[0] <= v.start < last[1]]
    if not amount or len(inside) < 2:
        return None
    kept = [i for i in items if i not in inside]
    if len([i for i in kept if i.kind == "value"]) != n - 1:
        return None
    joined = Item("value", amount.group(1), inside[0].start, inside[-1].end)
    return sorted([*kept, joined], key=lambda i: i.start), across


_WOVEN_AMOUNT = re.compile(r"([+-]?(?:[1-9]\d*|0)(?:\.\d+)?)(?:万元|元)?")


def _cut_header(heads: list[str]) -> tuple[int, int] | None:
    """The run of a header row's cells (as indexes start, end) whose lines read across them are one of table 二's
    column headers (本年增/减 cut as `本年 | 增/减`, 采购总金额 as `采购总 | 金额`), which none of them is alone: that
    column's cell cut at their borders."""
    for i in range(len(heads)):
        for j in range(i + 2, min(len(heads), i + 4) + 1):
            lines = [h.split() for h in heads[i:j]]
            if all(lines) and ((woven := read_across(lines)) in _T2_HEADERS or _AMOUNT_HEADER.fullmatch(woven)):
                return i, j
    return None


_T2_HEADERS = frozenset(
    unicodedata.normalize("NFKC", header)
    for blocks in (T2_BLOCKS, T2_2019_BLOCKS)
    for _, heads, _ in blocks
    for header in heads
)
# the amount columns' headers as agencies vary them (本年收费金额（万元）, 采购总金额（元）)
_AMOUNT_HEADER = re.compile(r"(?:本年)?(?:收费|采购总)金额(?:[(（](?:单位[:：])?万?元[)）])?")


def _line_end(text: str, at: int) -> int:
    end = text.find("\n", at)
    return len(text) if end < 0 else end


def _numbers_apart(
    text: str, anchors: list[Anchor], segments: dict[str, list[Item]], template: Table2Template, hi: int
) -> set[str]:
    """Rows after whose label a number lies in no row, where the table is not printed in its rows' order: a row
    prints no number while numbers after the first label lie in no row (pdfminer prints a group of boxes' labels
    together and their numbers after, a block header between: `行政许可` / `行政处罚` / `行政事业性收费` / `4966` /
    `第二十条第（六）项` / `0` / `9477`, 4966 being 行政许可's). A number after such a label proves nothing, and
    table 二 has no identity to tell: the rows are left open, but an amount with decimals after the amount's
    label (no count has decimals). Rows with no stray number after them read on as printed."""
    if not anchors or all(_count(items) for items in segments.values()):
        return set()
    taken = {i.start for items in segments.values() for i in items if i.kind == "value"}
    numbers = [i for i in segment_items(text, anchors[0].start, hi) if i.kind == "value" and i.text[:1].isdigit()]
    last_stray = max((i.start for i in numbers if i.start not in taken), default=None)
    if last_stray is None:
        return set()
    return {
        a.row
        for a in anchors
        if a.start < last_stray
        and (
            not template.decimal_last(a.row) or [i.text.count(".") for i in segments[a.row] if i.kind == "value"] != [1]
        )
    }


def _rows_by_lines(
    text: str, anchors: list[Anchor], segments: dict[str, list[Item]], template: Table2Template, lo: int, hi: int
) -> list[str]:
    """Table 二 rows printed bare, their labels on lines of their own (format.md §3.27): a run of rows none of
    which holds its own count of numbers (one holds the next row's too, the next none, or a lone row whose
    number is printed above its label). The lines between the rows read before and after the run that print
    numbers are its rows in template order, read only where they are exactly as many as the rows and each
    prints its row's count; a line with numbers and text that is no label of the run leaves the run as it
    is. Returns the rows placed so (flagged realigned)."""
    placed: list[str] = []

    def fits(a: Anchor) -> bool:
        return _count(_signed(segments[a.row]) if template.signed else segments[a.row]) == len(template.rows[a.row])

    i = 0
    while i < len(anchors):
        if fits(anchors[i]):
            i += 1
            continue
        j = next((k for k in range(i, len(anchors)) if fits(anchors[k])), len(anchors))
        run, end = anchors[i:j], anchors[j].start if j < len(anchors) else hi
        start = lo if i == 0 else max([anchors[i - 1].end] + [item.end for item in segments[anchors[i - 1].row]])
        lines = _number_lines(text, start, end, [k for a in run for k in _label_keywords(template, a.row)])
        if lines is not None and len(lines) > len(run):
            lines = _halves_joined(text, lines)
        lone = len(run) == 1 and not _count(segments[run[0].row])
        if (len(run) > 1 or lone) and lines is not None and len(lines) == len(run):
            shaped = [_signed(line) if template.signed else line for line in lines]
            if all(_count(line) == len(template.rows[a.row]) for line, a in zip(shaped, run, strict=True)):
                segments.update((a.row, line) for a, line in zip(run, lines, strict=True))
                placed += [a.row for a in run]
        i = j
    return placed


def _numbers_above_labels(
    text: str, anchors: list[Anchor], segments: dict[str, list[Item]], template: Table2Template, lo: int, hi: int
) -> list[str]:
    """Table 二 rows each printed under its numbers (markitdown's plain text of a narrow print, its labels lower than
    their numbers: `2113` / `行政处罚` / `0` / `行政强制`). In a block (`第二十条第…项` to the next), where lines that
    print only numbers and lines that print only a row's label alternate, numbers first, each numbers line its row's
    count, and no other line prints a number, each row's numbers are the line above its label: read so every number
    in the block has its row, where reading each label's next line leaves the first in none and the last row empty.
    Lines of only numbers one after another are one numbers line (pdfminer without boxes_flow prints a row's three
    counts a line each, then its label: `0` / `0` / `0` / `规章` / `69` / `3` / `665` / `行政规范性文件`).
    Returns the rows placed so (flagged realigned: no identity checks table 二)."""
    placed: list[str] = []
    bounds = [m.start() for m in _T2_BLOCK.finditer(text, lo, hi)] + [hi]
    for start, end in pairwise(bounds):
        rows = [a for a in anchors if start <= a.start < end]
        shape: list[Anchor | list[Item]] = []
        pos = text.find("\n", start, end) + 1 or end
        for line in text[pos:end].split("\n"):
            line_start, pos = pos, pos + len(line) + 1
            here = [a for a in rows if line_start <= a.start < line_start + len(line)]
            items = segment_items(text, line_start, line_start + len(line))
            values = [i for i in items if i.kind != "text"]
            if here and not any(i.kind == "value" for i in items):
                shape.append(here[0])
            elif any(i.kind == "value" for i in items):
                pure = not here and len(values) == len(items)
                if pure and shape and isinstance(shape[-1], list) and shape[-1]:
                    shape[-1] = shape[-1] + values  # a row's numbers a line each (pdfminer): one numbers group
                else:
                    shape.append(values if pure else [])
        numbers, labels = shape[::2], shape[1::2]
        if (
            not rows
            or len(shape) != 2 * len(rows)
            or labels != rows
            or any(
                _count(_signed(line) if template.signed else line) != len(template.rows[a.row])
                for line, a in zip(numbers, rows, strict=True)
            )
        ):
            continue
        segments.update((a.row, line) for a, line in zip(rows, numbers, strict=True))
        placed += [a.row for a in rows]
    return placed


def _label_keywords(template: Table2Template, row: str) -> tuple[str, ...]:
    return next(label.keywords for label in template.labels if label.row == row)


_UNIT = re.compile(r"万?元")


def _number_lines(text: str, lo: int, hi: int, keywords: list[str]) -> list[list[Item]] | None:
    """The lines between lo and hi that print numbers (their values and blank cells), or None where a line
    prints numbers beside text that is no label of these rows (an amount's unit glued to it, `75394432.52元`, or a
    delta's sign, `+1`, is part of the number)."""
    lines: list[list[Item]] = []
    pos = lo
    for line in text[lo:hi].split("\n"):
        start, pos = pos, pos + len(line) + 1
        items = segment_items(text, start, start + len(line))
        if not any(i.kind == "value" and i.text[:1].isdigit() for i in items):
            continue  # a label, a header ('本年增/减'), a block title
        units = {
            b.start for a, b in pairwise(items) if a.kind == "value" and a.end == b.start and _UNIT.fullmatch(b.text)
        }
        units |= {
            a.start for a, b in pairwise(items) if a.text in ("+", "＋") and a.end == b.start and b.kind == "value"
        }
        words = "".join(i.text for i in items if i.kind == "text" and i.start not in units)
        if words and not any(re.search(_fuzzy(k), words) for k in keywords):
            return None
        lines.append([i for i in items if i.kind != "text"])
    return lines


def _halves_joined(text: str, lines: list[list[Item]]) -> list[list[Item]]:
    """A markdown row printed over two lines of its table: markitdown prints the cells of a row whose label is taller
    than its numbers on the line above or below the label's (`| 行政许可 | 396 | 0 | 181 |` / `|  |  | 0 | 153 |` /
    `| 其他对外管理服务事项 | 10 |  |  |`). A bare line and a line right above or below it, of as many cells, the one
    filling exactly cells the other leaves blank, are one row, its cells in their columns. Where a line could be
    joined to either neighbour, it is joined to neither."""
    rows = [_grid_row(text, line) for line in lines]
    pairs = [
        (min(k, j), max(k, j))
        for k, row in enumerate(rows)
        if row and row[2]
        for j in [j for j in (k - 1, k + 1) if 0 <= j < len(rows) and rows[j] and _halves(text, row, rows[j])]
    ]
    pairs = list(dict.fromkeys(pairs))
    used = [k for pair in pairs for k in pair]
    pairs = [pair for pair in pairs if used.count(pair[0]) == used.count(pair[1]) == 1]
    joined = {first: _by_column(text, lines[first] + lines[second]) for first, second in pairs}
    seconds = {second for _, second in pairs}
    return [joined.get(k, line) for k, line in enumerate(lines) if k not in seconds]


def _grid_row(text: str, items: list[Item]) -> tuple[int, int, bool] | None:
    """A markdown row's bounds, and whether it is bare (numbers and blank cells only); None for no markdown row."""
    if not items:
        return None
    start, end = _line_at(text, items[0].start)
    if not _MARKDOWN_ROW.fullmatch(text, start, end):
        return None
    return start, end, _NO_LABEL.fullmatch(text, start, end) is not None


def _halves(text: str, a: tuple[int, int, bool], b: tuple[int, int, bool]) -> bool:
    """Two markdown rows right under each other (`under`), of as many cells, each filling only cells the other leaves
    blank."""
    first, second = sorted([a, b])
    cells = [text[row[0] : row[1]].strip().strip("|").split("|") for row in (first, second)]
    return (
        under(text, first[:2], second[:2])
        and len(cells[0]) == len(cells[1])
        and not any(x.strip() and y.strip() for x, y in zip(*cells, strict=True))
    )


def _by_column(text: str, items: list[Item]) -> list[Item]:
    """Two halves' cells in their columns: the numbers where either prints some, else the blank cell."""
    cells: dict[int, list[Item]] = {}
    for item in items:
        column = cells.setdefault(text.count("|", _line_at(text, item.start)[0], item.start), [])
        if item.kind == "value":
            column[:] = [i for i in column if i.kind == "value"] + [item]
        elif not column:
            column.append(item)
    return [item for c in sorted(cells) for item in cells[c]]


_NO_LABEL = re.compile(r"[\s|\d.,+—–－/／无-]*")  # numbers (signed: 本年增/减) and zero markers


# a cell printed as a number over a note, pulled out of its table by a converter ("5" / "（其中修订3件）")
_PULLED_OUT = re.compile(r"(?m)^[ \t|]*(\d+)[ \t|]*\n?[ \t|]*[（(]\s*其中[^）)\n]*[）)]")


def pulled_out(text: str, lo: int, hi: int) -> list[Item]:
    """Numbers with their parenthetical notes printed in the section above the table's rows (the notes are
    never values)."""
    return [Item("value", m.group(1), m.start(1), m.end(1)) for m in _PULLED_OUT.finditer(text, lo, hi)]


def _count(items: list[Item]) -> int:
    return sum(1 for i in items if i.kind == "value")


def _with_orphans(items: list[Item], orphans: list[Item], n: int, reading: RowReading) -> RowReading:
    """A row printing fewer numbers than columns, when the section holds as many pulled-out numbers as it
    lacks: each way of putting them back among its numbers (in order) is a candidate, beside the row's own
    readings; one distinct reading is read, flagged realigned, several stay ambiguous (prose may decide)."""
    values = [i for i in items if i.kind == "value"]
    if len(values) + len(orphans) != n or not all(v.text.isdigit() for v in values):
        return reading
    if any(None in c for c in reading.candidates):
        return reading  # its blank cells are printed: read as printed
    placements: dict[tuple, list[Item]] = {}
    for at in combinations(range(n), len(orphans)):
        own, extra = iter(values), iter(orphans)
        cells = [next(extra) if i in at else next(own) for i in range(n)]
        placements.setdefault(tuple(int(c.text) for c in cells), cells)
    candidates = sorted(set(placements) | set(reading.candidates))
    if len(candidates) == 1 and candidates[0] in placements:
        cells = placements[candidates[0]]
        return RowReading(candidates, [c.text for c in cells], [(c.start, c.end) for c in cells], [["realigned"]] * n)
    span = (min(c.start for c in orphans + values), max(c.end for c in orphans + values))
    raw = " ".join(c.text for c in orphans + values)
    return RowReading(candidates, [raw] * n, [span] * n, [["realigned"] for _ in range(n)])


def fill_table2(text: str, lo: int, hi: int, spilled: list[Item], cells: dict[str, dict], warnings: list[str]) -> None:
    """Table 二 (2021) as pdftotext's default mode prints it (docs/damage.md): its rows' numbers in the template's
    order, one a line, some before their own label and its last after table 三's title (`spilled`). Read so only
    where table 三 was read from the same stream and the ten numbers are all there; the rows its labels read with
    certainty must agree, and only the rows they left open are filled, flagged `realigned`. The two three-column
    rows may be printed column by column; where the blocks allow both orders and they differ, those stay open.
    pdfminer prints them column by column too, a number on its label's line where the two sit close
    (`行政规范性文件 88`): where the page's evidence (such a number is its row's first cell; the prose's figures)
    contradicts the order the blocks suggest, the other order is read where the evidence allows it."""
    blocks = number_blocks(text, lo, hi)
    values = [v for b in blocks for v in b.values] + spilled
    widths = [len(columns) for columns in T2_2021.rows.values()]
    if len(values) != sum(widths):
        return
    starts = {id(b.values[0]): b.after_text for b in blocks}
    first = values[:6]
    by_row = starts.get(id(first[3])) is not None and (starts[id(first[3])] or len(blocks[0].values) == 3)
    by_column = all(starts.get(id(v)) is not None and not starts[id(v)] for v in first[1:6]) or [
        len(b.values) for b in blocks[:3]
    ] == [2, 2, 2]
    if by_column and not by_row and _headers_apart(text, lo, first[0].start):
        by_row, by_column = True, False  # six single blocks: the header says the grid is printed row by row
    row_major, column_major = list(range(6)), [0, 2, 4, 1, 3, 5]
    orders = [row_major] * (by_row or not by_column) + [column_major] * by_column
    keys_of = T2_2021.keys
    beside = {id(b.values[0]): row for b in blocks if b.labelled and (row := _label_row(text, b.values[0]))}
    figures = stated(text)

    def evidenced(reading: dict[str, list[Item]]) -> bool:
        """No number printed on a label's line is placed but as that row's first cell; no prose figure differs."""
        if any(row != beside.get(id(items[0]), row) for row, items in reading.items() if items):
            return False
        if any(id(i) in beside for items in reading.values() for i in items[1:]):
            return False
        values = {}
        for row, items in reading.items():
            candidates = _as_printed(items, T2_2021, row).candidates
            if len(candidates) == 1:
                values.update(zip(keys_of[row], candidates[0], strict=True))
        return all(f.agrees(values) is not False for f in figures)

    def readings_in(orders: list[list[int]]) -> list[dict[str, list[Item]]]:
        found = []
        for order in orders:
            flat, at, reading = [first[i] for i in order] + values[6:], 0, {}
            for row, width in zip(T2_2021.rows, widths, strict=True):
                reading[row], at = flat[at : at + width], at + width
            found.append(reading)
        return found

    def agrees(reading: dict[str, list[Item]]) -> bool:
        for row, items in reading.items():
            printed = [cells.get(k, {}).get("value") for k in keys_of[row]]
            if None not in printed and _as_printed(items, T2_2021, row).candidates != [tuple(printed)]:
                return False
        return True

    readings = [r for r in readings_in(orders) if agrees(r)]
    if readings and not any(map(evidenced, readings)):  # the page's evidence contradicts the blocks' order
        readings = [r for r in readings_in([o for o in (row_major, column_major) if o not in orders]) if agrees(r)]
    readings = [r for r in readings if evidenced(r)]
    if not readings:  # pdfminer can print the columns in an order of its own (`-F 1`: 现行有效 first)
        readings = [r for r in readings_in(_columns_in_any_order(len(first) // 2)) if agrees(r) and evidenced(r)]
    filled = []
    for row in T2_2021.rows:
        if not readings or all(cells.get(k, {}).get("value") is not None for k in keys_of[row]):
            continue
        options = {tuple(i.start for i in r[row]) for r in readings}
        row_reading = _as_printed(readings[0][row], T2_2021, row)
        if len(options) == 1 and len(row_reading.candidates) == 1:
            row_reading.flags = [[*flags, "realigned"] for flags in row_reading.flags]
            _put(cells, keys_of[row], row_reading, row_reading.candidates[0])
            filled.append(row)
    if filled:
        warnings.append(f"table 二: {len(filled)} rows read in the order pdftotext printed their numbers")


def _headers_apart(text: str, lo: int, hi: int) -> bool:
    """Whether the three-column rows' headers before their first number are printed each on lines of its own, at
    least two of them (pdftotext's default mode: `本年制发件数` / `本年废止件数`, each a block). A converter printing the
    grid column by column prints the header row as one line (pdfminer: `本年制发件数 本年废止件数 现行有效件数`) or
    each header with its column's numbers; headers one after another, apart, are the header row printed cell by
    cell, so the numbers under them, a number a block, are printed row by row too."""
    lines = [re.sub(r"\s", "", line) for line in text[lo:hi].split("\n")]
    headers = T2_BLOCKS[0][1]
    found = [sum(h in line for h in headers) for line in lines]
    return sum(found) >= 2 and max(found) == 1


def _columns_in_any_order(width: int) -> list[list[int]]:
    """Where each cell of two rows is printed (as in fill_table2's orders), the rows printed column by column with
    the columns in any order but the template's (read before): a column's two cells, the next column's, …"""
    return [
        [2 * columns.index(c) + r for r in (0, 1) for c in range(width)]
        for columns in permutations(range(width))
        if list(columns) != list(range(width))
    ]


def fill_table2_2019(text: str, lo: int, hi: int, spilled: list[Item], cells: dict[str, dict], warnings: list[str]):
    """Table 二 (2019 trial) as pdfminer prints it, where table 三 was read from the same stream: each part's two
    three-column rows (规章 and 规范性文件, 行政许可 and 其他对外管理服务事项, 行政处罚 and 行政强制) one number a box,
    a number on its label's line (`其他对外管理服务事项 10`) printed with the labels, before the numbers. Read as
    fill_table2 reads the 2021 table: a number on a label's line is its row's first cell; the others fill the
    parts in the template's order, a part column by column where its numbers follow each other with no text
    between them (or stand in one block a column), row by row where a text line comes before its second row's
    first number (or they stand in one block a row); a part both or neither fit stays as its labels read it.
    Nothing is read where the count differs or a row its labels read disagrees (the last rows, read by their
    labels, may print a cell as no number: `75394432.52元`). Flagged `realigned`; no identity checks them."""
    template = T2_2019
    keys_of = template.keys
    blocks = number_blocks(text, lo, hi)
    values = [v for b in blocks for v in b.values] + spilled
    starts = {id(b.values[0]): b.after_text for b in blocks}
    block_of = {id(v): at for at, b in enumerate(blocks) for v in b.values}
    beside = {(row, 0): v for b in blocks if b.labelled and (row := _label_row(text, v := b.values[0], template))}
    rest = [v for v in values if all(v is not w for w in beside.values())]
    reading: dict[str, list[Item]] = {}
    for _, _, part in T2_2019_BLOCKS:
        rows, width = [row for row, _ in part], len(template.rows[part[0][0]])
        by_rows = [(r, c) for r in rows for c in range(width) if (r, c) not in beside]
        by_columns = [(r, c) for c in range(width) for r in rows if (r, c) not in beside]
        printed, rest = rest[: len(by_rows)], rest[len(by_rows) :]
        if len(printed) < len(by_rows):  # the rest are rows their labels read, or the count differs
            if any(cells.get(k, {}).get("value") is None for row in rows for k in keys_of[row]):
                return
            break
        second = next((at for at, (r, _) in enumerate(by_rows) if r != rows[0]), None)
        runs = [len(list(run)) for _, run in groupby(printed, key=lambda v: block_of.get(id(v)))]
        breaks = [
            bool(starts.get(id(v))) and not _titles_between(text, printed[at - 1], v, beside.values())
            for at, v in enumerate(printed[1:], 1)
        ]
        by_column = second is not None and (
            all(id(v) in starts and not b for v, b in zip(printed[1:], breaks, strict=True))
            or runs == [len(rows)] * width
        )
        by_row = second is None or breaks[second - 1] or runs == [width] * len(rows)
        if by_row != by_column:  # else the part stays as its labels read it
            places = dict(zip(by_rows if by_row else by_columns, printed, strict=True)) | beside
            reading |= {row: [places[row, c] for c in range(width)] for row in rows}
    if rest:
        return
    filled = []
    for row, items in reading.items():
        row_reading = _as_printed(items, template, row)
        printed = [cells.get(k, {}).get("value") for k in keys_of[row]]
        if None not in printed and row_reading.candidates != [tuple(printed)]:
            return  # a row its label reads disagrees: the numbers are not in this order
        if None in printed and len(row_reading.candidates) == 1:
            filled.append((row, row_reading))
    for row, row_reading in filled:
        row_reading.flags = [[*flags, "realigned"] for flags in row_reading.flags]
        _put(cells, keys_of[row], row_reading, row_reading.candidates[0])
    if filled:
        warnings.append(f"table 二: {len(filled)} rows read in the order pdfminer printed their numbers")


_TITLE_LINE = re.compile(r"[\s|]*(?:" + _BLOCK_TITLE.pattern + r")[\s|]*")


def _titles_between(text: str, a: Item, b: Item, beside) -> bool:
    """Whether the text lines between two numbers are only block titles (`第二十条第（六）项`: pdfminer prints the
    next part's title among a part's numbers) and lines of numbers on their labels' lines (`beside`), which say
    nothing of the order of the numbers around them."""
    lines = [(at, line) for at, line in _lines(text, a.end, b.start) if line.strip()]
    return all(_TITLE_LINE.fullmatch(line) or any(at <= v.start < at + len(line) for v in beside) for at, line in lines)


def _lines(text: str, lo: int, hi: int) -> list[tuple[int, str]]:
    """The region's lines (or pieces of lines) with where each begins."""
    found, at = [], lo
    for line in text[lo:hi].split("\n"):
        found.append((at, line))
        at += len(line) + 1
    return found


def _as_printed(items: list[Item], template: Table2Template, row: str) -> RowReading:
    """A row's numbers from a stream read one a cell, as printed (blank markers trusted)."""
    return read_row(items, len(items), None, trust_blanks=True, decimal_last=template.decimal_last(row))


def _label_row(text: str, item: Item, template: Table2Template = T2_2021) -> str | None:
    """The table 二 row whose label is printed on the number's line, before it."""
    words = text[text.rfind("\n", 0, item.start) + 1 : item.start]
    ends = {
        label.row: max(m.end() for k in label.keywords for m in re.finditer(_fuzzy(k), words))
        for label in template.labels
        if any(re.search(_fuzzy(k), words) for k in label.keywords)
    }
    return max(ends, key=ends.get) if ends else None  # the label nearest the number


def fill_fee(spilled: list[Item], cells: dict[str, dict], warnings: list[str]) -> None:
    """Table 二's fee as pdftotext's default mode can print it: after table 三's title, the one number before table
    三's first label where table 三 is read one row a label (each row holding exactly its numbers) and the fee's
    row printed none. Flagged `realigned`; no identity checks it."""
    if len(spilled) != 1 or cells.get(FEE_KEY, {}).get("value") is not None:
        return
    reading = read_row(spilled, 1, None, trust_blanks=True, decimal_last=True)
    if len(reading.candidates) == 1:
        reading.flags = [[*flags, "realigned"] for flags in reading.flags]
        _put(cells, [FEE_KEY], reading, reading.candidates[0])
        warnings.append("table 二: the fee printed after table 三's title is read as the fee")


_UNIT = re.compile(r"\s*(万元|元)")


def _with_unit(text: str, raw: str | None, span: tuple[int, int]) -> str | None:
    """An amount's raw text with the unit printed inside its cell ("75394432.52元", format.md §3.16)."""
    unit = _UNIT.match(text, span[1])
    return raw + unit.group(1) if raw and unit else raw


def stray_items(text: str, template: Table2Template, anchors: list[Anchor], lo: int, hi: int) -> list[Anchor]:
    """Table 二 items printed outside the table's row order (above its heading, between its parts).

    An occurrence counts only where its value follows the label directly and reads as exactly the
    row's values: prose that mentions the same words ("行政许可类信息69条") is not a row.
    """
    taken = [(a.start, a.end) for a in anchors]
    found: list[Anchor] = []
    for label in template.labels:
        if any(a.row == label.row for a in anchors):
            continue
        occurrences = sorted((m.start(), m.end()) for k in label.keywords for m in re.finditer(_fuzzy(k), text[lo:hi]))
        for start, end in ((lo + s, lo + e) for s, e in occurrences):
            if any(s <= start < e or s < end <= e for s, e in taken):
                continue
            items = segment_items(text, end, row_end(text, end, hi, template.row_end))
            items = _signed(items) if template.signed else items
            n = len(template.rows[label.row])
            reading = read_row(items, n, None, trust_blanks=False, decimal_last=template.decimal_last(label.row))
            first = next((i for i in items if not (i.kind == "text" and _SEPARATOR.fullmatch(i.text))), None)
            split = any("split_from_run" in flags for flags in reading.flags)  # prose's "文件21件，废止0件"
            if first and first.kind == "value" and len(reading.candidates) == 1 and not split:
                found.append(Anchor(label.row, start, end))
                taken.append((start, end))
                break
    return found


_SEPARATOR = re.compile(r"[:：]+")


def _merged_tail(items: list[Item], n: int) -> tuple[list[Item], bool, str | None]:
    """A last cell merged across two columns and emitted twice ("0 | -21 | -21"): read once. Where the two pieces
    also read as one number a converter cut at the column border (pymupdf4llm: `| 3 | 3 |` for 33, as it cuts the
    header `本年增/减` into `本年 | 增/减`), that number is returned too: nothing on the row tells the two apart (a
    header row cut so above it does: `_woven_under_header`)."""
    values = [i for i in items if i.kind == "value"]
    if len(values) == n + 1 and values[-1].text == values[-2].text:
        joined = values[-2].text + values[-1].text
        cut = joined if joined.isdigit() and joined.isascii() and joined[0] != "0" else None
        return [i for i in items if i is not values[-1]], True, cut
    return items, False, None


def _header_repeated(text: str, at: int) -> bool:
    """Whether the header line above the row at `at` prints its last cell twice (`| 本年增/减 | 本年增/减 |`): the
    converter repeats a merged cell's text in each column it spans, so the row's equal last two values are one
    value repeated. A converter that cuts the merged cell at the column border cuts its header too (`| 本年 | 增/减 |`)."""
    lines = [line for line in text[: text.rfind("\n", 0, at) + 1].split("\n")[-6:] if line.strip()]
    if not lines:
        return False
    cells = [c.strip() for c in re.split(r"\||\t| {2,}", lines[-1]) if c.strip()]
    return len(cells) >= 2 and cells[-1] == cells[-2] and not cells[-1][:1].isdigit()


def _signed(items: list[Item], text: str = "", columns: tuple[str, ...] = ()) -> list[Item]:
    """A sign glued to the number after it is one signed value (2019's 本年增/减: "-18", "+1036"). So is a sign
    alone in its grid cell with the number in the next (pymupdf4llm cuts a centred `-40` at the column border:
    `| - | 40 |`) where the row (`text` given) prints one value more than its `columns` and the sign stands where
    the signed column (`delta`) is: a dash there is no zero cell, or the row would print a value too many."""
    merged: list[Item] = []
    spare = _count(_signed(items)) - len(columns) if text and "delta" in columns else 0  # after the glued signs
    for item in items:
        sign = merged[-1] if merged else None
        signs = sign is not None and sign.text in ("-", "－", "+", "＋")
        glued = signs and sign.end == item.start
        cut = (
            signs
            and spare == 1
            and text[sign.end : item.start].strip() == "|"
            and _count(merged) - 1 == columns.index("delta")
        )
        if item.kind == "value" and item.text[:1].isdigit() and (glued or cut):
            signed = ("-" if sign.text in ("-", "－") else "") + item.text
            merged[-1] = Item("value", signed, sign.start, item.end)
            spare -= cut
            continue
        merged.append(item)
    return merged


def parse_table3(*args, **kwargs) -> tuple[list[Anchor], tuple[str, ...]]:
    """_parse_table3, its searches' page band readings shared (shuffle_cache)."""
    with shuffle_cache():
        return _parse_table3(*args, **kwargs)


def _parse_table3(
    text: str,
    lo: int,
    hi: int,
    trust_blanks: bool,
    cells: dict[str, dict],
    found: set[str],
    warnings: list[str],
    table4_end: int | None = None,
    spill: Spill | None = None,
) -> tuple[list[Anchor], tuple[str, ...]]:
    """Reads table 三's cells; returns its row anchors (the 2019 single （六） row included) and its printed
    columns, for the later stages.

    Where the table is read from pdftotext's number stream (docs/damage.md), the numbers of tables 二 and 四 printed
    among its own go into `spill`."""
    spill = Spill() if spill is None else spill
    anchors = find_labels(text, T3_LABELS, lo, hi, stretch=True, in_cells=True)
    rows = [a.row for a in anchors]
    if not any(r.startswith("other.") for r in rows) and "total_processed" in rows:
        # 2019-style single （六）其他处理 row (format.md §1.4)
        before = max((a.end for a in anchors if a.row.startswith("not_processed.")), default=lo)
        total = next(a for a in anchors if a.row == "total_processed")
        single = find_label(text, OTHER_TOTAL_LABEL, before, total.start)
        if single:
            anchors.insert(anchors.index(total), single)
            warnings.append("table 三 prints the 2019 single （六）其他处理 row; read as applications.other_total")
    segments = _rows_between(text, anchors, hi, _T4_HEADER)
    columns = _t3_columns(text, lo, segments)
    n, constraint = len(columns), solve.row_total_holds if columns[-1] == "total" else None
    clipped = columns == T3_COLUMNS[:-1]
    if clipped:
        warnings.append("table 三's 总计 column is cut off at the page's edge; read the six columns it prints")
    elif columns != T3_COLUMNS:
        warnings.append(
            f"table 三 prints its legal-entity columns as one ({' | '.join(columns)}); read what it determines"
        )
    keys_of = lambda r: t3_printed_keys(r, columns)  # noqa: E731
    order = t3_rows_2019() if any(a.row == OTHER_TOTAL_ROW for a in anchors) else list(T3_ROWS)
    aligned, banded = None, False
    if any(len(_values(segments.get(r, []))) != n for r in order):  # not one row a label: maybe in blocks
        spans = [(lo, len(text), len(T4_KEYS))] + [(lo, table4_end, len(T4_KEYS))] * (table4_end is not None)
        spans.append((lo, hi, 0))
        # else table 四 with a few of its cells not in the text (pdftotext takes a lone `-` at a line's end for a
        # word break): its count short by them, read only where the identities confirm it
        short = [(lo, len(text), len(T4_KEYS) - dropped) for dropped in range(1, MAX_T4_DROPPED + 1)]
        orders = [_printed_order(text, lo, table4_end or hi)]
        checks = (constraint, table3_identities, keys_of)
        labelled = _on_label_lines(text, anchors)
        blocks = read_blocks(text, spans, orders, n, *checks, labelled=labelled, title=hi) or read_blocks(
            text, short, orders, n, *checks, consistent_only=True, labelled=labelled, title=hi
        )
        decided = blocks.alignment.segments if blocks and not blocks.alignment.open else None
        # a row a line over several lines each (very narrow paper, docs/damage.md) can look like blocks: where the
        # blocks leave rows open and the lines place every row consistently, the lines are the reading
        settled = bool(decided) and _consistent(decided, n, *checks)  # a band read in no way, or read wrong,
        joins = [] if settled else broken_numbers(text, lo, len(text))
        if joined := joins and read_joined(text, spans, orders, n, checks, labelled, hi, joins):
            blocks, decided, settled = joined, joined.alignment.segments, True  # a number broken across lines
        lines = None if settled else align_rows(text, anchors, order, lo, hi, n, *checks)
        if lines and not lines.open and _consistent(lines.segments, n, *checks, lines.options):
            aligned, blocks = lines, None
        elif not settled:  # spoils the rest
            bands = read_bands(text, spans, orders, n, *checks, labelled=labelled)
            more = len(bands.alignment.segments) > len(blocks.alignment.segments) if bands and blocks else True
            if bands and (decided or more) and _consistent(bands.alignment.segments, n, *checks):
                blocks, banded = bands, True
                warnings.append("table 三 read band by band: the rows of bands no reading decides are left open")
        if blocks:
            order, aligned = blocks.order, blocks.alignment
            if not aligned.open:  # where table 三 ends in the stream is certain only where its rows are
                spill.before[:], spill.after[:], spill.read = blocks.spill.before, blocks.spill.after, True
                cells_read = [i for items in aligned.segments.values() for i in items]
                # any cell of table 三 printed after table 四's header begins (taken from among its numbers, or a
                # last row's cell printed late) may be any of equal numbers there, whatever reading placed it
                others = shared_orders(cells_read, spill.after, _t4_header(text, hi))
                spill.after[:], spill.others[:] = ([], []) if others is None else (spill.after, others)
                first, last = (spill.after[0].start, spill.after[-1].start) if spill.after else (0, 0)
                spill.among = any(first < i.start < last for i in cells_read)
                spill.claimed = frozenset(i.start for i in cells_read)
            spill.blocks = True
            warnings.append("table 三 is printed in blocks (pdftotext's default mode); read band by band")
    elif anchors:  # one row a label: the numbers between its title and first label are no cell of table 三
        spill.before[:] = [v for b in number_blocks(text, lo, anchors[0].start) for v in b.values]
    aligned = aligned or align_rows(text, anchors, order, lo, hi, n, constraint, table3_identities, keys_of)
    if not (aligned or spill.blocks) and 2 * sum(len(_values(segments.get(r, []))) == n for r in order) <= len(order):
        # the labels place at most half the rows: maybe runs of number lines among their pieces, in row order
        aligned = align_runs(text, lo, hi, order, n, constraint, table3_identities, keys_of)
    printed = segments  # each row as printed after its own label
    if aligned:
        realigned = [
            r
            for r, items in aligned.segments.items()
            if r not in aligned.labelled and _values(items) != _values(segments.get(r, []))
        ]
        segments = {
            r: aligned.segments.get(r, segments.get(r, [])) for r in order if r in segments or r in aligned.segments
        }
    else:
        apart = _apart_in_partly_labelled(text, anchors, segments, lo, hi)  # as printed, before any dealing
        realigned = place_number_rows(text, segments) or realign_shifted_values(segments, n, constraint)
        realigned += [r for r in apart if r not in realigned]
    if not aligned or aligned.labelled:  # rows read after their own labels
        later = _after_a_later_label(text, anchors, order) + _after_an_unknown_label(text, anchors, segments)
        later += _text_among_values(segments, n)
        realigned += [r for r in dict.fromkeys(later) if r in segments and r not in realigned]
    own = _labels_place(text, anchors, lo, hi, n, constraint)
    segments, own, doubted = _by_labels(segments, own, order)
    realigned = [r for r in realigned if r not in own]
    if realigned:
        warnings.append(
            f"table 三: values of {len(realigned)} rows were printed beside other labels; realigned in page order"
        )
    glued = any(_touching(items) for items in segments.values())  # a flattened page: digit runs cut into cells
    readings = {
        r: read_row(items, n, constraint, trust_blanks=trust_blanks, extra=constraint is not None, glued=glued)
        for r, items in segments.items()
    }
    for row, options in aligned.options.items() if aligned else ():  # a wrapped number's places: the identities'
        readings[row].candidates = list(
            dict.fromkeys(c for items in options for c in read_row(items, n, constraint, trust_blanks=True).candidates)
        )
    stream_moved = (
        _moved_from_printed(text, readings, printed, anchors, realigned, n, constraint, trust_blanks)
        if aligned and spill.blocks  # read from the number stream (a partly labelled page's bare rows are not moved)
        else {}
    )
    loose = [r for r, items in segments.items() if _loose(text, items, readings[r], n)]
    if loose and sum(bool(_MARKDOWN_ROW.match(_line(text, a.end))) for a in anchors) > len(segments) // 2:
        for row in loose:  # a few rows a markdown table's finder missed
            _reorderings(readings[row], n, constraint)
        realigned += loose
    late = _cell_after_total(text, segments, readings, n, constraint) if constraint else {}
    realigned += [r for r in late if r not in realigned]
    for row, others in doubted.items():  # the labels place numbers another row's reading holds: both readings stay
        reading = readings[row]
        more = [c for items in others for c in read_row(items, n, constraint, trust_blanks=True).candidates]
        reading.candidates = list(dict.fromkeys([*reading.candidates, *more]))
        realigned += [row] * (row not in realigned)
    for row in realigned:
        for flags in readings[row].flags:
            flags.append("realigned")
    for reading in readings.values():  # a number broken across two lines read joined (read_joined): a boundary chosen
        for span, flags in zip(reading.spans, reading.flags, strict=False):
            if span and "\n" in text[span[0] : span[1]] and _DIGITS_BROKEN.fullmatch(text[span[0] : span[1]]):
                flags.append("split_from_run")
    if aligned and aligned.open:
        warnings.append(
            f"table 三: {len(aligned.open)} rows printed apart from their labels fit several placements; left ambiguous"
        )
        for row, options in aligned.open.items():
            readings[row] = open_reading(options, n, constraint, trust_blanks)
        readings = {r: readings[r] for r in order if r in readings}
    found.update(f"applications.{row}" for row in readings)
    if constraint:
        _resolve_extra_values(readings, constraint, warnings, "table 三")
    _resolve_by_identities(readings, keys_of, table3_identities)
    take_rewraps(readings, keys_of, table3_identities)
    for row, orders in late.items():  # the order the identities chose: the cells' texts and places go with them
        if len(readings[row].candidates) == 1 and readings[row].candidates[0] in orders:
            _reorder(readings[row], orders[readings[row].candidates[0]])
    # a band's rows are placed by its numbers' count alone: a figure the prose gives for one row is no evidence for
    # the reading it comes with
    if not banded and settle_by_prose(readings, keys_of, constraint, stated(text)):
        _resolve_by_identities(readings, keys_of, table3_identities)
    finish_joined(readings)
    if constraint:
        _reordered(readings, _text_among_values(segments, n), keys_of)
    for group in _labels_out_of_order(text, anchors, order, lo, hi) + _stacked_out_of_order(
        text, anchors, order, lo, hi, n
    ):
        if not set(group) <= own:  # rows their own labels place are read so
            _swapped_rows(readings, group, keys_of)
    unplaced = aligned.unplaced if aligned else set()  # a row some alignment leaves unprinted stays open
    if order == list(T3_ROWS) and columns == T3_COLUMNS:
        decided = _read_as_stream(text, lo, hi, readings, unplaced, keys_of, constraint, spill)
        found.update(f"applications.{row}" for row in decided)
        unplaced = unplaced - set(decided)
        for row in decided:
            stream_moved.pop(row, None)
            if aligned:
                aligned.unchecked.pop(row, None)
    for row, reading in readings.items():
        certain = len(reading.candidates) == 1 and row not in unplaced
        read: dict[str, dict] = {}
        _put(read, keys_of(row), reading, reading.candidates[0] if certain else None)
        cells.update((k, v) for k, v in read.items() if not k.endswith(LEGAL_ENTITIES))  # the sum is no key
    for row, others in aligned.unchecked.items() if aligned else ():  # counted where no identity tells: kept,
        for c, key in enumerate(keys_of(row)):  # its other readings its candidates, so the record does not stand
            cell = cells.get(key)  # behind it
            if cell and cell["value"] is not None and len(seen := {cell["value"], *(o[c] for o in others)}) > 1:
                cell["candidates"] = sorted(seen)
    # the stream's reading against the row as printed: kept, not stood behind
    for row, as_printed in stream_moved.items():
        for key, value in zip(keys_of(row), as_printed, strict=True):
            cell = cells.get(key)
            if cell and cell.get("value") is not None and cell["value"] != value:
                cell["candidates"] = sorted({cell["value"], value, *cell.get("candidates", ())})
    if columns != T3_COLUMNS:  # the columns the page does not print are no cells of it (format.md §3.29)
        unprinted = [t3_key(row, c) for row in order for c in T3_COLUMNS if c not in columns]
        cells.update((key, {"flags": ["clipped" if clipped else "collapsed", "not_found"]}) for key in unprinted)
    return anchors, columns


_MARKDOWN_ROW = re.compile(r"(?m)^[ \t]*\|.*\|[ \t]*$")


def _read_as_stream(
    text: str, lo: int, hi: int, readings: dict[str, RowReading], unplaced: set[str], keys_of, constraint, spill: Spill
) -> list[str]:
    """Where the rows as read leave table 三 open on a page that prints it a number a line (pdftotext's default
    mode), its numbers read as one stream (nianbao.parse.stream): the rows it reads otherwise are replaced and
    flagged `realigned`, and the numbers before its first cell are table 二's (`spill`), as where the blocks read
    it. Returns the rows the stream decided (every row, or none), which no other reading then doubts."""
    values: dict[str, int] = {}
    for row, reading in readings.items():
        if len(reading.candidates) != 1 or row in unplaced:
            break
        values.update(zip(keys_of(row), reading.candidates[0], strict=True))
    else:
        if len(readings) == len(T3_ROWS) and all_hold(table3_identities(values), values):
            return []  # read and consistent
    numbers = [i for i in segment_items(text, lo, hi) if i.kind == "value"]
    items = [i for i in numbers if "." not in i.text]  # a decimal is no count: table 二's amount under the title
    per_line = Counter(text.count("\n", lo, i.start) for i in items).values()
    if sum(k == 1 for k in per_line) < 0.9 * len(per_line):
        return []  # a row a line: its labels and cells say where its numbers go (the stream is a cut page's)
    if sum(len(block.widths) > 1 for block in number_blocks(text, lo, hi)) >= len(T3_COLUMNS):
        return []  # a band printed column by column (a column a block of lines): the stream is not in row order
    rows = stream_rows(items, list(T3_ROWS), len(T3_COLUMNS), table3_identities, keys_of)
    if not rows:
        return []
    for row, cells in rows.items():
        reading = read_row(cells, len(T3_COLUMNS), constraint, trust_blanks=True)
        now = readings.get(row)
        if now and row not in unplaced and now.candidates == reading.candidates:
            continue
        for flags in reading.flags:
            flags.append("realigned")
        readings[row] = reading
    spill.before[:] = [i for i in numbers if i.start < items[0].start]
    spill.read = True
    return list(rows)


def _t4_header(text: str, title: int) -> int:
    """Where table 四's header begins after its title (at `title`): its first line with a result's word; the title
    where none is found. Table 四 prints no number above its header, so a number between is table 三's."""
    header = _T4_HEADER_WORD.search(text, title)
    return text.rfind("\n", title, header.start()) + 1 or title if header else title


_T4_HEADER_WORD = re.compile("维持|纠正|结果|审结|尚未")


def _loose(text: str, items: list[Item], reading: RowReading, n: int) -> bool:
    """A row printed one number a line, none blank."""
    values = [i for i in items if i.kind == "value"]
    if len(values) != n or len(reading.candidates) != 1 or None in reading.candidates[0]:
        return False
    return _a_line_each(text, values)


def _a_line_each(text: str, values: list[Item]) -> bool:
    """Whether every number is printed alone on its line: a converter's box each, in its order, not the grid's."""
    return all(_line(text, v.start).strip() == v.text for v in values)


def _in_boxes(text: str, values: list[Item]) -> bool:
    """Whether no line holds more than two of the numbers: a converter's box each (two where their boxes touch,
    pdftotext's `201 238`), in its order, not the grid's, whose rows print a group's five numbers a line."""
    return all(len(_NUMBER_ON_LINE.findall(_line(text, v.start))) <= 2 for v in values)


_NUMBER_ON_LINE = re.compile(r"(?<![\d.])\d[\d,]*(?:\.\d+)?")


def _reorderings(reading: RowReading, n: int, constraint) -> None:
    """A row of a markdown table printed outside it, one number a line: pymupdf4llm prints a row its table finder
    missed as text lines in its own order (by the glyphs' tops: a '1' stands lower than a '0'), not the table's.
    Its readings are the orders of its numbers that keep the row total; the identities choose (one: read, several:
    ambiguous)."""
    printed = reading.candidates[0]
    orders = {p for p in permutations(printed) if constraint is None or constraint(p)}
    reading.candidates = sorted(orders, key=lambda p: p != printed)
    raw, span = " ".join(reading.raw), (reading.spans[0][0], reading.spans[-1][1])
    reading.raw, reading.spans = [raw] * n, [span] * n


_BARE_LINE = re.compile(rf"[ \t|]*{_NUMBER}(?:[ \t|]+{_NUMBER})+[ \t|]*")


def _apart_in_partly_labelled(
    text: str, anchors: list[Anchor], segments: dict[str, list[Item]], lo: int, hi: int
) -> list[str]:
    """Rows whose numbers are not on their own label's line, in a table that prints some rows label and numbers on
    one line and some as a line of numbers alone (partly labelled, format.md §3.27): whether a bare line belongs to
    the label before it or after it, and a line under a label the template does not know to the row above, is an
    order alignment the page does not print, so such a row is only as good as the identities that check it."""
    lines = text[lo:hi].split("\n")
    if not any(_BARE_LINE.fullmatch(line) for line in lines):
        return []
    apart, beside = [], False
    for anchor in anchors:
        values = [i for i in segments.get(anchor.row, []) if i.kind == "value"]
        if values:
            on_its_line = "\n" not in text[anchor.end : values[0].start]
            beside |= on_its_line
            if not on_its_line:
                apart.append(anchor.row)
    return apart if beside else []


def _moved_from_printed(
    text: str,
    readings: dict[str, RowReading],
    printed: dict[str, list[Item]],
    anchors: list[Anchor],
    moved: list[str],
    n: int,
    constraint,
    trust_blanks: bool,
) -> dict[str, tuple]:
    """The rows a reading of the number stream moved that print, right after their own label, their n numbers and
    nothing else between them (no header word, page number or label: pdftotext's flows interleave those), right
    after numbers (the label's own ordinal between: a label stacked on another label or a header word is no
    evidence), and keep the row total as
    printed (not all zero: zeros keep any row's), with that printed reading. The stream's reading is chosen because
    every identity holds with it; where the report's own arithmetic is wrong (a column sum off, format.md §2.1),
    moving cells between columns or rows can make them hold, and nothing tells the two readings apart (a pdftotext
    page whose rows print each after its label, one column sum the agency's error: `3 无 0 无 无 0 3` read as
    0 … 3 … 3). The cells they disagree on keep the stream's value with the printed one as a candidate, so the
    record does not stand behind them."""
    if constraint is None:
        return {}
    label = {a.row: a for a in anchors}
    found = {}
    for row in moved:
        items = printed.get(row, [])
        if row not in readings or row not in label:
            continue
        before = segment_items(text, max(0, label[row].start - 400), label[row].start)
        last = max((k for k, i in enumerate(before) if i.kind == "value"), default=None)
        cell = max((k for k, i in enumerate(before) if i.kind != "text"), default=None)  # a zero marker is a cell
        if last is None or not _LABEL_ORDINAL.fullmatch(text, before[cell].end, label[row].start):
            continue
        head = [i for i in items if i.kind != "blank"][:n]
        if len(_values(items)) != n or len(head) < n or any(i.kind != "value" for i in head):
            continue
        own = read_row(head, n, constraint, trust_blanks=trust_blanks).candidates
        if len(own) == 1 and any(own[0]) and own[0] not in readings[row].candidates:
            found[row] = own[0]
    return found


# between a row's label and the numbers before it: space, and the label's own ordinal on its line (`（六）` where the
# label found is `其他处理`), no other text
_LABEL_ORDINAL = re.compile(r"\s*(?:(?:[（(]\s*[一二三四五六七八九十]+\s*[)）]|[1-9]\s*[.．、])[^\S\n]*)?")


def _cell_after_total(
    text: str, segments: dict[str, list[Item]], readings: dict[str, RowReading], n: int, constraint
) -> dict[str, dict[tuple, tuple[int, ...]]]:
    """Rows printed a number a line (pdftotext's blocks, a cell each) whose row total fails as printed but holds with
    the last number put back before the total: pdftotext can print a narrow cell after its row's total (`0` / `0` /
    `0` / `0` / `3` / `3` / `0` for 0 0 0 0 0 3 3). Each such reading becomes a candidate beside the printed one, so
    the column identities choose (none, or several, leave the row open, never read as printed and stood behind);
    returned: row -> each moved reading and its order (the column of each printed place, as `_reorder` takes it)."""
    found: dict[str, dict[tuple, tuple[int, ...]]] = {}
    for row, items in segments.items():
        reading, values = readings[row], [i for i in items if i.kind == "value"]
        if len(values) != n or len(reading.candidates) != 1 or not _a_line_each(text, values):
            continue
        printed = reading.candidates[0]
        if None in printed or constraint(printed):
            continue
        moved = {}
        for j in reversed(range(n - 1)):  # the last number is column j's, the number before it the total (equal
            # numbers: the fewest cells moved)
            places = (*range(j), n - 1, *range(j, n - 2), n - 2)  # each column's printed place
            cells = tuple(printed[i] for i in places)
            if constraint(cells):
                moved.setdefault(cells, tuple(places.index(at) for at in range(n)))
        if moved:
            found[row] = moved
            reading.candidates = [printed, *moved]
    return found


def _text_among_values(segments: dict[str, list[Item]], n: int) -> list[str]:
    """Rows read after their label, its `n` numbers with text between them (pdftotext prints table 三's header
    pieces among a row's numbers where the table breaks across a page, and moves a cell past them): the printed
    order is then the converter's, so the row is only as good as the identities that check it."""
    return [
        row
        for row, items in segments.items()
        if len(at := [i for i, item in enumerate(items) if item.kind == "value"]) == n
        and any(item.kind == "text" for item in items[at[0] : at[-1]])
    ]


def _reordered(readings: dict[str, RowReading], rows: list[str], keys_of) -> None:
    """Rows with header pieces among their numbers (_text_among_values) in the columns' order, where the readings
    as printed satisfy no identity: each order of such a row's cells that satisfies every identity is its reading
    (nianbao.parse.align.reorderings). One is read; several leave the rows they disagree on open."""
    if not rows or any(len(r.candidates) != 1 for r in readings.values()):
        return
    values = {k: v for row, r in readings.items() for k, v in zip(keys_of(row), r.candidates[0], strict=True)}
    if all_hold(table3_identities(values), values):
        return
    found = reorderings(values, rows, keys_of, table3_identities)
    for row in dict.fromkeys(r for r, _ in found):
        reading, turns = readings[row], [turn for r, turn in found if r == row]
        printed = reading.candidates[0]
        if len(found) == 1:  # the cells' texts and places go with them
            reading.raw, reading.spans = ([cells[i] for i in turns[0]] for cells in (reading.raw, reading.spans))
        others = len(turns) < len(found)  # another row read otherwise: this one may be as printed
        reading.candidates = sorted({tuple(printed[i] for i in t) for t in turns} | ({printed} if others else set()))


def _line(text: str, at: int) -> str:
    return text[text.rfind("\n", 0, at) + 1 : _line_end(text, at)]


MAX_T4_DROPPED = 5  # table 四's zero markers pdftotext can drop (the one-line hyphens `-` of a group's cells)
LEGAL_ENTITIES = "legal_entities"  # the five 法人或其他组织 columns printed as one (format.md §3.29)


def _on_label_lines(text: str, anchors: list[Anchor]) -> dict[int, str]:
    """The numbers printed on one line right after a row's label (`1.属于国家秘密 0 0`): each number's offset -> the
    row (the label nearest before it on its line)."""
    found: dict[int, str] = {}
    for anchor in anchors:
        end = text.find("\n", anchor.end)
        end = len(text) if end < 0 else end
        rest = text[anchor.end : end]
        if re.fullmatch(rf"[^\d\n]*?{_NUMBER}(?:[ \t]+{_NUMBER})*[ \t]*", rest):
            for m in re.finditer(r"\S+", rest):
                if re.fullmatch(_NUMBER, m.group()):
                    found[anchor.end + m.start()] = anchor.row
    return found


def t3_printed_keys(row: str, columns: tuple[str, ...]) -> list[str]:
    """A table 三 row's printed cells: its canonical keys, and for collapsed 法人 columns a key of their printed
    sum (`<row>.legal_entities`), which is no record key."""
    return [t3_key(row, c) if c != LEGAL_ENTITIES else f"applications.{row}.{c}" for c in columns]


_T3_SUB_HEADERS = re.compile("|".join(_fuzzy(h) for h in T3_CORP_HEADERS[:-1]))


def _after_a_later_label(text: str, anchors: list[Anchor], order: list[str]) -> list[str]:
    """Rows whose label comes after a later row's label that the label search passed over (pdftotext can print
    `（七）总计` before `3.其他`, and the numbers of both after them): which numbers follow which label is then
    not known, so such a row is only as good as the identities that check it."""
    index = {row: i for i, row in enumerate(order)}
    anchored = {a.row for a in anchors}
    skipped = [label for label in T3_LABELS if label.row in index and label.row not in anchored]
    return [
        anchor.row
        for before, anchor in pairwise(anchors)
        if anchor.row in index
        and any(index[s.row] > index[anchor.row] and find_label(text, s, before.end, anchor.start) for s in skipped)
    ]


_ROW_ORDINAL = re.compile(r"\s*(?:\d{1,2}\s*[.、．]|[（(][一二三四五六七][）)])\s*(?=[\u4e00-\u9fff])")


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)  # full-width brackets as the label vocabulary has them


def _after_an_unknown_label(text: str, anchors: list[Anchor], segments: dict[str, list[Item]]) -> list[str]:
    """Rows whose numbers follow, on a later line, a row label the label search does not know (an ordinal and text
    that is no piece of a template label: `2.其它法律行政法规禁止公幵`, misread): the numbers may be that row's, the
    label before them, so such a row is only as good as the identities that check it."""
    apart = []
    for anchor in anchors:
        values = [i for i in segments.get(anchor.row, []) if i.kind == "value"]
        lines = text[anchor.end : values[0].start].split("\n")[1:] if values else []
        if any((m := _ROW_ORDINAL.match(line)) and not label_fragment(_nfkc(line[m.end() :])) for line in lines):
            apart.append(anchor.row)
    return apart


def _labels_out_of_order(text: str, anchors: list[Anchor], order: list[str], lo: int, hi: int) -> list[list[str]]:
    """Rows whose label is printed before the label of a row the template puts first (pdfminer prints a page's
    band in its own order of boxes: `7.属于行政执法案卷` and its numbers before `6.属于四类过程性信息` and its),
    each with those earlier rows, where each of these labels is printed with its numbers: the label search passes
    over it, so no order of the numbers is evidence of which row they are."""
    index = {row: i for i, row in enumerate(order)}
    anchored = {a.row for a in anchors}
    groups = []
    for label in T3_LABELS:
        if label.row not in index or label.row in anchored or not (found := find_label(text, label, lo, hi)):
            continue
        passed = [
            a.row
            for a in anchors
            if a.row in index and index[a.row] < index[label.row] and a.start > found.start and _numbers_follow(text, a)
        ]
        if passed and _numbers_follow(text, found):
            groups.append([*passed, label.row])
    return groups


def _labels_place(text: str, anchors: list[Anchor], lo: int, hi: int, n: int, constraint) -> dict[str, list[Item]]:
    """The rows whose numbers follow their own label as a unit: the label (and the rest of its own printed text), then
    lines holding the row's n numbers and no more, and no other row label since the numbers before it; the row total
    holds where the columns have one. pdfminer.six prints a table's boxes in the order of its layout tree, where a
    label and the row of numbers on its baseline are neighbours: it may print the pairs of a band out of the
    template's order (`2.其他法律行政法规禁止公开` / its row, `3.危及“三安全一稳定”` / its row, `1.属于国家秘密` / its
    row), and every identity of table 三 holds under any exchange of sibling rows, so only the label places them.
    Labels stacked before their rows (`7.…` / `8.…` / a row / a row) place nothing: which row is whose is not
    printed. Returns row -> its numbers."""
    found = list(anchors) + [
        f for label in T3_LABELS if label.row not in {a.row for a in anchors} and (f := find_label(text, label, lo, hi))
    ]
    index = {label.row: i for i, label in enumerate(T3_LABELS)}
    printed = [index[a.row] for a in sorted(found, key=lambda a: a.start) if a.row in index]
    if printed == sorted(printed):  # a label above or below its row (format.md §3.27) is no pair: only where the
        return {}  # page prints labels out of the template's order are the pairs the evidence there is
    ends = sorted(a.end for a in found)
    placed: dict[str, list[Item]] = {}
    claimed: Counter = Counter()
    for anchor in found:
        numbers = _own_lines(text, anchor, hi, n)
        if not numbers or (
            constraint and not any(map(constraint, read_row(numbers, n, None, trust_blanks=True).candidates))
        ):
            continue
        before = text.rfind("\n", lo, anchor.start)
        while before > lo and not _numbers_line(_line(text, before - 1)):
            before = text.rfind("\n", lo, before - 1)  # back to the numbers line before the label
        if any(max(before, lo) < end < anchor.start for end in ends):
            continue  # another label since: the labels are stacked
        placed[anchor.row] = numbers
        claimed[numbers[0].start] += 1
    return {row: items for row, items in placed.items() if claimed[items[0].start] == 1}


_NUMBERS_ONLY = re.compile(rf"[ \t]*{_NUMBER}(?:[ \t]+{_NUMBER})*[ \t]*")
_FOLIO = re.compile(r"[ \t]*[-－—–][ \t]*\d{1,3}[ \t]*[-－—–][ \t]*")  # a page number, `- 4 -`


def _numbers_line(line: str) -> bool:
    return bool(_NUMBERS_ONLY.fullmatch(line)) and not _FOLIO.fullmatch(line)


def _own_lines(text: str, anchor: Anchor, hi: int, n: int) -> list[Item] | None:
    """The n numbers of the lines right after the label and the rest of its printed text, up to the next line of
    text (`_labels_place`); None where they are more or fewer."""
    own, rest, items = _bare(t3_printed_label(anchor.row)), "", []
    for at, line in _lines(text, anchor.end, hi):
        if not line.strip():
            continue
        if _numbers_line(line):
            items += [item for item in segment_items(text, at, at + len(line)) if item.kind == "value"]
            continue
        if items:
            break
        rest += _bare(line)
        if rest not in own:
            return None
    return items if len(items) == n else None


def _bare(text: str) -> str:
    """Label text as _labels_place compares it: NFKC, without spaces, brackets and quotes."""
    return re.sub(rf"[\s{LABEL_CLOSERS}]", "", _nfkc(text))


def _by_labels(
    segments: dict[str, list[Item]], placed: dict[str, list[Item]], order: list[str]
) -> tuple[dict[str, list[Item]], set[str], dict[str, list[list[Item]]]]:
    """The reading with the rows their labels place (`_labels_place`) holding those numbers, where the reading gave
    them to other rows of the same set (an exchange the identities cannot see); where the labels claim numbers a row
    they do not place holds, the reading stands and both readings of the rows concerned stay open. Returns the
    segments, the rows read by their labels, and row -> the other readings of the rows in doubt."""

    def starts(items: list[Item]) -> set[int]:
        return {i.start for i in items if i.kind == "value"}

    moved = [r for r, items in placed.items() if r in order and starts(segments.get(r, [])) != starts(items)]
    if not moved:
        return segments, set(placed), {}
    held = set().union(*(starts(segments.get(r, [])) for r in moved))
    taken = set().union(*(starts(placed[r]) for r in moved))
    owner = {i.start: r for r, items in segments.items() for i in items if i.kind == "value"}
    if held <= taken and not any(i in owner for i in taken - held):  # the same numbers among the same rows, and
        new = segments | {r: placed[r] for r in moved}  # those no row was given
        return {r: new[r] for r in [*order, *segments] if r in new}, set(placed), {}
    doubted: dict[str, list[list[Item]]] = {}
    for row in moved:
        doubted.setdefault(row, []).append(placed[row])
        for other in {owner.get(i.start) for i in placed[row]} - {None, row}:
            doubted.setdefault(other, []).append(segments.get(row, []))
    return segments, set(placed) - set(moved) - set(doubted), {r: o for r, o in doubted.items() if r in segments}


def _stacked_out_of_order(
    text: str, anchors: list[Anchor], order: list[str], lo: int, hi: int, n: int
) -> list[list[str]]:
    """Runs of row labels printed one under another, then as many lines of n numbers (pdfminer.six prints a band's
    stacked label boxes before the stacked rows beside them), whose labels are not in the template's order: the rows
    may follow the labels' order or the template's, and no identity tells sibling rows apart, so each such run is a
    group whose readings the identities choose among (_swapped_rows)."""
    index = {row: i for i, row in enumerate(order)}
    found = list(anchors) + [
        f for label in T3_LABELS if label.row not in {a.row for a in anchors} and (f := find_label(text, label, lo, hi))
    ]
    starts = {a.start: a.row for a in found if a.row in index}
    lines = [(at, line) for at, line in _lines(text, lo, hi) if line.strip()]
    groups, i = [], 0
    while i < len(lines):
        run: list[str] = []
        while i < len(lines) and not _numbers_line(lines[i][1]):
            at, line = lines[i]
            row = next((r for s, r in starts.items() if at <= s < at + len(line)), None)
            if row:
                run.append(row)
            elif not (run and _bare(line) in _bare(t3_printed_label(run[-1]))):
                run = []
            i += 1
        k = 0
        while i < len(lines) and _numbers_line(lines[i][1]):
            k += (
                len([v for v in segment_items(text, lines[i][0], lines[i][0] + len(lines[i][1])) if v.kind == "value"])
                == n
            )
            i += 1
        if len(run) > 1 and k == len(run) and [index[r] for r in run] != sorted(index[r] for r in run):
            groups.append(run)
    return groups


def _numbers_follow(text: str, anchor: Anchor) -> bool:
    """The label is printed with its row: numbers come next (pdftotext's default mode gathers a page's labels
    apart from the numbers, whose order alone places the rows); the rest of its own printed text may come first
    (the label search ends at a keyword: `2.其他法律行政法规禁止` / `公开`)."""
    items = [i for i in segment_items(text, anchor.end, min(len(text), anchor.end + 80)) if i.kind != "blank"]
    own, rest = _bare(t3_printed_label(anchor.row)), ""
    while items and items[0].kind == "text":
        rest += _bare(items.pop(0).text)
        if rest not in own:
            return False
    return bool(items) and items[0].kind == "value"


def _swapped_rows(readings: dict[str, RowReading], group: list[str], keys_of) -> None:
    """The rows of `group` read in every order of their readings: the identities choose. One consistent reading
    is read (flagged realigned); several leave the rows ambiguous, every order's reading a candidate."""
    if not all(row in readings for row in group) or len(group) > 5:
        return
    fixed = {}
    for row, reading in readings.items():
        if row not in group and len(reading.candidates) == 1:
            fixed.update(zip(keys_of(row), reading.candidates[0], strict=True))
    found: dict[tuple, tuple[RowReading, ...]] = {}
    for moved in permutations([readings[row] for row in group]):
        for combo in product(*(r.candidates for r in moved)):
            values = dict(fixed)
            for row, candidate in zip(group, combo, strict=True):
                values.update(zip(keys_of(row), candidate, strict=True))
            if all_hold(table3_identities(values), values):
                found.setdefault(combo, moved)
    for i, row in enumerate(group):
        reading = readings[row] if len(found) != 1 else next(iter(found.values()))[i]
        candidates = sorted({combo[i] for combo in found}) or reading.candidates
        flags = [[*f, "realigned"] for f in reading.flags]
        readings[row] = RowReading(candidates, reading.raw, reading.spans, flags)


def _printed_order(text: str, lo: int, hi: int) -> list[str]:
    """Table 三's rows as the region prints their labels, wherever they are: the 2019 single （六）其他处理 row where
    it prints that label and none of the 2021 （六） items'."""
    items = [label for label in T3_LABELS if label.row in OTHER_SUB_ROWS[:2]]
    single = find_label(text, OTHER_TOTAL_LABEL, lo, hi) and not any(find_label(text, i, lo, hi) for i in items)
    return t3_rows_2019() if single else list(T3_ROWS)


def _t3_columns(text: str, lo: int, segments: dict[str, list[Item]]) -> tuple[str, ...]:
    """Table 三's printed columns: the template's seven, 自然人 | 法人或其他组织 (| 总计) where the header
    names no legal-entity sub-column and most rows print as many values as those columns, or the first six where the
    page cut its 总计 column off (`_clipped`). The 总计 column is known by the rows' width, not by its header's text
    (a converter misreads 总计 as 总汁): the identity 总计 = 自然人 + 法人或其他组织 checks every row read so."""
    values = [i for items in segments.values() for i in items if i.kind == "value"]
    header = text[lo : values[0].start] if values else ""
    widths = [len(_before_a_label(items)) for items in segments.values()]
    if _clipped(header, segments, widths):
        return T3_COLUMNS[:-1]
    if not re.search(LEGAL_ENTITIES_HEADER, header) or _T3_SUB_HEADERS.search(header):
        return T3_COLUMNS
    for columns in (("natural_person", LEGAL_ENTITIES, "total"), ("natural_person", LEGAL_ENTITIES)):
        if widths and sum(w == len(columns) for w in widths) * 2 > len(widths):
            return columns
    return T3_COLUMNS


_TOTAL_HEADER = re.compile(_fuzzy("总计") + "|" + _fuzzy("总汁"))


def _clipped(header: str, segments: dict[str, list[Item]], widths: list[int]) -> bool:
    """A table 三 whose 总计 column the page cut off at its right edge (a wide table printed on narrow paper): its
    header names the legal-entity columns and no 总计, its rows print six values (12 or 18 where a converter
    moved labels; any other count rarely) and none a multiple of seven, and some row's last
    value is less than the sum of the five before it, which no 总计 printed last can be (总计 is the sum of the six
    other columns, printed or not). The six are then 自然人 to 其他; the 总计 cells are not on the page."""
    if not (re.search(LEGAL_ENTITIES_HEADER, header) or _T3_SUB_HEADERS.search(header)) or _TOTAL_HEADER.search(header):
        return False
    sixes = sum(w == 6 for w in widths)
    odd = sum(1 for w in widths if w not in (0, 6, 12, 18))  # 12, 18: rows a moved label left together
    if any(w and w % 7 == 0 for w in widths) or sixes < max(3, 2 * odd):
        return False
    rows = [[as_number(i.text) for i in _before_a_label(items)] for items in segments.values()]
    return any(sum(row[:5]) > row[5] for row in rows if len(row) == 6 and None not in row)


def _before_a_label(items: list[Item]) -> list[Item]:
    """A row's values up to text after them that is no piece of a template label: a label the template does not
    know (reworded, misread) starts a row of its own, whose numbers are not this row's."""
    values: list[Item] = []
    for item in items:
        if item.kind == "text" and values and not label_fragment(item.text):
            break
        if item.kind == "value":
            values.append(item)
    return values


def _touching(items: list[Item]) -> bool:
    """Two values with nothing between them: the tokenizer cut a glued run ('025' = 0|25)."""
    values = [i for i in items if i.kind == "value"]
    return any(a.end == b.start for a, b in pairwise(values))


def _values(items: list[Item]) -> list[int]:
    """Which printed values a row holds (by where they are printed)."""
    return [i.start for i in items if i.kind == "value"]


def parse_table4(
    text: str,
    lo: int,
    hi: int,
    trust_blanks: bool,
    cells: dict[str, dict],
    found: set[str],
    warnings: list[str],
    streamed: list[Item] | None = None,
    in_blocks: bool = False,
    others: list[list[Item]] | None = None,
    among: bool = False,
    claimed: frozenset[int] = frozenset(),
) -> None:
    """The 15 cells in their fixed order (format.md §1.3), or a table turned on its side (§3.22); `streamed`: the
    numbers that followed table 三's in pdftotext's stream (docs/damage.md), read where the region does not hold 15.
    `in_blocks`: table 三 is printed in pdftotext's blocks, whose order need not be the table's (_flow_ordered).
    `others`: the other orders `streamed` may have (table 三 took one of several equal numbers, which the page does
    not say): each is read, and the cells their readings disagree on stay open. `among`: table 三's cells are printed
    between `streamed`'s numbers: pdftotext's order jumps between the tables there, so the order of table 四's
    numbers is no evidence of which is which cell, and none read from them is stood behind. `claimed`: where table
    三's cells are printed (a number is never read by two tables)."""
    keys = [t4_key(g, c) for g in T4_GROUPS for c in T4_COLUMNS]
    if others:  # the orders table 四's numbers may have: those whose reading balances, where any does
        reads = []
        for stream in [streamed, *others]:
            read: tuple[dict[str, dict], list[str]] = ({}, [])
            parse_table4(text, lo, hi, trust_blanks, read[0], found, read[1], stream, in_blocks, None, among, claimed)
            reads.append(read)
        values = [tuple(read[k]["value"] for k in keys) for read, _ in reads]
        held = [i for i, v in enumerate(values) if None not in v and solve.groups_total_hold(v)] or range(len(reads))
        cells.update(reads[held[0]][0])
        warnings.extend(reads[held[0]][1])
        disagree = [(i, k) for i, k in enumerate(keys) if len({values[h][i] for h in held}) > 1]
        for i, key in disagree:
            fields, options = cells[key], {values[h][i] for h in held} | set(cells[key]["candidates"])
            fields.update(
                value=None, flags=sorted({*fields["flags"], "ambiguous"}), candidates=sorted(options - {None})
            )
        if disagree:
            warnings.append(f"table 四: {len(disagree)} cells turn on which of equal numbers table 三 took; left open")
        return
    found.add("review_litigation")
    items = [i for i in segment_items(text, lo, hi) if i.start not in claimed]
    after = streamed if streamed and len(streamed) == len(keys) and _count(items) != len(keys) else None
    if not after and 0 < _count(items) < len(keys):  # its last columns printed after the next sections' text
        # a number on a text line below the table is the text's (`…且IE内核9.0` in a page's footer)
        blocks = [b for b in number_blocks(text, lo, len(text)) if not (b.labelled and b.values[0].start > hi)]
        rest = [v for b in blocks for v in b.values if v.start not in claimed]
        after = rest if len(rest) == len(keys) and _count(items) == len([v for v in rest if v.end <= hi]) else None
    # some of its numbers printed after the next sections' text on a page whose table 三 the converter's order left
    # open (pdfminer's boxes): an order nianbao does not follow there, so nothing but the totals places them
    late = (
        after is not None
        and after is not streamed
        and any(k.startswith("applications.") and "ambiguous" in c["flags"] for k, c in cells.items())
    )
    turned: dict[str, dict] = {}
    by_result = result_lines(text, lo, hi, (2, len(T4_GROUPS)))
    if not read_transposed_table4(text, lo, hi, trust_blanks, turned, warnings) and by_result:
        values = [i for i in items if i.kind == "value"]
        raw, span = " ".join(v.text for v in values), (values[0].start, values[-1].end)
        _put(cells, keys, RowReading(raw=[raw] * 15, spans=[span] * 15), None)
        warnings.append("table 四 is printed one row per result under result labels it does not know; left open")
        return
    if turned:
        plain = read_row(items, len(keys), None, trust_blanks=trust_blanks).candidates
        in_order = len(plain) == 1 and None not in plain[0] and solve.groups_total_hold(plain[0])  # totals hold
        if all(turned[k]["value"] is not None for k in keys) or not (after or in_order):  # read by column
            cells.update(turned)
            return
        warnings.pop()
    if after:  # table 三's rest printed after this table's title, or this table's columns after later text
        items = after
        warnings.append(
            "table 四 printed in blocks (pdftotext's default mode): read as the 15 numbers after table 三's"
        )
    wrapped = [] if after or _count(items) <= len(keys) else _holding(wrapped_in_grid(text, items), len(keys))
    items = wrapped[0] if wrapped else items
    reading = read_row(items, 15, solve.groups_total_hold, trust_blanks=trust_blanks)
    # a run cut into exactly 15 numbers that break a total (`000000002` on narrow paper): its cut is a choice too
    cut = reading.candidates[0] if len(reading.candidates) == 1 else None
    recut = cut is not None and None not in cut and _touching(items) and not solve.groups_total_hold(cut)
    one = len(reading.candidates) == 1 and not recut
    over_lines = [] if wrapped or after or one else _over_lines(text, items, len(keys))
    reading = over_lines or reading
    boxed = len(reading.candidates) == 1 and _header_out_of_order(text, lo, items)
    flowed = not boxed and (after is items or in_blocks) and _in_flows(text, items, in_blocks)
    flowed = flowed and not _printed_as_grid(text, lo, items)
    printed = reading.candidates[:1]
    doubted = after is items or boxed or wrapped or _flow_ordered(text, items, reading, in_blocks)
    alternatives = _read_flows(text, lo, items, reading, fewer=not doubted) if flowed else []
    if doubted or reading.candidates[:1] != printed:
        reading.flags = [[*flags, "realigned"] for flags in reading.flags]
    arranged = _t4_arrangements(reading.candidates[0]) if boxed else []
    if boxed:  # which printed number is which cell only the totals can say: none balancing leaves all open
        reading.candidates = arranged or reading.candidates
    readings = {"review_litigation": reading}
    _resolve_extra_values(readings, solve.groups_total_hold, warnings, "table 四")
    settle_by_prose(readings, lambda _: keys, solve.groups_total_hold, stated(text))
    finish_joined(readings)
    settled = len(reading.candidates) == 1 and (arranged or not boxed)
    _put(cells, keys, reading, reading.candidates[0] if settled else None)
    if not settled and reading.candidates and (over_lines or any("dropped_extra_value" in f for f in reading.flags)):
        _open_disagreeing(cells, keys, reading.candidates, keep=False)  # which value is extra: only where it matters
    if late and settled:  # the converter's order jumps past the sections below: which is which only the totals say
        arranged = _t4_arrangements(reading.candidates[0], ARRANGEMENTS)
        for key in keys if len(arranged) >= ARRANGEMENTS else ():  # too many to list: none stands
            cells[key]["flags"] = sorted({*cells[key]["flags"], "ambiguous"})
        _open_disagreeing(cells, keys, [reading.candidates[0], *arranged], keep=True)
    orders = _group_orders(text, lo, items, reading.candidates[0]) if settled and not boxed else []
    if flowed or len(orders) > 1:
        _open_disagreeing(cells, keys, reading.candidates + alternatives + orders, keep=settled)
        if flowed:
            _open_groups_in_doubt(cells, reading.candidates + alternatives)
    headed = _under_result_headers(text, lo, items) if flowed and settled and reading.candidates[:1] != printed else []
    if any(keys.index(key) % len(T4_COLUMNS) != column for key, column in _placed(keys, reading, headed)):
        # the order the totals chose puts a number printed right under one result's header in another's column
        fits = _t4_arrangements(reading.candidates[0], ARRANGEMENTS, lambda a: _fits_headers(a, headed))
        _open_disagreeing(cells, keys, [reading.candidates[0], *fits], keep=False)
        for key in keys if len(fits) in (0, ARRANGEMENTS) else ():  # none fits, or too many to tell: none stands
            cells[key].update(flags=sorted({*cells[key]["flags"], "ambiguous"}), value=None)
        warnings.append("table 四: the order its totals allow puts numbers under another result's header; left open")
    if len(wrapped) > 1:  # where a wrapped number stands among its column's others: the totals allow several
        _open_disagreeing(
            cells, keys, [tuple(as_number(i.text) for i in w if i.kind == "value") for w in wrapped], False
        )
    if over_lines is None:
        _read_holding_groups(text, items, keys, cells, warnings)
    if len(orders) > 1:
        warnings.append("table 四 is printed a box a number, its groups in an order the page does not fix")
    for key in keys if among and after is items else ():
        cells[key]["flags"] = sorted({*cells[key]["flags"], "ambiguous"})


def _over_lines(text: str, items: list[Item], n: int) -> RowReading | None:
    """Table 四 printed a piece of a number a line on narrow paper (nianbao.parse.align.wrapped_over_lines): its
    joinings that keep every group total are its candidates (`split_from_run`, a joining the identities chose); one
    is read, its cells' pieces each cell's raw text; several leave the cells they disagree on open. None where no
    joining holds (the agency's own error: the row stays as printed, open)."""
    found = wrapped_over_lines(text, items, n, len(T4_COLUMNS))
    if not found:
        return None
    candidates = [tuple(as_number(i.text) for i in cells) for cells in found]
    if len(found) == 1:
        raw, spans = [" ".join(text[i.start : i.end].split()) for i in found[0]], [(i.start, i.end) for i in found[0]]
    else:
        values = [i for i in items if i.kind == "value"]
        raw, spans = [" ".join(v.text for v in values)] * n, [(values[0].start, values[-1].end)] * n
    return RowReading(candidates, raw, spans, [["split_from_run"] for _ in range(n)])


def _read_holding_groups(text: str, items: list[Item], keys: list[str], cells: dict[str, dict], warnings) -> None:
    """Table 四 printed a piece a line where no joining keeps every group total (the agency's own error in one group,
    or a value the converter printed twice):
    the cells every reading that keeps all groups' totals but one agrees on, the same pieces each time, are read
    (`split_from_run`, checked by their group's total); the failing group's cells stay open, its split unknown."""
    readings = wrapped_but_one_group(text, items, len(keys), len(T4_COLUMNS))
    if not readings:
        return
    read = 0
    for i, key in enumerate(keys):
        pieces = {None if r[i] is None else (r[i].text, r[i].start, r[i].end) for r in readings}
        if len(pieces) == 1 and None not in pieces and cells[key]["value"] is None:
            digits, start, end = pieces.pop()
            cells[key].update(
                value=as_number(digits),
                raw=" ".join(text[start:end].split()),
                span=(start, end),
                flags=sorted(set(cells[key]["flags"]) - {"ambiguous"} | {"split_from_run"}),
                candidates=[],
            )
            read += 1
    if read:
        warnings.append(f"table 四: {read} cells read from the groups whose totals hold; the others stay open")


def _holding(readings: list[list[Item]], n: int) -> list[list[Item]]:
    """The readings of `n` numbers whose group totals hold."""
    held = []
    for items in readings:
        values = [as_number(i.text) for i in items if i.kind == "value"]
        if len(values) == n and None not in values and solve.groups_total_hold(tuple(values)):
            held.append(items)
    return held


def _in_flows(text: str, items: list[Item], in_blocks: bool) -> bool:
    """Whether table 四's numbers are printed in pdftotext's order: table 三 is printed in its blocks, or header
    pieces fall between the numbers (docs/damage.md)."""
    values = [i for i in items if i.kind == "value"]
    if len(values) != 15:
        return False
    pieces = re.findall(r"[\u4e00-\u9fff]+", text[values[0].start : values[-1].end])
    return in_blocks or any(p not in _T4_GROUP_HEADERS for p in pieces)


def _printed_as_grid(text: str, lo: int, items: list[Item]) -> bool:
    """Whether table 四 is printed a cell a line in the grid's order (a scraped table, docs/damage.md): its fifteen
    result headers whole, each alone on its line, in the grid's order, then its fifteen numbers on fifteen lines
    with no blank line between. pdftotext prints a narrow header in pieces and each cell as a block of its own
    (blank lines apart), so such a page's order is the grid's, not pdftotext's, even where table 三 lost its row
    labels and was read in blocks."""
    values = [i for i in items if i.kind == "value"]
    if len(values) != 15 or not _a_line_each(text, values):
        return False
    if any(text.count("\n", a.end, b.start) != 1 for a, b in pairwise(values)):
        return False
    lines = (line.strip() for line in text[lo : values[0].start].splitlines())
    headers = [line for line in lines if _T4_RESULT_WORDS.search(line)]
    return headers == [label.keywords[0] for label in T4_RESULT_LABELS] * len(T4_GROUPS)


def _read_flows(text: str, lo: int, items: list[Item], reading: RowReading, fewer: bool = False) -> list[tuple]:
    """Table 四's numbers, come in pdftotext's stream (table 三 in its blocks, or these numbers after table 三's;
    header pieces between the numbers alone are no sign of pdftotext: grids print them too), read in the orders
    pdftotext prints its row in (nianbao.parse.flows).

    Where the printed order holds every group total, it stays the reading; the other orders that hold them are
    returned, so the cells they disagree on are not stood behind. Where it does not hold, the orders that hold
    become the reading's candidates, the first one's cells (raw, span) in place; where none does and the printed
    order is otherwise stood behind (`fewer`), the orders that fail the fewest groups, fewer than the printed one,
    are candidates beside it; none leaves it as printed."""
    if len(reading.candidates) != 1 or None in reading.candidates[0]:
        return []
    printed = reading.candidates[0]
    values = [i for i in items if i.kind == "value"]
    together = frozenset(i for i, (a, b) in enumerate(pairwise(values)) if "\n" not in text[a.end : b.start])
    headed = frozenset(
        i + 1
        for i, (a, b) in enumerate(pairwise(values))
        if _CJK_TEXT.search(text, a.end, b.start) and not _SECTION.search(text, a.end, b.start)
    )
    broken = _header_over_break(text, lo, values[-1].end)
    merged = _merged_header(text, lo, values[-1].end)
    plain = sum(v.end <= merged for v in values) if merged is not None else 0  # numbers before the merged header
    plain = plain if plain in headed else 0
    readings = flow_readings(printed, together, headed, merged is not None, broken, plain)
    if solve.groups_total_hold(printed):
        others = [(cells, order) for cells, order in readings if cells != printed]
        said = prose_pick([printed, *(cells for cells, _ in others)], T4_KEYS, stated(text)) if others else None
        if said is None:
            return [cells for cells, _ in others]
        if said != printed:  # the prose states a cell the printed order puts elsewhere
            _reorder(reading, next(order for cells, order in others if cells == said))
            reading.candidates = [said]
        reading.flags = [sorted({*flags, "prose_confirmed"}) for flags in reading.flags]
        return []
    if readings:
        _reorder(reading, readings[0][1])
        reading.candidates = [cells for cells, _ in readings]
        return []
    # none holds every total (the report's own error besides): an order that fails fewer groups than the printed one,
    # among those, may be pdftotext's as well, and nothing tells which, so both stay candidates and the cells they disagree on
    # are not stood behind (the failing totals are then no evidence of the agency's arithmetic)
    fails = _failing_groups(printed) if fewer else set()
    for failing in range(1, len(fails)):  # the groups failing, fewer, among those failing as printed
        found = flow_readings(printed, together, headed, merged is not None, broken, plain, failing)
        if fewer := [(cells, order) for cells, order in found if _failing_groups(cells) <= fails]:
            _reorder(reading, fewer[0][1])
            reading.candidates = [*(cells for cells, _ in fewer), printed]
            break
    return []


def _failing_groups(cells: tuple) -> set[int]:
    """The table 四 groups whose total is not the sum of their four results."""
    width = len(T4_COLUMNS)
    return {
        g
        for g in range(len(T4_GROUPS))
        if cells[g * width + width - 1] != sum(cells[g * width : g * width + width - 1])
    }


def _reorder(reading: RowReading, order: tuple[int, ...]) -> None:
    """The reading's printed cells (raw, span, flags) put in the places a flow order gives them."""
    at = {column: i for i, column in enumerate(order)}
    reading.raw, reading.spans, reading.flags = (
        [row[at[c]] for c in range(len(order))] for row in (reading.raw, reading.spans, reading.flags)
    )


_CJK_TEXT = re.compile(r"[\u4e00-\u9fff]")
_PAGE_BREAK = re.compile(r"\n[^\S\n]*\n[^\S\n]*\n")  # two empty lines: ingest leaves a page's form feed so


def _header_over_break(text: str, lo: int, hi: int) -> bool:
    """Whether table 四's result header runs over a page break (pieces of it on both pages) with its numbers after
    the break: the next page's header pieces and numbers are blocks pdftotext orders as it finds them, so its
    groups side by side can come in either order. A table whose header begins on the next page (the group names
    alone before the break), or whose numbers alone are on it, is printed as on one page."""
    for brk in _PAGE_BREAK.finditer(text, lo, hi):
        before = text[lo : brk.start()]
        for name in sorted(_T4_GROUP_HEADERS, key=len, reverse=True):  # 未经复议直接起诉 holds a result's 未
            before = before.replace(name, "")
        if _RESULT_CHARACTERS.search(before) and _CJK_TEXT.search(text, brk.end(), hi):
            return True
    return False


_SINGLE_CHARACTERS = re.compile(r"^[ \t]*[\u4e00-\u9fff](?:[ \t]+[\u4e00-\u9fff])+[ \t]*$", re.M)
_T4_RESULT_KEYWORDS = tuple(label.keywords[0] for label in T4_RESULT_LABELS)
_RESULT_CHARACTERS = re.compile("[" + "".join(sorted(set("".join(_T4_RESULT_KEYWORDS)))) + "]")


def _merged_header(text: str, lo: int, hi: int) -> int | None:
    """Where table 四's header first shows neighbouring columns merged into one block (None where not): a line
    of single characters of several columns (`结 结`, `维 纠`: two narrow headers printed a character a line, side
    by side), not one header letter-spaced (`总 计`)."""
    for line in _SINGLE_CHARACTERS.finditer(text, lo, hi):
        if not any(line.group().replace(" ", "").replace("\t", "") in word for word in _T4_RESULT_KEYWORDS):
            return line.start()
    return None


_SECTION = re.compile(r"^\s*[五六七]\s*[、.．]", re.M)  # a section after table 四 (its numbers can follow it)


def _open_groups_in_doubt(cells: dict[str, dict], flows: list[tuple]) -> None:
    """A table 四 group some of whose cells the flow orders leave open: its total holds under any order of its four
    results, and a print can come in an order none of the known flows takes (pdfminer's boxes read as flows under
    a merged header), so of its results only values all four share are certain; the others are opened too, every
    value of the group's results a candidate, each keeping the value read."""
    for g, group in enumerate(T4_GROUPS):
        results = [t4_key(group, column) for column in T4_COLUMNS[:-1]]
        values = {cells[k]["value"] for k in results if cells[k]["value"] is not None}
        if len(values) > 1 and len({flow[5 * g : 5 * g + 4] for flow in flows}) > 1:
            for key in results:
                fields = cells[key]
                options = sorted(values | set(fields.get("candidates") or []))
                fields.update(flags=sorted({*fields["flags"], "ambiguous"}), candidates=options)


def _under_result_headers(text: str, lo: int, items: list[Item]) -> list[tuple[Item, int]]:
    """The numbers printed each under its result header, with that header's column: a number alone between two
    result headers (nothing but space around it: pdfminer prints a header cell's box, then the number box below it,
    then the next header's, `结果\n纠正` / `９` / `其他结\n果` / `２０` / `尚未\n审结`). A number right after the
    last header of a block of them is no such evidence: pdftotext prints the headers, then the numbers."""
    words = list(_T4_RESULT_WORDS.finditer(text, lo, max((i.end for i in items), default=lo)))
    found = []
    for item in (i for i in items if i.kind == "value"):
        before = next((w for w in reversed(words) if w.end() <= item.start), None)
        after = next((w for w in words if w.start() >= item.end), None)
        if before and after and not (text[before.end() : item.start] + text[item.end : after.start()]).strip():
            found.append((item, before.lastindex - 1))
    return found


def _placed(keys: list[str], reading: RowReading, headed: list[tuple[Item, int]]) -> list[tuple[str, int]]:
    """The cell the reading gives each headed number (by its span), with the header's column; none where the
    reading does not give every cell a span (too few numbers for the table)."""
    if len(reading.spans) != len(keys):
        return []
    at = {span[0]: key for key, span in zip(keys, reading.spans, strict=True) if span}
    return [(at[item.start], column) for item, column in headed if item.start in at]


def _fits_headers(values: tuple, headed: list[tuple[Item, int]]) -> bool:
    """Whether an order of table 四's numbers can put every headed number in its header's column."""
    need = Counter((as_number(item.text), column) for item, column in headed)
    have = Counter((v, c % len(T4_COLUMNS)) for c, v in enumerate(values))
    return all(have[k] >= n for k, n in need.items())


def _open_disagreeing(cells: dict[str, dict], keys: list[str], readings: list[tuple], keep: bool) -> None:
    """The cells `readings` disagree on, open (`ambiguous`, each reading's value a candidate): their value is
    kept where it is the printed reading's (`keep`), else left out. Cells every reading agrees on are read."""
    for i, key in enumerate(keys):
        values = {r[i] for r in readings}
        fields = cells[key]
        flags = set(fields["flags"])
        if len(values) > 1:
            fields.update(flags=sorted(flags | {"ambiguous"}), candidates=sorted(values))
            if not keep:
                fields["value"] = None
        elif values and fields["value"] is None and None not in values:  # (no reading at all: nothing agreed)
            fields.update(value=next(iter(values)), flags=sorted(flags - {"ambiguous"}), candidates=[])


def _flow_ordered(text: str, items: list[Item], reading: RowReading, in_blocks: bool = False) -> bool:
    """Whether table 四's numbers, read in print order, may be in a converter's flow order, not the grid's.

    pdftotext's default mode breaks a narrow header into pieces and prints them between the numbers
    (docs/damage.md): the order is then the converter's. Where the group totals fail as printed but
    some reordering of the printed numbers satisfies all three, the failure may be that order, not the
    agency's arithmetic: the cells are flagged `realigned`, so they stand only where the totals hold. Where
    table 三 is printed in blocks (`in_blocks`) the order is pdftotext's whether or not header pieces fall
    between the numbers (it can print one cell after the others). Numbers printed a box (a line) each, as
    pdfminer prints them, are in the converter's order however the header is printed: with the totals failing,
    whether or not some order balances, which number is which cell is not known, so the failure is no evidence
    of the agency's arithmetic either.
    """
    values = [i for i in items if i.kind == "value"]
    if len(reading.candidates) != 1 or len(values) != 15 or solve.groups_total_hold(reading.candidates[0]):
        return False
    if _in_boxes(text, values):
        return True
    return _in_flows(text, items, in_blocks) and solve.balancing_groups(reading.candidates[0]) == len(T4_GROUPS)


_NOT_NUMBERS = re.compile(r"[^\d\s]")
_T4_RESULT_WORDS = re.compile("|".join(f"({_fuzzy(label.keywords[0])})" for label in T4_RESULT_LABELS))


def _header_out_of_order(text: str, lo: int, items: list[Item]) -> bool:
    """Whether table 四 prints two result headers one after the other (nothing but space, or numbers, between) in
    an order no row of the grid has (pdfminer with boxes_flow 1: `结果纠正` / `结果维持`, or `结果纠正` / `0` /
    `结果维持`), and its numbers as boxes apart (a blank line between them): the converter ordered the cells'
    boxes, the numbers' too. Numbers printed as one block keep their row's order (PyMuPDF's sorted blocks
    scramble the header alone)."""
    values = [i for i in items if i.kind == "value"]
    if len(values) != 15 or not re.search(r"\n[^\S\n]*\n", text[values[0].start : values[-1].end]):
        return False
    words = list(_T4_RESULT_WORDS.finditer(text, lo, values[-1].start))
    return any(
        a.lastindex < len(T4_COLUMNS)
        and b.lastindex < a.lastindex
        and not _NOT_NUMBERS.search(text, a.end(), b.start())
        for a, b in pairwise(words)
    )


def _group_orders(text: str, lo: int, items: list[Item], printed: tuple) -> list[tuple]:
    """Table 四's readings where its numbers are boxes apart, in pdfminer's order: each group's five boxes come
    together and in order, but the groups may come in another order than the grid's (the 行政复议 group, whose
    header cells are taller, after the two 行政诉讼 groups). A group's numbers stand under its own label, so none is
    printed before it; the two 行政诉讼 groups, alike side by side, keep their left-to-right order. The printed
    reading and every group order the page allows so; [] where the numbers are not printed as pdfminer's boxes (a box
    each, at least two right after their columns' result headers), or where the totals fail as printed (the cells
    are not stood behind then: _flow_ordered)."""
    values = [i for i in items if i.kind == "value"]
    if len(values) != 15 or None in printed or not _in_boxes(text, values) or not solve.groups_total_hold(printed):
        return []
    if not re.search(r"\n[^\S\n]*\n", text[values[0].start : values[-1].end]):
        return []
    starts = {v.start for v in values}
    words = _T4_RESULT_WORDS.finditer(text, lo, values[-1].start)
    above = [m for m in words if m.lastindex < len(T4_COLUMNS) and _next_number(text, m.end()) in starts]
    if len(above) < 2:  # pdfminer's boxes: a column's header, then its number (pdftotext prints its rows in flows)
        return []
    labels = [re.search(_fuzzy(name), text[lo : values[-1].start]) for name in T4_GROUP_NAMES]
    if None in labels:
        return []
    found = [printed]
    for order in permutations(range(len(T4_GROUPS))):  # order[g]: which printed five are group g's
        if order[1] < order[2] and all(values[5 * order[g]].start >= lo + labels[g].end() for g in range(3)):
            reading = tuple(v for c in order for v in printed[5 * c : 5 * c + 5])
            found += [reading] * (reading not in found)
    return found


def _next_number(text: str, at: int) -> int | None:
    """Where the number right after `at` begins, with nothing but space before it; None where text comes first."""
    m = re.compile(r"\s*\d").match(text, at)
    return m.end() - 1 if m else None


ARRANGEMENTS = 2048  # table 四 orders enumerated at most: where as many fit, which cell holds what is not known


def _t4_arrangements(values: tuple, limit: int = 64, fits: Callable[[tuple], bool] | None = None) -> list[tuple]:
    """The distinct orders of table 四's 15 printed numbers in which every group's total is the sum of its other
    four (and that `fits`, at most `limit`): the readings of a table 四 printed in a converter's order."""
    found: list[tuple] = []

    def fill(left: Counter, prefix: tuple) -> None:
        if len(prefix) == 15:
            if fits is None or fits(prefix):
                found.append(prefix)
            return
        for four in _distinct_tuples(left, 4):
            rest = left - Counter(four)
            if rest[sum(four)] and len(found) < limit:
                fill(rest - Counter([sum(four)]), (*prefix, *four, sum(four)))

    if None not in values:
        fill(Counter(values), ())
    return found


def _distinct_tuples(pool: Counter, k: int):
    """Every distinct ordered choice of k numbers from the multiset `pool`."""
    if k == 0:
        yield ()
        return
    for v in [v for v, n in pool.items() if n > 0]:
        for rest in _distinct_tuples(pool - Counter([v]), k - 1):
            yield (v, *rest)


_T4_GROUP_HEADERS = frozenset({*T4_GROUP_NAMES, "行政诉讼"})  # the group headers, printed whole between groups


_GROUPS_ACROSS = re.compile(".*?".join(r"\s*".join(map(re.escape, name)) for name in T4_GROUP_NAMES), re.S)


def result_lines(
    text: str, lo: int, hi: int, widths: tuple[int, ...] = (len(T4_GROUPS),)
) -> list[tuple[list[Item], list[Item]]] | None:
    """Table 四 printed one line per result under a header that names its three groups across (§3.22): each
    line's label and its three numbers, in print order. None for any other shape. Which result a line is
    its label says; where the parser does not know the labels (misread, reworded), the model names them. A header
    it cannot read (its group names misread or cut) still heads five lines of a label and three numbers: that shape
    is no row order of the template's, so its numbers are never read in the template's order. `widths`: the
    numbers a line may hold (2: 行政复议 | 行政诉讼, the lawsuits' groups added up, is no template order either)."""
    items = [i for i in segment_items(text, lo, hi) if i.kind != "blank"]
    first = next((i for i in items if i.kind == "value"), None)
    header = _GROUPS_ACROSS.search(text, lo, first.start) if first else None
    lines: list[tuple[list[Item], list[Item]]] = []
    for item in (i for i in items if i.start >= (header.end() if header else lo)):
        if item.kind == "text" and (not lines or lines[-1][1]):
            lines.append(([], []))
        if not lines:  # a number before any label: not a line per result
            return None
        label, values = lines[-1]
        (values if item.kind == "value" else label).append(item)
    lines = [(label, values) for label, values in lines if values]
    width = {len(values) for _, values in lines}
    shape = len(lines) == len(T4_COLUMNS) and len(width) == 1 and width.pop() in widths
    return lines if shape else None


def read_transposed_table4(
    text: str, lo: int, hi: int, trust_blanks: bool, cells: dict[str, dict], warnings: list[str]
) -> bool:
    """Table 四 with one row per result (结果维持 … 总计) and one value per group column.

    Three values a row are the three groups. Two are 行政复议 and 行政诉讼 with the lawsuits'
    two groups added up: a 0 there is 0 in both (counts are never negative); any other value is
    left for the model, flagged ambiguous. Returns False when the region is not shaped so.
    """
    anchors = find_labels(text, T4_RESULT_LABELS, lo, hi)
    if len(anchors) != len(T4_RESULT_LABELS):
        return False
    readings = []
    for i, anchor in enumerate(anchors):
        stop = anchors[i + 1].start if i + 1 < len(anchors) else hi
        items = segment_items(text, anchor.end, row_end(text, anchor.end, stop))
        printed = [item for item in items if item.kind != "blank"]
        if not printed or printed[0].kind != "value":
            return False
        readings.append(items)
    widths = {sum(1 for i in items if i.kind == "value") for items in readings}
    groups = (
        3 if re.search(r"直\s*接\s*起\s*诉|复\s*议\s*后", text[lo : anchors[0].start]) else 2
    )  # the header names them
    if widths != {groups}:  # shaped by result but not readable by column: never in print order
        values = [i for items in readings for i in items if i.kind == "value"]
        raw, span = " ".join(v.text for v in values), (values[0].start, values[-1].end)
        keys = [t4_key(g, c) for g in T4_GROUPS for c in T4_COLUMNS]
        _put(cells, keys, RowReading(raw=[raw] * 15, spans=[span] * 15), None)
        warnings.append("table 四 is printed one row per result, but its rows do not read as group columns")
        return True
    k = widths.pop()
    for column, items in zip(T4_COLUMNS, readings, strict=True):
        reading = read_row(items, k, None, trust_blanks=trust_blanks)
        values = reading.candidates[0] if len(reading.candidates) == 1 else None
        if k == 3:
            _put(cells, [t4_key(g, column) for g in T4_GROUPS], reading, values)
            continue
        review, lawsuits = values or (None, None)
        _put(cells, [t4_key("review", column)], _pick(reading, 0), None if values is None else (review,))
        _put(cells, [t4_key(g, column) for g in T4_GROUPS[1:]], _pick(reading, 1, 2), (0, 0) if lawsuits == 0 else None)
    warnings.append(f"table 四 printed one row per result with {k} group columns; read by column")
    return True


def _pick(reading: RowReading, index: int, times: int = 1) -> RowReading:
    """One printed value of a row as a reading of its own, for each of the `times` cells it stands for."""
    return RowReading(
        [],
        [reading.raw[index]] * times if reading.raw else [],
        [reading.spans[index]] * times if reading.spans else [],
        [list(reading.flags[index]) for _ in range(times)] if reading.flags else [],
    )
