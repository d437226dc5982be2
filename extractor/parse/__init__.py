"""Stage 2 — locate and parse: find the three tables by their labels and read every cell.

The page is read as label anchors plus the value tokens between them, so the same code reads
one-cell-per-line text, tab soup, markdown, glued digit runs and the tab-separated rows that
ingest renders for HTML, DOCX and PDF tables. Every value keeps the span it was read from.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from nianbao.parse.blocks import Spill, column_stream
from nianbao.parse.labels import _END_TITLE, Anchor, detect_template, locate, t3_section
from nianbao.parse.parts import settle_parts
from nianbao.parse.rows import absent_rows, table_rows
from nianbao.parse.tables import (
    _CELLS,
    T2_2019,
    T2_2021,
    ParsedTables,
    TableRow,
    fill_fee,
    fill_table2,
    fill_table2_2019,
    parse_table2,
    parse_table3,
    parse_table4,
)
from nianbao.parse.tokens import Item, as_number, segment_items
from nianbao.prose import stated
from nianbao.schemas.keys import T3_COLUMNS

__all__ = [
    "PARSER_VERSION",
    "Item",
    "ParsedTables",
    "TableRow",
    "as_number",
    "parse_tables",
    "segment_items",
    "t3_section",
]

PARSER_VERSION = "1.0"


def parse_tables(
    text: str, *, trust_blanks: bool, place: Callable[[tuple[int, int] | None], dict] | None = None
) -> ParsedTables:
    """Read every cell the page has; cells that cannot be read with certainty say why in their flags.

    `place` (nianbao.positions.placement) gives a span its page, box and confidence, where the page has them."""
    regions = locate(text)
    cells: dict[str, dict] = {}  # key → the fields of its Cell
    found: set[str] = set()
    warnings: list[str] = []
    template = detect_template(text)
    t2_anchors: list[Anchor] = []
    if regions.t2:
        t2_template = T2_2019 if template == "gov2019" else T2_2021
        t2_anchors = parse_table2(
            text, *regions.t2, trust_blanks, cells, found, regions.t2_section, t2_template, template != "unknown"
        )
    t3_anchors: list[Anchor] = []
    t3_columns = T3_COLUMNS
    spill = Spill()  # tables 二 and 四's numbers, where table 三 was read from pdftotext's number stream
    if regions.t3:
        t4_end = regions.t4[1] if regions.t4 else None
        t3_anchors, t3_columns = parse_table3(text, *regions.t3, trust_blanks, cells, found, warnings, t4_end, spill)
        # table 二's numbers in a stream of their own: read as the stream where table 三's is read (its last
        # numbers may lie after table 三's title), or where table 二's region is a column stream by itself
        apart = regions.t2 and (spill.read or (not spill.before and column_stream(text, regions.t2[0], regions.t3[0])))
        if apart and template != "gov2019":
            fill_table2(text, regions.t2[0], regions.t3[0], spill.before, cells, warnings)
        elif regions.t2 and template != "gov2019":
            fill_fee(spill.before, cells, warnings)
        elif apart:
            fill_table2_2019(text, regions.t2[0], regions.t3[0], spill.before, cells, warnings)
    if regions.t2:  # every reading of table 二 made: the placements by order its page decides
        warnings += settle_parts(text, *regions.t2, t2_template, t2_anchors, cells, stated(text))
    if regions.t4:
        parse_table4(
            text,
            *regions.t4,
            trust_blanks,
            cells,
            found,
            warnings,
            spill.after,
            spill.blocks,
            spill.others,
            spill.among,
            spill.claimed,
        )
    if template == "unknown" and regions.t3:
        template = "gov2021"
    for fields in cells.values() if place else ():
        fields.update(place(fields.get("span")))  # a collapsed column's unprinted cell has none
    absent = absent_rows(text, found, template, regions.t3)
    parsed = ParsedTables(
        _CELLS.validate_python(cells), regions, found, warnings, template, absent=absent, t3_columns=t3_columns
    )
    parsed.read_rows = partial(
        table_rows, text, regions, template, t2_anchors, t3_anchors, t3_columns
    )  # no cycle back to parsed
    start = regions.t3[0] if regions.t3 else (regions.t2[0] if regions.t2 else None)
    parsed.stops_inside_tables = start is not None and regions.t4 is None and not _END_TITLE.search(text, start + 200)
    return parsed
