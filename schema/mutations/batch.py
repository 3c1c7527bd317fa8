"""`recordSpends`: up to 10,000 spends in one transaction, one result per item."""

from __future__ import annotations

from enum import Enum

import strawberry

from app.domain.errors import AllotError
from app.models import Spend as SpendRow
from app.services import batch as service
from app.services.batch_items import DUPLICATE, ERROR, RECORDED, ItemResult
from app.services.spending import SpendInput
from schema.context import Info
from schema.errors import Error, to_error
from schema.mutations import payload, run
from schema.mutations.spending import RecordSpendInput, to_spend_input
from schema.types.spend import Spend


@strawberry.enum
class SpendItemStatus(Enum):
    RECORDED = "recorded"
    DUPLICATE = "duplicate"
    FAILED = "error"


@strawberry.type
class SpendItemResult:
    index: int
    status: SpendItemStatus
    #: The new spend (RECORDED) or the original one (DUPLICATE).
    spend: Spend | None
    error: Error | None


@strawberry.type
class SpendsRecorded:
    items: list[SpendItemResult]
    recorded: int
    duplicates: int
    failed: int


@strawberry.input
class RecordSpendsInput:
    items: list[RecordSpendInput]


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


def _decode(item: RecordSpendInput, index: int) -> SpendInput | AllotError:
    try:
        return to_spend_input(item, f"items[{index}].")
    except AllotError as exc:  # a malformed id fails this item, not the batch
        return exc


@strawberry.type
class BatchMutations:
    @strawberry.mutation(
        description="Record up to 10,000 spends in one transaction: good "
        "items are recorded, bad ones reported by index."
    )
    async def record_spends(self, info: Info, input: RecordSpendsInput) -> RecordSpendsPayload:
        async def call() -> SpendsRecorded:
            items = [_decode(item, i) for i, item in enumerate(input.items)]
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
