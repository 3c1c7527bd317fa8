"""The scheduled alert pass: forecasts, pace and exhaustion, pending transfers, closed periods,
and every automatic resolution.

Why a pass and not the spend path: a forecast needs weeks of daily spend (a read the spend
path must not pay for on every spend), and it changes with time alone (a quiet day lowers the
projection, a closed period ends everything); resolutions come from changes the spend path
never sees (a transfer in, a new period, a refund). Once a minute is soon enough for a
forecast and costs one query per open period plus one for active alerts.

Each condition has hysteresis: a forecast alert is raised when the projection exceeds the
envelope by the margin and resolved only once it is back under the margin minus the
hysteresis; a condition that clears and comes back raises a new alert (a new generation),
never one per pass. Each raise or resolution is its own transaction with its outbox event.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from fractions import Fraction

from tortoise.transactions import in_transaction

from app import clock
from app.domain.forecast import forecast
from app.domain.money import format_money
from app.domain.periods import PeriodBounds, local_date
from app.models import Alert, Allocation, BudgetPeriod, SpendDaily, TransferRequest
from app.services import alert_rules, alert_store
from app.services.alert_store import ACTIVE, Figures, Where
from app.settings import Settings, get_settings

logger = logging.getLogger("allot.alerts")
HISTORY_DAYS = 35
MIN_SPEND_DAYS = 3


def _prefix(key: str) -> str:
    return key.rsplit(":", 1)[0]


async def _raise(
    where: Where, kind: str, condition: str, text: str, figures: Figures, **kw
) -> bool:  # type: ignore[no-untyped-def]
    async with in_transaction():
        return (
            await alert_store.raise_alert(where, kind, condition, text, figures, **kw) is not None
        )


async def _resolve(alert: Alert, reason: str, project_id: int | None) -> bool:
    async with in_transaction():
        return await alert_store.resolve(alert, reason, project_id)


class _Scope:
    """One envelope (or a whole budget period) being evaluated."""

    def __init__(self, where: Where, name: str, allocated: int, spent: int, daily: dict) -> None:  # type: ignore[type-arg]
        self.where, self.name, self.allocated, self.spent, self.daily = (
            where,
            name,
            allocated,
            spent,
            daily,
        )


async def _condition(
    scope: _Scope,
    active: dict[str, Alert],
    condition: str,
    kind: str,
    now_true: bool,
    cleared: bool,
    text: str,
    figures: Figures,
    reason: str,
    counts: Counter[str],
) -> None:
    current = active.get(f"{scope.where.key}:{condition}")
    if current is None and now_true:
        counts["raised"] += await _raise(scope.where, kind, condition, text, figures)
    elif current is not None and cleared:
        counts["resolved"] += await _resolve(current, reason, scope.where.project_id)


async def _evaluate(
    scope: _Scope,
    levels: list[alert_rules.Level],
    bounds: PeriodBounds,
    today: date,
    currency: str,
    active: dict[str, Alert],
    settings: Settings,
    counts: Counter[str],
) -> None:
    allocated, spent = scope.allocated, scope.spent
    if allocated <= 0:
        return
    f = forecast(scope.daily, bounds, today, allocated, spent)
    figures = Figures(allocated, spent, f.projected_spend, f.exhaustion_date)
    # Too little history (a first day, a one-off purchase) would be projected over every day
    # left: forecasts raise only from MIN_SPEND_DAYS days with spend in the last two weeks
    # (resolving still applies).
    since = today - timedelta(days=14)
    guessing = sum(1 for d, v in scope.daily.items() if v and since <= d < today) < MIN_SPEND_DAYS
    margin, hyst = (
        settings.alert_forecast_margin_percent,
        settings.alert_forecast_hysteresis_percent,
    )
    projected = format_money(f.projected_spend, currency)
    await _condition(
        scope,
        active,
        "forecast",
        "FORECAST_OVERRUN",
        not guessing and f.projected_spend * 100 > allocated * (100 + margin),
        f.projected_spend * 100 <= allocated * (100 + margin - hyst),
        f"{scope.name} is projected to spend {projected} of its"
        f" {format_money(allocated, currency)} by {bounds.end.isoformat()}",
        figures,
        "the forecast is back under the line",
        counts,
    )
    exhaustion = f.exhaustion_date
    await _condition(
        scope,
        active,
        "exhaustion",
        "EXHAUSTION_SOON",
        not guessing and exhaustion is not None and exhaustion < bounds.end and spent < allocated,
        exhaustion is None,
        f"{scope.name} is projected to run out on {exhaustion}, before the period ends"
        f" on {bounds.end.isoformat()}",
        figures,
        "the money is projected to last the period",
        counts,
    )
    gap = (
        Fraction(spent, allocated)
        - Fraction(bounds.elapsed_fraction(today)).limit_denominator(10**6)
    ) * 100
    pace_margin, pace_hyst = (
        settings.alert_pace_margin_points,
        settings.alert_pace_hysteresis_points,
    )
    await _condition(
        scope,
        active,
        "pace",
        "PACE",
        gap > pace_margin,
        gap <= pace_margin - pace_hyst,
        f"{scope.name} has spent {float(Fraction(spent * 100, allocated)):.0f}% with"
        f" {bounds.elapsed_fraction(today) * 100:.0f}% of the period gone",
        figures,
        "spending is back on pace",
        counts,
    )
    await _thresholds(scope, levels, active, hyst, counts)


async def _thresholds(
    scope: _Scope,
    levels: list[alert_rules.Level],
    active: dict[str, Alert],
    hysteresis: int,
    counts: Counter[str],
) -> None:
    """Resolve a threshold alert once usage is back under its line (less the hysteresis); raise
    or escalate one a spend path missed (another process's cached rules, a stale period)."""
    from app.services.alerts import _rank, threshold_crossed

    allocated, spent = scope.allocated, scope.spent
    current = active.get(f"{scope.where.key}:threshold")
    if current is not None:
        current.allocated_micros = allocated  # the line as of today's envelope
        line, _ = _rank(current)
        if spent * 100 < line - hysteresis * allocated:
            counts["resolved"] += await _resolve(
                current, "usage is back under the threshold", scope.where.project_id
            )
            return
    reached = [lv for lv in levels if lv.rank <= spent]
    if not reached:
        return
    if current is None or reached[-1].rank * 100 > _rank(current)[0]:
        text = f"{scope.name} has passed its {reached[-1].label} alert threshold"
        async with in_transaction():
            await threshold_crossed(scope.where, reached, Figures(allocated, spent), text)
        counts["caught_up"] += 1


async def _scan_period(
    period: BudgetPeriod, now: datetime, settings: Settings, counts: Counter[str]
) -> None:
    budget = period.budget
    today = local_date(now, budget.timezone)
    bounds = PeriodBounds(period.start_date, period.end_date)
    if not bounds.contains(today):
        return  # over: the period scheduler closes it, and the pass then resolves its alerts
    allocations = await Allocation.filter(period_id=period.id).select_related("project")
    active = {
        _prefix(a.dedupe_key): a
        for a in await Alert.filter(period_id=period.id, state__in=ACTIVE).order_by("id")
    }
    rows = await SpendDaily.filter(
        allocation__budget_id=budget.id, day__gte=today - timedelta(days=HISTORY_DAYS)
    ).values("allocation__project_id", "day", "amount_micros")
    per_project: dict[int, dict[date, int]] = defaultdict(lambda: defaultdict(int))
    pool: dict[date, int] = defaultdict(int)
    for r in rows:
        per_project[r["allocation__project_id"]][r["day"]] += r["amount_micros"]
        pool[r["day"]] += r["amount_micros"]
    rules = await alert_rules.rules_for(budget.id)
    for a in allocations:
        project_id = a.project_id  # type: ignore[attr-defined]
        where = Where(budget.id, period.id, a.id, project_id)
        scope = _Scope(
            where, a.project.name, a.allocated_micros, a.spent_micros, per_project[project_id]
        )
        levels = alert_rules.envelope_levels(
            budget, rules, project_id, a.alert_threshold, a.allocated_micros
        )
        await _evaluate(scope, levels, bounds, today, budget.currency, active, settings, counts)
    available = period.unallocated_micros + period.allocated_micros
    scope = _Scope(Where(budget.id, period.id), budget.name, available, period.spent_micros, pool)
    levels = alert_rules.budget_levels(budget, rules, available)
    await _evaluate(scope, levels, bounds, today, budget.currency, active, settings, counts)


async def _resolve_closed_periods(counts: Counter[str]) -> None:
    stale = (
        await Alert.filter(state__in=ACTIVE, period__status="CLOSED")
        .exclude(kind="PERIOD_CLOSED")
        .select_related("allocation")
    )
    for alert in stale:
        project = alert.allocation.project_id if alert.allocation else None  # type: ignore[attr-defined]
        counts["resolved"] += await _resolve(alert, "the period closed", project)


async def _pending_transfers(now: datetime, settings: Settings, counts: Counter[str]) -> None:
    waiting = await TransferRequest.filter(
        status="PENDING",
        created_at__lt=now - timedelta(hours=settings.alert_transfer_pending_hours),
    ).select_related("budget")
    raised = set(
        await Alert.filter(kind="TRANSFER_PENDING_TOO_LONG").values_list("transfer_id", flat=True)
    )
    for t in waiting:
        if t.id in raised:
            continue
        hours = (now - t.created_at).total_seconds() / 3600
        text = (
            f"A transfer request of {format_money(t.amount_micros, t.budget.currency)} in"
            f" {t.budget.name} has waited {hours:.0f} hours for an owner"
        )
        where = Where(t.budget_id, t.period_id)  # type: ignore[attr-defined]
        counts["raised"] += await _raise(
            where,
            "TRANSFER_PENDING_TOO_LONG",
            f"transfer{t.id}",
            text,
            Figures(allocated=t.amount_micros),
            transfer_id=t.id,
        )
    open_ones = await Alert.filter(kind="TRANSFER_PENDING_TOO_LONG", state__in=ACTIVE)
    decided = set(
        await TransferRequest.filter(
            id__in=[a.transfer_id for a in open_ones], status__not="PENDING"
        ).values_list("id", flat=True)
    )
    for alert in open_ones:
        if alert.transfer_id in decided:
            counts["resolved"] += await _resolve(alert, "the transfer was decided", None)


async def _closed_periods(now: datetime, counts: Counter[str]) -> None:
    recent = await BudgetPeriod.filter(
        status="CLOSED", closed_at__gte=now - timedelta(days=7)
    ).select_related("budget")
    done = set(
        await Alert.filter(kind="PERIOD_CLOSED", period_id__in=[p.id for p in recent]).values_list(
            "period_id", flat=True
        )
    )
    for p in recent:
        if p.id in done:
            continue
        available = p.unallocated_micros + p.allocated_micros
        cur = p.budget.currency
        text = (
            f"{p.budget.name} closed its period {p.start_date}–{p.end_date}: spent"
            f" {format_money(p.spent_micros, cur)} of {format_money(available, cur)}"
        )
        where = Where(p.budget.id, p.id)
        counts["raised"] += await _raise(
            where, "PERIOD_CLOSED", "closed", text, Figures(available, p.spent_micros)
        )


async def scan(now: datetime | None = None, settings: Settings | None = None) -> Counter[str]:
    """One pass over every open period; returns how many alerts it raised and resolved."""
    settings = settings or get_settings()
    now = now or clock.now()
    counts: Counter[str] = Counter()
    await _resolve_closed_periods(counts)
    for period in await BudgetPeriod.filter(status="OPEN").select_related("budget"):
        try:
            await _scan_period(period, now, settings, counts)
        except Exception:  # one bad budget must not stop the others' alerts
            logger.exception("alert pass failed for period %s", period.id)
    await _pending_transfers(now, settings, counts)
    await _closed_periods(now, counts)
    return counts


def alert_worker(interval: float | None = None) -> Callable[[], Awaitable[None]]:
    """For create_app(workers=[...]): the alert pass and the digests, every `interval` s."""

    async def run() -> None:
        from app.services.delivery import digest

        every = interval or get_settings().alert_scan_seconds
        while True:
            try:
                await scan()
                await digest.send_due()
            except Exception:
                logger.exception("alert pass failed")
            await asyncio.sleep(every)

    return run
