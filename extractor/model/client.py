"""One structured request to an OpenAI-compatible endpoint: instructor builds and validates, we transport.

instructor turns a pydantic response model into the request and validates the answer. Under it sits
our own `create`, assembled from one part per concern: the structured-output adapter for the server
kind (adapters.py), the answer cache and offline replay (cache.py), the transport with its retries
(transport.py), and a recording hook (recordings.py). A validation failure is not retried here: it
comes back as an `Answer` with its error, for the loop to reprompt.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache

import instructor
from instructor.core.exceptions import IncompleteOutputException, InstructorRetryException
from nianbao.model.adapters import adapter_for
from nianbao.model.cache import ResponseCache, request_key
from nianbao.model.recordings import entry
from nianbao.model.settings import Settings
from nianbao.model.transport import ModelUnavailable, Transport, first_line
from openai.types.chat import ChatCompletion
from pydantic import BaseModel

# instructor logs every failed parse at ERROR; with no handler Python would print them to stderr.
logging.getLogger("instructor").addHandler(logging.NullHandler())
logging.getLogger("instructor").propagate = False

__all__ = ["Answer", "ModelClient", "ModelUnavailable", "client_for"]


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
    until: float | None = None
    raw: dict | None = None
    key: str = ""
    cached: bool = False


@dataclass
class ModelClient:
    settings: Settings
    cache: ResponseCache | None = None
    recorded: list[dict] | None = None  # when a list, every answer used is appended (for recordings)

    def __post_init__(self) -> None:
        self._transport = Transport(self.settings)
        self._adapter = adapter_for(self.settings)

    @property
    def requests_sent(self) -> int:
        return self._transport.requests_sent

    def ask(
        self,
        messages: list[dict],
        response_model: type[BaseModel],
        *,
        max_tokens: int,
        prompt_version: str,
        document: str,
        description: str,
        until: float | None = None,
    ) -> Answer:
        """One answer, validated against `response_model`. Raises ModelUnavailable when none can be had, and
        DeadlinePassed when `until` (a time.monotonic() instant) comes first."""
        request = _Request(prompt_version, document, description, until)
        create = instructor.patch(create=lambda **kwargs: self._create(request, kwargs), mode=self._adapter.mode)
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
            error = first_line(exc.__cause__ or exc, self.settings.api_key)
        except IncompleteOutputException:
            error = f"the answer was cut off at {max_tokens} tokens"
        if request.raw is None:
            raise ModelUnavailable(error or "no answer")
        usage = request.raw.get("usage") or {}
        if self.recorded is not None:  # the recording hook
            self.recorded.append(entry(self.settings, request.key, prompt_version, description, request.raw))
        return Answer(
            parsed,
            error,
            request.raw,
            request.key,
            request.cached,
            usage.get("prompt_tokens", 0),
            usage.get("completion_tokens", 0),
        )

    def _create(self, request: _Request, kwargs: dict) -> ChatCompletion:
        """The `create` instructor calls: adapt, then the cache (or the recordings, offline), then the
        endpoint; the answer is always rebuilt from the stored raw form, so a live answer and its replay
        parse identically."""
        s = self.settings
        kwargs = self._adapter.request(kwargs)
        request.key = request_key(
            model=s.model,
            endpoint=s.endpoint,
            server=s.server,
            mode=self._adapter.mode.value,
            request=kwargs,
            prompt_version=request.prompt_version,
            document=request.document,
        )
        raw = None if (self.cache is None or s.record) else self.cache.get(request.key)
        request.cached = raw is not None
        if raw is None:
            if s.offline:
                raise ModelUnavailable(
                    f"no recorded answer for {request.description} (key {request.key[:12]}); re-record with `nianbao model record`"
                )
            raw = self._transport.send(kwargs, request.until)
            if self.cache is not None:
                self.cache.put(request.key, raw)
        request.raw = raw
        return _completion(raw, s.model)


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


@lru_cache(maxsize=4)
def client_for(settings: Settings) -> ModelClient:
    """One client (SDK connection pool, open cache) per settings per process."""
    return ModelClient(settings, ResponseCache(settings.cache_dir) if settings.cache_dir else None)
