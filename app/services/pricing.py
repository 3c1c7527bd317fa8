"""Pricing usage: rate cards turn quantities (tokens, hours, GPU-hours) into money.

Exactness: a rate is exact decimal text; quantity × price is computed exactly (a Decimal
context wide enough that nothing rounds, with Inexact trapped), the parts of one spend are
summed exactly, and the sum is rounded half-even to micros once. Usage with no rate in force is
refused with `UnpricedUsage`, never recorded as $0.

Which rate applies: the latest version (by effective_from, a UTC date) on or before the UTC date
of the moment the usage happened, among the cards that may price the budget. A card scoped to
the budget wins over global cards; two cards of the same scope with different prices are
ambiguous unless the caller names the card.
"""

from __future__ import annotations

import decimal
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, TextIO

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from app import clock
from app.domain import validation as rules
from app.domain.access import Actor, is_owner, require
from app.domain.errors import (
    AmbiguousReference,
    CurrencyMismatch,
    NotFound,
    UnpricedUsage,
    ValidationError,
)
from app.domain.money import parse_decimal, to_micros
from app.models import Budget, Rate, RateCard, SpendUsage

if TYPE_CHECKING:
    from app.ingest.prices import ModelPrice
    from app.models import Spend
    from app.services.spending import SpendInput

#: Wide enough for the exact product of two 64-character decimals and sums of many of them.
_EXACT = decimal.Context(prec=400, traps=[decimal.Inexact, decimal.InvalidOperation,
                                          decimal.Overflow])
_CHUNK = 2000


@dataclass(frozen=True)
class UsagePart:
    """One measured quantity of one unit, e.g. 1000 input_token."""

    unit: str
    quantity: Decimal | str | int


@dataclass(frozen=True)
class PricedPart:
    service: str
    unit: str
    quantity: Decimal
    price: Decimal
    amount: Decimal  # exact, unrounded
    rate_id: int | None
    card: str
    effective_from: date | None


@dataclass(frozen=True)
class PricedUsage:
    service: str
    currency: str
    parts: tuple[PricedPart, ...]
    exact: Decimal  # exact sum of the parts
    micros: int  # the sum rounded half-even to micros, once

    def note(self) -> str:
        """How the amount was computed, for the spend's description."""
        terms = " + ".join(
            f"{_plain(p.quantity)} {p.unit} × {_plain(p.price)}"
            + (f" ({p.card} from {p.effective_from})" if p.rate_id is not None else "")
            for p in self.parts
        )
        return f"priced {self.service}: {terms} = {_plain(self.exact)} {self.currency}"


def _plain(value: Decimal) -> str:
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def _day(at: datetime | date | None) -> date:
    if at is None:
        return clock.now().astimezone(UTC).date()
    if isinstance(at, datetime):
        if at.tzinfo is None:
            raise ValidationError("at", "must include a time zone offset, e.g. Z")
        return at.astimezone(UTC).date()
    return at


def _price_text(value: object, field: str = "price") -> str:
    price = parse_decimal(value, field=field)
    if price < 0:
        raise ValidationError(field, "must not be negative")
    text = _plain(price)
    if len(text) > 64:
        raise ValidationError(field, "must be at most 64 characters written out")
    return text


def _key(value: str | None, field: str, max_length: int) -> str:
    text = (value or "").strip()
    if not text:
        raise ValidationError(field, "must not be empty")
    if len(text) > max_length:
        raise ValidationError(field, f"must be at most {max_length} characters")
    return text


# --- rate cards -------------------------------------------------------------------------------


