from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.blocks import TRANSFER_APPROVE_ACTION_ID, TRANSFER_REJECT_ACTION_ID
from bot.blocks.ids import SPEND_BUDGET_ACTION_ID, TRANSFER_CANCEL_ACTION_ID


def register(app: AsyncApp) -> None:
    from bot.listeners.actions.approve import approve_button
    from bot.listeners.actions.decision import cancel
    from bot.listeners.actions.reject import reject_button
    from bot.listeners.actions.spend_budget import spend_budget_picked

    app.action(TRANSFER_APPROVE_ACTION_ID)(approve_button)
    app.action(TRANSFER_REJECT_ACTION_ID)(reject_button)
    app.action(TRANSFER_CANCEL_ACTION_ID)(cancel)
    app.action(SPEND_BUDGET_ACTION_ID)(spend_budget_picked)
