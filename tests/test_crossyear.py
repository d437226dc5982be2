"""Cross-year checks: agencies linked by name and scope, carried applications, documents in force, suggestions."""

from __future__ import annotations

import copy
import csv
import io
import json
from pathlib import Path

import pytest
from nianbao import crossyear
from nianbao.batch import BatchOptions, run_batch
from nianbao.pipeline import extract_path

CORPUS = Path(__file__).resolve().parents[1] / "eval" / "corpus"


@pytest.fixture(scope="module")
def pingtan() -> tuple[dict, dict]:
    """The facts of the real Pingtan 2021 (glued 行政规范性文件 run '693665') and 2022 reports."""
    return tuple(crossyear.facts(extract_path(CORPUS / f"pingtan-{year}.txt")) for year in (2021, 2022))


def by_id(checks: list[dict]) -> dict[str, dict]:
    return {c["check"]: c for c in checks}


def test_pingtan_links_as_one_agency_and_the_carried_application_passes(pingtan):
    agencies, checks, unlinked = crossyear.check_all(list(pingtan))
    assert [a["members"] for a in agencies] == [[0, 1]] and agencies[0]["matched_by"] == "the same name and scope"
    assert not unlinked
    results = by_id(checks)
    assert (results["X.carry:total"]["status"], results["X.carry:total"]["lhs"], results["X.carry:total"]["rhs"]) == (
        "pass",
        1,
        1,
    )
    assert all(results[f"X.carry:{c}"]["status"] == "pass" for c in ("natural_person", "commercial", "other_org"))
    assert results["X.in_force:regulations"]["status"] == "pass"


def test_the_next_year_narrows_the_glued_run_to_a_suggestion_only(pingtan):
    earlier, later = pingtan
    before = copy.deepcopy(earlier)
    check = by_id(crossyear.check_pair(earlier, later))["X.in_force:normative_docs"]
    assert check["status"] == "uncheckable" and check["severity"] == "soft"
    [(side, suggestion)] = check["suggested"]
    assert side == "earlier" and suggestion["raw"] == "693665" and suggestion["of"] == 10
    assert suggestion["readings"] == [[6, 93, 665], [69, 3, 665]]
    assert "698 − 88 + 55 = 665" in suggestion["text"] and "stay unverified" in suggestion["text"]
    assert earlier == before  # nothing is written into the cells
    assert earlier["cells"]["active.normative_docs.in_force"]["value"] is None


def test_readings_of_a_glued_run_concatenate_back_to_its_digits(pingtan):
    readings = crossyear.readings(pingtan[0], crossyear._row_keys("normative_docs"))
    assert len(readings) == 10 and all("".join(map(str, r)) == "693665" for r in readings)


def _with(fact: dict, **values) -> dict:
    fact = copy.deepcopy(fact)
    for key, value in values.items():
        cell = fact["cells"][key.replace("__", ".")]
        cell |= {"value": value, "candidates": [], "flags": []}
    return fact


def test_a_carry_mismatch_fails_hard_and_names_the_report_known_to_be_wrong(pingtan):
    earlier, later = pingtan
    later = _with(later, applications__carried_over__total=2)
    failed = by_id(crossyear.check_pair(earlier, later))["X.carry:total"]
    assert (failed["status"], failed["residual"]) == ("fail", -1)
    assert failed["blame"].startswith("unknown") and "2021" in failed["message"] and "2022" in failed["message"]
    later["cells"]["applications.carried_over.total"]["source_error"] = True  # its own T3 identities fail there
    assert by_id(crossyear.check_pair(earlier, later))["X.carry:total"]["blame"].startswith("2022")


def test_documents_in_force_that_do_not_follow_only_warn(pingtan):
    earlier, later = pingtan
    earlier = _with(
        earlier,
        active__normative_docs__issued=69,
        active__normative_docs__repealed=3,
        active__normative_docs__in_force=600,
    )
    check = by_id(crossyear.check_pair(earlier, later))["X.in_force:normative_docs"]
    assert (check["severity"], check["status"], check["lhs"], check["rhs"], check["residual"]) == (
        "soft",
        "fail",
        633,
        698,
        -65,
    )
    earlier = _with(earlier, active__normative_docs__in_force=665)
    assert by_id(crossyear.check_pair(earlier, later))["X.in_force:normative_docs"]["status"] == "pass"


def test_uncertain_matches_are_not_linked(pingtan):
    earlier, later = (copy.deepcopy(f) for f in pingtan)
    spaced = copy.deepcopy(later) | {"agency": "平潭 综合实验区", "year": 2023}
    agencies, _ = crossyear.link([earlier, spaced])
    assert len(agencies) == 1 and "punctuation" in agencies[0]["matched_by"]
    later["scope"] = "agency"
    agencies, checks, unlinked = crossyear.check_all([earlier, later])
    assert len(agencies) == 2 and not checks and "different scope" in unlinked[0]["reason"]
    later |= {"scope": "aggregate", "agency": "平潭综合实验区管委会"}
    agencies, checks, unlinked = crossyear.check_all([earlier, later])
    assert len(agencies) == 2 and not checks and "suffix" in unlinked[0]["reason"]
    later["agency"] = None
    _, checks, unlinked = crossyear.check_all([earlier, later])
    assert not checks and "no agency name" in unlinked[0]["reason"]


