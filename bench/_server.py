"""The real server for HTTP benchmarks: `uvicorn app.main:create` in a subprocess on 127.0.0.1
(so clients and server don't share a GIL), ready when /healthz answers."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def running_server(database_url: str, **env: str) -> Iterator[str]:
    """Yield the server's base URL; `env` adds ALLOT_* settings (workers are off by default)."""
    port = free_port()
    environment = {
        **os.environ,
        "ALLOT_DATABASE_URL": database_url,
        "ALLOT_RUN_WORKERS": "false",
        "PYTHONPATH": str(ROOT),
        **env,
    }
    command = [sys.executable, "-m", "uvicorn", "app.main:create", "--factory"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
    proc = subprocess.Popen(command, cwd=ROOT, env=environment)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the server did not start")
            time.sleep(0.05)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)
