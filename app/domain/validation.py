"""Input rules that are not about money: names, slugs, currencies, thresholds, policies."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from enum import Enum

from app.domain.errors import ValidationError

_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,98}[a-z0-9])?$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")


class SlackPrivacy(str, Enum):
    """What a budget's Slack channel posts show of money (direct messages to owners always show
    everything: owners may see every figure of their budget).

    FULL: amounts and balances (remaining, runway, before/after). AMOUNTS: the amount of a
    request and alert percentages, no balance of any project. NONE: no money figure at all.
    """

    FULL = "FULL"
    AMOUNTS = "AMOUNTS"
    NONE = "NONE"


class RolloverPolicy(str, Enum):
    NONE = "NONE"
    CARRY_UNSPENT = "CARRY_UNSPENT"
    CARRY_ALL = "CARRY_ALL"


def name(value: str, field: str = "name", max_length: int = 200) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError(field, "must not be empty")
    if len(value) > max_length:
        raise ValidationError(field, f"must be at most {max_length} characters")
    return value


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:100].strip("-")


def slug(value: str, field: str = "slug") -> str:
    value = value.strip()
    if not _SLUG.match(value):
        raise ValidationError(
            field, "must be lowercase letters, digits and dashes (e.g. 'ml-research'), 1-100 long"
        )
    return value


def currency(value: str | None, field: str = "currency") -> str:
    code = (value or "USD").strip().upper()
    if not _CURRENCY.match(code):
        raise ValidationError(field, f"must be an ISO 4217 code such as USD or EUR, got {value!r}")
    return code


def thresholds(values: Iterable[int] | None, field: str = "alertThresholds") -> list[int]:
    """Percent-used thresholds, e.g. [50, 80, 100]; each 1..1000, stored sorted and unique."""
    if values is None:
        return [50, 80, 100]
    out = sorted(set(values))
    for v in out:
        if not 1 <= v <= 1000:
            raise ValidationError(field, f"must be percentages between 1 and 1000, got {v}")
    return out


def threshold(value: int | None, field: str = "alertThreshold") -> int | None:
    if value is not None and not 1 <= value <= 1000:
        raise ValidationError(field, f"must be a percentage between 1 and 1000, got {value}")
    return value


def text(value: str | None, field: str, max_length: int = 2000) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if len(value) > max_length:
        raise ValidationError(field, f"must be at most {max_length} characters")
    return value or None
