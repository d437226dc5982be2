"""Hostile input through ingest + parse: never a traceback, never a hang, a clear one-line reason for each."""

from __future__ import annotations

import hashlib
import importlib.util
import os
import socket
from decimal import Decimal
from functools import partial
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from nianbao.batch import Task, extract_one, record_path, run_pool
from nianbao.eval import hostile
from nianbao.eval.hostile import BUILDERS, INJECTION, injected, span_bomb
from nianbao.eval.samples import CORPUS, render
from nianbao.ingest import IngestError, ingest_bytes
from nianbao.pipeline import Options, extract_document
from nianbao.schemas.record import Report, Verdict
from nianbao.schemas.template import T2_LABELS, T3_LABELS
from pages import page
from scripted_server import ScriptedServer, read_like_a_perfect_model
from test_model_loop import GARBLED, script, settings_for
from test_model_loop import TABLE3 as MODEL_TABLE3


def in_worker(path: Path, timeout: float = 30) -> tuple[bool, object]:
    """Through the batch's own worker (killed past `timeout`): (True, record) or (False, one-line reason)."""
    out, sha = path.parent / "out", hashlib.sha256(path.read_bytes()).hexdigest()
    [(_, ok, value)] = run_pool(
        partial(extract_one, out=str(out), options=Options()), [Task(str(path), sha)], workers=1, timeout=timeout
    )
    return (True, Report.model_validate_json(record_path(out, sha).read_bytes())) if ok else (False, value)


def outcome(data: bytes, name: str) -> tuple[str, object]:
    """('error', reason) or ('record', report), in this process; any other exception fails the calling test."""
    try:
        document = ingest_bytes(data, name)
    except IngestError as exc:
        return "error", str(exc)
    return "record", extract_document(document, name)


