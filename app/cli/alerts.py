"""`allot alerts list [BUDGET]`: threshold alerts (raised once per threshold and period)."""

from __future__ import annotations

from typing import Any

import typer

from app.cli import _refs
from app.cli._common import Session, run
from app.cli._output import say, show, table

alerts_app = typer.Typer(help="Threshold alerts.", no_args_is_help=True)


@alerts_app.command("list")
def alerts_list(
    budget: str = typer.Argument(None, metavar="BUDGET", help="Only this budget (id or name)."),
    limit: int = typer.Option(200, "--limit", min=1, max=5000, help="At most this many."),
) -> None:
    """Alerts you can see, newest first: owners their budgets', members their projects'."""
    from app.services.alerts import list_alerts

    async def main(s: Session) -> list[Any]:
        budget_id = await _refs.budget(s, budget) if budget else None
        return await list_alerts(s.actor, budget_id, limit=limit)

    rows = run(main)
    if not rows:
        say("no alerts" + (f" for {budget}" if budget else ""))
        return
    grid = table("id", "when", "budget", "project", "kind", "level", "state", "message")
    for a in rows:
        grid.add_row(
            f"alr_{a.id}",
            a.created_at.strftime("%Y-%m-%d %H:%M"),
            a.budget.name,
            a.allocation.project.slug if a.allocation else "(whole budget)",
            a.kind,
            _level(a),
            _state(a),
            a.message,
        )
    show(grid)


def _level(alert: Any) -> str:
    """The thresholds the alert stands for ("50%, 80%"), or its one threshold."""
    crossed = getattr(alert, "crossed", None)
    if crossed:
        return ", ".join(str(c) for c in crossed)
    return "—" if alert.threshold is None else f"{alert.threshold}%"


def _state(alert: Any) -> str:
    state = getattr(alert, "state", None)
    if state:
        return str(state)
    return "ACKNOWLEDGED" if alert.acknowledged_at else "OPEN"
