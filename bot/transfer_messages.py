"""A transfer's Slack message, pending or decided, built from GraphQL data for one audience."""

from __future__ import annotations

from typing import Any

from bot.blocks import (
    BeforeAfter,
    transfer_decided_blocks,
    transfer_request_blocks,
    transfer_summary,
)
from bot.blocks.privacy import FULL, privacy_of


def before_after(transfer: dict[str, Any]) -> BeforeAfter | None:
    """The server's preview (`Transfer.preview`), without the sides it left out."""
    preview = transfer.get("preview") or {}
    sides = {k: v for k, v in preview.items() if v}
    return sides or None  # type: ignore[return-value]


def message(transfer: dict[str, Any], *, privacy: str) -> dict[str, Any]:
    """`text` and `blocks` for chat.postMessage / chat.update (Slack wants both).

    `privacy` is what the message's readers may see (`bot.blocks.privacy.privacy_for`); there
    is no default, so every caller decides who reads what it posts.
    """
    privacy = privacy_of(privacy)
    if transfer.get("status") == "PENDING":
        figures = before_after(transfer) if privacy == FULL else None
        blocks = transfer_request_blocks(transfer, figures, privacy=privacy)
    else:
        blocks = transfer_decided_blocks(transfer, privacy=privacy)
    return {"text": transfer_summary(transfer, privacy=privacy), "blocks": blocks}
