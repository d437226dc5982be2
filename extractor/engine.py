"""Batches past one machine: the batch's inputs run on a Dask distributed cluster (`--engine dask`).

The cluster only schedules. Each Dask task is a chunk of inputs that the worker runs through the same
sandboxed process pool as a local batch (`run_pool`: per-input time limit by SIGALRM, memory cap, a
crash costs one input), so the guarantees do not depend on where an input runs; the sandbox is kept
between chunks, so a chunk costs the cluster a task round trip and no process start. Inputs and OUTDIR
sit on a filesystem every worker sees under the same path; workers write the per-input files, the
driver writes the error files and assembles the datasets, as in a local batch.

A worker lost mid-run is the scheduler's business: it hands the lost worker's chunks to another. An
input the lost worker had finished has its record on disk already, and `extract_one` skips it, so no
input is done twice; only the inputs in flight are redone. A chunk whose workers keep dying (Dask's
`allowed-failures`) makes its inputs errors, which a re-run with --retry-errors tries again.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import socket
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import CancelledError
from dataclasses import replace
from functools import partial

from nianbao.batch import BatchError, run_pool

CHUNKS_PER_THREAD = 4  # enough chunks that a slow one does not hold the batch's tail
MAX_CHUNK = 32  # inputs per task: one sandbox start per chunk, and little to rerun when a worker is lost
IN_FLIGHT_PER_THREAD = 2  # chunks queued per worker thread: the scheduler never holds a million tasks
_SANDBOX_LOCK = threading.Lock()


class EngineError(BatchError):
    """The cluster cannot be used (unreachable, not installed); the message is one line."""


def chunk_size(inputs: int, threads: int) -> int:
    return max(1, min(MAX_CHUNK, inputs // max(1, CHUNKS_PER_THREAD * threads)))


_SANDBOXES: dict[bytes, list] = {}  # this worker's idle sandbox for each task function, kept between chunks


def run_chunk(fn: Callable, chunk: Sequence, timeout: float) -> list[tuple[object, bool, object]]:
    """A Dask task: the chunk's inputs, one at a time, in a sandbox process of this worker.

    The sandbox outlives the chunk (one per worker thread and task function), so a chunk pays neither
    a process start nor the first report's setup; it dies with the worker (its pipe closes).
    """
    # Dask's nanny starts workers as daemonic processes, which multiprocessing forbids to have children
    multiprocessing.current_process().daemon = False
    fn = _with_api_key(fn, os.environ.get("OPENAI_API_KEY"))
    with _SANDBOX_LOCK:
        kept = _SANDBOXES.setdefault(pickle.dumps(fn), [])
        sandbox = kept[-1:]  # a worker's threads take one each
        del kept[-1:]
    try:
        return list(run_pool(fn, chunk, workers=1, timeout=timeout, keep=sandbox))
    finally:
        with _SANDBOX_LOCK:
            kept.extend(sandbox)


def _with_api_key(fn: Callable, key: str | None) -> Callable:
    """`fn` with its model settings' API key set to `key`; `fn` itself when it carries no model settings.

    The driver sends tasks with no key (it stays off the scheduler and the wire); each worker puts back
    the key of its own environment (OPENAI_API_KEY), as a local run reads it.
    """
    options = fn.keywords.get("options") if isinstance(fn, partial) else None
    settings = getattr(options, "model", None)
    if not hasattr(settings, "api_key") or settings.api_key == key:
        return fn
    model = replace(settings, api_key=key)
    return partial(fn.func, *fn.args, **{**fn.keywords, "options": replace(options, model=model)})


def connect(address: str | None, timeout: float = 20.0):
    """A Dask client for the scheduler at `address` (tcp://host:8786), or a one-line EngineError."""
    try:
        from distributed import Client
    except ImportError:
        raise EngineError("--engine dask needs Dask distributed: pip install 'nianbao[dask]'") from None
    if not address:
        raise EngineError("--engine dask needs --address tcp://HOST:8786 (the address `dask scheduler` prints)")
    _probe(address)
    try:
        return Client(address, timeout=timeout, set_as_default=False)
    except Exception as exc:
        why = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise EngineError(f"cannot reach the Dask scheduler at {address}: {why}") from None


def _probe(address: str) -> None:
    """Refuse at once an address nothing listens on (Dask's client would retry for its whole timeout)."""
    from distributed.comm import parse_address
    from distributed.comm.addressing import parse_host_port

    try:
        scheme, location = parse_address(address)
        if scheme not in ("tcp", "tls"):
            return
        with socket.create_connection(parse_host_port(location), timeout=5):
            pass
    except (OSError, ValueError) as exc:
        why = getattr(exc, "strerror", None) or exc
        raise EngineError(f"cannot reach the Dask scheduler at {address}: {why}") from None


def dask_runner(address: str | None) -> Callable:
    """A batch runner (BatchOptions.runner) like run_pool, on the cluster: the cluster's threads set the width."""
    return lambda fn, items, workers, timeout: run_dask(address, fn, items, timeout)


def run_dask(
    address: str | None, fn: Callable, items: Sequence, timeout: float
) -> Iterator[tuple[object, bool, object]]:
    """Yield (item, ok, value or reason) for each item as the cluster finishes its chunk; see the module doc."""
    from distributed import as_completed

    items = list(items)
    if not items:
        return
    client = connect(address)
    try:
        threads = sum(client.nthreads().values()) or 1
        size = chunk_size(len(items), threads)
        chunks = iter([items[i : i + size] for i in range(0, len(items), size)])
        task = _with_api_key(fn, None)
        pending = as_completed(loop=client.loop)
        chunk_of = {}

        def submit() -> None:
            chunk = next(chunks, None)
            if chunk is not None:
                future = client.submit(run_chunk, task, chunk, timeout, pure=False)
                chunk_of[future.key] = chunk
                pending.add(future)

        for _ in range(IN_FLIGHT_PER_THREAD * threads):
            submit()
        for future in pending:
            chunk = chunk_of.pop(future.key)
            if future.status == "finished":
                yield from future.result()
            else:  # KilledWorker (the workers running it kept dying), or cancelled
                reason = f"cluster task {future.status}: {_first_line(future)}"
                yield from ((item, False, reason) for item in chunk)
            future.release()
            submit()
    finally:
        client.close()


def _first_line(future) -> str:
    try:
        exc = future.exception()
    except CancelledError as cancelled:  # a cancelled future raises instead of returning its exception
        exc = cancelled
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0][:200]}" if text else type(exc).__name__
