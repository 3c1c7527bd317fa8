"""FinOps FOCUS 1.0–1.2 CSV exports, read as a stream of `CostRow`s.

The spend is `BilledCost` (what the invoice charges), dated at `ChargePeriodStart`. Credits and
adjustments stay as negative or positive rows: netting them is the ledger's job, not the parser's.

Stable ids: the export's own line-item id column when it has one (the FOCUS 1.0 sample data has
a non-standard `Id`), otherwise a sha256 of the identifying columns below, normalised (NULL and
empty agree, numbers and dates compared by value, tags sorted), so a re-export of the same
charges in another number or date format keeps its ids. Display names (BillingAccountName,
ResourceName, ...) and columns filled in later (InvoiceId) are left out on purpose: a rename or an
invoice run must not turn old charges into new ones.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from decimal import Decimal
from functools import lru_cache

from app.domain.errors import ValidationError
from app.ingest._csvstream import RowMaker, stream_csv
from app.ingest._values import (
    NULLS,
    CellError,
    RowIdentity,
    Source,
    parse_amount,
    parse_quantity,
    parse_timestamp,
    text_or_none,
)
from app.ingest.rows import CostRow, RejectedRow
from app.ingest.tags import parse_tags

REQUIRED = ("BilledCost", "ChargePeriodStart", "BillingCurrency")
ID_COLUMNS = ("Id",)
_V1_1 = {
    "CapacityReservationId", "CapacityReservationStatus", "CommitmentDiscountQuantity",
    "CommitmentDiscountUnit", "ServiceSubcategory", "SkuMeter", "SkuPriceDetails",
}  # fmt: skip
_V1_2 = {
    "BillingAccountType", "InvoiceId", "PricingCurrency", "PricingCurrencyContractedUnitPrice",
    "PricingCurrencyEffectiveCost", "PricingCurrencyListUnitPrice", "SubAccountType",
}  # fmt: skip
IDENTIFYING = (
    "BillingAccountId", "BillingPeriodStart", "SubAccountId", "ProviderName", "InvoiceIssuerName",
    "PublisherName", "ChargeCategory", "ChargeClass", "ChargeFrequency", "ChargePeriodStart",
    "ChargePeriodEnd", "ChargeDescription", "ServiceName", "ResourceId", "RegionId",
    "AvailabilityZone", "SkuId", "SkuPriceId", "SkuMeter", "CommitmentDiscountId",
    "CapacityReservationId", "PricingCategory", "PricingUnit", "PricingQuantity", "ConsumedUnit",
    "ConsumedQuantity", "BillingCurrency", "BilledCost", "EffectiveCost", "ListCost",
    "ContractedCost", "Tags",
)  # fmt: skip
_TIMES = {"BillingPeriodStart", "ChargePeriodStart", "ChargePeriodEnd"}
_NUMBERS = {
    "PricingQuantity", "ConsumedQuantity", "BilledCost", "EffectiveCost", "ListCost",
    "ContractedCost",
}  # fmt: skip


def detect_focus_version(header: Iterable[str]) -> str:
    """`"1.2"`, `"1.1"` or `"1.0"` from the columns each version introduced; `"unknown"` if the
    header lacks FOCUS's cost and period columns."""
    names = {name.strip().lstrip("\ufeff") for name in header}
    if names & _V1_2:
        return "1.2"
    if names & _V1_1:
        return "1.1"
    if {"BilledCost", "ChargePeriodStart"} <= names:
        return "1.0"
    return "unknown"


def read_focus(source: Source, *, id_column: str | None = None) -> Iterator[CostRow | RejectedRow]:
    """Stream a FOCUS CSV export (path, `.gz` path or text stream) row by row.

    Raises `ValidationError` at once, naming the column, if a required column is missing.
    `id_column` names the export's line-item id column when it is not `Id`.
    """
    return stream_csv(source, lambda header: _row_maker(header, id_column))


