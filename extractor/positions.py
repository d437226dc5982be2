"""Cells of positioned pages (PDF, OCR): where each was read, and what OCR could and could not read.

Every cell whose span lies in a table cell of the page gets that cell's page and box (and OCR's
confidence). On an OCR'd page every value is flagged `ocr`: a reading of the print, which stands only
where an identity or the prose checks it or a second recognition of its crop agreed (`ocr_agreed`). A cell where ink is printed but OCR read nothing is not
blank: it is `not_found`, and where one identity has it as its only unknown the number that identity
requires is proposed as a candidate, flagged `inferred` — the value stays null, never presented as
printed.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable

from nianbao.check import table3_identities, table4_identities
from nianbao.ingest import CellBox, Document
from nianbao.schemas.keys import T2_KEYS
from nianbao.schemas.record import Cell

# A table cell read as a number or a dash (the zero marker), as the normalised text prints it.
_NUMBERISH = re.compile(r"[\d,.]+|[—–\-－一ー─_﹣]")


def _row_read_whole(text: str, span: tuple[int, int]) -> bool:
    """Every cell of the span's row but its label read as a number or a dash.

    A cell read as something else ("D", "=", nothing) may be a value the row lost, so the row's other values
    may sit a column off: two readings agreeing say a value's digits are right, not its column.
    """
    start, end = text.rfind("\n", 0, span[0]) + 1, text.find("\n", span[1])
    return all(_NUMBERISH.fullmatch(piece.strip()) for piece in text[start : None if end < 0 else end].split("\t")[1:])


def _cell_box(boxes: list[CellBox], starts: list[int], span: tuple[int, int] | None) -> CellBox | None:
    if span is None:
        return None
    index = bisect_right(starts, span[0]) - 1
    if index < 0:
        return None
    box = boxes[index]
    return box if box.start <= span[0] and span[1] <= box.end else None


def placement(doc: Document) -> Callable[[tuple[int, int] | None], dict] | None:
    """span → the page, box and confidence of the table cell it lies in ({} where none), or None for a page
    without positions: the parser builds each cell with them (a copy of each cell cost a sixth of the stage)."""
    if not doc.cell_boxes:
        return None
    boxes, starts = doc.cell_boxes, [b.start for b in doc.cell_boxes]

    def place(span: tuple[int, int] | None) -> dict:
        box = _cell_box(boxes, starts, span)
        return {} if box is None else {"page": box.page, "bbox": box.bbox, "confidence": box.confidence}

    return place


def flag_ocr(cells: dict[str, Cell], doc: Document) -> dict[str, Cell]:
    """On OCR pages every value flagged, and `ocr_agreed` where a second recognition of its cell read the same;
    a blank cell where ink is printed (confidence 0) lost, and inferred."""
    if not doc.ocr:
        return cells
    boxes, starts = doc.cell_boxes, [b.start for b in doc.cell_boxes]
    out: dict[str, Cell] = {}
    lost: list[str] = []
    for key, cell in cells.items():
        if cell.value is not None and "ocr" not in cell.flags:
            box = _cell_box(boxes, starts, cell.span)
            agreed = box is not None and box.agreed
            if agreed and key in T2_KEYS:  # no identity checks table 二's columns: its row must be read whole
                agreed = _row_read_whole(doc.text, cell.span)
            agreed = ["ocr_agreed"] if agreed else []
            cell = cell.model_copy(update={"flags": [*cell.flags, "ocr", *agreed]})
        elif "blank" in cell.flags and cell.page is not None and cell.confidence == 0.0:
            cell = cell.model_copy(update={"flags": ["not_found", "ocr"]})
            lost.append(key)
        out[key] = cell
    for key in lost:
        out[key] = _inferred(out, key)
    return out


def _inferred(cells: dict[str, Cell], key: str) -> Cell:
    """The numbers the identities holding `key` as their only unknown require (none below zero)."""
    values = {k: c.value for k, c in cells.items()}
    found = []
    for identity in table3_identities(values) + table4_identities():
        if key not in identity.keys or any(values.get(k) is None for k in identity.keys if k != key):
            continue
        lhs = sum(values[k] for k in identity.lhs if k != key)
        rhs = sum(values[k] for k in identity.rhs if k != key)
        number = lhs - rhs if key in identity.rhs else rhs - lhs
        if number >= 0 and number not in found:
            found.append(number)
    cell = cells[key]
    if not found:
        return cell
    return cell.model_copy(update={"flags": [*cell.flags, "inferred"], "candidates": found})
