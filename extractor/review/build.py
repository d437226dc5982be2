"""Build the review site: an index of every report, one page per report and per agency, all static.

Records are streamed twice (once for the index and the cross-year links, once to render each page in
worker processes), so 10,000 reports never sit in memory at once. A record keeps spans into the
normalised text of its input, not the text itself: the page re-reads the input (when it is still
there and its sha256 still matches) to show every cell where it was read.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import multiprocessing
import re
import shutil
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from functools import partial
from importlib import resources
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape
from nianbao import crossyear
from nianbao.output import atomic_write, json_value
from nianbao.records import RecordsError, load_record, record_texts
from nianbao.schemas.identities import definitions
from nianbao.schemas.keys import DECIMAL_KEYS, table_of
from nianbao.schemas.record import Report
from nianbao.schemas.template import Td, table2, table3, table4

# What a cell's colour says (the legend on every report page), most urgent first.
STATUSES = {
    "absent": "unread: not on the page",
    "unverified": "unverified or unread: ambiguous, ungrounded or disputed",
    "failing": "part of a failing identity",
    "person": "corrected or confirmed by a person",
    "model": "read by the model and grounded in the source",
    "verified": "read as printed; its identities hold or cannot be checked",
    "blank": "blank on the page (not zero)",
}
TABLE_TITLES = {
    "二": "二、主动公开政府信息情况",
    "三": "三、收到和处理政府信息公开申请情况",
    "四": "四、政府信息公开行政复议、行政诉讼情况",
}
VERDICTS = ("verified", "source_error", "needs_model", "needs_review", "incomplete", "failed")
MAX_TEXT = 400_000  # characters of source text shown on a page


class ReviewError(Exception):
    """The site cannot be built from this input; the message is one line."""


# ---------------------------------------------------------------- reading records


def record_lines(path: Path) -> Iterator[str]:
    """One record's JSON per item, from a batch --out directory or a records file (nianbao.records)."""
    try:
        yield from record_texts(path)
    except RecordsError as exc:
        raise ReviewError(str(exc)) from None


_SHA256 = re.compile(r"[0-9a-f]{64}")


def parse_record(line: str, where: str = "") -> Report:
    """A record, refused (one line) unless it is one; its content hash names its page, so it must be a sha256."""
    try:
        report = load_record(json.loads(line))
    except (ValueError, RecursionError) as exc:
        raise ReviewError(f"{where}not a nianbao record ({str(exc).splitlines()[0][:200]})") from None
    if not report.cells and report.verdict.value != "failed":
        raise ReviewError(
            f"{where}a record without cells (write records with `nianbao extract --format json` or --out)"
        )
    sha = report.meta.input_sha256
    if sha is not None and not _SHA256.fullmatch(sha):
        raise ReviewError(f"{where}meta.input_sha256 is not a sha256 (64 lowercase hex digits)")
    return report


def report_id(report: Report) -> str:
    """The page's file name: the input's content hash, so a page keeps its address across rebuilds."""
    basis = report.meta.input_sha256 or hashlib.sha256(report.source.encode("utf-8")).hexdigest()
    return basis[:16]


# ---------------------------------------------------------------- what a page shows


def cell_statuses(report: Report) -> dict[str, str]:
    """Key → one of STATUSES, the colour of the cell on the page.

    The record's own statuses (`Report.cell_status`, as in every output) decide: unverified is
    `Report.unverified` plus the values left open between candidate readings, a null is blank only where the
    record says the page prints it empty and otherwise unread (absent or open); a failing identity the
    source's own arithmetic breaks is shown as such.
    """
    failing = {k for c in report.checks if c.severity == "hard" and c.status == "fail" for k in c.cells}
    record = report.cell_status()
    statuses = {}
    for key, cell in report.cells.items():
        if "not_found" in cell.flags:
            status = "absent"
        elif record[key] in ("unverified", "unread") or (
            cell.source != "person" and (cell.candidates or "ambiguous" in cell.flags)
        ):
            status = "unverified"
        elif key in failing:
            status = "failing"
        elif cell.source == "person":
            status = "person"
        elif record[key] == "blank":
            status = "blank"
        elif cell.source == "model":
            status = "model"
        else:
            status = "verified"
        statuses[key] = status
    return statuses


def problems(report: Report) -> dict[str, int]:
    """Counts for the index: problems nianbao has with the record, and the source's own errors."""
    statuses = Counter(cell_statuses(report).values())
    hard = [c for c in report.checks if c.severity == "hard" and c.status == "fail"]
    return {
        "problems": statuses["unverified"]
        + statuses["absent"]
        + sum(1 for c in hard if c.cause != "source")
        + len(report.warnings),
        "source_errors": sum(1 for c in hard if c.cause == "source"),
    }


