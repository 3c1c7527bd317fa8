"""reserveSpend, settleReservation, releaseReservation: hold money before spending it."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import strawberry

from app.services import reservations as service
from schema import ids
from schema.context import Info
from schema.mutations import payload, run
from schema.types.pricing import Reservation, UsageInput, usage_parts
from schema.types.spend import Spend


@strawberry.input
class ReserveSpendInput:
    project_id: strawberry.ID
    amount: Decimal
    budget_id: strawberry.ID | None = None
    ttl_seconds: int | None = strawberry.field(
        default=None, description="Seconds until the hold expires (default from settings)."
    )
    service: str | None = None
    description: str | None = None
    idempotency_key: str | None = None


@strawberry.type
class SpendReserved:
    reservation: Reservation
    #: True when this call replayed an earlier one (same idempotencyKey).
    duplicate: bool


ReserveSpendPayload = payload("ReserveSpendPayload", SpendReserved)


@strawberry.input
class SettleReservationInput:
    reservation_id: strawberry.ID
    amount: Decimal | None = strawberry.field(
        default=None, description="The actual cost, more or less than the hold (or give usage)."
    )
    usage: list[UsageInput] | None = None
    model: str | None = None
    service: str | None = None
    description: str | None = None
    external_id: str | None = None
    occurred_at: datetime | None = None


@strawberry.type
class ReservationSettled:
    reservation: Reservation
    spend: Spend
    duplicate: bool


SettleReservationPayload = payload("SettleReservationPayload", ReservationSettled)


@strawberry.input
class ReleaseReservationInput:
    reservation_id: strawberry.ID


@strawberry.type
class ReservationReleased:
    reservation: Reservation


ReleaseReservationPayload = payload("ReleaseReservationPayload", ReservationReleased)


@strawberry.type
class ReservationMutations:
    @strawberry.mutation(
        description="Hold an estimated amount on the project's allocation; "
        "refused when allocated − spent − held cannot cover it."
    )
    async def reserve_spend(self, info: Info, input: ReserveSpendInput) -> ReserveSpendPayload:
        async def call() -> SpendReserved:
            row, created = await service.reserve_spend(
                info.context.actor,
                project_id=ids.decode(input.project_id, "Project", "projectId"),
                amount=input.amount,
                budget_id=ids.decode_optional(input.budget_id, "Budget", "budgetId"),
                ttl_seconds=input.ttl_seconds,
                service=input.service,
                description=input.description,
                idempotency_key=input.idempotency_key,
            )
            return SpendReserved(reservation=Reservation.from_model(row), duplicate=not created)

        return await run(call)

    @strawberry.mutation(description="Turn a hold into the actual spend and drop the hold.")
    async def settle_reservation(
        self, info: Info, input: SettleReservationInput
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

    @strawberry.mutation(description="Drop a hold without spending.")
    async def release_reservation(
        self, info: Info, input: ReleaseReservationInput
    ) -> ReleaseReservationPayload:
        async def call() -> ReservationReleased:
            row = await service.release_reservation(
                info.context.actor,
                reservation_id=ids.decode(input.reservation_id, "Reservation", "reservationId"),
            )
            return ReservationReleased(reservation=Reservation.from_model(row))

        return await run(call)
