"""Cross-year checks: where one agency's consecutive reports must agree (format.md §2.3).

- `X.carry:<column>` (hard): 结转下年度继续办理 of year y−1 = 上年结转政府信息公开申请数量 of year y.
- `X.in_force:<row>` (soft): 现行有效 of y−1 + 本年制发 of y − 本年废止 of y = 现行有效 of y; agencies
  clean up their lists, so a failure only warns.

Reports are linked by their agency identity (the full printed name, normalised) and scope; a report
with no agency name, or with a name that is no agency's (a heading such as 正文), is linked to nothing;
a link that is not certain is not made but listed with its reason. Where one side of an identity is still open (a glued run with several
readings), the neighbouring year may narrow its readings: that is a *suggestion* with its evidence,
never written into a cell. Everything here works from `facts`, a small dict per report that the batch
worker renders beside the dataset rows, so linking 10,000 reports never re-reads their records.
"""

from __future__ import annotations

import io
import itertools
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable

from nianbao.meta import is_agency_name, scope_of
from nianbao.output import SafeCSV
from nianbao.schemas.keys import T2_ROWS, T3_COLUMNS, t2_key, t3_key
from nianbao.schemas.record import Report

IN_FORCE_ROWS = ("regulations", "normative_docs")
ROW_LABELS = {"regulations": "规章", "normative_docs": "行政规范性文件"}
# Suffixes that may or may not be printed with an agency's name: names that differ by one are only
# possibly the same agency (管委会 vs the area it runs), so such a pair is listed but never linked.
LOOSE_SUFFIXES = ("人民政府", "政府", "管委会", "管理委员会", "办公室", "行政公署")
MAX_READINGS = 10_000
MAX_PER_YEAR = 3  # more reports than this under one name and year are not one agency's copies: not paired
COLUMNS = (
    "agency",  # the linked agency's display name
    "scope",
    "matched_by",  # how the reports were linked
    "check",  # X.carry:<column> or X.in_force:<row>
    "severity",  # hard / soft
    "status",  # pass / fail / uncheckable
    "earlier_year",
    "earlier_source",
    "later_year",
    "later_source",
    "lhs",  # the earlier report's side
    "rhs",  # the later report's side
    "residual",
    "blame",  # for a failure: which report's own numbers are known to be wrong, if either
    "message",
    "suggestion",  # a reading the neighbouring year suggests for a cell the page leaves open
)


