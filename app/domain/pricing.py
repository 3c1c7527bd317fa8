"""Exact pricing: quantity × price is computed exactly (a Decimal context wide enough that
nothing rounds, with Inexact trapped), the parts of one spend are summed exactly, and the sum is
rounded half-even to micros once (by the caller, with app.domain.money.to_micros)."""

from __future__ import annotations

import decimal
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from app.domain import validation as rules
from app.domain.errors import ValidationError
from app.domain.money import parse_decimal

#: Wide enough for the exact product of two 64-character decimals and sums of many of them.
_EXACT = decimal.Context(
    prec=400, traps=[decimal.Inexact, decimal.InvalidOperation, decimal.Overflow]
)


def plain(value: Decimal) -> str:
    """A decimal written out without exponent or trailing zeros: 1.50 -> "1.5", 0E-7 -> "0"."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def exact_product(quantity: Decimal, price: Decimal) -> Decimal:
    return _EXACT.multiply(quantity, price)


def exact_sum(amounts: Iterable[Decimal]) -> Decimal:
    total = Decimal(0)
    for amount in amounts:
        total = _EXACT.add(total, amount)
    return total


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
            f"{plain(p.quantity)} {p.unit} × {plain(p.price)}"
            + (f" ({p.card} from {p.effective_from})" if p.rate_id is not None else "")
            for p in self.parts
        )
        return f"priced {self.service}: {terms} = {plain(self.exact)} {self.currency}"


def check_usage(parts: Sequence[UsagePart]) -> list[tuple[str, Decimal]]:
    """(unit, quantity) of each part: units named, quantities not negative, not all zero."""
    if not parts:
        raise ValidationError("usage", "must list at least one quantity and unit")
    out = []
    for i, part in enumerate(parts):
        unit = rules.name(part.unit, f"usage[{i}].unit", 64)
        quantity = parse_decimal(part.quantity, field=f"usage[{i}].quantity")
        if quantity < 0:
            raise ValidationError(f"usage[{i}].quantity", "must not be negative")
        if len(plain(quantity)) > 64:
            raise ValidationError(f"usage[{i}].quantity", "is too long")
        out.append((unit, quantity))
    if all(q == 0 for _, q in out):
        raise ValidationError("usage", "has no quantity greater than zero")
    return out


__all__ = [
    "PricedPart",
    "PricedUsage",
    "UsagePart",
    "check_usage",
    "exact_product",
    "exact_sum",
    "plain",
]
