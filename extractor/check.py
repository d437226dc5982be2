"""Stage 4 — check: recompute every identity of the template (format.md §2) on a record's cells.

Pure: cells in, `Check` results out. Used alike by the parser (to choose between readings of a
damaged row), by the model loop (to write reprompts) and by the eval. The identities themselves are
data (`schemas/identities.py`), shared with the review page's live re-check.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import TypeVar

from nianbao.prose import stated
from nianbao.schemas.identities import definitions, shape_of
from nianbao.schemas.keys import FEE_KEY, SIGNED_KEYS
from nianbao.schemas.record import Cell, Check
from nianbao.solve import balancing_groups

CHECKER_VERSION = "1.1"
T = TypeVar("T")

# A cell read with one of these flags was chosen by nianbao, not printed plainly: a failure that
# involves it may be nianbao's reading rather than the agency's arithmetic.
# An OCR reading is one too: a misread digit breaks an identity just as the agency's own slip would.
UNCERTAIN_FLAGS = frozenset(
    {
        "split_from_run",
        "dropped_extra_value",
        "realigned",
        "ambiguous",
        "ungrounded",
        "not_found",
        "prose_confirmed",
        "ocr",
        "stacked",
    }
)


@dataclass(frozen=True)
class Identity:
    """`sum(lhs) == sum(rhs)`; lhs holds the printed total(s)."""

    id: str
    lhs: tuple[str, ...]
    rhs: tuple[str, ...]

    @property
    def keys(self) -> tuple[str, ...]:
        return self.lhs + self.rhs


def table3_identities(values: Mapping[str, object]) -> list[Identity]:
    """Table 三's identities in the shape its values have (2021: 21 leaf rows; 2019: the （六） row)."""
    return list(_identities("table3", shape_of(values)))


def table4_identities() -> list[Identity]:
    return list(_identities("table4", None))


@lru_cache(maxsize=None)  # built once from the shared definition: the parser asks for them per reading
def _identities(table: str, shape: str | None) -> tuple[Identity, ...]:
    data = definitions()[table]
    return tuple(Identity(i["id"], tuple(i["lhs"]), tuple(i["rhs"])) for i in (data[shape] if shape else data))


def evaluate(identity: Identity, values: Mapping[str, object]) -> Check:
    operands = [values.get(k) for k in identity.keys]
    if any(v is None for v in operands):
        missing = [k for k in identity.keys if values.get(k) is None]
        return Check(
            id=identity.id,
            status="uncheckable",
            cells=list(identity.keys),
            message=f"blank or missing: {', '.join(missing)}",
        )
    lhs = sum(values[k] for k in identity.lhs)
    rhs = sum(values[k] for k in identity.rhs)
    status = "pass" if lhs == rhs else "fail"
    message = (
        ""
        if status == "pass"
        else f"{identity.id} fails: {' + '.join(identity.lhs)} = {lhs} but {' + '.join(_short(identity.rhs))} = {rhs} (residual {lhs - rhs:+d})"
    )
    return Check(
        id=identity.id, status=status, lhs=lhs, rhs=rhs, residual=lhs - rhs, cells=list(identity.keys), message=message
    )


def _short(keys: tuple[str, ...]) -> list[str]:
    return list(keys) if len(keys) <= 7 else [*keys[:3], f"… ({len(keys)} cells)"]


def all_hold(identities: list[Identity], values: Mapping[str, object]) -> bool:
    """True when no identity that can be computed fails (used to choose between readings)."""
    return all(evaluate(i, values).status != "fail" for i in identities)


MAX_REPORT_ERRORS = 2  # identities one arithmetic error of the report's own breaks: a cell's row and column


