"""The eval harness: plant a wrong cell and every figure must move as gold-format.md "Scoring" says."""

import json
import random
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from nianbao.cli import app
from nianbao.eval.damage import random_cells
from nianbao.eval.evaluate import (
    EvalError,
    ExtractionTimeout,
    Ratio,
    gate,
    load_case,
    load_cases,
    record_json,
    render_markdown,
    same,
    score_record,
    summarise,
    time_limit,
)
from nianbao.schemas.keys import FEE_KEY, t3_key, t4_key
from nianbao.schemas.record import Cell, Check, Report, Verdict
from typer.testing import CliRunner

CORPUS = Path(__file__).resolve().parent.parent / "eval" / "corpus"
GOLD = random_cells(random.Random(7), "typical")
NONZERO_KEY = next(k for k, v in GOLD.items() if k.startswith("applications.") and v)


def record(gold, verdict=Verdict.verified, changes=None, checks=(), flags=("split_from_run",)):
    """A fake extracted record holding the gold values, with `changes` planted (carrying `flags`)."""
    values = {**gold, **(changes or {})}
    cells = {
        k: Cell(
            value=Decimal(v) if k == FEE_KEY and v is not None else v, flags=list(flags) if k in (changes or {}) else []
        )
        for k, v in values.items()
    }
    report = Report(verdict=verdict).with_cells(cells)
    report.checks = list(checks)
    return report


def result(*scores):
    return {"mode": "rules", "summary": summarise(list(scores)), "records": [record_json(s) for s in scores]}


def test_exact_comparison_null_is_not_zero_and_fee_is_its_string():
    assert same("applications.granted.total", 0, 0)
    assert not same("applications.granted.total", 0, None)
    assert not same("applications.granted.total", None, 0)
    assert same("applications.granted.total", None, None)
    assert not same("applications.granted.total", 3, Decimal(3))
    assert same(FEE_KEY, "21613.90", Decimal("21613.90"))
    assert not same(FEE_KEY, "21613.90", Decimal("21613.9"))


def test_a_perfect_verified_record_scores_everything_right():
    s = summarise([score_record("c", "c.txt", GOLD, record(GOLD))])
    assert s["accuracy"] == {"right": 200, "total": 200, "rate": 1.0}
    assert s["exact_rate"]["rate"] == 1.0
    assert s["silent_errors"] == 0
    assert s["flag_recall"]["total"] == 0 and s["flag_precision"]["total"] == 0


def test_a_planted_wrong_cell_in_a_verified_record_is_a_silent_error():
    wrong = GOLD[NONZERO_KEY] + 1
    score = score_record("c", "c.txt", GOLD, record(GOLD, changes={NONZERO_KEY: wrong}))
    s = summarise([score])
    nonzero_total = sum(1 for k, v in GOLD.items() if v not in (0, "0", None))
    assert s["accuracy"] == {"right": 199, "total": 200, "rate": 199 / 200}
    assert s["nonzero_accuracy"]["right"] == nonzero_total - 1
    assert s["tables"]["三"]["accuracy"]["right"] == 174 and s["tables"]["二"]["accuracy"]["rate"] == 1.0
    assert s["exact_rate"]["rate"] == 0.0
    assert (s["silent_errors"], s["silent_records"]) == (1, 1)
    assert s["flag_recall"] == {"right": 0, "total": 1, "rate": 0.0}
    worst = s["worst_cells"][0]
    assert (worst["key"], worst["gold"], worst["got"], worst["silent"], worst["flags"]) == (
        NONZERO_KEY,
        GOLD[NONZERO_KEY],
        wrong,
        True,
        ["split_from_run"],
    )
    assert any("silent errors" in reason for reason in gate(result(score)))


