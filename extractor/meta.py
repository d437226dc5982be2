"""Which report is it: agency, year and scope from every place a report names itself (docs/metadata.md).

The places, in order of trust: the title printed on the page (joined across line breaks, converter
headings such as 正文/目录/附件 skipped), the page's own properties that ingest carries (the HTML
`<title>` and headings, PDF document info, DOCX core properties, a crawl file's title column), the
统计期限/报告期 sentence (year only), the opening prose ('2023年，××局……'). Each field takes the first
place that determines it and names that place in `meta.provenance`; a field no place determines stays
null. A candidate agency must read as an organisation or an area (never a heading word). Pure functions.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from nianbao.schemas.record import Meta

HEAD_CHARS = 6000  # the title sits above the first table: past this it is no longer the page's own title
TITLE_MAX = 90  # characters of a title line (chrome included); longer lines are prose
_YEAR = re.compile(r"((?:19|20)\d{2})\s*年")
_YEAR_AFTER = re.compile(r"[（(](?:19|20)\d{2}年?度?[)）]")
_TITLE_END = re.compile(r"年\s*度\s*报\s*告|年\s*报")
_PHRASE = re.compile(r"政府信息公开|政务公开|信息公开")
# a line a converter or a crawler puts above the page: never part of a title, never an agency
_CONVERTER_HEADING = re.compile(
    r"^[#=\-—*_\s|]*(?:正文|目录|附件\s*\d*|封面|全文|内容|文章内容|原文|首页|标题|打印|关闭)[=\-—*_\s|:：]*$"
)
_CHROME_PREFIX = re.compile(r"^(?:标题|题名|文章标题|当前位置|当前页面|您的位置|你的位置|位置)\s*[:：]\s*")
# breadcrumb and site separators: a title's agency starts after the last of them
# a page's byline on the title's line ('…年度报告 来源：平潭县人民政府 时间：2022-02-08', as PDF→markdown joins them)
_BYLINE = re.compile(r"\s+(?:来\s*源|发布时间|发布日期|时\s*间|日\s*期|作\s*者|浏览次数)\s*[:：]")
_BREADCRUMB = re.compile(r".*(?:首页|当前位置|您的位置|>|»|\u203a|→|/|\||_|年报|栏目|正文)")
_SENTENCE = re.compile(r"[。；;！？!?《]|[:：，,].{12,}")
_DATE_LINE = re.compile(r"^[(（]?\s*(?:19|20)\d{2}\s*年\s*\d{1,2}\s*月(?:\s*\d{1,2}\s*日)?\s*[)）]?$")
_FRAGMENT_START = ("信息公开", "公开", "工作", "年度报告", "年报", "报告", "度报告")
# an organisation or an area ends in one of these characters (局, 委员会, 人民政府, 中心, 地区, 县, 街道 …)
_ORGANISATION_END = re.compile(
    r"[局委办府心院厅处所站队会部署区县市州盟旗镇乡道司馆校学社行园场台团组室科庭狱省关联岛]$"
)
_NOT_AN_AGENCY = re.compile(
    r"^(?:我|本|该|全|各|市|区|县|省)[^\d]{0,2}$|^(?:本|我)(?:机关|单位|部门|局|委|办|院|中心|县|区|市|镇|街道)"
    r"|政府信息公开|政务公开|年度报告|[、的]|^(?:正文|目录|附件|首页|标题|报告|工作|公开|内容)$"
    r"|^(?:中心|政府|人民政府|管委会|委员会|办公室|机关|单位|部门|区委|县委|市委)$"
)
# scope from the name alone, so that one agency gets the same answer every year: an area's government
# (or the area itself) reports for the area; any office, bureau or centre for itself
_AREA_GOVERNMENT = re.compile(
    r"(?:人民政府|政府|行政公署|管委会|管理委员会|省|市|区|县|州|盟|旗|镇|乡|街道|地区|自治区|自治州|自治县)$"
)
_TABLE_THREE = re.compile(r"收到和处理政府信息公开申请")
_PERIOD = re.compile(
    r"(?:统计期限|统计时限|统计时间|统计区间|统计周期|数据期限|报告期|统计范围)[^。\n\d]{0,12}((?:19|20)\d{2})\s*年"
)
_PROSE_OPENING = re.compile(r"(?:^|\n|。|\s|情况)[\s|]*((?:19|20)\d{2})\s*年度?\s*[,，]\s*([^，,。；;\n]{2,60})")
# what follows an agency's name at the start of an opening sentence ('2023年，××局认真贯彻……')
_PROSE_VERBS = (
    "坚持",
    "认真",
    "始终",
    "深入",
    "全面",
    "紧紧",
    "紧扣",
    "在",
    "以",
    "按照",
    "围绕",
    "严格",
    "持续",
    "高度",
    "积极",
    "进一步",
    "继续",
    "切实",
    "聚焦",
    "立足",
    "把",
    "扎实",
    "不断",
    "着力",
    "结合",
    "根据",
    "依据",
    "贯彻",
    "共",
    "政府信息",
)
_PROSE_PUBLISHES = re.compile(
    r"现(?:将|予|就)?(?:公布|发布|向社会公布)?\s*([^，,。；;\n《]{2,40}?)\s*((?:19|20)\d{2})\s*年度?\s*(?:政府信息公开|政务公开)"
)
_PUBLISH = re.compile(
    r"(?:发布日期|发布时间|成文日期|时间)\s*[:：]\s*((?:19|20)\d{2})[-/.年]\s*(\d{1,2})[-/.月]\s*(\d{1,2})"
)
_ANY_DATE = re.compile(r"((?:19|20)\d{2})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})")
_CITED = re.compile(r"国办公开办函\s*[〔\[(（]\s*(\d{4})\s*[〕\])）]\s*(\d+)\s*号")
_OFFICE_PREFIX = re.compile(r"^(?:Microsoft\s*Word|WPS\s*文字|Word)\s*[-–—:：]\s*|\.(?:docx?|pdf|wps)$", re.I)
# where a property comes from, in order of trust (ingest names them; crawl files add theirs)
PROPERTY_TRUST = ("html_title", "html_heading", "crawl_title", "pdf_title", "pdf_subject", "docx_title", "docx_subject")


_CHINESE_NUMERALS = "\u3007\u25cb零一二三四五六七八九"  # ideographic zero (and the circle typed for it), 零, 一 … 九
_CHINESE_DIGITS = str.maketrans(_CHINESE_NUMERALS, "000123456789")
_CHINESE_YEAR = re.compile(f"([{_CHINESE_NUMERALS}]{{4}})(?=\\s*年)")


def _flat(text: str) -> str:
    """NFKC, no whitespace, a year in Chinese numerals as digits (二〇二三年 → 2023年)."""
    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))
    return _CHINESE_YEAR.sub(lambda m: m.group(1).translate(_CHINESE_DIGITS), text)


def is_agency_name(name: str | None) -> bool:
    """A name that can identify an agency: an organisation or area, never a heading word or '本机关'."""
    if not name or len(name) < 2 or not re.search(r"[\u4e00-\u9fff]", name):
        return False
    return not _NOT_AN_AGENCY.search(name) and not _YEAR.search(name)


def scope_of(agency: str | None) -> str | None:
    """aggregate for an area's government or the area itself, agency for any other body; None without a name."""
    if not agency:
        return None
    return "aggregate" if _AREA_GOVERNMENT.search(agency) else "agency"


