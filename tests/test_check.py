"""Every identity of format.md §2.1, its residual, its localisation and its cause."""

import json
from pathlib import Path

import pytest
from nianbao.check import Identity, least_failing, run_checks
from nianbao.cli import app
from nianbao.pipeline import extract_path
from nianbao.schemas.keys import T3_APPLICANT_COLUMNS, T3_COLUMNS, T3_ROWS, t3_key, t4_key
from nianbao.schemas.record import Cell, Report, load_saved
from pages import T4_DEFAULT, consistent_table3, t3_cells, t4_cells
from pydantic import ValidationError
from typer.testing import CliRunner

TABLE3 = consistent_table3(
    {"granted": [10, 2, 0, 0, 1, 0], "unable.not_held": [4, 0, 0, 0, 0, 1]}, new_received=[15, 2, 0, 0, 1, 1]
)


def cells(values: dict, flags: dict | None = None) -> dict[str, Cell]:
    flags = flags or {}
    return {k: Cell(value=v, flags=flags.get(k, [])) for k, v in values.items()}


def by_id(checks):
    return {c.id: c for c in checks}


def base():
    return t3_cells(TABLE3) | t4_cells(T4_DEFAULT)


def test_a_consistent_report_passes_every_hard_identity():
    checks = by_id(run_checks(cells(base())))
    hard = [c for c in checks.values() if c.severity == "hard"]
    assert len(hard) == 25 + 7 + 7 + 3
    assert all(c.status == "pass" for c in hard)


@pytest.mark.parametrize("row", T3_ROWS)
def test_each_row_identity_fails_on_its_own_row(row):
    values = base()
    values[t3_key(row, "total")] += 1
    failing = {c.id for c in run_checks(cells(values)) if c.status == "fail"}
    assert f"T3.row:{row}" in failing


@pytest.mark.parametrize("column", T3_COLUMNS)
def test_each_column_sum_and_balance_is_recomputed(column):
    values = base()
    values[t3_key("total_processed", column)] += 2
    checks = by_id(run_checks(cells(values)))
    assert checks[f"T3.sum:{column}"].status == "fail" and checks[f"T3.sum:{column}"].residual == 2
    assert checks[f"T3.bal:{column}"].status == "fail" and checks[f"T3.bal:{column}"].residual == -2


@pytest.mark.parametrize("group", ["review", "litigation_direct", "litigation_after_review"])
def test_each_table4_group_total(group):
    values = base()
    values[t4_key(group, "upheld")] += 3
    check = by_id(run_checks(cells(values)))[f"T4.sum:{group}"]
    assert check.status == "fail" and check.residual == -3
    assert "T4.sum:" + group in check.message


def test_one_misread_cell_is_localised_where_row_and_column_meet():
    values = base()
    suspect = t3_key("granted", "commercial")
    values[suspect] += 5
    failing = [c for c in run_checks(cells(values)) if c.status == "fail"]
    assert {c.id for c in failing} == {"T3.row:granted", "T3.sum:commercial"}
    assert all(c.suspects == [suspect] for c in failing)
    assert all(c.residual == -5 for c in failing)


def test_printed_numbers_that_break_an_identity_are_a_source_error():
    values = base()
    values[t4_key("review", "total")] = 0
    check = by_id(run_checks(cells(values)))["T4.sum:review"]
    assert check.cause == "source"


def test_a_row_failure_no_column_identity_can_check_is_not_blamed_on_the_source():
    values = base()
    values[t3_key("granted", "total")] += 1
    assert by_id(run_checks(cells(values)))["T3.row:granted"].cause == "source"  # T3.sum:total has no partner failure
    unread = {t3_key("denied.state_secret", c): None for c in T3_COLUMNS}  # every column sum uncheckable
    check = by_id(run_checks(cells(values | unread)))["T3.row:granted"]
    assert check.status == "fail" and check.cause == "unknown"


def test_a_failure_involving_a_chosen_split_is_an_extraction_suspect():
    values = base()
    values[t3_key("granted", "natural_person")] += 1
    flags = {t3_key("granted", c): ["split_from_run"] for c in T3_COLUMNS}
    failing = [c for c in run_checks(cells(values, flags)) if c.status == "fail"]
    assert failing and all(c.cause == "extraction" for c in failing)


@pytest.mark.parametrize(
    ("printed", "cause"),
    [
        # one group fails in every order of these numbers, and one fails as read: the agency's error
        ([0, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], "source"),
        # hzq-2023 read in pdftotext's order: two groups fail, but an order exists (10 1 5 in one group) failing one
        ([10, 1, 0, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0], "extraction"),
        # an order holds every total (1 2 1 0 | 4): the failure may be the converter's order
        ([1, 2, 0, 0, 4, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0], "extraction"),
    ],
)
def test_table4_numbers_placed_by_order_fail_by_the_source_only_where_no_order_fails_fewer(printed, cause):
    values = base() | t4_cells(printed)
    flags = {k: ["realigned"] for k in t4_cells(printed)}
    failing = [c for c in run_checks(cells(values, flags)) if c.status == "fail"]
    assert failing and {c.cause for c in failing} == {cause}
    flags[t4_key("review", "upheld")] = ["realigned", "dropped_extra_value"]  # the numbers themselves chosen
    assert {c.cause for c in run_checks(cells(values, flags)) if c.status == "fail"} == {"extraction"}


