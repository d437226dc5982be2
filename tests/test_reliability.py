"""Issue 8: each way found to lose work, leak a key or crash, guarded by the test that failed before its fix."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pytest
from nianbao import batch
from nianbao.batch import BatchOptions, run_batch
from nianbao.datasets import DATASETS, cells_table, dataset_rows, read_rows
from nianbao.eval import hostile
from nianbao.eval.samples import CORPUS, render, render_text, write_samples
from nianbao.ingest import IngestError, ingest_bytes, pdf
from nianbao.output import render_csv
from nianbao.pipeline import extract_document, extract_path
from nianbao.schemas.keys import FEE_KEY
from pages import consistent_table3, page

NIANBAO = [sys.executable, "-m", "nianbao.cli"]
GOOD = CORPUS / "002_a80d00d8d16235a9.txt"
TABLE3 = consistent_table3({"granted": [3, 1, 0, 0, 0, 0]}, new_received=[4, 1, 0, 0, 0, 0])


def nianbao(*args, cwd=None, timeout=120, **kwargs) -> subprocess.CompletedProcess:
    run = subprocess.run([*NIANBAO, *args], capture_output=True, cwd=cwd, timeout=timeout, **kwargs)
    run.err = run.stderr.decode("utf-8", "replace")
    return run


def quiet() -> BatchOptions:
    return BatchOptions(progress=False, datasets=DATASETS)


def one_line_error(run: subprocess.CompletedProcess) -> bool:
    return run.err.count("\n") == 1 and run.err.startswith("nianbao: error: ") and "Traceback" not in run.err


# ---------------------------------------------------------------- 1. file names that are not UTF-8


def test_a_file_name_that_is_not_utf8_survives_the_batch_and_its_rerun(tmp_path):
    inputs, out = tmp_path / "in", tmp_path / "out"
    [first, _] = write_samples(inputs, "txt", 2)
    folder = os.fsencode(inputs)
    Path(os.fsdecode(folder + b"/z\xff.txt")).write_bytes(b"")  # unreadable: a line in errors.jsonl
    Path(os.fsdecode(folder + b"/d\xfe.txt")).write_bytes(first.read_bytes())  # a duplicate: summary.json
    Path(os.fsdecode(folder + b"/g\xfd.txt")).write_bytes(render_text(GOOD, 99))  # a good one: its record's source
    for _ in range(2):  # the re-run too
        run = nianbao("extract", str(inputs), "--out", str(out), "--datasets", "records.jsonl")
        assert run.returncode == 1 and "Traceback" not in run.err, run.err
        sources = [
            json.loads(line)["source"] for line in (out / "records.jsonl").read_text(encoding="utf-8").splitlines()
        ]
        assert len(sources) == 3 and any(s.endswith("/g\\xfd.txt") for s in sources)
        [error] = map(json.loads, (out / "errors.jsonl").read_text(encoding="utf-8").splitlines())
        assert error["path"].endswith("/z\\xff.txt") and error["reason"] == "empty file"
        summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
        assert summary["duplicates"][0]["path"].endswith("/d\\xfe.txt")
    single = nianbao("extract", os.fsdecode(folder + b"/g\xfd.txt"), os.fsdecode(folder + b"/z\xff.txt"))
    assert single.returncode == 1 and "z\\xff.txt: empty file" in single.err
    assert json.loads(single.stdout)["source"].endswith("/g\\xfd.txt")


# ---------------------------------------------------------------- 2. a cell of megabytes


def test_a_cell_of_megabytes_is_capped_and_the_datasets_are_still_assembled(tmp_path):
    text = GOOD.read_text(encoding="utf-8").replace("\t83\n", "\t" + "8" * 2_500_000 + "\n", 1)
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "long.txt").write_text(text, encoding="utf-8")
    write_samples(tmp_path / "in", "txt", 1)
    out = tmp_path / "out"
    result = run_batch(sorted((tmp_path / "in").iterdir()), out, quiet(), log=lambda m: None)
    assert result.extracted == 2
    from nianbao.schemas.record import MAX_RAW

    for name in ("records.jsonl", "cells.parquet", "errors.jsonl", "summary.json"):
        assert (out / name).exists(), name
    [record] = [
        r
        for r in map(json.loads, (out / "records.jsonl").read_text(encoding="utf-8").splitlines())
        if r["source"].endswith("long.txt")
    ]
    longest = max(record["cells"].values(), key=lambda c: len(c.get("raw") or ""))  # slim: no empty fields
    assert len(longest["raw"]) <= MAX_RAW + 40 and "chars]" in longest["raw"]
    assert longest["span"][1] - longest["span"][0] > 2_000_000  # the span still says where the whole text was


def test_parquet_assembly_does_not_depend_on_the_longest_field():
    from nianbao.datasets import ROW_COLUMNS

    fields = {"key": FEE_KEY, "table": "二", "value": "1", "status": "verified", "span_start": "1", "span_end": "2"}
    rows = io.StringIO()
    writer = csv.DictWriter(rows, ROW_COLUMNS, restval="", lineterminator="\n")
    writer.writerows({**fields, "raw": raw} for raw in ("x" * 3_000_000, "short\non two lines"))
    table = cells_table(rows.getvalue().encode(), [["a.txt", "0" * 64, "failed"]], [2])
    assert [len(r) for r in table.column("raw").to_pylist()] == [3_000_000, 18]
    assert table.column("source").to_pylist() == ["a.txt", "a.txt"]


# ---------------------------------------------------------------- 4. deep HTML


def _expected_html_values():
    return extract_document(ingest_bytes(render("html", 0), "p.html"), "p.html").values()


def test_a_report_inside_300_nested_divs_reads():
    page_html = render("html", 0).decode("utf-8")
    body = page_html.index("<body>") + len("<body>")
    nested = page_html[:body] + "<div>" * 300 + page_html[body:].replace("</body>", "</div>" * 300 + "</body>")
    report = extract_document(ingest_bytes(nested.encode(), "p.html"), "p.html")
    assert report.verdict.value == "verified", report.verdict_reason
    assert report.values() == _expected_html_values()


@pytest.mark.parametrize("prose_lines", [0, 3000])
def test_a_report_with_an_unclosed_span_per_line_reads(prose_lines):
    import html

    lines = ["本机关认真落实政府信息公开工作要求。"] * prose_lines + GOOD.read_text(encoding="utf-8").splitlines()
    markup = "<html><body>" + "".join(f"<span>{html.escape(line)}<br>\n" for line in lines) + "</body></html>"
    report = extract_document(ingest_bytes(markup.encode(), "p.html"), "p.html")
    plain = extract_path(GOOD)
    assert report.verdict.value == plain.verdict.value, report.verdict_reason
    assert report.values() == plain.values()


def test_a_parser_limit_that_is_still_hit_is_said_in_the_record():
    text = GOOD.read_text(encoding="utf-8")
    middle = len(text) // 2
    markup = "<html><body><pre>" + text[:middle] + "<ul><li>" * 3000 + text[middle:] + "</pre></body></html>"
    report = extract_document(ingest_bytes(markup.encode(), "p.html"), "p.html")
    assert report.verdict.value != "verified"
    assert "nested deeper than" in report.verdict_reason and any("nested deeper than" in w for w in report.warnings)


# ---------------------------------------------------------------- 7. every input gets the batch's limits


def test_single_file_mode_kills_an_operator_bomb_at_its_time_limit(tmp_path):
    bomb = tmp_path / "ops.pdf"
    bomb.write_bytes(hostile.operator_bomb(0))
    assert len(bomb.read_bytes()) < 200_000
    run = nianbao("extract", str(bomb), "--timeout", "2", "--mode", "rules")
    assert run.returncode == 2 and "timed out" in run.err and one_line_error(run), run.err


def test_a_pdf_stream_that_inflates_to_gigabytes_is_refused_without_the_memory(tmp_path):
    bomb = tmp_path / "inflate.pdf"
    bomb.write_bytes(hostile.inflate_bomb(0))
    assert len(bomb.read_bytes()) < 3 * 2**20
    run = nianbao("extract", str(bomb), "--format", "json", "--mode", "rules")
    assert run.returncode == 2 and "inflate" in run.err and one_line_error(run), run.err
    probe = "import resource,subprocess,sys; subprocess.run(sys.argv[1:]); print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    peak_kib = int(
        subprocess.run(
            [sys.executable, "-c", probe, *NIANBAO, "extract", str(bomb)], capture_output=True, text=True
        ).stdout
    )
    assert peak_kib < 600 * 1024


def test_an_ordinary_pdf_is_not_refused_by_the_inflate_cap():
    report = extract_document(ingest_bytes(render("pdf", 0), "p.pdf"), "p.pdf")
    assert report.verdict.value == "verified"


def test_a_pdf_too_small_to_reach_the_cap_is_not_inflated_twice(monkeypatch):
    """Deflate's ratio is bounded (1032:1), so the check skips files that cannot reach the cap; the
    bound is checked against zlib itself on the most compressible input there is."""
    ratio = (2**24) / len(zlib.compress(b"\0" * 2**24, 9))
    assert 1000 < ratio <= pdf._MAX_DEFLATE_RATIO
    monkeypatch.setattr(pdf.zlib, "decompressobj", lambda *a: pytest.fail("inflated a small PDF"))
    small = render("pdf", 0)
    assert len(small) * pdf._MAX_DEFLATE_RATIO <= pdf.MAX_PDF_INFLATED_BYTES
    pdf._check_inflated_size(small)
    with pytest.raises(pytest.fail.Exception):  # a file big enough to reach it is still inflated
        pdf._check_inflated_size(hostile.inflate_bomb(0))


# ---------------------------------------------------------------- 8. output paths


@pytest.mark.parametrize(
    "flag, target",
    [
        ("-o", "/etc/passwd/x"),
        ("-o", "{tmp}"),
        ("-o", "/proc/nianbao/x.json"),
        ("--out", "/etc/passwd/x"),
        ("--out", "/proc/nianbao"),
        ("--out", "{tmp}/file"),
    ],
)
def test_output_path_errors_are_one_line_and_found_before_extracting(tmp_path, flag, target):
    (tmp_path / "file").write_text("x")
    run = nianbao("extract", str(GOOD), str(tmp_path / "missing.txt"), flag, target.format(tmp=tmp_path))
    assert run.returncode == 2 and one_line_error(run), run.err
    assert "missing.txt" not in run.err  # nothing was read before the output was checked


# ---------------------------------------------------------------- 9. an unreadable file on the command line


def test_an_unreadable_file_on_the_command_line_does_not_cancel_the_run(tmp_path, monkeypatch):
    """As a user who may not enter `locked/` (the test may run as root, so the kernel's refusal is played)."""
    from nianbao.cli import app
    from typer.testing import CliRunner

    real_is_dir = Path.is_dir

    def is_dir(path):
        if "locked" in path.parts:
            raise PermissionError(13, "Permission denied", str(path))
        return real_is_dir(path)

    monkeypatch.setattr(Path, "is_dir", is_dir)
    result = CliRunner().invoke(app, ["extract", str(tmp_path / "locked" / "x.txt"), str(GOOD), "--mode", "rules"])
    assert result.exit_code == 1, result.exception  # one input unreadable, the other extracted
    assert result.stderr.count("\n") == 1 and "locked/x.txt" in result.stderr
    assert json.loads(result.stdout)["verdict"] == "verified"


# ---------------------------------------------------------------- 10. nianbao check is strict


@pytest.fixture(scope="module")
def saved_record(tmp_path_factory) -> dict:
    source = tmp_path_factory.mktemp("check") / "r.txt"
    source.write_text(page(TABLE3), encoding="utf-8")
    [record] = json.loads(nianbao("extract", str(source), "--format", "json").stdout)
    return record


def _cell(key: str, **change):
    return lambda record: record["cells"][key].update(change)


@pytest.mark.parametrize(
    "change, field",
    [
        (_cell("applications.granted.total", value=1.5), "cells.applications.granted.total.value"),
        (_cell("applications.granted.total", value="12"), "cells.applications.granted.total.value"),
        (_cell("applications.granted.total", value=True), "cells.applications.granted.total.value"),
        (_cell(FEE_KEY, value=12), f"cells.{FEE_KEY}.value"),
        (lambda r: r["cells"].update({"applications.made_up.total": {"value": 1}}), "cells.applications.made_up.total"),
        (_cell("applications.granted.total", value=None, flags=[]), "cells.applications.granted.total"),
        (lambda r: r.update({"verdict": "great"}), "verdict"),
    ],
)
def test_check_refuses_a_bad_record_naming_the_field(tmp_path, saved_record, change, field):
    record = json.loads(json.dumps(saved_record))
    change(record)
    path = tmp_path / "r.json"
    path.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    run = nianbao("check", str(path))
    assert run.returncode == 2 and one_line_error(run), run.err
    assert field in run.err


def test_check_accepts_a_saved_record_and_refuses_an_empty_list(tmp_path, saved_record):
    path = tmp_path / "r.json"
    path.write_text(json.dumps([saved_record], ensure_ascii=False), encoding="utf-8")
    assert nianbao("check", str(path)).returncode == 0
    path.write_text("[]", encoding="utf-8")
    run = nianbao("check", str(path))
    assert run.returncode == 2 and one_line_error(run) and "no records" in run.err


# ---------------------------------------------------------------- 11. CSV formula injection


@pytest.mark.parametrize("name", ['=HYPERLINK("http://x")', "+1+cmd", "-2+3", "@SUM(A1)", "\t=1"])
def test_csv_cells_that_would_run_as_formulas_are_neutralised(name):
    report = extract_path(GOOD)
    report = report.model_copy(update={"source": name, "meta": report.meta.model_copy(update={"agency_name": name})})
    from nianbao.schemas.columns import WIDE_COLUMNS

    csv_text = render_csv([report]).removeprefix("\ufeff")
    for header, line in (
        (csv_text.splitlines()[0], csv_text.splitlines()[-1]),
        (",".join(WIDE_COLUMNS), read_rows(dataset_rows(report))[0]["wide"]),
    ):
        row = dict(zip(next(csv.reader(io.StringIO(header))), next(csv.reader(io.StringIO(line))), strict=True))
        assert row["source"] == row["agency_name"] == "'" + name
        assert all(not cell.startswith(("=", "+", "@")) for cell in row.values())


def test_a_plain_negative_number_or_dash_is_left_alone():
    from nianbao.output import csv_safe

    assert csv_safe("-") == "-" and csv_safe("-12") == "-12" and csv_safe("-1.5") == "-1.5" and csv_safe(3) == 3
    assert csv_safe("-1+2") == "'-1+2"


# ---------------------------------------------------------------- 12. UTF-16 without a byte-order mark


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_without_a_byte_order_mark_is_decoded(codec):
    report = extract_document(ingest_bytes(page(TABLE3).encode(codec), "u.txt"), "u.txt")
    assert report.verdict.value == "verified"


def test_binary_with_nul_bytes_is_still_binary():
    with pytest.raises(IngestError, match="binary"):
        ingest_bytes(hostile.BUILDERS["binary"](3).data, "b.bin")


# ---------------------------------------------------------------- 13. corrupted per-input files


def test_a_corrupted_per_input_file_is_redone(tmp_path):
    write_samples(tmp_path / "in", "txt", 3)
    out = tmp_path / "out"
    files = sorted((tmp_path / "in").iterdir())
    run_batch(files, out, quiet(), log=lambda m: None)
    rows, records = sorted((out / "rows").iterdir()), sorted((out / "records").iterdir())
    rows[0].write_bytes(b'{"verdict": "verified", "wi')
    records[1].write_bytes(b"\x00\x01garbage")
    again = run_batch(files, out, quiet(), log=lambda m: None)
    assert again.extracted == 2 and again.skipped == 1
    lines = (out / "records.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 3 and all(json.loads(line)["verdict"] == "verified" for line in lines)


# ---------------------------------------------------------------- 14. children die with their parent


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _all_die(pids: list[int], seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and any(map(_alive, pids)):
        time.sleep(0.1)
    return not any(map(_alive, pids))


def _slow_input(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "ops.pdf"
    path.write_bytes(hostile.operator_bomb(1))
    return path


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGINT])
@pytest.mark.parametrize("mode", ["batch", "single"])
def test_the_worker_in_flight_dies_with_the_cli(tmp_path, how, mode):
    slow = _slow_input(tmp_path / "in")
    extra = ["--out", str(tmp_path / "out")] if mode == "batch" else []
    process = subprocess.Popen(
        [*NIANBAO, "extract", str(slow), "--timeout", "120", *extra],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        # as from a terminal: a suite started in the background (`… &`) hands its children SIGINT ignored
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        deadline = time.monotonic() + 60
        while (
            len(_descendants(process.pid)) < 3 and time.monotonic() < deadline
        ):  # resource tracker, forkserver, worker
            time.sleep(0.2)
        time.sleep(1)
        workers = _descendants(process.pid)
        assert len(workers) >= 3
        os.kill(process.pid, how)
        process.wait(timeout=30)
        assert _all_die(workers), [p for p in workers if _alive(p)]
    finally:
        process.kill()
        process.wait()


def test_model_serve_takes_its_server_down_on_sigterm(tmp_path):
    fake_python = tmp_path / "python"
    fake_python.write_text("#!/bin/sh\nexec sleep 300\n")
    fake_python.chmod(0o755)
    from nianbao.model.local import DEFAULT_SPEC

    (tmp_path / DEFAULT_SPEC.filename).write_bytes(b"gguf")
    process = subprocess.Popen(
        [*NIANBAO, "model", "serve", "--dir", str(tmp_path), "--python", str(fake_python), "--port", "18999"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while not _descendants(process.pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        servers = _descendants(process.pid)
        assert servers
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
        assert _all_die(servers)
    finally:
        process.kill()
        process.wait()


# ---------------------------------------------------------------- also


def test_a_page_that_is_not_a_report_is_said_on_stderr_with_its_own_exit_code(tmp_path):
    news = tmp_path / "news.html"
    news.write_bytes(hostile.BUILDERS["not_a_report"](0).data)
    run = nianbao("extract", str(news), "--mode", "rules")
    assert run.returncode == 3 and run.err.count("\n") == 1 and run.err.startswith(f"nianbao: {news}: not a report")
    assert json.loads(run.stdout)["verdict"] == "failed"
    both = nianbao("extract", str(news), str(GOOD), "--mode", "rules")
    assert both.returncode == 3 and len(both.stdout.splitlines()) == 2


def test_bench_runs_from_any_working_directory(tmp_path):
    """It used to look for the corpus beside the package only, and divided by zero when it was not there."""
    run = nianbao("bench", "--n", "2", "--batch", "0", "--kinds", "txt", "--no-profile", cwd=tmp_path, timeout=300)
    assert run.returncode == 0 and "Traceback" not in run.err, run.err
    assert "| txt | 2 |" in run.stdout.decode()


def test_the_drill_judges_an_identical_input_by_its_first_copy(tmp_path):
    """The 1,000-input drill made a few byte-identical cases (truncated HTML, broken PDFs); the batch lists
    them as duplicates, and the drill used to count them as lost records and wrong outcomes."""
    from nianbao.eval.benchmark import dataset_figures

    (tmp_path / "in").mkdir()
    cases = {}
    for name, case in [
        ("a.txt", hostile.Case("a.txt", GOOD.read_bytes(), verdict="verified")),
        ("b.pdf", hostile.BUILDERS["broken_pdf"](15)),
    ]:
        for copy in ("1", "2"):
            path = tmp_path / "in" / f"{copy}-{name}"
            path.write_bytes(case.data)
            cases[str(path)] = case
    run_batch(sorted(map(Path, cases)), tmp_path / "out", quiet(), log=lambda m: None)
    figures = dataset_figures(cases, tmp_path / "out", "run")
    assert sum(figures.values()) == 0, figures


def test_a_bug_in_our_pdf_page_code_is_not_called_a_broken_pdf(monkeypatch):
    def buggy(page):
        raise KeyError("ours")

    monkeypatch.setattr(pdf, "_pdfium_page", buggy)
    with pytest.raises(KeyError):
        ingest_bytes(render("pdf", 0), "p.pdf")


def test_summary_is_written_while_the_batch_lock_is_held(tmp_path, monkeypatch):
    write_samples(tmp_path / "in", "txt", 1)
    held: list[bool] = []
    real = batch.atomic_write

    def spy(path, data, durable=True):
        if Path(path).name == "summary.json":
            try:
                batch._lock(tmp_path / "out").close()
                held.append(False)
            except batch.BatchError:
                held.append(True)
        real(path, data, durable=durable)

    monkeypatch.setattr(batch, "atomic_write", spy)
    run_batch(sorted((tmp_path / "in").iterdir()), tmp_path / "out", quiet(), log=lambda m: None)
    assert held == [True]


def test_json_output_is_always_a_list(tmp_path):
    one = nianbao("extract", str(GOOD), "--format", "json", "-o", str(tmp_path / "one.json"))
    two = nianbao(
        "extract",
        str(GOOD),
        str(CORPUS / "003_7ad69be5d4b9291f.txt"),
        "--format",
        "json",
        "-o",
        str(tmp_path / "two.json"),
    )
    assert one.returncode == two.returncode == 0
    assert [len(json.loads((tmp_path / n).read_text(encoding="utf-8"))) for n in ("one.json", "two.json")] == [1, 2]


# ---------------------------------------------------------------- 5. the API key never leaves the process


SECRET = "sk-test-ECHOED-0123456789abcdef"


def _echo_server(status: int):
    from scripted_server import ScriptedServer, completion

    def script(body):
        if status == 200:
            return 200, completion(json.dumps({"rows": [[1, 0, 0, 0, 0, 0, 1]], "note": f"your key is {SECRET}"}))
        return status, {"error": {"message": f"Incorrect API key provided: {SECRET} (Authorization: Bearer {SECRET})"}}

    return ScriptedServer(script)


@pytest.mark.parametrize("status", [200, 401, 500])
def test_an_endpoint_that_echoes_the_key_never_gets_it_written(tmp_path, status, monkeypatch):
    """Records, cache, stderr: an error message and an answer that carry the key lose it on the way in."""
    server = _echo_server(status)
    monkeypatch.setenv("NIANBAO_BACKOFF", "0.001")
    try:
        env = {**os.environ, "OPENAI_BASE_URL": server.url, "OPENAI_API_KEY": SECRET, "NIANBAO_BACKOFF": "0.001"}
        page_path = tmp_path / "p.txt"
        page_path.write_bytes(
            render_text(CORPUS / "pingtan-2021.txt", 1)
        )  # model mode: the model reads every report, whatever the parser made of it
        run = nianbao(
            "extract",
            str(page_path),
            "--mode",
            "model",
            "--format",
            "json",
            "--cache-dir",
            str(tmp_path / "cache"),
            "--out",
            str(tmp_path / "out"),
            env=env,
            timeout=300,
        )
    finally:
        server.close()
    assert server.requests, "the model path was not taken"
    assert SECRET not in run.err and SECRET.encode() not in run.stdout
    for path in tmp_path.rglob("*"):
        if path.is_file() and path != page_path:
            assert SECRET.encode() not in path.read_bytes(), path


def test_scrub_removes_the_key_and_bearer_shaped_tokens_but_not_numbers():
    from nianbao.model.scrub import scrub

    assert scrub(f"a {SECRET} b", SECRET) == "a [redacted] b"
    assert "abcdefghijklmnop" not in scrub("Authorization: Bearer abcdefghijklmnopqrstuv", None)
    assert "sk-proj-AAAABBBBCCCCDDDD1111" not in scrub("key sk-proj-AAAABBBBCCCCDDDD1111 used", None)
    assert scrub("行政规范性文件 693665 12345678901234567890", None) == "行政规范性文件 693665 12345678901234567890"


# ---------------------------------------------------------------- 6. the model cache holds JSON, never code


class _Planted:
    """A pickle that, once unpickled, writes a file: the proof that a reader ran the cache's contents."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (exec, (f"open({self.marker!r}, 'w').write('ran')",))


def test_the_cache_stores_json_and_treats_a_bad_entry_as_a_miss(tmp_path):
    import pickle
    import sqlite3

    from diskcache.core import MODE_PICKLE, MODE_RAW, MODE_TEXT
    from nianbao.model.cache import ResponseCache

    cache = ResponseCache(tmp_path / "cache")
    raw = {
        "content": "{}",
        "tool_calls": None,
        "finish_reason": "stop",
        "usage": {"prompt_tokens": 1, "completion_tokens": 1},
    }
    key = "ab" * 32
    cache.put(key, raw)
    assert cache.get(key) == raw
    db = sqlite3.connect(tmp_path / "cache" / "cache.db", isolation_level=None)
    [(stored_key, key_raw, mode, value)] = db.execute("SELECT key, raw, mode, value FROM Cache").fetchall()
    assert (stored_key, key_raw, mode, json.loads(value)) == (key, 1, MODE_RAW, raw)  # JSON text, no pickle

    marker = tmp_path / "ran"
    payload = pickle.dumps(_Planted(marker))
    side = tmp_path / "side.val"
    side.write_text(json.dumps(raw), encoding="utf-8")
    planted = [
        (MODE_PICKLE, None, sqlite3.Binary(payload)),  # what diskcache (either disk) would unpickle
        (MODE_TEXT, str(side), None),  # a side file anywhere (/dev/zero would never end)
        (MODE_RAW, None, sqlite3.Binary(b"{}")),
        (MODE_RAW, None, "[1, 2]"),
        (MODE_RAW, None, '{"content": 5}'),
        (MODE_RAW, None, ""),
        (MODE_RAW, None, "{not json"),
    ]
    for mode, filename, value in planted:
        db.execute("UPDATE Cache SET mode = ?, filename = ?, value = ?", (mode, filename, value))
        assert cache.get(key) is None and not marker.exists(), f"planted mode {mode} was read"
    assert cache.stats()["entries"] == 1 and cache.clear() == 1 and cache.get(key) is None

    db.close()
    (tmp_path / "cache" / "cache.db").write_bytes(b"not a database" * 100)  # a corrupted cache: misses, no crash
    broken = ResponseCache(tmp_path / "cache")
    assert broken.get(key) is None
    broken.put(key, raw)


def test_bench_leaves_pdf_embedded_out_of_its_default_where_the_font_is_missing(monkeypatch):
    """The default kinds measure what the machine can draw; asking for pdf_embedded there is one clear line."""
    from nianbao.cli import app
    from nianbao.eval import benchmark, damage
    from typer.testing import CliRunner

    ran: list = []
    monkeypatch.setattr(damage, "cjk_font_file", lambda: None)
    monkeypatch.setattr(benchmark, "run", lambda n, batch, jobs, kinds, *a, **k: ran.append(kinds))
    default = CliRunner().invoke(app, ["bench", "--batch", "0"])
    assert default.exit_code == 0 and "pdf_embedded left out" in default.output, default.output
    assert ran == [["txt", "html", "docx", "pdf"]]
    asked = CliRunner().invoke(app, ["bench", "--kinds", "pdf_embedded"])
    assert asked.exit_code != 0 and "fonts-wqy-zenhei" in asked.output and len(ran) == 1
