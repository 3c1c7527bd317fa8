"""Transfer requests as Slack messages: pending with Approve/Reject buttons, then decided.

`transfer` is a GraphQL `Transfer` as a dict: {"id", "from", "to" (Allocation dicts, None for the
pool), "amount", "reason", "status", "requestedBy", "decidedBy", "decidedAt", "createdAt"}, plus
an optional "note" (the decider's note) and "budget" ({"name", "currency"}, used when both
sides are the pool). Users are {"name", "email", "slackUserId"}; with a Slack id they are mentioned.

`privacy` (bot/blocks/privacy.py) says what a message may show: FULL adds each side's remaining,
status and runway (before → after); AMOUNTS shows the requested amount and no balance; NONE
shows no money figure at all. The builders never read a figure the setting leaves out.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any, TypedDict

from bot.blocks._format import (
    FIELD_TEXT_LIMIT,
    button,
    clip,
    context,
    currency_of,
    escape,
    money,
    plain,
    project_name,
    runway,
    section,
    side_name,
    slack_date,
    status_badge,
    user_ref,
)
from bot.blocks.ids import (
    TRANSFER_APPROVE_ACTION_ID,
    TRANSFER_CANCEL_ACTION_ID,
    TRANSFER_REJECT_ACTION_ID,
    transfer_actions_block_id,
)
from bot.blocks.privacy import FULL, NONE, privacy_of


class SideFigures(TypedDict, total=False):
    remaining: str
    status: str
    runwayDays: float | None


class SideChange(TypedDict, total=False):
    before: SideFigures
    after: SideFigures


#: {"from": SideChange, "to": SideChange}; a missing side shows its current figures only.
BeforeAfter = dict[str, SideChange]

_DECISIONS = {
    "APPLIED": ":white_check_mark: Approved",
    "REJECTED": ":x: Rejected",
    "CANCELLED": ":heavy_multiplication_x: Cancelled",
    "EXPIRED": ":hourglass: Expired",
    "FAILED": ":warning: Failed",
    "PENDING": ":hourglass_flowing_sand: Pending",
}

#: A decider's note as shown (after escaping): whole in Allot, cut in Slack.
NOTE_LIMIT = 1500

_OUTCOMES = {
    "APPLIED": "approved",
    "REJECTED": "rejected",
    "CANCELLED": "cancelled",
    "EXPIRED": "expired",
    "FAILED": "failed",
}


def _currency(transfer: dict[str, Any]) -> str | None:
    return (
        currency_of(transfer.get("from"))
        or currency_of(transfer.get("to"))
        or (transfer.get("budget") or {}).get("currency")
    )


def _change(label: str, before: str, after: str | None) -> str:
    return (
        f"{label} {before}" if after is None or after == before else f"{label} {before} → {after}"
    )


def _side_text(
    role: str,
    allocation: dict[str, Any] | None,
    change: SideChange | None,
    currency: str | None,
    pool: bool | None = True,
) -> str:
    lines = [f"*{role}: {project_name(allocation, pool=pool)}*"]
    now: SideFigures = change.get("before", {}) if change else {}
    if not now and allocation:
        now = {
            "remaining": allocation.get("remaining", ""),
            "status": allocation.get("status", ""),
            "runwayDays": allocation.get("runwayDays"),
        }
    if not now:
        lines.append("Unallocated money of the budget")
        return "\n".join(lines)
    after: SideFigures | None = change.get("after") if change else None
    lines.append(
        _change(
            "Remaining",
            money(now.get("remaining"), currency),
            money(after.get("remaining"), currency) if after else None,
        )
    )
    lines.append(
        _change(
            "",
            status_badge(now.get("status")),
            status_badge(after.get("status")) if after else None,
        ).strip()
    )
    lines.append(
        _change(
            "Runway",
            runway(now.get("runwayDays")),
            runway(after.get("runwayDays")) if after else None,
        )
    )
    return clip("\n".join(lines), FIELD_TEXT_LIMIT)


def _quote(text: str) -> str:
    quoted = "\n".join(f"> {line}" for line in escape(text).splitlines() or [""])
    if len(quoted) > 2900:  # a section holds 3000 characters; don't cut an entity in half
        quoted = re.sub(r"&[a-z]*$", "", quoted[:2900]) + "…"
    return quoted


def _sides(transfer: dict[str, Any]) -> str:
    return f"*{side_name(transfer, 'from')}* to *{side_name(transfer, 'to')}*"


def budget_name(transfer: dict[str, Any]) -> str | None:
    """The budget's name: the transfer's `budget` (set by the notifier) or a side's."""
    for found in (
        transfer.get("budget"),
        (transfer.get("from") or {}).get("budget"),
        (transfer.get("to") or {}).get("budget"),
    ):
        if found and found.get("name"):
            return str(found["name"])
    return None


