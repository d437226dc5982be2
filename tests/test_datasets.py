"""The batch's datasets at scale: which files, the slim record, a page that is no report, assembly in parts."""

from __future__ import annotations

import gzip
import io
import json
import subprocess
import sys
from dataclasses import replace

import pyarrow.parquet as pq
import pytest
from nianbao import datasets, engine
from nianbao.batch import BatchOptions, rows_path, run_batch, run_pool
from nianbao.datasets import DATASETS, DEFAULT_DATASETS, write_datasets
from nianbao.eval.samples import CORPUS, write_samples
from nianbao.pipeline import extract_path
from nianbao.records import load_record, record_texts, slim
from nianbao.review.build import parse_record

NIANBAO = [sys.executable, "-m", "nianbao.cli"]
PAGES = sorted(p for p in CORPUS.iterdir() if not p.name.endswith(".json"))


def quiet(**changes) -> BatchOptions:
    return replace(BatchOptions(progress=False, jobs=1), **changes)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_a_slim_record_loads_back_as_the_full_record(page):
    full = extract_path(page)
    text = json.dumps(slim(full), ensure_ascii=False)
    assert load_record(json.loads(text)).model_dump() == full.model_dump()
    assert parse_record(text).model_dump() == full.model_dump()  # what `nianbao review` reads


def test_the_slim_record_keeps_every_value_and_its_status_in_a_third_of_the_bytes():
    full = extract_path(CORPUS / "002_a80d00d8d16235a9.txt")
    slimmed = slim(full)
    assert len(json.dumps(slimmed)) < len(full.model_dump_json()) / 2.5
    assert slimmed["unverified"] == full.unverified
    assert {k: c["value"] for k, c in slimmed["cells"].items()} == {
        k: None if c.value is None else json.loads(json.dumps(c.model_dump(mode="json")))["value"]
        for k, c in full.cells.items()
    }
    assert [c["status"] for c in slimmed["checks"]] == [c.status for c in full.checks]


def test_a_page_that_is_no_report_costs_a_small_record_and_no_cell_rows(tmp_path):
    """A 5-byte page cost 265 KB of output (200 'not found' cells, 42 uncheckable identities, their rows)."""
    (tmp_path / "in").mkdir()
    for i in range(20):
        (tmp_path / "in" / f"{i}.txt").write_bytes(f"hello {i}".encode())
    out = tmp_path / "out"
    run_batch(sorted((tmp_path / "in").iterdir()), out, quiet(), log=lambda m: None)
    written = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    assert written / 20 < 5_000, f"{written / 20:.0f} bytes of output a page that is no report"
    assert pq.read_table(out / "cells.parquet").num_rows == 0
    [record] = [json.loads(t) for t in record_texts(out)][:1]
    assert record["verdict"] == "failed" and record["cells"] == {} and record["checks"] == []
    check = subprocess.run([*NIANBAO, "check", str(next((out / "records").iterdir()))], capture_output=True, text=True)
    assert check.returncode == 1 and json.loads(check.stdout)["verdict"] == "failed", check.stderr


