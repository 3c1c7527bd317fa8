"""Moving money between a budget's projects (and its pool), with an owner's approval."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from tortoise.transactions import in_transaction

from app import clock
from app.domain import validation as rules
from app.domain.access import (
    Actor,
    EventAudience,
    can_cancel_transfer,
    can_request_transfer,
    can_view_allocation,
    check_decider,
    is_owner,
    require,
    transfer_applies_at_once,
)
from app.domain.errors import (
    InsufficientFunds,
    InvalidState,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from app.domain.money import to_micros
from app.domain.transfers import TransferStatus, require_pending, validate_endpoints
from app.models import Allocation, Budget, BudgetPeriod, TransferRequest
from app.services import idempotency, ledger, lookup
from app.services.events import emit, for_projects
from app.services.sql import fetch


async def _side(allocation_id: int | None, field: str) -> Allocation | None:
    if allocation_id is None:
        return None
    return await lookup.allocation(allocation_id, field=field)


async def request_transfer(
    actor: Actor,
    *,
    amount: Decimal | str | int,
    reason: str,
    from_allocation_id: int | None = None,
    to_allocation_id: int | None = None,
    budget_id: int | None = None,
    idempotency_key: str | None = None,
) -> TransferRequest:
    """Ask to move money. None on a side means the budget's pool.

    It applies at once when the actor may approve it (an owner or admin), or when it is a gift
    from the actor's own project or a request from the pool under the budget's auto-approval
    line; a request that takes from another project always waits, PENDING, for an owner
    (app.domain.access.transfer_applies_at_once).
    """
    micros = to_micros(amount, field="amount", positive=True)
    reason = rules.name(reason, field="reason", max_length=2000)
    validate_endpoints(from_allocation_id, to_allocation_id)
    src = await _side(from_allocation_id, "fromAllocationId")
    dst = await _side(to_allocation_id, "toAllocationId")
    sides = [a for a in (src, dst) if a is not None]
    period_ids = {a.period_id for a in sides}  # type: ignore[attr-defined]
    if len(period_ids) > 1:
        raise ValidationError("toAllocationId", "must be in the same budget period as the source")
    budget_of_sides = sides[0].budget_id  # type: ignore[attr-defined]
    if budget_id is not None and budget_id != budget_of_sides:
        raise ValidationError("budgetId", "does not fund the named allocations")
    budget = await lookup.budget(budget_of_sides)
    project_ids = [a.project_id for a in sides]  # type: ignore[attr-defined]
    require(
        can_request_transfer(actor, budget.id, project_ids),
        "request transfers for these projects",
    )
    request = {
        "from": from_allocation_id,
        "to": to_allocation_id,
        "amount": micros,
        "reason": reason,
    }
    async with in_transaction():
        replay = await idempotency.replay(actor, "requestTransfer", idempotency_key, request)
        if replay is not None:
            return await TransferRequest.get(id=replay)
        period = await lookup.open_period(budget)
        if period.id not in period_ids:
            raise InvalidState("these allocations belong to a closed period")
        now = clock.now()
        expires = (
            now + timedelta(days=budget.transfer_expiry_days)
            if budget.transfer_expiry_days
            else None
        )
        transfer = await TransferRequest.create(
            budget_id=budget.id,
            period_id=period.id,
            from_allocation_id=from_allocation_id,
            to_allocation_id=to_allocation_id,
            amount_micros=micros,
            reason=reason,
            requested_by_id=actor.user_id,
            expires_at=expires,
        )
        if transfer_applies_at_once(
            actor,
            budget.id,
            None if src is None else src.project_id,  # type: ignore[attr-defined]
            micros,
            budget.auto_approve_below_micros,
        ):
            await _apply(actor, budget, period, transfer, note=None)
        else:
            await emit(
                "transfer.requested",
                {"transferId": transfer.id},
                budget_id=budget.id,
                audience=await transfer_audience(transfer.id),
            )
        await idempotency.remember(actor, "requestTransfer", idempotency_key, request, transfer.id)
    await transfer.refresh_from_db()
    return transfer


async def _apply(
    actor: Actor,
    budget: Budget,
    period: BudgetPeriod,
    transfer: TransferRequest,
    note: str | None,
) -> None:
    """Decide first (exactly once), then post the movement: the source must hold the amount at
    this moment, or the whole transaction, decision included, rolls back."""
    await _settle(transfer, TransferStatus.APPLIED, actor, note)
    src_id = transfer.from_allocation_id  # type: ignore[attr-defined]
    label = "the pool"
    visible = True  # the pool's figures are visible to everyone in the budget
    if src_id is not None:
        src = await Allocation.get(id=src_id).select_related("project")
        label = f"project {src.project.name!r}"
        visible = can_view_allocation(actor, budget.id, src.project_id)  # type: ignore[attr-defined]
    try:
        await _post(actor, budget, period, transfer, label)
    except InsufficientFunds as exc:
        if visible:
            raise
        raise InsufficientFunds("the source project", exc.requested, None) from None
    await announce_decision(transfer.id, budget.id, TransferStatus.APPLIED)


async def _post(
    actor: Actor, budget: Budget, period: BudgetPeriod, transfer: TransferRequest, label: str
) -> None:
    src_id = transfer.from_allocation_id  # type: ignore[attr-defined]
    dst_id = transfer.to_allocation_id  # type: ignore[attr-defined]
    amount = transfer.amount_micros
    if src_id is None:
        await ledger.allocate(
            period,
            dst_id,
            amount,
            actor.user_id,
            budget.currency,
            transfer_id=transfer.id,
            memo=transfer.reason,
        )
    elif dst_id is None:
        await ledger.release(
            period,
            src_id,
            amount,
            actor.user_id,
            label,
            budget.currency,
            transfer_id=transfer.id,
            memo=transfer.reason,
        )
    else:
        await ledger.reallocate(
            period,
            src_id,
            dst_id,
            amount,
            actor.user_id,
            label,
            budget.currency,
            transfer_id=transfer.id,
            memo=transfer.reason,
        )


async def _settle(
    transfer: TransferRequest, status: TransferStatus, actor: Actor, note: str | None
) -> None:
    """PENDING → final, exactly once: a second click finds it decided and changes nothing."""
    rows = await fetch(
        "UPDATE transfer_request SET status = ?, decided_by_id = ?, decided_at = ?,"
        " decision_note = ? WHERE id = ? AND status = 'PENDING' RETURNING id",
        status.value,
        actor.user_id,
        clock.now(),
        note,
        transfer.id,
    )
    if not rows:
        current = await TransferRequest.get(id=transfer.id)
        raise InvalidState(f"this transfer is already {current.status}")


async def _load_for_decision(actor: Actor, transfer_id: int) -> tuple[TransferRequest, Budget]:
    transfer = await TransferRequest.get_or_none(id=transfer_id)
    if transfer is None:
        raise NotFound("Transfer", transfer_id, field="transferId")
    budget = await lookup.budget(transfer.budget_id)  # type: ignore[attr-defined]
    return transfer, budget


async def _expire(transfer_id: int, budget_id: int) -> bool:
    """PENDING → EXPIRED exactly once; the requester is told through the outbox."""
    rows = await fetch(
        "UPDATE transfer_request SET status = 'EXPIRED' WHERE id = ? AND status = 'PENDING'"
        " RETURNING id",
        transfer_id,
    )
    if rows:
        await announce_decision(transfer_id, budget_id, TransferStatus.EXPIRED)
    return bool(rows)


async def _expire_if_due(transfer: TransferRequest, budget: Budget) -> None:
    if transfer.status == "PENDING" and transfer.expires_at and transfer.expires_at <= clock.now():
        await _expire(transfer.id, budget.id)
        raise InvalidState("this transfer request has expired")


async def approve_transfer(
    actor: Actor, *, transfer_id: int, note: str | None = None
) -> TransferRequest:
    transfer, budget = await _load_for_decision(actor, transfer_id)
    check_decider(
        decider_is_owner=is_owner(actor, budget.id),
        decider_id=actor.user_id,
        requester_id=transfer.requested_by_id,  # type: ignore[attr-defined]
        allow_self_approval=budget.allow_self_approval or actor.is_admin,
    )
    require_pending(transfer.status, "approve")
    await _expire_if_due(transfer, budget)
    async with in_transaction():
        period = await BudgetPeriod.get(id=transfer.period_id)  # type: ignore[attr-defined]
        if period.status != "OPEN":
            raise InvalidState("the transfer's budget period is closed")
        await _apply(actor, budget, period, transfer, rules.text(note, "note"))
    await transfer.refresh_from_db()
    return transfer


async def reject_transfer(
    actor: Actor, *, transfer_id: int, note: str | None = None
) -> TransferRequest:
    transfer, budget = await _load_for_decision(actor, transfer_id)
    if not is_owner(actor, budget.id):
        raise PermissionDenied("only the budget's owners and admins may decide transfers")
    require_pending(transfer.status, "reject")
    async with in_transaction():
        await _settle(transfer, TransferStatus.REJECTED, actor, rules.text(note, "note"))
        await announce_decision(transfer.id, budget.id, TransferStatus.REJECTED)
    await transfer.refresh_from_db()
    return transfer


async def cancel_transfer(actor: Actor, *, transfer_id: int) -> TransferRequest:
    transfer, budget = await _load_for_decision(actor, transfer_id)
    if not can_cancel_transfer(actor, transfer.requested_by_id):  # type: ignore[attr-defined]
        raise PermissionDenied("only the requester may cancel a transfer request")
    require_pending(transfer.status, "cancel")
    async with in_transaction():
        await _settle(transfer, TransferStatus.CANCELLED, actor, None)
        await announce_decision(transfer.id, budget.id, TransferStatus.CANCELLED)
    await transfer.refresh_from_db()
    return transfer


async def expire_due() -> int:
    """Expire every PENDING request past its expiry (run by the background scheduler)."""
    due = await TransferRequest.filter(status="PENDING", expires_at__lte=clock.now())
    expired = [await _expire(t.id, t.budget_id) for t in due]  # type: ignore[attr-defined]
    return sum(expired)


async def announce_decision(transfer_id: int, budget_id: int, status: TransferStatus) -> None:
    """The outbox event every decision writes (once per transfer: the key dedupes it)."""
    await emit(
        "transfer.decided",
        {"transferId": transfer_id, "status": status.value},
        budget_id=budget_id,
        dedupe_key=f"transfer:{transfer_id}:decided",
        audience=await transfer_audience(transfer_id),
    )


async def transfer_audience(transfer_id: int) -> EventAudience:
    """Who hears of a transfer live: the people of both sides' projects and its requester."""
    rows = await fetch(
        "SELECT t.requested_by_id AS requester, f.project_id AS src, d.project_id AS dst"
        " FROM transfer_request t LEFT JOIN allocation f ON f.id = t.from_allocation_id"
        " LEFT JOIN allocation d ON d.id = t.to_allocation_id WHERE t.id = ?",
        transfer_id,
    )
    if not rows:
        return EventAudience()
    row = rows[0]
    return for_projects(row["src"], row["dst"], users=(int(row["requester"]),))
