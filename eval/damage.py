"""Damage generator: random gold records rendered as report pages and damaged as real copies are.

A gold record (canonical key → value) becomes a page in the canonical HTML layout of the 2021
template (format.md §1: colspans, the 三、本年度办理结果 rowspan, group labels sharing the row of
their item 1). Damage kinds (format.md §3) are transforms of that page, and layouts are the ways
converters flatten it (docx→text, tab soup, markdown, glued digit runs, HTML, PDF, DOCX). The gold
is known by construction, so the eval and the property tests can check extraction at scale.
"""

from __future__ import annotations

import html
import importlib.util
import io
import itertools
import json
import random
import re
import shutil
import sys
import tempfile
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from nianbao.check import failing_identities
from nianbao.eval.conversions import CONVERTERS, OPT_IN
from nianbao.schemas.keys import (
    ALL_KEYS,
    FEE_KEY,
    OTHER_SUB_ROWS,
    OTHER_TOTAL_ROW,
    T2_2019_ROWS,
    T2_ROWS,
    T3_APPLICANT_COLUMNS,
    T3_COLUMNS,
    T3_LEAF_ROWS,
    T3_ROWS,
    T4_COLUMNS,
    T4_GROUPS,
    t2_2019_key,
    t2_key,
    t3_key,
    t4_key,
)
from nianbao.schemas.template import (
    RESULTS_LABEL,
    SECTION_TITLES,
    T2_2019_BLOCKS,
    T3_COLUMN_HEADERS,
    T3_GROUP_LABELS,
    T4_GROUP_NAMES,
    T4_RESULT_HEADERS,
    Table,
    Td,
    table2,
    table3,
    table4,
)

Cells = dict[str, int | str | None]

# ---------------------------------------------------------------- page furniture (the template's labels: schemas.template)

AGENCIES = (
    "和田地区商务局",
    "平潭综合实验区",
    "巴州区公共资源交易服务中心",
    "沭阳县人民政府",
    "昌吉州政务服务和公共资源交易管理局",
    "洪泽区人民政府",
)

# ---------------------------------------------------------------- random gold records

PROFILES = ("zero_heavy", "typical", "large")


def _counter(rng: random.Random, profile: str) -> Callable[[], int]:
    """Counts drawn the way real tables look: mostly 0, with small (or, in aggregate reports, large) values."""
    if profile == "zero_heavy":
        return lambda: 0 if rng.random() < 0.9 else rng.randint(1, 5)
    if profile == "typical":
        return lambda: 0 if rng.random() < 0.6 else rng.choice((rng.randint(1, 30), rng.randint(1, 300)))
    return lambda: 0 if rng.random() < 0.3 else rng.choice((rng.randint(1, 999), rng.randint(1000, 20_000)))


def _fee(rng: random.Random, profile: str) -> str:
    """The fee exactly as an agency prints it: 0–6 decimals (format.md §2.1), often plain 0."""
    if profile == "zero_heavy" or rng.random() < 0.3:
        return "0"
    whole = str(rng.randint(0, 99_999 if profile == "large" else 999))
    decimals = rng.randint(0, 6)
    return whole + ("." + "".join(str(rng.randint(0, 9)) for _ in range(decimals)) if decimals else "")


def random_cells(rng: random.Random, profile: str = "typical") -> Cells:
    """All 200 cells of a gov2021 record satisfying every hard identity: leaf rows drawn, totals computed."""
    count = _counter(rng, profile)
    cells: Cells = {t2_key(row, col): count() for row, cols in T2_ROWS.items() for col in cols}
    cells[FEE_KEY] = _fee(rng, profile)
    rows = {row: [count() for _ in T3_APPLICANT_COLUMNS] for row in T3_LEAF_ROWS}
    rows["total_processed"] = [sum(rows[r][i] for r in T3_LEAF_ROWS) for i in range(len(T3_APPLICANT_COLUMNS))]
    rows["carried_forward"] = [count() for _ in T3_APPLICANT_COLUMNS]
    outstanding = [p + f for p, f in zip(rows["total_processed"], rows["carried_forward"], strict=True)]
    rows["carried_over"] = [min(count(), o) for o in outstanding]
    rows["new_received"] = [o - c for o, c in zip(outstanding, rows["carried_over"], strict=True)]
    for row in T3_ROWS:
        values = rows[row] + [sum(rows[row])]
        cells.update({t3_key(row, c): v for c, v in zip(T3_COLUMNS, values, strict=True)})
    for group in T4_GROUPS:
        values = [count() for _ in T4_COLUMNS[:4]]
        cells.update({t4_key(group, c): v for c, v in zip(T4_COLUMNS, [*values, sum(values)], strict=True)})
    return {k: cells[k] for k in ALL_KEYS}


def plant_source_error(cells: Cells, rng: random.Random) -> Cells:
    """The agency's own arithmetic broken, as real reports do: a Table 四 group total (hzq 2023) or a
    whole leaf row off while its row total still adds up (Pingtan 2020's T3.sum failure)."""
    cells = dict(cells)
    delta = rng.randint(1, 9)
    if rng.random() < 0.5:
        key = t4_key(rng.choice(T4_GROUPS), "total")
        cells[key] += delta
    else:
        row, column = rng.choice(T3_LEAF_ROWS), rng.choice(T3_APPLICANT_COLUMNS)
        cells[t3_key(row, column)] += delta
        cells[t3_key(row, "total")] += delta
    return cells


# ---------------------------------------------------------------- the page


@dataclass
class PageBreak:
    number: int
    furniture: str = ""  # the footer or header a converter leaves between the pages ("— 3 —", "第 3 页")

    @property
    def text(self) -> str:
        return self.furniture or f"- {self.number} -"


@dataclass
class Page:
    blocks: list[str | Table | PageBreak] = field(default_factory=list)
    meta: dict = field(default_factory=dict)
    gold: dict = field(default_factory=dict)  # what a damage changes in the gold: cells, not_on_page, undetermined…

    def tables(self) -> list[Table]:
        return [b for b in self.blocks if isinstance(b, Table)]

    def cells(self) -> Iterator[Td]:
        return (td for table in self.tables() for row in table.rows for td in row)


def build_page(cells: Cells, rng: random.Random) -> Page:
    """Title, a bit of prose, the three tables under their section titles, sections 五 and 六, signature."""
    agency, year = rng.choice(AGENCIES), rng.randint(2021, 2025)
    received = cells[t3_key("new_received", "total")]
    blocks: list[str | Table | PageBreak] = [
        f"{agency}{year}年政府信息公开工作年度报告",
        f"本报告根据《中华人民共和国政府信息公开条例》和国办公开办函〔2021〕30号要求编制。统计期限自{year}年1月1日起至{year}年12月31日止。",
        SECTION_TITLES[0],
        f"{year}年，{agency}坚持以公开为常态、不公开为例外，共收到政府信息公开申请{received}件，均按时答复。",
        SECTION_TITLES[1],
        table2(cells),
        SECTION_TITLES[2],
        table3(cells),
        SECTION_TITLES[3],
        table4(cells),
        SECTION_TITLES[4],
        f"{year + 1}年，我们将进一步规范依申请公开工作，提升政务公开质量。",
        SECTION_TITLES[5],
        "本年度没有产生信息处理费。",
        agency,
        f"{year + 1}年1月20日",
    ]
    return Page(blocks, {"agency_name": agency, "report_year": year})


# ---------------------------------------------------------------- grid helpers shared by the layouts


def placements(table: Table) -> list[tuple[int, int, Td]]:
    """(row, column, cell) for every cell, columns shifted past the rowspans of earlier rows."""
    taken: set[tuple[int, int]] = set()
    placed = []
    for r, row in enumerate(table.rows):
        c = 0
        for td in row:
            while (r, c) in taken:
                c += 1
            placed.append((r, c, td))
            taken.update((r + dr, c + dc) for dr in range(td.rowspan) for dc in range(td.colspan))
            c += td.colspan
    return placed


