"""The answer cache: a completion is paid for once, then replayed (and re-checked by today's checker).

The key hashes everything that changes the answer; the value is the raw completion and its usage,
never an error. Recordings for CI are the same entries written out as text (recordings.py).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import diskcache


def request_key(**parts) -> str:
    """A stable hash of the request: model, endpoint, messages, schema, mode, sampling, prompt version,
    document hash. Callers never pass credentials."""
    blob = json.dumps(parts, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class ResponseCache:
    """A directory of key → raw completion ({"content", "tool_calls", "finish_reason", "usage"})."""

    def __init__(self, directory: Path):
        self.directory = Path(directory)
        self._cache = diskcache.Cache(str(self.directory))

    def get(self, key: str) -> dict | None:
        return self._cache.get(key)

    def put(self, key: str, raw: dict) -> None:
        self._cache.set(key, raw)

    def stats(self) -> dict:
        return {"directory": str(self.directory), "entries": len(self._cache), "bytes": self._cache.volume()}

    def clear(self) -> int:
        return self._cache.clear()

    def close(self) -> None:
        self._cache.close()
