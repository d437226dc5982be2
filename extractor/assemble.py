"""Stage 5 — assemble: a record from cells, with its checks and verdict recomputed from scratch.

The parser path and the model path both end here, so a record means the same whichever path made it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from nianbao.check import run_checks
from nianbao.ingest import Document
from nianbao.ingest.text import STACKED_BREAK
from nianbao.meta import extract_meta, report_titles
from nianbao.parse import ParsedTables
from nianbao.schemas.keys import (
    ALL_KEYS,
    OTHER_SUB_ROWS,
    OTHER_TOTAL_KEYS,
    T2_2019_KEYS,
    T2_KEYS,
    T3_COLUMNS,
    row_of,
    t3_key,
)
from nianbao.schemas.record import UNPRINTED_FLAGS, Cell, Provenance, Report, Verdict

# numbers a converter stacked in one grid cell: a line break between them (`nianbao.ingest.text.STACKED_BREAK`)
_STACKED = re.compile(r"\d" + STACKED_BREAK + r"\d")


def shares_grid_cell(span: tuple[int, int] | None, text: str) -> bool:
    """Whether the value at `span` was read from a markdown grid cell whose numbers a PDF→markdown converter stacked
    over lines: it printed several of the page's columns in one cell (pymupdf4llm: `| 2<br>201 |` for 2, 20 and
    the 1 of 13, whose digits it glued across the column border). Which digits are whose is then the converter's
    guess, not the page's one value a cell. Numbers a cell prints on one line (markitdown: `| 10 1 |`) are not."""
    if span is None or span[1] > len(text):
        return False
    start = text.rfind("\n", 0, span[0]) + 1
    end = text.find("\n", span[1])
    end = len(text) if end < 0 else end
    if not text[start:end].lstrip().startswith("|"):
        return False
    left, right = text.rfind("|", start, span[0]), text.find("|", span[1], end)
    return left >= 0 and right >= 0 and bool(_STACKED.search(text, left, right))


def stacked(cells: dict[str, Cell], text: str) -> dict[str, Cell]:
    """The cells read from a grid cell that holds other numbers too, flagged `stacked`: a failing identity through
    them may be the converter's cut, not the agency's arithmetic (`check.classify`), so the record does not stand
    behind them there; where their identities hold they are read."""
    return {
        k: c.model_copy(update={"flags": [*c.flags, "stacked"]})
        if c.value is not None and "stacked" not in c.flags and shares_grid_cell(c.span, text)
        else c
        for k, c in cells.items()
    }


def complete_cells(parsed: ParsedTables) -> dict[str, Cell]:
    """All 200 keys: what the parser read, and an explicit `not_found` for the rest."""
    cells = dict(parsed.cells)
    two_thousand_nineteen = any(k in cells for k in OTHER_TOTAL_KEYS)
    for key in ALL_KEYS + (T2_2019_KEYS if parsed.template == "gov2019" else ()):
        if key in cells:
            continue
        if two_thousand_nineteen and any(key == t3_key(r, c) for r in OTHER_SUB_ROWS for c in T3_COLUMNS):
            cells[key] = Cell(flags=["blank"])  # the 2019 template has no such row
        else:
            cells[key] = Cell(flags=["not_found"])
    return cells


