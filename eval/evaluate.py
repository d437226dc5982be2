"""The eval harness: score extracted records against gold files (gold-format.md "Scoring").

Scoring is pure (gold cells + a `Report` in, figures out) so a test can plant a wrong cell and
watch accuracy, silent errors and flag recall move; loading cases, running the pipeline and
rendering the reports sit below it.
"""

from __future__ import annotations

import importlib.util
import json
import signal
import sys
import tempfile
import threading
import time
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from pathlib import Path

from nianbao.output import atomic_write, json_value
from nianbao.schemas.keys import DECIMAL_KEYS, KNOWN_KEYS, SIGNED_KEYS, ordered, table_of
from nianbao.schemas.record import Report, Verdict

GoldValue = int | str | None
TABLES = ("二", "三", "四")
WORST_SHOWN = 20
PROVENANCE_COUNTS = (
    "attempts",
    "model_calls",
    "reprompts",
    "tokens_in",
    "tokens_out",
    "cache_hits",
    "cells_from_model",
    "model_parser_agreements",
)
BASELINE_FIGURES = ("accuracy", "nonzero_accuracy", "exact_rate")
# The model path's own contribution, measured against the parser's record of the same input: cells it made
# right (and the record stands behind) that the parser got wrong or left unverified, and records it verified
# that the parser did not, and records it settled (`RecordScore.settled`) that the parser did not.
CONTRIBUTION = ("made_right_by_model", "verified_by_model", "settled_by_model")
# What only the model path's answers make: a model path that stops answering, or a merge that ignores its
# answers, takes these below their baseline even where the parser alone gets every cell right.
MODEL_FLOORS = ("cells_from_model", "model_parser_agreements", "made_right_by_model", "settled_by_model")
# What the model path costs: asking more questions than the baseline did is a regression, fewer is not.
MODEL_CEILINGS = ("attempts",)
MODEL_FIGURES = (*MODEL_CEILINGS, *MODEL_FLOORS)
GENERATED = "generated"
SAMPLES = "samples"  # real reports' values rendered (eval/samples.py): --count of them from sample --seed on
META_FIELDS = ("agency_name", "report_year")  # scored beside the cells (gold-format.md "A gold file": meta)


class EvalError(Exception):
    """A case file or baseline the harness cannot use; the message is one line, meant for the user."""


TIMED_OUT = "extraction did not finish within"


class ExtractionTimeout(Exception):
    """One input took longer than the eval allows (a glued run the solver cannot finish, say)."""


# ---------------------------------------------------------------- pure scoring


def same(key: str, gold: GoldValue, got: object) -> bool:
    """Exact: null ≠ 0, and the fee is compared as the decimal string it was printed as."""
    if gold is None or got is None:
        return gold is None and got is None
    if key in DECIMAL_KEYS:
        return str(got) == gold
    return type(got) is int and got == gold


def nonzero(key: str, gold: GoldValue) -> bool:
    return gold is not None and (Decimal(gold) != 0 if key in DECIMAL_KEYS else gold != 0)


@dataclass(frozen=True)
class Ratio:
    right: int = 0
    total: int = 0

    @property
    def rate(self) -> float | None:
        return self.right / self.total if self.total else None

    def __add__(self, other: Ratio) -> Ratio:
        return Ratio(self.right + other.right, self.total + other.total)

    def as_json(self) -> dict:
        return {"right": self.right, "total": self.total, "rate": self.rate}


def total_ratio(ratios: Iterable[Ratio]) -> Ratio:
    return sum(ratios, Ratio())


@dataclass(frozen=True)
class CellResult:
    key: str
    gold: GoldValue
    got: object  # as JSON writes it (the fee as a string)
    ok: bool
    flags: tuple[str, ...] = ()
    raw: str | None = None
    span: tuple[int, int] | None = None
    source: str = "parser"
    marked: bool = False  # the record lists the key in `unverified`

    @property
    def unmarked(self) -> bool:
        """A wrong value the record gives out as one it stands behind."""
        return not self.ok and self.got is not None and not self.marked

    def as_json(self) -> dict:
        return {
            "key": self.key,
            "gold": self.gold,
            "got": self.got,
            "flags": list(self.flags),
            "raw": self.raw,
            "span": self.span,
            "source": self.source,
            "unverified": self.marked,
        }


