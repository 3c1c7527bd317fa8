"""Opaque, typable ids: `bud_12`, `prj_3`, `trf_40`. Short enough to type in Slack."""

from __future__ import annotations

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
}
KIND = {v: k for k, v in PREFIX.items()}


def encode(kind: str, pk: int) -> str:
    return f"{PREFIX[kind]}_{pk}"


def decode_any(value: str) -> tuple[str, int]:
    prefix, _, number = str(value).strip().partition("_")
    if prefix not in KIND or not number.isdigit():
        raise NotFound("object", value)
    return KIND[prefix], int(number)


def decode(value: object, kind: str, field: str) -> int:
    """The primary key behind an id of the given kind; a bare number is accepted too."""
    text = str(value).strip()
    if text.isdigit():
        return int(text)
    prefix, _, number = text.partition("_")
    if prefix != PREFIX[kind] or not number.isdigit():
        raise ValidationError(field, f"must be a {kind} id such as {PREFIX[kind]}_1, got {text!r}")
    return int(number)


def decode_optional(value: object | None, kind: str, field: str) -> int | None:
    return None if value is None else decode(value, kind, field)
