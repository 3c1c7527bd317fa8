"""Amounts and dates as people type them at a shell, turned into exact values for the services.

Amounts follow the Slack bot (`1,250.50`, `$5k`, `€30`; bot/amounts.py), so the two front ends
accept the same text; the exact Decimal, never a float, goes to the service. A typo is a usage
error (exit 2) that says how to write it.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal

from app.cli._common import usage

#: The ISO 4217 code a typed currency symbol stands for (a mismatch is the service's to refuse).
SYMBOL_CURRENCY = {"$": "USD", "€": "EUR", "£": "GBP"}
_ZERO = re.compile(r"[$€£]?0*(\.0*)?", re.ASCII)


def amount_and_currency(text: str, option: str = "AMOUNT") -> tuple[Decimal, str | None]:
    """A positive amount and the currency its symbol names, if one was typed."""
    from bot.amounts import parse_money
    from bot.errors import CommandError

    try:
        money = parse_money(text)
    except CommandError as exc:
        usage(f"{option}: {exc.message}")
    return money.amount, SYMBOL_CURRENCY.get(money.currency_symbol or "")


def amount(text: str, option: str = "AMOUNT", *, allow_zero: bool = False) -> Decimal:
    """A positive amount (or zero, where zero means something: an allocation set to nothing)."""
    if allow_zero and text.strip() and _ZERO.fullmatch(text.strip()):
        return Decimal(0)
    return amount_and_currency(text, option)[0]


def optional_amount(text: str | None, option: str) -> Decimal | None:
    return None if text is None else amount(text, option)


def day(text: str | None, option: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        usage(f"{option} must be a date such as 2026-04-01, got {text!r}")


def moment(text: str | None, option: str) -> datetime | None:
    """An ISO 8601 time (`2026-03-01T09:30Z`, `2026-03-01`); without an offset it is this
    computer's local time, as people at a shell mean it."""
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        usage(f"{option} must be a time such as 2026-03-01T09:30Z or 2026-03-01, got {text!r}")
    return value if value.tzinfo is not None else value.astimezone()


def thresholds(text: str | None) -> list[int] | None:
    """`50,80,100` → [50, 80, 100]; the service checks the range."""
    if text is None:
        return None
    parts = [p.strip().removesuffix("%") for p in text.split(",") if p.strip()]
    if not all(p.isascii() and p.isdigit() for p in parts):
        usage(f"--thresholds must be percentages such as 50,80,100, got {text!r}")
    return [int(p) for p in parts]


def percent(text: str, option: str) -> str:
    """`40`, `40%`, `33.5` → the plain decimal text the split takes."""
    from app.domain.errors import ValidationError
    from app.domain.money import parse_decimal

    value = text.strip().removesuffix("%")
    try:
        parse_decimal(value, field=option)
    except ValidationError as exc:
        usage(f"{option} {exc.rule}")
    return value
