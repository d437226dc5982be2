"""Stage 2 — locate and parse: find the three tables by their labels and read every cell.

The page is read as label anchors plus the value tokens between them, so the same code reads
one-cell-per-line text, tab soup, markdown, glued digit runs and the tab-separated rows that
ingest renders for HTML, DOCX and PDF tables. Every value keeps the span it was read from.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from extractor import solve
from extractor.check import all_hold, table3_identities
from schemas.keys import (
    FEE_KEY,
    OTHER_TOTAL_ROW,
    T2_ROWS,
    T3_COLUMNS,
    T3_ROWS,
    T4_COLUMNS,
    T4_GROUPS,
    t3_key,
    t4_key,
)
from schemas.record import Cell
from schemas.template import OTHER_TOTAL_LABEL, T2_LABELS, T3_LABELS, Label, t3_rows_2019

PARSER_VERSION = "1.0"

# ---------------------------------------------------------------- labels


def _fuzzy(word: str) -> str:
    """A label as a regex that survives line breaks and spaces inside it (vertical text, wraps)."""
    return r"\s*".join(re.escape(ch) for ch in word)


LABEL_WINDOW = 700
MIN_ROWS_FOR_A_COLUMN = 3  # over-long rows needed before the identities may pick the extra column  # a row label is never further than this from the previous one

_T2_TITLE = re.compile(_fuzzy("主动公开政府信息情况"))
_T3_TITLE = re.compile(_fuzzy("收到和处理政府信息公开申请情况") + "|" + _fuzzy("依申请公开情况"))
_T4_TITLE = re.compile(r"行\s*政\s*法?\s*复\s*议[^\n。]{0,14}?行\s*政\s*诉\s*讼[^\n。]{0,4}?情\s*况")
_END_TITLE = re.compile(r"五\s*、|存在的主要问题|主要问题及改进|存在的问题及改进")
_T2_START = re.compile(r"第\s*二\s*十\s*条|" + _fuzzy("信息内容"))


@dataclass
class Anchor:
    row: str
    start: int  # where the label begins (its ordinal included), i.e. where the previous row ends
    end: int  # where the keyword ends: the row's values come after


def find_label(text: str, label: Label, lo: int, hi: int) -> Anchor | None:
    for keyword in label.keywords:
        pattern = _fuzzy(keyword)
        if label.row == "other.other":  # '其他' is everywhere; the leaf is '3.其他'
            pattern = r"3\s*[.、]\s*" + pattern
        m = re.compile(pattern).search(text, lo, hi)
        if m:
            return Anchor(label.row, _label_start(text, m.start(), label.ordinal), m.end())
    return None


def _label_start(text: str, start: int, ordinal: int | None) -> int:
    """Move the start back over the item's own ordinal, so a glued '…00000002.其他' loses its '2'."""
    if ordinal is None:
        return start
    window = text[max(0, start - 40) : start]
    m = re.search(rf"{ordinal}\s*[.、．]\s*[^\d\t\n]{{0,30}}$", window)
    return start - len(window) + m.start() if m else start


def _fuzzy_iter(label: Label, text: str):
    for keyword in label.keywords:
        yield from re.finditer(_fuzzy(keyword), text)


def find_labels(text: str, labels: tuple[Label, ...], lo: int, hi: int) -> list[Anchor]:
    anchors: list[Anchor] = []
    cursor = lo
    for label in labels:
        anchor = find_label(text, label, cursor, min(hi, cursor + LABEL_WINDOW))
        if anchor:
            anchors.append(anchor)
            cursor = anchor.end
    return anchors


# ---------------------------------------------------------------- value tokens


@dataclass
class Item:
    kind: str  # value | blank | text
    text: str
    start: int
    end: int


