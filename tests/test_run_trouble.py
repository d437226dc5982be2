"""The run's trouble is not the input's (issue 20, D2 D8 D9 D11 D12 D17 D18): a busy or full output folder,
a file that vanished or changed, a limit out of range, an output folder that is also the input folder. Only
an input's own content may leave an error that sticks; everything else is said in one line and retried."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from nianbao import batch
from nianbao.batch import BatchError, BatchOptions, record_path, run_batch
from nianbao.eval.samples import write_samples

NIANBAO = [sys.executable, "-m", "nianbao.cli"]


def nianbao(*args, cwd=None, env=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*NIANBAO, *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        timeout=300,
    )


def one_line(run: subprocess.CompletedProcess) -> str:
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in run.stderr, run.stderr
    return lines[0]


def in_process(before=None):
    """A batch runner that runs each input here (so a test can break the disk or the file under it), calling
    `before(task)` first, as another process would act while the batch runs."""

    def runner(fn, items, workers, timeout):
        for item in items:
            if before is not None:
                before(item)
            yield (item, *batch._call(fn, item))

    return runner


def options(runner=None) -> BatchOptions:
    return replace(BatchOptions(), progress=False, runner=runner, datasets=("records.jsonl", "reports.csv"))


@pytest.fixture
def inputs(tmp_path) -> list[Path]:
    write_samples(tmp_path / "in", "txt", 3)
    return sorted((tmp_path / "in").iterdir())


def quiet(*args, **kwargs):
    return run_batch(*args, **kwargs, log=lambda m: None)


# ---------------------------------------------------------------- D2: the output side


def test_an_output_folder_that_cannot_hold_records_is_refused_and_nothing_sticks(inputs, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "records").touch()
    run = nianbao("extract", tmp_path / "in", "--out", out, "--jobs", "1", "--mode", "rules")
    assert run.returncode == 2
    assert "records" in one_line(run)
    (out / "records").unlink()
    again = quiet(inputs, out, options())
    assert (again.extracted, again.skipped, again.errors) == (3, 0, 0)


def test_a_full_disk_is_the_runs_trouble_and_the_rerun_finishes(inputs, tmp_path, monkeypatch):
    out = tmp_path / "out"
    write = batch.atomic_write

    def full(path, *args, **kwargs):
        if Path(path).parent.name == "records":
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        return write(path, *args, **kwargs)

    monkeypatch.setattr(batch, "atomic_write", full)
    first = quiet(inputs, out, options(in_process()))
    assert first.errors == 3 and first.exit_code == 1
    reasons = [json.loads(line)["reason"] for line in (out / "errors.jsonl").read_text().splitlines()]
    assert all("No space left on device" in r and "internal error" not in r for r in reasons), reasons
    assert not any((out / "errors").glob("*.json"))  # nothing saved as the inputs' own error
    monkeypatch.setattr(batch, "atomic_write", write)
    again = quiet(inputs, out, options(in_process()))
    assert (again.extracted, again.skipped, again.errors) == (3, 0, 0)


def test_a_file_that_vanished_during_the_run_is_retried_when_it_is_back(inputs, tmp_path):
    out = tmp_path / "out"
    kept = inputs[1].read_bytes()

    def vanish(task):
        if task.path == str(inputs[1]):
            inputs[1].unlink()

    first = quiet(inputs, out, options(in_process(vanish)))
    assert (first.extracted, first.errors) == (2, 1)
    inputs[1].write_bytes(kept)
    again = quiet(inputs, out, options(in_process()))
    assert (again.extracted, again.skipped, again.errors) == (1, 2, 0)


def test_a_worker_that_dies_of_the_run_not_the_input_is_retried(inputs, tmp_path):
    out = tmp_path / "out"

    def dying(fn, items, workers, timeout):
        for item in items:
            yield item, False, batch._death_reason(1, timeout)

    first = quiet(inputs, out, options(dying))
    assert first.errors == 3
    again = quiet(inputs, out, options())
    assert (again.extracted, again.skipped) == (3, 0)


def test_a_timeout_still_sticks(inputs, tmp_path):
    import signal

    out = tmp_path / "out"

    def slow(fn, items, workers, timeout):
        for item in items:
            yield item, False, batch._death_reason(-signal.SIGALRM, timeout)

    quiet(inputs, out, options(slow))
    again = quiet(inputs, out, options())
    assert (again.extracted, again.skipped, again.errors) == (0, 3, 3)


# ---------------------------------------------------------------- D8: a file that changes after it was hashed


def test_a_file_changed_after_hashing_is_not_filed_under_the_old_hash(inputs, tmp_path):
    out = tmp_path / "out"
    old_sha = batch.identify(inputs[0])[0]
    other = inputs[2].read_bytes()

    def change(task):
        if task.path == str(inputs[0]):
            inputs[0].write_bytes(other + b"\n\n")

    first = quiet(inputs, out, options(in_process(change)))
    assert not record_path(out, old_sha).exists()
    [error] = [json.loads(line) for line in (out / "errors.jsonl").read_text().splitlines()]
    assert "changed" in error["reason"]
    assert first.errors == 1
    again = quiet(inputs, out, options(in_process()))  # retried, under its new content's hash
    assert (again.extracted, again.errors) == (1, 0)
    assert record_path(out, batch.identify(inputs[0])[0]).exists()


# ---------------------------------------------------------------- D9: limits


@pytest.mark.parametrize(
    ("args", "env", "named"),
    [
        (["--timeout", "inf"], {}, "--timeout"),
        (["--timeout", "1e12"], {}, "--timeout"),
        (["--timeout", "nan"], {}, "--timeout"),
        (["--mode", "auto"], {"NIANBAO_DEADLINE": "inf"}, "NIANBAO_DEADLINE"),
        (["--mode", "auto"], {"NIANBAO_DEADLINE": "1e12"}, "NIANBAO_DEADLINE"),
        (["--mode", "auto"], {"NIANBAO_DEADLINE": "soon"}, "NIANBAO_DEADLINE"),
        (["--mode", "auto"], {"NIANBAO_CONCURRENCY": "many"}, "NIANBAO_CONCURRENCY"),
        (["--mode", "auto"], {"NIANBAO_BACKOFF": "-1"}, "NIANBAO_BACKOFF"),
    ],
)
def test_a_limit_out_of_range_is_one_line_naming_it(inputs, tmp_path, args, env, named):
    model = {"OPENAI_BASE_URL": "http://127.0.0.1:9/v1"}
    for target in ([], ["--out", tmp_path / "out"]):
        run = nianbao("extract", inputs[0], *args, *target, env={**model, **env})
        assert run.returncode == 2
        assert named in one_line(run)
    assert not (tmp_path / "out" / "errors").exists()


def test_eval_refuses_an_infinite_timeout(tmp_path):
    run = nianbao("eval", "--timeout", "inf", "--report", tmp_path / "r")
    assert run.returncode == 2 and "--timeout" in one_line(run)


# ---------------------------------------------------------------- D11 D18: outputs beside the inputs


def test_out_equal_to_the_input_folder_reads_the_inputs_and_not_its_own_outputs(inputs, tmp_path):
    folder = tmp_path / "in"
    datasets = ["--datasets", "records.jsonl,reports.csv,cells.csv"]
    first = nianbao("extract", ".", "--out", ".", "--jobs", "1", *datasets, cwd=folder)
    assert first.returncode == 0, first.stderr
    assert len((folder / "records.jsonl").read_text().splitlines()) == 3
    again = nianbao("extract", folder, "--out", folder, "--jobs", "1", *datasets)
    assert again.returncode == 0, again.stderr
    assert "3 inputs: 0 extracted, 3 done before" in again.stderr
    assert len((folder / "records.jsonl").read_text().splitlines()) == 3


def test_out_inside_the_input_folder_is_still_not_read(inputs, tmp_path):
    nianbao("extract", tmp_path / "in", "--out", tmp_path / "in" / "out", "--jobs", "1")
    again = nianbao("extract", tmp_path / "in", "--out", tmp_path / "in" / "out", "--jobs", "1")
    assert "3 inputs: 0 extracted, 3 done before" in again.stderr


@pytest.mark.parametrize("fmt", ["csv", "cells"])
def test_the_runs_own_output_file_in_the_input_folder_is_never_read_as_a_page(inputs, tmp_path, fmt):
    output = tmp_path / "in" / f"reports.{'csv' if fmt == 'csv' else 'txt'}"
    for _ in range(2):
        run = nianbao("extract", tmp_path / "in", "-o", output, "--format", fmt)
        assert run.returncode == 0, run.stderr
    rows = output.read_text(encoding="utf-8-sig").splitlines()
    assert len(rows) == (4 if fmt == "csv" else 3)


# ---------------------------------------------------------------- D12: a record file that is not a record


def test_valid_json_that_is_not_a_record_is_not_counted_done(inputs, tmp_path):
    out = tmp_path / "out"
    quiet(inputs, out, options())
    sha = batch.identify(inputs[0])[0]
    verdict = json.loads(record_path(out, sha).read_bytes())["verdict"]
    record_path(out, sha).write_text(json.dumps({"verdict": verdict, "cells": "not cells"}))
    again = quiet(inputs, out, options())
    assert (again.extracted, again.skipped) == (1, 2)
    for line in (out / "records.jsonl").read_text().splitlines():
        assert isinstance(json.loads(line)["cells"], dict)


# ---------------------------------------------------------------- D17: an output that dies with the process


def test_an_out_url_that_does_not_outlive_the_process_is_refused(inputs, tmp_path):
    pytest.importorskip("fsspec")
    run = nianbao("extract", inputs[0], "--out", "memory://x")
    assert run.returncode == 2
    assert "memory://" in one_line(run)


def test_batch_error_for_a_records_file_is_one_line(inputs, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "rows").write_text("x")
    with pytest.raises(BatchError, match="rows"):
        quiet(inputs, out, options())


# ---------------------------------------------------------------- the drills of `nianbao bench --hostile`


def test_the_hostile_drills_of_the_runs_trouble_find_nothing(tmp_path):
    from nianbao.eval.benchmark import bench_changed_files, bench_output_side
    from nianbao.eval.hostile import VERIFIED_TEXTS, _text

    files = []
    for i in range(len(VERIFIED_TEXTS)):
        files.append(tmp_path / f"report-{i}.txt")
        files[-1].write_text(_text(i), encoding="utf-8")
    runs: list = []
    figures = bench_output_side(tmp_path, list(map(str, files)), runs)
    figures += bench_changed_files(tmp_path, list(map(str, files)), runs, 2)
    assert not +figures, figures  # every figure 0
    assert all(run is not None and "Traceback" not in run.stderr for run, _ in runs)


def test_a_worker_killed_mid_write_leaves_no_temporary_behind(inputs, tmp_path):
    """A lost machine's half-written file (the atomic write's temporary) is swept once every result is in."""
    out = tmp_path / "out"

    def killed_mid_write(task):
        (out / "rows").mkdir(parents=True, exist_ok=True)
        (out / "rows" / f".{task.sha256}.json.abc123.tmp").write_text("{half")

    result = quiet(inputs, out, options(in_process(killed_mid_write)))
    assert (result.extracted, result.errors) == (3, 0)
    assert not list(out.rglob("*.tmp"))
