"""Crawl files: a crawler's table of pages (CSV, JSON Lines, Excel .xlsx), one page per row.

A column holds the page's text or HTML (by its name, else the column with the longest values); the
title, date and URL columns, where there are any, are metadata evidence (`crawl_title`, `crawl_date`,
`crawl_url` in `Document.properties`). Each row is staged as a file of its own, named by the hash of
its page, so a batch resumes row by row; its record's `source` names the file and the row
(`crawl.csv#row=3`). A row whose page holds several reports (two years, two agencies, one after the
other) is split at their titles, one staged page each (`crawl.csv#row=3/report=2`).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import sys
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from nianbao.ingest import IngestError, ingest_bytes, path_text
from nianbao.ingest.document import MAX_INPUT_BYTES
from nianbao.ingest.text import decode_text
from nianbao.meta import report_titles

SUFFIXES = frozenset({".csv", ".tsv", ".jsonl", ".ndjson", ".xlsx"})
PAGE_NAMES = (
    "html",
    "content",
    "text",
    "body",
    "page",
    "page_text",
    "page_html",
    "article",
    "正文",
    "内容",
    "全文",
    "文本",
    "网页",
)
TITLE_NAMES = ("title", "标题", "题名", "name", "名称", "文章标题")
DATE_NAMES = (
    "date",
    "publish_date",
    "published",
    "pubdate",
    "time",
    "发布日期",
    "发布时间",
    "日期",
    "时间",
    "成文日期",
)
URL_NAMES = ("url", "link", "href", "source_url", "page_url", "链接", "网址", "原文链接")
MIN_PAGE_CHARS = 200  # a page column's values are pages: a column whose longest value is shorter is not one
MAX_XLSX_UNPACKED = 200 * 2**20
_HTML = re.compile(r"<(?:html|body|table|div|p|tr|td)[\s>]", re.I)


class CrawlError(IngestError):
    """A crawl file nianbao cannot read as pages (one line, for the user)."""


@dataclass(frozen=True)
class Page:
    """One page to extract: its content, what the record calls it, and the row's metadata evidence."""

    data: bytes
    suffix: str  # .html or .txt: how ingest reads it
    source: str  # the crawl file and the row: crawl.csv#row=3 (…/report=2 for the second report of a row)
    properties: dict[str, str]


def is_crawl_file(path: Path) -> bool:
    """A crawl table by its suffix; a .jsonl only when its first line is a row, not one of nianbao's records."""
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        return False
    if suffix not in (".jsonl", ".ndjson"):
        return True
    try:
        with path.open("rb") as handle:
            first = json.loads(handle.readline() or b"null")
    except (OSError, ValueError):
        return True  # unreadable: reading it says why
    return isinstance(first, dict) and "cells" not in first and "verdict" not in first


def _column(header: list[str], names: tuple[str, ...]) -> int | None:
    lowered = [h.strip().lower() for h in header]
    return next((lowered.index(n) for n in names if n in lowered), None)


def _table(path: Path, data: bytes) -> tuple[list[str], Iterator[list[str]]]:
    """The header and the rows of a CSV/TSV, JSON Lines or .xlsx file, all as text."""
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        rows = _xlsx_rows(data)
        header = next(rows, None)
        if header is None:
            raise CrawlError("an empty spreadsheet")
        return header, rows
    text = decode_text(data)
    if suffix in (".jsonl", ".ndjson"):
        return _jsonl_table(text)
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))  # a page in a cell exceeds csv's 128 KB default
    dialect = "excel-tab" if suffix == ".tsv" else "excel"
    rows = csv.reader(io.StringIO(text), dialect=dialect)
    header = next(rows, None)
    if not header:
        raise CrawlError("an empty table (no header row)")
    return header, rows


def _jsonl_table(text: str) -> tuple[list[str], Iterator[list[str]]]:
    objects = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except ValueError:
            raise CrawlError(f"line {number} is not JSON") from None
        if not isinstance(value, dict):
            raise CrawlError(f"line {number} is not a JSON object (one page per line)")
        objects.append(value)
    header = list(dict.fromkeys(k for o in objects for k in o))
    return header, iter([["" if o.get(k) is None else str(o.get(k)) for k in header] for o in objects])


