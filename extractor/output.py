"""Stage 5 — output: records as JSON, cell lines, wide CSV; every file written atomically."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import tempfile
from collections.abc import Iterable
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

from nianbao.schemas.columns import WIDE_COLUMNS
from nianbao.schemas.record import Report

CELL_LINE_META = ("agency_name", "report_year", "template", "scope")  # which report a cells line is

_UMASK = os.umask(0o022)  # read once, at import, before any thread could create a file meanwhile
os.umask(_UMASK)


@contextmanager
def atomic_open(path: str | Path, mode: str = "wb", durable: bool = True):
    """A file handle for `path` that lands under its name only when the block completes.

    Writes go to a temporary file beside `path` (named `.<name>.*.tmp`), then rename: a reader, or a
    run killed halfway, never sees half a file. `durable` adds an fsync before the rename, so the
    file also survives a power cut; it costs milliseconds, which matters only for many small files.
    Text modes write UTF-8.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.fchmod(fd, 0o666 & ~_UMASK)  # mkstemp makes 0600; the file gets what open() would have given it
    try:
        with os.fdopen(fd, mode, **({} if "b" in mode else {"encoding": "utf-8", "newline": ""})) as handle:
            yield handle
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write(path: str | Path, data: str | bytes, durable: bool = True) -> None:
    """Write a whole file atomically (see `atomic_open`)."""
    with atomic_open(path, durable=durable) as handle:
        handle.write(data.encode("utf-8") if isinstance(data, str) else data)


def json_value(value):
    """Counts stay ints; the fee stays the exact decimal string it was printed as."""
    return str(value) if isinstance(value, Decimal) else value


def confirmed(report: Report) -> list[str]:
    """Keys of the cells a person corrected or confirmed (corrections.jsonl) that the record stands behind."""
    return [k for k, status in report.cell_status().items() if status == "confirmed"]


def cell_line(report: Report) -> dict:
    """The `--format cells` record: source, which report it is (`meta`), verdict, checks, the canonical
    key → value map, which of those values the record does not stand behind (`unverified`), which nulls
    nianbao could not read (`unread`; any other null is printed empty) and which cells a person stands
    behind (`confirmed`)."""
    return {
        "source": report.source,
        "meta": {key: getattr(report.meta, key) for key in CELL_LINE_META},
        "verdict": report.verdict.value,
        "verdict_reason": report.verdict_reason,
        "checks": [
            {k: v for k, v in check.model_dump(exclude_defaults=True).items() if k != "cells"}
            | {"status": check.status}
            for check in report.checks
        ],
        "cells": {k: json_value(v) for k, v in report.values().items()},
        "unverified": report.unverified,
        "unread": report.unread,
        "confirmed": confirmed(report),
        "provenance": report.provenance.model_dump(exclude_defaults=True),
    }


def render_json(reports: list[Report]) -> str:
    """A list of full records, however many there are: one shape for whoever reads the file."""
    return json.dumps([json.loads(r.model_dump_json()) for r in reports], ensure_ascii=False, indent=2) + "\n"


def render_cells(reports: Iterable[Report]) -> str:
    return "".join(json.dumps(cell_line(r), ensure_ascii=False) + "\n" for r in reports)


SUMMARY_KEYS_SHOWN = 5  # cells named per line of the terminal summary; the count says how many more


def _some(keys: list[str]) -> str:
    more = len(keys) - SUMMARY_KEYS_SHOWN
    return ", ".join(keys[:SUMMARY_KEYS_SHOWN]) + (f" and {more} more" if more > 0 else "")


def render_summary(reports: Iterable[Report]) -> str:
    """For a person at a terminal: per report its verdict and why, the identities that fail, and the values
    the record does not stand behind. (Piped, or with --format, the output is JSON lines.)"""
    lines = []
    for report in reports:
        lines.append(f"{report.source}: {report.verdict.value} — {report.verdict_reason}")
        for check in (c for c in report.checks if c.status == "fail" and c.severity == "hard"):
            sums = f" (printed {check.lhs}, parts add to {check.rhs})" if check.lhs is not None else ""
            lines.append(
                f"  fails {check.id}{sums}: {check.cause or 'unknown'} — {_some(check.suspects or check.cells)}"
            )
        if report.unverified:
            lines.append(f"  not stood behind: {len(report.unverified)} values — {_some(report.unverified)}")
        if report.unread:
            lines.append(f"  left open: {len(report.unread)} cells not read (null, not blank) — {_some(report.unread)}")
        values = sum(c.value is not None for c in report.cells.values())
        lines.append(f"  {values} of {len(report.cells)} cells hold a value; --format json for the whole record")
    return "\n".join(lines) + "\n"


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?|-")


def csv_safe(value):
    """OWASP's rule against CSV injection: a text cell a spreadsheet would run as a formula (it starts
    with = + - @, a tab or a CR) gets a leading ' so it shows as text. A plain number or '-' stays."""
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


class SafeCSV:
    """csv.writer with every cell passed through `csv_safe`: the one guard of every CSV nianbao writes
    (reports.csv, cells.csv, cross_year.csv, --format csv), so a file name, a label or a raw cell that
    starts like a formula shows as text. None is written as an empty cell."""

    def __init__(self, buffer):
        self._writer = csv.writer(buffer, lineterminator="\n")

    def writerow(self, row: Iterable) -> None:
        self._writer.writerow(["" if v is None else csv_safe(v) for v in row])

    def writerows(self, rows: Iterable[Iterable]) -> None:
        for row in rows:
            self.writerow(row)


def wide_row(report: Report) -> dict:
    """The reports.csv / --format csv row: metadata, which cells the record does not stand behind or could not
    read, and the cells."""
    meta = report.meta
    row = {
        "source": report.source,
        "verdict": report.verdict.value,
        "unverified": ";".join(report.unverified),
        "unread": ";".join(report.unread),
        "confirmed": ";".join(confirmed(report)),
        "agency_name": meta.agency_name,
        "report_year": meta.report_year,
        "template": meta.template,
        "scope": meta.scope,
        "publish_date": meta.publish_date.isoformat() if meta.publish_date else None,
        "input_sha256": meta.input_sha256,
    }
    row.update({k: json_value(v) for k, v in report.values().items()})
    return row


def render_csv(reports: list[Report]) -> str:
    """Wide CSV, one row per report in the columns of reports.csv; UTF-8 with BOM so Excel opens the Chinese text right."""
    buffer = io.StringIO()
    writer = SafeCSV(buffer)
    writer.writerow(WIDE_COLUMNS)
    for report in reports:
        row = wide_row(report)
        writer.writerow(row.get(c) for c in WIDE_COLUMNS)
    return "\ufeff" + buffer.getvalue()


RENDERERS = {"json": render_json, "cells": render_cells, "csv": render_csv}
