"""Table 二's parts (第二十条第（X）项 blocks): where the page itself decides a placement made by the template's order.

No identity checks table 二, so a row whose numbers were placed by the template's order (`realigned`) is stood
behind only where no other placement is possible (the part's block prints its numbers and nothing else, and every
row but one prints them on its own label's line, the one left on a line of its own or in the markdown table's
columns of the others) or the report's prose decides among the placements
(`prose_confirmed`). Order alone never decides where another placement is possible (docs/damage.md).
"""

from __future__ import annotations

import re
from itertools import permutations

from nianbao.parse.labels import _BLOCK_TITLE, _T3_TITLE, Anchor
from nianbao.parse.resolve import prose_pick
from nianbao.parse.tokens import segment_items
from nianbao.prose import Figure

_NUMERAL = re.compile(r"[（(]([一二三四五六七八九十]+)[）)]")
# a row carrying one of these was read by another choice as well (a split run, a dropped value) or not read
_OTHER_DOUBT = frozenset({"split_from_run", "dropped_extra_value", "ambiguous", "not_found", "prose_confirmed"})

Span = tuple[int, int]


def settle_parts(
    text: str, lo: int, hi: int, template, anchors: list[Anchor], cells: dict[str, dict], figures: tuple[Figure, ...]
) -> list[str]:
    """Table 二's parts whose rows were placed by order, where the page decides the placement: their rows lose
    `realigned` (no other placement) or gain `prose_confirmed` (the prose rules the others out). Returns a
    warning line for each part so read."""
    blocks = _blocks(text, lo, hi)
    label_end = {a.row: a.end for a in anchors}
    said = []
    for title, _, part in template.parts:
        rows = [row for row, _ in part]
        keys = [k for row in rows for k in template.keys[row]]
        if not any("realigned" in cells.get(k, {}).get("flags", ()) for k in keys):
            continue
        numeral = _NUMERAL.search(title)
        name, block = numeral.group(), blocks.get(numeral.group(1))
        if block and _no_choice(text, block, rows, template, label_end, cells):
            for key in keys:
                cells[key]["flags"] = [f for f in cells[key]["flags"] if f != "realigned"]
            said.append(f"table 二: part {name} prints its numbers where no other placement is possible")
        elif placed := _decided_by_prose(rows, template, cells, figures):
            for key in placed:
                cells[key]["flags"] = sorted({*cells[key]["flags"], "prose_confirmed"})
            said.append(f"table 二: part {name}'s placement by order is the one its prose allows")
    return said


def _blocks(text: str, lo: int, hi: int) -> dict[str, Span]:
    """Each part's block: from its title to the next part's title, the last to table 三's title. None where a
    title is printed twice (the blocks are then unknown); the last part has none where table 三's title does not
    end table 二."""
    titles = list(_BLOCK_TITLE.finditer(text, lo, hi))
    numerals = [m.group(1) for m in titles]
    if not titles or len(set(numerals)) != len(numerals):
        return {}
    ends = [m.start() for m in titles[1:]] + [hi if _T3_TITLE.match(text, hi) else None]
    return {n: (m.end(), end) for n, m, end in zip(numerals, titles, ends, strict=True) if end is not None}


def _no_choice(
    text: str, block: Span, rows: list[str], template, label_end: dict[str, int], cells: dict[str, dict]
) -> bool:
    """Whether the part's numbers can be placed but one way: its block (title to next title, page furniture
    dropped at ingest) prints exactly the part's numbers, every cell of table 二 is read or printed blank (none of
    its numbers is missing, as where one spilled into another block), and every row but one prints its numbers on
    its label's line, the one left printing its own on one line, in column order."""
    lo, hi = block
    keys = [k for row in rows for k in template.keys[row]]
    if any(cells.get(k, {}).get("value") is None or cells[k].get("span") is None for k in keys):
        return False
    spans = sorted(tuple(cells[k]["span"]) for k in keys)
    printed = [(i.start, i.end) for i in segment_items(text, lo, hi) if i.kind == "value"]
    if printed != spans or len(set(spans)) != len(spans):
        return False
    if any(
        cells.get(k, {}).get("value") is None and "blank" not in cells.get(k, {}).get("flags", ())
        for row_keys in template.keys.values()
        for k in row_keys
    ):
        return False
    row_spans = {row: [tuple(cells[k]["span"]) for k in template.keys[row]] for row in rows}
    off = [row for row in rows if not _on_label_line(text, row_spans[row], label_end.get(row), block)]
    if len(off) > 1:
        return False
    return all(_one_line(text, row_spans[row]) or _in_its_columns(text, row_spans, row) for row in off)


