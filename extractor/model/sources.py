"""The source rows the model is shown, and the test every model-read value must pass: grounding.

The rows come from the parser's result (`ParsedTables.rows`: each row's label anchor and the value
tokens up to the next label), so the model reads one row's own text and its answer is checked
against that same text. A value is grounded when it is printed at its place in its row: a reading
by position the parser's own row reader allows — the row's cells, or a split of a glued digit run
that the row identity accepts. A value that merely occurs somewhere is not grounded: sums that hold
are not proof, and neither is a number that is printed in the wrong column.

Rows the parser could not read at all (labels worded otherwise, a row printed without its label, values
run together with a neighbour's), in tables 二, 三 and 四 alike, are not read from the parser's
segmentation: consecutive such rows form a `Region`, the page text from the first of them to the next
row the parser did read, and the model reads that text whole against the template's rows. A table the
parser did not locate is read from its section, between its heading and the next. The answer is
grounded on the document text: the rows' numbers, in template order, must be exactly the numbers
printed in the region, each used once and in reading order, with every row printed in full — so a
region that prints more or fewer numbers than its rows hold is never asked about (`groundable`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from nianbao import solve
from nianbao.parse import Item, ParsedTables, TableRow, as_number, segment_items, t3_section
from nianbao.parse.labels import find_labels
from nianbao.parse.tables import result_lines
from nianbao.schemas.keys import T2_ROWS, T3_COLUMNS, T3_ROWS, T4_COLUMNS, T4_GROUPS, t3_key, t4_key
from nianbao.schemas.record import Cell
from nianbao.schemas.template import ROW_NAMES, T4_GROUP_NAMES, T4_RESULT_LABELS

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
        """Every line prints one row's numbers (table 三), or one result's across the groups (table 四 printed
        by result): the model need only say which line is which row."""
        if self.table == "四":
            return self.by_result
        return self.table == "三" and all(len(values) == width for _, values in self.lines)

    @property
    def by_result(self) -> bool:
        """Table 四 as five labelled lines of three numbers: one line per result, its groups across."""
        shape = len(T4_COLUMNS), len(T4_GROUPS)
        return (
            self.table == "四"
            and (len(self.lines), *{len(v) for _, v in self.lines}) == shape
            and all(label for label, _ in self.lines)
        )

    def in_template_order(self) -> tuple[Item, ...]:
        """The printed numbers in the order of the rows' keys where every line is its row in template order:
        reading order, except table 四 printed by result (its keys go group by group, its lines result by result)."""
        if self.by_result:
            return tuple(self.lines[c][1][g] for g in range(len(T4_GROUPS)) for c in range(len(T4_COLUMNS)))
        return self.tokens

    def groundable(self, widths: list[int]) -> bool:
        """The region prints exactly as many numbers as its rows hold: only then can an answer be grounded,
        so only then is the model asked (a question that cannot change the verdict is not asked)."""
        return len(self.tokens) == sum(widths)


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
    """Every row of every table, in template order, as the parser found it; the rows it could not read at
    all carry the region of page text the model reads them from. A table the parser could not locate at
    all is read from its section (its heading to the next table or section), every row."""
    rows = [SourceRow(**vars(row)) for row in parsed.rows]
    spans = {"二": parsed.regions.t2, "三": parsed.regions.t3, "四": parsed.regions.t4}
    for table in ("二", "三", "四"):
        if table == "二" and parsed.template == "gov2019":  # its table 二 has keys the model path does not ask
            continue
        if spans[table] is None:
            spans[table] = section(text, table)
            if spans[table] is None:
                continue
            at = next((i for i, r in enumerate(rows) if "二三四".index(r.table) > "二三四".index(table)), len(rows))
            rows[at:at] = template_rows(table)
    for table in ("二", "三", "四"):
        mine = [r for r in rows if r.table == table]
        for first, last in _unread_runs(mine, parsed.cells):
            region = _region(text, table, mine, first, last, spans[table])
            if region is not None:
                for row in mine[first : last + 1]:
                    row.region = region
    three = [r for r in rows if r.table == "三"]
    if spans["三"] is not None and any(_unread(r, parsed.cells) and not _askable(r, three) for r in three):
        whole = whole_table(text, three, spans["三"])
        for row in three if whole is not None else ():
            row.region = whole
    for row in rows:  # a table 四 printed by result is read by naming its lines, whatever the parser read
        if row.table == "四" and spans["四"] is not None and (region := by_result(text, *spans["四"])):
            row.region = region
    return rows


def template_rows(table: str) -> list[SourceRow]:
    """A table's template rows with nothing read: what the model reads from the table's section."""
    if table == "二":
        return [SourceRow("二", r, tuple(f"active.{r}.{c}" for c in cols), [], None) for r, cols in T2_ROWS.items()]
    if table == "三":
        return [SourceRow("三", r, tuple(t3_key(r, c) for c in T3_COLUMNS), [], solve.row_total_holds) for r in T3_ROWS]
    keys = tuple(t4_key(g, c) for g in T4_GROUPS for c in T4_COLUMNS)
    return [SourceRow("四", "review_litigation", keys, [], solve.groups_total_hold)]


_HEADING = r"(?:^|\n)[\s#*]*{}\s*、"  # a section heading at a line's start: 五、 (markdown: ## 五、)
_TITLES = {  # each table's section title as agencies print it, whitespace allowed between characters
    "二": ("主动公开政府信息情况",),
    "三": ("收到和处理政府信息公开申请情况", "依申请公开情况"),
    "四": ("行政复议、行政诉讼情况", "行政复议和行政诉讼情况"),
}


def _spaced(word: str) -> str:
    return r"\s*".join(map(re.escape, word))


def by_result(text: str, lo: int, hi: int) -> Region | None:
    """Table 四 printed one line per result, its groups across (`result_lines`), under result labels the parser
    does not know: the model names each line's result. None for any other table 四, and for one whose five
    result labels the parser anchors (it reads that by column itself)."""
    lines = result_lines(text, lo, hi)
    if lines is None or len(find_labels(text, T4_RESULT_LABELS, lo, hi)) == len(T4_RESULT_LABELS):
        return None
    named = tuple(
        (" ".join(re.sub(r"\s+", " ", t.text).strip() for t in label), tuple(values)) for label, values in lines
    )
    shown = "\n".join(" ".join([label, *(v.text for v in values)]) for label, values in named)
    tokens = tuple(v for _, values in named for v in values)
    return Region("四", ("review_litigation",), (lines[0][0][0].start, tokens[-1].end), shown, tokens, named)


def section(text: str, table: str) -> tuple[int, int] | None:
    """Where a table must be when the parser did not locate it: from the last heading that names its section
    to the next section's heading (or the end)."""
    if table == "三":
        return t3_section(text)
    title = re.compile("|".join(_spaced(t) for t in _TITLES[table]))
    titles = list(title.finditer(text))
    if not titles:
        return None
    lo = titles[-1].end()
    following = "三四五" if table == "二" else "五六"
    ends = [m.start() for n in following if (m := re.compile(_HEADING.format(n)).search(text, lo))]
    return lo, min(ends, default=len(text))


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
    lines = _lines(items, len(rows[first].keys) if table == "三" else None)
    shown = "\n".join(" ".join([label, *(v.text for v in values)]).strip() for label, values in lines)
    if not tokens or len(shown) > MAX_REGION_CHARS:
        return None
    numbered = tuple((label, values) for label, values in lines if values)
    return Region(table, tuple(r.row for r in rows[first : last + 1]), (lo, hi), shown, tokens, numbered)


