"""End to end through Slack: a member asks for money by slash command, the outbox worker posts
the request to the owner, the owner clicks a button, the money moves, the message is updated
and the requester is told. Signed requests go through the real Bolt app mounted in the real
Starlette app; the Slack Web API is a fake server on 127.0.0.1 that records every call."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bot"))

from fake_slack import FakeSlack
from live import ROOT, allot, free_port
from signing import signed_headers, slash_command_body, view_submission_body
from slack_harness import SECRET, TEAM, SlackHarness, make_world

from app.models import OutboxEvent, TransferRequest
from bot.blocks.ids import REJECT_NOTE_ACTION_ID, REJECT_NOTE_BLOCK_ID, REJECT_NOTE_CALLBACK_ID

MICROS = 1_000_000


@pytest.fixture(scope="module")
def fake_slack_server():
    with FakeSlack() as server:
        yield server


@pytest.fixture
async def slack(fake_slack_server: FakeSlack, database: str):
    fake_slack_server.reset()
    harness = SlackHarness(fake_slack_server)
    yield harness
    await harness.aclose()
    fake_slack_server.reset()


@pytest.fixture
async def world(admin):
    user, _, _ = admin
    return await make_world(user)


async def _request_transfer(slack: SlackHarness, text: str) -> TransferRequest:
    response = await slack.command(text, "UMIA", name="request")
    assert response.status_code == 200
    reply = await slack.reply("request")
    assert "Sent to the budget's owners" in reply["text"], reply["text"]
    return await TransferRequest.get()


async def test_a_member_requests_a_transfer_and_the_owner_approves_it_in_slack(slack, world):
    transfer = await _request_transfer(
        slack, "transfer 1,000 from gpu-lab to nlp-lab because the training run moved"
    )
    assert transfer.status == "PENDING"

    await slack.deliver()
    dm = [c for c in slack.fake.calls_to("chat.postMessage") if c.params["channel"] == "DUPI"]
    assert len(dm) == 1, "the owner gets one DM with the request"
    text = str(dm[0].params["blocks"])
    assert "the training run moved" in text and "<@UMIA>" in text
    assert "4,000.00" in text, "the after-figure of the source comes from the server's preview"

    click = await slack.click(
        "transfer_approve", f"trf_{transfer.id}", "UPI", "DUPI", "1700000000.000001"
    )
    assert click.status_code == 200
    updated = await slack.fake.wait_for("chat.update")
    assert updated[0].params["channel"] == "DUPI"
    assert "Approved by <@UPI>" in str(updated[0].params["blocks"])
    assert await world.remaining() == (4000 * MICROS, 4000 * MICROS)

    await slack.deliver()
    told = [c for c in slack.fake.calls_to("chat.postMessage") if c.params["channel"] == "DUMIA"]
    assert len(told) == 1 and "approved" in told[0].params["text"]


async def test_the_owner_rejects_a_transfer_and_nothing_moves(slack, world):
    transfer = await _request_transfer(
        slack, "transfer 500 from nlp-lab to gpu-lab because we need GPUs"
    )
    await slack.deliver()
    await slack.click("transfer_reject", f"trf_{transfer.id}", "UPI", "DUPI", "1700000000.000001")
    # Reject asks for an optional note first; the owner sends the form with one.
    (opened,) = await slack.fake.wait_for("views.open")
    assert await world.remaining() == (5000 * MICROS, 3000 * MICROS)  # nothing decided yet
    note = {
        REJECT_NOTE_BLOCK_ID: {REJECT_NOTE_ACTION_ID: {"type": "plain_text_input", "value": ""}}
    }
    submitted = view_submission_body(
        REJECT_NOTE_CALLBACK_ID,
        note,
        "UPI",
        TEAM,
        private_metadata=opened.params["view"]["private_metadata"],
    )
    assert (await slack.post(submitted)).status_code == 200
    updated = await slack.fake.wait_for("chat.update")
    assert "Rejected by <@UPI>" in str(updated[0].params["blocks"])
    assert await world.remaining() == (5000 * MICROS, 3000 * MICROS)
    await slack.deliver()
    told = [c for c in slack.fake.calls_to("chat.postMessage") if c.params["channel"] == "DUMIA"]
    assert len(told) == 1 and "rejected" in told[0].params["text"]


async def test_a_double_click_approves_once_and_says_who_decided(slack, world):
    transfer = await _request_transfer(slack, "transfer 1000 from gpu-lab to nlp-lab because twice")
    await slack.deliver()
    await slack.click("transfer_approve", f"trf_{transfer.id}", "UPI", "DUPI", "1700000000.000001")
    await slack.fake.wait_for("chat.update")
    await slack.click("transfer_approve", f"trf_{transfer.id}", "UPI", "DUPI", "1700000000.000001")
    refusal = await slack.fake.wait_for("chat.postEphemeral")
    assert "Nothing changed" in refusal[0].params["text"]
    assert "Approved by <@UPI>" in refusal[0].params["text"]
    assert await world.remaining() == (4000 * MICROS, 4000 * MICROS)
    assert await OutboxEvent.filter(kind="transfer.decided").count() == 1


async def test_a_non_owner_click_is_refused_with_an_ephemeral_message(slack, world):
    transfer = await _request_transfer(
        slack, "transfer 1000 from gpu-lab to nlp-lab because I'd like to"
    )
    await slack.deliver()
    await slack.click("transfer_approve", f"trf_{transfer.id}", "UNAT", "DUPI", "1700000000.000001")
    refusal = await slack.fake.wait_for("chat.postEphemeral")
    assert refusal[0].params["user"] == "UNAT"
    assert "Not allowed" in refusal[0].params["text"]
    assert slack.fake.calls_to("chat.update") == []
    assert (await TransferRequest.get(id=transfer.id)).status == "PENDING"
    assert await world.remaining() == (5000 * MICROS, 3000 * MICROS)


async def test_a_forged_click_gets_401_and_changes_nothing(slack, world):
    transfer = await _request_transfer(
        slack, "transfer 1000 from gpu-lab to nlp-lab because forged"
    )
    from signing import block_action_body

    body = block_action_body(
        "transfer_approve", f"trf_{transfer.id}", "UPI", "T111", "1700000000.000001", "DUPI"
    )
    response = await slack.post(body, secret="not-the-secret")
    assert response.status_code == 401
    assert (await TransferRequest.get(id=transfer.id)).status == "PENDING"
    assert slack.fake.calls_to("chat.update") == []


# Two real server processes (uvicorn) over one database: a replay is refused by the other one.


@contextmanager
def _uvicorn(env: dict[str, str], count: int) -> Iterator[list[str]]:
    """`count` server processes over the same database, started (and stopped) side by side."""
    ports = [free_port() for _ in range(count)]
    procs = [_serve(env, port) for port in ports]
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        for url, proc in zip(urls, procs, strict=True):
            _wait_until_up(url, proc)
        yield urls
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


def _serve(env: dict[str, str], port: int) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "uvicorn", "app.main:create", "--factory"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
    return subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def _wait_until_up(url: str, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"server did not start: {proc.stdout and proc.stdout.read()}")
        time.sleep(0.1)


@pytest.fixture
def two_servers(tmp_path: Path, fake_slack_server: FakeSlack) -> Iterator[tuple[str, str]]:
    fake_slack_server.reset()
    env = {
        **os.environ,
        "ALLOT_DATABASE_URL": f"sqlite://{tmp_path / 'live.db'}",
        "ALLOT_RUN_WORKERS": "false",
        "ALLOT_SLACK_SIGNING_SECRET": SECRET,
        "ALLOT_SLACK_BOT_TOKEN": "xoxb-test",
        "ALLOT_SLACK_API_URL": fake_slack_server.url,
        "ALLOT_SLACK_TEAM_ID": TEAM,
    }
    assert allot(env, "migrate").returncode == 0
    with _uvicorn(env, 2) as (first, second):
        yield first, second
    fake_slack_server.reset()


def _replies(fake: FakeSlack, name: str, *, wait_for: int = 0) -> int:
    """How many answers went to the response_url `name` (waiting up to 5 s for `wait_for`)."""
    deadline = time.monotonic() + 5
    while True:
        found = [c for c in fake.calls_to("response_url") if c.params.get("_name") == name]
        if len(found) >= wait_for or time.monotonic() > deadline:
            return len(found)
        time.sleep(0.05)


def test_a_request_replayed_to_another_server_process_is_refused(
    two_servers: tuple[str, str], fake_slack_server: FakeSlack
) -> None:
    first, second = two_servers
    body = slash_command_body(
        "help", "UANYONE", TEAM, response_url=fake_slack_server.response_url("help"),
        trigger_id="trigger-live",
    )  # fmt: skip
    headers = signed_headers(body, SECRET)
    assert httpx.post(f"{first}/slack/events", content=body, headers=headers).status_code == 200
    assert _replies(fake_slack_server, "help", wait_for=1) == 1

    replay = httpx.post(f"{second}/slack/events", content=body, headers=headers)
    assert replay.status_code == 401
    assert "already received" in replay.json()["message"]
    time.sleep(0.5)  # what the replay's answer would have needed
    assert _replies(fake_slack_server, "help") == 1, "the replay did nothing"

    junk = httpx.post(
        f"{second}/slack/events",
        content=body,
        headers={**headers, "X-Slack-Request-Timestamp": "abc"},
    )
    assert junk.status_code == 401, "a bad header is refused, not a server error"
