"""Sample inputs made from the committed gold: real-library HTML, DOCX and PDF renderings and text copies.

The benchmark and the batch tests need many distinct, checkable reports in every format; the gold
files hold the values, so a rendering's expected cells are known exactly. Tables follow the 2021
template layout (format.md §1.1–1.3), merged cells included, so each format's real table path runs.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from decimal import Decimal
from html import escape
from pathlib import Path

from schemas.keys import ALL_KEYS, FEE_KEY, OTHER_TOTAL_KEYS, T3_COLUMNS, T4_COLUMNS, T4_GROUPS, t3_key, t4_key

CORPUS = Path(__file__).resolve().parent.parent / "eval" / "corpus"
FORMATS = ("txt", "html", "docx", "pdf")

# (text, colspan, rowspan) — a value cell is a canonical key instead of text
Cell = tuple[str, int, int]
Row = list[Cell]

_T3_HEAD: list[Row] = [
    [("（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）", 3, 3), ("申请人情况", 7, 1)],
    [("自然人", 1, 2), ("法人或其他组织", 5, 1), ("总计", 1, 2)],
    [("商业企业", 1, 1), ("科研机构", 1, 1), ("社会公益组织", 1, 1), ("法律服务机构", 1, 1), ("其他", 1, 1)],
]
_T3_GROUPS = {
    "denied": ("（三）不予公开", ("1.属于国家秘密", "2.其他法律行政法规禁止公开", "3.危及“三安全一稳定”", "4.保护第三方合法权益", "5.属于三类内部事务信息", "6.属于四类过程性信息", "7.属于行政执法案卷", "8.属于行政查询事项")),
    "unable": ("（四）无法提供", ("1.本机关不掌握相关政府信息", "2.没有现成信息需要另行制作", "3.补正后申请内容仍不明确")),
    "not_processed": ("（五）不予处理", ("1.信访举报投诉类申请", "2.重复申请", "3.要求提供公开出版物", "4.无正当理由大量反复申请", "5.要求行政机关确认或重新出具已获取信息")),
    "other": ("（六）其他处理", ("1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请", "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请", "3.其他")),
}
_T3_ROW_ORDER = {g: [k for k in ALL_KEYS if k.startswith(f"applications.{g}.") and k.endswith(".total")] for g in _T3_GROUPS}


@dataclass(frozen=True)
class Sample:
    """One gold report made distinct: a title suffix and every count of 三 and 四 scaled by `factor`."""

    stem: str
    agency: str
    year: int
    cells: dict[str, int | Decimal | None]

    def title(self) -> str:
        return f"{self.agency}{self.year}年政府信息公开工作年度报告"


def gold_samples(corpus: Path = CORPUS) -> list[Sample]:
    """The gold cases that can be rendered: complete 2021 tables (no 2019 （六） row, no fragment)."""
    samples = []
    for path in sorted(corpus.glob("*.gold.json")):
        gold = json.loads(path.read_text(encoding="utf-8"))
        cells = gold["cells"]
        if gold["template"] != "gov2021" or set(cells) != set(ALL_KEYS) or set(cells) & set(OTHER_TOTAL_KEYS):
            continue
        values = {k: (Decimal(v) if k == FEE_KEY and v is not None else v) for k, v in cells.items()}
        samples.append(Sample(path.name.removesuffix(".gold.json"), gold["meta"]["agency_name"] or "某机关", gold["meta"]["report_year"] or 2023, values))
    return samples


def variant(sample: Sample, index: int) -> Sample:
    """A distinct report (its own content hash) whose identities still hold: 三 and 四 scale linearly."""
    factor = 1 + index % 3
    cells = {k: (v * factor if isinstance(v, int) and not k.startswith("active.") else v) for k, v in sample.cells.items()}
    return Sample(f"{sample.stem}-{index:05d}", f"{sample.agency}第{index}样本", sample.year, cells)


def _value(cells: dict, key: str) -> str:
    value = cells[key]
    return "" if value is None else str(value)


def table_rows(sample: Sample) -> tuple[list[Row], list[Row], list[Row]]:
    """Tables 二, 三 and 四 as rows of (text, colspan, rowspan), values filled in from the sample."""
    v = lambda key, span=1: (_value(sample.cells, key), span, 1)  # noqa: E731 - a cell shorthand
    t2: list[Row] = [
        [("第二十条第（一）项", 4, 1)],
        [("信息内容", 1, 1), ("本年制发件数", 1, 1), ("本年废止件数", 1, 1), ("现行有效件数", 1, 1)],
        [("规章", 1, 1), v("active.regulations.issued"), v("active.regulations.repealed"), v("active.regulations.in_force")],
        [("行政规范性文件", 1, 1), v("active.normative_docs.issued"), v("active.normative_docs.repealed"), v("active.normative_docs.in_force")],
        [("第二十条第（五）项", 4, 1)],
        [("信息内容", 1, 1), ("本年处理决定数量", 3, 1)],
        [("行政许可", 1, 1), v("active.licensing.decisions", 3)],
        [("第二十条第（六）项", 4, 1)],
        [("信息内容", 1, 1), ("本年处理决定数量", 3, 1)],
        [("行政处罚", 1, 1), v("active.penalty.decisions", 3)],
        [("行政强制", 1, 1), v("active.coercion.decisions", 3)],
        [("第二十条第（八）项", 4, 1)],
        [("信息内容", 1, 1), ("本年收费金额（单位：万元）", 3, 1)],
        [("行政事业性收费", 1, 1), v(FEE_KEY, 3)],
    ]
    values = lambda row: [v(t3_key(row, c)) for c in T3_COLUMNS]  # noqa: E731
    t3: list[Row] = [list(r) for r in _T3_HEAD]
    t3.append([("一、本年新收政府信息公开申请数量", 3, 1), *values("new_received")])
    t3.append([("二、上年结转政府信息公开申请数量", 3, 1), *values("carried_over")])
    t3.append([("三、本年度办理结果", 1, 22), ("（一）予以公开", 2, 1), *values("granted")])
    t3.append([("（二）部分公开（区分处理的，只计这一情形，不计其他情形）", 2, 1), *values("partially_granted")])
    for group, (label, items) in _T3_GROUPS.items():
        for i, item in enumerate(items):
            row = _T3_ROW_ORDER[group][i].removeprefix("applications.").removesuffix(".total")
            head = [(label, 1, len(items))] if i == 0 else []
            t3.append([*head, (item, 1, 1), *values(row)])
    t3.append([("（七）总计", 2, 1), *values("total_processed")])
    t3.append([("四、结转下年度继续办理", 3, 1), *values("carried_forward")])
    results = [("结果维持", 1, 1), ("结果纠正", 1, 1), ("其他结果", 1, 1), ("尚未审结", 1, 1), ("总计", 1, 1)]
    t4: list[Row] = [
        [("行政复议", 5, 1), ("行政诉讼", 10, 1)],
        [*((t, 1, 2) for t, _, _ in results), ("未经复议直接起诉", 5, 1), ("复议后起诉", 5, 1)],
        results + results,
        [v(t4_key(g, c)) for g in T4_GROUPS for c in T4_COLUMNS],
    ]
    return t2, t3, t4


_INTRO = "本报告根据《中华人民共和国政府信息公开条例》和《中华人民共和国政府信息公开工作年度报告格式》（国办公开办函〔2021〕30号）编制。"
_OVERVIEW = "本年度，本机关认真贯彻落实政府信息公开工作要求，持续加大主动公开力度，规范依申请公开办理流程。"
_ENDING = [
    ("五、存在的主要问题及改进情况", "信息公开的及时性和规范性仍需加强。下一步将完善工作机制，提升公开质量。"),
    ("六、其他需要报告的事项", "本年度未收取信息处理费。"),
]


def sections(sample: Sample) -> list[tuple[str, list[Row] | str]]:
    """The page in order: headings, paragraphs and the three tables."""
    t2, t3, t4 = table_rows(sample)
    parts: list[tuple[str, list[Row] | str]] = [
        ("title", sample.title()),
        ("p", _INTRO),
        ("h", "一、总体情况"),
        ("p", _OVERVIEW),
        ("h", "二、主动公开政府信息情况"),
        ("table", t2),
        ("h", "三、收到和处理政府信息公开申请情况"),
        ("table", t3),
        ("h", "四、政府信息公开行政复议、行政诉讼情况"),
        ("table", t4),
    ]
    for heading, paragraph in _ENDING:
        parts += [("h", heading), ("p", paragraph)]
    return parts


# ---------------------------------------------------------------- the four formats


def render_html(sample: Sample, head: str = "") -> bytes:
    """A government-site page: `head` lets a caller add scripts, styles or links (hostile tests)."""
    body = []
    for kind, content in sections(sample):
        if kind == "table":
            trs = "".join(
                "<tr>" + "".join(f'<td colspan="{cs}" rowspan="{rs}">{escape(text)}</td>' for text, cs, rs in row) + "</tr>\n"
                for row in content
            )
            body.append(f'<table border="1">\n{trs}</table>')
        else:
            tag = {"title": "h1", "h": "h2", "p": "p"}[kind]
            body.append(f"<{tag}>{escape(content)}</{tag}>")
    page = f'<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>{escape(sample.title())}</title>{head}</head>\n<body>\n' + "\n".join(body) + "\n</body></html>\n"
    return page.encode("utf-8")


def _grid(rows: list[Row]) -> tuple[int, list[tuple[int, int, Cell]]]:
    """Place spanned cells on a grid: the width and each cell's (row, column) origin."""
    taken: set[tuple[int, int]] = set()
    placed = []
    for r, row in enumerate(rows):
        c = 0
        for cell in row:
            while (r, c) in taken:
                c += 1
            _, cs, rs = cell
            taken.update((r + dr, c + dc) for dr in range(rs) for dc in range(cs))
            placed.append((r, c, cell))
            c += cs
    return max(c for _, c in taken) + 1, placed