def _carry_keys(column: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    return (t3_key("carried_forward", column),), (t3_key("carried_over", column),)


def _row_keys(row: str) -> tuple[str, ...]:
    return tuple(t2_key(row, col) for col in T2_ROWS[row])


FACT_KEYS = tuple(k for c in T3_COLUMNS for side in _carry_keys(c) for k in side) + tuple(
    k for r in IN_FORCE_ROWS for k in _row_keys(r)
)


def facts(report: Report) -> dict:
    """What the cross-year checks need of one report: identity, and its year-linked cells with their evidence."""
    failing = [c for c in report.checks if c.severity == "hard" and c.status == "fail"]
    cells = {}
    for key in FACT_KEYS:
        cell = report.cells.get(key)
        if cell is None:
            continue
        cells[key] = {
            "value": cell.value if cell.value is None else int(cell.value),
            "raw": cell.raw,
            "span": list(cell.span) if cell.span else None,
            "flags": list(cell.flags),
            "candidates": [int(c) for c in cell.candidates if c is not None],
            "failing": [c.id for c in failing if key in c.cells],
            "source_error": any(key in c.cells and c.cause == "source" for c in failing),
        }
    return {
        "source": report.source,
        "sha256": report.meta.input_sha256,
        "agency": report.meta.agency_name,
        "year": report.meta.report_year,
        "scope": report.meta.scope,
        "verdict": report.verdict.value,
        "cells": cells,
    }


# ---------------------------------------------------------------- linking reports to agencies


def normalise_name(name: str) -> str:
    """NFKC, no whitespace, no punctuation: the forms one agency's name takes across scrapes and years."""
    text = unicodedata.normalize("NFKC", name)
    return "".join(ch for ch in text if not ch.isspace() and not unicodedata.category(ch).startswith("P"))


def agency_identity(name: str | None) -> str | None:
    """The key one agency's reports are linked by: its full printed name (with the area prefix the title
    prints) normalised; None for anything that is no agency's name (a converter heading such as 正文)."""
    return normalise_name(name) if name and is_agency_name(normalise_name(name)) else None


def unlinked_reason(fact: dict) -> str | None:
    """Why a report is linked to no agency (no name or year, or a name that is no agency's); None if it can be."""
    if not fact.get("agency") or not fact.get("year"):
        missing = "agency name" if not fact.get("agency") else "report year"
        return f"no {missing} found on the page: not linked to any agency"
    if agency_identity(fact["agency"]) is None:
        return f"{fact['agency']!r} is no agency's name (a heading?): not linked"
    return None


def bucket_of(fact: dict, buckets: int) -> int:
    """The bucket of a report that can be linked, out of `buckets`, by the first character of its agency identity.

    Every agency `link` compares with it (the same name in another scope, a name that differs by a suffix)
    starts with that character too, so buckets are checked apart; and the buckets, in order, hold the
    agencies in the order `link` sorts them (the CJK block cut into equal ranges of code points)."""
    first = ord(agency_identity(fact["agency"])[0]) - 0x4E00
    return min(buckets - 1, max(0, first * buckets // 0x5200))


def _stem(normalised: str) -> str:
    for suffix in LOOSE_SUFFIXES:
        if normalised.endswith(suffix) and len(normalised) > len(suffix) + 1:
            return normalised[: -len(suffix)]
    return normalised


def link(reports: list[dict]) -> tuple[list[dict], list[dict]]:
    """(agencies, unlinked): reports grouped by normalised name + scope, and the links not made, with why.

    An agency is {id, name, scope, matched_by, names, members: [report index]}; unlinked entries say
    which reports (or agencies) might belong together and why they were kept apart.
    """
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    unlinked: list[dict] = []
    for index, fact in enumerate(reports):
        if (reason := unlinked_reason(fact)) is not None:
            unlinked.append({"reports": [index], "reason": reason, "kind": "report"})
            continue
        groups[(agency_identity(fact["agency"]), fact["scope"] or scope_of(fact["agency"]))].append(index)
    agencies = []
    for number, ((name, scope), members) in enumerate(sorted(groups.items())):
        names = sorted({reports[i]["agency"] for i in members})
        how = (
            "the same name and scope"
            if len(names) == 1
            else "the same name once spaces, full-width forms and punctuation are ignored, and the same scope"
        )
        members.sort(key=lambda i: (reports[i]["year"], reports[i]["source"]))
        agencies.append(
            {
                "id": f"a{number:05d}",
                "name": names[0],
                "key": name,
                "scope": scope,
                "matched_by": how,
                "names": names,
                "members": members,
            }
        )
    by_name: dict[str, list[dict]] = defaultdict(list)
    by_stem: dict[str, list[dict]] = defaultdict(list)
    for agency in agencies:
        by_name[agency["key"]].append(agency)
        by_stem[_stem(agency["key"])].append(agency)
    for same in by_name.values():
        if len(same) > 1:
            unlinked.append(
                {
                    "agencies": [a["id"] for a in same],
                    "reason": "the same name with a different scope (a department's own report vs the whole area's): not linked",
                    "kind": "name",
                }
            )
    for near in by_stem.values():
        if len({a["key"] for a in near}) > 1:
            names = " / ".join(sorted({a["name"] for a in near}))
            unlinked.append(
                {
                    "agencies": [a["id"] for a in near],
                    "reason": f"names differ only by a suffix ({names}): possibly one agency, not linked",
                    "kind": "stem",
                }
            )
    for agency in agencies:
        years = Counter(reports[i]["year"] for i in agency["members"])
        for year, count in sorted(years.items()):
            if count > MAX_PER_YEAR:
                note = f"{count} reports for {year}: too many to be copies of one report, so not checked across years"
            elif count > 1:
                note = f"{count} reports for {year}: each is checked against its neighbours"
            else:
                continue
            agency.setdefault("notes", []).append(note)
    return agencies, unlinked


# ---------------------------------------------------------------- the identities


def readings(fact: dict, keys: tuple[str, ...]) -> list[tuple[int, ...]]:
    """Every reading of `keys` the report leaves open: one for plain cells, each split of a glued run otherwise.

    Cells cut from one glued run must concatenate back to its digits (when all of the run's cells are
    among `keys`); no other constraint is assumed. Empty when a cell has neither value nor candidates.
    """
    cells = [fact["cells"].get(k) for k in keys]
    if any(c is None for c in cells):
        return []
    options = []
    for cell in cells:
        if cell["value"] is not None and not cell["candidates"]:
            options.append([cell["value"]])
        elif cell["candidates"]:
            options.append(cell["candidates"])
        else:
            return []
    runs: dict[tuple, list[int]] = defaultdict(list)
    for position, cell in enumerate(cells):
        if cell["candidates"] and cell["raw"] and cell["span"]:
            runs[(cell["raw"], tuple(cell["span"]))].append(position)
    whole_runs = []
    for (raw, span), positions in runs.items():
        everyone = sum(1 for c in fact["cells"].values() if c["raw"] == raw and c["span"] and tuple(c["span"]) == span)
        if everyone == len(positions) and len(positions) > 1:
            whole_runs.append((re.sub(r"\D", "", raw), positions))
    found = []
    for combination in itertools.islice(itertools.product(*options), MAX_READINGS):
        if all("".join(str(combination[p]) for p in positions) == digits for digits, positions in whole_runs):
            found.append(combination)
    return found


def _plain(fact: dict, keys: tuple[str, ...]) -> tuple[int, ...] | None:
    """The values as read, when every one was read with no open alternative."""
    cells = [fact["cells"].get(k) for k in keys]
    if any(c is None or c["value"] is None or c["candidates"] for c in cells):
        return None
    return tuple(c["value"] for c in cells)


def _same(reading: tuple[int, ...], known: tuple[int, ...]) -> bool:
    return reading[0] == known[0]


def _suggest(subject: dict, other: dict, subject_keys, other_keys, holds: Callable, evidence: Callable) -> dict | None:
    """The readings of the subject's open cells that the other year's plain numbers narrow them to, with why."""
    open_readings = readings(subject, subject_keys)
    known = _plain(other, other_keys)
    if len(open_readings) < 2 or known is None:
        return None
    agree = [r for r in open_readings if holds(r, known)]
    if not agree or len(agree) == len(open_readings):
        return None
    raw = next((subject["cells"][k]["raw"] for k in subject_keys if subject["cells"][k]["candidates"]), "")
    shown = "; ".join(" | ".join(map(str, r)) for r in agree)
    text = (
        f"{subject['year']}: of the {len(open_readings)} readings of {raw!r}, {len(agree)} agree with {other['year']}'s "
        f"report ({evidence(known)}): {shown} — a suggestion, the cells stay unverified"
    )
    return {
        "keys": list(subject_keys),
        "raw": raw,
        "of": len(open_readings),
        "readings": [list(r) for r in agree],
        "text": text,
    }


def _blame(earlier: dict, later: dict, earlier_keys, later_keys) -> str:
    """Which report's own numbers are known to be wrong, if either: the one whose cell breaks its own identities."""

    def known(fact, keys):
        return any(fact["cells"].get(k, {}).get("source_error") for k in keys)

    def doubtful(fact, keys):
        return any(
            fact["cells"].get(k, {}).get("failing")
            or {"ambiguous", "ungrounded", "parser_disagrees"} & set(fact["cells"].get(k, {}).get("flags", ()))
            for k in keys
        )

    first, second = known(earlier, earlier_keys), known(later, later_keys)
    if first != second:
        return f"{(earlier if first else later)['year']} (its own table 三 does not add up there)"
    if doubtful(earlier, earlier_keys) or doubtful(later, later_keys):
        return "unknown: a cell involved may be misread"
    return "unknown: each report adds up on its own"


def check_pair(earlier: dict, later: dict) -> list[dict]:
    """Every cross-year identity between two reports of one agency, one year apart."""
    results = []
    for column in T3_COLUMNS:
        ek, lk = _carry_keys(column)
        a, b = _plain(earlier, ek), _plain(later, lk)
        result = {
            "check": f"X.carry:{column}",
            "severity": "hard",
            "lhs": a[0] if a else None,
            "rhs": b[0] if b else None,
        }
        if a is None or b is None:
            result["status"] = "uncheckable"
            result["suggests"] = [
                ("earlier", _suggest(earlier, later, ek, lk, _same, lambda k: f"上年结转 {k[0]}")),
                ("later", _suggest(later, earlier, lk, ek, _same, lambda k: f"结转下年度 {k[0]}")),
            ]
        else:
            ok = a[0] == b[0]
            result |= {"status": "pass" if ok else "fail", "residual": a[0] - b[0]}
            if not ok:
                result["blame"] = _blame(earlier, later, ek, lk)
                result["message"] = (
                    f"{earlier['year']} carries {a[0]} applications forward ({column}) but {later['year']} carries over {b[0]}: "
                    "one of the two reports is wrong"
                )
        _settle(result)
        results.append(result)
    for row in IN_FORCE_ROWS:
        keys = _row_keys(row)
        a, b = _plain(earlier, keys), _plain(later, keys)
        result = {
            "check": f"X.in_force:{row}",
            "severity": "soft",
            "lhs": None,
            "rhs": None,
        }
        if a is None or b is None:
            result["status"] = "uncheckable"
            result["suggests"] = [
                (
                    "earlier",
                    _suggest(
                        earlier,
                        later,
                        keys,
                        keys,
                        lambda r, k: r[2] + k[0] - k[1] == k[2],
                        lambda k: (
                            f"现行有效 at the end of {earlier['year']} = {k[2]} − {k[0]} + {k[1]} = {k[2] - k[0] + k[1]}"
                        ),
                    ),
                ),
                (
                    "later",
                    _suggest(
                        later,
                        earlier,
                        keys,
                        keys,
                        lambda r, k: k[2] + r[0] - r[1] == r[2],
                        lambda k: f"现行有效 at the end of {earlier['year']} = {k[2]}",
                    ),
                ),
            ]
        else:
            lhs, rhs = a[2] + b[0] - b[1], b[2]
            ok = lhs == rhs
            result |= {"status": "pass" if ok else "fail", "lhs": lhs, "rhs": rhs, "residual": lhs - rhs}
            if not ok:
                result["message"] = (
                    f"{ROW_LABELS[row]}: {a[2]} in force at the end of {earlier['year']} + {b[0]} issued − {b[1]} repealed = {lhs}, "
                    f"but {later['year']} prints {rhs} in force (a cleaned-up list, or a misprint)"
                )
        _settle(result)
        results.append(result)
    return results


def _settle(result: dict) -> None:
    """Keep the suggestions that narrow something: `suggested` = [(which report, suggestion)], `suggestion` = its words."""
    result["suggested"] = [(side, s) for side, s in result.pop("suggests", ()) if s]
    result["suggestion"] = " / ".join(s["text"] for _, s in result["suggested"])


def check_all(reports: list[dict]) -> tuple[list[dict], list[dict], list[dict]]:
    """(agencies, checks, unlinked) for a batch: every pair of linked reports one year apart."""
    agencies, unlinked = link(reports)
    checks = []
    for agency in agencies:
        years = Counter(reports[i]["year"] for i in agency["members"])
        members = [i for i in agency["members"] if years[reports[i]["year"]] <= MAX_PER_YEAR]
        for i, j in itertools.product(members, members):
            earlier, later = reports[i], reports[j]
            if later["year"] != earlier["year"] + 1:
                continue
            for result in check_pair(earlier, later):
                checks.append(result | {"agency": agency["id"], "earlier": i, "later": j})
    return agencies, checks, unlinked


def summarise(agencies: list[dict], checks: list[dict], unlinked: list[dict], reports: list[dict]) -> dict:
    """The `cross_year` entry of summary.json."""
    counts: dict[str, int] = defaultdict(int)
    for check in checks:
        counts[f"{check['severity']}_{check['status']}"] += 1
    names = {a["id"]: a["name"] for a in agencies}

    def described(check):
        return {
            "check": check["check"],
            "agency": names[check["agency"]],
            "earlier": reports[check["earlier"]]["source"],
            "later": reports[check["later"]]["source"],
            **{
                k: check[k]
                for k in ("status", "residual", "blame", "message", "suggestion")
                if check.get(k) not in (None, "")
            },
        }

    return {
        "agencies": len(agencies),
        "agencies_with_several_years": sum(1 for a in agencies if len({reports[i]["year"] for i in a["members"]}) > 1),
        "pairs": len({(c["earlier"], c["later"]) for c in checks}),
        "checks": dict(sorted(counts.items())),
        "failures": [described(c) for c in checks if c["status"] == "fail"],
        "suggestions": [described(c) for c in checks if c.get("suggestion")],
        "not_linked": [
            {
                "reason": u["reason"],
                "reports": [reports[i]["source"] for i in u.get("reports", [])],
                "agencies": [names[a] for a in u.get("agencies", [])],
            }
            for u in unlinked
        ],
    }


def render_csv(agencies: list[dict], checks: list[dict], reports: list[dict]) -> str:
    """cross_year.csv: one row per check (UTF-8 with BOM, like the other datasets)."""
    return HEAD + render_rows(agencies, checks, reports)


def _csv_text(rows: Iterable) -> str:
    buffer = io.StringIO()
    SafeCSV(buffer).writerows(rows)
    return buffer.getvalue()


HEAD = "\ufeff" + _csv_text([COLUMNS])


def render_rows(agencies: list[dict], checks: list[dict], reports: list[dict]) -> str:
    """cross_year.csv's rows of these checks, without its head."""
    by_id = {a["id"]: a for a in agencies}
    rows = []
    for check in checks:
        agency, earlier, later = by_id[check["agency"]], reports[check["earlier"]], reports[check["later"]]
        row = {
            **check,
            "agency": agency["name"],
            "scope": agency["scope"],
            "matched_by": agency["matched_by"],
            "earlier_year": earlier["year"],
            "earlier_source": earlier["source"],
            "later_year": later["year"],
            "later_source": later["source"],
        }
        rows.append([row.get(c) for c in COLUMNS])
    return _csv_text(rows)


def check_bucket(reports: list[dict]) -> dict:
    """The cross-year checks of one bucket of reports that can be linked (`bucket_of`): its cross_year.csv
    rows and its share of the summary, for `merge`."""
    agencies, checks, unlinked = check_all(reports)
    summary = summarise(agencies, checks, unlinked, reports)
    kinds = [u["kind"] for u in unlinked]
    summary["not_linked"] = {
        kind: [e for e, k in zip(summary["not_linked"], kinds, strict=True) if k == kind] for kind in KINDS
    }
    return {"csv": render_rows(agencies, checks, reports), "summary": summary}


KINDS = ("report", "name", "stem")  # the order of summary.json's `not_linked`, as `link` lists them


def unlinked_entry(fact: dict, reason: str) -> dict:
    """summary.json's `not_linked` entry of one report linked to no agency (`unlinked_reason`)."""
    return {"reason": reason, "reports": [fact["source"]], "agencies": []}


def merge(unlinked: list[dict], buckets: list[dict]) -> tuple[str, dict]:
    """(cross_year.csv, the summary.json entry) from the reports linked to nothing (`unlinked_entry`, in input
    order) and the buckets' results (`check_bucket`, in bucket order): what `cross_year` gives for them all."""
    counts: Counter = Counter()
    for bucket in buckets:
        counts.update(bucket["summary"]["checks"])
    summary = {
        name: sum(b["summary"][name] for b in buckets) for name in ("agencies", "agencies_with_several_years", "pairs")
    }
    summary["checks"] = dict(sorted(counts.items()))
    for name in ("failures", "suggestions"):
        summary[name] = [entry for b in buckets for entry in b["summary"][name]]
    summary["not_linked"] = unlinked + [e for kind in KINDS for b in buckets for e in b["summary"]["not_linked"][kind]]
    return HEAD + "".join(b["csv"] for b in buckets), summary


def cross_year(reports: Iterable[dict]) -> tuple[str, dict, tuple[list[dict], list[dict], list[dict]]]:
    """(cross_year.csv text, the summary.json entry, (agencies, checks, unlinked)) for a batch's facts."""
    reports = list(reports)
    agencies, checks, unlinked = check_all(reports)
    return (
        render_csv(agencies, checks, reports),
        summarise(agencies, checks, unlinked, reports),
        (agencies, checks, unlinked),
    )
