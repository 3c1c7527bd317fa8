"""The App Home tab: buttons (request a transfer, open the web app), my projects and budgets,
my pending requests (with Cancel), and requests awaiting my decision (Approve/Reject)."""

from __future__ import annotations

from typing import Any

from bot.blocks._format import button, context, divider, escape, header, section, slack_date
from bot.blocks.ids import (
    HOME_ACTIONS_BLOCK_ID,
    HOME_OPEN_WEB_ACTION_ID,
    HOME_REQUEST_TRANSFER_ACTION_ID,
)
from bot.blocks.status import allocation_text, budget_text
from bot.blocks.transfers import cancel_actions, transfer_request_blocks, transfer_summary
from bot.links import open_link, web_url

#: A Home view holds 100 blocks; these caps keep a busy user's tab under it.
MAX_BLOCKS = 100
MAX_ALLOCATIONS = 15
MAX_BUDGETS = 10
MAX_PENDING = 8
MAX_AWAITING = 8


def _more(shown: int, total: int, hint: str) -> list[dict[str, Any]]:
    return [context(f"…and {total - shown} more. {hint}".strip())] if total > shown else []


def home_actions(public_url: str | None) -> dict[str, Any]:
    """The buttons at the top: the transfer form, and the web app when its address is set."""
    elements = [
        button("Request a transfer", HOME_REQUEST_TRANSFER_ACTION_ID, "home", style="primary")
    ]
    url = web_url(public_url)
    if url:
        elements.append(button("Open in the web app", HOME_OPEN_WEB_ACTION_ID, "web", url=url))
    return {"type": "actions", "block_id": HOME_ACTIONS_BLOCK_ID, "elements": elements}


def _project_blocks(
    projects: list[dict[str, Any]], public_url: str | None = None
) -> list[dict[str, Any]]:
    texts: list[str] = []
    for project in projects:
        allocations = project.get("allocations") or []
        if not allocations:
            # Only my own projects are worth a line without money: an owner or admin reads
            # every project of the installation, most of them none of their business.
            if project.get("myRole") is None and "myRole" in project:
                continue
            name = escape(project.get("name") or project.get("slug") or "?")
            texts.append(f"*{name}* — no allocation yet")
            continue
        for allocation in allocations:
            texts.append(allocation_text({"project": project, **allocation}, public_url=public_url))
    blocks = [section(text) for text in texts[:MAX_ALLOCATIONS]]
    blocks += _more(
        min(MAX_ALLOCATIONS, len(texts)), len(texts), "See them all with `/allot status`."
    )
    return blocks or [section("You are not a member of any project yet.")]


def _fill(
    blocks: list[dict[str, Any]],
    items: list[dict[str, Any]],
    render: Any,
    cap: int,
    reserve: int,
) -> int:
    """Append `render(item)` for as many items as fit under `cap` and the block limit (keeping
    `reserve` blocks for what follows); returns how many were shown."""
    shown = 0
    for item in items[:cap]:
        more = render(item)
        if len(blocks) + len(more) + 1 + reserve > MAX_BLOCKS:
            break
        blocks += more
        shown += 1
    return shown


def home_view(
    projects: list[dict[str, Any]],
    budgets: list[dict[str, Any]],
    my_pending: list[dict[str, Any]],
    awaiting_me: list[dict[str, Any]],
    *,
    budgets_total: int | None = None,
    pending_cut: bool = False,
    public_url: str | None = None,
) -> dict[str, Any]:
    """A `views.publish` view. Requests awaiting the user carry the same buttons as in chat;
    the user's own pending requests a Cancel button. `budgets_total`: how many budgets there
    are beyond the page read (the connection's totalCount); `pending_cut`: the pending
    requests read were not all of them. `public_url`: the web app's address, for its button
    and the links on names and requests (None: no link)."""
    blocks: list[dict[str, Any]] = [
        home_actions(public_url),
        header("Your projects"),
        *_project_blocks(projects, public_url),
    ]

    blocks += [divider(), header("Budgets")]
    shown = min(MAX_BUDGETS, len(budgets))
    blocks += [section(budget_text(b, public_url=public_url)) for b in budgets[:shown]] or [
        section("You can't see any budgets yet.")
    ]
    blocks += _more(
        shown, max(budgets_total or 0, len(budgets)), "See them all with `/allot budgets`."
    )

    blocks += [divider(), header("Your pending requests")]
    reserve = 5 + (3 if awaiting_me else 0)
    shown = _fill(
        blocks,
        my_pending,
        lambda t: [
            section(transfer_summary(t)),
            context(
                f"Requested {slack_date(t.get('createdAt'))} · `{escape(t['id'])}`"
                + (f" · {link}" if (link := open_link(public_url, t["id"])) else "")
            ),
            cancel_actions(str(t["id"])),
        ],
        MAX_PENDING,
        reserve,
    )
    if not my_pending:
        blocks.append(section("Nothing pending."))
    blocks += _more(shown, len(my_pending), "")
    if pending_cut:
        blocks.append(context("There are more pending requests than shown here; see Allot."))

    if awaiting_me:
        blocks += [divider(), header("Awaiting your decision")]
        shown = _fill(
            blocks,
            awaiting_me,
            lambda t: [*_awaiting(t, public_url), divider()],
            MAX_AWAITING,
            1,
        )
        if shown and blocks[-1]["type"] == "divider":
            blocks.pop()
        blocks += _more(shown, len(awaiting_me), "Decide them with `/allot approve <id>`.")
    return {"type": "home", "blocks": blocks}


def _awaiting(transfer: dict[str, Any], public_url: str | None) -> list[dict[str, Any]]:
    """A request the user may decide: the chat message's blocks, Approve/Reject included, with
    a link to it in the web app above the buttons."""
    blocks = transfer_request_blocks(transfer)
    link = open_link(public_url, transfer.get("id"))
    if link:
        blocks.insert(len(blocks) - 1, context(link))
    return blocks
