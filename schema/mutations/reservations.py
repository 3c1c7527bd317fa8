"""reserveSpend, settleReservation, releaseReservation: hold money before spending it."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

import strawberry

from app.services import reservations as service
from schema import ids, refs
from schema.context import Info
from schema.mutations import payload, run
from schema.types.pricing import Reservation, UsageInput, usage_parts
from schema.types.spend import Spend


@strawberry.input(description="Hold an estimate on a project's envelope before spending it.")
class ReserveSpendInput:
    project_id: strawberry.ID = strawberry.field(
        description="The project: its id (prj_3) or its slug (genomics)."
    )
    amount: Decimal = strawberry.field(description="The estimate to hold (> 0, exact).")
    budget_id: strawberry.ID | None = strawberry.field(
        default=None, description="Which budget's envelope; needed when several fund it."
    )
    ttl_seconds: int | None = strawberry.field(
        default=None,
        description="Seconds until the hold expires, 1 to 604800 (7 days); default "
        "ALLOT_RESERVATION_TTL_SECONDS (900).",
    )
    service: str | None = strawberry.field(default=None, description="What it is for, e.g. gpt-4o.")
    description: str | None = strawberry.field(default=None, description="Free text.")
    idempotency_key: str | None = strawberry.field(
        default=None, description="Your key: the same key again returns the first hold."
    )


@strawberry.type(description="The money is held until settled, released or expired.")
class SpendReserved:
    reservation: Reservation = strawberry.field(description="The hold.")
    #: True when this call replayed an earlier one (same idempotencyKey).
    duplicate: bool = strawberry.field(
        description="True when this call replayed an earlier one (same idempotencyKey)."
    )


ReserveSpendPayload = payload("ReserveSpendPayload", SpendReserved)


@strawberry.input(description="Turn a hold into the actual spend: give amount, or usage.")
class SettleReservationInput:
    reservation_id: strawberry.ID = strawberry.field(description="The hold, e.g. rsv_3.")
    amount: Decimal | None = strawberry.field(
        default=None, description="The actual cost, more or less than the hold (or give usage)."
    )
    usage: list[UsageInput] | None = strawberry.field(
        default=None, description="Quantities to price at the rates in force (instead of amount)."
    )
    model: str | None = strawberry.field(
        default=None, description="The rate key that prices usage (default: service)."
    )
    service: str | None = strawberry.field(
        default=None, description="What it was spent on (default: the reservation's)."
    )
    description: str | None = strawberry.field(default=None, description="Free text.")
    external_id: str | None = strawberry.field(
        default=None, description="Your id for the cost (unique per source and project)."
    )
    occurred_at: datetime | None = strawberry.field(
        default=None, description="When the cost was incurred (with an offset); default now."
    )


@strawberry.type(description="The hold became spend and is dropped.")
class ReservationSettled:
    reservation: Reservation = strawberry.field(description="The reservation, now SETTLED.")
    spend: Spend = strawberry.field(description='The spend recorded (source "reservation").')
    duplicate: bool = strawberry.field(
        description="True when this settled it before with the same amount (a replay)."
    )


SettleReservationPayload = payload("SettleReservationPayload", ReservationSettled)


@strawberry.input(description="Which hold to drop.")
class ReleaseReservationInput:
    reservation_id: strawberry.ID = strawberry.field(description="The hold, e.g. rsv_3.")


@strawberry.type(description="The hold is dropped; nothing was spent.")
class ReservationReleased:
    reservation: Reservation = strawberry.field(
        description="The reservation, now RELEASED (or EXPIRED, if it had lapsed)."
    )


ReleaseReservationPayload = payload("ReleaseReservationPayload", ReservationReleased)


@strawberry.type
class ReservationMutations:
    @strawberry.mutation(
        description="Hold an estimated amount on the project's allocation; "
        "refused when allocated − spent − held cannot cover it, so concurrent callers cannot "
        "all pass a check only one fits. Who may: as recordSpend. Errors: InsufficientFunds, "
        "PermissionDenied, NotFound, AmbiguousReference, ValidationError, PeriodClosedError, "
        "IdempotencyConflict."
    )
    async def reserve_spend(
        self,
        info: Info,
        input: Annotated[ReserveSpendInput, strawberry.argument(description="The hold.")],
    ) -> ReserveSpendPayload:
        async def call() -> SpendReserved:
            row, created = await service.reserve_spend(
                info.context.actor,
                project_id=await refs.project_pk(info.context.actor, input.project_id, "projectId"),
                amount=input.amount,
                budget_id=ids.decode_optional(input.budget_id, "Budget", "budgetId"),
                ttl_seconds=input.ttl_seconds,
                service=input.service,
                description=input.description,
                idempotency_key=input.idempotency_key,
            )
            return SpendReserved(reservation=Reservation.from_model(row), duplicate=not created)

        return await run(call)

    @strawberry.mutation(
        description="Turn a hold into the actual spend and drop the hold, in one transaction. "
        "Above the hold, a hardLimit budget still refuses what the envelope cannot cover. "
        "Who may: as recordSpend. Errors: NotFound (also when you may not spend on its "
        "project), InvalidState (released, expired, or settled for another amount), "
        "InsufficientFunds, UnpricedUsage, ValidationError."
    )
    async def settle_reservation(
        self,
        info: Info,
        input: Annotated[
            SettleReservationInput, strawberry.argument(description="The hold and the cost.")
        ],
    ) -> SettleReservationPayload:
        async def call() -> ReservationSettled:
            done = await service.settle_reservation(
                info.context.actor,
                reservation_id=ids.decode(input.reservation_id, "Reservation", "reservationId"),
                amount=input.amount,
                usage=usage_parts(input.usage),
                model=input.model,
                service=input.service,
                description=input.description,
                external_id=input.external_id,
                occurred_at=input.occurred_at,
            )
            return ReservationSettled(
                reservation=Reservation.from_model(done.reservation),
                spend=Spend.from_model(done.spend),  # type: ignore[arg-type]
                duplicate=not done.created,
            )

        return await run(call)

    @strawberry.mutation(
        description="Drop a hold without spending; releasing a released or expired hold again "
        "changes nothing. Who may: as recordSpend. Errors: NotFound (also when you may not "
        "spend on its project), InvalidState (already settled)."
    )
    async def release_reservation(
        self,
        info: Info,
        input: Annotated[ReleaseReservationInput, strawberry.argument(description="The hold.")],
    ) -> ReleaseReservationPayload:
        async def call() -> ReservationReleased:
            row = await service.release_reservation(
                info.context.actor,
                reservation_id=ids.decode(input.reservation_id, "Reservation", "reservationId"),
            )
            return ReservationReleased(reservation=Reservation.from_model(row))

        return await run(call)
