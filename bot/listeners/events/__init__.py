from __future__ import annotations

from slack_bolt.async_app import AsyncApp


def register(app: AsyncApp) -> None:
    from bot.listeners.events.app_home_opened import app_home_opened

    app.event("app_home_opened")(app_home_opened)
