"""Raising, escalating and resolving alerts, each step written to the alert's history and to
the outbox in the caller's transaction.

A condition (a threshold, a forecast overrun, …) of one scope has at most one active alert
(OPEN or ACKNOWLEDGED). `dedupe_key` is `<scope>:<condition>:<generation>`: the unique key makes
two writers that see the same crossing at once raise one alert, and a new generation starts
only after the previous alert was RESOLVED (the condition cleared and came back).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from app import clock
from app.domain.access import EventAudience
from app.models import Alert, AlertEvent
from app.services.events import emit, for_projects

OPEN, ACKNOWLEDGED, RESOLVED = "OPEN", "ACKNOWLEDGED", "RESOLVED"
ACTIVE = (OPEN, ACKNOWLEDGED)
BUDGET, ALLOCATION = "BUDGET", "ALLOCATION"
KINDS = (
    "THRESHOLD",
    "FORECAST_OVERRUN",
    "EXHAUSTION_SOON",
    "PACE",
    "PERIOD_CLOSED",
    "TRANSFER_PENDING_TOO_LONG",
)


@dataclass(frozen=True)
class Where:
    """An alert's scope: a budget period, and the allocation (with its project) or None."""

    budget_id: int
    period_id: int
    allocation_id: int | None = None
    project_id: int | None = None

    @property
    def key(self) -> str:
        if self.allocation_id is not None:
            return f"alloc:{self.allocation_id}"
        return f"period:{self.period_id}"

    @property
    def scope(self) -> str:
        return BUDGET if self.allocation_id is None else ALLOCATION

    def audience(self) -> EventAudience:
        """Allocation alerts reach the project's people; budget alerts owners only."""
        if self.project_id is None:
            return EventAudience(owners_only=True)
        return for_projects(self.project_id)


@dataclass(frozen=True)
class Figures:
    allocated: int | None = None
    spent: int | None = None
    projected: int | None = None
    exhaustion: date | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "allocated": self.allocated,
            "spent": self.spent,
            "projected": self.projected,
            "exhaustion": None if self.exhaustion is None else self.exhaustion.isoformat(),
        }


def _payload(alert: Alert, where: Where) -> dict[str, Any]:
    return {
        "alertId": alert.id,
        "allocationId": where.allocation_id,
        "kind": alert.kind,
        "scope": where.scope,
        "state": alert.state,
        "threshold": alert.threshold,
        "crossed": list(alert.crossed or []),
        "message": alert.message,
    }


async def _history(
    alert: Alert, action: str, *, user_id: int | None = None, note: str | None = None
) -> None:
    figures = {
        "allocated": alert.allocated_micros,
        "spent": alert.spent_micros,
        "projected": alert.projected_micros,
    }
    await AlertEvent.create(
        alert_id=alert.id,
        action=action,
        user_id=user_id,
        note=note,
        figures=figures,
        at=clock.now(),
    )


async def active(where: Where, condition: str) -> Alert | None:
    """The active alert of this condition in this scope, if any."""
    return (
        await Alert.filter(dedupe_key__startswith=f"{where.key}:{condition}:", state__in=ACTIVE)
        .order_by("-id")
        .first()
    )