def test_the_same_wrong_cell_flagged_is_not_silent_and_counts_for_recall_and_precision():
    wrong = score_record("c", "c.txt", GOLD, record(GOLD, Verdict.needs_model, {NONZERO_KEY: None}))
    right_but_flagged = score_record("d", "d.txt", GOLD, record(GOLD, Verdict.needs_review))
    s = summarise([wrong, right_but_flagged])
    assert s["accuracy"]["right"] == 399
    assert s["silent_errors"] == 0
    assert s["flag_recall"] == {"right": 1, "total": 1, "rate": 1.0}
    assert s["flag_precision"] == {"right": 1, "total": 2, "rate": 0.5}
    assert gate(result(wrong, right_but_flagged)) == []


def test_a_wrong_value_is_an_unmarked_error_in_any_verdict_unless_the_record_lists_it_unverified():
    wrong = GOLD[NONZERO_KEY] + 1
    unmarked = score_record(
        "c", "c.txt", GOLD, record(GOLD, Verdict.needs_model, {NONZERO_KEY: wrong}, flags=[])
    )  # a plain misread
    marked = score_record(
        "d", "d.txt", GOLD, record(GOLD, Verdict.needs_model, {NONZERO_KEY: wrong}, flags=["ambiguous"])
    )
    wrong_null = score_record("e", "e.txt", GOLD, record(GOLD, Verdict.needs_model, {NONZERO_KEY: None}))
    s = summarise([unmarked, marked, wrong_null])
    assert s["silent_errors"] == 0
    assert (s["unmarked_errors"], s["unmarked_records"]) == (1, 1)
    assert s["unmarked"] == [f"c: {NONZERO_KEY} = {wrong} (gold {GOLD[NONZERO_KEY]})"]
    assert s["worst_cells"][0]["unmarked"] and s["worst_cells"][0]["case"] == "c"
    assert [r["unmarked_errors"] for r in result(unmarked, marked, wrong_null)["records"]] == [1, 0, 0]
    assert gate(result(unmarked)) == [
        f"1 unmarked errors: wrong values in 1 records that their `unverified` list does not name (first: {s['unmarked'][0]})"
    ]
    assert gate(result(marked, wrong_null)) == []
    assert "unmarked errors 1" in render_markdown({**result(unmarked, marked), "cases": "c", "bad_cases": []})


def test_not_on_page_keys_score_null_right_and_a_value_wrong():
    part = {k: GOLD[k] for k in list(GOLD)[:50]}
    absent = list(GOLD)[50:]
    invented = score_record(
        "c",
        "c.txt",
        part,
        record(GOLD, Verdict.incomplete, {k: 0 for k in absent}, flags=["ungrounded"]),
        not_on_page=absent,
    )
    left_null = score_record(
        "d", "d.txt", part, record(GOLD, Verdict.incomplete, {k: None for k in absent}), not_on_page=absent
    )
    assert invented.accuracy() == Ratio(50, 200) and left_null.accuracy() == Ratio(200, 200)
    assert invented.unmarked == 0  # the invented values are marked ungrounded
    assert summarise([left_null])["flag_precision"]["rate"] == 1.0  # an input that lacks cells warrants the flag


def test_undetermined_keys_score_null_or_the_labellers_reading_right():
    key = "active.normative_docs.issued"
    gold = {**GOLD, key: 69}
    scored = [
        score_record(
            "c", "c.txt", gold, record(gold, Verdict.needs_model, {key: value}, flags=["ambiguous"]), undetermined=[key]
        ).accuracy()
        for value in (None, 69, 6)
    ]
    assert scored == [Ratio(200, 200), Ratio(200, 200), Ratio(199, 200)]
    assert score_record("c", "c.txt", gold, record(gold, Verdict.needs_model, {key: None})).accuracy() == Ratio(
        199, 200
    )


def test_incomplete_records_score_null_cells_wrong_but_flagged():
    nulls = {k: None for k in list(GOLD)[100:]}
    s = summarise([score_record("c", "c.txt", GOLD, record(GOLD, Verdict.incomplete, nulls))])
    assert s["accuracy"]["right"] == 100
    assert s["silent_errors"] == 0 and s["flag_recall"]["rate"] == 1.0


