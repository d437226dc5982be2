"""The model and auto gates can fail: the committed baseline and recordings, replayed as CI does, with the
model path broken in the two ways that once passed unnoticed (stale recordings, a merge that ignores the
model's answers). Each run replays the whole committed corpus, as `.ci/run` does."""

import json
from pathlib import Path

import pytest
from nianbao.cli import app
from nianbao.model import loop
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
RECORDINGS = ROOT / "eval" / "recordings" / "qwen2.5-coder-1.5b-instruct-q4_k_m.jsonl"
BASELINE = ROOT / "eval" / "baseline.json"


def eval_run(tmp_path, mode: str, recordings: Path):
    args = ["eval", "--mode", mode, "--replay", str(recordings), "--baseline", str(BASELINE)]
    return CliRunner().invoke(app, [*args, "--report", str(tmp_path / "report")])


@pytest.mark.parametrize("mode", ["model", "auto"])
def test_the_committed_recordings_pass_their_gate(tmp_path, mode):
    run = eval_run(tmp_path, mode, RECORDINGS)
    assert run.exit_code == 0, run.output


def test_stale_recordings_fail_the_model_gate(tmp_path):
    stale = tmp_path / "stale.jsonl"
    lines = [json.loads(line) for line in RECORDINGS.read_text(encoding="utf-8").splitlines() if line.strip()]
    stale.write_text(
        "".join(json.dumps({**e, "key": "0" + e["key"][1:][::-1]}) + "\n" for e in lines), encoding="utf-8"
    )
    run = eval_run(tmp_path, "model", stale)
    assert run.exit_code == 1, run.output
    assert "the replay answered no question" in run.output


@pytest.mark.parametrize("mode", ["model"])  # auto asks nothing on the corpus: its gate is the model-only one below
def test_a_merge_that_ignores_the_models_answers_fails_the_gate(tmp_path, monkeypatch, mode):
    monkeypatch.setattr(loop, "merge", lambda parser, model, row_of: (dict(parser), "", 0))
    run = eval_run(tmp_path, mode, RECORDINGS)
    assert run.exit_code == 1, run.output
    assert "model_parser_agreements 0 is below the baseline's" in run.output


MODEL_ONLY = ROOT / "eval" / "model-only"
MODEL_ONLY_BASELINE = ROOT / "eval" / "baseline-model-only.json"


def model_only_run(tmp_path, *mode_args: str):
    args = ["eval", "--cases", str(MODEL_ONLY), *mode_args, "--report", str(tmp_path / "report")]
    return CliRunner().invoke(app, [*args, "--baseline", str(MODEL_ONLY_BASELINE)])


def model_class(case: str) -> str:
    """A model-only case's damage class: its name less the layout (model-only-t4-shapes-markdown → t4-shapes)."""
    return case.removeprefix("model-only-").rsplit("-", 1)[0]


def test_the_model_only_cases_are_ones_the_parser_cannot_verify_and_the_model_path_reads(tmp_path):
    rules = model_only_run(tmp_path, "--mode", "rules")
    assert rules.exit_code == 0, rules.output
    assert json.loads((tmp_path / "report.json").read_text())["summary"]["settled"] == 0
    auto = model_only_run(tmp_path, "--mode", "auto", "--replay", str(RECORDINGS))
    assert auto.exit_code == 0, auto.output
    report = json.loads((tmp_path / "report.json").read_text())
    summary = report["summary"]
    assert summary["cells_from_model"] > 0 and summary["max_answers_per_report"] <= 4
    classes: dict[str, list[bool]] = {}
    for record in report["records"]:  # the model path: three in four of every class, settled
        classes.setdefault(model_class(record["case"]), []).append(record["settled"])
    short = {name: f"{sum(s)} of {len(s)}" for name, s in classes.items() if sum(s) * 4 < len(s) * 3}
    assert not short, short
    collapsed = [r for r in report["records"] if "collapsed_columns" in r["kinds"]]
    assert collapsed and all(r["verdict"] == "incomplete" and r["settled"] for r in collapsed)


def test_a_merge_that_ignores_the_models_answers_fails_the_model_only_gate(tmp_path, monkeypatch):
    monkeypatch.setattr(loop, "merge", lambda parser, model, row_of: (dict(parser), "", 0))
    run = model_only_run(tmp_path, "--mode", "auto", "--replay", str(RECORDINGS))
    assert run.exit_code == 1, run.output
    assert "cells_from_model 0 is below the baseline's" in run.output
    assert "settled records, below the baseline's" in run.output


def test_stale_recordings_fail_the_model_only_gate(tmp_path):
    stale = tmp_path / "stale.jsonl"
    lines = [json.loads(line) for line in RECORDINGS.read_text(encoding="utf-8").splitlines() if line.strip()]
    stale.write_text(
        "".join(json.dumps({**e, "key": "0" + e["key"][1:][::-1]}) + "\n" for e in lines), encoding="utf-8"
    )
    run = model_only_run(tmp_path, "--mode", "auto", "--replay", str(stale))
    assert run.exit_code == 1, run.output
    assert "the replay answered no question" in run.output and "settled records, below" in run.output


def test_the_models_contribution_counts_cells_it_made_right_and_reports_it_verified():
    from nianbao.eval.evaluate import CellResult, RecordScore, contribution

    def scored(verdict, *cells):
        return RecordScore("c", "i", verdict, "", [CellResult(k, 1, got, got == 1, marked=m) for k, got, m in cells])

    parser = scored("needs_model", ("a", None, True), ("b", 1, True), ("c", 1, False), ("d", 2, False))
    merged = scored("verified", ("a", 1, False), ("b", 1, False), ("c", 1, False), ("d", 1, True))
    # a: filled, b: now stood behind, c: the parser had it already, d: right but still not stood behind
    assert contribution(merged, parser) == {"made_right_by_model": 2, "verified_by_model": 1, "settled_by_model": 0}
    assert contribution(parser, parser) == {"made_right_by_model": 0, "verified_by_model": 0, "settled_by_model": 0}


def test_a_record_is_settled_when_every_cell_is_right_and_stood_behind_verified_or_incomplete():
    from nianbao.eval.evaluate import CellResult, RecordScore

    def scored(verdict, got=1, marked=False, unverified=0):
        cells = [CellResult("a", 1, got, got == 1, marked=marked), CellResult("b", None, None, True)]
        return RecordScore("c", "i", verdict, "", cells, unverified=unverified)

    assert scored("verified").settled and scored("incomplete").settled  # b: not on the page, null
    assert not scored("verified", got=2).settled  # a silent error is no settled record
    assert not scored("incomplete", marked=True).settled
    assert not scored("incomplete", unverified=1).settled  # a value off the gold's keys it does not stand behind
    assert not any(scored(v).settled for v in ("needs_model", "needs_review", "source_error", "failed"))