_NUMBER = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?")
_ZERO_MARKERS = frozenset({"—", "–", "-", "－", "/", "／", "无", "——", "--", "─", "一"})
# in a glued run a dash or slash between digits is a cell of its own ("0—0" = 0|0|0); 无 is not: it starts labels
_GLUED_VALUE = re.compile(_NUMBER.pattern + r"|[—–－/／]")
_ORDINAL = re.compile(r"[1-8]\s*[.、．](?=\s*[\u4e00-\u9fff])")
_CELL_SPLIT = re.compile(r"[\t|]")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_NUMBER_WITH_UNIT = re.compile(r"\s*\d[\d,]*(?:\.\d+)?\s*(?:万元|元|件|条|个|项|次)?\s*")


def segment_items(text: str, lo: int, hi: int) -> list[Item]:
    """Values, blank cells and label text between two anchors, in page order."""
    items: list[Item] = []
    pos = lo
    for line in text[lo:hi].split("\n"):
        line_start = pos
        pos += len(line) + 1
        if not line.strip():
            if "\t" in line or "|" in line:
                items.append(Item("blank", "", line_start, line_start + len(line)))
            continue
        cells, offset = [], 0
        for part in _CELL_SPLIT.split(line):
            cells.append((part, line_start + offset))
            offset += len(part) + 1
        if sum(1 for part, _ in cells if part.strip()) == 1:  # indentation, not empty cells
            cells = [(p, s) for p, s in cells if p.strip()]
        elif line.lstrip().startswith("|"):  # markdown row: the outer pipes are not cells
            cells = cells[1:-1] if line.rstrip().endswith("|") else cells[1:]
        in_grid = len(cells) > 1
        for part, start in cells:
            if not part.strip():
                items.append(Item("blank", "", start, start + len(part)))
            elif in_grid and _CJK.search(part) and not _NUMBER_WITH_UNIT.fullmatch(part) and part.strip() not in _ZERO_MARKERS:
                items.append(Item("text", part, start, start + len(part)))  # a label cell: '数据1', '1. 属于…'
            else:
                items.extend(_cell_items(part, start))
    return items


def _cell_items(cell: str, start: int) -> list[Item]:
    items: list[Item] = []
    for m in re.finditer(r"\S+", cell):
        token, t0 = m.group(), start + m.start()
        if token in _ZERO_MARKERS:
            items.append(Item("value", token, t0, t0 + len(token)))
            continue
        cursor = 0
        masked = _ORDINAL.sub(lambda o: "#" * len(o.group()), token)
        for n in _GLUED_VALUE.finditer(masked):
            if n.start() > cursor:
                items.append(Item("text", token[cursor : n.start()], t0 + cursor, t0 + n.start()))
            items.append(Item("value", n.group(), t0 + n.start(), t0 + n.end()))
            cursor = n.end()
        if cursor < len(token):
            items.append(Item("text", token[cursor:], t0 + cursor, t0 + len(token)))
    return items


def _as_number(token: str, decimal: bool = False) -> int | Decimal | None:
    if token in _ZERO_MARKERS:
        return Decimal(0) if decimal else 0
    plain = token.replace(",", "")
    try:
        return Decimal(plain) if decimal else int(plain)
    except (ValueError, InvalidOperation):
        return None


# ---------------------------------------------------------------- one row → candidate readings


@dataclass
class RowReading:
    """Readings a row allows; one candidate means the row is certain."""

    candidates: list[tuple] = field(default_factory=list)
    raw: list[str | None] = field(default_factory=list)
    spans: list[tuple[int, int] | None] = field(default_factory=list)
    flags: list[list[str]] = field(default_factory=list)
    extra: list[int] | None = None  # the n+1 printed values, when the row has one value too many


