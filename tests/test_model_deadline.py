"""A slow model never loses the parser's work (issue 8 item 3): the model path has a wall-clock deadline per
report, in single-file mode and in batches, tested against a scripted server that hangs."""

import json
import threading

import pytest
from nianbao.cli import app
from nianbao.ingest import ingest_bytes
from nianbao.model.settings import Settings
from nianbao.pipeline import Options, extract_document, parse_document
from nianbao.schemas.record import Verdict
from pages import T3_LABEL_TEXT, consistent_table3, page
from scripted_server import ScriptedServer, completion
from typer.testing import CliRunner

# 予以公开's label is garbled, so the parser leaves rows open and auto mode asks the model
TABLE3 = consistent_table3({"granted": [5, 1, 0, 0, 0, 0]}, new_received=[5, 1, 0, 0, 0, 0])
GARBLED = {**T3_LABEL_TEXT, "granted": "三、本年度办理结果 （一）准予公示", "partially_granted": ""}


@pytest.fixture
def hanging():
    """A model server that never answers (until the test ends)."""
    release = threading.Event()
    server = ScriptedServer(lambda body: (release.wait(120), (200, completion("{}")))[1])
    yield server
    release.set()
    server.close()


def test_a_hanging_model_keeps_the_parsers_record_within_the_deadline(hanging, tmp_path):
    text = page(TABLE3, t3_labels=GARBLED)
    doc = ingest_bytes(text.encode("utf-8"), "slow.txt")
    parser_report, _ = parse_document(doc, doc.name)
    assert parser_report.verdict == Verdict.needs_model
    settings = Settings(model="m", base_url=hanging.url, server="llama", backoff=0.01, timeout=600, deadline=2)
    report = extract_document(doc, doc.name, Options(mode="auto", model=settings))  # not 600 s × 5 tries
    assert hanging.requests  # the model was asked
    assert report.verdict == Verdict.needs_review
    assert "deadline passed (2 s per report)" in report.provenance.note
    assert {k: c.value for k, c in report.cells.items()} == {k: c.value for k, c in parser_report.cells.items()}


def test_a_batch_with_a_hanging_model_writes_records_not_errors(hanging, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text(page(TABLE3, t3_labels=GARBLED), encoding="utf-8")
    (folder / "b.txt").write_text(page(TABLE3), encoding="utf-8")
    env = {"OPENAI_BASE_URL": hanging.url, "NIANBAO_DEADLINE": "2", "NIANBAO_BACKOFF": "0.01"}
    args = [
        "extract",
        str(folder),
        "--out",
        str(tmp_path / "out"),
        "--mode",
        "auto",
        "--no-cache",
        "--datasets",
        "records.jsonl",
    ]
    run = CliRunner().invoke(app, args, env=env)  # the default --timeout outlives the deadline
    assert run.exit_code == 0, run.output
    records = [json.loads(line) for line in (tmp_path / "out" / "records.jsonl").read_text().splitlines()]
    assert sorted(r["verdict"] for r in records) == ["needs_review", "verified"]
    errors = tmp_path / "out" / "errors.jsonl"
    assert not errors.exists() or not errors.read_text().strip()