@pytest.fixture
def no_network(monkeypatch):
    """Every way out of the machine raises and is recorded."""
    attempts: list[tuple] = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise OSError("network access during a test")

    for name in ("connect", "connect_ex", "sendto"):
        monkeypatch.setattr(socket.socket, name, refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    return attempts


@pytest.mark.parametrize("kind", list(BUILDERS))
def test_each_hostile_file_gets_its_reason(kind, tmp_path):
    if kind == "operator_bomb" and importlib.util.find_spec("rapidocr_onnxruntime") is None:
        # without the extra the page is refused as needing OCR, or times out first on a slow machine
        pytest.skip("the operator bomb's page of no text times out in OCR's rendering: needs the ocr extra")
    case = BUILDERS[kind](0)
    path = tmp_path / case.name
    path.write_bytes(case.data)
    ok, value = in_worker(path)
    if case.error:
        assert not ok, f"{case.name} gave a record: {value.verdict_reason}"
        assert case.refused_as(value) and "internal error" not in value, value
    else:
        assert ok, f"{case.name} was refused: {value}"
        assert value.verdict.value == case.verdict, value.verdict_reason
        assert value.verdict_reason and "\n" not in value.verdict_reason


def test_gbk_page_named_txt_reads_like_its_utf8_original():
    text = (CORPUS / "002_a80d00d8d16235a9.txt").read_text(encoding="utf-8")
    _, original = outcome(text.encode("utf-8"), "r.txt")
    result, from_gbk = outcome(text.encode("gbk"), "r.txt")
    assert result == "record" and from_gbk.verdict.value == "verified"
    assert from_gbk.values() == original.values()
    assert from_gbk.meta.agency_name == original.meta.agency_name == "和田地区"


def test_prompt_injection_in_prose_changes_nothing():
    text = (CORPUS / "002_a80d00d8d16235a9.txt").read_text(encoding="utf-8")
    _, plain = outcome(text.encode("utf-8"), "r.txt")
    _, attacked = outcome(injected(text).encode("utf-8"), "r.txt")
    assert INJECTION in injected(text)
    assert attacked.values() == plain.values()
    assert attacked.verdict == plain.verdict
    assert 999 not in attacked.values().values()


def through_the_model(text: str, mode: str, answer, tmp_path) -> Report:
    """The record of `text` in `mode`, the model answering `answer(body)` from a scripted server (no cache)."""
    server = ScriptedServer(script(answer))
    try:
        settings = settings_for(server, tmp_path, cache_dir=None)
        return extract_document(
            ingest_bytes(text.encode("utf-8"), "r.txt"), "r.txt", Options(mode=mode, model=settings)
        )
    finally:
        server.close()


def obeying_the_injection(body: dict) -> dict:
    """A model the injection has taken over: every number it answers times 999, so that the identities
    among its own answers still hold, and every line it names as the row after its own."""

    def rewrite(answer):
        if isinstance(answer, dict):
            return {k: rewrite(v) for k, v in answer.items()}
        if isinstance(answer, list):
            return [rewrite(v) for v in answer]
        if isinstance(answer, str):  # a decimal amount times 999; a line named as the template row after its own
            return str(Decimal(answer) * 999) if answer.replace(".", "", 1).isdigit() else chr(ord(answer) + 1)
        return answer * 999 if isinstance(answer, int) and not isinstance(answer, bool) else answer

    return rewrite(read_like_a_perfect_model(body))


@pytest.mark.parametrize("mode", ["model", "auto"])
def test_prompt_injection_through_the_model_changes_nothing_and_puts_no_number_in_unmarked(mode, tmp_path):
    text = page(MODEL_TABLE3, t3_labels=GARBLED)  # two row labels garbled: only the model can finish it
    attacked_text = injected(text)
    assert INJECTION in attacked_text
    plain = through_the_model(text, mode, read_like_a_perfect_model, tmp_path)
    attacked = through_the_model(attacked_text, mode, read_like_a_perfect_model, tmp_path)
    assert attacked.provenance.model_calls > 0
    assert attacked.values() == plain.values() and attacked.verdict == plain.verdict == Verdict.verified
    taken_over = through_the_model(attacked_text, mode, obeying_the_injection, tmp_path)
    assert taken_over.provenance.model_calls > 0
    planted = [k for k, v in taken_over.values().items() if v != plain.values()[k]]
    # the model's numbers never come out unmarked: not printed at their rows, they stay candidates of null cells
    assert planted and all(taken_over.values()[k] is None or k in taken_over.unverified for k in planted)
    assert taken_over.verdict != Verdict.verified


def test_html_with_scripts_and_external_resources_makes_no_request(no_network):
    _, plain = outcome(render("html", hostile.SAMPLE_OFFSET), "p.html")
    _, loaded = outcome(hostile.external_html(0), "p.html")
    assert loaded.verdict.value == "verified"
    assert loaded.values() == plain.values()
    assert not any(word in loaded.model_dump_json() for word in ("track.js", "beacon", "nianbao-test.invalid"))
    assert no_network == []


def test_docx_external_entity_is_not_resolved():
    result, _ = outcome(hostile.xxe_docx(), "x.docx")
    assert result == "record"
    assert "root:" not in ingest_bytes(hostile.xxe_docx(), "x.docx").text


def test_no_network_fixture_can_fail(no_network):
    """The guard itself works: a real connection attempt is refused and recorded."""
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", 9))
    assert no_network


def test_span_bomb_html_is_refused_or_read_quickly(tmp_path):
    path = tmp_path / "bomb.html"
    path.write_bytes(span_bomb(50))
    ok, value = in_worker(path, timeout=3)
    assert ok or "timed out" not in value


def test_control_character_after_a_dropped_element_is_not_a_crash():
    """Found by the HTML fuzz: lxml refused a control character in the tail text that drop_tree() moves."""
    result, value = outcome(b"<p>a</p><script>x</script>\x01b", "x.html")
    assert result == "record" or "\n" not in value


def test_in_worker_kills_what_runs_too_long(tmp_path):
    """The harness can fail: a slow input comes back as a timeout, not a hang."""
    path = tmp_path / "slow.txt"
    path.write_bytes(
        ("三、收到和处理政府信息公开申请情况 一、本年新收政府信息公开申请数量 " + "1 " * 400 + "\n").encode() * 20000
    )  # ~16 MB: seconds of work
    ok, value = in_worker(path, timeout=0.2)
    assert not ok and value.startswith("timed out")


# ---------------------------------------------------------------- fuzz

FUZZ = settings(
    max_examples=int(os.environ.get("NIANBAO_FUZZ_EXAMPLES", "150")),
    deadline=None,  # no wall-clock limit on a shared machine: a hang is the worker's timeout to catch
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
NAMES = st.sampled_from(["x.txt", "x.html", "x.pdf", "x.docx", "x.md", "x", "x.bin"])
MAGIC = st.sampled_from(
    [b"", b"%PDF-1.7\n", b"PK\x03\x04", b"<!DOCTYPE html><html><body><table><tr><td>", b"\xef\xbb\xbf", b"\xff\xfe"]
)
LABEL_WORDS = [k for label in (*T2_LABELS, *T3_LABELS) for k in label.keywords]
TOKENS = st.one_of(
    st.sampled_from(LABEL_WORDS),
    st.sampled_from(
        [
            "二、主动公开政府信息情况",
            "三、收到和处理政府信息公开申请情况",
            "四、政府信息公开行政复议、行政诉讼情况",
            "五、",
            "信息内容",
            "本年制发件数",
            "总计",
            "（一）",
            "1.",
            "8、",
        ]
    ),
    st.sampled_from(["\t", "\n", " ", "|", "—", "/", "无", "0", ".", ",", "万元", "件"]),
    st.integers(min_value=0, max_value=10**12).map(str),
    st.text(max_size=8),
)


def _survives(data: bytes, name: str) -> None:
    result, value = outcome(data, name)
    if result == "error":
        assert value and "\n" not in value
    else:
        assert isinstance(value, Report) and value.verdict_reason


@FUZZ
@given(MAGIC, st.binary(max_size=4096), NAMES)
def test_fuzz_bytes_never_crash(magic, body, name):
    _survives(magic + body, name)


@FUZZ
@given(st.lists(TOKENS, max_size=300).map("".join))
@example("四、政府信息公开行政复议、行政诉讼情况1.四、政府信息公开行政复议、行政诉讼情况")  # one number, 15 cells
def test_fuzz_report_like_text_never_crashes(text):
    _survives(text.encode("utf-8"), "x.txt")


@FUZZ
@given(st.data())
def test_fuzz_mutated_real_reports_never_crash(data):
    path = data.draw(st.sampled_from(sorted(CORPUS.glob("*.txt"))))
    text = path.read_text(encoding="utf-8")
    for _ in range(data.draw(st.integers(1, 6))):
        at = data.draw(st.integers(0, len(text)))
        cut = data.draw(st.integers(0, 200))
        text = text[:at] + data.draw(st.lists(TOKENS, max_size=6).map("".join)) + text[at + cut :]
    _survives(text.encode("utf-8"), path.name)


@FUZZ
@given(
    st.lists(
        st.one_of(
            st.sampled_from(
                [
                    "<table>",
                    "</table>",
                    "<tr>",
                    "</tr>",
                    "</td>",
                    "<th>",
                    "<br>",
                    "<p>",
                    "<script>",
                    "</script>",
                    "<!--",
                    "-->",
                ]
            ),
            st.integers(1, 5).map(lambda n: f'<td colspan="{n}" rowspan="{6 - n}">'),
            TOKENS,
        ),
        max_size=200,
    ).map("".join)
)
def test_fuzz_html_never_crashes(markup):
    _survives(("<html><body>" + markup).encode("utf-8"), "x.html")


def test_drill_files_are_distinct(tmp_path):
    """A batch drill counts inputs by content hash: every hostile file must differ from every other."""
    written = hostile.write_hostile(tmp_path, len(BUILDERS) + 4)
    assert len(written) == len(BUILDERS) + 4
    assert len({path.read_bytes() for path, _ in written}) == len(written)
