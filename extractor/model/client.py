"""One structured request to an OpenAI-compatible endpoint: instructor builds and validates, we transport.

instructor turns a pydantic response model into the request (schema, mode) and validates the answer.
Under it sits our own `create`: the cache, the llama.cpp schema adapter, and tenacity for transient
faults (429, 5xx, timeouts, connection errors) with the SDK's own retries off. A validation failure
is not retried here: it comes back as an `Answer` with its error, for the loop to reprompt.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import lru_cache

import instructor
import openai
from instructor.core.exceptions import IncompleteOutputException, InstructorRetryException
from openai.types.chat import ChatCompletion
from pydantic import BaseModel
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_random_exponential

from extractor.model.cache import ResponseCache, request_key
from extractor.model.settings import Settings

# instructor logs every failed parse at ERROR; with no handler Python would print them to stderr.
logging.getLogger("instructor").addHandler(logging.NullHandler())
logging.getLogger("instructor").propagate = False

TRANSIENT = (openai.RateLimitError, openai.InternalServerError, openai.APITimeoutError, openai.APIConnectionError)


class ModelUnavailable(Exception):
    """No answer can be had (endpoint down after retries, auth refused, not recorded); one line, no secrets."""


@dataclass
class Answer:
    parsed: BaseModel | None  # None when the answer failed validation
    error: str | None
    raw: dict
    key: str
    cached: bool
    tokens_in: int = 0
    tokens_out: int = 0


@dataclass
class _Request:
    """What one `ask` needs beside the messages; filled in by `_create` with what came back."""

    prompt_version: str
    document: str
    description: str
    raw: dict | None = None
    key: str = ""
    cached: bool = False


@dataclass
class ModelClient:
    settings: Settings
    cache: ResponseCache | None = None
    recorded: list[dict] | None = None  # when a list, every answer used is appended (for recordings)
    requests_sent: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        s = self.settings
        self._sdk = openai.OpenAI(base_url=s.base_url, api_key=s.api_key or "unused", timeout=s.timeout, max_retries=0)
        self._mode = instructor.Mode.TOOLS if s.structured == "tools" and s.server == "openai" else instructor.Mode.JSON_SCHEMA

    def ask(self, messages: list[dict], response_model: type[BaseModel], *, max_tokens: int, prompt_version: str, document: str, description: str) -> Answer:
        """One answer, validated against `response_model`. Raises ModelUnavailable when none can be had."""
        request = _Request(prompt_version, document, description)
        create = instructor.patch(create=lambda **kwargs: self._create(request, kwargs), mode=self._mode)
        parsed, error = None, None
        try:
            parsed = create(
                response_model=response_model,
                messages=messages,
                model=self.settings.model,
                temperature=self.settings.temperature,
                seed=self.settings.seed,
                max_tokens=max_tokens,
                max_retries=0,
            )
        except InstructorRetryException as exc:
            if isinstance(exc.__cause__, ModelUnavailable):
                raise exc.__cause__ from None
            error = _first_line(exc.__cause__ or exc)
        except IncompleteOutputException:
            error = f"the answer was cut off at {max_tokens} tokens"
        if request.raw is None:
            raise ModelUnavailable(error or "no answer")
        usage = request.raw.get("usage") or {}
        if self.recorded is not None:
            self.recorded.append(
                {
                    "key": request.key,
                    "model": self.settings.model,
                    "endpoint": self.settings.endpoint,
                    "server": self.settings.server,
                    "structured": self.settings.structured,
                    "prompt_version": prompt_version,
                    "request": description,
                    "response": request.raw,
                }
            )
        return Answer(parsed, error, request.raw, request.key, request.cached, usage.get("prompt_tokens", 0), usage.get("completion_tokens", 0))

    def _create(self, request: _Request, kwargs: dict) -> ChatCompletion:
        """The `create` instructor calls: cache first, then the endpoint; the answer is always rebuilt from
        the stored raw form, so a live answer and its replay parse identically."""
        s = self.settings
        if kwargs.get("response_format", {}).get("type") == "json_schema":
            schema = kwargs["response_format"]["json_schema"]["schema"]
            if s.server == "llama":  # llama.cpp servers reject json_schema; they take the schema as a grammar on json_object
                response_format = {"type": "json_object", "schema": schema}
            else:  # hosted APIs: strict structured output
                response_format = {"type": "json_schema", "json_schema": {**kwargs["response_format"]["json_schema"], "schema": _closed(schema), "strict": True}}
            kwargs = {**kwargs, "response_format": response_format}
        request.key = request_key(
            model=s.model,
            endpoint=s.endpoint,
            server=s.server,
            mode=self._mode.value,
            request=kwargs,
            prompt_version=request.prompt_version,
            document=request.document,
        )
        raw = None if (self.cache is None or s.record) else self.cache.get(request.key)
        request.cached = raw is not None
        if raw is None:
            if s.offline:
                raise ModelUnavailable(f"no recorded answer for {request.description} (key {request.key[:12]}); re-record with `nianbao model record`")
            raw = self._send(kwargs)
            if self.cache is not None:
                self.cache.put(request.key, raw)
        request.raw = raw
        return _completion(raw, s.model)

    def _send(self, kwargs: dict) -> dict:
        retrying = Retrying(
            retry=retry_if_exception_type(TRANSIENT),
            wait=wait_random_exponential(multiplier=self.settings.backoff, max=self.settings.backoff * 60),
            stop=stop_after_attempt(self.settings.retries),
            reraise=True,
        )
        try:
            for attempt in retrying:
                with attempt:
                    self.requests_sent += 1
                    completion = self._sdk.chat.completions.create(**kwargs)
        except TRANSIENT as exc:
            raise ModelUnavailable(f"model endpoint {self.settings.endpoint} failed {self.settings.retries} times: {_first_line(exc)}") from None
        except openai.APIStatusError as exc:
            raise ModelUnavailable(f"model endpoint {self.settings.endpoint} refused the request (HTTP {exc.status_code}): {_first_line(exc)}") from None
        return _raw(completion)


def _closed(schema):
    """The schema with every object closed (additionalProperties: false), as strict structured output requires."""
    if isinstance(schema, dict):
        closed = {k: _closed(v) for k, v in schema.items()}
        if closed.get("type") == "object":
            closed["additionalProperties"] = False
        return closed
    if isinstance(schema, list):
        return [_closed(v) for v in schema]
    return schema


def _raw(completion: ChatCompletion) -> dict:
    """What is worth keeping of a completion: the text (or tool call), why it stopped, and its usage."""
    choice = completion.choices[0]
    calls = choice.message.tool_calls or []
    usage = completion.usage
    return {
        "content": choice.message.content,
        "tool_calls": [{"name": c.function.name, "arguments": c.function.arguments} for c in calls] or None,
        "finish_reason": choice.finish_reason,
        "usage": {"prompt_tokens": usage.prompt_tokens if usage else 0, "completion_tokens": usage.completion_tokens if usage else 0},
    }


def _completion(raw: dict, model: str | None) -> ChatCompletion:
    message: dict = {"role": "assistant", "content": raw.get("content")}
    if raw.get("tool_calls"):
        message["tool_calls"] = [
            {"id": f"call_{i}", "type": "function", "function": {"name": c["name"], "arguments": c["arguments"]}}
            for i, c in enumerate(raw["tool_calls"])
        ]
    usage = raw.get("usage") or {}
    return ChatCompletion.model_validate(
        {
            "id": "nianbao",
            "object": "chat.completion",
            "created": 0,
            "model": model or "",
            "choices": [{"index": 0, "message": message, "finish_reason": raw.get("finish_reason") or "stop"}],
            "usage": {
                "prompt_tokens": usage.get("prompt_tokens", 0),
                "completion_tokens": usage.get("completion_tokens", 0),
                "total_tokens": usage.get("prompt_tokens", 0) + usage.get("completion_tokens", 0),
            },
        }
    )


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:300] if text else type(exc).__name__


@lru_cache(maxsize=4)
def client_for(settings: Settings) -> ModelClient:
    """One client (SDK connection pool, open cache) per settings per process."""
    return ModelClient(settings, ResponseCache(settings.cache_dir) if settings.cache_dir else None)
