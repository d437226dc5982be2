"""Tables rebuilt from positioned text: boxes (PDF characters or OCR text lines) and ruled lines → rows.

PDFium gives characters with their boxes and the page's path segments; OCR gives text lines with
their boxes and an image whose ruled lines are found by morphology. Both land here: the ruled
lines that meet form a table, its horizontal lines cut rows and its vertical lines cut columns,
and a cell spanning several units (no line between them) is one cell, emitted in its first row
only — what pdfplumber's table finder does, at the cost of reading a few coordinates. Text outside
any table is grouped into lines. Coordinates are top-down (y grows downwards), in the page's own
unit (PDF points, image pixels); `scale` turns the tolerances, chosen in points, into that unit.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from itertools import groupby, pairwise
from operator import attrgetter, itemgetter, sub
from typing import NamedTuple


class Box(NamedTuple):
    """Text with its box: one PDF character or one OCR text line (a tuple: pages make thousands)."""

    text: str
    x0: float
    top: float
    x1: float
    bottom: float
    confidence: float | None = None


class Rule(NamedTuple):
    """An axis-aligned ruled line (or an edge of a rectangle)."""

    x0: float
    top: float
    x1: float
    bottom: float


@dataclass
class Piece:
    """What one line of the page puts between two tabs: a table cell, or a whole line of text."""

    text: str
    bbox: tuple[float, float, float, float]
    confidence: float | None = None
    agreed: bool = False  # OCR: a second, independent reading of the cell's ink read the same


@dataclass
class Line:
    """One line of the page in reading order; a table row has one piece per cell it starts."""

    top: float
    pieces: list[Piece]
    table: int | None = None  # index of the table on the page, for rows


@dataclass
class PageLayout:
    lines: list[Line] = field(default_factory=list)
    grids: list[list[list[str]]] = field(default_factory=list)  # per table, every unit's text (spans filled in)


# ---------------------------------------------------------------- rules → tables


def _cluster(values: list[float], tol: float) -> list[float]:
    """Sorted positions merged where closer than `tol` (each cluster's mean)."""
    out: list[list[float]] = []
    for v in sorted(values):
        if out and v - out[-1][-1] <= tol:
            out[-1].append(v)
        else:
            out.append([v])
    return [sum(c) / len(c) for c in out]


def _orient(rules: list[Rule], thin: float) -> tuple[list[Rule], list[Rule]]:
    horizontal = [r for r in rules if r.bottom - r.top <= thin and r.x1 - r.x0 > thin]
    vertical = [r for r in rules if r.x1 - r.x0 <= thin and r.bottom - r.top > thin]
    return horizontal, vertical


def _merge(rules: list[Rule], tol: float, horizontal: bool) -> list[Rule]:
    """Collinear pieces joined (a table's border is often drawn cell by cell): far fewer rules to compare."""
    key = (lambda r: r.top) if horizontal else (lambda r: r.x0)
    merged: list[Rule] = []
    for _, group in groupby(sorted(rules, key=key), key=lambda r: round(key(r) / tol)):
        pieces = sorted(group, key=(lambda r: r.x0) if horizontal else (lambda r: r.top))
        lo, hi = (pieces[0].x0, pieces[0].x1) if horizontal else (pieces[0].top, pieces[0].bottom)
        at = key(pieces[0])
        for r in [*pieces[1:], None]:
            a, b = ((r.x0, r.x1) if horizontal else (r.top, r.bottom)) if r is not None else (hi + 2 * tol + 1, 0)
            if a <= hi + tol:
                hi = max(hi, b)
                continue
            merged.append(Rule(lo, at, hi, at) if horizontal else Rule(at, lo, at, hi))
            if r is not None:
                lo, hi, at = a, b, key(r)
    return merged


def _components(horizontal: list[Rule], vertical: list[Rule], tol: float) -> list[tuple[list[Rule], list[Rule]]]:
    """Rules grouped by touching: each group of meeting lines is one table candidate."""
    rules = horizontal + vertical
    parent = list(range(len(rules)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, h in enumerate(horizontal):
        for j, v in enumerate(vertical, start=len(horizontal)):
            if h.x0 - tol <= v.x0 <= h.x1 + tol and v.top - tol <= h.top <= v.bottom + tol:
                parent[find(i)] = find(j)
    groups: dict[int, tuple[list[Rule], list[Rule]]] = {}
    for i, rule in enumerate(rules):
        group = groups.setdefault(find(i), ([], []))
        group[0 if i < len(horizontal) else 1].append(rule)
    return [g for g in groups.values() if len(g[0]) >= 2 and len(g[1]) >= 2]


@dataclass
class _Table:
    ys: list[float]
    xs: list[float]
    owner: list[int]  # per unit, row by row (unit i * width + j): the first unit of its merged cell

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        return self.xs[0], self.ys[0], self.xs[-1], self.ys[-1]


def _covered(intervals: list[tuple[float, float]], mids: list[float]) -> list[bool]:
    """For each of the sorted `mids`, whether one of the intervals holds it (ends included)."""
    hit = [False] * len(mids)
    for lo, hi in intervals:
        for k in range(bisect_left(mids, lo), bisect_right(mids, hi)):
            hit[k] = True
    return hit


def _table(horizontal: list[Rule], vertical: list[Rule], tol: float) -> _Table | None:
    ys = _cluster([r.top for r in horizontal], tol)
    xs = _cluster([r.x0 for r in vertical], tol)
    if len(ys) < 2 or len(xs) < 2:
        return None

    # which unit edges are ruled, found once per line position: a rule there covers the edge's middle
    row_mids, column_mids = [(a + b) / 2 for a, b in pairwise(ys)], [(a + b) / 2 for a, b in pairwise(xs)]
    v_cut = [_covered([(r.top - tol, r.bottom + tol) for r in vertical if abs(r.x0 - x) <= tol], row_mids) for x in xs]
    h_cut = [_covered([(r.x0 - tol, r.x1 + tol) for r in horizontal if abs(r.top - y) <= tol], column_mids) for y in ys]

    # merged cells: units with no rule between them joined, each pointing at the first unit of its cell
    # (units are numbered row by row, so a unit only ever points back and one pass in order resolves them)
    height, width = len(ys) - 1, len(xs) - 1
    owner = list(range(height * width))

    def first(u: int) -> int:
        while owner[u] != u:
            u = owner[u]
        return u

    for i in range(height):
        for j in range(width):
            left, up = j and not v_cut[j][i], i and not h_cut[i][j]
            if left or up:
                u = i * width + j
                a = first(u - 1) if left else first(u - width)
                b = first(u - width) if left and up else a
                owner[u] = owner[max(a, b)] = min(a, b)
    for u, o in enumerate(owner):
        owner[u] = owner[o]
    return _Table(ys, xs, owner)


def find_tables(rules: list[Rule], scale: float = 1.0) -> list[_Table]:
    tol = 3 * scale
    horizontal, vertical = _orient(rules, 2.5 * scale)
    horizontal = _merge(
        [Rule(r.x0, (r.top + r.bottom) / 2, r.x1, (r.top + r.bottom) / 2) for r in horizontal], tol, True
    )
    vertical = _merge([Rule((r.x0 + r.x1) / 2, r.top, (r.x0 + r.x1) / 2, r.bottom) for r in vertical], tol, False)
    tables = [_table(h, v, tol) for h, v in _components(horizontal, vertical, tol)]
    return sorted((t for t in tables if t is not None), key=lambda t: t.ys[0])


# ---------------------------------------------------------------- boxes → lines and cells


_TEXT, _X0, _TOP, _X1 = itemgetter(0), itemgetter(1), itemgetter(2), itemgetter(3)


def text_lines(boxes: list[Box]) -> list[list[Box]]:
    """Boxes grouped into lines (vertical centres within a line's extent), each sorted left to right."""
    if len(boxes) < 2:  # most table cells hold one number
        return [boxes] if boxes else []
    lines: list[list] = []  # [top, bottom, members]
    for box in sorted(sorted(boxes, key=_X0), key=_TOP):  # by top, then x0: two sorts on plain floats are cheaper
        top, bottom = box[2], box[4]
        cy = (top + bottom) / 2
        for line in reversed(lines[-3:]):  # sorted by top: only the last lines can take it
            if line[0] <= cy <= line[1]:
                line[2].append(box)
                if top < line[0]:
                    line[0] = top
                if bottom > line[1]:
                    line[1] = bottom
                break
        else:
            lines.append([top, bottom, [box]])
    lines.sort(key=itemgetter(0))
    return [sorted(members, key=_X0) for _, _, members in lines]


def join(line: list[Box], gap: float, wide_gap: float | None = None) -> str:
    """A line's text: a space where boxes stand apart, a tab where they stand a column apart."""
    spaces = list(map(sub, map(_X0, line[1:]), map(_X1, line)))  # each box's distance from the one before
    if not spaces or max(spaces) <= (gap if wide_gap is None else min(gap, wide_gap)):  # most lines: no gap at all
        return "".join(map(_TEXT, line))
    out = [line[0].text]
    for space, box in zip(spaces, line[1:], strict=True):
        out.append("\t" if wide_gap is not None and space > wide_gap else " " if space > gap else "")
        out.append(box.text)
    return "".join(out)


_WRAPPED_NUMBER = re.compile(r"[\d\s]+(?:\.[\d\s]+)?")
_SPACE = re.compile(r"\s")
_SPACES = re.compile(r"\s+")


def cell_text(lines: list[str]) -> str:
    """A narrow cell wraps a long number over lines ("13146", "5"): one cell, one number."""
    text = "\n".join(lines).strip()
    if _WRAPPED_NUMBER.fullmatch(text):
        return _SPACE.sub("", text)
    return _SPACES.sub(" ", text)


def _piece(boxes: list[Box], text: str) -> Piece:
    _, x0, top, x1, bottom, confidence = zip(*boxes, strict=True)
    scores = [c for c in confidence if c is not None]  # OCR's confidences; PDF characters have none
    return Piece(text, (min(x0), min(top), max(x1), max(bottom)), min(scores) if scores else None)


def _assign(boxes: list[Box], tables: list[_Table]) -> tuple[list[dict[int, list[Box]]], list[Box]]:
    """Each box to the cell (first unit of its merged cell) holding its centre, or to the text outside."""
    members: list[dict[int, list[Box]]] = [{} for _ in tables]
    outside: list[Box] = []
    found = [(t.xs, t.ys, len(t.xs) - 1, len(t.ys) - 1, t.owner, m) for t, m in zip(tables, members, strict=True)]
    # Characters come in reading order, several to a cell: a centre inside the last unit found goes to its
    # cell without a search. Not where tables overlap (the first table holding a centre takes it).
    apart = all(a.ys[-1] < b.ys[0] for a, b in pairwise(tables))
    x0 = y0 = x1 = y1 = 0.0
    last: list[Box] = []
    for box in boxes:  # a page has thousands of characters: the lookups are spelled out
        cx, cy = (box[1] + box[3]) / 2, (box[2] + box[4]) / 2
        if x0 <= cx < x1 and y0 <= cy < y1:
            last.append(box)
            continue
        for xs, ys, nx, ny, owner, cells in found:
            if xs[0] <= cx <= xs[nx] and ys[0] <= cy <= ys[ny]:
                # searching ys[1:ny] puts a centre on the last line in the last row
                i, j = bisect_right(ys, cy, 1, ny) - 1, bisect_right(xs, cx, 1, nx) - 1
                unit = owner[i * nx + j]
                if unit in cells:
                    last = cells[unit]
                    last.append(box)
                else:
                    last = cells[unit] = [box]
                if apart:
                    x0, y0, x1, y1 = xs[j], ys[i], xs[j + 1], ys[i + 1]
                break
        else:
            outside.append(box)
    return members, outside


def _cell_boxes(table: _Table) -> dict[int, tuple[float, float, float, float]]:
    """Each merged cell's box, by its first unit: as far right and down as its units go."""
    xs, ys, width = table.xs, table.ys, len(table.xs) - 1
    far: dict[int, tuple[int, int]] = {}
    for u, owner in enumerate(table.owner):
        bottom, right = far.get(owner, divmod(owner, width))
        far[owner] = (max(bottom, u // width), max(right, u % width))
    return {u: (xs[u % width], ys[u // width], xs[c + 1], ys[r + 1]) for u, (r, c) in far.items()}


def empty_cells(boxes: list[Box], tables: list[_Table]) -> list[tuple[float, float, float, float]]:
    """Boxes of the cells no text box landed in."""
    members, _ = _assign(boxes, tables)
    return [bbox for t, m in zip(tables, members, strict=True) for u, bbox in _cell_boxes(t).items() if u not in m]


def _cell_piece(boxes: list[Box], gap: float) -> Piece:
    """A table cell's text and box; most cells hold one character, which needs no line building."""
    if len(boxes) == 1 and len(boxes[0].text) == 1 and not boxes[0].text.isspace():
        text, x0, top, x1, bottom, confidence = boxes[0]
        return Piece(text, (x0, top, x1, bottom), confidence)
    return _piece(boxes, cell_text([join(line, gap) for line in text_lines([b for b in boxes if b.text])]))


def layout(
    boxes: list[Box], rules: list[Rule] | list[_Table], scale: float = 1.0, wide_gap: float | None = None
) -> PageLayout:
    """The page's lines in reading order: text lines outside tables, and each table's rows.

    `rules` are the page's ruled lines, or the tables already found in them.
    """
    gap = 3 * scale
    tables = rules if rules and isinstance(rules[0], _Table) else find_tables(rules, scale)
    members, outside = _assign(boxes, tables)
    page = PageLayout()
    for line in text_lines(outside):
        page.lines.append(Line(line[0].top, [_piece(line, join(line, gap, wide_gap))]))
    for t, table in enumerate(tables):
        pieces = {u: _cell_piece(bs, gap) for u, bs in members[t].items()}
        owner, width = table.owner, len(table.xs) - 1
        texts = [""] * len(owner)
        for u, piece in pieces.items():
            texts[u] = piece.text
        texts = [texts[u] for u in owner]  # every unit's text, spans filled in
        empty = None
        for i in range(len(table.ys) - 1):
            starts = [u for u in range(i * width, (i + 1) * width) if owner[u] == u]
            if not any(texts[u] for u in starts):
                continue
            if not all(u in pieces for u in starts):
                empty = empty or _cell_boxes(table)  # found once, for the tables that have empty cells
            row = [pieces[u] if u in pieces else Piece("", empty[u]) for u in starts]
            page.lines.append(Line(table.ys[i], row, t))
        page.grids.append([texts[k : k + width] for k in range(0, len(texts), width)])
    page.lines.sort(key=attrgetter("top"))
    return page
