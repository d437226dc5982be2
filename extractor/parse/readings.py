"""One row → candidate readings: what a row's tokens allow as its cells."""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass, field

from nianbao import solve
from nianbao.parse.tokens import _ZERO_MARKERS, Item, as_number


@dataclass
class RowReading:
    """Readings a row allows; one candidate means the row is certain."""

    candidates: list[tuple] = field(default_factory=list)
    raw: list[str | None] = field(default_factory=list)
    spans: list[tuple[int, int] | None] = field(default_factory=list)
    flags: list[list[str]] = field(default_factory=list)
    extra: list[int] | None = None  # the n+1 printed values, when the row has one value too many
    printed: tuple[list[str], list[tuple[int, int]]] | None = None  # raw texts and spans of those n+1 values
    joined: list[tuple] = field(default_factory=list)  # readings of the n+1 values with a wrapped number joined
    rewrap: bool = False  # n printed tokens that break the row's total: their digits split anew may read it


def read_row(
    items: list[Item],
    n: int,
    constraint,
    *,
    trust_blanks: bool,
    decimal_last: bool = False,
    extra: bool = False,
    glued: bool = False,
) -> RowReading:
    """`extra`: a glued table 三 run no split reads may hold one value too many (a value printed twice, a 法人小计)
    — the table's own reading, where the column identities check every row, not its rows' alignments'. `glued`:
    the table lost its cell separators (a flattened page), so n tokens that break the row's identity are only one
    split of its runs: the runs are split anew."""
    at = [index for index, item in enumerate(items) if item.kind == "value"]
    if not at:
        return RowReading()
    values = [items[index] for index in at]
    first, last = at[0], at[-1]
    interior = [i for i in items[first : last + 1] if i.kind != "text"]
    trailing = _blank_run(items[last + 1 :])
    leading = _blank_run(reversed(items[:first]))
    for cells, padded in ((values, False), (interior, False), (interior + trailing, True), (leading + interior, True)):
        if len(cells) == n and (not padded or trust_blanks):
            printed = _reading(cells, decimal_last)
            whole = printed.candidates and None not in printed.candidates[0]  # a blank cell checks nothing
            breaks = constraint and whole and not constraint(printed.candidates[0])
            if glued and breaks:
                return _resplit(values, n, constraint, extra) or printed
            printed.rewrap = bool(breaks and cells is values and constraint is solve.row_total_holds)
            return printed
    tokens = _tokens(values)
    markers = frozenset(i for i, v in enumerate(values) if v.text in _ZERO_MARKERS)
    joined = solve.join_tokens(tokens, n, constraint, whole=markers) if constraint else []
    may_rewrap = constraint is solve.row_total_holds and not joined  # table 三's rows: 四's have their own reading
    if len(values) == n + 1 and all(v.text.isdigit() or v.text in _ZERO_MARKERS for v in values):
        joined = joined or (rewrapped(values, n, constraint) if may_rewrap else [])
        raw, spans = [v.text for v in values], [(v.start, v.end) for v in values]
        numbers = [as_number(v.text) for v in values]
        return RowReading(extra=numbers, raw=raw, spans=spans, printed=(raw, spans), joined=joined)
    if joined:  # a row printed as n+2 to n+MAX_JOINS tokens: only wrapped numbers explain it
        return _joined_reading(joined, values, n)
    if len(values) > n and may_rewrap and (digits := rewrapped(values, n, constraint)):
        return _joined_reading(digits, values, n) if len(digits) > 1 else cells_of(digits[0], values)
    if len(values) > n and n == 1 and len({v.text for v in values}) == 1:  # a merged cell emitted again
        reading = _reading(values[:1], decimal_last)
        reading.flags[0].append("merged_repeat")
        return reading
    if len(values) < n:
        reading = _split(tokens, (values[0].start, values[-1].end), n, constraint, extra)
        if reading:
            return reading
        if may_rewrap and not _blanks_hold(values) and (digits := rewrapped(values, n, constraint)):
            return _joined_reading(digits, values, n) if len(digits) > 1 else cells_of(digits[0], values)
    return RowReading(raw=[" ".join(v.text for v in values)] * n, spans=[(values[0].start, values[-1].end)] * n)


def rewrapped(values: list[Item], n: int, constraint) -> list[tuple]:
    """A row printed in cells too narrow for its numbers (an A6 print): a number's digits wrap within its cell and
    neighbouring cells touch, so a space may fall inside a number and none between two. Where no joining of the
    printed tokens holds the row, its digits are split anew, the spaces no boundary (a zero marker stays a cell of
    its own): the splits that hold it, for the identities to choose among."""
    if not all(v.text.isdigit() or v.text in _ZERO_MARKERS for v in values):
        return []
    runs = _digit_runs(values, touching=False)
    return _split_runs(tuple(runs), n, constraint) if len(runs) < len(values) else []


