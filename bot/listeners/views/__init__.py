from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.blocks import TRANSFER_MODAL_CALLBACK_ID
from bot.blocks.ids import (
    REJECT_NOTE_CALLBACK_ID,
    TRANSFER_BUDGET_ACTION_ID,
    TRANSFER_SOURCE_ACTION_ID,
    TRANSFER_TARGET_ACTION_ID,
)


def register(app: AsyncApp) -> None:
    from bot.listeners.views.reject_note import reject_note_submitted
    from bot.listeners.views.transfer_modal import transfer_submitted
    from bot.listeners.views.transfer_options import budget_suggestions, side_suggestions

    app.view(TRANSFER_MODAL_CALLBACK_ID)(transfer_submitted)
    app.view(REJECT_NOTE_CALLBACK_ID)(reject_note_submitted)
    app.options(TRANSFER_BUDGET_ACTION_ID)(budget_suggestions)
    app.options(TRANSFER_SOURCE_ACTION_ID)(side_suggestions)
    app.options(TRANSFER_TARGET_ACTION_ID)(side_suggestions)