def decide(report: Report, parsed: ParsedTables | None, text: str) -> tuple[Verdict, str]:
    """The record's verdict and a one-line reason a user can act on."""
    cells = report.cells
    if parsed is not None and not parsed.rows_found:
        if report.meta.title or "政府信息公开" in text:
            return (
                Verdict.failed,
                "no table of the 2019/2021 template (二, 三, 四) found: a pre-2019 report (统计表) or prose only",
            )
        return Verdict.failed, "not a report: none of the three tables (二, 三, 四) was found"
    expected = ALL_KEYS + (T2_2019_KEYS if report.meta.template == "gov2019" else ())
    not_applicable = T2_KEYS if report.meta.template == "gov2019" else ()  # 2019's table 二 has other cells
    missing = [k for k in expected if (k not in cells or "not_found" in cells[k].flags) and k not in not_applicable]
    ambiguous = [k for k, c in cells.items() if "ambiguous" in c.flags]
    ungrounded = [k for k, c in cells.items() if "ungrounded" in c.flags]
    failures = [c for c in report.checks if c.severity == "hard" and c.status == "fail"]
    suspect = [c for c in failures if c.cause != "source"]
    if missing and parsed is not None and parsed.stops_inside_tables:
        return Verdict.incomplete, f"the input stops inside the tables: {len(missing)} cells are not on the page"
    unprinted_cells = [k for k in missing if k in cells and UNPRINTED_FLAGS.intersection(cells[k].flags)]
    collapsed = [k for k in unprinted_cells if "collapsed" in cells[k].flags]
    unprinted = parsed is not None and all(row_of(k) in parsed.absent or k in unprinted_cells for k in missing)
    if missing and unprinted and not ambiguous and not suspect and not ungrounded and not report.unverified:
        # every printed cell settled: the page does not print the rest
        if collapsed:
            return Verdict.incomplete, (
                f"table 三 prints its five 法人或其他组织 columns as one: {len(missing)} cells are not on the page"
            )
        if unprinted_cells:
            return Verdict.incomplete, f"the page cut table 三's 总计 column off: {len(missing)} cells are not on it"
        return Verdict.incomplete, f"the page prints only part of the tables: {len(missing)} cells are not on it"
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
    if unstood := report.unverified:  # a reading nianbao chose that no identity checks (table 二 placed by order)
        return Verdict.needs_model, f"{len(unstood)} cells read by a placement no identity checks (first: {unstood[0]})"
    return Verdict.verified, "every checkable identity holds and every cell was read unambiguously"


@dataclass(frozen=True)
class _SavedPage:
    """What `decide` needs of a page it no longer has: a record saved as incomplete lacked its missing rows."""

    absent: frozenset[str]
    stops_inside_tables: bool = False
    rows_found: bool = True  # a record with cells: its tables were found


def saved_page(report: Report, saved_verdict: str) -> _SavedPage | None:
    """What `decide` may know of a saved record's page, which is gone (`nianbao check`): a record saved as
    `incomplete` lacked the rows it did not find, and is incomplete again unless today's checks find more
    wrong with it."""
    if saved_verdict != Verdict.incomplete.value:
        return None
    return _SavedPage(frozenset(row_of(k) for k, c in report.cells.items() if "not_found" in c.flags))


def build_report(
    doc: Document,
    source: str,
    cells: dict[str, Cell],
    parsed: ParsedTables | None,
    provenance: Provenance,
    warnings: list[str],
) -> Report:
    """A record from cells: meta, checks and verdict recomputed from scratch."""
    meta = extract_meta(doc.text, parsed.template if parsed else "unknown", doc.properties)
    meta = meta.model_copy(update={"input_name": doc.name, "input_format": doc.format, "input_sha256": doc.sha256})
    several = report_titles(doc.text)
    if len(several) > 1:  # no record for the first report alone: neither its name nor its tables stand for the page
        meta = meta.model_copy(update={"agency_name": None, "report_year": None, "scope": None, "provenance": {}})
        cells = {key: Cell(flags=["not_found"]) for key in cells}
    report = Report(source=source, meta=meta, provenance=provenance, warnings=[*doc.warnings, *warnings]).with_cells(
        stacked(cells, doc.text)
    )
    report.checks = run_checks(report.cells, doc.text)
    report.warnings += [c.message for c in report.checks if c.severity == "soft" and c.status == "fail"]
    report.verdict, report.verdict_reason = decide(report, parsed, doc.text)
    if len(several) > 1:
        named = ", ".join(f"{year} {agency or 'an unnamed agency'}" for _, agency, year in several)
        report.verdict = Verdict.failed
        report.verdict_reason = (
            f"the page holds {len(several)} reports ({named}): no record is made for one of them alone; "
            "give each report its own file (a crawl file's rows are split by report)"
        )
    if report.verdict == Verdict.failed and not any(c.value is not None or c.candidates for c in report.cells.values()):
        # no report here: 200 'not found' cells and 42 uncheckable identities would only repeat the verdict
        report = report.with_cells({})
        report.checks = []
    if doc.warnings and report.verdict != Verdict.verified:  # the page was not read whole: say so before blaming it
        report.verdict_reason = "; ".join([*doc.warnings, report.verdict_reason])
    return report
