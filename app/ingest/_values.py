"""Cell-level readers shared by the FOCUS and mapped-CSV parsers.

Every function here turns one text cell into one value or raises `CellError` with a reason that
names the column and quotes the value, which the parsers turn into a `RejectedRow`.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal
from functools import lru_cache
from typing import TextIO

from app.domain.errors import ValidationError
from app.domain.money import to_micros

#: Exports write a missing value as an empty cell or (FOCUS samples) the literal text NULL.
NULLS = frozenset({"", "NULL"})

# Plain decimals plus an exponent: GCP's export writes tiny costs as `5e-06`. ASCII digits only
# (`\d` would also match "٣" or "１２", which `Decimal()` then reads as 3 and 12), matched
# whole; the cell is stripped of surrounding spaces first, as exports pad some columns.
_NUMBER = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?")
# US-style dates from the FOCUS spec examples (`5/1/25`) and Azure EA exports (`09/21/2023`).
_US_DATE = re.compile(
    r"^(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})"
    r"(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp][Mm])?)?$"
)


class CellError(Exception):
    """One cell could not be read; the message is the rejection reason."""


Source = TextIO | str | os.PathLike[str]


def open_source(source: Source) -> tuple[TextIO, bool]:
    """Return a text stream and whether we opened it (and so must close it).

    Paths are opened with `utf-8-sig` so a BOM never reaches the header; `.gz` paths are read
    through gzip because cloud exports (CUR, FOCUS) are usually delivered compressed.
    """
    if isinstance(source, str | os.PathLike):
        path = os.fspath(source)
        if path.endswith(".gz"):
            return gzip.open(path, "rt", encoding="utf-8-sig", newline=""), True
        return open(path, encoding="utf-8-sig", newline=""), True
    if not hasattr(source, "read"):
        raise ValidationError("source", "must be a path or a text stream")
    return source, False


def clean_header(header: list[str]) -> list[str]:
    """Strip a BOM that survived (a stream opened as plain utf-8) and surrounding spaces."""
    names = [name.strip() for name in header]
    if names:
        names[0] = names[0].lstrip("\ufeff").strip()
    return names


def text_or_none(value: str) -> str | None:
    value = value.strip()
    return None if value in NULLS else value


def parse_amount(value: str, column: str) -> int:
    """Cost text to micros, rounded half-even: a bill line can carry 11 or more decimals."""
    text = value.strip()
    if text in NULLS:
        raise CellError(f"{column} is empty")
    if not _NUMBER.fullmatch(text):
        raise CellError(f"{column} is not a number: {value!r}")
    try:
        # The text is normalised here (stripped, exponent allowed) and handed over as a Decimal:
        # `to_micros` reads only plain text itself.
        return to_micros(Decimal(text), field=column, round_half_even=True)
    except (ValidationError, ArithmeticError) as exc:  # InvalidOperation, Overflow
        raise CellError(f"{column} {getattr(exc, 'rule', 'is not a number')}: {value!r}") from None


def parse_quantity(value: str, column: str) -> Decimal | None:
    text = value.strip()
    if text in NULLS:
        return None
    if not _NUMBER.fullmatch(text):
        raise CellError(f"{column} is not a number: {value!r}")
    return Decimal(text)


def parse_timestamp(value: str, column: str, date_format: str | None = None) -> datetime:
    text = value.strip()
    if text in NULLS:
        raise CellError(f"{column} is empty")
    try:
        return _timestamp(text, date_format)
    except ValueError:
        how = f"the format {date_format!r}" if date_format else "an ISO or M/D/Y date"
        raise CellError(f"{column} is not {how}: {value!r}") from None


@lru_cache(maxsize=16384)
def _timestamp(text: str, date_format: str | None) -> datetime:
    """Cached: an hourly bill repeats the same few thousand timestamps a million times."""
    if date_format:
        moment = datetime.strptime(text, date_format)
    else:
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            moment = _us_timestamp(text)
    if moment.tzinfo is None:
        # FOCUS requires UTC; the other exports write UTC without saying so.
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _us_timestamp(text: str) -> datetime:
    match = _US_DATE.match(text)
    if not match:
        raise ValueError(text)
    month, day, year, hour, minute, second, half = match.groups()
    # Two-digit years are 20xx: the only ones in the wild are the FOCUS examples (`4/1/26`).
    full_year = int(year) + 2000 if len(year) == 2 else int(year)
    hours = int(hour or 0)
    if half:
        if not 1 <= hours <= 12:
            raise ValueError(text)
        hours = hours % 12 + (12 if half.lower() == "pm" else 0)
    return datetime(full_year, int(month), int(day), hours, int(minute or 0), int(second or 0))


class RowIdentity:
    """Content ids for exports that have no line-item id column.

    The id is a sha256 of the identifying cells, so re-reading the same file gives the same ids
    (a re-import is a replay, not new spend). Two rows that agree on every identifying cell are
    still two charges: the second gets `#2`, the third `#3`, in file order. Telling them apart
    needs a memory of what was seen, kept as one 64-bit int per row (~60 bytes): a file without
    an id column is not read in strictly flat memory.
    """

    def __init__(self, scheme: str) -> None:
        self._scheme = scheme
        self._seen: set[int] = set()
        self._repeats: dict[bytes, int] = {}

    def id_for(self, parts: Iterable[str]) -> str:
        # A JSON list, so ("ab", "c") and ("a", "bc") hash differently; one C call per row.
        encoded = json.dumps([self._scheme, *parts], ensure_ascii=False)
        raw = hashlib.sha256(encoded.encode()).digest()
        key = int.from_bytes(raw[:8], "big")
        ident = raw.hex()
        if key not in self._seen:
            self._seen.add(key)
            return ident
        # A 64-bit prefix clash with a different row only adds a harmless, deterministic suffix.
        count = self._repeats.get(raw, 1) + 1
        self._repeats[raw] = count
        return f"{ident}#{count}"