def test_a_fragment_gold_scores_only_its_own_keys():
    part = {k: GOLD[k] for k in list(GOLD)[:50]}
    s = summarise([score_record("c", "c.txt", part, record(GOLD, changes={k: None for k in list(GOLD)[50:]}))])
    assert s["accuracy"] == {"right": 50, "total": 50, "rate": 1.0}


def test_source_errors_found_are_matched_against_gold():
    breaking = {t4_key("review", "total"): GOLD[t4_key("review", "total")] + 2}
    gold = {**GOLD, **breaking}
    found = Check(id="T4.sum:review", status="fail", cause="source")
    extraction = Check(id="T3.row:granted", status="fail", cause="extraction")
    spurious = Check(id="T3.sum:total", status="fail", cause="source")
    right = score_record(
        "a", "a.txt", gold, record(gold, Verdict.source_error, checks=[found, extraction]), ["T4.sum:review"]
    )
    wrong = score_record("b", "b.txt", GOLD, record(GOLD, Verdict.source_error, checks=[spurious]))
    missed = score_record("c", "c.txt", gold, record(gold, Verdict.needs_model), ["T4.sum:review"])
    s = summarise([right, wrong, missed])["source_errors"]
    assert (s["expected"], s["found"], s["matched"]) == (2, 2, 1)
    assert s["missed"] == ["c: T4.sum:review"] and s["spurious"] == ["b: T3.sum:total"]
    assert summarise([right])["flag_precision"]["rate"] == 1.0  # a right source-error verdict is a warranted flag


def test_gates_min_accuracy_and_baseline():
    wrong = score_record("c", "c.txt", GOLD, record(GOLD, Verdict.needs_model, {NONZERO_KEY: None}))
    run = result(wrong)
    assert gate(run, min_accuracy=0.99) == []
    assert gate(run, min_accuracy=0.999) == ["accuracy 99.50% is below --min-accuracy 99.90%"]
    same_baseline = {
        "cases": ["c"],
        "accuracy": 0.995,
        "nonzero_accuracy": run["summary"]["nonzero_accuracy"]["rate"],
        "exact_rate": 0.0,
        "silent_errors": 0,
    }
    assert gate(run, baseline=same_baseline) == []
    better = {**same_baseline, "accuracy": 1.0, "exact_rate": 1.0}
    assert gate(run, baseline=better) == [
        "accuracy 99.50% is below the baseline's 100.00%",
        "exact_rate 0.00% is below the baseline's 100.00%",
    ]
    assert "the cases differ" in gate(run, baseline={**same_baseline, "cases": ["c", "d"]})[0]


def test_time_limit_stops_a_runaway_extraction():
    with pytest.raises(ExtractionTimeout), time_limit(0.2):  # without the limit the loop never ends
        while True:
            pass


def test_time_limit_holds_where_a_library_wraps_the_alarm_in_its_own_error():
    """onnxruntime catches the alarm's exception and raises its own: the eval must still see a timeout."""
    with pytest.raises(ExtractionTimeout), time_limit(0.2):
        try:
            while True:
                pass
        except ExtractionTimeout as exc:
            raise RuntimeError("[ONNXRuntimeError] : 6 : RUNTIME_EXCEPTION") from exc


def test_time_limit_lets_other_errors_through():
    with pytest.raises(KeyError), time_limit(5):
        raise KeyError("not a timeout")


# ---------------------------------------------------------------- case files


