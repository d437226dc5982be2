"""Dask or Ray for `nianbao extract --engine`: cluster start-up, idle memory and per-task overhead, measured.

    python eval/engine_choice.py dask 2000   # in an environment with distributed (pip install '.[dask]')
    python eval/engine_choice.py ray 2000    # in one with ray (pip install ray)

Each starts a cluster with the engine's own CLI on 127.0.0.1 (a scheduler or head and two one-thread
workers), runs N no-op tasks, prints the figures and stops the cluster. Kept for re-measuring the
choice the README explains; nianbao itself runs on Dask only.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time

BIN = os.path.dirname(sys.executable)


def noop(x):
    return x


def cluster_rss_mib() -> float:
    listing = subprocess.run(["ps", "-eo", "rss,cmd"], capture_output=True, text=True, check=True).stdout
    ours = ("dask", "ray", "raylet", "gcs_server")
    lines = [line for line in listing.splitlines()[1:] if any(w in line for w in ours) and "engine_choice" not in line]
    return sum(int(line.split()[0]) for line in lines) / 1024


def measure_dask(n: int) -> tuple[float, float, float]:
    from distributed import Client

    file = os.path.join(tempfile.mkdtemp(), "scheduler.json")
    local = ["--host", "127.0.0.1", "--no-dashboard"]
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "start_new_session": True}
    started = time.perf_counter()
    processes = [
        subprocess.Popen([f"{BIN}/dask", "scheduler", *local, "--port", "0", "--scheduler-file", file], **quiet)
    ]
    worker = [f"{BIN}/dask", "worker", *local, "--scheduler-file", file, "--nthreads", "1"]
    processes += [subprocess.Popen(worker, **quiet) for _ in range(2)]
    try:
        while not os.path.exists(file):
            time.sleep(0.1)
        with Client(json.load(open(file))["address"]) as client:
            client.wait_for_workers(2)
            up = time.perf_counter() - started
            started = time.perf_counter()
            client.gather(client.map(noop, range(n), pure=False))
            run = time.perf_counter() - started
            return up, run, cluster_rss_mib()
    finally:
        for process in processes:
            os.killpg(process.pid, signal.SIGKILL)


def measure_ray(n: int) -> tuple[float, float, float]:
    import ray

    started = time.perf_counter()
    head = [f"{BIN}/ray", "start", "--head", "--num-cpus", "2", "--include-dashboard=false", "--disable-usage-stats"]
    subprocess.run(head, capture_output=True, check=True)
    try:
        ray.init(address="auto", logging_level="ERROR")
        task = ray.remote(noop)
        ray.get([task.remote(0) for _ in range(2)])
        up = time.perf_counter() - started
        started = time.perf_counter()
        ray.get([task.remote(i) for i in range(n)])
        run = time.perf_counter() - started
        rss = cluster_rss_mib()
        ray.shutdown()
        return up, run, rss
    finally:
        subprocess.run([f"{BIN}/ray", "stop", "--force"], capture_output=True, check=False)


if __name__ == "__main__":
    engine, n = sys.argv[1], int(sys.argv[2])
    up, run, rss = (measure_dask if engine == "dask" else measure_ray)(n)
    print(
        f"{engine}: cluster up {up:.1f} s; {n} no-op tasks {run:.2f} s = {1000 * run / n:.2f} ms/task; cluster RSS {rss:.0f} MiB"
    )
