"""slack/manifest.yml (and its Socket Mode variant) cover everything the bot does: every Web API
method called anywhere in bot/ has its scopes, the slash command, the Home tab and its event,
and interactivity are configured."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from app.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
MANIFESTS = [ROOT / "slack" / "manifest.yml", ROOT / "slack" / "manifest-socket-mode.yml"]

#: Slack's documented bot scopes per Web API method (https://api.slack.com/methods). A method
#: the bot starts calling must be added here, which makes someone look up its scope.
METHOD_SCOPES: dict[str, set[str]] = {
    "chat.postMessage": {"chat:write"},
    "chat.update": {"chat:write"},
    "chat.postEphemeral": {"chat:write"},
    "chat.delete": {"chat:write"},
    "conversations.open": {"im:write"},
    "conversations.history": {"channels:history", "groups:history", "im:history"},
    "users.info": {"users:read"},
    "users.lookupByEmail": {"users:read.email"},
    "views.open": set(),
    "views.publish": set(),
    "views.update": set(),
    "views.push": set(),
    "auth.test": set(),
}

#: `client.chat_postMessage(` / `self.client.views_open(` … in the bot's source.
_CALL = re.compile(
    r"\.(chat|views|conversations|users|apps|auth|reactions|team|files|pins)_(\w+)\("
)


def called_methods() -> set[str]:
    methods: set[str] = set()
    for path in [*(ROOT / "bot").rglob("*.py"), ROOT / "app" / "main.py"]:
        for family, name in _CALL.findall(path.read_text()):
            methods.add(f"{family}.{name}")
    return methods


def load(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text())


def test_the_scan_finds_the_calls_it_must_cover() -> None:
    """The scan itself works: the calls we know of are found."""
    assert {"chat.postMessage", "chat.update", "views.open", "conversations.open"} <= (
        called_methods()
    )


@pytest.mark.parametrize("path", MANIFESTS, ids=lambda p: p.name)
def test_every_web_api_method_the_bot_calls_is_covered_by_a_scope(path: Path) -> None:
    scopes = set(load(path)["oauth_config"]["scopes"]["bot"])
    for method in sorted(called_methods()):
        assert method in METHOD_SCOPES, f"{method}: add its scopes to METHOD_SCOPES"
        missing = METHOD_SCOPES[method] - scopes
        assert not missing, f"{method} needs {sorted(missing)} in {path.name}"
    # users.info is asked for the e-mail (`/allot link`): that is its own scope
    assert "users:read.email" in scopes and "commands" in scopes


@pytest.mark.parametrize("path", MANIFESTS, ids=lambda p: p.name)
def test_the_manifest_has_the_command_home_tab_event_and_interactivity(path: Path) -> None:
    manifest = load(path)
    socket_mode = manifest["settings"]["socket_mode_enabled"]
    (command,) = manifest["features"]["slash_commands"]
    assert command["command"] == Settings().slack_command
    assert command["should_escape"] is True  # `/allot channel #name` gets the channel id
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    assert manifest["settings"]["event_subscriptions"]["bot_events"] == ["app_home_opened"]
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    urls = [
        command.get("url"),
        manifest["settings"]["event_subscriptions"].get("request_url"),
        manifest["settings"]["interactivity"].get("request_url"),
        manifest["settings"]["interactivity"].get("message_menu_options_url"),
    ]
    if socket_mode:
        assert urls == [None, None, None, None], "Socket Mode has no request URLs"
    else:
        assert all(u and u.endswith("/slack/events") for u in urls), urls


def test_the_two_manifests_differ_only_in_how_slack_reaches_allot() -> None:
    http, socket = (load(p) for p in MANIFESTS)
    assert http["oauth_config"] == socket["oauth_config"]
    assert http["features"]["app_home"] == socket["features"]["app_home"]
    assert (http["settings"]["socket_mode_enabled"], socket["settings"]["socket_mode_enabled"]) == (
        False,
        True,
    )
