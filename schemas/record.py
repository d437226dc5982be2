"""The typed record of one report: values in the template's own shape, plus per-cell provenance.

Field names are the canonical keys of gold-format.md, so `Report.values()` flattens to exactly the
keys a gold file lists. `cells` is the single source of truth; the typed tables are built from it.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import date
from decimal import Decimal
from enum import Enum
from typing import Literal

from nianbao.schemas.keys import (
    DECIMAL_KEYS,
    KNOWN_KEYS,
    OTHER_TOTAL_KEYS,
    T2_2019_KEYS,
    T2_KEYS,
    T3_KEYS,
    T4_KEYS,
    ordered,
    row_of,
)
from pydantic import BaseModel, ConfigDict, Field, ValidationError, computed_field, field_validator

SCHEMA_VERSION = "1.0"
MAX_RAW = 1000  # characters of a cell's raw text kept in the record; the span still covers all of it

Count = int | None
Value = int | Decimal | None

# Flags a cell can carry (format.md §5): how its value was read from the page.
CellFlag = Literal[
    "blank",  # the page leaves the cell empty: value None, not 0
    "zero_marker",  # '—', '/', '无' printed for zero
    "split_from_run",  # cut out of a glued digit run by the identities
    "ambiguous",  # more than one reading survives; candidates listed (value None unless the model chose one)
    "dropped_extra_value",  # the row printed one value too many; the identities chose which to drop
    "merged_repeat",  # a merged cell emitted several times ("0 0 0"), read once
    "stacked",  # read from a grid cell a converter printed several numbers in (`| 2<br>201 |`): which digits are whose is its guess
    "realigned",  # printed beside another row's label (a wrapped PDF label); dealt back in page order
    "not_found",  # the row or table was not found on the page
    "collapsed",  # not printed: table 三 prints its five 法人 columns as one (format.md §3.29); null, with not_found
    "clipped",  # not printed: the page cut table 三's 总计 column off at its right edge; null, with not_found
    "prose_confirmed",  # a choice among readings (glued run, extra value; any table) the report's prose decided
    "model_read",  # read by the language model
    "grounded",  # model value found in the source at its row
    "ungrounded",  # model value not found in the source at its row
    "parser_disagrees",  # parser and model read different values
    "ocr",  # read by OCR from a page image: a reading of the print, not evidence by itself
    "ocr_agreed",  # OCR: a second, independent recognition of the cell's crop read the same value
    "inferred",  # OCR lost a printed value; an identity determines it: the number is a candidate, the value stays null
    "corrected",  # a person's value (corrections.jsonl) that differs from what was read; the reading is a candidate
    "confirmed",  # a person's value that agrees with what was read
]


# A cell with one of these flags is not a reading the record stands behind (see `Report.unverified`).
UNVERIFIED_FLAGS = frozenset(
    {
        "ambiguous",  # several readings survive; a value here is a pick among them
        "not_found",  # nothing was found printed at the cell's place
        "ungrounded",  # a model value not printed at its place
        "parser_disagrees",  # parser and model read different values and nothing decided
    }
)

# A cell with one of these flags is a column the page does not print: an identity that takes it in checks nothing.
UNPRINTED_FLAGS = frozenset({"collapsed", "clipped"})

# A cell with one of these flags was placed by a choice among readings, which the identities made.
CHOSEN_FLAGS = frozenset({"split_from_run", "dropped_extra_value", "realigned"})


def chosen_rows(cells: dict[str, Cell]) -> set[str]:
    """Rows (`row_of`) whose reading was chosen, not read off one value per cell.

    A run of zeros ('000' for three cells) can only be read one zero per cell (no count is printed
    with a leading zero), so it is no choice; nor is a glued run the report's prose decided. Other
    runs of one digit per cell ('236') may hide a cell the page lost ('236' for 236, 无, 无).
    """
    run_cells = Counter(c.span for c in cells.values() if "split_from_run" in c.flags)
    rows = set()
    for key, cell in cells.items():
        flags = set(cell.flags)
        if not flags & CHOSEN_FLAGS or "prose_confirmed" in flags:
            continue
        raw = cell.raw or ""
        if not (flags & CHOSEN_FLAGS == {"split_from_run"} and set(raw) == {"0"} and len(raw) == run_cells[cell.span]):
            rows.add(row_of(key))
    return rows


CellStatus = Literal["verified", "confirmed", "unverified", "blank", "unread"]


class Mode(str, Enum):
    """How a report is read: the parser alone, the model reading every table, or the model reading only what
    the parser did not verify."""

    rules = "rules"
    model = "model"
    auto = "auto"


class Verdict(str, Enum):
    verified = "verified"  # every checkable identity holds and nothing is ambiguous
    source_error = "source_error"  # the agency's printed numbers break an identity; kept as printed
    needs_model = "needs_model"  # ambiguous or extraction-suspect: the model path takes it from here
    needs_review = "needs_review"  # the model's budget ran out; best attempt kept with its evidence
    incomplete = "incomplete"  # the input stops before the tables end; the cells found are kept
    failed = "failed"  # not a report, or the tables were not found


class Cell(BaseModel):
    model_config = ConfigDict(extra="forbid")

    value: int | Decimal | None = None
    raw: str | None = None  # the text the value was read from
    span: tuple[int, int] | None = None  # character span in the normalised document text
    flags: list[CellFlag] = Field(default_factory=list)
    source: Literal["parser", "model", "person"] = "parser"  # person: typed from the page in corrections.jsonl
    candidates: list[int | Decimal | None] = Field(default_factory=list)
    page: int | None = None  # PDF and OCR pages: the page the cell was read on (1-based)
    bbox: tuple[float, float, float, float] | None = (
        None  # its box there: x0, top, x1, bottom (PDF points, or image pixels for OCR)
    )
    confidence: float | None = None  # OCR's confidence in the text read there

    @field_validator("raw")
    @classmethod
    def _bounded(cls, raw: str | None) -> str | None:
        """A page can glue megabytes into one token: the record keeps the start and says how much is cut."""
        if raw is None or len(raw) <= MAX_RAW:
            return raw
        return f"{raw[:MAX_RAW]}…[+{len(raw) - MAX_RAW} chars]"


class Check(BaseModel):
    """One identity recomputed. Ids look like `T3.row:granted`, `T3.sum:natural_person`."""

    id: str
    status: Literal["pass", "fail", "uncheckable"]
    severity: Literal["hard", "soft"] = "hard"
    lhs: int | None = None  # the printed total
    rhs: int | None = None  # the sum of its printed parts
    residual: int | None = None  # lhs - rhs
    cells: list[str] = Field(default_factory=list)  # every key in the identity, total first
    suspects: list[str] = Field(default_factory=list)  # cells the failure localises to
    cause: Literal["source", "extraction", "unknown"] | None = None
    message: str = ""


class Meta(BaseModel):
    title: str | None = None
    agency_name: str | None = None
    report_year: int | None = None
    template: Literal["gov2021", "gov2019", "unknown"] = "unknown"
    scope: Literal["agency", "aggregate"] | None = None  # None: no agency name to decide it by
    publish_date: date | None = None
    cited_format_doc: str | None = None
    input_name: str | None = None
    input_format: str | None = None
    input_sha256: str | None = None
    # field → where its value was read: title, html_title, html_heading, crawl_title, pdf_title, pdf_subject,
    # docx_title, docx_subject, period, prose, page, crawl_date, agency_name (scope); a null field has no entry
    provenance: dict[str, str] = Field(default_factory=dict)


class Provenance(BaseModel):
    """How the record was made, so a number can always be traced to parser or model."""

    method: Literal["parser", "model", "parser+model", "none"] = "parser"
    parser_version: str = ""
    checker_version: str = ""
    model: str | None = None
    prompt_version: str | None = None
    attempts: int = 0
    model_calls: int = 0
    reprompts: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    cache_hits: int = 0
    cells_from_parser: int = 0
    cells_from_model: int = 0
    model_parser_agreements: int = 0
    cells_from_person: int = 0  # cells a person corrected or confirmed (corrections.jsonl)
    corrections_sha256: str | None = None  # the corrections applied, so a batch re-run knows when they changed
    note: str | None = None


# ---- typed tables: field names = canonical key parts; `_check_tables` holds them to keys.py ----


class _Table(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a key the tables do not name is refused, never dropped


class IssuedRepealedInForce(_Table):
    issued: Count = None
    repealed: Count = None
    in_force: Count = None


class Decisions(_Table):
    decisions: Count = None


class FeeAmount(_Table):
    amount: Decimal | None = None  # 万元, exactly as printed


class ActiveDisclosure(_Table):
    """二、主动公开政府信息情况 (2021)."""

    regulations: IssuedRepealedInForce = Field(default_factory=IssuedRepealedInForce)
    normative_docs: IssuedRepealedInForce = Field(default_factory=IssuedRepealedInForce)
    licensing: Decisions = Field(default_factory=Decisions)
    penalty: Decisions = Field(default_factory=Decisions)
    coercion: Decisions = Field(default_factory=Decisions)
    fees: FeeAmount = Field(default_factory=FeeAmount)


class NewlyMade2019(_Table):
    new_made: Count = None  # 本年新制作数量
    new_published: Count = None  # 本年新公开数量
    total_published: Count = None  # 对外公开总数量


class Items2019(_Table):
    prev_items: Count = None  # 上一年项目数量
    delta: int | None = None  # 本年增/减, signed
    decisions: Count = None  # 处理决定数量


class FeeItems2019(_Table):
    prev_items: Count = None
    delta: int | None = None


class Procurement2019(_Table):
    projects: Count = None  # 采购项目数量
    total_amount: Decimal | None = None  # 采购总金额, in the unit printed in the cell (its raw text)


class ActiveDisclosure2019(_Table):
    """二、主动公开政府信息情况 in the 2019 trial template (format.md §1.4): only on gov2019 records."""

    regulations: NewlyMade2019 = Field(default_factory=NewlyMade2019)
    normative_docs: NewlyMade2019 = Field(default_factory=NewlyMade2019)
    licensing: Items2019 = Field(default_factory=Items2019)
    other_mgmt_services: Items2019 = Field(default_factory=Items2019)
    penalty: Items2019 = Field(default_factory=Items2019)
    coercion: Items2019 = Field(default_factory=Items2019)
    fees: FeeItems2019 = Field(default_factory=FeeItems2019)
    procurement: Procurement2019 = Field(default_factory=Procurement2019)


class ApplicantCounts(_Table):
    natural_person: Count = None
    commercial: Count = None
    research: Count = None
    public_interest_org: Count = None
    legal_service: Count = None
    other_org: Count = None
    total: Count = None


class DeniedRows(_Table):
    state_secret: ApplicantCounts = Field(default_factory=ApplicantCounts)
    law_prohibited: ApplicantCounts = Field(default_factory=ApplicantCounts)
    three_safety_one_stability: ApplicantCounts = Field(default_factory=ApplicantCounts)
    third_party_rights: ApplicantCounts = Field(default_factory=ApplicantCounts)
    internal_affairs: ApplicantCounts = Field(default_factory=ApplicantCounts)
    process_info: ApplicantCounts = Field(default_factory=ApplicantCounts)
    enforcement_files: ApplicantCounts = Field(default_factory=ApplicantCounts)
    admin_query: ApplicantCounts = Field(default_factory=ApplicantCounts)


class UnableRows(_Table):
    not_held: ApplicantCounts = Field(default_factory=ApplicantCounts)
    needs_creation: ApplicantCounts = Field(default_factory=ApplicantCounts)
    unclear_after_correction: ApplicantCounts = Field(default_factory=ApplicantCounts)


class NotProcessedRows(_Table):
    petition_complaint: ApplicantCounts = Field(default_factory=ApplicantCounts)
    duplicate: ApplicantCounts = Field(default_factory=ApplicantCounts)
    publication: ApplicantCounts = Field(default_factory=ApplicantCounts)
    unreasonable_mass: ApplicantCounts = Field(default_factory=ApplicantCounts)
    confirm_or_reissue: ApplicantCounts = Field(default_factory=ApplicantCounts)


class OtherRows(_Table):
    no_correction: ApplicantCounts = Field(default_factory=ApplicantCounts)
    fee_unpaid: ApplicantCounts = Field(default_factory=ApplicantCounts)
    other: ApplicantCounts = Field(default_factory=ApplicantCounts)


class Applications(_Table):
    """三、收到和处理政府信息公开申请情况: 25 rows × 7 applicant columns."""

    new_received: ApplicantCounts = Field(default_factory=ApplicantCounts)
    carried_over: ApplicantCounts = Field(default_factory=ApplicantCounts)
    granted: ApplicantCounts = Field(default_factory=ApplicantCounts)
    partially_granted: ApplicantCounts = Field(default_factory=ApplicantCounts)
    denied: DeniedRows = Field(default_factory=DeniedRows)
    unable: UnableRows = Field(default_factory=UnableRows)
    not_processed: NotProcessedRows = Field(default_factory=NotProcessedRows)
    other: OtherRows = Field(default_factory=OtherRows)
    other_total: ApplicantCounts | None = None  # 2019-style single （六）其他处理 row, only if printed
    total_processed: ApplicantCounts = Field(default_factory=ApplicantCounts)
    carried_forward: ApplicantCounts = Field(default_factory=ApplicantCounts)


class ResultCounts(_Table):
    upheld: Count = None
    corrected: Count = None
    other: Count = None
    pending: Count = None
    total: Count = None


class ReviewLitigation(_Table):
    """四、政府信息公开行政复议、行政诉讼情况: 15 cells."""

    review: ResultCounts = Field(default_factory=ResultCounts)
    litigation_direct: ResultCounts = Field(default_factory=ResultCounts)
    litigation_after_review: ResultCounts = Field(default_factory=ResultCounts)


def _nest(flat: dict[str, Value]) -> dict[str, dict]:
    """Table → its values as nested dicts, from canonical keys ("applications.denied.state_secret.total")."""
    trees: dict[str, dict] = {}
    for key, value in flat.items():
        *path, leaf = key.split(".")
        node = trees
        for part in path:
            node = node.setdefault(part, {})
        node[leaf] = value
    return trees


def read_status(cell: Cell) -> CellStatus:
    """A cell's status as read, before the checks (`Report.cell_status`), which can only make a value
    `unverified`, never a null: so a null's status (`blank` or `unread`) needs no checks."""
    if cell.source == "person":
        return "confirmed"
    if cell.value is not None:
        return "verified"
    return "blank" if "blank" in cell.flags else "unread"


