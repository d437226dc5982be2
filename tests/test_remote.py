"""Inputs and --out as fsspec URLs: staged, resumed by content hash from what OUT holds, sent back atomically."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from nianbao.cli import app
from nianbao.remote import RemoteOut, staging_root
from typer.testing import CliRunner

fsspec = pytest.importorskip("fsspec")
CORPUS = Path(__file__).resolve().parents[1] / "eval" / "corpus"
REPORTS = ("pingtan-2022.txt", "shuyang-county-2025.txt")


@pytest.fixture
def memory(tmp_path, monkeypatch):
    """A fresh memory:// filesystem holding two reports and one unreadable file, staged under tmp_path."""
    monkeypatch.setenv("NIANBAO_STAGING", str(tmp_path / "staging"))
    fs = fsspec.filesystem("memory")
    fs.rm("/", recursive=True) if fs.exists("/in") or fs.exists("/out") else None
    for name in REPORTS:
        fs.pipe(f"/in/{name}", (CORPUS / name).read_bytes())
    fs.pipe("/in/sub/empty.txt", b"")
    fs.pipe("/in/.hidden.txt", b"not a page")
    yield fs
    fs.rm("/", recursive=True)


def _extract(*args: str):
    return CliRunner().invoke(app, ["extract", *args, "--mode", "rules", "--jobs", "1", "--datasets", "records.jsonl"])


def test_memory_urls_in_and_out(memory):
    run = _extract("memory://in", "--out", "memory://out")
    assert run.exit_code == 1, run.output  # 1: one input is an error, the others are in the dataset
    records = [json.loads(line) for line in memory.cat("/out/records.jsonl").decode().splitlines()]
    assert sorted(r["source"] for r in records) == [f"memory://in/{name}" for name in REPORTS]
    errors = [json.loads(line) for line in memory.cat("/out/errors.jsonl").decode().splitlines()]
    assert [(e["path"], e["reason"]) for e in errors] == [("memory://in/sub/empty.txt", "empty file")]
    names = memory.find("/out")
    assert len([n for n in names if n.startswith("/out/records/")]) == 2
    assert not [n for n in names if n.endswith(".tmp")]  # every file renamed into place
    assert json.loads(memory.cat("/out/summary.json"))["extracted"] == 2


def test_a_rerun_elsewhere_resumes_from_what_out_holds(memory, tmp_path):
    assert _extract("memory://in", "--out", "memory://out").exit_code == 1
    shutil.rmtree(staging_root())  # another machine: nothing staged, only what OUT holds
    record = next(n for n in memory.find("/out/records"))
    memory.pipe(record, memory.cat(record).replace(b'"verified"', b'"verified" '))  # a mark of this copy
    run = _extract("memory://in", "--out", "memory://out")
    summary = json.loads(memory.cat("/out/summary.json"))
    assert (summary["extracted"], summary["skipped_done_before"]) == (0, 3), run.output
    assert b'"verified" ' in memory.cat(record)  # not extracted again, not overwritten


def test_a_fixed_input_leaves_errors_jsonl(memory):
    assert _extract("memory://in", "--out", "memory://out").exit_code == 1
    memory.pipe("/in/sub/empty.txt", (CORPUS / "pingtan-2021.txt").read_bytes())
    assert _extract("memory://in", "--out", "memory://out").exit_code == 0
    assert memory.cat("/out/errors.jsonl") == b""
    assert len(memory.find("/out/records")) == 3


def test_file_urls_through_the_command_line(tmp_path):
    source, out = tmp_path / "in", tmp_path / "out"
    source.mkdir()
    shutil.copy(CORPUS / REPORTS[0], source)
    env = {"NIANBAO_STAGING": str(tmp_path / "staging"), "PATH": "/usr/bin:/bin"}
    command = [
        sys.executable,
        "-m",
        "nianbao.cli",
        "extract",
        source.as_uri(),
        "--out",
        out.as_uri(),
        "--mode",
        "rules",
        "--datasets",
        "records.jsonl",
    ]
    run = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)
    assert run.returncode == 0, run.stderr
    [record] = [json.loads(line) for line in (out / "records.jsonl").read_text().splitlines()]
    assert record["source"] == f"{source.as_uri()}/{REPORTS[0]}"
    assert not list(out.rglob(".*.tmp"))


def test_object_stores_write_straight_to_the_name(tmp_path, monkeypatch):
    monkeypatch.setenv("NIANBAO_STAGING", str(tmp_path))
    assert RemoteOut("memory://x").atomic_rename and RemoteOut((tmp_path / "o").as_uri()).atomic_rename
    remote = RemoteOut("memory://x")
    remote.atomic_rename = False  # what an s3:// or gs:// OUT gets: a PUT is whole by itself
    (tmp_path / "f").write_text("data")
    remote.put(tmp_path / "f", "/x/f")
    assert remote.fs.cat("/x/f") == b"data"


def test_a_url_nianbao_cannot_open_is_one_line(tmp_path, monkeypatch):
    monkeypatch.setenv("NIANBAO_STAGING", str(tmp_path))
    run = _extract("nosuchprotocol://bucket/in", "--out", str(tmp_path / "o"))
    assert run.exit_code != 0 and "nosuchprotocol://bucket/in" in run.output
    assert "Traceback" not in run.output
    run = _extract("memory://missing", "--out", str(tmp_path / "o"))
    assert run.exit_code != 0 and "no such file or folder" in run.output
