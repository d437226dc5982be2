"""Transport: one chat completion from an OpenAI-compatible endpoint, with retries for transient faults.

tenacity retries 429, 5xx, timeouts and connection errors (the SDK's own retries are off); what comes
back is kept as a small raw dict (text or tool call, finish reason, usage), the form the cache stores.

The endpoint is not trusted to be quick, small or where it says. Every socket operation of a request runs
under the request's whole time (its `timeout`, and the report's deadline), so an answer that trickles in a
byte at a time ends at the deadline like one that never comes; an answer over MAX_ANSWER_BYTES is refused
as it arrives; a redirect is never followed, so the report text goes to OPENAI_BASE_URL and nowhere else.
"""

from __future__ import annotations

import time
import urllib.request
from contextvars import ContextVar
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpcore2
import httpx2
import openai
from nianbao.model.ratelimit import WaitRetryAfter, retry_after
from nianbao.model.scrub import scrub, scrub_data
from nianbao.model.settings import Settings
from openai.types.chat import ChatCompletion
from tenacity import Retrying, retry_if_exception, stop_after_attempt, stop_after_delay, wait_random_exponential

TRANSIENT = (openai.RateLimitError, openai.InternalServerError, openai.APITimeoutError, openai.APIConnectionError)
MAX_ANSWER_BYTES = 8 * 2**20  # an answer to one narrow question is a few KiB; past this it is refused, not held


class ModelUnavailable(Exception):
    """No answer can be had (endpoint down after retries, auth refused, not recorded); one line, no secrets."""


class DeadlinePassed(ModelUnavailable):
    """The report's wall-clock budget for the model path ran out before an answer came."""


class AnswerTooLarge(ModelUnavailable):
    """The endpoint sent more than MAX_ANSWER_BYTES: refused as it arrived, never cached or retried."""


@dataclass
class _Exchange:
    """One request on the wire: the instant (time.monotonic()) it must be over by, and the bytes it read."""

    until: float
    read: int = 0


_EXCHANGE: ContextVar[_Exchange | None] = ContextVar("nianbao_exchange", default=None)  # per thread


def _bounded(timeout: float | None, expired: type[Exception]) -> float | None:
    """A socket operation's timeout, cut to what is left of the request's whole time."""
    exchange = _EXCHANGE.get()
    if exchange is None:
        return timeout
    left = exchange.until - time.monotonic()
    if left <= 0:
        raise expired("the request's time ran out")
    return left if timeout is None else min(timeout, left)


class _Stream(httpcore2.NetworkStream):
    def __init__(self, inner: httpcore2.NetworkStream):
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        data = self._inner.read(max_bytes, _bounded(timeout, httpcore2.ReadTimeout))
        exchange = _EXCHANGE.get()
        if exchange is not None:
            exchange.read += len(data)
            if exchange.read > MAX_ANSWER_BYTES:
                raise AnswerTooLarge(f"the answer was over the {MAX_ANSWER_BYTES // 2**20} MiB limit: refused")
        return data

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _bounded(timeout, httpcore2.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context, server_hostname: str | None = None, timeout: float | None = None):
        return _Stream(self._inner.start_tls(ssl_context, server_hostname, _bounded(timeout, httpcore2.ConnectTimeout)))

    def get_extra_info(self, info: str):
        return self._inner.get_extra_info(info)


class _Backend(httpcore2.NetworkBackend):
    """The sockets of the model client: every connect, read and write within the request's whole time."""

    def __init__(self):
        self._inner = httpcore2.SyncBackend()

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        bounded = _bounded(timeout, httpcore2.ConnectTimeout)
        return _Stream(self._inner.connect_tcp(host, port, bounded, local_address, socket_options))

    def connect_unix_socket(self, path, timeout=None, socket_options=None):
        bounded = _bounded(timeout, httpcore2.ConnectTimeout)
        return _Stream(self._inner.connect_unix_socket(path, bounded, socket_options))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class _Wire(httpx2.HTTPTransport):
    """httpx's transport over _Backend, through the environment's HTTP(S) proxy for the endpoint if it names one."""

    def __init__(self, base_url: str | None):
        ssl_context = httpx2.create_ssl_context()
        proxy = _proxy_for(base_url or "https://api.openai.com/v1")
        if proxy:
            self._pool = httpcore2.HTTPProxy(
                proxy_url=proxy, ssl_context=ssl_context, max_connections=100, network_backend=_Backend()
            )
        else:
            self._pool = httpcore2.ConnectionPool(
                ssl_context=ssl_context, max_connections=100, network_backend=_Backend()
            )


