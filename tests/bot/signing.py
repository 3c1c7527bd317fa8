"""Signed Slack requests for tests, built from the real payloads in tests/data/.

Slash commands are form fields (`application/x-www-form-urlencoded`, spaces as "+").
Interactive payloads are `payload=` + the percent-quoted JSON, exactly as bolt-python's own
scenario tests build the fixtures (so an unchanged fixture round-trips byte for byte).
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import time
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

#: Copied byte for byte from the upstream tests (tests/data/SOURCES.md).
FIXTURES = Path(__file__).resolve().parents[1] / "data" / "slack_request_fixtures.json"


@cache
def _fixtures() -> dict[str, Any]:
    return json.loads(FIXTURES.read_text())


def fixture(name: str) -> Any:
    """A fresh copy of one entry of slack_request_fixtures.json."""
    return copy.deepcopy(_fixtures()[name])


def signature(body: str, secret: str, timestamp: int | str) -> str:
    """Slack's v0 signature: HMAC-SHA256 of "v0:{timestamp}:{body}" keyed by the signing secret."""
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def signed_headers(
    body: str, secret: str, timestamp: int | None = None, *, content_type: str | None = None
) -> dict[str, str]:
    """Headers Slack sends with `body`; the timestamp defaults to now (inside the 5-min window)."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    if content_type is None:
        json_body = body.lstrip().startswith("{")
        content_type = "application/json" if json_body else "application/x-www-form-urlencoded"
    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": signature(body, secret, ts),
    }


def _payload_body(payload: dict[str, Any]) -> str:
    return "payload=" + quote(json.dumps(payload))


def slash_command_body(
    text: str,
    user_id: str,
    team_id: str,
    command: str = "/allot",
    *,
    channel_id: str = "C111",
    response_url: str | None = None,
    trigger_id: str | None = None,
    **fields: str | None,
) -> str:
    """The fixture's slash command with these fields; a field set to None is left out."""
    form = dict(parse_qsl(fixture("slash_command")["raw_body"], keep_blank_values=True))
    overrides: dict[str, str | None] = {
        "text": text,
        "user_id": user_id,
        "team_id": team_id,
        "command": command,
        "channel_id": channel_id,
        "response_url": response_url,
        "trigger_id": trigger_id,
        **fields,
    }
    for key, value in overrides.items():
        if value is not None:
            form[key] = value
        elif key in fields:
            form.pop(key, None)
    return urlencode(form)


def block_action_body(
    action_id: str,
    value: str,
    user_id: str,
    team_id: str,
    message_ts: str,
    channel: str,
    *,
    block_id: str = "b",
    is_ephemeral: bool = False,
    message: dict[str, Any] | None = None,
    response_url: str | None = None,
    trigger_id: str | None = None,
    action_ts: str | None = None,
) -> str:
    """A button click on a message (the fixture's block_actions payload, overridden).

    Slack gives every click its own `trigger_id` and `action_ts`; pass them to make two clicks
    two different requests (an identical body in the same second is a replay)."""
    body = fixture("block_actions_button")["parsed"]
    body["user"]["id"] = user_id
    body["user"]["team_id"] = team_id
    body["team"]["id"] = team_id
    body["container"].update(message_ts=message_ts, channel_id=channel, is_ephemeral=is_ephemeral)
    body["channel"]["id"] = channel
    body["actions"][0].update(action_id=action_id, value=value, block_id=block_id)
    if response_url is not None:
        body["response_url"] = response_url
    if trigger_id is not None:
        body["trigger_id"] = trigger_id
    if action_ts is not None:
        body["actions"][0]["action_ts"] = action_ts
    if message is not None:
        body["message"] = {"ts": message_ts, **message}
    return _payload_body(body)


def view_submission_body(
    callback_id: str,
    state_values: dict[str, Any],
    user_id: str,
    team_id: str,
    *,
    private_metadata: str = "",
    blocks: list[dict[str, Any]] | None = None,
) -> str:
    """A modal submission (the fixture's view_submission payload, overridden)."""
    body = fixture("view_submission")["parsed"]
    body["user"]["id"] = user_id
    body["user"]["team_id"] = team_id
    body["team"]["id"] = team_id
    body["view"].update(
        callback_id=callback_id,
        state={"values": state_values},
        private_metadata=private_metadata,
        team_id=team_id,
    )
    if blocks is not None:
        body["view"]["blocks"] = blocks
    return _payload_body(body)
