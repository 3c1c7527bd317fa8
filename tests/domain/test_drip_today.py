"""`drip_today`: the drip from this morning's balance, and nothing once the envelope is empty."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain import pacing

UNIT = 1_000_000


def test_the_drip_is_what_was_left_this_morning_over_the_days_left() -> None:
    # 248.38 this morning, 5 spent since, 22 days left: 11.29 a day, not (243.38 ÷ 22).
    assert pacing.drip_today(243_380_000, 5 * UNIT, 22) == 11_290_000


def test_an_overdrawn_envelope_drips_nothing_whatever_it_held_this_morning() -> None:
    # -25.00 now after 273.38 today: this morning's 248.38 would have dripped 11.29.
    assert pacing.drip_today(-25 * UNIT, 273_380_000, 22) == 0


@pytest.mark.parametrize("spent_today", [0, 1, 100 * UNIT])
def test_an_envelope_used_up_exactly_drips_nothing(spent_today: int) -> None:
    assert pacing.drip_today(0, spent_today, 10) == 0


def test_a_credit_today_does_not_allow_more_than_remains() -> None:
    # Nothing left, a 1.00 credit today: the drip is 0, and 0 - (-1.00) must not be offered.
    assert pacing.todays_allowance(pacing.drip_today(0, -UNIT, 10), -UNIT, 0) == 0


@given(
    remaining=st.integers(-(10**12), 10**12),
    spent_today=st.integers(-(10**9), 10**12),
    days_left=st.integers(-3, 400),
)
def test_todays_allowance_never_exceeds_what_remains_now(
    remaining: int, spent_today: int, days_left: int
) -> None:
    drip = pacing.drip_today(remaining, spent_today, days_left)
    assert drip >= 0
    assert pacing.todays_allowance(drip, spent_today, remaining) <= max(0, remaining)
