"""Stage 3 — solve: turn a row's printed tokens into candidate value tuples.

Pure functions. Where a page lost its cell separators ("713000074"), every split with no leading
zeros is enumerated and the template's identities keep the ones they allow. A row whose tokens
already number what the template expects is read as printed: identities never rewrite a printed row.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate, combinations, product

Values = tuple[int, ...]
Constraint = Callable[[Values], bool]

MAX_DIGITS = 9  # no count in any report comes near a billion
MAX_CANDIDATES = 5000
MAX_COMBINATIONS = 50_000


@dataclass(frozen=True)
class GroupTotals:
    """Each group of `size` consecutive values ends with the sum of the others (size None: the whole row).

    T3.row is one group of 7; T4.sum is three groups of 5. Knowing the shape lets the splitter
    compute each total instead of enumerating it, which keeps long glued runs fast.
    """

    size: int | None = None

    def __call__(self, values: Values) -> bool:
        return self.failing_groups(values) == 0

    def failing_groups(self, values: Values) -> int:
        size = self.size or len(values)
        if len(values) % size:
            return len(values) // size + 1
        return sum(values[i + size - 1] != sum(values[i : i + size - 1]) for i in range(0, len(values), size))


row_total_holds = GroupTotals()  # T3.row
groups_total_hold = GroupTotals(5)  # T4.sum


def balancing_groups(values: Sequence[int], groups: int = 3) -> int:
    """The most groups of five, taken apart from the numbers, whose largest is the sum of the other four: how many
    of table 四's three totals some order of its printed numbers holds."""
    if groups == 0:
        return 0
    ordered = sorted(values)
    best = 0
    for t in sorted(set(ordered), reverse=True):
        if best == groups:
            break
        rest = list(ordered)
        rest.remove(t)
        for others in set(combinations(rest, 4)):
            if sum(others) == t:
                left = list(rest)
                for v in others:
                    left.remove(v)
                best = max(best, 1 + balancing_groups(left, groups - 1))
                if best == groups:
                    break
    return best


def split_tokens(tokens: Sequence[str], n: int, constraint: Constraint | None) -> list[Values]:
    """Readings of whitespace-separated digit tokens as exactly `n` numbers.

    Spaces are kept as boundaries (format.md §3.6: "200 000121" = 20|0|0|0|0|1|21); within a token
    every split is tried. With a constraint, only readings it allows are returned; a `GroupTotals`
    constraint is applied while splitting (each total computed, then looked for in the digits).
    """
    if not tokens or any(not t.isdigit() for t in tokens) or len(tokens) > n or sum(map(len, tokens)) < n:
        return []
    digits = "".join(tokens)
    boundaries = set()
    position = 0
    for token in tokens[:-1]:
        position += len(token)
        boundaries.add(position)
    group = (constraint.size or n) if isinstance(constraint, GroupTotals) else None
    found: list[Values] = []

    def fits(start: int, end: int) -> bool:
        """A number may not cross a space, nor start with 0 unless it is 0."""
        return not any(b in boundaries for b in range(start + 1, end)) and (end - start == 1 or digits[start] != "0")

    def walk(pos: int, acc: tuple[int, ...]) -> None:
        if len(found) >= MAX_CANDIDATES:
            return
        left = n - len(acc)
        if left == 0:
            if pos == len(digits) and (constraint is None or constraint(acc)):
                found.append(acc)
            return
        if len(digits) - pos < left:
            return
        if group and (len(acc) + 1) % group == 0:
            total = str(sum(acc[len(acc) - group + 1 :]))
            end = pos + len(total)
            if digits.startswith(total, pos) and fits(pos, end):
                walk(end, (*acc, int(total)))
            return
        for end in range(pos + 1, min(pos + MAX_DIGITS, len(digits)) + 1):
            if any(b in boundaries for b in range(pos + 1, end)):
                break
            if fits(pos, end):
                walk(end, (*acc, int(digits[pos:end])))

    def walk_to_total(pos: int, end: int, acc: tuple[int, ...], total: int) -> None:
        """Parts before a known total: their running sum may never pass it."""
        if len(found) >= MAX_CANDIDATES:
            return
        if len(acc) == n - 1:
            if pos == end and sum(acc) == total:
                found.append((*acc, total))
            return
        if end - pos < n - 1 - len(acc):
            return
        for stop in range(pos + 1, min(pos + MAX_DIGITS, end) + 1):
            if any(b in boundaries for b in range(pos + 1, stop)):
                break
            value = int(digits[pos:stop])
            budget = total - sum(acc) - value
            if budget < 0:
                break
            parts_after = n - 2 - len(acc)
            if end - stop > parts_after * len(str(budget)):  # the digits left could not fit in the parts left
                continue
            if fits(pos, stop):
                walk_to_total(stop, end, (*acc, value), total)

    if group == n:  # one row with its total last: the total is a suffix, so take it first and bound the rest
        for length in range(1, min(MAX_DIGITS, len(digits) - n + 1) + 1):
            start = len(digits) - length
            if fits(start, len(digits)):
                walk_to_total(0, start, (), int(digits[start:]))
        return [f for f in found if constraint(f)]
    walk(0, ())
    return found


