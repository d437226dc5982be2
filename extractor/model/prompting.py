"""Narrow requests: one table 二, a few rows of table 三, or table 四, each with its rows' source text.

A small model reads one or two rows right and a whole table wrong, so table 三 goes out a few rows
at a time. Answers are compact (a row is an array of numbers, mapped to canonical keys here), since
named fields cost twice the output tokens. Templates live in prompts/<name>.v<N>.txt; the names of
those used are recorded in the record's provenance and are part of every cache key.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from importlib.resources import files
from string import Template
from typing import Annotated, Literal

from nianbao.model.sources import Region, SourceRow, Value
from nianbao.parse import as_number
from nianbao.parse.tables import LEGAL_ENTITIES
from nianbao.schemas.keys import T3_COLUMNS, T4_COLUMNS, T4_GROUPS
from nianbao.schemas.template import (
    ROW_NAMES,
    T3_COLUMN_HEADERS,
    T4_GROUP_NAMES,
    T4_RESULT_HEADERS,
    prompt_names,
    t3_printed_label,
)
from pydantic import BaseModel, Field, create_model, field_validator

SYSTEM = "system.v1"
REPROMPT = "reprompt.v1"
TABLE_PROMPTS = {"二": "table2.v1", "三": "table3_rows.v1", "四": "table4.v1"}
T3_COLLAPSED_PROMPT = "table3_collapsed.v1"  # table 三 with its 法人 columns printed as one (format.md §3.29)
T3_CLIPPED_PROMPT = "table3_clipped.v1"  # table 三 with its 总计 column cut off at the page's edge
T3_WIDTH = 7
# table 三's columns as the prompt names them: all seven, or the 法人 sum where a page prints those five as one
T3_PRINTED_NAMES = dict(zip(T3_COLUMNS, T3_COLUMN_HEADERS, strict=True)) | {LEGAL_ENTITIES: "法人或其他组织"}
REGION_PROMPT = "region.v1"
REGION_CHOICE_PROMPT = "region_lines.v2"
ROWS_PER_REQUEST = 4
T4_GROUP = 5


@lru_cache(maxsize=None)
def template(name: str) -> Template:
    return Template(files("nianbao.prompts").joinpath(f"{name}.txt").read_text(encoding="utf-8").strip())


def _counts(n: int):
    return Annotated[list[int | None], Field(min_length=n, max_length=n)]


class Table2Answer(BaseModel):
    """Named by the prompt's row numbers, so the model lines values up with rows (R1 规章 … R6 收费)."""

    R1: _counts(3)
    R2: _counts(3)
    R3: int | None
    R4: int | None
    R5: int | None
    R6: str | None  # the fee, as printed

    @field_validator("R6")
    @classmethod
    def _decimal(cls, fee: str | None) -> str | None:
        if fee is not None and not re.fullmatch(r"\d+(\.\d+)?", fee.replace(",", "")):
            raise ValueError(f"fee {fee!r} is not a decimal number as printed")
        return fee


@lru_cache(maxsize=None)
def rows_answer(count: int, width: int) -> type[BaseModel]:
    """{"rows": [[width numbers] × count]}: the grammar fixes both lengths."""
    rows = Annotated[list[_counts(width)], Field(min_length=count, max_length=count)]
    return create_model(f"Rows{count}x{width}", rows=(rows, ...))


def _fee(fee: str | None) -> Decimal | None:
    return Decimal(fee.replace(",", "")) if fee is not None else None


@lru_cache(maxsize=None)
def line_choice(lines: int, rows: int) -> type[BaseModel]:
    """{"L1": row letter or null, …}: which template row each printed line is. A small model names the row a
    line is far more reliably than it finds a line for a row whose label is worded otherwise. Rows go by
    letter, not number: a label's own ordinal ("1.属于国家秘密") is not then taken for a row's number."""
    row = Literal[tuple(letters(rows))] | None
    return create_model(f"Lines{lines}of{rows}", **{f"L{i}": (row, ...) for i in range(1, lines + 1)})


def letters(n: int) -> str:
    return "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[:n]


def _fees(n: int):
    """The fee as printed (a decimal string): "7730.28" and "7730.280" are not the same print."""
    return Annotated[list[Annotated[str, Field(pattern=r"^\d+(\.\d+)?$")] | None], Field(min_length=n, max_length=n)]


