"""The arbitration rule: where parser and model read a cell differently, which reading the record keeps.

The parser's printed reading stays unless the identities prefer the model's grounded row; where they
cannot tell, both values are kept as candidates and the cell is flagged `parser_disagrees`.
"""

from __future__ import annotations

from collections import defaultdict

from extractor.check import failing_identities
from extractor.model.sources import same_value
from extractor.parse import TableRow
from schemas.record import Cell


def _certain(cell: Cell) -> bool:
    return (cell.value is not None or "blank" in cell.flags) and not {"ambiguous", "not_found"} & set(cell.flags)


def failures(cells: dict[str, Cell]) -> int:
    return len(failing_identities({k: c.value for k, c in cells.items()}))


def merge(
    parser: dict[str, Cell], model: dict[str, Cell], row_of: dict[str, TableRow]
) -> tuple[dict[str, Cell], str, int]:
    """Parser and model cells into one record: (cells, a one-line note on disagreements, agreements).

    Where the parser has no certain value the model's is taken (still flagged ambiguous where the
    parser found several readings the identities cannot choose between: a model's pick among them is
    a guess, not evidence). Where both read a
    cell and agree, the agreement is recorded. Where they disagree, the identities decide, row by row,
    and only for a model row that is grounded; where they cannot, the parser's printed reading stays
    and the cells are flagged `parser_disagrees` with both values as candidates.
    """
    cells = dict(parser)
    agreements = 0
    disagree: dict[str, list[str]] = defaultdict(list)
    for key, m in model.items():
        p = parser.get(key, Cell(flags=["not_found"]))
        if _certain(p):
            if same_value(p.value, m.value):
                cells[key] = p.model_copy(
                    update={"flags": sorted(set(p.flags) | {"model_read"} | ({"grounded"} & set(m.flags)))}
                )
                agreements += 1
            else:
                disagree[row_of[key].row].append(key)
        elif "ambiguous" in p.flags and len(p.candidates) > 1:
            cells[key] = m.model_copy(
                update={"flags": sorted(set(m.flags) | {"ambiguous"}), "candidates": p.candidates}
            )
        else:
            cells[key] = m
    if not disagree:
        return cells, "", agreements
    grounded = {row for row, keys in disagree.items() if all("grounded" in model[k].flags for k in keys)}

    def chosen_cells(rows: set[str]) -> dict[str, Cell]:
        out = dict(cells)
        for row in rows:
            for key in disagree[row]:
                out[key] = model[key]
        return out

    chosen: set[str] = set()
    if grounded and failures(chosen_cells(grounded)) < failures(cells):
        chosen = set(grounded)
    for row in sorted(grounded):
        if failures(chosen_cells(chosen ^ {row})) < failures(chosen_cells(chosen)):
            chosen ^= {row}
    final = chosen_cells(chosen)
    settled_fails = failures(final)
    undecided = [row for row in sorted(grounded) if failures(chosen_cells(chosen ^ {row})) == settled_fails]
    for row in undecided:
        for key in disagree[row]:
            p, m = parser[key], model[key]
            final[key] = p.model_copy(
                update={
                    "flags": sorted(set(p.flags) | {"model_read", "parser_disagrees"}),
                    "candidates": [p.value, m.value],
                }
            )
    kept = len(disagree) - len(chosen - set(undecided)) - len(undecided)
    note = (
        f"model and parser read {len(disagree)} rows differently: the identities took the model's reading for "
        f"{len(chosen - set(undecided))}, kept the parser's for {kept}, and cannot decide {len(undecided)}"
        + (f" ({', '.join(undecided[:3])})" if undecided else "")
    )
    return final, note, agreements
