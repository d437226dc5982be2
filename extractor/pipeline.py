"""The pipeline: ingest → parse → check → verdict, and the model path for what the parser leaves.

`extract_path` is what the CLI, the batch runner and the eval all call.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from extractor.check import CHECKER_VERSION, run_checks
from extractor.ingest import Document, ingest_path
from extractor.meta import extract_meta
from extractor.parse import PARSER_VERSION, _END_TITLE, ParsedTables, parse_tables
from schemas.keys import ALL_KEYS, T2_KEYS, OTHER_SUB_ROWS, OTHER_TOTAL_KEYS, T3_COLUMNS, t3_key
from schemas.record import Cell, Provenance, Report, Verdict

MODES = ("rules", "model", "auto")


@dataclass(frozen=True)
class Options:
    mode: str = "rules"  # rules: parser only; model: the model reads every table; auto: model only where the parser did not verify
    model: object | None = None  # extractor.model settings, when a model is configured


def complete_cells(parsed: ParsedTables) -> dict[str, Cell]:
    """All 200 keys: what the parser read, and an explicit `not_found` for the rest."""
    cells = dict(parsed.cells)
    two_thousand_nineteen = any(k in cells for k in OTHER_TOTAL_KEYS)
    for key in ALL_KEYS:
        if key in cells:
            continue
        if two_thousand_nineteen and any(key == t3_key(r, c) for r in OTHER_SUB_ROWS for c in T3_COLUMNS):
            cells[key] = Cell(flags=["blank"])  # the 2019 template has no such row
        else:
            cells[key] = Cell(flags=["not_found"])
    return cells


def truncated(text: str, parsed: ParsedTables) -> bool:
    """The page stops inside the tables: no table 四 and no later section after table 三."""
    start = parsed.regions.t3[0] if parsed.regions.t3 else (parsed.regions.t2[0] if parsed.regions.t2 else None)
    return start is not None and parsed.regions.t4 is None and not _END_TITLE.search(text, start + 200)


def decide(report: Report, parsed: ParsedTables | None, text: str) -> tuple[Verdict, str]:
    """The record's verdict and a one-line reason a user can act on."""
    cells = report.cells
    if parsed is not None and not parsed.rows_found:
        if report.meta.title or "政府信息公开" in text:
            return Verdict.failed, "no table of the 2019/2021 template (二, 三, 四) found: a pre-2019 report (统计表) or prose only"
        return Verdict.failed, "not a report: none of the three tables (二, 三, 四) was found"
    not_applicable = T2_KEYS if report.meta.template == "gov2019" else ()  # 2019's table 二 has other cells
    missing = [k for k in ALL_KEYS if (k not in cells or "not_found" in cells[k].flags) and k not in not_applicable]
    ambiguous = [k for k, c in cells.items() if "ambiguous" in c.flags]
    ungrounded = [k for k, c in cells.items() if "ungrounded" in c.flags]
    failures = [c for c in report.checks if c.severity == "hard" and c.status == "fail"]
    suspect = [c for c in failures if c.cause != "source"]
    if missing and parsed is not None and truncated(text, parsed):
        return Verdict.incomplete, f"the input stops inside the tables: {len(missing)} cells are not on the page"
    problems = []
    if missing:
        problems.append(f"{len(missing)} cells not found (first: {missing[0]})")
    if ambiguous:
        problems.append(f"{len(ambiguous)} cells ambiguous (first: {ambiguous[0]})")
    if ungrounded:
        problems.append(f"{len(ungrounded)} model cells not found in the source (first: {ungrounded[0]})")
    if suspect:
        problems.append("extraction suspected by " + ", ".join(c.id for c in suspect[:5]))
    if problems:
        return Verdict.needs_model, "; ".join(problems)
    if failures:
        return Verdict.source_error, "the report's own numbers break " + ", ".join(c.id for c in failures)
    return Verdict.verified, "every checkable identity holds and every cell was read unambiguously"


def build_report(doc: Document, source: str, cells: dict[str, Cell], parsed: ParsedTables | None, provenance: Provenance, warnings: list[str]) -> Report:
    """A record from cells: meta, checks and verdict recomputed from scratch."""
    meta = extract_meta(doc.text, parsed.template if parsed else "unknown")
    meta = meta.model_copy(update={"input_name": doc.name, "input_format": doc.format, "input_sha256": doc.sha256})
    report = Report(source=source, meta=meta, provenance=provenance, warnings=list(warnings)).with_cells(cells)
    report.checks = run_checks(report.cells, doc.text)
    report.warnings += [c.message for c in report.checks if c.severity == "soft" and c.status == "fail"]
    report.verdict, report.verdict_reason = decide(report, parsed, doc.text)
    return report


def parse_document(doc: Document, source: str) -> tuple[Report, ParsedTables]:
    parsed = parse_tables(doc.text, trust_blanks=doc.format in ("html", "docx", "pdf"))
    provenance = Provenance(
        method="parser",
        parser_version=PARSER_VERSION,
        checker_version=CHECKER_VERSION,
        cells_from_parser=sum(1 for c in parsed.cells.values() if c.value is not None or "blank" in c.flags),
    )
    return build_report(doc, source, complete_cells(parsed), parsed, provenance, parsed.warnings), parsed


def extract_document(doc: Document, source: str, options: Options = Options()) -> Report:
    report, parsed = parse_document(doc, source)
    if options.mode == "rules":
        return report
    from extractor.model import loop  # imported late: the parser path needs no model libraries

    return loop.improve(report, parsed, doc, options)


def extract_path(path: str | Path, options: Options = Options()) -> Report:
    """Raises IngestError (one-line message) for input that is not a readable page."""
    doc = ingest_path(path)
    return extract_document(doc, str(path), options)

