"""The harness's commands on the `nianbao` command line: `eval`, `bench` and `model record`. The product's
command groups list them and import this module only when one of them is named."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import click
import typer
from nianbao.commandline import (
    CACHE_DIR_OPTION,
    EXIT_BAD_INPUT,
    MODEL_OPTION,
    NO_CACHE_OPTION,
    REPLAY_OPTION,
    SERVER_OPTION,
    check_timeout,
    fail,
    model_settings,
    say,
    writable_dir,
)
from nianbao.ingest import path_text
from nianbao.pipeline import Options
from nianbao.schemas.record import Mode

app = typer.Typer()


def command(name: str) -> click.Command:
    """The click command `name` (eval, bench, record), for the product's command groups."""
    return typer.main.get_group(app).commands[name]


BENCH_KINDS = "txt,html,docx,pdf,pdf_embedded"


@app.command("bench")
def bench(
    n: int = typer.Option(
        200, "--n", min=1, help="Inputs of each kind (generated from the committed corpus and gold)."
    ),
    batch: int = typer.Option(
        10_000, "--batch", min=0, help="Text reports for the batch run through `extract --out` (0: skip)."
    ),
    jobs: int = typer.Option(os.cpu_count() or 1, "--jobs", min=1, help="Worker processes for the batch run."),
    kinds: str = typer.Option(
        BENCH_KINDS,
        "--kinds",
        help="Comma-separated input kinds to measure (pdf: a font the reader substitutes; pdf_embedded: its font "
        "embedded, as word processors export; also: scanned, through OCR).",
    ),
    workdir: Path | None = typer.Option(
        None,
        "--workdir",
        help="Keep the generated inputs here and reuse them next time (default: a temporary directory).",
    ),
    profile: bool = typer.Option(
        True, "--profile/--no-profile", help="Also profile the text path (cProfile) and list its hot spots."
    ),
    hostile: int = typer.Option(
        0,
        "--hostile",
        min=0,
        help="Instead: the hostile drill with this many generated inputs (tracebacks, hangs, lost records, key on disk).",
    ),
    review: int = typer.Option(
        10_000,
        "--review",
        min=0,
        help="Records for the review site's build (the batch's, relabelled as a panel of agencies × 5 years; 0: skip).",
    ),
    engine: bool = typer.Option(
        False,
        "--engine/--no-engine",
        help="Also run the batch on a local Dask cluster (the dask extra): overhead, costs.",
    ),
) -> None:
    """Measure reports/s and peak memory per input kind, a large batch, and the time to only read the files."""
    from nianbao.eval.benchmark import run

    known = ("txt", "html", "docx", "pdf", "pdf_embedded", "scanned")
    unknown = set(kinds.split(",")) - set(known)
    if unknown:
        fail(f"unknown kinds: {', '.join(sorted(unknown))} (choose from {', '.join(known)})")
    if {"pdf", "pdf_embedded", "scanned"} & set(kinds.split(",")):
        try:
            import reportlab  # noqa: F401 - renders the PDF inputs
        except ImportError:
            fail(
                "the pdf kinds render their inputs with reportlab: pip install 'nianbao[test]', or leave them out of --kinds"
            )
    if {"pdf_embedded", "scanned"} & set(kinds.split(",")):
        from nianbao.eval.damage import SCAN_FONT_FILE, cjk_font_file

        if cjk_font_file() is None:
            if kinds != BENCH_KINDS:
                fail(
                    f"pdf_embedded and scanned draw with {SCAN_FONT_FILE}: apt-get install fonts-wqy-zenhei, or leave them out"
                )
            kinds = kinds.replace(",pdf_embedded", "")  # the default: measure what this machine can draw
            print(f"(pdf_embedded left out: it draws with {SCAN_FONT_FILE}: apt-get install fonts-wqy-zenhei)")
    if "scanned" in kinds.split(",") and importlib.util.find_spec("rapidocr_onnxruntime") is None:
        fail("the scanned kind is read through OCR: pip install '.[ocr]', or leave scanned out of --kinds")
    if engine:
        try:
            import distributed  # noqa: F401 - the cluster the engine bench starts
        except ImportError:
            fail("--engine needs Dask distributed: pip install 'nianbao[dask]'")
    run(
        n,
        batch,
        jobs,
        kinds.split(","),
        workdir,
        profile,
        hostile=hostile,
        review=review if batch else 0,
        engine=engine,
    )


