"""How fast a real server (uvicorn over HTTP, bench/_server.py) refuses hostile requests,
next to the floor of a trivial `{ __typename }`: the 2^20 fragment fan-out (about 840
characters; before the cost gate it was validated for tens of seconds), and a 20 MB body
(refused with 413 from its Content-Length, before it is read). Prints figures, never
pass/fail. `python -m bench.abuse [--runs N]`"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx

from app import db
from bench._server import running_server
from bench._setup import fresh


def fan_out(n: int) -> str:
    """`fragment F2 on Query { ...F1 ...F1 }` … `query { ...Fn }`: 2^(n-1) copies of F1."""
    parts = ["fragment F1 on Query { budgets { totalCount } }"]
    parts += [f"fragment F{i} on Query {{ ...F{i - 1} ...F{i - 1} }}" for i in range(2, n + 1)]
    return " ".join([*parts, f"query {{ ...F{n} }}"])


def timed(runs: int, request: Callable[[], httpx.Response], expect: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        response = request()
        times.append(time.perf_counter() - start)
        assert response.status_code == expect, (response.status_code, response.text[:300])
    return times


@contextmanager
def quiet_stderr() -> Iterator[None]:
    """A subprocess started inside inherits /dev/null as its stderr: the server logs every
    refused operation (Strawberry logs GraphQL errors), which would bury the figures."""
    saved = os.dup(2)
    with open(os.devnull, "w") as devnull:
        os.dup2(devnull.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def measure(base: str, runs: int) -> None:
    fan = fan_out(21)  # 2^20 copies of `budgets { totalCount }`
    twenty = b'{"query": "{ __typename }", "variables": {"x": "' + b"a" * 20_000_000 + b'"}}'
    with httpx.Client(base_url=base, timeout=120) as client:
        refused = client.post("/graphql", json={"query": fan}).json()
        assert refused["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX", refused
        cases = [
            (
                "trivial { __typename } (the floor)",
                lambda: client.post("/graphql", json={"query": "{ __typename }"}),
                200,
            ),
            (
                f"2^20 fragment fan-out ({len(fan)} chars), refused",
                lambda: client.post("/graphql", json={"query": fan}),
                200,
            ),
            (
                "20 MB body, refused with 413",
                lambda: client.post(
                    "/graphql", content=twenty, headers={"content-type": "application/json"}
                ),
                413,
            ),
        ]
        print(f"{'request':<48} {'median':>9} {'min':>9} {'max':>9}   ({runs} runs)")
        for label, request, status in cases:
            times = timed(runs, request, status)
            print(
                f"{label:<48} {statistics.median(times) * 1000:>7.1f}ms"
                f" {min(times) * 1000:>7.1f}ms {max(times) * 1000:>7.1f}ms"
            )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite://{Path(tmp) / 'abuse.db'}"

        async def migrate() -> None:
            await fresh(url)
            await db.close_db()

        asyncio.run(migrate())
        with ExitStack() as stack:
            with quiet_stderr():
                base = stack.enter_context(running_server(url))
            measure(base, args.runs)


if __name__ == "__main__":
    main()