def source_text(report: Report) -> tuple[str | None, str]:
    """(the normalised text the spans point into, a note when it cannot be shown).

    A records file may come from anyone and its `source` may name any file (`/etc/passwd`): the file is
    read only when its bytes hash to the record's `input_sha256`, so a page shows nothing but the input
    the record was extracted from."""
    from nianbao.ingest import MAX_INPUT_BYTES, IngestError, ingest_bytes

    expected = report.meta.input_sha256
    if not expected:
        return None, "the record names no content hash, so its input is not read: spans are listed, not shown"
    path = Path(report.source or "")
    try:
        data = path.read_bytes() if path.is_file() and path.stat().st_size <= MAX_INPUT_BYTES else b""
    except (OSError, ValueError):  # unreadable, or a name no file can have (a NUL byte)
        data = b""
    if not data:
        return None, f"the input {report.source or '(unnamed)'} is not here any more: spans are listed, not shown"
    if hashlib.sha256(data).hexdigest() != expected:
        return None, f"{report.source} changed since it was extracted: its spans no longer point into it"
    try:
        doc = ingest_bytes(data, path.name)
    except IngestError as exc:
        return None, f"the input cannot be read again ({exc})"
    if len(doc.text) > MAX_TEXT:
        return doc.text[:MAX_TEXT], f"the text is cut at {MAX_TEXT:,} characters"
    return doc.text, ""


def segments(text: str, report: Report) -> list[tuple[str, str]]:
    """The text cut at every span boundary: (piece, the numbers of the cells read from it, or '').

    A cell's number is its position in `report.cells` (its `data-n` on the page): shorter than its key.
    """
    spans = [
        (cell.span[0], cell.span[1], n)
        for n, cell in enumerate(report.cells.values())
        if cell.span and 0 <= cell.span[0] < cell.span[1] <= len(text)
    ]
    cuts = sorted({0, len(text), *(s for s, _, _ in spans), *(e for _, e, _ in spans)})
    starts: dict[int, list] = defaultdict(list)
    for span in spans:
        starts[span[0]].append(span)
    open_spans: list[tuple[int, int, str]] = []
    pieces = []
    for start, end in itertools.pairwise(cuts):
        open_spans = [s for s in open_spans if s[1] > start] + starts.get(start, [])
        numbers = " ".join(str(n) for n in sorted({n for _, _, n in open_spans}))
        piece = text[start:end]
        pieces.append((piece if numbers else _compact(piece), numbers))
    return pieces


def _compact(piece: str) -> str:
    """Text between spans as shown: the blank lines and padding of page chrome squeezed (spans are untouched)."""
    piece = re.sub(r"[ \t\u3000]*\n[ \t\u3000\n]*", "\n", piece)
    return re.sub(r"[ \u3000]{3,}", "  ", piece)


def shown_value(key: str, cell) -> str:
    if cell is None:
        return ""
    if cell.value is not None:
        return str(json_value(cell.value))
    return ""


def placeholder(cell) -> str:
    """What an empty cell's field shows: '?' where readings are left open, '·' where nothing was found."""
    if cell is None or "not_found" in cell.flags:
        return "·"
    return "?" if "ambiguous" in cell.flags else ""


# What a null cell's tooltip says first: the record's status for it (`Report.cell_status`).
NULL_TITLES = {"blank": "blank: printed empty, not zero", "unread": "unread: no number was read"}


def cell_title(cell, status: str = "") -> str:
    """The tooltip, short (a page has 200 of them): for a null, blank or unread (`status`, the record's); what
    the cell was read from, where, and its flags."""
    if cell is None:
        return ""
    parts = [NULL_TITLES[status]] if cell.value is None and status in NULL_TITLES else []
    if cell.raw is not None:
        parts.append(repr(cell.raw) + (f" @{cell.span[0]}–{cell.span[1]}" if cell.span else ""))
    parts += cell.flags
    if cell.candidates:
        parts.append(
            ("read as " if cell.source == "person" else "")
            + "one of "
            + ", ".join("·" if c is None else str(json_value(c)) for c in cell.candidates)
        )
    return " · ".join(parts)


