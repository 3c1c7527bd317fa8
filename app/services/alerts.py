"""Threshold alerts: once per threshold per allocation and period, written to the outbox."""

from __future__ import annotations

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from app import clock
from app.domain.access import Actor, require_owner
from app.domain.errors import NotFound
from app.domain.money import format_money
from app.models import Alert, Allocation, Budget, BudgetPeriod
from app.services.events import emit, for_projects


def crossed(thresholds: list[int], allocated: int, before: int, after: int) -> list[int]:
    """Thresholds (percent used) that `after` reaches and `before` did not."""
    if allocated <= 0:
        return []
    return [t for t in thresholds if before * 100 < t * allocated <= after * 100]


async def after_spend(
    budget: Budget,
    period: BudgetPeriod,
    allocation: Allocation,
    allocated: int,
    before: int,
    after: int,
) -> None:
    thresholds = list(budget.alert_thresholds or [])
    if allocation.alert_threshold:
        thresholds = sorted({*thresholds, allocation.alert_threshold})
    for t in crossed(thresholds, allocated, before, after):
        key = f"alloc:{allocation.id}:threshold:{t}"
        message = (
            f"{allocation.project.name} has used {t}% of its"
            f" {format_money(allocated, budget.currency)} allocation in {budget.name}"
        )
        try:
            async with in_transaction():
                alert = await Alert.create(
                    budget_id=budget.id,
                    period_id=period.id,
                    allocation_id=allocation.id,
                    kind="THRESHOLD",
                    threshold=t,
                    dedupe_key=key,
                    message=message,
                )
        except IntegrityError:
            continue  # another spend crossed it first: once per threshold
        await emit(
            "alert.raised",
            {
                "alertId": alert.id,
                "allocationId": allocation.id,
                "threshold": t,
                "message": message,
            },
            budget_id=budget.id,
            dedupe_key=key,
            audience=for_projects(allocation.project_id),  # type: ignore[attr-defined]
        )


async def acknowledge(actor: Actor, alert_id: int) -> Alert:
    alert = await Alert.get_or_none(id=alert_id)
    if alert is None:
        raise NotFound("Alert", alert_id, field="alertId")
    require_owner(actor, alert.budget_id, "acknowledge this alert")  # type: ignore[attr-defined]
    if alert.acknowledged_at is None:
        alert.acknowledged_at = clock.now()
        alert.acknowledged_by_id = actor.user_id  # type: ignore[attr-defined]
        await alert.save(update_fields=["acknowledged_at", "acknowledged_by_id"])
    return alert
