"""Real servers with chosen settings: uvicorn in a subprocess (one process or several workers),
its output in a file, stopped with SIGTERM the way a supervisor stops it. live.py's
`live_server` is the default one; these tests need their own environment (log format, access
log, metrics, PostgreSQL, an unmigrated database)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from live import ROOT, allot, free_port

START_SECONDS = 60  # an upper bound for start-up (two workers on PostgreSQL), not a timing


@dataclass
class Running:
    proc: subprocess.Popen[bytes]
    url: str
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self, timeout: float = 30) -> int:
        """SIGTERM, then wait (kill only if it hangs): the return code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        return int(self.proc.returncode)


def environment(database_url: str, **settings: str) -> dict[str, str]:
    """The process environment with Allot's settings (no stray ones from the caller's)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ALLOT_", "PROMETHEUS_"))}
    return {**env, "ALLOT_DATABASE_URL": database_url, "ALLOT_RUN_WORKERS": "false", **settings}


def migrate_with_admin(env: Mapping[str, str]) -> str:
    """`allot migrate`, then an admin user: their API token."""
    migrated = allot(dict(env), "migrate")
    assert migrated.returncode == 0, migrated.stderr
    created = allot(
        dict(env), "users", "create", "--name", "Ada Admin", "--email", "ada@example.org", "--admin"
    )
    assert created.returncode == 0, created.stderr
    found = re.search(r"API token \(shown once\): (\S+)", created.stdout)
    assert found is not None, created.stdout
    return found.group(1)


def start(
    env: Mapping[str, str], log: Path, *, workers: int = 1, log_level: str | None = None
) -> Running:
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", "app.main:create", "--factory"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
    if log_level:
        command += ["--log-level", log_level]
    with log.open("wb") as out:  # a file: nobody reads a pipe while the tests run
        proc = subprocess.Popen(command, cwd=ROOT, env=dict(env), stdout=out, stderr=out)
    return Running(proc=proc, url=f"http://127.0.0.1:{port}", log=log)


def wait_until_up(server: Running, path: str = "/healthz") -> None:
    deadline = time.monotonic() + START_SECONDS
    while True:
        try:
            if httpx.get(server.url + path, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if server.proc.poll() is not None or time.monotonic() > deadline:
            server.stop()
            raise AssertionError(f"the server did not start:\n{server.output()}")
        time.sleep(0.1)


@contextmanager
def serving(env: Mapping[str, str], log: Path, *, workers: int = 1) -> Iterator[Running]:
    server = start(env, log, workers=workers)
    try:
        wait_until_up(server)
        yield server
    finally:
        server.stop()
