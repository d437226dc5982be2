"""The batch's datasets: cells.parquet and reports.csv by default; cells.csv, records.jsonl(.gz) on request.

The CPU work of a report's dataset rows is done by the worker that extracted it (`dataset_rows`,
saved beside its record), so assembling the datasets at the end of a run is concatenation plus a
C++ CSV → Parquet conversion: cheap enough to redo on every run, which keeps every dataset file a
whole-file atomic write. Assembly streams the per-input files in blocks (flat memory however many
reports there are) and runs in parts, one slice of the inputs each, in parallel worker processes;
the parts are joined in input order (text by concatenation, Parquet by pyarrow). Columns are fixed
(all canonical keys, the 2019 （六） row included), so every run of every corpus yields the same schema.
"""

from __future__ import annotations

import gzip
import io
import itertools
import json
import shutil
import time
from collections import Counter
from contextlib import ExitStack
from pathlib import Path

from nianbao import crossyear, parquetjoin
from nianbao.output import SafeCSV, atomic_open, atomic_write, csv_safe, wide_row
from nianbao.schemas.columns import CELL_COLUMNS, HEAD_COLUMNS, ROW_COLUMNS, WIDE_COLUMNS
from nianbao.schemas.keys import table_of
from nianbao.schemas.record import Report

BOM = "\ufeff"  # so Excel opens the Chinese text right
DATASETS = ("cells.parquet", "reports.csv", "cells.csv", "records.jsonl", "records.jsonl.gz")
DEFAULT_DATASETS = ("cells.parquet", "reports.csv")
ROWS_FORM = 3  # the shape of a rows/<sha256>.json file; a file of another shape is redone
BLOCK_REPORTS = 1_000  # reports per Parquet row group (about 200,000 rows): the assembler's memory bound
GZIP_LEVEL = 6  # records.jsonl.gz
PART_REPORTS = 500  # fewest reports worth a part of their own (a worker process to start)


class DatasetsError(ValueError):
    """An unknown dataset name in --datasets; the message is one line."""


def parse_datasets(text: str) -> tuple[str, ...]:
    """'cells.csv,records.jsonl.gz' → the names, checked against DATASETS."""
    names = tuple(dict.fromkeys(n.strip() for n in text.split(",") if n.strip()))
    unknown = [n for n in names if n not in DATASETS]
    if unknown or not names:
        raise DatasetsError(f"--datasets: {', '.join(unknown) or 'none named'} (choose from {', '.join(DATASETS)})")
    return names