_SHEET = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def _xlsx_rows(data: bytes) -> Iterator[list[str]]:
    """The first worksheet's rows as text (shared and inline strings, numbers as written), read with lxml."""
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            if sum(i.file_size for i in zf.infolist()) > MAX_XLSX_UNPACKED:
                raise CrawlError(f"the spreadsheet unpacks to more than {MAX_XLSX_UNPACKED // 2**20} MiB")
            names = zf.namelist()
            shared = []
            if "xl/sharedStrings.xml" in names:
                for si in etree.fromstring(zf.read("xl/sharedStrings.xml"), parser).iter(_SHEET + "si"):
                    shared.append("".join(t.text or "" for t in si.iter(_SHEET + "t")))
            sheets = sorted(n for n in names if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", n))
            if not sheets:
                raise CrawlError("no worksheet in the spreadsheet")
            sheet = etree.fromstring(zf.read(sheets[0]), parser)
    except (zipfile.BadZipFile, KeyError, OSError, etree.XMLSyntaxError):
        raise CrawlError("not a readable .xlsx spreadsheet") from None
    for row in sheet.iter(_SHEET + "row"):
        values: dict[int, str] = {}
        for position, cell in enumerate(row.iter(_SHEET + "c")):
            column = _column_index(cell.get("r")) if cell.get("r") else position
            kind, value = cell.get("t"), cell.find(_SHEET + "v")
            if kind == "inlineStr":
                text = "".join(t.text or "" for t in cell.iter(_SHEET + "t"))
            elif value is None:
                text = ""
            elif kind == "s":
                index = int(value.text or 0)
                text = shared[index] if 0 <= index < len(shared) else ""
            else:
                text = value.text or ""
            values[column] = text
        yield [values.get(k, "") for k in range(max(values) + 1)] if values else []


def _column_index(reference: str) -> int:
    letters = re.match(r"[A-Z]+", reference)
    index = 0
    for letter in letters.group(0) if letters else "A":
        index = index * 26 + ord(letter) - 64
    return index - 1


def read_pages(path: Path, name: str | None = None) -> Iterator[Page]:
    """Every report in a crawl file, one Page each, in row order; `name` is what sources call the file
    (its URL when `path` is a staged copy). Raises CrawlError (one line)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CrawlError(f"cannot read: {exc.strerror}") from None
    header, rows = _table(path, data)
    rows = [r for r in rows if any(v.strip() for v in r)]
    page_column = _column(header, PAGE_NAMES)
    if page_column is None:  # no column by name: the one whose values are longest
        widths = [max((len(r[k]) for r in rows if k < len(r)), default=0) for k in range(len(header))]
        page_column = max(range(len(header)), key=widths.__getitem__) if header else None
        if page_column is None or widths[page_column] < MIN_PAGE_CHARS:
            raise CrawlError(
                "no column holding the page's text or HTML (name one html, content, text, body, page, 正文 or 内容)"
            )
    evidence = {
        "crawl_title": _column(header, TITLE_NAMES),
        "crawl_date": _column(header, DATE_NAMES),
        "crawl_url": _column(header, URL_NAMES),
    }
    name = name or path_text(path)
    for number, row in enumerate(rows, start=1):
        page = row[page_column] if page_column < len(row) else ""
        properties = {
            k: row[c].strip() for k, c in evidence.items() if c is not None and c < len(row) and row[c].strip()
        }
        yield from _split(page, f"{name}#row={number}", properties)


def _split(page: str, source: str, properties: dict[str, str]) -> Iterator[Page]:
    """The row's page, or one Page per report where it holds several (read as text from the title on)."""
    suffix = ".html" if _HTML.search(page[:5000]) else ".txt"
    data = page.encode("utf-8")
    if not page.strip() or len(data) > MAX_INPUT_BYTES:
        yield Page(data, suffix, source, properties)  # reading it says what is wrong
        return
    text = page
    if suffix == ".html":
        try:
            text = ingest_bytes(data, "row.html").text
        except IngestError:
            text = ""
    starts = [at for at, _, _ in report_titles(text)]
    if len(starts) < 2:
        yield Page(data, suffix, source, properties)
        return
    starts[0] = 0  # what stands above the first title (the page's chrome) belongs to the first report
    bounds = [*starts, len(text)]
    own = {k: v for k, v in properties.items() if k != "crawl_title"}  # the row's title names one report at most
    for k in range(len(starts)):
        piece = text[bounds[k] : bounds[k + 1]]
        yield Page(piece.encode("utf-8"), ".txt", f"{source}/report={k + 1}", own)


def stage(
    files: list[Path], folder: Path, names: dict[Path, str] | None = None
) -> tuple[list[Path], dict[Path, str], dict[Path, dict[str, str]]]:
    """Crawl files replaced by their pages, staged in `folder` under the hash of each page (`names`:
    what a staged copy of a URL is called).

    Returns the files to extract, what each staged page is called (its `source`), and its properties.
    A crawl file that cannot be read stays in the list: extracting it reports why, the others go on.
    """
    out: list[Path] = []
    sources: dict[Path, str] = {}
    properties: dict[Path, dict[str, str]] = {}
    for path in files:
        if not is_crawl_file(path):
            out.append(path)
            continue
        try:
            pages = list(read_pages(path, (names or {}).get(path)))
        except CrawlError:
            out.append(path)
            continue
        for page in pages:
            staged = folder / f"{hashlib.sha256(page.data).hexdigest()[:32]}{page.suffix}"
            if not staged.exists():
                staged.write_bytes(page.data)
            if staged in sources:  # the same page in two rows: one record, like two files of one content
                staged = folder / f"{hashlib.sha256(page.source.encode()).hexdigest()[:32]}{page.suffix}"
                staged.write_bytes(page.data)
            out.append(staged)
            sources[staged] = page.source
            properties[staged] = page.properties
    return out, sources, properties


def unreadable(path: Path) -> str | None:
    """Why a crawl file that `stage` left in place cannot be read (None: it is no crawl file)."""
    if not is_crawl_file(path):
        return None
    try:
        next(read_pages(path), None)
    except CrawlError as exc:
        return str(exc)
    return "no page in this crawl file"
