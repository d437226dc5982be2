"""The model client against a scripted test server: transient faults, the cache, the key, secrets."""

from __future__ import annotations

import json
import time

import pytest
from nianbao.model.cache import ResponseCache, request_key
from nianbao.model.client import ModelClient, ModelUnavailable
from nianbao.model.prompting import rows_answer
from nianbao.model.settings import Settings
from scripted_server import ScriptedServer, completion

ANSWER = json.dumps({"rows": [[1, 0, 0, 0, 0, 0, 1]]})
MESSAGES = [{"role": "system", "content": "copy"}, {"role": "user", "content": "R1 予以公开: 1 0 0 0 0 0 1"}]


def ask(client: ModelClient, messages=MESSAGES, prompt_version="table3_rows.v1", document="doc-sha"):
    return client.ask(
        messages,
        rows_answer(1, 7),
        max_tokens=40,
        prompt_version=prompt_version,
        document=document,
        description="test: table 三, granted",
    )


def statuses(*codes):
    """A script answering with these HTTP statuses in turn, then 200 with ANSWER."""
    codes = iter(codes)

    def script(body):
        code = next(codes, 200)
        return (code, completion(ANSWER)) if code == 200 else (code, {"error": {"message": f"scripted {code}"}})

    return script


@pytest.fixture
def sleeps(monkeypatch):
    waited: list[float] = []
    monkeypatch.setattr(time, "sleep", waited.append)
    return waited


def client_for(server, tmp_path=None, **kw) -> ModelClient:
    settings = Settings(model="m", base_url=server.url, server="llama", backoff=0.001, **kw)
    return ModelClient(settings, ResponseCache(tmp_path / "cache") if tmp_path else None)


def test_429_then_200_is_retried_with_backoff(sleeps):
    server = ScriptedServer(statuses(429))
    try:
        answer = ask(client_for(server))
    finally:
        server.close()
    assert len(server.requests) == 2
    assert len(sleeps) == 1 and 0 < sleeps[0] <= 0.06  # exponential backoff with jitter, scaled by the setting
    assert answer.parsed.rows == [[1, 0, 0, 0, 0, 0, 1]] and not answer.cached


def test_5xx_retried_until_the_limit_then_unavailable(sleeps):
    server = ScriptedServer(statuses(500, 502, 503, 500))
    try:
        with pytest.raises(ModelUnavailable, match="failed 4 times") as exc:
            ask(client_for(server, retries=4))
    finally:
        server.close()
    assert len(server.requests) == 4 and len(sleeps) == 3
    assert "\n" not in str(exc.value)


def test_client_errors_are_not_retried(sleeps):
    server = ScriptedServer(statuses(400))
    try:
        with pytest.raises(ModelUnavailable, match="HTTP 400"):
            ask(client_for(server))
    finally:
        server.close()
    assert len(server.requests) == 1 and sleeps == []


def test_a_closed_port_is_a_connection_error_retried_then_unavailable(sleeps):
    client = ModelClient(
        Settings(model="m", base_url="http://127.0.0.1:9/v1", server="llama", backoff=0.001, retries=2)
    )
    with pytest.raises(ModelUnavailable, match="failed 2 times"):
        ask(client)


def test_an_invalid_answer_comes_back_for_the_loop_not_retried(sleeps, tmp_path):
    server = ScriptedServer(lambda body: (200, completion(json.dumps({"rows": [[1, 2]]}))))
    try:
        answer = ask(client_for(server, tmp_path))
    finally:
        server.close()
    assert len(server.requests) == 1
    assert answer.parsed is None and answer.error and answer.raw["content"] == '{"rows": [[1, 2]]}'


def test_answers_are_cached_raw_and_replayed(tmp_path):
    server = ScriptedServer(statuses())
    try:
        first = ask(client_for(server, tmp_path))
        second = ask(client_for(server, tmp_path))
    finally:
        server.close()
    assert len(server.requests) == 1
    assert (
        second.cached and second.parsed.rows == first.parsed.rows and (second.tokens_in, second.tokens_out) == (100, 20)
    )
    assert ResponseCache(tmp_path / "cache").get(first.key) == {
        "content": ANSWER,
        "tool_calls": None,
        "finish_reason": "stop",
        "usage": {"prompt_tokens": 100, "completion_tokens": 20},
    }


def test_errors_are_never_cached(tmp_path, sleeps):
    server = ScriptedServer(statuses(503, 503))
    try:
        with pytest.raises(ModelUnavailable):
            ask(client_for(server, tmp_path, retries=2))
        assert ask(client_for(server, tmp_path, retries=2)).parsed is not None
    finally:
        server.close()
    assert len(server.requests) == 3


def test_offline_never_sends_a_request(tmp_path):
    server = ScriptedServer(statuses())
    try:
        with pytest.raises(ModelUnavailable, match="no recorded answer for test: table 三, granted"):
            ask(client_for(server, tmp_path, offline=True))
    finally:
        server.close()
    assert server.requests == []


def test_the_key_covers_what_changes_the_answer(tmp_path):
    server = ScriptedServer(statuses())
    try:
        client = client_for(server, tmp_path)
        keys = {
            ask(client).key,
            ask(client, prompt_version="table3_rows.v2").key,
            ask(client, document="other-doc").key,
            ask(client, messages=[*MESSAGES[:1], {"role": "user", "content": "R1 予以公开: 2 0 0 0 0 0 2"}]).key,
            ask(
                ModelClient(
                    Settings(model="other", base_url=server.url, server="llama"), ResponseCache(tmp_path / "c2")
                )
            ).key,
        }
    finally:
        server.close()
    assert len(keys) == 5
    assert request_key(a=1, b=[1, 2]) == request_key(b=[1, 2], a=1)


