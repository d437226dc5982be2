"""Transport: one chat completion from an OpenAI-compatible endpoint, with retries for transient faults.

tenacity retries 429, 5xx, timeouts and connection errors (the SDK's own retries are off); what comes
back is kept as a small raw dict (text or tool call, finish reason, usage), the form the cache stores.
"""

from __future__ import annotations

import time

import openai
from nianbao.model.ratelimit import WaitRetryAfter
from nianbao.model.scrub import scrub, scrub_data
from nianbao.model.settings import Settings
from openai.types.chat import ChatCompletion
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, stop_after_delay, wait_random_exponential

TRANSIENT = (openai.RateLimitError, openai.InternalServerError, openai.APITimeoutError, openai.APIConnectionError)


class ModelUnavailable(Exception):
    """No answer can be had (endpoint down after retries, auth refused, not recorded); one line, no secrets."""


class DeadlinePassed(ModelUnavailable):
    """The report's wall-clock budget for the model path ran out before an answer came."""


class Transport:
    """The SDK connection, with retries; counts the requests it sends."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.requests_sent = 0
        self._sdk = openai.OpenAI(
            base_url=settings.base_url, api_key=settings.api_key or "unused", timeout=settings.timeout, max_retries=0
        )

    def send(self, kwargs: dict, until: float | None = None) -> dict:
        """One completion; with `until` (a time.monotonic() instant) no request, retry or wait runs past it."""
        s = self.settings
        paced = WaitRetryAfter(wait_random_exponential(multiplier=s.backoff, max=s.backoff * 60))
        stop = stop_after_attempt(s.retries)
        if until is not None:
            stop = stop | stop_after_delay(max(0.0, until - time.monotonic()))
        retrying = Retrying(
            retry=retry_if_exception_type(TRANSIENT),
            wait=paced if until is None else (lambda state: min(paced(state), max(0.0, _left(until)))),
            stop=stop,
            reraise=True,
        )
        try:
            for attempt in retrying:
                with attempt:
                    timeout = s.timeout if until is None else min(s.timeout, _left(until))
                    if timeout <= 0:
                        raise DeadlinePassed("the model path's deadline passed")
                    self.requests_sent += 1
                    completion = self._sdk.chat.completions.create(**kwargs, timeout=timeout)
        except TRANSIENT as exc:
            if until is not None and _left(until) <= 0:
                raise DeadlinePassed(f"the model path's deadline passed waiting for {s.endpoint}") from None
            raise ModelUnavailable(
                f"model endpoint {self.settings.endpoint} failed {self.settings.retries} times: {first_line(exc, self.settings.api_key)}"
            ) from None
        except openai.APIStatusError as exc:
            raise ModelUnavailable(
                f"model endpoint {self.settings.endpoint} refused the request (HTTP {exc.status_code}): {first_line(exc, self.settings.api_key)}"
            ) from None
        return scrub_data(_raw(completion), self.settings.api_key)  # an answer that echoes the key is cached without it


def _left(until: float) -> float:
    return until - time.monotonic()


def _raw(completion: ChatCompletion) -> dict:
    """What is worth keeping of a completion: the text (or tool call), why it stopped, and its usage."""
    choice = completion.choices[0]
    calls = choice.message.tool_calls or []
    usage = completion.usage
    return {
        "content": choice.message.content,
        "tool_calls": [{"name": c.function.name, "arguments": c.function.arguments} for c in calls] or None,
        "finish_reason": choice.finish_reason,
        "usage": {
            "prompt_tokens": usage.prompt_tokens if usage else 0,
            "completion_tokens": usage.completion_tokens if usage else 0,
        },
    }


def first_line(exc: BaseException, secret: str | None = None) -> str:
    """The exception's first line, at most 300 characters, with the key and token-shaped text scrubbed."""
    text = scrub(str(exc), secret).strip().splitlines()
    return text[0][:300] if text else type(exc).__name__
