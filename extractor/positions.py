"""Cells of positioned pages (PDF, OCR): where each was read, and what OCR could and could not read.

Every cell whose span lies in a table cell of the page gets that cell's page and box (and OCR's
confidence). On an OCR'd page every value is flagged `ocr`: a reading of the print, which stands only
where an identity or the prose checks it or a second recognition of its crop agreed (`ocr_agreed`). A cell where ink is printed but OCR read nothing is not
blank: it is `not_found`, and where one identity has it as its only unknown the number that identity
requires is proposed as a candidate, flagged `inferred` — the value stays null, never presented as
printed.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable

from nianbao.check import table3_identities, table4_identities
from nianbao.ingest import CellBox, Document
from nianbao.schemas.keys import T2_2019_ROWS, T2_ROWS, t2_2019_key, t2_key
from nianbao.schemas.record import Cell

# Table 二's rows (2021 and 2019): key → (its column among the row's values, the row's value count).
_T2_COLUMNS = {
    key(row, column): (i, len(columns))
    for rows, key in ((T2_ROWS, t2_key), (T2_2019_ROWS, t2_2019_key))
    for row, columns in rows.items()
    for i, column in enumerate(columns)
}


def _in_its_column(text: str, key: str, span: tuple[int, int]) -> bool:
    """The table 二 cell at `span` lies in the column its key names: the grid keeps every cell of a row, read or
    not, so the row's value columns are its last ones, and the key's is `count - column` from the end.

    A cell read as something else ("D", "=", nothing) may be a value the row lost, and the row's other values may
    then be placed a column off: two readings agreeing say a value's digits are right, not its column.
    """
    column, count = _T2_COLUMNS[key]
    start, end = text.rfind("\n", 0, span[0]) + 1, text.find("\n", span[1])
    fields = text.count("\t", start, None if end < 0 else end) + 1
    return text.count("\t", start, span[0]) == fields - count + column


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
            if agreed and key in _T2_COLUMNS:  # no identity checks table 二's columns: the grid's must
                agreed = _in_its_column(doc.text, key, cell.span)
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