def read_row(items: list[Item], n: int, constraint, *, trust_blanks: bool, decimal_last: bool = False) -> RowReading:
    values = [i for i in items if i.kind == "value"]
    if not values:
        return RowReading()
    first = items.index(values[0])
    last = items.index(values[-1])
    interior = [i for i in items[first : last + 1] if i.kind != "text"]
    trailing = _blank_run(items[last + 1 :])
    leading = _blank_run(reversed(items[:first]))
    for cells, padded in ((values, False), (interior, False), (interior + trailing, True), (leading + interior, True)):
        if len(cells) == n and (not padded or trust_blanks):
            return _reading(cells, decimal_last)
    if len(values) == n + 1 and all(v.text.isdigit() or v.text in _ZERO_MARKERS for v in values):
        return RowReading(extra=[_as_number(v.text) for v in values], raw=[v.text for v in values], spans=[(v.start, v.end) for v in values])
    if len(values) > n and n == 1 and len({v.text for v in values}) == 1:  # a merged cell emitted again
        reading = _reading(values[:1], decimal_last)
        reading.flags[0].append("merged_repeat")
        return reading
    if len(values) < n:
        tokens = ["0" if v.text in _ZERO_MARKERS else v.text for v in values]
        found = solve.split_tokens(tokens, n, constraint)
        if found:
            span = (values[0].start, values[-1].end)
            raw = " ".join(tokens)
            return RowReading(found, [raw] * n, [span] * n, [["split_from_run"] for _ in range(n)])
    return RowReading(raw=[" ".join(v.text for v in values)] * n, spans=[(values[0].start, values[-1].end)] * n)


def _blank_run(items) -> list[Item]:
    run = []
    for item in items:
        if item.kind != "blank":
            break
        run.append(item)
    return run


def _reading(cells: list[Item], decimal_last: bool) -> RowReading:
    parsed, flags = [], []
    for index, cell in enumerate(cells):
        decimal = decimal_last and index == len(cells) - 1
        if cell.kind == "blank":
            parsed.append(None)
            flags.append(["blank"])
            continue
        value = _as_number(cell.text, decimal)
        if value is None or (not decimal and "." in cell.text):
            return RowReading(raw=[c.text for c in cells], spans=[(c.start, c.end) for c in cells])
        parsed.append(value)
        flags.append(["zero_marker"] if cell.text in _ZERO_MARKERS else [])
    return RowReading([tuple(parsed)], [c.text for c in cells], [(c.start, c.end) for c in cells], flags)


# ---------------------------------------------------------------- tables


@dataclass
class Regions:
    t2: tuple[int, int] | None = None
    t3: tuple[int, int] | None = None
    t4: tuple[int, int] | None = None


def locate(text: str) -> Regions:
    """Anchor each table on its title followed by its own first labels (never on numerals alone)."""
    regions = Regions()
    t3_start = first_row = None
    for m in _fuzzy_iter(T3_LABELS[0], text):
        if find_label(text, T3_LABELS[1], m.end(), m.end() + LABEL_WINDOW):
            first_row = m.start()
            titles = [t for t in _T3_TITLE.finditer(text, max(0, first_row - 1500), first_row)]
            t3_start = titles[-1].start() if titles else first_row
            break
    t2_end = t3_start if t3_start is not None else len(text)
    t2_titles = [m for m in _T2_TITLE.finditer(text, 0, t2_end) if _T2_START.search(text, m.end(), min(t2_end, m.end() + 800))]
    if t2_titles:
        regions.t2 = (t2_titles[-1].end(), t2_end)
    elif t3_start is not None:
        regions.t2 = (max(0, t3_start - 3000), t3_start)
    if t3_start is None:
        return regions
    t4 = None
    for m in _T4_TITLE.finditer(text, first_row):
        if re.search(r"\d", text[m.end() : m.end() + 1500]):
            t4 = m
            break
    if t4:
        t4_start, t3_end = t4.end(), t4.start()
    else:  # no title: the table's own header ("结果维持") after the last row of table 三
        last_row = find_labels(text, T3_LABELS, first_row, len(text))[-1]
        header = re.compile(_fuzzy("维持")).search(text, last_row.end, last_row.end + 800)
        t4_start = t3_end = header.start() if header else None
        if t3_end is None:
            end = _END_TITLE.search(text, last_row.end)
            t3_end = end.start() if end else len(text)
    if t4_start is not None:
        end = _END_TITLE.search(text, t4_start)
        regions.t4 = (t4_start, end.start() if end else len(text))
    regions.t3 = (t3_start, t3_end)
    return regions


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
        reading = read_row(self.items, len(self.keys), self.constraint, trust_blanks=True, decimal_last=self.decimal_last)
        if reading.extra:
            return [solve.drop_one(reading.extra, p) for p in range(len(reading.extra))]
        return reading.candidates


