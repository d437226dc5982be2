"""The model loop: answer → pydantic validation → grounding → the checker → a targeted, fresh reprompt.

The model reads the located tables in narrow requests. Each value it gives is grounded against its
row's source text (sources.py); the record is then merged with the parser's reading and re-checked
by the same checker the parser uses. What is still wrong (a failing identity suspected of being an
extraction error, an ungrounded cell, an answer that failed validation, a disagreement the
identities cannot settle) is put to the model again in a fresh request that quotes the identity
with its numbers, the suspect cells and their source lines — never a growing transcript. A budget
of answers and tokens bounds every report; the best attempt is kept, with `needs_review` when it
still is not right. Sums that hold are not proof: a model-made record is verified only when every
identity holds and every model cell is grounded, and a printed number is never replaced by a
computed one.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from extractor.assemble import build_report
from extractor.check import evaluate, table3_identities, table4_identities
from extractor.ingest import Document
from extractor.model.client import ModelClient, ModelUnavailable, client_for
from extractor.model.prompting import REPROMPT, SYSTEM, Unit, units
from extractor.model.settings import SETUP_HINT, Settings
from extractor.model.sources import Grounding, SourceRow, Value, same_value, ground, source_rows
from extractor.parse import ParsedTables
from schemas.record import Cell, Report, Verdict

MAX_REPROMPT_UNITS = 3  # requests per reprompt round: a bad first read must not spend the whole budget at once
UNSETTLED = frozenset({"ungrounded", "parser_disagrees", "not_found", "ambiguous"})


class BudgetSpent(Exception):
    pass


@dataclass
class Spend:
    """What the model path used for one report; answers from the cache count like live ones, so a replay
    follows exactly the path of the run it replays."""

    answers: int = 0
    live: int = 0
    cached: int = 0
    reprompts: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    prompts: set[str] = field(default_factory=set)


@dataclass
class Reading:
    """The model's latest answer for each row it has read."""

    values: dict[str, tuple[Value, ...]] = field(default_factory=dict)
    grounding: dict[str, list[Grounding]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)  # row → why its last answer failed validation

    def copy(self) -> Reading:
        return Reading(dict(self.values), dict(self.grounding), dict(self.errors))


@dataclass
class ModelRun:
    report: Report
    model_values: dict[str, Value]  # the model's own reading in the kept attempt, for measuring the model alone
    spend: Spend
    stop: str


def improve(report: Report, parsed: ParsedTables, doc: Document, mode: str, settings: Settings | None) -> Report:
    """The pipeline's hook: `auto` sends only records the parser did not verify; `model` sends every one."""
    if mode == "auto" and report.verdict not in (Verdict.needs_model, Verdict.failed):
        return report
    settings = settings if settings is not None else Settings.resolve()
    if not settings.configured:
        return without_model(report)
    return run(report, parsed, doc, settings).report


def without_model(report: Report) -> Report:
    """No model configured: say so plainly, and how to set one up."""
    if report.verdict == Verdict.needs_model:
        return report.model_copy(update={"verdict_reason": f"{report.verdict_reason}; {SETUP_HINT}"})
    return report.model_copy(update={"warnings": [*report.warnings, f"model path skipped: {SETUP_HINT}"]})


def run(parser_report: Report, parsed: ParsedTables, doc: Document, settings: Settings, client: ModelClient | None = None) -> ModelRun:
    client = client or client_for(settings)
    rows = source_rows(parsed)
    if not rows:
        note = "model path: no table was located, so there is nothing for the model to read"
        return ModelRun(parser_report.model_copy(update={"warnings": [*parser_report.warnings, note]}), {}, Spend(), note)
    session = _Session(parser_report, parsed, doc, settings, client, rows)
    return session.run()


@dataclass
class _Attempt:
    report: Report
    reading: Reading
    score: int


