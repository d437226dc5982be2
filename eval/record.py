"""`nianbao model record`: re-record the real model's answers for the committed eval corpus (what CI replays)."""

from __future__ import annotations

import tempfile
import time
from dataclasses import replace
from pathlib import Path

from nianbao.eval import evaluate
from nianbao.ingest import ingest_path
from nianbao.model import loop
from nianbao.model.cache import ResponseCache
from nianbao.model.client import ModelClient
from nianbao.model.recordings import RecordingError, read, write
from nianbao.model.settings import MAX_DEADLINE, Settings
from nianbao.pipeline import parse_document
from nianbao.schemas.record import Cell, Report, Verdict

RECORDINGS_DIR = Path(__file__).resolve().parent / "recordings"


def default_path(model: str) -> Path:
    return RECORDINGS_DIR / f"{model}.jsonl"


def record(
    cases: list[Path],
    out: Path,
    settings: Settings,
    echo=print,
    modes: tuple[str, ...] = ("model", "auto"),
    reuse: Path | None = None,
    auto_cases: list[Path] = (),
) -> dict:
    """Run the model path afresh over every case, write the answers it used to `out`, and measure it.

    Figures per case and in total: the model's own reading against gold (the model reading the parser's
    rows, glued runs shown as the splits their identities allow: not "the model alone"), the merged record
    against gold, answers, reprompts, tokens, time. Then the auto pass (only the requests holding a row
    the parser left open, and their reprompts), answered from this run's answers where it asks the same
    question, so both modes replay. No deadline while recording (the longest a setting allows): a replay must ask what the run asked.
    `modes=("auto",)` records the auto path alone (the reports the parser left open, their open rows).
    With `reuse` (a recordings file of the same model and server), a question asked there before —
    the same key: model, prompt versions, messages, answer schema — is answered from it and only new
    questions go to the model; the file written holds every answer this run used and no other, so an
    answer no question asks any more is left out. `auto_cases` are recorded in auto mode alone (the
    model-only cases, which CI replays in auto mode only).
    """
    settings = replace(settings, record=reuse is None, deadline=MAX_DEADLINE)
    scratch = None if settings.cache_dir else tempfile.TemporaryDirectory(prefix="nianbao-record-")
    cache = ResponseCache(settings.cache_dir or Path(scratch.name))
    if reuse is not None:
        entries = read(reuse)
        if (entries[0]["model"], entries[0]["server"]) != (settings.model, settings.server):
            raise RecordingError(
                f"{reuse}: recorded from {entries[0]['model']} ({entries[0]['server']}), not this model"
            )
        for entry in entries:
            cache.put(entry["key"], entry["response"])
    client = ModelClient(settings, cache, recorded=[])
    auto_client = ModelClient(replace(settings, record=False), cache, recorded=client.recorded)
    directories = [(d, "model" not in modes) for d in cases] + [(d, True) for d in auto_cases]
    plan = [(case, auto) for directory, auto in directories for case in evaluate.discover(directory)]
    loaded, bad = evaluate.load_cases([case for case, _ in plan])
    auto_only_cases = {evaluate.case_name(case) for case, auto in plan if auto}
    for line in bad:
        echo(f"skipped case: {line}")
    rows, totals = (
        [],
        {
            "model_alone": evaluate.Ratio(),
            "record": evaluate.Ratio(),
            "answers": 0,
            "reprompts": 0,
            "tokens_in": 0,
            "tokens_out": 0,
            "wall_s": 0.0,
        },
    )
    for case in loaded:
        auto_only = case.name in auto_only_cases
        for path in case.inputs:
            started = time.perf_counter()
            doc = ingest_path(path)
            parser_report, parsed = parse_document(doc, str(path))
            is_open = parser_report.verdict in (Verdict.needs_model, Verdict.failed)
            if auto_only and not is_open:
                continue
            result = loop.run(parser_report, parsed, doc, settings, client, only_open=auto_only)
            wall = time.perf_counter() - started
            alone = Report().with_cells({k: Cell(value=v) for k, v in result.model_values.items()})
            model_alone = evaluate.score_record(case.name, path.name, case.cells, alone).accuracy(only_nonzero=True)
            merged = evaluate.score_record(case.name, path.name, case.cells, result.report).accuracy(only_nonzero=True)
            sp = result.spend
            row = {
                "case": case.name,
                "verdict": result.report.verdict.value,
                "model_alone": model_alone,
                "record": merged,
                "answers": sp.answers,
                "reprompts": sp.reprompts,
                "tokens_in": sp.tokens_in,
                "tokens_out": sp.tokens_out,
                "wall_s": wall,
                "stop": result.stop,
            }
            rows.append(row)
            for name in totals:
                totals[name] = totals[name] + row[name]
            echo(_line(row))
            if is_open and not auto_only and "auto" in modes:
                auto = loop.run(parser_report, parsed, doc, settings, auto_client, only_open=True)
                echo(
                    f"{case.name} (auto): {auto.report.verdict.value} · answers {auto.spend.answers}, "
                    f"{auto.spend.live} new · {auto.stop}"
                )
    written = write(out, client.recorded)
    if scratch is not None:
        cache.close()
        scratch.cleanup()
    echo(_line({"case": "TOTAL", "verdict": "", **totals, "stop": f"{written} answers recorded in {out}"}))
    return {"cases": rows, "total": totals, "recorded": written}


def _line(row: dict) -> str:
    def pct(r) -> str:
        return f"{r.rate:.0%} ({r.right}/{r.total})" if r.total else "—"

    return (
        f"{row['case']}: {row['verdict']} · non-zero cells: "
        f"model on the parser's rows {pct(row['model_alone'])}, record {pct(row['record'])}"
        f" · answers {row['answers']}, reprompts {row['reprompts']}, tokens {row['tokens_in']}/{row['tokens_out']}, {row['wall_s']:.0f} s · {row['stop']}"
    )
