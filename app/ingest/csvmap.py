"""Cost exports that are not FOCUS, read through a column map.

A `ColumnMap` names which column holds what. Beyond the plain column names:

- `id` may join several columns with `+` (AWS's `identity/LineItemId` is only unique within its
  `identity/TimeInterval`); with no id, or an empty one, the id is a sha256 of every cell of the
  row, taken in column-name order, with `#2`, `#3`... for exact repeats.
- `tags` is one column (JSON object, Azure's brace-less JSON, or GCP's Python-repr key/value
  list) or a prefix ending in `*` that gathers one column per tag, as AWS CUR writes them
  (`resourceTags/user:team` becomes the tag `team`; `aws:` system tags keep their prefix).
- `project`, if mapped, is written into the row's tags under the key `"project"` (replacing a
  tag of that name): routing then treats "the export's project column" as one more tag.
- `credits` is a column holding a list of credits applied to the row's cost, as GCP's billing
  export writes them (`cost` is before credits; see `app.ingest.credits`). Each credit becomes
  a row of its own in `CostRow.credits`: its amount (negative) rounded half-even and its text
  kept, charge category `Credit`, the charge's day, service, sub-account and tags, and the id
  `<charge id>/credit/<n>` (n from 1, in list order), so a re-import counts each credit once.
  One row per credit rather than the net of the line: the gross charge and each credit stay
  visible (grant reports show credits received), the ledger books them as a SPEND and a
  REFUND like a FOCUS Credit row, and every recorded amount is one the export wrote.

Exports that write credits and refunds as rows of their own need nothing special: AWS CUR
`lineItem/LineItemType` Credit, Refund, discounts and SavingsPlanNegation rows carry a negative
`lineItem/UnblendedCost`, Azure refunds a negative `Cost`, and a negative amount is recorded as a
credit (a REFUND entry). Signs are kept as written, never inferred from the category: a
correction to a credit is a positive Credit row.

Every mapped column must exist in the file, or the whole file is refused naming it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, fields, replace

from app.domain.errors import ValidationError
from app.ingest._csvstream import RowMaker, stream_csv
from app.ingest._values import (
    RowIdentity,
    Source,
    parse_amount,
    parse_quantity,
    parse_timestamp,
    text_or_none,
)
from app.ingest.credits import Credit, parse_credits
from app.ingest.rows import CostRow, RejectedRow
from app.ingest.tags import parse_tags

_CURRENCY = re.compile(r"^[A-Za-z]{3}$")


@dataclass(frozen=True)
class ColumnMap:
    """Which column of a cost export holds which `CostRow` field."""

    amount: str
    date: str
    service: str | None = None
    id: str | None = None
    currency: str | None = None
    project: str | None = None
    sub_account: str | None = None
    tags: str | None = None
    description: str | None = None
    date_format: str | None = None
    default_currency: str = "USD"
    sub_account_name: str | None = None
    charge_category: str | None = None
    quantity: str | None = None
    unit: str | None = None
    credits: str | None = None

    def __post_init__(self) -> None:
        for key in ("amount", "date"):
            if not getattr(self, key):
                raise ValidationError(key, "is required in a column map")
        if not _CURRENCY.match(self.default_currency):
            raise ValidationError("default_currency", "must be a three-letter ISO 4217 code")

    @classmethod
    def parse(cls, spec: str) -> ColumnMap:
        """`"amount=lineItem/UnblendedCost,date=lineItem/UsageStartDate,..."`.

        `preset=aws-cur` starts from a named preset; `key=` with nothing after it unsets a key.
        """
        known = [f.name for f in fields(cls)]
        values: dict[str, str | None] = {}
        base: ColumnMap | None = None
        for entry in filter(None, (part.strip() for part in spec.split(","))):
            key, sep, value = (s.strip() for s in entry.partition("="))
            if not sep:
                raise ValidationError(key, "must be written key=column")
            if key == "preset":
                if value not in PRESETS:
                    raise ValidationError("preset", f"{value!r} is not one of {sorted(PRESETS)}")
                base = PRESETS[value]
                continue
            if key not in known:
                raise ValidationError(key, f"is not a column map key (known: {', '.join(known)})")
            if key in values:
                raise ValidationError(key, "is given twice")
            values[key] = value or None
        if values.get("default_currency", "USD") is None:
            raise ValidationError("default_currency", "must be a three-letter ISO 4217 code")
        if base is not None:
            return replace(base, **values)  # type: ignore[arg-type]
        for key in ("amount", "date"):
            if not values.get(key):
                raise ValidationError(key, "is required in a column map")
        return cls(**values)  # type: ignore[arg-type]


PRESETS: dict[str, ColumnMap] = {
    # AWS Cost and Usage Report, legacy (CUR 1.0) column names.
    "aws-cur": ColumnMap(
        amount="lineItem/UnblendedCost",
        date="lineItem/UsageStartDate",
        service="lineItem/ProductCode",
        id="identity/LineItemId+identity/TimeInterval",
        currency="lineItem/CurrencyCode",
        sub_account="lineItem/UsageAccountId",
        tags="resourceTags/*",
        description="lineItem/LineItemDescription",
        charge_category="lineItem/LineItemType",
        quantity="lineItem/UsageAmount",
        unit="pricing/unit",
    ),
    # Azure EA "Actual cost" export (no line id: ids are content hashes).
    "azure-ea": ColumnMap(
        amount="Cost",
        date="Date",
        date_format="%m/%d/%Y",
        service="MeterCategory",
        currency="BillingCurrency",
        sub_account="SubscriptionId",
        sub_account_name="SubscriptionName",
        tags="Tags",
        description="Product",
        charge_category="ChargeType",
        quantity="Quantity",
        unit="UnitOfMeasure",
    ),
    # GCP BigQuery billing export flattened to CSV. `cost` is before credits; each entry of
    # `credits` becomes a credit row (see the module docstring).
    "gcp-billing": ColumnMap(
        amount="cost",
        date="usage_start_time",
        service="service.description",
        currency="currency",
        sub_account="project.id",
        sub_account_name="project.name",
        tags="labels",
        description="sku.description",
        charge_category="cost_type",
        quantity="usage.amount",
        unit="usage.unit",
        credits="credits",
    ),
}


def read_mapped(source: Source, colmap: ColumnMap) -> Iterator[CostRow | RejectedRow]:
    """Stream a mapped CSV export (path, `.gz` path or text stream) row by row."""
    return stream_csv(source, lambda header: _row_maker(header, colmap))


def _row_maker(header: list[str], colmap: ColumnMap) -> RowMaker:
    position = {name.casefold(): i for i, name in enumerate(header)}

    def col(key: str) -> int:
        name: str | None = getattr(colmap, key)
        if name is None:
            return -1
        if name.casefold() not in position:
            raise ValidationError(name, f"column (mapped as {key}) is missing from the file")
        return position[name.casefold()]

    i_amount, i_date, i_currency = col("amount"), col("date"), col("currency")
    i_service, i_project, i_description = col("service"), col("project"), col("description")
    i_sub, i_sub_name = col("sub_account"), col("sub_account_name")
    i_category, i_quantity, i_unit = col("charge_category"), col("quantity"), col("unit")
    i_credits = col("credits")
    id_columns = _id_columns(colmap.id, position)
    tag_prefix, i_tags = None, -1
    if colmap.tags and colmap.tags.endswith("*"):
        tag_prefix = _tag_columns(colmap.tags[:-1], header)
    elif colmap.tags:
        i_tags = col("tags")
    by_name = sorted(range(len(header)), key=header.__getitem__)
    identity = RowIdentity("mapped-v1")

    def opt(cells: list[str], index: int) -> str | None:
        return text_or_none(cells[index]) if index >= 0 else None

    def make_row(cells: list[str], line: int) -> CostRow:
        amount_text = cells[i_amount]
        amount = parse_amount(amount_text, colmap.amount)
        occurred_at = parse_timestamp(cells[i_date], colmap.date, colmap.date_format)
        if tag_prefix is not None:
            tags = {key: cells[i].strip() for key, i in tag_prefix if cells[i].strip()}
        else:
            tags = parse_tags(cells[i_tags], colmap.tags or "") if i_tags >= 0 else {}
        project = opt(cells, i_project)
        if project is not None:
            tags["project"] = project
        parts = [cells[i].strip() for i in id_columns]
        external_id = "|".join(parts) if id_columns and all(parts) else None
        if external_id is None:
            external_id = identity.id_for(s for i in by_name for s in (header[i], cells[i]))
        quantity = None
        if i_quantity >= 0:
            quantity = parse_quantity(cells[i_quantity], colmap.quantity or "")
        row = CostRow(
            external_id=external_id,
            occurred_at=occurred_at,
            amount=amount,
            amount_text=amount_text,
            currency=(opt(cells, i_currency) or colmap.default_currency).upper(),
            service=opt(cells, i_service),
            sub_account_id=opt(cells, i_sub),
            sub_account_name=opt(cells, i_sub_name),
            tags=tags,
            charge_category=opt(cells, i_category),
            description=opt(cells, i_description),
            quantity=quantity,
            unit=opt(cells, i_unit) if quantity is not None else None,
            provider=None,
            line=line,
        )
        if i_credits >= 0:
            credits = parse_credits(cells[i_credits], colmap.credits or "")
            if credits:
                row = replace(row, credits=_credit_rows(row, credits, colmap.credits or ""))
        return row

    return make_row


def _credit_rows(charge: CostRow, credits: tuple[Credit, ...], column: str) -> tuple[CostRow, ...]:
    """One row per credit of `charge` (see the module docstring)."""
    rows = []
    for n, credit in enumerate(credits, start=1):
        amount = parse_amount(credit.amount_text, f"{column}[{n - 1}].amount")
        label = credit.full_name or credit.name or credit.credit_id
        what = " ".join(filter(None, (credit.kind, "credit", f"({label})" if label else None)))
        rows.append(
            replace(
                charge,
                external_id=credit_id(charge.external_id, n),
                amount=amount,
                amount_text=credit.amount_text,
                tags=dict(charge.tags),
                charge_category="Credit",
                description=f"{what} on {charge.description}" if charge.description else what,
                quantity=None,
                unit=None,
                credits=(),
            )
        )
    return tuple(rows)


def credit_id(charge_id: str, n: int) -> str:
    """The `n`th credit's id: the charge's id and its place, hashed if that would not fit the
    255 characters of a spend's externalId."""
    ident = f"{charge_id}/credit/{n}"
    if len(ident) <= 255:
        return ident
    return hashlib.sha256(ident.encode()).hexdigest() + f"/credit/{n}"


def _id_columns(spec: str | None, position: dict[str, int]) -> list[int]:
    if not spec:
        return []
    indexes = []
    for name in (part.strip() for part in spec.split("+")):
        if name.casefold() not in position:
            raise ValidationError(name, "column (mapped as id) is missing from the file")
        indexes.append(position[name.casefold()])
    return indexes


def _tag_columns(prefix: str, header: list[str]) -> list[tuple[str, int]]:
    """Tag key and column index for each column under `prefix` (none is fine: an untagged bill)."""
    found = []
    for i, name in enumerate(header):
        if name.startswith(prefix) and len(name) > len(prefix):
            key = name[len(prefix) :]
            found.append((key.removeprefix("user:"), i))
    return found
