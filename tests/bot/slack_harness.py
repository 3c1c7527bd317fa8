"""The real Starlette app with the real Bolt app mounted, driven by signed requests over httpx
(ASGITransport), talking to the fake Slack Web API; plus a small budget world to act on."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx
from fake_slack import FakeSlack
from signing import (
    block_action_body,
    signed_headers,
    slash_command_body,
    view_submission_body,
)

from app.main import slack_parts
from app.models import Allocation, User
from app.server import create_app
from app.services import actors, allocations, budgets
from app.settings import Settings

SECRET = "test-signing-secret"
TEAM = "T111"


@dataclass
class World:
    """A grant with PI Paula (owner), projects gpu-lab (Mia) and nlp-lab (Nat)."""

    admin: User
    pi: User
    mia: User
    nat: User
    budget_id: int
    gpu_project_id: int
    nlp_project_id: int
    gpu_allocation_id: int
    nlp_allocation_id: int

    async def remaining(self) -> tuple[int, int]:
        gpu = await Allocation.get(id=self.gpu_allocation_id)
        nlp = await Allocation.get(id=self.nlp_allocation_id)
        return (gpu.allocated_micros - gpu.spent_micros, nlp.allocated_micros - nlp.spent_micros)


async def _user(name: str, slack_id: str | None) -> User:
    email = name.lower() + "@example.org"
    user, _ = await actors.create_user(None, name=name, email=email)
    if slack_id:
        user.slack_user_id = slack_id
        user.slack_team_id = TEAM
        await user.save()
    return user


async def make_world(admin: User, *, slack_channel: str | None = None) -> World:
    admin_actor = await actors.load_actor(admin)
    pi = await _user("Paula", "UPI")
    mia = await _user("Mia", "UMIA")
    nat = await _user("Nat", "UNAT")
    budget = await budgets.create_budget(
        admin_actor,
        name="Cloud Grant",
        amount="10000",
        period_kind="GRANT",
        start_date=date(2026, 1, 1),
        end_date=date(2026, 12, 31),
        owner_ids=[pi.id],
        slack_channel=slack_channel,
    )
    gpu = await budgets.create_project(admin_actor, name="GPU Lab", slug="gpu-lab")
    nlp = await budgets.create_project(admin_actor, name="NLP Lab", slug="nlp-lab")
    await actors.add_project_member(admin_actor, project_id=gpu.id, user_id=mia.id)
    await actors.add_project_member(admin_actor, project_id=nlp.id, user_id=nat.id)
    a_gpu = await allocations.allocate(
        admin_actor, budget_id=budget.id, project_id=gpu.id, amount="5000"
    )
    a_nlp = await allocations.allocate(
        admin_actor, budget_id=budget.id, project_id=nlp.id, amount="3000"
    )
    return World(admin, pi, mia, nat, budget.id, gpu.id, nlp.id, a_gpu.id, a_nlp.id)


class SlackHarness:
    def __init__(
        self, fake: FakeSlack, *, team_id: str | None = TEAM, public_url: str = ""
    ) -> None:
        self.fake = fake
        #: Slack gives each command and click its own trigger id (and each click an action_ts),
        #: so two of them are never the same bytes; the harness does the same.
        self._triggers = itertools.count(1)
        self.settings = Settings(
            slack_signing_secret=SECRET,
            slack_bot_token="xoxb-test",
            slack_api_url=fake.url,
            slack_team_id=team_id,
            run_workers=False,
            public_url=public_url,
        )
        self.bolt, self.notifier = slack_parts(self.settings)
        self.app = create_app(self.settings, init_database=False, workers=[], slack_app=self.bolt)
        self.http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app), base_url="http://allot.test"
        )

    async def aclose(self) -> None:
        await self.http.aclose()

    async def post(
        self,
        body: str,
        *,
        secret: str = SECRET,
        timestamp: int | None = None,
        content_type: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """`body` signed as Slack signs it (`headers` are added or override the signed ones)."""
        signed = signed_headers(body, secret, timestamp, content_type=content_type)
        return await self.http.post(
            "/slack/events", content=body, headers={**signed, **(headers or {})}
        )

    async def command(
        self,
        text: str,
        user: str,
        *,
        team: str = TEAM,
        name: str = "cmd",
        secret: str = SECRET,
        timestamp: int | None = None,
    ) -> httpx.Response:
        body = slash_command_body(
            text, user, team, response_url=self.fake.response_url(name), trigger_id=self.trigger()
        )
        return await self.post(body, secret=secret, timestamp=timestamp)

    def trigger(self) -> str:
        return f"trigger-{next(self._triggers)}"

    async def reply(self, name: str = "cmd", timeout: float = 5.0) -> dict[str, Any]:
        """The answer the bot sent to the command's response_url (waits for it)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            calls = [c for c in self.fake.calls_to("response_url") if c.params.get("_name") == name]
            if calls:
                return calls[-1].params
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(
                    f"no reply on response_url {name!r}; saw {[c.method for c in self.fake.calls]}"
                )
            await asyncio.sleep(0.01)

    async def click(
        self,
        action_id: str,
        transfer_id: str,
        user: str,
        channel: str,
        ts: str,
        *,
        team: str = TEAM,
    ) -> httpx.Response:
        body = block_action_body(
            action_id,
            transfer_id,
            user,
            team,
            ts,
            channel,
            block_id=f"transfer_actions:{transfer_id}",
            trigger_id=self.trigger(),
            action_ts=f"{time.time():.6f}",
        )
        return await self.post(body)

    async def submit_view(
        self, callback_id: str, values: dict[str, Any], user: str, *, team: str = TEAM
    ) -> httpx.Response:
        return await self.post(view_submission_body(callback_id, values, user, team))

    async def event(
        self, event: dict[str, Any], *, team: str = TEAM, event_id: str | None = None
    ) -> httpx.Response:
        """An Events API delivery; each gets its own `event_id` unless one is given."""
        body = self.event_body(event, team=team, event_id=event_id)
        return await self.post(body)

    def event_body(
        self, event: dict[str, Any], *, team: str = TEAM, event_id: str | None = None
    ) -> str:
        return json.dumps(
            {
                "token": "legacy",
                "team_id": team,
                "api_app_id": "A111",
                "type": "event_callback",
                "event_id": event_id or f"Ev{next(self._triggers)}",
                "event_time": 1700000000,
                "event": event,
                "authorizations": [{"team_id": team, "user_id": "UBOT", "is_bot": True}],
            }
        )

    async def deliver(self) -> int:
        """One outbox pass with the Slack notifier (what the worker does every second)."""
        from app.services.outbox import deliver_pending

        return await deliver_pending([self.notifier])
