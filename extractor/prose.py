"""The report's prose as evidence: the figures its sentences state, as canonical keys with their spans.

Used by the parser (to choose among readings of printed tokens, `prose_confirmed`) and by the checker
(soft checks). A figure counts only where its sentence is unambiguous about its subject: a tight phrase
("收到政府信息公开申请75件", "办结69件", "1件结转下年度", "现行有效行政规范性文件698件", "行政复议案件2件"),
a number with its unit, in a line that is no table row (no tab or pipe: the tables' own text is not prose).
Prose aggregates loosely (format.md §2.2), so a figure may state one of several sums ("收到申请N件" is
新收, or 新收 + 上年结转): it agrees where any of them equals it, contradicts only where all differ.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from nianbao.schemas.keys import FEE_KEY, T3_APPLICANT_COLUMNS, t3_key, t4_key

Summands = tuple[str, ...]  # cells whose sum the figure may state


@dataclass(frozen=True)
class Figure:
    value: int | Decimal  # a count, or table 二's fee in 万元
    span: tuple[int, int]  # the number in the document text
    phrase: str  # the clause it was read from
    readings: tuple[Summands, ...]  # the sums it may state; the first is what it states where nothing is carried

    @property
    def key(self) -> str:
        return self.readings[0][0]

    @property
    def name(self) -> str:
        """What it states where nothing is carried over: a key, or the keys it sums."""
        return "+".join(self.readings[0])

    @property
    def keys(self) -> list[str]:
        return sorted({k for reading in self.readings for k in reading})

    def agrees(self, values: Mapping[str, object]) -> bool | None:
        """True where a computable reading equals the figure, False where every reading is computable and
        none does, None where the cells cannot say (unread, blank)."""
        sums = [
            sum(values[k] for k in r) for r in self.readings if all(isinstance(values.get(k), int | Decimal) for k in r)
        ]
        if self.value in sums:
            return True
        return False if len(sums) == len(self.readings) else None


_N = r"(?<![\d.．])(\d+)\s*(?:件|起)"  # a count with its unit
_GAP = r"[^，,、。；;：:\d《》“”\"]{0,%d}?"  # a few characters of the same clause, no other number
_NOT_APPLICATIONS = re.compile(
    r"复议|诉讼|信访|来信|来访|来电|投诉|举报|诉求|热线|工单|留言|咨询|建议|提案|事项|案件|主动公开|依职权"
    r"|行政许可|行政处罚|行政强制"
)
_NOT_A_TOTAL = re.compile(r"维持|纠正|撤销|驳回|败诉|胜诉|审结|结案|其他|确认|未经|复议后|之中|其中")
_CLAUSE = re.compile(r"[^，,、；;：:]+")
_SENTENCE = re.compile(r"[^。！？!?\n]+")
_COLUMN_NAMES = {
    "自然人": ("natural_person",),
    "法人或其他组织": T3_APPLICANT_COLUMNS[1:],
    "法人和其他组织": T3_APPLICANT_COLUMNS[1:],
    "商业企业": ("commercial",),
    "科研机构": ("research",),
    "社会公益组织": ("public_interest_org",),
    "法律服务机构": ("legal_service",),
}
_COLUMN = re.compile("(" + "|".join(_COLUMN_NAMES) + r")(?:提出)?(?:申请)?" + (_GAP % 4) + _N)


def _t3(*rows: str) -> Summands:
    return tuple(t3_key(r, "total") for r in rows)


@dataclass(frozen=True)
class _Phrase:
    """A phrasing real reports use, the sums it states, and whether it names applications."""

    pattern: re.Pattern
    readings: tuple[Summands, ...]
    applications: bool  # a table 三 figure: its clause must be about disclosure applications
    unless: re.Pattern | None = None  # a clause this matches is about something else


def _p(pattern: str, *readings: Summands, applications: bool = True, unless: re.Pattern | None = None) -> _Phrase:
    """{N} a count, {G} a few characters between the words and it; {g} at most three ("共计", "了")."""
    expanded = pattern.replace("{N}", _N).replace("{G}", _GAP % 8).replace("{g}", _GAP % 3)
    return _Phrase(re.compile(expanded), readings, applications, unless)


_DOCS = r"(?:行政)?规范性文件"
_RULES = r"规章(?!制度)"
# table 二's 本年处理决定数量 as a decision made ("作出行政处罚决定2113件", "行政许可处理决定10690件"); a clause about
# information published on them ("公开行政许可信息3540件") or about cases against them states no decision
_NOT_DECISIONS = re.compile(r"公开|公示|信息|复议|诉讼")
_DECISIONS = tuple(
    _p(pattern + "{g}{N}", (f"active.{row}.decisions",), applications=False, unless=_NOT_DECISIONS)
    for row, verbs, word, nouns in (
        ("licensing", "作出|办理|办结|审批", "行政许可", "决定|事项|审批事项|申请"),
        ("penalty", "作出|办理|办结|实施", "行政处罚", "决定|案件"),
        ("coercion", "作出|实施|采取|办理", "行政强制", "措施|执行|决定"),
    )
    for pattern in (f"(?:{verbs})了?{word}(?:{nouns})?", f"{word}(?:本年)?处理决定(?:数量|数)?")
)
# table 二's fee, in the column's unit: "收取行政事业性收费9116.36万元" (a 信息处理费 is no 行政事业性收费)
_FEE = re.compile(r"(?:行政)?事业性收费(?:金额|收入|总额)?" + (_GAP % 6) + r"(?<![\d.．])(\d+(?:\.\d+)?)\s*万元")
# Order matters: a number is taken by the first phrase that reads it ("结转下年度继续办理1件" is no 办理).
_PHRASES = (
    *_DECISIONS,
    _p(r"上一?年度?结转{G}{N}", _t3("carried_over")),
    _p(r"结转(?:至|到)?下一?年度?{G}{N}", _t3("carried_forward")),
    _p(r"{N}{G}结转(?:至|到)?下一?年", _t3("carried_forward")),
    _p(r"新收(?:到)?{G}申请{G}{N}", _t3("new_received")),
    _p(r"(?:收到|受理|接收|接到){G}申请{G}{N}", _t3("new_received"), _t3("new_received", "carried_over")),
    _p(r"(?:收到|受理|接收|接到){G}{N}{G}申请", _t3("new_received"), _t3("new_received", "carried_over")),
    _p(r"(?<!不予)(?<!其他)(?:办结|答复|办理|处理)(?:完毕)?{g}{N}", _t3("total_processed")),
    _p(r"(?<!不予)(?<!其他)(?:办结|答复)了?{G}申请{g}{N}", _t3("total_processed")),
    _p(r"现行有效的?" + _DOCS + r"{G}{N}", ("active.normative_docs.in_force",), applications=False),
    _p(r"(?:制发|印发|出台|制定)的?" + _DOCS + r"{G}{N}", ("active.normative_docs.issued",), applications=False),
    _p(r"废止的?" + _DOCS + r"{G}{N}", ("active.normative_docs.repealed",), applications=False),
    _p(r"现行有效的?" + _RULES + r"{G}{N}", ("active.regulations.in_force",), applications=False),
    _p(r"(?:制发|出台|制定)的?" + _RULES + r"{G}{N}", ("active.regulations.issued",), applications=False),
    _p(r"废止的?" + _RULES + r"{G}{N}", ("active.regulations.repealed",), applications=False),
)
# table 二's subject carried into the next clauses of its sentence: "本年制发规范性文件3件、废止8件",
# "对44件规范性文件进行清理，保留40件，废止4件"; a clause naming both subjects carries neither
_T2_SUBJECTS = (("normative_docs", re.compile(_DOCS)), ("regulations", re.compile(_RULES)))
_T2_VERBS = (
    ("issued", re.compile(r"(?:新)?(?:制发|印发|出台|制定)了?" + (_GAP % 3) + _N)),
    ("repealed", re.compile(r"废止了?" + (_GAP % 3) + _N)),
    ("in_force", re.compile(r"现行有效的?" + (_GAP % 3) + _N)),
)
# "未出台规章和行政规范性文件", "本年度没有制发规范性文件": none issued
_NONE_ISSUED = re.compile(
    r"(?:未|没有|无)(?:新)?(?:制发|出台|制定|印发)(?:任何)?((?:行政)?规范性文件|规章)(?:(?:和|及|、|或)((?:行政)?规范性文件|规章))?"
)
# "现行有效规章12件、行政规范性文件56件": a list item that is only a subject and its count takes the verb before it
_LISTED = re.compile(r"\s*(?:本级)?(" + _DOCS + "|" + _RULES + r")\s*(\d+)\s*件\s*")
# "未发生政府信息公开行政复议、行政诉讼案件": none of either (none with a result, "未发生被纠正的…", is no total)
_NO_CASES = re.compile(
    r"(?:未|没有)(?:发生|产生|出现|收到)[^，,。；;]{0,16}?(行政复议)?(?:、|和|及|或)?(行政诉讼)?案件"
)
# "行政诉讼案件1件、行政复议案件2件，均已结案": none of the cases the sentence counts is pending
_ALL_CLOSED = re.compile(r"(?:均|全部|都)已?(?:全部)?(?:结案|审结|办结)|已全部(?:结案|审结|办结)")
_STILL_OPEN = re.compile(r"未(?:结案|审结|办结|结)")
_REVIEW = re.compile(r"行政复议(?:案件|申请)?" + (_GAP % 6) + _N)
_LITIGATION = re.compile(r"行政诉讼(?:案件)?" + (_GAP % 6) + _N)
_LAWSUITS = (t4_key("litigation_direct", "total"), t4_key("litigation_after_review", "total"))


def _is_prose(line: str) -> bool:
    return "\t" not in line and "|" not in line


def _with_column(reading: Summands, columns: tuple[str, ...]) -> Summands:
    """A total's reading for some applicant columns: 新收.total → 新收.<column> for each column named."""
    return tuple(k.rsplit(".", 1)[0] + "." + c for k in reading for c in columns)


