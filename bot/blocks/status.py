"""`/allot status` and `/allot budgets`: figures with a progress bar per allocation or budget."""

from __future__ import annotations

from typing import Any

from bot.blocks._format import (
    context,
    currency_of,
    divider,
    escape,
    header,
    money,
    progress_bar,
    runway,
    section,
    status_badge,
)
from bot.links import open_link

#: Slack allows 50 blocks in a message; each item takes two (section and divider).
MAX_ITEMS = 20


def _title(name: object, object_id: object, public_url: str | None) -> str:
    """`*name*`, a link to the object's page in the web app when its address is set."""
    label = escape(name or "?")
    linked = open_link(public_url, str(object_id), label) if object_id else ""
    return f"*{linked or label}*"


def allocation_text(
    allocation: dict[str, Any], *, with_budget: bool = True, public_url: str | None = None
) -> str:
    """One allocation as mrkdwn: name, status, bar, the four figures and the pace."""
    currency = currency_of(allocation)
    project = allocation.get("project") or {}
    budget = allocation.get("budget") or {}
    title = _title(project.get("name") or project.get("slug"), project.get("id"), public_url)
    if with_budget and budget.get("name"):
        title += f" · {escape(budget['name'])}"
    return "\n".join(
        [
            f"{title}   {status_badge(allocation.get('status'))}",
            f"`{progress_bar(float(allocation.get('percentUsed') or 0.0))}`",
            f"Allocated {money(allocation.get('amount'), currency)} · "
            f"Spent {money(allocation.get('spent'), currency)} · "
            f"Remaining *{money(allocation.get('remaining'), currency)}*",
            f"Daily drip {money(allocation.get('dailyDrip'), currency)} · "
            f"Runway {runway(allocation.get('runwayDays'))}",
        ]
    )


def budget_text(budget: dict[str, Any], *, public_url: str | None = None) -> str:
    currency = budget.get("currency")
    period = budget.get("periodKind")
    title = _title(budget.get("name"), budget.get("id"), public_url)
    if period:
        title += f" · {escape(str(period).title())}"
        if budget.get("endDate"):
            title += f" until {escape(budget['endDate'])}"
    return "\n".join(
        [
            f"{title}   {status_badge(budget.get('status'))}",
            f"`{progress_bar(float(budget.get('percentUsed') or 0.0))}`",
            f"Budget {money(budget.get('amount'), currency)} · "
            f"Allocated {money(budget.get('allocated'), currency)} · "
            f"Unallocated {money(budget.get('unallocated'), currency)}",
            f"Spent {money(budget.get('spent'), currency)} · "
            f"Remaining *{money(budget.get('remaining'), currency)}*",
        ]
    )


def _listing(title: str, texts: list[str], empty: str, more_hint: str) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = [header(title)]
    if not texts:
        blocks.append(section(empty))
        return blocks
    for text in texts[:MAX_ITEMS]:
        blocks.append(section(text))
        blocks.append(divider())
    blocks.pop()  # no divider after the last item
    if len(texts) > MAX_ITEMS:
        blocks.append(context(f"…and {len(texts) - MAX_ITEMS} more. {more_hint}"))
    return blocks


def status_blocks(
    allocations: list[dict[str, Any]], public_url: str | None = None
) -> list[dict[str, Any]]:
    return _listing(
        "Budget status",
        [allocation_text(a, public_url=public_url) for a in allocations],
        "No allocations to show yet. Ask a budget owner to allocate money to your project.",
        "Name one: `/allot status <project>`.",
    )


def budgets_blocks(
    budgets: list[dict[str, Any]], public_url: str | None = None
) -> list[dict[str, Any]]:
    return _listing(
        "Budgets",
        [budget_text(b, public_url=public_url) for b in budgets],
        "You can't see any budgets yet.",
        "Name one: `/allot status <budget>`.",
    )


def status_text(allocations: list[dict[str, Any]]) -> str:
    """Notification fallback for `status_blocks` (Slack wants `text` next to `blocks`)."""
    if not allocations:
        return "No allocations to show yet."
    parts = []
    for a in allocations[:5]:
        name = (a.get("project") or {}).get("name", "?")
        parts.append(f"{escape(name)}: {money(a.get('remaining'), currency_of(a))} left")
    return "Budget status — " + "; ".join(parts)