class Report(BaseModel):
    """One extracted report. `verdict` says how far its numbers can be trusted."""

    schema_version: str = SCHEMA_VERSION
    source: str = ""
    verdict: Verdict = Verdict.failed
    verdict_reason: str = ""
    meta: Meta = Field(default_factory=Meta)
    active: ActiveDisclosure = Field(default_factory=ActiveDisclosure)
    active_2019: ActiveDisclosure2019 | None = None  # the 2019 template's table 二, when the report uses it
    applications: Applications = Field(default_factory=Applications)
    review_litigation: ReviewLitigation = Field(default_factory=ReviewLitigation)
    cells: dict[str, Cell] = Field(default_factory=dict)
    checks: list[Check] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    provenance: Provenance = Field(default_factory=Provenance)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def unverified(self) -> list[str]:
        """Keys of the non-null values the record does not stand behind: the one definition every output uses.

        The record stands behind a value read unambiguously where it is printed (no flag of
        UNVERIFIED_FLAGS, no candidates left, a model value only where grounded) whose every hard
        identity holds or fails by the source's own arithmetic (`cause == "source"`); an identity that takes in a
        cell the page does not print (`UNPRINTED_FLAGS`: table 三's 法人 columns printed as one, its 总计 cut off) checks nothing. A row whose
        reading nianbao chose (a split run, a dropped extra value, a realignment: `chosen_rows`) is
        only as good as the identities that confirm it, so its values also need every identity any value of
        the row takes part in checked and holding, and at least one each (rows swapped in one column keep
        that column's sums). An OCR reading (`ocr`) of a cell that hard
        identities hold stands only where one of them is checked and holds, or the prose states it (a passing
        prose check); a cell no identity holds (table 二) needs the prose or a second recognition of its crop at
        another scale and binarisation that read the same (`ocr_agreed`: the digits, not the column the row put
        them in, which only an identity checks). A hyphen read as "1" in a row OCR otherwise lost, or a table 二
        count read with a digit doubled, is no reading to stand behind. Any other value may
        be wrong whatever the verdict. A null is no number and is never listed here: `unread` lists the nulls nianbao could
        not read, apart from those printed empty (`blank`). A person's value (`source == "person"`, corrections.jsonl) is evidence: listed
        only where an identity it takes part in fails for a cause other than the source.
        """
        involved: dict[str, set[str]] = {}
        unprinted = {k for k, c in self.cells.items() if UNPRINTED_FLAGS.intersection(c.flags)}
        for check in self.checks:
            if check.severity == "hard" and not unprinted.intersection(check.cells):
                for key in check.cells:
                    involved.setdefault(key, set()).add(
                        "source" if check.status == "fail" and check.cause == "source" else check.status
                    )
        # a chosen reading places the row's values together (table 四's: one order of its 15 numbers): one of them
        # failing puts every one in doubt, a group or column balancing confirms none of them
        chosen = chosen_rows(self.cells)
        held = {
            row
            for row in chosen
            if all(
                involved.get(k, {"none"}) == {"pass"}
                for k, c in self.cells.items()
                if c.value is not None and row_of(k) == row
            )
        }
        stated = {k for c in self.checks if c.id.startswith("prose:") and c.status == "pass" for k in c.cells}
        return [
            key
            for key, cell in self.cells.items()
            if cell.value is not None
            and (
                involved.get(key, set()) - {"pass", "source", "uncheckable"}
                or (
                    cell.source != "person"  # a person's value is evidence: the reading it replaced is no doubt
                    and (
                        cell.candidates
                        or UNVERIFIED_FLAGS & set(cell.flags)
                        or (cell.source == "model" and "grounded" not in cell.flags)
                        or row_of(key) in chosen - held
                        or (
                            "ocr" in cell.flags
                            and key not in stated
                            and ("pass" not in involved[key] if key in involved else "ocr_agreed" not in cell.flags)
                        )
                    )
                )
            )
        ]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def unread(self) -> list[str]:
        """Keys of the null cells nianbao could not read (`cell_status` "unread": not found, ambiguous, a column
        the page does not print, a model value not grounded, …), in template order: the one definition every
        output uses. A null not listed is one the page prints empty (`blank`) or a person says it does."""
        return [key for key in ordered(self.cells) if read_status(self.cells[key]) == "unread"]

    def cell_status(self) -> dict[str, CellStatus]:
        """Key → status for every output: a value stood behind (by the checks, or by a person) or not, or why a
        cell is null (`blank`: printed empty; `unread`: nianbao does not know)."""
        unverified = set(self.unverified)
        return {key: "unverified" if key in unverified else read_status(cell) for key, cell in self.cells.items()}

    def values(self) -> dict[str, Value]:
        """Canonical key → value for every cell the record has, in template order."""
        return {k: self.cells[k].value for k in ordered(self.cells)}

    def with_cells(self, cells: dict[str, Cell]) -> "Report":
        """A copy whose typed tables are rebuilt from `cells` (the single source of truth)."""
        tables = _nest({k: c.value for k, c in cells.items()})
        apps = tables.get("applications", {})
        active_2019 = tables.get("active_2019")
        if not any(k in cells for k in OTHER_TOTAL_KEYS):
            apps.pop("other_total", None)
        return self.model_copy(
            update={
                "cells": {k: cells[k] for k in ordered(cells)},
                "active": ActiveDisclosure.model_validate(tables.get("active", {})),
                "active_2019": ActiveDisclosure2019.model_validate(active_2019) if active_2019 else None,
                "applications": Applications.model_validate(apps),
                "review_litigation": ReviewLitigation.model_validate(tables.get("review_litigation", {})),
            }
        )