@dataclass
class ParsedTables:
    cells: dict[str, Cell]
    regions: Regions
    rows_found: set[str]
    warnings: list[str]
    template: str
    rows: list[TableRow] = field(default_factory=list)  # every row of every located table, in template order
    stops_inside_tables: bool = False  # no table 四 and no later section after table 三: a truncated page


def _put(cells: dict[str, Cell], keys: list[str], reading: RowReading, values: tuple | None, extra_flags=()) -> None:
    for i, key in enumerate(keys):
        flags = list(reading.flags[i]) if reading.flags and values is not None else []
        flags.extend(extra_flags)
        if values is None:
            flags.append("ambiguous")
        cells[key] = Cell(
            value=None if values is None else values[i],
            raw=reading.raw[i] if reading.raw else None,
            span=reading.spans[i] if reading.spans else None,
            flags=sorted(set(flags)),
            candidates=sorted({c[i] for c in reading.candidates}, key=lambda v: (v is None, v)) if values is None and reading.candidates else [],
        )


def _rows_between(text: str, anchors: list[Anchor], hi: int) -> dict[str, list[Item]]:
    return {
        a.row: segment_items(text, a.end, anchors[i + 1].start if i + 1 < len(anchors) else hi)
        for i, a in enumerate(anchors)
    }


_T2_LEFTOVER = re.compile(_fuzzy("第二十条第(九)项") + "|" + _fuzzy("政府集中采购"))


def parse_table2(text: str, lo: int, hi: int, trust_blanks: bool, cells: dict[str, Cell], found: set[str]) -> None:
    anchors = find_labels(text, T2_LABELS, lo, hi)
    if anchors and (leftover := _T2_LEFTOVER.search(text, anchors[-1].end, hi)):
        hi = leftover.start()  # a 2019 (九) 政府集中采购 block left in a 2021 table: not a 2021 cell
    for row, items in _rows_between(text, anchors, hi).items():
        columns = T2_ROWS[row]
        keys = [f"active.{row}.{c}" for c in columns]
        reading = read_row(items, len(columns), None, trust_blanks=trust_blanks, decimal_last=f"active.{row}.amount" == FEE_KEY)
        found.add(f"active.{row}")
        if len(reading.candidates) > 1:
            confirmed = prose_confirmed(text, lo, row, reading.candidates)
            if confirmed:
                reading.candidates = [confirmed]
                reading.flags = [["split_from_run", "prose_confirmed"] for _ in columns]
        values = reading.candidates[0] if len(reading.candidates) == 1 else None
        _put(cells, keys, reading, values)


_PROSE_SUBJECT = {"regulations": "规章", "normative_docs": "规范性文件"}


def prose_confirmed(text: str, table_start: int, row: str, candidates: list[tuple]) -> tuple | None:
    """The one reading of a glued Table 二 run whose numbers the report's prose states (format.md §3.5).

    Table 二 has no identity, so only the prose can decide: a reading is taken when it alone has at
    least two values of 10 or more stated in prose sentences about the same subject.
    """
    subject = _PROSE_SUBJECT.get(row)
    if subject is None:
        return None
    stated: set[int] = set()
    for sentence in re.split(r"[。;；\n]", text[:table_start]):
        if subject in sentence:
            stated.update(int(n) for n in re.findall(r"(?<![\d.])(\d+)\s*件", sentence))
    scores = [(sum(1 for v in c if v >= 10 and v in stated), c) for c in candidates]
    best = max(score for score, _ in scores)
    winners = [c for score, c in scores if score == best]
    return winners[0] if best >= 2 and len(winners) == 1 else None