def _in_budget(transfer: dict[str, Any]) -> str:
    name = budget_name(transfer)
    return f" in *{escape(name)}*" if name else ""


def cannot_cover(transfer: dict[str, Any], before_after: BeforeAfter | None) -> bool:
    """Would the source go below zero (the pool's shortfall is the API's to refuse)?"""
    after = ((before_after or {}).get("from") or {}).get("after") or {}
    remaining = after.get("remaining")
    if remaining is None:
        source = transfer.get("from") or {}
        if source.get("remaining") is None or transfer.get("amount") is None:
            return False
        try:
            return Decimal(str(source["remaining"])) < Decimal(str(transfer["amount"]))
        except ArithmeticError:
            return False
    try:
        return Decimal(str(remaining)) < 0
    except ArithmeticError:
        return False


def _headline(transfer: dict[str, Any], title: str, privacy: str) -> str:
    """Who asks to move what where; under NONE without the amount."""
    who = user_ref(transfer.get("requestedBy"))
    if privacy == NONE:
        asks = "asks" if transfer.get("status", "PENDING") == "PENDING" else "asked"
        return (
            f"{title}\n{who} {asks} to move money from {_sides(transfer)}"
            f"{_in_budget(transfer)} — open Allot to see the amount"
        )
    amount = money(transfer.get("amount"), _currency(transfer))
    return f"{title} from {who}\n*{amount}* from {_sides(transfer)}{_in_budget(transfer)}"


def _figures(transfer: dict[str, Any], before_after: BeforeAfter | None) -> dict[str, Any]:
    """Both sides' remaining, status and runway (FULL only)."""
    currency = _currency(transfer)
    changes = before_after or {}
    return {
        "type": "section",
        "fields": [
            {
                "type": "mrkdwn",
                "text": _side_text(
                    "From",
                    transfer.get("from"),
                    changes.get("from"),
                    currency,
                    transfer.get("fromPool"),
                ),
            },
            {
                "type": "mrkdwn",
                "text": _side_text(
                    "To", transfer.get("to"), changes.get("to"), currency, transfer.get("toPool")
                ),
            },
        ],
    }


def _body(
    transfer: dict[str, Any], before_after: BeforeAfter | None, title: str, privacy: str
) -> list[dict[str, Any]]:
    privacy = privacy_of(privacy)
    blocks = [
        section(_headline(transfer, title, privacy)),
        section(_quote(str(transfer.get("reason") or "(no reason given)"))),
    ]
    if privacy == FULL:
        blocks.append(_figures(transfer, before_after))
        if transfer.get("status", "PENDING") == "PENDING" and cannot_cover(transfer, before_after):
            blocks.append(
                section(
                    ":warning: *The source cannot cover this amount*: approving it would "
                    "take the source below zero, so Allot will refuse it."
                )
            )
    blocks.append(
        context(
            f"Requested {slack_date(transfer.get('createdAt'))} · "
            f"Transfer `{escape(transfer.get('id', '?'))}`"
        )
    )
    return blocks


