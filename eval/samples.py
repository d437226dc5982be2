"""Many distinct, checkable sample reports made from the committed corpus and gold: inputs for the benchmark and the batch tests.

Text samples are the committed text reports themselves; HTML, DOCX, PDF and scanned (image-only PDF)
samples are the gold records rendered by the damage generator's undamaged layouts (HTML with the
template's spans, python-docx, reportlab), so each one's expected cells are known exactly. Every sample has its own content hash,
which a batch needs: it counts inputs by content.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from nianbao.eval import damage
from nianbao.schemas.keys import ALL_KEYS, OTHER_TOTAL_KEYS

CORPUS = Path(__file__).resolve().parent / "corpus"
RENDERED = ("html", "docx", "pdf", "scanned")


def gold_records(corpus: Path = CORPUS) -> list[dict]:
    """The gold files that render as a complete 2021 table set (no 2019 （六） row, no fragment)."""
    golds = [json.loads(path.read_text(encoding="utf-8")) for path in sorted(corpus.glob("*.gold.json"))]
    return [
        g
        for g in golds
        if g["template"] == "gov2021"
        and set(g["cells"]) == set(ALL_KEYS)
        and not set(g["cells"]) & set(OTHER_TOTAL_KEYS)
    ]


def gold_cells(corpus: Path = CORPUS) -> list[damage.Cells]:
    return [g["cells"] for g in gold_records(corpus)]


def sample_cells(index: int, golds: list[damage.Cells] | None = None) -> damage.Cells:
    """The cells of rendered sample `index`: a gold record with 三 and 四 scaled (identities still hold)."""
    golds = golds or gold_cells()
    factor = 1 + index % 3
    return {
        k: v * factor if isinstance(v, int) and not k.startswith("active.") else v
        for k, v in golds[index % len(golds)].items()
    }


def render(fmt: str, index: int, golds: list[damage.Cells] | None = None) -> bytes:
    """Rendered sample `index` in `fmt`, closed by a line naming the sample (letters only, so no table reads it)."""
    rng = random.Random(index)
    page = damage.build_page(sample_cells(index, golds), rng)
    page.blocks.append(f"（样本{_letters(index)}）")
    rendered = damage.LAYOUTS[fmt][1](page, rng)
    return rendered.encode("utf-8") if isinstance(rendered, str) else rendered


def render_text(path: Path, index: int) -> bytes:
    """A committed text report made distinct by a closing line with no digits."""
    return path.read_bytes().rstrip() + f"\n\n（副本{_letters(index)}）\n".encode("utf-8")


def _letters(index: int) -> str:
    return "".join(chr(ord("a") + int(d)) for d in str(index))


def write_samples(out: Path, fmt: str, n: int, start: int = 0) -> list[Path]:
    """Samples `start` … `start + n - 1` of one format ("txt" or one of RENDERED) as files in `out`."""
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
    golds = gold_cells()
    for i in range(start, start + n):
        path = out / f"sample-{i:05d}{damage.LAYOUTS[fmt][0]}"
        path.write_bytes(render(fmt, i, golds))
        written.append(path)
    return written


def write_cases(out: Path, fmt: str, n: int, start: int = 0) -> list[Path]:
    """Rendered samples `start` … `start + n - 1` of one format (one of RENDERED), each beside its gold file: real
    reports' values on pages the reader was never tuned on (`nianbao eval --cases samples`). A real report's
    own arithmetic errors (its gold's source errors) stay its errors: scaling 三 and 四 keeps every sum broken."""
    golds = gold_records()
    cells = [g["cells"] for g in golds]
    written = []
    for i, path in enumerate(write_samples(out, fmt, n, start), start=start):
        gold = {
            "input": path.name,
            "cells": sample_cells(i, cells),
            "source_errors": golds[i % len(golds)].get("source_errors", []),
            "kinds": [fmt],
        }
        written.append(path.with_name(f"{path.stem}.gold.json"))
        written[-1].write_text(json.dumps(gold, ensure_ascii=False) + "\n", encoding="utf-8")
    return written
