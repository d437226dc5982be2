"""Glued runs (format.md §3.5) that print one value too many (§3.3): a 法人小计 or a value printed twice."""

import random

import pytest
from nianbao import solve
from nianbao.eval.damage import build_page, random_cells, render_glued
from nianbao.ingest import ingest_bytes
from nianbao.pipeline import extract_document
from nianbao.schemas.keys import T3_ROWS, t3_key, t4_key
from pages import consistent_table3, page, t3_cells, t4_cells

TABLE3 = consistent_table3(
    {
        "granted": [27, 0, 0, 2, 0, 1],
        "partially_granted": [5, 0, 3, 0, 0, 0],
        "unable.not_held": [22, 0, 0, 0, 0, 3],
        "other.other": [1, 0, 0, 0, 0, 0],
    },
    new_received=[64, 0, 5, 2, 0, 4],
)
T2_KEYS = [f"active.{r}.{c}" for r in ("regulations", "normative_docs") for c in ("issued", "repealed", "in_force")]
EXTRA_ROWS = [r for r in T3_ROWS if r not in ("new_received", "carried_over")]


def extract(text: str):
    return extract_document(ingest_bytes(text.encode("utf-8"), "page.txt"), "page.txt")


def glued(table3, t4=None) -> str:
    return page(table3, row_sep="", cell_sep="", t4=t4).replace("\n", "")


def assert_reads(report, expected: dict) -> None:
    values = report.values()
    wrong = {k: (v, values.get(k)) for k, v in expected.items() if values.get(k) != v}
    assert not wrong, wrong


def test_split_with_extra_finds_a_value_printed_twice_and_a_subtotal():
    # 0 | 小计 260 | 2 0 18 214 26 | 260: the subtotal after 自然人
    assert (0, 2, 0, 18, 214, 26, 260) in solve.split_with_extra(["0", "2602018214", "26260"], 7, solve.row_total_holds)
    # the total printed twice, after a space: the copy is whole, and nothing is left over
    assert solve.split_with_extra(["0", "0", "0", "0", "0285285", "285"], 7, solve.row_total_holds) == [
        (0, 0, 0, 0, 0, 285, 285)
    ]
    # a space inside the second copy: not one number printed twice
    assert solve.split_with_extra(["5", "5", "1"], 2, solve.row_total_holds) == []


def test_glued_rows_with_a_subtotal_after_the_natural_person_are_read():
    damaged = {r: ([v[0], sum(v[1:6]), *v[1:]] if r in EXTRA_ROWS else v) for r, v in TABLE3.items()}
    report = extract(glued(damaged))
    assert_reads(report, t3_cells(TABLE3))
    flags = report.cells[t3_key("partially_granted", "research")].flags
    assert "dropped_extra_value" in flags and "split_from_run" in flags


def test_glued_rows_with_their_total_printed_twice_are_read():
    damaged = {r: ([*v, v[-1]] if r in EXTRA_ROWS else v) for r, v in TABLE3.items()}
    report = extract(glued(damaged))
    assert_reads(report, t3_cells(TABLE3))


def test_a_glued_row_whose_tokens_read_as_seven_cells_that_fail_is_split_anew():
    """`00000285285 285`: the tokenizer cuts each 0 off (0|0|0|0|0|285285|285, seven cells) and the row total
    fails; the run is 0|0|0|0|0|285 and 285 printed twice."""
    table3 = consistent_table3({"granted": [0, 0, 0, 0, 0, 285]}, new_received=[0, 0, 0, 0, 0, 300])
    damaged = {r: ([*v, v[-1]] if r in EXTRA_ROWS else v) for r, v in table3.items()}
    text = glued(damaged)
    assert "00000285285285" in text
    report = extract(text.replace("00000285285285", "00000285285 285"))
    assert_reads(report, t3_cells(table3))


def test_a_glued_table4_run_no_split_reads_stays_open():
    """`30 -- -30- 259 0170429 -12 - 3042`: its `--` is two zero cells, so no split of the tokens balances the
    groups; dropping a 0 as printed twice would (3|0|0|0|3 …), but one row's own totals cannot tell that from the
    agency's own error, so nothing is read as one value too many."""
    t4 = [30, 0, 0, 0, 30, 0, 259, 0, 170, 429, 0, 12, 0, 30, 42]
    report = extract(glued(TABLE3, t4=["30 -- -30- 259 0170429 -12 - 3042"]))
    values = report.values()
    assert not {k: values.get(k) for k, v in t4_cells(t4).items() if values.get(k) not in (None, v)}
    assert report.cells[t4_key("review", "total")].value is None


def test_table4_with_one_value_too_many_reads_the_cells_every_reading_agrees_on():
    """Dropping either 221 or a 0 of 复议后起诉 leaves a reading: the first balances, the second breaks one group
    (what the agency's own error looks like), so which is open; the cells both read alike are read."""
    t4 = [0, 26, 136, 149, 311, 0, 0, 0, 11, 11, 221, 0, 0, 0, 221]
    report = extract(page(TABLE3, t4=[*t4[:11], 0, *t4[11:]]))
    assert_reads(report, {k: v for k, v in t4_cells(t4).items() if k.startswith("review_litigation.review.")})
    first = report.cells[t4_key("litigation_after_review", "upheld")]
    assert first.value is None and "ambiguous" in first.flags and {0, 221} <= set(first.candidates)
    assert report.verdict.value != "verified"


@pytest.mark.parametrize(
    ("seed", "printed", "open_cells"),
    [
        (1, "3817", {"issued", "repealed", "in_force"}),
        (23, "3 817", {"repealed", "in_force"}),
        (25, "381 7", {"issued", "repealed"}),
    ],
)
def test_generated_glued_gold_leaves_open_the_table2_cells_no_split_decides(seed, printed, open_cells):
    """Table 二 has no identity and the generated prose states none of its figures: a cell its run's splits read
    differently is `undetermined` (3|8|17, 3|81|7, 38|1|7); `000` reads one way."""
    rng = random.Random(seed)
    cells = random_cells(rng, "typical")
    cells |= dict(zip(T2_KEYS, (0, 0, 0, 3, 81, 7), strict=True))
    p = build_page(cells, rng)
    text = render_glued(p, rng)
    assert "行政规范性文件" + printed + "第二十条" in text
    assert set(p.gold["undetermined"]) == {f"active.normative_docs.{c}" for c in open_cells}


def test_a_glued_table2_run_reads_the_cells_every_split_agrees_on():
    """`049820`: no count starts with 0, so 本年制发 is 0 in every split; the other two cells stay open."""
    t2 = {"规章": [0, 0, 0], "行政规范性文件": [0, 498, 20], "行政许可": [15]}
    report = extract(page(TABLE3, row_sep="", cell_sep="", t2=t2).replace("\n", ""))
    assert report.values()["active.normative_docs.issued"] == 0
    assert "split_from_run" in report.cells["active.normative_docs.issued"].flags
    repealed = report.cells["active.normative_docs.repealed"]
    assert repealed.value is None and "ambiguous" in repealed.flags and 498 in repealed.candidates
