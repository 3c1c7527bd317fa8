"""The HTTP door (app/slack_http.py): signed requests only, each handled once, across server
processes, and Slack's retries neither processed twice nor lost.

Real signed requests into the real Starlette app with the real Bolt app behind it, against
the fake Slack Web API.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import time
from typing import Any

import pytest
from helpers import both_databases
from signing import signed_headers, slash_command_body
from slack_bolt.response import BoltResponse
from slack_harness import SECRET, TEAM, SlackHarness, make_world

from app.models import SlackRequestSeen, Spend
from app.services import slack as slack_service
from app.services.slack import REMEMBER_FOR, first_sighting, forget_sighting, sighting_digest


@pytest.fixture
async def slack(fake_slack, database):
    harness = SlackHarness(fake_slack)
    yield harness
    await harness.aclose()


@pytest.fixture
async def world(admin):
    return await make_world(admin[0])


def _spend_body(slack: SlackHarness, name: str = "spend") -> str:
    return slash_command_body(
        "spend 12.50 aws-ec2 gpu-lab",
        "UMIA",
        TEAM,
        response_url=slack.fake.response_url(name),
        trigger_id=slack.trigger(),
    )


def _home_opened(user: str = "UMIA") -> dict[str, Any]:
    return {
        "type": "app_home_opened",
        "user": user,
        "tab": "home",
        "channel": "D1",
        "event_ts": "1",
    }


async def _settle() -> None:
    """Give a listener that should not run the time it would have taken to run."""
    await asyncio.sleep(0.3)


# Replays ------------------------------------------------------------------------------------


async def test_a_replayed_spend_command_is_refused_and_records_once(slack, world):
    body, ts = _spend_body(slack), int(time.time())
    first = await slack.post(body, timestamp=ts)
    assert first.status_code == 200
    assert "Recorded" in (await slack.reply("spend"))["text"]

    replay = await slack.post(body, timestamp=ts)
    assert replay.status_code == 401
    assert "already received" in replay.json()["message"]
    await _settle()
    assert await Spend.all().count() == 1
    assert len(slack.fake.calls_to("response_url")) == 1


async def test_a_replay_to_another_server_process_is_refused_too(slack, world, fake_slack):
    """Two apps over one database, as two uvicorn workers: the memory is the table."""
    other = SlackHarness(fake_slack)
    try:
        body, ts = _spend_body(slack), int(time.time())
        assert (await slack.post(body, timestamp=ts)).status_code == 200
        await slack.reply("spend")
        assert (await other.post(body, timestamp=ts)).status_code == 401
    finally:
        await other.aclose()
    await _settle()
    assert await Spend.all().count() == 1


async def test_what_is_remembered_is_a_digest_not_the_signature(slack, world):
    body, ts = _spend_body(slack), int(time.time())
    await slack.post(body, timestamp=ts)
    signature = signed_headers(body, SECRET, ts)["X-Slack-Signature"]
    rows = await SlackRequestSeen.all()
    assert [r.digest for r in rows] == [sighting_digest(f"v0:{ts}:{signature}")]
    assert signature.removeprefix("v0=") not in rows[0].digest


async def test_two_different_commands_in_the_same_second_both_run(slack, world):
    ts = int(time.time())
    assert (await slack.post(_spend_body(slack, "a"), timestamp=ts)).status_code == 200
    assert (await slack.post(_spend_body(slack, "b"), timestamp=ts)).status_code == 200
    await slack.reply("a")
    await slack.reply("b")
    assert await Spend.all().count() == 2


# Refused before anything is stored -----------------------------------------------------------


def _headers(body: str, **override: str | bytes | None) -> dict[str, Any]:
    headers: dict[str, Any] = signed_headers(body, SECRET)
    for name, value in override.items():
        header = {"ts": "X-Slack-Request-Timestamp", "sig": "X-Slack-Signature"}[name]
        if value is None:
            headers.pop(header)
        else:
            headers[header] = value
    return headers


@pytest.mark.parametrize(
    ("override", "says"),
    [
        ({"ts": "abc"}, "X-Slack-Request-Timestamp is not a Unix time"),
        ({"ts": "-1700000000"}, "X-Slack-Request-Timestamp is not a Unix time"),
        ({"ts": "1" * 30}, "X-Slack-Request-Timestamp is not a Unix time"),
        ({"ts": None}, "missing X-Slack-Request-Timestamp"),
        ({"sig": None}, "missing X-Slack-Request-Timestamp or X-Slack-Signature"),
        ({"sig": "v1=abc"}, "X-Slack-Signature is not a v0 signature"),
        ({"sig": b"v0=\xe9" + b"0" * 63}, "X-Slack-Signature is not a v0 signature"),
        ({"sig": "v0=" + "0" * 64}, "invalid signature"),
    ],
)
async def test_bad_signature_headers_get_401_with_the_reason(slack, world, override, says):
    body = _spend_body(slack)
    response = await slack.http.post(
        "/slack/events", content=body, headers=_headers(body, **override)
    )
    assert response.status_code == 401
    assert says in response.json()["message"]
    await _settle()
    assert await Spend.all().count() == 0
    assert await SlackRequestSeen.all().count() == 0, "unsigned junk is never stored"


async def test_a_stale_request_says_so_and_is_not_stored(slack, world):
    response = await slack.post(_spend_body(slack), timestamp=int(time.time()) - 6 * 60)
    assert response.status_code == 401
    assert "outside the 5-minute window" in response.json()["message"]
    assert await SlackRequestSeen.all().count() == 0


async def test_a_body_that_is_not_utf8_gets_401(slack, world):
    body = b"payload=\xff\xfe"
    ts = str(int(time.time()))
    base = b"v0:" + ts.encode() + b":" + body
    sig = "v0=" + hmac.new(SECRET.encode(), base, hashlib.sha256).hexdigest()
    response = await slack.http.post(
        "/slack/events",
        content=body,
        headers={"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": sig},
    )
    assert response.status_code == 401
    assert "not UTF-8" in response.json()["message"]


async def test_slacks_ssl_check_is_answered_without_a_signature_and_not_stored(slack, world):
    response = await slack.http.post(
        "/slack/events",
        content="ssl_check=1&token=legacy",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 200
    assert await SlackRequestSeen.all().count() == 0


# Slack's retries of Events API deliveries ----------------------------------------------------


async def test_a_retried_event_with_a_fresh_signature_is_acknowledged_but_not_run_again(
    slack, world
):
    body = slack.event_body(_home_opened(), event_id="EvRETRY")
    assert (await slack.post(body)).status_code == 200
    await slack.fake.wait_for("views.publish")

    retry = await slack.post(
        body,
        timestamp=int(time.time()) + 1,  # Slack re-signs: a new timestamp and signature
        headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"},
    )
    assert retry.status_code == 200, "a 2xx, so Slack stops retrying"
    await _settle()
    assert len(slack.fake.calls_to("views.publish")) == 1


async def test_a_byte_identical_retry_is_refused_like_a_replay(slack, world):
    body, ts = slack.event_body(_home_opened(), event_id="EvSAME"), int(time.time())
    assert (await slack.post(body, timestamp=ts)).status_code == 200
    await slack.fake.wait_for("views.publish")
    again = await slack.post(body, timestamp=ts, headers={"X-Slack-Retry-Num": "1"})
    assert again.status_code == 401
    await _settle()
    assert len(slack.fake.calls_to("views.publish")) == 1


def _fail_once(slack: SlackHarness, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Bolt answers the next request with a 500 (as when it breaks before acking)."""
    real = slack.bolt.async_dispatch
    failures: list[int] = []

    async def dispatch(request: Any) -> BoltResponse:
        if not failures:
            failures.append(1)
            return BoltResponse(status=500, body="")
        return await real(request)

    monkeypatch.setattr(slack.bolt, "async_dispatch", dispatch)
    return failures


