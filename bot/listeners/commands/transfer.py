"""`transfer 5000 from a to b because …`, and a bare `transfer` that opens the form."""

from __future__ import annotations

import json
from typing import Any

from bot import operations as ops
from bot import resolve
from bot.blocks import decision_text, transfer_summary
from bot.blocks.modal import transfer_form
from bot.commands import Transfer
from bot.listeners.commands.turn import Turn


def transfer_input(
    amount: str, reason: str, source: str | None, target: str | None, budget_id: str | None
) -> dict[str, Any]:
    data: dict[str, Any] = {"amount": amount, "reason": reason, "budgetId": budget_id}
    data["fromAllocationId" if source else "fromPool"] = source or True
    data["toAllocationId" if target else "toPool"] = target or True
    return data


def requested_text(transfer: dict[str, Any]) -> str:
    """What the requester is told right after asking."""
    summary = transfer_summary(transfer)
    if transfer["status"] == "PENDING":
        return (
            f":outbox_tray: {summary}. Sent to the budget's owners for approval "
            f"(transfer `{transfer['id']}`); I'll tell you when it's decided."
        )
    return f"{summary}. {decision_text(transfer)}"  # decision_text brings its own emoji


async def handle(turn: Turn, cmd: Transfer) -> None:
    source, target, budget_id = await resolve.transfer_sides(turn.actor, cmd.source, cmd.target)
    result = await turn.actor.mutate(
        ops.REQUEST_TRANSFER,
        "requestTransfer",
        input=transfer_input(str(cmd.amount), cmd.reason, source, target, budget_id),
    )
    transfer = result["transfer"]
    await turn.say(requested_text(transfer), link=turn.link(transfer["id"]))


def modal_allocations(refs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "id": r["id"],
            "project": {"name": r["projectName"], "slug": r["projectSlug"]},
            "budget": {"name": r["budgetName"], "currency": r["currency"]},
        }
        for r in refs
    ]


async def open_modal(turn: Turn) -> None:
    """The form opens at once, before any database work (Slack's trigger_id lasts 3 seconds);
    its pickers load their options as the user types (bot/listeners/views/transfer_options.py)."""
    view = transfer_form(private_metadata=json.dumps({"channel": turn.body.get("channel_id")}))
    await turn.client.views_open(trigger_id=turn.body.get("trigger_id"), view=view)