def least_failing(valuations: Iterable[tuple[T, Mapping[str, object]]], identities_of) -> list[T]:
    """Where no reading satisfies every identity (an agency's own slip besides a converter's damage): the readings
    (`tag`, values) under which only identities fail that fail under every reading, and every identity computable
    under some reading is computed. The failures are then the page's whatever the reading, and the identities
    that hold choose among the readings; none where no reading is so, or where the failures are not what one
    error of the report's own breaks (`_one_error`)."""
    outcomes = []
    for tag, values in valuations:
        checks = [evaluate(i, values) for i in identities_of(values)]
        failing = frozenset(c.id for c in checks if c.status == "fail")
        unchecked = frozenset(c.id for c in checks if c.status == "uncheckable")
        outcomes.append((tag, failing, unchecked))
    best = [o for o in outcomes if all(o[1] <= f and o[2] <= u for _, f, u in outcomes)]
    return [tag for tag, _, _ in best] if best and _one_error(best[0][1]) else []


def _one_error(failing: frozenset[str]) -> bool:
    """Whether the failing identities are what one wrong number of the report's own breaks: its row and its column,
    or, a cell and its row's total both off alike, its column and the total column's (never two other columns:
    cells exchanged within a row, a reading's doing)."""
    return len(failing) <= MAX_REPORT_ERRORS and any(i.startswith("T3.row") or i.endswith(":total") for i in failing)


ROW_IDENTITIES = ("T3.row", "T4.sum")  # the identities within one printed row


def localise(checks: list[Check]) -> None:
    """Name the one suspect cell where a failing row identity and a failing column identity meet.

    One misread cell breaks exactly one row and one column identity with residuals of equal size
    (format.md §2.1 "redundancy"); their shared cell is the suspect.
    """
    failing = [c for c in checks if c.status == "fail"]
    rows = [c for c in failing if c.id.startswith(ROW_IDENTITIES)]
    columns = [c for c in failing if c.id.startswith(("T3.sum", "T3.bal"))]
    for r in rows:
        for col in columns:
            shared = set(r.cells) & set(col.cells)
            if len(shared) == 1 and abs(r.residual or 0) == abs(col.residual or 0):
                cell = shared.pop()
                for check in (r, col):
                    if cell not in check.suspects:
                        check.suspects.append(cell)


def classify(checks: list[Check], cells: Mapping[str, Cell]) -> None:
    """Tell an extraction suspect from a source error (format.md §2.1).

    A failure whose cells were all printed plainly, one value per cell, is the agency's own
    arithmetic. One that involves a cell nianbao had to choose (a split run, a dropped extra
    value, an ungrounded model read, a cell a converter printed with others: `stacked`), or a run of row
    failures typical of a column shift, is
    suspected to be nianbao's reading. A row failure that no column identity can check (their other
    cells unread) has no partner to tell a misread row from the agency's own error: its cause is
    unknown.
    """
    row_failures = sum(1 for c in checks if c.status == "fail" and c.id.startswith("T3.row"))
    columns = [c for c in checks if c.id.startswith(("T3.sum", "T3.bal")) and c.status != "uncheckable"]
    column_checked = {k for c in columns for k in c.cells}
    for check in checks:
        if check.status != "fail":
            continue
        uncertain = [k for k in check.cells if k in cells and UNCERTAIN_FLAGS & set(cells[k].flags)]
        model_made = any(
            k in cells and cells[k].source == "model" and "grounded" not in cells[k].flags for k in check.cells
        )
        if check.id.startswith("T4.sum") and _fails_in_any_order(checks, cells):
            check.cause = "source"
        elif uncertain or model_made:
            check.cause = "extraction"
            for k in uncertain:
                if k not in check.suspects:
                    check.suspects.append(k)
        elif row_failures >= 3 and check.id.startswith("T3.row"):
            check.cause = "extraction"
        elif check.id.startswith("T3.row") and not column_checked & set(check.cells):
            check.cause = "unknown"
        else:
            check.cause = "source"


