"""Printed rows placed on template rows by order (format.md §3.27): a table whose rows are partly labelled.

A converter can print a row's numbers on a line of their own, above or below its label (a label wrapped
over several lines, a column of vertical text beside it), while other rows keep their label in their
first cell. The lines with numbers are then a sequence to align to the template's fixed row order: a
line that carries a row's label and its numbers anchors that row, and the bare lines between two anchors
fill the template rows between them, in order. Where a gap holds as many bare lines as rows the
alignment is the only one; otherwise every way of pairing them is an alignment, and the table's
identities choose among them. Exactly one consistent alignment is read; several leave the rows they
disagree on ambiguous, with each alignment's reading as a candidate. Never a guess.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import combinations, pairwise, permutations, product
from math import comb

from nianbao.check import all_hold
from nianbao.parse.labels import Anchor
from nianbao.parse.readings import RowReading, read_row
from nianbao.parse.tokens import _ZERO_MARKERS, Item, as_number, label_fragment, segment_items
from nianbao.solve import MAX_COMBINATIONS, MAX_DIGITS, consistent_combinations, join_tokens

_FULL_STOP = re.compile(r"\s*[.、．](?!\s*\d)")
MAX_ALIGNMENTS = 2_000  # alignments of one table tried against the identities; more leave the gaps as they are


@dataclass
class PrintedRow:
    items: list[Item]  # the line's values and blank cells, after its label where it has one
    row: str | None  # the template row whose label is on the line; None for a bare row
    start: int  # where the line begins
    wrapped: bool = False  # a cell's number joined from the lines around the row's (`_wrapped_cell`)
    # where the row total keeps the joined number in several places: each place's items, for the identities to choose
    options: list[list[Item]] = field(default_factory=list)


@dataclass
class Alignment:
    """What the alignment decided: each placed row's tokens, and the rows it could not decide."""

    segments: dict[str, list[Item]] = field(default_factory=dict)
    open: dict[str, list[list[Item]]] = field(default_factory=dict)  # row → its tokens under each alignment
    unplaced: set[str] = field(default_factory=set)  # open rows that some alignment leaves without a line
    labelled: set[str] = field(default_factory=set)  # rows read from the line that carries their own label
    # rows placed by counting a column stream that the identities also allow elsewhere: the values they take
    unchecked: dict[str, list[tuple]] = field(default_factory=dict)
    options: dict[str, list[list[Item]]] = field(default_factory=dict)  # a placed row's readings (`PrintedRow`)


def printed_rows(
    text: str, anchors: list[Anchor], lo: int, hi: int, n: int, constraint=None
) -> list[PrintedRow] | None:
    """The region's lines with numbers, in page order; None unless the table prints one row a line with at
    least one bare row (one-cell-per-line text and fully labelled rows are read as before). A row of `n` cells
    printed over several lines (`_joined_lines`) is one printed row."""
    rows: list[PrintedRow] = []
    pos = lo
    for line in text[lo:hi].split("\n"):
        start, end = pos, pos + len(line)
        pos = end + 1
        here = [a for a in anchors if start <= a.end <= end]
        if len(here) > 1:
            return None  # several rows on one line: a flattened table
        after = here[0].end if here else start
        tokens = segment_items(text, after, end)
        lone = not here and not _GRID.search(line) and sum(i.kind == "value" for i in tokens) == 1
        tokens = [_as_label(text, i, lone or _between_words(tokens, k)) for k, i in enumerate(tokens)]
        items = [i for i in tokens if i.kind != "text"]
        values = sum(1 for i in items if i.kind == "value")
        if not here and values and not all(label_fragment(i.text) for i in tokens if i.kind == "text"):
            return None  # a row with a label this template does not know: read as before, or by the model
        if values:
            rows.append(PrintedRow(items, here[0].row if here else None, start))
    rows = _joined_lines(text, rows, anchors, n, constraint)
    if any(r.row is None and _numbers(r.items) < 2 for r in rows):
        return None  # a lone number on a line: not a row-a-line table
    if not any(r.row is None for r in rows):
        return None
    return rows


