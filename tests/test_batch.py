"""Batch extraction: datasets out, bad input in, resumable after a kill, bounded per-file time and memory."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest
from nianbao import batch
from nianbao.batch import BatchError, BatchOptions, run_batch, run_pool
from nianbao.datasets import DATASETS
from nianbao.eval.hostile import BUILDERS
from nianbao.eval.samples import sample_cells, write_samples
from nianbao.output import json_value
from nianbao.pipeline import extract_path
from nianbao.schemas.columns import CELL_COLUMNS, WIDE_COLUMNS
from nianbao.schemas.keys import ALL_KEYS, OTHER_TOTAL_KEYS, T2_2019_KEYS

HOSTILE = (
    "empty",
    "binary",
    "big",
    "gbk",
    "truncated_html",
    "external_html",
    "zip_bomb",
    "broken_pdf",
    "not_a_report",
    "injection",
)
NIANBAO = [sys.executable, "-m", "nianbao.cli"]


def quiet(options: BatchOptions = BatchOptions()) -> BatchOptions:
    """No progress bar, and every dataset (the default writes cells.parquet and reports.csv only)."""
    return replace(options, progress=False, datasets=DATASETS)


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> tuple[Path, dict[str, dict], dict[str, object]]:
    """40 good reports (24 text, 8 HTML, 6 DOCX, 2 PDF) and 10 hostile files; expected cells per good input."""
    root = tmp_path_factory.mktemp("inputs")
    expected: dict[str, dict] = {}
    for path in write_samples(root, "txt", 24):
        expected[str(path)] = {k: json_value(v) for k, v in extract_path(path).values().items()}
    start = 0
    for fmt, n in (("html", 8), ("docx", 6), ("pdf", 2)):
        for i, path in enumerate(write_samples(root, fmt, n, start=start)):
            expected[str(path)] = sample_cells(start + i)
        start += n
    cases = {}
    for kind in HOSTILE:
        case = BUILDERS[kind](0)
        (root / "hostile").mkdir(exist_ok=True)
        (root / "hostile" / case.name).write_bytes(case.data)
        cases[str(root / "hostile" / case.name)] = case
    return root, expected, cases


def files_of(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def read_csv(path: Path) -> list[dict]:
    raw = path.read_bytes()
    assert raw.startswith("\ufeff".encode()), f"{path.name} has no BOM"
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))


def test_batch_writes_every_good_report_and_every_bad_file(folder, tmp_path):
    root, expected, cases = folder
    out = tmp_path / "out"
    result = run_batch(files_of(root), out, quiet(BatchOptions(jobs=2)), log=lambda m: None)

    records = [json.loads(line) for line in (out / "records.jsonl").read_text(encoding="utf-8").splitlines()]
    by_source = {r["source"]: r for r in records}
    errors = {e["path"]: e for e in map(json.loads, (out / "errors.jsonl").read_text(encoding="utf-8").splitlines())}
    assert set(by_source) | set(errors) == {str(p) for p in files_of(root)}
    assert not set(by_source) & set(errors)
    for source, cells in expected.items():
        got = {k: by_source[source]["cells"][k]["value"] for k in cells}
        assert got == cells, source
        assert by_source[source]["verdict"] in ("verified", "needs_model", "incomplete", "source_error")
    for path, case in cases.items():
        if case.error:
            assert case.refused_as(errors[path]["reason"]), errors[path]["reason"]
            assert len(errors[path]["sha256"]) == 64
        else:
            assert by_source[path]["verdict"] == case.verdict

    wide = read_csv(out / "reports.csv")
    assert list(wide[0]) == list(WIDE_COLUMNS)
    assert len(wide) == len(records) == result.extracted
    row = next(r for r in wide if r["source"] == str(root / "002_a80d00d8d16235a9-00002.txt"))
    assert row["applications.new_received.natural_person"] == str(
        expected[row["source"]]["applications.new_received.natural_person"]
    )

    long = read_csv(out / "cells.csv")
    assert list(long[0]) == list(CELL_COLUMNS)
    assert len(long) == sum(len(r["cells"]) for r in records)  # 200, and a 2019 record's own rows besides
    assert {r["key"] for r in long} == set(ALL_KEYS) | set(T2_2019_KEYS) | set(OTHER_TOTAL_KEYS)
    failing = [r for r in long if r["check_status"] == "fail"]
    assert all("=fail" in r["checks"] for r in failing)
    import pyarrow.parquet as pq

    table = pq.read_table(out / "cells.parquet")
    assert table.column("key").to_pylist() == [r["key"] for r in long]
    assert table.column("value").to_pylist() == [r["value"] or None for r in long]
    assert table.column("span_start").to_pylist() == [int(r["span_start"]) if r["span_start"] else None for r in long]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["errors"] == len(errors) == result.errors
    assert sum(summary["this_run"].values()) == len(files_of(root))
    assert not list(out.rglob("*.tmp"))


def test_rerun_skips_done_inputs_and_duplicates(folder, tmp_path):
    root, _, _ = folder
    out = tmp_path / "out"
    first = run_batch(files_of(root), out, quiet(), log=lambda m: None)
    dataset = (out / "records.jsonl").read_bytes()
    copy = tmp_path / "copy.txt"
    copy.write_bytes((root / "002_a80d00d8d16235a9-00002.txt").read_bytes())
    second = run_batch([*files_of(root), copy], out, quiet(), log=lambda m: None)
    assert first.extracted + first.run_counts["error"] == len(files_of(root))
    assert second.extracted == 0 and second.run_counts == {}
    assert second.skipped == len(files_of(root))
    assert second.duplicates == [{"path": str(copy), "same_content_as": str(root / "002_a80d00d8d16235a9-00002.txt")}]
    assert json.loads((out / "summary.json").read_text())["duplicates"] == second.duplicates
    assert (out / "records.jsonl").read_bytes() == dataset
    retried = run_batch(files_of(root), out, quiet(BatchOptions(retry_errors=True)), log=lambda m: None)
    assert retried.run_counts["error"] == first.run_counts["error"] and retried.extracted == 0


def test_killed_run_resumes_without_redoing_records(tmp_path):
    inputs = tmp_path / "in"
    write_samples(inputs, "txt", 150)
    out = tmp_path / "out"
    command = [*NIANBAO, "extract", str(inputs), "--out", str(out), "--jobs", "1", "--datasets", ",".join(DATASETS)]
    process = subprocess.Popen(command, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while len(list((out / "records").glob("*.json"))) < 10 and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.01)
    os.killpg(process.pid, signal.SIGKILL)  # the parent and its workers, mid-run
    process.wait()
    done = {p.name: p.stat().st_mtime_ns for p in (out / "records").glob("*.json")}
    assert 10 <= len(done) < 150, "the run was not killed halfway"
    assert not (out / "records.jsonl").exists()

    finished = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert finished.returncode == 0, finished.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["skipped_done_before"] == len(done)
    assert summary["extracted"] == 150 - len(done)
    assert {p.name: p.stat().st_mtime_ns for p in (out / "records").glob("*.json") if p.name in done} == done
    assert len((out / "records.jsonl").read_text().splitlines()) == 150
    assert not list(out.rglob("*.tmp"))


def test_pool_kills_a_runaway_and_keeps_going():
    results = {
        item: (ok, value) for item, ok, value in run_pool(time.sleep, [0.01, 60, 0.02, 0.03], workers=2, timeout=0.5)
    }
    assert results[60][0] is False and "timed out" in results[60][1]
    assert all(results[t] == (True, None) for t in (0.01, 0.02, 0.03))


def test_pool_reports_crashes_and_memory_as_one_line():
    results = {item: (ok, value) for item, ok, value in run_pool(bytearray, [16, 64 * 2**30], workers=1, timeout=30)}
    assert results[16] == (True, bytearray(16))
    assert results[64 * 2**30] == (False, "needed more than the 4 GiB memory limit")
    died = list(run_pool(os._exit, [3], workers=1, timeout=30))
    assert died == [(3, False, "worker died (exit code 3)")]
    [(_, ok, reason)] = run_pool(int, ["not a number"], workers=1, timeout=30)
    assert not ok and reason.startswith("internal error: ValueError: invalid literal") and "\n" not in reason


def test_one_batch_per_output_directory(tmp_path):
    lock = batch._lock(tmp_path)
    try:
        with pytest.raises(BatchError, match="another batch"):
            run_batch([], tmp_path, quiet(), log=lambda m: None)
    finally:
        lock.close()


def test_output_inside_the_input_folder_is_never_read_back(tmp_path):
    write_samples(tmp_path, "txt", 3)
    out = tmp_path / "out"
    run_batch(files_of(tmp_path), out, quiet(), log=lambda m: None)
    again = run_batch(files_of(tmp_path), out, quiet(), log=lambda m: None)
    assert again.inputs == 3 and again.skipped == 3


def test_without_pyarrow_the_csvs_are_written_and_the_skip_said_once(tmp_path, monkeypatch):
    write_samples(tmp_path / "in", "txt", 2)
    monkeypatch.setattr(batch, "parquet_available", lambda: False)
    said: list[str] = []
    run_batch(files_of(tmp_path / "in"), tmp_path / "out", quiet(), log=said.append)
    assert not (tmp_path / "out" / "cells.parquet").exists()
    assert (tmp_path / "out" / "cells.csv").exists()
    assert sum("parquet was skipped" in m for m in said) == 1
    said.clear()
    run_batch(
        files_of(tmp_path / "in"), tmp_path / "o2", replace(quiet(), datasets=("cells.parquet",)), log=said.append
    )
    assert (tmp_path / "o2" / "cells.csv").exists(), "without pyarrow, the cells are written as cells.csv"
    assert sum("parquet was skipped" in m for m in said) == 1


def test_cli_batch(tmp_path):
    write_samples(tmp_path / "in", "txt", 2)
    (tmp_path / "in" / "empty.txt").write_bytes(b"")
    run = subprocess.run(
        [*NIANBAO, "extract", str(tmp_path / "in"), "--out", str(tmp_path / "out"), "--timeout", "20"],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 1  # one bad input
    assert "3 inputs: 2 extracted" in run.stderr and "Traceback" not in run.stderr
    assert json.loads((tmp_path / "out" / "errors.jsonl").read_text())["reason"] == "empty file"
    both = subprocess.run(
        [*NIANBAO, "extract", str(tmp_path / "in"), "--out", str(tmp_path / "o2"), "-o", str(tmp_path / "x.json")],
        capture_output=True,
        text=True,
    )
    assert both.returncode == 2 and "exclude each other" in both.stderr


def test_an_emptied_record_counts_as_not_done(tmp_path):
    """Per-input files skip fsync: what a power cut can leave (an empty file) must be redone, not trusted."""
    write_samples(tmp_path / "in", "txt", 3)
    out = tmp_path / "out"
    run_batch(files_of(tmp_path / "in"), out, quiet(), log=lambda m: None)
    next((out / "records").iterdir()).write_bytes(b"")
    again = run_batch(files_of(tmp_path / "in"), out, quiet(), log=lambda m: None)
    assert again.extracted == 1 and again.skipped == 2
    assert len((out / "records.jsonl").read_text().splitlines()) == 3


def test_format_csv_has_the_columns_of_reports_csv(tmp_path):
    """One table, one schema: `extract --format csv` writes reports.csv's columns, 2019 cells included, for any input."""
    from nianbao.output import render_csv

    report = extract_path(Path(__file__).resolve().parents[1] / "eval" / "corpus" / "pingtan-2022.txt")
    (header, row) = csv.reader(io.StringIO(render_csv([report]).lstrip("\ufeff")))
    assert header == list(WIDE_COLUMNS) and len(row) == len(header)
    assert row[header.index("applications.granted.total")] == str(report.cells["applications.granted.total"].value)


def test_a_worker_holds_its_next_item_and_a_death_costs_only_the_one_it_ran():
    """A pool worker gets its next item before it finishes the one it runs (no wait for the parent to wake);
    when it dies (a crash, its time limit), the item it held but had not started runs again, elsewhere."""
    crash, hang = "__import__('os')._exit(3)", "__import__('time').sleep(60)"
    items = [crash, "1 + 1", hang, "2 + 2", crash, "3 + 3"]
    results = {item: (ok, value) for item, ok, value in run_pool(eval, items, workers=1, timeout=2)}
    assert results == {
        crash: (False, "worker died (exit code 3)"),
        hang: (False, "timed out: still running after the 2 s per-file limit (worker killed)"),
        "1 + 1": (True, 2),
        "2 + 2": (True, 4),
        "3 + 3": (True, 6),
    }
    order = [item for item, _, _ in run_pool(eval, ["1", "2", "3", "4"], workers=2, timeout=30)]
    assert sorted(order) == ["1", "2", "3", "4"]
