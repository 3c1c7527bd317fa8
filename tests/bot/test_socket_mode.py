"""Socket Mode: the production worker (app.main.socket_mode_worker) connected to the fake Slack's
WebSocket, with the real Bolt app behind it; envelopes in, acks and answers out."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qsl

import pytest
from fake_slack import FakeSlack
from signing import slash_command_body
from slack_harness import TEAM, SlackHarness, make_world
from slack_sdk.web.async_client import AsyncWebClient

from app import main
from app.models import Spend
from app.settings import Settings
from bot.app import build_app

APP_TOKEN = "xapp-1-A111-test"
_envelope_ids = itertools.count(1)


def slash_envelope(fake: FakeSlack, text: str, user: str, *, name: str = "cmd") -> dict[str, Any]:
    """A `slash_commands` envelope as Slack sends it: the command's form fields as a dict."""
    payload = dict(
        parse_qsl(
            slash_command_body(
                text, user, TEAM, response_url=fake.response_url(name), trigger_id="trigger-1"
            )
        )
    )
    return {
        "envelope_id": f"env-{next(_envelope_ids)}",
        "type": "slash_commands",
        "accepts_response_payload": True,
        "payload": payload,
    }


@pytest.fixture
async def slack(fake_slack, database) -> AsyncIterator[SlackHarness]:
    harness = SlackHarness(fake_slack)
    yield harness
    await harness.aclose()


@pytest.fixture
async def world(admin):
    return await make_world(admin[0])


@contextlib.asynccontextmanager
async def running(bolt: Any, fake: FakeSlack) -> AsyncIterator[FakeSlack]:
    """The Socket Mode worker connected to the fake until the block ends; then cancelled the
    way the server's lifespan cancels it."""
    worker = main.socket_mode_worker(bolt, APP_TOKEN, fake.url)
    task = asyncio.create_task(worker())
    try:
        await fake.wait_for_socket()
        yield fake
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


@pytest.fixture
async def socket_mode(slack, fake_slack) -> AsyncIterator[FakeSlack]:
    async with running(slack.bolt, fake_slack) as fake:
        yield fake


async def test_the_worker_asks_the_configured_api_for_the_socket_with_the_app_token(socket_mode):
    (call,) = socket_mode.calls_to("apps.connections.open")
    assert call.token == APP_TOKEN
    assert socket_mode.socket_connections == 1


async def test_the_socket_comes_from_the_api_url_even_if_the_bots_client_points_elsewhere(
    fake_slack, database
):
    nowhere = AsyncWebClient(token="xoxb-test", base_url="http://127.0.0.1:9/api/")
    bolt = build_app(
        Settings(slack_signing_secret="s", slack_bot_token="xoxb-test"), client=nowhere
    )

    async with running(bolt, fake_slack):
        assert fake_slack.socket_connections == 1


async def test_a_slash_command_envelope_is_acked_and_answered_on_its_response_url(
    socket_mode, slack, world
):
    envelope = slash_envelope(socket_mode, "budgets", "UNAT")

    await socket_mode.socket_send(envelope)

    ack = await socket_mode.wait_for_ack(envelope["envelope_id"])
    reply = await slack.reply()
    assert "Cloud Grant" in str(reply["blocks"])
    assert ack["envelope_id"] == envelope["envelope_id"]


async def test_an_unlinked_user_is_told_how_to_link_in_the_ack(socket_mode, slack, world):
    envelope = slash_envelope(socket_mode, "spend 12.50 aws-ec2 gpu-lab", "USTRANGER")

    await socket_mode.socket_send(envelope)

    ack = await socket_mode.wait_for_ack(envelope["envelope_id"])
    assert "isn't linked" in ack["payload"]["text"]
    assert await Spend.all().count() == 0


async def test_after_slack_asks_to_reconnect_envelopes_arrive_on_the_new_socket(
    socket_mode, slack, world
):
    await socket_mode.socket_send({"type": "disconnect", "reason": "refresh_requested"})
    await socket_mode.wait_for_socket(connections=2)
    envelope = slash_envelope(socket_mode, "budgets", "UPI")

    await socket_mode.socket_send(envelope)

    await socket_mode.wait_for_ack(envelope["envelope_id"])
    assert "Cloud Grant" in str((await slack.reply())["blocks"])
    assert len(socket_mode.calls_to("apps.connections.open")) == 2


def test_create_passes_the_app_token_and_api_url_to_the_worker(monkeypatch):
    seen: list[tuple[Any, ...]] = []
    real_worker = main.socket_mode_worker

    def fake_worker(*args: Any) -> Any:
        seen.append(args)
        return real_worker(*args)

    monkeypatch.setattr(main, "socket_mode_worker", fake_worker)
    main.create(
        Settings(
            slack_signing_secret="s",
            slack_bot_token="xoxb-test",
            slack_app_token=APP_TOKEN,
            slack_api_url="http://127.0.0.1:9/api/",
            run_workers=False,
        )
    )

    ((_, token, api_url),) = seen
    assert (token, api_url) == (APP_TOKEN, "http://127.0.0.1:9/api/")