def _joined_lines(text: str, rows: list[PrintedRow], anchors: list[Anchor], n: int, constraint) -> list[PrintedRow]:
    """Rows a converter printed over several lines, rejoined (`_two_lines`, `_wrapped_cell`, `_broken_run`). Where a
    line could begin either of the first two shapes, neither is taken: its lines stay as printed, or make a run."""
    merged: list[PrintedRow] = []
    i = 0
    while i < len(rows):
        two = _two_lines(rows[i : i + 2], anchors, n, constraint)
        three = _wrapped_cell(rows[i : i + 3], anchors, n, constraint) or _wrapped_in_rows(
            text, rows[i : i + 3], anchors, n, constraint
        )
        run = None if (two is None) != (three is None) else _broken_run(text, rows, i, n, constraint)
        if run:
            merged.append(run[0])
            i += run[1]
        elif (two is None) == (three is None):
            merged.append(rows[i])
            i += 1
        else:
            merged.append(two or three)
            i += 2 if two else 3
    return merged


def _broken_run(text: str, rows: list[PrintedRow], i: int, n: int, constraint) -> tuple[PrintedRow, int] | None:
    """A row printed over a run of lines on very narrow paper: a cell a line, or a number's digits over lines (`6` /
    `4` for 64, format.md §3.32). The longest run of lines from `i`, each right under the one before (a label's
    characters printed between a row's numbers end it), the first with the row's label or bare and the rest bare,
    none a row by itself (`_whole`): where its numbers are `n` to `n` × MAX_DIGITS (a digit a line, fullwidth digits
    on A6) and some joining of neighbouring tokens keeps the row total, one printed row, its label the first line's.
    Which joining is the identities' choice (`read_row`)."""
    if constraint is None:
        return None
    end = i
    while (
        end < len(rows)
        and not _whole(rows[end].items, n, constraint)
        and (end == i or (rows[end].row is None and _next_line(text, rows[end - 1].start) == rows[end].start))
    ):
        end += 1
    lines = rows[i:end]
    if len(lines) < 2:
        return None
    items = [item for line in lines for item in line.items]
    values = [i for i in items if i.kind == "value"]
    if not n <= len(values) <= n * MAX_DIGITS or any(
        not ((v.text.isdigit() and len(v.text) <= MAX_DIGITS) or v.text in _ZERO_MARKERS) for v in values
    ):  # a count longer than any report's is no cell's piece (a megabyte cell of digits among them)
        return None
    tokens = ["0" if v.text in _ZERO_MARKERS else v.text for v in values]
    fits = constraint(tuple(int(t) for t in tokens)) if len(tokens) == n else join_tokens(tokens, n, constraint)
    return (PrintedRow(items, lines[0].row, lines[0].start), len(lines)) if fits else None


def _whole(items: list[Item], n: int, constraint) -> bool:
    """A line that is a row by itself: `n` cells that keep the row total as printed."""
    values = [as_number(i.text) for i in items if i.kind == "value"]
    return len(values) == n and None not in values and constraint(tuple(values))


def _next_line(text: str, at: int) -> int:
    return text.find("\n", at) + 1


def _two_lines(lines: list[PrintedRow], anchors: list[Anchor], n: int, constraint) -> PrintedRow | None:
    """A row printed over two lines: the first cells glued to the end of its label's line and the rest on the line
    under it (markitdown: `)1.属于国家秘密0` / `| | （三 | | | 0 | 0 0 | 0 0 | 0 |`). Two lines in a row, neither
    a row by itself (fewer than `n` cells between its first and last number), no other row's label between them,
    the second bare, together exactly `n` numbers that keep the row total: one row, its label the first's."""
    if len(lines) < 2 or lines[1].row is not None or not all(_partial(line.items, n) for line in lines):
        return None
    items = lines[0].items + lines[1].items
    values = [as_number(i.text) for i in items if i.kind == "value"]
    if len(values) != n or None in values or _between(lines, anchors) or (constraint and not constraint(tuple(values))):
        return None
    return PrintedRow(items, lines[0].row, lines[0].start)


