"""Stage 2 — locate and parse: find the three tables by their labels and read every cell.

The page is read as label anchors plus the value tokens between them, so the same code reads
one-cell-per-line text, tab soup, markdown, glued digit runs and the tab-separated rows that
ingest renders for HTML, DOCX and PDF tables. Every value keeps the span it was read from.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cached_property, lru_cache, partial

from nianbao import solve
from nianbao.check import all_hold, table3_identities
from nianbao.prose import Figure, about, stated
from nianbao.schemas.keys import (
    FEE_KEY,
    OTHER_TOTAL_ROW,
    PROCUREMENT_KEY,
    T2_2019_ROWS,
    T2_ROWS,
    T3_COLUMNS,
    T3_ROWS,
    T4_COLUMNS,
    T4_GROUPS,
    t3_key,
    t4_key,
)
from nianbao.schemas.record import Cell
from nianbao.schemas.template import (
    OTHER_TOTAL_LABEL,
    T2_2019_LABELS,
    T2_LABELS,
    T3_CORP_HEADERS,
    T3_LABELS,
    T4_RESULT_LABELS,
    Label,
    t3_rows_2019,
)
from pydantic import TypeAdapter

PARSER_VERSION = "1.0"

# ---------------------------------------------------------------- labels


@lru_cache(maxsize=None)
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
_T2_BLOCK = re.compile(r"第\s*二\s*十\s*条")
_T4_HEADER = re.compile(_fuzzy("行政复议") + "|" + _fuzzy("结果维持"))
_T4_RESULTS_HEADER = re.compile(_fuzzy("维持"))
# Where a row ends at the latest (format.md §3.21): the next table's title or heading, a later section's title.
_ROW_END = re.compile(
    "|".join(
        (
            _T2_TITLE.pattern,
            _T3_TITLE.pattern,
            _T4_TITLE.pattern,
            _END_TITLE.pattern,
            r"六\s*、",
            r"表\s*[一二三四1-4]\s*[：:]",
        )
    )
)


@dataclass
class Anchor:
    row: str
    start: int  # where the label begins (its ordinal included), i.e. where the previous row ends
    end: int  # where the keyword ends: the row's values come after


# Table 三's column header prints 总计 after 法人或其他组织 (or after its five columns) and before 商业企业; where
# the row labels are printed above the header (format.md §3.24) and the 总计 row is not on the page (§3.21),
# that 总计 is no row label.
_T3_HEADER_BEFORE = re.compile(_fuzzy("法人或其他组织") + r"[\s|]*$")
_T3_HEADER_AFTER = re.compile(r"[\s|]*" + _fuzzy("商业企业"))
_T3_HEADER_NAMES = re.compile("|".join(_fuzzy(name) for name in ("自然人", "法人或其他组织", *T3_CORP_HEADERS[:-1])))


def _in_t3_header(text: str, m: re.Match) -> bool:
    """Beside the header's own names, or on a line of header cells (no values, a column name among them)."""
    if _T3_HEADER_BEFORE.search(text[max(0, m.start() - 40) : m.start()]) or _T3_HEADER_AFTER.match(text, m.end()):
        return True
    start, end = text.rfind("\n", 0, m.start()) + 1, text.find("\n", m.end())
    line = text[start : len(text) if end < 0 else end]
    return not re.search(r"\d", line) and bool(_T3_HEADER_NAMES.search(line))


def find_label(text: str, label: Label, lo: int, hi: int) -> Anchor | None:
    for keyword in label.keywords:
        pattern = _fuzzy(keyword)
        if label.row == "other.other":  # '其他' is everywhere; the leaf is '3.其他'
            pattern = r"3\s*[.、]\s*" + pattern
        for m in re.compile(pattern).finditer(text, lo, hi):
            if label.row == "total_processed" and _in_t3_header(text, m):
                continue
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


@dataclass(slots=True)  # a few hundred a report
class Item:
    kind: str  # value | blank | text
    text: str
    start: int
    end: int