@lru_cache(maxsize=None)
def region_answer(widths: tuple[int, ...], fee: bool = False) -> type[BaseModel]:
    """{"R1": [numbers], …}: one array per template row (the last one the fee, with `fee`), its length fixed
    by the grammar."""
    last = len(widths)
    fields = {f"R{i}": ((_fees if fee and i == last else _counts)(w), ...) for i, w in enumerate(widths, 1)}
    return create_model(f"Region{'x'.join(map(str, widths))}{'f' if fee else ''}", **fields)


@dataclass
class Unit:
    """One request's worth of rows, all from one table; with `region`, rows the model reads from that page text."""

    table: str
    rows: list[SourceRow]
    region: Region | None = None

    @property
    def choice(self) -> bool:
        """The rows are read by choosing their printed lines, not by writing numbers."""
        return self.region is not None and self.region.choosable(len(self.rows[0].keys))

    def choices(self) -> list[str]:
        """What a choice names each line as: a template row of table 三, or a result of table 四 printed by result."""
        if self.table == "四":
            return list(T4_RESULT_HEADERS)
        return [t3_printed_label(r.row) for r in self.rows]

    def chosen(self, named: list[int | None]) -> list[tuple[Value, ...]]:
        """The rows' values from the lines each choice (1-based) names: a choice named by exactly one line takes
        that line's numbers; table 四's results are its columns, read group by group."""
        lines = [
            [
                tuple(as_number(v.text) for v in values)
                for n, (_, values) in zip(named, self.region.lines, strict=True)
                if n == j
            ]
            for j in range(1, len(self.choices()) + 1)
        ]
        if self.table == "四":
            if any(len(line) != 1 for line in lines):
                return [(None,) * len(self.rows[0].keys)]
            return [tuple(lines[c][0][g] for g in range(len(T4_GROUPS)) for c in range(len(T4_COLUMNS)))]
        return [
            line[0] if len(line) == 1 else (None,) * len(row.keys) for line, row in zip(lines, self.rows, strict=True)
        ]

    @property
    def collapsed(self) -> bool:
        """Table 三 printed with fewer columns (its 法人 columns as one, or its 总计 cut off): the rows hold the
        printed columns only."""
        return self.table == "三" and len(self.rows[0].keys) != T3_WIDTH

    def columns(self) -> str:
        """Table 三's or 四's columns, in order, as the prompt names them."""
        if self.collapsed:
            return ", ".join(T3_PRINTED_NAMES[k.rsplit(".", 1)[1]] for k in self.rows[0].keys)
        return prompt_names()["t3_columns" if self.table == "三" else "t4_columns"]

    @property
    def prompt(self) -> str:
        if self.region:
            return REGION_CHOICE_PROMPT if self.choice else REGION_PROMPT
        if not self.collapsed:
            return TABLE_PROMPTS[self.table]
        return T3_COLLAPSED_PROMPT if self.rows[0].keys[1].endswith(LEGAL_ENTITIES) else T3_CLIPPED_PROMPT

    @property
    def parts(self) -> list[tuple[str, int]]:
        """What the request numbers R1, R2 …: a template row each, except table 四's one row of 15 cells,
        which is asked as its three groups of five."""
        if self.table == "四":
            return [(name, len(T4_COLUMNS)) for name in T4_GROUP_NAMES]
        return [(ROW_NAMES[r.row], len(r.keys)) for r in self.rows]

    @property
    def widths(self) -> tuple[int, ...]:
        return tuple(w for _, w in self.parts)

    @property
    def fee(self) -> bool:
        return self.rows[-1].decimal_last

    @property
    def response_model(self) -> type[BaseModel]:
        if self.choice:
            return line_choice(len(self.region.lines), len(self.choices()))
        if self.region:
            return region_answer(self.widths, self.fee)
        if self.table == "二":
            return Table2Answer
        if self.table == "四":
            return rows_answer(3, T4_GROUP)
        return rows_answer(len(self.rows), len(self.rows[0].keys))

    @property
    def max_tokens(self) -> int:
        """Room for the longest plausible answer: a digit is one token, so count every digit and comma."""
        if self.choice:
            return 8 * len(self.region.lines) + 8
        if self.region:
            return sum(4 * w + 8 for w in self.widths) + 8
        return {"二": 96, "四": 96}.get(self.table, 4 * len(self.rows[0].keys) * len(self.rows) + 16)

    def task(self) -> str:
        if self.choice:
            lines = "\n".join(
                f"L{i} {label or '(no label)'}: {' '.join(v.text for v in values)}"
                for i, (label, values) in enumerate(self.region.lines, 1)
            )
            choices = self.choices()
            rows = "\n".join(f"{c} {name}" for c, name in zip(letters(len(choices)), choices, strict=True))
            shape = ", ".join(f'"L{i}": row letter' for i in range(1, len(self.region.lines) + 1))
            return template(self.prompt).substitute(table=self.table, lines=lines, rows=rows, shape=shape)
        if self.region:
            rows = "\n".join(f"R{i} {name}: {width} numbers" for i, (name, width) in enumerate(self.parts, 1))
            if self.table != "二":
                rows += f"\nThe {self.widths[0]} numbers of a row are, in order: {self.columns()}."
            shape = ", ".join(f'"R{i}": [{w} numbers]' for i, w in enumerate(self.widths, 1))
            return template(self.prompt).substitute(table=self.table, text=self.region.text, rows=rows, shape=shape)
        if self.table == "四":
            shown = self.rows[0].shown()
        else:
            shown = "\n".join(f"R{i} {row.shown()}" for i, row in enumerate(self.rows, 1))
        names = prompt_names() | {"t3_columns": self.columns(), "width": len(self.rows[0].keys)}
        return template(self.prompt).substitute(rows=shown, count=len(self.rows), **names)

    def messages(
        self, previous: list[tuple[Value, ...]] | None = None, problems: list[str] | None = None
    ) -> list[dict]:
        """The first request, or a fresh reprompt: the same task, the earlier answer, and what is wrong with it."""
        user = self.task()
        if problems:
            user = template(REPROMPT).substitute(
                task=user, previous=self.render(previous), problems="\n".join(f"- {p}" for p in problems)
            )
        return [{"role": "system", "content": template(SYSTEM).template}, {"role": "user", "content": user}]

    def row_values(self, answer: BaseModel) -> list[tuple[Value, ...]]:
        """The answer as one tuple per source row, in the order of the row's canonical keys."""
        if self.choice:
            count = len(self.choices())
            named = [getattr(answer, f"L{i}") for i in range(1, len(self.region.lines) + 1)]
            named = [None if n is None else letters(count).index(n) + 1 for n in named]
            return self.chosen(fill_bare([label for label, _ in self.region.lines], named, count))
        if self.region:
            flat = [v for i in range(1, len(self.widths) + 1) for v in getattr(answer, f"R{i}")]
            if self.fee:
                flat[-1] = _fee(flat[-1])
            return _split(flat, [len(r.keys) for r in self.rows])
        if self.table == "二":
            return [tuple(answer.R1), tuple(answer.R2), (answer.R3,), (answer.R4,), (answer.R5,), (_fee(answer.R6),)]
        if self.table == "四":
            return [tuple(v for group in answer.rows for v in group)]
        return [tuple(r) for r in answer.rows]

    def render(self, values: list[tuple[Value, ...]] | None) -> str:
        """An earlier answer in the shape the model wrote it."""
        values = values or [tuple(None for _ in row.keys) for row in self.rows]
        if self.choice:  # each line named as the choice whose numbers it gave
            numbers = [tuple(as_number(v.text) for v in vs) for _, vs in self.region.lines]
            choices = values
            if self.table == "四":  # a result's numbers: its column, one per group
                choices = [tuple(values[0][g * T4_GROUP + c] for g in range(len(T4_GROUPS))) for c in range(T4_GROUP)]
            named = {
                choice: c
                for c, choice in zip(letters(len(choices)), choices, strict=True)
                if any(v is not None for v in choice)
            }
            return json.dumps({f"L{i}": named.get(line) for i, line in enumerate(numbers, 1)})
        if self.region:
            flat = [None if v is None else str(v) if isinstance(v, Decimal) else v for row in values for v in row]
            return json.dumps({f"R{i}": list(part) for i, part in enumerate(_split(flat, self.widths), 1)})
        if self.table == "二":
            r1, r2, (r3,), (r4,), (r5,), (fee,) = values
            return json.dumps(
                {"R1": list(r1), "R2": list(r2), "R3": r3, "R4": r4, "R5": r5, "R6": None if fee is None else str(fee)}
            )
        if self.table == "四":
            flat = list(values[0])
            return json.dumps({"rows": [flat[i : i + T4_GROUP] for i in range(0, len(flat), T4_GROUP)]})
        return "\n".join(f"R{i}: {json.dumps(list(v))}" for i, v in enumerate(values, 1))

    def label(self, row: SourceRow) -> str:
        """How a problem line names a row: by its R-number where the prompt numbers rows."""
        if self.choice:
            return f"row {self.rows.index(row) + 1}"
        if self.table == "四":
            return "R1, R2 and R3" if self.region else "the table"
        return f"R{self.rows.index(row) + 1}"

    def description(self, case: str) -> str:
        names = [r.row for r in self.rows]
        span = names[0] if len(names) == 1 else f"{names[0]} … {names[-1]} ({len(names)} rows)"
        return f"{case}: table {self.table}, {span}" + (" from the page text" if self.region else "")