def parse_table3(text: str, lo: int, hi: int, trust_blanks: bool, cells: dict[str, Cell], found: set[str], warnings: list[str]) -> list[Anchor]:
    """Reads table 三's cells; returns its row anchors (the 2019 single （六） row included), for the later stages."""
    anchors = find_labels(text, T3_LABELS, lo, hi)
    rows = [a.row for a in anchors]
    if not any(r.startswith("other.") for r in rows) and "total_processed" in rows:
        # 2019-style single （六）其他处理 row (format.md §1.4)
        before = max((a.end for a in anchors if a.row.startswith("not_processed.")), default=lo)
        total = next(a for a in anchors if a.row == "total_processed")
        single = find_label(text, OTHER_TOTAL_LABEL, before, total.start)
        if single:
            anchors.insert(anchors.index(total), single)
            warnings.append("table 三 prints the 2019 single （六）其他处理 row; read as applications.other_total")
    segments = _rows_between(text, anchors, hi)
    realigned = realign_shifted_values(segments, 7, solve.row_total_holds)
    if realigned:
        warnings.append(f"table 三: values of {len(realigned)} rows were printed beside other labels; realigned in page order")
    readings = {row: read_row(items, 7, solve.row_total_holds, trust_blanks=trust_blanks) for row, items in segments.items()}
    for row in realigned:
        for flags in readings[row].flags:
            flags.append("realigned")
    found.update(f"applications.{row}" for row in readings)
    _resolve_extra_values(readings, solve.row_total_holds, warnings, "table 三")
    _resolve_by_identities(readings, lambda r: [t3_key(r, c) for c in T3_COLUMNS], table3_identities, cells)
    for row, reading in readings.items():
        keys = [t3_key(row, c) for c in T3_COLUMNS]
        _put(cells, keys, reading, reading.candidates[0] if len(reading.candidates) == 1 else None)
    return anchors


def parse_table4(text: str, lo: int, hi: int, trust_blanks: bool, cells: dict[str, Cell], found: set[str], warnings: list[str]) -> None:
    keys = [t4_key(g, c) for g in T4_GROUPS for c in T4_COLUMNS]
    reading = read_row(segment_items(text, lo, hi), 15, solve.groups_total_hold, trust_blanks=trust_blanks)
    readings = {"review_litigation": reading}
    _resolve_extra_values(readings, solve.groups_total_hold, warnings, "table 四")
    found.add("review_litigation")
    _put(cells, keys, reading, reading.candidates[0] if len(reading.candidates) == 1 else None)


def realign_shifted_values(segments: dict[str, list[Item]], n: int, constraint) -> list[str]:
    """Give rows back the values a PDF text layer printed beside the wrong label.

    A label cell that wraps over several lines pushes its row's values above the label, so one
    segment holds 2n values and a later one none; a label column printed before its values leaves
    every row empty but the last. Within the smallest window of rows holding exactly n values per
    row, the values are dealt out in page order — only when every dealt row satisfies the row
    identity. Returns the rows it moved values into.
    """
    rows = list(segments)
    values = {r: [i for i in segments[r] if i.kind == "value"] for r in rows}
    moved: list[str] = []
    i = 0
    while i < len(rows):
        if len(values[rows[i]]) == n:
            i += 1
            continue
        for j in range(i + 1, len(rows)):
            window = rows[i : j + 1]
            pooled = [v for r in window for v in values[r]]
            if len(pooled) == n * len(window):
                dealt = [pooled[k * n : (k + 1) * n] for k in range(len(window))]
                if all(all(v.text.isdigit() for v in d) and constraint(tuple(int(v.text) for v in d)) for d in dealt):
                    for row, items in zip(window, dealt):
                        segments[row] = items
                    moved += window
                    i = j
                break
        i += 1
    return moved


def _plausible_drops(readings: set[tuple], constraint, rows: int) -> list[tuple]:
    """Among the readings left by plausible drops, the ones the identities let stand.

    With one or two over-long rows the identities are weak evidence: a reading that breaks exactly
    one group total is what an agency's own error looks like, so it keeps the row ambiguous; only
    readings that break several groups (a shifted row) are ruled out.
    """
    if rows >= MIN_ROWS_FOR_A_COLUMN or len(readings) <= 1:
        return sorted(readings)
    holding = {r for r in readings if constraint(r)}
    shifted = {r for r in readings if constraint.failing_groups(r) >= 2}
    return sorted(holding) if len(holding) == 1 and holding | shifted == readings else sorted(readings)