class _Session:
    """One report's way through the loop."""

    def __init__(self, parser_report: Report, parsed: ParsedTables, doc: Document, settings: Settings, client: ModelClient, rows: list[SourceRow]):
        self.parser_report, self.parsed, self.doc = parser_report, parsed, doc
        self.settings, self.client, self.rows = settings, client, rows
        self.row_of = {key: row for row in rows for key in row.keys}
        self.reading = Reading()
        self.spend = Spend()

    def run(self) -> ModelRun:
        best: _Attempt | None = None
        stop, unavailable = "", None
        try:
            for unit in units(self.rows):
                self.ask(unit)
            best = current = self.assemble()
            for _ in range(self.settings.max_rounds):
                targets = self.problems(current.report)
                if not targets:
                    stop = "nothing left to reprompt"
                    break
                before = self.reading.copy()
                for unit in units(self.rows, set(targets))[:MAX_REPROMPT_UNITS]:
                    self.ask(unit, [p.replace("{row}", unit.label(r)) for r in unit.rows for p in targets.get(r.row, [])])
                current = self.assemble()
                if current.score < best.score:
                    best = current
                if self.reading.values == before.values and self.reading.errors == before.errors:
                    stop = "the model gave the same answers again"
                    break
            else:
                stop = f"{self.settings.max_rounds} reprompt rounds used"
        except BudgetSpent:
            stop = f"budget spent ({self.settings.max_calls} answers or {self.settings.max_tokens} tokens per report)"
        except ModelUnavailable as exc:
            unavailable = str(exc)
            stop = f"model unavailable: {unavailable}"
        if best is None:
            best = self.assemble()
        report = self.finish(best.report, stop, unavailable)
        model_values = {key: v for row, values in best.reading.values.items() for key, v in zip(self._row(row).keys, values)}
        return ModelRun(report, model_values, self.spend, stop)

    def _row(self, name: str) -> SourceRow:
        return next(r for r in self.rows if r.row == name)

    # ------------------------------------------------------------ asking

    def ask(self, unit: Unit, problems: list[str] | None = None) -> None:
        s = self.settings
        if self.spend.answers >= s.max_calls or self.spend.tokens_in + self.spend.tokens_out >= s.max_tokens:
            raise BudgetSpent
        previous = [self.reading.values.get(r.row) or tuple(None for _ in r.keys) for r in unit.rows] if problems else None
        prompts = [SYSTEM, unit.prompt] + ([REPROMPT] if problems else [])
        answer = self.client.ask(
            unit.messages(previous, problems),
            unit.response_model,
            max_tokens=unit.max_tokens,
            prompt_version="+".join(prompts),
            document=self.doc.sha256,
            description=unit.description(self.doc.name) + (" (reprompt)" if problems else ""),
        )
        sp = self.spend
        sp.answers += 1
        sp.live += not answer.cached
        sp.cached += answer.cached
        sp.reprompts += bool(problems)
        sp.tokens_in += answer.tokens_in
        sp.tokens_out += answer.tokens_out
        sp.prompts.update(prompts)
        if answer.parsed is None:
            for row in unit.rows:
                self.reading.errors[row.row] = answer.error or "no answer"
            return
        for row, values in zip(unit.rows, unit.row_values(answer.parsed)):
            self.reading.values[row.row] = values
            self.reading.grounding[row.row] = ground(row, values)
            self.reading.errors.pop(row.row, None)

    # ------------------------------------------------------------ the record

    def assemble(self) -> _Attempt:
        """The record from the parser's cells and the model's current reading, checked from scratch."""
        model_cells = {}
        for name, values in self.reading.values.items():
            row = self._row(name)
            for key, value, g in zip(row.keys, values, self.reading.grounding[name]):
                model_cells[key] = Cell(value=value, raw=g.raw, span=g.span, flags=["model_read", "grounded" if g.grounded else "ungrounded"], source="model")
        cells, note, agreements = merge(self.parser_report.cells, model_cells, self.row_of)
        provenance = self.parser_report.provenance.model_copy(
            update={
                **self.accounting(),
                "cells_from_model": sum(1 for c in cells.values() if c.source == "model"),
                "cells_from_parser": sum(1 for c in cells.values() if c.source == "parser" and (c.value is not None or "blank" in c.flags)),
                "model_parser_agreements": agreements,
            }
        )
        warnings = [*self.parser_report.warnings, *([note] if note else [])]
        report = build_report(self.doc, self.parser_report.source, cells, self.parsed, provenance, warnings)
        return _Attempt(report, self.reading.copy(), score(report))

    def accounting(self) -> dict:
        """The provenance fields that count what the model path used, so far."""
        sp = self.spend
        return {
            "method": "parser+model" if sp.answers else self.parser_report.provenance.method,
            "model": self.settings.model if sp.answers else None,
            "prompt_version": ",".join(sorted(sp.prompts)) or None,
            "attempts": sp.answers,
            "model_calls": sp.live,
            "reprompts": sp.reprompts,
            "tokens_in": sp.tokens_in,
            "tokens_out": sp.tokens_out,
            "cache_hits": sp.cached,
        }

    def problems(self, report: Report) -> dict[str, list[str]]:
        """Row → what to tell the model about it; "{row}" stands for the row's label in the request."""
        out: dict[str, list[str]] = defaultdict(list)
        for row, error in self.reading.errors.items():
            out[row].append(f"the answer for {{row}} was not valid: {error}")
        for check in report.checks:
            if check.severity != "hard" or check.status != "fail" or check.cause == "source":
                continue
            suspects = check.suspects or [k for k in check.cells if report.cells[k].source == "model"]
            by_row: dict[str, list[str]] = defaultdict(list)
            for key in suspects:
                if key in self.row_of:
                    by_row[self.row_of[key].row].append(key)
            for row, keys in by_row.items():
                out[row].append(f"{check.message}. Suspect cells in {{row}}: {', '.join(keys)}")
        for key, cell in report.cells.items():
            if key not in self.row_of:
                continue
            if cell.source == "model" and "ungrounded" in cell.flags:
                out[self.row_of[key].row].append(f"{key} = {_shown(cell.value)} is not printed at its place in {{row}}")
            elif "parser_disagrees" in cell.flags:
                out[self.row_of[key].row].append(f"check {key} against the printed values of {{row}}")
        return dict(out)

    def finish(self, report: Report, stop: str, unavailable: str | None) -> Report:
        """The verdict of a model-made record: never verified on an unsettled cell; needs_review once the
        model has had its try and the record is still not right."""
        report.provenance = report.provenance.model_copy(update={**self.accounting(), "note": stop})
        if unavailable:
            if report.verdict == Verdict.needs_model:
                report.verdict_reason += f"; {stop}"
            return report
        disagreeing = [k for k, c in report.cells.items() if "parser_disagrees" in c.flags]
        if report.verdict == Verdict.verified and disagreeing:
            report.verdict = Verdict.needs_review
            report.verdict_reason = f"parser and model read {len(disagreeing)} cells differently and the identities cannot tell which is right (first: {disagreeing[0]})"
        elif report.verdict == Verdict.needs_model:
            report.verdict = Verdict.needs_review
            report.verdict_reason = f"{report.verdict_reason}; the model path kept its best attempt after {self.spend.answers} answers ({stop})"
        return report


