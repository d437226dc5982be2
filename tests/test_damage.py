"""The damage generator itself: gold that satisfies every identity, pages that look like the real damage."""

import random

import pytest
from nianbao.check import evaluate, failing_identities, table3_identities, table4_identities
from nianbao.eval.damage import (
    DAMAGES,
    PROFILES,
    RESULTS_LABEL,
    SUITE_LAYOUTS,
    build_page,
    generate,
    plant_source_error,
    random_cells,
    render_glued,
    render_html,
    render_lines,
    write_suite,
)
from nianbao.eval.evaluate import load_cases
from nianbao.ingest import ingest_bytes
from nianbao.schemas.keys import ALL_KEYS, FEE_KEY


@pytest.mark.parametrize("profile", PROFILES)
def test_random_gold_has_every_key_and_satisfies_every_identity(profile):
    for seed in range(20):
        cells = random_cells(random.Random(seed), profile)
        assert list(cells) == list(ALL_KEYS)
        assert failing_identities(cells) == []
        assert isinstance(cells[FEE_KEY], str)


def test_zero_heavy_is_mostly_zero_and_large_is_large():
    zero = random_cells(random.Random(1), "zero_heavy")
    large = random_cells(random.Random(1), "large")
    assert sum(v == 0 for v in zero.values()) > 150
    assert max(v for k, v in large.items() if k != FEE_KEY) >= 1000


def test_a_planted_source_error_breaks_an_identity():
    for seed in range(10):
        rng = random.Random(seed)
        assert failing_identities(plant_source_error(random_cells(rng), rng)) != []


def page(damages=(), seed=3):
    rng = random.Random(seed)
    p = build_page(random_cells(rng), rng)
    for kind in damages:
        p = DAMAGES[kind](p, rng)
    return p, rng


def test_html_has_the_canonical_spans():
    text = render_html(*page())
    assert f'<td rowspan="22">{RESULTS_LABEL}</td><td colspan="2">（一）予以公开</td>' in text
    assert '<td rowspan="8">（三）不予公开</td><td>1.属于国家秘密</td>' in text
    assert '<td colspan="3">一、本年新收政府信息公开申请数量</td>' in text


def test_one_cell_per_line_text_is_tab_indented_with_blank_lines_between_rows():
    text = render_lines(*page())
    assert "\n\t规章\n\t" in text and "\n\n\t行政规范性文件\n" in text
    assert "\t\n\t\n\t2.其他法律行政法规禁止公开\n" in text  # two merged cells above the item


def test_glued_page_is_one_line_with_digit_runs():
    p, rng = page()
    text = render_glued(p, rng)
    assert text.count("\n") == 1
    assert "一、本年新收政府信息公开申请数量" in text


def test_page_break_repeats_the_spanning_labels():
    p, rng = page(["page_break"])
    text = render_lines(p, rng)
    assert text.count(RESULTS_LABEL) == 2 and "- 2 -" in text


def test_vertical_cut_and_fullwidth_labels():
    p, rng = page(["cut_headers", "vertical_labels", "fullwidth"], seed=1)
    text = render_lines(p, rng)
    assert "三、\n本年\n度办\n理结\n果" in text
    assert "然人" in text and "\t自然人" not in text
    assert "０" in text and "0" not in text.split("二、主动公开")[1]


def test_extra_value_adds_one_value_to_rows_from_granted_on_and_to_table_4():
    p, _ = page(["extra_value"])
    table2, table3, table4 = p.tables()
    widths = [sum(td.is_value for td in row) for row in table3.rows if any(td.is_value for td in row)]
    assert widths == [7, 7] + [8] * 23
    assert sum(td.is_value for td in table4.rows[-1]) == 16
    assert all(sum(td.is_value for td in row) <= 3 for row in table2.rows)


@pytest.mark.parametrize("layout", ["pdf", "docx"])
def test_pdf_and_docx_read_back_with_their_labels_and_values(layout):
    generated = generate(random.Random(2), layout, ("page_break",))
    text = ingest_bytes(generated.data, generated.filename).text
    assert "本年新收政府信息公开申请数量" in text and RESULTS_LABEL in text.replace(" ", "")
    assert str(generated.cells["applications.total_processed.total"]) in text


def test_write_suite_writes_pages_beside_loadable_gold(tmp_path):
    write_suite(tmp_path, len(SUITE_LAYOUTS), seed=4)
    cases, bad = load_cases(sorted(tmp_path.glob("*.json")))
    assert bad == [] and len(cases) == len(SUITE_LAYOUTS)
    assert {c.inputs[0].suffix for c in cases} == {".txt", ".md", ".html", ".pdf", ".docx"}


@pytest.mark.parametrize("seed", range(8))
def test_a_gold_lists_the_source_errors_planted_in_it_and_no_others(seed):
    clean = generate(random.Random(seed), "lines", (), "typical")
    planted = generate(random.Random(seed), "lines", (), "typical", source_error=True)
    assert clean.source_errors == ()
    changed = {k for k in clean.cells if clean.cells[k] != planted.cells[k]}
    touched = {
        c.id
        for i in table3_identities(planted.cells) + table4_identities()
        if changed & set((c := evaluate(i, planted.cells)).cells)
    }
    assert planted.source_errors and set(planted.source_errors) <= touched  # the planted cells' identities only


def test_pdf_embedded_carries_its_font_subset_and_reads_like_the_substituted_one():
    """The bench's pdf_embedded kind: the font is in the file (as word processors export), and the
    page reads to the same cells as the `pdf` layout, whose font the reader substitutes."""
    from nianbao.pipeline import extract_document

    embedded, plain = (generate(random.Random(3), layout, ()) for layout in ("pdf_embedded", "pdf"))
    assert b"/FontFile2" in embedded.data and b"/FontFile2" not in plain.data
    reports = [extract_document(ingest_bytes(g.data, g.filename), g.filename) for g in (embedded, plain)]
    assert [r.verdict.value for r in reports] == ["verified", "verified"]
    assert reports[0].values() == reports[1].values()
    assert {k: str(v) for k, v in reports[0].values().items()} == {
        k: str(embedded.cells[k]) for k in reports[0].values()
    }


def test_a6_page_whose_table_part_is_taller_than_a_page_is_drawn_in_smaller_type():
    """Seed 17's page 36 on A6: its labels wrapped a few characters a line make a part of table 三 taller than a
    page in the report's type; it is drawn with the cells' type a step smaller, as an agency fits its table."""
    pytest.importorskip("pymupdf")
    from nianbao.eval.damage import suite_case

    case = suite_case(17, 36, ("pymupdf-a6",))
    assert "五、存在的主要问题及改进情况" in case.data.decode("utf-8")  # drawn to its end
    assert case.name == "0036-pymupdf-a6-page_break"


def test_write_suite_leaves_out_a_case_that_cannot_be_drawn_and_names_it(tmp_path, monkeypatch, capsys):
    from nianbao.eval import damage
    from reportlab.platypus.doctemplate import LayoutError

    drawn = damage.suite_case

    def suite_case(seed, index, layouts):
        if index == 1:
            raise LayoutError("too large")
        return drawn(seed, index, layouts)

    monkeypatch.setattr(damage, "suite_case", suite_case)
    undrawn = damage.write_suite(tmp_path, 3, seed=4, layouts=("html",))
    assert undrawn == ["0001-html"]
    assert "0001-html of seed 4 could not be drawn" in capsys.readouterr().err
    assert len(list(tmp_path.glob("*.gold.json"))) == 2
