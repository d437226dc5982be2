"""`corrections.jsonl`: the values a person read off the page, one JSON object a line.

    {"input_sha256": "<64 hex>", "cells": {"<canonical key>": <value or null>, ...}, "note": "<text>"}

Keyed by the input's content hash, so a correction survives renames and re-runs and never applies to
another file. Values are typed like the record's: a count is a JSON integer (never negative; 2019's
signed 本年增/减 may be), a decimal (the fee, 2019's 采购总金额) a string as printed ("21613.91"), and
`null` a cell the page leaves blank. Later lines for the same input add to earlier ones, a key given
twice takes the later value, so files can be concatenated.
"""

from __future__ import annotations

import hashlib
import json
import re
from decimal import Decimal

from nianbao.schemas.keys import DECIMAL_KEYS, KNOWN_KEYS, SIGNED_KEYS
from pydantic import BaseModel, ConfigDict, Field

CellValue = int | Decimal | None
_SHA256 = re.compile(r"[0-9a-f]{64}")
_DECIMAL = re.compile(r"\d+(?:\.\d+)?")


class Correction(BaseModel):
    """One input's corrections, validated: canonical keys, typed values."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    input_sha256: str
    cells: dict[str, CellValue] = Field(default_factory=dict)
    note: str = ""

    @property
    def digest(self) -> str:
        """A hash of what is corrected: a batch redoes a record whose corrections changed."""
        body = {k: None if v is None else str(v) for k, v in sorted(self.cells.items())}
        return hashlib.sha256(json.dumps([self.input_sha256, body]).encode()).hexdigest()


def typed_value(key: str, value: object) -> CellValue:
    """The cell value a JSON value stands for; ValueError (one line) where it is not typed like the record's."""
    if value is None:
        return None
    if key in DECIMAL_KEYS:
        if isinstance(value, str) and _DECIMAL.fullmatch(value):
            return Decimal(value)
        raise ValueError(f'{key}: a decimal string as printed, such as "12.5", not {json.dumps(value)}')
    if type(value) is not int:
        raise ValueError(f"{key}: a JSON integer, not {json.dumps(value, ensure_ascii=False)}")
    if value < 0 and key not in SIGNED_KEYS:
        raise ValueError(f"{key}: a count is never negative ({value})")
    return value


def parse_line(line: str) -> Correction:
    """One line of corrections.jsonl; ValueError naming the first thing wrong with it."""
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON ({exc.msg})") from None
    if not isinstance(data, dict):
        raise ValueError("a JSON object expected")
    extra = sorted(set(data) - {"input_sha256", "cells", "note"})
    if extra:
        raise ValueError(f"unknown field {extra[0]!r} (input_sha256, cells, note)")
    sha = data.get("input_sha256")
    if not isinstance(sha, str) or not _SHA256.fullmatch(sha):
        raise ValueError("input_sha256: the input's sha256, 64 lowercase hex digits")
    cells = data.get("cells")
    if not isinstance(cells, dict) or not cells:
        raise ValueError("cells: an object of canonical key → value, not empty")
    unknown = [k for k in cells if k not in KNOWN_KEYS]
    if unknown:
        raise ValueError(f"{unknown[0]}: not a canonical key")
    note = data.get("note", "")
    if not isinstance(note, str):
        raise ValueError("note: a string")
    return Correction(input_sha256=sha, cells={k: typed_value(k, v) for k, v in cells.items()}, note=note)


def merge(corrections: list[Correction]) -> dict[str, Correction]:
    """Input hash → its corrections, later lines over earlier ones."""
    merged: dict[str, Correction] = {}
    for item in corrections:
        before = merged.get(item.input_sha256)
        if before is None:
            merged[item.input_sha256] = item
            continue
        note = "; ".join(n for n in (before.note, item.note) if n)
        merged[item.input_sha256] = Correction(
            input_sha256=item.input_sha256, cells={**before.cells, **item.cells}, note=note
        )
    return merged