_NUMBER = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?")
_ZERO_MARKERS = frozenset({"—", "–", "-", "－", "/", "／", "无", "——", "--", "─", "一"})
# in a glued run a dash or slash between digits is a cell of its own ("0—0" = 0|0|0); 无 is not: it starts labels.
# No count is printed with a leading zero, so a 0 before digits is a cell of its own too ("025" = 0|25).
_GLUED_VALUE = re.compile(r"(?:[1-9]\d{0,2}(?:,\d{3})+|[1-9]\d*|0)(?:\.\d+)?|[—–－/／]")
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
        if len([part for part, _ in cells if not part.isspace() and part]) == 1:  # indentation, not empty cells
            cells = [(p, s) for p, s in cells if p.strip()]
        elif line.lstrip().startswith("|"):  # markdown row: the outer pipes are not cells
            cells = cells[1:-1] if line.rstrip().endswith("|") else cells[1:]
        in_grid = len(cells) > 1
        for part, start in cells:
            if part.isdigit() and part.isascii() and (part[0] != "0" or len(part) == 1):  # most cells: one number
                items.append(Item("value", part, start, start + len(part)))
            elif not part.strip():
                items.append(Item("blank", "", start, start + len(part)))
            elif (
                in_grid
                and _CJK.search(part)
                and not _NUMBER_WITH_UNIT.fullmatch(part)
                and part.strip() not in _ZERO_MARKERS
            ):
                items.append(Item("text", part, start, start + len(part)))  # a label cell: '数据1', '1. 属于…'
            else:
                items.extend(_cell_items(part, start))
    return items


_TOKEN = re.compile(r"\S+")


def _cell_items(cell: str, start: int) -> list[Item]:
    items: list[Item] = []
    for m in _TOKEN.finditer(cell):
        token, t0 = m.group(), start + m.start()
        if token in _ZERO_MARKERS or (token.isascii() and token.isdigit() and (token[0] != "0" or len(token) == 1)):
            items.append(Item("value", token, t0, t0 + len(token)))  # one number: what the split below finds
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


def as_number(token: str, decimal: bool = False) -> int | Decimal | None:
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
    printed: tuple[list[str], list[tuple[int, int]]] | None = None  # raw texts and spans of those n+1 values


def read_row(items: list[Item], n: int, constraint, *, trust_blanks: bool, decimal_last: bool = False) -> RowReading:
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
            return _reading(cells, decimal_last)
    if len(values) == n + 1 and all(v.text.isdigit() or v.text in _ZERO_MARKERS for v in values):
        raw, spans = [v.text for v in values], [(v.start, v.end) for v in values]
        return RowReading(extra=[as_number(v.text) for v in values], raw=raw, spans=spans, printed=(raw, spans))
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


# ---------------------------------------------------------------- tables


@dataclass
class TableSpans:
    """Where each table sits in the text: (start, end) offsets, None where it was not found."""

    t2: tuple[int, int] | None = None
    t2_section: int | None = None  # where section 二 begins: table 二's items may be printed above its heading
    t3: tuple[int, int] | None = None
    t4: tuple[int, int] | None = None


def locate(text: str) -> TableSpans:
    """Anchor each table on its title followed by its own first labels (never on numerals alone).

    A table printed with only some of its rows (a fragment, a summary) is found by its title and
    any of its labels; each region ends where the next table or section begins (format.md §3.21).
    """
    regions = TableSpans()
    t3_start, first_row = _locate_t3(text)
    t4 = None
    for m in _T4_TITLE.finditer(text, first_row if first_row is not None else 0):
        near_header = first_row is not None or _T4_HEADER.search(text, m.end(), m.end() + 300)
        if re.search(r"\d", text[m.end() : m.end() + 1500]) and near_header:
            t4 = m
            break
    t2_end = t3_start if t3_start is not None else (t4.start() if t4 else len(text))
    t2_titles = [
        m for m in _T2_TITLE.finditer(text, 0, t2_end) if _T2_START.search(text, m.end(), min(t2_end, m.end() + 800))
    ]
    if t2_titles:
        regions.t2 = (t2_titles[-1].end(), t2_end)
        regions.t2_section = _section_start(text, t2_titles)
    elif t3_start is not None:
        regions.t2 = (max(0, t3_start - 3000), t3_start)
    if t3_start is None:
        if t4:
            end = _END_TITLE.search(text, t4.end())
            regions.t4 = (t4.end(), end.start() if end else len(text))
        return regions
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


