"""PDF documents through PDFium: the text layer, character boxes and ruled lines, rebuilt into tables by
`grid`; a PDF without a text layer goes through OCR. A decompression bomb is refused before PDFium inflates it."""

from __future__ import annotations

import ctypes
import re
import struct
import zlib
from functools import lru_cache

from nianbao.ingest import grid, pdffonts
from nianbao.ingest.document import CellBox, Grid, IngestError
from nianbao.ingest.pages import ocr_pages, render_layouts

MAX_PDF_PAGES = 200
MAX_PDF_INFLATED_BYTES = 256 * 2**20  # all Flate streams of one PDF, decompressed
_FOUR_FLOATS = struct.Struct("4f")
_THIN_PATH = 2.0  # points: a path this thin across is a ruled line (grid.find_tables takes up to 2.5)
_MAX_DEFLATE_RATIO = 1032  # deflate's bound: a 258-byte match per (at least) two bits
_STREAM_START = re.compile(rb"(?<!end)stream\r?\n")


def _check_inflated_size(data: bytes) -> None:
    """Refuse a decompression bomb before PDFium inflates it whole: every Flate stream is inflated here
    in bounded pieces, and their total is capped. Images count too: a stream's dictionary may say
    `/Subtype /Image` and still be drawn as page content, and a scanned page's image is decoded for OCR.

    Deflate inflates at most 1032 times its size, so a file too small to reach the cap is not inflated."""
    if len(data) * _MAX_DEFLATE_RATIO <= MAX_PDF_INFLATED_BYTES:
        return
    total, view, piece = 0, memoryview(data), 64 * 1024
    for match in _STREAM_START.finditer(data):
        inflater = zlib.decompressobj()
        try:
            for start in range(match.end(), len(data), piece):
                pending = view[start : start + piece]
                while pending and not inflater.eof:
                    total += len(inflater.decompress(pending, 2**20))
                    if total > MAX_PDF_INFLATED_BYTES:
                        raise IngestError(
                            f"PDF streams inflate to over {MAX_PDF_INFLATED_BYTES // 2**20} MiB (a decompression bomb?)"
                        )
                    pending = inflater.unconsumed_tail
                if inflater.eof:
                    break
        except zlib.error:
            continue  # not Flate, or encrypted: PDFium judges it


def ingest_pdf(data: bytes) -> tuple[str, list[Grid], list[CellBox], bool]:
    """The text layer through PDFium; the table grid rebuilt from character boxes and the page's ruled lines.

    A PDF with no text layer is a scan: it goes through OCR when the `ocr` extra is installed.
    """
    import pypdfium2 as pdfium

    _check_inflated_size(data)
    pdffonts.install()
    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        encrypted = "password" in str(exc).lower()
        raise IngestError(
            "encrypted PDF (a password is needed to read it)" if encrypted else f"broken PDF ({exc})"
        ) from None
    try:
        if len(pdf) > MAX_PDF_PAGES:
            raise IngestError(f"PDF has {len(pdf)} pages, over the {MAX_PDF_PAGES}-page limit")
        layouts, unmapped = [], 0
        try:
            for index in range(len(pdf)):
                boxes, rules, unmapped_here = _pdfium_page(pdf[index])
                unmapped += unmapped_here
                layouts.append(grid.layout(boxes, rules))
        except pdfium.PdfiumError as exc:
            raise IngestError(f"broken PDF ({exc} while reading a page)") from None
        text, grids, regions = render_layouts(layouts)
        if unmapped > 50:
            raise IngestError("PDF text is in a font with no character map; OCR it first: pip install '.[ocr]'")
        if not text.strip():
            return *ocr_pages(lambda ocr: ocr.render_pdf(pdf), "a PDF with no text layer (a scan)"), True
        return text, grids, regions, False
    finally:
        pdffonts.hold(pdf, len(data))  # the next document finds the substitute fonts this one loaded


