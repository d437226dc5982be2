"""The source rows the model is shown, and the test every model-read value must pass: grounding.

The rows come from the parser's result (`ParsedTables.rows`: each row's label anchor and the value
tokens up to the next label), so the model reads one row's own text and its answer is checked
against that same text. A value is grounded when it is printed at its place in its row: a reading
by position the parser's own row reader allows — the row's cells, or a split of a glued digit run
that the row identity accepts. A value that merely occurs somewhere is not grounded: sums that hold
are not proof, and neither is a number that is printed in the wrong column.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from extractor import solve
from extractor.parse import Item, ParsedTables, TableRow
from schemas.template import ROW_NAMES, T4_GROUP_NAMES

MAX_CHOICES = 4  # a glued run with at most this many readings is shown as those readings

Value = int | Decimal | None


@dataclass
class SourceRow(TableRow):
    """A parser row with the text the model is shown for it."""

    def shown(self) -> str:
        """The row as the model sees it: its name, then its values as printed ("_" for an empty cell).

        A glued digit run ("1000001") is shown as the split its identity allows (a small model copies
        the run whole rather than split it), or as the few splits it allows, to choose from.
        """
        cells = [i for i in self.items if i.kind != "text"]
        values = [i for i in cells if i.kind == "value"]
        if not values:
            return f"{ROW_NAMES[self.row]}: (no numbers printed)"
        printed = [i.text or "_" for i in cells[cells.index(values[0]) : cells.index(values[-1]) + 1]]
        note = ""
        if len(values) < len(self.keys) and all(v.text.isdigit() for v in values):
            splits = solve.split_tokens([v.text for v in values], len(self.keys), self.constraint)
            if len(splits) == 1:
                printed = [str(v) for v in splits[0]]
            elif 1 < len(splits) <= MAX_CHOICES:
                printed = ["one of:", " / ".join(" ".join(map(str, c)) for c in splits)]
            else:
                note = f" (printed without spaces: {len(self.keys)} numbers)"
        if self.table == "四" and len(printed) == len(self.keys):  # one printed row of 15, shown as its three groups
            return "\n".join(
                f"R{g + 1} {name}: " + " ".join(printed[g * 5 : g * 5 + 5]) for g, name in enumerate(T4_GROUP_NAMES)
            )
        return f"{ROW_NAMES[self.row]}: " + " ".join(printed) + note


def source_rows(parsed: ParsedTables) -> list[SourceRow]:
    """Every row of every located table, in template order, as the parser found it."""
    return [SourceRow(**vars(row)) for row in parsed.rows]


@dataclass(frozen=True)
class Grounding:
    grounded: bool
    raw: str | None = None
    span: tuple[int, int] | None = None


def ground(row: SourceRow, values: tuple[Value, ...]) -> list[Grounding]:
    """Per cell: is the model's value printed at its place in the row's source?"""
    n = len(row.keys)
    tokens = [i for i in row.items if i.kind == "value"]
    candidates = row.candidates()
    if not candidates:  # the row's tokens allow no reading by position: nothing to ground on
        return [Grounding(False)] * n
    best = max(candidates, key=lambda c: sum(same_value(a, b) for a, b in zip(c, values)))
    spans = _candidate_spans(row, best, tokens)
    return [Grounding(True, *spans[i]) if same_value(best[i], values[i]) else Grounding(False) for i in range(n)]


def _candidate_spans(
    row: SourceRow, reading: tuple, tokens: list[Item]
) -> list[tuple[str | None, tuple[int, int] | None]]:
    """Where each cell of a positional reading was printed: its own token, or the run it was split from."""
    if len(tokens) == len(reading):
        return [(t.text, (t.start, t.end)) for t in tokens]
    interior = [i for i in row.items if i.kind != "text"]
    if len(interior) == len(reading):
        return [(t.text, (t.start, t.end)) for t in interior]
    if tokens:
        run = (" ".join(t.text for t in tokens), (tokens[0].start, tokens[-1].end))
        return [run] * len(reading)
    return [(None, None)] * len(reading)


def same_value(a: Value, b: Value) -> bool:
    """Equal as printed: for the fee, the same decimal string ("7730.28" is not "7730.280")."""
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, Decimal) or isinstance(b, Decimal):
        return str(a) == str(b)
    return a == b
