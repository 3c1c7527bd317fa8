"""Threshold alerts, raised inside the spend's transaction; acknowledging and listing alerts.

`after_spend` runs in the spend path: with no threshold crossed it reads nothing (the budget's
extra rules are cached, app.services.alert_rules) and writes nothing. A spend that crosses
several thresholds at once raises **one** alert naming the highest, the others listed in its
`crossed`; a later crossing of a higher threshold escalates that alert (OPEN again, told again
once) instead of raising another. The other kinds (forecast, pace, exhaustion, pending
transfers, closed periods) and every automatic resolution come from the scheduled pass
(app.services.alert_scan).
"""

from __future__ import annotations

from tortoise.expressions import Q
from tortoise.queryset import QuerySet

from app.domain.access import (
    Actor,
    alert_scope,
    can_acknowledge_alert,
    can_view_alert,
    can_view_budget,
    require,
)
from app.domain.errors import NotFound, ValidationError
from app.domain.money import format_money
from app.models import Alert, Allocation, Budget, BudgetPeriod
from app.services import alert_rules, alert_store, lookup
from app.services.alert_rules import Level
from app.services.alert_store import Figures, Where

THRESHOLD = "THRESHOLD"


def crossed(thresholds: list[int], allocated: int, before: int, after: int) -> list[int]:
    """Thresholds (percent used) that `after` reaches and `before` did not."""
    if allocated <= 0:
        return []
    return [t for t in thresholds if before * 100 < t * allocated <= after * 100]


def _envelope_text(name: str, level: Level, allocated: int, spent: int, budget: Budget) -> str:
    money = format_money(allocated, budget.currency)
    if level.percent is not None:
        return f"{name} has used {level.percent}% of its {money} allocation in {budget.name}"
    left = format_money(allocated - spent, budget.currency)
    return f"{name} has {left} left of its {money} allocation in {budget.name}"


def _budget_text(level: Level, available: int, spent: int, budget: Budget) -> str:
    money = format_money(available, budget.currency)
    if level.percent is not None:
        return f"{budget.name} has used {level.percent}% of its {money} this period"
    left = format_money(available - spent, budget.currency)
    return f"{budget.name} has {left} left of its {money} this period"


async def after_spend(
    budget: Budget,
    period: BudgetPeriod,
    allocation: Allocation,
    allocated: int,
    before: int,
    after: int,
) -> None:
    """Called in the spend's transaction with the allocation's spent before and after."""
    delta = after - before
    if delta <= 0:
        return  # a refund crosses nothing upwards; the pass resolves what it clears
    rules = await alert_rules.rules_for(budget.id)
    project_id = allocation.project_id  # type: ignore[attr-defined]
    hit = alert_rules.crossed(
        alert_rules.envelope_levels(
            budget, rules, project_id, allocation.alert_threshold, allocated
        ),
        before,
        after,
    )
    available = period.unallocated_micros + period.allocated_micros
    pool_before = period.spent_micros
    # Keep the in-memory period in step with the row the spend just moved (a batch passes the
    # same period for each of its envelopes).
    period.spent_micros = pool_before + delta
    pool_hit = alert_rules.crossed(
        alert_rules.budget_levels(budget, rules, available), pool_before, pool_before + delta
    )
    if hit:
        where = Where(budget.id, period.id, allocation.id, project_id)
        text = _envelope_text(allocation.project.name, hit[-1], allocated, after, budget)
        await threshold_crossed(where, hit, Figures(allocated, after), text)
    if pool_hit:
        where = Where(budget.id, period.id)
        text = _budget_text(pool_hit[-1], available, pool_before + delta, budget)
        await threshold_crossed(where, pool_hit, Figures(available, pool_before + delta), text)


def _rank(alert: Alert) -> tuple[int, int]:
    """How far an alert's level reaches, comparable with a Level of the same figures."""
    allocated = alert.allocated_micros or 0
    if alert.threshold is not None:
        return (alert.threshold * allocated, 100)
    return ((allocated - (alert.remaining_threshold_micros or 0)) * 100, 100)