def table4_by_order(cells: Mapping[str, Cell]) -> list[int] | None:
    """Table 四's 15 numbers where each was read whole where printed and only their order chosen (`realigned`: the
    converter's order, a box a number), in the order read; None where a number itself is in doubt."""
    t4 = [cells.get(k) for k in _T4_KEYS]
    if any(c is None or not isinstance(c.value, int) or c.source != "parser" for c in t4):
        return None
    if any(set(c.flags) & UNCERTAIN_FLAGS - {"realigned"} for c in t4):
        return None
    return [c.value for c in t4]


def _fails_in_any_order(checks: list[Check], cells: Mapping[str, Cell]) -> bool:
    """Whether table 四's numbers, placed by order (`table4_by_order`), fail as many group totals in every order as
    in the one read: then some group is the agency's own error whichever cell each number is, and no order the
    converter could have printed does better than the one read. Its failures are the source's; its cells stay
    unverified (which number is which, no identity says)."""
    values = table4_by_order(cells)
    if values is None:
        return False
    failing = sum(c.status == "fail" for c in checks if c.id.startswith("T4.sum"))
    return failing == len(_T4_GROUPS) - balancing_groups(values)


_T4_GROUPS = table4_identities()
_T4_KEYS = tuple(dict.fromkeys(k for i in _T4_GROUPS for k in i.keys))


def run_checks(cells: Mapping[str, Cell], text: str = "") -> list[Check]:
    """Every hard identity, then the soft (prose and plausibility) checks, localised and classified."""
    values = {k: c.value for k, c in cells.items()}
    checks = [evaluate(i, values) for i in table3_identities(values) + table4_identities()]
    checks += [
        Check(
            id=f"nonneg:{k}",
            status="fail",
            lhs=int(v),
            rhs=0,
            residual=int(v),
            cells=[k],
            message=f"{k} is negative ({v})",
        )
        for k, v in values.items()
        if isinstance(v, (int, Decimal)) and v < 0 and k not in SIGNED_KEYS  # 2019's 本年增/减 is signed
    ]
    localise(checks)
    classify(checks, cells)
    return checks + soft_checks(values, text)


def prose_checks(values: Mapping[str, object], text: str) -> list[Check]:
    """Each figure the prose states (nianbao.prose) against the cells: a pass where they agree, a warning
    where they contradict, nothing where the cells cannot say. Never a cell change or a verdict."""
    checks = []
    for figure in stated(text):
        agrees = figure.agrees(values)
        if agrees is None:
            continue
        table = [
            (r, sum(values[k] for k in r))
            for r in figure.readings
            if all(isinstance(values.get(k), int | Decimal) for k in r)
        ]
        shown = " or ".join(f"{' + '.join(reading)} = {total}" for reading, total in table)
        counts = isinstance(figure.value, int)  # a check's sides are counts: the fee's amount says so in its message
        checks.append(
            Check(
                id=f"prose:{figure.name}",
                severity="soft",
                status="pass" if agrees else "fail",
                lhs=figure.value if counts else None,
                rhs=table[0][1] if counts else None,
                residual=figure.value - table[0][1] if counts else None,
                cells=figure.keys,
                message="" if agrees else f"prose says {figure.phrase!r} ({figure.value}); the table has {shown}",
            )
        )
    return checks


def soft_checks(values: Mapping[str, object], text: str) -> list[Check]:
    """Warnings only (format.md §2.2): prose uses looser aggregates than the table."""
    checks = prose_checks(values, text)
    fee = values.get(FEE_KEY)
    if isinstance(fee, Decimal):
        decimals = -fee.as_tuple().exponent if fee.as_tuple().exponent < 0 else 0
        ok = fee >= 0 and decimals <= 6
        checks.append(
            Check(
                id="T2.fee",
                severity="soft",
                status="pass" if ok else "fail",
                cells=[FEE_KEY],
                message="" if ok else f"fee {fee} has {decimals} decimals or is negative",
            )
        )
    return checks


def failing_identities(cells: Mapping[str, object]) -> list[str]:
    """Ids of the hard identities that the given values break: what a gold file's `source_errors` lists."""
    return [c.id for i in table3_identities(cells) + table4_identities() if (c := evaluate(i, cells)).status == "fail"]
