"""Records on disk: the slim form a batch writes, and one reader for every file that holds records.

A full record repeats itself: the typed tables (`active`, `applications`, …) repeat the cells' values,
every check lists the cells of its identity, which the check's id already names, and every cell spells
out its empty fields. The slim form (`slim`) leaves out what can be rebuilt exactly and keeps
everything else — each value with its raw text, span and flags, every check's outcome, the
`unverified` list — so a reader without nianbao still sees which values the record does not stand
behind. `load_record` rebuilds the full record from either form.
"""

from __future__ import annotations

import gzip
import itertools
import json
from collections.abc import Iterator
from pathlib import Path

from nianbao.check import table3_identities, table4_identities
from nianbao.schemas.keys import FEE_KEY
from nianbao.schemas.record import Report

TABLES = ("active", "active_2019", "applications", "review_litigation")  # rebuilt from `cells` on load


class RecordsError(ValueError):
    """A file that does not hold records; the message is one line."""


def _identity_cells(values: dict) -> dict[str, list[str]]:
    """Check id → the cells it involves, for the checks whose cells follow from their id."""
    cells = {i.id: list(i.keys) for i in table3_identities(values) + table4_identities()}
    cells["T2.fee"] = [FEE_KEY]
    return cells | {f"nonneg:{k}": [k] for k in values}


def slim(report: Report) -> dict:
    """The record without what it repeats: see the module doc. `load_record` gives back the full record."""
    data = json.loads(report.model_dump_json(exclude=set(TABLES)))
    data["cells"] = {  # `value` always there, null or not, for whoever reads the file without nianbao
        k: {"value": None} | c.model_dump(mode="json", exclude_defaults=True) for k, c in report.cells.items()
    }
    implied = _identity_cells({k: c.value for k, c in report.cells.items()})
    checks = []
    for check in report.checks:
        item = check.model_dump(mode="json", exclude_defaults=True) | {"status": check.status}
        if implied.get(check.id) == check.cells:
            item.pop("cells", None)
            if check.status == "uncheckable":
                item.pop("message", None)  # 'blank or missing: …', rebuilt from the cells
        checks.append(item)
    data["checks"] = checks
    return data


def expand(data: dict) -> dict:
    """A slim record's dict made whole again (a full record comes back unchanged)."""
    cells = data.get("cells")
    checks = data.get("checks")
    if not isinstance(cells, dict) or not isinstance(checks, list):
        return data  # not a record: the validation that follows names what is wrong
    values = {k: c.get("value") if isinstance(c, dict) else None for k, c in cells.items()}
    implied = _identity_cells(values)
    whole = []
    for check in checks:
        if isinstance(check, dict) and "cells" not in check and check.get("id") in implied:
            check = check | {"cells": implied[check["id"]]}
            if check.get("status") == "uncheckable" and "message" not in check:
                missing = [k for k in check["cells"] if values.get(k) is None]
                check["message"] = f"blank or missing: {', '.join(missing)}"
        whole.append(check)
    return data | {"checks": whole}


def load_record(data: dict) -> Report:
    """A record from its dict, slim or full; raises pydantic's ValidationError (a ValueError) if it is none."""
    report = Report.model_validate(expand(data))
    return report.with_cells(report.cells)


def record_texts(path: Path) -> Iterator[str]:
    """The JSON of each record in a batch --out directory or a records file: records.jsonl, records.jsonl.gz,
    a JSON list (`--format json`), or one record, pretty-printed or not."""
    if path.is_dir():
        for name in ("records.jsonl", "records.jsonl.gz"):
            if (path / name).is_file():
                yield from record_texts(path / name)
                return
        if not (path / "records").is_dir():
            raise RecordsError(f"{path}: no records.jsonl or records/ (give a batch --out directory or a records file)")
        for file in sorted((path / "records").glob("*.json")):
            yield file.read_text(encoding="utf-8")
        return
    if not path.is_file():
        raise RecordsError(f"no such file: {path}")
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rt", encoding="utf-8-sig") as handle:
            first = handle.readline()
            if first.startswith("["):
                handle.seek(0)
                try:
                    items = json.load(handle)
                except (ValueError, RecursionError) as exc:  # not JSON, nested too deep, a 5,000-digit number
                    why = "nested too deep" if isinstance(exc, RecursionError) else str(exc).splitlines()[0][:200]
                    raise RecordsError(f"{path}: not a JSON list of records ({why})") from None
                yield from (json.dumps(item, ensure_ascii=False) for item in items)
            elif first.startswith("{") and not first.rstrip().endswith("}"):
                yield first + handle.read()  # one pretty-printed record (`--format json -o FILE`)
            else:
                yield from (line for line in itertools.chain([first], handle) if line.strip())
    except UnicodeDecodeError:
        raise RecordsError(f"{path}: not a JSON record (not UTF-8)") from None
    except (OSError, EOFError) as exc:  # gzip.BadGzipFile is an OSError
        raise RecordsError(f"{path}: cannot read records ({exc})") from None
