"""The `nianbao` command line. Every failure the user can cause is one line on stderr and a non-zero exit."""

from __future__ import annotations

import json
import os
import sys
from enum import Enum
from pathlib import Path

import typer

from extractor.batch import BatchError, BatchOptions, run_batch
from extractor.ingest import IngestError
from extractor.output import RENDERERS, atomic_write
from extractor.pipeline import Options, extract_path
from schemas.record import Report

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Turn 政府信息公开工作年度报告 pages into verified, typed data.")

EXIT_BAD_INPUT = 2


class OutputFormat(str, Enum):
    json = "json"
    cells = "cells"
    csv = "csv"


class Mode(str, Enum):
    rules = "rules"
    model = "model"
    auto = "auto"


def fail(message: str, code: int = EXIT_BAD_INPUT) -> None:
    typer.echo(f"nianbao: error: {message}", err=True)
    raise typer.Exit(code)


def expand_inputs(paths: list[Path]) -> list[Path]:
    """A directory means every file in it (recursively), in a stable order; hidden files skipped."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*") if p.is_file() and not any(part.startswith(".") for part in p.relative_to(path).parts)))
        else:
            files.append(path)
    return files


def _progress(total: int):
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    return Progress(TextColumn("[progress.description]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), transient=True, disable=total < 5 or not sys.stderr.isatty())


@app.command()
def extract(
    paths: list[Path] = typer.Argument(..., help="Report files or directories (text, markdown, HTML, PDF, DOCX)."),
    output: Path | None = typer.Option(None, "-o", "--output", help="Write here instead of stdout (atomically)."),
    fmt: OutputFormat = typer.Option(OutputFormat.cells, "--format", help="json: full records; cells: one JSON line per report; csv: wide table."),
    mode: Mode = typer.Option(Mode.rules, "--mode", help="rules: template parser only; model: the model reads every report; auto: the model takes what the parser did not verify."),
    out: Path | None = typer.Option(None, "--out", help="Batch: write records and datasets (records.jsonl, reports.csv, cells.csv, cells.parquet, errors.jsonl) to this directory; a re-run skips inputs already done."),
    jobs: int = typer.Option(os.cpu_count() or 1, "--jobs", min=1, help="Batch: worker processes for the parser path."),
    model_concurrency: int = typer.Option(4, "--model-concurrency", min=1, help="Batch: worker processes when the model path runs."),
    timeout: float = typer.Option(60.0, "--timeout", min=0.1, help="Batch: seconds one input may take before its worker is killed and the input logged as an error."),
    retry_errors: bool = typer.Option(False, "--retry-errors", help="Batch: try again the inputs that failed in an earlier run."),
) -> None:
    """Extract tables 二, 三 and 四 from each report, check every identity and give each record a verdict."""
    files = expand_inputs(paths)
    if not files:
        fail("no input files")
    options = Options(mode=mode.value)
    if out is not None:
        _batch(files, out, output, BatchOptions(options, jobs, model_concurrency, timeout, retry_errors, sys.stderr.isatty()))
    reports: list[Report] = []
    errors = 0
    with _progress(len(files)) as progress:
        task = progress.add_task("extracting", total=len(files))
        for file in files:
            try:
                reports.append(extract_path(file, options))
            except IngestError as exc:
                errors += 1
                typer.echo(f"nianbao: error: {file}: {exc}", err=True)
            progress.advance(task)
    if reports:
        text = RENDERERS[fmt.value](reports)
        if output:
            atomic_write(output, text)
        else:
            sys.stdout.write(text)
    if errors:
        raise typer.Exit(EXIT_BAD_INPUT if not reports else 1)


def _batch(files: list[Path], out: Path, output: Path | None, options: BatchOptions) -> None:
    if output is not None:
        fail("--out (a directory of datasets) and -o/--output (one file) exclude each other")
    try:
        result = run_batch(files, out, options)
    except BatchError as exc:
        fail(str(exc))
    except KeyboardInterrupt:
        fail(f"interrupted; every finished input is saved in {out / 'records'}: run the same command again to finish", 130)
    raise typer.Exit(result.exit_code)


@app.command()
def bench(
    n: int = typer.Option(200, "--n", min=1, help="Inputs of each kind (generated from the committed corpus and gold)."),
    batch: int = typer.Option(10_000, "--batch", min=0, help="Text reports for the batch run through `extract --out` (0: skip)."),
    jobs: int = typer.Option(os.cpu_count() or 1, "--jobs", min=1, help="Worker processes for the batch run."),
    kinds: str = typer.Option("txt,html,docx,pdf", "--kinds", help="Comma-separated input kinds to measure."),
    workdir: Path | None = typer.Option(None, "--workdir", help="Keep the generated inputs here and reuse them next time (default: a temporary directory)."),
    profile: bool = typer.Option(True, "--profile/--no-profile", help="Also profile the text path (cProfile) and list its hot spots."),
) -> None:
    """Measure reports/s and peak memory per input kind, a large batch, and the time to only read the files."""
    from extractor.benchmark import run

    unknown = set(kinds.split(",")) - {"txt", "html", "docx", "pdf"}
    if unknown:
        fail(f"unknown kinds: {', '.join(sorted(unknown))} (choose from txt, html, docx, pdf)")
    if "pdf" in kinds.split(","):
        try:
            import reportlab  # noqa: F401 - renders the PDF inputs
        except ImportError:
            fail("the pdf kind renders its inputs with reportlab: pip install 'nianbao[test]', or leave pdf out of --kinds")
    run(n, batch, jobs, kinds.split(","), workdir, profile)


@app.command()
def check(record: Path = typer.Argument(..., help="A record written by `nianbao extract --format json`.")) -> None:
    """Re-run today's checker on a saved record and print its checks and verdict."""
    from extractor.check import run_checks
    from extractor.pipeline import decide

    try:
        data = json.loads(record.read_text(encoding="utf-8"))
    except FileNotFoundError:
        fail(f"no such file: {record}")
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        fail(f"{record}: not a JSON record ({type(exc).__name__})")
    records = data if isinstance(data, list) else [data]
    exit_code = 0
    for item in records:
        try:
            report = Report.model_validate(item)
        except Exception as exc:  # pydantic's ValidationError, listed field by field
            fail(f"{record}: not a nianbao record ({str(exc).splitlines()[0]})")
        report.checks = run_checks(report.cells)
        report.verdict, report.verdict_reason = decide(report, None, "")
        failing = [c for c in report.checks if c.status == "fail"]
        typer.echo(json.dumps({"source": report.source, "verdict": report.verdict.value, "verdict_reason": report.verdict_reason, "failing": [c.model_dump(exclude_defaults=True) for c in failing]}, ensure_ascii=False))
        exit_code = exit_code or (0 if report.verdict.value == "verified" else 1)
    raise typer.Exit(exit_code)