def t3_section(text: str) -> tuple[int, int] | None:
    """Where table 三 must be when its rows cannot be located: from its section's title to the next table
    or section. The model path reads it there (format.md §3.21)."""
    titles = list(_T3_TITLE.finditer(text))
    if not titles:
        return None
    lo = titles[-1].end()
    ends = [
        m.start() for m in (_T4_TITLE.search(text, lo), _T4_HEADER.search(text, lo), _END_TITLE.search(text, lo)) if m
    ]
    return lo, min(ends, default=len(text))


def _locate_t3(text: str) -> tuple[int | None, int | None]:
    """Where table 三 starts (its title, else its first row) and where its first row is."""
    for m in _fuzzy_iter(T3_LABELS[0], text):
        if find_label(text, T3_LABELS[1], m.end(), m.end() + LABEL_WINDOW):
            titles = [t for t in _T3_TITLE.finditer(text, max(0, m.start() - 1500), m.start())]
            return (titles[-1].start() if titles else m.start()), m.start()
    # only some of its rows: the last title directly followed by one of the table's rows with its values
    for title in reversed(list(_T3_TITLE.finditer(text))):
        rows = find_labels(text, T3_LABELS, title.end(), min(len(text), title.end() + 1500))
        for row in rows:
            items = segment_items(text, row.end, row_end(text, row.end, min(len(text), row.end + 200), _T4_HEADER))
            if any(i.kind == "value" for i in items):
                return title.start(), rows[0].start
    return None, None


def _section_start(text: str, titles: list[re.Match]) -> int:
    """The earliest mention of section 二's title that still belongs to it (no table 三 title in between)."""
    start = titles[-1]
    for title in reversed(titles[:-1]):
        if _T3_TITLE.search(text, title.end(), start.start()):
            break
        start = title
    return start.end()


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


def row_end(text: str, start: int, hi: int, extra: re.Pattern | None = None) -> int:
    """Where a row that starts at `start` ends at the latest: the next title, heading or section (§3.21)."""
    ends = [m.start() for pattern in (_ROW_END, extra) if pattern and (m := pattern.search(text, start, hi))]
    return min(ends, default=hi)


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
    decimal_keys: frozenset[str]
    signed: bool
    leftover: re.Pattern | None  # a block of another template that ends the table
    merged_last: frozenset[str] = frozenset()  # rows whose last value cell spans two columns

    @cached_property
    def row_end(self) -> re.Pattern:
        """A table 二 row ends at the next block header or at any item's label (format.md §3.21)."""
        keywords = [_fuzzy(k) for label in self.labels for k in label.keywords]
        return re.compile("|".join([_T2_BLOCK.pattern, *keywords]))


