"""Rate cards, rates, priced usage and reservations as GraphQL types, plus the pricing queries."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import Enum

import strawberry

from app.domain.money import from_micros
from app.domain.pricing import PricedUsage as PricedUsageRow
from app.domain.pricing import UsagePart
from app.models import Allocation as AllocationRow
from app.models import Rate as RateRow
from app.models import RateCard as RateCardRow
from app.models import Reservation as ReservationRow
from app.services import pricing, rates
from schema import ids
from schema.context import Info
from schema.pagination import Connection, paginate
from schema.types.allocation import Allocation


@strawberry.input(
    description='One measured quantity, e.g. {unit: "input_token", quantity: "1000"}.'
)
class UsageInput:
    unit: str
    quantity: Decimal


def usage_parts(items: list[UsageInput] | None) -> tuple[UsagePart, ...] | None:
    if items is None:
        return None
    return tuple(UsagePart(unit=u.unit, quantity=u.quantity) for u in items)


@strawberry.type(description="One version of the price of one unit of a service or model.")
class Rate:
    id: strawberry.ID
    service: str
    unit: str
    price: Decimal = strawberry.field(description="Per unit, exact (e.g. 0.000000075).")
    effective_from: date
    card: str

    @classmethod
    def from_model(cls, row: RateRow, card: str) -> Rate:
        return cls(
            id=strawberry.ID(ids.encode("Rate", row.id)),
            service=row.service,
            unit=row.unit,
            price=Decimal(row.price),
            effective_from=row.effective_from,
            card=card,
        )


@strawberry.type(description="A named set of rates in one currency, global or for one budget.")
class RateCard:
    id: strawberry.ID
    name: str
    currency: str
    global_: bool = strawberry.field(name="global")
    budget_id: strawberry.ID | None
    row: strawberry.Private[RateCardRow]

    @classmethod
    def from_model(cls, row: RateCardRow) -> RateCard:
        scope = row.budget_id  # type: ignore[attr-defined]
        return cls(
            id=strawberry.ID(ids.encode("RateCard", row.id)),
            name=row.name,
            currency=row.currency,
            global_=scope is None,
            budget_id=None if scope is None else strawberry.ID(ids.encode("Budget", scope)),
            row=row,
        )

    @strawberry.field(
        description="Rate versions, oldest first by id; filter by service, unit, "
        "or `inForceAt` (only the version in force on that date)."
    )
    async def rates(
        self,
        first: int | None = None,
        after: str | None = None,
        service: str | None = None,
        unit: str | None = None,
        in_force_at: date | None = None,
    ) -> Connection[Rate]:
        query = RateRow.filter(card_id=self.row.id)
        if service is not None:
            query = query.filter(service=service)
        if unit is not None:
            query = query.filter(unit=unit)
        if in_force_at is not None:
            # Keep only the latest version on or before the day, per (service, unit).
            rows = (
                await query.filter(effective_from__lte=in_force_at)
                .order_by("effective_from")
                .values_list("id", "service", "unit")
            )
            latest = {(s, u): pk for pk, s, u in rows}
            query = RateRow.filter(id__in=list(latest.values()))
        name = self.row.name
        return await paginate(query, first, after, lambda r: Rate.from_model(r, name))  # type: ignore[arg-type]


@strawberry.type(description="One priced part of some usage.")
class PricedPart:
    unit: str
    quantity: Decimal
    price: Decimal
    amount: Decimal = strawberry.field(description="quantity × price, exact (not rounded).")
    card: str
    effective_from: date | None


@strawberry.type(description="Usage priced at the rates in force at `at`.")
class PricedUsage:
    service: str
    currency: str
    amount: Decimal = strawberry.field(description="The exact sum rounded half-even to micros.")
    exact_amount: Decimal
    parts: list[PricedPart]

    @classmethod
    def from_domain(cls, p: PricedUsageRow) -> PricedUsage:
        return cls(
            service=p.service,
            currency=p.currency,
            amount=from_micros(p.micros),
            exact_amount=p.exact,
            parts=[
                PricedPart(
                    unit=x.unit,
                    quantity=x.quantity,
                    price=x.price,
                    amount=x.amount,
                    card=x.card,
                    effective_from=x.effective_from,
                )
                for x in p.parts
            ],
        )


@strawberry.enum
class ReservationStatus(Enum):
    OPEN = "OPEN"
    SETTLED = "SETTLED"
    RELEASED = "RELEASED"
    EXPIRED = "EXPIRED"


@strawberry.type(description="Money held on an allocation before it is spent.")
class Reservation:
    id: strawberry.ID
    amount: Decimal
    status: ReservationStatus
    expires_at: datetime
    service: str | None
    description: str | None
    settled_amount: Decimal | None
    spend_id: strawberry.ID | None
    created_at: datetime
    row: strawberry.Private[ReservationRow]

    @classmethod
    def from_model(cls, row: ReservationRow) -> Reservation:
        return cls(
            id=strawberry.ID(ids.encode("Reservation", row.id)),
            amount=from_micros(row.amount_micros),
            status=ReservationStatus(row.status),
            expires_at=row.expires_at,
            service=row.service,
            description=row.description,
            settled_amount=None if row.settled_micros is None else from_micros(row.settled_micros),
            spend_id=None
            if row.spend_id is None
            else strawberry.ID(ids.encode("Spend", row.spend_id)),
            created_at=row.created_at,
            row=row,
        )

    @strawberry.field
    async def allocation(self, info: Info) -> Allocation:
        row = await AllocationRow.get(id=self.row.allocation_id)  # type: ignore[attr-defined]
        return Allocation.from_model(row)


@strawberry.type
class PricingQueries:
    @strawberry.field(description="Rate cards you can see: global ones, and those of your budgets.")
    async def rate_cards(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        name: str | None = None,
    ) -> Connection[RateCard]:
        actor = info.context.actor
        project_budgets = await AllocationRow.filter(
            project_id__in=list(actor.project_roles)
        ).values_list("budget_id", flat=True)
        query = rates.visible_cards(actor, project_budgets)  # type: ignore[arg-type]
        if name is not None:
            query = query.filter(name=name)
        return await paginate(query, first, after, RateCard.from_model)  # type: ignore[arg-type]

    @strawberry.field(
        description="What this usage costs at the rates in force at `at` "
        "(default now). Unpriced usage is an UNPRICED error, never 0."
    )
    async def price_usage(
        self,
        info: Info,
        service: str,
        unit: str,
        quantity: Decimal,
        at: datetime | None = None,
        budget_id: strawberry.ID | None = None,
        card: str | None = None,
    ) -> PricedUsage:
        info.context.actor  # noqa: B018 - authentication required
        budget = ids.decode_optional(budget_id, "Budget", "budgetId")
        currency = None
        if budget is not None:
            from app.models import Budget as BudgetRow

            row = await BudgetRow.get_or_none(id=budget)
            currency = row.currency if row else None
        priced = await pricing.price_parts(
            service,
            [UsagePart(unit, quantity)],
            at,
            budget_id=budget,
            currency=currency,
            card=card,
        )
        return PricedUsage.from_domain(priced)
