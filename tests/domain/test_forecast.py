from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.errors import ValidationError
from app.domain.forecast import Forecast, forecast, linear_forecast
from app.domain.periods import PeriodBounds

UNIT = 1_000_000
START = date(2025, 3, 3)  # a Monday
MARCH = PeriodBounds(START, START + timedelta(days=29))  # 30 days


def history(amounts: list[int], start: date = START) -> dict[date, int]:
    return {start + timedelta(days=i): amount for i, amount in enumerate(amounts)}


def day(n: int) -> date:
    return START + timedelta(days=n)


# --- steady spend ---------------------------------------------------------------------------


def test_a_steady_burn_is_projected_flat_to_the_period_end() -> None:
    result = forecast(history([10 * UNIT] * 14), MARCH, day(14), 400 * UNIT, 140 * UNIT)
    assert result.burn_rate_per_day == 10 * UNIT
    assert result.projected_spend == 300 * UNIT  # 140 + 16 days left, today included
    assert result.projected_overrun == 0
    assert result.exhaustion_date is None
    assert result.runway_days == 26.0


def test_the_overrun_is_what_the_projection_exceeds_the_allocation_by() -> None:
    result = forecast(history([10 * UNIT] * 14), MARCH, day(14), 250 * UNIT, 140 * UNIT)
    assert result.projected_overrun == 50 * UNIT


def test_exhaustion_is_the_day_cumulative_spend_reaches_the_allocation() -> None:
    result = forecast(history([10 * UNIT] * 14), MARCH, day(14), 200 * UNIT, 140 * UNIT)
    # 60 left at 10 a day: today, then five more days.
    assert result.exhaustion_date == day(19)
    assert result.runway_days == 6.0


def test_money_results_are_integer_micros() -> None:
    result = forecast(history([3, 7, 11, 2, 9]), MARCH, day(5), 1_000, 32)
    assert all(
        type(value) is int
        for value in (result.burn_rate_per_day, result.projected_spend, result.projected_overrun)
    )


# --- what counts as history -----------------------------------------------------------------


def test_todays_spend_above_a_normal_day_counts_as_one_more_day_and_is_not_projected_twice() -> (
    None
):
    daily = history([10 * UNIT] * 14) | {day(14): 25 * UNIT}
    result = forecast(daily, MARCH, day(14), 1_000 * UNIT, 165 * UNIT)
    # Today (25, under the cap of 3 × 10) is the newest of 15 days: weights halve every 7.
    weights = [0.5 ** (age / 7) for age in range(15)]
    burn = (25 * weights[0] + 10 * sum(weights[1:])) / sum(weights)
    assert result.burn_rate_per_day == round(burn * UNIT)
    # Today already spent more than a day's burn: only the 15 days after today are added.
    assert result.projected_spend == 165 * UNIT + round(15 * burn * UNIT)


def test_only_the_unspent_part_of_todays_expected_spend_is_added() -> None:
    daily = history([10 * UNIT] * 14) | {day(14): 4 * UNIT}
    result = forecast(daily, MARCH, day(14), 1_000 * UNIT, 144 * UNIT)
    assert result.projected_spend == 144 * UNIT + 6 * UNIT + 15 * 10 * UNIT


def test_on_day_one_a_small_spend_so_far_leaves_the_plans_pace() -> None:
    # Issue #9: this was 5 a day (today's partial spend as the rate); the week is now filled
    # at the plan's pace (1,000 over 30 days) and 5 so far today does not lower it.
    result = forecast({START: 5 * UNIT}, MARCH, START, 1_000 * UNIT, 5 * UNIT)
    assert result.method == "ewma-short"
    assert result.burn_rate_per_day == round(1_000 * UNIT / 30)
    assert result.projected_spend == 1_000 * UNIT


def test_without_any_spend_the_burn_is_zero_and_the_runway_unknown() -> None:
    result = forecast({}, MARCH, START, 100 * UNIT, 0)
    assert result == Forecast(0, 0, 0, None, None, "no-history")


