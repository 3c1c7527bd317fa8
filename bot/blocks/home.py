"""The App Home tab: my projects and budgets, my pending requests, and requests awaiting me."""

from __future__ import annotations

from typing import Any

from bot.blocks._format import context, divider, escape, header, section, slack_date
from bot.blocks.status import allocation_text, budget_text
from bot.blocks.transfers import transfer_request_blocks, transfer_summary

#: A Home view holds 100 blocks; these caps keep a busy user's tab under it.
MAX_ALLOCATIONS = 15
MAX_BUDGETS = 10
MAX_PENDING = 8
MAX_AWAITING = 8


def _more(shown: int, total: int, hint: str) -> list[dict[str, Any]]:
    return [context(f"…and {total - shown} more. {hint}".strip())] if total > shown else []


def _project_blocks(projects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    texts: list[str] = []
    for project in projects:
        allocations = project.get("allocations") or []
        if not allocations:
            name = escape(project.get("name") or project.get("slug") or "?")
            texts.append(f"*{name}* — no allocation yet")
            continue
        for allocation in allocations:
            texts.append(allocation_text({"project": project, **allocation}))
    blocks = [section(text) for text in texts[:MAX_ALLOCATIONS]]
    blocks += _more(MAX_ALLOCATIONS, len(texts), "See them all with `/allot status`.")
    return blocks or [section("You are not a member of any project yet.")]


def home_view(
    projects: list[dict[str, Any]],
    budgets: list[dict[str, Any]],
    my_pending: list[dict[str, Any]],
    awaiting_me: list[dict[str, Any]],
) -> dict[str, Any]:
    """A `views.publish` view. Requests awaiting the user carry the same buttons as in chat."""
    blocks: list[dict[str, Any]] = [header("Your projects"), *_project_blocks(projects)]

    blocks += [divider(), header("Budgets")]
    blocks += [section(budget_text(b)) for b in budgets[:MAX_BUDGETS]] or [
        section("You can't see any budgets yet.")
    ]
    blocks += _more(MAX_BUDGETS, len(budgets), "See them all with `/allot budgets`.")

    blocks += [divider(), header("Your pending requests")]
    for transfer in my_pending[:MAX_PENDING]:
        blocks.append(section(transfer_summary(transfer)))
        blocks.append(context(f"Requested {slack_date(transfer.get('createdAt'))}"))
    if not my_pending:
        blocks.append(section("Nothing pending."))
    blocks += _more(MAX_PENDING, len(my_pending), "")

    if awaiting_me:
        blocks += [divider(), header("Awaiting your decision")]
        for transfer in awaiting_me[:MAX_AWAITING]:
            blocks += transfer_request_blocks(transfer)
            blocks.append(divider())
        blocks.pop()
        blocks += _more(MAX_AWAITING, len(awaiting_me), "")
    return {"type": "home", "blocks": blocks}
