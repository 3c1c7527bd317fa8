"""`uvicorn app.main:create --factory`: the app with workers and the Slack bot, from settings."""

from __future__ import annotations

from starlette.applications import Starlette

from app.server import create_app


def create() -> Starlette:
    return create_app()