def _clause_figures(start: int, clause: str, about_applications: bool) -> list[Figure]:
    figures: list[Figure] = []
    taken: list[tuple[int, int]] = []
    for phrase in _PHRASES:
        if phrase.applications and (not about_applications or _NOT_APPLICATIONS.search(clause)):
            continue
        if phrase.unless and phrase.unless.search(clause):
            continue
        for m in phrase.pattern.finditer(clause):
            span = (start + m.start(1), start + m.end(1))
            if span in taken or _NOT_A_TOTAL.search(m.group()):
                continue
            taken.append(span)
            figures.append(Figure(int(m.group(1)), span, clause.strip(), phrase.readings))
    figures += [
        Figure(Decimal(m.group(1)), (start + m.start(1), start + m.end(1)), clause.strip(), ((FEE_KEY,),))
        for m in _FEE.finditer(clause)
    ]
    return figures


def _t2_subject(clause: str) -> str | bool | None:
    """The table 二 row a clause names (False where it names both, None where neither)."""
    named = [row for row, pattern in _T2_SUBJECTS if pattern.search(clause)]
    return named[0] if len(named) == 1 else (False if named else None)


def _carried_t2(at: int, clause: str, subject: str) -> list[Figure]:
    """制发 / 废止 / 现行有效 N件 in a clause that names no subject of its own: the sentence's subject."""
    return [
        Figure(int(m.group(1)), (at + m.start(1), at + m.end(1)), clause.strip(), ((f"active.{subject}.{column}",),))
        for column, pattern in _T2_VERBS
        for m in pattern.finditer(clause)
    ]