def test_the_api_key_stays_out_of_keys_caches_and_recordings(tmp_path):
    secret = "sk-test-SECRET-0123456789"
    server = ScriptedServer(statuses())
    try:
        settings = Settings(
            model="m", base_url=server.url, api_key=secret, server="llama", cache_dir=tmp_path / "cache"
        )
        client = ModelClient(settings, ResponseCache(settings.cache_dir), recorded=[])
        answer = ask(client)
    finally:
        server.close()
    assert {k.lower(): v for k, v in server.requests[0]["headers"].items()}[
        "authorization"
    ] == f"Bearer {secret}"  # sent to the endpoint, and only there
    assert secret not in repr(settings) and secret not in json.dumps(client.recorded) and secret not in answer.key
    for path in (tmp_path / "cache").rglob("*"):
        if path.is_file():
            assert secret.encode() not in path.read_bytes()


def test_loopback_endpoints_share_one_name_so_recordings_replay_on_any_port():
    assert (
        Settings(base_url="http://127.0.0.1:8765/v1").endpoint
        == Settings(base_url="http://localhost:8080/v1").endpoint
        == "local"
    )
    assert Settings(base_url="https://api.example.com/v1").endpoint == "api.example.com"


def test_resolve_reads_the_environment():
    env = {"OPENAI_BASE_URL": "http://127.0.0.1:8080/v1", "NIANBAO_BACKOFF": "0.5"}
    s = Settings.resolve(env=env, no_cache=True)
    assert (s.server, s.model, s.backoff, s.cache_dir, s.configured) == (
        "llama",
        "qwen2.5-coder-1.5b-instruct-q4_k_m",
        0.5,
        None,
        True,
    )
    hosted = Settings.resolve(env={"OPENAI_API_KEY": "k"}, model="gpt-x")
    assert (hosted.server, hosted.configured) == ("openai", True)
    assert not Settings.resolve(env={}).configured
    with pytest.raises(ValueError, match="unknown server kind"):
        Settings.resolve(env={}, server="vllm")


def test_cache_stats_and_clear_from_the_command_line(tmp_path):
    from nianbao.cli import app
    from typer.testing import CliRunner

    cache = ResponseCache(tmp_path / "cache")
    cache.put("k1", {"content": "{}"})
    cache.put("k2", {"content": "{}"})
    runner = CliRunner()
    stats = json.loads(runner.invoke(app, ["cache", "stats", "--cache-dir", str(tmp_path / "cache")]).stdout)
    assert stats["entries"] == 2 and stats["directory"] == str(tmp_path / "cache")
    cleared = runner.invoke(app, ["cache", "clear", "--cache-dir", str(tmp_path / "cache")])
    assert cleared.exit_code == 0 and "removed 2 cached answers" in cleared.stderr
    assert (
        json.loads(runner.invoke(app, ["cache", "stats", "--cache-dir", str(tmp_path / "cache")]).stdout)["entries"]
        == 0
    )
    assert (
        json.loads(runner.invoke(app, ["cache", "stats", "--cache-dir", str(tmp_path / "absent")]).stdout)["entries"]
        == 0
    )
    assert not (tmp_path / "absent").exists()


def test_model_serve_without_a_pulled_model_says_so(tmp_path):
    from nianbao.cli import app
    from typer.testing import CliRunner

    result = CliRunner().invoke(app, ["model", "serve", "--dir", str(tmp_path), "--python", "/nonexistent/python"])
    assert result.exit_code == 2 and "model file not found" in result.stderr and "nianbao model pull" in result.stderr


def test_tools_mode_for_hosted_apis_round_trips_through_the_cache(tmp_path):
    def tool_answer(body):
        name = body["tools"][0]["function"]["name"]
        message = {
            "role": "assistant",
            "content": None,
            "tool_calls": [{"id": "c1", "type": "function", "function": {"name": name, "arguments": ANSWER}}],
        }
        return 200, {**completion(""), "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls"}]}

    server = ScriptedServer(tool_answer)
    try:
        client = client_for(server, tmp_path)
        client = ModelClient(
            Settings(model="m", base_url=server.url, server="openai", structured="tools"), client.cache
        )
        live, replayed = ask(client), ask(client)
    finally:
        server.close()
    assert len(server.requests) == 1 and server.requests[0]["body"]["tool_choice"]["type"] == "function"
    assert live.parsed.rows == replayed.parsed.rows == [[1, 0, 0, 0, 0, 0, 1]] and replayed.cached
    assert replayed.raw["tool_calls"][0]["arguments"] == ANSWER


def test_429_with_retry_after_waits_what_the_server_asked(sleeps):
    busy = (429, {"error": {"message": "busy"}}, {"Retry-After": "2"})
    server = ScriptedServer(lambda body: busy if len(server.requests) == 1 else (200, completion(ANSWER)))
    try:
        answer = ask(client_for(server))
    finally:
        server.close()
    assert sleeps == [2.0] and len(server.requests) == 2 and answer.parsed is not None
