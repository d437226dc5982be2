"""Rate limits: wait as long as the endpoint says (429/503 with Retry-After) before trying again.

A vLLM or hosted endpoint is kept busy by sending several requests at once; when it pushes back with
429 and a Retry-After, hammering it with a shorter jittered backoff only earns more 429s. tenacity
waits the time the server asked for (capped), and its own exponential backoff when none was given.
"""

from __future__ import annotations

import time
from email.utils import parsedate_to_datetime

from tenacity import RetryCallState
from tenacity.wait import wait_base

MAX_RETRY_AFTER = 600.0  # seconds: a longer ask is answered with the longest wait we accept


def retry_after(exc: BaseException | None) -> float | None:
    """Seconds the server asked us to wait (retry-after-ms, or Retry-After in seconds or as an HTTP date)."""
    headers = getattr(getattr(exc, "response", None), "headers", None)
    if not headers:
        return None
    try:
        if headers.get("retry-after-ms"):
            return max(0.0, float(headers["retry-after-ms"]) / 1000)
        value = headers.get("retry-after")
        if not value:
            return None
        try:
            return max(0.0, float(value))
        except ValueError:
            return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError, OverflowError):  # a header we cannot read: our own backoff decides
        return None


class WaitRetryAfter(wait_base):
    """The server's Retry-After when the failure carries one (at most `maximum`), else `fallback`."""

    def __init__(self, fallback: wait_base, maximum: float = MAX_RETRY_AFTER):
        self.fallback = fallback
        self.maximum = maximum

    def __call__(self, retry_state: RetryCallState) -> float:
        outcome = retry_state.outcome
        asked = retry_after(outcome.exception() if outcome is not None and outcome.failed else None)
        return min(asked, self.maximum) if asked is not None else self.fallback(retry_state)
