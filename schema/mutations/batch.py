"""`recordSpends`: up to 10,000 spends in one transaction, one result per item."""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import Annotated

import strawberry

from app.domain.errors import AllotError
from app.models import Spend as SpendRow
from app.services import batch as service
from app.services.batch_items import DUPLICATE, ERROR, RECORDED, ItemResult
from app.services.spending import SpendInput
from schema import refs
from schema.context import Info
from schema.errors import Error, to_error
from schema.mutations import payload, run
from schema.mutations.spending import RecordSpendInput, to_spend_input
from schema.types.spend import Spend


@strawberry.enum(description="What became of one item of a batch.")
class SpendItemStatus(Enum):
    RECORDED = strawberry.enum_value("recorded", description="Recorded as a new spend.")
    DUPLICATE = strawberry.enum_value(
        "duplicate",
        description="Recorded before (same externalId or idempotencyKey, same content): the "
        "original spend, counted once.",
    )
    FAILED = strawberry.enum_value(
        "error", description="Refused: `error` says why; nothing of it was recorded."
    )


@strawberry.type(description="The result of one item of a batch, by its index.")
class SpendItemResult:
    index: int = strawberry.field(description="The item's position in the input, from 0.")
    status: SpendItemStatus = strawberry.field(description="RECORDED, DUPLICATE or FAILED.")
    #: The new spend (RECORDED) or the original one (DUPLICATE).
    spend: Spend | None = strawberry.field(
        description="The new spend (RECORDED) or the original one (DUPLICATE); null if FAILED."
    )
    error: Error | None = strawberry.field(
        description="Why the item failed (a typed error, e.g. ValidationError with field "
        "items[3].amount); null unless FAILED."
    )


@strawberry.type(description="The batch ran: good items are recorded, bad ones reported.")
class SpendsRecorded:
    items: list[SpendItemResult] = strawberry.field(description="One result per item, in order.")
    recorded: int = strawberry.field(description="How many items were recorded.")
    duplicates: int = strawberry.field(description="How many were replays of earlier spends.")
    failed: int = strawberry.field(description="How many were refused.")


@strawberry.input(description="Up to 10,000 spends to record in one transaction.")
class RecordSpendsInput:
    items: list[RecordSpendInput] = strawberry.field(
        description="The spends, each as for recordSpend."
    )


RecordSpendsPayload = payload("RecordSpendsPayload", SpendsRecorded)


async def spends_by_id(spend_ids: list[int]) -> dict[int, SpendRow]:
    found: dict[int, SpendRow] = {}
    for start in range(0, len(spend_ids), 1000):
        for row in await SpendRow.filter(id__in=spend_ids[start : start + 1000]):
            found[row.id] = row
    return found


async def item_results(results: list[ItemResult]) -> list[SpendItemResult]:
    rows = await spends_by_id(sorted({r.spend_id for r in results if r.spend_id is not None}))
    return [
        SpendItemResult(
            index=r.index,
            status=SpendItemStatus(r.status),
            spend=Spend.from_model(rows[r.spend_id]) if r.spend_id in rows else None,
            error=to_error(r.error) if r.error is not None else None,
        )
        for r in results
    ]


def _decode(
    item: RecordSpendInput, index: int, slugs: Mapping[str, int]
) -> SpendInput | AllotError:
    try:
        return to_spend_input(item, f"items[{index}].", slugs)
    except AllotError as exc:  # a malformed id fails this item, not the batch
        return exc


@strawberry.type
class BatchMutations:
    @strawberry.mutation(
        description="Record up to 10,000 spends in one transaction: good "
        "items are recorded, bad ones reported by index (an item's own error, such as "
        "PermissionDenied for a project you may not spend on, fails that item only). Errors of "
        "the whole batch: ValidationError (more than 10,000 items)."
    )
    async def record_spends(
        self,
        info: Info,
        input: Annotated[RecordSpendsInput, strawberry.argument(description="The spends.")],
    ) -> RecordSpendsPayload:
        async def call() -> SpendsRecorded:
            slugs = await refs.slugs_to_keys(
                info.context.actor, (i.project_id for i in input.items)
            )
            items = [_decode(item, i, slugs) for i, item in enumerate(input.items)]
            results = await service.record_spends(info.context.actor, items)
            count = {
                status: sum(1 for r in results if r.status == status)
                for status in (RECORDED, DUPLICATE, ERROR)
            }
            return SpendsRecorded(
                items=await item_results(results),
                recorded=count[RECORDED],
                duplicates=count[DUPLICATE],
                failed=count[ERROR],
            )

        return await run(call)