def write_case(directory: Path, name: str, data) -> Path:
    path = directory / name
    path.write_text(data if isinstance(data, str) else json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "content, message",
    [
        ("{not json", "not valid JSON"),
        ({"input": "x.txt"}, 'no "cells"'),
        ({"input": "x.txt", "cells": {"applications.nope.total": 1}}, "unknown cell key(s): applications.nope.total"),
        ({"input": "x.txt", "cells": {"applications.granted.total": "1"}}, "expected a count"),
        ({"input": "x.txt", "cells": {FEE_KEY: 12.5}}, "expected the fee as a decimal string"),
        ({"cells": {"applications.granted.total": 1}}, 'no "input"'),
        ({"input": "missing.txt", "cells": {"applications.granted.total": 1}}, "input 'missing.txt' not found"),
        (
            {
                "input": "x.txt",
                "cells": {"applications.granted.total": 1},
                "not_on_page": ["applications.granted.total"],
            },
            "gives a value",
        ),
        (
            {"input": "x.txt", "cells": {"applications.granted.total": 1}, "not_on_page": ["nope"]},
            "list of canonical keys",
        ),
        (
            {
                "input": "x.txt",
                "cells": {"applications.granted.total": None},
                "undetermined": ["applications.granted.total"],
            },
            "reading",
        ),
    ],
)
def test_bad_case_files_are_one_clear_line(tmp_path, content, message):
    (tmp_path / "x.txt").write_text("page", encoding="utf-8")
    path = write_case(tmp_path, "bad.gold.json", content)
    with pytest.raises(EvalError, match=r"^[^\n]*$") as raised:
        load_case(path)
    assert message in str(raised.value)


def test_plain_json_without_cells_is_not_a_case_and_inputs_are_found_under_inputs(tmp_path):
    cases, pages = tmp_path / "cases", tmp_path / "pages" / "real"
    cases.mkdir()
    pages.mkdir(parents=True)
    (pages / "p.txt").write_text("page", encoding="utf-8")
    write_case(cases, "settings.json", {"something": 1})
    write_case(cases, "p.json", {"inputs": ["p.txt"], "cells": {t3_key("granted", "total"): 1}})
    loaded, bad = load_cases(sorted(cases.glob("*.json")), tmp_path / "pages")
    assert bad == [] and [(c.name, c.inputs) for c in loaded] == [("p", (pages / "p.txt",))]


# ---------------------------------------------------------------- the command


def corpus_copy(tmp_path: Path, name: str = "001_49af0c7705570677") -> Path:
    cases = tmp_path / "cases"
    cases.mkdir()
    shutil.copy(CORPUS / f"{name}.gold.json", cases)
    shutil.copy(CORPUS / f"{name}.txt", cases)
    return cases


def test_eval_command_passes_on_a_corpus_case_and_writes_json_and_markdown(tmp_path):
    cases = corpus_copy(tmp_path)
    out = tmp_path / "reports" / "run"
    run = CliRunner().invoke(app, ["eval", "--cases", str(cases), "--report", str(out), "--min-accuracy", "100"])
    assert run.exit_code == 0, run.output
    report = json.loads((tmp_path / "reports" / "run.json").read_text(encoding="utf-8"))
    assert report["summary"]["accuracy"]["rate"] == 1.0 and report["summary"]["silent_errors"] == 0
    assert "cell accuracy 100.0% (200/200)" in (tmp_path / "reports" / "run.md").read_text(encoding="utf-8")


def test_eval_command_fails_on_a_silent_error(tmp_path):
    cases = corpus_copy(tmp_path)
    gold_path = cases / "001_49af0c7705570677.gold.json"
    gold = json.loads(gold_path.read_text(encoding="utf-8"))
    gold["cells"]["applications.new_received.natural_person"] += (
        1  # the page says otherwise, and the record is verified
    )
    gold_path.write_text(json.dumps(gold, ensure_ascii=False), encoding="utf-8")
    run = CliRunner().invoke(app, ["eval", "--cases", str(cases), "--report", str(tmp_path / "r")])
    assert run.exit_code == 1
    assert "1 silent errors" in run.output


