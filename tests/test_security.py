"""Issue 20 (second pass): paths, secrets, escapes, formula cells and bombs. Each test failed before its fix."""

from __future__ import annotations

import csv
import http.server
import io
import json
import os
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from nianbao import crossyear, extract
from nianbao.datasets import DATASETS, dataset_rows, read_rows
from nianbao.eval import hostile
from nianbao.eval.benchmark import _page_server
from nianbao.eval.samples import CORPUS
from nianbao.ingest import IngestError, ingest_bytes, pdf
from nianbao.model.cache import ResponseCache
from nianbao.model.scrub import scrub
from nianbao.pipeline import extract_path
from nianbao.remote import fetch_inputs

NIANBAO = [sys.executable, "-m", "nianbao.cli"]
GOOD = CORPUS / "002_a80d00d8d16235a9.txt"
PASSWORD = "s3cretPassw0rd"


def nianbao(*args, cwd=None, timeout=120) -> subprocess.CompletedProcess:
    run = subprocess.run([*NIANBAO, *args], capture_output=True, cwd=cwd, timeout=timeout)
    run.err = run.stderr.decode("utf-8", "replace")
    return run


def one_line_error(run: subprocess.CompletedProcess) -> bool:
    return (
        run.returncode == 2
        and run.err.count("\n") == 1
        and run.err.startswith("nianbao: error: ")
        and "Traceback" not in run.err
    )


@pytest.fixture(scope="module")
def record() -> dict:
    return json.loads(extract_path(GOOD).model_dump_json())


def _records_file(folder: Path, *records: dict) -> Path:
    path = folder / "records.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


# ---------------------------------------------------------------- D3, D4: records that name paths


@pytest.mark.parametrize("sha", ["../../../escaped", "ABC", "x" * 64, "0" * 63])
def test_review_refuses_a_content_hash_that_is_not_64_hex_digits(tmp_path, record, sha):
    record = record | {"meta": record["meta"] | {"input_sha256": sha}}
    run = nianbao("review", str(_records_file(tmp_path, record)), "-o", str(tmp_path / "a" / "b" / "site"))
    assert one_line_error(run) and "input_sha256" in run.err, run.err
    assert not list(tmp_path.rglob("escaped*"))


@pytest.mark.parametrize("sha", [None, "0" * 64])
def test_review_shows_a_source_only_when_its_content_hash_matches(tmp_path, record, sha):
    secret = tmp_path / "secret.txt"
    secret.write_text(GOOD.read_text(encoding="utf-8") + "\nTOPSECRET-LINE\n", encoding="utf-8")
    record = record | {"source": str(secret), "meta": record["meta"] | {"input_sha256": sha}}
    run = nianbao("review", str(_records_file(tmp_path, record)), "-o", str(tmp_path / "site"))
    assert run.returncode == 0, run.err
    pages = "".join(p.read_text(encoding="utf-8") for p in (tmp_path / "site").rglob("*.html"))
    assert "TOPSECRET" not in pages


# ---------------------------------------------------------------- D5: a planted cache row


@pytest.mark.parametrize("how", ["clear", "rewrite"])
@pytest.mark.parametrize("planted", ["absolute", "relative"])
def test_a_planted_cache_row_never_deletes_a_file(tmp_path, how, planted):
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    directory = tmp_path / "cache"
    cache = ResponseCache(directory)
    raw = {"content": "{}", "tool_calls": None, "finish_reason": "stop", "usage": {}}
    cache.put("k", raw)
    name = str(victim) if planted == "absolute" else "../victim.txt"
    with sqlite3.connect(directory / "cache.db") as db:
        db.execute("UPDATE Cache SET filename = ?", (name,))
    if how == "clear":
        run = nianbao("cache", "clear", "--cache-dir", str(directory))
        assert run.returncode == 0, run.err
    else:
        ResponseCache(directory).put("k", raw)
    assert victim.read_text() == "keep me"


# ---------------------------------------------------------------- D6: credentials in URLs


@pytest.mark.parametrize(
    "text",
    [
        f"http://user:{PASSWORD}@host/x.txt",
        f"cannot read https://{PASSWORD}@host/a: 404",
        f"s3://key:{PASSWORD}@bucket/reports",
        f"http://u:{PASSWORD}@@host/x",
    ],
)
def test_scrub_strips_credentials_from_every_url(text):
    assert PASSWORD not in scrub(text) and "host" in scrub(text) + "host"


