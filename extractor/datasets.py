"""The batch's datasets: records.jsonl, reports.csv, cells.csv and cells.parquet.

The CPU work of a report's dataset rows is done by the worker that extracted it (`dataset_rows`,
saved beside its record), so assembling the datasets at the end of a run is concatenation plus a
C++ CSV → Parquet conversion: cheap enough to redo on every run, which keeps every dataset file a
whole-file atomic write. Columns are fixed (all canonical keys, the 2019 （六） row included), so
every run of every corpus yields the same schema.
"""

from __future__ import annotations

import io
import json
from collections import Counter
from collections.abc import Iterable
from contextlib import ExitStack
from pathlib import Path

from nianbao import crossyear
from nianbao.output import META_COLUMNS, SafeCSV, atomic_open, atomic_write, wide_row
from nianbao.schemas.keys import ALL_KEYS, OTHER_TOTAL_KEYS, T2_2019_KEYS, table_of
from nianbao.schemas.record import Report

WIDE_COLUMNS = (*META_COLUMNS, *ALL_KEYS, *OTHER_TOTAL_KEYS, *T2_2019_KEYS)  # the 2019 template's cells last
CELL_COLUMNS = (
    "source",  # the input path the content was extracted from
    "input_sha256",
    "verdict",  # the report's verdict, so cells of trusted reports are one filter away
    "key",  # the canonical key
    "table",  # 二 / 三 / 四
    "value",  # as printed: a count, or the fee's exact decimal
    "status",  # verified / confirmed (by a person) / unverified (a value the record does not stand behind) / blank / unread
    "raw",
    "span_start",
    "span_end",
    "flags",  # ';'-separated cell flags
    "cell_source",  # parser or model
    "check_status",  # fail / pass / uncheckable over the hard identities that involve the cell; empty if none
    "checks",  # every check involving the cell, 'id=status'
)
BOM = "\ufeff"  # so Excel opens the Chinese text right
PARQUET_ROW_GROUP = 200_000  # rows (1,000 reports): few row groups for readers, bounded memory for the writer


def cell_rows(report: Report) -> list[tuple]:
    """The long form: one tuple per cell in CELL_COLUMNS order, with the checks that involve it."""
    involved: dict[str, list] = {}
    for check in report.checks:
        for key in check.cells:
            involved.setdefault(key, []).append(check)
    head = (report.source, report.meta.input_sha256, report.verdict.value)
    status = report.cell_status()
    rows = []
    for key, cell in report.cells.items():
        checks = involved.get(key, ())
        hard = {c.status for c in checks if c.severity == "hard"}
        rows.append(
            (
                *head,
                key,
                table_of(key),
                None if cell.value is None else str(cell.value),
                status[key],
                cell.raw,
                *(cell.span or (None, None)),
                ";".join(cell.flags),
                cell.source,
                next((s for s in ("fail", "pass", "uncheckable") if s in hard), ""),
                " ".join(f"{c.id}={c.status}" for c in checks),
            )
        )
    return rows


def dataset_rows(report: Report) -> str:
    """A report's rows of reports.csv and cells.csv, rendered where it was extracted (a JSON object)."""
    wide, cells = io.StringIO(), io.StringIO()
    row = wide_row(report)
    SafeCSV(wide).writerow(row.get(c) for c in WIDE_COLUMNS)
    SafeCSV(cells).writerows(cell_rows(report))
    rendered = {
        "verdict": report.verdict.value,
        "wide": wide.getvalue(),
        "cells": cells.getvalue(),
        "cross_year": crossyear.facts(report),
    }
    return json.dumps(rendered, ensure_ascii=False)


def parquet_available() -> bool:
    try:
        import pyarrow.csv
        import pyarrow.parquet  # noqa: F401
    except ImportError:
        return False
    return True


def csv_to_parquet(source: Path, target: Path, block_size: int = 1 << 20) -> None:
    """cells.csv → cells.parquet, streamed in blocks: flat memory however many reports there are.

    An empty CSV field becomes null; no other text (not even 'NA' or 'null') does. A row longer than
    a block (pyarrow: "straddling object") is read again with blocks large enough to hold it.
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    types = {c: pa.int64() if c.startswith("span_") else pa.string() for c in CELL_COLUMNS}
    try:
        reader = pacsv.open_csv(
            source,
            read_options=pacsv.ReadOptions(
                block_size=block_size, use_threads=False
            ),  # larger blocks cost memory, not time
            parse_options=pacsv.ParseOptions(newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(column_types=types, null_values=[""], strings_can_be_null=True),
        )
        with atomic_open(target) as handle, pq.ParquetWriter(handle, reader.schema, compression="zstd") as writer:
            pending: list = []
            for batch in reader:
                pending.append(batch)
                if sum(b.num_rows for b in pending) >= PARQUET_ROW_GROUP:
                    writer.write_table(pa.Table.from_batches(pending))
                    pending = []
            if pending:
                writer.write_table(pa.Table.from_batches(pending))
    except pa.ArrowInvalid as exc:
        if "straddl" not in str(exc) or block_size > source.stat().st_size:
            raise
        csv_to_parquet(source, target, block_size * 8)


def write_datasets(out: Path, done: Iterable[tuple[Path, Path]], parquet: bool) -> tuple[Counter, dict]:
    """Concatenate each (record file, rows file) into the dataset files of `out`, and check across years.

    Returns the count of each verdict and the cross-year summary (cross_year.csv holds every check).
    """
    verdicts: Counter = Counter()
    facts: list[dict] = []
    with ExitStack() as stack:
        records = stack.enter_context(atomic_open(out / "records.jsonl"))
        wide = stack.enter_context(atomic_open(out / "reports.csv", "w"))
        cells = stack.enter_context(atomic_open(out / "cells.csv", "w"))
        wide.write(BOM + ",".join(WIDE_COLUMNS) + "\n")
        cells.write(BOM + ",".join(CELL_COLUMNS) + "\n")
        for record, rows in done:
            records.write(record.read_bytes().rstrip() + b"\n")
            rendered = json.loads(rows.read_bytes())
            wide.write(rendered["wide"])
            cells.write(rendered["cells"])
            verdicts[rendered["verdict"]] += 1
            # rows rendered by an earlier version have no cross-year facts: read them off the record
            facts.append(rendered.get("cross_year") or crossyear.facts(Report.model_validate_json(record.read_bytes())))
    table, summary, _ = crossyear.cross_year(facts)
    atomic_write(out / "cross_year.csv", table)
    if parquet:
        csv_to_parquet(out / "cells.csv", out / "cells.parquet")
    return verdicts, summary
