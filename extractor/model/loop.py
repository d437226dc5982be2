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

This module is the loop itself; its per-report state is in state.py, the reprompt text in
reprompt.py, the rule that settles parser/model disagreements in arbitrate.py.
"""

from __future__ import annotations

import signal
import time
from concurrent.futures import ThreadPoolExecutor

from nianbao.assemble import build_report
from nianbao.ingest import Document
from nianbao.model.arbitrate import certain, choice_only, merge
from nianbao.model.client import Answer, ModelClient, ModelUnavailable, client_for
from nianbao.model.prompting import REPROMPT, SYSTEM, Unit, units
from nianbao.model.reprompt import problems
from nianbao.model.settings import SETUP_HINT, Settings
from nianbao.model.sources import Region, SourceRow, ground, ground_region, source_rows
from nianbao.model.state import Attempt, BudgetSpent, ModelReading, ModelRun, Spend
from nianbao.model.transport import DeadlinePassed
from nianbao.parse import ParsedTables
from nianbao.schemas.record import UNVERIFIED_FLAGS, Cell, Report, Verdict

MAX_REPROMPT_UNITS = 3  # requests per reprompt round: a bad first read must not spend the whole budget at once
ALARM_MARGIN = 5.0  # seconds a process time limit keeps, past the model path, to assemble and save the record


def seconds_allowed(deadline: float) -> float:
    """The model path's wall time: its deadline, cut to end before the process's own alarm (the --timeout of
    a batch or single-file worker) with time left to save the record: a slow model never costs the parser's."""
    alarm, _ = signal.getitimer(signal.ITIMER_REAL)
    return deadline if alarm <= 0 else max(0.0, min(deadline, alarm - min(ALARM_MARGIN, alarm / 4)))


def improve(report: Report, parsed: ParsedTables, doc: Document, mode: str, settings: Settings | None) -> Report:
    """The pipeline's hook: `auto` sends only records the parser did not verify; `model` sends every one."""
    if mode == "auto" and report.verdict not in (Verdict.needs_model, Verdict.failed):
        return report
    settings = settings if settings is not None else Settings.resolve()
    if not settings.configured:
        return without_model(report)
    return run(report, parsed, doc, settings, only_open=mode == "auto").report


def without_model(report: Report) -> Report:
    """No model configured: say so plainly, and how to set one up."""
    if report.verdict == Verdict.needs_model:
        return report.model_copy(update={"verdict_reason": f"{report.verdict_reason}; {SETUP_HINT}"})
    return report.model_copy(update={"warnings": [*report.warnings, f"model path skipped: {SETUP_HINT}"]})


def run(
    parser_report: Report,
    parsed: ParsedTables,
    doc: Document,
    settings: Settings,
    client: ModelClient | None = None,
    only_open: bool = False,
) -> ModelRun:
    """The model path for one report; with `only_open` (auto mode) it asks only the requests that hold a row
    the parser left open (an uncertain cell, or a suspect of a failing identity), not the rows it settled."""
    client = client or client_for(settings)
    rows = source_rows(parsed, doc.text)
    if not rows:
        note = "model path: no table was located, so there is nothing for the model to read"
        return ModelRun(
            parser_report.model_copy(update={"warnings": [*parser_report.warnings, note]}), {}, Spend(), note
        )
    session = _Session(parser_report, parsed, doc, settings, client, rows)
    return session.run(open_rows(parser_report, session.row_of, only_open=True) if only_open else None)


def open_rows(report: Report, row_of: dict[str, SourceRow], only_open: bool = False) -> set[str]:
    """The rows the parser did not settle: a cell it could not read with certainty, or a failing identity's suspect.
    A row whose every open cell only a choice among the parser's readings could settle is not one: the model's
    pick is no evidence, so asking about it cannot change the verdict. `only_open` (auto mode: the rows asked) also
    leaves out a failure no answer can settle (reprompt.problems)."""
    uncertain = {
        row_of[k].row for k, c in report.cells.items() if k in row_of and not certain(c) and not choice_only(c)
    }
    return uncertain | set(problems(report, {}, row_of, only_open))


def within_budget(asks: list[Unit], budget: int) -> list[Unit]:
    """The questions to ask first, in order, within the answer budget. A region is grounded only as a whole,
    so its parts are asked all or none: a region read in more parts than the budget leaves could not change
    the verdict, and is not asked."""
    chosen: list[Unit] = []
    for unit in asks:
        if any(u is unit for u in chosen):
            continue
        group = [u for u in asks if u.region is not None and u.region is unit.region] or [unit]
        if len(chosen) + len(group) <= budget:
            chosen += group
    return chosen


