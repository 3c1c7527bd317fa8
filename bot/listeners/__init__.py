"""Slack listeners, one per file, wired by each package's `register(app)`."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.listeners import actions, commands, events, views


def register_listeners(app: AsyncApp, command: str = "/allot") -> None:
    commands.register(app, command)
    actions.register(app)
    views.register(app)
    events.register(app)
