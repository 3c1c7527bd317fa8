"""Import rows held as unassigned spend (no routing rule claimed them, or the rule's project
could not take them: see app.services.imports): listing them, assigning them to a project by
hand, and routing them again with today's rules. Rows recorded (or found recorded) are no longer
held; a row still held gets its reason brought up to date. Recorded rows keep their tags and
amount text on the spend."""

from __future__ import annotations

from dataclasses import dataclass, field

from app.domain.access import Actor, can_route_unassigned, require
from app.domain.errors import NotFound, ValidationError
from app.ingest.rows import CostRow
from app.models import UnassignedSpend
from app.services import lookup, routing
from app.services.batch import record_items
from app.services.batch_items import DUPLICATE, RECORDED, Item, ItemResult
from app.services.imports import (
    CHUNK,
    SHOWN_REJECTIONS,
    UNROUTED,
    Target,
    target_of,
    unplaceable,
)


def visible_unassigned(actor: Actor):  # type: ignore[no-untyped-def]
    """Admins see every held row; a budget's owners see rows imported into their budget."""
    if actor.is_admin:
        return UnassignedSpend.all()
    return UnassignedSpend.filter(budget_id__in=list(actor.owned_budgets))


def _row_item(index: int, row: UnassignedSpend, project_id: int, budget_id: int | None) -> Item:
    return Item(
        index=index,
        project_id=project_id,
        budget_id=budget_id,
        amount=row.amount_micros,
        occurred_at=row.occurred_at,
        source=row.source,
        service=row.service,
        description=row.description,
        external_id=row.external_id,
        quantity=row.quantity,
        unit=row.unit,
        currency=row.currency,
        tags=dict(row.tags or {}),
        amount_text=row.amount_text,
    )


async def assign(
    actor: Actor,
    unassigned_ids: list[int],
    *,
    project_id: int,
    budget_id: int | None = None,
) -> list[tuple[int, ItemResult]]:
    """Record held rows as the project's spend; a row recorded (or found recorded) is no longer
    held. Returns (unassigned id, result) per id, in the order given."""
    if not unassigned_ids:
        raise ValidationError("unassignedSpendIds", "must name at least one row")
    if len(unassigned_ids) > 10_000:
        raise ValidationError("unassignedSpendIds", "must name at most 10000 rows")
    await lookup.project(project_id)
    rows = {r.id: r for r in await visible_unassigned(actor).filter(id__in=unassigned_ids)}
    missing = [i for i in unassigned_ids if i not in rows]
    if missing:
        raise NotFound("UnassignedSpend", missing[0], field="unassignedSpendIds")
    order = list(dict.fromkeys(unassigned_ids))
    items = [_row_item(n, rows[uid], project_id, budget_id) for n, uid in enumerate(order)]
    results = await record_items(actor, items, across_projects=True)
    done = [uid for n, uid in enumerate(order) if results[n].status in (RECORDED, DUPLICATE)]
    if done:
        await UnassignedSpend.filter(id__in=done).delete()
    return [(uid, results[n]) for n, uid in enumerate(order)]


@dataclass
class ApplySummary:
    assigned: int = 0
    duplicates: int = 0
    failed: int = 0
    still_unassigned: int = 0
    failures: list[tuple[int, str]] = field(default_factory=list)


async def apply_rules(
    actor: Actor, *, budget_id: int | None = None, chunk_size: int = CHUNK
) -> ApplySummary:
    """Route the held rows the actor can see (of one budget's imports, if given) again, with
    today's rules."""
    require(can_route_unassigned(actor, budget_id), "apply routing rules to these imports")
    held_rows = visible_unassigned(actor)
    if budget_id is not None:
        held_rows = held_rows.filter(budget_id=budget_id)
    router, rules = await routing.load_router()
    summary = ApplySummary()
    last = 0
    while True:
        rows = await held_rows.filter(id__gt=last).order_by("id").limit(chunk_size)
        if not rows:
            return summary
        last = rows[-1].id
        items: list[Item] = []
        held: list[UnassignedSpend] = []
        targets: list[tuple[UnassignedSpend, Target]] = []
        reasons: dict[int, str] = {}
        for row in rows:
            rule_id = router.route(_cost_row(row))
            if rule_id is None:
                summary.still_unassigned += 1
                reasons[row.id] = UNROUTED
                continue
            targets.append((row, target_of(rules[rule_id], row.budget_id)))  # type: ignore[attr-defined]
        cannot = await unplaceable(target for _, target in targets)
        for row, target in targets:
            if target in cannot:
                summary.still_unassigned += 1
                reasons[row.id] = cannot[target]
                continue
            items.append(_row_item(len(items), row, *target))
            held.append(row)
        await _update_reasons(rows, reasons)
        results = await record_items(actor, items, across_projects=True)
        done = []
        for n, row in enumerate(held):
            result = results[n]
            if result.status == RECORDED:
                summary.assigned += 1
                done.append(row.id)
            elif result.status == DUPLICATE:
                summary.duplicates += 1
                done.append(row.id)
            else:
                summary.failed += 1
                summary.still_unassigned += 1
                if len(summary.failures) < SHOWN_REJECTIONS and result.error is not None:
                    summary.failures.append((row.id, result.error.message))
        if done:
            await UnassignedSpend.filter(id__in=done).delete()


async def _update_reasons(rows: list[UnassignedSpend], reasons: dict[int, str]) -> None:
    """Store why each row is still held, where that changed (a rule added, an allocation gone)."""
    changed: dict[str, list[int]] = {}
    for row in rows:
        reason = reasons.get(row.id)
        if reason is not None and reason != row.reason:
            changed.setdefault(reason[:500], []).append(row.id)
    for reason, row_ids in changed.items():
        await UnassignedSpend.filter(id__in=row_ids).update(reason=reason)


def _cost_row(row: UnassignedSpend) -> CostRow:
    return CostRow(
        external_id=row.external_id,
        occurred_at=row.occurred_at,
        amount=row.amount_micros,
        amount_text=row.amount_text,
        currency=row.currency,
        service=row.service,
        sub_account_id=row.sub_account_id,
        sub_account_name=row.sub_account_name,
        tags=dict(row.tags or {}),
        charge_category=row.charge_category,
        description=row.description,
        quantity=None,
        unit=row.unit,
        provider=row.provider,
        line=row.line,
    )


__all__ = ["ApplySummary", "apply_rules", "assign", "visible_unassigned"]