def _wrapped_cell(lines: list[PrintedRow], anchors: list[Anchor], n: int, constraint) -> PrintedRow | None:
    """A row whose one cell's number wraps in its narrow column (a browser breaks `30` as `3` / `0`), printed
    around the row's line as the cell is centred beside the others: a lone number on the line above, the row's
    other `n - 1` numbers, a lone number on the line below, no other row's label among them (the row's own may
    stand between the top piece and the row's line: `6` / `一、本年新收政府信` / `0 0 2 0 4 70` / `息公开申请数量 4`;
    `_own_label`).
    The two pieces are one number (top, then bottom); where it stands among the others is what the row total
    decides: each place that keeps it is a reading (one: the row is realigned; several: the column identities
    choose, `options`)."""
    if constraint is None or len(lines) < 3:
        return None
    top, row, bottom = ([i for i in line.items if i.kind == "value"] for line in lines)
    label = _own_label(lines, anchors)
    if not (len(top) == len(bottom) == 1 and len(row) == n - 1) or label is False:
        return None
    head, tail = top[0], bottom[0]
    if not (head.text.isdigit() and tail.text.isdigit()) or head.text == "0":
        return None  # no count begins with 0
    cell = Item("value", head.text + tail.text, head.start, tail.end)
    values = [as_number(i.text) for i in row]
    places = [] if None in values else [p for p in range(n) if constraint((*values[:p], int(cell.text), *values[p:]))]
    if not places:
        return None
    options = [[*row[:p], cell, *row[p:]] for p in places]
    return PrintedRow(options[0], label, lines[0].start, wrapped=True, options=options[1:] and options)


def _wrapped_in_rows(
    text: str, lines: list[PrintedRow], anchors: list[Anchor], n: int, constraint
) -> PrintedRow | None:
    """A row whose numbers wrap in their narrow grid cells around its line (`wrapped_in_grid`): the readings that
    print `n` numbers and keep the row total (several: the column identities choose, `options`)."""
    if constraint is None or len(lines) < 3:
        return None
    label = _own_label(lines, anchors)
    if label is False or any(_whole(line.items, n, constraint) for line in lines):
        return None
    readings = [
        items
        for items in wrapped_in_grid(text, [i for line in lines[:3] for i in line.items])
        if _whole(items, n, constraint)
    ]
    if not readings:
        return None
    return PrintedRow(readings[0], label, lines[0].start, wrapped=True, options=readings[1:] and readings)


def _own_label(lines: list[PrintedRow], anchors: list[Anchor]) -> str | bool | None:
    """The row label of three lines around a row's line, the top and bottom lines bare: the middle line's, or the one
    label printed between the top line and the bottom, the middle bare (a row's label wrapped around its numbers,
    or printed under its line: lines ordered by their tops put it there, inside the row the pieces span); False
    where another row's label stands among them."""
    if lines[0].row is not None or lines[2].row is not None:
        return False
    among = [a for a in anchors if lines[0].start < a.start < lines[-1].start and a.row != lines[1].row]
    if not among:
        return lines[1].row
    if len(among) == 1 and lines[1].row is None:
        return among[0].row
    return False


