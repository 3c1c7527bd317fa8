"""Threshold alerts as Slack text, for one audience (see bot/blocks/privacy.py).

`payload` is the outbox event's: {"allocationId", "threshold", "message"}; its `message` is the
service's own text, which names the allocation's amount, so it is shown only where FULL is.
`allocation` is a GraphQL `Allocation` ({"project": {"name"}}) or None when it is gone, and
`budget` a GraphQL `Budget` ({"name"}).
"""

from __future__ import annotations

from typing import Any

from bot.blocks._format import escape
from bot.blocks.privacy import FULL, NONE, privacy_of


def _project(allocation: dict[str, Any] | None) -> str:
    project = (allocation or {}).get("project") or {}
    return escape(project.get("name") or project.get("slug") or "A project")


def _threshold(payload: dict[str, Any]) -> int | None:
    value = payload.get("threshold")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def alert_text(
    payload: dict[str, Any],
    allocation: dict[str, Any] | None,
    budget: dict[str, Any],
    *,
    privacy: str,
) -> str:
    """FULL: the alert as the service wrote it (with amounts); AMOUNTS: the percentage only;
    NONE: no number at all."""
    privacy = privacy_of(privacy)
    message = payload.get("message")
    if privacy == FULL and isinstance(message, str) and message:
        return f":warning: {escape(message)}"
    where = f" in {escape(budget['name'])}" if budget.get("name") else ""
    threshold = _threshold(payload)
    if privacy != NONE and threshold is not None:
        return f":warning: {_project(allocation)} has used {threshold}% of its allocation{where}"
    return (
        f":warning: {_project(allocation)} has passed an alert threshold of its allocation"
        f"{where} — open Allot to see the figures"
    )
