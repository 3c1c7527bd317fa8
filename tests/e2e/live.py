"""A real Allot server (uvicorn in a subprocess) on 127.0.0.1, bootstrapped through the CLI."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def allot(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@dataclass
class LiveServer:
    url: str
    token: str
    env: dict[str, str]

    def graphql(self, query: str, token: str | None = None, **variables: Any) -> dict[str, Any]:
        response = httpx.post(
            f"{self.url}/graphql",
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {token or self.token}"},
            timeout=30,
        )
        response.raise_for_status()
        body = response.json()
        if body.get("errors"):
            raise AssertionError(body["errors"])
        return body["data"]


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[LiveServer]:
    env = {
        **os.environ,
        "ALLOT_DATABASE_URL": f"sqlite://{tmp_path / 'live.db'}",
        "ALLOT_RUN_WORKERS": "false",
    }
    assert allot(env, "migrate").returncode == 0
    created = allot(
        env, "users", "create", "--name", "Ada Admin", "--email", "ada@example.org", "--admin"
    )
    assert created.returncode == 0, created.stderr
    token = re.search(r"API token \(shown once\): (\S+)", created.stdout).group(1)  # type: ignore[union-attr]
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "app.main:create",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"server did not start: {proc.stdout.read() if proc.stdout else ''}"
                )
            time.sleep(0.1)
        yield LiveServer(url=url, token=token, env=env)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
