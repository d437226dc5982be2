"""The source rows the model is shown, and the test every model-read value must pass: grounding.

The rows come from the parser's result (`ParsedTables.rows`: each row's label anchor and the value
tokens up to the next label), so the model reads one row's own text and its answer is checked
against that same text. A value is grounded when it is printed at its place in its row: a reading
by position the parser's own row reader allows — the row's cells, or a split of a glued digit run
that the row identity accepts. A value that merely occurs somewhere is not grounded: sums that hold
are not proof, and neither is a number that is printed in the wrong column.

Rows the parser could not read at all (labels worded otherwise, a row printed without its label, values
run together with a neighbour's) are not read from the parser's segmentation: consecutive such rows
form a `Region`, the page text from the first of them to the next row the parser did read, and the
model reads that text whole against the template's rows. Its answer is grounded on the document
text: the rows' numbers, in template order, must be exactly the numbers printed in the region, each
used once and in reading order, with every row printed in full.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from nianbao import solve
from nianbao.parse import Item, ParsedTables, TableRow, as_number, segment_items, t3_section
from nianbao.schemas.keys import T3_COLUMNS, T3_ROWS, t3_key
from nianbao.schemas.record import Cell
from nianbao.schemas.template import ROW_NAMES, T4_GROUP_NAMES

MAX_CHOICES = 4  # a glued run with at most this many readings is shown as those readings
MAX_REGION_CHARS = 3000  # the context budget for a region's text (a whole table 三 prints in about 1,500)

Value = int | Decimal | None


@dataclass(frozen=True, eq=False)  # one object per region: its rows share it
class Region:
    """Page text holding rows the parser could not read: the model reads it whole."""

    table: str
    rows: tuple[str, ...]  # template order
    span: tuple[int, int]
    text: str  # as shown: a line wherever a label follows numbers
    tokens: tuple[Item, ...]  # the value tokens printed in it, in reading order
    lines: tuple[tuple[str, tuple[Item, ...]], ...]  # each printed line's label text and its numbers

    def choosable(self, width: int) -> bool:
        """Every line prints one row's numbers: the model need only say which line is which row."""
        return all(len(values) == width for _, values in self.lines)


@dataclass
class SourceRow(TableRow):
    """A parser row with the text the model is shown for it."""

    region: Region | None = None  # set when the model reads the row from its region's text

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
            return "\n".join(
                f"R{g + 1} {name}: " + " ".join(printed[g * 5 : g * 5 + 5]) for g, name in enumerate(T4_GROUP_NAMES)
            )
        return f"{ROW_NAMES[self.row]}: " + " ".join(printed) + note


def source_rows(parsed: ParsedTables, text: str) -> list[SourceRow]:
    """Every row of every located table, in template order, as the parser found it; the rows it could not
    read at all carry the region of page text the model reads them from. A table 三 the parser could not
    locate at all is read from its section (its title to the next table or section), every row."""
    rows = [SourceRow(**vars(row)) for row in parsed.rows]
    table_span = parsed.regions.t3
    if table_span is None and (table_span := t3_section(text)) is not None:  # not located: its section, every row
        keys_of = lambda r: tuple(t3_key(r, c) for c in T3_COLUMNS)  # noqa: E731
        at = next((i for i, r in enumerate(rows) if r.table == "四"), len(rows))
        rows[at:at] = [SourceRow("三", r, keys_of(r), [], solve.row_total_holds) for r in T3_ROWS]
    mine = [r for r in rows if r.table == "三"]  # 二 and 四 are asked whole: their answers have one fixed shape
    for first, last in _unread_runs(mine, parsed.cells):
        region = _region(text, "三", mine, first, last, table_span)
        if region is not None:
            for row in mine[first : last + 1]:
                row.region = region
    return rows


def _unread(row: TableRow, cells: dict[str, Cell]) -> bool:
    """The parser has no reading of the row at all: no value, no printed blank, no candidates."""
    got = [cells.get(k, Cell(flags=["not_found"])) for k in row.keys]
    return all(c.value is None and "blank" not in c.flags and not c.candidates for c in got)