def _head_lines(text: str) -> list[str]:
    """The page's first lines, stripped, with blank lines and converter headings dropped."""
    lines = []
    for line in text[:HEAD_CHARS].split("\n"):
        line = line.strip().strip("#").strip()
        if line and not _CONVERTER_HEADING.match(line):
            lines.append(line)
    return lines


def _clean_title(line: str) -> str:
    line = _CHROME_PREFIX.sub("", line.strip())
    line = line[: m.start()] if (m := _BYLINE.search(line)) else line
    return _OFFICE_PREFIX.sub("", line).strip()


def _joinable(line: str) -> bool:
    """A line that can be the start of a title broken over lines: short, no sentence, no other title."""
    flat = _flat(_CHROME_PREFIX.sub("", line))
    return (
        0 < len(flat) <= 40
        and not _SENTENCE.search(flat)
        and not _TITLE_END.search(flat)
        and not _DATE_LINE.match(flat)
        and not flat.isdigit()
    )


def _title_at(lines: list[str], end: int) -> tuple[str, int] | None:
    """The title whose last line is `lines[end]`, joined with the lines it was broken from (up to two),
    and the index of its first line."""
    title = _clean_title(lines[end])
    if len(title) > TITLE_MAX or _SENTENCE.search(_flat(title)):
        return None
    start = end
    while start > 0 and end - start < 2:
        flat = _flat(title)
        year = _YEAR.search(flat)
        fragment = flat.startswith(_FRAGMENT_START) or not _PHRASE.search(flat)
        agency_missing = year is not None and year.start() == 0
        previous = lines[start - 1]
        if not (fragment or year is None or agency_missing) or not _joinable(previous):
            break
        if agency_missing and not fragment and not _ORGANISATION_END.search(_flat(_clean_title(previous))):
            break  # a year-first title under a line that is no agency's name (a column heading, a date)
        title = _clean_title(previous) + title
        start -= 1
    flat = _flat(title)
    phrase = _PHRASE.search(flat)
    if not phrase:
        return None
    end_of_title = _TITLE_END.search(flat, phrase.end())  # a site's name after the title is not the title
    if end_of_title is None:
        return flat, start
    year_after = _YEAR_AFTER.match(flat, end_of_title.end())  # '…年度报告（2022年）'
    return flat[: year_after.end() if year_after else end_of_title.end()], start


