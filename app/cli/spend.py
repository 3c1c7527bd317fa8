"""`allot spend add PROJECT AMOUNT`: record one spend, exactly and at most once."""

from __future__ import annotations

from typing import Any

import typer

from app.cli import _amounts, _refs
from app.cli._common import Session, run
from app.cli._output import money, say

spend_app = typer.Typer(help="Record spend.", no_args_is_help=True)

_ENVELOPE = """query($id: ID!) { node(id: $id) { ... on Allocation {
  remaining status project { slug } budget { id name currency } } } }"""


@spend_app.command("add")
def spend_add(
    project: str = typer.Argument(..., metavar="PROJECT", help="Project slug or id (prj_3)."),
    amount: str = typer.Argument(
        ..., metavar="AMOUNT", help="12.50, 1,250.50, $5k (a symbol must match the budget)."
    ),
    budget: str = typer.Option(None, "--budget", help="When several budgets fund the project."),
    service: str = typer.Option(None, "--service", help="What it was spent on: aws-ec2, gpt-4o…"),
    description: str = typer.Option(None, "--description", help="A line about it."),
    external_id: str = typer.Option(
        None, "--external-id", help="Its id at the source (an invoice line): recorded once."
    ),
    at: str = typer.Option(
        None, "--at", help="When (2026-03-01T09:30Z; no offset: local time). Default: now."
    ),
) -> None:
    """Record spend on a project's envelope (its leads and members, the budget's owners)."""
    from app.services.spending import SpendInput, record_spend

    value, currency = _amounts.amount_and_currency(amount, "AMOUNT")
    occurred_at = _amounts.moment(at, "--at")

    async def main(s: Session) -> tuple[Any, bool, dict[str, Any] | None]:
        item = SpendInput(
            project_id=await _refs.project(s, project),
            amount=value,
            budget_id=await _refs.budget(s, budget) if budget else None,
            service=service,
            description=description,
            occurred_at=occurred_at,
            external_id=external_id,
            currency=currency,
        )
        row, created = await record_spend(s.actor, item)
        allocation_id = row.allocation_id  # type: ignore[attr-defined]
        envelope = (await s.graphql(_ENVELOPE, id=f"alc_{allocation_id}"))["node"]
        return row, created, envelope

    row, created, envelope = run(main, names={"budgetId": "--budget", "currency": "AMOUNT"})
    if envelope is None:  # pragma: no cover - whoever may spend on it may see it
        say(f"recorded spd_{row.id}")
        return
    c = envelope["budget"]["currency"]
    where = f"{envelope['project']['slug']} in {envelope['budget']['name']}"
    if created:
        say(f"recorded {money(value, c, exact=True)} on {where} (spd_{row.id})")
    else:
        say(f"already recorded as spd_{row.id} (same --external-id): nothing added")
    say(f"remaining {money(envelope['remaining'], c)} · {envelope['status']}")