def wrapped_in_grid(text: str, items: list[Item]) -> list[list[Item]]:
    """Numbers wrapped in their narrow grid cells, printed around the row's line (markitdown of a narrow print:
    `|  |  | 1 | 1 |` / `| 1 0 2 | 0 3 |  | 0 0 0 | …` / `|  |  | 2 | 2 |` for 12 and 12): where the markdown lines
    right above and below a line of as many cells (`under`) print only numbers, one a cell, in the same columns, each
    column's two pieces are one number, top then bottom (no count begins with 0). Where the row's line prints
    numbers in that column too, the page does not say where among them the joined number stands: each place is a
    reading. The readings of the items, the three lines' numbers so joined; none where no such lines are found."""
    lines = sorted({_line_at(text, i.start) for i in items})
    for top, middle, bottom in zip(lines, lines[1:], lines[2:], strict=False):
        grids = [_grid_columns(text, line, items) for line in (top, middle, bottom)]
        if (
            not (under(text, top, middle) and under(text, middle, bottom))
            or None in grids
            or len(set(map(len, grids))) != 1
        ):
            continue
        pieces = [c for c, cell in enumerate(grids[0]) if cell]
        if not pieces or pieces != [c for c, cell in enumerate(grids[2]) if cell]:
            continue
        if any(len(grids[k][c]) != 1 or not grids[k][c][0].text.isdigit() for k in (0, 2) for c in pieces):
            continue
        if any(grids[0][c][0].text == "0" for c in pieces):
            continue
        places = []
        for c, cell in enumerate(grids[1]):
            if c in pieces:
                head, tail = grids[0][c][0], grids[2][c][0]
                joined = Item("value", head.text + tail.text, head.start, tail.end)
                places.append([[*cell[:k], joined, *cell[k:]] for k in range(len(cell) + 1)])
            else:
                places.append([cell])
        before = [i for i in items if i.start < top[0]]
        after = [i for i in items if i.start > bottom[1]]
        return [before + [i for cell in combo for i in cell] + after for combo in product(*places)]
    return []


def under(text: str, above: tuple[int, int], below: tuple[int, int]) -> bool:
    """The line `below` right under `above`, or under it and a markdown table's separator row (ingest blanks it)."""
    return (
        above[1] < below[0]
        and text.count("\n", above[1], below[0]) <= 2
        and not text[above[1] : below[0]].strip(" \t\n|:-")
    )


def _line_at(text: str, at: int) -> tuple[int, int]:
    """The bounds of the line that holds position `at`."""
    end = text.find("\n", at)
    return text.rfind("\n", 0, at) + 1, len(text) if end < 0 else end


def _grid_columns(text: str, line: tuple[int, int], items: list[Item]) -> list[list[Item]] | None:
    """A markdown line's numbers by column (text in none of its cells); None for a line of text or no grid."""
    start, end = line
    if not _MARKDOWN_LINE.fullmatch(text, start, end) or any(
        i.kind == "text" and start <= i.start < end for i in items
    ):
        return None
    columns: list[list[Item]] = [[] for _ in range(text.count("|", start, end) - 1)]
    for item in items:
        if item.kind == "value" and start <= item.start < end:
            columns[text.count("|", start, item.start) - 1].append(item)
    return columns


_MARKDOWN_LINE = re.compile(r"[ \t]*\|.*\|[ \t]*")


def _between(lines: list[PrintedRow], anchors: list[Anchor]) -> bool:
    """Another row's label among the lines (the first line's own label, or the middle's, is theirs)."""
    own = {line.row for line in lines}
    return any(lines[0].start < a.start < lines[-1].start and a.row not in own for a in anchors)


def _numbers(items: list[Item]) -> int:
    return sum(i.kind == "value" for i in items)


def _partial(items: list[Item], n: int) -> bool:
    """Fewer than `n` cells from the line's first number to its last: no whole row (a row's blank cells count)."""
    at = [k for k, i in enumerate(items) if i.kind == "value"]
    return at[-1] - at[0] + 1 < n


def _between_words(tokens: list[Item], k: int) -> bool:
    """The token is printed between two pieces of label text (`三、 无 请内容仍不 13029 …`): no row prints a cell
    before its label's last words."""
    return 0 < k < len(tokens) - 1 and tokens[k - 1].kind == tokens[k + 1].kind == "text"


def _as_label(text: str, item: Item, lone: bool) -> Item:
    """Label text a narrow label column prints where a value could stand. A number followed by a full stop is an
    item's ordinal: table 三 prints counts, never a decimal point, and a narrow label cell can print its ordinal on
    a line or in a cell of its own (`2.` / `其他法律行政法规禁止公开`, markitdown's `| 3. | “ |` over
    `| 危 | 及 三 安 |`). The one 无 or 一 of a line of no grid and no row's label, or one between two pieces of
    label text (`lone`), is a character of a label printed one a line (`（四）无法提供` beside several rows, its
    characters among their lines, beside those of another such label: `理 无`, `三、 无 请内容仍不`)."""
    if lone and item.kind == "value" and item.text in _CJK_MARKERS:
        return Item("text", item.text, item.start, item.end)
    stop = _FULL_STOP.match(text, item.end)
    if item.kind != "value" or not item.text.isdigit() or not stop:
        return item
    return Item("text", text[item.start : stop.end()], item.start, stop.end())