@dataclass
class RecordScore:
    """One (case, input) pair: every gold cell compared, plus what the checker said about the record."""

    case: str
    input: str
    verdict: str
    verdict_reason: str
    cells: list[CellResult]
    source_errors_expected: tuple[str, ...] = ()
    source_errors_found: tuple[str, ...] = ()
    counts: dict[str, int] = field(default_factory=dict)  # model calls, reprompts, tokens, cache hits
    wall_s: float = 0.0
    error: str = ""  # why no record was extracted (unreadable input, time limit)
    open_input: bool = False  # the gold says the input alone does not give every cell (not_on_page, undetermined)
    kinds: tuple[str, ...] = ()  # a generated case's layout and damage kinds
    meta: dict[str, dict] = field(default_factory=dict)  # field → {gold, got, ok}; empty without gold meta
    unverified: int = 0  # values the record does not stand behind, gold-listed or not

    @property
    def wrong(self) -> list[CellResult]:
        return [c for c in self.cells if not c.ok]

    @property
    def timed_out(self) -> bool:
        """Over the time limit: on a loaded machine, noise rather than a reading (the gates allow for it)."""
        return self.error.startswith(TIMED_OUT)

    @property
    def flagged(self) -> bool:
        """Anything but `verified` tells the user not to trust the numbers blindly."""
        return self.verdict != Verdict.verified.value

    @property
    def silent(self) -> int:
        """Wrong cells the checker passed as verified: the one figure that must stay zero."""
        return 0 if self.flagged else len(self.wrong)

    @property
    def unmarked(self) -> int:
        """Wrong values, whatever the verdict, that the record does not mark unverified: must stay zero too."""
        return sum(1 for c in self.cells if c.unmarked)

    @property
    def settled(self) -> bool:
        """Every gold cell right and the record stands behind what it gives: `verified`, or `incomplete` (a page
        that does not print every cell: a fragment, a table 三 with its 法人 columns printed as one) with
        nothing in `unverified`. Counted apart from `verified`, which a page that lacks cells never is."""
        ends = (Verdict.verified.value, Verdict.incomplete.value)
        stood = not self.unverified and not any(c.marked for c in self.cells)
        return not self.wrong and not self.error and self.verdict in ends and stood

    @property
    def warranted(self) -> bool:
        """A flag is right when a cell is wrong, the agency's own numbers do not add up, or the input
        does not determine every cell."""
        return bool(self.wrong) or bool(self.source_errors_expected) or self.open_input

    def accuracy(self, table: str | None = None, only_nonzero: bool = False) -> Ratio:
        cells = [
            c
            for c in self.cells
            if (table is None or table_of(c.key) == table) and (not only_nonzero or nonzero(c.key, c.gold))
        ]
        return Ratio(sum(c.ok for c in cells), len(cells))


def score_record(
    case: str,
    input_name: str,
    gold: Mapping[str, GoldValue],
    report: Report,
    source_errors: Iterable[str] = (),
    wall_s: float = 0.0,
    error: str = "",
    not_on_page: Iterable[str] = (),
    undetermined: Iterable[str] = (),
    kinds: Iterable[str] = (),
    gold_meta: Mapping | None = None,
) -> RecordScore:
    """Compare every gold key (only those: a fragment's gold lists what its page has), and the gold meta.

    A `not_on_page` key is scored as gold null (a value there is invented); an `undetermined` key is
    right as null or as the labeller's reading in `gold` (gold-format.md "A gold file").
    """
    not_on_page, undetermined = tuple(not_on_page), frozenset(undetermined)
    gold = {**gold, **dict.fromkeys(not_on_page)}
    marked = frozenset(report.unverified)
    results = []
    for key in ordered(gold):
        cell = report.cells.get(key)
        got = cell.value if cell else None
        results.append(
            CellResult(
                key=key,
                gold=gold[key],
                got=json_value(got),
                ok=same(key, gold[key], got) or (key in undetermined and got is None),
                flags=tuple(cell.flags) if cell else ("missing",),
                raw=cell.raw if cell else None,
                span=tuple(cell.span) if cell and cell.span else None,
                source=cell.source if cell else "parser",
                marked=key in marked,
            )
        )
    found = tuple(c.id for c in report.checks if c.severity == "hard" and c.status == "fail" and c.cause == "source")
    return RecordScore(
        case=case,
        input=input_name,
        verdict=report.verdict.value,
        verdict_reason=report.verdict_reason,
        cells=results,
        source_errors_expected=tuple(source_errors),
        source_errors_found=found,
        counts={name: getattr(report.provenance, name) for name in PROVENANCE_COUNTS},
        wall_s=wall_s,
        error=error,
        open_input=bool(not_on_page or undetermined),
        kinds=tuple(kinds),
        meta=score_meta(gold_meta, report) if gold_meta is not None else {},
        unverified=len(report.unverified),
    )


def contribution(score: RecordScore, parser: RecordScore) -> dict[str, int]:
    """What the model path added to the parser's record of the same input (CONTRIBUTION)."""
    before = {c.key: c for c in parser.cells}
    made_right = sum(
        1 for c in score.cells if c.ok and not c.marked and not (before[c.key].ok and not before[c.key].marked)
    )
    verified = Verdict.verified.value
    return {
        "made_right_by_model": made_right,
        "verified_by_model": int(score.verdict == verified and parser.verdict != verified),
        "settled_by_model": int(score.settled and not parser.settled),
    }


def _name(text: str) -> str:
    """A name as compared: NFKC, no whitespace (a letter-spaced title names the same body)."""
    return "".join(unicodedata.normalize("NFKC", text).split())


def score_meta(gold: Mapping, report: Report) -> dict[str, dict]:
    """Agency and year against the gold meta: the agency right as the gold name or any alias the page
    prints; on a page that names neither (`meta_not_on_page`) only null is right."""
    absent = bool(gold.get("meta_not_on_page"))
    wanted_agency = None if absent else gold.get("agency_name")
    wanted_year = None if absent else gold.get("report_year")
    got_agency, got_year = report.meta.agency_name, report.meta.report_year
    names = {_name(n) for n in [wanted_agency, *gold.get("agency_aliases", [])] if n}
    agency_ok = got_agency is None if wanted_agency is None else got_agency is not None and _name(got_agency) in names
    return {
        "agency_name": {"gold": wanted_agency, "got": got_agency, "ok": agency_ok},
        "report_year": {"gold": wanted_year, "got": got_year, "ok": got_year == wanted_year},
    }


