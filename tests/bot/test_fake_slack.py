from __future__ import annotations

import asyncio

import httpx
import pytest
from fake_slack import FakeSlack
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks import home_view, transfer_modal


def client(fake: FakeSlack, token: str | None = "xoxb-test") -> AsyncWebClient:
    return AsyncWebClient(token=token, base_url=fake.url)


def test_the_fake_listens_on_localhost_with_slacks_api_prefix(fake_slack: FakeSlack) -> None:
    assert fake_slack.url.startswith("http://127.0.0.1:")
    assert fake_slack.url.endswith("/api/")
    assert fake_slack.port > 0


async def test_post_message_is_answered_like_slack_and_recorded(fake_slack: FakeSlack) -> None:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "hi"}}]
    first = await client(fake_slack).chat_postMessage(channel="C1", text="hi", blocks=blocks)
    second = await client(fake_slack).chat_postMessage(channel="C1", text="again")

    assert first["ok"] is True and first["channel"] == "C1"
    assert first["message"]["blocks"] == blocks and first["message"]["text"] == "hi"
    assert float(second["ts"]) > float(first["ts"])
    (call, _) = fake_slack.calls_to("chat.postMessage")
    assert call.params == {"channel": "C1", "text": "hi", "blocks": blocks}
    assert call.token == "xoxb-test"
    assert call.headers["content-type"].startswith("application/json")


async def test_users_info_answers_the_email_the_test_set(fake_slack: FakeSlack) -> None:
    fake_slack.users["UANN"] = "ann@lab.org"
    fake_slack.users["UNOMAIL"] = None

    answer = await client(fake_slack).users_info(user="UANN")

    assert answer["user"]["id"] == "UANN"
    assert answer["user"]["profile"]["email"] == "ann@lab.org"
    no_mail = await client(fake_slack).users_info(user="UNOMAIL")
    assert "email" not in no_mail["user"]["profile"]
    (call, _) = fake_slack.calls_to("users.info")
    assert (call.http_method, call.params) == ("GET", {"user": "UANN"})


async def test_users_info_for_an_unknown_user_is_user_not_found(fake_slack: FakeSlack) -> None:
    with pytest.raises(SlackApiError) as caught:
        await client(fake_slack).users_info(user="UNKNOWN")
    assert caught.value.response["error"] == "user_not_found"


async def test_update_and_ephemeral_answer_with_their_timestamps(fake_slack: FakeSlack) -> None:
    slack = client(fake_slack)
    updated = await slack.chat_update(channel="C1", ts="1700000000.000001", text="decided")
    ephemeral = await slack.chat_postEphemeral(channel="C1", user="U1", text="no")

    assert (updated["channel"], updated["ts"], updated["text"]) == (
        "C1", "1700000000.000001", "decided"
    )  # fmt: skip
    assert ephemeral["message_ts"]
    assert fake_slack.calls_to("chat.postEphemeral")[0].params["user"] == "U1"
    assert [c.method for c in fake_slack.calls] == ["chat.update", "chat.postEphemeral"]


async def test_views_open_and_publish_record_the_view(fake_slack: FakeSlack) -> None:
    slack = client(fake_slack)
    opened = await slack.views_open(trigger_id="1.2.3", view=transfer_modal([], []))
    published = await slack.views_publish(user_id="U1", view=home_view([], [], [], []))

    assert opened["view"]["id"].startswith("V")
    assert opened["view"]["callback_id"] == "transfer_modal"
    assert published["view"]["type"] == "home"
    assert fake_slack.calls_to("views.open")[0].params["trigger_id"] == "1.2.3"
    assert fake_slack.calls_to("views.publish")[0].params["view"]["type"] == "home"


async def test_conversations_open_answers_a_dm_channel(fake_slack: FakeSlack) -> None:
    answer = await client(fake_slack).conversations_open(users="UPI")
    assert answer["channel"]["id"] == fake_slack.dm_channel("UPI") == "DUPI"


async def test_auth_test_names_the_bot(fake_slack: FakeSlack) -> None:
    answer = await client(fake_slack).auth_test()
    assert (answer["user_id"], answer["bot_id"], answer["team_id"]) == ("UBOT", "BBOT", "T111")


async def test_an_unknown_method_is_refused(fake_slack: FakeSlack) -> None:
    with pytest.raises(SlackApiError) as caught:
        await client(fake_slack).api_call("chat.teleport", json={"channel": "C1"})
    assert caught.value.response["error"] == "unknown_method"
    assert fake_slack.calls_to("chat.teleport")  # recorded all the same


async def test_a_call_without_a_token_is_not_authed(fake_slack: FakeSlack) -> None:
    with pytest.raises(SlackApiError) as caught:
        await client(fake_slack, token=None).auth_test()
    assert caught.value.response["error"] == "not_authed"


async def test_a_test_can_make_a_method_fail(fake_slack: FakeSlack) -> None:
    fake_slack.errors["chat.postMessage"] = "channel_not_found"
    with pytest.raises(SlackApiError) as caught:
        await client(fake_slack).chat_postMessage(channel="CGONE", text="x")
    assert caught.value.response["error"] == "channel_not_found"


async def test_posts_to_a_response_url_are_recorded_by_name(fake_slack: FakeSlack) -> None:
    async with httpx.AsyncClient() as http:
        answer = await http.post(fake_slack.response_url("cmd1"), json={"text": "done"})
    assert answer.json() == {"ok": True}
    (call,) = fake_slack.calls_to("response_url")
    assert call.params == {"_name": "cmd1", "text": "done"}


async def test_wait_for_returns_once_a_late_call_arrives(fake_slack: FakeSlack) -> None:
    async def later() -> None:
        await asyncio.sleep(0.05)
        await client(fake_slack).chat_postMessage(channel="C1", text="late")

    task = asyncio.create_task(later())
    (call,) = await fake_slack.wait_for("chat.postMessage", timeout=5)
    await task
    assert call.params["text"] == "late"


async def test_wait_for_fails_with_what_was_seen(fake_slack: FakeSlack) -> None:
    await client(fake_slack).auth_test()
    with pytest.raises(AssertionError, match=r"chat.update called 0x.*auth.test"):
        await fake_slack.wait_for("chat.update", timeout=0.05)


async def test_reset_forgets_calls_users_and_errors(fake_slack: FakeSlack) -> None:
    fake_slack.users["U1"] = "a@b.c"
    fake_slack.errors["auth.test"] = "invalid_auth"
    await client(fake_slack).chat_postMessage(channel="C1", text="x")
    assert fake_slack.calls
    fake_slack.reset()
    assert (fake_slack.calls, fake_slack.users, fake_slack.errors) == ([], {}, {})
