"""Printed rows placed on template rows by order (format.md §3.27): a table whose rows are partly labelled.

A converter can print a row's numbers on a line of their own, above or below its label (a label wrapped
over several lines, a column of vertical text beside it), while other rows keep their label in their
first cell. The lines with numbers are then a sequence to align to the template's fixed row order: a
line that carries a row's label and its numbers anchors that row, and the bare lines between two anchors
fill the template rows between them, in order. Where a gap holds as many bare lines as rows the
alignment is the only one; otherwise every way of pairing them is an alignment, and the table's
identities choose among them. Exactly one consistent alignment is read; several leave the rows they
disagree on ambiguous, with each alignment's reading as a candidate. Never a guess.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import combinations, permutations, product
from math import comb

from nianbao.check import all_hold
from nianbao.parse.labels import Anchor
from nianbao.parse.readings import RowReading, read_row
from nianbao.parse.tokens import Item, label_fragment, segment_items
from nianbao.solve import MAX_COMBINATIONS, consistent_combinations

_ORDINAL_ONLY = re.compile(r"[\s|]*\d\s*[.、．][\s|]*")
MAX_ALIGNMENTS = 2_000  # alignments of one table tried against the identities; more leave the gaps as they are


@dataclass
class PrintedRow:
    items: list[Item]  # the line's values and blank cells, after its label where it has one
    row: str | None  # the template row whose label is on the line; None for a bare row
    start: int  # where the line begins


@dataclass
class Alignment:
    """What the alignment decided: each placed row's tokens, and the rows it could not decide."""

    segments: dict[str, list[Item]] = field(default_factory=dict)
    open: dict[str, list[list[Item]]] = field(default_factory=dict)  # row → its tokens under each alignment
    unplaced: set[str] = field(default_factory=set)  # open rows that some alignment leaves without a line
    labelled: set[str] = field(default_factory=set)  # rows read from the line that carries their own label
    # rows placed by counting a column stream that the identities also allow elsewhere: the values they take
    unchecked: dict[str, list[tuple]] = field(default_factory=dict)


def printed_rows(text: str, anchors: list[Anchor], lo: int, hi: int) -> list[PrintedRow] | None:
    """The region's lines with numbers, in page order; None unless the table prints one row a line with at
    least one bare row (one-cell-per-line text and fully labelled rows are read as before)."""
    rows: list[PrintedRow] = []
    pos = lo
    for line in text[lo:hi].split("\n"):
        start, end = pos, pos + len(line)
        pos = end + 1
        if _ORDINAL_ONLY.fullmatch(line):
            continue  # a label's ordinal wrapped onto a line of its own ("2." / "其他法律行政法规禁止公开")
        here = [a for a in anchors if start <= a.end <= end]
        if len(here) > 1:
            return None  # several rows on one line: a flattened table
        after = here[0].end if here else start
        tokens = segment_items(text, after, end)
        items = [i for i in tokens if i.kind != "text"]
        values = sum(1 for i in items if i.kind == "value")
        if not here and values and not all(label_fragment(i.text) for i in tokens if i.kind == "text"):
            return None  # a row with a label this template does not know: read as before, or by the model
        if here and values:
            rows.append(PrintedRow(items, here[0].row, start))
        elif not here and values >= 2:
            rows.append(PrintedRow(items, None, start))
        elif values:
            return None  # a lone number on a line: not a row-a-line table
    if not any(r.row is None for r in rows):
        return None
    return rows


def _gap_alignments(bare: list[list[Item]], rows: list[str], labelled: list[str]) -> list[dict[str, list[Item]]]:
    """The order-keeping pairings of a gap's bare lines with its template rows: with the rows whose labels the
    gap prints where they are as many as the lines, else every pairing (unpaired rows: not printed, unpaired
    lines: not rows of the table)."""
    if bare and len(labelled) == len(bare):
        return [dict(zip(labelled, bare, strict=True))]
    k = min(len(bare), len(rows))
    if comb(max(len(bare), len(rows)), k) > MAX_ALIGNMENTS:
        return []
    if len(bare) <= len(rows):
        return [dict(zip(chosen, bare, strict=True)) for chosen in combinations(rows, k)]
    return [dict(zip(rows, chosen, strict=True)) for chosen in combinations(bare, k)]