@app.command("eval")
def eval_command(
    cases: str | None = typer.Option(
        None,
        "--cases",
        help="A directory of gold files (*.gold.json, or *.json with \"cells\"), one gold file, or 'generated' for a generated damage suite (default: the eval package's corpus, eval/corpus).",
    ),
    inputs: Path | None = typer.Option(
        None, "--inputs", help="Where to look for inputs that are not beside their gold file."
    ),
    mode: Mode = typer.Option(Mode.rules, "--mode", help="Extraction mode to evaluate."),
    report: Path = typer.Option(Path("eval/reports/latest"), "--report", help="Write PATH.json and PATH.md."),
    min_accuracy: float | None = typer.Option(
        None, "--min-accuracy", help="Fail below this cell accuracy (0.95 or 95)."
    ),
    baseline: Path | None = typer.Option(
        None, "--baseline", help="Fail when a figure falls below this baseline's, for this mode."
    ),
    save_baseline: bool = typer.Option(
        False, "--save-baseline", help="Write this run's figures into --baseline instead of comparing."
    ),
    count: int = typer.Option(50, "--count", min=1, help="Generated suite: how many pages."),
    seed: int = typer.Option(0, "--seed", help="Generated suite: random seed."),
    layouts: str | None = typer.Option(
        None,
        "--layouts",
        help="Generated suite: comma-separated layouts (default: all but 'scanned', which needs the ocr extra).",
    ),
    keep: Path | None = typer.Option(
        None, "--keep", help="Generated suite: write it here and keep it (default: a temporary directory)."
    ),
    timeout: float | None = typer.Option(
        None,
        "--timeout",
        help="Seconds one input may take before it scores as not extracted (default: 30, or 1800 when a live model reads).",
    ),
    model: str | None = MODEL_OPTION,
    server: str | None = SERVER_OPTION,
    cache_dir: Path | None = CACHE_DIR_OPTION,
    no_cache: bool = NO_CACHE_OPTION,
    replay: Path | None = REPLAY_OPTION,
) -> None:
    """Score extraction against gold: cell accuracy, silent errors, checker verdicts, source errors, cost."""
    from nianbao.eval import evaluate
    from nianbao.eval.samples import CORPUS
    from rich.console import Console

    if cases is None:  # the corpus shipped beside the eval package, named relative to here when it is below
        cases = str(CORPUS.relative_to(Path.cwd()) if CORPUS.is_relative_to(Path.cwd()) else CORPUS)

    check_timeout(timeout)
    if save_baseline and baseline is None:
        fail("--save-baseline needs --baseline PATH")
    writable_dir(report.parent, f"--report {path_text(report)}")  # before minutes of work, not after
    try:
        base = evaluate.load_baseline(baseline, mode.value) if baseline and not save_baseline else None
        options = Options(
            mode=mode.value,
            model=model_settings(model, server, cache_dir, no_cache, replay) if mode != Mode.rules else None,
        )
        if timeout is None:
            timeout = (
                1800.0 if mode != Mode.rules and replay is None else 30.0
            )  # a 1.5B model on 2 cores: minutes per report
        chosen = tuple(layouts.split(",")) if layouts else None
        result = evaluate.run_eval(cases, options, inputs, timeout, count, seed, keep, chosen)
    except evaluate.EvalError as exc:
        fail(str(exc))
    for line in result["bad_cases"]:
        say(f"nianbao: error: {line}")
    if not result["records"]:
        fail(f"no cases to evaluate in {cases}")
    evaluate.print_terminal(result, Console())
    try:
        json_path, md_path = evaluate.write_reports(result, report)
    except OSError as exc:
        fail(f"--report {path_text(report)}: cannot write: {exc.strerror or exc}")
    say(f"wrote {json_path}, {md_path} and {md_path.with_suffix('.html')}")
    threshold = min_accuracy / 100 if min_accuracy and min_accuracy > 1 else min_accuracy
    reasons = evaluate.gate(result, threshold, base, replayed=replay is not None and mode != Mode.rules)
    if save_baseline and not reasons:
        evaluate.save_baseline(baseline, result)
        say(f"saved the {mode.value} baseline in {baseline}")
    for reason in reasons:
        say(f"nianbao: eval failed: {reason}")
    raise typer.Exit(1 if reasons else (EXIT_BAD_INPUT if result["bad_cases"] else 0))


@app.command("record")
def model_record(
    cases: list[Path] | None = typer.Option(
        None, "--cases", help="The gold corpora whose inputs the model reads, one or more (default: eval/corpus)."
    ),
    out: Path | None = typer.Option(
        None, "--out", help="The recordings file (default: eval/recordings/<model>.jsonl)."
    ),
    model: str | None = MODEL_OPTION,
    server: str | None = SERVER_OPTION,
    cache_dir: Path | None = CACHE_DIR_OPTION,
    only_auto: bool = typer.Option(
        False, "--only-auto", help="Record the auto path alone (the reports the parser left open), not all reads."
    ),
    reuse: Path | None = typer.Option(
        None, "--reuse", help="A recordings file of this model: questions it already answers are not asked again."
    ),
    auto_cases: list[Path] | None = typer.Option(
        None, "--auto-cases", help="Gold corpora recorded in auto mode alone (e.g. eval/model-only)."
    ),
) -> None:
    """Re-record: ask the live model afresh for every case, write the answers CI replays, print the figures."""
    from nianbao.eval.record import default_path, record
    from nianbao.eval.samples import CORPUS
    from nianbao.model.settings import SETUP_HINT

    settings = model_settings(model, server, cache_dir, False, None)
    if not settings.configured:
        fail(SETUP_HINT)
    modes = ("auto",) if only_auto else ("model", "auto")
    out = out or default_path(settings.model)
    from nianbao.model.recordings import RecordingError

    try:
        record(cases or ([] if auto_cases else [CORPUS]), out, settings, say, modes, reuse, auto_cases or [])
    except RecordingError as exc:
        fail(str(exc))
