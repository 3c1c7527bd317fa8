"""Forecasts of a budget with little history (issue #9).

Before: one spend today was extrapolated to every remaining day (`ewma-today-only`: 820 spent
on day one of a 31-day month projected 25,420 on a 1,000 budget), and a spend today after days
of none was ignored (burn rate 0, projection = what was spent).
"""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.forecast import WINSOR_MULTIPLE, forecast
from app.domain.periods import PeriodBounds

#: app.domain.forecast.MIN_HISTORY_DAYS (a literal, so this file runs against the code before).
MIN_HISTORY_DAYS = 7

UNIT = 1_000_000
MARCH = PeriodBounds(date(2026, 3, 1), date(2026, 3, 31))  # 31 days
FIRST = MARCH.start


def w(age: int) -> float:
    return 0.5 ** (age / 7)


def test_one_spend_today_is_one_day_of_a_week_filled_at_the_plans_pace() -> None:
    result = forecast({FIRST: 820 * UNIT}, MARCH, FIRST, 1_000 * UNIT, 820 * UNIT)
    plan = 1_000 / 31
    # Today, capped at 3 × the plan's day, is the newest of eight days; seven plan days behind.
    burn = (WINSOR_MULTIPLE * plan + plan * sum(w(a) for a in range(1, 8))) / sum(
        w(a) for a in range(8)
    )
    assert result.method == "ewma-short"
    assert result.burn_rate_per_day == round(burn * UNIT)  # was 820
    assert abs(result.projected_spend - (820 + 30 * burn) * UNIT) <= 1  # was 25,420
    assert 2_100 * UNIT < result.projected_spend < 2_150 * UNIT
    # Still an overrun, and the money still runs out within the week.
    assert result.projected_overrun > 1_000 * UNIT
    assert result.exhaustion_date == date(2026, 3, 6)


def test_a_spend_today_after_days_of_none_is_not_ignored() -> None:
    quarter = PeriodBounds(date(2026, 1, 1), date(2026, 3, 31))
    today = date(2026, 1, 4)  # three empty days, then 10,252 today
    result = forecast({today: 10_252 * UNIT}, quarter, today, 100_000 * UNIT, 10_252 * UNIT)
    assert result.burn_rate_per_day > 0  # was 0
    assert result.projected_spend > 10_252 * UNIT  # was 10,252: nothing more expected
    # Damped: one day among the week, never today's spend as a daily rate.
    assert result.burn_rate_per_day < 10_252 * UNIT / 4


def test_a_spend_today_after_weeks_of_none_is_not_ignored_either() -> None:
    quarter = PeriodBounds(date(2026, 1, 1), date(2026, 3, 31))
    today = date(2026, 1, 21)  # twenty empty days: a long history, no plan
    result = forecast({today: 10_252 * UNIT}, quarter, today, 100_000 * UNIT, 10_252 * UNIT)
    assert result.method == "ewma"
    burn = 10_252 / sum(w(a) for a in range(15))  # newest of 15 days, 14 of them empty
    assert result.burn_rate_per_day == round(burn * UNIT)  # was 0


def test_two_days_lean_on_the_real_days_more_than_the_plan() -> None:
    daily = {FIRST: 30 * UNIT}
    low_plan = forecast(daily, MARCH, FIRST + timedelta(days=1), 310 * UNIT, 30 * UNIT)
    high_plan = forecast(daily, MARCH, FIRST + timedelta(days=1), 3_100 * UNIT, 30 * UNIT)
    # The plan (10 or 100 a day) fills six of the seven days, older than the real one.
    assert 10 * UNIT < low_plan.burn_rate_per_day < 30 * UNIT
    assert 30 * UNIT < high_plan.burn_rate_per_day < 100 * UNIT


def test_the_plan_fades_out_over_the_first_week() -> None:
    def burn(full_days: int, allocated: int) -> int:
        daily = {FIRST + timedelta(days=i): 30 * UNIT for i in range(full_days)}
        today = FIRST + timedelta(days=full_days)
        return forecast(daily, MARCH, today, allocated, 30 * UNIT * full_days).burn_rate_per_day

    gaps = [abs(burn(n, 3_100 * UNIT) - burn(n, 310 * UNIT)) for n in range(1, MIN_HISTORY_DAYS)]
    assert gaps == sorted(gaps, reverse=True) and gaps[-1] > 0
    # From a full week on, the allocation no longer moves the rate.
    assert burn(MIN_HISTORY_DAYS, 3_100 * UNIT) == burn(MIN_HISTORY_DAYS, 310 * UNIT) == 30 * UNIT


def test_a_first_week_on_budget_is_projected_on_budget() -> None:
    daily = {FIRST + timedelta(days=i): 10 * UNIT for i in range(6)}
    result = forecast(daily, MARCH, FIRST + timedelta(days=6), 310 * UNIT, 60 * UNIT)
    assert result.burn_rate_per_day == 10 * UNIT
    assert result.projected_spend == 310 * UNIT


def test_nothing_spent_yet_projects_nothing() -> None:
    for full_days in (0, 3):
        today = FIRST + timedelta(days=full_days)
        result = forecast({}, MARCH, today, 1_000 * UNIT, 0)
        assert (result.burn_rate_per_day, result.projected_spend, result.runway_days) == (
            0,
            0,
            None,
        )


def test_todays_spend_below_a_normal_day_never_lowers_the_rate() -> None:
    daily = {FIRST + timedelta(days=i): 10 * UNIT for i in range(14)}
    today = FIRST + timedelta(days=14)
    quiet = forecast(daily | {today: UNIT}, MARCH, today, 1_000 * UNIT, 141 * UNIT)
    assert quiet.burn_rate_per_day == 10 * UNIT


def test_a_purchase_today_counts_only_up_to_the_cap() -> None:
    daily = {FIRST + timedelta(days=i): 10 * UNIT for i in range(14)}
    today = FIRST + timedelta(days=14)
    big = forecast(daily | {today: 5_000 * UNIT}, MARCH, today, 10_000 * UNIT, 5_140 * UNIT)
    capped = forecast(daily | {today: 30 * UNIT}, MARCH, today, 10_000 * UNIT, 170 * UNIT)
    # 5,000 counts as 30 (3 × the median day of 10): one day of 15 at 30, not at 5,000.
    assert big.burn_rate_per_day == capped.burn_rate_per_day < 13 * UNIT


@settings(max_examples=200, deadline=None)
@given(
    spent_today=st.integers(1, 10**12),
    allocated=st.integers(1, 10**12),
    full_days=st.integers(0, MIN_HISTORY_DAYS - 1),
    per_day=st.integers(0, 10**9),
)
def test_a_partial_day_is_never_taken_for_a_full_days_rate(
    spent_today: int, allocated: int, full_days: int, per_day: int
) -> None:
    daily = {FIRST + timedelta(days=i): per_day for i in range(full_days)}
    today = FIRST + timedelta(days=full_days)
    daily[today] = spent_today
    spent = per_day * full_days + spent_today
    result = forecast(daily, MARCH, today, allocated, spent)
    plan = allocated / MARCH.days
    # No day counts above 3 × the median day (the plan's days included), so the rate never
    # exceeds that, however much was spent today.
    ceiling = WINSOR_MULTIPLE * max(plan, per_day)
    assert result.burn_rate_per_day <= round(ceiling) + 1
    if spent_today > ceiling:
        assert result.burn_rate_per_day < spent_today
