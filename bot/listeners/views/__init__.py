from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.blocks import TRANSFER_MODAL_CALLBACK_ID


def register(app: AsyncApp) -> None:
    from bot.listeners.views.transfer_modal import transfer_submitted

    app.view(TRANSFER_MODAL_CALLBACK_ID)(transfer_submitted)