def test_eval_command_fails_on_an_unmarked_error_in_a_record_that_is_not_verified(tmp_path):
    cases = corpus_copy(tmp_path, "pingtan-2021")
    gold_path = cases / "pingtan-2021.gold.json"
    gold = json.loads(gold_path.read_text(encoding="utf-8"))
    gold["cells"]["active.licensing.decisions"] += 1  # the page prints 2293, read plainly in a needs_model record
    gold_path.write_text(json.dumps(gold, ensure_ascii=False), encoding="utf-8")
    run = CliRunner().invoke(app, ["eval", "--cases", str(cases), "--report", str(tmp_path / "r")])
    assert run.exit_code == 1, run.output
    assert "silent errors 0" in run.output and "1 unmarked errors" in run.output
    assert "pingtan-2021: active.licensing.decisions = 2293 (gold 2294)" in run.output


def test_eval_command_reports_a_bad_case_without_a_traceback(tmp_path):
    cases = corpus_copy(tmp_path)
    write_case(cases, "broken.gold.json", "{")
    run = CliRunner().invoke(app, ["eval", "--cases", str(cases), "--report", str(tmp_path / "r")])
    assert run.exit_code == 2
    assert "broken.gold.json: not valid JSON" in run.output and "Traceback" not in run.output


def test_eval_command_baseline_save_then_gate(tmp_path):
    cases = corpus_copy(tmp_path)
    baseline = tmp_path / "baseline.json"
    args = ["eval", "--cases", str(cases), "--report", str(tmp_path / "r"), "--baseline", str(baseline)]
    assert CliRunner().invoke(app, args).exit_code == 2  # no baseline yet: one clear line
    assert CliRunner().invoke(app, [*args, "--save-baseline"]).exit_code == 0
    assert json.loads(baseline.read_text(encoding="utf-8"))["rules"]["accuracy"] == 1.0
    assert CliRunner().invoke(app, args).exit_code == 0
    raised = json.loads(baseline.read_text(encoding="utf-8"))
    raised["rules"]["cases"].append("another")
    baseline.write_text(json.dumps(raised), encoding="utf-8")
    run = CliRunner().invoke(app, args)
    assert run.exit_code == 1 and "the cases differ" in run.output


def test_eval_command_runs_a_generated_suite(tmp_path):
    keep = tmp_path / "suite"
    run = CliRunner().invoke(
        app,
        [
            "eval",
            "--cases",
            "generated",
            "--count",
            "3",
            "--seed",
            "5",
            "--keep",
            str(keep),
            "--report",
            str(tmp_path / "r"),
        ],
    )
    assert run.exit_code == 0, run.output
    assert len(list(keep.glob("*.gold.json"))) == 3
    assert json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["summary"]["records"] == 3


def test_eval_command_scores_rendered_samples_of_real_values_against_their_own_gold(tmp_path):
    """`--cases samples`: real reports' values rendered from sample --seed on, each beside the gold it was drawn
    from (scaled as the sample is), so a reader that gets every cell right scores 100 %; an unknown layout is
    one line."""
    keep, report = tmp_path / "samples", tmp_path / "r"
    args = ["eval", "--cases", "samples", "--layouts", "html", "--count", "2", "--seed", "7", "--keep", str(keep)]
    run = CliRunner().invoke(app, [*args, "--report", str(report), "--min-accuracy", "100"])
    assert run.exit_code == 0, run.output
    assert sorted(p.name for p in (keep / "html").glob("*.gold.json")) == [
        "sample-00007.gold.json",
        "sample-00008.gold.json",
    ]
    summary = json.loads(report.with_suffix(".json").read_text(encoding="utf-8"))["summary"]
    assert summary["records"] == 2
    bad = CliRunner().invoke(app, [*args[:4], "tsv", *args[5:], "--report", str(report)])
    assert bad.exit_code == 2 and "unknown sample layouts: tsv" in bad.output


