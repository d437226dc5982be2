"""Recordings: written from a run, replayed with no network — and the committed real-model recordings
replay the whole eval corpus with every socket closed."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from nianbao.cli import app
from nianbao.ingest import ingest_bytes
from nianbao.model import recordings
from nianbao.model.client import ModelClient
from nianbao.model.recordings import RecordingError, read, replay_settings, write
from nianbao.model.settings import Settings
from nianbao.pipeline import Options, extract_document
from nianbao.schemas.record import Verdict
from pages import consistent_table3, page
from scripted_server import ScriptedServer, completion, read_like_a_perfect_model
from test_model_loop import GARBLED, TABLE3
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parents[1]
COMMITTED = sorted((ROOT / "eval" / "recordings").glob("*.jsonl"))
CASES = sorted((ROOT / "eval" / "corpus").glob("*.gold.json"))


@pytest.fixture
def no_network(monkeypatch):
    """Call it to make any attempt to open a connection fail (and be counted): a replay must not leave the process."""
    attempts: list[object] = []

    def refuse(self, address, *args):
        attempts.append(address)
        raise ConnectionRefusedError(f"a replay tried to connect to {address}")

    def block() -> list[object]:
        monkeypatch.setattr(socket.socket, "connect", refuse)
        monkeypatch.setattr(socket.socket, "connect_ex", refuse)
        monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")  # a closed port, were anything to get through
        return attempts

    return block


def recorded_run(tmp_path, doc) -> tuple[Path, object]:
    server = ScriptedServer(lambda body: (200, completion(json.dumps(read_like_a_perfect_model(body)))))
    try:
        settings = Settings(model="scripted-model", base_url=server.url, server="llama", cache_dir=None)
        client = ModelClient(settings, None, recorded=[])
        from nianbao.model import loop
        from nianbao.pipeline import parse_document

        report, parsed = parse_document(doc, doc.name)
        live = loop.run(report, parsed, doc, settings, client).report
    finally:
        server.close()
    path = tmp_path / "scripted-model.jsonl"
    write(path, client.recorded)
    return path, live


def test_a_recorded_run_replays_with_no_network(tmp_path, no_network):
    doc = ingest_bytes(page(TABLE3, t3_labels=GARBLED).encode("utf-8"), "garbled.txt")
    path, live = recorded_run(tmp_path, doc)
    attempts = no_network()
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert lines and set(lines[0]) == set(recordings.FIELDS)
    # the rows the parser left open are asked first: table 三's region, then table 二
    assert lines[0]["request"].startswith("garbled.txt: table 三") and lines[0]["endpoint"] == "local"
    assert any(line["request"].startswith("garbled.txt: table 二") for line in lines)
    replayed = extract_document(doc, doc.name, Options(mode="model", model=replay_settings(path)))
    assert attempts == []
    assert replayed.values() == live.values() and replayed.verdict == live.verdict == Verdict.verified
    assert replayed.provenance.model_calls == 0 and replayed.provenance.cache_hits == live.provenance.attempts == len(
        lines
    )


def test_a_request_that_was_not_recorded_fails_loudly_without_a_request(tmp_path, no_network):
    doc = ingest_bytes(page(TABLE3, t3_labels=GARBLED).encode("utf-8"), "garbled.txt")
    path, _ = recorded_run(tmp_path, doc)
    attempts = no_network()
    other = consistent_table3(
        {"granted": [6, 1, 0, 0, 0, 0], "partially_granted": [1, 0, 0, 0, 0, 0]}, new_received=[7, 1, 0, 0, 0, 0]
    )
    changed = ingest_bytes(page(other, t3_labels=GARBLED).encode("utf-8"), "changed.txt")
    report = extract_document(changed, changed.name, Options(mode="model", model=replay_settings(path)))
    assert attempts == []
    assert (
        report.verdict == Verdict.needs_model
        and "no recorded answer for changed.txt: table 三" in report.verdict_reason
    )


def test_recordings_from_more_than_one_model_are_refused(tmp_path):
    entry = {f: "x" for f in recordings.FIELDS} | {"response": {"content": "{}"}}
    path = tmp_path / "mixed.jsonl"
    path.write_text(
        json.dumps(entry) + "\n" + json.dumps(entry | {"key": "y", "model": "other"}) + "\n", encoding="utf-8"
    )
    with pytest.raises(RecordingError, match="more than one model"):
        read(path)
    path.write_text('{"key": "k"}\n', encoding="utf-8")
    with pytest.raises(RecordingError, match="missing model"):
        read(path)


def _eval(args: list[str], report: Path) -> dict:
    result = CliRunner().invoke(app, ["eval", *args, "--report", str(report)])
    assert report.with_suffix(".json").exists(), result.output
    return json.loads(report.with_suffix(".json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("mode", ["model", "auto"])
def test_the_committed_recordings_replay_the_eval_corpus_offline(tmp_path, no_network, mode, monkeypatch):
    assert COMMITTED, "no recordings in eval/recordings: run `nianbao model record` against the local model"
    monkeypatch.chdir(ROOT)
    attempts = no_network()
    data = _eval(["--mode", mode, "--replay", str(COMMITTED[0])], tmp_path / mode)
    assert attempts == []
    records = data["records"]
    assert len(records) == len(CASES) + 1  # every case, pingtan-2019 as text and as HTML
    assert all(
        "no recorded answer" not in r["verdict_reason"] and "model unavailable" not in r["verdict_reason"]
        for r in records
    )
    assert data["summary"]["model_calls"] == 0 and data["summary"]["silent_errors"] == 0
    if mode == "model":
        assert all(r["cache_hits"] > 0 for r in records)
    else:  # auto: the model only for records the parser did not verify
        rules = {(r["case"], r["input"]): r for r in _eval(["--mode", "rules"], tmp_path / "rules")["records"]}
        for r in records:
            sent = rules[r["case"], r["input"]]["verdict"] in ("needs_model", "failed")
            # pingtan-2019: the 2019 table 二 only; pingtan-2021: a glued run only a choice could settle;
            # hzq-2023.pdftotext: table 三 column by column, no region grounds
            asked = "no question it can ask" not in r["verdict_reason"]
            assert (r["cache_hits"] > 0) == (sent and asked), r["case"]
            if not sent:
                assert r["verdict"] == rules[r["case"], r["input"]]["verdict"]


def test_a_re_recording_asks_only_new_questions_and_keeps_no_stale_answer(tmp_path):
    import random

    from nianbao.eval.damage import generate
    from nianbao.eval.model_cases import LABELS, relabel
    from nianbao.eval.record import record

    cases = tmp_path / "cases"
    cases.mkdir()
    case = generate(random.Random("re-record"), "markdown", name="reworded", extra_damage=relabel(LABELS["reworded"]))
    (cases / case.filename).write_bytes(case.data)
    (cases / "reworded.gold.json").write_text(json.dumps(case.gold(), ensure_ascii=False), encoding="utf-8")
    server = ScriptedServer(lambda body: (200, completion(json.dumps(read_like_a_perfect_model(body)))))
    try:
        settings = Settings(model="scripted-model", base_url=server.url, server="llama", cache_dir=None)
        first = tmp_path / "first.jsonl"
        record([], first, settings, echo=lambda line: None, auto_cases=[cases])
        asked = len(server.requests)
        entries = read(first)
        assert asked == len(entries) > 0
        stale = {**entries[0], "key": "0" * 64, "request": "a question no case asks any more"}
        (tmp_path / "with-stale.jsonl").write_text(
            "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in [*entries, stale]), encoding="utf-8"
        )
        again = tmp_path / "again.jsonl"
        record([], again, settings, echo=lambda line: None, reuse=tmp_path / "with-stale.jsonl", auto_cases=[cases])
    finally:
        server.close()
    assert len(server.requests) == asked  # every question was answered from the file reused
    assert [e["key"] for e in read(again)] == [e["key"] for e in entries]  # and the stale answer is gone
