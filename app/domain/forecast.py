"""Spend forecasts: where a budget will land at period end, and when it runs out.

`forecast` estimates the current burn rate from recent full days, so it follows a change in
spending within about a week instead of averaging it away over the whole period:

1. History is the last `window` *full* local days before today, zero-spend days included. Days
   before the earliest recorded day (or the period start) are unknown, not zero, and are left out.
2. A short history (fewer than `MIN_HISTORY_DAYS` full days, a new envelope's first week) is
   filled up to a week with days at the plan's even pace (allocated ÷ period days), older than
   every real day: one real day is then one day of evidence among eight, not a rate for the
   whole period. The plan fades out day by day as real days come in, and is not used at all
   while nothing has been spent (no evidence that spending has started: the burn rate is 0).
3. Each day is winsorized at `WINSOR_MULTIPLE` × the median of the non-zero days (the plan's
   days included), so a one-off purchase does not get extrapolated to every remaining day (it is
   still counted in `spent`).
4. With at least two weeks of history, a day-of-week profile (mean per weekday over the last four
   weeks, scaled to average 1) deseasonalizes the history and shapes the projection, so a
   weekday-only team is not projected to spend on Saturdays.
5. The burn rate is the exponentially weighted mean of the (deseasonalized) days, weight halving
   every `half_life` days of age.
6. Today is partial: what it has spent so far is a lower bound on the day, never a day's rate.
   It is averaged in (as the newest day, capped like the others) only when it already exceeds
   what a normal day would bring, so it can raise the rate but never drag it down; otherwise
   it is left out.

The projection adds the expected spend of every day left, today included: for today only the part
of the expected day not already spent. A projection is an estimate: the daily amounts are averaged
as floats (with float weights), and every money result is rounded once back to integer micros.
Nothing recorded passes through here, so no ledger figure ever depends on a float.

Before this method (issue #9), one spend on a new envelope's first day was extrapolated to
every remaining day (820 spent today: 25,420 projected on a 1,000 budget), and a spend today
after days of none was ignored (burn rate 0). docs/forecast.md has the backtest.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from app.domain.errors import ValidationError
from app.domain.periods import PeriodBounds

#: A day above this multiple of the window's median non-zero day is treated as a one-off.
WINSOR_MULTIPLE = 3.0
#: Days of history used for the day-of-week profile, and the least that makes one meaningful.
PROFILE_DAYS = 28
MIN_PROFILE_DAYS = 14
#: Below this many full days, the history is filled up to it with days at the plan's pace.
MIN_HISTORY_DAYS = 7

_ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class Forecast:
    """A projection for one period. Money in integer micros.

    `exhaustion_date` is the first day the projected cumulative spend reaches the allocation, or
    None when the money outlasts the period (the period closes first, and may roll over); when the
    allocation is already used up it is today, clamped to the period. `runway_days` is
    remaining ÷ burn rate, regardless of the period end; None when the burn rate is zero.
    """

    burn_rate_per_day: int
    projected_spend: int
    projected_overrun: int
    exhaustion_date: date | None
    runway_days: float | None
    method: str


def _cap(amounts: Sequence[float]) -> float | None:
    """The winsorizing cap of a window: `WINSOR_MULTIPLE` × its median non-zero day."""
    nonzero = [a for a in amounts if a > 0]
    return WINSOR_MULTIPLE * statistics.median(nonzero) if nonzero else None


def _winsorize(amounts: Sequence[float]) -> list[float]:
    cap = _cap(amounts)
    if cap is None:
        return [float(a) for a in amounts]
    return [min(float(a), cap) for a in amounts]


def _weekday_profile(daily: Mapping[date, int], last: date, days: int) -> list[float] | None:
    """Seven factors (Monday first) averaging 1, from the `days` full days ending at `last`."""
    span = [last - timedelta(days=i) for i in range(days)]
    amounts = _winsorize([daily.get(d, 0) for d in span])
    sums = [0.0] * 7
    counts = [0] * 7
    for d, amount in zip(span, amounts, strict=True):
        sums[d.weekday()] += amount
        counts[d.weekday()] += 1
    means = [s / c for s, c in zip(sums, counts, strict=True)]
    overall = sum(means) / 7
    if overall <= 0:
        return None
    return [max(0.0, m / overall) for m in means]


def _ewma(values: list[tuple[int, float, float]], half_life: float) -> float | None:
    """Weighted mean of (age in days, value, factor) with value ÷ factor; zero factors skipped."""
    total = weight_sum = 0.0
    for age, value, factor in values:
        if factor <= 0:
            continue
        weight = 0.5 ** (age / half_life)
        total += weight * value / factor
        weight_sum += weight
    return total / weight_sum if weight_sum > 0 else None


def forecast(
    daily: Mapping[date, int],
    bounds: PeriodBounds,
    today: date,
    allocated: int,
    spent: int,
    *,
    window: int = 14,
    half_life: float = 7.0,
) -> Forecast:
    """Project period-end spend from recent daily spend (see the module docstring for the method).

    `daily` maps local days to net spend in micros and may reach back before the period (the
    previous period's days help a young period); `spent` is the period's authoritative total.
    """
    if window < 1:
        raise ValidationError("window", "must be at least 1 day")
    if half_life <= 0:
        raise ValidationError("halfLife", "must be greater than zero")
    spent_today = daily.get(today, 0) if bounds.contains(today) else 0
    first_known = min([bounds.start, *(d for d in daily if d <= today)])
    full_days = (today - first_known).days
    short = full_days < MIN_HISTORY_DAYS
    if full_days < 0 or (short and not _any_spend(daily, first_known, today)):
        # Nothing known (before the period), or nothing spent yet in a young history.
        level = 0.0
        method = "no-history" if full_days <= 0 else "ewma"
        return _project(
            bounds, today, allocated, spent, spent_today, lambda d: level, level, method
        )
    plan = max(0, allocated) / bounds.days if short else 0.0
    level, profile = _burn_rate(
        daily,
        today,
        full_days,
        window,
        half_life,
        plan,
        MIN_HISTORY_DAYS - full_days if short else 0,
        spent_today,
    )
    shape = profile or [1.0] * 7
    method = "ewma-short" if short else "ewma" if profile is None else "ewma-weekday"
    return _project(
        bounds, today, allocated, spent, spent_today,
        lambda d: level * shape[d.weekday()], level, method,
    )  # fmt: skip


def _any_spend(daily: Mapping[date, int], first: date, today: date) -> bool:
    """Whether anything was spent from `first` to today (a young history, so a short scan)."""
    return any(amount for d, amount in daily.items() if first <= d <= today)


def _burn_rate(
    daily: Mapping[date, int],
    today: date,
    full_days: int,
    window: int,
    half_life: float,
    plan: float,
    plan_days: int,
    spent_today: int,
) -> tuple[float, list[float] | None]:
    """The deseasonalized EWMA level, and the weekday profile if one was used.

    `plan_days` days at `plan` a day (a short history's filling) are older than every real day;
    `spent_today` raises the level when it exceeds a normal day (module docstring, step 6).
    """
    yesterday = today - _ONE_DAY
    span = [yesterday - timedelta(days=age) for age in range(min(window, full_days))]
    raw = [float(daily.get(d, 0)) for d in span] + [plan] * plan_days
    amounts = _winsorize(raw)
    profile = None
    if full_days >= MIN_PROFILE_DAYS:
        profile = _weekday_profile(daily, yesterday, min(PROFILE_DAYS, full_days))
    days: list[tuple[int, float, float]] = []
    level: float | None = None
    if profile is not None:
        factors = [profile[d.weekday()] for d in span]
        days = list(zip(range(len(span)), amounts, factors, strict=True))
        level = _ewma(days, half_life)
        # None when every day in the window is a weekday that never spends (window < 7).
    if level is None:
        profile = None
        days = [(age, amount, 1.0) for age, amount in enumerate(amounts)]
        level = _ewma(days, half_life) or 0.0
    level = max(0.0, level)
    factor = profile[today.weekday()] if profile is not None else 1.0
    if factor > 0 and spent_today > level * factor:
        cap = _cap(raw)
        newest = float(spent_today) if cap is None else min(float(spent_today), cap)
        aged = [(age + 1, value, f) for age, value, f in days]
        level = max(level, _ewma([(0, newest, factor), *aged], half_life) or 0.0)
    return level, profile


def linear_forecast(
    bounds: PeriodBounds, today: date, allocated: int, spent: int, *, spent_today: int = 0
) -> Forecast:
    """Baseline: the average over the period's full days so far, held flat to the end.

    With no spend today this is spent ÷ elapsed days × period days. Today's partial spend is
    kept out of the average (it would drag it down) and stands in for a day only on day one.
    """
    if not bounds.contains(today):
        spent_today = 0
    full_days = min(bounds.days, max(0, (today - bounds.start).days))
    if full_days > 0:
        rate, method = (spent - spent_today) / full_days, "linear"
    elif bounds.contains(today) and spent_today:
        rate, method = float(spent_today), "linear-today-only"
    else:
        rate, method = 0.0, "no-history"
    rate = max(0.0, rate)
    return _project(bounds, today, allocated, spent, spent_today, lambda d: rate, rate, method)


def _project(
    bounds: PeriodBounds,
    today: date,
    allocated: int,
    spent: int,
    spent_today: int,
    expected: Callable[[date], float],
    burn: float,
    method: str,
) -> Forecast:
    """Walk the days left, adding each day's expected spend; find where the money runs out."""
    future = 0.0
    # Already used up: today, kept inside the period so the date always belongs to it.
    exhaustion = min(max(today, bounds.start), bounds.end) if spent >= allocated else None
    day = max(today, bounds.start)
    while day <= bounds.end:
        amount = expected(day)
        future += max(0.0, amount - spent_today) if day == today else amount
        if exhaustion is None and spent + round(future) >= allocated:
            exhaustion = day
        day += _ONE_DAY
    projected = spent + round(future)
    burn_rate = round(burn)
    remaining = allocated - spent
    runway = None if burn_rate <= 0 else max(0, remaining) / burn_rate
    return Forecast(
        burn_rate_per_day=burn_rate,
        projected_spend=projected,
        projected_overrun=max(0, projected - allocated),
        exhaustion_date=exhaustion,
        runway_days=runway,
        method=method,
    )


__all__ = [
    "MIN_HISTORY_DAYS",
    "MIN_PROFILE_DAYS",
    "PROFILE_DAYS",
    "WINSOR_MULTIPLE",
    "Forecast",
    "forecast",
    "linear_forecast",
]
