"""Rows for the later stages: every located row with its tokens, as the model path asks about them."""

from __future__ import annotations

import re

from nianbao import solve
from nianbao.check import table3_identities
from nianbao.parse.align import align_rows
from nianbao.parse.labels import _T4_HEADER, _T4_RESULTS_HEADER, Anchor, TableSpans, find_label, find_labels, row_end
from nianbao.parse.resolve import place_number_rows, realign_shifted_values
from nianbao.parse.tables import T2_2019, T2_2021, TableRow, t3_printed_keys
from nianbao.parse.tokens import Item, segment_items
from nianbao.schemas.keys import (
    OTHER_TOTAL_ROW,
    T2_ROWS,
    T3_COLUMNS,
    T3_ROWS,
    T4_COLUMNS,
    T4_GROUPS,
    t2_key,
    t4_key,
)
from nianbao.schemas.template import (
    T3_LABELS,
    t3_rows_2019,
)


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
    `row_end` says with `ends`); a row whose label was not found gets the text between its found neighbours,
    after where the row before it ends."""
    anchors = {a.row: a for a in labels}
    spans: dict[str, tuple[int, int]] = {}  # row → where its values are looked for
    for row in rows:
        if row in anchors:
            a = anchors[row]
            later = [b.start for b in labels if b.start > a.start]
            spans[row] = (a.end, row_end(text, a.end, later[0] if later else hi, ends))
        else:
            before = [b for b in labels if rows.index(b.row) < rows.index(row)]
            after = [b.start for b in labels if rows.index(b.row) > rows.index(row)]
            start, end = (before[-1].end if before else lo), (after[0] if after else hi)
            if before and spans[before[-1].row][1] < end:  # the row before ends first (a block's end): not its values
                start = spans[before[-1].row][1]
            spans[row] = (start, end)
    items = {row: segment_items(text, *spans[row]) for row in rows}
    _deal_shared(rows, spans, items, anchors, keys_of)
    n = len(keys_of(rows[0]))
    t3 = table == "三"
    aligned = align_rows(text, labels, rows, lo, hi, n, constraint, table3_identities, keys_of) if t3 else None
    if aligned:  # as the parser does: rows printed apart from their labels, placed by order
        items.update(aligned.segments)
        items.update({row: [] for row in aligned.open})  # several placements: no tokens of its own to ground on
    elif t3 and constraint:  # as the parser does: values a PDF text layer printed beside another label
        own = {row: items[row] for row in rows if row in anchors}
        place_number_rows(text, own) or realign_shifted_values(own, n, constraint)
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
    text: str,
    regions: TableSpans,
    template: str,
    t2_anchors: list[Anchor],
    t3_anchors: list[Anchor],
    t3_columns: tuple[str, ...] = T3_COLUMNS,
) -> list[TableRow]:
    """Every row of every located table, in template order; tables the parser did not locate are absent.

    A row is found the way the cells were read (its label anchor, the value tokens up to the next
    label); a row whose label was not found gets the text between its found neighbours. A table 三 whose 法人
    columns are printed as one has the printed columns only (their sum no record key): the sub-columns the page
    does not print are no cells of its rows. The 2019 template's table 二 has keys the model path does not ask
    for yet.
    """
    rows: list[TableRow] = []
    if regions.t2 and template != "gov2019":
        lo, hi = regions.t2
        keys_of = lambda r: [t2_key(r, c) for c in T2_ROWS[r]]  # noqa: E731
        rows += _rows_from_anchors(text, "二", list(T2_ROWS), t2_anchors, lo, hi, keys_of, None, T2_2021.row_end)
    if regions.t3:
        lo, hi = regions.t3
        single = any(a.row == OTHER_TOTAL_ROW for a in t3_anchors)  # the 2019 （六） row, as parse_table3 found it
        names = t3_rows_2019() if single else list(T3_ROWS)
        keys_of = lambda r: t3_printed_keys(r, t3_columns)  # noqa: E731
        constraint = solve.row_total_holds if t3_columns[-1] == "total" else None
        rows += _rows_from_anchors(text, "三", names, list(t3_anchors), lo, hi, keys_of, constraint, _T4_HEADER)
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
