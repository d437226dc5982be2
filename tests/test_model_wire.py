"""The model endpoint as an adversary (issue 20, D1 and its "Also" items): an answer that trickles in, a
Retry-After past the deadline, a redirect to another host, an answer too big to hold. Whatever the endpoint
does, the request ends by the deadline, the report text goes nowhere else, and the parser's record is kept."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time

import pytest
from nianbao.ingest import ingest_bytes
from nianbao.model.cache import ResponseCache
from nianbao.model.client import ModelClient, ModelUnavailable
from nianbao.model.prompting import rows_answer
from nianbao.model.settings import Settings
from nianbao.model.transport import MAX_ANSWER_BYTES, Transport
from nianbao.pipeline import Options, extract_document, parse_document
from nianbao.schemas.record import Verdict
from pages import T3_LABEL_TEXT, consistent_table3, page
from scripted_server import ScriptedServer, TricklingServer, completion

TABLE3 = consistent_table3({"granted": [5, 1, 0, 0, 0, 0]}, new_received=[5, 1, 0, 0, 0, 0])
GARBLED = {
    **T3_LABEL_TEXT,
    "granted": "三、本年度办理结果 （一）准予公示",
    "partially_granted": "",
}  # the parser leaves rows open
REQUEST = {"model": "m", "messages": [{"role": "user", "content": "R1 予以公开: 1 0 0 0 0 0 1"}]}


def within(seconds: float, fn):
    """fn() in a thread; fails the test (rather than hanging it) when it runs past `seconds`."""
    result: dict = {}

    def call() -> None:
        try:
            result["value"] = fn()
        except Exception as exc:
            result["error"] = exc

    thread = threading.Thread(target=call, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"still running after {seconds} s"
    if "error" in result:
        raise result["error"]
    return result["value"]


def values(report) -> dict:
    return {k: c.value for k, c in report.cells.items()}


@pytest.fixture(params=["status line", "body"])
def trickling(request):
    """An endpoint that sends its status line (or whole headers, then the body) a byte every 0.2 s."""
    head = b"HTTP/1.1 200 OK\r\n"
    if request.param == "body":
        head += b"Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n"
    server = TricklingServer(head)
    yield server
    server.close()


@pytest.mark.parametrize("text", [page(TABLE3, t3_labels=GARBLED), page(TABLE3)], ids=["open", "verified"])
def test_a_trickling_answer_ends_at_the_deadline_and_the_parsers_record_is_kept(trickling, text):
    doc = ingest_bytes(text.encode("utf-8"), "slow.txt")
    parser_report, _ = parse_document(doc, doc.name)
    # 6 s: time for the first request to go out on a loaded machine (the client's first use builds its schemas)
    settings = Settings(model="m", base_url=trickling.url, server="llama", backoff=0.01, timeout=600, deadline=6)
    started = time.monotonic()
    report = within(90, lambda: extract_document(doc, doc.name, Options(mode="model", model=settings)))
    assert time.monotonic() - started < 45  # the deadline and the assembly, not 600 s per read
    assert trickling.requests
    assert "deadline passed" in report.provenance.note
    assert values(report) == values(parser_report)
    assert report.verdict == (Verdict.verified if parser_report.verdict == Verdict.verified else Verdict.needs_review)


def test_one_request_is_bounded_in_whole_by_the_timeout_without_a_deadline(trickling):
    transport = Transport(Settings(model="m", base_url=trickling.url, backoff=0.01, timeout=1.5, retries=1))
    started = time.monotonic()
    with pytest.raises(ModelUnavailable):
        within(30, lambda: transport.send(REQUEST))
    assert time.monotonic() - started < 10


@pytest.mark.parametrize("batch", [False, True], ids=["single file", "batch"])
def test_the_model_path_ends_before_the_workers_time_limit(tmp_path, batch):
    """A `--timeout` shorter than the model's deadline: the parser's record is saved, not killed with the worker."""
    server = TricklingServer()
    try:
        (tmp_path / "in").mkdir()
        (tmp_path / "in" / "a.txt").write_text(page(TABLE3), encoding="utf-8")
        env = {
            "PATH": "/usr/bin:/bin",
            "OPENAI_BASE_URL": server.url,
            "NIANBAO_DEADLINE": "600",
            "NIANBAO_BACKOFF": "0.01",
        }
        args = [sys.executable, "-m", "nianbao.cli", "extract", str(tmp_path / "in"), "--mode", "model", "--no-cache"]
        args += ["--timeout", "12", *(["--out", str(tmp_path / "out"), "--datasets", "records.jsonl"] if batch else [])]
        run = subprocess.run(args, capture_output=True, text=True, env=env, timeout=120)
    finally:
        server.close()
    assert run.returncode == 0, run.stderr
    if batch:
        [line] = (tmp_path / "out" / "records.jsonl").read_text(encoding="utf-8").splitlines()
        record = json.loads(line)
    else:
        record = json.loads(run.stdout)
    assert record["verdict"] == "verified"
    assert server.requests


def test_a_failure_inside_the_model_path_keeps_the_parsers_record(monkeypatch):
    from nianbao.model import loop

    def broken(*args, **kwargs):
        raise KeyError("a bug in the model path")

    monkeypatch.setattr(loop, "run", broken)
    doc = ingest_bytes(page(TABLE3, t3_labels=GARBLED).encode("utf-8"), "x.txt")
    parser_report, _ = parse_document(doc, doc.name)
    settings = Settings(model="m", base_url="http://127.0.0.1:9/v1", backoff=0.01)
    report = extract_document(doc, doc.name, Options(mode="auto", model=settings))
    assert values(report) == values(parser_report)
    assert report.verdict == parser_report.verdict
    assert any("model path failed" in w and "KeyError" in w for w in report.warnings)


def test_a_retry_after_past_the_deadline_waits_what_the_deadline_allows_and_says_so():
    server = ScriptedServer(lambda body: (429, {"error": {"message": "slow down"}}, {"Retry-After": "3600"}))
    try:
        doc = ingest_bytes(page(TABLE3, t3_labels=GARBLED).encode("utf-8"), "busy.txt")
        parser_report, _ = parse_document(doc, doc.name)
        settings = Settings(model="m", base_url=server.url, server="llama", backoff=0.01, deadline=2)
        started = time.monotonic()
        report = within(60, lambda: extract_document(doc, doc.name, Options(mode="auto", model=settings)))
        waited = time.monotonic() - started
    finally:
        server.close()
    assert 1.5 < waited < 30
    assert len(server.requests) == 1  # not hammered
    assert values(report) == values(parser_report)
    assert report.verdict == Verdict.needs_review
    assert "Retry-After 3600 s" in report.provenance.note
    assert "Retry-After 3600 s" in report.verdict_reason


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_a_redirect_is_not_followed_so_the_text_goes_nowhere_else(status):
    elsewhere = ScriptedServer(lambda body: (200, completion(json.dumps({"rows": [[1, 0, 0, 0, 0, 0, 1]]}))))
    location = elsewhere.url.replace("127.0.0.1", "localhost") + "/chat/completions"
    redirecting = ScriptedServer(lambda body: (status, {}, {"Location": location}))
    try:
        transport = Transport(Settings(model="m", base_url=redirecting.url, backoff=0.01))
        with pytest.raises(ModelUnavailable) as caught:
            transport.send(REQUEST)
    finally:
        redirecting.close()
        elsewhere.close()
    assert not elsewhere.requests
    assert len(redirecting.requests) == 1
    assert "redirect" in str(caught.value) and "localhost" in str(caught.value)


def test_an_answer_over_the_size_cap_is_refused_and_not_cached(tmp_path):
    huge = json.dumps({"rows": [[1, 0, 0, 0, 0, 0, 1]], "note": "x" * (MAX_ANSWER_BYTES + 1)})
    server = ScriptedServer(lambda body: (200, completion(huge)))
    try:
        client = ModelClient(Settings(model="m", base_url=server.url, backoff=0.01), ResponseCache(tmp_path))
        with pytest.raises(ModelUnavailable) as caught:
            client.ask(
                REQUEST["messages"],
                rows_answer(1, 7),
                max_tokens=40,
                prompt_version="p",
                document="d",
                description="test",
            )
    finally:
        server.close()
    assert "over the" in str(caught.value) and "MiB" in str(caught.value)
    assert len(server.requests) == 1  # not asked again: the same question brings the same answer
    assert client.cache.stats()["entries"] == 0
