"""Resolution: decide among a table's candidate readings by position, identities and prose."""

from __future__ import annotations

import itertools
import re
from math import prod

from nianbao import solve
from nianbao.check import all_hold, evaluate, least_failing
from nianbao.parse.readings import RowReading, _joined_reading, cells_of, rewrapped
from nianbao.parse.tokens import Item
from nianbao.prose import Figure, about

MIN_ROWS_FOR_A_COLUMN = 3  # over-long rows needed before the identities may pick the extra column
MAX_OUTCOMES = 5_000  # combinations whose failing identities are compared, past an agency's slip

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
    if not cells:
        return []  # no numbers after the last label: not this layout
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
    identity. Returns the rows it moved values into. A table with no row identity (collapsed 法人 columns
    printed without 总计, format.md §3.29) has nothing to confirm a dealing, so nothing is dealt.
    """
    if constraint is None:
        return []
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


def _plausible_drops(readings: set[tuple], constraint, rows: int, joined: set[tuple] = frozenset()) -> list[tuple]:
    """Among the readings left by plausible drops and joinings, the ones the identities let stand.

    With one or two over-long rows the identities are weak evidence: a reading that breaks exactly
    one group total is what an agency's own error looks like, so it keeps the row ambiguous; only
    readings that break several groups (a shifted row) are ruled out. Where that leaves one reading,
    it is the row (the checker reports the group it breaks). Where the one reading that balances every
    total is a joining (`joined`, a number wrapped over two lines, format.md §3.32), it is the row: a
    drop breaking a total would need the agency's own error besides the converter's extra value, as
    the column identities rule such a drop out in table 三.
    """
    if rows >= MIN_ROWS_FOR_A_COLUMN or len(readings) <= 1:
        return sorted(readings)
    shifted = {r for r in readings if constraint.failing_groups(r) >= 2}
    plausible = readings - shifted  # none fails, or one fails as the agency's own error would
    holding = {r for r in plausible if constraint(r)}
    if len(holding) == 1 and (holding | shifted == readings or holding <= joined):
        return sorted(holding)
    return sorted(plausible) if len(plausible) == 1 and not holding else sorted(readings)


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
        drops = {solve.drop_one(reading.extra, p) for p in options}
        # a wrapped number (§3.32) explains the row as well: its joinings compete with the drops
        reading.candidates = _plausible_drops(drops | set(reading.joined), constraint, len(extra), set(reading.joined))
        _drop_printed(reading, options[0] if options else None)
        reading.flags = [["dropped_extra_value"] for _ in range(len(reading.extra) - 1)]
        if reading.joined and not set(reading.candidates) & drops:
            mark_joined(reading)
    where = (
        "undecidable but harmless: every choice reads the same"
        if positions and all(len(r.candidates) == 1 for r in extra.values())
        else f"positions allowed: {positions}"
    )
    warnings.append(f"{table}: {len(extra)} rows print one value too many; dropped by the identities ({where})")


def mark_joined(reading: RowReading) -> None:
    """A row whose reading is a joining of its tokens: the row's tokens as every cell's raw text, flagged as a
    choice of boundaries (`split_from_run`)."""
    values = [Item("value", t, *s) for t, s in zip(*reading.printed, strict=True)]
    joined = _joined_reading(reading.joined, values, len(reading.extra) - 1)
    reading.raw, reading.spans, reading.flags = joined.raw, joined.spans, joined.flags


def finish_joined(readings: dict[str, RowReading]) -> None:
    """Rows the identities or the prose settled on a joining after the drops competed with it."""
    for reading in readings.values():
        if reading.joined and len(reading.candidates) == 1 and reading.candidates[0] in reading.joined:
            keep = [sorted(set(flags) - {"dropped_extra_value"}) for flags in reading.flags]
            mark_joined(reading)
            reading.flags = [sorted({*a, *b}) for a, b in zip(reading.flags, keep, strict=True)]


def _drop_printed(reading: RowReading, keep: int | None) -> None:
    """The row's raw texts and spans less the printed value at `keep` (less the last where none is chosen)."""
    raw, spans = reading.printed
    drop = len(raw) - 1 if keep is None else keep
    reading.raw = [t for i, t in enumerate(raw) if i != drop]
    reading.spans = [s for i, s in enumerate(spans) if i != drop]