async def test_a_retry_of_an_event_bolt_failed_on_is_handled(slack, world, monkeypatch):
    failures = _fail_once(slack, monkeypatch)
    body = slack.event_body(_home_opened(), event_id="EvFAILED")
    assert (await slack.post(body)).status_code == 500
    assert failures == [1]
    retry = await slack.post(
        body, timestamp=int(time.time()) + 1, headers={"X-Slack-Retry-Num": "1"}
    )
    assert retry.status_code == 200
    await slack.fake.wait_for("views.publish")


async def test_an_identical_retry_of_a_request_bolt_failed_on_is_handled(slack, world, monkeypatch):
    _fail_once(slack, monkeypatch)
    body, ts = _spend_body(slack), int(time.time())
    assert (await slack.post(body, timestamp=ts)).status_code == 500
    assert (await slack.post(body, timestamp=ts)).status_code == 200
    await slack.reply("spend")
    assert await Spend.all().count() == 1


async def test_two_different_events_both_run(slack, world):
    await slack.event(_home_opened("UMIA"))
    await slack.event(_home_opened("UMIA"))
    await slack.fake.wait_for("views.publish", count=2)


# The table ----------------------------------------------------------------------------------


@both_databases
async def test_a_key_is_seen_once_then_refused(database):
    assert await first_sighting("v0:1:abc") is True
    assert await first_sighting("v0:1:abc") is False
    assert await first_sighting("v0:1:abd") is True


@both_databases
async def test_two_processes_claiming_the_same_request_at_once_get_one_yes(database):
    results = await asyncio.gather(*(first_sighting("v0:2:race") for _ in range(5)))
    assert sorted(results) == [False, False, False, False, True]


@both_databases
async def test_forgetting_lets_the_same_key_in_again(database):
    assert await first_sighting("event:T1:Ev1")
    await forget_sighting("event:T1:Ev1")
    assert await first_sighting("event:T1:Ev1")


@both_databases
async def test_rows_older_than_twice_the_window_are_pruned_and_newer_kept(database, fixed_clock):
    start = fixed_clock[0]
    assert await first_sighting("old")
    fixed_clock[0] = start + REMEMBER_FOR / 2
    assert await first_sighting("recent")
    fixed_clock[0] = start + REMEMBER_FOR + slack_service.PRUNE_EVERY
    assert await first_sighting("now")
    left = {r.digest for r in await SlackRequestSeen.all()}
    assert left == {sighting_digest("recent"), sighting_digest("now")}


async def test_pruning_runs_now_and_then_not_on_every_request(database, fixed_clock):
    start = fixed_clock[0]
    fixed_clock[0] = start + slack_service.PRUNE_EVERY * 100  # a first prune at this moment
    assert await first_sighting("first")
    await SlackRequestSeen.filter(digest=sighting_digest("first")).update(
        seen_at=start  # looks ancient, but the next prune is not due yet
    )
    assert await first_sighting("second")
    assert await SlackRequestSeen.all().count() == 2
    fixed_clock[0] = fixed_clock[0] + slack_service.PRUNE_EVERY
    assert await first_sighting("third")
    assert await SlackRequestSeen.filter(digest=sighting_digest("first")).count() == 0
