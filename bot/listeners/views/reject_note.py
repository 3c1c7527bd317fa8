"""Reject's note form submitted: reject as the submitter, then update the clicked message."""

from __future__ import annotations

import json
from typing import Any

from bot.blocks.modal import read_reject_note
from bot.listeners.actions.decision import decide


async def reject_note_submitted(ack: Any, body: dict[str, Any], client: Any, context: Any) -> None:
    view = body["view"]
    meta = json.loads(view.get("private_metadata") or "{}")
    note = read_reject_note(view["state"]["values"])
    payload = {
        **body,
        "_transfer_id": meta["transfer"],
        "container": {"type": "view"} if meta.get("view") else {},
    }
    await decide(
        ack,
        payload,
        client,
        context,
        approve=False,
        note=note,
        channel=meta.get("channel"),
        ts=meta.get("ts"),
    )