def _magnitude(cell: CellResult) -> Decimal:
    """How far off a wrong cell is; a missing value is as far off as the value on the other side."""
    gold, got = (None if v is None else Decimal(str(v)) for v in (cell.gold, cell.got))
    return abs(gold - got) if gold is not None and got is not None else abs(gold if gold is not None else got)


def worst_cells(records: list[RecordScore], limit: int = WORST_SHOWN) -> list[dict]:
    """Wrong cells a developer should look at first: silent ones, then non-zero gold, then the largest misses."""
    ranked = sorted(
        ((r, c) for r in records for c in r.wrong),
        key=lambda rc: (rc[0].flagged, not rc[1].unmarked, not nonzero(rc[1].key, rc[1].gold), -_magnitude(rc[1])),
    )
    return [
        {"case": r.case, "input": r.input, "verdict": r.verdict, "silent": not r.flagged, "unmarked": c.unmarked}
        | c.as_json()
        for r, c in ranked[:limit]
    ]


def record_json(r: RecordScore) -> dict:
    return {
        "case": r.case,
        "input": r.input,
        "verdict": r.verdict,
        "verdict_reason": r.verdict_reason,
        "settled": r.settled,
        "accuracy": r.accuracy().as_json(),
        "nonzero_accuracy": r.accuracy(only_nonzero=True).as_json(),
        "tables": {t: r.accuracy(t).as_json() for t in TABLES},
        "silent_errors": r.silent,
        "unmarked_errors": r.unmarked,
        "source_errors_expected": list(r.source_errors_expected),
        "source_errors_found": list(r.source_errors_found),
        **r.counts,
        "wall_s": round(r.wall_s, 3),
        "error": r.error,
        "kinds": list(r.kinds),
        "meta": r.meta,
        "wrong": [c.as_json() for c in r.wrong],
    }


def summarise(records: list[RecordScore]) -> dict:
    """Every figure of gold-format.md "Scoring", over all records, JSON-ready."""
    flagged = [r for r in records if r.flagged]
    wrong = [r for r in records if r.wrong]
    expected = [(r.case, r.input, e) for r in records for e in r.source_errors_expected]
    asked = [r.counts.get("attempts", 0) for r in records if r.counts.get("attempts", 0)]
    found = [(r.case, r.input, f) for r in records for f in r.source_errors_found]
    return {
        "records": len(records),
        "timed_out": sum(r.timed_out for r in records),
        "accuracy": total_ratio(r.accuracy() for r in records).as_json(),
        "nonzero_accuracy": total_ratio(r.accuracy(only_nonzero=True) for r in records).as_json(),
        "tables": {
            t: {
                "accuracy": total_ratio(r.accuracy(t) for r in records).as_json(),
                "nonzero_accuracy": total_ratio(r.accuracy(t, only_nonzero=True) for r in records).as_json(),
            }
            for t in TABLES
        },
        "exact_rate": Ratio(len(records) - len(wrong), len(records)).as_json(),
        "silent_errors": sum(r.silent for r in records),
        "silent_records": sum(1 for r in records if r.silent),
        "unmarked_errors": sum(r.unmarked for r in records),
        "unmarked_records": sum(1 for r in records if r.unmarked),
        "unmarked": [f"{r.case}: {c.key} = {c.got} (gold {c.gold})" for r in records for c in r.cells if c.unmarked],
        "verdicts": dict(Counter(r.verdict for r in records)),
        "settled": sum(r.settled for r in records),
        "settled_incomplete": sum(r.settled and r.verdict == Verdict.incomplete.value for r in records),
        "flag_recall": Ratio(sum(1 for r in wrong if r.flagged), len(wrong)).as_json(),
        "flag_precision": Ratio(sum(1 for r in flagged if r.warranted), len(flagged)).as_json(),
        "source_errors": {
            "expected": len(expected),
            "found": len(found),
            "matched": len(set(expected) & set(found)),
            "missed": [f"{case}: {e}" for case, name, e in expected if (case, name, e) not in found],
            "spurious": [f"{case}: {f}" for case, name, f in found if (case, name, f) not in expected],
        },
        **{name: sum(r.counts.get(name, 0) for r in records) for name in PROVENANCE_COUNTS + CONTRIBUTION},
        "answers_per_asked_report": round(sum(asked) / len(asked), 1) if asked else 0,
        "max_answers_per_report": max(asked, default=0),
        "wall_s": round(sum(r.wall_s for r in records), 3),
        "not_extracted": [f"{r.case}: {r.error}" for r in records if r.error],
        "meta": {
            name: Ratio(
                sum(1 for r in records if r.meta and r.meta[name]["ok"]), sum(1 for r in records if r.meta)
            ).as_json()
            for name in META_FIELDS
        },
        "meta_wrong": [
            f"{r.input}: {name} {r.meta[name]['got']!r} (gold {r.meta[name]['gold']!r})"
            for r in records
            for name in META_FIELDS
            if r.meta and not r.meta[name]["ok"]
        ],
        "worst_cells": worst_cells(records),
        "kinds": per_kind(records),
    }


