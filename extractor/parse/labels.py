"""Labels and location: the template's labels as patterns that survive wraps, and where each table is."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from nianbao.parse.tokens import segment_items
from nianbao.schemas.template import (
    T3_CORP_HEADERS,
    T3_LABELS,
    Label,
)

# Glyphs of the template's labels that OCR reads as a glyph of nearly the same shape: "（一）予以公开" scanned at 10 pt
# reads "（一）子以公开". The look-alike never stands in the label's place in any other label, so the row is still known.
OCR_LOOKALIKES = {"予": "子"}


@lru_cache(maxsize=None)
def _fuzzy(word: str) -> str:
    """A label as a regex that survives line breaks, spaces and cell borders inside it (vertical text, wraps, a
    label column a PDF→markdown converter cut in two: `| 三、本年度（一）予 | 以公开 21 |`), as a tab does, and
    OCR's look-alike glyphs (`OCR_LOOKALIKES`)."""
    return r"[\s|]*".join(
        f"[{re.escape(ch)}{OCR_LOOKALIKES[ch]}]" if ch in OCR_LOOKALIKES else re.escape(ch) for ch in word
    )


LABEL_WINDOW = 700  # a row label is never further than this from the previous one

_T2_TITLE = re.compile(_fuzzy("主动公开政府信息情况"))
_T3_TITLE = re.compile(_fuzzy("收到和处理政府信息公开申请情况") + "|" + _fuzzy("依申请公开情况"))
# a 2019 table 二 block's title, `第二十条第（一）项` (its numeral in group 1)
_BLOCK_TITLE = re.compile(_fuzzy("第二十条第") + r"[\s|]*[（(][\s|]*([一二三四五六七八九十]+)[\s|]*[）)][\s|]*项")
_T4_TITLE = re.compile(r"行\s*政\s*法?\s*复\s*议[^\n。]{0,14}?行\s*政\s*诉\s*讼[^\n。]{0,4}?情\s*况")
_END_TITLE = re.compile(r"五\s*、|存在的主要问题|主要问题及改进|存在的问题及改进")
_T2_START = re.compile(r"第\s*二\s*十\s*条|" + _fuzzy("信息内容"))
_T2_BLOCK = re.compile(r"第\s*二\s*十\s*条")
_T3_HEADER = re.compile(_fuzzy("本列数据") + "|" + _fuzzy("申请人情况"))
_T4_HEADER = re.compile(_fuzzy("行政复议") + "|" + _fuzzy("结果维持"))
_T4_RESULTS_HEADER = re.compile(_fuzzy("维持"))
# Where a row ends at the latest (format.md §3.21): the next table's title or heading, a later section's title.
_ROW_END = re.compile(
    "|".join(
        (
            _T2_TITLE.pattern,
            _T3_TITLE.pattern,
            _T4_TITLE.pattern,
            _END_TITLE.pattern,
            r"六\s*、",
            r"表\s*[一二三四1-4]\s*[：:]",
        )
    )
)


@dataclass
class Anchor:
    row: str
    start: int  # where the label begins (its ordinal included), i.e. where the previous row ends
    end: int  # where the keyword ends: the row's values come after


# Table 三's column header prints 总计 after 法人或其他组织 (or after its five columns) and before 商业企业; where
# the row labels are printed above the header (format.md §3.24) and the 总计 row is not on the page (§3.21),
# that 总计 is no row label.
# 其它 is how many agencies (and scans of 其他) print it
LEGAL_ENTITIES_HEADER = _fuzzy("法人或其他组织").replace("他", "[他它]")
_T3_HEADER_BEFORE = re.compile(LEGAL_ENTITIES_HEADER + r"[\s|]*$")
_T3_HEADER_AFTER = re.compile(r"[\s|]*" + _fuzzy("商业企业"))
_T3_HEADER_NAMES = re.compile(
    "|".join([LEGAL_ENTITIES_HEADER, *(_fuzzy(name) for name in ("自然人", *T3_CORP_HEADERS[:-1]))])
)