_CJK_MARKERS = frozenset("无一")
_GRID = re.compile(r"[|\t]")


def _gap_alignments(bare: list[list[Item]], rows: list[str], labelled: list[str]) -> list[dict[str, list[Item]]]:
    """The order-keeping pairings of a gap's bare lines with its template rows: with the rows whose labels the
    gap prints where they are as many as the lines, else every pairing (unpaired rows: not printed, unpaired
    lines: not rows of the table)."""
    if bare and len(labelled) == len(bare):
        return [dict(zip(labelled, bare, strict=True))]
    k = min(len(bare), len(rows))
    if comb(max(len(bare), len(rows)), k) > MAX_ALIGNMENTS:
        return []
    if len(bare) <= len(rows):
        return [dict(zip(chosen, bare, strict=True)) for chosen in combinations(rows, k)]
    return [dict(zip(rows, chosen, strict=True)) for chosen in combinations(bare, k)]


def align_rows(
    text: str, anchors: list[Anchor], order: list[str], lo: int, hi: int, n: int, constraint, identities_of, keys_of
) -> Alignment | None:
    """Align the region's printed rows to the template rows `order`; None where the table is not shaped so."""
    printed = printed_rows(text, anchors, lo, hi, n, constraint)
    if printed is None:
        return None
    index = {row: i for i, row in enumerate(order)}
    anchored = [(index[p.row], p) for p in printed if p.row in index]
    if [i for i, _ in anchored] != sorted({i for i, _ in anchored}):
        return None  # anchors out of the template's order
    in_row = {p.row for p in printed if p.row}
    free = [a for a in anchors if a.row in index and a.row not in in_row]
    gaps: list[tuple[list[list[Item]], list[str], list[str]]] = []
    fixed: dict[str, list[Item]] = {}
    previous, bare, since = -1, [], lo
    for p in [*printed, None]:
        if p is not None and p.row is None:
            bare.append(p.items)
            continue
        until = index[p.row] if p else len(order)
        rows = order[previous + 1 : until]
        labelled = [r for r in rows if any(a.row == r and since <= a.start < (p.start if p else hi) for a in free)]
        gaps.append((bare, rows, labelled))
        if p is not None:
            fixed[p.row] = p.items
            previous, bare, since = index[p.row], [], p.start
    per_gap = [_gap_alignments(b, rows, labelled) if b or rows else [{}] for b, rows, labelled in gaps]
    if any(not g for g in per_gap) or _count(per_gap) > MAX_ALIGNMENTS:
        return None
    alignments = [dict(fixed, **{k: v for part in combo for k, v in part.items()}) for combo in product(*per_gap)]
    readings_of = {id(p.items): p.options for p in printed if p.options}

    def readings(alignment: dict[str, list[Item]]) -> dict[str, list[list[Item]]]:
        return {row: readings_of[id(items)] for row, items in alignment.items() if id(items) in readings_of}

    if len(alignments) == 1:  # the only pairing by order: read; the checker tests it like any reading
        chosen, decided = alignments, True
    else:
        consistent = [a for a in alignments if _consistent(a, n, constraint, identities_of, keys_of, readings(a))]
        chosen, decided = consistent or alignments, bool(consistent)
    result = Alignment(labelled={p.row for p in printed if p.row in fixed and not p.wrapped})
    for row in order:
        options: list[list[Item]] = []
        for a in chosen:
            if a.get(row) is not None and not any(a[row] is o for o in options):
                options.append(a[row])
        if decided and len(options) == 1 and all(a.get(row) is options[0] for a in chosen):
            result.segments[row] = options[0]
        elif options:
            result.open[row] = [each for o in options for each in readings_of.get(id(o), [o])]
            if any(a.get(row) is None for a in chosen):
                result.unplaced.add(row)
    result.options = readings(result.segments)
    return result