def _askable(row: SourceRow, rows: list[SourceRow]) -> bool:
    """The row's region could ground an answer: it prints exactly as many numbers as its rows hold."""
    mine = [len(r.keys) for r in rows if row.region is not None and r.region is row.region]
    return row.region is not None and row.region.groundable(mine)


def whole_table(text: str, rows: list[SourceRow], span: tuple[int, int]) -> Region | None:
    """Table 三 asked whole, one question naming every printed line, where the parser left a row unread that no
    region of its own could ground (a converter splits each label around its numbers, so the regions its
    partial reading draws cut through rows). Only where the table prints exactly one line of a full row's
    numbers per template row: then the one grounded answer names the lines in the template's order, the rows
    are placed by that order (`realigned`) and stand only where the identities check them. A line holding a
    single number (the 无 of 无法提供 split off its label, a year inside a label) is no row's: with every row
    named by a line of its own, no cell is left for it. None where the lines and the rows differ in number, a
    line holds more numbers than a row or several but fewer (a row broken, or run into another), the table is
    collapsed, or the lines do not fit the context budget."""
    width = len(T3_COLUMNS)
    if len(rows[0].keys) != width:
        return None
    items = [i for i in segment_items(text, *span) if i.kind != "blank"]
    printed = [(label, values) for label, values in _lines(items, width) if values]
    if any(len(values) not in (1, width) for _, values in printed):  # a row broken or run into another
        return None
    lines = tuple((label, values) for label, values in printed if len(values) == width)
    shown = "\n".join(" ".join([label, *(v.text for v in values)]).strip() for label, values in lines)
    if len(lines) != len(rows) or len(shown) > MAX_REGION_CHARS:
        return None
    tokens = tuple(v for _, values in lines for v in values)
    return Region("三", tuple(r.row for r in rows), (tokens[0].start, tokens[-1].end), shown, tokens, lines)


def _lines(items: list[Item], width: int | None = None) -> list[tuple[str, tuple[Item, ...]]]:
    """The region in reading order as lines, a new one wherever a label follows numbers: (label text, numbers).
    A small model reads "label: its numbers" lines far better than one run of text. With `width`, a line of
    several rows' numbers (a labelled row, then rows printed bare) is shown as one line per row, the bare ones
    with no label, so the model need only name each line's row. A label part the line before printed too (a
    merged cell a converter repeats on every row it spans) is not shown again: it names no row of its own."""
    lines: list[tuple[list[str], list[Item]]] = [([], [])]
    for prev, item in zip([None, *items], items, strict=False):  # each item with the one before: one short by design
        if item.kind == "text" and prev is not None and prev.kind == "value":
            lines.append(([], []))
        if item.kind == "text":
            lines[-1][0].append(re.sub(r"\s+", " ", item.text).strip())
        else:
            lines[-1][1].append(item)
    out, before = [], []
    for label, values in lines:
        label, before = [t for t in label if t not in before], label  # a merged cell repeated on the next row
        rows = len(values) // width if width and len(values) > width and len(values) % width == 0 else 1
        size = len(values) // rows
        out += [
            (" ".join(_distinct(label)) if k == 0 else "", tuple(values[k * size : (k + 1) * size]))
            for k in range(rows)
        ]
    return out


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
    tokens = region.in_template_order()
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