def _unread_runs(rows: list[SourceRow], cells: dict[str, Cell]) -> list[tuple[int, int]]:
    """Index ranges of consecutive rows the parser could not read."""
    runs: list[tuple[int, int]] = []
    for i, row in enumerate(rows):
        if not _unread(row, cells):
            continue
        if runs and runs[-1][1] == i - 1:
            runs[-1] = (runs[-1][0], i)
        else:
            runs.append((i, i))
    return runs


def _region(
    text: str, table: str, rows: list[SourceRow], first: int, last: int, table_span: tuple[int, int] | None
) -> Region | None:
    """From the first unread row (its label, else where the row before it ends) to the next row that was read
    (its label, else its first value); None when that text prints no number or is past the context budget."""
    lo_table, hi_table = table_span or (0, len(text))
    head = rows[first]
    if head.label is not None:
        lo = head.label.start
    elif first > 0:
        before = rows[first - 1]
        ends = [i.end for i in before.items] + ([before.label.end] if before.label else [])
        lo = max(ends or [lo_table])
    else:
        lo = lo_table
    hi = hi_table
    if last + 1 < len(rows):
        after = rows[last + 1]
        hi = after.label.start if after.label else min([i.start for i in after.items] or [hi_table])
    items = [i for i in segment_items(text, lo, hi) if i.kind != "blank"]
    tokens = tuple(i for i in items if i.kind == "value")
    lines = _lines(items)
    shown = "\n".join(" ".join([label, *(v.text for v in values)]).strip() for label, values in lines)
    if not tokens or len(shown) > MAX_REGION_CHARS:
        return None
    numbered = tuple((label, values) for label, values in lines if values)
    return Region(table, tuple(r.row for r in rows[first : last + 1]), (lo, hi), shown, tokens, numbered)


def _lines(items: list[Item]) -> list[tuple[str, tuple[Item, ...]]]:
    """The region in reading order as lines, a new one wherever a label follows numbers: (label text, numbers).
    A small model reads "label: its numbers" lines far better than one run of text."""
    lines: list[tuple[list[str], list[Item]]] = [([], [])]
    for prev, item in zip([None, *items], items, strict=False):  # each item with the one before: one short by design
        if item.kind == "text" and prev is not None and prev.kind == "value":
            lines.append(([], []))
        if item.kind == "text":
            lines[-1][0].append(re.sub(r"\s+", " ", item.text).strip())
        else:
            lines[-1][1].append(item)
    return [(" ".join(_distinct(label)), tuple(values)) for label, values in lines]


def _distinct(texts: list[str]) -> list[str]:
    """A label once: a table's merged cells repeat it (markdown, expanded grids), and the repeats confuse a
    small model about which row a line is."""
    return [
        t for i, t in enumerate(texts) if not any(t in u and (t != u or j < i) for j, u in enumerate(texts) if j != i)
    ]


def ground_region(region: Region, widths: list[int], answers: list[tuple[Value, ...] | None]) -> list[list[Grounding]]:
    """Per row of the region, per cell: grounded when the rows' numbers, in order, are exactly the region's
    printed numbers (each used once, every row printed in full). Anything less grounds nothing: which of
    several rows a shorter run belongs to is the model's guess, and the identities may not tell."""
    flat = [v for answer in answers if answer is not None for v in answer]
    tokens = region.tokens
    ok = len(flat) == len(tokens) == sum(widths) and all(
        same_value(v, as_number(t.text, isinstance(v, Decimal))) for v, t in zip(flat, tokens, strict=True)
    )
    out, at = [], 0
    for width in widths:
        if ok:
            out.append([Grounding(True, t.text, (t.start, t.end)) for t in tokens[at : at + width]])
        else:
            out.append([Grounding(False)] * width)
        at += width
    return out


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
    best = max(candidates, key=lambda c: sum(same_value(a, b) for a, b in zip(c, values, strict=True)))
    spans = _candidate_spans(row, best, tokens)
    return [Grounding(True, *spans[i]) if same_value(best[i], values[i]) else Grounding(False) for i in range(n)]


def _candidate_spans(
    row: SourceRow, reading: tuple, tokens: list[Item]
) -> list[tuple[str | None, tuple[int, int] | None]]:
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
