"""`allot serve` stops on SIGTERM even with a request in flight and the background workers
running: uvicorn cancels what is still running after ALLOT_SHUTDOWN_GRACE_SECONDS, and the
lifespan cancels the workers. The in-flight request is one whose body never finishes
arriving (it would hold the server forever without the grace period), plus an open
WebSocket. The bound below only fails on a hang; it is not a timing measurement.

And the lifespan's own part: a background worker that does not stop when cancelled is waited
for at most the grace period."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from live import ROOT, allot, free_port
from websockets.sync.client import connect

from app.server import create_app
from app.settings import Settings

HANG = 15  # seconds: far above the 2 s grace period, so only a hang fails


def test_sigterm_stops_the_server_with_a_request_in_flight(tmp_path: Path) -> None:
    port = free_port()
    env = {
        **os.environ,
        "ALLOT_DATABASE_URL": f"sqlite://{tmp_path / 'sigterm.db'}",
        "ALLOT_RUN_WORKERS": "true",  # the scheduler, outbox and expiry workers run too
        "ALLOT_SHUTDOWN_GRACE_SECONDS": "2",
        "ALLOT_HOST": "127.0.0.1",
        "ALLOT_PORT": str(port),
    }
    assert allot(env, "migrate").returncode == 0
    log = (tmp_path / "serve.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve"], cwd=ROOT, env=env, stdout=log, stderr=log
    )
    url = f"http://127.0.0.1:{port}"
    slow = socket.socket()
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, "server did not start"
            time.sleep(0.1)

        # A request whose body is announced but only partly sent: the app waits for the rest.
        slow.connect(("127.0.0.1", port))
        slow.sendall(
            b"POST /graphql HTTP/1.1\r\nHost: allot\r\nContent-Type: application/json\r\n"
            b"Content-Length: 1000\r\n\r\n" + b'{"query": "{ __typename }", '
        )
        with connect(
            url.replace("http://", "ws://") + "/graphql",
            subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
            open_timeout=10,
        ) as ws:
            ws.send(json.dumps({"type": "connection_init", "payload": {}}))
            assert json.loads(ws.recv(timeout=10))["type"] == "connection_ack"
            time.sleep(0.5)  # let the slow request reach the app

            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=HANG)
            except subprocess.TimeoutExpired:
                raise AssertionError(
                    f"allot serve was still running {HANG} s after SIGTERM:\n"
                    + (tmp_path / "serve.log").read_text()
                ) from None
    finally:
        slow.close()
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
        log.close()
    assert proc.returncode is not None


async def test_the_lifespan_stops_waiting_for_a_worker_that_ignores_its_cancel(
    caplog: pytest.LogCaptureFixture,
) -> None:
    tasks: list[asyncio.Task[Any]] = []

    async def stubborn() -> None:
        tasks.append(asyncio.current_task())  # type: ignore[arg-type]
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            await asyncio.sleep(3600)  # a cleanup that never ends (a Slack socket, say)

    app = create_app(Settings(shutdown_grace_seconds=0.2), init_database=False, workers=[stubborn])

    async def start_and_stop() -> None:
        async with app.router.lifespan_context(app):
            await asyncio.sleep(0.05)

    with caplog.at_level(logging.WARNING, logger="allot.server"):
        await asyncio.wait_for(start_and_stop(), timeout=HANG)  # a hang bound, not a timing
    assert "did not stop within 0.2s" in caplog.text
    (task,) = tasks
    assert not task.done()  # still in its cleanup: the lifespan did not wait for it
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
