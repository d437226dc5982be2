"""Batch extraction (`nianbao extract DIR --out OUTDIR`): resumable, bounded, and never stopped by a bad input.

Layout of OUTDIR:
  records/<sha256>.json   one record per input content, written atomically the moment it is done
  rows/<sha256>.json      its rows of reports.csv and cells.csv, rendered by the worker (written first)
  errors/<sha256>.json    the one-line reason of an input that could not be extracted
  cells.parquet, reports.csv (and on request cells.csv, records.jsonl, records.jsonl.gz: BatchOptions.datasets),
  cross_year.csv, errors.jsonl, summary.json
                          assembled at the end from the per-input files, each atomically (nianbao.datasets)

A re-run hashes its inputs and skips every content whose record (or error) already exists, so a run
killed at any point loses at most the inputs in flight. Per-input files skip the fsync (it cost as
much as extracting a text report): a kill cannot leave half a file, and the empty file a power cut
can leave counts as not done. Each input runs in a worker process that
kills itself (SIGALRM, default action) when it passes the per-file time limit, even inside C code,
and that cannot take more than WORKER_MEMORY_LIMIT; the parent logs the death and starts a new worker.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import multiprocessing
import os
import resource
import signal
import sys
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import partial
from multiprocessing.connection import Connection, wait
from pathlib import Path

from nianbao.children import die_with
from nianbao.corrections import applied
from nianbao.datasets import DATASETS, DEFAULT_DATASETS, dataset_rows, parquet_available, read_rows, write_datasets
from nianbao.ingest import IngestError, Unreadable, path_text
from nianbao.output import atomic_write
from nianbao.pipeline import Options, crash_reason, extract_path
from nianbao.records import load_record, slim
from nianbao.schemas.record import Verdict

WORKER_MEMORY_LIMIT = 4 * 2**30
PREFETCH = 2  # items a pool worker holds: the one it runs and the next
COUNTED = (*(v.value for v in Verdict), "error")


PER_INPUT = ("records", "rows", "errors")  # OUT's folders of per-input files


class BatchError(Exception):
    """The batch as a whole cannot run (not one input's problem); the message is one line."""


class Trouble(str):
    """The reason an input failed when the run, not the input, is to blame: the output folder or the disk, a file
    that vanished, changed or could not be read just then, a worker lost for no fault of its input. It is
    reported like any error, but never saved as the input's own, so the next run tries the input again."""


@dataclass(frozen=True)
class BatchOptions:
    extract: Options = Options()  # the pipeline's own options (mode, model settings), sent to every worker
    jobs: int = 2  # worker processes for the parser path (CPU-bound)
    model_concurrency: int = 4  # worker processes when the model path runs (I/O-bound: more than the cores)
    timeout: float = 60.0  # seconds per input, enforced by killing its worker
    retry_errors: bool = False  # re-run inputs that failed before instead of skipping them
    progress: bool = True
    runner: Callable | None = None  # where inputs run: None is this machine's pool (run_pool); or extractor/engine.py
    datasets: tuple[str, ...] = DEFAULT_DATASETS  # the dataset files to assemble (nianbao.datasets.DATASETS)

    @property
    def workers(self) -> int:
        return self.jobs if self.extract.mode == "rules" else self.model_concurrency


@dataclass(frozen=True)
class Task:
    path: str
    sha256: str
    source: str | None = None  # what the record calls the input, when `path` is a staged copy (a URL, a crawl row)
    properties: dict | None = None  # what a crawl file's row says of its page (nianbao.crawl)


@dataclass
class BatchResult:
    inputs: int = 0
    extracted: int = 0  # records written by this run
    skipped: int = 0  # inputs done by an earlier run
    duplicates: list[dict] = field(
        default_factory=list
    )  # {path, same_content_as}: inputs whose content an earlier input has
    run_counts: Counter = field(default_factory=Counter)  # this run: verdicts and errors
    dataset_counts: Counter = field(default_factory=Counter)  # the whole dataset
    errors: int = 0  # lines in errors.jsonl
    trouble: int = 0  # of which the run's trouble, not the input's (Trouble): retried by the next run
    parquet: bool = False  # pyarrow is there to write Parquet
    datasets: list[str] = field(default_factory=list)  # the dataset files written
    seconds: float = 0.0
    extract_cpu_seconds: float = 0.0  # the CPU the inputs extracted by this run cost the workers (extract_one)
    assemble_seconds: float = 0.0  # of which: building the datasets from the per-input files
    assemble_cpu_seconds: float = 0.0  # the CPU time that took, in this process and the assembling workers
    assemble_serial_cpu_seconds: float = 0.0  # of which in this process: the part that does not spread over workers
    cross_year: dict = field(default_factory=dict)  # the cross-year checks' summary (crossyear.summarise)

    @property
    def exit_code(self) -> int:
        return 1 if self.errors else 0


# ---------------------------------------------------------------- worker pool


def _call(fn: Callable, item) -> tuple[bool, object]:
    """Run one item; any failure becomes a one-line reason, never a traceback."""
    try:
        return True, fn(item)
    except Unreadable as exc:
        return False, Trouble(str(exc))
    except IngestError as exc:
        return False, str(exc)
    except MemoryError:
        return False, f"needed more than the {WORKER_MEMORY_LIMIT // 2**30} GiB memory limit"
    except OSError as exc:  # writing the output (a full disk, a folder that is not one): the run's trouble
        where = f" {path_text(exc.filename)}" if exc.filename else ""
        return False, Trouble(f"cannot write{where}: {exc.strerror or type(exc).__name__}")
    except Exception as exc:  # a bug in nianbao: say where, and go on with the next input
        return False, crash_reason(exc)


def _serve(conn: Connection, fn: Callable, timeout: float, owner: int) -> None:
    """A worker: items in, (ok, value) out, until the pipe closes. Past `timeout` SIGALRM kills it, and
    it dies with `owner`, the process that started the pool, mid-input or not."""
    die_with(owner)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    signal.signal(signal.SIGALRM, signal.SIG_DFL)
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(
        resource.RLIMIT_AS,
        (WORKER_MEMORY_LIMIT if hard == resource.RLIM_INFINITY else min(hard, WORKER_MEMORY_LIMIT), hard),
    )
    while True:
        try:
            item = conn.recv()
        except EOFError:  # the parent is gone
            return
        signal.setitimer(signal.ITIMER_REAL, timeout)
        result = _call(fn, item)
        signal.setitimer(signal.ITIMER_REAL, 0)
        try:
            conn.send(result)
        except OSError:
            return


def _death_reason(exitcode: int | None, timeout: float) -> str:
    """A killed worker is its input's doing (time, memory, a crash in C); one that exited is the run's."""
    if exitcode == -signal.SIGALRM:
        return f"timed out: still running after the {timeout:g} s per-file limit (worker killed)"
    if exitcode == -signal.SIGKILL:
        return "worker killed (SIGKILL: out of memory?)"
    if exitcode is not None and exitcode < 0:
        return f"worker killed by signal {-exitcode}"
    return Trouble(f"worker died (exit code {exitcode})")


def run_pool(
    fn: Callable, items: Iterable, workers: int, timeout: float, keep: list | None = None
) -> Iterator[tuple[object, bool, object]]:
    """Yield (item, ok, value or reason) for each item, in completion order, at most `workers` at a time.

    `fn` must be picklable (a module-level function or a partial of one). A worker that dies — killed
    by its time limit, the kernel or a crash — costs only its own item. Each worker holds its next item
    (PREFETCH) while it works on one, so it never waits for this process to wake up and send it; the
    items a dead worker held and had not started are run again. `keep`: idle workers (for this same
    `fn`) taken from and left in this list rather than killed at the end, so that the next call skips
    the start and the first-use setup of a worker.
    """
    ctx = multiprocessing.get_context("forkserver")  # fork is unsafe beside the progress bar's thread
    ctx.set_forkserver_preload(["nianbao.pipeline"])
    queue = deque(items)
    idle: list[tuple[multiprocessing.Process, Connection]] = keep if keep is not None else []
    busy: dict[Connection, tuple[multiprocessing.Process, deque]] = {}  # a worker's items, in the order it runs them

    def spawn() -> tuple[multiprocessing.Process, Connection]:
        parent_end, child_end = ctx.Pipe()
        process = ctx.Process(target=_serve, args=(child_end, fn, timeout, os.getpid()), daemon=True)
        process.start()
        child_end.close()
        return process, parent_end

    try:
        while queue or busy:
            while queue and len(busy) < workers:
                process, conn = idle.pop() if idle else spawn()
                try:
                    conn.send(queue[0])
                except OSError:  # an idle worker that died after its last answer
                    process.join()
                    conn.close()
                    continue
                busy[conn] = (process, deque([queue.popleft()]))
            for conn, (_, held) in busy.items():
                while queue and len(held) < PREFETCH:
                    try:
                        conn.send(queue[0])
                    except OSError:  # it died: its answers and its death are read below
                        break
                    held.append(queue.popleft())
            ready = set(wait([*busy, *(p.sentinel for p, _ in busy.values())]))
            for conn, (process, held) in list(busy.items()):
                if conn not in ready and process.sentinel not in ready:
                    continue
                try:
                    ok, value = conn.recv()
                    item = held.popleft()
                    if not held:
                        del busy[conn]
                        idle.append((process, conn))
                except (EOFError, OSError):
                    del busy[conn]
                    process.join()
                    conn.close()
                    item = held.popleft()
                    ok, value = False, _death_reason(process.exitcode, timeout)
                    queue.extendleft(reversed(held))  # not started: not its fault
                yield item, ok, value
    finally:
        for process, conn in [*(idle if keep is None else ()), *((p, c) for c, (p, _) in busy.items())]:
            process.kill()
            process.join()
            conn.close()


# ---------------------------------------------------------------- one input


def record_path(out: Path, sha256: str) -> Path:
    return out / "records" / f"{sha256}.json"


def rows_path(out: Path, sha256: str) -> Path:
    return out / "rows" / f"{sha256}.json"


def error_path(out: Path, sha256: str) -> Path:
    return out / "errors" / f"{sha256}.json"


def extract_one(task: Task, out: str, options: Options) -> tuple[str, float]:
    """Extract one input and save its dataset rows, then its record (the mark of done); returns the verdict and
    the CPU seconds that took this worker (summary.json's `extract_cpu_seconds`: a cost model's work a report).

    Runs in a worker, so the rows' rendering is spread over the workers rather than left to the end.
    An input already done (a lost cluster worker's, re-run elsewhere) is not done again.
    """
    started = time.process_time()
    if done(Path(out), task.sha256, applied(options.corrections, task.sha256)):
        verdict = read_rows(rows_path(Path(out), task.sha256).read_bytes())[0]["verdict"]
        return verdict, time.process_time() - started
    report = extract_path(task.path, options, task.source, task.properties, task.sha256)
    atomic_write(rows_path(Path(out), task.sha256), dataset_rows(report), durable=False)
    atomic_write(record_path(Path(out), task.sha256), json.dumps(slim(report), ensure_ascii=False), durable=False)
    return report.verdict.value, time.process_time() - started


def identify(path: Path) -> tuple[str | None, str | None]:
    """(sha256 of the content, None), or (None, why it cannot be read); never blocks on a FIFO or device."""
    if not path.is_file():
        return None, "not a regular file" if path.exists() else "no such file"
    try:
        with path.open("rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest(), None
    except OSError as exc:
        return None, f"cannot read: {exc.strerror}"


# ---------------------------------------------------------------- the run


def _progress(enabled: bool):
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[counts]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        disable=not enabled,
    )


def format_counts(counts: Counter) -> str:
    return " · ".join(f"{name} {counts[name]}" for name in COUNTED if counts[name] or name in ("verified", "error"))


def _lock(out: Path):
    """One batch per OUTDIR: two runs would race on the same records and datasets. Its per-input folders are
    checked here, so an OUTDIR that cannot hold them is refused before any input is read, not blamed on each."""
    out.mkdir(parents=True, exist_ok=True)
    handle = (out / ".lock").open("w")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise BatchError(f"another batch is writing to {out}") from None
    for folder in (out / name for name in PER_INPUT):
        why = "is not a folder" if folder.exists() and not folder.is_dir() else None
        if why is None and not os.access(folder if folder.exists() else out, os.W_OK | os.X_OK):
            why = "is not writable"
        if why:
            handle.close()
            raise BatchError(f"{path_text(folder)} {why}: move it away, or choose another --out")
    return handle


def outputs_of(out: Path) -> Callable[[Path], bool]:
    """Whether a file is one this batch writes in OUT: never read back as an input, even when OUT is the input
    folder itself (`--out .`); any other file there is an input like the rest."""
    root = out.resolve()
    files = {root / name for name in (*DATASETS, "cross_year.csv", "errors.jsonl", "summary.json", ".lock")}
    folders = {root / folder for folder in PER_INPUT}
    return lambda path: (resolved := path.resolve()) in files or any(f in resolved.parents for f in folders)


def saved(path: Path) -> bool:
    """Present and not empty: an un-synced file that a power cut emptied counts as never written."""
    try:
        return path.stat().st_size > 0
    except FileNotFoundError:
        return False


def done(out: Path, sha256: str, corrections: str | None = None) -> bool:
    """Record and rows both saved and whole, the record a valid one: a file emptied by a power cut, corrupted by a
    disk or written by a hand means the input is redone rather than its bytes copied into the datasets (or
    crashing them, or a review of them). So is a record made with other corrections than `corrections` (their
    digest; None: none)."""
    try:
        rows = read_rows(rows_path(out, sha256).read_bytes())
        record = load_record(json.loads(record_path(out, sha256).read_bytes()))
    except (OSError, ValueError):
        return False
    return (
        rows is not None
        and record.verdict.value == rows[0]["verdict"]
        and record.provenance.corrections_sha256 == corrections
    )


def saved_error(out: Path, sha256: str) -> dict | None:
    """The reason an earlier run saved for an input, or None (none, or a corrupted file: try it again)."""
    try:
        error = json.loads(error_path(out, sha256).read_bytes())
    except (OSError, ValueError):
        return None
    return error if isinstance(error, dict) and isinstance(error.get("reason"), str) else None


def _remove_stale_temporaries(out: Path) -> None:
    """Temporary files of a run or worker killed mid-write (atomic_open names them `.<name>.*.tmp`); the lock
    makes this run the folder's only writer, so any left before or after its tasks are orphans."""
    for folder in (out, out / "records", out / "rows", out / "errors"):
        for tmp in folder.glob(".*.tmp"):
            tmp.unlink(missing_ok=True)


def run_batch(
    files: list[Path],
    out: Path,
    options: BatchOptions = BatchOptions(),
    log: Callable[[str], None] = lambda m: print(m, file=sys.stderr),
    names: dict[Path, str] | None = None,
    properties: dict[Path, dict] | None = None,
) -> BatchResult:
    """Extract every input into OUTDIR, skipping what an earlier run finished, then assemble the datasets.

    `names`: what records and errors call an input whose file is a staged copy (its URL, a crawl file's
    row); `properties`: what a crawl file's row says of its page."""
    names, properties = names or {}, properties or {}
    started = time.perf_counter()
    lock = _lock(out)
    try:
        _remove_stale_temporaries(out)
        result = BatchResult(parquet=parquet_available())
        written = options.datasets
        if "cells.parquet" in written and not result.parquet:  # the cells are never lost for a missing library
            written = tuple(dict.fromkeys("cells.csv" if n == "cells.parquet" else n for n in written))
        result.datasets = list(written)
        ours = outputs_of(out)
        files = [f for f in files if not ours(f)]
        result.inputs = len(files)
        order: list[tuple[str, str | None, str | None]] = []  # (path, sha256, reason when unreadable)
        first_path: dict[str, str] = {}
        todo: list[Task] = []
        for path in files:
            sha, reason = identify(path)
            name = names.get(path) or path_text(path)
            if sha is None:
                order.append((name, None, reason))
                continue
            if sha in first_path:
                result.duplicates.append({"path": name, "same_content_as": first_path[sha]})
                continue
            first_path[sha] = name
            order.append((name, sha, None))
            if done(out, sha, applied(options.extract.corrections, sha)) or (
                saved_error(out, sha) is not None and not options.retry_errors
            ):
                result.skipped += 1
            else:
                todo.append(Task(str(path), sha, names.get(path), properties.get(path)))

        trouble: dict[str, str] = {}  # sha256 → the run's reason, not saved as the input's
        work = partial(extract_one, out=str(out), options=options.extract)
        with _progress(options.progress and bool(todo)) as progress:
            bar = progress.add_task(f"extracting ({result.skipped} done before)", total=len(todo), counts="")
            for task, ok, value in (options.runner or run_pool)(work, todo, options.workers, options.timeout):
                if ok:
                    verdict, cpu = value
                    result.extracted += 1
                    result.run_counts[verdict] += 1
                    result.extract_cpu_seconds += cpu
                    error_path(out, task.sha256).unlink(missing_ok=True)
                elif isinstance(value, Trouble):
                    result.run_counts["error"] += 1
                    trouble[task.sha256] = str(value)
                else:
                    result.run_counts["error"] += 1
                    atomic_write(
                        error_path(out, task.sha256),
                        json.dumps(
                            {"path": task.source or path_text(task.path), "sha256": task.sha256, "reason": value},
                            ensure_ascii=False,
                        ),
                        durable=False,
                    )
                progress.update(bar, advance=1, counts=format_counts(result.run_counts))
        _remove_stale_temporaries(out)  # a worker killed mid-write this run (a lost machine) left its half

        assembling, cpu = time.perf_counter(), time.process_time()
        assemble(out, order, result, written, options.jobs, trouble)
        result.assemble_seconds = time.perf_counter() - assembling
        result.assemble_serial_cpu_seconds = time.process_time() - cpu
        result.assemble_cpu_seconds += result.assemble_serial_cpu_seconds
        result.seconds = time.perf_counter() - started
        _write_summary(out, result)
    finally:
        lock.close()
    if "cells.parquet" in options.datasets and not result.parquet:
        log(
            "nianbao: note: pyarrow is not installed, so cells.parquet was skipped: cells.csv holds the cells (pip install pyarrow)"
        )
    errors = f"; the errors are listed in {path_text(out / 'errors.jsonl')}" if result.errors else ""
    if result.trouble:
        errors += (
            f"; {result.trouble} of them the run's trouble, not the input's (the output, the disk, a file that "
            "moved or changed): run the same command again to finish them"
        )
    log(
        f"nianbao: {result.inputs} inputs: {result.extracted} extracted, {result.skipped} done before, {len(result.duplicates)} duplicates; "
        f"dataset: {format_counts(result.dataset_counts)} ({result.seconds:.1f} s){errors}"
    )
    return result


def _write_summary(out: Path, result: BatchResult) -> None:
    summary = {
        "inputs": result.inputs,
        "extracted": result.extracted,
        "skipped_done_before": result.skipped,
        "duplicates": result.duplicates,
        "this_run": dict(result.run_counts),
        "dataset": dict(result.dataset_counts),
        "errors": result.errors,
        "retry_next_run": result.trouble,
        "parquet": result.parquet,
        "datasets": result.datasets,
        "seconds": round(result.seconds, 3),
        "extract_cpu_seconds": round(result.extract_cpu_seconds, 3),
        "assemble_seconds": round(result.assemble_seconds, 3),
        "assemble_cpu_seconds": round(result.assemble_cpu_seconds, 3),
        "assemble_serial_cpu_seconds": round(result.assemble_serial_cpu_seconds, 3),
        "cross_year": result.cross_year,
    }
    atomic_write(out / "summary.json", json.dumps(summary, ensure_ascii=False, indent=2) + "\n")


def assemble(
    out: Path,
    order: list[tuple[str, str | None, str | None]],
    result: BatchResult,
    names: tuple[str, ...],
    jobs: int,
    trouble: dict[str, str],
) -> None:
    """The datasets and errors.jsonl for this run's inputs, in input order, from the per-input files and
    this run's `trouble` (which has no file: `"retry": true` in errors.jsonl)."""
    finished: list[tuple[Path, Path]] = []
    errors: list[dict] = []
    for path, sha, reason in order:
        if sha is None:
            errors.append({"path": path, "sha256": None, "reason": reason})
        elif saved(record := record_path(out, sha)) and saved(rows := rows_path(out, sha)):  # checked by `done`
            finished.append((record, rows))
        elif sha in trouble:
            errors.append({"path": path, "sha256": sha, "reason": trouble[sha], "retry": True})
        elif (error := saved_error(out, sha)) is not None:
            errors.append(error | {"path": path})
    atomic_write(out / "errors.jsonl", "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in errors))
    result.dataset_counts, result.cross_year, result.assemble_cpu_seconds = write_datasets(
        out, finished, names, jobs, run_pool
    )
    for name in set(DATASETS) - set(names):  # an earlier run's file would no longer match the records
        (out / name).unlink(missing_ok=True)
    result.errors = len(errors)
    result.trouble = len(trouble)
    result.dataset_counts["error"] = len(errors)
