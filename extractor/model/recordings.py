"""Recordings: the real model's answers for the committed eval corpus, kept in the repo as JSON lines.

One line per answer: its cache key, prompt version, model, endpoint, server kind, a short description
of the request (case, table, rows), and the raw completion with its usage. Replaying loads them into
a private cache and turns requests off, so CI runs the model path with no network and no model, and
a request that was never recorded fails loudly instead of leaving the process. `nianbao model
record` (eval/record.py, the harness) re-records them from a live endpoint.
"""

from __future__ import annotations

import atexit
import json
import shutil
import tempfile
from dataclasses import replace
from pathlib import Path

from nianbao.model.cache import ResponseCache
from nianbao.model.settings import Settings

FIELDS = ("key", "model", "endpoint", "server", "structured", "prompt_version", "request", "response")
SHARED = ("model", "endpoint", "server", "structured")  # one value per file: the replay takes its settings from them


def entry(settings: Settings, key: str, prompt_version: str, description: str, raw: dict) -> dict:
    """One recorded answer, as the client's recording hook hands it over (FIELDS, never a credential)."""
    return {
        "key": key,
        "model": settings.model,
        "endpoint": settings.endpoint,
        "server": settings.server,
        "structured": settings.structured,
        "prompt_version": prompt_version,
        "request": description,
        "response": raw,
    }


class RecordingError(Exception):
    """A recordings file that cannot be replayed; the message is one line."""


def write(path: Path, entries: list[dict]) -> int:
    """One line per distinct answer, in the order the run used them (a diff shows what changed)."""
    from nianbao.output import atomic_write

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
        if not isinstance(entry, dict):
            raise RecordingError(f"{path}:{number}: not a recording (a JSON object)")
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
