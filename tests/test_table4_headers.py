"""Table 四 in a converter's order: a reordering its totals allow is not read against the result headers printed
right above its numbers."""

from __future__ import annotations

from nianbao.eval.damage import suite_case
from nianbao.schemas.keys import T4_COLUMNS, T4_GROUPS, t4_key
from test_parser import extract

T4_KEYS = [t4_key(g, c) for g in T4_GROUPS for c in T4_COLUMNS]


def test_an_order_the_totals_allow_that_puts_numbers_under_another_results_header_is_left_open():
    # pdfminer prints table 四's header boxes each above its number (`结果\n纠正` / `９`, `其他结\n果` / `２０`) and the
    # rest after the next sections: the one flow order whose group totals hold puts 9 under 结果维持 and 20 under
    # 结果纠正, while another group order holds as well (review 27 0 0 99 126, after review 0 9 20 0 29). Both
    # balance, so the totals are no evidence of the order: the cells are open, never read one group off.
    case = suite_case(28, 38, ("pdfminer",))
    report = extract(case.data.decode("utf-8"))
    values = report.values()
    wrong = [k for k in T4_KEYS if values.get(k) is not None and values[k] != case.cells[k]]
    assert not wrong, wrong
    assert report.verdict.value != "verified" and any(values.get(k) is None for k in T4_KEYS)
