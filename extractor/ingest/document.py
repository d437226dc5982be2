"""What every reader of a format shares: the `Document` it produces, the one-line error, and the table
rendering (one row per line, cells separated by tabs) that lets the parser read every format alike."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

MAX_INPUT_BYTES = 25 * 1024 * 1024
MAX_GRID_CELLS = 200_000

Grid = list[list[str]]


class IngestError(Exception):
    """A page nianbao cannot read; the message is one line, meant for the user."""


class Unreadable(IngestError):
    """The file, not its content, is the trouble: missing, not a regular file, or not readable now."""


class CellBox(NamedTuple):
    """Where a table cell's text sits in the document text, and where on which page it was read (a tuple:
    a report has hundreds, and a frozen dataclass is slow to make)."""

    start: int
    end: int
    page: int
    bbox: tuple[float, ...]  # x0, top, x1, bottom: PDF points, or pixels of the page image for OCR
    confidence: float | None = None  # OCR's confidence in the text (0: ink OCR could not read); None for a text layer
    agreed: bool = False  # OCR: a second recognition of the cell's crop (another scale and binarisation) read the same


@dataclass(frozen=True)
class Document:
    text: str
    format: str  # text | markdown | html | pdf | docx | image
    name: str = ""
    sha256: str = ""
    tables: list[Grid] = field(default_factory=list)
    warnings: tuple[str, ...] = ()  # a reading limit that was hit: part of the page was not read
    cell_boxes: list[CellBox] = field(default_factory=list)  # table cells of PDF and OCR pages
    ocr: bool = False  # the text was read by OCR from images: every value is a reading, not a printed fact
    # where the page names itself outside its text (HTML <title>, PDF info, DOCX core properties, a crawl
    # file's title column): metadata evidence for nianbao.meta, keyed as nianbao.ingest.properties names them
    properties: dict[str, str] = field(default_factory=dict)


def path_text(path: str | Path) -> str:
    """A path as text any output can carry: bytes of a name that are not UTF-8 (a Windows zip unpacked
    here) are written as `\\xNN` escapes instead of failing every JSON and CSV writer."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


# ---------------------------------------------------------------- table rendering shared by HTML/DOCX/PDF


def cell_text(text: str | None) -> str:
    """Whitespace runs as one space, none at the ends (str.split's whitespace is the regex \\s)."""
    return " ".join(text.split()) if text else ""


def span_of(el, attr: str) -> int:
    """A cell's colspan or rowspan (HTML, DOCX) as the page writes it, within 1..1000 (span bombs)."""
    try:
        return max(1, min(int(re.sub(r"\D", "", el.get(attr, "1")) or 1), 1000))
    except ValueError:
        return 1


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
