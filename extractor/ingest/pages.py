"""Positioned pages (a PDF's text layer, OCR's text boxes) → one text with table rows tab-separated, and
where each table cell sits on its page."""

from __future__ import annotations

import re
from functools import lru_cache

from nianbao.ingest import grid
from nianbao.ingest.document import CellBox, Grid, IngestError
from nianbao.ingest.text import normalise


def ocr_pages(images, what: str) -> tuple[str, list[Grid], list[CellBox]]:
    """Page images (from `images(ocr module)`) through OCR, or the one-line refusal without the extra."""
    try:
        from nianbao.ingest import ocr
    except ImportError:
        raise IngestError(f"{what} needs OCR: install the OCR extra to read it: pip install '.[ocr]'") from None
    try:
        return render_layouts([ocr.read_image(image) for image in images(ocr)])
    except ocr.ImageError as exc:
        raise IngestError(str(exc)) from None


def render_layouts(pages: list[grid.PageLayout]) -> tuple[str, list[Grid], list[CellBox]]:
    """Pages of lines as one text (table rows tab-separated), their grids, and each table cell's box.

    Each piece is normalised here, so that `normalise` over the whole text keeps the offsets.
    """
    parts: list[str] = []
    grids: list[Grid] = []
    boxes: list[CellBox] = []
    pos = 0
    for number, page in enumerate(pages, start=1):
        for line in page.lines[:-1] if _folio(page) else page.lines:
            for k, piece in enumerate(line.pieces):
                text = _piece_text(piece.text)
                if k:
                    parts.append("\t")
                    pos += 1
                if line.table is not None and (text or piece.confidence == 0.0):  # 0: printed, but OCR read nothing
                    x0, top, x1, bottom = piece.bbox
                    bbox = (round(x0, 1), round(top, 1), round(x1, 1), round(bottom, 1))
                    boxes.append(CellBox(pos, pos + len(text), number, bbox, piece.confidence, piece.agreed))
                parts.append(text)
                pos += len(text)
            parts.append("\n")
            pos += 1
        grids.extend(page.grids)
    return "".join(parts), grids, boxes


# a page number as OCR reads it: "- 4 -" with its thin dashes kept, lost on one side or both ("-4", "4")
_FOLIO = re.compile(r"[-—–－一_\s]*\d{1,3}[-—–－一_\s]*")


def _folio(page: grid.PageLayout) -> bool:
    """The page's last line is its page number: outside the tables, a number of at most three digits alone (the
    footer format.md §3.25 describes, with the dashes that `normalise` knows it by lost)."""
    last = page.lines[-1] if page.lines else None
    return bool(last and last.table is None and _FOLIO.fullmatch(" ".join(p.text for p in last.pieces)))


@lru_cache(maxsize=4096)
def _piece_text(text: str) -> str:
    """A cell's or line's text normalised (cached: a table repeats its "0"s and labels page after page)."""
    return normalise(text).replace("\n", " ").strip()
