from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.status import BudgetStatus, percent_used, status_band

UNIT = 1_000_000
RANK = {
    BudgetStatus.EXHAUSTED: 0,
    BudgetStatus.CRITICAL: 1,
    BudgetStatus.WARNING: 2,
    BudgetStatus.HEALTHY: 3,
}


@pytest.mark.parametrize(
    ("remaining", "expected"),
    [
        (100 * UNIT, BudgetStatus.HEALTHY),
        (25 * UNIT, BudgetStatus.HEALTHY),
        (25 * UNIT - 1, BudgetStatus.WARNING),
        (10 * UNIT, BudgetStatus.WARNING),
        (10 * UNIT - 1, BudgetStatus.CRITICAL),
        (1, BudgetStatus.CRITICAL),
        (0, BudgetStatus.EXHAUSTED),
        (-3 * UNIT, BudgetStatus.EXHAUSTED),
    ],
)
def test_the_band_follows_the_share_left(remaining: int, expected: BudgetStatus) -> None:
    assert status_band(100 * UNIT, remaining) is expected


def test_more_left_than_allocated_after_a_refund_is_healthy() -> None:
    assert status_band(100 * UNIT, 120 * UNIT) is BudgetStatus.HEALTHY


def test_nothing_allocated_and_nothing_left_is_exhausted() -> None:
    assert status_band(0, 0) is BudgetStatus.EXHAUSTED


def test_money_left_with_nothing_allocated_is_healthy() -> None:
    assert status_band(0, 5 * UNIT) is BudgetStatus.HEALTHY


def test_band_edges_are_exact_for_amounts_beyond_float_precision() -> None:
    allocated = 10**18  # 10^12 units in micros
    # As floats both ratios round to 0.1; as integers one is on the edge and one below it.
    assert (allocated // 10 - 1) / allocated == 0.1
    assert status_band(allocated, allocated // 10) is BudgetStatus.WARNING
    assert status_band(allocated, allocated // 10 - 1) is BudgetStatus.CRITICAL


@given(
    allocated=st.integers(0, 10**15),
    remaining=st.integers(-(10**15), 2 * 10**15),
    more=st.integers(0, 10**15),
)
def test_more_money_left_never_lowers_the_band(allocated: int, remaining: int, more: int) -> None:
    assert RANK[status_band(allocated, remaining + more)] >= RANK[status_band(allocated, remaining)]


def test_percent_used_is_spent_over_allocated() -> None:
    assert percent_used(200 * UNIT, 50 * UNIT) == 25.0
    assert percent_used(3, 1) == 100 / 3


def test_percent_used_goes_past_100_when_overdrawn() -> None:
    assert percent_used(100 * UNIT, 150 * UNIT) == 150.0


def test_percent_used_with_nothing_allocated_is_0_or_100() -> None:
    assert percent_used(0, 0) == 0.0
    assert percent_used(0, 1) == 100.0
