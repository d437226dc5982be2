"""The answer cache: a completion is paid for once, then replayed (and re-checked by today's checker).

The key hashes everything that changes the answer; the value is the raw completion and its usage,
never an error. Entries live in a diskcache (SQLite, safe across processes) as JSON text: diskcache
pickles anything else, and both its default and its JSON disk unpickle any row marked as a pickle, so
anyone who can write to a shared cache folder could run code in every reader. Reads here accept only
text keys and text values stored in the database; any other row, a value that is not the expected
shape, or a cache that cannot be read is a miss. Recordings for CI are the same entries written out
as text (recordings.py).
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from pathlib import Path

import diskcache
from diskcache.core import MODE_RAW

_ERRORS = (sqlite3.Error, diskcache.Timeout, OSError, ValueError)  # a cache that cannot be read or written


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
            or (
                isinstance(calls, list)
                and all(
                    isinstance(c, dict) and isinstance(c.get("name"), str) and isinstance(c.get("arguments"), str)
                    for c in calls
                )
            )
        )
        and isinstance(raw.get("finish_reason"), str | None)
        and isinstance(usage, dict)
        and all(type(usage.get(k, 0)) is int for k in ("prompt_tokens", "completion_tokens"))
    )


class CacheError(Exception):
    """The cache folder cannot be read or cleared (`nianbao cache`); the message is one line."""


class _TextDisk(diskcache.Disk):
    """diskcache's Disk reading back only what ResponseCache writes (str keys and str values, both kept
    in the database); a row asking to be unpickled or read from a file is refused, never decoded."""

    def get(self, key, raw):
        if not raw:
            raise ValueError("a pickled cache key")
        return super().get(key, raw)

    def fetch(self, mode, filename, value, read):
        if mode != MODE_RAW or not isinstance(value, str):
            raise ValueError("a cache value that is not text")
        return value

    def remove(self, file_path):
        """Nothing: ResponseCache never writes side files, so a row naming one was planted (`/home/me/x`,
        `../cache.db`) and diskcache would delete that file on `clear` or when the entry is rewritten."""


class ResponseCache:
    """Key → raw completion in a diskcache under `directory`, opened once per process (a forked worker
    must not share its parent's SQLite connection)."""

    def __init__(self, directory: Path):
        self.directory = Path(directory)
        self._cache: diskcache.Cache | None = None
        self._pid = 0

    def _open(self) -> diskcache.Cache:
        if self._cache is None or self._pid != os.getpid():
            self._cache = diskcache.Cache(
                str(self.directory),
                disk=_TextDisk,
                disk_min_file_size=2**31,  # every value stays in the database, never in a side file
                eviction_policy="none",  # a paid answer is kept until `nianbao cache clear`
            )
            self._pid = os.getpid()
        return self._cache

    def get(self, key: str) -> dict | None:
        try:
            text = self._open().get(key)
            raw = json.loads(text) if isinstance(text, str) else None
        except _ERRORS:  # unreadable, planted, corrupted or not JSON: a miss
            return None
        return raw if valid_raw(raw) else None

    def put(self, key: str, raw: dict) -> None:
        """Best effort: a cache that cannot be written costs a repeat request, never the answer."""
        try:
            self._open().set(key, json.dumps(raw, ensure_ascii=False))
        except _ERRORS:
            pass

    def stats(self) -> dict:
        """Raises CacheError (one line) for a cache that cannot be read."""
        try:
            cache = self._open()
            return {"directory": str(self.directory), "entries": len(cache), "bytes": cache.volume()}
        except _ERRORS as exc:
            raise CacheError(f"cannot read the cache in {self.directory}: {exc}") from None

    def clear(self) -> int:
        """Raises CacheError (one line) for a cache that cannot be cleared."""
        try:
            return self._open().clear()
        except _ERRORS as exc:
            raise CacheError(f"cannot clear the cache in {self.directory}: {exc}") from None

    def close(self) -> None:
        """Let go of the database (before its scratch directory is removed)."""
        if self._cache is not None:
            self._cache.close()
            self._cache = None
