"""The answer cache: a completion is paid for once, then replayed (and re-checked by today's checker).

The key hashes everything that changes the answer; the value is the raw completion and its usage,
never an error. Entries are plain JSON files, one per key, written atomically: reading one runs no
code (a pickle would, for anyone who can write to a shared cache folder), and an entry that is not
the expected shape — corrupted, truncated, planted — is a miss. Recordings for CI are the same
entries written out as text (recordings.py).
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from extractor.output import atomic_write

_KEY = re.compile(r"[0-9a-f]{64}|[A-Za-z0-9_.-]{1,100}")


def request_key(**parts) -> str:
    """A stable hash of the request: model, endpoint, messages, schema, mode, sampling, prompt version,
    document hash. Callers never pass credentials."""
    blob = json.dumps(parts, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def valid_raw(raw: object) -> bool:
    """The shape the transport stores: {"content": str|None, "tool_calls": [{name, arguments}]|None,
    "finish_reason": str|None, "usage": {"prompt_tokens": int, "completion_tokens": int}}."""
    if not isinstance(raw, dict) or not isinstance(raw.get("content"), str | None):
        return False
    calls, usage = raw.get("tool_calls"), raw.get("usage") or {}
    return (
        (
            calls is None
            or isinstance(calls, list)
            and all(
                isinstance(c, dict) and isinstance(c.get("name"), str) and isinstance(c.get("arguments"), str)
                for c in calls
            )
        )
        and isinstance(raw.get("finish_reason"), str | None)
        and isinstance(usage, dict)
        and all(type(usage.get(k, 0)) is int for k in ("prompt_tokens", "completion_tokens"))
    )


class ResponseCache:
    """A directory of key → raw completion, as `<dir>/<key[:2]>/<key>.json`."""

    def __init__(self, directory: Path):
        self.directory = Path(directory)

    def _path(self, key: str) -> Path:
        if not _KEY.fullmatch(key):
            raise ValueError(f"not a cache key: {key[:20]!r}")
        return self.directory / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict | None:
        try:
            raw = json.loads(self._path(key).read_bytes())
        except (OSError, ValueError):  # absent, unreadable or not JSON: a miss
            return None
        return raw if valid_raw(raw) else None

    def put(self, key: str, raw: dict) -> None:
        atomic_write(self._path(key), json.dumps(raw, ensure_ascii=False), durable=False)

    def _entries(self) -> list[Path]:
        return list(self.directory.glob("??/*.json"))

    def stats(self) -> dict:
        entries = self._entries()
        return {
            "directory": str(self.directory),
            "entries": len(entries),
            "bytes": sum(p.stat().st_size for p in entries),
        }

    def clear(self) -> int:
        entries = self._entries()
        for path in entries:
            path.unlink(missing_ok=True)
        return len(entries)