T2_2021 = Table2Template("active", T2_LABELS, T2_ROWS, frozenset({FEE_KEY}), False, _T2_LEFTOVER)
T2_2019 = Table2Template(
    "active_2019",
    T2_2019_LABELS,
    T2_2019_ROWS,
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
) -> list[Anchor]:
    """Read table 二; its items count wherever their label is in section 二 (format.md §3.23).

    Returns its row anchors in page order, for the later stages."""
    anchors = find_labels(text, template.labels, lo, hi)
    if anchors and template.leftover and (leftover := template.leftover.search(text, anchors[-1].end, hi)):
        hi = leftover.start()  # a 2019 (九) 政府集中采购 block left in a 2021 table: not a 2021 cell
    stray = stray_items(text, template, anchors, lo if section_lo is None else section_lo, hi)
    anchors = sorted(anchors + stray, key=lambda a: a.start)
    for row, items in _rows_between(text, anchors, hi, template.row_end).items():
        columns = template.rows[row]
        keys = [f"{template.prefix}.{row}.{c}" for c in columns]
        if template.signed:
            items = _signed(items)
        repeated = False
        if row in template.merged_last:
            items, repeated = _merged_tail(items, len(columns))
        decimal = keys[-1] in template.decimal_keys
        reading = read_row(items, len(columns), None, trust_blanks=trust_blanks, decimal_last=decimal)
        if repeated and reading.flags:
            reading.flags[-1].append("merged_repeat")
        found.add(f"{template.prefix}.{row}")
        settle_by_prose({row: reading}, lambda _, keys=keys: keys, None, stated(text))
        if keys[-1] == PROCUREMENT_KEY and reading.spans:
            reading.raw[-1] = _with_unit(text, reading.raw[-1], reading.spans[-1])
        values = reading.candidates[0] if len(reading.candidates) == 1 else None
        _put(cells, keys, reading, values)
    return anchors


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
            n = len(template.rows[label.row])
            decimal = f"{template.prefix}.{label.row}.{template.rows[label.row][-1]}" in template.decimal_keys
            reading = read_row(items, n, None, trust_blanks=False, decimal_last=decimal)
            first = next((i for i in items if not (i.kind == "text" and _SEPARATOR.fullmatch(i.text))), None)
            if first and first.kind == "value" and len(reading.candidates) == 1:
                found.append(Anchor(label.row, start, end))
                taken.append((start, end))
                break
    return found


_SEPARATOR = re.compile(r"[:：]+")


def _merged_tail(items: list[Item], n: int) -> tuple[list[Item], bool]:
    """A last cell merged across two columns and emitted twice ("0 | -21 | -21"): read once."""
    values = [i for i in items if i.kind == "value"]
    if len(values) == n + 1 and values[-1].text == values[-2].text:
        return [i for i in items if i is not values[-1]], True
    return items, False


def _signed(items: list[Item]) -> list[Item]:
    """A sign glued to the number after it is one signed value (2019's 本年增/减: "-18", "+1036")."""
    merged: list[Item] = []
    for item in items:
        sign = merged[-1] if merged else None
        glued = sign is not None and sign.end == item.start and sign.text in ("-", "－", "+", "＋")
        if item.kind == "value" and item.text[:1].isdigit() and glued:
            signed = ("-" if sign.text in ("-", "－") else "") + item.text
            merged[-1] = Item("value", signed, sign.start, item.end)
            continue
        merged.append(item)
    return merged


def parse_table3(
    text: str, lo: int, hi: int, trust_blanks: bool, cells: dict[str, dict], found: set[str], warnings: list[str]
) -> list[Anchor]:
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
    segments = _rows_between(text, anchors, hi, _T4_HEADER)
    realigned = place_number_rows(text, segments) or realign_shifted_values(segments, 7, solve.row_total_holds)
    if realigned:
        warnings.append(
            f"table 三: values of {len(realigned)} rows were printed beside other labels; realigned in page order"
        )
    readings = {
        row: read_row(items, 7, solve.row_total_holds, trust_blanks=trust_blanks) for row, items in segments.items()
    }
    for row in realigned:
        for flags in readings[row].flags:
            flags.append("realigned")
    found.update(f"applications.{row}" for row in readings)
    _resolve_extra_values(readings, solve.row_total_holds, warnings, "table 三")
    keys_of = lambda r: [t3_key(r, c) for c in T3_COLUMNS]  # noqa: E731
    _resolve_by_identities(readings, keys_of, table3_identities)
    if settle_by_prose(readings, keys_of, solve.row_total_holds, stated(text)):
        _resolve_by_identities(readings, keys_of, table3_identities)
    for row, reading in readings.items():
        keys = [t3_key(row, c) for c in T3_COLUMNS]
        _put(cells, keys, reading, reading.candidates[0] if len(reading.candidates) == 1 else None)
    return anchors


