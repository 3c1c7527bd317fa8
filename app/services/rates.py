"""Rate cards: versioned prices of one unit of a service or model, and which one applies.

Which rate applies: the latest version (by effective_from, a UTC date) on or before the UTC date
of the moment the usage happened, among the cards that may price the budget. A card scoped to
the budget wins over global cards; two cards of the same scope with different prices are
ambiguous unless the caller names the card. Global cards need an admin; a card scoped to a
budget needs its owner. Pricing usage with these rates is app.services.pricing.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
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
from app.domain.money import parse_decimal
from app.domain.pricing import plain
from app.models import Budget, Rate, RateCard

if TYPE_CHECKING:
    from app.ingest.prices import ModelPrice

_CHUNK = 2000


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
    text = plain(price)
    if len(text) > 64:
        raise ValidationError(field, "must be at most 64 characters written out")
    return text


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
    name = rules.name(card, "card", 100)
    service = rules.name(service, "service", 200)
    unit = rules.name(unit, "unit", 64)
    text = _price_text(price)
    day = effective_from or _day(None)
    async with in_transaction():
        row = await _card_for_write(actor, name, budget_id, currency)
        in_force = (
            await Rate.filter(card_id=row.id, service=service, unit=unit, effective_from__lte=day)
            .order_by("-effective_from")
            .first()
        )
        if in_force is not None and Decimal(in_force.price) == Decimal(text):
            return in_force, False
        if in_force is not None and in_force.effective_from == day:
            in_force.price = text
            in_force.created_by_id = None if actor is None else actor.user_id  # type: ignore[attr-defined]
            await in_force.save(update_fields=["price", "created_by_id"])
            return in_force, True
        rate = await Rate.create(
            card_id=row.id,
            service=service,
            unit=unit,
            price=text,
            effective_from=day,
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

    name = rules.name(card_name, "card", 100)
    day = effective_from or _day(None)
    latest: dict[tuple[str, str], str] = {}
    prices: Iterable[ModelPrice] = (
        source if isinstance(source, list | tuple) else read_litellm_prices(source)  # type: ignore[arg-type]
    )
    for p in prices:
        latest[(p.model, p.unit)] = _price_text(p.price_per_unit)
    created = updated = unchanged = 0
    async with in_transaction():
        card = await _card_for_write(actor, name, None, "USD")
        in_force: dict[tuple[str, str], tuple[int, date, str]] = {}
        rows = (
            await Rate.filter(card_id=card.id, effective_from__lte=day)
            .order_by("effective_from")
            .values_list("id", "service", "unit", "effective_from", "price")
        )
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
                new.append(
                    Rate(
                        card_id=card.id,
                        service=service,
                        unit=unit,
                        price=text,
                        effective_from=day,
                        created_by_id=None if actor is None else actor.user_id,
                    )
                )
        for start in range(0, len(new), _CHUNK):
            await Rate.bulk_create(new[start : start + _CHUNK])
        created = len(new)
    return PriceImport(
        name, day, len(latest), created, updated, unchanged, len({m for m, _ in latest})
    )


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


def visible_cards(actor: Actor, budget_ids: Iterable[int] = ()):  # type: ignore[no-untyped-def]
    """Global cards for everyone; scoped cards for admins and the budgets the actor can see."""
    from tortoise.expressions import Q

    if actor.is_admin:
        return RateCard.all()
    ids = set(actor.owned_budgets) | set(budget_ids)
    return RateCard.filter(Q(budget_id__isnull=True) | Q(budget_id__in=list(ids)))


__all__ = ["PriceImport", "find_rate", "import_litellm", "set_rate", "visible_cards"]