def record_schema() -> dict:
    """The JSON Schema of a record as nianbao writes it (computed fields such as `unverified` included)."""
    return Report.model_json_schema(mode="serialization")


_DECIMAL = re.compile(r"\d+(?:\.\d+)?")


def _leaf_keys(model: type[BaseModel], prefix: str) -> set[str]:
    """The canonical keys a typed table spells: its nested field paths."""
    keys = set()
    for name, field in model.model_fields.items():
        inner = next(
            (
                t
                for t in (field.annotation, *getattr(field.annotation, "__args__", ()))
                if isinstance(t, type) and issubclass(t, BaseModel)
            ),
            None,
        )
        keys |= _leaf_keys(inner, f"{prefix}.{name}") if inner else {f"{prefix}.{name}"}
    return keys


def _check_tables() -> None:
    """The typed tables name exactly the keys of keys.py: one vocabulary, checked when the module loads."""
    spelled = {
        "active": _leaf_keys(ActiveDisclosure, "active"),
        "active_2019": _leaf_keys(ActiveDisclosure2019, "active_2019"),
        "applications": _leaf_keys(Applications, "applications"),
        "review_litigation": _leaf_keys(ReviewLitigation, "review_litigation"),
    }
    expected = {
        "active": set(T2_KEYS),
        "active_2019": set(T2_2019_KEYS),
        "applications": {*T3_KEYS, *OTHER_TOTAL_KEYS},
        "review_litigation": set(T4_KEYS),
    }
    for table, keys in spelled.items():
        if keys != expected[table]:
            raise TypeError(f"typed table {table} differs from keys.py: {sorted(keys ^ expected[table])[:5]}")