def covering(table: Table) -> list[list[Td]]:
    """Per row, the cells of earlier rows that span down into it (leftmost first)."""
    above: list[list[Td]] = [[] for _ in table.rows]
    for r, _, td in sorted(placements(table), key=lambda p: p[1]):
        for dr in range(1, min(td.rowspan, len(above) - r)):
            above[r + dr].append(td)
    return above


def expanded(table: Table) -> list[list[str]]:
    """The grid with every spanned position holding its cell's text, as many converters emit it."""
    placed = placements(table)
    width = max(c + td.colspan for _, c, td in placed)
    grid = [[""] * width for _ in table.rows]
    for r, c, td in placed:
        for dr in range(td.rowspan):
            for dc in range(td.colspan):
                if r + dr < len(grid):
                    grid[r + dr][c + dc] = td.text
    return grid


# ---------------------------------------------------------------- damage kinds (page → page)


def _t3_row_of(td: Td) -> str | None:
    if td.key and td.key.startswith("applications."):
        return td.key[len("applications.") :].rsplit(".", 1)[0]
    return None


def extra_value(page: Page, rng: random.Random) -> Page:
    """One value too many: rows 三(一)…四 get a 法人小计 after 自然人 or their total again (seed 001), and
    table 四 prints one of its cells twice (seed 003: 16 values for 15)."""
    subtotal = rng.random() < 0.5
    for table in page.tables():
        for row in table.rows:
            values = [td for td in row if td.is_value]
            t3_row = _t3_row_of(values[0]) if values else None
            if values and values[0].key.startswith("review_litigation."):
                twice = rng.randrange(len(values))
                row.insert(twice + 1, Td(values[twice].text, is_value=True))
            elif t3_row is None or t3_row in ("new_received", "carried_over"):
                continue
            elif subtotal:
                row.insert(row.index(values[0]) + 1, Td(str(sum(int(td.text) for td in values[1:6])), is_value=True))
            else:
                row.append(Td(values[-1].text, is_value=True))
    return page


CUT_HEADERS = {
    "自然人": "然人",
    "其他结果": "他结果",
    "尚未审结": "未审结",
    "本年制发件数": "本年制发件",
    "结果维持": "果维持",
}
DROPPED_HEADERS = ("行政复议", "行政诉讼", "总计", "其他")


def cut_headers(page: Page, rng: random.Random) -> Page:
    """Header cells lose their first characters (seed 004: 然人, 他结果, 未审结) or vanish."""
    for table in page.tables():
        for row in table.rows:
            if any(td.is_value for td in row):
                continue
            for td in row:
                if td.text in CUT_HEADERS and rng.random() < 0.7:
                    td.text = CUT_HEADERS[td.text]
                elif td.text in DROPPED_HEADERS and rng.random() < 0.5:
                    td.text = ""
    return page


def _vertical(text: str, width: int = 2) -> str:
    """A label in a narrow cell: '三、\\n本年\\n度办\\n理结\\n果' (seeds 000/001)."""
    head, _, body = text.rpartition("、")
    head = head + "、" if head else ""
    return "\n".join(([head] if head else []) + [body[i : i + width] for i in range(0, len(body), width)])


VERTICAL_HEADERS = ("商业企业", "科研机构", "社会公益组织", "法律服务机构", "结果纠正", "尚未审结")