def _none_issued(sentence: str, start: int) -> list[Figure]:
    figures = []
    for m in _NONE_ISSUED.finditer(sentence):
        for group in (1, 2):
            if m.group(group):
                row = "regulations" if m.group(group) == "规章" else "normative_docs"
                span = (start + m.start(group), start + m.end(group))
                figures.append(Figure(0, span, m.group(), ((f"active.{row}.issued",),)))
    return figures


def _cases(sentence: str, start: int) -> list[Figure]:
    """行政复议 / 行政诉讼 totals, in a sentence about disclosure cases, a clause naming only one of them."""
    if "信息公开" not in sentence:
        return []
    figures = []
    for m in _NO_CASES.finditer(sentence):
        if not _NOT_A_TOTAL.search(m.group()):
            for group, reading in ((1, (t4_key("review", "total"),)), (2, _LAWSUITS)):
                if m.group(group):
                    span = (start + m.start(group), start + m.end(group))
                    figures.append(Figure(0, span, m.group(), (reading,)))
    for clause in _CLAUSE.finditer(sentence):
        text = clause.group()
        for pattern, other, reading in (
            (_REVIEW, "诉讼", (t4_key("review", "total"),)),
            (_LITIGATION, "复议", _LAWSUITS),
        ):
            m = pattern.search(text)
            if m and other not in text and not _NOT_A_TOTAL.search(m.group()):
                span = (start + clause.start() + m.start(1), start + clause.start() + m.end(1))
                figures.append(Figure(int(m.group(1)), span, text.strip(), (reading,)))
    closed = _ALL_CLOSED.search(sentence)
    if closed and not _STILL_OPEN.search(sentence):
        span = (start + closed.start(), start + closed.end())
        counted = {f.key for f in figures if f.value > 0}
        for total, pending in (
            (t4_key("review", "total"), (t4_key("review", "pending"),)),
            (
                _LAWSUITS[0],
                tuple(t4_key(group, "pending") for group in ("litigation_direct", "litigation_after_review")),
            ),
        ):
            if total in counted:
                figures.append(Figure(0, span, closed.group(), (pending,)))
    return figures