def test_the_default_datasets_and_the_ones_asked_for(tmp_path):
    write_samples(tmp_path / "in", "txt", 3)
    out = tmp_path / "out"
    result = run_batch(sorted((tmp_path / "in").iterdir()), out, quiet(), log=lambda m: None)
    assert result.datasets == list(DEFAULT_DATASETS) == ["cells.parquet", "reports.csv"]
    assert {p.name for p in out.iterdir() if p.is_file()} == {
        *DEFAULT_DATASETS,
        ".lock",
        "cross_year.csv",
        "errors.jsonl",
        "summary.json",
    }
    assert len([parse_record(t) for t in record_texts(out)]) == 3  # review reads the per-input records

    run = subprocess.run(
        [*NIANBAO, "extract", str(tmp_path / "in"), "--out", str(out), "--datasets", "cells.csv,records.jsonl.gz"],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    assert not (out / "cells.parquet").exists(), "a dataset this run did not write is not left behind"
    assert (out / "cells.csv").exists()
    lines = gzip.decompress((out / "records.jsonl.gz").read_bytes()).decode().splitlines()
    assert len(lines) == 3 and all(json.loads(line)["cells"] for line in lines)
    check = subprocess.run([*NIANBAO, "check", str(out / "records.jsonl.gz")], capture_output=True, text=True)
    assert len(check.stdout.splitlines()) == 3 and "Traceback" not in check.stderr


def test_an_unknown_dataset_is_one_line(tmp_path):
    write_samples(tmp_path / "in", "txt", 1)
    run = subprocess.run(
        [*NIANBAO, "extract", str(tmp_path / "in"), "--out", str(tmp_path / "out"), "--datasets", "cells.xlsx"],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 2 and run.stderr.startswith("nianbao: error: --datasets: cells.xlsx (choose from")
    assert run.stderr.count("\n") == 1


def test_assembly_in_parallel_parts_writes_the_same_files(tmp_path, monkeypatch):
    write_samples(tmp_path / "in", "txt", 7)
    out = tmp_path / "out"
    run_batch(sorted((tmp_path / "in").iterdir()), out, quiet(datasets=DATASETS), log=lambda m: None)
    whole = {name: (out / name).read_bytes() for name in DATASETS}
    done = [(p, rows_path(out, p.stem)) for p in sorted((out / "records").iterdir())]
    done.sort(key=lambda item: json.loads(item[0].read_bytes())["source"])  # the batch's order: the inputs' own
    monkeypatch.setattr(datasets, "PART_REPORTS", 2)
    monkeypatch.setattr(datasets, "BLOCK_REPORTS", 1)  # seen in this process only, not by the pool's workers
    for jobs, groups in ((1, 7), (3, 3)):  # one part, a row group per report; 3 parts of 3, 3 and 1 reports
        write_datasets(out, done, DATASETS, jobs=jobs, pool=run_pool)
        for name in ("reports.csv", "cells.csv", "records.jsonl"):
            assert (out / name).read_bytes() == whole[name], (name, jobs)
        assert gzip.decompress((out / "records.jsonl.gz").read_bytes()) == whole["records.jsonl"]
        parquet = pq.ParquetFile(out / "cells.parquet")
        assert parquet.num_row_groups == groups
        assert parquet.read().equals(pq.read_table(io.BytesIO(whole["cells.parquet"])))
    assert not (out / ".parts").exists()


def test_a_dask_worker_keeps_its_sandbox_between_chunks():
    """The engine's overhead: a chunk must not pay a sandbox start and the first report's setup."""
    pid = "__import__('os').getpid()"
    try:
        [(_, ok, first)] = engine.run_chunk(eval, [pid], timeout=30)
        [(_, _, again)] = engine.run_chunk(eval, [pid], timeout=30)
        assert ok and first == again
        [(_, ok, _)] = engine.run_chunk(eval, ["__import__('os')._exit(3)"], timeout=30)
        [(_, _, after)] = engine.run_chunk(eval, [pid], timeout=30)
        assert not ok and after != first  # a sandbox that died is replaced
    finally:
        for kept in engine._SANDBOXES.values():
            for process, conn in kept:
                process.kill()
                process.join()
                conn.close()
        engine._SANDBOXES.clear()


def test_parquet_parts_join_by_their_bytes(tmp_path):
    """The assembly joins its Parquet parts without reading a row: the join must read back as the parts, in
    order, row group by row group; a file joined alone is the same bytes; a part it cannot shift is refused."""
    import pyarrow as pa
    from nianbao import parquetjoin

    schema = datasets.cells_schema()

    def part(name: str, groups: list[int], **options) -> tuple:
        tables = []
        with pq.ParquetWriter(tmp_path / name, schema, compression="zstd", **options) as writer:
            for size in groups:
                columns = [
                    pa.array(range(size), pa.int64())
                    if c.startswith("span_")
                    else pa.array([f"{name}:{c}:{i % 7}" for i in range(size)])
                    for c in schema.names
                ]
                tables.append(pa.Table.from_arrays(columns, schema=schema))
                writer.write_table(tables[-1])
        return tmp_path / name, tables

    parts = [part("a", [5, 300]), part("b", [1]), part("c", [2000, 3])]
    with (tmp_path / "joined.parquet").open("wb") as target:
        parquetjoin.join([path for path, _ in parts], target)
    joined = pq.ParquetFile(tmp_path / "joined.parquet")
    groups = [t for _, tables in parts for t in tables]
    assert joined.num_row_groups == len(groups) == 5
    assert all(joined.read_row_group(i).equals(t) for i, t in enumerate(groups))
    assert joined.read().equals(pa.concat_tables(groups))
    alone = io.BytesIO()
    parquetjoin.join([parts[0][0]], alone)
    assert alone.getvalue() == parts[0][0].read_bytes()
    indexed, _ = part("d", [4], write_page_index=True)
    with pytest.raises(parquetjoin.JoinError, match="page index"):
        parquetjoin.join([parts[0][0], indexed], io.BytesIO())