def cell_rows(report: Report) -> list[tuple]:
    """The long form without the report's columns (HEAD_COLUMNS): one tuple per cell in ROW_COLUMNS order,
    with the checks that involve it."""
    involved: dict[str, list] = {}
    for check in report.checks:
        for key in check.cells:
            involved.setdefault(key, []).append(check)
    status = report.cell_status()
    rows = []
    for key, cell in report.cells.items():
        checks = involved.get(key, ())
        hard = {c.status for c in checks if c.severity == "hard"}
        rows.append(
            (
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


def _csv_line(values) -> str:
    """One CSV line through the one guard of every CSV nianbao writes (SafeCSV: no cell runs as a formula)."""
    line = io.StringIO()
    SafeCSV(line).writerow(values)
    return line.getvalue()


def dataset_rows(report: Report) -> bytes:
    """A report's rows of reports.csv and of the cells datasets, rendered where it was extracted.

    One JSON line (verdict, the report's own cell columns `head`, its reports.csv row, its cross-year
    facts, the byte length of each cell row), then the cell rows as CSV without the head columns, which
    assembly adds once per report: the rows reach the CSV parser and cells.csv as bytes, never decoded.
    """
    row = wide_row(report)
    cells = [_csv_line(r).encode("utf-8") for r in cell_rows(report)]
    rendered = {
        "form": ROWS_FORM,
        "verdict": report.verdict.value,
        "head": [csv_safe(report.source), report.meta.input_sha256, report.verdict.value],
        "wide": _csv_line([row.get(c) for c in WIDE_COLUMNS]),
        "cross_year": crossyear.facts(report),
        "cells": [len(line) for line in cells],
    }
    return json.dumps(rendered, ensure_ascii=False).encode("utf-8") + b"\n" + b"".join(cells)


def read_rows(data: bytes) -> tuple[dict, bytes] | None:
    """A rows file's (header, cell rows), or None when it is not whole or of another shape (it is redone)."""
    first, _, cells = data.partition(b"\n")
    try:
        rows = json.loads(first)
    except ValueError:
        return None
    whole = (
        isinstance(rows, dict)
        and rows.get("form") == ROWS_FORM
        and isinstance(rows.get("verdict"), str)
        and isinstance(rows.get("wide"), str)
        and isinstance(rows.get("head"), list)
        and len(rows["head"]) == len(HEAD_COLUMNS)
        and isinstance(rows.get("cells"), list)
    )
    try:
        return (rows, cells) if whole and sum(rows["cells"]) == len(cells) else None
    except TypeError:  # a length that is not a number
        return None


def parquet_available() -> bool:
    try:
        import pyarrow.csv
        import pyarrow.parquet  # noqa: F401
    except ImportError:
        return False
    return True


def cells_schema():
    import pyarrow as pa

    return pa.schema([(c, pa.int64() if c.startswith("span_") else pa.string()) for c in CELL_COLUMNS])


def cells_table(data: bytes, heads: list[list], counts: list[int]):
    """One block of reports' cell rows as an Arrow table in CELL_COLUMNS order: the rows parsed by
    pyarrow's CSV reader (C++), each report's own columns repeated over its rows. An empty field is
    null; no other text (not even 'NA' or 'null') is."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv

    columns = ROW_COLUMNS
    table = pacsv.read_csv(
        io.BytesIO(data),
        read_options=pacsv.ReadOptions(
            column_names=columns, block_size=len(data) + 1, use_threads=False
        ),  # one block: a field of any length fits
        parse_options=pacsv.ParseOptions(newlines_in_values=True),
        convert_options=pacsv.ConvertOptions(
            column_types={c: pa.int64() if c.startswith("span_") else pa.string() for c in columns},
            null_values=[""],
            strings_can_be_null=True,
        ),
    )
    offsets = pa.array(itertools.accumulate(counts, initial=0), pa.int32())
    report_of_row = pc.list_parent_indices(pa.ListArray.from_arrays(offsets, pa.nulls(table.num_rows)))
    head = [pc.take(pa.array([h[j] for h in heads], pa.string()), report_of_row) for j in range(len(HEAD_COLUMNS))]
    return pa.Table.from_arrays([*head, *table.columns], schema=cells_schema())


def assemble_part(job: tuple[str, int, list[tuple[str, str]], tuple[str, ...], int]) -> dict:
    """One slice of the inputs into part files of each dataset (`.parts/<n>.<name>`), streamed in blocks of
    BLOCK_REPORTS, and its reports' cross-year facts into the part's file of their bucket (`.parts/<n>.facts-<b>`,
    crossyear.bucket_of). Returns the slice's verdict counts and the `not_linked` entries of its reports that
    can be linked to no agency (few and small), or the OSError that stopped it."""
    out, number, items, names, buckets = job
    started = time.process_time()
    parts = Path(out) / ".parts"
    verdicts: Counter = Counter()
    unlinked: list[dict] = []
    block: list[bytes] = []
    heads: list[list] = []
    counts: list[int] = []
    try:
        with ExitStack() as stack:
            files = {n: stack.enter_context(open(parts / f"{number}.{n}", "wb")) for n in names if n != "cells.parquet"}
            if "records.jsonl.gz" in files:
                files["records.jsonl.gz"] = stack.enter_context(
                    gzip.GzipFile(fileobj=files["records.jsonl.gz"], mode="wb", compresslevel=GZIP_LEVEL, mtime=0)
                )
            facts = {
                b: stack.enter_context(open(parts / f"{number}.facts-{b}", "w", encoding="utf-8"))
                for b in range(buckets)
            }
            writer = None

            def flush() -> None:
                nonlocal writer
                if counts:
                    import pyarrow.parquet as pq

                    table = cells_table(b"".join(block), heads, counts)
                    if writer is None:
                        writer = stack.enter_context(
                            pq.ParquetWriter(  # no page index: parquetjoin joins the parts by their bytes
                                parts / f"{number}.cells.parquet",
                                table.schema,
                                compression="zstd",
                                write_page_index=False,
                            )
                        )
                    writer.write_table(table)
                block.clear(), heads.clear(), counts.clear()

            for record, rows_file in items:
                rows, cells = read_rows(Path(rows_file).read_bytes()) or _damaged(rows_file)
                verdicts[rows["verdict"]] += 1
                fact = rows["cross_year"]
                if (reason := crossyear.unlinked_reason(fact)) is not None:
                    unlinked.append(crossyear.unlinked_entry(fact, reason))
                else:
                    facts[crossyear.bucket_of(fact, buckets)].write(json.dumps(fact, ensure_ascii=False) + "\n")
                if "reports.csv" in files:
                    files["reports.csv"].write(rows["wide"].encode("utf-8"))
                if "cells.csv" in files:
                    files["cells.csv"].write(_with_head(rows, cells))
                if "records.jsonl" in files or "records.jsonl.gz" in files:
                    line = Path(record).read_bytes().rstrip() + b"\n"
                    for name in ("records.jsonl", "records.jsonl.gz"):
                        if name in files:
                            files[name].write(line)
                if "cells.parquet" in names and rows["cells"]:
                    block.append(cells)
                    heads.append(rows["head"])
                    counts.append(len(rows["cells"]))
                    if len(counts) >= BLOCK_REPORTS:
                        flush()
            flush()
    except OSError as exc:
        return {"errno": exc.errno, "error": exc.strerror or str(exc)}
    return {"verdicts": dict(verdicts), "unlinked": unlinked, "cpu": time.process_time() - started}


def check_bucket(job: tuple[str, int, int]) -> dict:
    """The cross-year checks of one bucket, from every part's file of it (crossyear.check_bucket)."""
    out, bucket, parts = job
    started = time.process_time()
    facts = []
    for number in range(parts):
        with open(Path(out) / ".parts" / f"{number}.facts-{bucket}", encoding="utf-8") as lines:
            facts += map(json.loads, lines)
    return crossyear.check_bucket(facts) | {"cpu": time.process_time() - started}


def _damaged(path: str):
    raise OSError(None, f"{path} changed after the run checked it: run the same command again")


def _with_head(rows: dict, cells: bytes) -> bytes:
    """The cell rows of cells.csv: the report's own columns before each row."""
    prefix = _csv_line(rows["head"]).encode("utf-8")[:-1] + b","
    pieces, at = [], 0
    for size in rows["cells"]:
        pieces += (prefix, cells[at : at + size])
        at += size
    return b"".join(pieces)


def _join(out: Path, names: tuple[str, ...], parts: int) -> None:
    """The parts, in order, into each dataset file (atomically): text by concatenation (gzip members
    concatenate into one gzip file), Parquet by its bytes (parquetjoin): no row is decoded again."""
    folder = out / ".parts"
    headers = {"reports.csv": BOM + ",".join(WIDE_COLUMNS) + "\n", "cells.csv": BOM + ",".join(CELL_COLUMNS) + "\n"}
    for name in names:
        files = [folder / f"{n}.{name}" for n in range(parts)]
        with atomic_open(out / name) as target:
            if name != "cells.parquet":
                target.write(headers.get(name, "").encode("utf-8"))
                for file in files:
                    with file.open("rb") as part:
                        shutil.copyfileobj(part, target, 1 << 20)
                continue
            present = [f for f in files if f.exists()]  # a part with no cell rows wrote no Parquet file
            if present:
                parquetjoin.join(present, target)
                continue
            import pyarrow.parquet as pq

            with pq.ParquetWriter(target, cells_schema(), compression="zstd", store_schema=False) as writer:
                writer.write_table(cells_schema().empty_table())


def write_datasets(
    out: Path, done: list[tuple[Path, Path]], names: tuple[str, ...] = DEFAULT_DATASETS, jobs: int = 1, pool=None
) -> tuple[Counter, dict, float]:
    """Assemble each (record file, rows file) into the dataset files `names` of `out`, and check across years.

    The inputs are cut into at most `jobs` parts run by `pool` (batch.run_pool's signature) when there
    are enough of them. Returns the count of each verdict, the cross-year summary (cross_year.csv
    holds every check) and the CPU seconds of the parts run in `pool`'s workers. Raises OSError when a
    part cannot be written (a full disk).
    """
    size = max(PART_REPORTS, -(-len(done) // max(1, jobs)))
    slices = [done[i : i + size] for i in range(0, len(done), size)] or [[]]
    folder = out / ".parts"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    spread = len(slices) > 1 and pool is not None  # else all in this process
    try:
        parts = [
            (str(out), n, [(str(r), str(w)) for r, w in part], names, len(slices)) for n, part in enumerate(slices)
        ]
        results = _run(assemble_part, parts, pool if spread else None, jobs, "assembling part")
        buckets = _run(
            check_bucket,
            [(str(out), b, len(slices)) for b in range(len(slices))],
            pool if spread else None,
            jobs,
            "checking across years, bucket",
        )
        verdicts: Counter = Counter()
        for result in results:
            verdicts.update(result["verdicts"])
        _join(out, names, len(slices))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    table, summary = crossyear.merge([e for r in results for e in r["unlinked"]], buckets)
    atomic_write(out / "cross_year.csv", table)
    return verdicts, summary, sum(r["cpu"] for r in results + buckets) if spread else 0.0


def _run(task, jobs_: list[tuple], pool, width: int, what: str) -> list[dict]:
    """`task` of each job, in the jobs' order: in `pool` (batch.run_pool's signature), or here when it is None.
    Raises the OSError that stopped a job, or one that says which job failed."""
    if pool is None:
        results = [task(job) for job in jobs_]
    else:
        answers = {job[1]: (ok, value) for job, ok, value in pool(task, jobs_, width, 24 * 3600.0)}
        results = [
            value if ok else {"errno": None, "error": f"{what} {n}: {value}"}
            for n, (ok, value) in sorted(answers.items())
        ]
    for result in results:
        if "error" in result:
            raise OSError(result["errno"], result["error"])
    return results