async def _card_for_write(
    actor: Actor | None, name: str, budget_id: int | None, currency: str | None
) -> RateCard:
    """The named card, created on first use (global, or scoped to budget_id)."""
    card = await RateCard.get_or_none(name=name)
    if card is None:
        if budget_id is not None:
            budget = await Budget.get_or_none(id=budget_id)
            if budget is None:
                raise NotFound("Budget", budget_id, field="budgetId")
            if actor is not None:
                require(is_owner(actor, budget_id), "set rates for this budget")
            code = rules.currency(currency or budget.currency)
            if code != budget.currency:
                raise CurrencyMismatch(
                    f"the card would be in {code} but the budget is in {budget.currency}"
                )
        else:
            if actor is not None:
                require(actor.is_admin, "set global rates (name a budgetId to set your own)")
            code = rules.currency(currency)
        try:
            return await RateCard.create(name=name, currency=code, budget_id=budget_id)
        except IntegrityError:  # a concurrent writer created it first
            card = await RateCard.get(name=name)
    if budget_id is not None and card.budget_id != budget_id:  # type: ignore[attr-defined]
        raise ValidationError("card", f"{name!r} is not scoped to that budget")
    if actor is not None:
        scope = card.budget_id  # type: ignore[attr-defined]
        if scope is None:
            require(actor.is_admin, f"change the global rate card {name!r}")
        else:
            require(is_owner(actor, scope), f"change the rate card {name!r}")
    if currency is not None and rules.currency(currency) != card.currency:
        raise CurrencyMismatch(f"rate card {name!r} is in {card.currency}, not {currency.upper()}")
    return card


async def set_rate(
    actor: Actor | None,
    *,
    card: str,
    service: str,
    unit: str,
    price: Decimal | str | int,
    effective_from: date | None = None,
    budget_id: int | None = None,
    currency: str | None = None,
) -> tuple[Rate, bool]:
    """Set the price of one unit of a service from a date on. Returns (rate, changed).

    A price equal to the one already in force on that date changes nothing (no new version).
    The same date again replaces that version's price. Spend already recorded keeps its amount.
    Global cards need an admin; a card scoped to a budget needs its owner. `actor=None` is the
    operator's shell (the CLI).
    """
    name = _key(card, "card", 100)
    service = _key(service, "service", 200)
    unit = _key(unit, "unit", 64)
    text = _price_text(price)
    day = effective_from or _day(None)
    async with in_transaction():
        row = await _card_for_write(actor, name, budget_id, currency)
        in_force = await Rate.filter(
            card_id=row.id, service=service, unit=unit, effective_from__lte=day
        ).order_by("-effective_from").first()
        if in_force is not None and Decimal(in_force.price) == Decimal(text):
            return in_force, False
        if in_force is not None and in_force.effective_from == day:
            in_force.price = text
            in_force.created_by_id = None if actor is None else actor.user_id  # type: ignore[attr-defined]
            await in_force.save(update_fields=["price", "created_by_id"])
            return in_force, True
        rate = await Rate.create(
            card_id=row.id, service=service, unit=unit, price=text, effective_from=day,
            created_by_id=None if actor is None else actor.user_id,
        )
        return rate, True


@dataclass(frozen=True)
class PriceImport:
    card: str
    effective_from: date
    read: int
    created: int
    updated: int
    unchanged: int
    models: int

    def __str__(self) -> str:
        return (
            f"rate card {self.card!r} from {self.effective_from}: {self.read} prices read for "
            f"{self.models} models; {self.created} new, {self.updated} updated, "
            f"{self.unchanged} unchanged"
        )


