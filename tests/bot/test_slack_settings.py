"""Half a Slack configuration is one clear line at start-up, naming the ALLOT_ settings."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from app.cli import app as cli_app
from app.main import SlackSettingsError, create, slack_parts, slack_settings_problem
from app.settings import Settings, get_settings

CASES = [
    (
        {"slack_bot_token": "xoxb-1"},
        "ALLOT_SLACK_BOT_TOKEN is set but ALLOT_SLACK_SIGNING_SECRET is not",
    ),
    (
        {"slack_signing_secret": "s"},
        "ALLOT_SLACK_SIGNING_SECRET is set but ALLOT_SLACK_BOT_TOKEN (xoxb-…) is not",
    ),
    (
        {"slack_app_token": "xapp-1", "slack_bot_token": "xoxb-1"},
        "ALLOT_SLACK_APP_TOKEN (Socket Mode) is set but ALLOT_SLACK_SIGNING_SECRET is not",
    ),
    ({"slack_signing_secret": "s", "slack_bot_token": "xapp-1"}, "must be a bot token (xoxb-…)"),
]


@pytest.mark.parametrize(("values", "expected"), CASES)
def test_half_a_configuration_is_one_line_naming_the_settings(values, expected) -> None:
    settings = Settings(run_workers=False, **values)
    problem = slack_settings_problem(settings)
    assert problem is not None and expected in problem
    assert "\n" not in problem and "SLACK_BOT_TOKEN" not in problem.replace("ALLOT_SLACK_", "")
    with pytest.raises(SlackSettingsError, match="ALLOT_SLACK_"):
        slack_parts(settings)
    with pytest.raises(SystemExit, match=r"^error: Slack: ALLOT_SLACK_"):
        create(settings)


@pytest.mark.parametrize(
    "values",
    [
        {},
        {"slack_signing_secret": "s", "slack_bot_token": "xoxb-1"},
        {"slack_signing_secret": "s", "slack_bot_token": "xoxb-1", "slack_app_token": "xapp-1"},
    ],
)
def test_none_or_all_of_it_is_fine(values) -> None:
    assert slack_settings_problem(Settings(run_workers=False, **values)) is None


def test_allot_serve_says_it_in_one_line_before_starting(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("ALLOT_DATABASE_URL", f"sqlite://{tmp_path / 'x.db'}")
    monkeypatch.setenv("ALLOT_SLACK_SIGNING_SECRET", "s")
    monkeypatch.delenv("ALLOT_SLACK_BOT_TOKEN", raising=False)
    monkeypatch.delenv("ALLOT_SLACK_APP_TOKEN", raising=False)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli_app, ["serve", "--port", "1"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: Slack: ALLOT_SLACK_SIGNING_SECRET")
