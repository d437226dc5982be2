"""The template's hard identities (format.md §2) as data: the one definition the checker and the review page use.

`extractor/check.py` evaluates them (the authority); the review site ships the same data as JSON so a
page can re-check them while a person types. Each identity reads `sum(lhs) == sum(rhs)`, lhs holding
the printed total(s). Table 三 comes in two shapes: the 2021 template's 21 leaf rows, or the 2019
template's single （六） row in place of the three `other.*` rows (`shape_of`).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache

from nianbao.schemas.keys import (
    OTHER_SUB_ROWS,
    OTHER_TOTAL_KEYS,
    OTHER_TOTAL_ROW,
    SIGNED_KEYS,
    T3_APPLICANT_COLUMNS,
    T3_COLUMNS,
    T3_LEAF_ROWS,
    T3_ROWS,
    T4_COLUMNS,
    T4_GROUPS,
    t3_key,
    t4_key,
)

OTHER_SUB_KEYS: tuple[str, ...] = tuple(t3_key(r, c) for r in OTHER_SUB_ROWS for c in T3_COLUMNS)
SHAPES = ("gov2021", "gov2019")


def shape_of(values: Mapping[str, object]) -> str:
    """'gov2019' where the （六） row is printed and its three sub-rows are not; else 'gov2021'."""
    if any(values.get(k) is not None for k in OTHER_TOTAL_KEYS) and all(values.get(k) is None for k in OTHER_SUB_KEYS):
        return "gov2019"
    return "gov2021"


def _identity(id_: str, lhs, rhs) -> dict:
    return {"id": id_, "lhs": list(lhs), "rhs": list(rhs)}


def _table3(shape: str) -> list[dict]:
    leaves = T3_LEAF_ROWS
    rows = list(T3_ROWS)
    if shape == "gov2019":
        leaves = (*(r for r in T3_LEAF_ROWS if r not in OTHER_SUB_ROWS), OTHER_TOTAL_ROW)
        rows = [r for r in T3_ROWS if r not in OTHER_SUB_ROWS]
        rows.insert(rows.index("total_processed"), OTHER_TOTAL_ROW)
    ids = [_identity(f"T3.row:{r}", [t3_key(r, "total")], [t3_key(r, c) for c in T3_APPLICANT_COLUMNS]) for r in rows]
    ids += [
        _identity(f"T3.sum:{c}", [t3_key("total_processed", c)], [t3_key(r, c) for r in leaves]) for c in T3_COLUMNS
    ]
    ids += [
        _identity(
            f"T3.bal:{c}",
            [t3_key("new_received", c), t3_key("carried_over", c)],
            [t3_key("total_processed", c), t3_key("carried_forward", c)],
        )
        for c in T3_COLUMNS
    ]
    return ids


def _table4() -> list[dict]:
    return [_identity(f"T4.sum:{g}", [t4_key(g, "total")], [t4_key(g, c) for c in T4_COLUMNS[:4]]) for g in T4_GROUPS]


@cache
def definitions() -> dict:
    """The identities as JSON-ready data: `table3` by shape, `table4`, the keys `shape_of` looks at, and the
    signed keys the non-negativity check leaves out. Never mutate the result (it is shared)."""
    return {
        "table3": {shape: _table3(shape) for shape in SHAPES},
        "table4": _table4(),
        "other_total_keys": list(OTHER_TOTAL_KEYS),
        "other_sub_keys": list(OTHER_SUB_KEYS),
        "signed_keys": sorted(SIGNED_KEYS),
    }
