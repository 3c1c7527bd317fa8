from __future__ import annotations

from typing import Any

from bot.listeners.actions.decision import decide


async def approve_button(ack: Any, body: dict[str, Any], client: Any, context: Any) -> None:
    await decide(ack, body, client, context, approve=True)
