"""Whether the Slack settings work together, checked before anything Slack is imported (the
server's start and `allot serve` say what is missing in one line)."""

from __future__ import annotations

from app.settings import Settings


class SlackSettingsError(ValueError):
    """The Slack settings are half there: one line that names the ALLOT_ settings to fix."""


def slack_settings_problem(settings: Settings) -> str | None:
    """Why the Slack settings cannot work together, in one line; None: fine (or no Slack)."""
    secret, token, app_token = (
        settings.slack_signing_secret,
        settings.slack_bot_token,
        settings.slack_app_token,
    )
    if not (secret or token or app_token):
        return None
    guide = "(docs/slack.md, Set-up)"
    if app_token and not secret:
        return (
            "Slack: ALLOT_SLACK_APP_TOKEN (Socket Mode) is set but ALLOT_SLACK_SIGNING_SECRET is "
            "not; Socket Mode needs ALLOT_SLACK_SIGNING_SECRET and ALLOT_SLACK_BOT_TOKEN too "
            f"{guide}"
        )
    if token and not secret:
        return (
            "Slack: ALLOT_SLACK_BOT_TOKEN is set but ALLOT_SLACK_SIGNING_SECRET is not; set "
            "both (the signing secret is under Basic Information → App Credentials) or "
            f"neither {guide}"
        )
    if secret and not token:
        return (
            "Slack: ALLOT_SLACK_SIGNING_SECRET is set but ALLOT_SLACK_BOT_TOKEN (xoxb-…) is not; "
            "set both (the bot token is under OAuth & Permissions once the app is installed) "
            f"or neither {guide}"
        )
    if token and not token.startswith("xoxb-"):
        return f"Slack: ALLOT_SLACK_BOT_TOKEN must be a bot token (xoxb-…) {guide}"
    if app_token and not app_token.startswith("xapp-"):
        return f"Slack: ALLOT_SLACK_APP_TOKEN must be an app-level token (xapp-…) {guide}"
    return None