def _resolve_extra_values(readings: dict[str, RowReading], constraint, warnings: list[str], table: str) -> None:
    """Rows that print one value too many: drop the position the identities allow (format.md §3.3)."""
    extra = {row: r for row, r in readings.items() if r.extra}
    if not extra:
        return
    positions = [
        p
        for p in solve.extra_value_positions([r.extra for r in extra.values()], constraint)
        if all(solve.explains_extra(r.extra, p) for r in extra.values())
    ]
    for row, reading in extra.items():
        explained = [p for p in range(len(reading.extra)) if solve.explains_extra(reading.extra, p)]
        if len(extra) >= MIN_ROWS_FOR_A_COLUMN:
            # many rows agreeing on one column is evidence enough for the identities to choose it
            options = positions or [p for p in explained if constraint(solve.drop_one(reading.extra, p))] or explained
        else:
            options = explained
        reading.candidates = _plausible_drops({solve.drop_one(reading.extra, p) for p in options}, constraint, len(extra))
        keep = options[0] if options else None
        n = len(reading.extra) - 1
        if keep is not None:
            reading.raw = [t for i, t in enumerate(reading.raw) if i != keep]
            reading.spans = [s for i, s in enumerate(reading.spans) if i != keep]
        else:
            reading.raw, reading.spans = reading.raw[:n], reading.spans[:n]
        reading.flags = [["dropped_extra_value"] for _ in range(n)]
    where = "undecidable but harmless: every choice reads the same" if positions and all(len(r.candidates) == 1 for r in extra.values()) else f"positions allowed: {positions}"
    warnings.append(f"{table}: {len(extra)} rows print one value too many; dropped by the identities ({where})")


def _resolve_by_identities(readings: dict[str, RowReading], keys_of, identities_of, cells: dict[str, Cell]) -> None:
    """Rows with several readings: keep the combinations that the column identities allow."""
    open_rows = [row for row, r in readings.items() if len(r.candidates) > 1]
    if not open_rows:
        return
    fixed = {}
    for row, r in readings.items():
        if len(r.candidates) == 1:
            fixed.update(zip(keys_of(row), r.candidates[0]))

    def accept(combo) -> bool:
        values = dict(fixed)
        for row, candidate in zip(open_rows, combo):
            values.update(zip(keys_of(row), candidate))
        return all_hold(identities_of(values), values)

    combos = solve.consistent_combinations([readings[r].candidates for r in open_rows], accept)
    if combos is None or not combos:
        return
    for index, row in enumerate(open_rows):
        readings[row].candidates = sorted({combo[index] for combo in combos})


def detect_template(text: str) -> str:
    """By the table labels, never by the notice the report cites (format.md §4); 2021 labels win."""
    if re.search(_fuzzy("本年制发件") + "|" + _fuzzy("现行有效件数") + "|" + _fuzzy("本年收费金额"), text):
        return "gov2021"
    if re.search(_fuzzy("本年新制作数量") + "|" + _fuzzy("第二十条第(九)项"), text):
        return "gov2019"
    return "unknown"


def parse_tables(text: str, *, trust_blanks: bool) -> ParsedTables:
    """Read every cell the page has; cells that cannot be read with certainty say why in their flags."""
    regions = locate(text)
    cells: dict[str, Cell] = {}
    found: set[str] = set()
    warnings: list[str] = []
    template = detect_template(text)
    if regions.t2 and template != "gov2019":
        parse_table2(text, *regions.t2, trust_blanks, cells, found)
    elif template == "gov2019":
        warnings.append("table 二 uses the 2019 template, whose cells have no 2021 keys; not read")
    t3_anchors: list[Anchor] = []
    if regions.t3:
        t3_anchors = parse_table3(text, *regions.t3, trust_blanks, cells, found, warnings)
    if regions.t4:
        parse_table4(text, *regions.t4, trust_blanks, cells, found, warnings)
    if template == "unknown" and regions.t3:
        template = "gov2021"
    parsed = ParsedTables(cells, regions, found, warnings, template)
    parsed.rows = table_rows(text, parsed, t3_anchors)
    start = regions.t3[0] if regions.t3 else (regions.t2[0] if regions.t2 else None)
    parsed.stops_inside_tables = start is not None and regions.t4 is None and not _END_TITLE.search(text, start + 200)
    return parsed