_check_tables()


def load_saved(data: object) -> Report:
    """A record read back from a file (`nianbao check`), strictly: counts are JSON integers (not 1.5,
    "12" or true), amounts (DECIMAL_KEYS) are decimal strings, every cell key is canonical (2019's included), and a null cell carries
    the flag that says why. Raises ValueError("<field>: <why>") naming the first bad field."""
    if not isinstance(data, dict):
        raise ValueError(f"record: a JSON object expected, not {type(data).__name__}")
    cells = data.get("cells")
    for key, cell in cells.items() if isinstance(cells, dict) else ():
        where = f"cells.{key}"
        if key not in KNOWN_KEYS:
            raise ValueError(f"{where}: not a canonical key")
        if not isinstance(cell, dict):
            continue  # pydantic names it below
        value = cell.get("value")
        if key in DECIMAL_KEYS and not (value is None or (isinstance(value, str) and _DECIMAL.fullmatch(value))):
            raise ValueError(f'{where}.value: an amount is a decimal string such as "12.5", not {json.dumps(value)}')
        if key not in DECIMAL_KEYS and not (value is None or type(value) is int):
            raise ValueError(f"{where}.value: a count is a JSON integer, not {json.dumps(value)}")
        if value is None and not cell.get("flags"):
            raise ValueError(f"{where}: null with no flag saying why (blank, not_found, ambiguous, …)")
    try:
        return Report.model_validate_json(json.dumps(data), strict=True)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ValueError(f"{'.'.join(map(str, first['loc']))}: {first['msg']}") from None
