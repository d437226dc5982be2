"""`nianbao bench`: how fast, how much memory, and whether reading is the limit.

Inputs are generated from the committed corpus and gold (eval.samples), so the figures can be
reproduced on any checkout. Each kind is measured in a fresh worker process, so its peak RSS is its
own; the big batch runs the real CLI (`extract DIR --out OUT --jobs J`) in a subprocess.
"""

from __future__ import annotations

import cProfile
import json
import pstats
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
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


def bench_batch(work: Path, n: int, jobs: int) -> None:
    """A large text batch through the CLI, as a user runs it; the files' read-only time beside it."""
    folder = inputs(work, "txt", n)
    out = work / f"batch-out-{n}"
    shutil.rmtree(out, ignore_errors=True)
    read = _read_seconds(sorted(folder.iterdir()))
    command = [sys.executable, "-m", "extractor.cli", "extract", str(folder), "--out", str(out), "--jobs", str(jobs)]
    started = time.perf_counter()
    run = subprocess.run(command, check=False, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if run.returncode not in (0, 1):
        print(f"batch failed ({run.returncode}): {run.stderr.strip()[-500:]}")
        return
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    extract = wall - summary["assemble_seconds"]
    sizes = {p.name: p.stat().st_size / 2**20 for p in out.iterdir() if p.is_file() and not p.name.startswith(".")}
    print(
        f"\nbatch: {n} text reports, --jobs {jobs}: {wall:.1f} s wall = {n / wall:.1f} reports/s end to end "
        f"({extract:.1f} s extracting = {n / extract:.1f} reports/s, {summary['assemble_seconds']:.1f} s assembling the datasets); "
        f"reading the files alone: {read:.2f} s\n"
        f"  peak RSS of the largest process in the run: {_peak_mib(resource.RUSAGE_CHILDREN):.0f} MiB; dataset: {summary['dataset']}\n"
        f"  output sizes (MiB): " + ", ".join(f"{k} {v:.1f}" for k, v in sorted(sizes.items()))
    )


def panel_records(batch_out: Path, target: Path, n: int, years: int = 5) -> None:
    """`n` records for the review bench: the batch's records over and over, relabelled as agencies × `years` years.

    The generated batch is copies of a few reports under a few names; an index of 10,000 reports is
    measured on the shape a real panel has (many agencies, a few consecutive years each).
    """
    records = (batch_out / "records.jsonl").read_text(encoding="utf-8").splitlines()
    with target.open("w", encoding="utf-8") as handle:
        for i in range(n):
            record = json.loads(records[i % len(records)])
            record["meta"] |= {"agency_name": f"样本机关{i // years:05d}", "scope": "agency", "report_year": 2020 + i % years}
            if i >= len(records):  # a distinct page address per copy; the source text is still the batch's input
                record["meta"]["input_sha256"] = f"{i:016x}{record['meta']['input_sha256'][16:]}"
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")


def bench_review(work: Path, batch: int, n: int, jobs: int) -> None:
    """`nianbao review` of `n` records made from the batch: the site's build time and size, and what the index weighs."""
    records, site = work / f"review-{n}.jsonl", work / f"review-{n}"
    panel_records(work / f"batch-out-{batch}", records, n)
    shutil.rmtree(site, ignore_errors=True)
    command = [sys.executable, "-m", "extractor.cli", "review", str(records), "-o", str(site), "--jobs", str(jobs)]
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
        print(f"  {100 * own / total:5.1f}% own {own:6.2f} s  cum {cumulative:6.2f} s  {calls:>9} calls  {where}:{line} {name}")


def run(n: int, batch: int, jobs: int, kinds: list[str], workdir: Path | None, profile: bool, review: int = 0) -> None:
    work = workdir or Path(tempfile.mkdtemp(prefix="nianbao-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        print(f"nianbao bench: {n} inputs of each kind, generated from the committed corpus/gold in {work}\n")
        bench_kinds(work, kinds, n)
        if batch:
            bench_batch(work, batch, jobs)
            if review:
                bench_review(work, batch, review, jobs)
        if profile:
            profile_text(work, min(n, 200))
    finally:
        if workdir is None:
            shutil.rmtree(work, ignore_errors=True)