class _Session:
    """One report's way through the loop."""

    def __init__(
        self,
        parser_report: Report,
        parsed: ParsedTables,
        doc: Document,
        settings: Settings,
        client: ModelClient,
        rows: list[SourceRow],
    ):
        self.parser_report, self.parsed, self.doc = parser_report, parsed, doc
        self.settings, self.client, self.rows = settings, client, rows
        self.row_of = {key: row for row in rows for key in row.keys}
        self.reading = ModelReading()
        self.spend = Spend()
        self.allowed = seconds_allowed(settings.deadline)
        self.until = time.monotonic() + self.allowed

    def run(self, wanted: set[str] | None = None) -> ModelRun:
        best: Attempt | None = None
        stop, unavailable = "", None
        try:
            # the first read in whole requests (the recorded questions), skipping those that hold no wanted row;
            # within the budget, the questions about rows the parser left open go first
            first = [u for u in units(self.rows) if wanted is None or any(r.row in wanted for r in u.rows)]
            still_open = wanted if wanted is not None else open_rows(self.parser_report, self.row_of)
            first.sort(key=lambda u: not any(r.row in still_open for r in u.rows))
            self.ask_all([(unit, None) for unit in within_budget(first, self.settings.max_calls)])
            best = current = self.assemble()
            for _ in range(self.settings.max_rounds):
                targets = problems(current.report, self.reading.errors, self.row_of, wanted is not None)
                if not targets:
                    stop = "nothing left to reprompt"
                    break
                before = self.reading.copy()
                # a choice is not asked again: shown the same lines, the local model names the same rows
                reprompts = [u for u in units(self.rows, set(targets)) if not u.choice][:MAX_REPROMPT_UNITS]
                if not reprompts:
                    stop = "nothing left the model can be asked again"
                    break
                self.ask_all(
                    [
                        (u, [p.replace("{row}", u.label(r)) for r in u.rows for p in targets.get(r.row, [])])
                        for u in reprompts
                    ]
                )
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
        except DeadlinePassed as exc:
            limit = (
                f"{self.settings.deadline:g} s per report"
                if self.allowed == self.settings.deadline
                else f"the {self.allowed:.1f} s the file's time limit left it"
            )
            stop = f"deadline passed ({limit})" + (f", {exc}" if str(exc) else "")
        except ModelUnavailable as exc:
            unavailable = str(exc)
            stop = f"model unavailable: {unavailable}"
        if best is None:
            best = self.assemble()
        report = self.finish(best.report, stop, unavailable)
        model_values = {
            key: v
            for row, values in best.reading.values.items()
            for key, v in zip(self._row(row).keys, values, strict=True)
            if key in self.parser_report.cells
        }
        return ModelRun(report, model_values, self.spend, stop)

    def _row(self, name: str) -> SourceRow:
        return next(r for r in self.rows if r.row == name)

    # ------------------------------------------------------------ asking

    def ask_all(self, asks: list[tuple[Unit, list[str] | None]]) -> None:
        """One round's questions (each a unit and its problems, None on a first read), up to
        `settings.concurrency` in flight at once, so a vLLM or hosted endpoint is kept busy. Answers are
        taken in the round's order, so the record does not depend on which came back first. The answer
        budget holds per question, the token budget between rounds."""
        s = self.settings
        room = s.max_calls - self.spend.answers
        if room <= 0 or self.spend.tokens_in + self.spend.tokens_out >= s.max_tokens:
            raise BudgetSpent
        if time.monotonic() >= self.until:
            raise DeadlinePassed("")
        asked = asks[:room]
        if self.spend.answers == 0 and asked:  # the first question alone: a down endpoint costs one question's retries
            unit, problems = asked.pop(0)
            self.take(unit, problems, self.request(unit, problems, self.previous(unit, problems)))
        pool = ThreadPoolExecutor(max_workers=max(1, min(s.concurrency, len(asked))))
        try:
            futures = [pool.submit(self.request, u, problems, self.previous(u, problems)) for u, problems in asked]
            for (unit, problems), future in zip(asked, futures, strict=True):
                self.take(unit, problems, future.result())
        finally:
            pool.shutdown(cancel_futures=True)  # after a failure, the questions not yet sent are not sent
        if room < len(asks):
            raise BudgetSpent

    def previous(self, unit: Unit, problems: list[str] | None) -> list[tuple] | None:
        """What a reprompt quotes as the model's earlier answer for the unit's rows."""
        return [self.reading.values.get(r.row) or tuple(None for _ in r.keys) for r in unit.rows] if problems else None

    def request(self, unit: Unit, problems: list[str] | None, previous: list[tuple] | None) -> Answer:
        """One question to the model; runs in the round's thread pool, so it touches no session state."""
        return self.client.ask(
            unit.messages(previous, problems),
            unit.response_model,
            max_tokens=unit.max_tokens,
            prompt_version="+".join(self.prompts(unit, problems)),
            document=self.doc.sha256,
            description=unit.description(self.doc.name) + (" (reprompt)" if problems else ""),
            until=self.until,
        )

    @staticmethod
    def prompts(unit: Unit, problems: list[str] | None) -> list[str]:
        return [SYSTEM, unit.prompt] + ([REPROMPT] if problems else [])

    def take(self, unit: Unit, problems: list[str] | None, answer: Answer) -> None:
        """An answer into the spend and the reading."""
        prompts = self.prompts(unit, problems)
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
        for row, values in zip(unit.rows, unit.row_values(answer.parsed), strict=True):
            self.reading.values[row.row] = values
            self.reading.grounding[row.row] = ground(row, values)
            self.reading.errors.pop(row.row, None)
        if unit.region:
            self.ground_region(unit.region)

    def ground_region(self, region: Region) -> None:
        """A region's rows are grounded together: their numbers must be exactly the ones the region prints."""
        rows = [self._row(name) for name in region.rows]
        answers = [self.reading.values.get(row.row) for row in rows]
        for row, grounding in zip(rows, ground_region(region, [len(r.keys) for r in rows], answers), strict=True):
            if row.row in self.reading.values:
                self.reading.grounding[row.row] = grounding

    # ------------------------------------------------------------ the record

    def assemble(self) -> Attempt:
        """The record from the parser's cells and the model's current reading, checked from scratch."""
        model_cells = {}
        for name, values in self.reading.values.items():
            row = self._row(name)
            for key, value, g in zip(row.keys, values, self.reading.grounding[name], strict=True):
                if key not in self.parser_report.cells:  # a collapsed 法人 sum: grounded with its row, no record key
                    continue
                model_cells[key] = Cell(
                    value=value,
                    raw=g.raw,
                    span=g.span,
                    # a region grounds its rows by the order of its numbers, which a table printed column by
                    # column satisfies too: like any placement by order, it stands only where identities confirm it
                    flags=["model_read", "grounded" if g.grounded else "ungrounded"]
                    + (["realigned"] if row.region is not None and g.grounded else []),
                    source="model",
                )
        cells, note, agreements = merge(self.parser_report.cells, model_cells, self.row_of)
        provenance = self.parser_report.provenance.model_copy(
            update={
                **self.accounting(),
                "cells_from_model": sum(
                    1 for c in cells.values() if c.source == "model" and "ungrounded" not in c.flags
                ),
                "cells_from_parser": sum(
                    1 for c in cells.values() if c.source == "parser" and (c.value is not None or "blank" in c.flags)
                ),
                "model_parser_agreements": agreements,
            }
        )
        warnings = [*self.parser_report.warnings, *([note] if note else [])]
        report = build_report(self.doc, self.parser_report.source, cells, self.parsed, provenance, warnings)
        return Attempt(report, self.reading.copy(), score(report))

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
            if self.spend.answers:
                report.verdict_reason += (
                    f"; the model path kept its best attempt after {self.spend.answers} answers ({stop})"
                )
            elif stop.startswith("deadline passed"):
                report.verdict_reason += f"; the model path gave no answer: {stop}"
            else:  # e.g. the 2019 template's table 二, which the model path does not read
                report.verdict_reason += "; the model path has no question it can ask about these cells"
        return report


def score(report: Report) -> int:
    """Lower is better: failing identities not blamed on the source, plus cells still unsettled."""
    failing = sum(1 for c in report.checks if c.severity == "hard" and c.status == "fail" and c.cause != "source")
    return failing + sum(1 for c in report.cells.values() if UNVERIFIED_FLAGS & set(c.flags))
