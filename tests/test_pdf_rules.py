"""Ruled lines read from a PDF's paths (one call per thin path, a walk of the segments for the rest), and cell text."""

from __future__ import annotations

import io
import itertools

import pytest
from nianbao.ingest import ingest_bytes

CELLS = [["A", "1", "22"], ["B", "333", "4"], ["C", "5", "6"]]


def _ruled_pdf(drawing: str, width: float) -> bytes:
    """A 3 × 3 table ruled by `drawing`: one path per line, one closed rectangle per cell, or lines
    drawn as thin filled rectangles (as many word processors export them)."""
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=(400, 300))
    pdf.setLineWidth(width)
    xs, ys = [50, 150, 250, 350], [250, 200, 150, 100]
    if drawing == "lines":
        for x in xs:
            pdf.line(x, ys[-1], x, ys[0])
        for y in ys:
            pdf.line(xs[0], y, xs[-1], y)
    elif drawing == "cells":
        for x0, x1 in itertools.pairwise(xs):
            for y1, y0 in itertools.pairwise(ys):
                pdf.rect(x0, y0, x1 - x0, y1 - y0, stroke=1, fill=0)
    else:
        for x in xs:
            pdf.rect(x - width / 2, ys[-1], width, ys[0] - ys[-1], stroke=0, fill=1)
        for y in ys:
            pdf.rect(xs[0], y - width / 2, xs[-1] - xs[0], width, stroke=0, fill=1)
    for row, y in zip(CELLS, ys[:-1], strict=True):  # a row's text below its top rule
        for text, x in zip(row, xs[:-1], strict=True):  # a cell's text right of its left rule
            pdf.drawString(x + 10, y - 30, text)
    pdf.save()
    return out.getvalue()


@pytest.mark.parametrize("drawing, width", [("lines", 0.5), ("lines", 3.0), ("cells", 0.5), ("filled", 1.0)])
def test_a_table_ruled_any_way_gives_the_same_grid(drawing, width):
    doc = ingest_bytes(_ruled_pdf(drawing, width), "t.pdf")
    assert doc.tables == [CELLS]
    assert doc.text.splitlines() == ["\t".join(row) for row in CELLS]


def test_a_cells_whitespace_runs_become_one_space():
    """HTML and DOCX cells: line breaks, indentation and ideographic spaces inside a cell are one space."""
    page = "<table><tr><td>\n  本年\n\t新收\u3000 申请 </td><td> 7 </td></tr></table>".encode()
    assert ingest_bytes(page, "t.html").tables == [[["本年 新收 申请", "7"]]]
