"""`nianbao bench`: how fast, how much memory, and whether reading is the limit.

Inputs are generated from the committed corpus and gold (eval.samples), so the figures can be
reproduced on any checkout. Each kind is measured in a fresh worker process, so its peak RSS is its
own; the big batch runs the real CLI (`extract DIR --out OUT --jobs J`) in a subprocess. Wall time and
CPU time are both shown: on a shared machine the CPU seconds a kind costs do not move with the load.
"""

from __future__ import annotations

import cProfile
import json
import os
import pstats
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

from nianbao.batch import run_pool
from nianbao.engine import chunk_size
from nianbao.eval.samples import write_samples
from nianbao.pipeline import extract_path
from nianbao.records import record_texts


def _peak_mib(who: int = resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # Linux reports KiB


def _read_seconds(files: list[Path]) -> float:
    started = time.perf_counter()
    for path in files:
        path.read_bytes()
    return time.perf_counter() - started


def _pages(files: list[Path]) -> int:
    import pypdfium2 as pdfium

    return sum(len(pdfium.PdfDocument(path)) for path in files if path.suffix == ".pdf")


def measure_kind(inputs: tuple[str, str]) -> dict:
    """Runs in a fresh worker: the time to only read the files, then to extract them, and the peak RSS.

    `inputs` is the folder and one more input of the kind, extracted before them and timed on its own: it
    pays for the imports and first-use setup a worker pays once, so the rate is the one a batch worker keeps."""
    folder, first = inputs
    files = sorted(Path(folder).iterdir())
    read = _read_seconds(files)
    started = time.perf_counter()
    extract_path(first)
    warm = time.perf_counter() - started
    started, cpu = time.perf_counter(), time.process_time()
    verdicts = Counter(extract_path(path).verdict.value for path in files)
    extract, cpu = time.perf_counter() - started, time.process_time() - cpu
    return {
        "n": len(files),
        "pages": _pages(files),
        "read_s": read,
        "first_s": warm,
        "extract_s": extract,
        "cpu_s": cpu,
        "peak_mib": _peak_mib(),
        "verdicts": dict(verdicts),
    }


def inputs(work: Path, kind: str, n: int, start: int = 0) -> Path:
    """`n` generated inputs of one kind, reused when a kept work folder already has them."""
    folder = work / (f"{kind}-{n}" if start == 0 else f"{kind}-{n}-from-{start}")
    if not folder.is_dir() or sum(1 for _ in folder.iterdir()) != n:
        shutil.rmtree(folder, ignore_errors=True)
        write_samples(folder, kind, n, start)
    return folder


def bench_kinds(work: Path, kinds: list[str], n: int) -> dict[str, dict]:
    """The table of kinds; returns each kind's measurements (`measure_kind`)."""
    print(
        "| kind | n | pages | read only (s) | first report (s) | extract (s) | CPU (s) | reports/s (1 core) "
        "| reports per CPU-s | pages per CPU-s | peak RSS (MiB) | verdicts |\n|---|---|---|---|---|---|---|---|---|---|---|---|"
    )
    measured = {}
    for kind in kinds:
        folder = inputs(work, kind, n)
        [first] = inputs(work, kind, 1, start=n).iterdir()  # the sample after the measured ones
        [(_, ok, m)] = run_pool(measure_kind, [(str(folder), str(first))], workers=1, timeout=24 * 3600)
        if not ok:
            print(f"| {kind} | {n} | failed: {m} |")
            continue
        measured[kind] = m
        pages = f"{m['pages'] / m['cpu_s']:.2f}" if m["pages"] else "—"
        print(
            f"| {kind} | {m['n']} | {m['pages'] or '—'} | {m['read_s']:.3f} | {m['first_s']:.2f} | {m['extract_s']:.2f} "
            f"| {m['cpu_s']:.2f} | {m['n'] / m['extract_s']:.1f} | {m['n'] / m['cpu_s']:.1f} | {pages} "
            f"| {m['peak_mib']:.0f} | {m['verdicts']} |",
            flush=True,
        )
    return measured


def _batch_cli(folder: Path, out: Path, *flags: str, fresh: bool = True) -> tuple[float, dict] | None:
    """`nianbao extract FOLDER --out OUT FLAGS` (from scratch unless not `fresh`): (wall seconds, summary.json), or None if it failed."""
    if fresh:
        shutil.rmtree(out, ignore_errors=True)
    command = [sys.executable, "-m", "nianbao.cli", "extract", str(folder), "--out", str(out), "--mode", "rules"]
    command += flags
    started = time.perf_counter()
    run = subprocess.run(command, check=False, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if run.returncode not in (0, 1):
        print(f"batch failed ({run.returncode}): {run.stderr.strip()[-500:]}")
        return None
    return wall, json.loads((out / "summary.json").read_text(encoding="utf-8"))


def _kib(paths: list[Path], n: int) -> str:
    return f"{sum(p.stat().st_size for p in paths) / 1024 / max(n, 1):.2f} KiB a report"


def bench_batch(work: Path, n: int, jobs: int) -> tuple[float, dict] | None:
    """A large text batch through the CLI, as a user runs it; the files' read-only time beside it; what the
    datasets weigh; the assembly's share of the wall, measured here and projected to 16 workers from the run's
    CPU time (summary.json: the workers' CPU a report, the assembly's in the driver and in its parts).
    """
    from nianbao.datasets import DATASETS, DEFAULT_DATASETS

    folder = inputs(work, "txt", n)
    out = work / f"batch-out-{n}"
    read = _read_seconds(sorted(folder.iterdir()))
    measured = _batch_cli(folder, out, "--jobs", str(jobs))
    if measured is None:
        return None
    wall, summary = measured
    assembly = summary["assemble_seconds"]
    extract = wall - assembly
    sizes = {p.name: p.stat().st_size / 2**20 for p in out.iterdir() if p.is_file() and not p.name.startswith(".")}
    print(
        f"\nbatch: {n} text reports, --jobs {jobs}: {wall:.1f} s wall = {n / wall:.1f} reports/s end to end "
        f"({extract:.1f} s extracting = {n / extract:.1f} reports/s, {assembly:.1f} s assembling the datasets); "
        f"reading the files alone: {read:.2f} s\n"
        f"  peak RSS of the largest process in the run: {_peak_mib(resource.RUSAGE_CHILDREN):.0f} MiB; dataset: {summary['dataset']}\n"
        f"  output sizes (MiB): " + ", ".join(f"{k} {v:.1f}" for k, v in sorted(sizes.items()))
    )
    per_input = [p for folder in ("records", "rows") for p in (out / folder).iterdir()]
    print(
        f"  datasets by default ({', '.join(DEFAULT_DATASETS)}): {_kib([out / d for d in DEFAULT_DATASETS], n)}; "
        f"the per-input files a re-run resumes from (records/, rows/): {_kib(per_input, n)}"
    )
    cpu, serial = summary["assemble_cpu_seconds"], summary["assemble_serial_cpu_seconds"]
    per_report = summary["extract_cpu_seconds"] / max(1, summary["extracted"])
    workers = 16
    projected_extract = n * per_report / workers
    projected = serial + (cpu - serial) / workers
    print(
        f"  assembly: {100 * assembly / wall:.1f} % of the wall at --jobs {jobs}; {cpu:.2f} s CPU = "
        f"{1000 * cpu / n:.3f} ms a report, {serial:.2f} s of it in the driver; at {workers} workers (projected "
        f"from this run's CPU time: a worker's {1000 * per_report:.2f} ms a report (extract, render the rows, write "
        f"the record), the driver's share serial, the parts' over {workers} workers): {projected_extract:.2f} s "
        f"extracting + {projected:.2f} s assembling = {100 * projected / (projected_extract + projected):.1f} % of the wall"
    )
    asked = _batch_cli(folder, out, "--jobs", str(jobs), "--datasets", ",".join(DATASETS), fresh=False)
    if asked is not None:
        again, summary = asked
        print(
            f"  every dataset (--datasets {','.join(DATASETS)}), a re-run that only assembles: {again:.1f} s wall, "
            f"{summary['assemble_seconds']:.1f} s assembling ({summary['assemble_cpu_seconds']:.2f} s CPU); "
            + "; ".join(f"{d} {_kib([out / d], n)}" for d in DATASETS)
        )
    return measured


# The cluster settings docs/datasets.md recommends for nianbao's long CPU-bound tasks: Dask's defaults wake every
# process every 20 ms (the event loop's tick) and sample every worker thread's stack every 10 ms (the profiler),
# which cost an idle 2-worker cluster about 9 % of a core here, one of two cores' workers' share; with these, 1 %.
QUIET_CLUSTER = {
    "DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED": "False",
    "DASK_DISTRIBUTED__ADMIN__TICK__INTERVAL": "1s",
    "DASK_DISTRIBUTED__ADMIN__SYSTEM_MONITOR__INTERVAL": "2s",
    "DASK_DISTRIBUTED__WORKER__MEMORY__MONITOR_INTERVAL": "1s",
    "DASK_DISTRIBUTED__NANNY__MEMORY__MONITOR_INTERVAL": "1s",
}


@contextmanager
def dask_cluster(root: Path, workers: int, threads: int = 1, timeout: float = 90.0):
    """A real Dask cluster on 127.0.0.1, started with Dask's own CLI (`dask scheduler`, `dask worker`) and the
    settings docs/datasets.md recommends (QUIET_CLUSTER).

    Yields (scheduler address, worker processes, the scheduler's process); each process has its own process
    group, so a caller can kill one whole worker (nanny, worker, sandbox) like a lost machine. All are killed
    at exit. They stay in the caller's session: where the kernel shares the CPU out by session (Linux
    autogroup), a cluster of sessions of its own would get several shares of a loaded machine where the
    local pool gets one, and look faster than it is.
    """
    from distributed import Client

    dask = str(Path(sys.executable).with_name("dask"))
    file = root / "scheduler.json"
    local = ["--host", "127.0.0.1", "--no-dashboard"]
    worker = ["worker", *local, "--scheduler-file", str(file), "--nthreads", str(threads), "--death-timeout", "60"]
    processes: list[subprocess.Popen] = []

    def start(args: list[str], log: str) -> subprocess.Popen:
        with (root / log).open("wb") as handle:
            process = subprocess.Popen(
                [dask, *args],
                stdout=handle,
                stderr=subprocess.STDOUT,
                process_group=0,  # its own group, to be killed whole; the caller's session, to share its CPU
                env={**os.environ, **QUIET_CLUSTER},
            )
        processes.append(process)
        return process

    file.unlink(missing_ok=True)  # an earlier run's file would send the workers to its dead scheduler
    try:
        start(["scheduler", *local, "--port", "0", "--scheduler-file", str(file)], "scheduler.log")
        started = [start(worker, f"worker{i}.log") for i in range(workers)]
        deadline = time.monotonic() + timeout
        while not file.exists():
            if time.monotonic() > deadline or processes[0].poll() is not None:
                raise RuntimeError(f"the Dask scheduler did not start: see {root / 'scheduler.log'}")
            time.sleep(0.1)
        address = json.loads(file.read_text())["address"]
        with Client(address, timeout=timeout, set_as_default=False) as client:
            client.wait_for_workers(workers, timeout=max(1.0, deadline - time.monotonic()))
        yield address, started, processes[0]
    finally:
        for process in processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _cpu_seconds(pid: int) -> float:
    """The CPU seconds (user + system) one live process has used (Linux /proc); 0 when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _cluster_cpu(scheduler: subprocess.Popen, workers: list[subprocess.Popen]) -> float:
    """The CPU the cluster's own processes have used: the scheduler, each nanny and its worker, not the
    sandboxes (which do what the local pool's workers do)."""
    pids = [scheduler.pid]
    for nanny in workers:
        pids.append(nanny.pid)
        try:
            pids += map(int, Path(f"/proc/{nanny.pid}/task/{nanny.pid}/children").read_text().split())
        except OSError:
            pass
    return sum(map(_cpu_seconds, pids))


def bench_engine(work: Path, n: int, jobs: int, local: tuple[float, dict]) -> None:
    """The batch just run on the local pool (`local`), on a local Dask cluster of `jobs` one-thread workers, then
    on the local pool again: the overhead is Dask's wall against the mean of the two local runs, so a load that
    drifts during the bench does not pass for the engine's cost. The cluster's start is timed apart, and the
    CPU its own processes use (scheduler, nannies, workers; not the sandboxes) is the engine's cost in CPU,
    which the load moves far less than the wall. With the run's CPU figures it gives the cost model.
    """
    folder = inputs(work, "txt", n)
    root = work / "cluster"
    root.mkdir(exist_ok=True)
    started = time.perf_counter()
    with dask_cluster(root, jobs) as (address, workers, scheduler):
        up = time.perf_counter() - started
        before = _cluster_cpu(scheduler, workers)
        dask = _batch_cli(folder, work / "engine-dask", "--engine", "dask", "--address", address)
        cluster_cpu = _cluster_cpu(scheduler, workers) - before
    again = _batch_cli(folder, work / "engine-local", "--jobs", str(jobs))
    if dask is None or again is None:
        return
    (dask_wall, dask_summary), runs = dask, [local, again]
    local_wall = sum(wall for wall, _ in runs) / 2
    local_extract = sum(wall - summary["assemble_seconds"] for wall, summary in runs) / 2
    dask_extract = dask_wall - dask_summary["assemble_seconds"]
    per_input = (dask_extract - local_extract) / n
    work_cpu = dask_summary["extract_cpu_seconds"]
    size = chunk_size(n, jobs)
    print(
        f"\nengine: {n} text reports, {jobs} workers: local pool {local[0]:.1f} s, Dask {dask_wall:.1f} s, local pool "
        f"again {again[0]:.1f} s; Dask's overhead against the local runs' mean ({local_wall:.1f} s): "
        f"{100 * (dask_wall / local_wall - 1):+.1f} % of the wall ({100 * (dask_extract / local_extract - 1):+.1f} % of "
        f"the extracting) = {1000 * per_input:+.2f} ms per report; the cluster's own processes used {cluster_cpu:.1f} s "
        f"CPU = {1000 * cluster_cpu / n:.2f} ms a report = {100 * cluster_cpu / work_cpu:.1f} % of the CPU its "
        f"sandboxes spent extracting ({1000 * work_cpu / n:.2f} ms a report); tasks of {size} reports "
        f"({-(-n // size)} tasks, a sandbox kept per worker between them); the cluster took {up:.1f} s to start "
        "(not in Dask's wall)"
    )
    summary = local[1]
    cpu, serial = summary["assemble_cpu_seconds"], summary["assemble_serial_cpu_seconds"]
    per_core = summary["extracted"] / summary["extract_cpu_seconds"]
    cost_model(per_core, cluster_cpu / n, serial / n, (cpu - serial) / n)


def cost_model(
    per_core: float, overhead: float, serial: float, parts: float, cores: int = 16, reports: int = 1_000_000
) -> None:
    """Hours for `reports` on N machines of `cores` cores: the workers' share, plus the driver's assembly.

    per_core: reports/s one core of a worker extracts (the workers' CPU, rendering and writing included);
    overhead: CPU seconds per report the engine's own processes add (spread over the workers); serial,
    parts: CPU seconds per report of the assembly in the driver's own process and in its parts, which the
    driver runs over its own `cores` (the same at any number of machines).
    """
    assembling = reports * (serial + parts / cores)
    print(
        f"\ncost model: {reports:,} text reports on N machines of {cores} cores ({per_core:.0f} reports/s per core, "
        f"{1000 * overhead:.2f} ms engine CPU per report, assembly {1000 * serial:.3f} ms serial + "
        f"{1000 * parts:.3f} ms in parts over {cores} cores per report, on the driver):"
    )
    print(
        "| machines | extracting | assembling | total | assembly's share | machine-hours |\n|---|---|---|---|---|---|"
    )
    for machines in (1, 2, 4, 8, 16, 32, 64):
        extracting = reports * (1 / per_core + overhead) / (machines * cores)
        total = extracting + assembling
        cells = (extracting / 60, assembling / 60, total / 60)
        print(
            f"| {machines} | "
            + " | ".join(f"{c:.1f} min" for c in cells)
            + f" | {100 * assembling / total:.0f} % | {machines * total / 3600:.1f} |"
        )


def panel_records(batch_out: Path, target: Path, n: int, years: int = 5) -> None:
    """`n` records for the review bench: the batch's records over and over, relabelled as agencies × `years` years.

    The generated batch is copies of a few reports under a few names; an index of 10,000 reports is
    measured on the shape a real panel has (many agencies, a few consecutive years each).
    """
    records = list(record_texts(batch_out))  # records/ of the batch: records.jsonl is not a default dataset
    with target.open("w", encoding="utf-8") as handle:
        for i in range(n):
            record = json.loads(records[i % len(records)])
            record["meta"] |= {
                "agency_name": f"样本机关{i // years:05d}",
                "scope": "agency",
                "report_year": 2020 + i % years,
            }
            if i >= len(records):  # a distinct page address per copy; the source text is still the batch's input
                record["meta"]["input_sha256"] = f"{i:016x}{record['meta']['input_sha256'][16:]}"
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")


def bench_review(work: Path, batch: int, n: int, jobs: int) -> None:
    """`nianbao review` of `n` records made from the batch: the site's build time and size, and what the index weighs."""
    records, site = work / f"review-{n}.jsonl", work / f"review-{n}"
    panel_records(work / f"batch-out-{batch}", records, n)
    shutil.rmtree(site, ignore_errors=True)
    command = [sys.executable, "-m", "nianbao.cli", "review", str(records), "-o", str(site), "--jobs", str(jobs)]
    started = time.perf_counter()
    run = subprocess.run(command, check=False, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if run.returncode != 0:
        print(f"review failed ({run.returncode}): {run.stderr.strip()[-500:]}")
        return
    pages = sum(1 for _ in (site / "r").iterdir())
    total = sum(p.stat().st_size for p in site.rglob("*") if p.is_file())
    index = (site / "index.html").stat().st_size + (site / "data" / "index.js").stat().st_size
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(
        f"\nreview: {n} records ({batch}-report batch relabelled as {n // 5} agencies × 5 years), --jobs {jobs}: "
        f"{wall:.1f} s wall = {pages / wall:.0f} pages/s ({usage.ru_utime + usage.ru_stime:.0f} s CPU for the bench's subprocesses so far); "
        f"site {total / 2**20:.0f} MiB = {total / pages / 1024:.0f} KiB a report page; the index page and its data {index / 2**20:.1f} MiB; "
        f"{run.stderr.strip().splitlines()[-1]}"
    )


def profile_text(work: Path, n: int, top: int = 15) -> None:
    """cProfile of the text path, in this process: where a text report's time goes."""
    files = sorted(inputs(work, "txt", n).iterdir())
    profiler = cProfile.Profile()
    profiler.enable()
    for path in files:
        extract_path(path)
    profiler.disable()
    stats = pstats.Stats(profiler)
    total = stats.total_tt
    print(f"\nprofile: text path, {len(files)} reports, {total:.2f} s under cProfile; top {top} by own time:")
    rows = sorted(stats.stats.items(), key=lambda item: item[1][2], reverse=True)[:top]
    for (filename, line, name), (_, calls, own, cumulative, _) in rows:
        where = "/".join(Path(filename).parts[-2:]) if line else filename
        print(
            f"  {100 * own / total:5.1f}% own {own:6.2f} s  cum {cumulative:6.2f} s  {calls:>9} calls  {where}:{line} {name}"
        )


def run(
    n: int,
    batch: int,
    jobs: int,
    kinds: list[str],
    workdir: Path | None,
    profile: bool,
    hostile: int = 0,
    review: int = 0,
    engine: bool = False,
) -> None:
    work = workdir or Path(tempfile.mkdtemp(prefix="nianbao-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        if hostile:
            bench_hostile(work, hostile, jobs)
            return
        print(f"nianbao bench: {n} inputs of each kind, generated from the committed corpus/gold in {work}\n")
        bench_kinds(work, kinds, n)
        local = bench_batch(work, batch, jobs) if batch else None
        if review and local is not None:
            bench_review(work, batch, review, jobs)
        if engine and local:
            bench_engine(work, batch, jobs, local)
        if profile:
            profile_text(work, min(n, 200))
    finally:
        if workdir is None:
            shutil.rmtree(work, ignore_errors=True)


FAKE_KEY = "sk-nianbao-FAKE-0123456789abcdef"  # what the echoing endpoint of the hostile drill sends back


def _echo_endpoint():
    """An OpenAI-compatible endpoint on loopback that echoes the API key: in an error, then in an answer."""
    import http.server
    import threading

    calls = []

    class Echo(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers["Content-Length"]))
            calls.append(1)
            key = self.headers.get("Authorization", "")
            if len(calls) % 2:
                status, body = 401, {"error": {"message": f"Incorrect API key provided: {key}"}}
            else:
                content = json.dumps({"rows": [[1, 0, 0, 0, 0, 0, 1]], "note": key})
                body = {
                    "id": "x",
                    "object": "chat.completion",
                    "created": 0,
                    "model": "m",
                    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                    "choices": [
                        {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}
                    ],
                }
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, calls


def _drill(
    command: list[str], env: dict | None, limit: float, cwd: Path | None = None
) -> tuple[subprocess.CompletedProcess | None, float]:
    started = time.perf_counter()
    try:
        return subprocess.run(
            command, capture_output=True, text=True, errors="replace", env=env, timeout=limit, cwd=cwd
        ), time.perf_counter() - started
    except subprocess.TimeoutExpired:
        return None, time.perf_counter() - started


def dataset_figures(cases: dict, out: Path, stage: str) -> Counter:
    """What a batch's `--out` did with each hostile case: lost good records, wrong outcomes, tracebacks,
    hangs, formula cells. An input whose bytes an earlier one has is answered by that one (summary.json
    lists it as a duplicate), so it is judged by the first copy's outcome."""
    from nianbao.ingest import path_text

    figures: Counter = Counter()
    records = {
        r["source"]: r for r in map(json.loads, (out / "records.jsonl").read_text(encoding="utf-8").splitlines())
    }
    errors = {e["path"]: e for e in map(json.loads, (out / "errors.jsonl").read_text(encoding="utf-8").splitlines())}
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    first_copy = {d["path"]: d["same_content_as"] for d in summary["duplicates"]}
    for path, case in cases.items():
        shown = first_copy.get(path_text(path), path_text(path))
        if case.verdict:
            figures[f"lost good records ({stage})"] += shown not in records
            figures["wrong outcomes"] += shown in records and records[shown]["verdict"] != case.verdict
        else:
            figures["wrong outcomes"] += shown not in errors or not case.refused_as(errors[shown]["reason"])
        reason = errors.get(shown, {}).get("reason", "")
        figures["tracebacks"] += "internal error" in reason
        figures["hangs"] += "timed out" in reason and "timed out" not in (case.error or "")
    wide = (out / "reports.csv").read_text(encoding="utf-8-sig")
    figures["formula cells in reports.csv"] += sum(
        1 for line in wide.splitlines() for cell in line.split(",") if cell.startswith(("=", "+", "@"))
    )
    return figures


PASSWORD = "nianbao-FAKE-pa55word"  # the password in the drill's credentialed input URL
SECRET = "NIANBAO-FAKE-SECRET-LINE"  # a line of a file that a planted record names as its source
RAW_ESCAPE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f]")  # a control character other than the line's end
SECURITY_FIGURES = (
    "raw escapes on stderr",
    "formula cells in the datasets",
    "path-bearing records: files written outside the site",
    "path-bearing records: secrets published",
    "planted cache rows: files deleted",
    "credentialed URL: password on disk or on stderr",
)


def _page_server(folder: Path):
    """A loopback HTTP server of `folder` (it takes any user and password)."""
    import functools
    import http.server
    import threading

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def bench_security(work: Path, jobs: int, timeout: float) -> tuple[Counter, list]:
    """Issue 20's classes that are more than a file: relative file names a spreadsheet would run (in every
    dataset, cross_year.csv too), records naming paths given to `review`, a planted cache row, and an
    input URL with a password. Returns the figures and the CLI runs (for tracebacks and escapes)."""
    import csv
    import sqlite3

    from nianbao.eval.hostile import ESCAPE_NAME, FORMULA_NAME
    from nianbao.eval.samples import CORPUS
    from nianbao.model.cache import ResponseCache

    base = work / "security"
    shutil.rmtree(base, ignore_errors=True)
    folder, out = base / "in", base / "out"
    folder.mkdir(parents=True)
    for year in (2021, 2022):  # one agency, two years: cross_year.csv has rows
        shutil.copy(CORPUS / f"pingtan-{year}.txt", folder / f"{FORMULA_NAME}-pingtan-{year}.txt")
    shutil.copy(CORPUS / "002_a80d00d8d16235a9.txt", folder / f"{ESCAPE_NAME}.txt")
    (folder / f"{ESCAPE_NAME}-empty.txt").write_bytes(b"")
    cli = [sys.executable, "-m", "nianbao.cli"]
    figures: Counter = Counter()
    runs = [
        _drill([*cli, "extract", ".", "--out", str(out), "--jobs", str(jobs), "--mode", "rules"], None, 600, folder)
    ]
    runs.append(_drill([*cli, "extract", f"{ESCAPE_NAME}-empty.txt", "--mode", "rules"], None, 10 * timeout, folder))
    for name in ("reports.csv", "cells.csv", "cross_year.csv"):
        rows = csv.reader((out / name).read_text(encoding="utf-8-sig").splitlines())
        figures["formula cells in the datasets"] += sum(1 for row in rows for c in row if c.startswith(("=", "+", "@")))

    record = json.loads((out / "records.jsonl").read_text(encoding="utf-8").splitlines()[0])
    secret = base / "secret.txt"
    secret.write_text((CORPUS / "pingtan-2022.txt").read_text(encoding="utf-8") + SECRET + "\n", encoding="utf-8")
    planted = [
        record | {"meta": record["meta"] | {"input_sha256": "../../../pwned"}},
        record | {"source": str(secret), "meta": record["meta"] | {"input_sha256": None}},
        record | {"source": "/proc/self/environ"},
    ]
    for n, item in enumerate(planted):
        records = base / f"planted-{n}.jsonl"
        records.write_text(json.dumps(item, ensure_ascii=False) + "\n", encoding="utf-8")
        runs.append(_drill([*cli, "review", str(records), "-o", str(base / f"site-{n}" / "a" / "b")], None, 600))
    figures["path-bearing records: files written outside the site"] = sum(1 for _ in work.rglob("pwned*"))
    figures["path-bearing records: secrets published"] = sum(
        1 for p in base.glob("site-*/**/*.html") if SECRET in p.read_text(encoding="utf-8")
    )

    victim, cache = base / "victim.txt", ResponseCache(base / "cache")
    victim.write_text("kept")
    raw = {"content": "{}", "tool_calls": None, "finish_reason": "stop", "usage": {}}
    cache.put("planted", raw)
    with sqlite3.connect(base / "cache" / "cache.db") as db:
        db.execute("UPDATE Cache SET filename = ?", (str(victim),))
    ResponseCache(base / "cache").put("planted", raw)  # an ordinary run rewriting the entry
    runs.append(_drill([*cli, "cache", "clear", "--cache-dir", str(base / "cache")], None, 60))
    figures["planted cache rows: files deleted"] = int(not victim.exists())

    served = base / "served"
    served.mkdir()
    shutil.copy(CORPUS / "002_a80d00d8d16235a9.txt", served / "report.txt")
    server = _page_server(served)
    url = f"http://reader:{PASSWORD}@127.0.0.1:{server.server_address[1]}"
    env = {**os.environ, "NIANBAO_STAGING": str(base / "staging")}  # staged copies inside the scan below
    for args in (
        ["extract", f"{url}/report.txt", "--out", str(base / "url-out"), "--mode", "rules"],
        ["extract", f"{url}/report.txt", "--format", "csv", "-o", str(base / "url.csv"), "--mode", "rules"],
        ["extract", f"{url}/missing.txt", "--mode", "rules"],
        ["review", str(base / "url-out"), "-o", str(base / "url-site")],
    ):
        runs.append(_drill([*cli, *args], env, 600))
    server.shutdown()
    figures["credentialed URL: password on disk or on stderr"] = sum(
        1 for p in base.rglob("*") if p.is_file() and PASSWORD.encode() in p.read_bytes()
    ) + sum(1 for run, _ in runs if run is not None and PASSWORD in run.stderr + run.stdout)
    return figures, runs


def bench_hostile(work: Path, n: int, jobs: int, timeout: float = 20.0) -> dict:
    """`n` hostile inputs through the batch (then corrupted per-input files and a re-run), one of each kind
    through single-file mode, and a model-mode batch against an endpoint that echoes the API key.
    Prints and returns: tracebacks, hangs, lost good records, wrong outcomes, files holding the key."""
    from nianbao.eval.hostile import BUILDERS, write_hostile

    folder = work / f"hostile-{n}"
    shutil.rmtree(folder, ignore_errors=True)
    cases = {str(path): case for path, case in write_hostile(folder, n)}
    out, cache = work / "hostile-out", work / "hostile-cache"
    shutil.rmtree(out, ignore_errors=True)
    shutil.rmtree(cache, ignore_errors=True)
    cli = [sys.executable, "-m", "nianbao.cli", "extract"]
    figures = Counter()
    runs: list[tuple[subprocess.CompletedProcess | None, float]] = []

    batch = [*cli, str(folder), "--out", str(out), "--jobs", str(jobs), "--timeout", str(timeout)]
    batch += ["--datasets", "cells.parquet,reports.csv,records.jsonl"]
    runs.append(_drill(batch, None, 3600))
    figures += dataset_figures(cases, out, "first run")
    for damaged in [*sorted((out / "rows").iterdir())[:10], *sorted((out / "records").iterdir())[10:20]]:
        damaged.write_bytes(b'{"verdict": "verified", "cut sh')  # a corrupted per-input file: must be redone
    runs.append(_drill(batch, None, 3600))
    figures += dataset_figures(cases, out, "re-run after corrupting 20 per-input files")
    one_of_each = {re.sub(r"\d+", "", c.name): p for p, c in reversed(cases.items())}
    for path in one_of_each.values():  # single-file mode: the same limits, one line on stderr
        runs.append(_drill([*cli, path, "--timeout", str(timeout)], None, 10 * timeout))
    server, calls = _echo_endpoint()
    env = {
        **os.environ,
        "OPENAI_BASE_URL": f"http://127.0.0.1:{server.server_address[1]}/v1",
        "OPENAI_API_KEY": FAKE_KEY,
        "NIANBAO_BACKOFF": "0.001",
    }
    model_inputs = [p for p, c in cases.items() if c.verdict in ("needs_model", "failed", "incomplete")][:20]
    runs.append(
        _drill(
            [
                *cli,
                *model_inputs,
                "--mode",
                "auto",
                "--out",
                str(work / "hostile-model-out"),
                "--cache-dir",
                str(cache),
                "--timeout",
                "120",
            ],
            env,
            3600,
        )
    )
    server.shutdown()
    security, more = bench_security(work, jobs, timeout)
    figures += security
    runs += more
    trouble, trouble_runs = bench_run_trouble(work, jobs)
    figures += trouble
    runs += trouble_runs
    figures["raw escapes on stderr"] += sum(1 for run, _ in runs if run is not None and RAW_ESCAPE.search(run.stderr))
    figures["tracebacks"] += sum(1 for run, _ in runs if run is not None and "Traceback" in run.stderr)
    figures["hangs"] += sum(1 for run, _ in runs if run is None)
    figures["key on stderr"] += sum(1 for run, _ in runs if run is not None and FAKE_KEY in run.stderr + run.stdout)
    written = [p for p in work.rglob("*") if p.is_file() and folder not in p.parents]
    figures["files holding the key"] = sum(1 for p in written if FAKE_KEY.encode() in p.read_bytes())
    seconds = sum(s for _, s in runs)
    print(
        f"\nhostile drill: {len(cases)} inputs ({len(BUILDERS)} kinds), --jobs {jobs}, --timeout {timeout:g}; {len(runs)} CLI runs "
        f"(2 batches, {len(one_of_each)} single files, 1 model-mode batch against a key-echoing endpoint: {len(calls)} requests, "
        f"{len(more)} runs of bench_security, {len(trouble_runs)} runs of the run's trouble: a trickling endpoint "
        f"({trouble['trickling requests']} requests), OUT/records a file, a full disk, files rewritten during the batch) "
        f"in {seconds:.0f} s; peak RSS of the largest process: {_peak_mib(resource.RUSAGE_CHILDREN):.0f} MiB"
    )
    for name in (
        "tracebacks",
        "hangs",
        "lost good records (first run)",
        "lost good records (re-run after corrupting 20 per-input files)",
        "wrong outcomes",
        "formula cells in reports.csv",
        "key on stderr",
        "files holding the key",
        *SECURITY_FIGURES,
        *TROUBLE_FIGURES,
    ):
        print(f"  {name}: {figures[name]}")
    return dict(figures)


# ---------------------------------------------------------------- the run's trouble (issue 20: D1, D2, D8)


def _trickling_endpoint(pace: float = 0.5):
    """An endpoint on loopback that sends a status line, then one byte every `pace` seconds, for ever."""
    import socket
    import threading

    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()
    calls: list[int] = []

    def trickle(conn: socket.socket) -> None:
        with conn:
            conn.recv(1 << 20)
            calls.append(1)
            try:
                conn.sendall(b"HTTP/1.1 200 OK\r\n")
                while not stop.wait(pace):
                    conn.sendall(b"x")
            except OSError:
                pass

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=trickle, args=(conn,), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()

    def close() -> None:
        stop.set()
        listener.close()

    return f"http://127.0.0.1:{listener.getsockname()[1]}/v1", calls, close


RECORDS = ("--datasets", "records.jsonl,reports.csv")  # the drills count what records.jsonl holds


def _records(out: Path) -> dict[str, dict]:
    path = out / "records.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    return {r["source"]: r for r in map(json.loads, lines)}


def _stuck_errors(out: Path) -> int:
    return sum(1 for _ in (out / "errors").glob("*.json")) if (out / "errors").is_dir() else 0


def bench_trickle(work: Path, files: list[str], runs: list) -> Counter:
    """A model endpoint that trickles its answer, in single-file and batch mode, auto and model mode, with a
    --timeout shorter than the model's deadline: every input keeps the parser's record, none is killed."""
    url, calls, close = _trickling_endpoint()
    env = {**os.environ, "OPENAI_BASE_URL": url, "NIANBAO_DEADLINE": "4", "NIANBAO_BACKOFF": "0.01"}
    cli = [sys.executable, "-m", "nianbao.cli", "extract", "--no-cache"]
    figures: Counter = Counter()
    try:
        for mode in ("auto", "model"):
            out = work / f"trickle-{mode}"
            shutil.rmtree(out, ignore_errors=True)
            run = _drill([*cli, *files, "--mode", mode, "--out", str(out), "--timeout", "30", *RECORDS], env, 600)
            runs.append(run)
            figures["lost records (trickling endpoint)"] += len(files) - len(_records(out))
            single = _drill([*cli, files[0], "--mode", mode, "--timeout", "8"], env, 120)  # shorter than the deadline
            runs.append(single)
            figures["lost records (trickling endpoint)"] += single[0] is None or '"verdict"' not in single[0].stdout
    finally:
        close()
    figures["trickling requests"] = len(calls)
    return figures


def bench_output_side(work: Path, files: list[str], runs: list) -> Counter:
    """Output-side failures: OUT/records a file (refused in one line), a disk that fills up (RLIMIT_FSIZE makes
    every write past 16 KiB fail, as ENOSPC would); then the same command on a sound disk must finish every input,
    with no error left behind from the failed runs."""
    out = work / "output-side"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    (out / "records").touch()
    batch = [sys.executable, "-m", "nianbao.cli", "extract", *files, "--out", str(out), "--mode", "rules", *RECORDS]
    figures: Counter = Counter()
    run = _drill(batch, None, 600)
    runs.append(run)
    figures["output-side failures not refused in one line"] += run[0] is None or run[0].returncode != 2
    (out / "records").unlink()

    def small_disk() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (16 * 2**10, 16 * 2**10))

    started = time.perf_counter()
    try:
        full = subprocess.run(
            batch, capture_output=True, text=True, errors="replace", preexec_fn=small_disk, timeout=600
        )
        runs.append((full, time.perf_counter() - started))
        figures["output-side failures saved as the input's error"] += _stuck_errors(out)
    except subprocess.TimeoutExpired:
        runs.append((None, time.perf_counter() - started))
    again = _drill(batch, None, 600)
    runs.append(again)
    figures["lost records (output-side failures, after a re-run)"] += len(files) - len(_records(out))
    return figures


def bench_changed_files(work: Path, files: list[str], runs: list, jobs: int) -> Counter:
    """Files rewritten while the batch runs (a crawler still writing): no record may be filed under a hash its
    content does not have, and once the files are still, a re-run leaves none without its record."""
    import threading

    folder = work / "changing"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    texts = [Path(f).read_bytes() for f in files]
    copies = [folder / f"{i:03d}.txt" for i in range(len(files))]
    for copy, text in zip(copies, texts, strict=True):
        copy.write_bytes(text)
    out = work / "changing-out"
    shutil.rmtree(out, ignore_errors=True)
    stop = threading.Event()

    def rewrite() -> None:
        n = 0
        while not stop.wait(0.005):
            n += 1
            copies[n % len(copies)].write_bytes(texts[n % len(texts)] + b"\n" * (n % 7))

    writer = threading.Thread(target=rewrite, daemon=True)
    writer.start()
    batch = [
        sys.executable,
        "-m",
        "nianbao.cli",
        "extract",
        str(folder),
        "--out",
        str(out),
        "--mode",
        "rules",
        *RECORDS,
    ]
    runs.append(_drill([*batch, "--jobs", str(jobs)], None, 600))
    stop.set()
    writer.join()
    runs.append(_drill(batch, None, 600))
    figures: Counter = Counter()
    for record in (out / "records").glob("*.json"):
        figures["records filed under another content's hash"] += (
            json.loads(record.read_bytes())["meta"]["input_sha256"] != record.stem
        )
    figures["lost records (changed files, after a re-run)"] += len(copies) - len(_records(out))
    return figures


TROUBLE_FIGURES = (
    "lost records (trickling endpoint)",
    "output-side failures not refused in one line",
    "output-side failures saved as the input's error",
    "lost records (output-side failures, after a re-run)",
    "records filed under another content's hash",
    "lost records (changed files, after a re-run)",
)


def bench_run_trouble(work: Path, jobs: int) -> tuple[Counter, list]:
    """The three drills of the run's trouble on the drill's verified reports; returns figures and CLI runs."""
    from nianbao.eval.hostile import VERIFIED_TEXTS, _text

    folder = work / "trouble-inputs"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    files = []
    for i in range(2 * len(VERIFIED_TEXTS)):
        path = folder / f"report-{i:02d}.txt"
        path.write_text(_text(i), encoding="utf-8")
        files.append(str(path))
    open_files = []  # the same reports with a row label the parser cannot place: auto mode asks the model
    for path in files[:2]:
        garbled = Path(path).with_name(f"open-{Path(path).name}")
        garbled.write_text(Path(path).read_text(encoding="utf-8").replace("予以公开", "准予公示", 1), encoding="utf-8")
        open_files.append(str(garbled))
    runs: list = []
    figures = bench_trickle(work, [*files[:2], *open_files], runs)
    figures += bench_output_side(work, files, runs)
    figures += bench_changed_files(work, files, runs, jobs)
    return figures, runs
