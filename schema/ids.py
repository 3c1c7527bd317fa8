"""Opaque, typable ids: `bud_12`, `prj_3`, `trf_40`. Short enough to type in Slack.

An id is `<prefix>_<number>` (or, where a kind is expected, the bare number), the number in
ASCII digits only: `str.isdigit()` is also true for `"²"` and `"٣"`, which `int()` then refuses
or reads as another number, so neither is used on its own.

What a bad id gets, consistently:

- **Wrong shape** (unknown or wrong prefix, no number, a sign, non-ASCII digits, spaces inside):
  `decode` raises `ValidationError(field, …)` naming the argument, because the client wrote
  something that is not an id of that kind at all. `decode_any` (for `node(id:)`, which takes
  any kind) raises `NotFound`, so `node` answers null as for any unknown id.
- **Right shape, but a number that cannot be a row** (beyond the primary-key column of that kind:
  2^31 − 1 for the 32-bit `IntField` keys, 2^63 − 1 for the `BigIntField` ones, read from
  `app.models`): `NotFound(kind, id, field)`, exactly what a well-formed id of a deleted row
  gets, so mutations answer a `NotFound` union member naming the field. The number never reaches
  the database, where PostgreSQL would refuse it with "value out of int4 range" and SQLite with
  "Python int too large to convert to SQLite INTEGER", both masked as "Unexpected error".
"""

from __future__ import annotations

from functools import cache

from app.domain.errors import NotFound, ValidationError

PREFIX = {
    "Budget": "bud",
    "Project": "prj",
    "Allocation": "alc",
    "Spend": "spd",
    "Transfer": "trf",
    "User": "usr",
    "Alert": "alr",
    "BudgetPeriod": "per",
    "Reservation": "rsv",
    "RoutingRule": "rul",
    "UnassignedSpend": "uns",
    "RateCard": "rat",
    "Rate": "rte",
    "Delivery": "dlv",
    "Webhook": "whk",
    "AlertSubscription": "asb",
    "AlertRule": "arl",
    "ApiToken": "tok",
}
KIND = {v: k for k, v in PREFIX.items()}
#: The model behind each kind, where the class name differs from the kind.
_MODEL_NAMES = {"Transfer": "TransferRequest"}
#: Digits of the largest key any kind has (2^63 − 1): a longer number is refused before `int()`,
#: which would otherwise build (or, past 4,300 digits, refuse with ValueError) a huge integer.
_MAX_DIGITS = len(str(2**63 - 1))
_BEYOND_ANY_KEY = 2**63


@cache
def max_pk(kind: str) -> int:
    """The largest primary key the kind's table can hold, from its model's pk field."""
    from app import models

    model = getattr(models, _MODEL_NAMES.get(kind, kind))
    return int(model._meta.pk.constraints["le"])


def encode(kind: str, pk: int) -> str:
    return f"{PREFIX[kind]}_{pk}"


def _number(text: str) -> int | None:
    """The number in `text` if it is ASCII digits only, else None. A number longer than any key
    is not converted: it comes back as `_BEYOND_ANY_KEY`, which every kind's bound refuses."""
    if not (text.isascii() and text.isdigit()):
        return None
    digits = text.lstrip("0") or "0"
    return int(digits) if len(digits) <= _MAX_DIGITS else _BEYOND_ANY_KEY


def _shown(text: str) -> str:
    """The id as quoted in an error: escaped (no raw NUL or surrogate) and cut."""
    return repr(text) if len(text) <= 40 else repr(text[:40]) + "…"


def _checked(kind: str, pk: int, text: str, field: str | None) -> int:
    if pk > max_pk(kind):
        raise NotFound(kind, text[:40], field=field)
    return pk


def decode_any(value: str) -> tuple[str, int]:
    """(kind, pk) of an id of any kind; NotFound for anything that cannot name a row."""
    text = str(value).strip()
    prefix, _, number = text.partition("_")
    pk = _number(number)
    if prefix not in KIND or pk is None:
        raise NotFound("object", text[:40])
    kind = KIND[prefix]
    return kind, _checked(kind, pk, text, None)


def decode(value: object, kind: str, field: str) -> int:
    """The primary key behind an id of the given kind; a bare number is accepted too."""
    text = str(value).strip()
    pk = _number(text)
    if pk is None:
        prefix, _, number = text.partition("_")
        pk = _number(number) if prefix == PREFIX[kind] else None
    if pk is None:
        raise ValidationError(
            field, f"must be a {kind} id such as {PREFIX[kind]}_1, got {_shown(text)}"
        )
    return _checked(kind, pk, text, field)


def decode_optional(value: object | None, kind: str, field: str) -> int | None:
    return None if value is None else decode(value, kind, field)
