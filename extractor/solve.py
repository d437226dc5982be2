"""Stage 3 — solve: turn a row's printed tokens into candidate value tuples.

Pure functions. Where a page lost its cell separators ("713000074"), every split with no leading
zeros is enumerated and the template's identities keep the ones they allow. A row whose tokens
already number what the template expects is read as printed: identities never rewrite a printed row.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from itertools import product

Values = tuple[int, ...]
Constraint = Callable[[Values], bool]

MAX_DIGITS = 9  # no count in any report comes near a billion
MAX_CANDIDATES = 5000
MAX_COMBINATIONS = 50_000


def row_total_holds(values: Values) -> bool:
    """T3.row: the last value is the sum of the ones before it."""
    return values[-1] == sum(values[:-1])


def groups_total_hold(values: Values, size: int = 5) -> bool:
    """T4.sum: in each group of `size`, the last value is the sum of the others."""
    return all(row_total_holds(values[i : i + size]) for i in range(0, len(values), size))


def _splits(digits: str, parts: int) -> Iterator[tuple[int, ...]]:
    """Every way to cut a digit string into `parts` numbers without leading zeros."""
    if parts == 1:
        if len(digits) <= MAX_DIGITS and (digits == "0" or not digits.startswith("0")):
            yield (int(digits),)
        return
    if digits.startswith("0"):
        heads = [1]
    else:
        heads = range(1, min(MAX_DIGITS, len(digits) - parts + 1) + 1)
    for head in heads:
        for rest in _splits(digits[head:], parts - 1):
            yield (int(digits[:head]), *rest)


def split_tokens(tokens: Sequence[str], n: int, constraint: Constraint | None) -> list[Values]:
    """Readings of whitespace-separated digit tokens as exactly `n` numbers.

    Spaces are kept as boundaries (format.md §3.6: "200 000121" = 20|0|0|0|0|1|21); within a token
    every split is tried. With a constraint, only readings it allows are returned.
    """
    if not tokens or any(not t.isdigit() for t in tokens) or len(tokens) > n or sum(map(len, tokens)) < n:
        return []
    found: list[Values] = []

    def walk(i: int, left: int, acc: tuple[int, ...]) -> None:
        if len(found) >= MAX_CANDIDATES:
            return
        if i == len(tokens):
            if left == 0 and (constraint is None or constraint(acc)):
                found.append(acc)
            return
        remaining_tokens = len(tokens) - i - 1
        for parts in range(1, min(len(tokens[i]), left - remaining_tokens) + 1):
            for piece in _splits(tokens[i], parts):
                walk(i + 1, left - parts, acc + piece)

    walk(0, n, ())
    return found


def drop_one(values: Sequence[int], position: int) -> Values:
    return tuple(v for i, v in enumerate(values) if i != position)


def extra_value_positions(rows: Sequence[Sequence[int]], constraint: Constraint) -> list[int]:
    """Positions whose removal makes every over-long row satisfy the constraint (format.md §3.3)."""
    width = len(rows[0])
    return [p for p in range(width) if all(constraint(drop_one(r, p)) for r in rows)]


def consistent_combinations(
    choices: Sequence[Sequence[Values]], accept: Callable[[Sequence[Values]], bool]
) -> list[tuple[Values, ...]] | None:
    """Combinations of per-row candidates that `accept` allows; None when there are too many to try."""
    total = 1
    for c in choices:
        total *= max(len(c), 1)
        if total > MAX_COMBINATIONS:
            return None
    return [combo for combo in product(*choices) if accept(combo)]
