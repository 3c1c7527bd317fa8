"""Exact money: integer micro-units inside, Decimal text at the edges.

Every amount that enters or leaves Allot goes through `to_micros` or `from_micros`. Floats are
refused on the way in: a float has already lost the cents that matter on a cloud bill.

The text form is deliberately narrow, because `Decimal()` and `int()` are not: they accept
underscores (`"1_000"`), surrounding spaces, exponents and any Unicode digit (`"٣"`, `"１２"`), so
a typo or a pasted value from another script would silently become an amount. `parse_decimal`
accepts only ASCII digits with one optional leading sign and at most one dot: `"-12.50"`,
`"0.000123"`, `"+5"`, and also `".5"` and `"5."` (unambiguous, and common in spreadsheets and
hand-written JSON). Anything else is a `ValidationError` naming the field. Callers that
read human text (the Slack bot's `$5k` and `1,250.50`, CSV cells with spaces or `5e-06`)
normalise it themselves, then call in with the plain string or a Decimal.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from app.domain.errors import ValidationError

MICROS_PER_UNIT = 1_000_000
SCALE = 6
#: Signed 64-bit bound: what the database column holds.
MAX_MICROS = 2**63 - 1
#: Longest amount text read: 64-bit micros need 13 integer and 6 fractional digits; the rest is
#: room for a sign, leading zeros and trailing zeros. Longer text is refused before `Decimal()`
#: is asked to build (and `int()` to convert) a number of arbitrary size.
MAX_TEXT = 100
#: Largest `Decimal.adjusted()` (power of ten of the leading digit) that can fit in MAX_MICROS.
_MAX_ADJUSTED = len(str(MAX_MICROS)) - 1 - SCALE
_QUANTUM = Decimal(1).scaleb(-SCALE)
#: ASCII only (no `\d`, which matches every Unicode digit), matched whole (no `$`, which also
#: matches before a trailing newline).
_PLAIN = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_PLAIN_RULE = 'must be a plain decimal number such as "12.50" (ASCII digits, one dot, no spaces)'


def _quote(value: str) -> str:
    """The refused text for an error message: escaped (a lone surrogate or a NUL must not reach
    a JSON encoder or a log raw) and cut, so a megabyte of junk is not echoed back."""
    return repr(value) if len(value) <= 40 else repr(value[:40]) + "…"


def parse_decimal(value: object, *, field: str = "amount") -> Decimal:
    """Turn text, an int or a Decimal into a finite Decimal; refuse floats and junk.

    Text must be plain ASCII decimal notation (see the module docstring): no spaces,
    underscores, exponents, thousands separators or non-ASCII digits.
    """
    if isinstance(value, bool):
        raise ValidationError(field, "must be a number written as text, not a boolean")
    if isinstance(value, float):
        raise ValidationError(
            field, 'must be a decimal string such as "12.50", not a float (floats lose precision)'
        )
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, Decimal):
        dec = value
    elif isinstance(value, str):
        if len(value) > MAX_TEXT:
            raise ValidationError(field, f"must be at most {MAX_TEXT} characters long")
        if not _PLAIN.fullmatch(value):
            raise ValidationError(field, f"{_PLAIN_RULE}, got {_quote(value)}")
        try:
            dec = Decimal(value)
        except InvalidOperation:  # pragma: no cover - the regex already guards this
            raise ValidationError(field, f"{_PLAIN_RULE}, got {_quote(value)}") from None
    else:
        raise ValidationError(field, f"must be a decimal number, got {type(value).__name__}")
    if not dec.is_finite():
        raise ValidationError(field, "must be a finite number (NaN and Infinity are refused)")
    return dec


def to_micros(
    value: object,
    *,
    field: str = "amount",
    round_half_even: bool = False,
    positive: bool = False,
    allow_zero: bool = True,
) -> int:
    """Convert an amount to integer micros.

    More than six fractional digits is an error unless the caller asked for rounding
    (imports do: they round half-even and keep the source text).
    """
    dec = parse_decimal(value, field=field)
    # Before any arithmetic: `Decimal("1e999999999")` would overflow the context and
    # `int(Decimal("1e99999"))` take seconds, only to be refused as too large.
    if dec and dec.adjusted() > _MAX_ADJUSTED:
        raise ValidationError(field, "is too large")
    exponent = dec.normalize().as_tuple().exponent  # "0.0075000" is exact: trailing zeros are fine
    if isinstance(exponent, int) and exponent < -SCALE:
        if not round_half_even:
            raise ValidationError(field, f"has more than {SCALE} decimal places: {value}")
        dec = dec.quantize(_QUANTUM, rounding=ROUND_HALF_EVEN)
    micros = int(dec.scaleb(SCALE))
    if abs(micros) > MAX_MICROS:
        raise ValidationError(field, "is too large")
    if positive and micros <= 0:
        raise ValidationError(field, "must be greater than zero")
    if not allow_zero and micros == 0:
        raise ValidationError(field, "must not be zero")
    return micros


def from_micros(micros: int) -> Decimal:
    """Micros to an exact Decimal with no trailing zeros beyond what is needed.

    Built from integer arithmetic and the digits' text (the same Decimal, digit for digit, as
    scaling and normalising it, about twice as fast: a dashboard builds thousands of them)."""
    whole, fraction = divmod(micros, MICROS_PER_UNIT)
    if not fraction:
        return Decimal(whole)
    if micros < 0:
        whole, fraction = divmod(-micros, MICROS_PER_UNIT)
        return Decimal(f"-{whole}.{fraction:06d}".rstrip("0"))
    return Decimal(f"{whole}.{fraction:06d}".rstrip("0"))


def micros_text(micros: int) -> str:
    """The exact decimal text of `from_micros(micros)` as the API writes it (no trailing zeros,
    no exponent, "0" for zero): what the Decimal scalar outputs, without making the Decimal.
    A page of 1,000 allocations writes two or more of these per row."""
    whole, fraction = divmod(-micros if micros < 0 else micros, MICROS_PER_UNIT)
    sign = "-" if micros < 0 else ""
    if not fraction:
        return f"{sign}{whole}" if whole else "0"
    return f"{sign}{whole}.{fraction:06d}".rstrip("0")


def format_money(micros: int, currency: str = "USD", *, cents: bool = True) -> str:
    """Human text for Slack, CLI and PDFs. Rounding to cents is for display only."""
    dec = Decimal(micros).scaleb(-SCALE)
    if cents:
        dec = dec.quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)
    sign = "-" if dec < 0 else ""
    symbol = {"USD": "$", "EUR": "€", "GBP": "£"}.get(currency.upper())
    body = f"{abs(dec):,}"
    return f"{sign}{symbol}{body}" if symbol else f"{sign}{body} {currency.upper()}"


def split_evenly(total: int, parts: int) -> list[int]:
    """Split `total` micros into `parts` shares that differ by at most one micro.

    The remainder goes to the first shares, in order, so nothing is lost and the split is
    deterministic.
    """
    if parts <= 0:
        raise ValidationError("items", "must not be empty")
    base, rest = divmod(total, parts)
    return [base + (1 if i < rest else 0) for i in range(parts)]


def split_by_weights(total: int, weights: list[int]) -> list[int]:
    """Largest-remainder split of `total` micros by integer weights (e.g. percent × 10^6).

    Ties in the remainder go to the earlier item. The shares always add up to `total`.
    """
    weight_sum = sum(weights)
    if not weights or weight_sum <= 0:
        raise ValidationError("items", "weights must add up to more than zero")
    shares = [total * w // weight_sum for w in weights]
    remainders = [total * w % weight_sum for w in weights]
    missing = total - sum(shares)
    order = sorted(range(len(weights)), key=lambda i: (-remainders[i], i))
    for i in order[:missing]:
        shares[i] += 1
    return shares