def per_kind(records: list[RecordScore]) -> dict:
    """Accuracy, exact rate and silent errors over the records of each layout or damage kind."""
    kinds = sorted({k for r in records for k in r.kinds})
    return {
        kind: {
            "records": len(rs := [r for r in records if kind in r.kinds]),
            "timed_out": sum(r.timed_out for r in rs),
            "accuracy": total_ratio(r.accuracy() for r in rs).as_json(),
            "exact_rate": Ratio(sum(1 for r in rs if not r.wrong), len(rs)).as_json(),
            "silent_errors": sum(r.silent for r in rs),
        }
        for kind in kinds
    }


# ---------------------------------------------------------------- gates


def case_names(result: dict) -> list[str]:
    return sorted({r["case"] for r in result["records"]})


def baseline_entry(result: dict) -> dict:
    """What a baseline keeps for one mode: the headline rates, silent errors, verified records, the cases
    they cover, and for the model modes the figures only the model's answers make (MODEL_FIGURES)."""
    summary = result["summary"]
    entry = {
        "cases": case_names(result),
        **{name: summary[name]["rate"] for name in BASELINE_FIGURES},
        "silent_errors": summary["silent_errors"],
        "verified": summary["verdicts"].get(Verdict.verified.value, 0),
        "settled": summary["settled"],
    }
    for name in META_FIELDS:  # cases with gold meta: agency and year right
        if summary.get("meta", {}).get(name, {}).get("total"):
            entry[f"meta_{name}"] = summary["meta"][name]["rate"]
    if summary.get("kinds"):  # a generated suite: each layout and damage kind holds its own accuracy
        entry["kinds"] = {kind: k["accuracy"]["rate"] for kind, k in summary["kinds"].items()}
    if result["mode"] != "rules":
        entry.update({name: summary[name] for name in MODEL_FIGURES})
    return entry


def gate(
    result: dict, min_accuracy: float | None = None, baseline: dict | None = None, replayed: bool = False
) -> list[str]:
    """Reasons the run fails, one line each; empty when it passes. A replay that left a question unanswered
    fails: its record stays `needs_model` (a model path that had its answers ends any other way), and in model
    mode, where every report is asked, a replay that answered nothing."""
    summary = result["summary"]
    reasons = []
    stuck = summary["verdicts"].get(Verdict.needs_model.value, 0)
    if replayed and (stuck or (result["mode"] == "model" and not summary["attempts"])):  # model: every report asks
        answered = "answered no question" if not summary["attempts"] else "did not answer every question"
        reasons.append(
            f"the replay {answered} ({stuck} records left without answers): the recordings do not match the"
            " questions asked (re-record them)"
        )
    if summary["silent_errors"]:
        reasons.append(
            f"{summary['silent_errors']} silent errors: wrong cells in {summary['silent_records']} records the checker passed as verified"
        )
    if summary["unmarked_errors"]:
        reasons.append(
            f"{summary['unmarked_errors']} unmarked errors: wrong values in {summary['unmarked_records']} records "
            f"that their `unverified` list does not name (first: {summary['unmarked'][0]})"
        )
    accuracy = summary["accuracy"]["rate"] or 0.0
    if min_accuracy is not None and accuracy < min_accuracy:
        reasons.append(f"accuracy {accuracy:.2%} is below --min-accuracy {min_accuracy:.2%}")
    if baseline is None:
        return reasons
    cases, then_cases = case_names(result), baseline.get("cases", [])
    if cases != then_cases:
        added, missing = sorted(set(cases) - set(then_cases)), sorted(set(then_cases) - set(cases))
        reasons.append(
            f"the cases differ from the baseline's (new: {added}, missing: {missing}); re-take it with --save-baseline"
        )
    # Noise, not a regression: a page over the time limit on a loaded machine scores nothing, so a figure may
    # fall by the timed-out pages' share. A kind with no pages left fails whatever its figure (its pages are gone).
    noise = summary.get("timed_out", 0) / summary["records"] if summary["records"] else 0.0
    for name in BASELINE_FIGURES:
        now, then = summary[name]["rate"] or 0.0, baseline.get(name)
        if then is not None and now < then - noise - 1e-9:
            reasons.append(f"{name} {now:.2%} is below the baseline's {then:.2%}")
    for name in META_FIELDS:
        then = baseline.get(f"meta_{name}")
        now = summary.get("meta", {}).get(name, {}).get("rate") or 0.0
        if then is not None and now < then - 1e-9:
            wrong = "; ".join(w for w in summary.get("meta_wrong", []) if f": {name} " in w)[:300]
            reasons.append(f"meta {name} {now:.2%} is below the baseline's {then:.2%} ({wrong})")
    kinds = summary.get("kinds", {})
    for kind, then in baseline.get("kinds", {}).items():
        records = kinds.get(kind, {}).get("records", 0)
        if not records:
            reasons.append(f"no {kind} pages in this run: the suite lost a kind the baseline scores")
            continue
        now, timed_out = kinds[kind]["accuracy"]["rate"] or 0.0, kinds[kind].get("timed_out", 0)
        if then is not None and now < then - timed_out / records - 1e-9:
            reasons.append(f"accuracy on {kind} pages {now:.2%} is below the baseline's {then:.2%}")
    verified = summary["verdicts"].get(Verdict.verified.value, 0)
    if verified < baseline.get("verified", 0):
        reasons.append(f"{verified} verified records, below the baseline's {baseline['verified']}")
    if summary["settled"] < baseline.get("settled", 0):
        reasons.append(f"{summary['settled']} settled records, below the baseline's {baseline['settled']}")
    for name in MODEL_FLOORS:
        if name in baseline and summary[name] < baseline[name]:
            reasons.append(f"{name} {summary[name]} is below the baseline's {baseline[name]}: the model path gave less")
    for name in MODEL_CEILINGS:
        if name in baseline and summary[name] > baseline[name]:
            reasons.append(
                f"{name} {summary[name]} is above the baseline's {baseline[name]}: the model path asked more"
            )
    if summary["silent_errors"] > baseline.get("silent_errors", 0):
        reasons.append(
            f"silent errors {summary['silent_errors']} above the baseline's {baseline.get('silent_errors', 0)}"
        )
    return reasons


