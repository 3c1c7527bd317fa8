"""A transfer's Slack message, pending or decided, built from GraphQL data for one audience."""

from __future__ import annotations

from typing import Any

from bot.blocks import (
    BeforeAfter,
    transfer_decided_blocks,
    transfer_request_blocks,
    transfer_summary,
)
from bot.blocks._format import MESSAGE_TEXT_LIMIT, clip, context
from bot.blocks.privacy import FULL, privacy_of
from bot.links import open_link


def before_after(transfer: dict[str, Any]) -> BeforeAfter | None:
    """The server's preview (`Transfer.preview`), without the sides it left out."""
    preview = transfer.get("preview") or {}
    sides = {k: v for k, v in preview.items() if v}
    return sides or None  # type: ignore[return-value]


def message(
    transfer: dict[str, Any],
    *,
    privacy: str,
    budget: dict[str, Any] | None = None,
    public_url: str | None = None,
) -> dict[str, Any]:
    """`text` and `blocks` for chat.postMessage / chat.update (Slack wants both).

    `privacy` is what the message's readers may see (`bot.blocks.privacy.privacy_for`); there
    is no default, so every caller decides who reads what it posts. With the web app's address
    (`public_url`) the message links to the transfer's page there.
    """
    privacy = privacy_of(privacy)
    if budget and budget.get("name"):  # the approval request names its budget
        transfer = {**transfer, "budget": {"name": budget["name"], **budget}}
    if transfer.get("status") == "PENDING":
        figures = before_after(transfer) if privacy == FULL else None
        blocks = transfer_request_blocks(transfer, figures, privacy=privacy)
        approvers = [
            f"<@{o['slackUserId']}>"
            for o in (budget or {}).get("owners") or []
            if o.get("slackUserId")
        ]
        if approvers:  # the owners get a notification where the request is posted
            blocks.insert(-1, context("Approvers: " + ", ".join(approvers[:20])))
    else:
        blocks = transfer_decided_blocks(transfer, privacy=privacy)
    link = open_link(public_url, transfer.get("id"))
    if link:
        at = len(blocks) - 1 if transfer.get("status") == "PENDING" else len(blocks)
        blocks.insert(at, context(link))
    text = clip(transfer_summary(transfer, privacy=privacy), MESSAGE_TEXT_LIMIT)
    return {"text": text, "blocks": blocks}