def align_rows(
    text: str, anchors: list[Anchor], order: list[str], lo: int, hi: int, n: int, constraint, identities_of, keys_of
) -> Alignment | None:
    """Align the region's printed rows to the template rows `order`; None where the table is not shaped so."""
    printed = printed_rows(text, anchors, lo, hi)
    if printed is None:
        return None
    index = {row: i for i, row in enumerate(order)}
    anchored = [(index[p.row], p) for p in printed if p.row in index]
    if [i for i, _ in anchored] != sorted({i for i, _ in anchored}):
        return None  # anchors out of the template's order
    in_row = {p.row for p in printed if p.row}
    free = [a for a in anchors if a.row in index and a.row not in in_row]
    gaps: list[tuple[list[list[Item]], list[str], list[str]]] = []
    fixed: dict[str, list[Item]] = {}
    previous, bare, since = -1, [], lo
    for p in [*printed, None]:
        if p is not None and p.row is None:
            bare.append(p.items)
            continue
        until = index[p.row] if p else len(order)
        rows = order[previous + 1 : until]
        labelled = [r for r in rows if any(a.row == r and since <= a.start < (p.start if p else hi) for a in free)]
        gaps.append((bare, rows, labelled))
        if p is not None:
            fixed[p.row] = p.items
            previous, bare, since = index[p.row], [], p.start
    per_gap = [_gap_alignments(b, rows, labelled) if b or rows else [{}] for b, rows, labelled in gaps]
    if any(not g for g in per_gap) or _count(per_gap) > MAX_ALIGNMENTS:
        return None
    alignments = [dict(fixed, **{k: v for part in combo for k, v in part.items()}) for combo in product(*per_gap)]
    if len(alignments) == 1:  # the only pairing by order: read; the checker tests it like any reading
        chosen, decided = alignments, True
    else:
        consistent = [a for a in alignments if _consistent(a, n, constraint, identities_of, keys_of)]
        chosen, decided = consistent or alignments, bool(consistent)
    result = Alignment(labelled=set(fixed))
    for row in order:
        options: list[list[Item]] = []
        for a in chosen:
            if a.get(row) is not None and not any(a[row] is o for o in options):
                options.append(a[row])
        if decided and len(options) == 1 and all(a.get(row) is options[0] for a in chosen):
            result.segments[row] = options[0]
        elif options:
            result.open[row] = options
            if any(a.get(row) is None for a in chosen):
                result.unplaced.add(row)
    return result


def _count(per_gap: list[list]) -> int:
    total = 1
    for g in per_gap:
        total *= len(g)
    return total


def _consistent(alignment: dict[str, list[Item]], n: int, constraint, identities_of, keys_of) -> bool:
    """Some reading of the aligned rows satisfies every identity that can be computed."""
    rows = list(alignment)
    choices = []
    for row in rows:
        reading = read_row(alignment[row], n, constraint, trust_blanks=True)
        if not reading.candidates:
            return False  # a line that is no row of this table where it was put
        choices.append(reading.candidates)

    def accept(combo) -> bool:
        values = {}
        for row, candidate in zip(rows, combo, strict=True):
            values.update(zip(keys_of(row), candidate, strict=True))
        return all_hold(identities_of(values), values)

    total = 1
    for c in choices:
        total *= len(c)
    if total > MAX_COMBINATIONS:
        return True  # too many to try: the identities cannot rule it out
    return bool(consistent_combinations(choices, accept))


def open_reading(options: list[list[Item]], n: int, constraint, trust_blanks: bool) -> RowReading:
    """A row the alignments disagree on: ambiguous, with every alignment's reading as a candidate."""
    candidates = sorted(
        {c for items in options for c in read_row(items, n, constraint, trust_blanks=trust_blanks).candidates},
        key=lambda c: tuple((v is None, v or 0) for v in c),
    )
    values = [i for items in options for i in items if i.kind == "value"]
    if not values:  # no reading places the row (a band read in no way): open, with no candidate
        return RowReading([], [None] * n, [None] * n, [["realigned"] for _ in range(n)])
    raw = " / ".join(" ".join(i.text for i in items if i.kind == "value") for items in options)
    span = (min(v.start for v in values), max(v.end for v in values))
    return RowReading(candidates, [raw] * n, [span] * n, [["realigned"] for _ in range(n)])


def reorderings(values: dict[str, int | None], rows: list[str], keys_of, identities_of) -> list[tuple[str, tuple]]:
    """A row's cells read in another order than printed, where pdftotext printed them in its own (a row beside a
    header's words comes out in the order of the words' flows, docs/damage.md): for each of `rows`, each order of
    its applicant cells (the total stays last, where it is printed, and every order keeps the row total) that
    satisfies every identity with the other rows' `values`, as (row, the positions of its cells in that order).
    Only a row that every failing identity takes part in is tried. Only the column identities tell the orders
    apart: the caller reads one, and leaves the rows of several open."""
    identities = identities_of(values)
    failing = [i for i in identities if not all_hold([i], values)]
    found = []
    for row in rows:
        keys = keys_of(row)
        own = [i for i in identities if set(keys).intersection(i.keys)]
        if not failing or any(i not in own for i in failing):
            continue  # an identity this row takes no part in fails in every order of its cells
        for turn in permutations(range(len(keys) - 1)):
            order = (*turn, len(keys) - 1)
            trial = values | {k: values[keys[i]] for k, i in zip(keys, order, strict=True)}
            if trial != values and all_hold(own, trial):
                found.append((row, order))
    return found
