"""`allot status BUDGET`: a budget's figures, pace and forecast at a glance.

Every figure is the GraphQL `Budget` type's, read in-process as the acting user: computed once,
in one place, for the dashboard, the bot and this command alike (and scoped the same way: a
member sees the pool and their own projects' envelopes).
"""

from __future__ import annotations

from typing import Any

import typer
from rich.text import Text

from app.cli._common import Session, run
from app.cli._output import facts, money, percent, show, styled, table
from app.cli.budgets import fetch_budget

_STATUS = """query($id: ID!) { budget(id: $id) {
  id name currency periodKind timezone
  currentPeriod { seq startDate endDate }
  amount allocated unallocated spent remaining percentUsed status
  dailyDrip todayAllowance spentToday pace elapsedFraction
  forecast { burnRatePerDay projectedSpend projectedOverrun exhaustionDate runwayDays }
  allocations(first: 500) { totalCount nodes {
    project { slug } amount spent remaining percentUsed status dailyDrip pace runwayDays
    forecast { projectedSpend exhaustionDate } } }
} }"""


def _days(value: float | None) -> str:
    return "—" if value is None else f"{value:,.1f} d"


def status(
    budget: str = typer.Argument(..., metavar="BUDGET", help="Budget id (bud_3) or name."),
) -> None:
    """Figures, pace and forecast of a budget's current period, and of each allocation."""

    async def main(s: Session) -> Any:
        return await fetch_budget(s, budget, _STATUS)

    b = run(main)
    c = b["currency"]
    p = b["currentPeriod"]
    f = b["forecast"]
    head = Text(b["name"], style="bold")
    head.append(
        f" ({b['id']}) · {b['periodKind']} period {p['seq']}:"
        f" {p['startDate']} → {p['endDate']} ({b['timezone']}),"
        f" {b['elapsedFraction'] * 100:.0f}% elapsed"
    )
    runs_out = f["exhaustionDate"] or "not this period"
    figures = [
        ("amount", money(b["amount"], c)),
        ("allocated", money(b["allocated"], c)),
        ("unallocated", money(b["unallocated"], c)),
        ("spent", f"{money(b['spent'], c)} ({percent(b['percentUsed'])})"),
        ("remaining", money(b["remaining"], c)),
        ("status", styled(b["status"])),
        ("pace", styled(b["pace"])),
        ("daily drip", money(b["dailyDrip"], c)),
        ("today", f"{money(b['spentToday'], c)} spent, {money(b['todayAllowance'], c)} left"),
        ("burn rate", f"{money(f['burnRatePerDay'], c)} a day"),
        ("forecast", f"{money(f['projectedSpend'], c)} by {p['endDate']}"),
        ("overrun", money(f["projectedOverrun"], c)),
        ("runs out", f"{runs_out} (runway {_days(f['runwayDays'])})"),
    ]
    grid = table(
        "project",
        "allocated$",
        "spent$",
        "remaining$",
        "used",
        "status",
        "drip$",
        "pace",
        "runway",
        "forecast$",
        "runs out",
    )
    allocations = b["allocations"]
    for a in allocations["nodes"]:
        grid.add_row(
            a["project"]["slug"],
            money(a["amount"], c),
            money(a["spent"], c),
            money(a["remaining"], c),
            percent(a["percentUsed"]),
            styled(a["status"]),
            money(a["dailyDrip"], c),
            styled(a["pace"]),
            _days(a["runwayDays"]),
            money(a["forecast"]["projectedSpend"], c),
            a["forecast"]["exhaustionDate"] or "—",
        )
    parts: list[Any] = [head, facts(figures)]
    if allocations["nodes"]:
        parts += ["", grid]
        if allocations["totalCount"] > len(allocations["nodes"]):
            parts.append(f"(showing {len(allocations['nodes'])} of {allocations['totalCount']})")
    show(*parts)