def parse_table4(
    text: str, lo: int, hi: int, trust_blanks: bool, cells: dict[str, dict], found: set[str], warnings: list[str]
) -> None:
    """The 15 cells in their fixed order (format.md §1.3), or a table turned on its side (§3.22)."""
    keys = [t4_key(g, c) for g in T4_GROUPS for c in T4_COLUMNS]
    found.add("review_litigation")
    if read_transposed_table4(text, lo, hi, trust_blanks, cells, warnings):
        return
    reading = read_row(segment_items(text, lo, hi), 15, solve.groups_total_hold, trust_blanks=trust_blanks)
    readings = {"review_litigation": reading}
    _resolve_extra_values(readings, solve.groups_total_hold, warnings, "table 四")
    settle_by_prose(readings, lambda _: keys, solve.groups_total_hold, stated(text))
    _put(cells, keys, reading, reading.candidates[0] if len(reading.candidates) == 1 else None)


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


_BLANK_LINE = re.compile(r"\n[ \t]*\n")


def place_number_rows(text: str, segments: dict[str, list[Item]]) -> list[str]:
    """Labels printed apart from their numbers (format.md §3.24): every label on a line of its own, then
    rows of numbers that carry no label, so the last label's segment holds every number.

    The printed rows of numbers (one a line, or one a block between blank lines where each number has
    a line of its own) are placed on the labels in the template's order, only when there are exactly as
    many as labels; each is then read as any row is (extra values, glued runs), and the checker's column
    identities confirm the placement. Returns the rows it placed.
    """
    rows = list(segments)
    if len(rows) < 2 or any(i.kind == "value" for r in rows[:-1] for i in segments[r]):
        return []
    cells = [i for i in segments[rows[-1]] if i.kind != "text"]
    gaps = [text[a.end : b.start] for a, b in itertools.pairwise(cells)]
    by_line = any(
        "\n" not in gap
        for gap, (a, b) in zip(gaps, itertools.pairwise(cells), strict=True)
        if a.kind == b.kind == "value"
    )
    printed: list[list[Item]] = [[]]
    for cell, gap in zip(cells, ["", *gaps], strict=True):
        if printed[-1] and ("\n" in gap if by_line else _BLANK_LINE.search(gap)):
            printed.append([])
        printed[-1].append(cell)
    printed = [p for p in printed if any(i.kind == "value" for i in p)]
    if len(printed) != len(rows):
        return []
    segments.update(zip(rows, printed, strict=True))
    return rows


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
                    for row, items in zip(window, dealt, strict=True):
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
    for reading in extra.values():
        explained = [p for p in range(len(reading.extra)) if solve.explains_extra(reading.extra, p)]
        if len(extra) >= MIN_ROWS_FOR_A_COLUMN:
            # many rows agreeing on one column is evidence enough for the identities to choose it
            options = positions or [p for p in explained if constraint(solve.drop_one(reading.extra, p))] or explained
        else:
            options = explained
        reading.candidates = _plausible_drops(
            {solve.drop_one(reading.extra, p) for p in options}, constraint, len(extra)
        )
        _drop_printed(reading, options[0] if options else None)
        reading.flags = [["dropped_extra_value"] for _ in range(len(reading.extra) - 1)]
    where = (
        "undecidable but harmless: every choice reads the same"
        if positions and all(len(r.candidates) == 1 for r in extra.values())
        else f"positions allowed: {positions}"
    )
    warnings.append(f"{table}: {len(extra)} rows print one value too many; dropped by the identities ({where})")


def _drop_printed(reading: RowReading, keep: int | None) -> None:
    """The row's raw texts and spans less the printed value at `keep` (less the last where none is chosen)."""
    raw, spans = reading.printed
    drop = len(raw) - 1 if keep is None else keep
    reading.raw = [t for i, t in enumerate(raw) if i != drop]
    reading.spans = [s for i, s in enumerate(spans) if i != drop]


