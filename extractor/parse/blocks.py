"""Table 三 as pdftotext's default mode prints it (docs/damage.md): numbers in blocks, labels elsewhere.

pdftotext without -layout prints a ruled table in its own reading order. Each cell's number is a line of
its own; numbers stacked close together in one column are one block (lines without a blank between), so
a band of k tight rows comes out column by column: n blocks of k numbers. Taller rows come out one
number a block, row by row, sometimes after their label, sometimes not. The labels of a page gather
elsewhere (all together, before or after the numbers), page numbers and header cells fall in between,
but the numbers keep the template's row order.

So the region's number lines, grouped into blocks, are read as a sequence of bands: n blocks of k
numbers (a column-major band of k rows), a block of n numbers (one row), or a run of single numbers
between two text lines (row by row, or, where it holds several rows, column by column as well). Where
the bands account for exactly the template's rows, each way of reading them is an alignment, and the
table's identities choose among them as they do for partly labelled rows (nianbao.parse.align): one
consistent reading is read (flagged `realigned` where a row's numbers are not after its own label),
several leave the rows they disagree on ambiguous, each reading a candidate; where the blocks read only one
way, that reading is read and the checker tests it. Never a guess.

pdfminer.six prints a page band's columns among each other (a row's first two cells on one line, the 总计
column among the 其他 column, header words and labels between): where nothing else satisfies the identities,
such a band is read column by column with the row totals checked as it goes (_shuffled).
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from itertools import accumulate, combinations, product
from math import prod

from nianbao.check import MAX_REPORT_ERRORS, evaluate
from nianbao.parse.align import MAX_ALIGNMENTS, Alignment, _consistent, reorderings
from nianbao.parse.readings import read_row
from nianbao.parse.tokens import _ZERO_MARKERS, LABEL_CLOSERS, Item, _in_label, as_number
from nianbao.schemas.keys import T2_KEYS
from nianbao.solve import MAX_COMBINATIONS

_NUMBER = r"(?:\d+(?:\.\d+)?|" + "|".join(re.escape(m) for m in sorted(_ZERO_MARKERS)) + ")"
_NUMBERS_LINE = re.compile(rf"[ \t]*{_NUMBER}(?:[ \t]+{_NUMBER})*[ \t]*")
_TOKEN = re.compile(r"\S+")
_DECIMAL = re.compile(r"\d+\.\d+")
_LABEL_THEN_NUMBERS = re.compile(
    rf".*[\u4e00-\u9fff{LABEL_CLOSERS}](?:[ \t]+|(?=\d))({_NUMBER}(?:[ \t]+{_NUMBER})*)[ \t]*"
)


@dataclass
class Spill:
    """Numbers of the tables around table 三 that pdftotext printed among its own, in their order."""

    before: list[Item] = field(default_factory=list)  # table 二's last, printed after table 三's title
    after: list[Item] = field(default_factory=list)  # table 四's, after table 三's
    others: list[list[Item]] = field(default_factory=list)  # table 四's in the other orders they may have
    apart: bool = False  # table 三's last cells were taken from among table 四's numbers or after them
    among: bool = False  # some of table 三's cells are printed between table 四's numbers
    claimed: frozenset[int] = frozenset()  # where table 三's cells are printed: no number there is table 四's
    read: bool = False  # table 三 was read from the stream, every row decided
    blocks: bool = False  # table 三 is printed in blocks (pdftotext's default mode)


@dataclass
class BlockReading:
    order: list[str]  # the template rows the blocks account for
    alignment: Alignment
    spill: Spill


@dataclass
class Block:
    values: list[Item]  # the numbers of consecutive lines, in order
    after_text: bool  # a text line (a label, a header cell, a page number) or a page break comes before it
    labelled: bool = False  # printed on one line after a label fragment (`1.属于国家秘密 0`, `…只计这一情8`)
    widths: list[int] = field(default_factory=list)  # how many of the values each of its lines holds


def number_blocks(text: str, lo: int, hi: int) -> list[Block]:
    """The region's number lines grouped into blocks (a line of several numbers: cells side by side, in order)."""
    blocks: list[Block] = []
    current: list[Item] | None = None
    after_text = False
    blank = 0  # empty lines in a row: two or more are a page break (ingest leaves its form feed and number so)
    pos = lo
    for line in text[lo:hi].split("\n"):
        start = pos
        pos += len(line) + 1
        blank = blank + 1 if not line.strip() else 0
        if blank >= 2:
            current, after_text = None, after_text or bool(blocks)
            continue
        # a label and its row's numbers on one baseline; a line of numbers alone is none, though it opens with a
        # zero marker that is a CJK character (`无 287`: two cells side by side, no label `无`)
        labelled = None if _NUMBERS_LINE.fullmatch(line) else _LABEL_THEN_NUMBERS.fullmatch(line)
        at = labelled.start(1) if labelled else 0
        numbers = [
            Item("value", m.group(), start + at + m.start(), start + at + m.end()) for m in _TOKEN.finditer(line[at:])
        ]
        while (labelled or _NUMBERS_LINE.fullmatch(line)) and numbers and _in_label(text, numbers[0]):
            numbers.pop(0)  # a label's 无 or 一 letter-spaced at its line's end (`1. 申 请 人 无`): no cell
        if numbers and (labelled or _NUMBERS_LINE.fullmatch(line)):  # one number, or neighbouring cells in a line
            if current is None or labelled:
                current = []
                blocks.append(Block(current, after_text or bool(labelled), bool(labelled)))
                after_text = False
            current.extend(numbers)
            blocks[-1].widths.append(len(numbers))
            continue
        current = None
        after_text = after_text or bool(line.strip())
    for block in blocks if _JOINED.get() else ():  # a number broken across two lines read as one (read_joined)
        if block.widths == [1, 1] and block.values[0].start in _JOINED.get():
            first, second = block.values
            block.values, block.widths = [Item("value", first.text + second.text, first.start, second.end)], [1]
    return blocks


def broken_numbers(text: str, lo: int, hi: int) -> list[int]:
    """Where a number may be broken across two lines in its narrow cell (`3` / `0` for 30, format.md §3.32): a
    block of exactly two lines of one number each, digits only, the first not 0 (no count begins with 0); the
    first piece's offset. pdftotext prints a one-number-a-line page's cells blank lines apart, so two such lines
    with none between are one cell's pieces or one column's two cells, which only the identities tell apart."""
    return [
        b.values[0].start
        for b in number_blocks(text, lo, hi)
        if b.widths == [1, 1] and all(v.text.isdigit() for v in b.values) and not b.values[0].text.startswith("0")
    ]


MAX_BROKEN_NUMBERS = 4  # pieces of a broken number tried, one at a time; a page with more is read as printed


def read_joined(text, spans, orders, n, checks, labelled, title, joins: list[int]) -> BlockReading | None:
    """The blocks read with one number broken across two lines joined (broken_numbers), where they read no way as
    printed: each joining in turn, read only where it decides every row and satisfies every identity (the band
    reading's search, within its budget); exactly one distinct reading over all joinings is read, else None."""
    if len(joins) > MAX_BROKEN_NUMBERS:
        return None
    found: dict[tuple, BlockReading] = {}
    for at in joins:
        token = _JOINED.set(frozenset({at}))
        try:
            read = read_blocks(text, spans, orders, n, *checks, consistent_only=True, labelled=labelled, title=title)
        finally:
            _JOINED.reset(token)
        if read and not read.alignment.open and _consistent(read.alignment.segments, n, *checks):
            found.setdefault(_values([read.alignment.segments[r] for r in read.order]), read)
    return next(iter(found.values())) if len(found) == 1 else None