def _in_t3_header(text: str, m: re.Match) -> bool:
    """Beside the header's own names, or on a line of header cells (no values, a column name among them)."""
    if _T3_HEADER_BEFORE.search(text[max(0, m.start() - 40) : m.start()]) or _T3_HEADER_AFTER.match(text, m.end()):
        return True
    start, end = text.rfind("\n", 0, m.start()) + 1, text.find("\n", m.end())
    line = text[start : len(text) if end < 0 else end]
    return not re.search(r"\d", line) and bool(_T3_HEADER_NAMES.search(line))


def find_label(
    text: str, label: Label, lo: int, hi: int, wrapped: bool = False, in_cells: bool = False
) -> Anchor | None:
    """The row's label where the first of its keywords begins: PyMuPDF's `sort=True` prints a wrapped label's
    lines above and below the numbers centred beside it, so a later keyword can follow them (`2.其他法律行政法` /
    `0 0 0 0 0 0 0 规禁止公开`)."""
    found = [m for keyword in label.keywords if (m := _first_match(text, label, _fuzzy(keyword), lo, hi))]
    if wrapped and not found:
        cuts = [_cut(keyword) for keyword in label.keywords if len(keyword) > 3]
        found = [m for cut in cuts if (m := _first_match(text, label, cut, lo, hi))]
    if in_cells and not found:
        cuts = [_cut_by_cells(keyword) for keyword in label.keywords if len(keyword) > 3]
        found = [m for cut in cuts if (m := _first_match(text, label, cut, lo, hi))]
    if not found:
        return None
    m = min(found, key=lambda m: m.start())
    return Anchor(label.row, _label_start(text, m.start(), label.ordinal), m.end())


_NUMBERS_LINE = r"[ \t|]*\n[ \t|\d.,—–－/／无-]*\d[ \t|\d.,—–－/／无-]*\n[\s|]*"


def _cut(keyword: str) -> str:
    """A keyword whose label wraps around its row's numbers, centred beside it (pdfplumber, PyMuPDF `sort=True`,
    pdftotext -layout: `行政事业性收` / `0` / `费`): its words before the numbers, the rest of it after them; the
    match ends before the numbers, so they are the row's. For table 二's labels: no other row prints their words,
    while table 三's rows a label cut so leaves open are placed by their alignment (format.md §3.27)."""
    return "|".join(f"{_fuzzy(keyword[:k])}(?={_NUMBERS_LINE}{_fuzzy(keyword[k:])})" for k in range(3, len(keyword)))


# a markdown table's cells holding only numbers (or nothing), to the line's end: `| 1 0 | 0 0 |     | 1   |`
# (numbers apart by blanks: a run of digits splits but one way, so a failed match does not backtrack exponentially)
_NUMBER_CELLS = r"(?=[^\n]*\d)(?:[ \t]*(?:[\d.,]+(?:[ \t]+[\d.,]+)*[ \t]*)?\|)+[ \t]*\n[\s|]*"


def _cut_by_cells(keyword: str) -> str:
    """A keyword cut by its row's numbers in a markdown table so narrow that its label wraps into pieces around
    them (markitdown: `5.属于三` / `|     | 类内部事 | 1 0 | 0 0 | 0 0 | 1   |` / `务信息`, or `2.重复申` /
    `|     | 0 0 | 0 0 | 0 0 | 0   |` / `请`): the numbers' cells after a piece on its line, or a line of them
    between two pieces. The label's pieces above and below hold them inside its row, so they are its numbers;
    the match ends before them. Only table cells: a text stream's numbers are no row's by lying between words."""
    around = rf"(?:[ \t]*\|{_NUMBER_CELLS}|[ \t|]*\n[ \t]*\|{_NUMBER_CELLS})"
    return "|".join(f"{_fuzzy(keyword[:k])}(?={around}{_fuzzy(keyword[k:])})" for k in range(2, len(keyword)))


def _first_match(text: str, label: Label, pattern: str, lo: int, hi: int) -> re.Match | None:
    if label.row == "other.other":  # '其他' is everywhere; the leaf is '3.其他'
        pattern = r"3[\s|]*[.、][\s|]*" + pattern
    for m in re.compile(pattern).finditer(text, lo, hi):
        if not (label.row == "total_processed" and _in_t3_header(text, m)):
            return m
    return None


