"""Cost exports into spend: route each parsed row to a project, record it, keep the rest.

Rows stream through in chunks (5,000 by default), each recorded in one transaction by the same
bulk path as `recordSpends` (`app.services.batch`), so memory stays flat and a re-import is a
replay: a row's stable id becomes the spend's externalId under the import's source
(`focus`, `csv:aws-cur`...), and a row seen before counts as a duplicate, never twice.

- A row no routing rule claims is kept as an `UnassignedSpend`, to be assigned later by hand
  or by re-applying the rules (app.services.unassigned).
- A row that cannot be recorded (unreadable, another currency than the budget's, no open
  allocation, over a hard limit) is rejected with its line and reason.
- Zero-cost rows (usage covered by a commitment, free tiers) are counted and skipped: they move
  no money.
- Credits and adjustments are negative rows, recorded as refunds to the allocation.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from itertools import islice

from tortoise.transactions import in_transaction

from app import clock
from app.domain.access import Actor, can_import, require
from app.domain.errors import ValidationError
from app.ingest.routing import Router
from app.ingest.rows import CostRow, RejectedRow
from app.models import Project, RoutingRule
from app.services import lookup, routing
from app.services.batch import record_items
from app.services.batch_dedupe import find_external_ids
from app.services.batch_items import DUPLICATE, RECORDED, Item, ItemResult
from app.services.batch_ledger import execute_many

CHUNK = 5_000
SHOWN_REJECTIONS = 20


@dataclass
class ImportSummary:
    source: str
    dry_run: bool = False
    read: int = 0
    recorded: int = 0
    duplicates: int = 0
    unassigned: int = 0
    already_unassigned: int = 0
    skipped_zero: int = 0
    rejected: int = 0
    #: (line, reason) of the first `SHOWN_REJECTIONS` rejected rows.
    rejections: list[tuple[int, str]] = field(default_factory=list)
    #: micros recorded per project slug by this import.
    totals: dict[str, int] = field(default_factory=dict)

    def reject(self, line: int, reason: str) -> None:
        self.rejected += 1
        if len(self.rejections) < SHOWN_REJECTIONS:
            self.rejections.append((line, reason))


def _clip(text: str | None, limit: int) -> str | None:
    return None if text is None else text[:limit]


def _item(index: int, row: CostRow, rule: RoutingRule, budget_id: int | None, source: str) -> Item:
    return Item(
        index=index,
        project_id=rule.project_id,  # type: ignore[attr-defined]
        budget_id=budget_id if budget_id is not None else rule.budget_id,  # type: ignore[attr-defined]
        amount=row.amount,
        occurred_at=row.occurred_at,
        source=source,
        service=_clip(row.service, 200),
        description=row.description,
        external_id=row.external_id,
        currency=row.currency,
        quantity=None if row.quantity is None else _clip(str(row.quantity), 64),
        unit=_clip(row.unit, 64),
    )


async def import_rows(
    actor: Actor,
    rows: Iterable[CostRow | RejectedRow],
    *,
    source: str,
    budget_id: int | None = None,
    dry_run: bool = False,
    chunk_size: int = CHUNK,
    progress: Callable[[int], None] | None = None,
) -> ImportSummary:
    """Route and record parsed rows; `progress(n)` is called after each chunk of n rows."""
    if not source or len(source) > 32:
        raise ValidationError("source", "must be 1 to 32 characters")
    if budget_id is not None:
        await lookup.budget(budget_id)
    require(
        can_import(actor, budget_id),
        "import spend into this budget" if budget_id else "import spend for every budget",
    )
    router, rules = await routing.load_router()
    summary = ImportSummary(source=source, dry_run=dry_run)
    totals: dict[int, int] = defaultdict(int)
    stream: Iterator[CostRow | RejectedRow] = iter(rows)
    while chunk := list(islice(stream, chunk_size)):
        await _import_chunk(
            actor, chunk, router, rules, source, budget_id, dry_run, summary, totals
        )
        if progress is not None:
            progress(len(chunk))
    slugs = dict(await Project.filter(id__in=list(totals)).values_list("id", "slug"))
    summary.totals = {slugs[pid]: amount for pid, amount in sorted(totals.items())}  # type: ignore[index]
    return summary


async def _import_chunk(
    actor: Actor,
    chunk: list[CostRow | RejectedRow],
    router: Router,
    rules: dict[str, RoutingRule],
    source: str,
    budget_id: int | None,
    dry_run: bool,
    summary: ImportSummary,
    totals: dict[int, int],
) -> None:
    latest = clock.now() + timedelta(days=1)
    items: list[Item] = []
    lines: list[int] = []
    unrouted: list[CostRow] = []
    for row in chunk:
        summary.read += 1
        if isinstance(row, RejectedRow):
            summary.reject(row.line, row.reason)
        elif row.amount == 0:
            summary.skipped_zero += 1
        elif row.occurred_at > latest:
            summary.reject(row.line, f"is dated {row.occurred_at.isoformat()}, in the future")
        else:
            target = router.route(row)
            if target is None:
                unrouted.append(row)
            else:
                items.append(_item(len(items), row, rules[target], budget_id, source))
                lines.append(row.line)
    results = await record_items(actor, items, dry_run=dry_run, across_projects=True)
    for item in items:
        result = results[item.index]
        _count(result, lines[item.index], summary, totals)
    if unrouted:
        await _hold(unrouted, source, budget_id, dry_run, summary)


def _count(result: ItemResult, line: int, summary: ImportSummary, totals: dict[int, int]) -> None:
    if result.status == RECORDED:
        summary.recorded += 1
        totals[result.project_id] += result.amount  # type: ignore[index]
    elif result.status == DUPLICATE:
        summary.duplicates += 1
    else:
        summary.reject(line, result.error.message if result.error else "was refused")


async def _hold(
    rows: list[CostRow],
    source: str,
    budget_id: int | None,
    dry_run: bool,
    summary: ImportSummary,
) -> None:
    """Keep rows no rule claimed; a row already recorded as spend (assigned after an earlier
    import) is a duplicate, a row already held is counted as such."""
    ids = [r.external_id for r in rows]
    recorded = {
        r["external_id"] for r in await find_external_ids("spend", "external_id", source, ids)
    }
    held = {
        r["external_id"]
        for r in await find_external_ids("unassigned_spend", "external_id", source, ids)
    }
    fresh: dict[str, CostRow] = {}
    for row in rows:
        if row.external_id in recorded:
            summary.duplicates += 1
        elif row.external_id in held or row.external_id in fresh:
            summary.already_unassigned += 1
        else:
            fresh[row.external_id] = row
    summary.unassigned += len(fresh)
    if dry_run or not fresh:
        return
    now = clock.now()
    values = [
        [
            source,
            r.external_id,
            r.occurred_at,
            r.amount,
            r.amount_text[:64],
            r.currency,
            _clip(r.service, 200),
            _clip(r.sub_account_id, 200),
            _clip(r.sub_account_name, 200),
            _json(r.tags),
            _clip(r.charge_category, 32),
            r.description,
            None if r.quantity is None else str(r.quantity)[:64],
            _clip(r.unit, 64),
            _clip(r.provider, 200),
            r.line,
            budget_id,
            now,
        ]
        for r in fresh.values()
    ]
    async with in_transaction():
        await execute_many(
            "INSERT INTO unassigned_spend (source, external_id, occurred_at, amount_micros,"
            " amount_text, currency, service, sub_account_id, sub_account_name, tags,"
            " charge_category, description, quantity, unit, provider, line, budget_id,"
            " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (source, external_id) DO NOTHING",
            values,
        )


def _json(tags: dict[str, str]) -> str:
    return json.dumps(tags, ensure_ascii=False)


__all__ = ["CHUNK", "ImportSummary", "import_rows"]