async def import_litellm(
    source: TextIO | str | os.PathLike[str] | Sequence[ModelPrice],
    card_name: str = "litellm",
    effective_from: date | None = None,
    *,
    actor: Actor | None = None,
) -> PriceImport:
    """Read a LiteLLM price map (a path, a stream, or prices already read) into a global USD
    card; idempotent.

    Prices equal to the version in force on `effective_from` create nothing, so importing the
    same file again (or a newer one with few changes) only adds the changed prices as new
    versions. Models missing from the file keep their last price.
    """
    from app.ingest.prices import read_litellm_prices

    name = _key(card_name, "card", 100)
    day = effective_from or _day(None)
    latest: dict[tuple[str, str], str] = {}
    prices: Iterable[ModelPrice] = (
        source if isinstance(source, list | tuple)
        else read_litellm_prices(source)  # type: ignore[arg-type]
    )
    for p in prices:
        latest[(p.model, p.unit)] = _price_text(p.price_per_unit)
    created = updated = unchanged = 0
    async with in_transaction():
        card = await _card_for_write(actor, name, None, "USD")
        in_force: dict[tuple[str, str], tuple[int, date, str]] = {}
        rows = await Rate.filter(card_id=card.id, effective_from__lte=day).order_by(
            "effective_from"
        ).values_list("id", "service", "unit", "effective_from", "price")
        for rid, service, unit, eff, price in rows:
            in_force[(service, unit)] = (rid, eff, price)  # type: ignore[index,assignment]
        new: list[Rate] = []
        for (service, unit), text in latest.items():
            current = in_force.get((service, unit))
            if current is not None and Decimal(current[2]) == Decimal(text):
                unchanged += 1
            elif current is not None and current[1] == day:
                await Rate.filter(id=current[0]).update(price=text)
                updated += 1
            else:
                new.append(Rate(card_id=card.id, service=service, unit=unit, price=text,
                                effective_from=day,
                                created_by_id=None if actor is None else actor.user_id))
        for start in range(0, len(new), _CHUNK):
            await Rate.bulk_create(new[start:start + _CHUNK])
        created = len(new)
    return PriceImport(name, day, len(latest), created, updated, unchanged,
                       len({m for m, _ in latest}))


# --- pricing ----------------------------------------------------------------------------------


async def find_rate(
    service: str,
    unit: str,
    at: datetime | date | None = None,
    *,
    budget_id: int | None = None,
    currency: str | None = None,
    card: str | None = None,
) -> tuple[Rate, RateCard]:
    """The rate in force for one unit of a service at a moment, or `UnpricedUsage`."""
    day = _day(at)
    query = Rate.filter(service=service, unit=unit, effective_from__lte=day).select_related("card")
    if card is not None:
        query = query.filter(card__name=card)
    best: dict[int, Rate] = {}  # card id -> latest version on or before the day
    for rate in await query.order_by("effective_from"):
        scope = rate.card.budget_id  # type: ignore[attr-defined]
        if scope is None or scope == budget_id:
            best[rate.card.id] = rate
    if not best:
        raise UnpricedUsage(service, unit, day)
    if currency is not None:
        fitting = {k: r for k, r in best.items() if r.card.currency == currency}
        if not fitting:
            other = sorted({r.card.currency for r in best.values()})
            raise CurrencyMismatch(
                f"{unit} of {service!r} is priced only in {', '.join(other)}, the budget is in "
                f"{currency}; no exchange rate is configured"
            )
        best = fitting
    scoped = [r for r in best.values() if r.card.budget_id is not None]  # type: ignore[attr-defined]
    candidates = scoped or list(best.values())
    if len({Decimal(r.price) for r in candidates}) > 1:
        raise AmbiguousReference(
            f"{unit} of {service!r} is priced differently by several rate cards;"
            " name one with card",
            sorted(r.card.name for r in candidates),
        )
    chosen = min(candidates, key=lambda r: r.card.id)
    return chosen, chosen.card


def _parts(parts: Sequence[UsagePart]) -> list[tuple[str, Decimal]]:
    if not parts:
        raise ValidationError("usage", "must list at least one quantity and unit")
    out = []
    for i, part in enumerate(parts):
        unit = _key(part.unit, f"usage[{i}].unit", 64)
        quantity = parse_decimal(part.quantity, field=f"usage[{i}].quantity")
        if quantity < 0:
            raise ValidationError(f"usage[{i}].quantity", "must not be negative")
        if len(_plain(quantity)) > 64:
            raise ValidationError(f"usage[{i}].quantity", "is too long")
        out.append((unit, quantity))
    if all(q == 0 for _, q in out):
        raise ValidationError("usage", "has no quantity greater than zero")
    return out


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
    service = _key(service, "service", 200)
    checked = _parts(parts)
    priced: list[PricedPart] = []
    card_currency: str | None = currency
    for unit, quantity in checked:
        if quantity == 0:
            continue
        rate, rate_card = await find_rate(service, unit, at, budget_id=budget_id,
                                          currency=currency, card=card)
        if card_currency is None:
            card_currency = rate_card.currency
        elif rate_card.currency != card_currency:
            raise CurrencyMismatch(
                f"the usage is priced in both {card_currency} and {rate_card.currency}"
            )
        price = Decimal(rate.price)
        priced.append(PricedPart(service, unit, quantity, price,
                                 _EXACT.multiply(quantity, price), rate.id, rate_card.name,
                                 rate.effective_from))
    exact = Decimal(0)
    for part in priced:
        exact = _EXACT.add(exact, part.amount)
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
    priced = await price_parts(service, [UsagePart(unit, quantity)], at, budget_id=budget_id,
                               currency=currency, card=card)
    return priced.micros


