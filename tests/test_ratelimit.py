"""Retry-After: the wait the server asks for, read from a real openai 429 against the scripted server."""

from __future__ import annotations

import email.utils
import time

import openai
import pytest
from nianbao.model.ratelimit import MAX_RETRY_AFTER, WaitRetryAfter, retry_after
from scripted_server import ScriptedServer, completion
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_fixed


def refused_with(headers: dict) -> openai.RateLimitError:
    """The exception the openai SDK raises for a 429 the scripted server sends with `headers`."""
    server = ScriptedServer(lambda body: (429, {"error": {"message": "slow down"}}, headers))
    try:
        with pytest.raises(openai.RateLimitError) as caught:
            openai.OpenAI(base_url=server.url, api_key="unused", max_retries=0).chat.completions.create(
                model="m", messages=[]
            )
    finally:
        server.close()
    return caught.value


def test_retry_after_in_seconds_milliseconds_or_as_a_date():
    assert retry_after(refused_with({"Retry-After": "7"})) == 7.0
    assert retry_after(refused_with({"Retry-After": "1.5", "retry-after-ms": "250"})) == 0.25
    later = email.utils.formatdate(time.time() + 30, usegmt=True)
    assert 25 <= retry_after(refused_with({"Retry-After": later})) <= 31
    assert retry_after(refused_with({})) is None
    assert retry_after(refused_with({"Retry-After": "soon"})) is None
    assert retry_after(ValueError("no response")) is None


def test_the_wait_is_the_servers_when_it_says_and_ours_when_it_does_not(monkeypatch):
    answers = iter(
        [
            (429, {"error": {"message": "busy"}}, {"Retry-After": "3"}),
            (429, {"error": {"message": "busy"}}),
            (200, completion("{}")),
        ]
    )
    server = ScriptedServer(lambda body: next(answers))
    waited: list[float] = []
    monkeypatch.setattr(time, "sleep", waited.append)
    sdk = openai.OpenAI(base_url=server.url, api_key="unused", max_retries=0)
    retrying = Retrying(
        retry=retry_if_exception_type(openai.RateLimitError),
        wait=WaitRetryAfter(wait_fixed(0.01)),
        stop=stop_after_attempt(3),
        reraise=True,
    )
    try:
        for attempt in retrying:
            with attempt:
                sdk.chat.completions.create(model="m", messages=[])
    finally:
        server.close()
    assert waited == [3.0, 0.01] and len(server.requests) == 3


def test_an_absurd_retry_after_is_capped():
    wait = WaitRetryAfter(wait_fixed(1))

    class State:
        class outcome:  # stands in for tenacity's Future
            failed = True

            @staticmethod
            def exception():
                return refused_with({"Retry-After": "86400"})

    assert wait(State()) == MAX_RETRY_AFTER
