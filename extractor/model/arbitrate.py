"""The arbitration rule, one for parser and model: which reading of a cell the record keeps.

Evidence, strongest first: the printed token at its place; the hard identities; the report's prose
(nianbao.prose: the figures its sentences state, 收到申请N件, 办结N件, 现行有效规范性文件N件, 行政复议N件 …).
Prose settles a choice in any table (a glued run with several splits, an extra value the identities
cannot place) where exactly one reading of the printed tokens agrees with a stated figure and none
contradicts it; the cells are flagged `prose_confirmed`. It never computes a value, never fills a
cell that is not printed, and where it contradicts a printed cell it is only a soft warning. A
model's answer is a reading, never evidence by itself.
The cases:

1. The model's value is not printed at its row (`ungrounded`): it never becomes the cell's value. The
   cell stays null (or keeps the parser's certain value), flagged, with the model's value among its
   candidates.
2. The parser read the cell with certainty and the model agrees: the parser's cell, flagged `model_read`.
3. The parser read it and the model's grounded row differs: the identities decide row by row (the
   model's row is taken only when it makes fewer hard identities fail); where they cannot, the parser's
   printed reading stays, both values are candidates, the cell is flagged `parser_disagrees` — unless the
   prose settled the parser's reading (`prose_confirmed`): then it stays as it is, the model's no
   evidence against it. Where the
   parser read the row with a stated doubt (it dropped an extra value no identity explains — "9 5 1 0 0
   0 0 6" — split a glued run, or dealt a shifted row back), a model row the identities prefer is kept
   but stays `ambiguous` with that reason: identities that hold after dropping a value are not proof. Where
   both are placements by order (the parser dealt the row back across labels, the model named its line in a
   region: both `realigned`), the model's row the identities prefer is kept `realigned`, with no more doubt
   than the parser's own placement carries: it stands only where every identity it takes part in is checked
   and holds (`Report.unverified`).
4. The parser refused the cell for a stated reason (`ambiguous`: a glued run with several splits the
   identities allow, an extra value no identity explains — `dropped_extra_value` — a shifted row): the
   model's grounded pick becomes the value, but the cell keeps `ambiguous` and the parser's reason and
   candidates, so the record is never `verified` on it. Only the identities or the prose settle a choice.
5. The parser found nothing (`not_found`), or a row it could not read at all (`ambiguous` without a reading
   or a reason), and the model's value is grounded: the model's cell. Such rows are read from their
   region's page text (sources.py), grounded only as a whole: every printed number used once, in order.
"""

from __future__ import annotations

from collections import defaultdict
from itertools import combinations

from nianbao.check import failing_identities
from nianbao.model.sources import same_value
from nianbao.parse import TableRow
from nianbao.schemas.record import CHOSEN_FLAGS, Cell


def certain(cell: Cell) -> bool:
    """Read (or printed blank) with no doubt the parser states."""
    return (cell.value is not None or "blank" in cell.flags) and not {"ambiguous", "not_found"} & set(cell.flags)


def choice_only(cell: Cell) -> bool:
    """The parser refused the cell for a stated reason (case 4): a model's pick keeps it `ambiguous`, so asking
    the model about it cannot change the verdict."""
    return "ambiguous" in cell.flags and (len(cell.candidates) > 1 or bool(CHOSEN_FLAGS & set(cell.flags)))


def _with(candidates: list, value) -> list:
    return candidates if any(same_value(c, value) for c in candidates) else [*candidates, value]


def failures(cells: dict[str, Cell]) -> int:
    return len(failing_identities({k: c.value for k, c in cells.items()}))


def _tied(grounded: set[str], chosen: set[str], fails: int, failing) -> set[str]:
    """The disagreeing rows the identities cannot decide: those whose other reading, alone, in a pair, or all
    together, makes no more identities fail. Two rows whose readings trade places (a row placed one line off
    in both) keep every column sum, so each alone breaks one and they tie only together."""
    tied = {row for row in grounded if failing(chosen ^ {row}) == fails}
    rest = set(grounded) - tied
    if rest and failing(chosen ^ rest) <= fails:
        return tied | rest
    return tied | {
        row for pair in combinations(sorted(rest), 2) if failing(chosen ^ set(pair)) <= fails for row in pair
    }


def merge(
    parser: dict[str, Cell], model: dict[str, Cell], row_of: dict[str, TableRow]
) -> tuple[dict[str, Cell], str, int]:
    """Parser and model cells into one record by the module's rule: (cells, a note on disagreements, agreements)."""
    cells = dict(parser)
    agreements = 0
    disagree: dict[str, list[str]] = defaultdict(list)
    for key, m in model.items():
        p = parser.get(key, Cell(flags=["not_found"]))
        if certain(p):
            if same_value(p.value, m.value):
                cells[key] = p.model_copy(
                    update={"flags": sorted(set(p.flags) | {"model_read"} | ({"grounded"} & set(m.flags)))}
                )
                agreements += 1
            else:
                disagree[row_of[key].row].append(key)
        elif "ungrounded" in m.flags:
            cells[key] = p.model_copy(
                update={
                    "value": None,
                    "flags": sorted((set(p.flags) - {"not_found"}) | set(m.flags)),
                    "candidates": _with(p.candidates, m.value),
                    "source": "model",
                }
            )
        elif choice_only(p):
            cells[key] = m.model_copy(
                update={"flags": sorted(set(m.flags) | set(p.flags)), "candidates": _with(p.candidates, m.value)}
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
                doubt = CHOSEN_FLAGS & set(parser[key].flags)
                if doubt and not (doubt == {"realigned"} and "realigned" in model[key].flags):
                    # the identities may prefer it; it is still not proof. Two placements by order are the
                    # exception: the model's is as good as the identities that check it, as the parser's would be
                    out[key] = model[key].model_copy(
                        update={
                            "flags": sorted(
                                set(model[key].flags) | (CHOSEN_FLAGS & set(parser[key].flags)) | {"ambiguous"}
                            ),
                            "candidates": _with([parser[key].value], model[key].value),
                        }
                    )
        return out

    chosen: set[str] = set()
    if grounded and failures(chosen_cells(grounded)) < failures(cells):
        chosen = set(grounded)
    for row in sorted(grounded):
        if failures(chosen_cells(chosen ^ {row})) < failures(chosen_cells(chosen)):
            chosen ^= {row}
    final = chosen_cells(chosen)
    settled_fails = failures(final)
    undecided = sorted(_tied(grounded, chosen, settled_fails, lambda rows: failures(chosen_cells(rows))))
    by_prose = [row for row in undecided if all("prose_confirmed" in parser[k].flags for k in disagree[row])]
    for row in by_prose:  # the identities cannot decide, the prose did: the parser's reading stays
        final.update({key: parser[key] for key in disagree[row]})
    undecided = [row for row in undecided if row not in by_prose]
    for row in undecided:
        for key in disagree[row]:
            p, m = parser[key], model[key]
            final[key] = p.model_copy(
                update={
                    "flags": sorted(set(p.flags) | {"model_read", "parser_disagrees"}),
                    "candidates": [p.value, m.value],
                }
            )
    taken = chosen - set(undecided) - set(by_prose)
    kept = len(disagree) - len(taken) - len(undecided)
    note = (
        f"model and parser read {len(disagree)} rows differently: the identities took the model's reading for "
        f"{len(taken)}, kept the parser's for {kept} ({len(by_prose)} as the prose states), and "
        f"cannot decide {len(undecided)}" + (f" ({', '.join(undecided[:3])})" if undecided else "")
    )
    return final, note, agreements
