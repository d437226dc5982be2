"""Secrets out of every text that leaves the process: the configured API key, and anything shaped
like a bearer token or an API key, become `[redacted]` before a message, an answer, a cache entry,
a recording or a record carries them. An endpoint that echoes the key in an error is the usual way in.
A URL's user and password (`http://user:pass@host/`) are dropped wherever a URL is named.

`terminal_safe` is the other half of a message: a file name's control characters (terminal escapes,
newlines, bidi overrides) are written as escapes, so a name can neither drive the terminal nor fake a line."""

from __future__ import annotations

import os
import re

REDACTED = "[redacted]"
# scheme://userinfo@ — the userinfo runs to the last @ before the host's end (a raw @ in a password)
_CREDENTIALS = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/?#\s]*@")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_TOKEN = re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/=-]{12,}|\b(?:sk|pk|rk|api|key|tok)[-_][A-Za-z0-9_-]{12,}")


def scrub(text: str, secret: str | None = None) -> str:
    """`text` without `secret` (default: $OPENAI_API_KEY), bearer- or key-shaped tokens and URL credentials."""
    secret = secret if secret is not None else os.environ.get("OPENAI_API_KEY")
    if secret and len(secret) >= 8:
        text = text.replace(secret, REDACTED)
    return _TOKEN.sub(REDACTED, strip_credentials(text))


def strip_credentials(text: str) -> str:
    """Every URL in `text` without its `user:password@` (what a record may call an input fetched from it)."""
    return _CREDENTIALS.sub(r"\1", text)


def terminal_safe(text: str) -> str:
    """`text` with C0/C1 controls and bidi overrides as `\\xNN` / `\\uNNNN` escapes (a newline as `\\n`)."""
    return _CONTROL.sub(_escape, text)


def _escape(match: re.Match) -> str:
    char = match.group()
    if char in "\n\t\r":
        return repr(char)[1:-1]
    return f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}"


def scrub_data(value, secret: str | None = None):
    """Every string inside a JSON-like value scrubbed (dicts, lists, strings; other values as they are)."""
    if isinstance(value, str):
        return scrub(value, secret)
    if isinstance(value, dict):
        return {k: scrub_data(v, secret) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub_data(v, secret) for v in value]
    return value