def _readings(
    blocks: list[Block],
    n: int,
    limit: int,
    stacked: bool = True,
    move: bool = False,
    shuffle=None,
    beside: bool = False,
    permute: bool = False,
    interleave=None,
    paired: bool = False,
    bands: dict | None = None,
    pins: dict[int, int] | None = None,
) -> list[list[list[Item]]]:
    """Every way the blocks read as rows of n cells, in order (at most `limit`); `stacked`: with two rows a
    column's cells stacked as one block (_stacked_pairs) among them; `move`: also with one column of one band
    printed out of its place (_moved), and header pieces between a band's columns; `shuffle` (a row's
    constraint): also with a page band's columns printed among each other (_shuffled), `beside`: and a cell
    printed beside a text line also the next column's; `permute`: and a band's columns printed one after another in
    any order (_shuffled); `interleave` (a row's constraint): also with two rows printed among each other
    (_interleaved); `paired`: a band of one line of two numbers a row read with its other cells in any order
    (_pairs_any); `bands`: the page bands' readings already made for these blocks and options (with or without
    the stacked pairs alike); `pins`: the numbers printed on a label's line (offset -> the index of the label's
    row), which a page band's mixed columns keep in that row."""
    found: list[list[list[Item]]] = []
    dead: set[tuple[int, bool]] = set()  # blocks from which no reading reaches the end
    bands = {} if bands is None else bands  # a page band's readings, once for every walk
    budget = _BUDGET.get()

    def walk(i: int, rows: list[list[Item]], moved: bool = False) -> None:
        if len(found) >= limit or (i, moved) in dead:
            return
        if budget:
            budget.spend(1)
        if i == len(blocks):
            found.append(rows)
            return
        before = len(found)
        size, j = 0, i
        while j < len(blocks) and size < n:  # one row: whole blocks of n numbers in all
            size, j = size + len(blocks[j].values), j + 1
        if size == n:
            walk(j, [*rows, [v for b in blocks[i:j] for v in b.values]], moved)
        for pair in _stacked_pairs(blocks, i, n) if stacked else ():  # two rows, a column's two cells one block
            walk(i + 2 * n - 1, rows + pair, moved)
        for j in range(1, (len(blocks) - i) // n + 1):  # several rows, column by column, a column in j blocks
            columns = _columns(blocks, i, n, j, between=move)
            for order in [columns] + (_moved(columns) if move and not moved else []) if columns else ():
                walk(i + n * j, rows + [list(row) for row in zip(*order, strict=True)], moved or order is not columns)
        for j, band, edges in _page_bands(blocks, i, n) if shuffle or interleave else ():  # a page band, its
            if interleave and not _broken(blocks[i:j]):  # columns (or two rows) mixed
                continue
            if (i, j) not in bands:
                if budget:
                    budget.spend(SHUFFLE_STEPS)
                here = {v.start: pins[v.start] - len(rows) for line in band for v in line if v.start in (pins or {})}
                bands[i, j] = (
                    _pairs_any(band, n, shuffle, here)
                    if paired and (_paired(band, n) or _paired(band, n, 2))
                    else _shuffled(band, n, shuffle, edges if beside else None, permute, here)
                    if shuffle
                    else _interleaved(band, n, interleave)
                )
            for reading in bands[i, j]:
                walk(j, rows + reading, moved)
        if len(found) == before:
            dead.add((i, moved))

    walk(0, [])
    return found


MAX_SHUFFLE_STATES = 3_000  # distinct partial readings of a page band kept at once; more leave the band unread


def _page_bands(blocks: list[Block], i: int, n: int) -> list[tuple[int, list[list[Item]], list[bool]]]:
    """The runs of blocks from `i` that could be a page band, as their lines' numbers and whether each line is
    printed beside a text line (one comes right before or after it): they hold a whole number of rows, at least
    two, and begin and end at a text line (or the blocks' ends; a band with one line of two numbers a row
    anywhere); labels and header words may lie between their blocks."""
    bands, lines, edges, size = [], [], [], 0
    for j in range(i, len(blocks)):
        at, last = 0, len(blocks[j].widths) - 1
        for w, width in enumerate(blocks[j].widths):
            lines.append(blocks[j].values[at : at + width])
            edges.append(
                (w == 0 and blocks[j].after_text) or (w == last and (j + 1 == len(blocks) or blocks[j + 1].after_text))
            )
            at += width
        size += len(blocks[j].values)
        paired = _paired(lines, n)
        starts = not i or blocks[i].after_text or (paired and len(lines[0]) == 2)
        ends = j + 1 == len(blocks) or blocks[j + 1].after_text or paired
        if size >= 2 * n and size % n == 0 and starts and ends:
            bands.append((j + 1, list(lines), list(edges)))
    return bands


def _paired(lines: list[list[Item]], n: int, per_row: int = 1) -> bool:
    """One line of two numbers a row (`per_row` such lines a row): each row's first two cells side by side
    (pdfminer.six joins the 自然人 and 商业企业 cells of a row into one text line where they sit close; with a
    wider character margin its 其他 and 总计 cells too)."""
    return sum(len(line) == 2 for line in lines) * n == sum(map(len, lines)) * per_row


def _shuffled(
    lines: list[list[Item]],
    n: int,
    constraint,
    beside: list[bool] | None = None,
    permute: bool = False,
    pins: dict[int, int] | None = None,
    paired: bool | None = None,
) -> list[list[list[Item]]]:
    """The distinct readings (by value) of a page band whose columns pdfminer prints among each other.

    pdfminer.six groups a table's cells into boxes by distance: a narrow number sits nearer the cell under it
    than the cell beside it, so each column's cells come top to bottom; but a column's boxes can be grouped
    with its neighbour's (the 自然人 and 商业企业 cells of each row on one text line, the 总计 column among the
    其他 column), and a column's first cells can be printed with the label column. So the band's numbers are
    read as its columns in template order, each in order, the 总计 column's among the 其他 column's; a line of
    several numbers is cells of one row side by side (a line of zeros may also be cells of separate rows; on a
    wider print a row's first three cells are one line, or its first cell a line and the next two another);
    each row's total must hold. `beside` (each line's: printed beside a text line): the 商业企业 column's first
    cells can be grouped with the labels beside them too, among the 自然人 column's cells, so while the 自然人
    column is being filled such a line of one number is also the 商业企业 column's next cell (a row the 自然人
    column has already reached). `permute`: pdfminer can print a band's columns in another order than the
    template's (`-F 1`: the 总计 column first, or the 法人 columns before the 自然人 column), so the column being
    filled is the one begun last, and once it is full any unfinished column may come next: the orders are
    walked together, a state per set of columns filled, and the row totals choose as they do for the template's
    order. [] where a line holds a whole row's numbers (a row printed as a line: not this shape), or where the
    band reads too many ways to tell (MAX_SHUFFLE_STATES). `pins`: the numbers printed on a label's line (offset ->
    the band's row), placed in that row only. A band of one line of two numbers a row is read with those lines its
    rows' first two cells (`paired`), each row's other cells after its line; where that reads no way, as any band
    (a row's first cell alone, then the next two a line: `64` / `0 0`)."""
    cache = None if permute else _SHUFFLES.get()  # permute spends a bound of its own: not repeated from a cache
    if cache is not None:
        key = (tuple(tuple((v.start, v.text) for v in line) for line in lines), n, constraint)
        key += (tuple(beside) if beside else None, tuple(sorted(pins.items())) if pins else None, paired, _HEADS.get())
        if key not in cache:  # kept as places in the lines: a later call's Items are its own (callers map by id)
            token = _SHUFFLES.set(None)
            try:
                readings = _shuffled(lines, n, constraint, beside, permute, pins, paired)
            finally:
                _SHUFFLES.reset(token)
            place = {id(v): (at, w) for at, line in enumerate(lines) for w, v in enumerate(line)}
            cache[key] = [[[place[id(v)] for v in row] for row in rows] for rows in readings]
        return [[[lines[at][w] for at, w in row] for row in rows] for rows in cache[key]]
    k = sum(map(len, lines)) // n
    if permute:  # columns one after another: two numbers on a line are two cells in turn (more: a row's line)
        if any(len(line) > 2 for line in lines):
            return []
        lines = [line[v : v + 1] for line in lines for v in range(len(line))]
    if paired is None:
        paired = _paired(lines, n)
        if paired:
            return _shuffled(lines, n, constraint, beside, permute, pins, True) or _shuffled(
                lines, n, constraint, beside, permute, pins, False
            )
    numbers = [tuple(as_number(v.text) for v in line) for line in lines]
    widest = n - 1 if _HEADS.get() else 2  # a row's first three cells can be one line; a whole row's is a row
    if any(None in values or len(values) > widest for values in numbers):  # a row printed as a line: not this shape
        return []
    left = Counter(v for values in numbers for v in values)  # the numbers not yet placed
    # (cells per column, values, the column being filled where `permute`) -> the Items
    layer: dict[tuple, tuple] = {((0,) * n, ((),) * n, None): ((),) * n}
    budget = _BUDGET.get()
    for at, (line, values) in enumerate(zip(lines, numbers, strict=True)):
        left.subtract(values)
        fits = functools.partial(_row_fits, constraint=constraint, left=left)
        row = next((pins[v.start] for v in line if v.start in pins), None) if pins else None  # the line's row
        after: dict[tuple, tuple] = {}
        wide = bool(beside and beside[at])
        if permute and budget and not budget.permuted(len(layer)):
            return []  # the orders read too many ways within their own bound: the band is not read so
        for state, where in layer.items():
            if (
                _place(state, where, line, values, k, fits, after, paired, wide, permute, row)
                or len(line) == 1
                or any(values)
            ):
                continue
            steps = {state: where}  # a line of zeros fitting no row: cells of separate rows
            for v in range(len(line)):
                step: dict[tuple, tuple] = {}
                for state_v, where_v in steps.items():
                    _place(
                        state_v, where_v, line[v : v + 1], values[v : v + 1], k, fits, step, paired, False, permute, row
                    )
                steps = step
            for key, where_v in steps.items():
                after.setdefault(key, where_v)
        if len(after) > MAX_SHUFFLE_STATES:
            return []
        layer = after
    readings = [[[where[c][r] for c in range(n)] for r in range(k)] for where in layer.values()]
    if not permute:
        return readings
    kinds: dict[tuple, list[list[Item]]] = {}  # no identity tells the applicant columns apart: one of each kind
    for rows in readings:
        columns = [_values([[row[c] for row in rows]]) for c in range(n)]
        kinds.setdefault((tuple(sorted(columns[:-1])), columns[-1]), rows)
    return list(kinds.values())


MAX_PAIRED_STATES = 2_000  # partial readings of a band's other cells in any order (_pairs_any); more: not read so
MAX_PAIRED_READINGS = 64  # distinct readings of one such band; more leave it unread


def _pairs_any(
    lines: list[list[Item]], n: int, constraint, pins: dict[int, int] | None = None
) -> list[list[list[Item]]]:
    """The distinct readings (by value) of a band of one line of two numbers a row whose other cells come in
    any order.

    pdfminer.six (`-F 1`, other margins) prints each row's 自然人 and 商业企业 cells as one text line, in row
    order (a line on its label's line that row's, _pinned_first), but the band's other columns in pieces, among each other and among the labels (the 总计 column's
    first rows, then the 其他 column's, then the 总计 column's next rows). Each column still comes top to
    bottom, so the 总计 column is the single numbers' subsequence in row order; the rest are the four other
    applicant columns' cells, which no identity places (each holds within a column or sums them all). So a
    reading is a choice of that subsequence where each row's total less its two printed cells is what its other
    cells sum to, the single numbers left over dealt to the rows so: a row whose total is its two cells has
    zeros there (the counts are not negative), a row with more holds the numbers dealt to it in a canonical
    order (_applicants_open leaves it open). Where a band prints two lines of two numbers a row, each row's last
    two cells (其他 and 总计, set as close) are a line as well: which lines are which the row totals tell
    (_firsts_and_lasts), and the single numbers are the middle cells, dealt to the rows alike. [] where the band
    is not of this shape or reads too many ways. `pins`: the numbers printed on a label's line (offset -> the band's
    row), read in that row only."""
    pins = pins or {}
    pairs = [line for line in lines if len(line) == 2]
    singles = [line[0] for line in lines if len(line) == 1]
    k = sum(map(len, lines)) // n
    if len(pairs) + len(singles) != len(lines) or len(pairs) not in (k, 2 * k):
        return []
    if len(pairs) == k and (pairs := _pinned_first(pairs, pins)) is None:
        return []
    sums = [sum(as_number(v.text) for v in pair) for pair in pairs[:k]]
    readings: dict[tuple, list[list[Item]]] = {}
    if len(pairs) == 2 * k:  # the totals printed beside the 其他 cells: the single numbers are the middle cells
        for firsts, lasts in _firsts_and_lasts(pairs, sum(as_number(v.text) for v in singles), pins):
            needs = [
                as_number(t.text) - as_number(o.text) - sum(as_number(v.text) for v in first)
                for first, (o, t) in zip(firsts, lasts, strict=True)
            ]
            if _deal(firsts, lasts, singles, needs, n - 4, constraint, readings, pins) is None:
                return []
        return list(readings.values())
    values = [as_number(v.text) for v in singles]
    spare = sum(values) - sum(sums)  # the other cells and the totals' excess over the pairs: twice the excess
    if spare < 0 or spare % 2:
        return []
    excess = spare // 2
    # (rows whose total is chosen, the totals, the numbers passed over other than 0) -> their Items
    layer: dict[tuple, tuple] = {(0, (), ()): ((), ())}
    for item, value in zip(singles, values, strict=True):
        after: dict[tuple, tuple] = {}
        for (r, totals, over), (total_items, over_items) in layer.items():
            used = sum(totals) - sum(sums[:r])
            if r < k and sums[r] <= value and used + value - sums[r] <= excess and pins.get(item.start, r) == r:
                after.setdefault((r + 1, (*totals, value), over), ((*total_items, item), over_items))
            if value and sum(over) + value <= excess:  # another column's cell (a pinned one: the deal checks it)
                key = (r, totals, tuple(sorted((*over, value))))
                after.setdefault(key, (total_items, (*over_items, item)))
            elif not value:
                after.setdefault((r, totals, over), (total_items, (*over_items, item)))
        if len(after) > MAX_PAIRED_STATES:
            return []
        layer = after
    for (r, totals, _), (total_items, over_items) in layer.items():
        if r == k and len(over_items) == (n - 3) * k:
            needs = [t - s for t, s in zip(totals, sums, strict=True)]
            lasts = [[t] for t in total_items]
            if _deal(pairs, lasts, list(over_items), needs, n - 3, constraint, readings, pins) is None:
                return []
    return list(readings.values())


def _pinned_first(pairs: list[list[Item]], pins: dict[int, int]) -> list[list[Item]] | None:
    """The rows' first-two lines in row order: a line printed on its row's label's line is that row's (pdfminer.six
    prints it with the label, before the lines of taller rows above it: `1.属于国家秘密 0 0` before the `8 1` of
    （二）部分公开, whose label wraps over three lines), the others fill the other rows in print order. None where
    two lines are one row's, a line's numbers are pinned to two rows, or a pinned line comes after more lines than
    rows above its own (printed late, the lines before it are not in row order: pdfminer `-L 1.0`)."""
    rows: list[list[Item] | None] = [None] * len(pairs)
    for at, pair in enumerate(pairs):
        pinned = {pins[v.start] for v in pair if v.start in pins}
        if len(pinned) > 1 or any(not at <= r < len(pairs) or rows[r] is not None for r in pinned):
            return None  # (a line printed after a later row's: the lines are out of row order, not read so)
        if pinned:
            rows[pinned.pop()] = pair
    free = iter(pair for pair in pairs if not any(v.start in pins for v in pair))
    return [row if row is not None else next(free) for row in rows]


def _firsts_and_lasts(pairs: list[list[Item]], middle: int, pins: dict[int, int]) -> list[tuple[list, list]]:
    """The ways (by value) two lines of two numbers a row are each row's first two cells and its last two (其他,
    总计): each kind in row order, the two among each other, every row's total at least its three printed cells,
    and the rows' excesses over them summing to the `middle` cells' sum; a line holding a number `pins` places goes to
    that row only. [] where they read too many ways (MAX_PAIRED_STATES)."""
    k = len(pairs) // 2
    numbers = [tuple(as_number(v.text) for v in pair) for pair in pairs]
    # (firsts' values, lasts' values) -> their lines
    layer: dict[tuple, tuple] = {((), ()): ((), ())}
    for pair, values in zip(pairs, numbers, strict=True):
        after: dict[tuple, tuple] = {}
        row = next((pins[v.start] for v in pair if v.start in pins), None)
        for (firsts, lasts), (first_lines, last_lines) in layer.items():
            if len(firsts) < k and row in (None, len(firsts)):
                after.setdefault(((*firsts, values), lasts), ((*first_lines, pair), last_lines))
            r = len(lasts)
            if r < len(firsts) and row in (None, r) and values[1] >= sum(firsts[r]) + values[0]:  # row r's 其他, 总计
                excess = sum(t - o - sum(f) for f, (o, t) in zip(firsts, (*lasts, values), strict=False))
                if excess <= middle:
                    after.setdefault((firsts, (*lasts, values)), (first_lines, (*last_lines, pair)))
        if len(after) > MAX_PAIRED_STATES:
            return []
        layer = after
    return [(list(f), list(t)) for (firsts, lasts), (f, t) in layer.items() if len(lasts) == k]


def _deal(firsts, lasts, others: list[Item], needs: list[int], width: int, constraint, readings: dict, pins: dict):
    """Each reading (by value) of the rows whose first and last cells are printed, the other cells dealt to them so
    that each row's add up to its need (a number `pins` places in its row only), into `readings`; None once they
    are more than MAX_PAIRED_READINGS."""
    zeros = [v for v in others if not as_number(v.text)]
    numbers = sorted((v for v in others if as_number(v.text)), key=lambda v: -as_number(v.text))
    own = [[v for v in zeros if pins.get(v.start) == r] for r in range(len(firsts))]  # zeros a label places
    if sum(map(len, own)) != sum(v.start in pins for v in zeros):
        return readings
    for dealt in _dealt(numbers, needs, width):
        if any(len(cells) + len(own[r]) > width for r, cells in enumerate(dealt)):
            continue
        if any(pins.get(v.start, r) != r for r, cells in enumerate(dealt) for v in cells):
            continue
        rows, left = [], [v for v in zeros if v.start not in pins]
        for first, cells, last, mine in zip(firsts, dealt, lasts, own, strict=True):
            cells = sorted(cells, key=lambda v: -as_number(v.text))
            rows.append([*first, *cells, *mine, *(left.pop() for _ in range(width - len(cells) - len(mine))), *last])
        if all(constraint(tuple(as_number(v.text) for v in row)) for row in rows):
            readings.setdefault(_values(rows), rows)
        if len(readings) > MAX_PAIRED_READINGS:
            return None
    return readings


def _dealt(items: list[Item], needs: list[int], width: int) -> list[list[list[Item]]]:
    """Every way (by value) of dealing the numbers to the rows so that each row's add up to its need, at most
    `width` a row."""
    if not items:
        return [[[] for _ in needs]] if not any(needs) else []
    first, rest = items[0], items[1:]
    value = as_number(first.text)
    found = []
    for r, need in enumerate(needs):
        if need < value:
            continue
        for way in _dealt(rest, [*needs[:r], need - value, *needs[r + 1 :]], width):
            if len(way[r]) < width:
                way[r] = [first, *way[r]]
                found.append(way)
    return found


def _broken(band: list[Block]) -> bool:
    """A band whose printed order is broken: a text line (a label) inside it, or a line of several numbers; two rows
    of single numbers one after the other between two labels are printed row by row."""
    return any(b.after_text for b in band[1:]) or any(w > 1 for b in band for w in b.widths)


def _interleaved(lines: list[list[Item]], n: int, constraint) -> list[list[list[Item]]]:
    """The distinct readings (by value) of two rows that pdftotext prints among each other.

    Beside tall label cells pdftotext can print two rows by column groups: a row's first cells, then the next row,
    then the first row's other cells (`5286` / `397` / `342` / `7.属于行政执法案卷` / the seven cells of row 7 /
    `772` / `2282` / `/` / `3407`), or the first cells of both, then the other cells of both (`1052 964` / `0` /
    `0` / `907 1381 1397 1079 6780` / `0` / ...). So each row's cells come in order, a line of several numbers is
    cells of one row side by side, the first row begins the band, and each row's total must hold. The rows as
    printed one after the other are the other shapes' reading, not repeated here. [] for a band of more than two
    rows."""
    if sum(map(len, lines)) != 2 * n:
        return []
    layer: dict[tuple, tuple] = {((), ()): ((), ())}  # the two rows' values so far -> their Items
    for line in lines:
        values = tuple(as_number(v.text) for v in line)
        if None in values:
            return []
        after: dict[tuple, tuple] = {}
        for cells, where in layer.items():
            for r in (0, 1) if cells[0] else (0,):
                row = cells[r] + values
                if len(row) > n or (len(row) == n and not constraint(row)):
                    continue
                key = (row, cells[1]) if r == 0 else (cells[0], row)
                after.setdefault(
                    key, (where[0] + tuple(line), where[1]) if r == 0 else (where[0], where[1] + tuple(line))
                )
        layer = after
    printed = [v for line in lines for v in line][:n]  # the first row's cells as printed: read by the other shapes
    return [[list(row) for row in where] for where in layer.values() if list(where[0]) != printed]


def _row_fits(row: list, constraint, left: Counter) -> bool:
    """A complete row satisfies its total; a row missing one cell needs a number still to be placed, the one
    its total determines (the total is the sum of the others)."""
    missing = [c for c, v in enumerate(row) if v is None]
    if not missing:
        return constraint(tuple(row))
    known = sum(v for v in row[:-1] if v is not None)
    if len(missing) > 1:
        return row[-1] is None or known <= row[-1]
    need = known if missing[0] == len(row) - 1 else row[-1] - known
    return left[need] > 0


def _place(state, where, line, values, k, fits, into: dict, paired=False, wide=False, permute=False, row=None) -> bool:
    """Each place for a line's cells in a row side by side (into `into`); whether there is one. A line of one
    number goes to the first unfinished column (or the total column beside it; `wide`: while that is the first
    column, or the second, where it has fewer cells), a line of several to that column and the next ones, or, after
    a row's first cell alone (the state's third part), to that row's next cells; in a `paired`
    band a line of two is the next row's first two cells, and a line of one goes to the columns after them.
    `permute`: the column being filled (the state's third part) is the place, and once it is full every
    unfinished column is one (the columns one after another in any order; no column among another's). `row`: the
    only row the line may go to (a number on it is printed on that row's label's line)."""
    counts, cells, current = state
    placed = False
    n, m = len(counts), len(line)
    unfinished = [c for c in range(2 * paired, n) if counts[c] < k]
    first = unfinished[0] if unfinished else n
    if paired and m == 2:
        places: tuple[int, ...] = (0,)
    elif permute:  # the column begun last until it is full, then any unfinished one
        places = tuple(unfinished) if current is None or counts[current] == k else (current,)
    else:
        places = (first, n - 1) if m == 1 and first == n - 2 else (first,)
        if wide and m == 1 and first == 0 and counts[1] < counts[0]:
            places = (*places, 1)
        if m > 1 and current and current != first and counts[current] == counts[0] - 1 and _HEADS.get():
            places = (*places, current)  # a row's first cell, then its next cells a line (`0` / `0 0`): its row's
    for c in places:
        r = counts[c] if c + m <= n else k
        if r == k or r != (r if row is None else row) or any(counts[c + d] != r for d in range(m)):
            continue
        if paired and c >= 2 and counts[0] <= r:
            continue  # a row's other cells come after its first two cells' line
        grown = (*cells[:c], *((*cells[c + d], values[d]) for d in range(m)), *cells[c + m :])
        if not fits([col[r] if len(col) > r else None for col in grown]):
            continue  # the row's total does not hold, or needs a number the band has no more of
        counts_after = (*counts[:c], *(r + 1 for _ in range(m)), *counts[c + m :])
        where_after = (*where[:c], *((*where[c + d], line[d]) for d in range(m)), *where[c + m :])
        if permute:  # the applicant columns in a canonical order: the orders no identity tells apart walk as one
            keep = sorted(range(n - 1), key=lambda a: (counts_after[a], grown[a]))
            keep.append(n - 1)
            into.setdefault(
                (tuple(counts_after[a] for a in keep), tuple(grown[a] for a in keep), keep.index(c)),
                tuple(where_after[a] for a in keep),
            )
        else:  # a row's first cell alone: its next cells may follow on a line of their own
            into.setdefault((counts_after, grown, 1 if m == 1 and c == 0 else None), where_after)
        placed = True
    return placed


def _moved(columns: list[list[Item]]) -> list[list[list[Item]]]:
    """The band's columns with one of them put back in another place (pdfminer can print a band's total column
    before the column left of it)."""
    orders: list[list[list[Item]]] = []
    for a in range(len(columns)):
        rest = columns[:a] + columns[a + 1 :]
        for b in range(len(columns)):
            order = [*rest[:b], columns[a], *rest[b:]]
            if b != a and not any(all(x is y for x, y in zip(o, order, strict=True)) for o in orders):
                orders.append(order)
    return orders


def _stacked_pairs(blocks: list[Block], i: int, n: int) -> list[list[list[Item]]]:
    """Two rows printed row by row, one number a block, but for one column whose two cells are stacked close
    enough to be one block of two: printed where the first row's cell is, or where the second's is. Each
    column and place that fits the blocks from `i` is a reading of the two rows."""
    run = blocks[i : i + 2 * n - 1]
    if len(run) < 2 * n - 1:
        return []
    found = []
    for column in range(n):
        for at in (column, n - 1 + column):  # the block of two: at the first row's cell, or at the second's
            if len(run[at].values) != 2 or any(len(b.values) != 1 for j, b in enumerate(run) if j != at):
                continue
            singles = [b.values[0] for j, b in enumerate(run) if j != at]
            first, second = singles[: n - 1], singles[n - 1 :]
            first.insert(column, run[at].values[0])
            second.insert(column, run[at].values[1])
            found.append([first, second])
    return found


def _columns(blocks: list[Block], i: int, n: int, j: int, between: bool = False) -> list[list[Item]] | None:
    """The n columns of a band of rows printed column by column from block `i`, each column in j blocks split
    alike (rows set tight stack as one block, taller rows apart, the same in every column); None unless the
    band stands between two breaks (a text line, the blocks' end, or, for a run of single numbers, a longer
    block) with none inside it (`between`: but for header pieces between two columns, `社会` / `公益`)."""
    if len(blocks) - i < n * j:
        return None
    band = blocks[i : i + n * j]
    pattern = [len(b.values) for b in band[:j]]
    if sum(pattern) < 2:
        return None
    if j > 1:  # the band's edges first (the walk asks for many bands that end inside a run)
        singles = set(pattern) == {1}
        after = blocks[i + n * j] if i + n * j < len(blocks) else None
        if not (i == 0 or band[0].after_text or (singles and len(blocks[i - 1].values) != 1)):
            return None
        if after is not None and not (after.after_text or (singles and (len(after.values) != 1 or _RUN_ENDS.get()))):
            return None
    if any(len(b.values) != pattern[c % j] for c, b in enumerate(band)):
        return None
    if j == 1:  # n blocks of k numbers: a band of k tight rows
        return [b.values for b in band]
    if any(b.after_text for c, b in enumerate(band[1:], 1) if c % j or not between):
        return None
    return [[v for b in band[c * j : (c + 1) * j] for v in b.values] for c in range(n)]


def read_blocks(
    text: str,
    spans: list[tuple[int, int, int]],
    orders: list[list[str]],
    n: int,
    constraint,
    identities_of,
    keys_of,
    consistent_only: bool = False,
    labelled: dict[int, str] | None = None,
    title: int | None = None,
) -> BlockReading | None:
    """The table's rows read from its number blocks, for the row order (of `orders`) they account for;
    None where the region is not printed so.

    `spans` are where to look, in turn: (start, end, trailing), `trailing` numbers at the end belonging to the
    next table. pdftotext can print the rest of a page's table after the next table's title, and a cell of the
    table before after this one's title; the numbers keep their order, so what lies before this table's first
    number (at most a table 二's worth) belongs to the table before. `consistent_only`: only a reading that
    satisfies every identity (where the spans are a guess at the page's shape), else None. `labelled`: the
    numbers printed on one line after a row's label (offset -> the row), which a page band's mixed columns
    (_shuffled, _pairs_any) must place in that row. `title`: where the next table's title is printed (a number
    alone after it is no cell inside one of this table's rows)."""
    with _bounded(labelled, title) as within:
        return within(_read_blocks, text, spans, orders, n, (constraint, identities_of, keys_of), consistent_only)


@contextmanager
def _bounded(labelled: dict[int, str] | None, title: int | None = None):
    """One bounded search of a table's readings (`MAX_READ_STEPS`), the numbers on labels' lines in its context:
    a search that finds more readings than it tries is None (the page may be read by its labels instead)."""
    token, own, edge = _BUDGET.set(_Budget(MAX_READ_STEPS)), _LABELLED.set(labelled or {}), _TITLE.set(title)

    def within(search, *args):
        try:
            return search(*args)
        except _TooMany:
            return None

    try:
        yield within
    finally:
        _BUDGET.reset(token)
        _LABELLED.reset(own)
        _TITLE.reset(edge)


@contextmanager
def shuffle_cache():
    """Within it, a page band read by _shuffled with the same lines and options is read once (the readings are the
    same every time: the cache saves only time, most of pdfminer's slow pages' parse)."""
    token = _SHUFFLES.set({})
    try:
        yield
    finally:
        _SHUFFLES.reset(token)


def read_bands(
    text: str,
    spans: list[tuple[int, int, int]],
    orders: list[list[str]],
    n: int,
    constraint,
    identities_of,
    keys_of,
    labelled: dict[int, str] | None = None,
) -> BlockReading | None:
    """The table read band by band, where read_blocks reads it in no way: the blocks cut at every text line
    after which the numbers so far make whole rows, each such band read on its own (its rows' identities choose,
    as for the whole table), a band read in no way (pdfminer.six mixes its columns in an order none of the
    shapes fits) leaving its rows open with no candidate. Only the numbers' count places a band's rows, so
    every row read so is `realigned`; None unless some band reads, and None unless the table is a column stream.
    `labelled` as for read_blocks."""
    with _bounded(labelled) as within:
        read = within(_read_bands, text, spans, orders, n, constraint, identities_of, keys_of)
    heads = any(2 < w < n for lo, hi, _ in spans for b in number_blocks(text, lo, hi) for w in b.widths)
    if heads and read and not _consistent(read.alignment.segments, n, constraint, identities_of, keys_of):
        token = _HEADS.set(False)  # a band read with its rows' first cells in lines of several: it blames the page
        try:
            with _bounded(labelled) as within:
                return within(_read_bands, text, spans, orders, n, constraint, identities_of, keys_of)
        finally:
            _HEADS.reset(token)
    return read


def _read_bands(text, spans, orders, n, constraint, identities_of, keys_of) -> BlockReading | None:
    """read_bands' search, within its bound."""
    checks = (constraint, identities_of, keys_of)
    for lo, hi, trailing in spans:
        found = _trimmed(_counts(number_blocks(text, lo, hi)), trailing, orders, n)
        if not (found and _column_stream(found[1])):
            continue
        order, blocks, spill = found
        alignment = _bands_read(order, blocks, n, checks)
        if alignment.open or not _consistent(alignment.segments, n, *checks):
            moved = _bands_read(order, blocks, n, checks, moved=True)
            if moved.segments and not moved.open and _consistent(moved.segments, n, *checks):
                alignment = moved
        if alignment.segments:
            _counted(order, alignment, blocks, n, checks)
            return BlockReading(order, alignment, spill)
    return None


MAX_JOINED_BANDS = 3  # bands read as one where a text line's cut fell inside a row


def _band_read(rows: list[str], band: list[Block], n: int, checks, beside: bool = False):
    """A band's reading by the shapes (_aligned), or as rows interleaved where those leave it undecided; and the
    interleaved readings (None where not tried or none). `beside`: where no reading satisfies every identity, also
    with the 商业企业 column's first cells printed beside the labels (_shuffled)."""
    constraint, identities_of, keys_of = checks
    read = _aligned(rows, band, n, constraint, identities_of, keys_of, shuffle=constraint)
    if beside and not (read and read[2]):
        read = _aligned(rows, band, n, constraint, identities_of, keys_of, shuffle=constraint, beside=True) or read
    if constraint and not (read and read[2]):
        token = _RUN_ENDS.set(True)
        try:
            ended = _aligned(rows, band, n, constraint, identities_of, keys_of, shuffle=constraint)
        finally:
            _RUN_ENDS.reset(token)
        read = ended if ended and ended[2] else read
    interleaved = None
    if constraint and not (read and read[2] and not read[1].open):
        interleaved = _band_interleaved(rows, band, n, constraint)
        read = interleaved[:3] if interleaved else read
    return read, interleaved


def _joined_bands(bands: list[list[Block]], order: list[str], n: int, checks):
    """The bands with their readings, in order. The numbers before a text line can make whole rows by chance (a
    page band's first column and the 商业企业 cells printed among its labels, `64` / `0` / `0 0` / `27 0` / `5`):
    where a band reads in no way, or its only reading breaks a row's own total, it is read together with the next
    one or two, where that reads so that every row's total holds."""
    constraint = checks[0]

    def fails(read) -> bool:
        return not read or (not read[2] and _a_total_fails(read[1].segments, n, constraint))

    def size(i: int, j: int) -> int:
        return sum(len(b.values) for band in bands[i:j] for b in band) // n

    at, i = 0, 0
    while i < len(bands):
        read = _band_read(order[at : at + size(i, i + 1)], bands[i], n, checks)
        joined = i + 1
        for more in range(2, MAX_JOINED_BANDS + 1) if constraint and fails(read[0]) else ():
            if i + more > len(bands):
                break
            band = [b for part in bands[i : i + more] for b in part]
            tried = _band_read(order[at : at + size(i, i + more)], band, n, checks, beside=True)
            if tried[0] and tried[0][2] and not _a_total_fails(tried[0][1].segments, n, constraint):
                read, joined = tried, i + more
                break
        band = [b for part in bands[i:joined] for b in part]
        yield band, read
        at += size(i, joined)
        i = joined


def _bands_read(order: list[str], blocks: list[Block], n: int, checks, moved: bool = False) -> Alignment:
    """The rows read band by band (read_bands). `moved`: a band its own rows' identities read one way is also
    read with one of its columns printed out of its place, as pdfminer.six prints a band's 自然人 column with the
    label column, after a label piece that follows the band's other columns; where such readings differ, the
    identities with the other bands' rows decide among them (_bands_checked), as for any band read several ways."""
    constraint = checks[0]
    alignment, at, several, sure = Alignment(), 0, [], {}
    for band, (read, interleaved) in _joined_bands(_text_bands(blocks, n), order, n, checks):
        rows = order[at : at + sum(len(b.values) for b in band) // n]
        at += len(rows)
        several += [interleaved[3]] if interleaved and interleaved[1].open else []
        settled = read and read[2] and not read[1].open
        if (
            moved
            and interleaved is None
            and (settled or not constraint)
            and (readings := _column_moved_readings(rows, band, n, checks))
        ):
            several.append(readings)
            read = rows, _agreed(rows, readings), True
        if read and not read[2] and not _HEADS.get() and _a_total_fails(read[1].segments, n, constraint):
            # its only reading breaks a row's own total: no reading of the band, its rows open
            alignment.open.update({r: [items] for r, items in read[1].segments.items()} | read[1].open)
        elif read:
            alignment.segments.update(read[1].segments)
            alignment.open.update(read[1].open)
            sure.update(read[1].segments if read[2] else {})
        else:
            alignment.open.update((r, []) for r in rows)
            alignment.unplaced.update(rows)
    checked = _bands_checked(alignment, sure, several, n, checks)
    if checked and not _consistent(alignment.segments, n, *checks):
        for row in [r for r in alignment.segments if r not in sure]:  # bands' only readings, failing them: open
            alignment.open[row] = [alignment.segments.pop(row)]
    return alignment


def _column_moved_readings(rows: list[str], band: list[Block], n: int, checks) -> list[dict[str, list[Item]]]:
    """The band's distinct readings column by column, as printed or with a column printed after a text line inside
    the band (a label piece) put back in another place, that satisfy the identities its own rows take part in;
    none unless there are several."""
    orders = []
    for j in range(1, len(band) // n + 1):
        columns = _columns(band, 0, n, j, between=True) if len(band) == n * j else None
        if columns:
            orders.append(columns)
            for a in (a for a in range(1, n) if band[a * j].after_text):
                rest = columns[:a] + columns[a + 1 :]
                orders += [[*rest[:b], columns[a], *rest[b:]] for b in range(n) if b != a]
    distinct: dict[tuple, dict[str, list[Item]]] = {}
    for columns in orders:
        read = [list(row) for row in zip(*columns, strict=True)]
        distinct.setdefault(_values(read), dict(zip(rows, read, strict=True)))
    consistent = [a for a in distinct.values() if _consistent(a, n, *checks)]
    return consistent if len(consistent) > 1 else []


def _a_total_fails(rows: dict[str, list[Item]], n: int, constraint) -> bool:
    """Some row of n numbers whose total does not hold."""
    values = [tuple(as_number(v.text) for v in items) for items in rows.values()]
    return any(len(row) == n and None not in row and not constraint(row) for row in values)


def _bands_checked(alignment: Alignment, sure: dict, several: list[list[dict]], n: int, checks):
    """The bands read several ways, each reading tried against the identities with the rows decided so far by
    readings that satisfy them (`sure`: 上年结转 with 本年新收, 办理结果总计 and 结转下年度; a column's result rows
    with its 总计): where some but not all of a band's readings fail one that can be computed, the band's rows
    are read from the rest (a band so decided helps decide the next). Whether some band was decided so."""
    changed, decided_any = True, False
    while changed:
        changed = False
        for readings in several:
            decided = {r: items for r, items in sure.items() if r not in readings[0]}
            kept = [a for a in readings if _consistent(decided | a, n, *checks)]
            if kept and len(kept) < len(readings):
                readings[:] = kept
                agreed = _agreed(list(kept[0]), kept)
                for row in kept[0]:
                    alignment.open.pop(row, None)
                alignment.segments.update(agreed.segments)
                alignment.open.update(agreed.open)
                sure.update(agreed.segments)
                changed = decided_any = True
    return decided_any


MAX_INTERLEAVING_STEPS = 200_000  # a band's interleavings walked; more: the band as the shapes read it
MAX_INTERLEAVED_ROWS = 4  # taller bands interleave too many ways to walk


def _band_interleaved(rows: list[str], band: list[Block], n: int, constraint):
    """The band read as pdfminer.six prints rows of different heights side by side: its cells in an order that
    keeps each row's cells left to right and each column's top to bottom (a cell comes after the cell left of it
    and the cell above it), every row's total (its last column) holding. The distinct readings that do: one is
    read, several leave the rows they disagree on open, each reading a candidate; None where none does or there
    are too many. Zeros can stand in many places: the ways to finish a state (the rows' lengths and the running
    sums of the rows not yet whole) are walked once, whichever way the state was reached."""
    values = [v for b in band for v in b.values]
    numbers = [as_number(v.text) for v in values]
    k = len(rows)
    if None in numbers or len(values) != k * n or k > MAX_INTERLEAVED_ROWS:
        return None
    most = [max(numbers[i:], default=0) for i in range(len(numbers) + 1)]  # no row sums past the largest number left
    lengths, sums = [0] * k, [0] * k
    finishes: dict[tuple, dict[tuple, tuple]] = {}  # state → its ways to finish: (row, column, value)s → positions
    steps = [0]

    def walk(at: int) -> dict[tuple, tuple]:
        if at == len(values):
            return {(): ()}
        key = (tuple(lengths), tuple(s for s, length in zip(sums, lengths, strict=True) if length < n))
        if key not in finishes:
            steps[0] += 1
            if steps[0] > MAX_INTERLEAVING_STEPS:
                raise _TooMany
            ways: dict[tuple, tuple] = {}
            for r in range(k):
                c, number = lengths[r], numbers[at]
                if c == n or (r and lengths[r - 1] <= c):
                    continue
                if number != sums[r] if c == n - 1 else sums[r] + number > most[at + 1]:
                    continue
                lengths[r], sums[r] = c + 1, sums[r] + number
                rest = walk(at + 1)
                lengths[r], sums[r] = c, sums[r] - number
                for cells, places in rest.items():
                    ways.setdefault(tuple(sorted(((r, c, number), *cells))), ((r, c, at), *places))
                if len(ways) > MAX_ALIGNMENTS:
                    raise _TooMany
            finishes[key] = ways
        return finishes[key]

    try:
        found = walk(0)
    except _TooMany:  # the band's own bound: it leaves the band open, never the table
        return None
    readings = []
    for places in found.values():
        read = [[None] * n for _ in range(k)]
        for r, c, at in places:
            read[r][c] = values[at]
        if all(constraint(tuple(as_number(i.text) for i in row)) for row in read):
            readings.append(dict(zip(rows, read, strict=True)))
    if not readings:
        return None
    return rows, _agreed(rows, readings), True, readings


def _counts(blocks: list[Block]) -> list[Block]:
    """The blocks less the last ones that hold a number with decimals: tables 三 and 四 are counts, so such a number
    after them is the prose's (a browser print's footer wrapped to end a line in a version number, `…IE内核9.0`)."""
    while blocks and any(_DECIMAL.fullmatch(v.text) for v in blocks[-1].values):
        blocks = blocks[:-1]
    return blocks


def column_stream(text: str, lo: int, hi: int) -> bool:
    """Whether the region's numbers are a column stream (_column_stream)."""
    blocks = number_blocks(text, lo, hi)
    return bool(blocks) and _column_stream(blocks)


def _column_stream(blocks: list[Block]) -> bool:
    """Most of the numbers printed one or two a line, as pdfminer.six and pdftotext print a band's columns (a few
    lines of a row's cells side by side among them). Lines of a row's numbers each, as tsv, html, docx and PDF
    converters that keep rows print them apart from their labels, are no column stream: the labels place them."""
    widths = [w for b in blocks for w in b.widths]
    return 2 * sum(w for w in widths if w <= 2) > sum(widths)


def _text_bands(blocks: list[Block], n: int) -> list[list[Block]]:
    """The blocks cut before every block printed after a text line where the numbers before it make whole rows."""
    bands: list[list[Block]] = []
    size = 0
    for b in blocks:
        if not bands or (b.after_text and size % n == 0):
            bands.append([])
        bands[-1].append(b)
        size += len(b.values)
    return bands


MAX_READ_STEPS = 500_000  # one table's block readings together (a walk step 1, an identity check 100); pages the
# identities decide take up to about 240 000
MAX_PERMUTED_STEPS = 60_000  # partial readings of page bands in any column order (_shuffled), one table's together


class _Budget:
    """Steps left to the readings of one table: the strategies that each try many enumerations, every one bounded
    on its own (MAX_ALIGNMENTS, MAX_APART_PLACEMENTS), stay bounded all together."""

    def __init__(self, steps: int) -> None:
        self.left = steps
        self.permuted_left = MAX_PERMUTED_STEPS

    def spend(self, steps: int) -> None:
        self.left -= steps
        if self.left < 0:
            raise _TooMany

    def permuted(self, steps: int) -> bool:
        """Spend on the page bands read in any column order, a bound of their own (they are tried where nothing
        else satisfies the identities, before the readings of cells printed apart, which keep their steps);
        False once it is spent."""
        self.permuted_left -= steps
        return self.permuted_left >= 0


_BUDGET: ContextVar[_Budget | None] = ContextVar("block_readings_budget", default=None)
# the numbers printed on one line after a row's label (offset -> the row) of the table being read
_LABELLED: ContextVar[dict[int, str] | None] = ContextVar("block_readings_labelled", default=None)
# where the next table's title is printed (None: not known): a number alone after it is that table's or a first cell
_TITLE: ContextVar[int | None] = ContextVar("block_readings_title", default=None)
# whether a line of three or more numbers (fewer than a row's) may be a row's first cells side by side (_shuffled)
_HEADS: ContextVar[bool] = ContextVar("block_readings_heads", default=True)
# a band's run of single numbers read column by column may end where single numbers go on (pdfminer.six prints a
# band's tight rows column by column and the taller rows after them row by row, no text line between)
_RUN_ENDS: ContextVar[bool] = ContextVar("block_readings_run_ends", default=False)
# a page band's readings by _shuffled, kept for the table being read (shuffle_cache): the searches read the same
# band many times (each shape, the bands joined, the moved columns), at up to MAX_SHUFFLE_STATES states a line
_SHUFFLES: ContextVar[dict | None] = ContextVar("block_readings_shuffled", default=None)
# the offsets of numbers broken across two lines whose pieces are read joined (read_joined)
_JOINED: ContextVar[frozenset[int]] = ContextVar("block_numbers_joined", default=frozenset())


def _own_rows(order: list[str], rows: list[list[Item]]) -> bool:
    """Whether a reading keeps each number printed on its label's line in that label's row: pdfminer.six joins a
    label and numbers into one text line only where they share a baseline, so where it mixes a band's columns
    (and, beside tall labels, prints the rows' lines out of row order) the label still places them."""
    labelled = _LABELLED.get()
    return not labelled or all(
        labelled.get(v.start, row) == row for row, items in zip(order, rows, strict=True) for v in items
    )


IDENTITY_STEPS = 100  # an identity check costs about a hundred walk steps
SHUFFLE_STEPS = 40  # a page band's shuffled readings (_shuffled), about forty


def _read_blocks(text, spans, orders, n, checks, consistent_only) -> BlockReading | None:
    """read_blocks' search, within its budget."""
    constraint, identities_of, keys_of = checks

    def tail(span: tuple[int, int, int]) -> BlockReading | None:  # the page from the title on: cells apart
        lo, hi, trailing = span if span[1] == len(text) else spans[0]
        blocks = _counts(number_blocks(text, lo, hi))
        return constraint and (
            _rows_apart(blocks, trailing, orders, n, *checks) or _island_put_back(blocks, trailing, orders, n, checks)
        )

    def paired(found) -> BlockReading | None:  # the bands' first two columns paired: tried after every other reading
        return found and constraint and _columns_paired(*found, n, *checks)

    for span in spans:
        lo, hi, trailing = span
        blocks = _counts(number_blocks(text, lo, hi))
        found = _trimmed(blocks, trailing, orders, n) if blocks else None
        read = found and _aligned(found[0], found[1], n, constraint, identities_of, keys_of)
        apart = (
            _first_cells_apart(*found, n, constraint, identities_of, keys_of)
            if found and not (read and read[2])
            else None
        )
        if blocks and not apart:
            apart = _one_number_apart(blocks, trailing, orders, n, constraint, identities_of, keys_of)
        if found and read and not read[2] and not apart:
            apart = _column_moved(*found, n, constraint, identities_of, keys_of)
        if found and read and not read[2] and not apart:
            apart = _row_reordered(*found, read[1], n, constraint, identities_of, keys_of)
        near = found and read and not read[2] and constraint and not (apart or consistent_only)
        if near and (near := _nearest(found, n, checks)) and _rows_hold(near, n, constraint):
            return near  # the report's own error, and no number printed apart: the shapes below move numbers
        if found and constraint and not apart and not (read and read[2]):
            apart = _columns_shuffled(*found, n, constraint, identities_of, keys_of) or _rows_interleaved(
                *found, n, constraint, identities_of, keys_of
            )
        if apart or (read and read[2]):
            return apart or BlockReading(*read[:2], found[2])
        if read:  # no reading satisfies every identity: some rows' cells may be printed apart
            reading = (
                tail(span)
                or paired(found)
                or (None if consistent_only else _nearest(found, n, checks) or BlockReading(*read[:2], found[2]))
            )
            if reading:
                return reading
        elif reading := paired(found):
            return reading
    # where no span reads as blocks, only a reading that decides every row (the page may be read by its labels
    # instead); where the spans are a guess at the page's shape (table 四 short by its dropped zero markers), each
    # is tried, and the readings that decide every row must agree
    readings = {}
    for span in spans if consistent_only else spans[:1]:
        reading = tail(span)
        if reading and not reading.alignment.open:
            readings.setdefault(_values([reading.alignment.segments[r] for r in reading.order]), reading)
    return next(iter(readings.values())) if len(readings) == 1 else None


MAX_APART_PLACEMENTS = 700  # places tried for numbers printed apart; a page with more is read as printed


def _one_number_apart(blocks: list[Block], trailing: int, orders, n: int, constraint, identities_of, keys_of):
    """The reading with one number (or two neighbouring cells run together on one line) put back among the
    table's, where pdftotext printed it apart: the page's last number (the total column's bottom cell can flow
    after the next table and the text below it), or an island of one or two numbers between text lines (a cell
    of a row printed after other rows' labels). Every place between the blocks is tried; where the blocks as
    printed satisfy no identity and exactly one of these readings satisfies every identity, it is read. Where none
    does (the report's own arithmetic error), the places that complete a row before a text line are read allowing
    for it (_fewest_failing). Otherwise None (the blocks are read as printed)."""
    if _consistent_reading(blocks, trailing, orders, n, constraint, identities_of, keys_of):
        return None
    end = _end(blocks, trailing) or len(blocks)
    apart = {len(blocks) - 1} if trailing and len(blocks[-1].values) == 1 else set()
    apart |= {i for i in range(end) if _island(blocks, i, end)}
    placements = []
    for k in sorted(apart):
        rest = blocks[:k] + blocks[k + 1 :]
        stop = _end(rest, trailing)
        placements += [(k, rest, at) for at in range(stop + 1 if stop is not None else 0)]
    if len(placements) > MAX_APART_PLACEMENTS:  # each is a whole reading of the blocks: the work stays bounded
        return None
    found: dict[tuple, BlockReading] = {}
    last: set[tuple] = set()  # the page's last number put back: table 三's cells are not all before table 四's
    inconsistent = []  # placements that complete a row at a text line, whose blocks read, but satisfy no identity
    for k, rest, at in placements:
        moved = [*rest[:at], Block(blocks[k].values, True, widths=blocks[k].widths), *rest[at:]]
        trimmed, read = _placement_read(moved, trailing, orders, n, constraint, identities_of, keys_of)
        if read and not read[2] and at < len(rest) and _completes(rest, at, len(blocks[k].values), n):
            inconsistent.append((k, trimmed))
        if not read or read[1].open or not read[2]:
            continue
        values = _values([read[1].segments[r] for r in read[0]])
        found.setdefault(values, BlockReading(*read[:2], trimmed[2]))
        last |= {values} if k == len(blocks) - 1 and trailing else set()
    if not found and constraint and inconsistent:  # the report's own arithmetic error: no reading satisfies all
        checks = (n, constraint, identities_of, keys_of)
        found, last = _within(MAX_NEAR_STEPS, _fewest_failing, blocks, trailing, orders, inconsistent, checks) or (
            {},
            set(),
        )
    if len(found) != 1:
        return None
    values, reading = next(iter(found.items()))
    reading.spill.apart = values in last
    return reading


def _placement_read(blocks, trailing, orders, n, constraint, identities_of, keys_of):
    """The blocks trimmed to the table's, and their reading (_aligned), for one placement of numbers apart."""
    trimmed = _trimmed(blocks, trailing, orders, n)
    return trimmed, trimmed and _aligned(trimmed[0], trimmed[1], n, constraint, identities_of, keys_of)


MAX_NEAR_STEPS = 300_000  # placements read allowing for the report's own error


def _fewest_failing(blocks, trailing, orders, placements, checks) -> tuple[dict, set] | None:
    """Of the placements' readings, those that fail the fewest identities, where that is at most what one arithmetic
    error of the report's own breaks (MAX_REPORT_ERRORS) and fewer than the blocks as printed fail: the distinct
    readings (a placement whose fewest read several ways counts as one more) and those with the page's last number
    put back."""
    n, constraint, identities_of, keys_of = checks
    near: dict[int, dict[tuple, BlockReading]] = {}
    last: set[tuple] = set()
    for k, (order, kept, spill) in placements:
        fewest = _aligned(order, kept, n, constraint, identities_of, keys_of, nearest=True)
        failing = _fewest(fewest, n, checks[1:]) if fewest else None
        if failing is not None:
            key = (k, len(near)) if fewest[1].open else _values([fewest[1].segments[r] for r in fewest[0]])
            near.setdefault(failing, {}).setdefault(key, BlockReading(*fewest[:2], spill))
            last |= {key} if k == len(blocks) - 1 and trailing else set()
    if not near or _failing_as_printed(blocks, trailing, orders, *checks) <= min(near):
        return None
    return near[min(near)], last


def _failing_as_printed(blocks, trailing, orders, n, constraint, identities_of, keys_of) -> float:
    """The fewest identities a single reading of the blocks as printed fails (infinity where they read no one way)."""
    trimmed = _trimmed(blocks, trailing, orders, n)
    read = trimmed and _aligned(trimmed[0], trimmed[1], n, constraint, identities_of, keys_of, nearest=True)
    failing = _fewest(read, n, (constraint, identities_of, keys_of)) if read else None
    return float("inf") if failing is None else failing


def _fewest(read, n: int, checks) -> int | None:
    """The fewest identities the alignments of an _aligned result fail; None where none of them reads so."""
    counts = [_failing(a, n, *checks) for a in _choices(read)]
    return min((c for c in counts if c is not None), default=None)


def _choices(read) -> list[dict[str, list[Item]]]:
    """The alignments an _aligned result leaves: its decided rows with each open row's options (one where none)."""
    alignment = read[1]
    return [
        alignment.segments | dict(zip(alignment.open, combo, strict=True))
        for combo in product(*alignment.open.values())
    ]


def _island_put_back(blocks: list[Block], trailing: int, orders, n: int, checks) -> BlockReading | None:
    """The reading with an island of one or two numbers put back into an earlier row, and the last rows'
    cells taken from where pdftotext printed them (_rows_apart): a page's first row can have its right-hand cells
    printed after the page's other rows, and the table's last rows theirs after table 四's title. An island goes
    only where it completes a row at a text line (_completes). Exactly one distinct reading that decides every row is
    read; otherwise None. The search has a budget of its own (MAX_ISLAND_STEPS): the readings before it leave
    the table's spent."""
    return _within(MAX_ISLAND_STEPS, _islands_back, blocks, trailing, orders, n, checks)


def _within(steps: int, search, *args):
    """A search that tries one more shape of the page, on a budget of its own (the table's untouched), or None where
    it spends it."""
    token = _BUDGET.set(_Budget(steps))
    try:
        return search(*args)
    except _TooMany:
        return None
    finally:
        _BUDGET.reset(token)


MAX_ISLAND_STEPS = 300_000  # an island put back and the last rows apart: pages it decides take up to about 160 000


def _islands_back(blocks: list[Block], trailing: int, orders, n: int, checks) -> BlockReading | None:
    """_island_put_back's search, within its budget."""
    end = _end(blocks, trailing) or len(blocks)
    found: dict[tuple, BlockReading] = {}
    for k in (i for i in range(end) if _island(blocks, i, end)):
        rest = blocks[:k] + blocks[k + 1 :]
        for at in (at for at in range(1, k) if _completes(rest, at, len(blocks[k].values), n)):
            moved = [*rest[:at], Block(blocks[k].values, True, widths=blocks[k].widths), *rest[at:]]
            reading = _rows_apart(moved, trailing, orders, n, *checks)
            if reading and not reading.alignment.open:
                rows = [reading.alignment.segments[r] for r in reading.order]
                found.setdefault(_values(rows), reading)
            if len(found) > 1:
                return None
    return next(iter(found.values()), None)


def _completes(blocks: list[Block], at: int, m: int, n: int) -> bool:
    """Whether `m` numbers put in before block `at`, which follows a text line, complete the row they join: the run
    of numbers that ends there or the one that begins there (between text lines) is short of whole rows by m."""
    if not blocks[at].after_text:
        return False
    start = max((i for i in range(at) if blocks[i].after_text), default=0)
    stop = next((i for i in range(at + 1, len(blocks)) if blocks[i].after_text), len(blocks))
    runs = (sum(len(b.values) for b in blocks[start:at]), sum(len(b.values) for b in blocks[at:stop]))
    return any(size % n and not (size + m) % n for size in runs)


ROWS_APART = (1, 2, 3, 4)  # rows whose cells may be printed apart, together
MAX_ROWS_APART_READINGS = 16  # distinct readings with rows apart; more leave the table as printed
MAX_COLUMN_CHOICES = 20_000  # column tuples tried together; a page with more is left as printed


class _TooMany(Exception):
    """More choices than the bounded search tries."""


def _rows_apart(blocks: list[Block], trailing: int, orders, n: int, constraint, identities_of, keys_of):
    """The reading with the cells of a few neighbouring rows taken from wherever pdftotext printed them.

    pdftotext prints some cells where its reading order puts them, not where the table has them: a row's cell
    after the row's total (a narrow cell beside a tall label), the right-hand cells of a page's last rows after
    table 四's title or after sections 五 and 六, a row's first cell after its other cells. So up to four
    neighbouring rows are a window: the rows before it and after it read from their blocks as printed (or with
    their first cells apart), and the window's cells are its numbers in any order (for the table's last rows:
    every number left, the next table's `trailing` numbers being those left over, in their printed order); cells
    apart in two places are a window inside the table and one of its last rows. The column identities (the
    (七)总计 sums and the 勾稽 balance) decide each column's cells, and the row totals check the rest. Each
    window and assignment that satisfies every identity is a reading, the fewest rows apart first (a window of
    more rows also reads with two of its rows swapped whole); one distinct reading is read, several leave the
    rows they disagree on open. None where none does."""
    values = [v for b in blocks for v in b.values]
    sizes = [len(b.values) for b in blocks]
    ends = {sum(sizes[:i]): i for i in range(len(blocks) + 1)}
    for order in orders:
        leading = len(values) - trailing - n * len(order)
        if not 0 <= leading <= len(T2_KEYS) or leading not in ends:
            continue
        parts = _Parts(blocks, ends, order, leading, trailing, n, (constraint, identities_of, keys_of))
        found: dict[tuple, tuple[dict, list[Item]]] = {}
        last = False  # a window of the table's last rows: its cells the numbers left, table 四's among them
        for total in ROWS_APART:
            for plan in _plans(len(order), total):
                read = _plan_readings(plan, parts, values, n, constraint, identities_of, keys_of)
                for alignment, left in read or ():
                    found.setdefault(_values(list(alignment.values())), (alignment, left))
                last |= bool(read) and sum(plan[-1]) == len(order)
                if read is None or len(found) > MAX_ROWS_APART_READINGS:
                    return None
            if found:  # the fewest rows apart that explain the page: more would also swap whole rows
                break
        if found:
            left = {tuple(as_number(v.text) for v in rest) for _, rest in found.values()}
            first = next(iter(found.values()))
            spill = Spill(values[:leading], first[1] if len(left) == 1 else [], apart=last)
            return BlockReading(order, _agreed(order, [a for a, _ in found.values()]), spill)
    return None


def _plans(rows: int, total: int) -> list[list[tuple[int, int]]]:
    """The windows (start, size) of `total` rows apart: one window of them, or one inside the table and one of
    its last rows (their cells apart in two places), apart from each other."""
    plans = [[(start, total)] for start in range(rows - total + 1)]
    for last in range(1, total):
        plans += [[(start, total - last), (rows - last, last)] for start in range(rows - total)]
    return plans


def _plan_readings(plan, parts, values: list[Item], n: int, constraint, identities_of, keys_of):
    """The readings of the table with the windows of `plan` apart, the rows between read from their own blocks,
    and the next table's numbers after it; [] where the rows between do not read so, None where too many."""
    known: dict = {}
    windows = []
    at, left = 0, []
    for start, size in [*plan, (len(parts.order), 0)]:
        if start < at or (size == 0 and at == len(parts.order)):  # (the last window took every number left)
            continue
        between = parts.read(at, start) if start > at or start == len(parts.order) else ({}, [])
        if between is None:
            return []
        known |= between[0]
        left = between[1] if start == len(parts.order) else left
        if size:
            lo = parts.leading + n * start
            last = start + size == len(parts.order)
            hi = len(values) if last else lo + n * size
            windows.append((parts.order[start : start + size], values[lo:hi]))
        at = start + size
    readings = []
    budget = _BUDGET.get()
    for placed, rest in _window_rows(known, windows, n, constraint, identities_of, keys_of) or ():
        if budget:
            budget.spend(IDENTITY_STEPS)
        alignment = {r: (known | placed)[r] for r in parts.order}
        if _consistent(alignment, n, constraint, identities_of, keys_of):
            readings.append((alignment, rest if plan[-1][0] + plan[-1][1] == len(parts.order) else left))
    return readings


@dataclass
class _Parts:
    """Runs of the table's rows read from their own blocks, each once."""

    blocks: list[Block]
    ends: dict[int, int]  # number index → the block that starts there
    order: list[str]
    leading: int
    trailing: int
    n: int
    checks: tuple  # constraint, identities_of, keys_of
    memo: dict = field(default_factory=dict)

    def read(self, first: int, stop: int) -> tuple[dict, list[Item]] | None:
        """order[first:stop] read consistently from their own blocks (the last rows: with the next table's numbers
        after them), and those numbers."""
        if (first, stop) not in self.memo:
            more = self.trailing if stop == len(self.order) else 0
            lo, hi = self.leading + self.n * first, self.leading + self.n * stop + more
            self.memo[first, stop] = None
            if lo in self.ends and hi in self.ends:
                part = self.blocks[self.ends[lo] : self.ends[hi]]
                self.memo[first, stop] = _consistently(self.order[first:stop], part, more, self.n, *self.checks)
        return self.memo[first, stop]


def _consistently(rows: list[str], part: list[Block], trailing: int, n, constraint, identities_of, keys_of):
    """The rows read from their blocks in one way that satisfies every identity it can (the blocks as printed,
    or with rows' first cells apart), and the `trailing` numbers after them; None where not one way."""
    if not rows:
        return {}, [v for b in part for v in b.values]
    found = _trimmed(part, trailing, [rows], n)
    if not found or found[2].before:
        return None
    read = _aligned(rows, found[1], n, constraint, identities_of, keys_of)
    alignment = read[1] if read and read[2] else None
    if not alignment or alignment.open:
        apart = _first_cells_apart(rows, found[1], Spill(), n, constraint, identities_of, keys_of, whole=False)
        alignment = apart.alignment if apart else None
    return (alignment.segments, found[2].after) if alignment and not alignment.open else None


def _window_rows(known, windows: list[tuple[list[str], list[Item]]], n: int, constraint, identities_of, keys_of):
    """Every distinct assignment of each window's numbers to the cells of its rows (each cell a number, the rows'
    identities and the table's holding), with the numbers the last window leaves over, in order; [] where none,
    or too many."""
    values = {}
    for row, items in known.items():
        reading = read_row(items, n, constraint, trust_blanks=True)
        if len(reading.candidates) != 1:
            return []
        values.update(zip(keys_of(row), reading.candidates[0], strict=True))
    pools = [[as_number(v.text) for v in rest] for _, rest in windows]
    if any(v is None for pool in pools for v in pool):
        return []
    rows = [row for window, _ in windows for row in window]
    owner = [w for w, (window, _) in enumerate(windows) for _ in window]
    keys = [keys_of(row) for row in rows]
    identities = identities_of(values | {key: 0 for ks in keys for key in ks})
    choices = [sorted(set(pools[w])) for w in owner]
    columns = []
    for c in range(n):
        unknown = [ks[c] for ks in keys]
        forms = [_linear(i, values, unknown) for i in identities if set(i.keys) & set(unknown)]
        columns.append(_column_values([f for f in forms if f is not None], choices))
    readings: dict[tuple, tuple[dict, list[Item]]] = {}
    try:
        chosen_columns = list(_combinations(columns, owner, pools))
    except _TooMany:
        return []
    for chosen in chosen_columns:
        cells = [tuple(column[r] for column in chosen) for r in range(len(rows))]
        if not all(constraint(row) for row in cells):
            continue
        placed, left = {}, []
        for w, (window, rest) in enumerate(windows):
            mine = [cell for cell, o in zip(cells, owner, strict=True) if o == w]
            taken, left = _placed(window, mine, rest, pools[w])
            placed |= taken
        readings.setdefault(tuple(cells), (placed, left))
        if len(readings) > MAX_ROWS_APART_READINGS:
            return []
    return list(readings.values())


def _placed(rows: list[str], cells: list[tuple], rest: list[Item], numbers: list):
    """The printed numbers the rows' cells take (of equal numbers, the first printed), and those left over (the
    next table's), in order."""
    left = list(range(len(rest)))
    placed = {}
    for row, row_cells in zip(rows, cells, strict=True):
        placed[row] = []
        for value in row_cells:
            at = next(i for i in left if numbers[i] == value)
            left.remove(at)
            placed[row].append(rest[at])
    return placed, [rest[i] for i in left]


def shared_orders(cells: list[Item], after: list[Item], start: int) -> list[list[Item]] | None:
    """The other orders table 四's numbers `after` may have, where table 三's last `cells` were taken from among them
    (Spill.apart) and some are printed after table 四's header begins (at `start`): which of equal numbers there is
    table 三's cell the page does not say, and a number is never claimed by both tables. Each way of taking table
    三's numbers from among them leaves table 四's in an order (_leftovers); None where more than MAX_LEFTOVERS."""
    late = [i for i in cells if i.kind == "value" and i.start >= start]
    if not late or not after:
        return []
    stream = sorted([*late, *after], key=lambda i: i.start)
    kept = _leftovers([as_number(i.text) for i in stream], Counter(as_number(i.text) for i in late))
    if kept is None:
        return None
    orders = {_values([[stream[i] for i in k]]): [stream[i] for i in k] for k in kept}
    orders.pop(_values([after]), None)
    return list(orders.values())


MAX_LEFTOVERS = 32  # distinct orders of table 四's numbers read; more leave it unread from the stream
MAX_LEFTOVER_STEPS = 5_000


def _leftovers(numbers: list, taken: Counter) -> list[list[int]] | None:
    """The distinct sequences (by value) the numbers leave once `taken` of them are removed, each as the
    positions it keeps (the earliest that spell it); None where more than MAX_LEFTOVERS. Taking the first `0`
    printed or a later one leaves the same numbers in different orders where other numbers lie between them."""
    found: list[list[int]] = []
    steps = [MAX_LEFTOVER_STEPS]
    after = [Counter(numbers[i:]) for i in range(len(numbers) + 1)]  # what is printed from each position on

    def walk(p: int, remove: Counter, kept: list[int]) -> None:
        steps[0] -= 1
        if len(found) > MAX_LEFTOVERS or steps[0] < 0:
            return
        if remove.total() == len(numbers) - p:  # every number left is one to remove
            found.append(kept)
            return
        for value in dict.fromkeys(numbers[p:]):
            j = numbers.index(value, p)
            skipped = Counter(numbers[p:j])
            if all(remove[v] >= m for v, m in skipped.items()):
                rest = remove - skipped
                if all(after[j + 1][v] >= m for v, m in rest.items()):
                    walk(j + 1, rest, [*kept, j])

    walk(0, +taken, [])
    return found if 0 < len(found) <= MAX_LEFTOVERS and steps[0] >= 0 else None


def _linear(identity, values, unknown: list[str]):
    """An identity as a constant and a coefficient for each unknown cell; None where it holds other unknowns."""
    constant, coefficients = 0, [0] * len(unknown)
    for side, sign in ((identity.lhs, 1), (identity.rhs, -1)):
        for key in side:
            if key in unknown:
                coefficients[unknown.index(key)] += sign
            elif values.get(key) is None:
                return None
            else:
                constant += sign * values[key]
    return constant, coefficients


def _column_values(forms, choices: list[list[int]]) -> list[tuple[int, ...]]:
    """The tuples of printed numbers for a column's unknown cells (each from `choices`, its window's numbers) that
    satisfy every identity of the column: two cells solved from two of them where they can be, the others tried."""
    if not forms:  # no identity checks the column: its cells are not decided
        return []
    k = len(choices)
    solved = _solvable(forms, k)
    free = [i for i in range(k) if i not in solved]
    allowed = [set(c) for c in choices]
    found = []
    for head in product(*(choices[i] for i in free)):
        cells = [0] * k
        for i, v in zip(free, head, strict=True):
            cells[i] = v
        if solved and not _solve(forms, solved, cells, allowed):
            continue
        if all(constant + sum(c * v for c, v in zip(cs, cells, strict=True)) == 0 for constant, cs in forms):
            found.append(tuple(cells))
    return found


def _solvable(forms, k: int) -> tuple[int, ...]:
    """The cells the column's identities solve for: two whose coefficients in two identities are independent,
    else one with a coefficient of ±1 in one identity, else none."""
    for f, g in ((f, g) for a, f in enumerate(forms) for g in forms[a + 1 :]):
        for i in range(k):
            for j in range(i + 1, k):
                if f[1][i] * g[1][j] - g[1][i] * f[1][j]:
                    return i, j
    return next(((i,) for f in forms for i in range(k) if f[1][i] in (1, -1)), ())


def _solve(forms, solved: tuple[int, ...], cells: list[int], allowed: list[set[int]]) -> bool:
    """Fills the solved cells from the identities (the others set); False where they are no whole number among
    their window's numbers."""
    rests = [
        -(constant + sum(c * v for n, (c, v) in enumerate(zip(cs, cells, strict=True)) if n not in solved))
        for constant, cs in forms
    ]
    if len(solved) == 1:
        i = solved[0]
        f = next(n for n, (_, cs) in enumerate(forms) if cs[i] in (1, -1))
        value = rests[f] * forms[f][1][i]
        cells[i] = value
        return value in allowed[i]
    i, j = solved
    for a, (_, f) in enumerate(forms):
        for b, (_, g) in enumerate(forms[a + 1 :], a + 1):
            determinant = f[i] * g[j] - g[i] * f[j]
            if determinant:
                x, rx = divmod(rests[a] * g[j] - rests[b] * f[j], determinant)
                y, ry = divmod(f[i] * rests[b] - g[i] * rests[a], determinant)
                cells[i], cells[j] = x, y
                return not rx and not ry and x in allowed[i] and y in allowed[j]
    return False


def _combinations(columns: list[list[tuple[int, ...]]], owner: list[int], pools: list[list[int]]):
    """The choices of one tuple a column that the windows' printed numbers can supply together (each number
    once, each cell from its own window's)."""
    available = [Counter(pool) for pool in pools]
    budget = [MAX_COLUMN_CHOICES]

    def walk(c: int, chosen: list[tuple[int, ...]]):
        if c == len(columns):
            yield list(chosen)
            return
        for option in columns[c]:
            budget[0] -= 1
            if budget[0] < 0:
                raise _TooMany
            need = Counter(zip(owner, option, strict=True))
            if all(available[w][v] >= m for (w, v), m in need.items()):
                for (w, v), m in need.items():
                    available[w][v] -= m
                yield from walk(c + 1, [*chosen, option])
                for (w, v), m in need.items():
                    available[w][v] += m

    yield from walk(0, [])


def _island(blocks: list[Block], i: int, end: int) -> bool:
    """One or two numbers alone between text lines (or before the next table's numbers)."""
    after = i + 1 == len(blocks) or blocks[i + 1].after_text or i + 1 == end
    return blocks[i].after_text and len(blocks[i].values) <= 2 and after


MAX_FIRST_CELL_READINGS = 64  # distinct readings of the rows left to read; more leave the table as printed
MAX_FIRST_CELL_STEPS = 1_000_000  # states walked and identity checks (IDENTITY_STEPS) of one table's first cells
MAX_ISLANDS_IN_BAND = 3  # islands read as cells of the band (not first cells apart) at once; more: not read so


def _first_cells_apart(order, blocks, spill, n, constraint, identities_of, keys_of, whole=True) -> BlockReading | None:
    """The reading with rows' first cells put back where pdftotext printed them beside label fragments.

    Where a page's rows are printed row by row, pdftotext can print a row's first cell (or first two) with the
    label column: glued to a label piece (`…只计这一情8`, `1.属于国家秘密 0`) or alone between label lines,
    in the band or among the page's labels after it, and the rest of the row in the band. So each such number
    (`beside`) starts some row, the band's numbers fill the rows in order, each row starting a block. A number
    alone between text lines can also be a cell of the band printed beside a header's or a label's words (a row's
    total after `总` / `计`): the fewest such islands read in the band that let some reading satisfy every
    identity are tried, each choice of them in turn (`whole`: the blocks are the whole table; a part of it, cut
    anywhere, reads only a block of one or two numbers alone between text lines as an island, and none in the
    band). Only the identities decide which rows: each row's total must hold, and the readings that satisfy every
    identity are kept; one distinct reading is read, several leave the rows they disagree on open. None where no
    reading satisfies every identity (or the rows read too many ways to try, or the search passes its bound)."""
    if constraint is None:  # no row total to tell the rows apart
        return None
    checks = (n, constraint, identities_of, keys_of)
    return _within(MAX_FIRST_CELL_STEPS, _first_cells_search, order, blocks, spill, *checks, whole)


def _first_cells_search(order, blocks, spill, n, constraint, identities_of, keys_of, whole) -> BlockReading | None:
    """_first_cells_apart's search, within its budget."""
    budget = _BUDGET.get()
    for within in (False, True) if whole else (False,):
        if within:
            blocks = _stacks_split(blocks)
        islands = _islands(blocks) if whole else [i for i in range(len(blocks)) if _island(blocks, i, len(blocks))]
        beside = sorted({i for i, b in enumerate(blocks) if b.labelled and len(b.values) < n} | set(islands))
        for late in [()] + [(i,) for i in _late_cells(blocks, islands)] if within else [()]:
            for k in range(min(len(islands), MAX_ISLANDS_IN_BAND if whole else 0) + 1):
                consistent: list[dict[str, list[Item]]] = []
                for in_band in combinations(islands, k):
                    rest = sorted({i for i in beside if i not in in_band} | set(late))
                    alignments = _first_cells_read(order, blocks, rest, n, constraint, within)
                    if alignments is None:
                        return None
                    budget.spend(IDENTITY_STEPS * len(alignments))
                    consistent += [a for a in alignments if _consistent(a, n, constraint, identities_of, keys_of)]
                if consistent:
                    return BlockReading(order, _agreed(order, consistent), spill)
    return None


def _late_cells(blocks: list[Block], islands: list[int]) -> list[int]:
    """The blocks of one number that end a band before a text line (before table 四's title): a cell that
    pdftotext may have printed after later rows of the band, where its row's tall label cell centres it (a row's
    total `30` after the next two rows' numbers). Tried one at a time, after every reading with none moved; none
    where some of the blocks are printed after table 四's title (table 三's last cells apart there are read with
    table 四's numbers, which a cell moved within table 三 would leave one too many or too few)."""
    title = _TITLE.get()
    if title is None or blocks[-1].values[-1].start > title:
        return []
    return [
        i
        for i, block in enumerate(blocks[:-1])
        if i not in islands and not block.labelled and not block.after_text and block.widths == [1]
        if blocks[i + 1].after_text
    ]


def _stacks_split(blocks: list[Block]) -> list[Block]:
    """The blocks with each island of two numbers stacked a line each (`0` / `30`, `30` / `5`) split in two: one
    column's cells of two neighbouring rows, printed among the labels after the band as a tight pair of rows' cells
    is (the totals of rows whose tall labels push them down), each a number of its own that may go inside a row."""
    split = []
    for i, block in enumerate(blocks):
        alone = block.after_text and (i + 1 == len(blocks) or blocks[i + 1].after_text)
        if alone and not block.labelled and block.widths == [1, 1]:
            split += [Block([value], True, widths=[1]) for value in block.values]
        else:
            split.append(block)
    return split


def _islands(blocks: list[Block]) -> list[int]:
    """The blocks of each run of at most two numbers between text lines (or a text line and the table's end): one
    row's first cells on a line (`37 0`), or two rows' first cells a line each (`0` / `0` after the last labels)."""
    found, i = [], 0
    while i < len(blocks):
        j = i + 1
        while j < len(blocks) and not blocks[j].after_text:
            j += 1
        if blocks[i].after_text and sum(len(b.values) for b in blocks[i:j]) <= 2:
            found += range(i, j)
        i = j
    return found


def _first_cells_read(
    order, blocks, beside: list[int], n, constraint, within: bool = False
) -> list[dict[str, list[Item]]] | None:
    """The distinct readings of the rows with the blocks `beside` as rows' first cells and the others the band,
    each row's total holding (None: too many); none where `beside` is empty. `within`: a block alone between text
    lines before the next table's title may also be cells inside its row or at its end (beside header words), a
    row may take such a cell besides its first cell apart, and a first cell printed in the band on its label's
    last line starts the row its band numbers start (_pinned)."""
    budget = _BUDGET.get()
    title = _TITLE.get()
    band = [b.values for i, b in enumerate(blocks) if i not in beside]
    values = [v for b in band for v in b]
    starts = {0, *accumulate(map(len, band))}  # where each band block begins (and the band's end)
    kinds: dict[tuple, list[list[Item]]] = {}  # the numbers beside labels, by what they read and where they may go
    for i in beside:
        first = blocks[i].values[0]
        inside = within and not blocks[i].labelled and title is not None and first.start < title
        kinds.setdefault((_values([blocks[i].values]), inside, _pinned(blocks, beside, i, within)), []).append(
            blocks[i].values
        )
    anywhere = [key[1] for key in kinds]
    pins = [key[2] for key in kinds]
    memo: dict[tuple, dict[tuple, list[list[Item]]] | None] = {}
    listed = list(kinds.values())

    def rest(r: int, at: int, left: tuple[int, ...]) -> dict[tuple, list[list[Item]]] | None:
        """The distinct readings of rows r.. from band number `at` with `left` of each kind unused (None: too many)."""
        if r == len(order):
            return {(): []} if at == len(values) and not any(left) else {}
        if (r, at, left) not in memo:
            budget.spend(1)
            found: dict[tuple, list[list[Item]]] | None = {}
            ready = [k for k in range(len(listed)) if left[k]]

            def nth(k: int, more: int = 0) -> list[Item]:  # the next unused number of kind k (`more` after it)
                return listed[k][len(listed[k]) - left[k] + more]

            options = [((), [], [], 0)]  # (the kinds taken, the row's first cell apart, a cell apart, where it goes)
            options += [((k,), [], nth(k), j) for k in ready for j in range(n - len(nth(k)) + 1 if anywhere[k] else 1)]
            options += [  # a row's first cell beside its label and another of its cells among the labels after it
                ((k, m), nth(k), nth(m, int(m == k)), j)
                for k in ready
                for m in ready
                if anywhere[m] and (m != k or left[k] > 1)
                for j in range(n - len(nth(k)) - len(nth(m, int(m == k))) + 1)
            ]
            for taken, first, apart, j in options:
                if any(pins[k] not in (None, at) for k in taken):
                    continue  # a first cell printed in the band starts the row its band numbers after it start
                end = at + n - len(first) - len(apart)
                row = first + values[at : at + j] + apart + values[at + j : end]
                numbers = _values([row])
                if at not in starts or end > len(values) or (None not in numbers and not constraint(numbers)):
                    continue
                after = rest(r + 1, end, tuple(c - taken.count(k) for k, c in enumerate(left)))
                if after is None or found is None:
                    found = None
                    break
                for key, rows in after.items():
                    found.setdefault((numbers, *key), [row, *rows])
                if len(found) > MAX_FIRST_CELL_READINGS:
                    found = None
                    break
            memo[r, at, left] = found
        return memo[r, at, left]

    readings = rest(0, 0, tuple(len(kind) for kind in kinds.values())) if beside else {}
    return None if readings is None else [dict(zip(order, rows, strict=True)) for rows in readings.values()]


def _pinned(blocks: list[Block], beside: list[int], i: int, within: bool) -> int | None:
    """Where the row starts in the band (its count of band numbers before it) whose first cell is block i, printed
    beside its label and followed by band numbers with no text line between (pdftotext printed the row in order,
    its first cell on the label's last line); None where it may start any row (printed among the labels, or
    `within` not tried)."""
    followed = i + 1 < len(blocks) and i + 1 not in beside and not blocks[i + 1].after_text
    if not (within and blocks[i].labelled and followed):
        return None
    return sum(len(b.values) for at, b in enumerate(blocks[:i]) if at not in beside)


def _column_moved(order, blocks, spill, n, constraint, identities_of, keys_of) -> BlockReading | None:
    """The reading with one column of one band put back in its place, where the blocks as printed satisfy no
    identity and exactly one distinct reading with a column moved satisfies every identity; otherwise None."""
    read = _aligned(order, blocks, n, constraint, identities_of, keys_of, move=True)
    return BlockReading(read[0], read[1], spill) if read and read[2] and not read[1].open else None


MAX_REORDERED_ROWS = 4  # rows broken by header words whose cells are tried in every order; more: read as printed
MAX_REORDERED_READINGS = 16  # readings of the blocks (as printed) tried so; more: read as printed


def _row_reordered(order, blocks, spill, read: Alignment, n, constraint, identities_of, keys_of) -> BlockReading | None:
    """The reading with a row's cells put back in the columns' order, where pdftotext printed them in its own.

    A row printed beside the header's words (a cut header repeated over a page's first row, `商业企业 科研机构` /
    `社会公益 法律服务`) comes out among them as pdftotext orders the words' flows: the row's cells one a line in an
    order that is not the columns' (`486` / `391` / `1464` / `766`, where 科研机构 prints 766). So, where no reading
    of the blocks satisfies every identity, each row whose cells a text line breaks is read, in each reading, with
    its applicant cells in every order (the total stays last: it is printed last, and every order keeps the row
    total); the column identities decide. Exactly one distinct consistent reading is read (the row flagged
    `realigned`), several leave the rows they disagree on open; None where none satisfies every identity."""
    if constraint is None or prod(len(options) for options in read.open.values()) > MAX_REORDERED_READINGS:
        return None
    starts = {b.values[0].start for b in blocks if b.after_text and b.values}  # numbers right after a text line
    found: dict[tuple, dict[str, list[Item]]] = {}
    for combo in product(*read.open.values()):
        segments = read.segments | dict(zip(read.open, combo, strict=True))
        broken = [r for r in order if any(v.start in starts for v in segments[r][1:])]
        values = _single_reading(order, segments, n, constraint, keys_of)
        if values is None or not broken or len(broken) > MAX_REORDERED_ROWS:
            continue
        for row, turn in reorderings(values, broken, keys_of, identities_of):
            alignment = {r: segments[r] for r in order} | {row: [segments[row][i] for i in turn]}
            found.setdefault(_values(list(alignment.values())), alignment)
    return BlockReading(order, _agreed(order, list(found.values())), spill) if found else None


def _single_reading(order, segments: dict[str, list[Item]], n, constraint, keys_of) -> dict[str, int | None] | None:
    """The rows' values where each row reads one way; None otherwise."""
    values: dict[str, int | None] = {}
    for row in order:
        candidates = read_row(segments[row], n, constraint, trust_blanks=True).candidates
        if len(candidates) != 1:
            return None
        values.update(zip(keys_of(row), candidates[0], strict=True))
    return values


def _columns_shuffled(order, blocks, spill, n, constraint, identities_of, keys_of) -> BlockReading | None:
    """The reading with page bands' columns printed among each other (_shuffled), where the blocks as printed
    satisfy no identity: read where some reading satisfies every identity (the rows the readings that do
    disagree on open), with a column's cells printed beside the labels only where no reading without them
    does; otherwise None."""
    read = _aligned(order, blocks, n, constraint, identities_of, keys_of, shuffle=constraint)
    if not (read and read[2]):
        read = _aligned(order, blocks, n, constraint, identities_of, keys_of, shuffle=constraint, beside=True)
    totals = {keys_of(row)[-1] for row in order}  # the identities a row's total takes part in
    if not (read and read[2]):
        with_totals = lambda values: [i for i in identities_of(values) if totals.intersection(i.keys)]  # noqa: E731
        read = _aligned(order, blocks, n, constraint, with_totals, keys_of, shuffle=constraint, permute=True)
        read = read and (read[0], _applicants_open(read[1]), read[2])
    if not (read and read[2]):
        return None
    _counted(read[0], read[1], blocks, n, (constraint, identities_of, keys_of))
    return BlockReading(read[0], read[1], spill)


def _columns_paired(order, blocks, spill, n, constraint, identities_of, keys_of) -> BlockReading | None:
    """The reading with page bands' first two columns paired on a line and the others in any order (_pairs_any),
    read where some reading satisfies the identities the page places (the row totals, and those of the columns it
    prints in place); otherwise None. It is checked by fewer identities than any other reading, so it is tried
    after them all, the cells printed apart included: a page they read is never read so."""
    totals = {keys_of(row)[-1] for row in order}  # the identities a row's total takes part in
    others = {keys_of(row)[c] for row in order for c in range(2, n - 1)}

    def placed(values):  # the identities of the columns the page places, and the row totals
        return [i for i in identities_of(values) if totals.intersection(i.keys) or not others.intersection(i.keys)]

    read = _aligned(order, blocks, n, constraint, placed, keys_of, shuffle=constraint, paired=True)
    if not (read and read[2]):
        return None
    alignment = _applicants_open(read[1], 2)
    _counted(read[0], alignment, blocks, n, (constraint, identities_of, keys_of))
    return BlockReading(read[0], alignment, spill)


def _rows_interleaved(order, blocks, spill, n, constraint, identities_of, keys_of) -> BlockReading | None:
    """The reading with two rows printed among each other (_interleaved), where the blocks as printed satisfy no
    identity: read where some reading satisfies every identity (the rows the readings that do disagree on open);
    otherwise None. The search has a budget of its own (MAX_INTERLEAVE_STEPS), as the searches after it keep theirs."""
    aligned = functools.partial(_aligned, interleave=constraint)
    read = _within(MAX_INTERLEAVE_STEPS, aligned, order, blocks, n, constraint, identities_of, keys_of)
    return BlockReading(read[0], read[1], spill) if read and read[2] else None


MAX_INTERLEAVE_STEPS = 200_000  # two rows among each other: pages it decides take up to about 32 000


MAX_COUNTED_CHECKS = 2_000  # moves of a column stream's cells checked against the identities (pages use under 50)


def _counted(order: list[str], alignment: Alignment, blocks: list[Block], n: int, checks) -> None:
    """Marks the rows of a column stream that its count placed where the identities cannot tell (`unchecked`).

    A column stream is read by counting each column's cells down the rows, and every identity of table 三 holds
    under any exchange of its result rows, so a column whose count comes right only because one cell is printed
    elsewhere (pdfminer.six prints the cell of a row whose label it splits outside its column's box, after a
    label piece or among another column's) and another taken in its place reads a run of rows one row off, the
    row totals holding wherever the other columns are equal. The place such a shift can hide is a run boundary
    of the column that the other columns do not share (a page band breaks every column at one row): the cell that
    begins the column's next run may belong at any row since the last boundary, the cells between one row down,
    or the cell that ends a run at any row before the next. Every such move, in any of the columns at once, that
    keeps every identity and changes a value leaves the rows it changes `unchecked`, the values it gives them
    their other readings. Past MAX_COUNTED_CHECKS identity checks a move is taken as keeping them (more rows
    left unchecked, never fewer)."""
    constraint, tried = checks[0], 0
    run, at = {}, -1
    for b in blocks:
        at += b.after_text or at < 0
        run.update((v.start, at) for v in b.values)
    segments = alignment.segments
    for rows in _stretches(order, segments, n):
        columns = [[segments[r][c] for r in rows] for c in range(n)]
        starts = [
            {k for k in range(1, len(rows)) if run.get(col[k].start) != run.get(col[k - 1].start)} for col in columns
        ]
        shared = set.intersection(*starts)
        values = [_values([segments[r]]) for r in rows]
        boundary = [
            [[None, *_shifted(col, at, at - shared, i, down)] for col, at in zip(columns, starts, strict=True)]
            for i, down in product(range(len(rows)), (False, True))
        ]
        anywhere = [  # a row's cells printed at another place in every column (its label split by pdfminer)
            [[(_displaced(col, k, i) or [None])[0]] for col in columns]
            for k, i in product(range(len(rows)), repeat=2)
            if k != i
        ]
        for moves in boundary + anywhere:
            for combo in product(*moves):
                if all(m is None for m in combo):
                    continue
                alternative = [[(combo[c] or columns[c])[x] for c in range(n)] for x in range(len(rows))]
                read = [_values([cells]) for cells in alternative]
                changed = [x for x in range(len(rows)) if read[x] != values[x]]
                if constraint and not all(None in read[x] or constraint(read[x]) for x in changed):
                    continue
                tried += 1
                if tried > MAX_COUNTED_CHECKS or _consistent(
                    segments | dict(zip(rows, alternative, strict=True)), n, *checks
                ):
                    for x in changed:
                        known = alignment.unchecked.setdefault(rows[x], [])
                        known += [read[x]] * (read[x] not in known)


def _stretches(order: list[str], segments: dict[str, list[Item]], n: int) -> list[list[str]]:
    """The runs of neighbouring rows decided with n numbers each."""
    stretches: list[list[str]] = [[]]
    for row in order:
        whole = row in segments and len(segments[row]) == n and all(i.kind == "value" for i in segments[row])
        if whole:
            stretches[-1].append(row)
        elif stretches[-1]:
            stretches.append([])
    return [s for s in stretches if len(s) > 1]


def _displaced(column: list[Item], k: int, i: int) -> list[list[Item]]:
    """The column with its cell at `k` at row `i` instead, the cells between one row along; only where a value
    changes."""
    moved = list(column)
    moved.insert(i, moved.pop(k))
    return [moved] if _values([moved]) != _values([column]) else []


def _shifted(column: list[Item], starts: set[int], apart: set[int], i: int, down: bool) -> list[list[Item]]:
    """The column with one cell at another row `i`, the cells between one row along: the cell that begins the
    column's first run after `i` moved up to `i`, or (`down`) the cell that ends its run before `i` moved down
    to `i`; only where that run boundary is one of `apart`, and only where a value changes."""
    if down:
        k = max((k for k in starts if k <= i), default=None)
        return _displaced(column, k - 1, i) if k in apart else []
    k = min((k for k in starts if k > i), default=None)
    return _displaced(column, k, i) if k in apart else []


def _applicants_open(alignment: Alignment, fixed: int = 0) -> Alignment:
    """A reading of bands in any column order, less what its order decides: the row totals place the total
    column, but every identity holds within a column or sums all the applicant columns, so none tells those
    apart (the readings are checked by the identities a total takes part in, one of each kind kept). A row
    whose applicant cells (after the first `fixed`, which the page places) are not all alike is left open, its
    candidates the cyclic shifts of those cells under each reading (each cell among every value of its row)."""
    result = Alignment({}, {}, set(alignment.unplaced), set(alignment.labelled))
    rows = {row: [items] for row, items in alignment.segments.items()} | alignment.open
    for row, options in rows.items():
        if len(options) == 1 and len(set(_values([options[0][fixed:-1]]))) == 1:
            result.segments[row] = options[0]
        else:
            shifts = [
                items[:fixed] + items[fixed + s : -1] + items[fixed : fixed + s] + items[-1:]
                for items in options
                for s in range(len(items) - 1 - fixed)
            ]
            result.open[row] = [o for at, o in enumerate(shifts) if not any(_same(o, p) for p in shifts[:at])]
    return result


def _end(blocks: list[Block], trailing: int) -> int | None:
    """Where the next table's `trailing` numbers begin: a block's index, None where that falls inside a block."""
    sizes = [len(b.values) for b in blocks]
    return next((i for i in range(len(blocks) + 1) if sum(sizes[:i]) == sum(sizes) - trailing), None)


def _consistent_reading(blocks, trailing, orders, n, constraint, identities_of, keys_of) -> BlockReading | None:
    """The blocks' reading where some reading of them satisfies every identity."""
    found = _trimmed(blocks, trailing, orders, n)
    read = found and _aligned(found[0], found[1], n, constraint, identities_of, keys_of)
    return BlockReading(read[0], read[1], found[2]) if read and read[2] else None


def _trimmed(
    blocks: list[Block], trailing: int, orders: list[list[str]], n: int
) -> tuple[list[str], list[Block], Spill] | None:
    """The blocks less the leading and `trailing` numbers of the tables around this one, cut between blocks."""
    count = sum(len(b.values) for b in blocks)
    for order in orders:
        leading = count - trailing - n * len(order)
        if not 0 <= leading <= len(T2_KEYS):
            continue
        sizes = [len(b.values) for b in blocks]
        ends = {sum(sizes[:i]) for i in range(len(blocks) + 1)}
        if leading in ends and count - trailing in ends:
            kept, at = [], 0
            for b in blocks:
                if leading <= at < count - trailing:
                    kept.append(b)
                at += len(b.values)
            values = [v for b in blocks for v in b.values]
            return order, kept, Spill(values[:leading], values[count - trailing :])
    return None


def _nearest(found, n: int, checks) -> BlockReading | None:
    """The reading where no reading satisfies every identity but some fail only what one arithmetic error of the
    report's own would (at most MAX_REPORT_ERRORS identities, the fewest of any reading): the readings that fail
    that fewest; None where none does."""
    order, blocks, spill = found
    read = _aligned(order, blocks, n, *checks, nearest=True)
    return BlockReading(read[0], read[1], spill) if read and read[2] else None


def _rows_hold(reading: BlockReading, n: int, constraint) -> bool:
    """Whether a reading that fails only what one arithmetic error of the report's own breaks (_nearest) decides
    every row and every row's total holds in it: numbers printed apart or columns mixed break the totals of the rows
    they leave, so the page prints none, and the blocks are read so before the shapes that move numbers between
    rows are tried (a row's own cells in another order keep its total: _row_reordered is tried before)."""
    rows = reading.alignment.segments
    if reading.alignment.open:
        return False
    choices = [read_row(rows[r], n, constraint, trust_blanks=True).candidates for r in reading.order]
    return all(len(c) == 1 and None not in c[0] and constraint(c[0]) for c in choices)


def _failing(alignment: dict[str, list[Item]], n: int, constraint, identities_of, keys_of) -> int | None:
    """The fewest identities some reading of the aligned rows fails; None where a row does not read or the rows
    read too many ways to try."""
    rows = list(alignment)
    choices = [read_row(alignment[r], n, constraint, trust_blanks=True).candidates for r in rows]
    if not all(choices) or prod(map(len, choices)) > MAX_COMBINATIONS:
        return None
    fewest = None
    for combo in product(*choices):
        values = {
            k: v for row, cells in zip(rows, combo, strict=True) for k, v in zip(keys_of(row), cells, strict=True)
        }
        failed = sum(evaluate(i, values).status == "fail" for i in identities_of(values))
        fewest = failed if fewest is None else min(fewest, failed)
    return fewest


def _aligned(
    order: list[str],
    blocks: list[Block],
    n: int,
    constraint,
    identities_of,
    keys_of,
    stacked=True,
    move=False,
    shuffle=None,
    beside: bool = False,
    permute: bool = False,
    nearest=False,
    interleave=None,
    paired: bool = False,
    bands: dict | None = None,
):
    """The rows the blocks' readings agree on, the others open; and whether some reading satisfies every identity.
    The stacked pairs are a shape only the identities can confirm: where no reading with them satisfies every
    identity, the blocks are read without them (the page bands read once for both). `move`: readings with a
    band's column moved (_moved) too."""
    bands = {} if bands is None else bands
    labelled = _LABELLED.get() or {}
    pins = {at: order.index(row) for at, row in labelled.items() if row in order} if shuffle else None
    found = _readings(
        blocks, n, MAX_ALIGNMENTS + 1, stacked, move, shuffle, beside, permute, interleave, paired, bands, pins
    )
    readings = [r for r in found if len(r) == len(order) and (not shuffle or _own_rows(order, r))]
    if not readings or len(readings) > MAX_ALIGNMENTS:
        return None
    distinct: dict[tuple, dict[str, list[Item]]] = {}
    for rows in readings:
        distinct.setdefault(_values(rows), dict(zip(order, rows, strict=True)))
    alignments = list(distinct.values())
    if budget := _BUDGET.get():
        budget.spend(IDENTITY_STEPS * len(alignments))
    consistent = [a for a in alignments if _consistent(a, n, constraint, identities_of, keys_of)]
    if stacked and not consistent:
        return _aligned(
            order,
            blocks,
            n,
            constraint,
            identities_of,
            keys_of,
            False,
            move,
            shuffle,
            beside,
            permute,
            nearest,
            interleave,
            paired,
            bands,
        )
    if nearest:  # none satisfies every identity: those that fail only what one error of the report's would
        failing = [_failing(a, n, constraint, identities_of, keys_of) for a in alignments]
        fewest = min((f for f in failing if f is not None), default=None)
        if fewest is None or fewest > MAX_REPORT_ERRORS:
            return None
        return order, _agreed(order, [a for a, f in zip(alignments, failing, strict=True) if f == fewest]), True
    if len(alignments) > 1:  # (the only reading is read and the checker tests it, as nianbao.parse.align does)
        alignments = consistent or alignments
    return order, _agreed(order, alignments), bool(consistent)  # and whether some reading satisfies every identity


def _agreed(order: list[str], alignments: list[dict[str, list[Item]]]) -> Alignment:
    """The rows the alignments agree on, the others open with each alignment's tokens."""
    result = Alignment()
    for row in order:
        options: list[list[Item]] = []
        for a in alignments:
            if not any(_same(a[row], o) for o in options):
                options.append(a[row])
        if len(options) == 1:
            result.segments[row] = options[0]
        else:
            result.open[row] = options
    return result


def _values(rows: list[list[Item]]) -> tuple:
    return tuple(as_number(i.text) for row in rows for i in row)


def _same(a: list[Item], b: list[Item]) -> bool:
    return [i.start for i in a] == [i.start for i in b]
