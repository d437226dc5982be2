"""Stage 1 — ingest: any page (text, markdown, HTML, PDF, DOCX) → one normalised `Document`.

Tables that the source really has (HTML, DOCX, PDF) are rendered one row per line with cells
separated by tabs, so the parser reads every format through the same text path; the expanded
grids (colspan/rowspan filled in) are kept beside the text for anyone who wants the grid.
"""

from __future__ import annotations

import ctypes
import hashlib
import html
import io
import os
import re
import struct
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

from nianbao import grid, pdffonts

MAX_INPUT_BYTES = 25 * 1024 * 1024
MAX_DOCX_UNPACKED_BYTES = 200 * 1024 * 1024
MAX_PDF_PAGES = 200
MAX_GRID_CELLS = 200_000
MAX_PDF_INFLATED_BYTES = 256 * 2**20  # all non-image streams of one PDF, decompressed
HTML_MAX_DEPTH = 2048  # libxml2's nesting limit with huge_tree (256 without)

Grid = list[list[str]]
_FOUR_FLOATS = struct.Struct("4f")
_THIN_PATH = 2.0  # points: a path this thin across is a ruled line (grid.find_tables takes up to 2.5)
IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*")  # PNG, JPEG, TIFF


class IngestError(Exception):
    """A page nianbao cannot read; the message is one line, meant for the user."""


class Unreadable(IngestError):
    """The file, not its content, is the trouble: missing, not a regular file, or not readable now."""


class Region(NamedTuple):
    """Where a table cell's text sits in the document text, and where on which page it was read (a tuple:
    a report has hundreds, and a frozen dataclass is slow to make)."""

    start: int
    end: int
    page: int
    bbox: tuple[float, ...]  # x0, top, x1, bottom: PDF points, or pixels of the page image for OCR
    confidence: float | None = None  # OCR's confidence in the text (0: ink OCR could not read); None for a text layer


@dataclass(frozen=True)
class Document:
    text: str
    format: str  # text | markdown | html | pdf | docx | image
    name: str = ""
    sha256: str = ""
    tables: list[Grid] = field(default_factory=list)
    warnings: tuple[str, ...] = ()  # a reading limit that was hit: part of the page was not read
    regions: list[Region] = field(default_factory=list)  # table cells of PDF and OCR pages
    ocr: bool = False  # the text was read by OCR from images: every value is a reading, not a printed fact


def path_text(path: str | Path) -> str:
    """A path as text any output can carry: bytes of a name that are not UTF-8 (a Windows zip unpacked
    here) are written as `\\xNN` escapes instead of failing every JSON and CSV writer."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


# ---------------------------------------------------------------- normalisation

_BOOKMARK = re.compile(r"\[bookmark: [^\]]*\]")
_MD_EMPHASIS = re.compile(r"\*\*|__")
_MD_HEADING = re.compile(r"(?m)^[ \t]*#{1,6}[ \t]+")
_MD_RULE = re.compile(r"(?m)^[ \t]*\|?[ \t]*:?-{3,}:?[ \t]*(\|[ \t]*:?-{3,}:?[ \t]*)*\|?[ \t]*$")
# page footers and headers (format.md §3.25): "- 3 -", "— 3 —", "第 3 页", "第3页 共8页", "共8页 第3页"
_PAGE_NUMBER = re.compile(
    r"(?m)^[ \t]*(?:[-—–－]+[ \t]*\d{1,3}[ \t]*[-—–－]+|第[ \t]*\d{1,3}[ \t]*页(?:[ \t]*[/,，]?[ \t]*共[ \t]*\d{1,3}[ \t]*页)?"
    r"|共[ \t]*\d{1,3}[ \t]*页[ \t]*[/,，]?[ \t]*第[ \t]*\d{1,3}[ \t]*页)[ \t]*$"
)
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")  # a regex: str.translate is 7× slower on CJK text


def normalise(text: str) -> str:
    """NFKC plus removal of converter artefacts that would otherwise be read as numbers."""
    text = _INVISIBLE.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = unicodedata.normalize("NFKC", text)
    text = _BOOKMARK.sub("", text)
    text = _MD_RULE.sub("", text)
    text = _MD_HEADING.sub("", text)
    text = _MD_EMPHASIS.sub("", text)
    text = _PAGE_NUMBER.sub("", text)
    return text


# ---------------------------------------------------------------- format detection and text decoding


def sniff_format(data: bytes, name: str) -> str:
    suffix = Path(name).suffix.lower()
    head = data[:4096].lstrip()
    if data.startswith(b"%PDF"):
        return "pdf"
    if data.startswith(IMAGE_MAGIC):
        return "image"
    if data.startswith(b"PK\x03\x04"):
        if suffix == ".docx" or b"word/" in data[:65536]:
            return "docx"
        raise IngestError("a zip archive that is not a DOCX document")
    if suffix in {".pdf", ".docx"}:
        raise IngestError(f"not a valid {suffix[1:].upper()} file (its content does not match its name)")
    lowered = head[:2048].lower()
    if suffix in {".html", ".htm", ".xhtml"} or re.search(rb"<(!doctype html|html|body|table|div|p)[\s>]", lowered):
        return "html"
    return "markdown" if suffix in {".md", ".markdown"} else "text"


def decode_text(data: bytes) -> str:
    """UTF-8 first; otherwise the best of GB18030 (a superset of GBK/GB2312) or a detected codec."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 with its byte-order mark (Windows "Unicode" text)
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise IngestError("undecodable text: a UTF-16 byte-order mark but invalid UTF-16") from None
    if b"\x00" in data[:8192]:
        text = _utf16_without_bom(data)
        if text is None:
            raise IngestError("binary file (contains NUL bytes), not a text page")
        return text
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data[:200_000]).best()
    if best is None or best.encoding is None:
        raise IngestError("undecodable text: neither UTF-8 nor GB18030 nor any detectable encoding")
    return data.decode(best.encoding, errors="replace")


