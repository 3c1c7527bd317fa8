"""Build the Bolt app: signature verification, the guard, the listeners, the error handler."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from app.settings import Settings
from bot.guard import build_guard
from bot.listeners import register_listeners

logger = logging.getLogger("allot.bot")


def web_client(settings: Settings) -> AsyncWebClient:
    """The Web API client; ALLOT_SLACK_API_URL points it elsewhere (tests: a fake Slack)."""
    if settings.slack_api_url:
        return AsyncWebClient(token=settings.slack_bot_token, base_url=settings.slack_api_url)
    return AsyncWebClient(token=settings.slack_bot_token)


def build_app(
    settings: Settings,
    *,
    client: AsyncWebClient | None = None,
    schema: Any = None,
    request_verification_enabled: bool = True,
) -> AsyncApp:
    if schema is None:
        from schema import schema as default_schema

        schema = default_schema
    app = AsyncApp(
        signing_secret=settings.slack_signing_secret,
        client=client or web_client(settings),
        request_verification_enabled=request_verification_enabled,
        process_before_response=False,
        logger=logging.getLogger("allot.bot.bolt"),
    )
    app.use(
        build_guard(
            schema,
            settings.slack_team_id,
            settings.slack_command,
            public_url=settings.public_url,
        )
    )
    register_listeners(app, settings.slack_command)

    @app.error
    async def on_error(error: Exception, body: dict[str, Any]) -> None:
        logger.error(
            "unhandled error in a Slack listener (%s)",
            body.get("type") or body.get("command"),
            exc_info=error,
        )

    return app
