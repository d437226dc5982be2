"""A person's corrections (corrections.jsonl, schemas/corrections.py) applied to a record, which is then checked
like any other.

A corrected cell takes the person's value with `source: "person"` and the flag `corrected` (it differs
from what was read; the reading stays in `candidates`) or `confirmed` (it agrees). A person's value is
evidence: the record stands behind it unless an identity it takes part in fails. Every identity is
recomputed; one that a correction breaks leaves the record `needs_review`, its failing check naming the
cells, since a mistyped value and the agency's own slip look the same.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from nianbao.assemble import decide
from nianbao.check import run_checks
from nianbao.ingest import Document
from nianbao.parse import ParsedTables
from nianbao.schemas.corrections import Correction, merge, parse_line
from nianbao.schemas.record import Cell, Report, Verdict


class CorrectionsError(Exception):
    """The corrections file cannot be used at all (missing, unreadable); the message is one line."""


def load(path: Path) -> tuple[dict[str, Correction], list[str]]:
    """Input hash → its corrections, and one line for each line of the file that is not applied (why)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise CorrectionsError(f"--corrections {path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CorrectionsError(
            f"--corrections {path}: cannot read it ({getattr(exc, 'strerror', None) or exc})"
        ) from None
    good, problems = [], []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            good.append(parse_line(line))
        except ValueError as exc:
            problems.append(f"{path}:{number}: {exc}: line not applied")
    return merge(good), problems


def _same(a: object, b: object) -> bool:
    """Equal as printed: 1.0 and 1.00 are different fees."""
    return type(a) is type(b) and str(a) == str(b)


def _readings(cell: Cell) -> list[int | Decimal | None]:
    """What the machine read at a cell: its value, or the candidates it left open."""
    readings = [cell.value] if cell.value is not None else []
    return readings + [c for c in cell.candidates if c is not None and not any(_same(c, r) for r in readings)]


def person_cell(value: int | Decimal | None, machine: Cell) -> Cell:
    """The person's value at a cell, kept where the machine read it (raw, span, page, box)."""
    agrees = _same(value, machine.value) and (value is not None or "blank" in machine.flags)
    return machine.model_copy(
        update={
            "value": value,
            "flags": ["blank"] * (value is None) + ["confirmed" if agrees else "corrected"],
            "source": "person",
            "candidates": [] if agrees else _readings(machine),
            "confidence": None,
        }
    )


def apply(report: Report, correction: Correction, doc: Document, parsed: ParsedTables | None) -> Report:
    """The record with the person's values in, its checks, warnings and verdict recomputed from scratch."""
    cells = dict(report.cells)
    skipped = []
    for key, value in correction.cells.items():
        machine = cells.get(key)
        if machine is None:
            skipped.append(key)
        elif not (machine.source == "person" and _same(machine.value, value)):  # applied again after the model path
            cells[key] = person_cell(value, machine)
    old_soft = {c.message for c in report.checks if c.severity == "soft" and c.status == "fail"}
    report = report.with_cells(cells)
    judge(report, parsed, doc.text)
    report.warnings = [
        *(w for w in report.warnings if w not in old_soft),
        *(c.message for c in report.checks if c.severity == "soft" and c.status == "fail"),
        *(f"corrections: {k} is not a cell of this {report.meta.template} record: not applied" for k in skipped),
    ]
    report.provenance = report.provenance.model_copy(
        update={
            "cells_from_person": sum(1 for c in report.cells.values() if c.source == "person"),
            "corrections_sha256": correction.digest,
        }
    )
    if doc.warnings and report.verdict != Verdict.verified:
        report.verdict_reason = "; ".join([*doc.warnings, report.verdict_reason])
    return report


def judge(report: Report, parsed: ParsedTables | None, text: str) -> None:
    """Checks and verdict from scratch, in place, for any record (`nianbao check` too). A failing identity with a
    person's corrected value in it has cause `unknown` and names that cell: a mistyped value and the agency's own
    slip look the same, so the record is `needs_review`."""
    report.checks = run_checks(report.cells, text)
    typed = {k for k, c in report.cells.items() if "corrected" in c.flags and c.source == "person"}
    broken = []
    for check in report.checks:
        if check.severity == "hard" and check.status == "fail" and typed & set(check.cells):
            check.cause = "unknown"
            # the typed cell a row and a column failure meet at, where localise found one; else every typed cell
            named = [k for k in check.suspects if k in typed] or [k for k in check.cells if k in typed]
            check.suspects = [*check.suspects, *(k for k in named if k not in check.suspects)]
            broken.append((check, named))
    if broken:
        names = ", ".join(f"{c.id} ({', '.join(named)})" for c, named in broken)
        report.verdict = Verdict.needs_review
        report.verdict_reason = f"a person's corrections break {names}: check the values typed against the page"
    else:
        report.verdict, report.verdict_reason = decide(report, parsed, text)
    person = sum(1 for c in report.cells.values() if c.source == "person")
    if person:
        report.verdict_reason += f" ({person} cells as a person corrected or confirmed them)"


def applied(corrections: dict[str, Correction], sha256: str) -> str | None:
    """The digest a record of this input carries once extracted with these corrections (None: none)."""
    correction = corrections.get(sha256)
    return correction.digest if correction else None
