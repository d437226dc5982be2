"""Which model endpoint the model path talks to, and how: one frozen value built from flags and env.

Frozen and picklable, so batch workers get the same settings. The API key is held here only to hand
to the SDK: it is excluded from repr, and never enters a cache key, a recording or a log line.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from nianbao.model.local import DEFAULT_SPEC, is_loopback

Server = Literal["llama", "openai"]
Structured = Literal["json_schema", "tools"]

LOCAL_MODEL = DEFAULT_SPEC.filename.removesuffix(".gguf")
LOCAL_PORT = 8080
LOCAL_URL = f"http://127.0.0.1:{LOCAL_PORT}/v1"

SETUP_HINT = (
    "no model configured: set OPENAI_BASE_URL (and OPENAI_API_KEY, --model) for any OpenAI-compatible endpoint, "
    f"or run the local one with `nianbao model pull && nianbao model serve` and set OPENAI_BASE_URL={LOCAL_URL}"
)


def default_cache_dir() -> Path:
    return Path(os.environ.get("NIANBAO_CACHE_DIR") or Path.home() / ".cache" / "nianbao")


def default_model_dir() -> Path:
    return Path(os.environ.get("NIANBAO_MODEL_DIR") or Path.home() / ".cache" / "nianbao" / "models")


def endpoint_id(base_url: str | None) -> str:
    """The endpoint as cache keys and recordings name it: 'local' for any loopback server, else its host.

    Port and scheme are left out so a recording made against one local port replays against any other.
    """
    if not base_url:
        return "api.openai.com"
    host = urlsplit(base_url).hostname or ""
    return "local" if is_loopback(host) else host


@dataclass(frozen=True)
class Settings:
    model: str | None = None
    base_url: str | None = None
    api_key: str | None = field(default=None, repr=False)
    # llama: a llama.cpp server, which takes the JSON schema as a grammar ({"type": "json_object", "schema": …});
    # openai: a hosted API, which takes strict structured output (json_schema) or function tools.
    server: Server = "openai"
    structured: Structured = "json_schema"
    temperature: float = 0.0
    seed: int = 0
    timeout: float = 300.0  # seconds for one completion: a 1.5B model on two cores is slow
    retries: int = 5  # tries per request on 429, 5xx, timeouts and connection errors
    backoff: float = 1.0  # seconds: the first wait of the exponential backoff (tests make it tiny)
    concurrency: int = 4  # questions of one report in flight at once (a batch multiplies it by its workers)
    max_calls: int = 4  # answers one report may use, first reads and reprompts together
    max_tokens: int = 40_000  # tokens in + out one report may use
    max_rounds: int = 3  # reprompt rounds per report
    # wall-clock seconds the model path may spend on one report, retries and waits included: the local 1.5B
    # model on two cores takes about 2 minutes a report; past it the best attempt is kept as needs_review
    deadline: float = 600.0
    cache_dir: Path | None = None  # None: no cache
    offline: bool = False  # replay: answers come from the cache only; a miss never becomes a request
    record: bool = False  # re-record: ask the model afresh (no cache reads), still storing every answer
    endpoint: str = ""  # the endpoint as cache keys name it; derived from base_url unless a replay sets it

    @property
    def configured(self) -> bool:
        return self.offline or (bool(self.model) and bool(self.base_url or self.api_key))

    def __post_init__(self) -> None:
        if not self.endpoint:
            object.__setattr__(self, "endpoint", endpoint_id(self.base_url))

    @classmethod
    def resolve(
        cls,
        model: str | None = None,
        server: str | None = None,
        cache_dir: Path | None = None,
        no_cache: bool = False,
        env: dict[str, str] | None = None,
        **overrides,
    ) -> Settings:
        """Flags first, then the environment (OPENAI_BASE_URL, OPENAI_API_KEY, NIANBAO_MODEL, NIANBAO_SERVER,
        NIANBAO_STRUCTURED, NIANBAO_CACHE_DIR, NIANBAO_BACKOFF, NIANBAO_CONCURRENCY, NIANBAO_DEADLINE).

        The server kind is explicit (--server / NIANBAO_SERVER); left unset, a loopback base URL means a
        llama.cpp server and anything else a hosted API. A llama.cpp server serves one model whatever the
        request names, so there the model defaults to the pinned local one.
        """
        env = os.environ if env is None else env
        base_url = env.get("OPENAI_BASE_URL") or None
        kind = (
            server
            or env.get("NIANBAO_SERVER")
            or ("llama" if base_url and endpoint_id(base_url) == "local" else "openai")
        )
        if kind not in ("llama", "openai"):
            raise ValueError(f"unknown server kind {kind!r}: use llama or openai")
        name = model or env.get("NIANBAO_MODEL") or (LOCAL_MODEL if kind == "llama" else None)
        if no_cache:
            directory = None
        else:
            directory = cache_dir or (
                Path(env["NIANBAO_CACHE_DIR"]) if env.get("NIANBAO_CACHE_DIR") else default_cache_dir()
            )
        settings = cls(
            model=name,
            base_url=base_url,
            api_key=env.get("OPENAI_API_KEY") or None,
            server=kind,
            structured=env.get("NIANBAO_STRUCTURED") or cls.structured,
            cache_dir=directory,
            backoff=float(env.get("NIANBAO_BACKOFF", cls.backoff)),
            concurrency=max(1, int(env.get("NIANBAO_CONCURRENCY", cls.concurrency))),
            deadline=float(env.get("NIANBAO_DEADLINE", cls.deadline)),
        )
        return replace(settings, **overrides) if overrides else settings