def load_baseline(path: Path, mode: str) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise EvalError(f"no such baseline: {path} (take one with --save-baseline)") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise EvalError(f"{path}: not a readable baseline ({type(exc).__name__})") from None
    if not isinstance(data, dict) or not isinstance(data.get(mode), dict):
        raise EvalError(f"{path} has no baseline for mode {mode!r} (take one with --save-baseline)")
    return data[mode]


def save_baseline(path: Path, result: dict) -> None:
    """Put this run's figures under its mode, keeping the other modes' entries."""
    data = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    data[result["mode"]] = baseline_entry(result)
    atomic_write(path, json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n")


# ---------------------------------------------------------------- cases (I/O)


@dataclass(frozen=True)
class Case:
    name: str
    path: Path
    inputs: tuple[Path, ...]
    cells: dict[str, GoldValue]
    source_errors: tuple[str, ...]
    not_on_page: tuple[str, ...] = ()
    undetermined: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    meta: dict | None = None  # the gold meta (agency_name, report_year, agency_aliases, meta_not_on_page)


def case_name(path: Path) -> str:
    return path.name.removesuffix(".json").removesuffix(".gold")


def discover(cases: Path) -> list[Path]:
    """A case file itself, or a directory's *.gold.json and other *.json (the loader skips those without cells)."""
    if cases.is_file():
        return [cases]
    if not cases.is_dir():
        raise EvalError(f"no such cases directory: {cases}")
    return sorted(cases.glob("*.json"))


def _check_value(key: str, value: object) -> None:
    if value is None:
        return
    if key in DECIMAL_KEYS:
        try:
            if isinstance(value, str) and Decimal(value).is_finite():
                return
        except InvalidOperation:
            pass
        raise EvalError(f"{key}: expected the fee as a decimal string or null, got {value!r}")
    if type(value) is not int or (value < 0 and key not in SIGNED_KEYS):
        raise EvalError(f"{key}: expected a count (integer ≥ 0) or null, got {value!r}")


def _find_input(name: str, beside: Path, inputs: Path | None) -> Path:
    candidates = [beside / name] + ([inputs / name] if inputs else [])
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    if inputs and inputs.is_dir():
        found = sorted(p for p in inputs.rglob(Path(name).name) if p.is_file())
        if found:
            return found[0]
    where = f"beside the case or under {inputs}" if inputs else "beside the case (give --inputs DIR to look elsewhere)"
    raise EvalError(f"input {name!r} not found {where}")


def load_case(path: Path, inputs: Path | None = None) -> Case | None:
    """A validated case, or None for a plain *.json that is not a case (no "cells"). Raises EvalError."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise EvalError(f"cannot read: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise EvalError("not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise EvalError(f"not valid JSON (line {exc.lineno}: {exc.msg})") from None
    is_gold = path.name.endswith(".gold.json")
    if not isinstance(data, dict) or "cells" not in data:
        if is_gold:
            raise EvalError('no "cells" object')
        return None
    cells = data["cells"]
    if not isinstance(cells, dict) or not cells:
        raise EvalError('"cells" must be a non-empty object of canonical key → value')
    unknown = [k for k in cells if k not in KNOWN_KEYS]
    if unknown:
        raise EvalError(f"unknown cell key(s): {', '.join(unknown[:5])}{' …' if len(unknown) > 5 else ''}")
    for key, value in cells.items():
        _check_value(key, value)
    names = data.get("inputs", data.get("input"))
    names = [names] if isinstance(names, str) else names
    if not names or not isinstance(names, list) or not all(isinstance(n, str) and n for n in names):
        raise EvalError('no "input" (a file name) or "inputs" (a list of file names)')
    source_errors = data.get("source_errors", [])
    if not isinstance(source_errors, list) or not all(isinstance(e, str) for e in source_errors):
        raise EvalError('"source_errors" must be a list of identity ids')
    not_on_page, undetermined = _key_list(data, "not_on_page"), _key_list(data, "undetermined")
    printed = [k for k in not_on_page if cells.get(k) is not None]
    if printed:
        raise EvalError(f'"not_on_page" lists keys that "cells" gives a value: {", ".join(printed[:5])}')
    unlabelled = [k for k in undetermined if cells.get(k) is None]
    if unlabelled:
        raise EvalError(f'"undetermined" keys need the labeller\'s reading in "cells": {", ".join(unlabelled[:5])}')
    kinds = data.get("kinds", [])  # a generated case's layout and damage kinds
    if not isinstance(kinds, list) or not all(isinstance(k, str) for k in kinds):
        raise EvalError('"kinds" must be a list of layout and damage kind names')
    found = tuple(_find_input(n, path.parent, inputs) for n in names)
    marks = (not_on_page, undetermined, tuple(kinds), _gold_meta(data))
    return Case(case_name(path), path, found, dict(cells), tuple(source_errors), *marks)


def _gold_meta(data: dict) -> dict | None:
    """The case's gold meta, checked: agency_name a string or null, report_year an integer or null,
    agency_aliases a list of strings, meta_not_on_page true or false. None without a `meta` object."""
    meta = data.get("meta")
    if meta is None:
        return None
    if not isinstance(meta, dict):
        raise EvalError('"meta" must be an object (agency_name, report_year, agency_aliases, meta_not_on_page)')
    if not isinstance(meta.get("agency_name"), str | None):
        raise EvalError('"meta.agency_name" must be a string or null')
    year = meta.get("report_year")
    if year is not None and (type(year) is not int or not 1990 <= year <= 2100):
        raise EvalError('"meta.report_year" must be a year (an integer) or null')
    aliases = meta.get("agency_aliases", [])
    if not isinstance(aliases, list) or not all(isinstance(a, str) and a for a in aliases):
        raise EvalError('"meta.agency_aliases" must be a list of names')
    if not isinstance(meta.get("meta_not_on_page", False), bool):
        raise EvalError('"meta.meta_not_on_page" must be true or false')
    if meta.get("meta_not_on_page") and (meta.get("agency_name") or year):
        raise EvalError('"meta.meta_not_on_page" is true but the gold names an agency or a year')
    return meta


def _key_list(data: dict, name: str) -> tuple[str, ...]:
    keys = data.get(name, [])
    if not isinstance(keys, list) or not all(isinstance(k, str) and k in KNOWN_KEYS for k in keys):
        raise EvalError(f'"{name}" must be a list of canonical keys')
    return tuple(keys)


def load_cases(paths: list[Path], inputs: Path | None = None) -> tuple[list[Case], list[str]]:
    """Good cases, and one line per bad case file."""
    cases, errors = [], []
    for path in paths:
        try:
            case = load_case(path, inputs)
        except EvalError as exc:
            errors.append(f"{path}: {exc}")
            continue
        if case is not None:
            cases.append(case)
    return cases, errors


# ---------------------------------------------------------------- running


@contextmanager
def time_limit(seconds: float | None):
    """Raise ExtractionTimeout after `seconds`, so one runaway input cannot stall a whole eval (Unix, main thread).

    A library may catch the alarm's exception and raise its own (onnxruntime does, under OCR): whatever leaves the
    block once the time is up is the timeout."""
    if not seconds or not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        yield
        return
    expired = False

    def expire(signum, frame):
        nonlocal expired
        expired = True
        raise ExtractionTimeout(f"{TIMED_OUT} {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    except ExtractionTimeout:
        raise
    except Exception as exc:
        if expired:
            raise ExtractionTimeout(f"{TIMED_OUT} {seconds:g} s") from exc
        raise
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def run_case(case: Case, options, timeout: float | None = None, reports: list | None = None) -> list[RecordScore]:
    """Extract every input of a case and score it; an input that yields no record scores as a failed, empty one.
    In the model modes the parser's own record is scored too, for the model path's contribution.

    The records themselves are appended to `reports` (for the review pages the eval page links to).
    """
    from nianbao.ingest import IngestError
    from nianbao.pipeline import extract_path

    def extract(path: Path, options) -> tuple[Report, str]:
        try:
            with time_limit(timeout):
                return extract_path(path, options), ""
        except (IngestError, ExtractionTimeout) as exc:
            return Report(source=str(path), verdict=Verdict.failed, verdict_reason=str(exc)), str(exc)

    records = []
    for path in case.inputs:
        started = time.perf_counter()
        report, error = extract(path, options)
        elapsed = time.perf_counter() - started
        marks = {
            "not_on_page": case.not_on_page,
            "undetermined": case.undetermined,
            "kinds": case.kinds,
            "gold_meta": case.meta,
        }
        score = score_record(case.name, path.name, case.cells, report, case.source_errors, elapsed, error, **marks)
        if options.mode != "rules":
            parser, _ = extract(path, replace(options, mode="rules"))
            score.counts.update(contribution(score, score_record(case.name, path.name, case.cells, parser, **marks)))
        records.append(score)
        if reports is not None:
            reports.append(report)
    return records


def run_eval(
    cases: str,
    options,
    inputs: Path | None = None,
    timeout: float | None = None,
    count: int = 50,
    seed: int = 0,
    keep: Path | None = None,
    layouts: tuple[str, ...] | None = None,
) -> dict:
    """Load the cases (or generate a suite: `cases="generated"`), extract and score every input: the JSON report."""
    with ExitStack() as stack:
        if cases == GENERATED and not Path(cases).exists():
            if importlib.util.find_spec("reportlab") is None:
                raise EvalError(
                    "the generated suite renders PDFs with reportlab: install the test extra (pip install -e '.[test]')"
                )
            from nianbao.eval.damage import LAYOUTS, SUITE_LAYOUTS, converter_missing, write_suite

            unknown = set(layouts or ()) - set(LAYOUTS)
            if unknown:
                raise EvalError(f"unknown layouts: {', '.join(sorted(unknown))} (choose from {', '.join(LAYOUTS)})")
            missing = {name: converter_missing(name) for name in layouts or ()}
            missing = {name: why for name, why in missing.items() if why}
            if missing:
                layouts = tuple(name for name in layouts if name not in missing)
                if not layouts:
                    raise EvalError("; ".join(missing.values()))
                for name, why in missing.items():
                    print(f"({name} left out: {why})", file=sys.stderr)
            directory = keep or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="nianbao-eval-")))
            undrawn = write_suite(directory, count, seed, layouts or SUITE_LAYOUTS)
            paths = discover(directory)
            label = f"a generated suite (count {count}, seed {seed}" + (
                f", layouts {','.join(layouts)})" if layouts else ")"
            )
            if undrawn:  # named on stderr as they were left out; the report says how many
                label += f", {len(undrawn)} case(s) that could not be drawn left out"
        elif cases == SAMPLES and not Path(cases).exists():
            from nianbao.eval.samples import RENDERED, write_cases

            layouts = layouts or ("scanned",)
            unknown = set(layouts) - set(RENDERED)
            if unknown:
                raise EvalError(
                    f"unknown sample layouts: {', '.join(sorted(unknown))} (choose from {', '.join(RENDERED)})"
                )
            if importlib.util.find_spec("reportlab") is None:
                raise EvalError(
                    "the samples render PDFs with reportlab: install the test extra (pip install -e '.[test]')"
                )
            directory = keep or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="nianbao-eval-")))
            paths = [p for name in layouts for p in write_cases(directory / name, name, count, seed)]
            label = f"real reports' values rendered (samples {seed}-{seed + count - 1}, layouts {','.join(layouts)})"
        else:
            paths, label = discover(Path(cases)), cases
        loaded, bad = load_cases(paths, inputs)
        reports: list[Report] = []
        records = [record for case in loaded for record in run_case(case, options, timeout, reports)]
    return {
        "mode": options.mode,
        "cases": label,
        "summary": summarise(records),
        "records": [record_json(r) for r in records],
        "bad_cases": bad,
        "reports": reports,
    }


# ---------------------------------------------------------------- rendering


def pct(ratio: dict) -> str:
    return "—" if ratio["rate"] is None else f"{ratio['rate']:.1%} ({ratio['right']}/{ratio['total']})"


def headline(summary: dict) -> list[str]:
    """The summary lines the terminal and the Markdown report share."""
    tables = " · ".join(
        f"{t} {pct(v['accuracy'])}, non-zero {pct(v['nonzero_accuracy'])}" for t, v in summary["tables"].items()
    )
    src = summary["source_errors"]
    lines = [
        f"cell accuracy {pct(summary['accuracy'])} · non-zero cells {pct(summary['nonzero_accuracy'])}",
        f"per table: {tables}",
        f"report exact rate {pct(summary['exact_rate'])}",
        f"silent errors {summary['silent_errors']} (in {summary['silent_records']} verified records)",
        f"unmarked errors {summary['unmarked_errors']} "
        f"(wrong values not listed in `unverified`, in {summary['unmarked_records']} records)",
        f"flags: recall {pct(summary['flag_recall'])} of wrong records flagged · precision {pct(summary['flag_precision'])} of flagged records warranted",
        f"source errors: {src['matched']} of {src['expected']} expected found · {len(src['missed'])} missed · {len(src['spurious'])} spurious",
        "verdicts: " + ", ".join(f"{v} {n}" for v, n in sorted(summary["verdicts"].items())),
        f"settled {summary['settled']} of {summary['records']} (every cell right and stood behind: verified, or "
        f"incomplete where the page does not print every cell: {summary['settled_incomplete']})",
        f"the model's contribution: {summary['made_right_by_model']} cells made right that the parser left open · "
        f"{summary['verified_by_model']} reports verified and {summary['settled_by_model']} settled that the parser "
        f"did not · {summary['attempts']} answers "
        f"({summary['answers_per_asked_report']} per report asked, at most {summary['max_answers_per_report']})",
        f"cells from the model {summary['cells_from_model']} · parser/model agreements {summary['model_parser_agreements']}",
        f"model calls {summary['model_calls']} · reprompts {summary['reprompts']} · tokens {summary['tokens_in']} in / {summary['tokens_out']} out · cache hits {summary['cache_hits']} · wall {summary['wall_s']:.1f} s",
    ]
    if summary["meta"]["agency_name"]["total"]:
        lines.append(f"meta: agency {pct(summary['meta']['agency_name'])} · year {pct(summary['meta']['report_year'])}")
    if summary["not_extracted"]:
        lines.append(f"not extracted: {len(summary['not_extracted'])} inputs (unreadable or over the time limit)")
    return (
        lines
        + [f"  unmarked error {u}" for u in summary["unmarked"]]
        + [f"  missed source error {m}" for m in src["missed"]]
        + [f"  spurious source error {s}" for s in src["spurious"]]
        + [f"  not extracted {n}" for n in summary["not_extracted"]]
        + [f"  wrong meta {w}" for w in summary["meta_wrong"]]
    )


RECORD_COLUMNS = (
    "case",
    "verdict",
    "settled",
    "accuracy",
    "non-zero",
    "二",
    "三",
    "四",
    "wrong",
    "silent",
    "unmarked",
    "src err",
    "calls",
    "re",
    "tok in/out",
    "cache",
    "wall s",
)
WORST_COLUMNS = ("case", "key", "gold", "got", "verdict", "flags", "raw", "span")


def short_pct(ratio: dict) -> str:
    return "—" if ratio["rate"] is None else f"{ratio['rate']:.1%}"


def record_row(r: dict, percent=pct) -> list[str]:
    """One record's figures; `percent` formats the rates (with counts for Markdown, bare for the terminal)."""
    name = r["case"] if r["input"].startswith(r["case"]) else f"{r['case']} ({r['input']})"
    expected, found = set(r["source_errors_expected"]), set(r["source_errors_found"])
    spurious = f" +{len(found - expected)}" if found - expected else ""
    return [
        name,
        r["verdict"],
        "yes" if r["settled"] else "",
        percent(r["accuracy"]),
        percent(r["nonzero_accuracy"]),
        *(percent(r["tables"][t]) for t in TABLES),
        str(len(r["wrong"])),
        str(r["silent_errors"]),
        str(r["unmarked_errors"]),
        f"{len(found & expected)}/{len(expected)}{spurious}",
        str(r["model_calls"]),
        str(r["reprompts"]),
        f"{r['tokens_in']}/{r['tokens_out']}",
        str(r["cache_hits"]),
        f"{r['wall_s']:.2f}",
    ]


def worst_row(w: dict) -> list[str]:
    return [
        w["case"],
        w["key"],
        json.dumps(w["gold"]),
        json.dumps(w["got"]),
        w["verdict"] + (" SILENT" if w["silent"] else " UNMARKED" if w["unmarked"] else ""),
        ",".join(w["flags"]),
        (w["raw"] or "")[:40],
        str(w["span"] or ""),
    ]


def render_markdown(result: dict) -> str:
    def table(columns, rows) -> list[str]:
        esc = lambda s: str(s).replace("|", "\\|").replace("\n", " ")  # noqa: E731
        return ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)] + [
            "| " + " | ".join(esc(c) for c in row) + " |" for row in rows
        ]

    summary = result["summary"]
    lines = [f"# nianbao eval — mode {result['mode']}, {summary['records']} records from {result['cases']}", ""]
    lines += [f"- {line.strip()}" for line in headline(summary)]
    if result["bad_cases"]:
        lines += ["", "## Bad case files", ""] + [f"- {b}" for b in result["bad_cases"]]
    lines += ["", "## Per case", "", *table(RECORD_COLUMNS, [record_row(r) for r in result["records"]])]
    if summary.get("kinds"):
        lines += ["", "## Per layout and damage kind", "", *table(KIND_COLUMNS, kind_rows(summary["kinds"], pct))]
    if summary["worst_cells"]:
        lines += ["", "## Worst cells", "", *table(WORST_COLUMNS, [worst_row(w) for w in summary["worst_cells"]])]
    return "\n".join(lines) + "\n"


