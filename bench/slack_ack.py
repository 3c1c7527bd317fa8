"""Slack acknowledgement latency: 50 concurrent signed `/allot status` commands against a real
server (uvicorn in a subprocess, SQLite, the bot talking to a fake Slack Web API on 127.0.0.1).

Prints the time to the HTTP response (Slack's 3-second ack limit applies to it) as p50/p99/max,
and how long until every answer reached its response_url.

    python -m bench.slack_ack [--n 50] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "bot"))

from fake_slack import FakeSlack  # noqa: E402
from signing import signed_headers, slash_command_body  # noqa: E402

from bench._server import running_server  # noqa: E402

SECRET = "bench-signing-secret"
TEAM = "T111"


async def _prepare(url: str) -> None:
    from tortoise import Tortoise

    from app import db
    from app.services import actors

    await db.init_db(url)
    await Tortoise.generate_schemas()
    admin, _ = await actors.create_user(None, name="Ada", email="ada@example.org", is_admin=True)
    sys.path.insert(0, str(ROOT / "tests" / "bot"))
    from slack_harness import make_world

    await make_world(admin)
    await db.close_db()


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


async def _round(
    client: httpx.AsyncClient, fake: FakeSlack, base: str, n: int, tag: str
) -> tuple[list[float], float]:
    async def one(i: int) -> float:
        body = slash_command_body(
            "status", "UMIA", TEAM, response_url=fake.response_url(f"{tag}-{i}")
        )
        headers = signed_headers(body, SECRET)
        start = time.perf_counter()
        response = await client.post(f"{base}/slack/events", content=body, headers=headers)
        elapsed = time.perf_counter() - start
        assert response.status_code == 200, response.text
        return elapsed

    start = time.perf_counter()
    acks = await asyncio.gather(*(one(i) for i in range(n)))
    while (
        sum(
            1
            for c in fake.calls_to("response_url")
            if str(c.params.get("_name", "")).startswith(f"{tag}-")
        )
        < n
    ):
        if time.perf_counter() - start > 60:
            raise SystemExit("not every command was answered within 60 s")
        await asyncio.sleep(0.005)
    return list(acks), time.perf_counter() - start


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp, FakeSlack() as fake:
        url = f"sqlite://{tmp}/bench.db"
        await _prepare(url)
        settings = {
            "ALLOT_SLACK_SIGNING_SECRET": SECRET,
            "ALLOT_SLACK_BOT_TOKEN": "xoxb-bench",
            "ALLOT_SLACK_API_URL": fake.url,
            "ALLOT_SLACK_TEAM_ID": TEAM,
            "ALLOT_RUN_WORKERS": "true",
        }
        with running_server(url, **settings) as base:
            async with httpx.AsyncClient(timeout=30) as client:
                await _round(client, fake, base, 1, "warmup")
                for r in range(args.rounds):
                    acks, total = await _round(client, fake, base, args.n, f"r{r}")
                    ms = [a * 1000 for a in acks]
                    print(
                        f"round {r + 1}: {args.n} concurrent /allot status — ack p50 "
                        f"{statistics.median(ms):.1f} ms, p99 {_percentile(ms, 99):.1f} ms, "
                        f"max {max(ms):.1f} ms; all answered after {total * 1000:.0f} ms"
                    )


if __name__ == "__main__":
    asyncio.run(main())
