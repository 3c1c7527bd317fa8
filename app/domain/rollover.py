"""Rollover rules: what an envelope carries into the next period, and how the next pool funds
the carried-over bases. Pure; app.services.rollover applies them when a period closes."""

from __future__ import annotations

from app.domain.money import split_by_weights
from app.domain.validation import RolloverPolicy


def carry_amount(policy: RolloverPolicy, remaining: int, cap: int | None) -> int:
    """What an envelope with `remaining` (allocated − spent) carries into the next period."""
    if policy is RolloverPolicy.NONE:
        return 0
    if remaining <= 0:
        return remaining if policy is RolloverPolicy.CARRY_ALL else 0
    return remaining if cap is None else min(remaining, cap)


def scale_bases(bases: list[int], pool: int) -> list[int]:
    """The base amounts the next pool can fund: all of them, or scaled down to add up to `pool`."""
    need = sum(bases)
    if need <= pool:
        return bases
    return split_by_weights(pool, bases)


__all__ = ["carry_amount", "scale_bases"]
