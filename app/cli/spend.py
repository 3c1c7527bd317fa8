"""`allot spend add PROJECT AMOUNT`: record one spend, exactly and at most once; and correct
one with `void`, `refund` or `move` (new reversing entries, nothing rewritten: the same
services as the GraphQL voidSpend, refundSpend and moveSpend)."""

from __future__ import annotations

from typing import Any

import typer

from app.cli import _amounts, _refs
from app.cli._common import CliError, Session, run
from app.cli._output import money, say
from app.domain.money import from_micros

spend_app = typer.Typer(help="Record and correct spend.", no_args_is_help=True)

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


_SPEND_HELP = "Spend id (spd_12 or 12)."
_REASON_HELP = "Why (kept on the correction, shown in history and the report)."
#: Service field → this command's argument or option, for one-line errors.
_NAMES = {
    "spendId": "SPEND_ID",
    "reason": "--reason",
    "amount": "AMOUNT",
    "toProjectId": "--to",
    "toAllocationId": "--to",
    "budgetId": "--budget",
}


async def _where(s: Session, allocation_id: int) -> dict[str, Any] | None:
    """The envelope a correction landed on, as the acting user sees it."""
    return (await s.graphql(_ENVELOPE, id=f"alc_{allocation_id}"))["node"]


def _place(envelope: dict[str, Any] | None) -> str:
    if envelope is None:  # pragma: no cover - whoever may correct it may see it
        return "its envelope"
    return f"{envelope['project']['slug']} in {envelope['budget']['name']}"


def _left(envelope: dict[str, Any] | None) -> None:
    if envelope is not None:
        c = envelope["budget"]["currency"]
        say(
            f"{envelope['project']['slug']}: remaining {money(envelope['remaining'], c)}"
            f" · {envelope['status']}"
        )


_SPEND_CURRENCY = """query($id: ID!) { node(id: $id) { ... on Spend {
  allocation { budget { currency } } } } }"""


async def _same_currency(s: Session, spend_id: int, currency: str) -> None:
    """A symbol typed with the amount (`€3`) must be the budget's currency. Read as the acting
    user: a spend they may not see is left to the service to refuse."""
    from app.domain.errors import CurrencyMismatch

    node = (await s.graphql(_SPEND_CURRENCY, id=f"spd_{spend_id}"))["node"]
    if node and node["allocation"]["budget"]["currency"] != currency:
        code = node["allocation"]["budget"]["currency"]
        raise CurrencyMismatch(
            f"AMOUNT is in {currency} but the budget is in {code}; no exchange rate is configured"
        )


@spend_app.command("void")
def spend_void(
    spend: str = typer.Argument(..., metavar="SPEND_ID", help=_SPEND_HELP),
    reason: str = typer.Option(..., "--reason", help=_REASON_HELP),
) -> None:
    """Void a spend: reverse it in full (what refunds left of it) and mark it voided (who may
    record it, the budget's owners). A closed period's spend is reversed in the open one."""
    from app.models import Spend
    from app.services.corrections import void_spend

    pk = _refs.required_pk(spend, "Spend", "SPEND_ID")

    async def main(s: Session) -> tuple[Any, Any, dict[str, Any] | None]:
        row = await void_spend(s.actor, spend_id=pk, reason=reason)
        reversal = await Spend.filter(corrects_id=row.id).order_by("-id").first()
        assert reversal is not None
        envelope = await _where(s, reversal.allocation_id)  # type: ignore[attr-defined]
        return row, reversal, envelope

    row, reversal, envelope = run(main, names=_NAMES)
    c = envelope["budget"]["currency"] if envelope else ""
    say(
        f"voided spd_{row.id}: {money(from_micros(-reversal.amount_micros), c, exact=True)}"
        f" given back to {_place(envelope)} (reversal spd_{reversal.id})"
    )
    _left(envelope)


@spend_app.command("refund")
def spend_refund(
    spend: str = typer.Argument(..., metavar="SPEND_ID", help=_SPEND_HELP),
    amount: str = typer.Argument(
        ..., metavar="AMOUNT", help="How much of it comes back: 3.50, $3.50 (at most what is left)."
    ),
    reason: str = typer.Option(..., "--reason", help=_REASON_HELP),
) -> None:
    """Refund part of a spend: a credit of AMOUNT referencing it (who may record it, the
    budget's owners). The spend keeps its amount; what is left of it shrinks."""
    from app.services.corrections import refund_spend, remaining

    value, currency = _amounts.amount_and_currency(amount, "AMOUNT")
    pk = _refs.required_pk(spend, "Spend", "SPEND_ID")

    async def main(s: Session) -> tuple[Any, Any, dict[str, Any] | None]:
        if currency is not None:
            await _same_currency(s, pk, currency)
        row, credit = await refund_spend(s.actor, spend_id=pk, amount=value, reason=reason)
        envelope = await _where(s, credit.allocation_id)  # type: ignore[attr-defined]
        return row, credit, envelope

    row, credit, envelope = run(main, names=_NAMES)
    c = envelope["budget"]["currency"] if envelope else ""
    left = from_micros(remaining(row))
    say(
        f"refunded {money(value, c, exact=True)} of spd_{row.id} to {_place(envelope)}"
        f" (credit spd_{credit.id}); {money(left, c, exact=True)} of it remains"
    )
    _left(envelope)


@spend_app.command("move")
def spend_move(
    spend: str = typer.Argument(..., metavar="SPEND_ID", help=_SPEND_HELP),
    to: str = typer.Option(..., "--to", help="The project it belongs to (slug or id)."),
    budget: str = typer.Option(
        None, "--budget", help="The target budget (default: the spend's own, else the only one)."
    ),
    reason: str = typer.Option(..., "--reason", help=_REASON_HELP),
) -> None:
    """Move a spend to another project's envelope, in the same budget or another: a reversal
    on the old side and a new spend on the new side, in one transaction."""
    from app.services.corrections import move_spend
    from app.services.spending import resolve_allocation

    pk = _refs.required_pk(spend, "Spend", "SPEND_ID")

    async def main(s: Session) -> tuple[Any, dict[str, Any] | None, dict[str, Any] | None]:
        try:
            project_id = await _refs.project(s, to)
        except CliError as exc:  # named by --to here, not a PROJECT argument
            raise CliError(exc.message.replace("(PROJECT)", "(--to)"), exc.code) from None
        to_allocation_id = None
        if budget:
            budget_id = await _refs.budget(s, budget)
            allocation, _ = await resolve_allocation(s.actor, project_id, budget_id)
            to_allocation_id = allocation.id
        moved = await move_spend(
            s.actor,
            spend_id=pk,
            reason=reason,
            to_project_id=None if to_allocation_id else project_id,
            to_allocation_id=to_allocation_id,
        )
        old = await _where(s, moved.reversal.allocation_id)  # type: ignore[attr-defined]
        new = await _where(s, moved.spend.allocation_id)  # type: ignore[attr-defined]
        return moved, old, new

    moved, old, new = run(main, names={**_NAMES, "projectId": "--to"})
    c = new["budget"]["currency"] if new else ""
    amount = from_micros(moved.spend.amount_micros)
    say(
        f"moved spd_{moved.original.id} ({money(amount, c, exact=True)}) from {_place(old)}"
        f" to {_place(new)} (now spd_{moved.spend.id}, reversal spd_{moved.reversal.id})"
    )
    _left(old)
    _left(new)
