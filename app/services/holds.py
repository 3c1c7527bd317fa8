"""Holds on allocations: the money OPEN reservations set aside, and their expiry.

A hold counts against the allocation through the cached `allocation.held_micros`, changed only
by conditional UPDATEs, so concurrent requests cannot all pass a check only one of them fits:

    UPDATE allocation SET held_micros = held_micros + :amount
    WHERE id = :id AND allocated_micros - spent_micros - held_micros >= :amount

Every OPEN reservation is in held_micros exactly once; the status change (OPEN -> SETTLED,
RELEASED or EXPIRED) is itself conditional (`WHERE status = 'OPEN'`), so only one of racing
settle/release/expire calls moves the money. `verify()` checks the cache against the rows.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from enum import StrEnum

from tortoise.transactions import in_transaction

from app import clock
from app.models import Allocation, Reservation
from app.services.events import emit, for_projects
from app.services.sql import fetch

log = logging.getLogger("allot.reservations")


class ReservationStatus(StrEnum):
    OPEN = "OPEN"
    SETTLED = "SETTLED"
    RELEASED = "RELEASED"
    EXPIRED = "EXPIRED"


async def hold(allocation_id: int, amount: int) -> bool:
    rows = await fetch(
        "UPDATE allocation SET held_micros = held_micros + ?"
        " WHERE id = ? AND allocated_micros - spent_micros - held_micros >= ? RETURNING id",
        amount,
        allocation_id,
        amount,
    )
    return bool(rows)


async def unhold(allocation_id: int, amount: int) -> None:
    await fetch(
        "UPDATE allocation SET held_micros = held_micros - ? WHERE id = ? RETURNING id",
        amount,
        allocation_id,
    )


async def close_open(reservation_id: int, status: ReservationStatus, **extra: object) -> bool:
    """OPEN -> status, only if still OPEN (the one winner of racing callers)."""
    sets = ", ".join(f"{k} = ?" for k in ("status", "closed_at", *extra))
    rows = await fetch(
        f"UPDATE reservation SET {sets} WHERE id = ? AND status = 'OPEN' RETURNING id",
        status.value,
        clock.now(),
        *extra.values(),
        reservation_id,
    )
    return bool(rows)


async def stale_held(allocation_id: int, now: datetime | None = None) -> int:
    """Money in OPEN holds of the allocation that have expired but were not swept yet."""
    rows = await fetch(
        "SELECT COALESCE(SUM(amount_micros), 0) AS s FROM reservation"
        " WHERE allocation_id = ? AND status = 'OPEN' AND expires_at <= ?",
        allocation_id,
        now or clock.now(),
    )
    return int(rows[0]["s"]) if rows else 0


async def expire_reservations(
    *, allocation_id: int | None = None, now: datetime | None = None, limit: int = 1000
) -> int:
    """Expire OPEN holds past their expires_at and give their money back; returns how many.

    Safe to run concurrently with itself and with settle/release (conditional status change).
    The background worker calls it periodically; reserveSpend calls it for one allocation when
    a hold does not fit.
    """
    now = now or clock.now()
    query = Reservation.filter(status=ReservationStatus.OPEN.value, expires_at__lte=now)
    if allocation_id is not None:
        query = query.filter(allocation_id=allocation_id)
    stale = (
        await query.order_by("id")
        .limit(limit)
        .values_list("id", "allocation_id", "amount_micros", "budget_id", "project_id")
    )
    expired = 0
    if not stale:
        return 0
    async with in_transaction():
        for rid, alloc_id, amount, budget_id, project_id in stale:
            if await close_open(rid, ReservationStatus.EXPIRED):  # type: ignore[arg-type]
                await unhold(alloc_id, amount)  # type: ignore[arg-type]
                await emit(
                    "reservation.expired",
                    {"reservationId": rid, "allocationId": alloc_id, "amount": amount},
                    budget_id=budget_id,  # type: ignore[arg-type]
                    audience=for_projects(project_id),  # type: ignore[arg-type]
                )
                expired += 1
    return expired


async def available(allocation_id: int) -> int:
    a = await Allocation.get(id=allocation_id).values_list(
        "allocated_micros", "spent_micros", "held_micros"
    )
    return max(0, a[0] - a[1] - a[2])  # type: ignore[index,operator]


async def run_expiry_worker(interval_seconds: float = 30.0) -> None:
    """Sweep expired holds forever (a `create_app(workers=[...])` worker; cancel to stop)."""
    while True:
        try:
            expired = await expire_reservations()
            if expired:
                log.info("expired %d reservations", expired)
        except Exception:  # a worker logs and keeps going
            log.exception("reservation expiry sweep failed")
        await asyncio.sleep(interval_seconds)


__all__ = [
    "ReservationStatus",
    "available",
    "close_open",
    "expire_reservations",
    "hold",
    "run_expiry_worker",
    "stale_held",
    "unhold",
]
