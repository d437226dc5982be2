"""The reprompt text: what is still wrong with a record, said row by row for a fresh request.

Each line quotes a failing identity with its numbers and suspect cells, an ungrounded cell, an answer
that failed validation, or a disagreement with the parser; "{row}" stands for the row's label in the
request, filled in by the prompt unit that asks again.
"""

from __future__ import annotations

from collections import defaultdict

from nianbao.check import ROW_IDENTITIES, table4_by_order
from nianbao.model.sources import Value
from nianbao.parse import TableRow
from nianbao.schemas.keys import T4_COLUMNS, T4_GROUPS, t4_key
from nianbao.schemas.record import CHOSEN_FLAGS, Report
from nianbao.solve import balancing_groups


def problems(
    report: Report, errors: dict[str, str], row_of: dict[str, TableRow], only_open: bool = False
) -> dict[str, list[str]]:
    """Row → what to tell the model about it; "{row}" stands for the row's label in the request. `only_open`
    (auto mode) leaves out what no answer can settle (`_no_order_holds`)."""
    out: dict[str, list[str]] = defaultdict(list)
    for row, error in errors.items():
        out[row].append(f"the answer for {{row}} was not valid: {error}")
    for check in report.checks:
        if check.severity != "hard" or check.status != "fail" or check.cause == "source":
            continue
        suspects = check.suspects or [k for k in check.cells if report.cells[k].source == "model"]
        suspects = [k for k in suspects if not _doubt_stays(report, k)]
        if only_open and _no_order_holds(report):
            suspects = [k for k in suspects if k not in _T4_KEYS]
        by_row: dict[str, list[str]] = defaultdict(list)
        for key in suspects:
            if key in row_of:
                by_row[row_of[key].row].append(key)
        for row, keys in by_row.items():
            out[row].append(f"{check.message}. Suspect cells in {{row}}: {', '.join(keys)}")
    for key, cell in report.cells.items():
        if key not in row_of:
            continue
        region = getattr(row_of[key], "region", None)
        if region is not None and cell.source == "model" and "ungrounded" in cell.flags:
            line = (
                f"the numbers of {{row}} are not the ones the text prints for it: the text prints {len(region.tokens)} "
                "numbers, and each belongs to exactly one row, in order"
            )
            if line not in out[row_of[key].row]:
                out[row_of[key].row].append(line)
        elif cell.source == "model" and "ungrounded" in cell.flags:
            out[row_of[key].row].append(f"{key} = {_shown(cell.candidates[-1])} is not printed at its place in {{row}}")
        elif "parser_disagrees" in cell.flags:
            out[row_of[key].row].append(f"check {key} against the printed values of {{row}}")
    return dict(out)


def _doubt_stays(report: Report, key: str) -> bool:
    """The parser's reading of the cell is a choice (a split glued run, a dropped extra value) its row's own
    identity holds on: any other choice breaks that identity, and a model row the identities prefer would stay
    `ambiguous` anyway (arbitrate.py, case 3), so asking about it cannot change the record. A placement by
    order is not one: the model's own placement stands as the parser's would."""
    flags = set(report.cells[key].flags)
    if report.cells[key].source != "parser" or not flags & (CHOSEN_FLAGS - {"realigned"}) or "realigned" in flags:
        return False
    return any(c.status == "pass" and c.id.startswith(ROW_IDENTITIES) and key in c.cells for c in report.checks)


_T4_KEYS = frozenset(t4_key(g, c) for g in T4_GROUPS for c in T4_COLUMNS)


def _no_order_holds(report: Report) -> bool:
    """Table 四's numbers, placed by the converter's order (`check.table4_by_order`), hold its three totals in no
    order: a reading the model grounds is an order of the same numbers, so no answer can verify the table
    (hzq-2023 through pdftotext: 10 and 1 under a total of 0)."""
    values = table4_by_order(report.cells)
    return values is not None and balancing_groups(values) < len(T4_GROUPS)


def _shown(value: Value) -> str:
    return "null" if value is None else str(value)