def open_cells(report: Report, statuses: dict[str, str]) -> list[dict]:
    """The cells the record does not stand behind, grouped by where they were read (a glued run is one entry)."""
    groups: dict[tuple, dict] = {}
    for key, status in statuses.items():
        if status not in ("unverified", "absent"):
            continue
        cell = report.cells[key]
        where = (status, cell.raw, tuple(cell.span or ()))
        entry = groups.setdefault(
            where, {"status": status, "raw": cell.raw, "keys": [], "flags": set(), "candidates": []}
        )
        entry["keys"].append(key)
        entry["flags"].update(cell.flags)
        if cell.candidates:
            entry["candidates"].append(
                (key, ", ".join("·" if c is None else str(json_value(c)) for c in cell.candidates))
            )
    return list(groups.values())


def layout(report: Report, statuses: dict[str, str], suggested: set[str]) -> list[dict]:
    """The three tables as the template prints them (schemas.template), each value cell with its status."""
    keys = {k: k for k in report.cells}
    numbers = {k: n for n, k in enumerate(report.cells)}
    record = report.cell_status()
    tables = []
    for builder in (table2, table3, table4):
        table = builder(defaultdict(str, keys))
        rows = []
        for row in table.rows:
            rows.append([_cell(td, report, statuses, record, suggested, numbers) for td in row])
        first_key = next(td.key for row in table.rows for td in row if td.key)
        tables.append({"title": TABLE_TITLES[table_of(first_key)], "rows": rows})
    laid_out = {td["key"] for table in tables for row in table["rows"] for td in row if td.get("key")}
    rest = [k for k in report.cells if k not in laid_out]  # the 2019 template's table 二 and （六） row
    if rest:
        rows = [
            [
                {"text": k, "colspan": 1, "rowspan": 1},
                _cell(Td("", key=k), report, statuses, record, suggested, numbers),
            ]
            for k in rest
        ]
        tables.append({"title": "2019 年模板的单元格 (cells of the 2019 template)", "rows": rows})
    return tables


def _cell(
    td: Td,
    report: Report,
    statuses: dict[str, str],
    record: dict[str, str],
    suggested: set[str],
    numbers: dict[str, int],
) -> dict:
    if not td.key:
        return {"text": td.text, "colspan": td.colspan, "rowspan": td.rowspan}
    cell = report.cells.get(td.key)
    status = statuses.get(td.key, "absent")
    return {
        "key": td.key,
        "n": numbers.get(td.key, ""),
        "text": shown_value(td.key, cell),
        "placeholder": placeholder(cell),
        "raw": cell.raw if cell is not None and cell.value is None and cell.raw else "",
        "status": status,
        "suggested": td.key in suggested,
        "title": cell_title(cell, record.get(td.key, "")),
        "candidates": " ".join(str(json_value(c)) for c in cell.candidates if c is not None) if cell else "",
        "colspan": td.colspan,
        "rowspan": td.rowspan,
    }


# ---------------------------------------------------------------- the site


def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("nianbao.review", "templates"),
        autoescape=select_autoescape(("html",)),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["pct"] = lambda ratio: "—" if not ratio or ratio.get("rate") is None else f"{ratio['rate']:.1%}"
    return env


def copy_static(site: Path) -> None:
    target = site / "static"
    target.mkdir(parents=True, exist_ok=True)
    for item in resources.files("nianbao.review").joinpath("static").iterdir():
        if item.name.endswith((".css", ".js")):
            atomic_write(target / item.name, item.read_bytes())
    atomic_write(target / "identities.js", identities_script())


def identities_script() -> str:
    """The checker's identity definitions (schemas/identities.py) for the pages' live re-check: one file a
    site rather than a copy in each of its pages, and a script, since a page opened from file:// may not fetch."""
    data = definitions() | {"decimal_keys": sorted(DECIMAL_KEYS)}
    return "window.NIANBAO_IDENTITIES = " + json.dumps(data, separators=(",", ":")) + ";\n"


def record_data(report: Report) -> dict:
    """What a report page's editor needs beyond its cells: the input, its meta, the record's open identities."""
    return {
        "sha256": report.meta.input_sha256 or report_id(report),
        "input": Path(report.source).name,
        "template": report.meta.template,
        "agency_name": report.meta.agency_name,
        "report_year": report.meta.report_year,
        "checks": {c.id: c.status for c in report.checks if c.severity == "hard" and c.status != "pass"},
        "unverified": len(report.unverified),
    }


def index_row(report: Report) -> dict:
    return {
        "id": report_id(report),
        "agency": report.meta.agency_name or "",
        "year": report.meta.report_year,
        "template": report.meta.template,
        "scope": report.meta.scope,
        "verdict": report.verdict.value,
        "source": Path(report.source).name,
        **problems(report),
        "sha256": report.meta.input_sha256 or "",
        "person": report.provenance.cells_from_person,
    }