def _pdfium_page(page) -> tuple[list[grid.Box], list[grid.Rule], int]:
    """Characters (loose boxes, top-down coordinates), ruled lines from path segments, unmapped glyphs."""
    import pypdfium2.raw as pdfium_c

    height = page.get_height()
    textpage = page.get_textpage()
    boxes, unmapped, rect = [], 0, pdfium_c.FS_RECTF()
    left, right, bottom, top = (ctypes.c_double() for _ in range(4))
    try:
        raw = textpage.raw
        count = pdfium_c.FPDFText_CountChars(raw)
        text = textpage.get_text_range(0, count)  # one call for the page; one box call per character
        if len(text) != count:  # characters outside the BMP take two units: fall back to one call each
            text = "".join(chr(pdfium_c.FPDFText_GetUnicode(raw, k)) for k in range(count))
        loose_box = _bare("FPDFText_GetLooseCharBox", ctypes.c_int, ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p)
        raw_at, rect_at, floats = _address(raw), ctypes.addressof(rect), _FOUR_FLOATS.unpack_from
        new, box, append = tuple.__new__, grid.Box, boxes.append  # a page has thousands of characters: lookups hoisted
        for k, char in enumerate(text):
            if char in "\x00\ufffd\ufffe":
                unmapped += 1
                continue
            if char <= " " or char.isspace():  # PDFium generates spaces and line breaks of its own
                continue
            loose_box(raw_at, k, rect_at)
            x0, y1, x1, y0 = floats(rect)  # FS_RECTF: left, top, right, bottom
            if y1 - y0 > 40 or x1 - x0 > 40:  # rotated text: PDFium's loose box is not the glyph's
                pdfium_c.FPDFText_GetCharBox(raw, k, left, right, bottom, top)
                x0, y1, x1, y0 = left.value, top.value, right.value, bottom.value
            append(new(box, (char, x0, height - y1, x1, height - y0, None)))
    finally:
        textpage.close()
    rules: list[grid.Rule] = []
    x, y = ctypes.c_float(), ctypes.c_float()

    def walk(obj, parent: tuple[float, ...]) -> None:
        """A path's straight segments (in page space through the forms' matrices) as rules."""
        kind = pdfium_c.FPDFPageObj_GetType(obj)
        if kind not in (pdfium_c.FPDF_PAGEOBJ_PATH, pdfium_c.FPDF_PAGEOBJ_FORM):
            return
        m = pdfium_c.FS_MATRIX()
        pdfium_c.FPDFPageObj_GetMatrix(obj, m)
        a, b, c, d, e, f = parent
        matrix = (
            m.a * a + m.b * c,
            m.a * b + m.b * d,
            m.c * a + m.d * c,
            m.c * b + m.d * d,
            m.e * a + m.f * c + e,
            m.e * b + m.f * d + f,
        )
        if kind == pdfium_c.FPDF_PAGEOBJ_FORM:
            for i in range(pdfium_c.FPDFFormObj_CountObjects(obj)):
                walk(pdfium_c.FPDFFormObj_GetObject(obj, i), matrix)
            return
        start = current = None
        for i in range(pdfium_c.FPDFPath_CountSegments(obj)):
            segment = pdfium_c.FPDFPath_GetPathSegment(obj, i)
            pdfium_c.FPDFPathSegment_GetPoint(segment, x, y)
            point = (
                x.value * matrix[0] + y.value * matrix[2] + matrix[4],
                x.value * matrix[1] + y.value * matrix[3] + matrix[5],
            )
            kind = pdfium_c.FPDFPathSegment_GetType(segment)
            if kind == pdfium_c.FPDF_SEGMENT_MOVETO:
                start = current = point
                continue
            if kind == pdfium_c.FPDF_SEGMENT_LINETO and current is not None:
                _add_rule(rules, current, point, height)
            current = point
            if pdfium_c.FPDFPathSegment_GetClose(segment) and start is not None:
                _add_rule(rules, current, start, height)
                current = start

    # A table's lines are mostly drawn one path each: a path whose bounds (in page space, stroke
    # included) are thin is that rule, read in one call; any other path or form is walked segment by segment.
    identity = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
    pointer, integer = ctypes.c_void_p, ctypes.c_int
    get_object = _bare("FPDFPage_GetObject", pointer, pointer, integer)
    get_type = _bare("FPDFPageObj_GetType", integer, pointer)
    bounds = _bare("FPDFPageObj_GetBounds", integer, pointer, pointer, pointer, pointer, pointer)
    corners = (ctypes.c_float * 4)()  # left, bottom, right, top
    corner_at = [ctypes.addressof(corners) + k * ctypes.sizeof(ctypes.c_float) for k in range(4)]
    path, form, page_at = pdfium_c.FPDF_PAGEOBJ_PATH, pdfium_c.FPDF_PAGEOBJ_FORM, _address(page.raw)
    for i in range(pdfium_c.FPDFPage_CountObjects(page.raw)):
        obj = get_object(page_at, i)
        kind = get_type(obj)
        if kind == path and bounds(obj, *corner_at):
            x0, y0, x1, y1 = corners
            if x1 - x0 <= _THIN_PATH or y1 - y0 <= _THIN_PATH:
                rules.append(grid.Rule(x0, height - y1, x1, height - y0))
                continue
        if kind == path or kind == form:
            walk(ctypes.cast(obj, pdfium_c.FPDF_PAGEOBJECT), identity)
    return boxes, rules, unmapped


def _address(handle) -> int:
    return ctypes.cast(handle, ctypes.c_void_p).value


@lru_cache(maxsize=None)
def _bare(name: str, restype, *argtypes):
    """PDFium's function `name` through a prototype of plain addresses and ints: pypdfium2's typed
    signature checks and converts every argument, about 2 μs a call, and a page makes thousands. The
    calls keep the GIL (PYFUNCTYPE): each takes microseconds, and releasing it cost an eighth of the call."""
    import pypdfium2.raw as pdfium_c

    return ctypes.PYFUNCTYPE(restype, *argtypes)(_address(getattr(pdfium_c, name)))


def _add_rule(rules: list[grid.Rule], p: tuple[float, float], q: tuple[float, float], height: float) -> None:
    """A straight horizontal or vertical segment as a rule; anything slanted is no table line."""
    (x0, y0), (x1, y1) = p, q
    if abs(x0 - x1) <= 0.5 or abs(y0 - y1) <= 0.5:
        rules.append(grid.Rule(min(x0, x1), height - max(y0, y1), max(x0, x1), height - min(y0, y1)))