async def threshold_crossed(where: Where, hit: list[Level], figures: Figures, text: str) -> None:
    """One alert for every level crossed at once, naming the highest; escalate an active
    alert of a lower level."""
    top = hit[-1]
    labels = [lv.label for lv in hit]
    current = await alert_store.active(where, "threshold")
    if current is None:
        await alert_store.raise_alert(
            where,
            THRESHOLD,
            "threshold",
            text,
            figures,
            threshold=top.percent,
            remaining_threshold=top.remaining,
            crossed=labels,
        )
        return
    level_now, _ = _rank(current)
    if top.rank * 100 <= level_now:
        return  # no higher than the line already raised (a concurrent spend, or a lower one)
    await alert_store.escalate(
        current,
        where,
        text,
        figures,
        threshold=top.percent,
        remaining_threshold=top.remaining,
        crossed=labels,
        label=top.label,
    )


async def _project_of(alert: Alert) -> int | None:
    if alert.allocation_id is None:  # type: ignore[attr-defined]
        return None
    return (
        await Allocation.filter(id=alert.allocation_id)
        .first()
        .values_list(  # type: ignore[attr-defined]
            "project_id", flat=True
        )
    )  # type: ignore[return-value]


async def acknowledge(actor: Actor, alert_id: int, note: str | None = None) -> Alert:
    """OPEN → ACKNOWLEDGED by this person, with an optional note (again: no change). Owners
    acknowledge any alert of their budget; a project's leads and members its allocation's."""
    alert = await Alert.get_or_none(id=alert_id)
    if alert is None:
        raise NotFound("Alert", alert_id, field="alertId")
    project_id = await _project_of(alert)
    budget_id = alert.budget_id  # type: ignore[attr-defined]
    if not can_view_alert(actor, budget_id, project_id):
        raise NotFound("Alert", alert_id, field="alertId")
    require(can_acknowledge_alert(actor, budget_id, project_id), "acknowledge this alert")
    if note is not None:
        note = note.strip()[:2000] or None
    await alert_store.acknowledge(alert, actor.user_id, note)
    await alert.refresh_from_db()
    return alert


STATES = ("OPEN", "ACKNOWLEDGED", "RESOLVED")


def visible(actor: Actor) -> QuerySet[Alert]:
    """Alerts the actor may see (app.domain.access.alert_scope): every alert of owned budgets,
    the allocation alerts of their projects."""
    scope = alert_scope(actor)
    if scope.everything:
        return Alert.all()
    return Alert.filter(
        Q(budget_id__in=list(scope.budgets))
        | Q(allocation__project_id__in=list(scope.projects), scope="ALLOCATION")
    )


async def filtered(
    actor: Actor,
    *,
    budget_id: int | None = None,
    project_id: int | None = None,
    state: str | None = None,
) -> QuerySet[Alert]:
    """`visible` narrowed to a budget, a project and a state. A named budget the actor cannot
    see is NotFound, as everywhere else."""
    query = visible(actor)
    if budget_id is not None:
        budget = await lookup.budget(budget_id)
        funded = await Allocation.filter(
            budget_id=budget.id, project_id__in=list(actor.project_roles)
        ).values_list("project_id", flat=True)
        if not can_view_budget(actor, budget.id, funded):  # type: ignore[arg-type]
            raise NotFound("Budget", budget_id, field="budgetId")
        query = query.filter(budget_id=budget.id)
    if project_id is not None:
        query = query.filter(allocation__project_id=project_id)
    if state is not None:
        if state not in STATES:
            raise ValidationError("state", "must be OPEN, ACKNOWLEDGED or RESOLVED")
        query = query.filter(state=state)
    return query


async def list_alerts(
    actor: Actor, budget_id: int | None = None, *, limit: int = 500, state: str | None = None
) -> list[Alert]:
    """Alerts the actor may see, newest first (the CLI's `allot alerts list`)."""
    query = await filtered(actor, budget_id=budget_id, state=state)
    return (
        await query.order_by("-created_at", "-id")
        .limit(max(1, min(limit, 5_000)))
        .select_related("budget", "allocation__project")
    )
