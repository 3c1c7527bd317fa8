"""Input rules that are not about money: names, slugs, currencies, thresholds, policies.

Text rules shared by `name`, `slug` and `text` (see `clean_text`): a NUL character is refused
because PostgreSQL cannot store it in a text column (SQLite can, so the same input would work on
one database and fail on the other), and a lone surrogate (`"\ud800"`, half of a broken emoji)
because it is not Unicode text at all: it cannot be encoded as UTF-8, so a database driver, a
JSON response or a log line would fail on it later, far from the field that brought it in.

Currencies are checked against ISO 4217 as maintained by the `pycountry` package, less the codes
that name no money: XXX ("no currency involved") and XTS ("reserved for testing").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from enum import Enum
from functools import lru_cache

from app.domain.errors import ValidationError

_SLUG = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,98}[a-z0-9])?")
_CURRENCY = re.compile(r"[A-Z]{3}")
#: ISO 4217 codes that are not money a budget can hold, with why.
NOT_MONEY = {"XXX": "no currency is involved", "XTS": "reserved for testing"}
DEFAULT_CURRENCY = "USD"
#: C0 and C1 control characters other than tab, newline and carriage return.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
NUL_RULE = "must not contain NUL characters (\\x00)"
SURROGATE_RULE = "must be valid Unicode text (it holds a lone surrogate, e.g. half an emoji)"


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


def clean_text(value: str, field: str) -> str:
    """`value` unchanged if it is storable text; otherwise a ValidationError naming `field`.

    The one check every stored string needs (see the module docstring); `name`, `slug` and
    `text` apply it, and the GraphQL layer applies it to every string argument before execution.
    """
    if "\x00" in value:
        raise ValidationError(field, NUL_RULE)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationError(field, SURROGATE_RULE) from None
    return value


def name(value: str, field: str = "name", max_length: int = 200) -> str:
    """A label (a name, a service, a transfer's reason): trimmed, not empty, at most `max_length`,
    storable (`clean_text`) and free of control characters other than tab and line breaks, which
    a terminal, a CSV cell or a Slack message would otherwise interpret."""
    if value is not None and not isinstance(value, str):
        raise ValidationError(field, "must be text")
    value = clean_text(value or "", field).strip()
    if _CONTROL.search(value):
        raise ValidationError(field, "must not contain control characters")
    if not value:
        raise ValidationError(field, "must not be empty")
    if len(value) > max_length:
        raise ValidationError(field, f"must be at most {max_length} characters")
    return value


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:100].strip("-")


def is_slug(text: str) -> bool:
    """Lowercase letters, digits and dashes, 1-100 long, no dash at either end."""
    return _SLUG.fullmatch(text) is not None


def slug(value: str, field: str = "slug") -> str:
    if not isinstance(value, str):
        raise ValidationError(field, "must be text")
    value = clean_text(value, field).strip()
    if not is_slug(value):
        raise ValidationError(
            field, "must be lowercase letters, digits and dashes (e.g. 'ml-research'), 1-100 long"
        )
    return value


@lru_cache(maxsize=1)
def _iso_4217() -> frozenset[str]:
    """Active ISO 4217 alphabetic codes, from pycountry (loaded once, on first use)."""
    import pycountry

    return frozenset(c.alpha_3 for c in pycountry.currencies) - NOT_MONEY.keys()


def currency(value: str | None, field: str = "currency") -> str:
    """An ISO 4217 code, upper-cased. `None` (not given) is USD; `""` is an error, not USD."""
    if value is None:
        return DEFAULT_CURRENCY
    rule = "must be an ISO 4217 currency code such as USD or EUR"
    if not isinstance(value, str):
        raise ValidationError(field, rule)
    code = clean_text(value, field).strip().upper()
    if not _CURRENCY.fullmatch(code):
        raise ValidationError(field, f"{rule}, got {value[:20]!r}")
    if code in NOT_MONEY:
        raise ValidationError(field, f"{rule}: {code} names no money ({NOT_MONEY[code]})")
    if code not in _iso_4217():
        raise ValidationError(field, f"{rule}; {code} is not one")
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
    """Free text (descriptions, notes): trimmed, storable, at most `max_length`; blank is None."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValidationError(field, "must be text")
    value = clean_text(value, field).strip()
    if len(value) > max_length:
        raise ValidationError(field, f"must be at most {max_length} characters")
    return value or None


#: Bounds of a spend's free-form metadata: enough for a few ids and labels (an invoice number,
#: a ticket, a run id), not a document store; the row stays small and every list cheap.
METADATA_MAX_KEYS = 50
METADATA_MAX_KEY = 64
METADATA_MAX_VALUE = 500
METADATA_MAX_BYTES = 8192
#: Every C0 and C1 control character: a key is a name, with no tab or line break either.
_ANY_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def metadata(value: object, field: str = "metadata") -> dict[str, str] | None:
    """A spend's free-form metadata: a JSON object of string keys and string values.

    Strings only, because metadata is labels for people and filters (a number or a nested
    object would be read back differently by each client); at most `METADATA_MAX_KEYS` keys
    of 1 to `METADATA_MAX_KEY` characters without control characters, values of at most
    `METADATA_MAX_VALUE`, `METADATA_MAX_BYTES` bytes of UTF-8 in all, and every string
    storable (`clean_text`: no NUL, no lone surrogate). None and `{}` are no metadata (None).
    Errors name the key: `metadata.ticket`.
    """
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ValidationError(field, "must be a JSON object of string keys and string values")
    if len(value) > METADATA_MAX_KEYS:
        raise ValidationError(field, f"must have at most {METADATA_MAX_KEYS} keys")
    out: dict[str, str] = {}
    size = 0
    for key, item in value.items():
        if not isinstance(key, str) or not key.strip():
            raise ValidationError(field, "must have non-empty text keys")
        clean_text(key, field)
        if len(key) > METADATA_MAX_KEY or _ANY_CONTROL.search(key):
            raise ValidationError(
                field,
                f"keys must be at most {METADATA_MAX_KEY} characters, without control characters",
            )
        where = f"{field}.{key}"
        if not isinstance(item, str):
            raise ValidationError(where, "must be a string (metadata values are text)")
        clean_text(item, where)
        if len(item) > METADATA_MAX_VALUE:
            raise ValidationError(where, f"must be at most {METADATA_MAX_VALUE} characters")
        size += len(key.encode()) + len(item.encode())
        out[key] = item
    if size > METADATA_MAX_BYTES:
        raise ValidationError(field, f"must be at most {METADATA_MAX_BYTES} bytes in all")
    return out or None
