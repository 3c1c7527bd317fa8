"""For the delivery tests: the fake Slack Web API (tests/bot/fake_slack.py) extended with what
delivery under faults needs — per-channel errors, a channel that hangs, and a real message
store with `metadata` and `conversations.history` — plus a small budget world.

Import from here (tests/services/test_delivery_*.py, test_alerts_*.py)."""

from __future__ import annotations

import asyncio
import sys
import threading
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bot"))

from fake_slack import FakeSlack, SlackError
from helpers import NOW

from app.models import Allocation, User
from app.services import actors, allocations, budgets


class RecordingSlack(FakeSlack):
    """FakeSlack that keeps every posted message per channel (with its metadata), answers
    conversations.history from them, fails chosen channels and hangs others."""

    def __init__(self) -> None:
        super().__init__()
        self.channel_errors: dict[str, str] = {}
        self.hang: set[str] = set()
        self.hang_seconds = 30.0
        self.messages: dict[str, list[dict[str, Any]]] = {}
        self._store = threading.Lock()
        self._n = 0

    def reset(self) -> None:
        super().reset()
        self.channel_errors.clear()
        self.hang.clear()
        with self._store:
            self.messages.clear()

    def posts(self, channel: str | None = None) -> list[dict[str, Any]]:
        with self._store:
            if channel is not None:
                return list(self.messages.get(channel, []))
            return [m for ms in self.messages.values() for m in ms]

    def _next_ts(self) -> str:
        with self._store:
            self._n += 1
            return f"{NOW.timestamp():.0f}.{self._n:06d}"

    async def _api(self, request: Any) -> Any:  # type: ignore[override]
        channel = None
        if request.headers.get("content-type", "").startswith("application/json"):
            try:
                channel = (await request.json()).get("channel")
            except ValueError:
                channel = None
        channel = channel or request.query_params.get("channel")
        if channel in self.hang:
            await asyncio.sleep(self.hang_seconds)
        return await super()._api(request)

    def _chat_postMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = str(params.get("channel"))
        if channel in self.channel_errors:
            raise SlackError(self.channel_errors[channel])
        answer = super()._chat_postMessage(params)
        stored = {**answer["message"], "metadata": params.get("metadata")}
        with self._store:
            self.messages.setdefault(channel, []).append(stored)
        return answer

    def _conversations_history(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = str(params.get("channel"))
        oldest = float(params.get("oldest") or 0)
        with_meta = str(params.get("include_all_metadata", "")).lower() in ("1", "true")
        with self._store:
            found = [m for m in self.messages.get(channel, []) if float(m["ts"]) > oldest]
        out = [m if with_meta else {k: v for k, v in m.items() if k != "metadata"} for m in found]
        return {"messages": list(reversed(out)), "has_more": False}


@dataclass
class World:
    admin: User
    owners: list[User]
    member: User
    budget_id: int
    project_id: int
    allocation_id: int
    other_project_id: int


async def _user(name: str, slack_id: str | None) -> User:
    user, _ = await actors.create_user(None, name=name, email=f"{name.lower()}@example.org")
    if slack_id:
        user.slack_user_id = slack_id
        user.slack_team_id = "T111"
        await user.save()
    return user


async def make_world(
    admin: User,
    *,
    owners: tuple[str, ...] = ("UOWNA", "UOWNB"),
    thresholds: list[int] | None = None,
    amount: str = "10000",
    allocate: str = "5000",
    slack_channel: str | None = None,
    period_kind: str = "GRANT",
) -> World:
    """A budget with Slack-linked owners and one allocation (project GPU Lab, member Mia)."""
    admin_actor = await actors.load_actor(admin)
    people = [await _user(f"Owner{i}", slack) for i, slack in enumerate(owners)]
    member = await _user("Mia", "UMIA")
    budget = await budgets.create_budget(
        admin_actor,
        name="Cloud Grant",
        amount=amount,
        period_kind=period_kind,
        start_date=date(2026, 1, 1),
        end_date=date(2026, 12, 31) if period_kind == "GRANT" else None,
        owner_ids=[u.id for u in people],
        slack_channel=slack_channel,
        alert_thresholds=thresholds if thresholds is not None else [50, 80, 100],
    )
    gpu = await budgets.create_project(admin_actor, name="GPU Lab", slug="gpu-lab")
    nlp = await budgets.create_project(admin_actor, name="NLP Lab", slug="nlp-lab")
    await actors.add_project_member(admin_actor, project_id=gpu.id, user_id=member.id)
    allocation = await allocations.allocate(
        admin_actor, budget_id=budget.id, project_id=gpu.id, amount=allocate
    )
    return World(admin, people, member, budget.id, gpu.id, allocation.id, nlp.id)


async def spend(world: World, amount: str, *, project_id: int | None = None) -> None:
    from app.services.spending import SpendInput, record_spend

    await record_spend(
        await actors.load_actor(world.admin),
        SpendInput(project_id=project_id or world.project_id, amount=amount),
    )


async def remaining(world: World) -> int:
    a = await Allocation.get(id=world.allocation_id)
    return a.allocated_micros - a.spent_micros


# --- fixtures (import them into a test module: `from delivery_harness import slack_fake`) ---

import pytest  # noqa: E402


@pytest.fixture(scope="module")
def _slack_server():  # type: ignore[no-untyped-def]
    with RecordingSlack() as server:
        yield server


@pytest.fixture
def slack_fake(_slack_server: RecordingSlack):  # type: ignore[no-untyped-def]
    _slack_server.reset()
    yield _slack_server
    _slack_server.reset()


def notifier_for(fake: FakeSlack) -> Any:
    from slack_sdk.web.async_client import AsyncWebClient

    from bot.notifier import SlackNotifier

    return SlackNotifier(AsyncWebClient(token="xoxb-test", base_url=fake.url))


def delivery_ids(messages: list[dict[str, Any]]) -> list[int]:
    return [
        ((m.get("metadata") or {}).get("event_payload") or {}).get("delivery_id") for m in messages
    ]
