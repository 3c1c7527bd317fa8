"""Pricing usage: rate cards turn quantities (tokens, hours, GPU-hours) into money.

Exactness (app.domain.pricing): a rate is exact decimal text; quantity × price is computed
exactly, the parts of one spend are summed exactly, and the sum is rounded half-even to micros
once. Usage with no rate in force is refused with `UnpricedUsage`, never recorded as $0. Which
rate applies is app.services.rates.find_rate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from tortoise.transactions import in_transaction

from app import clock
from app.domain import validation as rules
from app.domain.access import Actor
from app.domain.errors import CurrencyMismatch, ValidationError
from app.domain.money import parse_decimal, to_micros
from app.domain.pricing import (
    PricedPart,
    PricedUsage,
    UsagePart,
    check_usage,
    exact_product,
    exact_sum,
    plain,
)
from app.models import SpendUsage
from app.services.rates import find_rate

if TYPE_CHECKING:
    from app.models import Spend
    from app.services.spending import SpendInput


async def price_parts(
    service: str,
    parts: Sequence[UsagePart],
    at: datetime | date | None = None,
    *,
    budget_id: int | None = None,
    currency: str | None = None,
    card: str | None = None,
) -> PricedUsage:
    """Price every part at the rate in force at `at`; refuse the whole if any part is unpriced.

    Parts with quantity 0 cost nothing whatever their price and are not looked up.
    """
    service = rules.name(service, "service", 200)
    checked = check_usage(parts)
    priced: list[PricedPart] = []
    card_currency: str | None = currency
    for unit, quantity in checked:
        if quantity == 0:
            continue
        rate, rate_card = await find_rate(
            service, unit, at, budget_id=budget_id, currency=currency, card=card
        )
        if card_currency is None:
            card_currency = rate_card.currency
        elif rate_card.currency != card_currency:
            raise CurrencyMismatch(
                f"the usage is priced in both {card_currency} and {rate_card.currency}"
            )
        price = Decimal(rate.price)
        priced.append(
            PricedPart(
                service,
                unit,
                quantity,
                price,
                exact_product(quantity, price),
                rate.id,
                rate_card.name,
                rate.effective_from,
            )
        )
    exact = exact_sum(part.amount for part in priced)
    micros = to_micros(exact, field="usage", round_half_even=True)
    return PricedUsage(service, card_currency or "USD", tuple(priced), exact, micros)


async def price_usage(
    service: str,
    unit: str,
    quantity: Decimal | str | int,
    at: datetime | date | None = None,
    *,
    budget_id: int | None = None,
    currency: str | None = None,
    card: str | None = None,
) -> int:
    """Micros for `quantity` of `unit` of `service` at `at` (UnpricedUsage when no rate)."""
    priced = await price_parts(
        service, [UsagePart(unit, quantity)], at, budget_id=budget_id, currency=currency, card=card
    )
    return priced.micros


# --- recording usage --------------------------------------------------------------------------


async def price_spend_input(actor: Actor, item: SpendInput) -> tuple[SpendInput, PricedUsage]:
    """Turn a usage-based SpendInput into an amount-based one (with the pricing noted)."""
    from app.services.spending import resolve_allocation

    if item.amount is not None and item.usage is not None:
        raise ValidationError("usage", "give either amount or usage, not both")
    if item.usage is None and item.quantity is not None and item.unit:
        # The plain form: quantity and unit of one kind of usage, priced like a usage list.
        item = replace(item, usage=(UsagePart(unit=item.unit, quantity=item.quantity),))
    if item.usage is None:
        raise ValidationError("amount", "give an amount, or usage (or quantity and unit) to price")
    key = item.model or item.service
    if not key:
        raise ValidationError("model", "name the service or model whose rate prices the usage")
    _, budget = await resolve_allocation(actor, item.project_id, item.budget_id)
    if item.currency is not None and rules.currency(item.currency) != budget.currency:
        raise CurrencyMismatch(
            f"usage priced in {item.currency.upper()} but the budget is in {budget.currency}"
        )
    at = item.occurred_at or clock.now()
    priced = await price_parts(
        key, item.usage, at, budget_id=budget.id, currency=budget.currency, card=item.card
    )
    note = priced.note()
    description = f"{item.description} [{note}]" if item.description else note
    if len(description) > 2000:
        description = (item.description or "")[
            :1000
        ] + f" [priced {key}: {priced.exact} {priced.currency}, {len(priced.parts)} parts]"
    single = priced.parts[0] if len(priced.parts) == 1 else None
    units = "+".join(p.unit for p in priced.parts)
    return replace(
        item,
        amount=plain(Decimal(priced.micros).scaleb(-6)),
        usage=None,
        service=item.service or key,
        description=description,
        quantity=plain(single.quantity) if single else None,
        unit=single.unit if single else units[:64],
    ), priced


async def record_usage(actor: Actor, item: SpendInput, **options: bool) -> tuple[Spend, bool]:
    """Price usage and record it as one spend, with its priced parts, in one transaction."""
    priced_item, priced = await price_spend_input(actor, item)
    return await record_priced(actor, priced_item, priced, **options)


async def record_priced(
    actor: Actor, priced_item: SpendInput, priced: PricedUsage, **options: bool
) -> tuple[Spend, bool]:
    """Record a spend priced by `price_spend_input`, with its priced parts."""
    from app.services.spending import record_spend

    async with in_transaction():
        spend, created = await record_spend(actor, priced_item, allow_zero=True, **options)
        if created:
            await SpendUsage.bulk_create(
                [
                    SpendUsage(
                        spend_id=spend.id,
                        rate_id=p.rate_id,
                        service=p.service,
                        unit=p.unit,
                        quantity=plain(p.quantity),
                        price=plain(p.price),
                        amount=plain(p.amount),
                    )
                    for p in priced.parts
                ]
            )
    return spend, created


async def log_time(
    actor: Actor,
    *,
    project_id: int,
    hours: Decimal | str | int,
    role: str | None = None,
    user_id: int | None = None,
    occurred_at: datetime | None = None,
    description: str | None = None,
    budget_id: int | None = None,
    external_id: str | None = None,
    idempotency_key: str | None = None,
) -> tuple[Spend, bool]:
    """Hours on a project, priced at the hourly rate of a role (`postdoc`) or of a person
    (`user:7`): usage like any other, unit "hour"."""
    from app.services.spending import SpendInput

    if (role is None) == (user_id is None):
        raise ValidationError("role", "give exactly one of role and userId")
    key = rules.name(role, "role", 190) if role is not None else f"user:{user_id}"
    quantity = parse_decimal(hours, field="hours")
    if quantity <= 0:
        raise ValidationError("hours", "must be greater than zero")
    item = SpendInput(
        project_id=project_id,
        budget_id=budget_id,
        usage=(UsagePart("hour", quantity),),
        model=key,
        service=key,
        occurred_at=occurred_at,
        description=description,
        external_id=external_id,
        idempotency_key=idempotency_key,
        source="time",
    )
    return await record_usage(actor, item)


__all__ = [
    "log_time",
    "price_parts",
    "price_spend_input",
    "price_usage",
    "record_priced",
    "record_usage",
]