def vertical_labels(page: Page, rng: random.Random) -> Page:
    """三、本年度办理结果 stacked two characters a line; some headers wrapped ("商业\\n企业", seed 002)."""
    for td in page.cells():
        if td.text == RESULTS_LABEL or (td.text in VERTICAL_HEADERS and rng.random() < 0.5):
            td.text = _vertical(td.text, 2 if td.text == RESULTS_LABEL else max(2, len(td.text) // 2))
    return page


def page_break(page: Page, rng: random.Random) -> Page:
    """Table 三 breaks across pages inside 三、本年度办理结果: the spanning labels repeat (Pingtan 2019/2020)."""
    table = _table3(page)
    rows = table.rows if table else []
    starts = [i for i, row in enumerate(rows) if any(_t3_row_of(td) in T3_LEAF_ROWS[1:] for td in row)]
    if starts:
        split_table(page, table, rng.choice(starts), PageBreak(2))
    return page


def split_table(page: Page, table: Table, split: int, furniture: PageBreak, header_rows: int = 0) -> Table:
    """Cut `table` before row `split`: cells spanning the cut repeat in the second part, as do its first
    `header_rows` rows (the column header printed again on the next page). Returns the second part."""
    header = [[replace(td) for td in row] for row in table.rows[:header_rows]]
    carried = []
    for r, _, td in sorted(placements(table), key=lambda p: p[1]):
        if r < split < r + td.rowspan:
            carried.append(replace(td, rowspan=r + td.rowspan - split))
            td.rowspan = split - r
    second = Table([*header, carried + table.rows[split], *table.rows[split + 1 :]])
    table.rows = table.rows[:split]
    index = page.blocks.index(table)
    page.blocks[index + 1 : index + 1] = [furniture, second]
    return second


def _table3(page: Page) -> Table | None:
    return _table_of(page, "applications.")


ZERO_MARKERS = ("—", "无", "-", "/")


def zero_markers(page: Page, rng: random.Random) -> Page:
    """Zeros printed as '—', '无', '-' or '/' (format.md §3.15); one marker per report."""
    marker = rng.choice(ZERO_MARKERS)
    for td in page.cells():
        if td.is_value and td.text == "0" and rng.random() < 0.6:
            td.text = marker
    return page


FULLWIDTH = str.maketrans("0123456789.", "０１２３４５６７８９．")


def fullwidth(page: Page, rng: random.Random) -> Page:
    """Full-width digits everywhere (format.md §3.17), prose included."""
    for td in page.cells():
        td.text = td.text.translate(FULLWIDTH)
    page.blocks = [b.translate(FULLWIDTH) if isinstance(b, str) else b for b in page.blocks]
    return page


# ---------------------------------------------------------------- layout classes (format.md §3.21–25, issue 11)


def _values_of(rows: list[list[Td]]) -> list[str]:
    return [td.key for row in rows for td in row if td.key]


def _trim_rowspans(table: Table) -> None:
    for r, _, td in placements(table):
        td.rowspan = min(td.rowspan, len(table.rows) - r)


def _drop_block(page: Page, block: str | Table) -> None:
    """Take a block off the page (with the section title right before a table)."""
    index = page.blocks.index(block)
    title = index > 0 and isinstance(page.blocks[index - 1], str) and page.blocks[index - 1] in SECTION_TITLES
    del page.blocks[index - 1 if title else index : index + 1]


def fragment(page: Page, rng: random.Random) -> Page:
    """Only part of the tables printed (§3.21): some table 二 blocks, table 三's first rows, table 四 or not.
    The cells left out are `not_on_page` in the gold."""
    dropped: list[str] = []
    t2, t3, t4 = _table2(page), _table3(page), _table4(page)
    if t2:
        blocks = _t2_blocks(t2)
        kept = sorted(rng.sample(range(len(blocks)), rng.randint(1, len(blocks))))
        dropped += _values_of([row for i, b in enumerate(blocks) if i not in kept for row in b])
        t2.rows = [row for i in kept for row in blocks[i]]
    if t3:
        header = next(i for i, row in enumerate(t3.rows) if any(td.key for td in row))
        keep = header + rng.choice((1, 1, 2, 3))
        dropped += _values_of(t3.rows[keep:])
        t3.rows = t3.rows[:keep]
        _trim_rowspans(t3)
    if t4 and rng.random() < 0.5:
        dropped += _values_of(t4.rows)
        _drop_block(page, t4)
    page.gold.setdefault("not_on_page", []).extend(dropped)
    return page


def _table_of(page: Page, prefix: str) -> Table | None:
    """The page's (first) table holding values whose keys start with `prefix`."""
    return next((t for t in page.tables() if _holds(t, prefix)), None)


def _holds(table: Table, prefix: str) -> bool:
    return any((td.key or "").startswith(prefix) for row in table.rows for td in row)


def _table2(page: Page) -> Table | None:
    return _table_of(page, "active")


def _table4(page: Page) -> Table | None:
    return _table_of(page, "review_litigation.")


T2_OUTSIDE_ROWS = ("licensing", "penalty", "coercion", "fees")


def t2_outside(page: Page, rng: random.Random) -> Page:
    """Items of 第二十条第（五）（六）（八）项 printed as lines of their own (§3.23), above table 二 or between its parts."""
    table = _table2(page)
    if not table:
        return page
    moved = [r for r in T2_OUTSIDE_ROWS if rng.random() < 0.7] or [rng.choice(T2_OUTSIDE_ROWS)]
    lines, rows = [], []
    for block in _t2_blocks(table):
        items = [row for row in block if any(td.key for td in row)]
        out = [row for row in items if next(td.key for td in row if td.key).split(".")[1] in moved]
        lines += [f"{row[0].text}{rng.choice(('', ' ', '：'))}{' '.join(td.text for td in row[1:])}" for row in out]
        if len(out) < len(items):
            rows += [row for row in block if row not in out]
    table.rows = rows
    index = page.blocks.index(table)
    if not rows:
        page.blocks[index : index + 1] = lines  # nothing left of the table but these lines
    elif rng.random() < 0.5:
        page.blocks[index:index] = lines  # above the table's own heading
    else:
        page.blocks[index + 1 : index + 1] = lines  # after it, before section 三
    return page


def _t2_blocks(table: Table) -> list[list[list[Td]]]:
    """Table 二's rows cut into its 第二十条 blocks (each starts with a row of one cell across the table)."""
    starts = [i for i, row in enumerate(table.rows) if len(row) == 1 and row[0].colspan == 4] + [len(table.rows)]
    return [table.rows[a:b] for a, b in itertools.pairwise(starts)]


def t4_shapes(page: Page, rng: random.Random) -> Page:
    """Table 四 in another shape (§3.22): one line of 15 under a flattened header, one row per result
    with three or two group columns, or three sub-tables."""
    table = _table4(page)
    if not table:
        return page
    values = {td.key: td.text for row in table.rows for td in row if td.key}
    keys = [t4_key(g, c) for g in T4_GROUPS for c in T4_COLUMNS]
    shape = rng.choice(("one_line", "by_result", "by_result_two", "sub_tables"))
    index = page.blocks.index(table)
    if shape == "one_line":
        table.rows = [[Td("行政复议"), Td("行政诉讼")], [Td(values[k], key=k, is_value=True) for k in keys]]
    elif shape == "sub_tables":
        titles = (T4_GROUP_NAMES[0], *(f"行政诉讼（{name}）" for name in T4_GROUP_NAMES[1:]))
        blocks: list = []
        for title, group in zip(titles, T4_GROUPS, strict=True):
            group_keys = [t4_key(group, c) for c in T4_COLUMNS]
            row = [Td(values[k], key=k, is_value=True) for k in group_keys]
            blocks += [title, Table([[Td(h) for h in T4_RESULT_HEADERS], row])]
        page.blocks[index : index + 1] = blocks
    elif shape == "by_result":
        rows = [[Td("")] + [Td(t) for t in T4_GROUP_NAMES]]
        for header, column in zip(T4_RESULT_HEADERS, T4_COLUMNS, strict=True):
            keys = [t4_key(g, column) for g in T4_GROUPS]
            rows.append([Td(header)] + [Td(values[k], key=k, is_value=True) for k in keys])
        table.rows = rows
    else:  # 行政复议 / 行政诉讼: the two lawsuit groups printed as their sum, which the page alone cannot split
        rows = [[Td(""), Td("行政复议"), Td("行政诉讼")]]
        for header, column in zip(T4_RESULT_HEADERS, T4_COLUMNS, strict=True):
            lawsuits = [t4_key(g, column) for g in T4_GROUPS[1:]]
            total = sum(int(values[k]) for k in lawsuits)
            if total:
                page.gold.setdefault("undetermined", []).extend(lawsuits)
            review = t4_key("review", column)
            rows.append([Td(header), Td(values[review], key=review, is_value=True), Td(str(total), is_value=True)])
        table.rows = rows
    return page


def orphan_labels(page: Page, rng: random.Random) -> Page:
    """Table 三's row labels on lines of their own, some wrapped mid-word, then a table of number rows
    that carry no label (§3.24, PDF→markdown converters)."""
    table = _table3(page)
    if not table:
        return page
    labels: list[str] = []
    rows = []
    for row in table.rows:
        if not any(td.key for td in row):
            rows.append(row)
            continue
        for td in row:
            if not td.is_value and td.text:
                text = td.text.replace("\n", "")
                cut = rng.randrange(2, len(text)) if len(text) > 4 and rng.random() < 0.3 else len(text)
                labels += [text[:cut], text[cut:]] if cut < len(text) else [text]
        rows.append([td for td in row if td.is_value])
    table.rows = rows
    _trim_rowspans(table)
    index = page.blocks.index(table)
    page.blocks[index:index] = labels
    return page


FURNITURE = ("— {n} —", "- {n} -", "第 {n} 页", "第{n}页 共8页")


def page_furniture(page: Page, rng: random.Random) -> Page:
    """Tables 二 and 三 cut by page breaks (§3.25): a footer between the parts, the column header printed
    again, each part its own (markdown) table."""
    number = 2
    for table, header_rows in ((_table2(page), 0), (_table3(page), 3)):
        if not table:
            continue
        data = [i for i, row in enumerate(table.rows) if i > header_rows and any(td.key for td in row)]
        for split in sorted(rng.sample(data, min(len(data), rng.randint(1, 2))), reverse=True):
            split_table(page, table, split, PageBreak(number, rng.choice(FURNITURE).format(n=number)), header_rows)
            number += 1
    return page


def _value_2019(rng: random.Random, column: str) -> tuple[int | str, str]:
    """A 2019 table 二 value and its printed text: 本年增/减 signed, the procurement amount with its unit."""
    if column == "delta":
        value = 0 if rng.random() < 0.5 else rng.randint(-40, 40)
        return value, (f"+{value}" if value > 0 and rng.random() < 0.5 else str(value))
    if column == "total_amount":
        amount = f"{rng.randint(0, 99_999_999)}.{rng.randint(0, 99):02d}"
        return amount, amount + "元"
    value = 0 if rng.random() < 0.4 else rng.randint(1, 3000)
    return value, str(value)


def template_2019(page: Page, rng: random.Random) -> Page:
    """The 2019 trial template (format.md §1.4): its own table 二 and one （六）其他处理 row in table 三."""
    t2, t3 = _table2(page), _table3(page)
    cells: Cells = {}
    rows: list[list[Td]] = []
    for block, headers, items in T2_2019_BLOCKS:
        spans = (1, 2) if len(headers) == 2 else (1, 1, 1)  # a last column of two spans the two left of four
        rows += [
            [Td(block, colspan=4)],
            [Td("信息内容")] + [Td(h, colspan=n) for h, n in zip(headers, spans, strict=True)],
        ]
        for row, label in items:
            tds = [Td(label)]
            for column in T2_2019_ROWS[row]:
                key = t2_2019_key(row, column)
                cells[key], text = _value_2019(rng, column)
                tds.append(Td(text, key=key, is_value=True))
            tds[-1].colspan = 2 if len(tds) == 3 else 1
            rows.append(tds)
    page.gold.setdefault("not_on_page", []).extend(_values_of(t2.rows))
    t2.rows = rows
    other = [i for i, row in enumerate(t3.rows) if any(_t3_row_of(td) in OTHER_SUB_ROWS for td in row)]
    printed = [td for i in other for td in t3.rows[i] if td.key]
    sums = [sum(int(td.text) for td in printed if td.key.endswith("." + c)) for c in T3_COLUMNS]
    page.gold["not_on_page"].extend(_values_of([t3.rows[i] for i in other]))
    cells |= {t3_key(OTHER_TOTAL_ROW, c): v for c, v in zip(T3_COLUMNS, sums, strict=True)}
    single = [Td(T3_GROUP_LABELS["other"][0], colspan=2)]  # the group's label, now a row of its own
    single += [Td(str(v), key=t3_key(OTHER_TOTAL_ROW, c), is_value=True) for c, v in zip(T3_COLUMNS, sums, strict=True)]
    t3.rows[other[0] : other[-1] + 1] = [single]
    results = next(td for row in t3.rows for td in row if td.text == RESULTS_LABEL)
    results.rowspan -= len(other) - 1
    page.gold.setdefault("cells", {}).update(cells)
    page.gold["template"] = "gov2019"
    return page


def _keyed_rows(table: Table) -> list[tuple[int, list[Td]]]:
    return [(i, row) for i, row in enumerate(table.rows) if any(td.key for td in row)]


def partly_labelled(page: Page, rng: random.Random) -> Page:
    """Table 三 with some rows' labels apart from their numbers (§3.27, PDF→markdown/text): the label on a row
    of its own above or below the bare row of numbers, sometimes wrapped into two fragments; the other rows
    keep their label in their first cell. Group labels printed down the side are lost."""
    table = _table3(page)
    if not table:
        return page
    rows: list[list[Td]] = []
    for row in table.rows:
        if not any(td.key for td in row):
            rows.append(row)
            continue
        label = next((td.text for td in reversed(row) if not td.is_value and td.rowspan == 1), "")
        values = [td for td in row if td.is_value]
        if not label or rng.random() < 0.5:
            rows.append([Td(label), *values] if label else values)
            continue
        cut = rng.randrange(2, len(label)) if len(label) > 4 and rng.random() < 0.4 else len(label)
        pieces = [[Td(label[:cut])], [Td(label[cut:])]] if cut < len(label) else [[Td(label)]]
        rows += [values, *pieces] if rng.random() < 0.5 else [*pieces, values]
    for row in rows:
        for td in row:
            td.rowspan = 1 if td.is_value or td.key else td.rowspan
    table.rows = [[td for td in row if not (td.rowspan > 1 and not td.is_value)] or row for row in rows]
    _trim_rowspans(table)
    return page


def broken_numbers(page: Page, rng: random.Random) -> Page:
    """A cell's digits wrapped onto the next line (§3.32, one cell per line): 248 printed as 2 / 48, in one to
    three cells of tables 三 and 四 (table 二 has no identity to join them by)."""
    cells = [td for table in (_table3(page), _table4(page)) if table for row in table.rows for td in row]
    long = [td for td in cells if td.is_value and td.key and td.text.isdigit() and len(td.text) > 1]
    for td in rng.sample(long, min(len(long), rng.randint(1, 3))):
        cut = rng.randrange(1, len(td.text))
        td.text = td.text[:cut] + "\n" + td.text[cut:]
    return page


def _printed_count(text: str) -> int:
    """A count as an earlier damage printed it (full-width digits, a zero marker)."""
    digits = unicodedata.normalize("NFKC", text)
    return int(digits) if digits.isdigit() else 0


def collapsed_columns(page: Page, rng: random.Random) -> Page:
    """Table 三 with its five 法人或其他组织 columns printed as one (§3.29), 总计 kept or not: the
    sub-columns (and an unprinted 总计) are `not_on_page`; the printed sum is no gold cell."""
    parts = [t for t in page.tables() if _holds(t, "applications.")]
    total = rng.random() < 0.7
    gone: list[str] = []
    for index, table in enumerate(parts):  # a table cut by page breaks: every part
        header = [Td("申请人情况"), Td("自然人"), Td("法人或其他组织")] + ([Td("总计")] if total else [])
        rows: list[list[Td]] = [header] if index == 0 else []
        for _, row in _keyed_rows(table):
            labels = [Td(td.text) for td in row if not td.is_value and td.rowspan == 1]
            values = {td.key.rsplit(".", 1)[1]: td for td in row if td.key}
            corp = [values[c] for c in T3_APPLICANT_COLUMNS[1:]]
            gone += [td.key for td in corp] + ([] if total else [values["total"].key])
            summed = Td(str(sum(_printed_count(td.text) for td in corp)), is_value=True)
            rows.append(labels[-1:] + [values["natural_person"], summed] + ([values["total"]] if total else []))
        table.rows = rows
    page.gold.setdefault("not_on_page", []).extend(gone)
    return page


def t4_bare_rows(page: Page, rng: random.Random) -> Page:
    """Table 四 as bare rows of numbers under 行政复议 / 行政诉讼 (§3.29): no result labels, one row a group."""
    table = _table4(page)
    if not table:
        return page
    values = {td.key: td for row in table.rows for td in row if td.key}
    if len(values) != len(T4_GROUPS) * len(T4_COLUMNS):
        return page  # already in another shape (§3.22)
    groups = [[values[t4_key(g, c)] for c in T4_COLUMNS] for g in T4_GROUPS]
    table.rows = [[Td("行政复议")], groups[0], [Td("行政诉讼")], groups[1], groups[2]]
    return page


T2_PROSE = (  # how reports state table 二's first rows in their prose (format.md §3.30)
    "本年制发{name}{issued}件、废止{repealed}件，现行有效{in_force}件。",
    "全年制发{name}{issued}件，废止{repealed}件。",
    "对{name}进行了清理，废止{repealed}件。",
)


def cells_pulled_out(page: Page, rng: random.Random) -> Page:
    """A table 二 cell printed as a number over a note ("5" / "（其中修订3件）") that the converter took out
    of the table and printed above it (§3.28, text layouts); the prose states the row's figures or not.

    Outside the suite's mix (`generate(..., extra_damage=cells_pulled_out)`): without the prose the
    placement is undecidable (table 二 has no identity), so every such page is ambiguous by design."""
    table = _table2(page)
    if not table:
        return page
    rows = [
        row
        for row in table.rows
        if any((td.key or "").startswith(("active.regulations.", "active.normative_docs.")) for td in row)
    ]
    if not rows:
        return page
    row = rng.choice(rows)
    values = [td for td in row if td.is_value]
    cell = rng.choice(values)
    row.remove(cell)
    page.blocks.insert(page.blocks.index(table), f"{cell.text}\n（其中修订{rng.randint(0, 9)}件）")
    if rng.random() < 0.5:
        name = "规章" if values[0].key.startswith("active.regulations.") else "行政规范性文件"
        figures = {td.key.rsplit(".", 1)[1]: td.text for td in values}
        page.blocks.insert(page.blocks.index(table), rng.choice(T2_PROSE).format(name=name, **figures))
    return page


def cut_column(column: str) -> Callable[[Page, random.Random], Page]:
    """Table 三 with one applicant column not printed, its header cell too: `total` is a wide table printed on
    narrow paper, its right edge cut off (the record reads the six columns it prints, `clipped`); another column
    is a page no rule may read as clipped. The column's cells are `not_on_page`.

    Outside the suite's mix (`generate(..., extra_damage=cut_column("total"))`)."""
    header = dict(zip(T3_COLUMNS, T3_COLUMN_HEADERS, strict=True))[column]

    def cut(page: Page, rng: random.Random) -> Page:
        for table in (t for t in page.tables() if _holds(t, "applications.")):
            for row in table.rows:
                row[:] = [td for td in row if not (td.key or "").endswith(f".{column}") and td.text != header]
        page.gold.setdefault("not_on_page", []).extend(t3_key(row, column) for row in T3_ROWS)
        return page

    return cut


DAMAGES: dict[str, Callable[[Page, random.Random], Page]] = {  # applied in this order
    "template_2019": template_2019,
    "fragment": fragment,
    "t2_outside": t2_outside,
    "t4_shapes": t4_shapes,
    "orphan_labels": orphan_labels,
    "extra_value": extra_value,
    "page_break": page_break,
    "cut_headers": cut_headers,
    "vertical_labels": vertical_labels,
    "zero_markers": zero_markers,
    "fullwidth": fullwidth,
    "page_furniture": page_furniture,
    "partly_labelled": partly_labelled,
    "broken_numbers": broken_numbers,
    "collapsed_columns": collapsed_columns,
    "t4_bare_rows": t4_bare_rows,
}

# the layouts a kind occurs in (the converters that make it), and the kinds that reshape the same table
_NOT_PDFTOTEXT = ("lines", "tsv", "markdown", "glued", "html", "pdf", "pdf_embedded", "docx", "scanned")
KIND_LAYOUTS = {
    "partly_labelled": ("tsv", "markdown", "html", "pdf", "docx"),
    "broken_numbers": ("lines",),
    "collapsed_columns": ("lines", "tsv", "markdown", "html", "pdf", "docx"),
    "t4_bare_rows": ("lines", "tsv", "markdown", "html", "pdf", "docx"),  # a glued page has no rows
    # pdftotext's default mode is read by counting numbers (docs/damage.md): a number too many or too few in
    # a table (a ninth column, a fragment, table 二's items outside it, table 四 turned, orphaned labels' rows)
    # is another class, not combined with it here
    **dict.fromkeys(("extra_value", "fragment", "t2_outside", "t4_shapes", "orphan_labels"), _NOT_PDFTOTEXT),
}
KIND_RATES = {
    "broken_numbers": 0.6,
    "partly_labelled": 0.2,
    "collapsed_columns": 0.2,
    "t4_bare_rows": 0.2,
}
KIND_CONFLICTS = {
    "partly_labelled": {"template_2019", "fragment", "orphan_labels", "extra_value"},
    "broken_numbers": {"template_2019", "t4_shapes", "extra_value"},
    "collapsed_columns": {"template_2019", "orphan_labels", "extra_value", "partly_labelled", "cut_headers"},
    "t4_bare_rows": {"t4_shapes", "extra_value"},
}


# the layout classes of format.md §3.21–25 and the 2019 template: rarer in a generated suite, where pages
# combine several kinds
LAYOUT_CLASSES = frozenset(
    {"template_2019", "fragment", "t2_outside", "t4_shapes", "orphan_labels", "page_furniture", *KIND_CONFLICTS}
)


# ---------------------------------------------------------------- layouts (page → file)


def _as_text(page: Page, table_lines: Callable[[Table], list[str]], heading: Callable[[str], str] = str) -> str:
    lines: list[str] = []
    for block in page.blocks:
        if isinstance(block, Table):
            lines.extend(table_lines(block))
        elif isinstance(block, PageBreak):
            lines.append(block.text)
        else:
            lines.append(heading(block))
    return "\n".join(lines) + "\n"


def render_lines(page: Page, rng: random.Random) -> str:
    """docx→text (seeds 000–002): one cell per tab-indented line, an empty line per merged cell, a blank line between rows."""

    def table_lines(table: Table) -> list[str]:
        lines: list[str] = []
        for row, above in zip(table.rows, covering(table), strict=True):
            lines += ["\t"] * len(above) + ["\t" + td.text for td in row] + [""]
        return lines

    return _as_text(page, table_lines)


def render_tsv(page: Page, rng: random.Random) -> str:
    """Tab soup (seed 003): rows shifted by stray leading and trailing empty cells; merged cells padded or not."""

    def table_lines(table: Table) -> list[str]:
        lines = []
        for row, above in zip(table.rows, covering(table), strict=True):
            cells = [""] * len(above) if rng.random() < 0.8 else []
            for td in row:
                cells += [td.text.replace("\n", " ")] + [""] * (td.colspan - 1)
            lines.append("\t".join([""] * rng.choice((0, 0, 1, 2)) + cells + [""] * rng.choice((0, 1, 2))))
        return lines

    return _as_text(page, table_lines)


def render_markdown(page: Page, rng: random.Random) -> str:
    """Markdown pipe tables of the expanded grid: merged cells repeated ('0 | 0 | 0', seed 004), headings marked."""

    def table_lines(table: Table) -> list[str]:
        rows = ["| " + " | ".join(cell.replace("\n", " ") for cell in row) + " |" for row in expanded(table)]
        return ["", rows[0], "|" + "---|" * rows[0].count(" | ") + "---|", *rows[1:], ""]

    title = page.blocks[0]
    return _as_text(page, table_lines, lambda b: "# " + b if b == title else ("## " + b if b in SECTION_TITLES else b))


def render_glued(page: Page, rng: random.Random) -> str:
    """Flattened HTML (Pingtan): the whole page on one line, each row its labels then its values run together;
    sometimes a space survives at a cell boundary ('230 000023', format.md §3.6)."""
    spaced = rng.random() < 0.5
    parts = []
    for block in page.blocks:
        if isinstance(block, str):
            parts.append(block)
        elif isinstance(block, Table):
            for row in block.rows:
                parts.append("".join(td.text.replace("\n", " ") for td in row if not td.is_value))
                values = [td.text for td in row if td.is_value]
                parts.append(" " if values and rng.random() < 0.3 else "")
                printed = [v + (" " if spaced and rng.random() < 0.3 else "") for v in values]
                parts.append("".join(printed).rstrip())
                keys = [td.key for td in row if td.is_value]
                page.gold.setdefault("undetermined", []).extend(_open_in_table2(keys, printed))
    return "".join(parts) + "\n"


def _open_in_table2(keys: list[str | None], printed: list[str]) -> list[str]:
    """A table 二 row glued into one run: the cells its readings differ on. Table 二 has no identity and the
    generated prose states none of its figures, so nothing on the page decides them (gold-format.md,
    `undetermined`)."""
    if len(keys) < 2 or not all(k and k.startswith(("active.", "active_2019.")) for k in keys):
        return []
    atoms = _ATOM.findall(unicodedata.normalize("NFKC", "".join(printed)).replace("元", ""))
    readings = _readings(atoms, len(keys))
    return [k for i, k in enumerate(keys) if len({r[i] for r in readings}) > 1]


# what a glued row prints: numbers (a sign starts one, an amount's decimals end one) and zero markers, each marker
# a cell of its own; a space is a boundary (a "-" before digits is read as a sign only: fewer readings, never more)
_ATOM = re.compile(r"[+-]?\d+(?:\.\d+)?|[—/无-]")


def _readings(atoms: list[str], k: int) -> list[tuple[str, ...]]:
    """Every reading of the atoms as k cells: a run of digits splits anywhere no number would start with 0."""
    if not atoms:
        return [()] if k == 0 else []
    head, rest = atoms[0], atoms[1:]
    if not any(c.isdigit() for c in head):
        return [("0", *r) for r in _readings(rest, k - 1)] if k else []
    found = []
    for parts in _cuts(head):
        if len(parts) <= k:
            found += [(*parts, *r) for r in _readings(rest, k - len(parts))]
    return found


def _cuts(atom: str) -> list[tuple[str, ...]]:
    """The ways to cut one run into numbers: the sign stays with the first, the decimals with the last."""
    sign = atom[0] if atom[0] in "+-" else ""
    digits, _, fraction = atom[len(sign) :].partition(".")
    ways = []
    for bits in itertools.product((False, True), repeat=len(digits) - 1):
        parts, start = [], 0
        for at, cut in enumerate(bits, 1):
            if cut:
                parts.append(digits[start:at])
                start = at
        parts.append(digits[start:])
        if all(p == "0" or p[0] != "0" for p in parts):
            parts[0], parts[-1] = sign + parts[0], parts[-1] + ("." + fraction if fraction else "")
            ways.append(tuple(parts))
    return ways


def render_html(page: Page, rng: random.Random) -> str:
    """The canonical layout itself: colspan/rowspan as the template draws them."""

    def td_html(td: Td) -> str:
        spans = (f' colspan="{td.colspan}"' if td.colspan > 1 else "") + (
            f' rowspan="{td.rowspan}"' if td.rowspan > 1 else ""
        )
        return f"<td{spans}>{html.escape(td.text).replace(chr(10), '<br/>')}</td>"

    body = []
    for block in page.blocks:
        if isinstance(block, Table):
            body.append(
                '<table border="1">'
                + "".join("<tr>" + "".join(map(td_html, row)) + "</tr>" for row in block.rows)
                + "</table>"
            )
        elif isinstance(block, PageBreak):
            body.append(f'<p>{html.escape(block.text)}</p><div style="page-break-after: always"></div>')
        else:
            body.append(f"<p>{html.escape(block)}</p>")
    return '<!DOCTYPE html>\n<html><head><meta charset="utf-8"></head><body>\n' + "\n".join(body) + "\n</body></html>\n"


PDF_FONT = "STSong-Light"  # a CID font reportlab ships: no font file needed, and pdfplumber reads its text back


@dataclass(frozen=True)
class PdfGeometry:
    """How the ruled PDF draws its tables. The default keeps each table on one page in small type and equal
    columns; `report` is how agencies' own PDFs look (see `report_pdf`)."""

    cell_size: float = 7
    cell_leading: float = 9
    padding: float | None = None  # above and below a cell's text; None: reportlab's
    report: bool = False  # wide label columns, centred cells, tables left to flow across pages
    labels: float | None = None  # the share of a report table's width its label columns keep; None: what they need
    paper: tuple[float, float] | None = None  # the page's width and height in points; None: A4
    keep_type: bool = False  # the cells' type kept where a number does not fit its column: it wraps in its cell


def render_pdf(page: Page, rng: random.Random, font: str = PDF_FONT, geometry: PdfGeometry = PdfGeometry()) -> bytes:
    """A ruled PDF (reportlab), each table kept on one page with its section title unless the page breaks it."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, TableStyle
    from reportlab.platypus import PageBreak as PdfPageBreak
    from reportlab.platypus import Table as PdfTable

    if font == PDF_FONT:
        pdfmetrics.registerFont(UnicodeCIDFont(PDF_FONT))
    body = ParagraphStyle("body", fontName=font, fontSize=10, leading=14, wordWrap="CJK")
    small = ParagraphStyle(
        "cell",
        fontName=font,
        fontSize=geometry.cell_size,
        leading=geometry.cell_leading,
        wordWrap="CJK",
        alignment=1 if geometry.report else 0,
    )
    paper = geometry.paper or A4
    margin, usable = 36, paper[0] - 72

    def para(text: str, style) -> Paragraph:
        return Paragraph(html.escape(text).replace("\n", "<br/>"), style)

    def pdf_table(table: Table) -> PdfTable:
        placed = placements(table)
        width = max(c + td.colspan for _, c, td in placed)
        data = [[""] * width for _ in table.rows]
        style = [("GRID", (0, 0), (-1, -1), 0.5, "black"), ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]
        if geometry.padding is not None:
            style += [(side, (0, 0), (-1, -1), geometry.padding) for side in ("TOPPADDING", "BOTTOMPADDING")]
            style += [(side, (0, 0), (-1, -1), 2) for side in ("LEFTPADDING", "RIGHTPADDING")]
        cell, widths = small, [usable / width] * width
        if geometry.report:
            longest = table3_longest if table in parts else _longest_number(table)
            fitted = _column_widths(placed, width, usable, geometry.cell_size, longest, geometry.labels)
            size, widths = (geometry.cell_size, fitted[1]) if geometry.keep_type else fitted
            cell = ParagraphStyle(
                "fitted", small, fontSize=size, leading=size * geometry.cell_leading / geometry.cell_size
            )
        for r, c, td in placed:
            data[r][c] = para(td.text, cell)
            if td.colspan > 1 or td.rowspan > 1:
                style.append(("SPAN", (c, r), (c + td.colspan - 1, r + td.rowspan - 1)))
        result = PdfTable(data, colWidths=widths)
        result.setStyle(TableStyle(style))
        return result

    # table 三 broken across pages keeps its columns, as a Word table does: its parts are fitted together
    parts = [t for t in page.tables() if _holds(t, "applications.")]
    table3_longest = max((_longest_number(t) for t in parts), default=1.0)
    story: list = []
    for block in page.blocks:
        if isinstance(block, Table):
            story[-1:] = (
                [KeepTogether([story[-1], pdf_table(block)])]
                if isinstance(story[-1], Paragraph) and not geometry.report
                else [story[-1], pdf_table(block)]
            )
        elif isinstance(block, PageBreak):
            story += [para(block.text, body), PdfPageBreak()]
        else:
            story.append(para(block, body))
    buffer = io.BytesIO()
    SimpleDocTemplate(
        buffer,
        pagesize=paper,
        leftMargin=margin,
        rightMargin=margin,
        topMargin=margin,
        bottomMargin=margin,
        invariant=True,
    ).build(story)
    return buffer.getvalue()


def _column_widths(
    placed: list[tuple[int, int, Td]], width: int, usable: float, size: float, longest: float, labels: float | None
) -> tuple[float, list[float]]:
    """Number columns as wide as the table's `longest` number needs, and at least two header characters (the type
    made smaller where they cannot be), label columns sharing the rest, the innermost (the leaf labels) widest:
    as agencies fit their tables. Where `labels` is given, the label columns keep that share of the width and the
    number columns share the rest, as a browser fits an HTML table to narrower paper."""
    numbers = {c for _, c, td in placed if td.colspan == 1 and td.key}
    share = 1.0 if len(numbers) == width else 0.55 if labels is None else 1 - labels  # labels keep 45 %
    widest = usable * share / max(1, len(numbers))
    size = min(size, (widest - 6) / longest)
    number = min(max(_HEADER_EMS, longest) * size + 6, widest) if labels is None else widest
    labels = [c for c in range(width) if c not in numbers]
    weights = dict.fromkeys(labels, 1.2)
    for c, weight in zip(reversed(labels), (5.0, 2.0), strict=False):
        weights[c] = weight
    rest = usable - number * len(numbers)
    return size, [number if c in numbers else rest * weights[c] / sum(weights.values()) for c in range(width)]


def _longest_number(table: Table) -> float:
    """The widest number of `table`, in ems (its header cells wrap: see _HEADER_EMS)."""
    return max((_ems(td.text) for row in table.rows for td in row if td.key and td.colspan == 1), default=1.0)


_HEADER_EMS = 2.1  # a number column is at least two CJK characters wide: its header wraps as `社会/公益/组织`


def _ems(text: str) -> float:
    """How wide a cell's text is in ems (a fullwidth digit takes a whole one), with a little to spare."""
    return sum(1.05 if unicodedata.east_asian_width(ch) in "FW" else 0.62 for ch in text)


def report_pdf(page: Page, rng: random.Random, narrow: bool = False, a6: bool = False) -> bytes:
    """A PDF drawn as agencies draw reports, with a CJK font embedded: wide label columns, narrow centred number
    columns, header cells over several lines, table 三 broken across pages, and rows set tight or loose. `narrow`:
    as a browser prints the report's HTML page on narrower paper (A5, or scaled up), the label columns a fifth to
    a third of the width, each label wrapped over several lines beside its row's numbers. `a6`: narrower still,
    paper as wide as A6, the type kept, so a number wraps in its cell (`375` / `0`) and a label prints a few
    characters a line."""
    _fit_pages(page, _table3(page), PDFTOTEXT_PART_ROWS, rng)
    if narrow:  # its rows are taller: each part of table 三 (a damage may have cut it already) is cut to fit
        for part in [t for t in page.tables() if _holds(t, "applications.")]:
            _fit_pages(page, part, NARROW_PART_ROWS, rng)
    size = rng.choice((9, 10, 10.5))
    geometry = PdfGeometry(size, size * 1.15, rng.choice((2, 3, 4)), report=True)
    if narrow:  # drawn only here: the other layouts' pages stay as their seeds draw them
        geometry = replace(geometry, labels=rng.uniform(0.18, 0.3))
    if a6:  # as wide as A6 and as tall as A4: a table's tallest part still fits a page
        geometry = replace(geometry, paper=(A6_WIDTH, A4_HEIGHT), keep_type=True)
    return _fitted_pdf(page, rng, _scan_font(), geometry)


def _fitted_pdf(page: Page, rng: random.Random, font: str, geometry: PdfGeometry) -> bytes:
    """`render_pdf`, the cells' type made a step smaller while a part of a table is taller than a page (on A6 a
    label wrapped a few characters a line can make table 三's part too tall): as an agency shrinks a table's type
    until it fits its page. A page that fits at first is drawn as it always was."""
    from reportlab.platypus.doctemplate import LayoutError

    while True:
        try:
            return render_pdf(page, rng, font, geometry)
        except LayoutError:
            if geometry.cell_size * SHRINK < MIN_CELL_SIZE:
                raise
            size, leading = geometry.cell_size * SHRINK, geometry.cell_leading * SHRINK
            geometry = replace(geometry, cell_size=size, cell_leading=leading)


SHRINK, MIN_CELL_SIZE = 0.85, 5  # a step of the type, and the smallest an agency prints a table's cells in


def _converted(layout: str) -> Callable[[Page, random.Random], str]:
    """The layout that runs its converter (eval/conversions.py, with the defaults people use) on `report_pdf`."""
    converter = NARROW_LAYOUTS.get(layout, layout)

    def render(page: Page, rng: random.Random) -> str:
        missing = converter_missing(layout)
        if missing:
            raise RuntimeError(missing)
        pdf = report_pdf(page, rng, narrow=layout in NARROW_LAYOUTS, a6=layout in A6_LAYOUTS)
        with tempfile.TemporaryDirectory(prefix=f"nianbao-{converter}-") as directory:
            source = Path(directory) / "page.pdf"
            source.write_bytes(pdf)
            return {**CONVERTERS, **OPT_IN}[converter][1](source)

    render.__doc__ = f"`{converter}` run on a report-like PDF (`report_pdf`, narrow: {layout in NARROW_LAYOUTS}): see docs/damage.md."
    return render


PDFTOTEXT_PART_ROWS = 12  # table 三's rows on one page at most: its tallest rows still fit
NARROW_PART_ROWS = 6  # and where its labels wrap over several lines (`report_pdf`'s `narrow`)


def _fit_pages(page: Page, part: Table | None, rows: int, rng: random.Random) -> None:
    """Cut table 三's `part` into parts of at most `rows` rows that fit a page, however tall the rows."""
    while part is not None and len(part.rows) > rows:
        starts = [i for i, row in enumerate(part.rows[: rows + 1]) if i > 2 and _t3_starts(row)]
        part = split_table(page, part, rng.choice(starts), PageBreak(rng.randint(2, 4))) if starts else None


def _t3_starts(row: list[Td]) -> bool:
    """A row that begins one of table 三's leaf rows: where a page may break the table."""
    return any(_t3_row_of(td) in T3_LEAF_ROWS for td in row)


# the converter layouts: pdftotext's default mode (tight rows come out column by column) and each of
# eval/conversions.py's converters, the layout named as the converter
# and a converter's layout on a page printed narrower (`report_pdf`'s `narrow`), named `<converter>-narrow`
NARROW_LAYOUTS = {"markitdown-narrow": "markitdown", "pymupdf-a6": "pymupdf", "pypdf-a6": "pypdf"}
A6_LAYOUTS = frozenset(("pymupdf-a6", "pypdf-a6"))  # narrower still: paper as wide as A6 (`report_pdf`'s `a6`)
A6_WIDTH, A4_HEIGHT = 297.6, 841.9  # points
CONVERTER_LAYOUTS = ("pdftotext", *CONVERTERS, *NARROW_LAYOUTS)
# the module each imports (the pdftotext ones run poppler's program), and how it installs where not with the extra
CONVERTER_MODULES = {
    "pdfminer": "pdfminer",
    "pdfplumber": "pdfplumber",
    "pypdfium2": "pypdfium2",
    "markitdown": "markitdown",
    "markitdown-narrow": "markitdown",
    **dict.fromkeys(("pymupdf", "pymupdf-sort", "pymupdf-blocks", "pymupdf-a6"), "pymupdf"),
    "pymupdf4llm": "pymupdf4llm",
    "pdftext": "pdftext",
    **dict.fromkeys(("pypdf", "pypdf-layout", "pypdf-a6"), "pypdf"),
    "kreuzberg": "kreuzberg",
    **dict.fromkeys(("opendataloader", "opendataloader-text"), "opendataloader_pdf"),
}
CONVERTER_INSTALL = {"pdftext": "pip install --no-deps pdftext pydantic-settings"}  # pins an older pypdfium2
# the converters that run a program beside their module, and how it installs
CONVERTER_PROGRAMS = dict.fromkeys(
    ("opendataloader", "opendataloader-text"), ("java", "apt-get install default-jre-headless")
)
POPPLER_INSTALL = "apt-get install poppler-utils"


def converter_missing(layout: str) -> str | None:
    """Why `layout` cannot be rendered here (its converter is not installed), in one line naming what to install;
    None where it can."""
    if layout in CONVERTER_LAYOUTS and layout not in CONVERTER_MODULES:
        return None if shutil.which("pdftotext") else f"the {layout} layout runs poppler's pdftotext: {POPPLER_INSTALL}"
    module = CONVERTER_MODULES.get(layout)
    if module is not None and importlib.util.find_spec(module) is None:
        install = CONVERTER_INSTALL.get(layout, "pip install -e '.[conversions]'")
        return f"the {layout} layout runs {module}: {install}"
    program, install = CONVERTER_PROGRAMS.get(layout, (None, ""))
    return f"the {layout} layout runs {program}: {install}" if program and not shutil.which(program) else None


SCAN_FONT = "WenQuanYiZenHei"
SCAN_FONT_FILE = "wqy-zenhei.ttc"  # Debian's fonts-wqy-zenhei: a CJK font to draw the page the scanner saw
SCAN_DPI = 200


def cjk_font_file() -> Path | None:
    """The Debian CJK font the scanned and pdf_embedded layouts draw with, where it is installed."""
    return next(Path("/usr/share/fonts").rglob(SCAN_FONT_FILE), None)


def _scan_font() -> str:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if SCAN_FONT not in pdfmetrics.getRegisteredFontNames():
        found = cjk_font_file()
        if found is None:
            raise RuntimeError(
                f"the scanned and pdf_embedded layouts draw with {SCAN_FONT_FILE}: apt-get install fonts-wqy-zenhei"
            )
        pdfmetrics.registerFont(TTFont(SCAN_FONT, str(found), subfontIndex=0))
    return SCAN_FONT


def render_pdf_embedded(page: Page, rng: random.Random) -> bytes:
    """The ruled PDF as word processors export it: the subset of a CJK font it uses embedded in the file
    (`pdf` names a font the reader must substitute, which PDFium then loads from the system per document)."""
    return render_pdf(page, rng, _scan_font())


def render_scanned(page: Page, rng: random.Random) -> bytes:
    """An image-only PDF, as a scanner makes it: the ruled PDF drawn with an embedded CJK font, rasterised
    at 200 dpi, turned slightly, blurred and speckled with noise."""
    import numpy as np
    import pypdfium2 as pdfium
    from PIL import Image, ImageFilter

    pdf = pdfium.PdfDocument(render_pdf(page, rng, _scan_font()))
    noise = np.random.default_rng(rng.randrange(2**32))
    images = []
    for index in range(len(pdf)):
        image = pdf[index].render(scale=SCAN_DPI / 72, grayscale=True).to_pil().convert("L")
        image = image.rotate(rng.uniform(-0.8, 0.8), resample=Image.BILINEAR, fillcolor=255)
        image = image.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 0.9)))
        pixels = np.asarray(image, dtype=np.int16) + noise.normal(0, rng.uniform(4, 12), (image.height, image.width))
        images.append(Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)))
    pdf.close()
    buffer = io.BytesIO()
    images[0].save(buffer, "PDF", resolution=SCAN_DPI, save_all=True, append_images=images[1:])
    return buffer.getvalue()