def _count(per_gap: list[list]) -> int:
    total = 1
    for g in per_gap:
        total *= len(g)
    return total


def _consistent(
    alignment: dict[str, list[Item]], n: int, constraint, identities_of, keys_of, options: dict | None = None
) -> bool:
    """Some reading of the aligned rows satisfies every identity that can be computed (a row of several readings,
    `options`, in any of them)."""
    rows = list(alignment)
    choices = []
    for row in rows:
        found = []
        for items in (options or {}).get(row, [alignment[row]]):
            reading = read_row(items, n, constraint, trust_blanks=True)
            found += [c for c in reading.candidates or reading.joined if c not in found]
        if not found:
            return False  # a line that is no row of this table where it was put
        choices.append(found)

    def accept(combo) -> bool:
        values = {}
        for row, candidate in zip(rows, combo, strict=True):
            values.update(zip(keys_of(row), candidate, strict=True))
        return all_hold(identities_of(values), values)

    total = 1
    for c in choices:
        total *= len(c)
    if total > MAX_COMBINATIONS:
        return True  # too many to try: the identities cannot rule it out
    return bool(consistent_combinations(choices, accept))


def open_reading(options: list[list[Item]], n: int, constraint, trust_blanks: bool) -> RowReading:
    """A row the alignments disagree on: ambiguous, with every alignment's reading as a candidate."""
    candidates = sorted(
        {c for items in options for c in read_row(items, n, constraint, trust_blanks=trust_blanks).candidates},
        key=lambda c: tuple((v is None, v or 0) for v in c),
    )
    values = [i for items in options for i in items if i.kind == "value"]
    if not values:  # no reading places the row (a band read in no way): open, with no candidate
        return RowReading([], [None] * n, [None] * n, [["realigned"] for _ in range(n)])
    raw = " / ".join(" ".join(i.text for i in items if i.kind == "value") for items in options)
    span = (min(v.start for v in values), max(v.end for v in values))
    return RowReading(candidates, [raw] * n, [span] * n, [["realigned"] for _ in range(n)])


def reorderings(values: dict[str, int | None], rows: list[str], keys_of, identities_of) -> list[tuple[str, tuple]]:
    """A row's cells read in another order than printed, where pdftotext printed them in its own (a row beside a
    header's words comes out in the order of the words' flows, docs/damage.md): for each of `rows`, each order of
    its applicant cells (the total stays last, where it is printed, and every order keeps the row total) that
    satisfies every identity with the other rows' `values`, as (row, the positions of its cells in that order).
    Only a row that every failing identity takes part in is tried. Only the column identities tell the orders
    apart: the caller reads one, and leaves the rows of several open."""
    identities = identities_of(values)
    failing = [i for i in identities if not all_hold([i], values)]
    found = []
    for row in rows:
        keys = keys_of(row)
        own = [i for i in identities if set(keys).intersection(i.keys)]
        if not failing or any(i not in own for i in failing):
            continue  # an identity this row takes no part in fails in every order of its cells
        for turn in permutations(range(len(keys) - 1)):
            order = (*turn, len(keys) - 1)
            trial = values | {k: values[keys[i]] for k, i in zip(keys, order, strict=True)}
            if trial != values and all_hold(own, trial):
                found.append((row, order))
    return found


