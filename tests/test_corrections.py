"""corrections.jsonl: a person's values applied by the pipeline (single file and batch), then checked like any other.

The browser half (typing on the review page, the live re-check, the downloads) is in test_review_browser.py.
"""

from __future__ import annotations

import csv
import hashlib
import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from nianbao import corrections as person
from nianbao.batch import BatchOptions, run_batch
from nianbao.pipeline import Options, extract_path
from nianbao.schemas.corrections import merge, parse_line
from nianbao.schemas.identities import definitions
from nianbao.schemas.record import load_saved

CORPUS = Path(__file__).resolve().parents[1] / "eval" / "corpus"
NIANBAO = [sys.executable, "-m", "nianbao.cli"]
PINGTAN = CORPUS / "pingtan-2021.txt"  # needs_model: 规范性文件's glued '693665' has ten readings
CLEAN = CORPUS / "002_a80d00d8d16235a9.txt"  # verified
T2 = {"active.normative_docs.issued": 69, "active.normative_docs.repealed": 3, "active.normative_docs.in_force": 665}


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write(path: Path, *lines: dict | str) -> Path:
    path.write_text("".join((x if isinstance(x, str) else json.dumps(x, ensure_ascii=False)) + "\n" for x in lines))
    return path


def extract(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*NIANBAO, "extract", "--mode", "rules", *args], capture_output=True, text=True)


def test_a_persons_values_finish_a_record_the_machine_cannot(tmp_path):
    fixes = {
        sha(PINGTAN): parse_line(
            json.dumps({"input_sha256": sha(PINGTAN), "cells": T2 | {"active.penalty.decisions": 1282}})
        )
    }
    before = extract_path(PINGTAN)
    report = extract_path(PINGTAN, Options(corrections=fixes))
    assert before.verdict.value == "needs_model" and report.verdict.value == "verified"
    issued = report.cells["active.normative_docs.issued"]
    assert issued.source == "person" and issued.flags == ["corrected"] and issued.value == 69
    assert issued.candidates == before.cells["active.normative_docs.issued"].candidates  # the machine's readings kept
    assert issued.raw == "693665" and issued.span == before.cells["active.normative_docs.issued"].span
    penalty = report.cells["active.penalty.decisions"]
    assert penalty.flags == ["confirmed"] and penalty.candidates == [] and penalty.source == "person"
    assert report.provenance.cells_from_person == 4 and report.provenance.corrections_sha256
    assert "4 cells as a person corrected or confirmed them" in report.verdict_reason
    status = report.cell_status()
    assert {status[k] for k in [*T2, "active.penalty.decisions"]} == {"confirmed"}
    assert status["active.licensing.decisions"] == "verified"
    # every other cell and check is what the machine made of the page
    assert [c.model_dump() for c in report.checks] == [c.model_dump() for c in before.checks]


def test_a_wrong_correction_is_caught_and_names_its_cells():
    total = "applications.granted.total"
    wrong = parse_line(json.dumps({"input_sha256": sha(CLEAN), "cells": {total: 49}}))
    report = extract_path(CLEAN, Options(corrections={sha(CLEAN): wrong}))
    assert report.verdict.value == "needs_review" and total in report.unverified
    failing = {c.id: c for c in report.checks if c.status == "fail"}
    assert set(failing) == {"T3.row:granted", "T3.sum:total"}
    assert all(c.cause == "unknown" and total in c.suspects for c in failing.values())
    assert report.verdict_reason.startswith(f"a person's corrections break T3.row:granted ({total})")
    assert report.cells[total].candidates == [48] and report.cell_status()[total] == "unverified"


def test_a_null_correction_is_a_blank_cell_the_record_stands_behind(tmp_path):
    key = "applications.granted.commercial"  # printed 1: the person says the page leaves it blank
    fixes = write(tmp_path / "c.jsonl", {"input_sha256": sha(CLEAN), "cells": {key: None}, "note": "blank on the scan"})
    done = extract(str(CLEAN), "--format", "json", "--corrections", str(fixes))
    assert done.returncode == 0, done.stderr
    record = json.loads(done.stdout)[0]
    cell = record["cells"][key]
    assert cell["value"] is None and cell["flags"] == ["blank", "corrected"] and cell["candidates"] == [1]
    assert record["verdict"] == "verified"  # blank is not zero: the identities it is in cannot be computed
    assert {c["status"] for c in record["checks"] if key in c["cells"]} == {"uncheckable"}
    assert load_saved(record).cells[key].value is None  # `nianbao check` reads it back


