"""Rollover rules without a database: what an envelope carries, and how bases are scaled."""

from __future__ import annotations

import pytest

from app.domain.rollover import carry_amount, scale_bases
from app.domain.validation import RolloverPolicy as P


@pytest.mark.parametrize(
    ("policy", "remaining", "cap", "carried"),
    [
        (P.NONE, 5, None, 0),
        (P.NONE, -5, None, 0),
        (P.CARRY_UNSPENT, 5, None, 5),
        (P.CARRY_UNSPENT, 5, 3, 3),
        (P.CARRY_UNSPENT, -5, None, 0),
        (P.CARRY_ALL, 5, 3, 3),
        (P.CARRY_ALL, -5, 3, -5),
        (P.CARRY_ALL, 0, None, 0),
    ],
)
def test_an_envelope_carries_what_its_policy_and_cap_allow(policy, remaining, cap, carried) -> None:
    assert carry_amount(policy, remaining, cap) == carried


def test_bases_the_pool_covers_are_kept_as_they_are() -> None:
    bases = [3, 4]
    assert scale_bases(bases, 7) is bases


def test_bases_the_pool_cannot_cover_are_scaled_down_to_add_up_to_the_pool() -> None:
    scaled = scale_bases([30, 10], 20)
    assert scaled == [15, 5]
    assert sum(scale_bases([1, 1, 1], 2)) == 2