def fill_bare(labels: list[str], named: list[int | None], rows: int) -> list[int | None]:
    """A line printed with no label names no row of its own, whatever the model says: bare lines fill the
    rows between the labelled lines the model named, in order, where the gap holds exactly as many rows
    (the region's edges count as named rows 0 and rows + 1). Elsewhere they name none."""
    out = [n if label else None for label, n in zip(labels, named, strict=True)]
    i = 0
    while i < len(out):
        if labels[i]:
            i += 1
            continue
        j = i
        while j < len(out) and not labels[j]:
            j += 1
        before = out[i - 1] if i > 0 else 0
        after = out[j] if j < len(out) else rows + 1
        if before is not None and after is not None and after - before - 1 == j - i:
            out[i:j] = range(before + 1, after)
        i = j
    return out


def _split(flat: list, widths) -> list[tuple]:
    """A flat list of values cut into consecutive tuples of the given widths."""
    out, at = [], 0
    for width in widths:
        out.append(tuple(flat[at : at + width]))
        at += width
    return out


def units(rows: list[SourceRow], wanted: set[str] | None = None) -> list[Unit]:
    """Tables 二 and 四 whole (their answer shape is fixed), table 三 a few rows at a time; the rows the parser
    could not read, from their region's text (table 三's a few rows at a time, unless the model need only name
    its lines). A region that prints more or fewer numbers than its rows hold is not asked: no answer could
    be grounded there. A table with a region is not also asked whole: its fixed shape would not line up.

    With `wanted` (row names), only the tables that hold one of them, and of table 三 only those rows.
    """
    out = []
    regions = list(dict.fromkeys(r.region for r in rows if r.region is not None))
    for region in regions:
        mine = [r for r in rows if r.region is region]  # a region is read whole: its grounding is a partition
        if wanted is not None and not any(r.row in wanted for r in mine):
            continue
        if not region.groundable([len(r.keys) for r in mine]):
            continue
        parts = 1 if region.table != "三" or region.choosable(len(mine[0].keys)) else -(-len(mine) // ROWS_PER_REQUEST)
        out += [
            Unit(region.table, mine[len(mine) * k // parts : len(mine) * (k + 1) // parts], region)
            for k in range(parts)
        ]
    with_region = {r.table for r in rows if r.region is not None}
    rows = [r for r in rows if r.region is None and (r.table == "三" or r.table not in with_region)]
    for table in ("二", "三", "四"):
        mine = [r for r in rows if r.table == table]
        if wanted is not None:
            if not any(r.row in wanted for r in mine):
                continue
            if table == "三":
                mine = [r for r in mine if r.row in wanted]
        if mine:
            parts = -(-len(mine) // ROWS_PER_REQUEST) if table == "三" else 1  # 25 rows: 4+4+4+4+3+3+3, not …+1
            out += [Unit(table, mine[len(mine) * k // parts : len(mine) * (k + 1) // parts]) for k in range(parts)]
    return sorted(out, key=lambda u: "二三四".index(u.table))  # template order; a region before its table's rows