def test_a_column_shift_breaks_many_rows_and_is_blamed_on_extraction():
    values = base()
    for row in T3_ROWS[2:8]:
        shifted = [values[t3_key(row, c)] for c in T3_COLUMNS]
        shifted = [0, *shifted[:-1]]
        shifted[-1] = shifted[-1] + 1
        values.update({t3_key(row, c): v for c, v in zip(T3_COLUMNS, shifted, strict=True)})
    row_checks = [c for c in run_checks(cells(values)) if c.id.startswith("T3.row") and c.status == "fail"]
    assert len(row_checks) >= 3 and all(c.cause == "extraction" for c in row_checks)


def test_blank_operand_makes_the_identity_uncheckable_not_failed():
    values = base()
    values[t3_key("granted", "total")] = None
    check = by_id(run_checks(cells(values)))["T3.row:granted"]
    assert check.status == "uncheckable"


def test_negative_count_fails_nonneg():
    values = base()
    values[t3_key("granted", "research")] = -1
    assert any(c.id == f"nonneg:{t3_key('granted', 'research')}" for c in run_checks(cells(values)))


def test_prose_total_is_only_a_warning():
    text = "2023年，本机关共收到政府信息公开申请99件。"
    check = by_id(run_checks(cells(base()), text))["prose:applications.new_received.total"]
    assert check.severity == "soft" and check.status == "fail"


def test_2019_single_other_row_is_summed_instead_of_its_sub_rows():
    values = base()
    for row in ("other.no_correction", "other.fee_unpaid", "other.other"):
        for column in T3_COLUMNS:
            values[t3_key(row, column)] = None
    values.update({t3_key("other_total", c): 0 for c in T3_APPLICANT_COLUMNS} | {t3_key("other_total", "total"): 0})
    checks = by_id(run_checks(cells(values)))
    assert checks["T3.sum:natural_person"].status == "pass"
    assert "T3.row:other_total" in checks and "T3.row:other.other" not in checks


CORPUS = Path(__file__).resolve().parents[1] / "eval" / "corpus"
INPUTS = sorted(p for p in CORPUS.iterdir() if not p.name.endswith(".json"))


def test_the_corpus_has_a_2019_record_to_round_trip():
    assert {"pingtan-2019.html", "pingtan-2019.txt"} <= {p.name for p in INPUTS}


@pytest.mark.parametrize("page", INPUTS, ids=lambda p: p.name)
def test_nianbao_check_takes_back_every_record_nianbao_writes(page, tmp_path):
    """`extract --format json`, then `check` on the file: the record loads strictly (2019 keys, decimal amounts
    included) and today's checker gives it the same checks and verdict."""
    record = tmp_path / "record.json"
    written = CliRunner().invoke(app, ["extract", str(page), "--mode", "rules", "--format", "json", "-o", str(record)])
    assert written.exit_code in (0, 3), written.output
    saved = json.loads(record.read_text(encoding="utf-8"))[0]
    checked = CliRunner().invoke(app, ["check", str(record)])
    assert "error" not in checked.stderr, checked.stderr
    line = json.loads(checked.stdout)
    assert (line["verdict"], line["unverified"]) == (saved["verdict"], saved["unverified"])
    assert checked.exit_code == (0 if saved["verdict"] == "verified" else 1)
    reloaded = load_saved(saved)
    assert reloaded.cells == extract_path(page).cells
    recomputed = {c.id: c.model_dump() for c in run_checks(reloaded.cells)}  # the prose's checks need the page
    assert recomputed == {c["id"]: c for c in saved["checks"] if not c["id"].startswith("prose:")}


def test_a_key_the_typed_tables_do_not_name_is_refused():
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        Report.model_validate({"active": {"regulations": {"issued": 1, "new_made": 2}}})


def test_past_an_agencys_slip_only_the_reading_failing_where_every_reading_fails_is_kept():
    """An agency's own wrong sum fails under every reading of a damaged page; the reading that fails nothing
    else is the one the identities choose. Where the readings fail apart, more fail than one error breaks, or a reading
    fails less only by leaving an identity unchecked, none is."""
    ids = [
        Identity("T3.sum:total", ("t",), ("a", "b")),
        Identity("T3.sum:research", ("a",), ("c",)),
        Identity("T3.sum:legal_service", ("b",), ("d",)),
    ]

    def chosen(*readings):
        return least_failing(enumerate(readings), lambda values: ids)

    slip = {"t": 9, "a": 1, "b": 1, "c": 1, "d": 1}  # sum fails (the slip), row and col hold
    assert chosen(slip, slip | {"a": 2}, slip | {"b": 3}) == [0]
    assert chosen(slip | {"b": 2}, slip | {"a": 2}) == []  # each fails one identity the other holds
    assert chosen(slip, slip | {"d": None}) == [0]  # an unchecked identity is not a held one
    assert chosen(slip | {"a": None, "c": None}, slip | {"b": 2}) == []
    many = [Identity(f"T3.sum:{c}", ("t",), ("a",)) for c in ("total", "research", "other_org")]
    assert least_failing(enumerate([slip, slip | {"b": 2}]), lambda values: many) == []  # more than one error breaks
    columns = [Identity(f"T3.bal:{c}", ("t",), ("a",)) for c in ("research", "other_org")]
    assert least_failing(enumerate([slip, slip | {"b": 2}]), lambda values: columns) == []  # cells exchanged