def score(report: Report) -> int:
    """Lower is better: failing identities not blamed on the source, plus cells still unsettled."""
    failing = sum(1 for c in report.checks if c.severity == "hard" and c.status == "fail" and c.cause != "source")
    return failing + sum(1 for c in report.cells.values() if UNSETTLED & set(c.flags))


def _shown(value: Value) -> str:
    return "null" if value is None else str(value)


def _certain(cell: Cell) -> bool:
    return (cell.value is not None or "blank" in cell.flags) and not {"ambiguous", "not_found"} & set(cell.flags)


def failures(cells: dict[str, Cell]) -> int:
    values = {k: c.value for k, c in cells.items()}
    return sum(1 for i in table3_identities(values) + table4_identities() if evaluate(i, values).status == "fail")


def merge(parser: dict[str, Cell], model: dict[str, Cell], row_of: dict[str, SourceRow]) -> tuple[dict[str, Cell], str, int]:
    """Parser and model cells into one record: (cells, a one-line note on disagreements, agreements).

    Where the parser has no certain value the model's is taken (still flagged ambiguous where the
    parser found several readings the identities cannot choose between: a model's pick among them is
    a guess, not evidence). Where both read a
    cell and agree, the agreement is recorded. Where they disagree, the identities decide, row by row,
    and only for a model row that is grounded; where they cannot, the parser's printed reading stays
    and the cells are flagged `parser_disagrees` with both values as candidates.
    """
    cells = dict(parser)
    agreements = 0
    disagree: dict[str, list[str]] = defaultdict(list)
    for key, m in model.items():
        p = parser.get(key, Cell(flags=["not_found"]))
        if _certain(p):
            if same_value(p.value, m.value):
                cells[key] = p.model_copy(update={"flags": sorted(set(p.flags) | {"model_read"} | ({"grounded"} & set(m.flags)))})
                agreements += 1
            else:
                disagree[row_of[key].row].append(key)
        elif "ambiguous" in p.flags and len(p.candidates) > 1:
            cells[key] = m.model_copy(update={"flags": sorted(set(m.flags) | {"ambiguous"}), "candidates": p.candidates})
        else:
            cells[key] = m
    if not disagree:
        return cells, "", agreements
    grounded = {row for row, keys in disagree.items() if all("grounded" in model[k].flags for k in keys)}

    def chosen_cells(rows: set[str]) -> dict[str, Cell]:
        out = dict(cells)
        for row in rows:
            for key in disagree[row]:
                out[key] = model[key]
        return out

    chosen: set[str] = set()
    if grounded and failures(chosen_cells(grounded)) < failures(cells):
        chosen = set(grounded)
    for row in sorted(grounded):
        if failures(chosen_cells(chosen ^ {row})) < failures(chosen_cells(chosen)):
            chosen ^= {row}
    final = chosen_cells(chosen)
    settled_fails = failures(final)
    undecided = [row for row in sorted(grounded) if failures(chosen_cells(chosen ^ {row})) == settled_fails]
    for row in undecided:
        for key in disagree[row]:
            p, m = parser[key], model[key]
            final[key] = p.model_copy(update={"flags": sorted(set(p.flags) | {"model_read", "parser_disagrees"}), "candidates": [p.value, m.value]})
    kept = len(disagree) - len(chosen - set(undecided)) - len(undecided)
    note = (
        f"model and parser read {len(disagree)} rows differently: the identities took the model's reading for "
        f"{len(chosen - set(undecided))}, kept the parser's for {kept}, and cannot decide {len(undecided)}"
        + (f" ({', '.join(undecided[:3])})" if undecided else "")
    )
    return final, note, agreements