def _first_pass(item: tuple[int, str]) -> tuple[dict, dict]:
    number, line = item
    report = parse_record(line, f"record {number + 1}: ")
    return index_row(report), crossyear.facts(report)


def findings_by_report(
    agencies: list[dict], checks: list[dict], rows: list[dict], reports: list[dict]
) -> dict[int, list[dict]]:
    """Report index → the cross-year results that concern it (failures, open checks and suggestions), as the page shows them."""
    names = {a["id"]: a for a in agencies}
    found: dict[int, list[dict]] = defaultdict(list)
    for check in checks:
        for me, other, side in (
            (check["earlier"], check["later"], "earlier"),
            (check["later"], check["earlier"], "later"),
        ):
            mine = [s for which, s in check.get("suggested", ()) if which == side]
            found[me].append(
                {
                    "check": check["check"],
                    "severity": check["severity"],
                    "status": check["status"],
                    "residual": check.get("residual"),
                    "lhs": check.get("lhs"),
                    "rhs": check.get("rhs"),
                    "message": check.get("message", ""),
                    "blame": check.get("blame", ""),
                    "other_id": rows[other]["id"],
                    "other_year": reports[other]["year"],
                    "agency": names[check["agency"]]["name"],
                    "suggestions": mine,
                }
            )
    return found


def build_site(path: Path, site: Path, jobs: int = 1, progress=None) -> dict:
    """Render the site for the records at `path` into `site`; returns figures (reports, pages, bytes, seconds)."""
    started = time.perf_counter()
    lines = record_lines(path)
    with _pool(jobs) as pool:
        first = list((pool.imap if pool else map)(_first_pass, enumerate(lines), *([64] if pool else [])))
    if not first:
        raise ReviewError(f"{path}: no records")
    return _render(path, site, [r for r, _ in first], [f for _, f in first], jobs, started)


def _pool(jobs: int):
    from contextlib import nullcontext

    return multiprocessing.get_context("fork").Pool(jobs) if jobs > 1 else nullcontext()


def _render(path: Path, site: Path, rows: list[dict], facts: list[dict], jobs: int, started: float, lines=None) -> dict:
    agencies, checks, unlinked = crossyear.check_all(facts)
    findings = findings_by_report(agencies, checks, rows, facts)
    agency_of = {i: a["id"] for a in agencies for i in a["members"]}
    for n, row in enumerate(rows):
        row["agency_id"] = agency_of.get(n, "")
        row["cross"] = sum(1 for f in findings.get(n, ()) if f["status"] == "fail" or f["suggestions"])
    site.mkdir(parents=True, exist_ok=True)
    copy_static(site)
    env = environment()
    _WORKER.update(findings=dict(findings), rows=rows, env=None)  # set before the pool forks: workers inherit it
    render = partial(_render_report, site=str(site))
    source = lines if lines is not None else record_lines(path)
    with _pool(jobs) as pool:
        for _ in (pool.imap_unordered if pool else map)(render, enumerate(source), *([16] if pool else [])):
            pass
    _write_agencies(env, site, agencies, checks, unlinked, rows, facts)
    _write_index(env, site, rows, agencies, checks)
    size = sum(f.stat().st_size for f in site.rglob("*") if f.is_file())
    return {
        "reports": len(rows),
        "agencies": len(agencies),
        "cross_year_checks": len(checks),
        "bytes": size,
        "seconds": time.perf_counter() - started,
    }


_WORKER: dict = {}  # what every page needs (index rows, cross-year findings), inherited by forked workers


def _render_report(item: tuple[int, str | Report], site: str) -> None:
    number, line = item
    if _WORKER["env"] is None:
        _WORKER["env"] = environment()
    report = line if isinstance(line, Report) else parse_record(line)
    row = _WORKER["rows"][number]
    page = report_page(_WORKER["env"], report, row, _WORKER["findings"].get(number, []), "../")
    atomic_write(Path(site) / "r" / f"{row['id']}.html", page, durable=False)


