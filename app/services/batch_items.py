"""One spend of a batch: what it is once checked (`Item`), what came of it (`ItemResult`), and
the input checks `record_spend` makes, with fields named `items[i].…`.

Besides the amount, a spend keeps what its source said: an import's `tags` and the amount as
the export wrote it (`amount_text`), and an API caller's free-form `metadata` (string keys and
values, checked by `app.domain.validation.metadata`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from app.domain import validation as rules
from app.domain.errors import AllotError, ValidationError
from app.domain.money import parse_decimal, to_micros
from app.models import Allocation
from app.services.spending import SpendInput

_ONE_DAY = timedelta(days=1)

RECORDED, DUPLICATE, ERROR = "recorded", "duplicate", "error"


@dataclass(slots=True)
class ItemResult:
    index: int
    status: str  # RECORDED, DUPLICATE or ERROR
    spend_id: int | None = None
    error: AllotError | None = None
    project_id: int | None = None
    amount: int = 0


@dataclass(slots=True)
class Item:
    """One validated spend: amount in micros, texts trimmed, time aware."""

    index: int
    project_id: int
    budget_id: int | None
    amount: int
    occurred_at: datetime
    source: str = "api"
    service: str | None = None
    description: str | None = None
    external_id: str | None = None
    quantity: str | None = None
    unit: str | None = None
    currency: str | None = None
    idempotency_key: str | None = None
    #: An import's tags (routing reads them; the spend keeps them) and the source's amount text.
    tags: dict[str, str] | None = None
    amount_text: str | None = None
    metadata: dict[str, str] | None = None
    # Filled while recording.
    allocation: Allocation | None = field(default=None, repr=False)

    def content(self) -> dict[str, object]:
        """What an idempotency key promises (the same shape `record_spend` remembers).

        Metadata is part of the promise only when given, so the keys remembered before
        metadata existed still replay.
        """
        content: dict[str, object] = {
            "projectId": self.project_id,
            "amount": self.amount,
            "service": self.service,
            "description": self.description,
            "occurredAt": self.occurred_at.isoformat(),
            "quantity": self.quantity,
            "unit": self.unit,
        }
        if self.metadata is not None:
            content["metadata"] = self.metadata
        return content


@dataclass(frozen=True)
class SpendInputWithMetadata(SpendInput):
    """`SpendInput` with the caller's metadata, until `SpendInput` carries it itself (the
    single-spend path in app.services.spending is being rewritten; then this goes away).
    `validate` reads `metadata` from any input that has it."""

    metadata: Mapping[str, str] | None = None


def with_metadata(item: SpendInput, metadata: object) -> SpendInput:
    """`item` carrying `metadata` (unchecked: `validate` checks it, naming `items[i].metadata`)."""
    if metadata is None:
        return item
    fields_ = {name: getattr(item, name) for name in item.__dataclass_fields__}
    fields_["metadata"] = metadata
    return SpendInputWithMetadata(**fields_)


def validate(
    index: int,
    item: SpendInput,
    now: datetime,
    *,
    allow_credit: bool = False,
    round_half_even: bool = False,
) -> Item:
    """The checks `record_spend` makes, with fields named `items[i].…`."""
    try:
        return _validate(index, item, now, allow_credit, round_half_even)
    except ValidationError as exc:
        raise ValidationError(f"items[{index}].{exc.field}", exc.rule) from None


def _validate(
    index: int, item: SpendInput, now: datetime, allow_credit: bool, round_half_even: bool
) -> Item:
    if item.amount is None:  # usage priced by a rate card goes through recordSpend for now
        raise ValidationError("amount", "is required in a batch (price usage with recordSpend)")
    amount = to_micros(item.amount, field="amount", round_half_even=round_half_even)
    if amount == 0 or (amount < 0 and not allow_credit):
        raise ValidationError("amount", "must be greater than zero")
    occurred_at = item.occurred_at or now
    if occurred_at.tzinfo is None:
        raise ValidationError("occurredAt", "must include a time zone offset, e.g. Z")
    if occurred_at > now + _ONE_DAY:
        raise ValidationError("occurredAt", "must not be in the future")
    text = rules.text
    return Item(
        index,
        item.project_id,
        item.budget_id,
        amount,
        occurred_at,
        item.source,
        None if item.service is None else text(item.service, "service", 200),
        None if item.description is None else text(item.description, "description"),
        None if item.external_id is None else text(item.external_id, "externalId", 255),
        None if item.quantity is None else str(parse_decimal(item.quantity, field="quantity")),
        None if item.unit is None else text(item.unit, "unit", 64),
        None if item.currency is None else rules.currency(item.currency),
        item.idempotency_key,
        metadata=rules.metadata(getattr(item, "metadata", None)),
    )


__all__ = [
    "DUPLICATE",
    "ERROR",
    "RECORDED",
    "Item",
    "ItemResult",
    "SpendInputWithMetadata",
    "validate",
    "with_metadata",
]
