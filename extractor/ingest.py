"""Stage 1 — ingest: any page (text, markdown, HTML, PDF, DOCX) → one normalised `Document`.

Tables that the source really has (HTML, DOCX, PDF) are rendered one row per line with cells
separated by tabs, so the parser reads every format through the same text path; the expanded
grids (colspan/rowspan filled in) are kept beside the text for anyone who wants the grid.
"""

from __future__ import annotations

import hashlib
import html
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

MAX_INPUT_BYTES = 25 * 1024 * 1024
MAX_DOCX_UNPACKED_BYTES = 200 * 1024 * 1024
MAX_PDF_PAGES = 200
MAX_GRID_CELLS = 200_000

Grid = list[list[str]]


class IngestError(Exception):
    """A page nianbao cannot read; the message is one line, meant for the user."""


@dataclass(frozen=True)
class Document:
    text: str
    format: str  # text | markdown | html | pdf | docx
    name: str = ""
    sha256: str = ""
    tables: list[Grid] = field(default_factory=list)


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
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)


def normalise(text: str) -> str:
    """NFKC plus removal of converter artefacts that would otherwise be read as numbers."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").translate(_INVISIBLE)
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
        raise IngestError("binary file (contains NUL bytes), not a text page")
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


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")


def _looks_binary(text: str) -> bool:
    sample = text[:20000]
    return bool(sample) and len(_CONTROL.findall(sample)) / len(sample) > 0.05


# ---------------------------------------------------------------- table rendering shared by HTML/DOCX/PDF


def _cell_text(text: str | None) -> str:
    return re.sub(r"\s+", " ", text or "").strip()


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

_HTML_DROP = ("script", "style", "noscript", "template", "head", "nav", "header", "footer", "iframe", "object", "svg", "form", "button", "select")
_HTML_BLOCK = {"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article", "tr", "td", "th", "table", "blockquote", "pre", "dd", "dt", "hr"}


_XML_INCOMPATIBLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _span(el, attr: str) -> int:
    try:
        return max(1, min(int(re.sub(r"\D", "", el.get(attr, "1")) or 1), 1000))
    except ValueError:
        return 1


def ingest_html(raw: str) -> tuple[str, list[Grid]]:
    import lxml.html
    from lxml import etree

    parser = lxml.html.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True, no_network=True, huge_tree=False)
    raw = _XML_INCOMPATIBLE.sub("", raw)  # lxml refuses control characters anywhere in the tree
    try:
        root = lxml.html.document_fromstring(raw.encode("utf-8"), parser=parser)
    except (etree.ParserError, ValueError) as exc:
        raise IngestError(f"unreadable HTML ({exc})") from None
    for tag in _HTML_DROP:
        for el in root.iter(tag):
            el.drop_tree() if el.getparent() is not None else None
    grids: list[Grid] = []
    out: list[str] = []

    def walk(el) -> None:
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag == "table" and el.find(".//table") is None:  # a data table; one holding tables is page layout
            rows, spans = [], []
            for tr in el.iter("tr"):
                if _owning_table(tr) is el:
                    cells = [c for c in tr if isinstance(c.tag, str) and c.tag in ("td", "th")]
                    rows.append([_cell_text(c.text_content()) for c in cells])
                    spans.append([(_cell_text(c.text_content()), _span(c, "colspan"), _span(c, "rowspan")) for c in cells])
            grids.append(expand_spans(spans))
            out.append("\n" + render_rows(rows) + "\n")
        else:
            if tag in _HTML_BLOCK:
                out.append("\n")
            if el.text:
                out.append(el.text)
            for child in el:
                walk(child)
            if tag in _HTML_BLOCK:
                out.append("\n")
        if el.tail:
            out.append(el.tail)

    body = root.find("body")
    walk(body if body is not None else root)
    return "".join(out), grids


def _owning_table(tr):
    node = tr.getparent()
    while node is not None and node.tag != "table":
        node = node.getparent()
    return node


# ---------------------------------------------------------------- DOCX


def ingest_docx(data: bytes) -> tuple[str, list[Grid]]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            unpacked = sum(info.file_size for info in zf.infolist())
    except zipfile.BadZipFile:
        raise IngestError("broken DOCX (not a readable zip archive)") from None
    if unpacked > MAX_DOCX_UNPACKED_BYTES:
        raise IngestError(f"DOCX unpacks to {unpacked // 2**20} MiB, over the {MAX_DOCX_UNPACKED_BYTES // 2**20} MiB limit (zip bomb?)")
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises several unrelated types for broken packages
        raise IngestError(f"broken DOCX ({type(exc).__name__})") from None
    parts: list[str] = []
    grids: list[Grid] = []
    for child in document.element.body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            parts.append(Paragraph(child, document).text)
        elif tag == "tbl":
            table = Table(child, document)
            rows, grid = [], []
            for row in table.rows:
                row_cells = row.cells
                texts = [_cell_text(c.text) for c in row_cells]
                seen, cells = set(), []
                for cell, text in zip(row_cells, texts):
                    if id(cell._tc) not in seen:  # a merged cell is returned once per grid column
                        seen.add(id(cell._tc))
                        cells.append(text)
                rows.append(cells)
                grid.append(texts)
            grids.append(grid)
            parts.append(render_rows(rows))
    return "\n".join(parts), grids


# ---------------------------------------------------------------- PDF


def ingest_pdf(data: bytes) -> tuple[str, list[Grid]]:
    import pdfplumber

    try:
        pdf = pdfplumber.open(io.BytesIO(data))
    except Exception as exc:  # pdfminer raises many types for encrypted or broken files
        causes = [exc, *exc.args, exc.__cause__, exc.__context__]
        encrypted = any(re.search(r"Password|Encrypt", type(c).__name__ if isinstance(c, BaseException) else str(c)) for c in causes if c is not None)
        raise IngestError("encrypted PDF (a password is needed to read it)" if encrypted else f"broken PDF ({type(exc).__name__})") from None
    parts: list[str] = []
    grids: list[Grid] = []
    with pdf:
        if len(pdf.pages) > MAX_PDF_PAGES:
            raise IngestError(f"PDF has {len(pdf.pages)} pages, over the {MAX_PDF_PAGES}-page limit")
        try:
            for page in pdf.pages:
                parts.append(_pdf_page_text(page, grids))
        except Exception as exc:
            raise IngestError(f"broken PDF ({type(exc).__name__} while reading a page)") from None
    text = "\n".join(parts)
    if not text.strip():
        raise IngestError("PDF has no text layer (a scan?); OCR it first")
    if text.count("(cid:") > 50:
        raise IngestError("PDF text is in a font with no character map (cid:…); OCR it first")
    return text, grids


def _pdf_cell_text(text: str | None) -> str | None:
    """A narrow PDF cell wraps a long number over lines ("13146\n5"): one cell, one number."""
    if text is None:
        return None
    if re.fullmatch(r"[\d\s]+(?:\.[\d\s]+)?", text.strip()):
        return re.sub(r"\s", "", text)
    return _cell_text(text)


def _pdf_page_text(page, grids: list[Grid]) -> str:
    """Text lines outside the page's tables, and each table as tab-separated rows, in reading order."""
    tables = page.find_tables()
    boxes = [t.bbox for t in tables]

    def outside(obj) -> bool:
        cx = (obj.get("x0", 0) + obj.get("x1", 0)) / 2
        cy = (obj.get("top", 0) + obj.get("bottom", 0)) / 2
        return not any(x0 <= cx <= x1 and top <= cy <= bottom for x0, top, x1, bottom in boxes)

    blocks: list[tuple[float, str]] = [
        (line["top"], line["text"]) for line in page.filter(outside).extract_text_lines(return_chars=False)
    ]
    for table in tables:
        rows = [[_pdf_cell_text(c) for c in row] for row in table.extract()]
        grids.append([[c or "" for c in row] for row in rows])
        rendered = [[c for c in row if c is not None] for row in rows]
        blocks.append((table.bbox[1], render_rows(rendered)))
    return "\n".join(text for _, text in sorted(blocks, key=lambda b: b[0]))


