"""Rate cards, rates, priced usage and reservations as GraphQL types, plus the pricing queries."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Annotated

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
from schema.types.allocation import Allocation, allocation_for
from schema.types.common import After, First


@strawberry.input(
    description='One measured quantity, e.g. {unit: "input_token", quantity: "1000"}.'
)
class UsageInput:
    unit: str = strawberry.field(
        description="The unit of a rate, e.g. input_token, output_token, hour, gpu_hour."
    )
    quantity: Decimal = strawberry.field(
        description="How many units, as an exact decimal string (0 costs nothing)."
    )


def usage_parts(items: list[UsageInput] | None) -> tuple[UsagePart, ...] | None:
    if items is None:
        return None
    return tuple(UsagePart(unit=u.unit, quantity=u.quantity) for u in items)


@strawberry.type(
    description="One version of the price of one unit of a service or model (id `rte_…`). "
    "Usage is priced at the latest version effective on or before the (UTC) day it happened; "
    "spend already recorded keeps its amount when a price changes."
)
class Rate:
    id: strawberry.ID = strawberry.field(description="Opaque id of this version.")
    service: str = strawberry.field(
        description='The rate key: a model ("gpt-4o"), a service, a role ("postdoc") or a '
        'person ("user:7").'
    )
    unit: str = strawberry.field(description="The unit priced, e.g. input_token or hour.")
    price: Decimal = strawberry.field(
        description="Per unit, exact, any number of decimals (e.g. 0.000000075), in the card's "
        "currency."
    )
    effective_from: date = strawberry.field(description="First UTC day this price applies.")
    card: str = strawberry.field(description="Name of the rate card it belongs to.")

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


@strawberry.type(
    description="A named set of rates in one currency (id `rat_…`), global (set by admins, "
    "seen by everyone) or scoped to one budget (set by its owners; it wins over global cards "
    "for that budget)."
)
class RateCard:
    id: strawberry.ID = strawberry.field(description="Opaque id of the card.")
    name: str = strawberry.field(description='Card name, e.g. "litellm".')
    currency: str = strawberry.field(description="ISO 4217 code of every price on the card.")
    global_: bool = strawberry.field(
        name="global", description="True for a global card; false when scoped to budgetId."
    )
    budget_id: strawberry.ID | None = strawberry.field(
        description="The budget the card is scoped to; null for a global card."
    )
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
        first: First = None,
        after: After = None,
        service: Annotated[
            str | None, strawberry.argument(description="Only this rate key (exact).")
        ] = None,
        unit: Annotated[str | None, strawberry.argument(description="Only this unit.")] = None,
        in_force_at: Annotated[
            date | None,
            strawberry.argument(
                description="Only the version in force on this day, per service and unit."
            ),
        ] = None,
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


@strawberry.type(description="One priced part of some usage (one unit).")
class PricedPart:
    unit: str = strawberry.field(description="The unit priced.")
    quantity: Decimal = strawberry.field(description="How many units.")
    price: Decimal = strawberry.field(description="The price per unit that applied.")
    amount: Decimal = strawberry.field(description="quantity × price, exact (not rounded).")
    card: str = strawberry.field(description="The rate card the price came from.")
    effective_from: date | None = strawberry.field(
        description="First day of the rate version that applied; null for a zero quantity "
        "(not looked up)."
    )


@strawberry.type(description="Usage priced at the rates in force at `at`.")
class PricedUsage:
    service: str = strawberry.field(description="The rate key that priced it.")
    currency: str = strawberry.field(description="ISO 4217 code of the amounts.")
    amount: Decimal = strawberry.field(
        description="The exact sum rounded half-even to micros: what recording it would spend."
    )
    exact_amount: Decimal = strawberry.field(description="The exact sum of the parts, not rounded.")
    parts: list[PricedPart] = strawberry.field(description="One part per unit priced.")

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


@strawberry.enum(description="Where a reservation (a hold) is in its life; only OPEN changes.")
class ReservationStatus(Enum):
    OPEN = strawberry.enum_value(
        "OPEN", description="Holding its amount: counted in the envelope's held until it ends."
    )
    SETTLED = strawberry.enum_value(
        "SETTLED", description="Turned into spend by settleReservation (see spendId)."
    )
    RELEASED = strawberry.enum_value(
        "RELEASED", description="Dropped by releaseReservation; nothing was spent."
    )
    EXPIRED = strawberry.enum_value(
        "EXPIRED", description="Its time ran out (or its period closed); nothing was spent."
    )


@strawberry.type(
    description="Money held on an allocation before it is spent (id `rsv_…`), so that "
    "concurrent requests cannot all pass a check only one fits. Visible like its allocation."
)
class Reservation:
    id: strawberry.ID = strawberry.field(description="Opaque id, e.g. `rsv_3`.")
    amount: Decimal = strawberry.field(description="The money held (exact decimal string).")
    status: ReservationStatus = strawberry.field(
        description="OPEN, then SETTLED, RELEASED or EXPIRED."
    )
    expires_at: datetime = strawberry.field(description="When an OPEN hold lapses by itself (UTC).")
    service: str | None = strawberry.field(description="What the money is for, e.g. gpt-4o.")
    description: str | None = strawberry.field(description="Free text.")
    settled_amount: Decimal | None = strawberry.field(
        description="The actual cost it was settled for (more or less than amount); null "
        "unless SETTLED."
    )
    spend_id: strawberry.ID | None = strawberry.field(
        description="The spend recorded when it settled; null unless SETTLED."
    )
    created_at: datetime = strawberry.field(description="When it was made (UTC).")
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

    @strawberry.field(description="The envelope the money is held on.")
    async def allocation(self, info: Info) -> Allocation:
        row = await info.context.loaders.allocation.load(self.row.allocation_id)  # type: ignore[attr-defined]
        return await allocation_for(info, row)


@strawberry.type
class PricingQueries:
    @strawberry.field(description="Rate cards you can see: global ones, and those of your budgets.")
    async def rate_cards(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        name: Annotated[
            str | None, strawberry.argument(description="Only the card named so.")
        ] = None,
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
        service: Annotated[
            str, strawberry.argument(description='The rate key, e.g. "gpt-4o" or "postdoc".')
        ],
        unit: Annotated[str, strawberry.argument(description="The unit, e.g. input_token.")],
        quantity: Annotated[
            Decimal, strawberry.argument(description="How many units (exact decimal string).")
        ],
        at: Annotated[
            datetime | None,
            strawberry.argument(
                description="When the usage happened (with an offset); default now."
            ),
        ] = None,
        budget_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(
                description="Price as this budget would: its own cards win, in its currency."
            ),
        ] = None,
        card: Annotated[
            str | None, strawberry.argument(description="Price from this rate card only.")
        ] = None,
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