def _digit_runs(values: list[Item], touching: bool) -> list[str]:
    """Neighbouring digit tokens joined into runs: those printed touching (`touching`), or any; a zero marker is 0."""
    runs: list[str] = []
    for before, value in zip([None, *values], values, strict=False):
        digits = before is not None and before.text.isdigit() and value.text.isdigit()
        if digits and (not touching or before.end == value.start):
            runs[-1] += value.text
        else:
            runs.append("0" if value.text in _ZERO_MARKERS else value.text)
    return runs


@functools.lru_cache(maxsize=4096)
def _split_runs(runs: tuple[str, ...], n: int, constraint) -> list[tuple]:
    """Cached: a placement search reads the same rows again and again."""
    return solve.split_tokens(runs, n, constraint)


def _blanks_hold(values: list[Item]) -> bool:
    """A row printing fewer numbers than cells whose last is the sum of the others: cells left blank, not
    numbers wrapped (blank is not zero)."""
    numbers = [as_number(v.text) for v in values]
    return all(isinstance(x, int) for x in numbers) and sum(numbers[:-1]) == numbers[-1]


def cells_of(cells: tuple, values: list[Item]) -> RowReading:
    """The one split of a row's digits, each cell with the printed pieces it is made of (`25 3` for 253, `50` of
    `5062`) and their span."""
    places = [(v, k) for v in values for k in range(len(v.text) if v.text.isdigit() else 1)]
    raw, spans, at = [], [], 0
    for cell in cells:
        mine = places[at : at + len(str(cell))]
        at += len(mine)
        pieces = {}
        for value, k in mine:
            pieces.setdefault(id(value), [value, k, k])[2] = k
        raw.append(" ".join(v.text[a : b + 1] if v.text.isdigit() else v.text for v, a, b in pieces.values()))
        spans.append((mine[0][0].start + mine[0][1], mine[-1][0].start + mine[-1][1] + 1))
    return RowReading([cells], raw, spans, [["split_from_run"] for _ in cells])


def _tokens(values: list[Item]) -> list[str]:
    return ["0" if v.text in _ZERO_MARKERS else v.text for v in values]


def _split(tokens: list[str], span: tuple[int, int], n: int, constraint, extra: bool) -> RowReading | None:
    """The splits of a row's digit tokens into n cells that satisfy `constraint`; where none does and `extra` is
    asked, those with one value too many dropped (`dropped_extra_value`)."""
    found = solve.split_tokens(tokens, n, constraint)
    dropped = [] if found or not extra else solve.split_with_extra(tokens, n, constraint)
    if not (found or dropped):
        return None
    raw, flags = " ".join(tokens), ["split_from_run"] + ["dropped_extra_value"] * bool(dropped)
    return RowReading(found or dropped, [raw] * n, [span] * n, [list(flags) for _ in range(n)])


def _resplit(values: list[Item], n: int, constraint, extra: bool) -> RowReading | None:
    """A glued row whose tokens read as n cells that break its identity: its runs (tokens printed touching, as
    the tokenizer cuts a 0 off the digits after it) split anew."""
    tokens = _digit_runs(values, touching=True)
    return _split(tokens, (values[0].start, values[-1].end), n, constraint, extra)


def _joined_reading(candidates: list[tuple], values: list[Item], n: int) -> RowReading:
    """Readings with neighbouring tokens joined: where the cells' boundaries are is the identities' choice."""
    raw, span = " ".join(v.text for v in values), (values[0].start, values[-1].end)
    return RowReading(sorted(set(candidates)), [raw] * n, [span] * n, [["split_from_run"] for _ in range(n)])


def _blank_run(items) -> list[Item]:
    run = []
    for item in items:
        if item.kind != "blank":
            break
        run.append(item)
    return run


def _reading(cells: list[Item], decimal_last: bool) -> RowReading:
    """The cells as printed. A number of several digits glued to another value ('30—0—3') may be several
    cells whose boundary the page lost, so it is flagged as a choice (`split_from_run`): the identities
    must confirm it."""
    parsed, flags = [], []
    pairs = itertools.pairwise(cells)
    touching = {id(c) for a, b in pairs if a.kind == b.kind == "value" and a.end == b.start for c in (a, b)}
    for index, cell in enumerate(cells):
        decimal = decimal_last and index == len(cells) - 1
        if cell.kind == "blank":
            parsed.append(None)
            flags.append(["blank"])
            continue
        value = as_number(cell.text, decimal)
        if value is None or (not decimal and "." in cell.text):
            return RowReading(raw=[c.text for c in cells], spans=[(c.start, c.end) for c in cells])
        parsed.append(value)
        glued = id(cell) in touching and len(cell.text) > 1 and cell.text.isdigit()
        flags.append(["zero_marker"] if cell.text in _ZERO_MARKERS else ["split_from_run"] if glued else [])
    return RowReading([tuple(parsed)], [c.text for c in cells], [(c.start, c.end) for c in cells], flags)
