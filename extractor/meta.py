"""Report metadata (format.md §4) mined from the title, the chrome and the prose. Pure functions."""

from __future__ import annotations

import re
from datetime import date

from nianbao.schemas.record import Meta

_TITLE_END = re.compile(r"年\s*度\s*报\s*告")
_CHROME_PREFIX = re.compile(r"^(?:标题|当前位置|当前页面)\s*[:：]?\s*")
_YEAR = re.compile(r"((?:19|20)\d{2})\s*年")
_PUBLISH = re.compile(
    r"(?:发布日期|发布时间|成文日期|时间)\s*[:：]\s*((?:19|20)\d{2})[-/.年]\s*(\d{1,2})[-/.月]\s*(\d{1,2})"
)
_CITED = re.compile(r"国办公开办函\s*[〔\[(（]\s*(\d{4})\s*[〕\])）]\s*(\d+)\s*号")
_PERIOD = re.compile(r"统计期限自\s*((?:19|20)\d{2})\s*年")
_GOVERNMENT = re.compile(r"(人民政府|行政公署|管委会|管理委员会|实验区|地区)$")
_WHOLE_AREA = re.compile(
    r"全(?:区|县|市|地区|州|盟|旗|省)(?:各级)?(?:行政机关)?(?:共)?(?:收到|受理|主动公开|办理|各级)"
)


def find_title(text: str) -> str | None:
    head = text[:4000]
    m = _TITLE_END.search(head)
    if not m:
        return None
    line_start = head.rfind("\n", 0, m.start()) + 1
    title = head[line_start : m.end()]
    lines_before = [ln.strip() for ln in head[:line_start].split("\n") if ln.strip()]
    for previous in reversed(lines_before[-2:]):
        # a wrapped title: "…2023年政府信息公开工作\n年度报告" or "洪泽区人民政府\n2023 年…年度报告"
        fragment = re.sub(r"\s", "", title)
        if (
            (len(fragment) <= 8 or _YEAR.match(fragment))
            and len(previous) <= 40
            and not re.search(r"[。:：]", previous)
        ):
            title = previous + title
        else:
            break
    title = _CHROME_PREFIX.sub("", title.strip())
    title = re.split(r"\s{2,}|首页|>>|»", title)[-1]
    return re.sub(r"\s+", "", title) or None


def agency_from_title(title: str) -> str | None:
    m = _YEAR.search(title)
    if not m:
        return None
    before = title[: m.start()].strip()
    if before:
        return before
    after = re.match(r"(?:年度)?(.+?)政府信息公开", title[m.end() :])
    return after.group(1) if after and after.group(1) else None


def extract_meta(text: str, template: str) -> Meta:
    title = find_title(text)
    agency = agency_from_title(title) if title else None
    year = None
    if title and (m := _YEAR.search(title)):
        year = int(m.group(1))
    elif m := _PERIOD.search(text):
        year = int(m.group(1))
    published = None
    if m := _PUBLISH.search(text[:3000]):
        try:
            published = date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            published = None
    cited = None
    if m := _CITED.search(text):
        cited = f"国办公开办函〔{m.group(1)}〕{m.group(2)}号"
    aggregate = bool(agency and _GOVERNMENT.search(agency) and _WHOLE_AREA.search(text))
    return Meta(
        title=title,
        agency_name=agency,
        report_year=year,
        template=template if template in ("gov2021", "gov2019") else "unknown",
        scope="aggregate" if aggregate else "agency",
        publish_date=published,
        cited_format_doc=cited,
    )