@pytest.fixture
def page_server(tmp_path):
    """A loopback HTTP server of one report page (any user and password are accepted)."""
    folder = tmp_path / "served"
    (folder / "dir").mkdir(parents=True)
    (folder / "dir" / "report.txt").write_bytes(GOOD.read_bytes())
    server = _page_server(folder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_a_password_in_an_input_url_reaches_no_file_and_no_message(tmp_path, page_server, monkeypatch):
    url = f"http://user:{PASSWORD}@{page_server}/dir/report.txt"
    out = tmp_path / "out"
    missing = subprocess.run(
        [*NIANBAO, "extract", f"http://user:{PASSWORD}@{page_server}/missing.txt"],
        capture_output=True,
        text=True,
        env={**os.environ, "NIANBAO_STAGING": str(tmp_path / "staging")},
    )
    assert missing.returncode == 2 and f"http://{page_server}/missing.txt" in missing.stderr
    batch = subprocess.run(
        [*NIANBAO, "extract", url, "--out", str(out), "--datasets", ",".join(DATASETS)],
        capture_output=True,
        text=True,
        env={**os.environ, "NIANBAO_STAGING": str(tmp_path / "staging")},
    )
    single = subprocess.run(
        [*NIANBAO, "extract", url, "--format", "csv", "-o", str(tmp_path / "one.csv")],
        capture_output=True,
        text=True,
        env={**os.environ, "NIANBAO_STAGING": str(tmp_path / "staging")},
    )
    site = subprocess.run([*NIANBAO, "review", str(out), "-o", str(tmp_path / "site")], capture_output=True, text=True)
    assert site.returncode == 0, site.stderr
    records = (out / "records.jsonl").read_text(encoding="utf-8")
    assert f"http://{page_server}/dir/report.txt" in records
    for run in (missing, batch, single, site):
        assert PASSWORD not in run.stdout + run.stderr
    for path in tmp_path.rglob("*"):
        assert not path.is_file() or PASSWORD.encode() not in path.read_bytes(), path


def test_staged_inputs_are_named_without_credentials(tmp_path, page_server, monkeypatch):
    monkeypatch.setenv("NIANBAO_STAGING", str(tmp_path / "staging"))
    staged = fetch_inputs(f"http://user:{PASSWORD}@{page_server}/dir/report.txt", frozenset())
    assert list(staged.values()) == [f"http://{page_server}/dir/report.txt"]


# ---------------------------------------------------------------- D7: formula cells in every CSV

FORMULA = '=HYPERLINK("http://x","y").txt'


def _no_formula(text: str) -> bool:
    return not any(cell.startswith(("=", "+", "@")) for row in csv.reader(io.StringIO(text)) for cell in row)


def test_cells_csv_rows_carry_no_formula(record):
    report = extract_path(GOOD).model_copy(update={"source": FORMULA})
    rendered, cells = read_rows(dataset_rows(report))
    assert _no_formula(rendered["wide"]) and _no_formula(cells.decode()) and rendered["head"][0] == "'" + FORMULA


def test_cross_year_csv_carries_no_formula():
    facts = [
        crossyear.facts(extract_path(CORPUS / f"pingtan-{year}.txt")) | {"source": f"=cmd{year}"}
        for year in (2021, 2022)
    ]
    table, _, (_, checks, _) = crossyear.cross_year(facts)
    assert checks and _no_formula(table.lstrip("\ufeff"))


# ---------------------------------------------------------------- D10: the Python API


def test_extract_of_a_missing_file_or_a_folder_raises(tmp_path):
    with pytest.raises(IngestError, match="no such file"):
        extract("no/such.txt")
    with pytest.raises(IngestError, match="not a regular file"):
        extract(str(tmp_path))
    with pytest.raises(IngestError, match="not a regular file"):
        extract(tmp_path)


def test_extract_of_a_long_line_is_text_or_an_ingest_error_never_an_oserror():
    report = extract("政府信息公开" * 1000)  # over PATH_MAX: no file has such a name
    assert report.source == "<text>" and report.verdict.value == "failed"
    for name in ("政府信息公开" * 100, "x" * 300 + ".txt", "a\x00b.txt"):
        with pytest.raises(IngestError, match=r"File name too long|no such file"):
            extract(name)
    assert extract("<html><body><p>政府信息公开</p></body></html>").source == "<text>"


def test_extract_takes_bytes_as_a_page():
    report = extract(GOOD.read_bytes())
    assert report.verdict.value == "verified" and report.source == "<bytes>"
    assert extract(GOOD.read_text(encoding="utf-8")).verdict.value == "verified"


# ---------------------------------------------------------------- D13: one line, never a traceback


def test_review_output_that_cannot_be_written_is_one_line(tmp_path, record):
    records = _records_file(tmp_path, record)
    existing = tmp_path / "file"
    existing.write_text("x")
    for target in (existing, Path("/proc/nianbao-site"), existing / "site"):
        run = nianbao("review", str(records), "-o", str(target))
        assert one_line_error(run), run.err


@pytest.mark.parametrize(
    "content",
    [b"[" * 100_000 + b"]" * 100_000, b'{"source": "\xff\xfe"}', b'{"x": ' + b"9" * 5000 + b"}"],
    ids=["deep", "not-utf8", "5000-digits"],
)
@pytest.mark.parametrize("command", ["check", "review"])
def test_hostile_json_is_one_line(tmp_path, content, command):
    path = tmp_path / "r.json"
    path.write_bytes(content)
    run = nianbao(command, str(path), *(["-o", str(tmp_path / "site")] if command == "review" else []))
    assert one_line_error(run), run.err


def test_eval_report_that_cannot_be_written_is_one_line():
    run = nianbao("eval", "--cases", str(CORPUS / "pingtan-2022.gold.json"), "--report", "/proc/nianbao/x")
    assert one_line_error(run), run.err


@pytest.mark.parametrize("command", ["stats", "clear"])
def test_a_corrupt_cache_is_one_line(tmp_path, command):
    (tmp_path / "cache.db").write_bytes(b"not a database" * 100)
    run = nianbao("cache", command, "--cache-dir", str(tmp_path))
    assert one_line_error(run), run.err


def test_replay_with_a_line_that_is_not_an_object_is_one_line(tmp_path):
    recordings = tmp_path / "r.jsonl"
    recordings.write_text("5\n")
    run = nianbao("extract", str(GOOD), "--mode", "auto", "--replay", str(recordings))
    assert one_line_error(run), run.err


@pytest.fixture
def endless_server():
    """A loopback HTTP folder whose every page links one level deeper, without end."""

    class Endless(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = f'<html><body><a href="{self.path.rstrip("/")}/d/">d</a></body></html>'.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_HEAD = do_GET

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Endless)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/d/"
    server.shutdown()


def test_an_http_folder_linking_without_end_is_one_line(tmp_path, endless_server, monkeypatch):
    monkeypatch.setenv("NIANBAO_STAGING", str(tmp_path))
    run = subprocess.run([*NIANBAO, "extract", endless_server], capture_output=True, text=True, timeout=120)
    assert run.returncode == 2 and run.stderr.count("\n") == 1 and "Traceback" not in run.stderr, run.stderr


# ---------------------------------------------------------------- D14: escapes in file names


def test_terminal_safe_escapes_controls_and_keeps_chinese():
    from nianbao.model.scrub import terminal_safe

    assert terminal_safe("a\x1b[2J\nb\x9b\u202ec 报告") == "a\\x1b[2J\\nb\\x9b\\u202ec 报告"


def test_a_file_name_with_escapes_reaches_stderr_escaped(tmp_path):
    name = tmp_path / "x\x1b[2J\x1b]52;c;aGk=\x07\nfake line.txt"
    name.write_bytes(b"")
    news = tmp_path / "news\x1b[31m.html"
    news.write_bytes(hostile.NOT_A_REPORT.encode())
    for path in (name, news):
        run = nianbao("extract", str(path), "--mode", "rules")
        assert "\x1b" not in run.err and "\x07" not in run.err and run.err.count("\n") == 1, run.err


# ---------------------------------------------------------------- D15, D16: bombs


def test_a_stream_that_calls_itself_an_image_is_still_capped(monkeypatch):
    monkeypatch.setattr(pdf, "MAX_PDF_INFLATED_BYTES", 2**20)
    bomb = hostile.bare_pdf(hostile._deflate(b" " * 2**16, 64), extra=b"/Subtype/Image")
    with pytest.raises(IngestError, match="inflate"):
        pdf._check_inflated_size(bomb)


@pytest.mark.parametrize("kind", ["png", "jpeg"])
def test_a_pixel_bomb_is_an_input_error(kind):
    pytest.importorskip("rapidocr_onnxruntime")
    with pytest.raises(IngestError, match="pixel"):
        ingest_bytes(hostile.pixel_bomb(kind), f"bomb.{kind}")


# ---------------------------------------------------------------- check: BOM and records.jsonl


def test_check_reads_a_record_with_a_bom_and_a_records_jsonl(tmp_path, record):
    bom = tmp_path / "r.json"
    bom.write_bytes(b"\xef\xbb\xbf" + json.dumps(record, ensure_ascii=False).encode())
    run = nianbao("check", str(bom))
    assert run.returncode == 0, run.err
    run = nianbao("check", str(_records_file(tmp_path, record, record)))
    assert run.returncode == 0 and len(run.stdout.splitlines()) == 2, run.err