def render_docx(page: Page, rng: random.Random) -> bytes:
    """A Word document (python-docx) with real merged cells."""
    import docx

    document = docx.Document()
    for block in page.blocks:
        if isinstance(block, Table):
            placed = placements(block)
            grid = document.add_table(rows=len(block.rows), cols=max(c + td.colspan for _, c, td in placed))
            grid.style = "Table Grid"
            rows = [row.cells for row in grid.rows]  # each lookup walks the whole table: take them once
            for r, c, td in placed:
                if td.colspan > 1 or td.rowspan > 1:
                    rows[r][c].merge(
                        rows[r + td.rowspan - 1][c + td.colspan - 1]
                    )  # spans are disjoint: the snapshot stays valid
                rows[r][c].text = td.text
        elif isinstance(block, PageBreak):
            document.add_paragraph(block.text)
            document.add_page_break()
        else:
            document.add_paragraph(block)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


LAYOUTS: dict[str, tuple[str, Callable[[Page, random.Random], str | bytes]]] = {
    "lines": (".txt", render_lines),
    "tsv": (".txt", render_tsv),
    "markdown": (".md", render_markdown),
    "glued": (".txt", render_glued),
    "html": (".html", render_html),
    "pdf": (".pdf", render_pdf),
    "pdf_embedded": (".pdf", render_pdf_embedded),
    "docx": (".docx", render_docx),
    "scanned": (".pdf", render_scanned),
    **{
        name: ("." + {**CONVERTERS, **OPT_IN}[NARROW_LAYOUTS.get(name, name)][0], _converted(name))
        for name in CONVERTER_LAYOUTS
    },
}
SUITE_LAYOUTS = tuple(
    name for name in LAYOUTS if name not in ("scanned", "pdf_embedded", *CONVERTER_LAYOUTS)
)  # on request: scanned pages go through OCR (seconds each); pdf_embedded and the converter layouts need the CJK
# font package, the converters poppler-utils or the conversions extra as well