def _label_start(text: str, start: int, ordinal: int | None) -> int:
    """Move the start back over the item's own ordinal, so a glued '…00000002.其他' loses its '2'. An ordinal whose
    full stop OCR lost ('6属于四类过程性信息') counts where it stands alone before the label's text, no digit before it."""
    if ordinal is None:
        return start
    window = text[max(0, start - 40) : start]
    m = re.search(rf"(?:{ordinal}\s*[.、．]\s*|(?<![\d.,]){ordinal}(?=[^\d\s.,]))[^\d\t\n]{{0,30}}$", window)
    return start - len(window) + m.start() if m else start


def _fuzzy_iter(label: Label, text: str):
    for keyword in label.keywords:
        yield from re.finditer(_fuzzy(keyword), text)


def find_labels(
    text: str,
    labels: tuple[Label, ...],
    lo: int,
    hi: int,
    wrapped: bool = False,
    stretch: bool = False,
    in_cells: bool = False,
) -> list[Anchor]:
    """The labels in template order; `wrapped` also finds one wrapped around its row's numbers (`_cut`), `in_cells`
    one a markdown table's numbers cut (`_cut_by_cells`).
    `stretch`: a label is looked for within a window for each row since the last one found, not one (a narrow
    page's rows whose labels wrap around their numbers are not found, and each takes several lines)."""
    anchors: list[Anchor] = []
    cursor, skipped = lo, 0
    for label in labels:
        window = LABEL_WINDOW * (1 + skipped if stretch else 1)
        anchor = find_label(text, label, cursor, min(hi, cursor + window), wrapped, in_cells)
        if anchor:
            anchors.append(anchor)
            cursor, skipped = anchor.end, 0
        else:
            skipped += 1
    return anchors


def row_end(text: str, start: int, hi: int, extra: re.Pattern | None = None) -> int:
    """Where a row that starts at `start` ends at the latest: the next title, heading or section (§3.21)."""
    ends = [m.start() for pattern in (_ROW_END, extra) if pattern and (m := pattern.search(text, start, hi))]
    return min(ends, default=hi)


@dataclass
class TableSpans:
    """Where each table sits in the text: (start, end) offsets, None where it was not found."""

    t2: tuple[int, int] | None = None
    t2_section: int | None = None  # where section 二 begins: table 二's items may be printed above its heading
    t3: tuple[int, int] | None = None
    t4: tuple[int, int] | None = None


def locate(text: str) -> TableSpans:
    """Anchor each table on its title followed by its own first labels (never on numerals alone).

    A table printed with only some of its rows (a fragment, a summary) is found by its title and
    any of its labels; each region ends where the next table or section begins (format.md §3.21).
    """
    regions = TableSpans()
    t3_start, first_row = _locate_t3(text)
    if (
        t3_start is not None
        and first_row is not None
        and (moved := list(_T2_START.finditer(text, t3_start, first_row)))
    ):
        # section 三's heading printed above table 二's last rows (a converter that emits a page's headings before
        # the table running on from the section before it): table 二 runs to table 三's own header
        header = _T3_HEADER.search(text, moved[-1].end(), first_row)
        t3_start = header.start() if header else first_row
    t4 = None
    for m in _T4_TITLE.finditer(text, first_row if first_row is not None else 0):
        near_header = first_row is not None or _T4_HEADER.search(text, m.end(), m.end() + 300)
        if re.search(r"\d", text[m.end() : m.end() + 1500]) and near_header:
            t4 = m
            break
    if t4 and first_row is not None and _title_after_table(text, first_row, t4):
        t4 = None  # its table is read from its own header, as where no title is printed
    t2_end = t3_start if t3_start is not None else (t4.start() if t4 else len(text))
    t2_titles = [
        m for m in _T2_TITLE.finditer(text, 0, t2_end) if _T2_START.search(text, m.end(), min(t2_end, m.end() + 800))
    ]
    if t2_titles:
        regions.t2 = (t2_titles[-1].end(), t2_end)
        regions.t2_section = _section_start(text, t2_titles)
    elif t3_start is not None:
        regions.t2 = (max(0, t3_start - 3000), t3_start)
    if t3_start is None:
        if t4:
            end = _END_TITLE.search(text, t4.end())
            regions.t4 = (t4.end(), end.start() if end else len(text))
        return regions
    if t4:
        t4_start, t3_end = t4.end(), t4.start()
    else:  # no title: the table's own header ("结果维持") after the last row of table 三
        last_row = find_labels(text, T3_LABELS, first_row, len(text))[-1]
        header = re.compile(_fuzzy("维持")).search(text, last_row.end, last_row.end + 800)
        t4_start = t3_end = header.start() if header else None
        if t3_end is None:
            end = _END_TITLE.search(text, last_row.end)
            t3_end = end.start() if end else len(text)
    if t4_start is not None:
        end = _END_TITLE.search(text, t4_start)
        regions.t4 = (t4_start, end.start() if end else len(text))
    regions.t3 = (t3_start, t3_end)
    return regions


