"""Recordings: the real model's answers for the committed eval corpus, kept in the repo as JSON lines.

One line per answer: its cache key, prompt version, model, endpoint, server kind, a short description
of the request (case, table, rows), and the raw completion with its usage. Replaying loads them into
a private cache and turns requests off, so CI runs the model path with no network and no model, and
a request that was never recorded fails loudly instead of leaving the process. `nianbao model
record` re-records them from a live endpoint.
"""

from __future__ import annotations

import atexit
import json
import shutil
import tempfile
from dataclasses import replace
from pathlib import Path

from extractor.model.cache import ResponseCache
from extractor.model.settings import Settings

RECORDINGS_DIR = Path("eval/recordings")
FIELDS = ("key", "model", "endpoint", "server", "structured", "prompt_version", "request", "response")
SHARED = ("model", "endpoint", "server", "structured")  # one value per file: the replay takes its settings from them


class RecordingError(Exception):
    """A recordings file that cannot be replayed; the message is one line."""


def default_path(model: str) -> Path:
    return RECORDINGS_DIR / f"{model}.jsonl"


def write(path: Path, entries: list[dict]) -> int:
    """One line per distinct answer, in the order the run used them (a diff shows what changed)."""
    from extractor.output import atomic_write

    seen, lines = set(), []
    for entry in entries:
        if entry["key"] not in seen:
            seen.add(entry["key"])
            lines.append(json.dumps({f: entry[f] for f in FIELDS}, ensure_ascii=False, sort_keys=False))
    atomic_write(path, "\n".join(lines) + "\n")
    return len(lines)


def read(path: Path) -> list[dict]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RecordingError(f"cannot read recordings {path}: {exc.strerror}") from None
    entries = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except json.JSONDecodeError as exc:
            raise RecordingError(f"{path}:{number}: not JSON ({exc.msg})") from None
        missing = [f for f in FIELDS if f not in entry]
        if missing:
            raise RecordingError(f"{path}:{number}: missing {', '.join(missing)}")
        entries.append(entry)
    if not entries:
        raise RecordingError(f"{path}: no recordings")
    for name in SHARED:
        values = {e[name] for e in entries}
        if len(values) > 1:
            raise RecordingError(f"{path}: recordings from more than one {name}: {sorted(map(str, values))}")
    return entries


def replay_settings(path: Path, base: Settings | None = None) -> Settings:
    """Settings that answer from the recordings only: loaded into a private cache, requests off."""
    entries = read(path)
    directory = Path(tempfile.mkdtemp(prefix="nianbao-replay-"))
    atexit.register(shutil.rmtree, directory, ignore_errors=True)
    cache = ResponseCache(directory)
    for entry in entries:
        cache.put(entry["key"], entry["response"])
    cache.close()
    first = entries[0]
    return replace(
        base or Settings(),
        model=first["model"],
        endpoint=first["endpoint"],
        server=first["server"],
        structured=first["structured"],
        cache_dir=directory,
        offline=True,
        record=False,
    )


def record(cases: Path, out: Path, settings: Settings, echo=print) -> dict:
    """Run the model path afresh over every case, write the answers it used to `out`, and measure it.

    Figures per case and in total: the model's own reading against gold (the model alone, as a plain
    model extractor would be scored), the merged record against gold, answers, reprompts, tokens, time.
    """
    import time

    from eval import evaluate
    from extractor.ingest import ingest_path
    from extractor.model import loop
    from extractor.model.client import ModelClient
    from extractor.pipeline import parse_document
    from schemas.record import Cell, Report

    settings = replace(settings, record=True)
    client = ModelClient(settings, ResponseCache(settings.cache_dir) if settings.cache_dir else None, recorded=[])
    loaded, bad = evaluate.load_cases(evaluate.discover(cases))
    for line in bad:
        echo(f"skipped case: {line}")
    rows, totals = [], {"model_alone": evaluate.Ratio(), "record": evaluate.Ratio(), "answers": 0, "reprompts": 0, "tokens_in": 0, "tokens_out": 0, "wall_s": 0.0}
    for case in loaded:
        for path in case.inputs:
            started = time.perf_counter()
            doc = ingest_path(path)
            parser_report, parsed = parse_document(doc, str(path))
            result = loop.run(parser_report, parsed, doc, settings, client)
            wall = time.perf_counter() - started
            alone = Report().with_cells({k: Cell(value=v) for k, v in result.model_values.items()})
            model_alone = evaluate.score_record(case.name, path.name, case.cells, alone).accuracy(only_nonzero=True)
            merged = evaluate.score_record(case.name, path.name, case.cells, result.report).accuracy(only_nonzero=True)
            sp = result.spend
            row = {"case": case.name, "verdict": result.report.verdict.value, "model_alone": model_alone, "record": merged, "answers": sp.answers, "reprompts": sp.reprompts, "tokens_in": sp.tokens_in, "tokens_out": sp.tokens_out, "wall_s": wall, "stop": result.stop}
            rows.append(row)
            for name in totals:
                totals[name] = totals[name] + row[name]
            echo(_line(row))
    written = write(out, client.recorded)
    echo(_line({"case": "TOTAL", "verdict": "", **totals, "stop": f"{written} answers recorded in {out}"}))
    return {"cases": rows, "total": totals, "recorded": written}


def _line(row: dict) -> str:
    def pct(r) -> str:
        return f"{r.rate:.0%} ({r.right}/{r.total})" if r.total else "—"

    return (
        f"{row['case']}: {row['verdict']} · non-zero cells: model alone {pct(row['model_alone'])}, record {pct(row['record'])}"
        f" · answers {row['answers']}, reprompts {row['reprompts']}, tokens {row['tokens_in']}/{row['tokens_out']}, {row['wall_s']:.0f} s · {row['stop']}"
    )