def _row_maker(header: list[str], id_column: str | None) -> RowMaker:
    position = {name.casefold(): i for i, name in enumerate(header)}

    def col(name: str) -> int:
        return position.get(name.casefold(), -1)

    for name in REQUIRED:
        if col(name) < 0:
            needs = ", ".join(REQUIRED)
            raise ValidationError(
                name, f"column is missing from the file (a FOCUS export needs {needs})"
            )
    if id_column is not None and col(id_column) < 0:
        raise ValidationError(id_column, "column (asked for as the id) is missing from the file")
    i_id = col(id_column) if id_column else max((col(name) for name in ID_COLUMNS), default=-1)
    i_cost, i_start = col("BilledCost"), col("ChargePeriodStart")
    i_currency = col("BillingCurrency")
    i_tags, i_service = col("Tags"), col("ServiceName")
    i_sub_id, i_sub_name = col("SubAccountId"), col("SubAccountName")
    i_category, i_description = col("ChargeCategory"), col("ChargeDescription")
    i_provider = max(col("ProviderName"), col("ServiceProviderName"))
    quantities = [(col("ConsumedQuantity"), col("ConsumedUnit"), "ConsumedQuantity"),
                  (col("PricingQuantity"), col("PricingUnit"), "PricingQuantity")]  # fmt: skip
    quantities = [q for q in quantities if q[0] >= 0]
    # Plain text cells first (inlined below: this runs per row), then times and numbers by value.
    plain = [(f"{n}=", col(n)) for n in IDENTIFYING if n not in _TIMES | _NUMBERS | {"Tags"}]
    valued = [(n, col(n)) for n in IDENTIFYING if n in _TIMES | _NUMBERS]
    identity = RowIdentity("focus-v1")

    def opt(cells: list[str], index: int) -> str | None:
        return text_or_none(cells[index]) if index >= 0 else None

    def make_row(cells: list[str], line: int) -> CostRow:
        amount_text = cells[i_cost]
        amount = parse_amount(amount_text, "BilledCost")
        occurred_at = parse_timestamp(cells[i_start], "ChargePeriodStart")
        currency = text_or_none(cells[i_currency])
        if currency is None:
            raise CellError("BillingCurrency is empty")
        tags = parse_tags(cells[i_tags], "Tags") if i_tags >= 0 else {}
        quantity, unit = None, None
        for i_qty, i_unit, name in quantities:
            quantity = parse_quantity(cells[i_qty], name)
            if quantity is not None:
                unit = opt(cells, i_unit)
                break
        external_id = opt(cells, i_id)
        if external_id is None:
            parts = [
                prefix + ("" if i < 0 or (cell := cells[i].strip()) in NULLS else cell)
                for prefix, i in plain
            ]
            parts += [_identity_cell(name, cells[i] if i >= 0 else "") for name, i in valued]
            parts.append("Tags=" + json.dumps(sorted(tags.items()), ensure_ascii=False))
            external_id = identity.id_for(parts)
        return CostRow(
            external_id=external_id,
            occurred_at=occurred_at,
            amount=amount,
            amount_text=amount_text,
            currency=currency.upper(),
            service=opt(cells, i_service),
            sub_account_id=opt(cells, i_sub_id),
            sub_account_name=opt(cells, i_sub_name),
            tags=tags,
            charge_category=opt(cells, i_category),
            description=opt(cells, i_description),
            quantity=quantity,
            unit=unit,
            provider=opt(cells, i_provider),
            line=line,
        )

    return make_row


@lru_cache(maxsize=65536)
def _identity_cell(name: str, value: str) -> str:
    """`Name=value` for a time or number cell, compared by value, not by how it was written."""
    text = text_or_none(value)
    if text is None:
        return f"{name}="
    try:
        if name in _TIMES:
            return f"{name}={parse_timestamp(text, name).isoformat()}"
        return f"{name}={Decimal(text).normalize()}"
    except (CellError, ArithmeticError, ValueError):
        return f"{name}={text}"  # not a time or number: the text is all there is
