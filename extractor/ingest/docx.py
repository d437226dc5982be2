"""DOCX documents: paragraphs and tables read straight from word/document.xml."""

from __future__ import annotations

import io
import zipfile
import zlib

from nianbao.ingest.document import Grid, IngestError, cell_text, render_rows, span_of

MAX_DOCX_UNPACKED_BYTES = 200 * 1024 * 1024


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
                            span = span_of(prop, _W + "val")
                        else:
                            continued = prop.get(_W + "val", "continue") == "continue"
            text = above.get(column, "") if continued else cell_text("\n".join(paragraphs))
            cells.append(text)
            for c in range(column, column + span):
                above[c] = text
                expanded.append(text)
            column += span
        rows.append(cells)
        grid_rows.append(expanded)
    return rows, grid_rows