KIND_COLUMNS = ("kind", "records", "accuracy", "exact", "silent")


def kind_rows(kinds: dict, percent=pct) -> list[list[str]]:
    return [
        [kind, str(k["records"]), percent(k["accuracy"]), percent(k["exact_rate"]), str(k["silent_errors"])]
        for kind, k in kinds.items()
    ]


def print_terminal(result: dict, console, max_rows: int = 40) -> None:
    """Rich tables; a long (generated) suite shows only its records with wrong cells."""
    from rich.table import Table

    records = result["records"]
    shown = records if len(records) <= max_rows else [r for r in records if r["wrong"]][:max_rows]
    title = f"nianbao eval — mode {result['mode']} — {len(records)} records from {result['cases']}"
    if shown is not records:
        title += f" (showing {len(shown)} with wrong cells)"
    if not console.is_terminal:
        console.width = max(console.width, 160)  # CI logs: wide rows beat folded ones
    table = Table(title=title)
    for column in RECORD_COLUMNS:
        table.add_column(column, overflow="fold", no_wrap=column != "case")
    for r in shown:
        table.add_row(
            *record_row(r, short_pct),
            style="red" if r["silent_errors"] or r["unmarked_errors"] else ("yellow" if r["wrong"] else None),
        )
    console.print(table)
    for line in headline(result["summary"]):
        console.print(line, markup=False, highlight=False)
    if result["summary"].get("kinds"):
        kt = Table(title="per layout and damage kind")
        for column in KIND_COLUMNS:
            kt.add_column(column)
        for row in kind_rows(result["summary"]["kinds"], short_pct):
            kt.add_row(*row)
        console.print(kt)
    worst = result["summary"]["worst_cells"]
    if worst:
        wt = Table(title="worst cells")
        for column in WORST_COLUMNS:
            wt.add_column(column, overflow="fold")
        for w in worst:
            wt.add_row(*worst_row(w), style="red" if w["silent"] or w["unmarked"] else None)
        console.print(wt)


def write_reports(result: dict, path: Path) -> tuple[Path, Path]:
    """PATH.json (every figure and wrong cell) and PATH.md (for a pull request), written atomically; with the
    records at hand, also PATH.html and the review pages of its cases (PATH-review/)."""
    from nianbao.review import write_eval_page

    stem = path.with_suffix("") if path.suffix in (".json", ".md", ".html") else path
    json_path, md_path = Path(f"{stem}.json"), Path(f"{stem}.md")
    figures = {k: v for k, v in result.items() if k != "reports"}
    atomic_write(json_path, json.dumps(figures, ensure_ascii=False, indent=2) + "\n")
    atomic_write(md_path, render_markdown(figures))
    if result.get("reports"):
        write_eval_page(figures, result["reports"], Path(f"{stem}.html"))
    return json_path, md_path
