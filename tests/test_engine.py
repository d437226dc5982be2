"""The batch on a real Dask cluster, started with Dask's own command-line tools on 127.0.0.1.

The cluster is a `dask scheduler` and two `dask worker` processes (one thread each), each in its own
process group so a test can kill one whole worker (nanny, worker and its sandbox) as a lost machine.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from functools import partial

import pytest
from nianbao.engine import _with_api_key, chunk_size, run_dask
from nianbao.eval.benchmark import dask_cluster
from nianbao.eval.samples import write_samples
from nianbao.model.settings import Settings
from nianbao.pipeline import Options

distributed = pytest.importorskip("distributed")

NIANBAO = [sys.executable, "-m", "nianbao.cli"]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """(address, [worker processes]): a scheduler and two one-thread workers, killed at the end whatever happened."""
    with dask_cluster(tmp_path_factory.mktemp("cluster"), workers=2) as running:
        yield running


def test_chunks_are_small_enough_to_balance_and_to_lose():
    assert chunk_size(10_000, 4) == 32
    assert chunk_size(120, 2) == 15
    assert chunk_size(3, 8) == 1


def test_the_api_key_stays_off_the_cluster():
    settings = Settings(model="m", base_url="https://example.invalid/v1", api_key="sk-secret")
    task = partial(print, options=Options(mode="auto", model=settings))
    sent = _with_api_key(task, None)
    assert sent.keywords["options"].model.api_key is None and "sk-secret" not in repr(sent.keywords)
    assert _with_api_key(sent, "sk-worker").keywords["options"].model.api_key == "sk-worker"
    rules = partial(print, options=Options())
    assert _with_api_key(rules, None) is rules and _with_api_key(rules, "sk-worker") is rules


def test_an_unreachable_scheduler_is_one_line(tmp_path):
    write_samples(tmp_path / "in", "txt", 1)
    run = subprocess.run(
        [
            *NIANBAO,
            "extract",
            str(tmp_path / "in"),
            "--out",
            str(tmp_path / "out"),
            "--mode",
            "rules",
            "--engine",
            "dask",
            "--address",
            "tcp://127.0.0.1:9",
        ],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert run.stderr.count("\n") == 1 and "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in run.stderr
    assert not (tmp_path / "out" / "records").exists()


def test_inputs_run_sandboxed_on_the_workers(cluster):
    """The per-input limits hold on the cluster: a runaway is killed by its time limit, a crash costs its input."""
    address, _, _ = cluster
    results = {item: (ok, value) for item, ok, value in run_dask(address, time.sleep, [0.01, 60, 0.02], timeout=1.0)}
    assert results[60][0] is False and "timed out" in results[60][1]
    assert results[0.01] == results[0.02] == (True, None)
    [(_, ok, reason)] = run_dask(address, os._exit, [3], timeout=30)
    assert (ok, reason) == (False, "worker died (exit code 3)")


def test_a_batch_survives_a_killed_worker_with_nothing_lost_or_redone(cluster, tmp_path):
    """Kill one worker mid-run: every input ends with exactly one record, and none done before the kill is redone."""
    address, workers, _ = cluster
    n = 120
    write_samples(tmp_path / "in", "txt", n)
    out = tmp_path / "out"
    command = [
        *NIANBAO,
        "extract",
        str(tmp_path / "in"),
        "--out",
        str(out),
        "--datasets",
        "cells.parquet,records.jsonl",
        "--mode",
        "rules",
        "--engine",
        "dask",
        "--address",
        address,
    ]
    batch = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 120
        while len(list((out / "records").glob("*.json"))) < 20 and time.monotonic() < deadline and batch.poll() is None:
            time.sleep(0.01)
        os.killpg(workers[0].pid, signal.SIGKILL)  # the nanny, its worker and the worker's sandbox: a lost machine
        workers[0].wait()
        before = {p.name: p.stat().st_mtime_ns for p in (out / "records").glob("*.json")}
        assert 20 <= len(before) < n, "the worker was not killed mid-run"
        _, stderr = batch.communicate(timeout=180)
    finally:
        if batch.poll() is None:
            os.killpg(batch.pid, signal.SIGKILL)
            batch.wait()
    assert batch.returncode == 0, stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["extracted"] == n and summary["errors"] == 0
    sources = [json.loads(line)["source"] for line in (out / "records.jsonl").read_text().splitlines()]
    assert sorted(sources) == sorted(str(p) for p in (tmp_path / "in").iterdir())  # each input exactly once
    after = {p.name: p.stat().st_mtime_ns for p in (out / "records").glob("*.json")}
    assert len(after) == n and {name: after[name] for name in before} == before  # nothing done before the kill redone
    assert not list(out.rglob("*.tmp"))


def test_the_cluster_writes_the_same_outputs_as_the_local_pool(cluster, tmp_path):
    """Where an input ran must not show in what it gave: every dataset, record and rows file byte for byte."""
    address, _, _ = cluster
    write_samples(tmp_path / "in", "txt", 40)
    outputs = {}
    for engine in ("local", "dask"):
        out = tmp_path / engine
        command = [*NIANBAO, "extract", str(tmp_path / "in"), "--out", str(out), "--mode", "rules", "--jobs", "2"]
        command += ["--datasets", "cells.parquet,reports.csv,cells.csv,records.jsonl", "--engine", engine]
        run = subprocess.run([*command, *(["--address", address] if engine == "dask" else [])], capture_output=True)
        assert run.returncode == 0, run.stderr
        outputs[engine] = {
            str(p.relative_to(out)): p.read_bytes()
            for p in sorted(out.rglob("*"))
            if p.is_file() and p.name not in ("summary.json", ".lock")
        }
    assert len(outputs["local"]) == 3 + 2 * 40 + 3  # the datasets, records/ and rows/, cross_year, errors
    assert outputs["dask"] == outputs["local"]
