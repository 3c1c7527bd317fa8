from __future__ import annotations

from slack_bolt.async_app import AsyncApp


def register(app: AsyncApp, command: str = "/allot") -> None:
    from bot.listeners.commands.allot_command import allot_command

    app.command(command)(allot_command)