# ---------------------------------------------------------------- generated cases


@dataclass(frozen=True)
class Generated:
    """One generated page and its gold, known by construction."""

    name: str
    layout: str
    damages: tuple[str, ...]
    cells: Cells
    source_errors: tuple[str, ...]
    data: bytes
    meta: dict
    not_on_page: tuple[str, ...] = ()
    undetermined: tuple[str, ...] = ()
    template: str = "gov2021"

    @property
    def filename(self) -> str:
        return self.name + LAYOUTS[self.layout][0]

    def gold(self) -> dict:
        return {
            "input": self.filename,
            "template": self.template,
            "meta": self.meta,
            "cells": self.cells,
            "not_on_page": list(self.not_on_page),
            "undetermined": list(self.undetermined),
            "kinds": [self.layout, *self.damages],
            "source_errors": list(self.source_errors),
            "notes": f"generated by eval.damage: layout {self.layout}, damage {', '.join(self.damages) or 'none'}",
        }


def generate(
    rng: random.Random,
    layout: str,
    damages: tuple[str, ...] = (),
    profile: str = "typical",
    source_error: bool = False,
    name: str = "generated",
    extra_damage: Callable[[Page, random.Random], Page] | None = None,
) -> Generated:
    """A random gold record, optionally with a planted source error, rendered in `layout` with `damages`
    (and `extra_damage`, one outside the suite's mix)."""
    cells = random_cells(rng, profile)
    if source_error:
        cells = plant_source_error(cells, rng)
    page = build_page(cells, rng)
    for kind, damage in DAMAGES.items():
        if kind in damages:
            page = damage(page, rng)
    if extra_damage is not None:
        page = extra_damage(page, rng)
    rendered = LAYOUTS[layout][1](page, rng)
    data = rendered.encode("utf-8") if isinstance(rendered, str) else rendered
    kinds = tuple(k for k in DAMAGES if k in damages) + (("source_error",) if source_error else ())
    not_on_page = tuple(page.gold.get("not_on_page", ()))
    cells = {k: v for k, v in (cells | page.gold.get("cells", {})).items() if k not in not_on_page}
    undetermined = tuple(page.gold.get("undetermined", ()))
    template = page.gold.get("template", "gov2021")
    errors = tuple(failing_identities(cells))
    return Generated(name, layout, kinds, cells, errors, data, page.meta, not_on_page, undetermined, template)