def test_a_hash_that_matches_no_input_changes_nothing(tmp_path):
    plain = extract(str(CLEAN))
    other = "f" * 64
    fixes = write(tmp_path / "c.jsonl", {"input_sha256": other, "cells": {"active.penalty.decisions": 1}})
    done = extract(str(CLEAN), "--corrections", str(fixes))
    assert done.returncode == 0 and done.stdout == plain.stdout
    assert done.stderr.splitlines() == [
        f"nianbao: note: {fixes}: input_sha256 {other[:16]}… matches no input: not applied"
    ]


@pytest.mark.parametrize(
    ("line", "why"),
    [
        ({"cells": {"active.penalty.foo": 1}}, "active.penalty.foo: not a canonical key"),
        ({"cells": {"active.penalty.decisions": "1"}}, 'active.penalty.decisions: a JSON integer, not "1"'),
        ({"cells": {"active.fees.amount": 1.5}}, 'active.fees.amount: a decimal string as printed, such as "12.5"'),
        ({"cells": {"active.penalty.decisions": -1}}, "a count is never negative"),
        ({"cells": {}}, "cells: an object of canonical key"),
        ({"cells": {"active.penalty.decisions": 1}, "by": "me"}, "unknown field 'by'"),
        ("[1, 2", "not JSON"),
    ],
)
def test_a_bad_line_is_one_line_on_stderr_and_changes_nothing(tmp_path, line, why):
    plain = extract(str(CLEAN))
    body = line if isinstance(line, str) else {"input_sha256": sha(CLEAN), **line}
    fixes = write(tmp_path / "c.jsonl", body)
    done = extract(str(CLEAN), "--corrections", str(fixes))
    assert done.returncode == 1 and done.stdout == plain.stdout
    assert len(done.stderr.splitlines()) == 1 and why in done.stderr and f"{fixes}:1:" in done.stderr


def test_an_unreadable_corrections_file_stops_before_any_work(tmp_path):
    done = extract(str(CLEAN), "--corrections", str(tmp_path / "none.jsonl"))
    assert done.returncode == 2 and done.stdout == "" and done.stderr.strip().endswith("none.jsonl: no such file")


def test_signed_and_decimal_values_and_later_lines_win():
    first = parse_line(json.dumps({"input_sha256": "a" * 64, "cells": {"active_2019.licensing.delta": -18}}))
    second = parse_line(
        json.dumps(
            {"input_sha256": "a" * 64, "cells": {"active.fees.amount": "1.50", "active_2019.licensing.delta": 5}}
        )
    )
    merged = merge([first, second])["a" * 64]
    assert merged.cells == {"active_2019.licensing.delta": 5, "active.fees.amount": Decimal("1.50")}
    assert merged.digest != first.digest and merged.digest == merge([first, second])["a" * 64].digest


def test_the_model_never_overrides_a_persons_value(monkeypatch):
    from nianbao.model import loop

    def model_rereads(report, parsed, doc, mode, settings):  # a model that puts its own reading everywhere
        cells = {
            k: c.model_copy(update={"value": 7, "source": "model", "flags": ["model_read", "grounded"]})
            for k, c in report.cells.items()
        }
        return report.with_cells(cells)

    monkeypatch.setattr(loop, "improve", model_rereads)
    fixes = {sha(PINGTAN): parse_line(json.dumps({"input_sha256": sha(PINGTAN), "cells": T2}))}
    report = extract_path(PINGTAN, Options(mode="auto", corrections=fixes))
    assert {k: report.cells[k].value for k in T2} == T2 and {report.cells[k].source for k in T2} == {"person"}
    assert report.cells["active.penalty.decisions"].value == 7  # what the person left is the model's


def _rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle))