def parse_title(title: str) -> tuple[str | None, int | None]:
    """(agency, year) as a title prints them: the agency before the year (after any breadcrumb), or
    after it ('2023年度××局政府信息公开…'); either is None where the title does not print it."""
    flat = _flat(_clean_title(title))
    m = _YEAR.search(flat)
    year = int(m.group(1)) if m else None
    phrase = _PHRASE.search(flat)
    ends = [at for at in (m.start() if m else None, phrase.start() if phrase else None) if at is not None]
    before = flat[: min(ends)] if ends else ""  # '××局2023年政府信息公开…' or '××局政府信息公开工作2023年度报告'
    before = _BREADCRUMB.sub("", before).strip("（(【[<《:：-—·、 ")
    before = re.sub(r"^关于|关于$|的$", "", before)
    agency = before or None
    if agency is None and m:
        after = re.match(r"(?:年度|年)?[（(]?(.+?)[)）]?(?:政府信息公开|政务公开|信息公开)", flat[m.end() - 1 :])
        agency = after.group(1) if after else None
    return (agency if is_agency_name(agency) else None), year


def find_titles(text: str) -> list[str]:
    """The report titles on the page's head, in page order (a crawler's page may repeat its own)."""
    lines = _head_lines(text)
    titles = []
    for end, line in enumerate(lines):
        if _TITLE_END.search(line) and (found := _title_at(lines, end)):
            titles.append(found[0])
    return titles


def find_title(text: str) -> str | None:
    """The page's own title: the first title line that names a year, else the first that names an agency."""
    titles = find_titles(text)
    parsed = [(t, parse_title(t)) for t in titles]
    return next((t for t, (_, y) in parsed if y), None) or next((t for t, (a, _) in parsed if a), None)


def report_titles(text: str) -> list[tuple[int, str | None, int]]:
    """(offset, agency, year) of each distinct report on the page, at its title's first line: a title
    counts only when its own table 三 follows it (a link to last year's report is no report). More than
    one means the page holds more than one report (two years, two agencies)."""
    offsets, pos = [], 0
    for line in text.split("\n"):
        offsets.append((pos, line.strip()))
        pos += len(line) + 1
    kept = [(at, line) for at, line in offsets if line and not _CONVERTER_HEADING.match(line)]
    lines = [line for _, line in kept]
    titles = []
    for end, line in enumerate(lines):
        if _TITLE_END.search(line) and (found := _title_at(lines, end)):
            agency, year = parse_title(found[0])
            if year is not None:
                titles.append((kept[found[1]][0], agency, year))
    reports: list[tuple[int, str | None, int]] = []
    seen: set[tuple[int, str]] = set()
    for k, (at, agency, year) in enumerate(titles):
        body_end = titles[k + 1][0] if k + 1 < len(titles) else len(text)
        if (year, _identity(agency)) not in seen and _TABLE_THREE.search(text, at, body_end):
            seen.add((year, _identity(agency)))
            reports.append((at, agency, year))
    return reports


