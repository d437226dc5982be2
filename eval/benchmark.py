"""`nianbao bench`: how fast, how much memory, and whether reading is the limit.

Inputs are generated from the committed corpus and gold (eval.samples), so the figures can be
reproduced on any checkout. Each kind is measured in a fresh worker process, so its peak RSS is its
own; the big batch runs the real CLI (`extract DIR --out OUT --jobs J`) in a subprocess.
"""

from __future__ import annotations

import cProfile
import json
import os
import pstats
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

from extractor.batch import run_pool
from extractor.pipeline import extract_path
from eval.samples import write_samples


def _peak_mib(who: int = resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # Linux reports KiB


def _read_seconds(files: list[Path]) -> float:
    started = time.perf_counter()
    for path in files:
        path.read_bytes()
    return time.perf_counter() - started


def measure_kind(folder: str) -> dict:
    """Runs in a fresh worker: the time to only read the files, then to extract them, and the peak RSS."""
    files = sorted(Path(folder).iterdir())
    read = _read_seconds(files)
    started = time.perf_counter()
    verdicts = Counter(extract_path(path).verdict.value for path in files)
    return {"n": len(files), "read_s": read, "extract_s": time.perf_counter() - started, "peak_mib": _peak_mib(), "verdicts": dict(verdicts)}


def inputs(work: Path, kind: str, n: int) -> Path:
    """`n` generated inputs of one kind, reused when a kept work folder already has them."""
    folder = work / f"{kind}-{n}"
    if not folder.is_dir() or sum(1 for _ in folder.iterdir()) != n:
        shutil.rmtree(folder, ignore_errors=True)
        write_samples(folder, kind, n)
    return folder


def bench_kinds(work: Path, kinds: list[str], n: int) -> None:
    print("| kind | n | read only (s) | extract (s) | reports/s (1 core) | peak RSS (MiB) | verdicts |\n|---|---|---|---|---|---|---|")
    for kind in kinds:
        folder = inputs(work, kind, n)
        [(_, ok, m)] = run_pool(measure_kind, [str(folder)], workers=1, timeout=24 * 3600)
        if not ok:
            print(f"| {kind} | {n} | failed: {m} |")
            continue
        print(f"| {kind} | {m['n']} | {m['read_s']:.3f} | {m['extract_s']:.2f} | {m['n'] / m['extract_s']:.1f} | {m['peak_mib']:.0f} | {m['verdicts']} |", flush=True)


def _batch_cli(folder: Path, out: Path, *flags: str) -> tuple[float, dict] | None:
    """`nianbao extract FOLDER --out OUT FLAGS` from scratch: (wall seconds, summary.json), or None if it failed."""
    shutil.rmtree(out, ignore_errors=True)
    command = [sys.executable, "-m", "extractor.cli", "extract", str(folder), "--out", str(out), "--mode", "rules"]
    command += flags
    started = time.perf_counter()
    run = subprocess.run(command, check=False, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if run.returncode not in (0, 1):
        print(f"batch failed ({run.returncode}): {run.stderr.strip()[-500:]}")
        return None
    return wall, json.loads((out / "summary.json").read_text(encoding="utf-8"))


def bench_batch(work: Path, n: int, jobs: int) -> tuple[float, dict] | None:
    """A large text batch through the CLI, as a user runs it; the files' read-only time beside it."""
    folder = inputs(work, "txt", n)
    out = work / f"batch-out-{n}"
    read = _read_seconds(sorted(folder.iterdir()))
    measured = _batch_cli(folder, out, "--jobs", str(jobs))
    if measured is None:
        return None
    wall, summary = measured
    extract = wall - summary["assemble_seconds"]
    sizes = {p.name: p.stat().st_size / 2**20 for p in out.iterdir() if p.is_file() and not p.name.startswith(".")}
    print(
        f"\nbatch: {n} text reports, --jobs {jobs}: {wall:.1f} s wall = {n / wall:.1f} reports/s end to end "
        f"({extract:.1f} s extracting = {n / extract:.1f} reports/s, {summary['assemble_seconds']:.1f} s assembling the datasets); "
        f"reading the files alone: {read:.2f} s\n"
        f"  peak RSS of the largest process in the run: {_peak_mib(resource.RUSAGE_CHILDREN):.0f} MiB; dataset: {summary['dataset']}\n"
        f"  output sizes (MiB): " + ", ".join(f"{k} {v:.1f}" for k, v in sorted(sizes.items()))
    )
    return measured


@contextmanager
def dask_cluster(root: Path, workers: int, threads: int = 1, timeout: float = 90.0):
    """A real Dask cluster on 127.0.0.1, started with Dask's own CLI (`dask scheduler`, `dask worker`).

    Yields (scheduler address, worker processes); each process has its own process group, so a caller
    can kill one whole worker (nanny, worker, sandbox) like a lost machine. All are killed at exit.
    """
    from distributed import Client

    dask = str(Path(sys.executable).with_name("dask"))
    file = root / "scheduler.json"
    local = ["--host", "127.0.0.1", "--no-dashboard"]
    worker = ["worker", *local, "--scheduler-file", str(file), "--nthreads", str(threads), "--death-timeout", "60"]
    processes: list[subprocess.Popen] = []

    def start(args: list[str], log: str) -> subprocess.Popen:
        with (root / log).open("wb") as handle:
            process = subprocess.Popen([dask, *args], stdout=handle, stderr=subprocess.STDOUT, start_new_session=True)
        processes.append(process)
        return process

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
        yield address, started
    finally:
        for process in processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def bench_engine(work: Path, n: int, jobs: int, local: tuple[float, dict]) -> None:
    """The batch just run on the local pool (`local`), again on a local Dask cluster of `jobs` one-thread workers.

    The difference is the engine's overhead (scheduling, chunking, the client); with the reports/s of
    one core and the assembly time it gives the cost model for N machines.
    """
    folder = inputs(work, "txt", n)
    root = work / "cluster"
    root.mkdir(exist_ok=True)
    started = time.perf_counter()
    with dask_cluster(root, jobs) as (address, _):
        up = time.perf_counter() - started
        dask = _batch_cli(folder, work / "engine-dask", "--engine", "dask", "--address", address)
    if dask is None:
        return
    (local_wall, local_summary), (dask_wall, dask_summary) = local, dask
    local_extract = local_wall - local_summary["assemble_seconds"]
    dask_extract = dask_wall - dask_summary["assemble_seconds"]
    per_input = (dask_extract - local_extract) / n
    print(
        f"\nengine: {n} text reports, {jobs} workers: local pool {local_wall:.1f} s ({n / local_wall:.1f} reports/s), "
        f"Dask {dask_wall:.1f} s ({n / dask_wall:.1f} reports/s); "
        f"Dask's overhead {100 * (dask_wall / local_wall - 1):+.0f} % "
        f"= {1000 * per_input:+.2f} ms per report; the cluster took {up:.1f} s to start"
    )
    cost_model(n / local_extract / jobs, max(per_input, 0.0), local_summary["assemble_seconds"] / n)


def cost_model(per_core: float, overhead: float, assemble: float, cores: int = 16, reports: int = 1_000_000) -> None:
    """Hours for `reports` on N machines of `cores` cores: the workers' share, plus the driver's serial assembly.

    per_core: reports/s one core extracts; overhead: seconds per report the engine adds (spread over
    the workers); assemble: seconds per report the driver spends writing the datasets (serial).
    """
    print(f"\ncost model: {reports:,} text reports on N machines of {cores} cores ({per_core:.0f} reports/s per core, "
          f"{1000 * overhead:.2f} ms engine overhead and {1000 * assemble:.2f} ms serial assembly per report):")
    print("| machines | extracting | assembling | total | machine-hours |\n|---|---|---|---|---|")
    for machines in (1, 2, 4, 8, 16, 32, 64):
        extracting = reports * (1 / per_core + overhead) / (machines * cores)
        total = extracting + reports * assemble
        cells = (extracting / 60, reports * assemble / 60, total / 60)
        print(f"| {machines} | " + " | ".join(f"{c:.1f} min" for c in cells) + f" | {machines * total / 3600:.1f} |")


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
        print(f"  {100 * own / total:5.1f}% own {own:6.2f} s  cum {cumulative:6.2f} s  {calls:>9} calls  {where}:{line} {name}")


def run(
    n: int, batch: int, jobs: int, kinds: list[str], workdir: Path | None, profile: bool, engine: bool = False
) -> None:
    work = workdir or Path(tempfile.mkdtemp(prefix="nianbao-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        print(f"nianbao bench: {n} inputs of each kind, generated from the committed corpus/gold in {work}\n")
        bench_kinds(work, kinds, n)
        local = bench_batch(work, batch, jobs) if batch else None
        if engine and local:
            bench_engine(work, batch, jobs, local)
        if profile:
            profile_text(work, min(n, 200))
    finally:
        if workdir is None:
            shutil.rmtree(work, ignore_errors=True)