def _utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 text saved without its byte-order mark: the ASCII in it (digits, tabs, newlines) puts NUL
    bytes on one side of every pair and none on the other, which binary noise does not."""
    sample = data[:8192]
    even, odd = sample[0::2].count(0) / max(len(sample) // 2, 1), sample[1::2].count(0) / max(len(sample) // 2, 1)
    codec = "utf-16-le" if odd > 0.1 and even < 0.03 else "utf-16-be" if even > 0.1 and odd < 0.03 else None
    if codec is None:
        return None
    try:
        text = data[: len(data) // 2 * 2].decode(codec)
    except UnicodeDecodeError:
        return None
    return None if _looks_binary(text) else text


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")


def _looks_binary(text: str) -> bool:
    sample = text[:20000]
    return bool(sample) and len(_CONTROL.findall(sample)) / len(sample) > 0.05


# ---------------------------------------------------------------- table rendering shared by HTML/DOCX/PDF


def _cell_text(text: str | None) -> str:
    """Whitespace runs as one space, none at the ends (str.split's whitespace is the regex \\s)."""
    return " ".join(text.split()) if text else ""


def render_rows(rows: list[list[str]]) -> str:
    """A table as text: one row per line, cells separated by tabs (the parser's common format)."""
    return "\n".join("\t".join(cells) for cells in rows if any(c for c in cells))


def expand_spans(rows: list[list[tuple[str, int, int]]]) -> Grid:
    """Cells as (text, colspan, rowspan) → a rectangular grid with spanned positions filled in.

    A grid past MAX_GRID_CELLS (span bombs) is not expanded: the rows are still rendered as text.
    """
    if sum(colspan * rowspan for cells in rows for _, colspan, rowspan in cells) > MAX_GRID_CELLS:
        return []
    grid: dict[tuple[int, int], str] = {}
    for r, cells in enumerate(rows):
        c = 0
        for text, colspan, rowspan in cells:
            while (r, c) in grid:
                c += 1
            for dr in range(max(rowspan, 1)):
                for dc in range(max(colspan, 1)):
                    grid[(r + dr, c + dc)] = text
            c += max(colspan, 1)
    if not grid:
        return []
    height = max(r for r, _ in grid) + 1
    width = max(c for _, c in grid) + 1
    return [[grid.get((r, c), "") for c in range(width)] for r in range(height)]


# ---------------------------------------------------------------- HTML

_HTML_DROP = (
    "script",
    "style",
    "noscript",
    "template",
    "head",
    "nav",
    "header",
    "footer",
    "iframe",
    "object",
    "svg",
    "form",
    "button",
    "select",
)
_HTML_BLOCK = {
    "p",
    "div",
    "br",
    "li",
    "ul",
    "ol",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "section",
    "article",
    "tr",
    "td",
    "th",
    "table",
    "blockquote",
    "pre",
    "dd",
    "dt",
    "hr",
}


_XML_INCOMPATIBLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _span(el, attr: str) -> int:
    try:
        return max(1, min(int(re.sub(r"\D", "", el.get(attr, "1")) or 1), 1000))
    except ValueError:
        return 1


_DEPTH_ERROR = re.compile(r":(\d+):\d+:FATAL:PARSER:ERR_RESOURCE_LIMIT: Excessive depth")
# Tags that nest without bounds on real pages (an unclosed <span> per line, layout <div>s) and carry no
# table structure: a page too deep for the parser is read again with them flattened (blocks → <br>).
_FLATTEN = re.compile(
    r"<(/?)(span|font|b|i|u|em|strong|a|small|big|sub|sup|o:p|div|p|center|section|article)\b[^>]*>", re.I
)
_FLATTEN_BLOCKS = {"div", "p", "center", "section", "article"}


def _parse_html(raw: str):
    """lxml's tree and the line where libxml2's nesting limit stopped it (None: the whole page was read)."""
    import lxml.html
    from lxml import etree

    parser = lxml.html.HTMLParser(
        encoding="utf-8", remove_comments=True, remove_pis=True, no_network=True, huge_tree=True
    )
    try:
        root = lxml.html.document_fromstring(raw.encode("utf-8"), parser=parser)
    except (etree.ParserError, ValueError) as exc:
        raise IngestError(f"unreadable HTML ({exc})") from None
    stopped = next((int(m.group(1)) for e in parser.error_log if (m := _DEPTH_ERROR.search(str(e)))), None)
    return root, stopped


def ingest_html(raw: str) -> tuple[str, list[Grid], tuple[str, ...]]:
    """Text, grids, and a warning when the page nests deeper than the parser reads even once flattened."""
    raw = _XML_INCOMPATIBLE.sub("", raw)  # lxml refuses control characters anywhere in the tree
    root, stopped = _parse_html(raw)
    if stopped is not None:
        root, stopped = _parse_html(
            _FLATTEN.sub(lambda m: "<br>" if m.group(2).lower() in _FLATTEN_BLOCKS else "", raw)
        )
    warnings = (
        ()
        if stopped is None
        else (f"HTML nested deeper than {HTML_MAX_DEPTH} levels: the page was read only up to line {stopped}",)
    )
    for tag in _HTML_DROP:
        for el in root.iter(tag):
            el.drop_tree() if el.getparent() is not None else None
    grids: list[Grid] = []
    out: list[str] = []
    body = root.find("body")
    todo: list = [body if body is not None else root]  # elements to walk, and strings to emit, in reverse order
    while todo:  # a loop, not recursion: a page may nest 2,048 levels deep
        el = todo.pop()
        if isinstance(el, str):
            out.append(el)
            continue
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag == "table" and el.find(".//table") is None:  # a data table; one holding tables is page layout
            rows, spans = [], []
            for tr in el.iter("tr"):
                if _owning_table(tr) is el:
                    cells = [c for c in tr if isinstance(c.tag, str) and c.tag in ("td", "th")]
                    rows.append([_cell_text(c.text_content()) for c in cells])
                    spans.append(
                        [(_cell_text(c.text_content()), _span(c, "colspan"), _span(c, "rowspan")) for c in cells]
                    )
            grids.append(expand_spans(spans))
            out.append("\n" + render_rows(rows) + "\n")
            todo.append(el.tail or "")
            continue
        block = "\n" if tag in _HTML_BLOCK else ""
        out.append(block + (el.text or ""))
        todo.append(el.tail or "")
        todo.append(block)
        todo.extend(reversed(el))
    return "".join(out), grids, warnings


def _owning_table(tr):
    node = tr.getparent()
    while node is not None and node.tag != "table":
        node = node.getparent()
    return node


# ---------------------------------------------------------------- DOCX


def ingest_docx(data: bytes) -> tuple[str, list[Grid]]:
    """Paragraphs and tables straight from word/document.xml with lxml (python-docx's object layer cost
    ~100 ms a report). A cell merged down (vMerge) repeats its text in each row it covers, one merged
    across (gridSpan) appears once in its row: what python-docx's `row.cells` gives."""
    from lxml import etree

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            unpacked = sum(info.file_size for info in zf.infolist())
            if unpacked > MAX_DOCX_UNPACKED_BYTES:
                raise IngestError(
                    f"DOCX unpacks to {unpacked // 2**20} MiB, over the {MAX_DOCX_UNPACKED_BYTES // 2**20} MiB limit (zip bomb?)"
                )
            xml = zf.read("word/document.xml")
    except (zipfile.BadZipFile, KeyError, OSError, EOFError, zlib.error):
        raise IngestError("broken DOCX (not a readable zip archive with a word/document.xml)") from None
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, remove_comments=True)
    try:
        root = etree.fromstring(xml, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise IngestError(f"broken DOCX (word/document.xml: {exc})") from None
    body = root.find(_W + "body")
    parts: list[str] = []
    grids: list[Grid] = []
    for child in body.iterchildren(_P, _W + "tbl") if body is not None else ():
        if child.tag == _P:
            parts.append(_docx_paragraph(child))
        else:
            rows, grid_rows = _docx_table(child)
            grids.append(grid_rows)
            parts.append(render_rows(rows))
    return "\n".join(parts), grids


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_RUN_TEXT = {
    _W + "t": None,
    _W + "tab": "\t",
    _W + "ptab": "\t",
    _W + "br": "\n",
    _W + "cr": "\n",
    _W + "noBreakHyphen": "-",
}


_MAX_DEFLATE_RATIO = 1032  # deflate's bound: a 258-byte match per (at least) two bits
_STREAM_START = re.compile(rb"(?<!end)stream\r?\n")
_IMAGE = re.compile(rb"/Subtype\s*/Image")


def _check_inflated_size(data: bytes) -> None:
    """Refuse a decompression bomb before PDFium inflates it whole: every stream but images (which
    reading the text never decodes) is inflated here in bounded pieces, and their total is capped.

    Deflate inflates at most 1032 times its size, so a file too small to reach the cap is not inflated."""
    if len(data) * _MAX_DEFLATE_RATIO <= MAX_PDF_INFLATED_BYTES:
        return
    total, view, piece = 0, memoryview(data), 64 * 1024
    for match in _STREAM_START.finditer(data):
        head = data[max(0, match.start() - 2048) : match.start()]
        if _IMAGE.search(head[head.rfind(b" obj") :]):
            continue
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


_P, _R, _HYPERLINK, _BR, _TR, _TC, _TC_PR = (_W + tag for tag in ("p", "r", "hyperlink", "br", "tr", "tc", "tcPr"))


def _docx_paragraph(p) -> str:
    out: list[str] = []
    for run in p.iterchildren(_R, _HYPERLINK):
        for r in run.iterchildren(_R) if run.tag == _HYPERLINK else (run,):
            for node in r:
                tag = node.tag
                if tag in _RUN_TEXT:
                    if tag == _BR and node.get(_W + "type", "textWrapping") != "textWrapping":
                        continue  # a page or column break is no line of text
                    text = _RUN_TEXT[tag]
                    out.append((node.text or "") if text is None else text)
    return "".join(out)


def _docx_table(tbl) -> tuple[list[list[str]], Grid]:
    """Rows of cell texts (each merged cell once) and the expanded grid."""
    rows: list[list[str]] = []
    grid_rows: Grid = []
    above: dict[int, str] = {}  # grid column → text of the cell there in the previous row
    for tr in tbl.iterchildren(_TR):
        cells, expanded, column = [], [], 0
        for tc in tr.iterchildren(_TC):
            span, continued, paragraphs = 1, False, []
            for child in tc:  # one pass over the cell's children: tables hold hundreds of cells
                tag = child.tag
                if tag == _P:
                    paragraphs.append(_docx_paragraph(child))
                elif tag == _TC_PR:
                    for prop in child.iterchildren(_W + "gridSpan", _W + "vMerge"):
                        if prop.tag == _W + "gridSpan":
                            span = _span(prop, _W + "val")
                        else:
                            continued = prop.get(_W + "val", "continue") == "continue"
            text = above.get(column, "") if continued else _cell_text("\n".join(paragraphs))
            cells.append(text)
            for c in range(column, column + span):
                above[c] = text
                expanded.append(text)
            column += span
        rows.append(cells)
        grid_rows.append(expanded)
    return rows, grid_rows


# ---------------------------------------------------------------- PDF (PDFium: text layer, character boxes, ruled lines)


def ingest_pdf(data: bytes) -> tuple[str, list[Grid], list[Region], bool]:
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
            return *_ocr_pages(lambda ocr: ocr.render_pdf(pdf), "a PDF with no text layer (a scan)"), True
        return text, grids, regions, False
    finally:
        pdffonts.hold(pdf, len(data))  # the next document finds the substitute fonts this one loaded


def _ocr_pages(images, what: str) -> tuple[str, list[Grid], list[Region]]:
    """Page images (from `images(ocr module)`) through OCR, or the one-line refusal without the extra."""
    try:
        from nianbao import ocr
    except ImportError:
        raise IngestError(f"{what} needs OCR: install the OCR extra to read it: pip install '.[ocr]'") from None
    try:
        return render_layouts([ocr.read_image(image) for image in images(ocr)])
    except ocr.ImageError as exc:
        raise IngestError(str(exc)) from None


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


# ---------------------------------------------------------------- positioned pages → text


def render_layouts(pages: list[grid.PageLayout]) -> tuple[str, list[Grid], list[Region]]:
    """Pages of lines as one text (table rows tab-separated), their grids, and each table cell's region.

    Each piece is normalised here, so that `normalise` over the whole text keeps the offsets.
    """
    parts: list[str] = []
    grids: list[Grid] = []
    regions: list[Region] = []
    pos = 0
    for number, page in enumerate(pages, start=1):
        for line in page.lines:
            for k, piece in enumerate(line.pieces):
                text = _piece_text(piece.text)
                if k:
                    parts.append("\t")
                    pos += 1
                if line.table is not None and (text or piece.confidence == 0.0):  # 0: printed, but OCR read nothing
                    x0, top, x1, bottom = piece.bbox
                    bbox = (round(x0, 1), round(top, 1), round(x1, 1), round(bottom, 1))
                    regions.append(Region(pos, pos + len(text), number, bbox, piece.confidence))
                parts.append(text)
                pos += len(text)
            parts.append("\n")
            pos += 1
        grids.extend(page.grids)
    return "".join(parts), grids, regions


@lru_cache(maxsize=4096)
def _piece_text(text: str) -> str:
    """A cell's or line's text normalised (cached: a table repeats its "0"s and labels page after page)."""
    return normalise(text).replace("\n", " ").strip()


# ---------------------------------------------------------------- entry point


def ingest_bytes(data: bytes, name: str = "") -> Document:
    if not data.strip():
        raise IngestError("empty file")
    if len(data) > MAX_INPUT_BYTES:
        raise IngestError(f"file is {len(data) // 2**20} MiB, over the {MAX_INPUT_BYTES // 2**20} MiB limit")
    fmt = sniff_format(data, name)
    grids: list[Grid] = []
    warnings: tuple[str, ...] = ()
    regions: list[Region] = []
    scanned = False
    if fmt == "pdf":
        text, grids, regions, scanned = ingest_pdf(data)
    elif fmt == "image":
        text, grids, regions = _ocr_pages(lambda ocr: ocr.open_image(data), "an image")
        scanned = True
    elif fmt == "docx":
        text, grids = ingest_docx(data)
    else:
        text = decode_text(data)
        if _looks_binary(text):
            raise IngestError("binary file, not a text page")
        if fmt == "html":
            text, grids, warnings = ingest_html(text)
        elif "&nbsp;" in text or "&#" in text:  # text scraped from HTML with its entities left in
            text = html.unescape(text)
    normalised = normalise(text)
    if not normalised.strip():
        raise IngestError(f"no text in this {fmt} file" + "".join(f" ({w})" for w in warnings))
    if normalised != text:  # pieces were normalised one by one; anything the whole-text pass changed moves offsets
        regions = []
    return Document(
        text=normalised,
        format=fmt,
        name=name,
        sha256=hashlib.sha256(data).hexdigest(),
        tables=grids,
        warnings=warnings,
        regions=regions,
        ocr=scanned,
    )


def ingest_path(path: str | Path) -> Document:
    return ingest_bytes(read_input(path), path_text(Path(path).name))


def read_input(path: str | Path) -> bytes:
    """The file's bytes; Unreadable when the file cannot be had, IngestError when it is over the size limit."""
    path = Path(path)
    try:
        if not path.exists():
            raise Unreadable(f"no such file: {path_text(path)}")
        if not path.is_file():
            raise Unreadable(f"not a regular file: {path_text(path)}")
        size = path.stat().st_size
        if size > MAX_INPUT_BYTES:
            raise IngestError(f"file is {size // 2**20} MiB, over the {MAX_INPUT_BYTES // 2**20} MiB limit")
        return path.read_bytes()
    except OSError as exc:  # a folder on the way that we may not enter, a vanished file, an I/O error
        raise Unreadable(f"cannot read {path_text(path)}: {exc.strerror}") from None