def settle_by_prose(readings: dict[str, RowReading], keys_of, constraint, figures: tuple[Figure, ...]) -> list[str]:
    """Rows left with several readings where exactly one agrees with a figure the prose states.

    A reading fits when some stated figure about its cells agrees with it (given the rows already
    certain) and none contradicts it; it is taken only when it alone fits and its row identity holds.
    Prose only picks among readings of the printed tokens, never computes a value. The row's cells are
    flagged `prose_confirmed`. Returns the rows it settled.
    """
    fixed = {}
    for row, reading in readings.items():
        if len(reading.candidates) == 1:
            fixed.update(zip(keys_of(row), reading.candidates[0], strict=True))
    settled = []
    for row, reading in readings.items():
        relevant = about(figures, keys_of(row)) if len(reading.candidates) > 1 else []
        if not relevant:
            continue
        fitting = []
        for candidate in reading.candidates:
            said = [f.agrees(fixed | dict(zip(keys_of(row), candidate, strict=True))) for f in relevant]
            if True in said and False not in said and (constraint is None or constraint(candidate)):
                fitting.append(candidate)
        if len(fitting) != 1:
            continue
        chosen = fitting[0]
        if reading.extra:
            _drop_printed(
                reading, next(p for p in range(len(reading.extra)) if solve.drop_one(reading.extra, p) == chosen)
            )
        reading.candidates = [chosen]
        reading.flags = [sorted({*flags, "prose_confirmed"}) for flags in reading.flags or [[] for _ in chosen]]
        fixed.update(zip(keys_of(row), chosen, strict=True))
        settled.append(row)
    return settled


def _resolve_by_identities(readings: dict[str, RowReading], keys_of, identities_of) -> None:
    """Rows with several readings: keep the combinations that the column identities allow."""
    open_rows = [row for row, r in readings.items() if len(r.candidates) > 1]
    if not open_rows:
        return
    fixed = {}
    for row, r in readings.items():
        if len(r.candidates) == 1:
            fixed.update(zip(keys_of(row), r.candidates[0], strict=True))

    def accept(combo) -> bool:
        values = dict(fixed)
        for row, candidate in zip(open_rows, combo, strict=True):
            values.update(zip(keys_of(row), candidate, strict=True))
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
    if re.search("|".join(_fuzzy(label) for label in ("本年新制作数量", "上一年项目数量", "第二十条第(九)项")), text):
        return "gov2019"
    return "unknown"


def parse_tables(
    text: str, *, trust_blanks: bool, place: Callable[[tuple[int, int] | None], dict] | None = None
) -> ParsedTables:
    """Read every cell the page has; cells that cannot be read with certainty say why in their flags.

    `place` (nianbao.positions.placement) gives a span its page, box and confidence, where the page has them."""
    regions = locate(text)
    cells: dict[str, dict] = {}  # key → the fields of its Cell
    found: set[str] = set()
    warnings: list[str] = []
    template = detect_template(text)
    t2_anchors: list[Anchor] = []
    if regions.t2:
        t2_template = T2_2019 if template == "gov2019" else T2_2021
        t2_anchors = parse_table2(text, *regions.t2, trust_blanks, cells, found, regions.t2_section, t2_template)
    t3_anchors: list[Anchor] = []
    if regions.t3:
        t3_anchors = parse_table3(text, *regions.t3, trust_blanks, cells, found, warnings)
    if regions.t4:
        parse_table4(text, *regions.t4, trust_blanks, cells, found, warnings)
    if template == "unknown" and regions.t3:
        template = "gov2021"
    for fields in cells.values() if place else ():
        fields.update(place(fields["span"]))
    absent = absent_rows(text, found, template, regions.t3)
    parsed = ParsedTables(_CELLS.validate_python(cells), regions, found, warnings, template, absent=absent)
    parsed.read_rows = partial(table_rows, text, regions, template, t2_anchors, t3_anchors)  # no cycle back to parsed
    start = regions.t3[0] if regions.t3 else (regions.t2[0] if regions.t2 else None)
    parsed.stops_inside_tables = start is not None and regions.t4 is None and not _END_TITLE.search(text, start + 200)
    return parsed


# ---------------------------------------------------------------- rows for the later stages


