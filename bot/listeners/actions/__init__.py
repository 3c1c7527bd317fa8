from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.blocks import TRANSFER_APPROVE_ACTION_ID, TRANSFER_REJECT_ACTION_ID
from bot.blocks.ids import (
    ALERT_ACKNOWLEDGE_ACTION_ID,
    HOME_OPEN_WEB_ACTION_ID,
    HOME_REQUEST_TRANSFER_ACTION_ID,
    SPEND_BUDGET_ACTION_ID,
    TRANSFER_CANCEL_ACTION_ID,
)


def register(app: AsyncApp) -> None:
    from bot.listeners.actions.acknowledge import acknowledge_alert
    from bot.listeners.actions.approve import approve_button
    from bot.listeners.actions.decision import cancel
    from bot.listeners.actions.home import open_web_app, request_transfer_from_home
    from bot.listeners.actions.reject import reject_button
    from bot.listeners.actions.spend_budget import spend_budget_picked

    app.action(TRANSFER_APPROVE_ACTION_ID)(approve_button)
    app.action(TRANSFER_REJECT_ACTION_ID)(reject_button)
    app.action(TRANSFER_CANCEL_ACTION_ID)(cancel)
    app.action(SPEND_BUDGET_ACTION_ID)(spend_budget_picked)
    app.action(ALERT_ACKNOWLEDGE_ACTION_ID)(acknowledge_alert)
    app.action(HOME_REQUEST_TRANSFER_ACTION_ID)(request_transfer_from_home)
    app.action(HOME_OPEN_WEB_ACTION_ID)(open_web_app)
