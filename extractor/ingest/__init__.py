"""Stage 1 — ingest: any page (text, markdown, HTML, PDF, DOCX) → one normalised `Document`.

Tables that the source really has (HTML, DOCX, PDF) are rendered one row per line with cells
separated by tabs, so the parser reads every format through the same text path; the expanded
grids (colspan/rowspan filled in) are kept beside the text for anyone who wants the grid.
"""

from __future__ import annotations

import hashlib
from html import unescape
from pathlib import Path

from nianbao.ingest.document import MAX_INPUT_BYTES, CellBox, Document, Grid, IngestError, path_text
from nianbao.ingest.docx import ingest_docx
from nianbao.ingest.html import ingest_html
from nianbao.ingest.pages import ocr_pages
from nianbao.ingest.pdf import ingest_pdf
from nianbao.ingest.properties import docx_properties, html_properties, pdf_properties
from nianbao.ingest.text import decode_text, looks_binary, normalise, sniff_format

__all__ = ["CellBox", "Document", "IngestError", "ingest_bytes", "ingest_path", "normalise", "path_text"]


def ingest_bytes(data: bytes, name: str = "") -> Document:
    if not data.strip():
        raise IngestError("empty file")
    if len(data) > MAX_INPUT_BYTES:
        raise IngestError(f"file is {len(data) // 2**20} MiB, over the {MAX_INPUT_BYTES // 2**20} MiB limit")
    fmt = sniff_format(data, name)
    grids: list[Grid] = []
    warnings: tuple[str, ...] = ()
    boxes: list[CellBox] = []
    scanned = False
    properties: dict[str, str] = {}
    if fmt == "pdf":
        text, grids, boxes, scanned = ingest_pdf(data)
        properties = pdf_properties(data)
    elif fmt == "image":
        text, grids, boxes = ocr_pages(lambda ocr: ocr.open_image(data), "an image")
        scanned = True
    elif fmt == "docx":
        text, grids = ingest_docx(data)
        properties = docx_properties(data)
    else:
        text = decode_text(data)
        if looks_binary(text):
            raise IngestError("binary file, not a text page")
        if fmt == "html":
            properties = html_properties(text)
            text, grids, warnings = ingest_html(text)
        elif "&nbsp;" in text or "&#" in text:  # text scraped from HTML with its entities left in
            text = unescape(text)
    normalised = normalise(text)
    if not normalised.strip():
        raise IngestError(f"no text in this {fmt} file" + "".join(f" ({w})" for w in warnings))
    if normalised != text:  # pieces were normalised one by one; anything the whole-text pass changed moves offsets
        boxes = []
    return Document(
        text=normalised,
        format=fmt,
        name=name,
        sha256=hashlib.sha256(data).hexdigest(),
        tables=grids,
        warnings=warnings,
        cell_boxes=boxes,
        ocr=scanned,
        properties=properties,
    )


def ingest_path(path: str | Path) -> Document:
    path = Path(path)
    try:
        if not path.exists():
            raise IngestError(f"no such file: {path_text(path)}")
        if not path.is_file():
            raise IngestError(f"not a regular file: {path_text(path)}")
        size = path.stat().st_size
        if size > MAX_INPUT_BYTES:
            raise IngestError(f"file is {size // 2**20} MiB, over the {MAX_INPUT_BYTES // 2**20} MiB limit")
        data = path.read_bytes()
    except OSError as exc:  # a folder on the way that we may not enter, a vanished file, a name too long
        raise IngestError(f"cannot read {path_text(path)}: {exc.strerror}") from None
    except ValueError:  # a NUL byte: no file has such a name
        raise IngestError(f"no such file: {path_text(path)!r}") from None
    return ingest_bytes(data, path_text(path.name))
