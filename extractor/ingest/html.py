"""HTML pages through lxml: the text in reading order, each data table rendered one row per line."""

from __future__ import annotations

import re

from nianbao.ingest.document import Grid, IngestError, cell_text, expand_spans, render_rows, span_of

HTML_MAX_DEPTH = 2048  # libxml2's nesting limit with huge_tree (256 without)

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
                    rows.append([cell_text(c.text_content()) for c in cells])
                    spans.append(
                        [(cell_text(c.text_content()), span_of(c, "colspan"), span_of(c, "rowspan")) for c in cells]
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
