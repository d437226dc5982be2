"""Table 四 as pdftotext's default mode prints its row (docs/damage.md): the cells in two flows.

pdftotext prints the row of fifteen narrow cells under their wrapped headers in its own reading order, and the
order it makes is of one kind: the columns of a part of the page (one group, or neighbouring groups side by
side) come out as two flows, each in the table's order. The first flow holds, of each group, its first cells
and its last ones (the total, or the total and the cell before it); the second the group's middle cells. Any
group may keep its total alone for the second flow (its `总` among the next group's header); only the last group
of a part may keep more of its cells there with its total (or print whole in the first). These are the
only orders read as the table's: the group totals decide among them, and a pair of numbers printed on one line
is a pair of neighbouring cells. Where the header shows neighbouring columns merged into one block, any of a
group's columns may come in either flow (`MERGED_ORDERS`). Where the table runs over a page break (its header's
last characters and its numbers on the next page), pdftotext orders the next page's blocks as it finds them: the
groups side by side on a part then come in either order (a later group's first cells before an earlier group's),
so the totals, which hold under any exchange of whole groups, do not tell which group came first.
"""

from __future__ import annotations

from functools import cache
from itertools import permutations, product

from nianbao import solve

_WIDTH = 5  # a group's columns: four results and the total
_GROUPS = 3
_PARTS = ([[0, 1, 2]], [[0, 1], [2]], [[0], [1, 2]], [[0], [1], [2]])  # groups printed side by side on a part


def _split(group: int, first: int, last: int) -> tuple[list[int], list[int]]:
    """A group's columns in the first flow (its `first` leading and `last` trailing cells) and in the second."""
    columns = list(range(group * _WIDTH, (group + 1) * _WIDTH))
    head = columns[:first] + columns[_WIDTH - last :] if last else columns[:first]
    return head, [c for c in columns if c not in head]


def _two_flow_splits(group: int, last_beside: bool) -> list[tuple[list[int], list[int]]]:
    """A group's first and second flows as pdftotext prints them: its first cells and its last ones first (any group
    may keep its total alone for the second flow; only the last of several groups side by side may keep its total
    with other cells for it, or print whole in the first)."""
    return [
        _split(group, first, last)
        for first in range(1, _WIDTH + 1)
        for last in range(min(3, _WIDTH - first + 1))
        if (last and first + last < _WIDTH) or (first == _WIDTH - 1 and not last) or last_beside
    ]


def _merged_splits(group: int, last_beside: bool) -> list[tuple[list[int], list[int]]]:
    """A group's flows where pdftotext merged neighbouring columns' headers into one block (a narrow header printed
    a character a line, two columns' characters on one line: `结 结` / `果 果` / `维 纠`): the numbers under such
    a block come out in either flow, so any of its columns may be in the first flow (at least its first)."""
    columns = range(group * _WIDTH, (group + 1) * _WIDTH)
    return [
        ([c for c in columns if m >> c % _WIDTH & 1], [c for c in columns if not m >> c % _WIDTH & 1])
        for m in range(1, 1 << _WIDTH, 2)
    ]


def _part_orders(groups: list[int], splits, any_order: bool = False) -> set[tuple[int, ...]]:
    """The column orders in which pdftotext can print the groups of one part of the page: each group's first flow,
    then each group's second, as `splits` allows them; the groups left to right, or in any order (`any_order`)."""
    orders = {tuple(c for g in groups for c in range(g * _WIDTH, (g + 1) * _WIDTH))}
    for ordered in permutations(groups) if any_order else [groups]:
        choices = [splits(g, len(ordered) > 1 and g == ordered[-1]) for g in ordered]
        for picked in product(*choices):
            heads, tails = zip(*picked, strict=True)
            orders.add(tuple(c for part in (*heads, *tails) for c in part))
    return orders


@cache
def _orders(splits, any_order: bool = False) -> list[tuple[int, ...]]:
    """Every order of table 四's columns as pdftotext prints them, the table's own first, then by cells moved."""
    found = {
        tuple(c for order in orders for c in order)
        for parts in _PARTS
        for orders in product(*(sorted(_part_orders(groups, splits, any_order)) for groups in parts))
    }
    return sorted(found, key=lambda order: (sum(c != i for i, c in enumerate(order)), order))


ORDERS = _orders(_two_flow_splits)
MERGED_ORDERS = _orders(_merged_splits)


def flow_readings(
    values: tuple,
    together: frozenset[int],
    headed: frozenset[int] = frozenset(),
    merged: bool = False,
    broken: bool = False,
    plain: int = 0,
    failing: int = 0,
) -> list[tuple[tuple, tuple[int, ...]]]:
    """The distinct readings of table 四's fifteen printed numbers (in print order) that an order of `ORDERS`
    gives and every group total holds: (the cells in the table's order, the order). `together`: the print
    positions i whose number shares a line with number i + 1 (two cells side by side); `headed`: the counts k of
    numbers printed before header pieces that fall between them (a part's header comes before its numbers, so
    the first k numbers are the table's first k columns); `merged`: the header shows merged columns, so
    `MERGED_ORDERS`; `broken`: a page break falls inside the table, so a part's groups come in either order;
    `plain`: the first `plain` numbers, a part printed before the merged header (under a header of its own that
    merges none), come in the two-flow orders. `failing`: the group totals a reading may fail (the report's own
    errors), none by default."""
    readings: dict[tuple, tuple[int, ...]] = {}
    unmerged = {order[:plain] for order in _orders(_two_flow_splits, broken) if plain and max(order[:plain]) < plain}
    for order in _orders(_merged_splits if merged else _two_flow_splits, broken):
        if any(order[i + 1] != order[i] + 1 for i in together) or (plain and order[:plain] not in unmerged):
            continue
        if any(max(order[:k]) != k - 1 for k in headed):  # k distinct columns, none past the k-th
            continue
        cells = [None] * len(order)
        for at, column in enumerate(order):
            cells[column] = values[at]
        if solve.groups_total_hold.failing_groups(cells) <= failing:
            readings.setdefault(tuple(cells), order)
    return list(readings.items())