def test_zero_spend_days_count_as_zero_not_as_missing() -> None:
    # Spend only on the first day: the 13 empty days after it pull the rate down.
    result = forecast({START: 14 * UNIT}, MARCH, day(14), 1_000 * UNIT, 14 * UNIT)
    assert 0 < result.burn_rate_per_day < 2 * UNIT


def test_days_before_the_first_record_are_unknown_not_zero() -> None:
    # Three full days at 10 (and a plan of 10 a day filling the week): the rate is 10, not
    # 10 × 3 / 14.
    result = forecast(history([10 * UNIT] * 3), MARCH, day(3), 300 * UNIT, 30 * UNIT)
    assert result.burn_rate_per_day == 10 * UNIT


def test_the_previous_periods_days_inform_a_new_period() -> None:
    before = history([10 * UNIT] * 14, start=START - timedelta(days=14))
    result = forecast(before, MARCH, START, 1_000 * UNIT, 0)
    assert result.burn_rate_per_day == 10 * UNIT
    assert result.projected_spend == 300 * UNIT


def test_days_older_than_the_window_are_ignored() -> None:
    daily = history([100 * UNIT] * 7 + [10 * UNIT] * 14)
    result = forecast(daily, MARCH, day(21), 10_000 * UNIT, 840 * UNIT, window=14)
    assert result.burn_rate_per_day == 10 * UNIT


def test_a_shorter_half_life_follows_the_latest_days_more_closely() -> None:
    daily = history([10 * UNIT] * 10 + [20 * UNIT] * 4)
    slow = forecast(daily, MARCH, day(14), 10_000 * UNIT, 180 * UNIT, half_life=30.0)
    fast = forecast(daily, MARCH, day(14), 10_000 * UNIT, 180 * UNIT, half_life=1.0)
    assert slow.burn_rate_per_day < fast.burn_rate_per_day < 20 * UNIT


def test_a_ramp_is_projected_higher_than_the_linear_average() -> None:
    daily = history([(i + 1) * UNIT for i in range(15)])
    spent = sum(daily.values())
    ours = forecast(daily, MARCH, day(15), 10_000 * UNIT, spent)
    baseline = linear_forecast(MARCH, day(15), 10_000 * UNIT, spent)
    assert ours.projected_spend > baseline.projected_spend


@pytest.mark.parametrize(("window", "half_life"), [(0, 7.0), (14, 0.0), (14, -1.0)])
def test_a_window_or_half_life_that_is_not_positive_is_refused(
    window: int, half_life: float
) -> None:
    with pytest.raises(ValidationError):
        forecast({}, MARCH, START, 1, 0, window=window, half_life=half_life)


# --- spikes and weekdays --------------------------------------------------------------------


def test_a_one_off_spike_is_not_extrapolated_to_every_remaining_day() -> None:
    amounts = [10 * UNIT] * 14
    amounts[12] = 1_000 * UNIT
    spent = sum(amounts)
    ours = forecast(history(amounts), MARCH, day(14), 10_000 * UNIT, spent)
    baseline = linear_forecast(MARCH, day(14), 10_000 * UNIT, spent)
    assert 10 * UNIT < ours.burn_rate_per_day < 13 * UNIT  # capped at 3 × the median
    assert baseline.burn_rate_per_day > 75 * UNIT
    assert ours.projected_spend < spent + 16 * 13 * UNIT


def test_a_weekday_only_team_is_not_projected_to_spend_at_weekends() -> None:
    five_weeks = PeriodBounds(START, START + timedelta(days=34))  # Monday to Sunday
    amounts = [10 * UNIT if day(i).weekday() < 5 else 0 for i in range(28)]
    result = forecast(history(amounts), five_weeks, day(28), 1_000 * UNIT, 200 * UNIT)
    assert result.method == "ewma-weekday"
    assert result.projected_spend == 250 * UNIT  # five weekdays left, two weekend days
    assert result.burn_rate_per_day == round(50 * UNIT / 7)  # the weekly mean per day


def test_the_weekday_profile_needs_two_weeks_of_history() -> None:
    amounts = [10 * UNIT if day(i).weekday() < 5 else 0 for i in range(13)]
    result = forecast(history(amounts), MARCH, day(13), 1_000 * UNIT, sum(amounts))
    assert result.method == "ewma"