def _rows_from_anchors(
    text: str,
    table: str,
    rows: list[str],
    labels,
    lo: int,
    hi: int,
    keys_of,
    constraint,
    ends: re.Pattern | None = None,
) -> list[TableRow]:
    """Rows by their label anchors, as the parser reads them (a row ends at the next label, or where
    `row_end` says with `ends`); a row whose label was not found gets the text between its found neighbours."""
    anchors = {a.row: a for a in labels}
    spans: dict[str, tuple[int, int]] = {}  # row → where its values are looked for
    for row in rows:
        if row in anchors:
            a = anchors[row]
            later = [b.start for b in labels if b.start > a.start]
            spans[row] = (a.end, row_end(text, a.end, later[0] if later else hi, ends))
        else:
            before = [b.end for b in labels if rows.index(b.row) < rows.index(row)]
            after = [b.start for b in labels if rows.index(b.row) > rows.index(row)]
            spans[row] = (before[-1] if before else lo, after[0] if after else hi)
    items = {row: segment_items(text, *spans[row]) for row in rows}
    _deal_shared(rows, spans, items, anchors, keys_of)
    if constraint:  # as the parser does: values a PDF text layer printed beside another label
        own = {row: items[row] for row in rows if row in anchors}
        place_number_rows(text, own) or realign_shifted_values(own, len(keys_of(rows[0])), constraint)
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
                for row, width in zip(run, widths, strict=True):
                    items[row] = values[at : at + width]
                    at += width
            else:
                for row in run:
                    if row not in anchors:
                        items[row] = []
        i = j + 1


def table_rows(
    text: str, regions: TableSpans, template: str, t2_anchors: list[Anchor], t3_anchors: list[Anchor]
) -> list[TableRow]:
    """Every row of every located table, in template order; tables the parser did not locate are absent.

    A row is found the way the cells were read (its label anchor, the value tokens up to the next
    label); a row whose label was not found gets the text between its found neighbours. The 2019
    template's table 二 has keys the model path does not ask for yet.
    """
    rows: list[TableRow] = []
    if regions.t2 and template != "gov2019":
        lo, hi = regions.t2
        keys_of = lambda r: [f"active.{r}.{c}" for c in T2_ROWS[r]]  # noqa: E731
        rows += _rows_from_anchors(text, "二", list(T2_ROWS), t2_anchors, lo, hi, keys_of, None, T2_2021.row_end)
    if regions.t3:
        lo, hi = regions.t3
        single = any(a.row == OTHER_TOTAL_ROW for a in t3_anchors)  # the 2019 （六） row, as parse_table3 found it
        names = t3_rows_2019() if single else list(T3_ROWS)
        keys_of = lambda r: [t3_key(r, c) for c in T3_COLUMNS]  # noqa: E731
        rows += _rows_from_anchors(
            text, "三", names, list(t3_anchors), lo, hi, keys_of, solve.row_total_holds, _T4_HEADER
        )
    if regions.t4:
        lo, hi = regions.t4
        keys = tuple(t4_key(g, c) for g in T4_GROUPS for c in T4_COLUMNS)
        rows.append(TableRow("四", "review_litigation", keys, segment_items(text, lo, hi), solve.groups_total_hold))
    return rows


def absent_rows(text: str, found: set[str], template: str, t3: tuple[int, int] | None) -> set[str]:
    """Rows not read whose label the page does not print at all: a fragment's missing part, not a failure.

    Table 三's labels are looked for from its first row to its end (its column header and table 四's
    print 总计 and 其他).
    """
    t2 = (T2_2019, "active_2019") if template == "gov2019" else (T2_2021, "active")
    labels = [(f"{t2[1]}.{label.row}", label, 0, len(text)) for label in t2[0].labels]
    if any(f"applications.{label.row}" not in found for label in T3_LABELS):
        t3_rows = find_labels(text, T3_LABELS, *t3) if t3 else []
        t3_span = (t3_rows[0].start, t3[1]) if t3_rows else (0, len(text))
        labels += [(f"applications.{label.row}", label, *t3_span) for label in T3_LABELS]
    absent = {row for row, label, lo, hi in labels if row not in found and not find_label(text, label, lo, hi)}
    if "review_litigation" not in found and not _T4_RESULTS_HEADER.search(text):
        absent.add("review_litigation")
    return absent