def _in_its_columns(text: str, row_spans: dict[str, list[Span]], off: str) -> bool:
    """The one row off its label's line prints each number in the markdown table's column where the rows on their
    label's lines print that template column (one table: its lines consecutive, each as many cells wide). A
    converter that splits a wrapped label's row over lines (markitdown) keeps the cells' columns, so the column
    decides which of the row's cells a number is, and the other rows' lines leave it no other row."""
    spans = [span for row_of in row_spans.values() for span in row_of]
    first, last = _line_of(text, min(spans)[0]), _line_of(text, max(spans)[0])
    lines = text[first[0] : last[1]].split("\n")
    if not all(line.strip().startswith("|") and line.strip().endswith("|") for line in lines):
        return False
    if len({line.count("|") for line in lines}) != 1:
        return False
    column_of: dict[int, int] = {}  # template column → the table's column
    for row, its in row_spans.items():
        if row != off and any(column_of.setdefault(j, _column(text, s)) != _column(text, s) for j, s in enumerate(its)):
            return False
    if len(set(column_of.values())) != len(column_of):
        return False
    return all(column_of.get(j) == _column(text, s) for j, s in enumerate(row_spans[off]))


def _line_of(text: str, at: int) -> Span:
    end = text.find("\n", at)
    return text.rfind("\n", 0, at) + 1, len(text) if end < 0 else end


def _column(text: str, span: Span) -> int:
    """Which cell of its markdown table line the span is in (the pipes before it on its line)."""
    return text.count("|", _line_of(text, span[0])[0], span[0])


def _on_label_line(text: str, spans: list[Span], end: int | None, block: Span) -> bool:
    """The row's numbers follow its label on the label's line, in column order."""
    return (
        end is not None
        and block[0] <= end <= spans[0][0]
        and _one_line(text, spans)
        and "\n" not in text[end : spans[0][0]]
    )


def _one_line(text: str, spans: list[Span]) -> bool:
    return spans == sorted(spans) and "\n" not in text[spans[0][0] : spans[-1][1]]


def _decided_by_prose(rows: list[str], template, cells: dict[str, dict], figures: tuple[Figure, ...]) -> list[str]:
    """The keys of the part's rows placed by order, where the prose states a value of them that every other
    placement of their numbers contradicts: rows printed as lines in another order, or printed column by column
    (in any order of columns). Empty where a placement differs but the prose cannot tell (the stated cell reads
    the same under it), or the prose contradicts the placement read."""
    placed = [row for row in rows if any("realigned" in cells[k]["flags"] for k in template.keys[row])]
    keys = [k for row in placed for k in template.keys[row]]
    if any(
        cells[k].get("value") is None or cells[k].get("span") is None or _OTHER_DOUBT & set(cells[k]["flags"])
        for k in keys
    ):
        return []
    at = {tuple(cells[k]["span"]): cells[k]["value"] for k in keys}
    if len(at) != len(keys):
        return []
    printed = [at[span] for span in sorted(at)]
    width = len(template.keys[placed[0]])
    candidates = sorted(set(_placements(printed, len(placed), width)))
    read = tuple(cells[k]["value"] for k in keys)
    fixed = {k: c["value"] for k, c in cells.items() if k.startswith(f"{template.prefix}.") and k not in keys}
    return keys if prose_pick(candidates, keys, figures, None, fixed) == read else []


def _placements(printed: list, rows: int, width: int):
    """The readings of numbers printed in page order for `rows` rows of `width` cells: row by row with the rows in
    any order, or column by column with the rows and the columns in any order (as the template keys them)."""
    for order in permutations(range(rows)):
        grid = [[None] * width for _ in range(rows)]
        for i, row in enumerate(order):
            grid[row] = printed[i * width : (i + 1) * width]
        yield tuple(v for row in grid for v in row)
        for columns in permutations(range(width)):
            grid = [[None] * width for _ in range(rows)]
            for j, column in enumerate(columns):
                for i, row in enumerate(order):
                    grid[row][column] = printed[j * rows + i]
            yield tuple(v for row in grid for v in row)