def test_a_batch_writes_cross_year_csv_and_summary(tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    for year in (2021, 2022):
        (inputs / f"pingtan-{year}.txt").write_bytes((CORPUS / f"pingtan-{year}.txt").read_bytes())
    out = tmp_path / "out"
    run_batch(sorted(inputs.iterdir()), out, BatchOptions(jobs=1, progress=False), log=lambda m: None)
    rows = list(csv.DictReader(io.StringIO((out / "cross_year.csv").read_text(encoding="utf-8-sig"))))
    assert len(rows) == 9 and {r["check"] for r in rows} >= {"X.carry:total", "X.in_force:normative_docs"}
    assert all(r["status"] == "pass" for r in rows if r["check"].startswith("X.carry"))
    assert "693665" in next(r["suggestion"] for r in rows if r["check"] == "X.in_force:normative_docs")
    summary = json.loads((out / "summary.json").read_text())["cross_year"]
    assert summary["agencies_with_several_years"] == 1 and summary["checks"]["hard_pass"] == 7
    assert summary["failures"] == [] and len(summary["suggestions"]) == 1


def test_a_heading_or_a_missing_name_links_nothing(pingtan):
    """Three reports whose 'agency' was a converter heading (正文) are three unlinked reports, never one agency."""
    earlier, later = (copy.deepcopy(f) for f in pingtan)
    other = copy.deepcopy(later) | {"year": 2023}
    for fact in (earlier, later, other):
        fact["agency"] = "正文"
    agencies, checks, unlinked = crossyear.check_all([earlier, later, other])
    assert agencies == [] and checks == [] and len(unlinked) == 3
    assert all("no agency's name" in u["reason"] for u in unlinked)


def test_different_agencies_of_one_area_are_never_linked(tmp_path):
    """和田地区's two bodies (one year each) and Pingtan's two years: Pingtan linked, the others apart."""
    names = ["000_be0b01980da158b8.txt", "001_49af0c7705570677.txt", "pingtan-2021.txt", "pingtan-2022.txt"]
    facts = [crossyear.facts(extract_path(CORPUS / name)) for name in names]
    agencies, checks, _ = crossyear.check_all(facts)
    members = {a["name"]: [facts[i]["year"] for i in a["members"]] for a in agencies}
    assert members == {
        "和田地区行政服务和公共资源交易中心": [2023],
        "和田地区商务局": [2023],
        "平潭综合实验区": [2021, 2022],
    }
    assert checks and all(facts[c["earlier"]]["agency"] == facts[c["later"]]["agency"] for c in checks)


def test_checks_in_buckets_merge_to_the_serial_result(pingtan):
    """The batch checks across years in buckets (apart, in parallel); merged, they must give what one pass over
    every report gives: the same cross_year.csv bytes and summary, with agencies whose links cross names
    (another scope, a suffix) in one bucket, and the reports linked to nothing in input order."""
    earlier, later = pingtan
    panel = []
    for n, name in enumerate(
        ["北京市财政局", "上海市教育局", "重庆市民政局", "平潭综合实验区", "黄山市商务局", "ABC局"]
    ):
        for year, fact in ((2021, earlier), (2022, later), (2023, later)):
            panel.append(copy.deepcopy(fact) | {"agency": name, "year": year, "source": f"{n}-{year}.txt"})
    panel[4]["cells"]["applications.carried_over.total"]["value"] += 1  # a failure between 2021 and 2022
    panel.append(copy.deepcopy(later) | {"agency": "平潭综合实验区管委会", "year": 2024, "source": "suffix.txt"})
    panel.append(copy.deepcopy(later) | {"agency": "黄山市商务局", "scope": "agency", "source": "scope.txt"})
    panel.append(copy.deepcopy(later) | {"agency": "上海市教育局办公室", "source": "office.txt"})
    panel.insert(5, copy.deepcopy(later) | {"agency": None, "source": "nameless.txt"})
    panel.insert(9, copy.deepcopy(later) | {"agency": "正文", "source": "heading.txt"})
    table, summary, _ = crossyear.cross_year(panel)
    assert summary["failures"] and {u["reason"][:20] for u in summary["not_linked"]} >= {
        "the same name with a",
        "names differ only by",
    }
    for count in (1, 2, 3, 7):
        buckets: list[list[dict]] = [[] for _ in range(count)]
        unlinked = []
        for fact in panel:
            if (reason := crossyear.unlinked_reason(fact)) is not None:
                unlinked.append(crossyear.unlinked_entry(fact, reason))
            else:
                buckets[crossyear.bucket_of(fact, count)].append(fact)
        assert sum(1 for b in buckets if b) > 1 or count == 1
        merged = crossyear.merge(unlinked, [crossyear.check_bucket(b) for b in buckets])
        assert merged == (table, summary), count


def test_cross_year_csv_names_the_agency(pingtan):
    table, _, _ = crossyear.cross_year(list(pingtan))
    rows = list(csv.DictReader(io.StringIO(table.removeprefix("\ufeff"))))
    assert rows and {r["agency"] for r in rows} == {"平潭综合实验区"}