def suite_case(seed: int, index: int, layouts: tuple[str, ...] = SUITE_LAYOUTS) -> Generated:
    """Case `index` of the suite of `seed` over `layouts`: a random mix of damage kinds, drawn from the seed and
    index alone (a test can make one case of a suite without the others)."""
    rng = random.Random(f"{seed}:{index}")
    layout = layouts[index % len(layouts)]
    damages = tuple(k for k in DAMAGES if k not in LAYOUT_CLASSES and rng.random() < 0.3)
    # the layout classes from a stream of their own: a page without one is the page this seed always made
    classes = random.Random(f"{seed}:{index}:classes")
    damages = tuple(
        k for k in DAMAGES if k in damages or (k in LAYOUT_CLASSES and classes.random() < KIND_RATES.get(k, 0.15))
    )
    damages = tuple(
        k
        for k in damages
        if layout in KIND_LAYOUTS.get(k, (layout,)) and not KIND_CONFLICTS.get(k, set()) & set(damages)
    )
    source_error = rng.random() < 0.15
    name = f"{index:04d}-{layout}-" + ("+".join(damages + (("source_error",) if source_error else ())) or "clean")
    return generate(rng, layout, damages, rng.choice(PROFILES), source_error, name)


def write_suite(directory: Path, count: int, seed: int, layouts: tuple[str, ...] = SUITE_LAYOUTS) -> list[str]:
    """`count` cases cycling through the layouts, each with a random mix of damage kinds, pages beside their gold.
    A case reportlab cannot lay out even in its smallest type is left out, said in one line on stderr, and
    returned: one page that cannot be drawn does not lose the run's others."""
    from reportlab.platypus.doctemplate import LayoutError

    directory.mkdir(parents=True, exist_ok=True)
    undrawn = []
    for index in range(count):
        try:
            case = suite_case(seed, index, layouts)
        except LayoutError as error:
            undrawn.append(f"{index:04d}-{layouts[index % len(layouts)]}")
            print(f"(case {undrawn[-1]} of seed {seed} could not be drawn: {str(error)[:120]})", file=sys.stderr)
            continue
        name = case.name
        (directory / case.filename).write_bytes(case.data)
        (directory / f"{name}.gold.json").write_text(
            json.dumps(case.gold(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
        )
    return undrawn
