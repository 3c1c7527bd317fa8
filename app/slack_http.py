"""The HTTP door of the Slack bot: `/slack/events` in front of the Bolt app."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


def slack_routes(slack_app: Any) -> list[Route]:
    """`POST /slack/events` handed to Bolt, which verifies the signature."""
    from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler

    handler = AsyncSlackRequestHandler(slack_app)

    async def slack_events(request: Request) -> Response:
        return await handler.handle(request)

    return [Route("/slack/events", slack_events, methods=["POST"])]