def _identity(agency: str | None) -> str:
    return _flat(agency or "")


def _from_prose(text: str) -> tuple[str | None, int | None]:
    """The name and year the opening prose gives ('现将××局2023年…', '2023年，××局坚持…'): the first
    name, or a longer form of it with its area prefix printed later ('地区商务局' → '和田地区商务局')."""
    head = text[:HEAD_CHARS]
    named: list[tuple[str, int]] = []
    for m in _PROSE_PUBLISHES.finditer(head):
        named.append((_flat(m.group(1)), int(m.group(2))))
    for m in _PROSE_OPENING.finditer(head):
        clause = _flat(m.group(2))
        for k in range(2, len(clause)):  # the name ends where an organisation's last character meets a verb
            if _ORGANISATION_END.search(clause[:k]) and clause.startswith(_PROSE_VERBS, k):
                named.append((clause[:k], int(m.group(1))))
                break
    named = [(n, y) for n, y in named if is_agency_name(n) and _ORGANISATION_END.search(n)]
    if not named:
        first = _PROSE_OPENING.search(head)
        return None, int(first.group(1)) if first else None
    name, year = named[0]
    for other, _ in named[1:]:
        if other.endswith(name) and len(other) > len(name):
            name = other
    return name, year


def _publish_date(text: str, properties: dict[str, str]) -> tuple[date | None, str | None]:
    candidates = []
    if m := _PUBLISH.search(text[:3000]):
        candidates.append((m.groups(), "page"))
    if (crawled := properties.get("crawl_date")) and (m := _ANY_DATE.search(crawled)):
        candidates.append((m.groups(), "crawl_date"))
    for (y, mo, d), where in candidates:
        try:
            return date(int(y), int(mo), int(d)), where
        except ValueError:
            continue
    return None, None


def extract_meta(text: str, template: str, properties: dict[str, str] | None = None) -> Meta:
    """Meta from the page text and the properties ingest read beside it (`Document.properties`)."""
    properties = properties or {}
    provenance: dict[str, str] = {}
    title = find_title(text)
    agency, year = parse_title(title) if title else (None, None)
    if agency:
        provenance["agency_name"] = "title"
    if year:
        provenance["report_year"] = "title"
    for where in PROPERTY_TRUST:
        if agency and year:
            break
        value = properties.get(where)
        if not value or not _PHRASE.search(_flat(value)):
            continue
        named, printed = parse_title(value)
        if title is None:
            title = _flat(_clean_title(value))
        if agency is None and named:
            agency, provenance["agency_name"] = named, where
        if year is None and printed:
            year, provenance["report_year"] = printed, where
    if year is None and (m := _PERIOD.search(text)):
        year, provenance["report_year"] = int(m.group(1)), "period"
    if agency is None or year is None:
        named, printed = _from_prose(text)
        if agency is None and named:
            agency, provenance["agency_name"] = named, "prose"
        if year is None and printed:
            year, provenance["report_year"] = printed, "prose"
    published, where = _publish_date(text, properties)
    if published:
        provenance["publish_date"] = where
    scope = scope_of(agency)
    if scope:
        provenance["scope"] = "agency_name"
    cited = None
    if m := _CITED.search(text):
        cited = f"国办公开办函〔{m.group(1)}〕{m.group(2)}号"
    return Meta(
        title=title,
        agency_name=agency,
        report_year=year,
        template=template if template in ("gov2021", "gov2019") else "unknown",
        scope=scope,
        publish_date=published,
        cited_format_doc=cited,
        provenance=provenance,
    )
