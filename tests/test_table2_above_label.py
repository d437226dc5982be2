"""Table 二's one-number rows where a converter prints a row's number above its label (pdfminer with boxes_flow 1):
the number after one label may be the next row's, and table 二 has no identity to tell."""

from pages import T2_DEFAULT, consistent_table3, page
from test_parser import extract

TABLE3 = consistent_table3({"granted": [4, 1, 0, 0, 0, 0]}, new_received=[5, 1, 0, 0, 0, 0])


def test_a_number_between_a_label_and_a_next_label_that_holds_none_is_left_open():
    # `行政处罚` / `42` / `行政强制` / `行政事业性收费`: 42 may be 行政处罚's or 行政强制's printed above its label
    t2 = {**T2_DEFAULT, "行政处罚": [42], "行政强制": []}
    report = extract(page(TABLE3, t2=t2))
    values = report.values()
    assert values["active.penalty.decisions"] is None
    assert values["active.licensing.decisions"] == 15


def test_a_row_whose_next_row_holds_its_own_number_is_read():
    report = extract(page(TABLE3))
    assert report.values()["active.penalty.decisions"] == 7