def split_with_extra(tokens: Sequence[str], n: int, constraint: GroupTotals) -> list[Values]:
    """Readings of a glued table 三 row that printed one value too many (format.md §3.3 in a §3.5 run), as the
    `n` cells left once the extra is dropped: a value printed twice (`2626`: 26 twice, the copies whole numbers
    side by side), or a 法人小计 after 自然人 (the sum of the five 法人 columns, so 总计 is 自然人 plus it). Only
    readings `constraint` (the row total) allows; the caller knows no plain split exists. The column identities
    then choose: a row's own total alone is no evidence against the agency's own error in that row."""
    if not tokens or any(not t.isdigit() for t in tokens):
        return []
    digits = "".join(tokens)
    cuts, position = set(), 0
    for token in tokens[:-1]:
        position += len(token)
        cuts.add(position)
    found: set[Values] = set()
    for start in range(len(digits)):
        for length in range(1, min(MAX_DIGITS, (len(digits) - start) // 2) + 1):
            copy = digits[start : start + length]
            middle, end = start + length, start + 2 * length
            if copy != digits[middle:end] or (length > 1 and copy[0] == "0"):
                continue
            if any(start < c < middle or middle < c < end for c in cuts):
                continue  # a space inside a copy: not one number printed twice
            kept = {c if c <= middle else c - length for c in cuts if not middle < c <= end or c == end}
            rest = digits[:middle] + digits[end:]
            bounds = sorted((kept | {start, middle}) - {0, len(rest)})
            pieces = [rest[a:b] for a, b in zip([0, *bounds], [*bounds, len(rest)], strict=True)]
            found.update(split_tokens(pieces, n, constraint))
    if n == 7:
        found.update(_split_subtotal(digits, cuts))
    return sorted(found)


def _split_subtotal(digits: str, cuts: set[int]) -> list[Values]:
    """自然人 | 法人小计 | five 法人 columns | 总计 glued: 总计 = 自然人 + 小计, the columns sum to 小计."""
    found = []
    for a in range(1, min(MAX_DIGITS, len(digits)) + 1):
        if (a > 1 and digits[0] == "0") or any(0 < c < a for c in cuts):
            break
        for b in range(a + 1, min(a + MAX_DIGITS, len(digits)) + 1):
            if (b - a > 1 and digits[a] == "0") or any(a < c < b for c in cuts):
                break
            natural, sub = int(digits[:a]), int(digits[a:b])
            total = str(natural + sub)
            stop = len(digits) - len(total)
            if stop - b < 5 or not digits.endswith(total) or any(c > stop for c in cuts):
                continue
            bounds = sorted(c - b for c in cuts if b < c < stop)
            middle = digits[b:stop]
            pieces = [middle[x:y] for x, y in zip([0, *bounds], [*bounds, len(middle)], strict=True)]
            for columns in split_tokens([*pieces, str(sub)], 6, row_total_holds) if len(pieces) <= 5 else []:
                found.append((natural, *columns[:5], natural + sub))
    return found


MAX_JOINS = 7  # wrapped numbers joined in one row at most: table 三's seven cells each wrapped once (A6 paper)


def join_tokens(
    tokens: Sequence[str], n: int, constraint: Constraint, most: int = MAX_JOINS, whole: frozenset[int] = frozenset()
) -> list[Values]:
    """Readings of more digit tokens than cells where a cell's digits wrapped onto the next line ("2" / "48"
    for 248, format.md §3.32): neighbouring tokens joined into exactly `n` numbers, at most `most` joins, no
    joined number starting with 0, no token at a position in `whole` (a zero marker) joined; only readings
    the constraint allows."""
    extra = len(tokens) - n
    if extra > most and isinstance(constraint, GroupTotals) and constraint.size in (None, n):
        return list(_joined_to_total(tuple(tokens), n, frozenset(whole)))
    if not 0 < extra <= most or any(not t.isdigit() for t in tokens):
        return []
    found: list[Values] = []

    def walk(pos: int, joins: int, acc: tuple[int, ...], joined: tuple[int, ...]) -> None:
        if pos == len(tokens):
            if len(acc) == n and (constraint(acc) or _joins_hold(constraint, acc, joined)):
                found.append(acc)
            return
        for width in range(1, extra - joins + 2):
            group = tokens[pos : pos + width]
            if len(group) < width or (
                width > 1 and (group[0].startswith("0") or not whole.isdisjoint(range(pos, pos + width)))
            ):
                break
            digits = "".join(group)
            if len(digits) <= MAX_DIGITS:
                walk(pos + width, joins + width - 1, (*acc, int(digits)), joined + ((len(acc),) if width > 1 else ()))

    walk(0, 0, (), ())
    return found


@lru_cache(maxsize=1024)  # a row's pieces are asked for again by each alignment the table tries
def _joined_to_total(
    tokens: tuple[str, ...], n: int, whole: frozenset[int], budget: int = 100_000
) -> tuple[Values, ...]:
    """join_tokens for a row of `n` cells whose last is the sum of the others (T3.row) printed in more pieces than any
    number of joins tried in turn allows (A6 paper prints table 三's counts a digit a line: `8` / `9` / `3` / …): the
    total is the row's last pieces joined, and the others are joined into `n` - 1 numbers that add up to it, none
    wider than it. Every such reading; none where the search runs past its `budget` of steps."""
    if n < 2 or len(tokens) < n or any(not t.isdigit() for t in tokens) or sum(map(len, tokens)) > n * MAX_DIGITS:
        return ()
    found: list[Values] = []
    steps = [budget]
    digits = "".join(tokens)
    ends = list(accumulate(map(len, tokens), initial=0))  # where each token's digits begin

    def joined(start: int, end: int) -> int | None:
        if end - start > 1 and (tokens[start][0] == "0" or not whole.isdisjoint(range(start, end))):
            return None
        return int(digits[ends[start] : ends[end]]) if ends[end] - ends[start] <= MAX_DIGITS else None

    def walk(pos: int, stop: int, acc: tuple[int, ...], need: int, widest: int) -> None:
        steps[0] -= 1
        left = n - 1 - len(acc)
        if steps[0] < 0 or not left <= stop - pos or ends[stop] - ends[pos] > left * widest:
            return
        if left == 1:  # the last number is the rest
            if joined(pos, stop) == need:
                found.append((*acc, need, sum(acc) + need))
            return
        for end in range(pos + 1, stop - left + 2):
            value = joined(pos, end)
            if value is None or value > need:
                break
            walk(end, stop, (*acc, value), need - value, widest)

    for start in range(len(tokens) - 1, n - 2, -1):
        if ends[-1] - ends[start] > MAX_DIGITS:
            break
        if (total := joined(start, len(tokens))) is not None:
            walk(0, start, (), total, len(str(total)))
    return () if steps[0] < 0 else tuple(found)


def _joins_hold(constraint: Constraint, values: Values, joined: tuple[int, ...]) -> bool:
    """Table 四's three groups: the groups holding a joined number hold, and one other group fails as printed
    (the agency's own error, which the checker reports): each joining is checked by its own group."""
    size = getattr(constraint, "size", None)
    if not size or len(values) <= size or len(values) % size:
        return False
    failing = [i for i in range(0, len(values), size) if not constraint(values[i : i + size])]
    return len(failing) == 1 and all(not failing[0] <= j < failing[0] + size for j in joined)


def drop_one(values: Sequence[int], position: int) -> Values:
    return tuple(v for i, v in enumerate(values) if i != position)


def extra_value_positions(rows: Sequence[Sequence[int]], constraint: Constraint) -> list[int]:
    """Positions whose removal makes every over-long row satisfy the constraint (format.md §3.3)."""
    width = len(rows[0])
    return [p for p in range(width) if all(constraint(drop_one(r, p)) for r in rows)]


def explains_extra(values: Sequence[int], position: int) -> bool:
    """Whether the value at `position` looks printed twice or as a subtotal of the values after it.

    An extra value is a converter's artefact: a merged cell emitted again, or a printed subtotal
    (法人或其他组织小计). A drop that removes anything else would be the identities "fixing" the
    report, so it is not taken on their word alone.
    """
    value = values[position]
    if (position > 0 and values[position - 1] == value) or (
        position + 1 < len(values) and values[position + 1] == value
    ):
        return True
    # a subtotal is printed before the columns it sums (自然人 | 法人小计 | 商业企业 … 其他 | 总计)
    return any(sum(values[position + 1 : position + 1 + k]) == value for k in range(2, len(values) - position))


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
