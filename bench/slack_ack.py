"""Slack's 3-second limits under load: signed slash commands against a real server (uvicorn in a
subprocess, SQLite, the bot talking to a fake Slack Web API on 127.0.0.1).

For each concurrency level (default 10 and 25) it sends that many commands at once and
reports, as p50/p99/max:

- **ack**: the time to the HTTP response of `/allot status` (Slack's ack limit: 3 s);
- **views.open**: from sending a bare `/allot transfer` to the bot's `views.open` call
  reaching Slack (the command's `trigger_id` expires 3 s after Slack sent it);
- the ack of those `/allot transfer` commands too.

`--dashboard N` adds N clients reading the web app's dashboard query (bench.dashboard.DASHBOARD)
in a loop on the same server while the commands run, as the issue measured it ("25 concurrent
commands plus dashboard reads"); the number of dashboards served meanwhile is printed too.

Figures only: nothing here passes or fails. The issue's goal is p99 under 1 s for both.

    python -m bench.slack_ack [--levels 10,25] [--rounds 3] [--dashboard N]
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


async def _prepare(url: str) -> tuple[str, str]:
    """(an admin's API token, a budget id) on a fresh database with the Slack tests' world."""
    from app import db
    from app.models import Budget
    from app.services import actors
    from bench._setup import fresh

    await fresh(url)  # migrated, as `allot migrate` does
    admin, token = await actors.create_user(
        None, name="Ada", email="ada@example.org", is_admin=True
    )
    from slack_harness import make_world

    await make_world(admin)
    budget = await Budget.all().order_by("id").first()
    assert budget is not None
    await db.close_db()
    return token, f"bud_{budget.id}"


async def _dashboards(
    client: httpx.AsyncClient, base: str, token: str, budget_id: str, stop: asyncio.Event
) -> int:
    """Read the dashboard until `stop`; how many were served."""
    from bench.dashboard import DASHBOARD

    served = 0
    headers = {"Authorization": f"Bearer {token}"}
    while not stop.is_set():
        response = await client.post(
            f"{base}/graphql",
            json={"query": DASHBOARD, "variables": {"id": budget_id, "n": 100}},
            headers=headers,
        )
        assert response.status_code == 200, response.text
        assert "errors" not in response.json(), response.text
        served += 1
    return served


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def _figures(label: str, seconds: list[float]) -> str:
    ms = [s * 1000 for s in seconds]
    return (
        f"{label} p50 {statistics.median(ms):.0f} ms, p99 {_percentile(ms, 99):.0f} ms, "
        f"max {max(ms):.0f} ms"
    )


async def _command(
    client: httpx.AsyncClient, fake: FakeSlack, base: str, text: str, name: str
) -> tuple[float, float]:
    """(sent at, ack seconds) of one signed command."""
    body = slash_command_body(
        text, "UMIA", TEAM, response_url=fake.response_url(name), trigger_id=f"trg-{name}"
    )
    headers = signed_headers(body, SECRET)
    start = time.perf_counter()
    response = await client.post(f"{base}/slack/events", content=body, headers=headers)
    elapsed = time.perf_counter() - start
    assert response.status_code == 200, response.text
    return start, elapsed


async def _wait(fake: FakeSlack, method: str, names: set[str], key: str) -> dict[str, float]:
    """When each call of `method` for `names` arrived (by `key`: trigger_id or _name)."""
    deadline = time.perf_counter() + 60
    while True:
        seen = {
            str(c.params.get(key, "")).removeprefix("trg-"): c.at
            for c in fake.calls_to(method)
            if str(c.params.get(key, "")).removeprefix("trg-") in names
        }
        if len(seen) == len(names):
            return seen
        if time.perf_counter() > deadline:
            raise SystemExit(f"only {len(seen)} of {len(names)} {method} calls within 60 s")
        await asyncio.sleep(0.002)


async def _level(
    client: httpx.AsyncClient, fake: FakeSlack, base: str, n: int, tag: str
) -> tuple[list[float], list[float], list[float]]:
    status_names = [f"{tag}-s{i}" for i in range(n)]
    modal_names = [f"{tag}-t{i}" for i in range(n)]
    # Half the load is `/allot status`, half a bare `/allot transfer`, all at once.
    results = await asyncio.gather(
        *(_command(client, fake, base, "status", name) for name in status_names),
        *(_command(client, fake, base, "transfer", name) for name in modal_names),
    )
    status = results[:n]
    modal = results[n:]
    opened = await _wait(fake, "views.open", set(modal_names), "trigger_id")
    await _wait(fake, "response_url", set(status_names), "_name")
    views_open = [
        opened[name] - sent for name, (sent, _ack) in zip(modal_names, modal, strict=True)
    ]
    return [a for _s, a in status], [a for _s, a in modal], views_open


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levels", default="10,25", help="concurrent commands of each kind")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--dashboard", type=int, default=0, help="clients reading the dashboard meanwhile"
    )
    args = parser.parse_args()
    levels = [int(x) for x in args.levels.split(",")]

    with tempfile.TemporaryDirectory() as tmp, FakeSlack() as fake:
        url = f"sqlite://{tmp}/bench.db"
        token, budget_id = await _prepare(url)
        settings = {
            "ALLOT_SLACK_SIGNING_SECRET": SECRET,
            "ALLOT_SLACK_BOT_TOKEN": "xoxb-bench",
            "ALLOT_SLACK_API_URL": fake.url,
            "ALLOT_SLACK_TEAM_ID": TEAM,
            "ALLOT_RUN_WORKERS": "true",
        }
        with running_server(url, **settings) as base:
            async with httpx.AsyncClient(timeout=30) as client:
                await _level(client, fake, base, 1, "warmup")
                for n in levels:
                    acks: list[float] = []
                    modal_acks: list[float] = []
                    opens: list[float] = []
                    stop = asyncio.Event()
                    readers = [
                        asyncio.create_task(_dashboards(client, base, token, budget_id, stop))
                        for _ in range(args.dashboard)
                    ]
                    for r in range(args.rounds):
                        a, m, o = await _level(client, fake, base, n, f"n{n}r{r}")
                        acks += a
                        modal_acks += m
                        opens += o
                    stop.set()
                    served = sum(await asyncio.gather(*readers))
                    reading = (
                        f", {args.dashboard} dashboard readers ({served} dashboards served)"
                        if args.dashboard
                        else ""
                    )
                    print(
                        f"{n} concurrent /allot status + {n} concurrent /allot transfer "
                        f"({args.rounds} rounds{reading}):\n"
                        f"  {_figures('status ack', acks)}\n"
                        f"  {_figures('transfer ack', modal_acks)}\n"
                        f"  {_figures('views.open', opens)}"
                    )


if __name__ == "__main__":
    asyncio.run(main())