def test_weekday_shape_moves_the_exhaustion_date_past_the_weekend() -> None:
    five_weeks = PeriodBounds(START, START + timedelta(days=34))
    amounts = [10 * UNIT if day(i).weekday() < 5 else 0 for i in range(26)]  # to Friday
    result = forecast(history(amounts), five_weeks, day(26), 215 * UNIT, 190 * UNIT)
    # Saturday and Sunday spend nothing; Monday, Tuesday, then Wednesday reaches 215.
    assert result.exhaustion_date == day(30)


# --- edges of the period --------------------------------------------------------------------


def test_an_allocation_already_used_up_is_exhausted_today() -> None:
    result = forecast(history([10 * UNIT] * 10), MARCH, day(10), 100 * UNIT, 100 * UNIT)
    assert result.exhaustion_date == day(10)
    assert result.runway_days == 0.0


def test_after_the_period_ends_nothing_more_is_projected() -> None:
    result = forecast(history([10 * UNIT] * 30), MARCH, day(31), 400 * UNIT, 300 * UNIT)
    assert result.projected_spend == 300 * UNIT
    assert result.exhaustion_date is None


def test_before_the_period_starts_the_whole_period_is_projected() -> None:
    before = history([2 * UNIT] * 14, start=START - timedelta(days=20))
    result = forecast(before, MARCH, START - timedelta(days=6), 1_000 * UNIT, 0)
    assert result.projected_spend == 30 * 2 * UNIT


# --- the linear baseline --------------------------------------------------------------------


def test_linear_forecast_is_spent_over_elapsed_days_times_period_days() -> None:
    result = linear_forecast(MARCH, day(10), 1_000 * UNIT, 100 * UNIT)
    assert result.method == "linear"
    assert result.burn_rate_per_day == 10 * UNIT
    assert result.projected_spend == 300 * UNIT


def test_linear_forecast_keeps_todays_partial_spend_out_of_the_average() -> None:
    result = linear_forecast(MARCH, day(10), 1_000 * UNIT, 104 * UNIT, spent_today=4 * UNIT)
    assert result.burn_rate_per_day == 10 * UNIT
    assert result.projected_spend == 104 * UNIT + 6 * UNIT + 19 * 10 * UNIT


def test_linear_forecast_on_day_one_uses_todays_spend() -> None:
    result = linear_forecast(MARCH, START, 1_000 * UNIT, 3 * UNIT, spent_today=3 * UNIT)
    assert (result.method, result.projected_spend) == ("linear-today-only", 90 * UNIT)


# --- properties -----------------------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(
    amounts=st.lists(st.integers(0, 10**10), max_size=60),
    offset=st.integers(-5, 95),
    length=st.integers(1, 92),
    allocated=st.integers(0, 10**12),
    window=st.integers(1, 30),
)
def test_projections_are_consistent_whatever_the_history(
    amounts: list[int], offset: int, length: int, allocated: int, window: int
) -> None:
    bounds = PeriodBounds(START, START + timedelta(days=length - 1))
    today = START + timedelta(days=offset)
    daily = {d: a for d, a in history(amounts).items() if d <= today}
    spent = sum(a for d, a in daily.items() if bounds.contains(d))
    for result in (
        forecast(daily, bounds, today, allocated, spent, window=window),
        linear_forecast(bounds, today, allocated, spent, spent_today=daily.get(today, 0)),
    ):
        assert result.projected_spend >= spent
        assert result.projected_overrun == max(0, result.projected_spend - allocated)
        assert result.burn_rate_per_day >= 0
        if result.method != "ewma-weekday":  # deseasonalizing may lift a quiet weekday's spend
            # A short history also leans on the plan's pace (allocated ÷ period days).
            plan = round(allocated / bounds.days) if result.method == "ewma-short" else 0
            assert result.burn_rate_per_day <= max([0, *amounts, plan])
        if result.exhaustion_date is not None:
            assert bounds.contains(result.exhaustion_date)
            assert result.exhaustion_date >= min(today, bounds.end)
        if today <= bounds.end:
            assert (result.exhaustion_date is None) == (result.projected_spend < allocated)
        assert (result.runway_days is None) == (result.burn_rate_per_day == 0)
