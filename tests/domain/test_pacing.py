from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.errors import ValidationError
from app.domain.money import to_micros
from app.domain.pacing import (
    Pace,
    check_pacing,
    daily_drip,
    pace,
    pacing_cap,
    todays_allowance,
)

UNIT = 1_000_000
PACE_ORDER = {Pace.BEHIND: 0, Pace.ON_PACE: 1, Pace.AHEAD: 2}


# --- daily drip -----------------------------------------------------------------------------


def test_the_drip_spreads_what_is_left_over_the_days_left() -> None:
    assert daily_drip(300 * UNIT, 30) == 10 * UNIT


def test_the_drip_rounds_down_to_the_micro() -> None:
    assert daily_drip(10, 3) == 3
    assert daily_drip(to_micros("100"), 7) == 14_285_714


@pytest.mark.parametrize("remaining", [0, -1, -50 * UNIT])
def test_an_empty_or_overdrawn_budget_drips_nothing(remaining: int) -> None:
    assert daily_drip(remaining, 10) == 0


@pytest.mark.parametrize("days_left", [1, 0, -3])
def test_the_drip_never_divides_by_less_than_one_day(days_left: int) -> None:
    assert daily_drip(42 * UNIT, days_left) == 42 * UNIT


@given(remaining=st.integers(-(10**15), 10**18), days_left=st.integers(-5, 4000))
def test_drips_never_add_up_to_more_than_is_left_and_lose_less_than_a_micro_a_day(
    remaining: int, days_left: int
) -> None:
    drip = daily_drip(remaining, days_left)
    days = max(1, days_left)
    assert drip >= 0
    assert drip * days <= max(0, remaining)
    if remaining > 0:
        assert remaining - drip * days < days


# --- pace -----------------------------------------------------------------------------------


def test_spending_faster_than_time_is_ahead() -> None:
    assert pace(70 * UNIT, 100 * UNIT, 0.5) is Pace.AHEAD


def test_spending_slower_than_time_is_behind() -> None:
    assert pace(30 * UNIT, 100 * UNIT, 0.5) is Pace.BEHIND


@pytest.mark.parametrize("spent", [40, 50, 60])
def test_the_tolerance_band_includes_its_edges(spent: int) -> None:
    assert pace(spent * UNIT, 100 * UNIT, 0.5) is Pace.ON_PACE


@pytest.mark.parametrize(
    ("spent", "elapsed", "tolerance"), [(80, 0.5, 0.3), (80, 0.7, 0.1), (40, 0.7, 0.3)]
)
def test_band_edges_hold_as_written_even_where_binary_floats_are_inexact(
    spent: int, elapsed: float, tolerance: float
) -> None:
    # 0.3 and 0.7 are not exact in binary; the edge must still be exactly 30 or 10 points.
    assert pace(spent * UNIT, 100 * UNIT, elapsed, tolerance) is Pace.ON_PACE


def test_one_micro_past_the_band_edge_leaves_the_band() -> None:
    assert pace(60 * UNIT + 1, 100 * UNIT, 0.5) is Pace.AHEAD
    assert pace(40 * UNIT - 1, 100 * UNIT, 0.5) is Pace.BEHIND


def test_the_tolerance_is_a_parameter() -> None:
    assert pace(57 * UNIT, 100 * UNIT, 0.5) is Pace.ON_PACE
    assert pace(57 * UNIT, 100 * UNIT, 0.5, tolerance=0.05) is Pace.AHEAD
    assert pace(57 * UNIT, 100 * UNIT, 0.5, tolerance=0.0) is Pace.AHEAD


def test_spend_with_nothing_allocated_is_ahead_and_no_spend_is_on_pace() -> None:
    assert pace(1, 0, 0.5) is Pace.AHEAD
    assert pace(0, 0, 0.5) is Pace.ON_PACE


def test_a_negative_tolerance_is_refused() -> None:
    with pytest.raises(ValidationError) as err:
        pace(1, 10, 0.5, tolerance=-0.1)
    assert err.value.field == "tolerance"


@given(
    allocated=st.integers(1, 10**15),
    spent=st.integers(-(10**15), 2 * 10**15),
    extra=st.integers(0, 10**15),
    elapsed=st.floats(0, 1),
    tolerance=st.floats(0, 0.5),
)
def test_spending_more_never_moves_the_pace_towards_behind(
    allocated: int, spent: int, extra: int, elapsed: float, tolerance: float
) -> None:
    less = pace(spent, allocated, elapsed, tolerance)
    more = pace(spent + extra, allocated, elapsed, tolerance)
    assert PACE_ORDER[more] >= PACE_ORDER[less]


# --- daily allowance and pacing cap ---------------------------------------------------------


def test_todays_allowance_is_what_is_left_of_the_drip() -> None:
    assert todays_allowance(10 * UNIT, 3 * UNIT) == 7 * UNIT


def test_todays_allowance_never_goes_negative() -> None:
    assert todays_allowance(10 * UNIT, 15 * UNIT) == 0


def test_the_pacing_cap_is_twice_the_drip() -> None:
    assert pacing_cap(7 * UNIT) == 14 * UNIT
    assert pacing_cap(0) == 0


def test_a_spend_that_reaches_the_cap_exactly_is_allowed() -> None:
    allowed, reason = check_pacing(5 * UNIT, 15 * UNIT, 10 * UNIT)
    assert allowed
    assert reason == "within today's pacing cap"


def test_a_spend_one_micro_over_the_cap_is_refused_with_the_figures() -> None:
    allowed, reason = check_pacing(5 * UNIT + 1, 15 * UNIT, 10 * UNIT)
    assert not allowed
    assert reason == (
        "would exceed today's pacing cap of 20 (twice the daily drip of 10); "
        "15 already spent today, 5 left"
    )


def test_an_exhausted_budget_refuses_any_paced_spend() -> None:
    allowed, _ = check_pacing(1, 0, daily_drip(0, 10))
    assert not allowed


def test_refunds_are_allowed_even_past_the_cap() -> None:
    allowed, _ = check_pacing(-5 * UNIT, 100 * UNIT, 10 * UNIT)
    assert allowed


@given(
    amount=st.integers(1, 10**12), spent_today=st.integers(0, 10**12), drip=st.integers(0, 10**12)
)
def test_allowed_spends_never_take_the_day_past_the_cap(
    amount: int, spent_today: int, drip: int
) -> None:
    allowed, _ = check_pacing(amount, spent_today, drip)
    assert allowed == (spent_today + amount <= 2 * drip)
