"""`uvicorn app.main:create --factory`: the app with workers and the Slack bot, from settings.

The factory runs in each server process (every uvicorn worker), so it is where the process's
logging is set up (app.logs: ALLOT_LOG_FORMAT, ALLOT_ACCESS_LOG).
"""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.applications import Starlette

from app import logs
from app.server import Worker, create_app
from app.settings import Settings, get_settings
from bot.config import SlackSettingsError, slack_settings_problem

__all__ = ["SlackSettingsError", "create", "slack_parts", "slack_settings_problem"]


def slack_parts(settings: Settings) -> tuple[Any, Any]:
    """The Bolt app and the outbox's Slack sink, or (None, None) without Slack settings.
    Half of them is a SlackSettingsError with one line to act on."""
    problem = slack_settings_problem(settings)
    if problem:
        raise SlackSettingsError(problem)
    if not settings.slack_signing_secret:
        return None, None
    from bot.app import build_app, web_client
    from bot.notifier import SlackNotifier

    client = web_client(settings)
    return build_app(settings, client=client), SlackNotifier(client, public_url=settings.public_url)


def outbox_workers(settings: Settings, notifier: Any) -> list[Worker]:
    """The outbox worker (Slack sink, then live subscribers) and, on PostgreSQL, the LISTEN
    side of the subscription fan-out."""
    from app.services.broker import broker
    from app.services.outbox import run_outbox_worker

    sinks = [notifier] if notifier is not None else []
    stop = asyncio.Event()  # never set: the lifespan cancels the tasks

    async def deliver() -> None:
        await run_outbox_worker(stop, sinks, settings.outbox_poll_seconds, broadcast=broker.publish)

    async def listen() -> None:
        await broker.listen(settings.database_url, stop)

    # Expiring pending transfers is the period scheduler's job (app.services.periods).
    return [deliver, listen]


def socket_mode_worker(slack_app: Any, app_token: str, api_url: str | None = None) -> Worker:
    """Socket Mode, for installations without a public URL: Slack's events arrive over a
    WebSocket the server opens (ALLOT_SLACK_APP_TOKEN, an xapp- token) instead of /slack/events.
    `api_url` (ALLOT_SLACK_API_URL) is where apps.connections.open, which hands out the
    WebSocket's address, is called (tests: a fake Slack)."""
    from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
    from slack_sdk.web.async_client import AsyncWebClient

    async def run() -> None:
        # Without a URL the handler uses the Bolt app's own client (slack.com).
        web_client = AsyncWebClient(token=app_token, base_url=api_url) if api_url else None
        handler = AsyncSocketModeHandler(slack_app, app_token, web_client=web_client)
        try:
            await handler.connect_async()
            await asyncio.Event().wait()  # until the lifespan cancels us
        finally:
            await handler.close_async()

    return run


def create(settings: Settings | None = None) -> Starlette:
    logs.configure()
    settings = settings or get_settings()
    try:
        slack_app, notifier = slack_parts(settings)
    except SlackSettingsError as exc:  # one line, not a traceback, from the server's start
        raise SystemExit(f"error: {exc}") from None
    workers = outbox_workers(settings, notifier) if settings.run_workers else []
    if slack_app is not None and settings.slack_app_token:
        workers.append(
            socket_mode_worker(slack_app, settings.slack_app_token, settings.slack_api_url)
        )
    if settings.run_workers:  # closes due periods, expires due transfers (app.services.periods)
        from app.services.holds import run_expiry_worker
        from app.services.periods import scheduler_worker

        workers.append(scheduler_worker(60.0))
        workers.append(run_expiry_worker)  # spend holds past their time lapse
    return create_app(settings, workers=workers, slack_app=slack_app)