def test_a_batch_rebuilds_the_records_whose_corrections_changed(tmp_path):
    inputs, out = tmp_path / "in", tmp_path / "out"
    inputs.mkdir()
    for page in (PINGTAN, CLEAN):
        (inputs / page.name).write_bytes(page.read_bytes())
    files = sorted(inputs.iterdir())
    quiet = {"log": lambda m: None}
    first = run_batch(files, out, BatchOptions(jobs=1, progress=False), **quiet)
    assert first.extracted == 2 and first.dataset_counts["needs_model"] == 1
    fixes, problems = person.load(write(tmp_path / "c.jsonl", {"input_sha256": sha(PINGTAN), "cells": T2}))
    assert problems == []
    corrected = BatchOptions(Options(corrections=fixes), jobs=1, progress=False, datasets=("cells.csv", "reports.csv"))
    second = run_batch(files, out, corrected, **quiet)
    assert (second.extracted, second.skipped) == (1, 1) and second.dataset_counts["verified"] == 2
    cells = {r["key"]: r for r in _rows(out / "cells.csv") if r["source"].endswith(PINGTAN.name)}
    assert {cells[k]["status"] for k in T2} == {"confirmed"} and {cells[k]["cell_source"] for k in T2} == {"person"}
    wide = {Path(r["source"]).name: r for r in _rows(out / "reports.csv")}
    assert wide[PINGTAN.name]["confirmed"] == ";".join(T2) and wide[PINGTAN.name]["unverified"] == ""
    assert wide[CLEAN.name]["confirmed"] == ""
    third = run_batch(files, out, corrected, **quiet)  # the same corrections: nothing to redo
    assert (third.extracted, third.skipped) == (0, 2)
    fourth = run_batch(files, out, BatchOptions(jobs=1, progress=False), **quiet)  # without them: the machine's again
    assert (fourth.extracted, fourth.skipped) == (1, 1) and fourth.dataset_counts["needs_model"] == 1


def test_the_batch_command_line_takes_corrections(tmp_path):
    fixes = write(tmp_path / "c.jsonl", {"input_sha256": sha(PINGTAN), "cells": T2})
    done = extract(str(PINGTAN), "--out", str(tmp_path / "out"), "--corrections", str(fixes))
    assert done.returncode == 0, done.stderr
    assert json.loads((tmp_path / "out" / "summary.json").read_text())["dataset"]["verified"] == 1


def test_the_review_site_ships_the_checkers_own_identities():
    from nianbao.review.build import identities_script

    text = identities_script()
    data = json.loads(text.removeprefix("window.NIANBAO_IDENTITIES = ").rstrip().rstrip(";"))
    assert {k: v for k, v in data.items() if k != "decimal_keys"} == definitions()


def test_nianbao_check_judges_a_corrected_record_as_extract_does(tmp_path):
    wrong = write(tmp_path / "c.jsonl", {"input_sha256": sha(CLEAN), "cells": {"applications.granted.total": 49}})
    saved = tmp_path / "record.json"
    assert extract(str(CLEAN), "--format", "json", "-o", str(saved), "--corrections", str(wrong)).returncode == 0
    done = subprocess.run([*NIANBAO, "check", str(saved)], capture_output=True, text=True)
    line = json.loads(done.stdout)
    assert done.returncode == 1 and line["verdict"] == "needs_review"
    assert line["verdict_reason"] == json.loads(saved.read_text())[0]["verdict_reason"]


def test_the_review_index_counts_the_reports_a_person_finished(tmp_path):
    from nianbao.review import build_site

    inputs, out = tmp_path / "in", tmp_path / "out"
    inputs.mkdir()
    for page in (PINGTAN, CLEAN):
        (inputs / page.name).write_bytes(page.read_bytes())
    fixes, _ = person.load(write(tmp_path / "c.jsonl", {"input_sha256": sha(PINGTAN), "cells": T2}))
    run_batch(
        sorted(inputs.iterdir()), out, BatchOptions(Options(corrections=fixes), jobs=1, progress=False), log=print
    )
    build_site(out, tmp_path / "site")
    html = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    assert 'finished by a person: <b id="by-person">1</b><' in html
    page = next((tmp_path / "site" / "r").glob(f"{sha(PINGTAN)[:16]}.html")).read_text(encoding="utf-8")
    assert 'id="cell-active.normative_docs.issued" class="c st-person"' in page


def test_the_cells_line_lists_what_a_person_stands_behind(tmp_path):
    fixes = write(tmp_path / "c.jsonl", {"input_sha256": sha(PINGTAN), "cells": T2})
    line = json.loads(extract(str(PINGTAN), "--corrections", str(fixes)).stdout)
    assert line["confirmed"] == list(T2) and line["unverified"] == [] and line["provenance"]["cells_from_person"] == 3
    assert json.loads(extract(str(PINGTAN)).stdout)["confirmed"] == []