# --- recording usage --------------------------------------------------------------------------


async def price_spend_input(actor: Actor, item: SpendInput) -> tuple[SpendInput, PricedUsage]:
    """Turn a usage-based SpendInput into an amount-based one (with the pricing noted)."""
    from app.domain.access import can_record_spend
    from app.services.spending import resolve_allocation

    if item.amount is not None and item.usage is not None:
        raise ValidationError("usage", "give either amount or usage, not both")
    if item.usage is None:
        raise ValidationError("amount", "give either amount or usage")
    key = item.model or item.service
    if not key:
        raise ValidationError("model", "name the service or model whose rate prices the usage")
    _, budget = await resolve_allocation(item.project_id, item.budget_id)
    require(can_record_spend(actor, budget.id, item.project_id), "record spend for this project")
    if item.currency is not None and rules.currency(item.currency) != budget.currency:
        raise CurrencyMismatch(
            f"usage priced in {item.currency.upper()} but the budget is in {budget.currency}"
        )
    at = item.occurred_at or clock.now()
    priced = await price_parts(key, item.usage, at, budget_id=budget.id,
                               currency=budget.currency, card=item.card)
    note = priced.note()
    description = f"{item.description} [{note}]" if item.description else note
    if len(description) > 2000:
        description = (item.description or "")[:1000] + f" [priced {key}: {priced.exact} " \
            f"{priced.currency}, {len(priced.parts)} parts]"
    single = priced.parts[0] if len(priced.parts) == 1 else None
    units = "+".join(p.unit for p in priced.parts)
    return replace(
        item,
        amount=_plain(Decimal(priced.micros).scaleb(-6)),
        usage=None,
        service=item.service or key,
        description=description,
        quantity=_plain(single.quantity) if single else None,
        unit=single.unit if single else units[:64],
    ), priced


async def record_usage(
    actor: Actor, item: SpendInput, **options: bool
) -> tuple[Spend, bool]:
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
            await SpendUsage.bulk_create([
                SpendUsage(spend_id=spend.id, rate_id=p.rate_id, service=p.service, unit=p.unit,
                           quantity=_plain(p.quantity), price=_plain(p.price),
                           amount=_plain(p.amount))
                for p in priced.parts
            ])
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
    key = _key(role, "role", 190) if role is not None else f"user:{user_id}"
    quantity = parse_decimal(hours, field="hours")
    if quantity <= 0:
        raise ValidationError("hours", "must be greater than zero")
    item = SpendInput(
        project_id=project_id, budget_id=budget_id, usage=(UsagePart("hour", quantity),),
        model=key, service=key, occurred_at=occurred_at, description=description,
        external_id=external_id, idempotency_key=idempotency_key, source="time",
    )
    return await record_usage(actor, item)


# --- reading ----------------------------------------------------------------------------------


def visible_cards(actor: Actor, budget_ids: Iterable[int] = ()):  # type: ignore[no-untyped-def]
    """Global cards for everyone; scoped cards for admins and the budgets the actor can see."""
    from tortoise.expressions import Q

    if actor.is_admin:
        return RateCard.all()
    ids = set(actor.owned_budgets) | set(budget_ids)
    return RateCard.filter(Q(budget_id__isnull=True) | Q(budget_id__in=list(ids)))