def render_docx(sample: Sample) -> bytes:
    import docx

    document = docx.Document()
    for kind, content in sections(sample):
        if kind == "table":
            width, placed = _grid(content)
            table = document.add_table(rows=len(content), cols=width)
            table.style = "Table Grid"
            grid = [row.cells for row in table.rows]  # once, before merging: table.cell() rescans the table
            for r, c, (text, cs, rs) in placed:
                grid[r][c].text = text
                if cs > 1 or rs > 1:
                    grid[r][c].merge(grid[r + rs - 1][c + cs - 1])
        elif kind == "title":
            document.add_heading(content, level=1)
        else:
            document.add_paragraph(content)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def render_pdf(sample: Sample, encrypt: str | None = None) -> bytes:
    """A text-layer PDF in the CID font STSong-Light; `encrypt` sets a user password."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle

    if "STSong-Light" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    text_style = ParagraphStyle("zh", fontName="STSong-Light", fontSize=9, leading=12, wordWrap="CJK")
    cell_style = ParagraphStyle("zh-cell", parent=text_style, fontSize=7, leading=9)
    flow = []
    for kind, content in sections(sample):
        if kind != "table":
            flow.append(Paragraph(escape(content), text_style))
            continue
        width, placed = _grid(content)
        data = [[""] * width for _ in content]
        spans = []
        for r, c, (text, cs, rs) in placed:
            data[r][c] = Paragraph(escape(text), cell_style) if len(text) > 6 else text
            if cs > 1 or rs > 1:
                spans.append(("SPAN", (c, r), (c + cs - 1, r + rs - 1)))
        table = Table(data, repeatRows=0)
        table.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), "STSong-Light", 7), ("GRID", (0, 0), (-1, -1), 0.5, colors.black), *spans]))
        flow.append(table)
    buffer = io.BytesIO()
    SimpleDocTemplate(buffer, pagesize=landscape(A4), encrypt=encrypt, title=sample.title()).build(flow)
    return buffer.getvalue()


def render_text(path: Path, index: int) -> bytes:
    """A committed text report made distinct by a closing line with no digits (so no table reads it)."""
    tag = "".join(chr(ord("a") + int(d)) for d in str(index))
    return path.read_bytes().rstrip() + f"\n\n（副本{tag}）\n".encode("utf-8")


RENDERERS = {"html": render_html, "docx": render_docx, "pdf": render_pdf}


def write_samples(out: Path, fmt: str, n: int, start: int = 0) -> list[Path]:
    """`n` distinct reports of one format in `out`; text copies the committed .txt reports."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    if fmt == "txt":
        sources = sorted(CORPUS.glob("*.txt"))
        for i in range(start, start + n):
            source = sources[i % len(sources)]
            path = out / f"{source.stem}-{i:05d}.txt"
            path.write_bytes(render_text(source, i))
            written.append(path)
        return written
    samples = gold_samples()
    for i in range(start, start + n):
        sample = variant(samples[i % len(samples)], i)
        path = out / f"{sample.stem}.{fmt}"
        path.write_bytes(RENDERERS[fmt](sample))
        written.append(path)
    return written
