"""A budget channel's scheduled digest (daily or weekly): spent, pace, top movers and pending
requests, for one audience (bot/blocks/privacy.py).

`budget` is the GraphQL `Budget` of `BUDGET_DIGEST` (figures, forecast, the current envelopes
and up to 5 pending requests); `payload` the `budget.digest` event's ({"frequency", "since",
"until", "movers": [{"allocationId", "spentMicros"}]}: the envelopes that spent most since the
previous digest). FULL shows every figure; AMOUNTS the percentage used and the amounts of the
requests, no balance or project spend; NONE no money figure at all (names and counts only).
"""

from __future__ import annotations

import math
from typing import Any

from app.domain.money import from_micros
from bot.blocks._format import (
    MESSAGE_TEXT_LIMIT,
    clip,
    context,
    escape,
    header,
    money,
    section,
)
from bot.blocks.privacy import FULL, NONE, privacy_of
from bot.blocks.transfers import transfer_summary
from bot.links import open_link
from schema.ids import encode


def _percent(value: object) -> str | None:
    try:
        number = float(str(value))
    except (TypeError, ValueError):
        return None
    return f"{math.floor(number)}%" if math.isfinite(number) else None


def _movers(budget: dict[str, Any], payload: dict[str, Any], privacy: str) -> list[str]:
    names = {
        a["id"]: (a.get("project") or {}).get("name") or "?"
        for a in (budget.get("allocations") or {}).get("nodes") or []
    }
    lines = []
    for mover in payload.get("movers") or []:
        name = names.get(encode("Allocation", int(mover.get("allocationId") or 0)))
        if name is None:
            continue  # an envelope of an earlier period, or one this reader cannot see
        line = f"• {escape(name)}"
        if privacy == FULL:
            spent = from_micros(int(mover.get("spentMicros") or 0))
            line += f" — {money(str(spent), budget.get('currency'))}"
        lines.append(line)
    return lines


def budget_digest_message(
    budget: dict[str, Any],
    payload: dict[str, Any],
    *,
    privacy: str,
    public_url: str | None = None,
) -> dict[str, Any]:
    """`text` and `blocks` for chat.postMessage."""
    privacy = privacy_of(privacy)
    currency = budget.get("currency")
    name = escape(budget.get("name") or "The budget")
    frequency = str(payload.get("frequency") or "").lower() or "scheduled"
    blocks: list[dict[str, Any]] = [header(f"{budget.get('name') or 'Budget'}: {frequency} digest")]
    used = _percent(budget.get("percentUsed"))
    if privacy == FULL:
        spent_line = (
            f"*Spent* {money(budget.get('spent'), currency)} of "
            f"{money(budget.get('amount'), currency)} ({used or '—'}) · "
            f"*Remaining* {money(budget.get('remaining'), currency)}"
        )
    elif privacy != NONE and used:
        spent_line = f"*Used* {used} of the budget"
    else:
        spent_line = f"*{name}*: open Allot to see the figures"
    blocks.append(section(spent_line))
    forecast = budget.get("forecast") or {}
    if privacy == FULL and forecast:
        pace = (
            f"*Pace* {money(forecast.get('burnRatePerDay'), currency)} a day · projected "
            f"{money(forecast.get('projectedSpend'), currency)} by the period's end"
        )
        overrun = forecast.get("projectedOverrun")
        if overrun not in (None, "", "0") and float(str(overrun)) > 0:
            pace += f" (:warning: {money(overrun, currency)} over)"
        if forecast.get("exhaustionDate"):
            pace += f" · runs out {escape(forecast['exhaustionDate'])}"
        blocks.append(section(pace))
    elif forecast and float(str(forecast.get("projectedOverrun") or 0)) > 0:
        blocks.append(section("*Pace* :warning: projected to overrun before the period ends"))
    movers = _movers(budget, payload, privacy)
    if movers:
        blocks.append(section("*Top movers*\n" + "\n".join(movers)))
    pending = budget.get("pending") or {}
    nodes = pending.get("nodes") or []
    total = max(int(pending.get("totalCount") or 0), len(nodes))
    if total:
        lines = []
        for transfer in nodes:
            line = f"• {transfer_summary(transfer, privacy=privacy)}"
            link = open_link(public_url, transfer.get("id"), escape(transfer.get("id") or ""))
            lines.append(f"{line} ({link})" if link else f"{line} (`{escape(transfer['id'])}`)")
        if total > len(nodes):
            lines.append(f"…and {total - len(nodes)} more.")
        blocks.append(section(f"*Pending requests ({total})*\n" + "\n".join(lines)))
    else:
        blocks.append(section("*Pending requests* none"))
    link = open_link(public_url, budget.get("id"), f"Open {name} in Allot")
    if link:
        blocks.append(context(link))
    text = clip(f":bar_chart: {name}: {frequency} digest", MESSAGE_TEXT_LIMIT)
    return {"text": text, "blocks": blocks}