def prose_pick(candidates, keys, figures: tuple[Figure, ...], constraint=None, fixed=None) -> tuple | None:
    """The one reading of `keys` some figure the prose states agrees with and none contradicts (given the cells
    already certain, `fixed`), or None where none or several do."""
    relevant = about(figures, keys)
    fitting = []
    for candidate in candidates if relevant else ():
        said = [f.agrees({**(fixed or {}), **dict(zip(keys, candidate, strict=True))}) for f in relevant]
        if True in said and False not in said and (constraint is None or constraint(candidate)):
            fitting.append(candidate)
    return fitting[0] if len(fitting) == 1 else None


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
        if len(reading.candidates) < 2:
            continue
        chosen = prose_pick(reading.candidates, keys_of(row), figures, constraint, fixed)
        if chosen is None:
            continue
        if reading.extra:
            drop = next((p for p in range(len(reading.extra)) if solve.drop_one(reading.extra, p) == chosen), None)
            if drop is not None:
                _drop_printed(reading, drop)
            else:  # a wrapped number joined
                mark_joined(reading)
        reading.candidates = [chosen]
        reading.flags = [sorted({*flags, "prose_confirmed"}) for flags in reading.flags or [[] for _ in chosen]]
        fixed.update(zip(keys_of(row), chosen, strict=True))
        settled.append(row)
    return settled


def _with_rows(fixed: dict, rows: list[str], combo, keys_of) -> dict:
    """The certain cells with one candidate reading of each of `rows`."""
    values = dict(fixed)
    for row, candidate in zip(rows, combo, strict=True):
        values.update(zip(keys_of(row), candidate, strict=True))
    return values


def _resolve_by_identities(readings: dict[str, RowReading], keys_of, identities_of) -> None:
    """Rows with several readings: keep the combinations that the column identities allow, or, where none does (an
    agency's own slip besides the damage), those failing only where every combination fails (check.least_failing)."""
    open_rows = [row for row, r in readings.items() if len(r.candidates) > 1]
    if not open_rows:
        return
    fixed = {}
    for row, r in readings.items():
        if len(r.candidates) == 1:
            fixed.update(zip(keys_of(row), r.candidates[0], strict=True))

    def values_of(combo) -> dict:
        return _with_rows(fixed, open_rows, combo, keys_of)

    def accept(combo) -> bool:
        values = values_of(combo)
        return all_hold(identities_of(values), values)

    choices = [readings[r].candidates for r in open_rows]
    combos = solve.consistent_combinations(choices, accept)
    if combos == [] and prod(len(c) for c in choices) <= MAX_OUTCOMES:
        combos = least_failing(((combo, values_of(combo)) for combo in itertools.product(*choices)), identities_of)
    if not combos:
        return
    for index, row in enumerate(open_rows):
        readings[row].candidates = sorted({combo[index] for combo in combos})


def take_rewraps(readings: dict[str, RowReading], keys_of, identities_of) -> None:
    """Rows that print exactly their n tokens and break their total, where splitting their digits anew (an A6
    print's wrapped digits, `rewrapped`) makes every identity through the row hold, each of them checked: that
    split is read (`split_from_run`). An agency's own wrong total has no such split but by coincidence, so the
    printed reading stays wherever none or several do, or a row the split leaves broken remains."""
    options = {}
    for row, r in readings.items():
        if r.rewrap and len(r.candidates) == 1 and len(r.raw) == len(r.spans) == len(r.candidates[0]):
            printed = [Item("value", t, *s) for t, s in zip(r.raw, r.spans, strict=True)]
            if splits := rewrapped(printed, len(printed), solve.row_total_holds):
                options[row] = (printed, splits)
    rows = list(options)
    if not rows:
        return
    fixed = {}
    for row, r in readings.items():
        if len(r.candidates) == 1 and row not in rows:
            fixed.update(zip(keys_of(row), r.candidates[0], strict=True))

    def values_of(combo) -> dict:
        return _with_rows(fixed, rows, combo, keys_of)

    def holds(combo) -> bool:
        values = values_of(combo)
        return all_hold(identities_of(values), values)

    combos = solve.consistent_combinations([options[r][1] for r in rows], holds)
    if not combos or len(combos) != 1:
        return
    values = values_of(combos[0])
    for row, chosen in zip(rows, combos[0], strict=True):
        mine = set(keys_of(row))
        through = [i for i in identities_of(values) if mine & set(i.keys)]
        if all(evaluate(i, values).status == "pass" for i in through):
            readings[row] = cells_of(chosen, options[row][0])