def test_eval_cli_with_gold_kept_apart_from_text_markdown_html_and_pdf_inputs(tmp_path):
    from nianbao.eval.damage import generate

    cases, pages = tmp_path / "gold", tmp_path / "pages"
    cases.mkdir()
    pages.mkdir()
    for index, layout in enumerate(("lines", "markdown", "html", "pdf")):
        case = generate(random.Random(index), layout, name=f"case-{layout}")
        (pages / case.filename).write_bytes(case.data)
        (cases / f"{case.name}.gold.json").write_text(json.dumps(case.gold(), ensure_ascii=False), encoding="utf-8")
    report = tmp_path / "report"
    result = CliRunner().invoke(app, ["eval", "--cases", str(cases), "--inputs", str(pages), "--report", str(report)])
    assert result.exit_code == 0, result.output
    summary = json.loads(report.with_suffix(".json").read_text(encoding="utf-8"))
    assert len(summary["records"]) == 4 and all(r["error"] == "" for r in summary["records"])
    assert all(r["accuracy"]["rate"] == 1.0 for r in summary["records"]), [
        (r["case"], r["wrong"][:2]) for r in summary["records"]
    ]


def test_a_value_where_the_page_prints_none_is_wrong_and_an_undetermined_cell_may_stay_null():
    gold = {k: v for k, v in GOLD.items() if not k.startswith("review_litigation.")}
    missing = [k for k in GOLD if k.startswith("review_litigation.")]
    open_key = "active.normative_docs.issued"
    invented = record(gold, Verdict.incomplete, {missing[0]: 0, open_key: None})
    score = score_record("c", "c.txt", gold, invented, not_on_page=missing, undetermined=[open_key])
    assert [c.key for c in score.wrong] == [missing[0]]
    assert score.accuracy().total == len(gold) + len(missing)
    misread = score_record("c", "c.txt", gold, record(gold, changes={open_key: 1}), undetermined=[open_key])
    assert [c.key for c in misread.wrong] == [open_key]


def test_a_generated_suite_reports_and_gates_each_kind():
    right = score_record("a", "a.txt", GOLD, record(GOLD), kinds=("markdown", "fragment"))
    misread = record(GOLD, Verdict.needs_model, {NONZERO_KEY: 0})
    wrong = score_record("b", "b.txt", GOLD, misread, kinds=("markdown", "t4_shapes"))
    summary = summarise([right, wrong])
    assert summary["kinds"]["fragment"]["exact_rate"]["rate"] == 1.0
    assert summary["kinds"]["t4_shapes"]["accuracy"]["right"] == 199
    assert summary["kinds"]["markdown"]["records"] == 2
    baseline = {"kinds": {"fragment": 1.0, "t4_shapes": 1.0}}
    reasons = gate(result(right, wrong), baseline=baseline | {"cases": ["a", "b"]})
    assert reasons == ["accuracy on t4_shapes pages 99.50% is below the baseline's 100.00%"]


def test_the_model_gate_holds_attempts_as_a_ceiling_and_what_the_model_gives_as_floors():
    run = result(score_record("c", "c.txt", GOLD, record(GOLD, Verdict.verified)))
    run["summary"].update(attempts=8, cells_from_model=5, model_parser_agreements=5)
    baseline = {"cases": ["c"], "attempts": 10, "cells_from_model": 5, "model_parser_agreements": 5}
    assert gate(run, baseline=baseline) == []  # fewer questions for the same answers: better, not a failure
    run["summary"]["attempts"] = 12
    assert gate(run, baseline=baseline) == ["attempts 12 is above the baseline's 10: the model path asked more"]
    run["summary"].update(attempts=10, cells_from_model=4)
    assert gate(run, baseline=baseline) == ["cells_from_model 4 is below the baseline's 5: the model path gave less"]