# ---------------------------------------------------------------- entry point


def ingest_bytes(data: bytes, name: str = "") -> Document:
    if not data.strip():
        raise IngestError("empty file")
    if len(data) > MAX_INPUT_BYTES:
        raise IngestError(f"file is {len(data) // 2**20} MiB, over the {MAX_INPUT_BYTES // 2**20} MiB limit")
    fmt = sniff_format(data, name)
    grids: list[Grid] = []
    if fmt == "pdf":
        text, grids = ingest_pdf(data)
    elif fmt == "docx":
        text, grids = ingest_docx(data)
    else:
        text = decode_text(data)
        if _looks_binary(text):
            raise IngestError("binary file, not a text page")
        if fmt == "html":
            text, grids = ingest_html(text)
        elif "&nbsp;" in text or "&#" in text:  # text scraped from HTML with its entities left in
            text = html.unescape(text)
    text = normalise(text)
    if not text.strip():
        raise IngestError(f"no text in this {fmt} file")
    return Document(text=text, format=fmt, name=name, sha256=hashlib.sha256(data).hexdigest(), tables=grids)


def ingest_path(path: str | Path) -> Document:
    path = Path(path)
    if not path.exists():
        raise IngestError(f"no such file: {path}")
    if not path.is_file():
        raise IngestError(f"not a regular file: {path}")
    size = path.stat().st_size
    if size > MAX_INPUT_BYTES:
        raise IngestError(f"file is {size // 2**20} MiB, over the {MAX_INPUT_BYTES // 2**20} MiB limit")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise IngestError(f"cannot read {path}: {exc.strerror}") from None
    return ingest_bytes(data, path.name)
