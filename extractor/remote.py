"""Inputs and `--out` as fsspec URLs (`s3://bucket/reports`, `file:///data/out`, `memory://…`).

The batch itself works on local files (its lock, its per-input files, its datasets), so a URL is
staged: the inputs are copied into a local staging folder, the batch runs into a local mirror of
OUT, and the mirror is sent back. The guarantees carry over:

- content-hash resume: before the run the per-input files already at OUT (records/, rows/, errors/)
  are fetched into the mirror, so a re-run skips every input whose content is done there; the mirror
  lives in a stable folder per OUT URL, so a run killed before it sent its work back keeps it too;
- atomic files: each file goes to a temporary name beside its target and is renamed into place where
  the backend renames atomically (local files, `file://`, `memory://`); object stores (S3, GCS, Azure)
  have no rename, but a single PUT is atomic there — an object appears whole or not at all — so the
  file is written straight to its name;
- errors.jsonl and the datasets are assembled as for a local OUT, then sent with everything else.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

from nianbao.model.scrub import strip_credentials

PER_INPUT = ("records", "rows", "errors")  # the folders of OUT that say what is done
OBJECT_STORES = {"s3", "s3a", "gs", "gcs", "az", "abfs", "abfss", "adl", "oss", "r2"}
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


class RemoteError(Exception):
    """A URL that cannot be used (no fsspec, an unknown protocol, unreachable); the message is one line."""


def is_url(text: str) -> bool:
    return bool(_URL.match(text))


def _fs(url: str):
    try:
        import fsspec
    except ImportError:
        raise RemoteError(f"{url}: URLs need fsspec: pip install 'nianbao[remote]'") from None
    try:
        return fsspec.core.url_to_fs(url)
    except (ImportError, ValueError) as exc:  # a protocol whose package is missing (s3fs, gcsfs), or unknown
        raise RemoteError(f"{url}: {str(exc).splitlines()[0][:200]}") from None


def staging_root() -> Path:
    """Where URLs are staged: NIANBAO_STAGING, else the user's cache folder."""
    default = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "nianbao" / "staging"
    return Path(os.environ.get("NIANBAO_STAGING") or default)


def _key(url: str) -> str:
    return hashlib.sha256(url.rstrip("/").encode()).hexdigest()[:16]


def fetch_inputs(url: str, skip_suffixes: frozenset[str]) -> dict[Path, str]:
    """Every page under `url` (a file or a folder, recursively; hidden files and `skip_suffixes` left out)
    copied into the staging folder: local path → the URL it came from (without a user or password: the
    records, datasets and messages name it), in a stable order."""
    fs, root = _fs(url)
    try:
        folder = fs.isdir(root)
        if folder:
            base = root.rstrip("/")
            pairs = [(p, p[len(base) :].lstrip("/")) for p in sorted(fs.find(root))]
        elif fs.isfile(root):
            pairs = [(root, root.rstrip("/").rsplit("/", 1)[-1])]
        else:
            raise RemoteError(f"{url}: no such file or folder")
    except RecursionError:  # an HTTP "folder" is pages of links, and they may link one level deeper without end
        raise RemoteError(f"{url}: cannot list: its folders nest without end") from None
    except OSError as exc:
        raise RemoteError(f"{url}: cannot list: {exc}") from None
    pairs = [
        (p, rel)
        for p, rel in pairs
        if Path(rel).suffix.lower() not in skip_suffixes and not any(part.startswith(".") for part in rel.split("/"))
    ]
    local = staging_root() / "inputs" / _key(url)
    staged: dict[Path, str] = {}
    for remote, rel in pairs:
        target = local / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            fs.get_file(remote, str(target))
        except OSError:  # this one object cannot be read: it is left out of staging and fails on its own
            target.unlink(missing_ok=True)
        staged[target] = strip_credentials(f"{url.rstrip('/')}/{rel}" if folder else url)
    return staged


class RemoteOut:
    """OUT at a URL, mirrored in a local folder that the batch writes as it would any OUT."""

    def __init__(self, url: str):
        self.url = url.rstrip("/")
        self.fs, self.root = _fs(url)
        self.root = self.root.rstrip("/")
        self.local = staging_root() / "out" / _key(url)
        protocols = self.fs.protocol if isinstance(self.fs.protocol, tuple) else (self.fs.protocol,)
        self.atomic_rename = not set(protocols) & OBJECT_STORES

    def pull(self) -> Path:
        """The mirror, with the per-input files OUT already holds (what an earlier run finished)."""
        self.local.mkdir(parents=True, exist_ok=True)
        try:
            self.fs.makedirs(self.root, exist_ok=True)
            for folder in PER_INPUT:
                remote = f"{self.root}/{folder}"
                if not self.fs.isdir(remote):
                    continue
                (self.local / folder).mkdir(exist_ok=True)
                for path in self.fs.ls(remote, detail=False):
                    name = path.rstrip("/").rsplit("/", 1)[-1]
                    target = self.local / folder / name
                    if not name.startswith(".") and not target.exists():
                        self._get(path, target)
        except OSError as exc:
            raise RemoteError(f"--out {self.url}: cannot read: {exc}") from None
        return self.local

    def _get(self, remote: str, target: Path) -> None:
        tmp = target.with_name(f".{target.name}.fetch.tmp")
        self.fs.get_file(remote, str(tmp))
        os.replace(tmp, target)

    def push(self) -> int:
        """Every file of the mirror not yet at OUT (per-input files) or changed (datasets), each atomically."""
        sent = 0
        try:
            present = set(self.fs.find(self.root)) if self.fs.isdir(self.root) else set()
            for path in sorted(self.local.rglob("*")):
                rel = path.relative_to(self.local).as_posix()
                if not path.is_file() or any(part.startswith(".") for part in rel.split("/")):
                    continue
                target = f"{self.root}/{rel}"
                if rel.split("/", 1)[0] in ("records", "rows") and target in present:
                    continue  # named by its content's hash and written once: the same name is the same file
                self.put(path, target)
                sent += 1
            for stale in present:  # an error an input no longer has (retried, and extracted this time)
                rel = stale[len(self.root) + 1 :]
                if rel.startswith("errors/") and not (self.local / rel).exists():
                    self.fs.rm_file(stale)
        except OSError as exc:
            raise RemoteError(f"--out {self.url}: cannot write: {exc}") from None
        return sent

    def put(self, path: Path, target: str) -> None:
        """One file to `target`: a temporary name and a rename where the backend's rename is atomic."""
        parent = target.rsplit("/", 1)[0]
        self.fs.makedirs(parent, exist_ok=True)
        if not self.atomic_rename:
            self.fs.put_file(str(path), target)
            return
        tmp = f"{parent}/.{target.rsplit('/', 1)[-1]}.{os.getpid()}.tmp"
        self.fs.put_file(str(path), tmp)
        self.fs.mv(tmp, target)
