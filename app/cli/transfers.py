"""`allot transfers list|request|approve|reject|cancel`: moving money between projects.

A request applies at once when the requester is an owner, or when it is a gift from their own
project or an ask from the pool under the budget's auto-approval line; a request that takes from
another project waits, PENDING, for an owner (app.domain.access). A side the reader may not see
shows as "another project".
"""

from __future__ import annotations

from enum import Enum
from typing import Any

import typer

from app.cli import _amounts, _refs
from app.cli._common import Session, run
from app.cli._output import money, say, show, styled, table

transfers_app = typer.Typer(help="Move money between projects and the pool.", no_args_is_help=True)

_LIST = """query($status: TransferStatus, $budgetId: ID) {
  transfers(first: 500, status: $status, budgetId: $budgetId) { totalCount nodes {
    id amount reason status createdAt budgetId fromPool toPool viewerCanDecide
    from { project { slug } } to { project { slug } } requestedBy { email } } }
  budgets(first: 1000) { nodes { id currency } } }"""


class Status(str, Enum):
    PENDING = "PENDING"
    APPLIED = "APPLIED"
    REJECTED = "REJECTED"
    CANCELLED = "CANCELLED"
    EXPIRED = "EXPIRED"
    FAILED = "FAILED"


def _side(pool: bool, allocation: dict[str, Any] | None) -> str:
    if pool:
        return "pool"
    return allocation["project"]["slug"] if allocation else "another project"


@transfers_app.command("list")
def transfers_list(
    status: Status = typer.Option(None, case_sensitive=False, help="Only this status."),
    budget: str = typer.Option(None, "--budget", help="Only this budget (id or name)."),
) -> None:
    """Transfers you can see: owners their budgets', others their own and their projects'."""

    async def main(s: Session) -> Any:
        budget_id = f"bud_{await _refs.budget(s, budget)}" if budget else None
        return await s.graphql(_LIST, status=status and status.value, budgetId=budget_id)

    data = run(main, names={"budgetId": "--budget"})
    nodes = data["transfers"]["nodes"]
    if not nodes:
        say("no transfers" + (f" {status.value}" if status else ""))
        return
    currency = {b["id"]: b["currency"] for b in data["budgets"]["nodes"]}
    grid = table("id", "when", "amount$", "from", "to", "status", "by", "reason")
    for t in nodes:
        state = styled(t["status"])
        if t["viewerCanDecide"]:
            state.append(" (yours to decide)", style="bold")
        grid.add_row(
            t["id"],
            t["createdAt"][:10],
            money(t["amount"], currency.get(t["budgetId"], "")),
            _side(t["fromPool"], t["from"]),
            _side(t["toPool"], t["to"]),
            state,
            t["requestedBy"]["email"],
            t["reason"],
        )
    show(grid)


@transfers_app.command("request")
def transfers_request(
    amount: str = typer.Argument(..., metavar="AMOUNT", help="How much: 5000, $5k, 1,250.50."),
    source: str = typer.Option(..., "--from", help="Project slug, or `pool`."),
    target: str = typer.Option(..., "--to", help="Project slug, or `pool`."),
    reason: str = typer.Option(..., "--reason", help="Why (shown to whoever approves)."),
    budget: str = typer.Option(None, "--budget", help="When both are funded by several budgets."),
    key: str = typer.Option(None, "--idempotency-key", help="Makes a retry safe."),
) -> None:
    """Ask to move money; it applies at once when you may decide it, else waits for an owner."""
    from app.services import lookup
    from app.services.transfers import request_transfer

    value = _amounts.amount(amount, "AMOUNT")

    async def main(s: Session) -> Any:
        src, dst, budget_id = await _refs.transfer_sides(s, source, target, budget)
        currency = (await lookup.budget(budget_id)).currency
        return currency, await request_transfer(
            s.actor,
            amount=value,
            reason=reason,
            from_allocation_id=src,
            to_allocation_id=dst,
            budget_id=budget_id,
            idempotency_key=key,
        )

    currency, row = run(main, names={"reason": "--reason", "budgetId": "--budget"})
    what = f"trf_{row.id}: {money(value, currency, exact=True)} from {source} to {target}"
    if row.status == "PENDING":
        say(f"requested {what}; PENDING until an owner approves (allot transfers approve)")
    else:
        say(f"{row.status.lower()} {what}")


def _decide(transfer: str, action: str, note: str | None) -> None:
    from app.services import transfers

    pk = _refs.required_pk(transfer, "Transfer", "TRANSFER")

    async def main(s: Session) -> Any:
        if action == "approve":
            return await transfers.approve_transfer(s.actor, transfer_id=pk, note=note)
        if action == "reject":
            return await transfers.reject_transfer(s.actor, transfer_id=pk, note=note)
        return await transfers.cancel_transfer(s.actor, transfer_id=pk)

    row = run(main, names={"transferId": "TRANSFER", "note": "--note"})
    say(f"trf_{row.id} is {row.status}")


@transfers_app.command("approve")
def transfers_approve(
    transfer: str = typer.Argument(..., metavar="TRANSFER", help="Transfer id (trf_12 or 12)."),
    note: str = typer.Option(None, "--note", help="A word to the requester."),
) -> None:
    """Approve a pending transfer (the budget's owners; not your own unless the budget allows)."""
    _decide(transfer, "approve", note)


@transfers_app.command("reject")
def transfers_reject(
    transfer: str = typer.Argument(..., metavar="TRANSFER", help="Transfer id (trf_12 or 12)."),
    note: str = typer.Option(None, "--note", help="Why not."),
) -> None:
    """Reject a pending transfer (the budget's owners)."""
    _decide(transfer, "reject", note)


@transfers_app.command("cancel")
def transfers_cancel(
    transfer: str = typer.Argument(..., metavar="TRANSFER", help="Transfer id (trf_12 or 12)."),
) -> None:
    """Cancel your own pending request."""
    _decide(transfer, "cancel", None)