def align_runs(
    text: str, lo: int, hi: int, order: list[str], n: int, constraint, identities_of, keys_of
) -> Alignment | None:
    """Rows printed as runs of number lines between the pieces of wrapped labels (a narrow page: pdfminer prints
    a row's cells over two to six lines, `1 0 0 0` / `0 0 1`, beside its label's pieces). A run between two text
    lines whose numbers are whole rows keeping their totals (taken in order) is those rows; the numbers between two such runs are a
    stretch of `k // n` rows whose pieces came apart (columns mixed, a number broken over two lines), left open,
    unless it is `k` zeros, a multiple of `n`: those rows are zeros whatever order their cells came in.
    The runs and stretches fill the template rows in order; read only where they fill them exactly, some row run
    spans several lines (rows a line each are read by the other readers) and the rows read satisfy every identity
    they can; the row runs are flagged `realigned`, the stretches' rows `ambiguous`."""
    if constraint is None:
        return None
    parts: list[tuple[bool, list[Item]]] = []  # (a row run, its values), in page order
    run: list[Item] = []
    stretch: list[Item] = []
    wrapped = [False]  # a row run over several lines: the class; rows a line each are the other readers'

    def close() -> None:
        run[:] = _rejoined(text, run, n, constraint)
        values = [as_number(i.text) for i in run]
        chunks = [tuple(values[k : k + n]) for k in range(0, len(values), n)]
        if run and len(run) % n == 0 and None not in values and all(constraint(c) for c in chunks):
            if stretch:
                parts.append((False, stretch[:]))
                stretch.clear()
            parts.extend((True, run[k : k + n]) for k in range(0, len(run), n))
            wrapped[0] |= any("\n" in text[run[k].start : run[k + n - 1].end] for k in range(0, len(run), n))
        else:
            stretch.extend(run)
        run.clear()

    pos = lo
    for line in text[lo:hi].split("\n"):
        start, pos = pos, pos + len(line) + 1
        tokens = [_as_label(text, i, False) for i in segment_items(text, start, start + len(line))]
        values = [i for i in tokens if i.kind == "value"]
        if _ORDINAL.fullmatch(line.strip()):  # a label's ordinal alone on its line (`2.`): no number
            close()
        elif any(i.kind == "text" for i in tokens):
            close()
            stretch.extend(values)  # numbers on a label's line: no run of bare lines
        else:
            run.extend(values)
    close()
    if stretch:
        parts.append((False, stretch))
    parts = [
        (True, items[k : k + n]) if zeros else (whole, items)
        for whole, items in parts
        for zeros in [not whole and len(items) % n == 0 and all(as_number(i.text) == 0 for i in items)]
        for k in (range(0, len(items), n) if zeros else [0])
    ]
    rows = sum(1 if whole else len(items) // n for whole, items in parts)
    if rows != len(order) or sum(whole for whole, _ in parts) < 2 or not wrapped[0]:
        return None
    result, at = Alignment(), 0
    for whole, items in parts:
        if whole:
            result.segments[order[at]] = items
            at += 1
            continue
        for row in order[at : at + len(items) // n]:
            result.open[row] = [items]
        at += len(items) // n
    if not _consistent(result.segments, n, constraint, identities_of, keys_of):
        return None
    return result


_ORDINAL = re.compile(r"\d+\s*[.、．]")


def _rejoined(text: str, run: list[Item], n: int, constraint) -> list[Item]:
    """A run of one number more than a row, where a browser broke one cell's number over two lines (`3` / `0` for
    30): the two pieces, on lines of their own, are one number where exactly one such joining keeps the row total
    (no count begins with 0); otherwise the run as printed."""
    if len(run) != n + 1:
        return run
    joined = []
    for k, (head, tail) in enumerate(pairwise(run)):
        if (
            not (head.text.isdigit() and tail.text.isdigit())
            or head.text == "0"
            or "\n" not in text[head.end : tail.start]
        ):
            continue
        cell = Item("value", head.text + tail.text, head.start, tail.end)
        items = [*run[:k], cell, *run[k + 2 :]]
        values = [as_number(i.text) for i in items]
        if None not in values and constraint(tuple(values)):
            joined.append(items)
    return joined[0] if len(joined) == 1 else run


def wrapped_over_lines(text: str, items: list[Item], n: int, size: int, limit: int = 64) -> list[list[Item]]:
    """A table's `n` numbers printed a piece a line on very narrow paper (A6: `11` / `7` for 117, `2` / `6` / `2` for
    262, format.md §3.32), in the grid's order: a number wraps in its cell, so its pieces stand on lines one right
    under the other, the first piece ending its line and the next beginning the next; numbers apart on one line are
    separate cells. A run of digits may hold several cells' pieces where the print lost the space between them
    (fullwidth digits print none: `70001` = 7 | 0 | 0 | 0 | 1, `02` = 0 | 2), so each digit is a piece, kept with
    its neighbour in the run or parted from it. The readings that so make exactly `n` numbers, none joined beginning
    with 0 nor holding a zero marker, every group of `size` (table 四's five) keeping its total (its last) as the
    sum of the others: the identities choose. None where the pieces cannot make `n` numbers, or `limit` readings or
    more hold, or the search runs past its budget (the row stays as printed)."""
    return _wrapped_walk(text, items, n, size, limit, None) or []


def wrapped_but_one_group(text: str, items: list[Item], n: int, size: int, limit: int = 64) -> list[list] | None:
    """Those pieces where no reading keeps every group's total (the agency's own error in one group): the readings
    in which every group but one keeps it, that one's pieces left unread (None for each of its cells, whichever way
    they split). None where the search runs past its limits: then what the readings agree on is not known."""
    found = []
    for skip in range(n // size):
        readings = _wrapped_walk(text, items, n, size, limit, skip)
        if readings is None:
            return None
        found += readings
    return found


def _wrapped_walk(text: str, items: list[Item], n: int, size: int, limit: int, skip: int | None) -> list[list] | None:
    """`wrapped_over_lines`' search; with `skip`, that group's total unchecked and its pieces one unread stretch
    (any that its cells could be). None where it ran past `limit` readings or its budget."""
    values = [i for i in items if i.kind == "value"]
    if any(not (v.text.isdigit() or v.text in _ZERO_MARKERS) for v in values):
        return []
    values = [
        Item("value", v.text[k], v.start + k, v.start + k + 1) if v.text.isdigit() else v
        for v in values
        for k in range(len(v.text) if v.text.isdigit() else 1)
    ]
    if not n < len(values) <= n * MAX_DIGITS:
        return []
    joinable = [
        a.end == b.start or (not text[a.end : b.start].strip() and text.count("\n", a.end, b.start) == 1)
        for a, b in pairwise(values)
    ]
    found: list[list] = []
    steps = [_WRAP_STEPS]

    def number(pos: int, end: int) -> int | None:
        """The number pieces pos..end make, or None where they cannot be one."""
        pieces = values[pos:end]
        if end - pos > 1 and (
            not all(joinable[pos : end - 1]) or pieces[0].text == "0" or _ZERO_MARKERS & {p.text for p in pieces}
        ):
            return None
        return as_number("".join(p.text for p in pieces)) or 0

    known: dict[tuple[int, int, int], bool] = {}

    def splits(pos: int, end: int, k: int) -> bool:
        """Whether pieces pos..end can make k numbers."""
        if k == 0 or not k <= end - pos <= k * MAX_DIGITS:
            return k == 0 and pos == end
        if (pos, end, k) not in known:
            known[pos, end, k] = any(
                number(pos, e) is not None and splits(e, end, k - 1) for e in range(pos + 1, end - k + 2)
            )
        return known[pos, end, k]

    def walk(pos: int, cells: list, sums: list[int]) -> None:
        steps[0] -= 1
        left = n - len(cells)
        if len(found) >= limit or steps[0] < 0 or not left <= len(values) - pos <= left * MAX_DIGITS:
            return
        if not left:
            found.append(cells)
            return
        if skip is not None and len(cells) == skip * size:  # the group left unread: any stretch it can be
            for end in range(pos + size, min(len(values), pos + size * MAX_DIGITS) + 1):
                if splits(pos, end, size):
                    walk(end, [*cells, *[None] * size], [*sums, *[0] * size])
            return
        for end in range(pos + 1, min(len(values), pos + MAX_DIGITS) + 1):
            value = number(pos, end)
            if value is None:
                break
            group = [*sums[len(sums) - len(sums) % size :], value]
            if len(group) == size and group[-1] != sum(group[:-1]):
                continue
            digits = "".join(p.text for p in values[pos:end])
            walk(end, [*cells, Item("value", digits, values[pos].start, values[end - 1].end)], [*sums, value])

    walk(0, [], [])
    return None if steps[0] < 0 or len(found) >= limit else found  # a part of many readings would read cells


_WRAP_STEPS = 200_000  # readings tried for one table's wrapped pieces; a page needing more stays as printed
