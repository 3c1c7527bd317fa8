"""`approve <id>` and `reject <id> [note]`."""

from __future__ import annotations

from bot import operations as ops
from bot.blocks import decision_text, transfer_summary
from bot.commands import Approve, Reject
from bot.listeners.commands.turn import Turn


async def handle(turn: Turn, cmd: Approve | Reject) -> None:
    if isinstance(cmd, Approve):
        operation, field, note = ops.APPROVE_TRANSFER, "approveTransfer", None
    else:
        operation, field, note = ops.REJECT_TRANSFER, "rejectTransfer", cmd.note
    result = await turn.actor.mutate(
        operation, field, input={"transferId": cmd.transfer_id, "note": note}
    )
    transfer = result["transfer"]
    await turn.say(
        f"{transfer_summary(transfer)}. {decision_text(transfer)}",
        link=turn.link(transfer["id"]),
    )
