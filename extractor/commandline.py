"""What the product's commands (cli.py) and the harness's (eval/commands.py) share: the model options, the
lines on stderr, the one-line failure and its exit code."""

from __future__ import annotations

import os
from pathlib import Path

import typer
from nianbao.ingest.document import path_text
from nianbao.model.scrub import scrub, terminal_safe

EXIT_BAD_INPUT = 2


MODEL_OPTION = typer.Option(
    None,
    "--model",
    help="Model name sent to the endpoint (default: $NIANBAO_MODEL; for a llama.cpp server, the pinned local model).",
)
SERVER_OPTION = typer.Option(
    None,
    "--server",
    help="llama: a llama.cpp server (the schema goes as a grammar); openai: a hosted API (default: llama when OPENAI_BASE_URL is a loopback address; or $NIANBAO_SERVER).",
)
CACHE_DIR_OPTION = typer.Option(
    None, "--cache-dir", help="The model answer cache (default: $NIANBAO_CACHE_DIR or ~/.cache/nianbao)."
)
NO_CACHE_OPTION = typer.Option(False, "--no-cache", help="Neither read nor write the model answer cache.")
REPLAY_OPTION = typer.Option(
    None,
    "--replay",
    help="Answer from these recordings only, with no network and no model (e.g. eval/recordings/<model>.jsonl).",
)


def model_settings(model: str | None, server: str | None, cache_dir: Path | None, no_cache: bool, replay: Path | None):
    """The model path's settings from the flags and the environment (OPENAI_BASE_URL, OPENAI_API_KEY, …)."""
    from nianbao.model.recordings import RecordingError, replay_settings
    from nianbao.model.settings import Settings

    try:
        settings = Settings.resolve(model=model, server=server, cache_dir=cache_dir, no_cache=no_cache)
        return replay_settings(replay, settings) if replay else settings
    except (ValueError, RecordingError) as exc:
        fail(str(exc))


def say(message: str) -> None:
    """Every line nianbao writes on stderr: secrets and URL credentials out, control characters escaped."""
    typer.echo(terminal_safe(scrub(message)), err=True)


def fail(message: str, code: int = EXIT_BAD_INPUT) -> None:
    say(f"nianbao: error: {message}")
    raise typer.Exit(code)


def writable_dir(path: Path, flag: str) -> None:
    """`path` is a folder that exists or can be made, and is writable: checked before any work."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        fail(f"{flag}: {path_text(path)} is not a directory")
    except OSError as exc:
        fail(f"{flag}: cannot create {path_text(path)}: {exc.strerror}")
    if not os.access(path, os.W_OK | os.X_OK):
        fail(f"{flag}: {path_text(path)} is not writable")
