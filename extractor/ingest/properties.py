"""Where a page names itself outside its text: the HTML `<title>` and headings, PDF document info, DOCX core
properties. Ingest carries them in `Document.properties` as metadata evidence (nianbao.meta weighs them).

Each reader is cheap and never fails the page: a property that cannot be read is simply absent.
"""

from __future__ import annotations

import html
import io
import re
import zipfile

MAX_PROPERTY = 300  # characters kept of one property: a title, not a page

_OPEN = re.compile(r"<(title|h[1-4]|meta)[\s>/]", re.I)  # fixed width: one linear pass over the page
_CLOSE = {name: re.compile(rf"</{name}\s*>", re.I) for name in ("title", "h1", "h2", "h3", "h4")}
_META_NAME = re.compile(r"""(?:name|property)\s*=\s*["']?(ArticleTitle|og:title|title)["'\s>/]""", re.I)
_META_CONTENT = re.compile(r"""content\s*=\s*(["'])(.*?)\1""", re.I | re.S)
MAX_TAGS = 2000  # title, heading and meta tags looked at: a page of thousands (or a hostile one) is not read further
_TAG = re.compile(r"<[^>]*>")
_PHRASE = re.compile(r"信息公开|政务公开|年度报告|年报")
_CORE = "docProps/core.xml"
_DC = "{http://purl.org/dc/elements/1.1/}"


def _text(fragment: str) -> str:
    return " ".join(html.unescape(_TAG.sub(" ", fragment)).split())[:MAX_PROPERTY]


def html_properties(raw: str) -> dict[str, str]:
    """`html_title` (the `<title>`), `html_heading` (the first h1–h4 or ArticleTitle meta that names a
    report, else the first heading). Every tag is read within bounds, so a page of unclosed tags stays linear."""
    title, headings = None, []
    for count, m in enumerate(_OPEN.finditer(raw, 0, 2_000_000)):
        if count >= MAX_TAGS:
            break
        name = m.group(1).lower()
        tag_end = raw.find(">", m.start(), m.start() + 1000)
        if tag_end < 0:
            continue
        if name == "meta":
            tag = raw[m.start() : tag_end]
            if _META_NAME.search(tag) and (content := _META_CONTENT.search(tag)):
                headings.append(_text(content.group(2)))
            continue
        close = _CLOSE[name].search(raw, tag_end, tag_end + 2000)
        if close is None:
            continue
        text = _text(raw[tag_end + 1 : close.start()])
        if name == "title":
            title = title or text
        else:
            headings.append(text)
    found = {"html_title": title} if title else {}
    named = [h for h in headings if _PHRASE.search(h)]
    if heading := (named or [h for h in headings if h])[:1]:
        found["html_heading"] = heading[0]
    return found


def pdf_properties(data: bytes) -> dict[str, str]:
    """`pdf_title` and `pdf_subject` from the document information dictionary."""
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError:
        return {}
    try:
        info = pdf.get_metadata_dict(skip_empty=True)
    except (pdfium.PdfiumError, UnicodeDecodeError):
        return {}
    finally:
        pdf.close()
    return {f"pdf_{key.lower()}": str(info[key])[:MAX_PROPERTY] for key in ("Title", "Subject") if info.get(key)}


def docx_properties(data: bytes) -> dict[str, str]:
    """`docx_title` and `docx_subject` from docProps/core.xml."""
    from lxml import etree

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            if zf.getinfo(_CORE).file_size > 1_000_000:
                return {}
            root = etree.fromstring(zf.read(_CORE), etree.XMLParser(resolve_entities=False, no_network=True))
    except (KeyError, zipfile.BadZipFile, OSError, etree.XMLSyntaxError):
        return {}
    found = {}
    for key in ("title", "subject"):
        element = root.find(_DC + key)
        if element is not None and (text := " ".join((element.text or "").split())):
            found[f"docx_{key}"] = text[:MAX_PROPERTY]
    return found
