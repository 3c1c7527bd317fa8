"""Amounts as people type them in chat ("1,250.50", "$5k", "€30"), parsed exactly.

Never a float: the digits go through `app.domain.money.parse_decimal` and `to_micros`. That
function reads only plain ASCII decimals, so the human forms are normalised here first: the
text is trimmed, the currency symbol and the k/m suffix are split off, thousands separators are
dropped, and only then is the plain number (`"1250.50"`) handed over. Digits are ASCII only
(`re.ASCII`: Python's `\\d` would also match "٣" or "１２").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from app.domain.errors import ValidationError
from app.domain.money import SCALE, from_micros, parse_decimal, to_micros
from bot.errors import CommandError

_SYMBOLS = "$€£"
_AMOUNT = re.compile(
    r"^(?P<symbol>[$€£])?"
    r"(?P<number>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)"
    r"(?P<suffix>[kKmM])?$",
    re.ASCII,
)
_MULTIPLIERS = {"": 1, "k": 1_000, "m": 1_000_000}
_NOT_FINITE = re.compile(r"^[$€£]?[+-]?(nan|s?nan|inf|infinity)$", re.IGNORECASE)
_AMOUNT_HINT = "write amounts like 12.50, 1,250.50, $5k or $1.2m"


@dataclass(frozen=True)
class Money:
    amount: Decimal
    currency_symbol: str | None


def parse_money(text: str) -> Money:
    """An amount as people type it in chat, with the currency symbol they used (if any)."""
    raw = text.strip()

    def refuse(reason: str) -> CommandError:
        return CommandError(f'"{raw}" is not a valid amount: {reason}; {_AMOUNT_HINT}.')

    if not raw:
        raise CommandError(f"An amount is required; {_AMOUNT_HINT}.")
    if _NOT_FINITE.match(raw):
        raise refuse("it must be a finite number")
    if raw[0] in "-−" or (raw[0] in _SYMBOLS and raw[1:2] in ("-", "−")):
        raise refuse("it must be greater than zero")
    match = _AMOUNT.match(raw)
    if match is None:
        if re.fullmatch(r"[$€£]?[0-9]+(,[0-9]+)+", raw.rstrip("kKmM")):
            raise refuse("commas separate thousands, and a dot starts the decimals")
        raise refuse("it is not a number")
    try:
        number = parse_decimal(match["number"].replace(",", ""))
    except ValidationError as exc:  # pragma: no cover - the pattern admits only plain numbers
        raise refuse(exc.rule) from None
    value = number * _MULTIPLIERS[(match["suffix"] or "").lower()]
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -SCALE:
        rounded = value.quantize(Decimal(1).scaleb(-SCALE))
        if rounded != value:
            raise refuse(f"it has more than {SCALE} decimal places")
        value = rounded
    try:
        micros = to_micros(value, positive=True)
    except ValidationError as exc:
        raise refuse(f"it {exc.rule}") from None
    return Money(from_micros(micros), match["symbol"])


def parse_amount(text: str) -> Decimal:
    """An exact, positive amount with at most six decimal places. Never a float."""
    return parse_money(text).amount
