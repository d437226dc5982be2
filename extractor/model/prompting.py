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
from typing import Annotated

from pydantic import BaseModel, Field, create_model, field_validator

from extractor.model.sources import SourceRow, Value
from schemas.template import prompt_names

SYSTEM = "system.v1"
REPROMPT = "reprompt.v1"
TABLE_PROMPTS = {"二": "table2.v1", "三": "table3_rows.v1", "四": "table4.v1"}
ROWS_PER_REQUEST = 4
T4_GROUP = 5


@lru_cache(maxsize=None)
def template(name: str) -> Template:
    return Template(files("prompts").joinpath(f"{name}.txt").read_text(encoding="utf-8").strip())


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


@dataclass
class Unit:
    """One request's worth of rows, all from one table."""

    table: str
    rows: list[SourceRow]

    @property
    def prompt(self) -> str:
        return TABLE_PROMPTS[self.table]

    @property
    def response_model(self) -> type[BaseModel]:
        if self.table == "二":
            return Table2Answer
        if self.table == "四":
            return rows_answer(3, T4_GROUP)
        return rows_answer(len(self.rows), 7)

    @property
    def max_tokens(self) -> int:
        """Room for the longest plausible answer: a digit is one token, so count every digit and comma."""
        return {"二": 96, "四": 96}.get(self.table, 28 * len(self.rows) + 16)

    def task(self) -> str:
        if self.table == "四":
            shown = self.rows[0].shown()
        else:
            shown = "\n".join(f"R{i} {row.shown()}" for i, row in enumerate(self.rows, 1))
        return template(self.prompt).substitute(rows=shown, count=len(self.rows), **prompt_names())

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
        if self.table == "二":
            fee = Decimal(answer.R6.replace(",", "")) if answer.R6 is not None else None
            return [tuple(answer.R1), tuple(answer.R2), (answer.R3,), (answer.R4,), (answer.R5,), (fee,)]
        if self.table == "四":
            return [tuple(v for group in answer.rows for v in group)]
        return [tuple(r) for r in answer.rows]

    def render(self, values: list[tuple[Value, ...]] | None) -> str:
        """An earlier answer in the shape the model wrote it."""
        values = values or [tuple(None for _ in row.keys) for row in self.rows]
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
        return "the table" if self.table == "四" else f"R{self.rows.index(row) + 1}"

    def description(self, case: str) -> str:
        names = [r.row for r in self.rows]
        span = names[0] if len(names) == 1 else f"{names[0]} … {names[-1]} ({len(names)} rows)"
        return f"{case}: table {self.table}, {span}"


def units(rows: list[SourceRow], wanted: set[str] | None = None) -> list[Unit]:
    """Tables 二 and 四 whole (their answer shape is fixed), table 三 a few rows at a time.

    With `wanted` (row names), only the tables that hold one of them, and of table 三 only those rows.
    """
    out = []
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
    return out
