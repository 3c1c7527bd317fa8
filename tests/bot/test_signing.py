from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import parse_qsl

from fake_slack import FakeSlack
from signing import (
    block_action_body,
    fixture,
    signature,
    signed_headers,
    slash_command_body,
    view_submission_body,
)
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.request.internals import parse_body
from slack_sdk.signature import Clock, SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

SECRET = "test-signing-secret"


class PinnedClock(Clock):
    def __init__(self, now: float) -> None:
        self._now = now

    def now(self) -> float:
        return self._now


def test_the_signer_reproduces_slacks_known_good_vector() -> None:
    vector = fixture("signature_vector_slack_sdk")
    headers = signed_headers(vector["raw_body"], vector["signing_secret"], int(vector["timestamp"]))
    assert headers["X-Slack-Signature"] == vector["expected_signature"]
    assert headers["X-Slack-Request-Timestamp"] == vector["timestamp"]
    assert {k: headers[k] for k in vector["headers"]} == vector["headers"]


def test_the_signer_reproduces_the_bolt_style_vector() -> None:
    vector = fixture("bolt_style_signature_example")
    expected = vector["expected_signature"]
    assert signature(vector["raw_body"], vector["signing_secret"], vector["timestamp"]) == expected


def test_slacks_verifier_accepts_the_signed_vector_at_its_own_time() -> None:
    vector = fixture("signature_vector_slack_sdk")
    verifier = SignatureVerifier(vector["signing_secret"], PinnedClock(int(vector["timestamp"])))
    headers = signed_headers(vector["raw_body"], vector["signing_secret"], int(vector["timestamp"]))
    assert verifier.is_valid_request(vector["raw_body"], headers)


def test_slacks_verifier_refuses_a_tampered_body() -> None:
    vector = fixture("signature_vector_slack_sdk")
    verifier = SignatureVerifier(vector["signing_secret"], PinnedClock(int(vector["timestamp"])))
    headers = signed_headers(vector["raw_body"], vector["signing_secret"], int(vector["timestamp"]))
    tampered = vector["raw_body"].replace("user_id=U2CERLKJA", "user_id=U0ADMIN00")
    assert tampered != vector["raw_body"]
    assert not verifier.is_valid_request(tampered, headers)


def test_slacks_verifier_refuses_a_stale_signature_with_the_real_clock() -> None:
    body = slash_command_body("status", "U1", "T111")
    stale = signed_headers(body, SECRET, int(time.time()) - 6 * 60)
    assert not SignatureVerifier(SECRET).is_valid_request(body, stale)
    assert SignatureVerifier(SECRET).is_valid_request(body, signed_headers(body, SECRET))


def test_signed_headers_declare_form_or_json_bodies() -> None:
    assert signed_headers("a=b", SECRET)["Content-Type"] == "application/x-www-form-urlencoded"
    assert signed_headers('{"type": "event_callback"}', SECRET)["Content-Type"] == (
        "application/json"
    )


def test_an_unchanged_slash_command_round_trips_the_real_payload_byte_for_byte() -> None:
    body = slash_command_body("Hi", "W111", "T111", command="/hello-world")
    assert body == fixture("slash_command")["raw_body"]


def test_a_slash_command_body_carries_the_overrides_as_slack_encodes_them() -> None:
    body = slash_command_body(
        'transfer $5k from a to b because "GPU & more"', "U1", "T9", response_url="http://x/r"
    )
    assert "text=transfer+%245k+from+a+to+b+because+%22GPU+%26+more%22" in body
    form = dict(parse_qsl(body))
    assert form["command"] == "/allot"
    assert (form["user_id"], form["team_id"], form["response_url"]) == ("U1", "T9", "http://x/r")
    assert form["channel_name"] == "random"  # the rest of the real payload stays


def test_a_slash_command_field_set_to_none_is_left_out() -> None:
    body = slash_command_body("status", "U1", "T1", enterprise_id=None, enterprise_name=None)
    assert "enterprise_id" not in dict(parse_qsl(body))


def test_an_unchanged_button_click_round_trips_the_real_payload_byte_for_byte() -> None:
    body = block_action_body(
        "a", "click_me_123", "W111", "T111", "111.222", "C111", is_ephemeral=True
    )
    assert body == fixture("block_actions_button")["raw_body"]


def test_a_button_click_body_parses_as_bolt_sees_it() -> None:
    body = block_action_body(
        "transfer_approve", "T42", "UPI", "T9", "1700000000.000001", "CBUDGET",
        message={"text": "Transfer request", "blocks": []},
    )  # fmt: skip
    payload: dict[str, Any] = parse_body(body, "application/x-www-form-urlencoded")
    assert payload["type"] == "block_actions"
    assert payload["actions"][0]["action_id"] == "transfer_approve"
    assert payload["actions"][0]["value"] == "T42"
    assert (payload["user"]["id"], payload["team"]["id"]) == ("UPI", "T9")
    assert payload["container"]["message_ts"] == payload["message"]["ts"] == "1700000000.000001"
    assert payload["channel"]["id"] == "CBUDGET"


def test_an_unchanged_view_submission_round_trips_the_real_payload_byte_for_byte() -> None:
    real = fixture("view_submission")
    body = view_submission_body(
        "view-id", real["parsed"]["view"]["state"]["values"], "W111", "T111",
        private_metadata="This is for you!",
    )  # fmt: skip
    assert body == real["raw_body"]


async def test_a_real_bolt_app_runs_a_signed_command_and_refuses_a_forged_one(
    fake_slack: FakeSlack,
) -> None:
    app = AsyncApp(
        token="xoxb-test",
        signing_secret=SECRET,
        client=AsyncWebClient(token="xoxb-test", base_url=fake_slack.url),
    )
    seen: list[dict[str, Any]] = []

    @app.command("/allot")
    async def allot(ack: Any, command: dict[str, Any]) -> None:
        await ack()
        seen.append(command)

    body = slash_command_body("status gpu-lab", "U1", "T111")
    headers: dict[str, Any] = signed_headers(body, SECRET)
    ok = await app.async_dispatch(AsyncBoltRequest(body=body, headers=headers))
    assert ok.status == 200
    assert [c["text"] for c in seen] == ["status gpu-lab"]
    assert fake_slack.calls_to("auth.test")  # Bolt checked its token against the fake

    forged_headers: dict[str, Any] = signed_headers(body, "not-the-secret")
    forged = await app.async_dispatch(AsyncBoltRequest(body=body, headers=forged_headers))
    assert forged.status == 401
    assert json.loads(forged.body) == {"error": "invalid request"}
    assert len(seen) == 1
