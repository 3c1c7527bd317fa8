"""The real server for HTTP benchmarks: `uvicorn app.main:create` in a subprocess on 127.0.0.1
(so clients and server don't share a GIL), ready when /healthz answers.

`running_server` yields the base URL (what most benchmarks need); `serving` yields a `Server`
with the process ids too, for any ASGI factory (bench.perf's floor app runs under the very same
uvicorn command) and any number of uvicorn workers (`--workers N`: a supervisor process and N
worker processes sharing the socket; with one worker uvicorn serves in its own process).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
ALLOT_APP = "app.main:create"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class Server:
    """A running uvicorn: its base URL, the supervisor's pid and the worker pids."""

    url: str
    pid: int
    workers: int

    def worker_pids(self) -> list[int]:
        """The processes that serve requests: the children with --workers N, else `pid`."""
        if self.workers <= 1:
            return [self.pid]
        return _children(self.pid)


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def _cpu_ticks(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])  # utime + stime


def _settle(server: Server, deadline: float) -> None:
    """With several workers, wait until all are forked and idle (each imports the app on its
    own; /healthz answers as soon as the first one is up)."""
    if server.workers <= 1:
        return
    while time.monotonic() < deadline:
        pids = server.worker_pids()
        if len(pids) >= server.workers:
            before = [_cpu_ticks(p) for p in pids]
            time.sleep(0.3)
            if [_cpu_ticks(p) for p in pids] == before:
                return
        else:
            time.sleep(0.1)


@contextmanager
def serving(
    app: str = ALLOT_APP, *, workers: int = 1, env: dict[str, str] | None = None
) -> Iterator[Server]:
    """Run `uvicorn <app> --factory` until the block ends (terminated on exit, always)."""
    port = free_port()
    environment = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    command = [sys.executable, "-m", "uvicorn", app, "--factory"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
    if workers > 1:
        command += ["--workers", str(workers)]
    proc = subprocess.Popen(command, cwd=ROOT, env=environment)
    server = Server(f"http://127.0.0.1:{port}", proc.pid, workers)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{server.url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the server ({app}) did not start")
            time.sleep(0.05)
        _settle(server, deadline)
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


@contextmanager
def running_server(database_url: str, *, workers: int = 1, **env: str) -> Iterator[str]:
    """Yield Allot's base URL; `env` adds ALLOT_* settings (workers are off by default)."""
    settings = {"ALLOT_DATABASE_URL": database_url, "ALLOT_RUN_WORKERS": "false", **env}
    with serving(ALLOT_APP, workers=workers, env=settings) as server:
        yield server.url
