"""Table 三 read as one stream of numbers, in row order, where a row's first or last cells are printed apart.

pdftotext's default mode prints a table cut by a page break (a footer between its parts, the column header
printed again, format.md §3.25) as text blocks in its own reading order: each row's numbers still come in the
template's row order, but the last one or two cells of a row can come a few rows later (the 其他 and 总计
columns taken as a block of their own), or a row's total just before its first cell. The labels then place
nothing. The stream of all the table's numbers is the evidence left: each row is one run of seven, or a head of
five or six and its tail printed apart, at most a few rows away. Every row's total and every column identity
must hold (or, past an agency's own slip, fail only where every reading fails, check.least_failing); exactly one
such reading is read (flagged `realigned`), several or none leave the table as the other readings left it. Never a
guess.
"""

from __future__ import annotations

from functools import lru_cache

from nianbao.check import all_hold, least_failing
from nianbao.parse.tokens import Item, as_number

NEAR = 3  # rows between a head and its tail
_APART = (1, 2)  # cells at a row's end that can be printed apart from the rest
_PENDING = 2  # rows open at once
MAX_STATES = 200_000  # places in the stream tried; more leave the table as it was


class _TooMany(Exception):
    pass


def stream_rows(items: list[Item], rows: list[str], n: int, identities_of, keys_of) -> dict[str, list[Item]] | None:
    """Each row's items, where exactly one consistent reading of the stream exists; else None. `items` are the
    table's numbers and zero markers in page order; a row's items come out in its column order."""
    values = [as_number(i.text) for i in items]
    if len(items) != n * len(rows) or any(not isinstance(v, int) for v in values):
        return None  # a number too many or too few (a glued run, another table's number): not this reading
    try:
        readings = _readings(values, len(rows), n)
    except _TooMany:
        return None
    valuations = []
    for reading in readings:
        cells = {}
        for row, where in zip(rows, reading, strict=True):
            cells.update(zip(keys_of(row), (values[i] for i in where), strict=True))
        valuations.append((reading, cells))
    holding = [reading for reading, cells in valuations if all_hold(identities_of(cells), cells)]
    found: dict[tuple, list[tuple[int, ...]]] = {}
    for reading in holding or least_failing(valuations, identities_of):  # or past an agency's own slip
        found.setdefault(tuple(values[i] for where in reading for i in where), reading)
    if len(found) != 1:
        return None
    (reading,) = found.values()
    return {row: [items[i] for i in where] for row, where in zip(rows, reading, strict=True)}


def _readings(values: list[int], count: int, n: int, cap: int = 256) -> list[list[tuple[int, ...]]]:
    """Every distinct way (none where more than `cap`) to cut the stream into `count` rows of `n` whose totals
    hold: each row's positions."""
    states = [0]

    def holds(where: tuple[int, ...]) -> bool:
        return sum(values[i] for i in where[:-1]) == values[where[-1]]

    def moves(p: int, r: int, pending: tuple) -> list[tuple[tuple, tuple | None]]:
        """(next state, (row, its positions) where a row is complete) for each way on from position p."""
        out = []
        early = [x for x in pending if x[0] == r and x[1] == "tail"]
        if r < count and early:  # a total printed before its row: the head follows
            tail = early[0][2]
            where = tuple(range(p, p + n - len(tail))) + tail
            if p + n - len(tail) <= len(values) and holds(where):
                rest = tuple(x for x in pending if x is not early[0])
                out.append(((p + n - len(tail), r + 1, rest), (r, where)))
        elif r < count:
            where = tuple(range(p, p + n))
            if p + n <= len(values) and holds(where):
                out.append(((p + n, r + 1, pending), (r, where)))
            if len(pending) < _PENDING:
                for m in (n - t for t in _APART):
                    if p + m <= len(values):
                        out.append(((p + m, r + 1, (*pending, (r, "head", tuple(range(p, p + m))))), None))
                for t in _APART:
                    if p + t <= len(values):
                        out.append(((p + t, r, (*pending, (r, "tail", tuple(range(p, p + t))))), None))
        for x in pending:
            if x[1] != "head" or x[2][-1] + 1 == p:  # a tail right after its head is the row read whole
                continue
            where = x[2] + tuple(range(p, p + n - len(x[2])))
            if p + n - len(x[2]) <= len(values) and holds(where):
                out.append(((p + n - len(x[2]), r, tuple(y for y in pending if y is not x)), (x[0], where)))
        return out

    @lru_cache(maxsize=None)
    def ways(p: int, r: int, pending: tuple) -> dict[tuple, tuple] | None:
        """The distinct readings of the rest of the stream: each one's (row, values) → its rows' positions; None
        for more than `cap` (paths that differ only in where equal numbers were taken are one reading)."""
        states[0] += 1
        if states[0] > MAX_STATES:
            raise _TooMany
        if r == count and not pending:
            return {(): ()} if p == len(values) else {}
        if p >= len(values) or any(r - x[0] > NEAR for x in pending):
            return {}
        found: dict[tuple, tuple] = {}
        for state, done in moves(p, r, pending):
            rest = ways(*state)
            if rest is None:
                return None
            for key, where in rest.items():
                if done:
                    row = (done[0], tuple(values[i] for i in done[1]))
                    key, where = tuple(sorted((*key, row))), (*where, done)
                found.setdefault(key, where)
            if len(found) > cap:
                return None
        return found

    found = [dict(where) for where in (ways(0, 0, ()) or {}).values()]
    return [[rows[i] for i in range(count)] for rows in found]