def _unwrapped(text: str) -> tuple[str, list[int]]:
    """The text with the line breaks a PDF converter put inside paragraphs taken out (`现行有效行政规范性` /
    `文件698件`), and where each of its characters is in `text`. A break is a wrap where the line before is
    prose at nearly the page's full width (the longest prose lines' length) and does not end a sentence, and
    the line after is prose too: table lines, headings and a paragraph's last line are short."""
    lines = text.split("\n")
    lengths = sorted(len(line.strip()) for line in lines if _is_prose(line) and line.strip())
    width = lengths[int(len(lengths) * 0.9)] if len(lengths) >= 5 else 0
    keep, where, at = [], [], 0
    for i, line in enumerate(lines):
        keep.append(line)
        where.extend(range(at, at + len(line)))
        at += len(line) + 1
        following = lines[i + 1].strip() if i + 1 < len(lines) else ""
        stripped = line.strip()
        wraps = (
            width >= 15
            and len(stripped) >= 0.8 * width
            and _is_prose(line)
            and stripped[-1] not in "。！？!?；;：:"
            and following
            and _is_prose(following)
        )
        if i + 1 < len(lines) and not wraps:
            keep.append("\n")
            where.append(at - 1)
    return "".join(keep), where


@lru_cache(maxsize=1)  # the parser's tables and the checker read the same document in turn
def stated(text: str) -> tuple[Figure, ...]:
    """Every figure the prose states, in page order, with its span in `text`."""
    joined, where = _unwrapped(text)
    return tuple(
        Figure(f.value, (where[f.span[0]], where[f.span[1] - 1] + 1), f.phrase, f.readings) for f in _stated(joined)
    )


def _stated(text: str) -> tuple[Figure, ...]:
    figures: list[Figure] = []
    previous_received = False
    for sentence in _SENTENCE.finditer(text):
        body = sentence.group()
        if not _is_prose(body) or not re.search(r"\d", body):
            if _is_prose(body):  # a sentence of no numbers states only that there were none
                figures += _none_issued(body, sentence.start()) + _cases(body, sentence.start())
            previous_received = False
            continue
        # a sentence names applications itself, or follows one that stated how many were received
        about_applications = "申请" in body or previous_received
        found: list[Figure] = _none_issued(body, sentence.start())
        parent: Figure | None = None
        subject: str | None = None  # the table 二 row the sentence is about so far
        verb: str | None = None  # the table 二 column the clause before states
        for clause in _CLAUSE.finditer(body):
            at = sentence.start() + clause.start()
            own = _clause_figures(at, clause.group(), about_applications)
            named = _t2_subject(clause.group())
            listed = _LISTED.fullmatch(clause.group())
            if not own and listed and verb and body[clause.start() - 1] == "、":
                row = "regulations" if listed.group(1).startswith("规章") else "normative_docs"
                span = (at + listed.start(2), at + listed.end(2))
                own = [Figure(int(listed.group(2)), span, clause.group().strip(), ((f"active.{row}.{verb}",),))]
            if named is None and subject and not own:
                own = _carried_t2(at, clause.group(), subject)
            elif named is not None:  # a subject with its own figure or its clearance; a bare list item is unclear
                if named and not own:  # "规范性文件制发3件": the subject before its verb
                    own = _carried_t2(at, clause.group(), named)
                subject = named if named and (own or "清理" in clause.group()) else None
            verb = own[-1].key.rsplit(".", 1)[1] if own and own[-1].key.startswith("active.") else None
            if own:
                parent = own[-1] if own[-1].key.startswith("applications.") else None
                found += own
            elif parent is not None and (m := _COLUMN.search(clause.group())):
                # "其中自然人申请741件": a column of the total stated just before
                columns = _COLUMN_NAMES[m.group(1)]
                span = (at + m.start(2), at + m.end(2))
                readings = tuple(_with_column(r, columns) for r in parent.readings)
                found.append(Figure(int(m.group(2)), span, clause.group().strip(), readings))
        found += _cases(body, sentence.start())
        previous_received = any(f.key == t3_key("new_received", "total") for f in found)
        figures += found
    return tuple(sorted(figures, key=lambda f: f.span))


def about(figures: tuple[Figure, ...], keys) -> list[Figure]:
    """The figures that involve any of `keys`."""
    wanted = set(keys)
    return [f for f in figures if wanted & set(f.keys)]
