from __future__ import annotations

from typing import Any

from bot.listeners.actions.decision import open_reject_note


async def reject_button(ack: Any, body: dict[str, Any], client: Any, context: Any) -> None:
    """Reject opens a small form for an optional note; its submission rejects."""
    await open_reject_note(ack, body, client, context)
