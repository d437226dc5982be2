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


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_memory_urls_in_and_a_file_url_out(memory, tmp_path):
    out = tmp_path / "out"
    run = _extract("memory://in", "--out", out.as_uri())
    assert run.exit_code == 1, run.output  # 1: one input is an error, the others are in the dataset
    assert sorted(r["source"] for r in _lines(out / "records.jsonl")) == [f"memory://in/{name}" for name in REPORTS]
    errors = _lines(out / "errors.jsonl")
    assert [(e["path"], e["reason"]) for e in errors] == [("memory://in/sub/empty.txt", "empty file")]
    assert len(list((out / "records").iterdir())) == 2
    assert not list(out.rglob(".*.tmp"))  # every file renamed into place
    assert json.loads((out / "summary.json").read_text())["extracted"] == 2


def test_a_rerun_elsewhere_resumes_from_what_out_holds(memory, tmp_path):
    out = tmp_path / "out"
    assert _extract("memory://in", "--out", out.as_uri()).exit_code == 1
    shutil.rmtree(staging_root())  # another machine: nothing staged, only what OUT holds
    record = next((out / "records").iterdir())
    record.write_bytes(record.read_bytes().replace(b'"verified"', b'"verified" '))  # a mark of this copy
    run = _extract("memory://in", "--out", out.as_uri())
    summary = json.loads((out / "summary.json").read_text())
    assert (summary["extracted"], summary["skipped_done_before"]) == (0, 3), run.output
    assert b'"verified" ' in record.read_bytes()  # not extracted again, not overwritten


def test_a_fixed_input_leaves_errors_jsonl(memory, tmp_path):
    out = tmp_path / "out"
    assert _extract("memory://in", "--out", out.as_uri()).exit_code == 1
    memory.pipe("/in/sub/empty.txt", (CORPUS / "pingtan-2021.txt").read_bytes())
    assert _extract("memory://in", "--out", out.as_uri()).exit_code == 0
    assert (out / "errors.jsonl").read_bytes() == b""
    assert len(list((out / "records").iterdir())) == 3


def test_an_out_that_dies_with_the_command_is_refused(memory):
    run = _extract("memory://in", "--out", "memory://out")
    assert run.exit_code == 2 and "memory://" in run.output
    assert not memory.exists("/out")


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


@pytest.mark.parametrize("batch", [True, False])
def test_a_url_that_cannot_be_fetched_costs_only_itself(memory, tmp_path, batch):
    """One missing URL among the inputs is one line and a non-zero exit; the other inputs are still extracted."""
    out = ["--out", str(tmp_path / "o")] if batch else []
    run = _extract("memory://missing", "memory://in/pingtan-2022.txt", *out)
    assert run.exit_code == 1, run.output
    assert "memory://missing: no such file or folder" in run.output and "Traceback" not in run.output
    if batch:
        assert [r["source"] for r in _lines(tmp_path / "o" / "records.jsonl")] == ["memory://in/pingtan-2022.txt"]
    else:
        assert '"source": "memory://in/pingtan-2022.txt"' in run.output
