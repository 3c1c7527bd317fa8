"""Reservations: hold money on an allocation before spending it, then settle or release it.

The money is held through app.services.holds (conditional UPDATEs of `allocation.held_micros`
and of the reservation's status), so racing requests cannot overdraw the allocation and only one
of racing settle/release/expire calls moves the money.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from app import clock
from app.domain import validation as rules
from app.domain.access import Actor, can_record_spend
from app.domain.errors import InsufficientFunds, InvalidState, NotFound, ValidationError
from app.domain.money import from_micros, to_micros
from app.models import Budget, Reservation
from app.services import holds, idempotency
from app.services.events import emit, for_projects
from app.services.holds import ReservationStatus
from app.services.sql import fetch
from app.settings import get_settings

_MAX_TTL = 7 * 24 * 3600


def _ttl(ttl_seconds: int | None) -> int:
    ttl = get_settings().reservation_ttl_seconds if ttl_seconds is None else ttl_seconds
    if not 1 <= ttl <= _MAX_TTL:
        raise ValidationError("ttlSeconds", f"must be between 1 and {_MAX_TTL} (7 days)")
    return ttl


async def reserve_spend(
    actor: Actor,
    *,
    project_id: int,
    amount: Decimal | str | int,
    budget_id: int | None = None,
    ttl_seconds: int | None = None,
    service: str | None = None,
    description: str | None = None,
    idempotency_key: str | None = None,
) -> tuple[Reservation, bool]:
    """Hold `amount` on the project's allocation if allocated − spent − held covers it.

    Returns (reservation, created); the same idempotencyKey again returns the first hold.
    """
    from app.services.spending import resolve_allocation

    micros = to_micros(amount, field="amount", positive=True)
    ttl = _ttl(ttl_seconds)
    service = rules.text(service, "service", 200)
    description = rules.text(description, "description")
    allocation, budget = await resolve_allocation(actor, project_id, budget_id)
    content = {
        "projectId": project_id,
        "budgetId": budget.id,
        "amount": micros,
        "service": service,
        "description": description,
    }
    for attempt in range(2):
        try:
            async with in_transaction():
                replay = await idempotency.replay(actor, "reserveSpend", idempotency_key, content)
                if replay is not None:
                    return await Reservation.get(id=replay), False
                await _check_pace(allocation, budget, micros)
                # On refusal, lazily expire stale holds of this allocation and try once more.
                if not await holds.hold(allocation.id, micros) and (
                    not await holds.stale_held(allocation.id)
                    or not await holds.expire_reservations(allocation_id=allocation.id)
                    or not await holds.hold(allocation.id, micros)
                ):
                    raise InsufficientFunds(
                        f"project {allocation.project.name!r}'s allocation",
                        micros,
                        await holds.available(allocation.id),
                        budget.currency,
                    )
                now = clock.now()
                row = await Reservation.create(
                    budget_id=budget.id,
                    allocation_id=allocation.id,
                    project_id=project_id,
                    amount_micros=micros,
                    status=ReservationStatus.OPEN.value,
                    expires_at=now + timedelta(seconds=ttl),
                    service=service,
                    description=description,
                    idempotency_key=idempotency_key,
                    created_by_id=actor.user_id,
                )
                await emit(
                    "reservation.created",
                    {"reservationId": row.id, "allocationId": allocation.id, "amount": micros},
                    budget_id=budget.id,
                    audience=for_projects(project_id),
                )
                await idempotency.remember(actor, "reserveSpend", idempotency_key, content, row.id)
                return row, True
        except IntegrityError:
            if attempt:  # pragma: no cover - a second race on the same key
                raise
    raise AssertionError("unreachable")  # pragma: no cover


async def _check_pace(allocation: object, budget: Budget, micros: int) -> None:
    """A hard-limited budget that enforces pacing holds at most today's pacing cap: today's
    spend, the allocation's open holds and this one together stay within twice today's drip
    (app.domain.pacing), so holds cannot sidestep the cap that recordSpend applies. One read,
    only for such a budget; the error names the rule, not the figures."""
    from app.domain.pacing import PACE_RULE, daily_drip, pacing_cap
    from app.domain.periods import local_date
    from app.services.spend_post import lock_for_pacing
    from app.services.spending import paced_days_left

    today = local_date(clock.now(), budget.timezone)
    days_left = paced_days_left(budget, allocation, today, micros)  # type: ignore[arg-type]
    if days_left is None:
        return
    allocation_id = allocation.id  # type: ignore[attr-defined]
    await lock_for_pacing(allocation_id)
    rows = await fetch(
        "SELECT allocated_micros - spent_micros - held_micros AS remaining, held_micros AS held,"
        " (SELECT COALESCE(SUM(amount_micros), 0) FROM spend_daily"
        " WHERE allocation_id = ? AND day = ?) AS spent_today FROM allocation WHERE id = ?",
        allocation_id,
        today,
        allocation_id,
    )
    remaining, held, spent_today = (int(rows[0][k]) for k in ("remaining", "held", "spent_today"))
    # Open holds are spend on its way: like today's spend, they do not shrink the day's base.
    cap = pacing_cap(daily_drip(remaining + held + spent_today, days_left))
    if spent_today + held + micros > cap:
        raise InsufficientFunds(
            f"project {allocation.project.name!r}'s allocation",  # type: ignore[attr-defined]
            micros,
            None,
            budget.currency,
            rule=PACE_RULE,
        )


async def _load(actor: Actor, reservation_id: int) -> Reservation:
    row = await Reservation.get_or_none(id=reservation_id).select_related("budget", "project")
    if row is None or not can_record_spend(actor, row.budget_id, row.project_id):  # type: ignore[attr-defined]
        # Someone who may not spend on the project may not know about its holds either.
        raise NotFound("Reservation", reservation_id, field="reservationId")
    return row


@dataclass(frozen=True)
class Settlement:
    reservation: Reservation
    spend: object  # app.models.Spend
    created: bool


async def settle_reservation(
    actor: Actor,
    *,
    reservation_id: int,
    amount: Decimal | str | int | None = None,
    usage: tuple[object, ...] | None = None,
    model: str | None = None,
    service: str | None = None,
    description: str | None = None,
    external_id: str | None = None,
    occurred_at: datetime | None = None,
) -> Settlement:
    """Turn a hold into the actual spend (more or less than the hold), in one transaction.

    The hold is released and the spend recorded through the ledger. Above the hold, a budget
    with hard limits still refuses what the allocation's free money (after other holds) cannot
    cover; a budget without hard limits lets the spend overdraw, as any spend may. Settling
    the same reservation again with the same amount returns the first settlement.
    """
    from app.models import Spend
    from app.services import pricing
    from app.services.spending import SpendInput, record_spend

    row = await _load(actor, reservation_id)
    budget: Budget = row.budget
    item = SpendInput(
        project_id=row.project_id,
        budget_id=row.budget_id,
        amount=amount,  # type: ignore[attr-defined]
        usage=usage,
        model=model,
        service=service or row.service,
        description=description if description is not None else row.description,
        external_id=external_id,
        occurred_at=occurred_at,
        source="reservation",
    )
    priced = None
    if usage is not None or amount is None:
        item, priced = await pricing.price_spend_input(actor, item)
        micros = priced.micros
    else:
        micros = to_micros(amount, field="amount", positive=True)
    if row.status == ReservationStatus.SETTLED.value:
        if row.settled_micros == micros and row.spend_id is not None:
            return Settlement(row, await Spend.get(id=row.spend_id), False)
        raise InvalidState(
            f"reservation {reservation_id} was settled already "
            f"for {from_micros(row.settled_micros or 0)} {budget.currency}"
        )
    if row.status != ReservationStatus.OPEN.value:
        raise InvalidState(
            f"reservation {reservation_id} is {row.status.lower()}; "
            "record the spend with recordSpend instead"
        )
    if row.expires_at <= clock.now():
        await holds.expire_reservations(allocation_id=row.allocation_id)  # type: ignore[attr-defined]
        raise InvalidState(
            f"reservation {reservation_id} expired at {row.expires_at.isoformat()};"
            " record the spend with recordSpend instead"
        )
    hold = row.amount_micros
    async with in_transaction():
        if not await holds.close_open(row.id, ReservationStatus.SETTLED, settled_micros=micros):
            raise InvalidState(
                f"reservation {reservation_id} was settled, released or expired "
                "by a concurrent request"
            )
        if budget.hard_limit and micros > hold:
            rows = await fetch(
                "UPDATE allocation SET held_micros = held_micros - ? WHERE id = ?"
                " AND allocated_micros - spent_micros - (held_micros - ?) >= ? RETURNING id",
                hold,
                row.allocation_id,
                hold,
                micros,  # type: ignore[attr-defined]
            )
            if not rows:
                free = await holds.available(row.allocation_id) + hold  # type: ignore[attr-defined]
                raise InsufficientFunds(
                    f"project {row.project.name!r}'s allocation (hard limit; the hold covers "
                    f"{from_micros(hold)})",
                    micros,
                    free,
                    budget.currency,
                )
        else:
            await holds.unhold(row.allocation_id, hold)  # type: ignore[attr-defined]
        if priced is not None:
            spend, _ = await pricing.record_priced(actor, item, priced, paced=False)
        else:
            # The hold was paced when it was taken (`_check_pace`): settling it is not.
            spend, _ = await record_spend(actor, item, paced=False)
        await fetch(
            "UPDATE reservation SET spend_id = ? WHERE id = ? RETURNING id", spend.id, row.id
        )
        await emit(
            "reservation.settled",
            {"reservationId": row.id, "spendId": spend.id, "held": hold, "amount": micros},
            budget_id=budget.id,
            audience=for_projects(row.project_id),  # type: ignore[attr-defined]
        )
    await row.refresh_from_db()
    return Settlement(row, spend, True)


async def release_reservation(actor: Actor, *, reservation_id: int) -> Reservation:
    """Drop a hold. Releasing a released or expired hold again changes nothing."""
    row = await _load(actor, reservation_id)
    if row.status == ReservationStatus.SETTLED.value:
        raise InvalidState(f"reservation {reservation_id} was settled; it cannot be released")
    if row.status == ReservationStatus.OPEN.value:
        async with in_transaction():
            if await holds.close_open(row.id, ReservationStatus.RELEASED):
                await holds.unhold(row.allocation_id, row.amount_micros)  # type: ignore[attr-defined]
                await emit(
                    "reservation.released",
                    {"reservationId": row.id, "amount": row.amount_micros},
                    budget_id=row.budget_id,  # type: ignore[attr-defined]
                    audience=for_projects(row.project_id),  # type: ignore[attr-defined]
                )
        await row.refresh_from_db()
    return row


__all__ = ["Settlement", "release_reservation", "reserve_spend", "settle_reservation"]