@app.command()
def schema(output: Path | None = typer.Option(None, "-o", "--output")) -> None:
    """Print (or write) the JSON Schema of a record."""
    text = json.dumps(Report.model_json_schema(), ensure_ascii=False, indent=2) + "\n"
    if output:
        atomic_write(output, text)
    else:
        sys.stdout.write(text)


@app.command("eval")
def eval_command(
    cases: str = typer.Option("eval/corpus", "--cases", help="A directory of gold files (*.gold.json, or *.json with \"cells\"), one gold file, or 'generated' for a generated damage suite."),
    inputs: Path | None = typer.Option(None, "--inputs", help="Where to look for inputs that are not beside their gold file."),
    mode: Mode = typer.Option(Mode.rules, "--mode", help="Extraction mode to evaluate."),
    report: Path = typer.Option(Path("eval/reports/latest"), "--report", help="Write PATH.json and PATH.md."),
    min_accuracy: float | None = typer.Option(None, "--min-accuracy", help="Fail below this cell accuracy (0.95 or 95)."),
    baseline: Path | None = typer.Option(None, "--baseline", help="Fail when a figure falls below this baseline's, for this mode."),
    save_baseline: bool = typer.Option(False, "--save-baseline", help="Write this run's figures into --baseline instead of comparing."),
    count: int = typer.Option(50, "--count", min=1, help="Generated suite: how many pages."),
    seed: int = typer.Option(0, "--seed", help="Generated suite: random seed."),
    keep: Path | None = typer.Option(None, "--keep", help="Generated suite: write it here and keep it (default: a temporary directory)."),
    timeout: float = typer.Option(30.0, "--timeout", min=0.1, help="Seconds one input may take before it scores as not extracted."),
) -> None:
    """Score extraction against gold: cell accuracy, silent errors, checker verdicts, source errors, cost."""
    from rich.console import Console

    from extractor import evaluate

    if save_baseline and baseline is None:
        fail("--save-baseline needs --baseline PATH")
    try:
        base = evaluate.load_baseline(baseline, mode.value) if baseline and not save_baseline else None
        result = evaluate.run_eval(cases, Options(mode=mode.value), inputs, timeout, count, seed, keep)
    except evaluate.EvalError as exc:
        fail(str(exc))
    for line in result["bad_cases"]:
        typer.echo(f"nianbao: error: {line}", err=True)
    if not result["records"]:
        fail(f"no cases to evaluate in {cases}")
    evaluate.print_terminal(result, Console())
    json_path, md_path = evaluate.write_reports(result, report)
    typer.echo(f"wrote {json_path} and {md_path}", err=True)
    reasons = evaluate.gate(result, min_accuracy / 100 if min_accuracy and min_accuracy > 1 else min_accuracy, base)
    if save_baseline and not reasons:
        evaluate.save_baseline(baseline, result)
        typer.echo(f"saved the {mode.value} baseline in {baseline}", err=True)
    for reason in reasons:
        typer.echo(f"nianbao: eval failed: {reason}", err=True)
    raise typer.Exit(1 if reasons else (EXIT_BAD_INPUT if result["bad_cases"] else 0))


def main() -> None:
    app()


if __name__ == "__main__":
    main()
