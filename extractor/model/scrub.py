"""Secrets out of every text that leaves the process: the configured API key, and anything shaped
like a bearer token or an API key, become `[redacted]` before a message, an answer, a cache entry,
a recording or a record carries them. An endpoint that echoes the key in an error is the usual way in."""

from __future__ import annotations

import os
import re

REDACTED = "[redacted]"
_TOKEN = re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/=-]{12,}|\b(?:sk|pk|rk|api|key|tok)[-_][A-Za-z0-9_-]{12,}")


def scrub(text: str, secret: str | None = None) -> str:
    """`text` without `secret` (default: $OPENAI_API_KEY) and without bearer- or key-shaped tokens."""
    secret = secret if secret is not None else os.environ.get("OPENAI_API_KEY")
    if secret and len(secret) >= 8:
        text = text.replace(secret, REDACTED)
    return _TOKEN.sub(REDACTED, text)


def scrub_data(value, secret: str | None = None):
    """Every string inside a JSON-like value scrubbed (dicts, lists, strings; other values as they are)."""
    if isinstance(value, str):
        return scrub(value, secret)
    if isinstance(value, dict):
        return {k: scrub_data(v, secret) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub_data(v, secret) for v in value]
    return value