def test_the_generated_suite_gate_allows_for_timed_out_pages_and_fails_a_lost_kind():
    run = result(score_record("c", "c.txt", GOLD, record(GOLD, Verdict.verified)))
    baseline = {"cases": ["c"], "kinds": {"glued": 0.62, "pdf": 0.98}}

    def with_kinds(timed_out=0, **rates):
        kinds = {k: {"records": 20, "timed_out": timed_out, "accuracy": {"rate": r}} for k, r in rates.items()}
        run["summary"]["kinds"] = kinds
        return gate(run, baseline=baseline)

    assert with_kinds(glued=0.62, pdf=0.98) == []
    assert with_kinds(glued=0.62 - 0.049, pdf=0.98, timed_out=1) == []  # one page of 20 over the time limit
    assert with_kinds(glued=0.62 - 0.049, pdf=0.98) == ["accuracy on glued pages 57.10% is below the baseline's 62.00%"]
    assert with_kinds(glued=0.62) == ["no pdf pages in this run: the suite lost a kind the baseline scores"]


def test_meta_is_scored_with_aliases_and_a_page_that_names_neither():
    report = record(GOLD)
    report.meta = report.meta.model_copy(update={"agency_name": "和田地区 商务局", "report_year": 2023})
    gold = {"agency_name": "和田地区商务局", "report_year": 2023}
    assert all(v["ok"] for v in score_record("c", "c.txt", GOLD, report, gold_meta=gold).meta.values())
    report.meta = report.meta.model_copy(update={"agency_name": "地区商务局"})
    scored = score_record("c", "c.txt", GOLD, report, gold_meta=gold)
    assert not scored.meta["agency_name"]["ok"] and scored.meta["report_year"]["ok"]
    aliased = score_record("c", "c.txt", GOLD, report, gold_meta=gold | {"agency_aliases": ["地区商务局"]})
    assert aliased.meta["agency_name"]["ok"]
    fragment = {"agency_name": None, "report_year": None, "meta_not_on_page": True}
    invented = score_record("c", "c.txt", GOLD, report, gold_meta=fragment)
    assert not invented.meta["agency_name"]["ok"] and not invented.meta["report_year"]["ok"]
    summary = summarise([aliased, scored, invented])
    assert summary["meta"]["agency_name"] == {"right": 1, "total": 3, "rate": 1 / 3}
    assert "c.txt: agency_name '地区商务局' (gold '和田地区商务局')" in summary["meta_wrong"]
    assert not score_record("c", "c.txt", GOLD, report).meta  # no gold meta: not scored


def test_the_meta_gate_holds_the_baseline():
    report = record(GOLD)
    report.meta = report.meta.model_copy(update={"agency_name": "正文", "report_year": 2023})
    run = result(score_record("c", "c.txt", GOLD, report, gold_meta={"agency_name": "某局", "report_year": 2023}))
    baseline = {"cases": ["c"], "meta_agency_name": 1.0, "meta_report_year": 1.0}
    reasons = gate(run, baseline=baseline)
    assert len(reasons) == 1 and reasons[0].startswith("meta agency_name 0.00% is below the baseline's 100.00%")
    assert "'正文'" in reasons[0]


@pytest.mark.parametrize(
    "meta, message",
    [
        ("x", '"meta" must be an object'),
        ({"agency_name": 1}, "agency_name"),
        ({"report_year": "2023"}, "report_year"),
        ({"agency_aliases": "x"}, "agency_aliases"),
        ({"agency_name": "某局", "meta_not_on_page": True}, "meta_not_on_page"),
    ],
)
def test_a_bad_gold_meta_is_one_clear_line(tmp_path, meta, message):
    (tmp_path / "x.txt").write_text("page", encoding="utf-8")
    path = write_case(
        tmp_path, "bad.gold.json", {"input": "x.txt", "cells": {"applications.granted.total": 1}, "meta": meta}
    )
    with pytest.raises(EvalError, match=r"^[^\n]*$") as raised:
        load_case(path)
    assert message in str(raised.value)


def test_every_gold_file_of_the_committed_suites_labels_meta():
    for folder in (CORPUS, CORPUS.parent / "model-only"):
        for gold in folder.glob("*.gold.json"):
            meta = load_case(gold).meta
            assert meta is not None, gold.name
            assert meta.get("meta_not_on_page") or (meta["agency_name"] and meta["report_year"]), gold.name
