"""A transfer's Slack message, pending or decided, built from GraphQL data."""

from __future__ import annotations

from typing import Any

from bot.blocks import (
    BeforeAfter,
    transfer_decided_blocks,
    transfer_request_blocks,
    transfer_summary,
)


def before_after(transfer: dict[str, Any]) -> BeforeAfter | None:
    """The server's preview (`Transfer.preview`), without the sides it left out."""
    preview = transfer.get("preview") or {}
    sides = {k: v for k, v in preview.items() if v}
    return sides or None  # type: ignore[return-value]


def message(transfer: dict[str, Any]) -> dict[str, Any]:
    """`text` and `blocks` for chat.postMessage / chat.update (Slack wants both)."""
    if transfer.get("status") == "PENDING":
        blocks = transfer_request_blocks(transfer, before_after(transfer))
    else:
        blocks = transfer_decided_blocks(transfer)
    return {"text": transfer_summary(transfer), "blocks": blocks}
