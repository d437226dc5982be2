"""Plain text and markdown: format detection, decoding (UTF-8, GB18030, UTF-16) and the normalisation every
format's text goes through."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from nianbao.ingest.document import IngestError
from nianbao.schemas.template import SECTION_TITLES, T2_LABELS, T3_VOCABULARY

IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*")  # PNG, JPEG, TIFF

# ---------------------------------------------------------------- normalisation

_BOOKMARK = re.compile(r"\[bookmark: [^\]]*\]")
_MD_EMPHASIS = re.compile(r"\*\*|__")
# inline markup a PDF→markdown converter writes around a cell's text (pymupdf4llm: small type as
# `<sup>50613</sup>`): its tags are no text, and the `/` of a closing tag is no zero marker
_MD_INLINE_TAG = re.compile(r"</?(?:sup|sub|b|i|u|s|em|strong|small|span|mark|del|ins)(?:\s[^<>\n]*)?>", re.IGNORECASE)
# a line break inside a markdown table's cell (pymupdf4llm: `| 2.其他法律行政<br>法规禁止公开<br>0 |`): a space
_MD_CELL_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
_MD_HEADING = re.compile(r"(?m)^[ \t]*#{1,6}[ \t]+")
_MD_RULE = re.compile(r"(?m)^[ \t]*\|?[ \t]*:?-{3,}:?[ \t]*(\|[ \t]*:?-{3,}:?[ \t]*)*\|?[ \t]*$")
# page footers and headers (format.md §3.25): "- 3 -", "— 3 —", "第 3 页", "第3页 共8页", "共8页 第3页"
_PAGE_NUMBER = re.compile(
    r"(?m)^[ \t]*(?:[-—–－]+[ \t]*\d{1,3}[ \t]*[-—–－]+|第[ \t]*\d{1,3}[ \t]*页(?:[ \t]*[/,，]?[ \t]*共[ \t]*\d{1,3}[ \t]*页)?"
    r"|共[ \t]*\d{1,3}[ \t]*页[ \t]*[/,，]?[ \t]*第[ \t]*\d{1,3}[ \t]*页)[ \t]*$"
)
# the same page number put into a markdown table row by a PDF→markdown converter ("| - 3 | - |"): the dash
# before the number shares its cell, so a row of values ("| - | 3 | - |") is not one
_PAGE_NUMBER_ROW = re.compile(r"(?m)^[ \t]*\|[ \t|]*[-—–－]+[ \t]*\d{1,3}[ \t|]*[-—–－]+[ \t|]*$")
# a converter's comment is not printed (pymupdf4llm: `<!-- End of picture text -->`, whose dashes read as zero markers)
_COMMENT = re.compile(r"<!--[^\n]{0,200}?-->")
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")  # a regex: str.translate is 7× slower on CJK text


# a section's title a PDF→markdown converter put into the first cell of the table row above it, under the row's label
# (pymupdf4llm: `|行政事业性收费<br>三、收到和处理政府信息公开申请情况||||||-||`): the title is printed after the row
_TITLE_IN_CELL = re.compile(
    r"(?m)^([ \t]*\|[^|\n]*?\S)[ \t]*<br\s*/?>[ \t]*([一二三四五六][ \t]*、[^|<\n]{2,30}?情况)[ \t]*((?:<br\s*/?>[ \t]*)*)(\|.*)$"
)
# a cell's line break between numbers (pymupdf4llm: `| 2<br>201 |`, several of the page's columns printed in one
# cell, a digit of one glued to the number before it): an ideographic space, whitespace to every reading, that
# `nianbao.assemble.stacked` tells from a space the page printed (markitdown: `| 10 1 |`)
STACKED_BREAK = "\u3000"
_STACKED_DIGITS = re.compile(r"(?<=\d)[ \t]*<br\s*/?>[ \t]*(?=\d)", re.IGNORECASE)
_WOVEN_ROW = re.compile(r"(?m)^[ \t]*\|.*<br.*$", re.IGNORECASE)
_ORDINAL = re.compile(r"^\d[.、．]")


def _title_after_row(m: re.Match) -> str:
    """The row without the section title in its first cell, the title on the line after it; the row as printed where
    its first cell holds more than one table 二 label (`行政强制<br>第二<br>信息内容<br>行政事业性收`: which cell's number
    is whose is no longer the row's) or the title is none of the report's."""
    label, title = (re.sub(r"\s|<br\s*/?>", "", g) for g in (m[1].lstrip(" \t|"), m[2]))
    if label not in T2_VOCABULARY or title not in SECTION_TITLES:
        return m[0]
    return f"{m[1]}{m[4]}\n{m[2]}"


T2_VOCABULARY = frozenset(keyword for label in T2_LABELS for keyword in label.keywords)


def _label_piece(text: str) -> bool:
    piece = _ORDINAL.sub("", re.sub(r"\s", "", text))
    return len(piece) > 5 and piece in T3_VOCABULARY


def read_across(cells: list[list[str]]) -> str:
    """Neighbouring cells a PDF→markdown converter cut top to bottom, each as its lines' pieces: the text line by
    line across them (`| 50613<br>7 | 362.6 |` is 50613 362.6 / 7), a cell whose last lines are empty having fewer."""
    return "".join(lines[k] for k in range(max(map(len, cells), default=0)) for lines in cells if k < len(lines))


def _unweave(row: str) -> str:
    """A label cell a PDF→markdown converter cut into columns where its lines cross column borders (pymupdf4llm:
    `| 1.申请人无正当理由<br>机关不再处理其政 | 逾期不补正、行政<br>府信息公开申请 |`): each line's pieces lie in
    neighbouring cells, so the label reads line by line across them (a cell whose last lines are empty has fewer
    pieces). Where that reading of a run of cells is a template label and the cells read one after the other are none, the
    label is written back across those cells in reading order (a label reads across a cell border)."""
    cells = row.split("|")
    lines = [[p.strip() for p in _MD_CELL_BREAK.split(cell) if p.strip()] for cell in cells]
    i = 0
    while i < len(cells) - 1:
        for j in range(len(cells), i + 1, -1):
            run = lines[i:j]
            depth = max(len(pieces) for pieces in run)
            if depth < 2 or not all(run):
                continue
            woven = read_across(run)
            if _label_piece(woven) and not _label_piece("".join(p for pieces in run for p in pieces)):
                size = -(-len(woven) // len(run))
                cells[i:j] = [woven[k * size : (k + 1) * size] for k in range(len(run))]
                i = j - 1
                break
        i += 1
    return "|".join(cells)


def normalise(text: str) -> str:
    """NFKC plus removal of converter artefacts that would otherwise be read as numbers."""
    # a form feed is a page break (pdftotext prints one before each page's first line)
    text = _INVISIBLE.sub("", text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n"))
    text = unicodedata.normalize("NFKC", text)
    text = _BOOKMARK.sub("", text)
    text = _COMMENT.sub("", text)
    text = _MD_RULE.sub("", text)
    text = _MD_HEADING.sub("", text)
    text = _MD_EMPHASIS.sub("", text)
    text = _MD_INLINE_TAG.sub("", text)
    if "<br" in text:
        text = _TITLE_IN_CELL.sub(_title_after_row, text)
        text = _WOVEN_ROW.sub(lambda m: _unweave(m.group()), text)
    text = _STACKED_DIGITS.sub(STACKED_BREAK, text)
    text = _MD_CELL_BREAK.sub(" ", text)
    text = _PAGE_NUMBER.sub("", text)
    text = _PAGE_NUMBER_ROW.sub("", text)
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
    return None if looks_binary(text) else text


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")


def looks_binary(text: str) -> bool:
    sample = text[:20000]
    return bool(sample) and len(_CONTROL.findall(sample)) / len(sample) > 0.05
