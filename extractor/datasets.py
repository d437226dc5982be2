"""The batch's datasets: records.jsonl, reports.csv, cells.csv and cells.parquet, in one streaming pass.

Every file is written through `atomic_open`, so a run killed while assembling leaves the previous
datasets (or none), never half a file. Columns are fixed (all canonical keys, the 2019 （六） row
included) so every run of every corpus yields the same schema.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterable
from contextlib import ExitStack
from pathlib import Path

from extractor.output import META_COLUMNS, atomic_open, wide_csv_writer
from schemas.keys import ALL_KEYS, OTHER_TOTAL_KEYS, table_of
from schemas.record import Report

WIDE_COLUMNS = [*META_COLUMNS, *ALL_KEYS, *OTHER_TOTAL_KEYS]
CELL_COLUMNS = (
    "source",  # the input path
    "input_sha256",
    "verdict",  # the report's verdict, so cells of trusted reports are one filter away
    "key",  # the canonical key
    "table",  # 二 / 三 / 四
    "value",  # as printed: a count, or the fee's exact decimal
    "raw",
    "span_start",
    "span_end",
    "flags",  # ';'-separated cell flags
    "cell_source",  # parser or model
    "check_status",  # fail / pass / uncheckable over the hard identities that involve the cell; empty if none
    "checks",  # every check involving the cell, 'id=status'
)
PARQUET_BATCH_ROWS = 50_000


def cell_rows(report: Report) -> list[tuple]:
    """The long form: one tuple per cell in CELL_COLUMNS order, with the checks that involve it."""
    involved: dict[str, list] = {}
    for check in report.checks:
        for key in check.cells:
            involved.setdefault(key, []).append(check)
    head = (report.source, report.meta.input_sha256, report.verdict.value)
    rows = []
    for key, cell in report.cells.items():
        checks = involved.get(key, ())
        hard = {c.status for c in checks if c.severity == "hard"}
        span = cell.span or (None, None)
        rows.append(
            (
                *head,
                key,
                table_of(key),
                None if cell.value is None else str(cell.value),
                cell.raw,
                *span,
                ";".join(cell.flags),
                cell.source,
                next((s for s in ("fail", "pass", "uncheckable") if s in hard), ""),
                " ".join(f"{c.id}={c.status}" for c in checks),
            )
        )
    return rows


class _Parquet:
    """cells.parquet in row groups, so memory stays flat however many reports there are."""

    def __init__(self, handle) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        self.pa = pa
        types = {"span_start": pa.int64(), "span_end": pa.int64()}
        self.schema = pa.schema([(c, types.get(c, pa.string())) for c in CELL_COLUMNS])
        self.writer = pq.ParquetWriter(handle, self.schema, compression="zstd")
        self.rows: list[tuple] = []

    def add(self, rows: list[tuple]) -> None:
        self.rows.extend(rows)
        if len(self.rows) >= PARQUET_BATCH_ROWS:
            self.flush()

    def flush(self) -> None:
        if self.rows:
            columns = [self.pa.array(values, type=f.type) for values, f in zip(zip(*self.rows), self.schema)]
            self.writer.write_table(self.pa.Table.from_arrays(columns, schema=self.schema))
            self.rows = []

    def close(self) -> None:
        self.flush()
        self.writer.close()


def parquet_available() -> bool:
    try:
        import pyarrow.parquet  # noqa: F401
    except ImportError:
        return False
    return True


def write_datasets(out: Path, reports: Iterable[tuple[Report, bytes]], parquet: bool) -> Counter:
    """Stream (report, its JSON) pairs into the dataset files of `out`; returns the count of each verdict."""
    verdicts: Counter = Counter()
    with ExitStack() as stack:
        records = stack.enter_context(atomic_open(out / "records.jsonl"))
        write_wide = wide_csv_writer(stack.enter_context(atomic_open(out / "reports.csv", "w")), WIDE_COLUMNS)
        cells_handle = stack.enter_context(atomic_open(out / "cells.csv", "w"))
        cells_handle.write("\ufeff")
        cells = csv.writer(cells_handle, lineterminator="\n")
        cells.writerow(CELL_COLUMNS)
        table = _Parquet(stack.enter_context(atomic_open(out / "cells.parquet"))) if parquet else None
        for report, record_json in reports:
            verdicts[report.verdict.value] += 1
            records.write(record_json.rstrip() + b"\n")
            write_wide(report)
            rows = cell_rows(report)
            cells.writerows(rows)  # csv writes None as an empty field
            if table:
                table.add(rows)
        if table:
            table.close()
    return verdicts
