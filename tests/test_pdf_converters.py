"""How the PDF→text/markdown converters people reach for (PyMuPDF, pymupdf4llm, pypdf, pdftext) lay out the
tables, each class read by rule from a small page of that shape (docs/damage.md)."""

from __future__ import annotations

import re

from pages import T3_LABEL_TEXT, page, t3_cells
from test_converted import VARIED
from test_parser import extract


def test_an_items_ordinal_spaced_from_its_label_is_no_value():
    """pypdf spaces an item's ordinal from its label ('2. 其他法律行政法规禁止公开'), wrapping the label over two
    lines with the row's numbers after the second: the ordinal is text, not one number too many for the row above."""
    labels = {}
    for row, label in T3_LABEL_TEXT.items():
        title, _, item = label.rpartition(" ")
        spaced = re.sub(r"^(\d)\.", r"\1. ", item)
        labels[row] = "\n".join(filter(None, [title, spaced[:9], spaced[9:]]))
    report = extract(page(VARIED, t3_labels=labels))
    for key, value in t3_cells(VARIED).items():
        assert report.cells[key].value == value, key
    assert report.verdict.value == "verified"