def _approve_confirm(transfer: dict[str, Any], privacy: str) -> dict[str, Any]:
    """Block Kit's `confirm` dialog on Approve: what moves where, in the message's privacy."""
    if privacy_of(privacy) == NONE:
        what = "this transfer"
    else:
        what = money(transfer.get("amount"), _currency(transfer))
    sides = f"{side_name(transfer, 'from')} to {side_name(transfer, 'to')}"
    return {
        "title": plain("Approve this transfer?", 100),
        "text": {"type": "mrkdwn", "text": clip(f"Move {what} from {sides} now?", 300)},
        "confirm": plain("Approve", 30),
        "deny": plain("Not yet", 30),
    }


def approve_reject_actions(
    transfer_id: str, transfer: dict[str, Any] | None = None, privacy: str = FULL
) -> dict[str, Any]:
    """The Approve (with a confirmation dialog) and Reject (opens a note form) buttons; both
    carry the transfer id as their value."""
    approve = button("Approve", TRANSFER_APPROVE_ACTION_ID, transfer_id, style="primary")
    approve["confirm"] = _approve_confirm(transfer or {"id": transfer_id}, privacy)
    return {
        "type": "actions",
        "block_id": transfer_actions_block_id(transfer_id),
        "elements": [
            approve,
            button("Reject", TRANSFER_REJECT_ACTION_ID, transfer_id, style="danger"),
        ],
    }


def cancel_actions(transfer_id: str) -> dict[str, Any]:
    """The requester's Cancel button on their own pending request."""
    return {
        "type": "actions",
        "block_id": f"transfer_cancel:{transfer_id}",
        "elements": [
            button(
                "Cancel request",
                TRANSFER_CANCEL_ACTION_ID,
                transfer_id,
                confirm={
                    "title": plain("Cancel this request?", 100),
                    "text": {"type": "mrkdwn", "text": "The owners will no longer see it."},
                    "confirm": plain("Cancel it", 30),
                    "deny": plain("Keep it", 30),
                },
            )
        ],
    }


def transfer_request_blocks(
    transfer: dict[str, Any], before_after: BeforeAfter | None = None, *, privacy: str = FULL
) -> list[dict[str, Any]]:
    """A pending request with its buttons. FULL by default: for a reader who may see all of
    it (App Home, an owner's DM); posts to a channel pass the budget's setting."""
    blocks = _body(transfer, before_after, ":arrows_counterclockwise: *Transfer request*", privacy)
    blocks.append(approve_reject_actions(str(transfer["id"]), transfer, privacy))
    return blocks


def decision_text(transfer: dict[str, Any]) -> str:
    """'Approved by <@U…> at …', 'Rejected by … at … — note', or what else became of it."""
    status = str(transfer.get("status") or "PENDING")
    line = _DECISIONS.get(status, f":grey_question: {escape(status.title())}")
    if status == "PENDING":
        return f"{line}: waiting for a budget owner"
    if transfer.get("decidedBy"):
        line += f" by {user_ref(transfer['decidedBy'])}"
    line += f" at {slack_date(transfer.get('decidedAt') or transfer.get('createdAt'))}"
    note = transfer.get("note") or transfer.get("decisionNote")
    if note:
        line += f" — {clip(escape(note), NOTE_LIMIT)}"
    return line


def transfer_decided_blocks(
    transfer: dict[str, Any], before_after: BeforeAfter | None = None, *, privacy: str = FULL
) -> list[dict[str, Any]]:
    """The request as it was, without buttons, and the decision underneath."""
    blocks = _body(transfer, before_after, ":arrows_counterclockwise: *Transfer*", privacy)
    blocks.append(section(decision_text(transfer)))
    return blocks


def transfer_summary(transfer: dict[str, Any], *, privacy: str = FULL) -> str:
    """Fallback `text` for notifications, next to the blocks (NONE: without the amount)."""
    status = str(transfer.get("status") or "PENDING")
    what = (
        "Transfer request" if status == "PENDING" else f"Transfer {_OUTCOMES.get(status, status)}"
    )
    sides = f"{side_name(transfer, 'from')} to {side_name(transfer, 'to')}"
    if privacy_of(privacy) == NONE:
        return f"{what}: money from {sides}"
    return f"{what}: {money(transfer.get('amount'), _currency(transfer))} from {sides}"