async def raise_alert(
    where: Where,
    kind: str,
    condition: str,
    message: str,
    figures: Figures,
    *,
    threshold: int | None = None,
    remaining_threshold: int | None = None,
    crossed: list[str] | None = None,
    transfer_id: int | None = None,
) -> Alert | None:
    """A new alert (next generation of the condition) and its alert.raised event; None when a
    concurrent writer raised it first."""
    base = f"{where.key}:{condition}:"
    generation = await Alert.filter(dedupe_key__startswith=base).count() + 1
    now = clock.now()
    try:
        async with in_transaction():
            alert = await Alert.create(
                budget_id=where.budget_id,
                period_id=where.period_id,
                allocation_id=where.allocation_id,
                transfer_id=transfer_id,
                scope=where.scope,
                kind=kind,
                threshold=threshold,
                remaining_threshold_micros=remaining_threshold,
                crossed=crossed or [],
                allocated_micros=figures.allocated,
                spent_micros=figures.spent,
                projected_micros=figures.projected,
                exhaustion_date=figures.exhaustion,
                dedupe_key=f"{base}{generation}",
                message=message,
                updated_at=now,
            )
    except IntegrityError:
        return None  # another writer raised this generation first: once per crossing
    await _history(alert, "RAISED")
    await emit(
        "alert.raised",
        _payload(alert, where),
        budget_id=where.budget_id,
        dedupe_key=f"alert:{alert.id}:raised",
        audience=where.audience(),
    )
    return alert


async def escalate(
    alert: Alert,
    where: Where,
    message: str,
    figures: Figures,
    *,
    threshold: int | None,
    remaining_threshold: int | None,
    crossed: list[str],
    label: str,
) -> None:
    """A higher threshold of an active alert: the same alert, OPEN again, told again once."""
    alert.threshold = threshold
    alert.remaining_threshold_micros = remaining_threshold
    alert.crossed = sorted({*(alert.crossed or []), *crossed}, key=crossed_order(crossed))
    alert.allocated_micros, alert.spent_micros = figures.allocated, figures.spent
    alert.message = message
    alert.state = OPEN
    alert.updated_at = clock.now()
    await alert.save(
        update_fields=[
            "threshold",
            "remaining_threshold_micros",
            "crossed",
            "allocated_micros",
            "spent_micros",
            "message",
            "state",
            "updated_at",
        ]
    )
    await _history(alert, "ESCALATED", note=label)
    await emit(
        "alert.raised",
        _payload(alert, where),
        budget_id=where.budget_id,
        dedupe_key=f"alert:{alert.id}:level:{label}",
        audience=where.audience(),
    )


def crossed_order(labels: list[str]) -> Any:
    """Keep the order the crossing computed (lowest first); older labels go before."""
    rank = {label: i for i, label in enumerate(labels)}
    return lambda label: rank.get(label, -1)


async def resolve(alert: Alert, reason: str, project_id: int | None) -> bool:
    """RESOLVED once its condition cleared (a conditional update: resolved once)."""
    now = clock.now()
    changed = await Alert.filter(id=alert.id, state__in=ACTIVE).update(
        state=RESOLVED, resolved_at=now, resolved_reason=reason[:200], updated_at=now
    )
    if not changed:
        return False
    alert.state, alert.resolved_at, alert.resolved_reason = RESOLVED, now, reason[:200]
    await _history(alert, "RESOLVED", note=reason)
    where = Where(
        alert.budget_id,  # type: ignore[attr-defined]
        alert.period_id,  # type: ignore[attr-defined]
        alert.allocation_id,  # type: ignore[attr-defined]
        project_id,
    )
    await emit(
        "alert.resolved",
        {**_payload(alert, where), "reason": reason},
        budget_id=where.budget_id,
        dedupe_key=f"alert:{alert.id}:resolved",
        audience=where.audience(),
    )
    return True


async def acknowledge(alert: Alert, user_id: int, note: str | None) -> bool:
    """OPEN → ACKNOWLEDGED (again: no change). An informational alert (PERIOD_CLOSED) has
    nothing left to clear once someone has seen it, so acknowledging resolves it."""
    now = clock.now()
    changed = await Alert.filter(id=alert.id, state=OPEN).update(
        state=ACKNOWLEDGED,
        acknowledged_at=now,
        acknowledged_by_id=user_id,
        note=note,
        updated_at=now,
    )
    if not changed:
        return False
    await alert.refresh_from_db()
    await _history(alert, "ACKNOWLEDGED", user_id=user_id, note=note)
    if alert.kind == "PERIOD_CLOSED":
        await resolve(alert, "acknowledged", None)
    return True