# ---------------------------------------------------------------- rows for the later stages


def _rows_from_anchors(text: str, table: str, rows: list[str], labels, lo: int, hi: int, keys_of, constraint) -> list[TableRow]:
    """Rows by their label anchors, as the parser reads them; a row whose label was not found gets the
    text between its found neighbours."""
    anchors = {a.row: a for a in labels}
    spans: dict[str, tuple[int, int]] = {}  # row → where its values are looked for
    for row in rows:
        if row in anchors:
            a = anchors[row]
            later = [b.start for b in labels if b.start > a.start]
            spans[row] = (a.end, later[0] if later else hi)
        else:
            before = [b.end for b in labels if rows.index(b.row) < rows.index(row)]
            after = [b.start for b in labels if rows.index(b.row) > rows.index(row)]
            spans[row] = (before[-1] if before else lo, after[0] if after else hi)
    items = {row: segment_items(text, *spans[row]) for row in rows}
    _deal_shared(rows, spans, items, anchors, keys_of)
    if constraint:  # as the parser does: values a PDF text layer printed beside another label
        own = {row: items[row] for row in rows if row in anchors}
        realign_shifted_values(own, len(keys_of(rows[0])), constraint)
        items.update(own)
    return [TableRow(table, row, tuple(keys_of(row)), items[row], constraint, anchors.get(row)) for row in rows]


def _deal_shared(rows: list[str], spans: dict, items: dict[str, list[Item]], anchors: dict, keys_of) -> None:
    """Rows whose label was not found share their neighbour's text. When that text holds exactly the
    values of all the rows sharing it, deal them out in page order, so each row is read (and grounded)
    at its own place; otherwise a row without a label of its own has no tokens it can be grounded on."""
    i = 0
    while i < len(rows):
        j = i
        while j + 1 < len(rows) and spans[rows[j + 1]] == spans[rows[i]]:
            j += 1
        run = rows[i : j + 1]
        if len(run) > 1:
            values = [t for t in items[run[0]] if t.kind == "value"]
            widths = [len(keys_of(r)) for r in run]
            if len(values) == sum(widths):
                at = 0
                for row, width in zip(run, widths):
                    items[row] = values[at : at + width]
                    at += width
            else:
                for row in run:
                    if row not in anchors:
                        items[row] = []
        i = j + 1


def table_rows(text: str, parsed: ParsedTables, t3_anchors: list[Anchor]) -> list[TableRow]:
    """Every row of every located table, in template order; tables the parser did not locate are absent.

    A row is found the way the cells were read (its label anchor, the value tokens up to the next
    label); a row whose label was not found gets the text between its found neighbours.
    """
    regions = parsed.regions
    rows: list[TableRow] = []
    if regions.t2 and parsed.template != "gov2019":
        lo, hi = regions.t2
        rows += _rows_from_anchors(text, "二", list(T2_ROWS), find_labels(text, T2_LABELS, lo, hi), lo, hi, lambda r: [f"active.{r}.{c}" for c in T2_ROWS[r]], None)
    if regions.t3:
        lo, hi = regions.t3
        single = any(a.row == OTHER_TOTAL_ROW for a in t3_anchors)  # the 2019 （六） row, as parse_table3 found it
        names = t3_rows_2019() if single else list(T3_ROWS)
        rows += _rows_from_anchors(text, "三", names, list(t3_anchors), lo, hi, lambda r: [t3_key(r, c) for c in T3_COLUMNS], solve.row_total_holds)
    if regions.t4:
        lo, hi = regions.t4
        keys = tuple(t4_key(g, c) for g in T4_GROUPS for c in T4_COLUMNS)
        rows.append(TableRow("四", "review_litigation", keys, segment_items(text, lo, hi), solve.groups_total_hold))
    return rows