def _title_after_table(text: str, first_row: int, title: re.Match) -> bool:
    """Whether section 四's title is printed after its own table (a converter that emits a page's headings after the
    table running on into it, pymupdf4llm: table 四's header and numbers as the last lines of table 三's markdown
    table): no number between the title and the next section, and table 四's header (`维持`) between table 三's last
    row and the title."""
    end = _END_TITLE.search(text, title.end())
    if re.search(r"\d", text[title.end() : end.start() if end else len(text)]):
        return False
    rows = find_labels(text, T3_LABELS, first_row, title.start())
    return bool(rows) and _T4_RESULTS_HEADER.search(text, rows[-1].end, title.start()) is not None


def t3_section(text: str) -> tuple[int, int] | None:
    """Where table 三 must be when its rows cannot be located: from its section's title to the next table
    or section. The model path reads it there (format.md §3.21)."""
    titles = list(_T3_TITLE.finditer(text))
    if not titles:
        return None
    lo = titles[-1].end()
    ends = [
        m.start() for m in (_T4_TITLE.search(text, lo), _T4_HEADER.search(text, lo), _END_TITLE.search(text, lo)) if m
    ]
    return lo, min(ends, default=len(text))


def _locate_t3(text: str) -> tuple[int | None, int | None]:
    """Where table 三 starts (its title, else its first row) and where its first row is."""
    for m in _fuzzy_iter(T3_LABELS[0], text):
        if find_label(text, T3_LABELS[1], m.end(), m.end() + LABEL_WINDOW):
            titles = [t for t in _T3_TITLE.finditer(text, max(0, m.start() - 1500), m.start())]
            return (titles[-1].start() if titles else m.start()), m.start()
    # only some of its rows: the last title directly followed by one of the table's rows with its values
    for title in reversed(list(_T3_TITLE.finditer(text))):
        rows = find_labels(text, T3_LABELS, title.end(), min(len(text), title.end() + 1500))
        for row in rows:
            items = segment_items(text, row.end, row_end(text, row.end, min(len(text), row.end + 200), _T4_HEADER))
            if any(i.kind == "value" for i in items):
                return title.start(), rows[0].start
    return None, None


def _section_start(text: str, titles: list[re.Match]) -> int:
    """The earliest mention of section 二's title that still belongs to it (no table 三 title in between)."""
    start = titles[-1]
    for title in reversed(titles[:-1]):
        if _T3_TITLE.search(text, title.end(), start.start()):
            break
        start = title
    return start.end()


def detect_template(text: str) -> str:
    """By the table labels, never by the notice the report cites (format.md §4); 2021 labels win."""
    if re.search(_fuzzy("本年制发件") + "|" + _fuzzy("现行有效件数") + "|" + _fuzzy("本年收费金额"), text):
        return "gov2021"
    if re.search(
        "|".join(_fuzzy(label) for label in ("本年新制作数", "上一年项目数", "本年增/减", "第二十条第(九)项")), text
    ):
        return "gov2019"
    return "unknown"