def _proxy_for(url: str) -> str | None:
    """HTTPS_PROXY / HTTP_PROXY / ALL_PROXY for `url` unless NO_PROXY exempts it (SOCKS proxies are not used)."""
    parts = urlsplit(url)
    if urllib.request.proxy_bypass(parts.hostname or ""):
        return None
    proxies = urllib.request.getproxies()
    proxy = proxies.get(parts.scheme) or proxies.get("all")
    return proxy if proxy and urlsplit(proxy).scheme in ("http", "https") else None


class Transport:
    """The SDK connection, with retries; counts the requests it sends."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.requests_sent = 0
        self._sdk = openai.OpenAI(
            base_url=settings.base_url,
            api_key=settings.api_key or "unused",
            timeout=settings.timeout,
            max_retries=0,
            http_client=httpx2.Client(transport=_Wire(settings.base_url), follow_redirects=False),
        )

    def send(self, kwargs: dict, until: float | None = None) -> dict:
        """One completion; with `until` (a time.monotonic() instant) no request, retry or wait runs past it,
        and no request runs longer than `settings.timeout` in all, however its answer arrives."""
        s = self.settings
        paced = WaitRetryAfter(wait_random_exponential(multiplier=s.backoff, max=s.backoff * 60))
        asked: list[float | None] = [None]  # the last failure's Retry-After, for the reason when the deadline comes

        def wait(state) -> float:
            asked[0] = retry_after(state.outcome.exception())
            return paced(state) if until is None else min(paced(state), max(0.0, _left(until)))

        stop = stop_after_attempt(s.retries)
        if until is not None:
            stop = stop | stop_after_delay(max(0.0, until - time.monotonic()))
        retrying = Retrying(retry=retry_if_exception(_transient), wait=wait, stop=stop, reraise=True)
        try:
            for attempt in retrying:
                with attempt:
                    timeout = s.timeout if until is None else min(s.timeout, _left(until))
                    if timeout <= 0:
                        raise DeadlinePassed(_waiting(s.endpoint, asked[0]))
                    self.requests_sent += 1
                    token = _EXCHANGE.set(_Exchange(time.monotonic() + timeout))
                    try:
                        completion = self._sdk.chat.completions.create(**kwargs, timeout=timeout)
                    finally:
                        _EXCHANGE.reset(token)
        except openai.APIConnectionError as exc:
            if isinstance(exc.__cause__, AnswerTooLarge):
                raise AnswerTooLarge(f"model endpoint {s.endpoint}: {exc.__cause__}") from None
            raise self._gave_up(exc, until) from None
        except TRANSIENT as exc:
            raise self._gave_up(exc, until) from None
        except openai.APIStatusError as exc:
            if 300 <= exc.status_code < 400:
                where = urlsplit(exc.response.headers.get("location", "")).hostname or "an address it did not name"
                raise ModelUnavailable(
                    f"model endpoint {s.endpoint} redirected the request (HTTP {exc.status_code}) to {where}: not "
                    "followed, so the report text goes nowhere but OPENAI_BASE_URL; set it to the endpoint's own address"
                ) from None
            raise ModelUnavailable(
                f"model endpoint {s.endpoint} refused the request (HTTP {exc.status_code}): {first_line(exc, s.api_key)}"
            ) from None
        return scrub_data(_raw(completion), s.api_key)  # an answer that echoes the key is cached without it

    def _gave_up(self, exc: Exception, until: float | None) -> ModelUnavailable:
        s = self.settings
        if until is not None and _left(until) <= 0:
            return DeadlinePassed(_waiting(s.endpoint, retry_after(exc)))
        return ModelUnavailable(f"model endpoint {s.endpoint} failed {s.retries} times: {first_line(exc, s.api_key)}")


def _transient(exc: BaseException) -> bool:
    """Worth another try: a 429, a 5xx, a timeout or a dropped connection, not an answer refused for its size."""
    return isinstance(exc, TRANSIENT) and not isinstance(exc.__cause__, AnswerTooLarge)


def _waiting(endpoint: str, asked: float | None) -> str:
    """Why the deadline came first: the endpoint's Retry-After, when it asked for one."""
    return f"waiting for {endpoint}" + (f", which asked to wait longer (Retry-After {asked:g} s)" if asked else "")


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