def report_page(env: Environment, report: Report, row: dict, findings: list[dict], root: str) -> str:
    statuses = cell_statuses(report)
    suggested = {k for f in findings for s in f["suggestions"] for k in s["keys"]}
    text, text_note = source_text(report)
    failing = [c for c in report.checks if c.status == "fail"]
    return env.get_template("report.html").render(
        root=root,
        report=report,
        row=row,
        statuses=STATUSES,
        tables=layout(report, statuses, suggested),
        failing=[c for c in failing if c.severity == "hard"],
        open_cells=open_cells(report, statuses),
        soft=[c for c in failing if c.severity == "soft"],
        findings=findings,
        segments=segments(text, report) if text is not None else [],
        text_note=text_note,
        spans=[(k, c.raw, c.span) for k, c in report.cells.items() if c.span] if text is None else [],
        provenance=report.provenance.model_dump(exclude_defaults=True),
        record_data=record_data(report),
    )


def _write_agencies(env, site: Path, agencies, checks, unlinked, rows, facts) -> None:
    by_agency = defaultdict(list)
    for check in checks:
        by_agency[check["agency"]].append(check)
    notes = defaultdict(list)
    for entry in unlinked:
        for agency_id in entry.get("agencies", ()):
            notes[agency_id].append(entry["reason"])
    template = env.get_template("agency.html")
    for agency in agencies:
        members = [rows[i] | {"facts": facts[i]} for i in agency["members"][:AGENCY_COLUMNS]]
        page = template.render(
            more=len(agency["members"]) - len(members),
            root="../",
            agency=agency,
            members=members,
            checks=[
                c | {"earlier_row": rows[c["earlier"]], "later_row": rows[c["later"]]} for c in by_agency[agency["id"]]
            ],
            not_linked=notes[agency["id"]],
            headline=HEADLINE,
            shas=" ".join(rows[i]["sha256"] for i in agency["members"] if rows[i]["sha256"]),
        )
        atomic_write(site / "a" / f"{agency['id']}.html", page, durable=False)


AGENCY_COLUMNS = 40  # reports side by side on an agency page; the index lists them all

# Cells an agency page compares year by year: the ones that link years, and the main totals.
HEADLINE = (
    ("规章 现行有效", "active.regulations.in_force"),
    ("行政规范性文件 本年制发", "active.normative_docs.issued"),
    ("行政规范性文件 本年废止", "active.normative_docs.repealed"),
    ("行政规范性文件 现行有效", "active.normative_docs.in_force"),
    ("上年结转 总计", "applications.carried_over.total"),
    ("结转下年度 总计", "applications.carried_forward.total"),
)


def _write_index(env, site: Path, rows: list[dict], agencies: list[dict], checks: list[dict]) -> None:
    years = sorted({r["year"] for r in rows if r["year"]})
    grid = []
    for agency in agencies:
        by_year = defaultdict(list)
        for i in agency["members"]:
            by_year[rows[i]["year"]].append([rows[i]["id"], rows[i]["verdict"]])
        grid.append([agency["id"], agency["name"], agency["scope"], by_year])
    columns = (
        "id",
        "agency",
        "year",
        "template",
        "scope",
        "verdict",
        "source",
        "problems",
        "source_errors",
        "cross",
        "agency_id",
        "sha256",
        "person",
    )
    data = {"columns": columns, "rows": [[r[c] for c in columns] for r in rows], "years": years, "grid": grid}
    atomic_write(
        site / "data" / "index.js",
        "window.REVIEW_INDEX = " + json.dumps(data, ensure_ascii=False, separators=(",", ":")) + ";\n",
    )
    counts = Counter(r["verdict"] for r in rows)
    by_person = Counter(r["verdict"] for r in rows if r["person"])
    cross = Counter(c["status"] for c in checks)
    page = env.get_template("index.html").render(
        root="",
        counts=[(v, counts[v]) for v in VERDICTS if counts[v]],
        total=len(rows),
        agencies=len(agencies),
        years=years,
        cross=cross,
        by_person=by_person,
    )
    atomic_write(site / "index.html", page)


# ---------------------------------------------------------------- the eval's page


def write_eval_page(result: dict, reports: list[Report], html_path: Path) -> Path:
    """PATH.html for `nianbao eval`, and beside it PATH-review/: the review site of its cases, which the worst cells link to."""
    site = html_path.with_name(html_path.stem + "-review")
    if site.exists():
        shutil.rmtree(site)
    rows, facts = [], []
    for report in reports:
        rows.append(index_row(report))
        facts.append(crossyear.facts(report))
    _render(Path(), site, rows, facts, 1, time.perf_counter(), lines=reports)
    by_input = {(r["case"], r["input"]): rows[n]["id"] for n, r in enumerate(result["records"])}
    env = environment()
    page = env.get_template("eval.html").render(
        root=f"{site.name}/", result=result, summary=result["summary"], link=by_input, review=f"{site.name}/"
    )
    atomic_write(html_path, page)
    return html_path
