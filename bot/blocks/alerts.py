"""Alerts as Slack messages, for one audience (see bot/blocks/privacy.py).

`payload` is the outbox event's: {"alertId", "allocationId", "kind", "threshold", "message"}; its
`message` is the service's own text, which names the allocation's amount, so it is shown only
where FULL is. `allocation` is a GraphQL `Allocation` ({"project": {"name"}}) or None when it is
gone, `budget` a GraphQL `Budget` ({"name", "currency"}), and `alert` a GraphQL `Alert` (its
figures when it was raised: spent, remaining, projectedSpend, percentUsed) or None.

`alert_message` is the whole message: a severity (warning below 100% used, critical at 100%,
when the envelope is exhausted or its forecast overruns), the figures the audience may see
(FULL: spent, remaining, projection, with the budget's currency through the bot's one amount
formatter; AMOUNTS: the percentage only; NONE: no number), links to the web app when its public
URL is set, and an Acknowledge button while the alert is OPEN. Once acknowledged the button
gives way to "Acknowledged by …" (`acknowledged_blocks`).
"""

from __future__ import annotations

import math
import re
from typing import Any

from bot.blocks._format import (
    FIELD_TEXT_LIMIT,
    MESSAGE_TEXT_LIMIT,
    button,
    clip,
    context,
    escape,
    money,
    section,
    user_ref,
)
from bot.blocks.ids import ALERT_ACKNOWLEDGE_ACTION_ID, ALERT_ACTIONS_BLOCK_ID
from bot.blocks.privacy import FULL, NONE, privacy_of
from bot.links import alerts_url, mrkdwn_link, open_link

WARNING, CRITICAL, INFO = "WARNING", "CRITICAL", "INFO"
_SEVERITY = {
    WARNING: (":warning:", "Warning"),
    CRITICAL: (":rotating_light:", "Critical"),
    INFO: (":information_source:", "Notice"),
}
_EMOJI = re.compile(r"^:[a-z_]+: ")


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


def _number(value: object) -> float | None:
    try:
        number = float(str(value))
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def severity(payload: dict[str, Any], alert: dict[str, Any] | None) -> str:
    """CRITICAL at 100% used or more, with nothing left, or a forecast over the allocation;
    INFO for a closed period; WARNING otherwise (a threshold below 100%, pace, …)."""
    alert = alert or {}
    kind = str(alert.get("kind") or payload.get("kind") or "THRESHOLD")
    if kind == "PERIOD_CLOSED":
        return INFO
    if kind == "FORECAST_OVERRUN":
        return CRITICAL
    threshold = _threshold(payload)
    if threshold is None and isinstance(alert.get("threshold"), int):
        threshold = alert["threshold"]
    percent = _number(alert.get("percentUsed"))
    remaining = _number(alert.get("remaining"))
    if (threshold is not None and threshold >= 100) or (percent is not None and percent >= 100):
        return CRITICAL
    if remaining is not None and remaining <= 0 and alert.get("allocated") not in (None, ""):
        return CRITICAL
    return WARNING


def alert_actions_block_id(alert_id: str) -> str:
    return f"{ALERT_ACTIONS_BLOCK_ID}:{alert_id}"


def _percent(alert: dict[str, Any], payload: dict[str, Any]) -> str | None:
    percent = _number(alert.get("percentUsed"))
    if percent is not None:
        return f"{math.floor(percent)}%"
    threshold = _threshold(payload)
    return None if threshold is None else f"{threshold}%"


def _figures(
    alert: dict[str, Any], payload: dict[str, Any], currency: str | None, privacy: str
) -> list[dict[str, Any]]:
    """Section fields: FULL every figure, AMOUNTS the percentage, NONE nothing."""
    if privacy == NONE:
        return []
    fields: list[str] = []
    used = _percent(alert, payload)
    if privacy == FULL:
        for label, key in (
            ("Spent", "spent"),
            ("Remaining", "remaining"),
            ("Projected", "projectedSpend"),
            ("Allocated", "allocated"),
        ):
            if alert.get(key) not in (None, ""):
                fields.append(f"*{label}*\n{money(alert[key], currency)}")
        if alert.get("exhaustionDate"):
            fields.append(f"*Runs out*\n{escape(alert['exhaustionDate'])}")
    if used is not None:
        fields.append(f"*Used*\n{used}")
    return [{"type": "mrkdwn", "text": clip(f, FIELD_TEXT_LIMIT)} for f in fields[:10]]


def alert_links(
    public_url: str | None, budget: dict[str, Any], allocation: dict[str, Any] | None
) -> str:
    """Links to the budget's page and the project's, or "" without a public URL."""
    parts = [
        open_link(
            public_url,
            budget.get("id"),
            f"Open {escape(budget.get('name') or 'the budget')} in Allot",
        )
    ]
    project = (allocation or {}).get("project") or {}
    if project.get("id"):
        parts.append(
            open_link(public_url, project["id"], escape(project.get("name") or "the project"))
        )
    parts.append(mrkdwn_link(alerts_url(public_url), "All alerts"))
    return " · ".join(p for p in parts if p)


def alert_message(
    payload: dict[str, Any],
    allocation: dict[str, Any] | None,
    budget: dict[str, Any],
    alert: dict[str, Any] | None,
    *,
    privacy: str,
    public_url: str | None = None,
    body: str | None = None,
) -> dict[str, Any]:
    """`text` and `blocks` of an alert for chat.postMessage, for readers who may see `privacy`.

    `body` replaces the sentence (kind_text for a non-threshold alert where figures may not be
    shown); by default it is `alert_text`."""
    privacy = privacy_of(privacy)
    alert = alert or {}
    level = severity(payload, alert)
    emoji, label = _SEVERITY[level]
    sentence = (
        body if body is not None else alert_text(payload, allocation, budget, privacy=privacy)
    )
    sentence = _EMOJI.sub("", sentence)
    text = clip(f"{emoji} {sentence}", MESSAGE_TEXT_LIMIT)
    blocks: list[dict[str, Any]] = [section(f"{emoji} *{label}* · {sentence}")]
    fields = _figures(alert, payload, budget.get("currency"), privacy)
    if fields:
        blocks.append({"type": "section", "fields": fields})
    links = alert_links(public_url, budget, allocation)
    if links:
        blocks.append(context(links))
    alert_id = alert.get("id") or payload.get("alertId")
    if alert.get("state") == "ACKNOWLEDGED":
        blocks.append(context(acknowledged_line(alert.get("acknowledgedBy"))))
    elif alert.get("id") and alert.get("state", "OPEN") == "OPEN":
        blocks.append(
            {
                "type": "actions",
                "block_id": alert_actions_block_id(str(alert_id)),
                "elements": [
                    button(
                        "Acknowledge", ALERT_ACKNOWLEDGE_ACTION_ID, str(alert_id), style="primary"
                    )
                ],
            }
        )
    return {"text": text, "blocks": blocks}


def acknowledged_line(user: dict[str, Any] | None) -> str:
    return f":white_check_mark: Acknowledged by {user_ref(user)}"


def acknowledged_blocks(
    blocks: list[dict[str, Any]], alert_id: str, user: dict[str, Any] | None
) -> list[dict[str, Any]]:
    """The posted alert's blocks with its Acknowledge button replaced by who acknowledged it
    (the rest, already within the channel's privacy setting, kept as it was)."""
    kept = [
        b
        for b in blocks
        if b.get("block_id") != alert_actions_block_id(alert_id)
        and not str((b.get("elements") or [{}])[0].get("text", "")).startswith(
            ":white_check_mark: Acknowledged by"
        )
    ]
    return [*kept, context(acknowledged_line(user))]
