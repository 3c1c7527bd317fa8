"""`allot periods list|close BUDGET`: a budget's periods, and closing the open one early.

Closing archives the period's figures, opens the next one (recurring budgets) with the
rollover policy applied, and cannot be undone; at a terminal it asks first (`--yes` skips).
"""

from __future__ import annotations

import sys
from typing import Any

import typer

from app.cli import _refs
from app.cli._common import Session, fail, run
from app.cli._output import money, say, show, styled, table
from app.cli.budgets import fetch_budget

periods_app = typer.Typer(help="A budget's periods.", no_args_is_help=True)

_PERIODS = """query($id: ID!) { budget(id: $id) { id name currency periods {
  seq startDate endDate status amount allocated unallocated spent remaining percentUsed
  closedAt } } }"""


@periods_app.command("list")
def periods_list(
    budget: str = typer.Argument(..., metavar="BUDGET", help="Budget id (bud_3) or name."),
) -> None:
    """Every period of a budget, oldest first; a closed one keeps its final figures."""

    async def main(s: Session) -> Any:
        return await fetch_budget(s, budget, _PERIODS)

    b = run(main)
    c = b["currency"]
    grid = table(
        "#", "from", "to", "status", "amount$", "allocated$", "unallocated$", "spent$",
        "remaining$", "closed",
    )  # fmt: skip
    for p in b["periods"]:
        grid.add_row(
            str(p["seq"]), p["startDate"], p["endDate"], styled(p["status"]),
            money(p["amount"], c), money(p["allocated"], c), money(p["unallocated"], c),
            money(p["spent"], c), money(p["remaining"], c), (p["closedAt"] or "")[:10],
        )  # fmt: skip
    show(f"{b['name']} ({b['id']})", grid)


@periods_app.command("close")
def periods_close(
    budget: str = typer.Argument(..., metavar="BUDGET", help="Budget id (bud_3) or name."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask first."),
) -> None:
    """Close the open period now (owners): it ends today; the next one opens with rollover."""
    from app.services import periods

    if (
        not yes
        and sys.stdin.isatty()
        and not typer.confirm(f"Close the open period of {budget} now? This cannot be undone")
    ):
        fail("not closed")

    async def main(s: Session) -> Any:
        closed = await periods.close_period(s.actor, await _refs.budget(s, budget))
        return closed.closed, closed.next

    closed, following = run(main)
    say(f"closed period {closed.seq} ({closed.start_date} → {closed.end_date})")
    if following is None:
        say("the budget has ended: no next period (extend --end to reopen a grant)")
    else:
        say(f"opened period {following.seq} ({following.start_date} → {following.end_date})")
