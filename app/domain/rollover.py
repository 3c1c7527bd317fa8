"""Rollover rules: what an envelope carries into the next period, and how the next pool funds
the carried-over bases. Pure; app.services.rollover applies them when a period closes, and the
rollover preview (`Budget.rolloverPreview`) computes the same plan without applying it, so what
the preview shows is what the close does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from app.domain.errors import InsufficientFunds
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


@dataclass(frozen=True)
class EnvelopeBalance:
    """One envelope of the closing period, as the rollover sees it."""

    allocated: int
    spent: int
    #: Net rollover it received from the period before (negative: it paid a carried debt).
    carried_in: int
    #: Its own policy, or None to follow the budget's.
    policy: RolloverPolicy | None = None

    @property
    def remaining(self) -> int:
        return self.allocated - self.spent

    @property
    def base(self) -> int:
        """What it gets again from the next pool: what it held minus what had rolled into it,
        so carried money does not compound into the base (an owner's change does persist)."""
        return max(0, self.allocated - self.carried_in)


@dataclass(frozen=True)
class RolloverPlan:
    """Everything a close moves into the next period, envelope by envelope (same order)."""

    #: The next period's own funding (its planned amount or the budget's).
    funded: int
    #: Funding of whole periods skipped by a catch-up that joins the pool (capped; 0 under NONE).
    skipped: int
    #: What the unallocated pool carries into the next pool.
    pool_carry: int
    #: What each envelope gets from the next pool.
    bases: tuple[int, ...]
    #: What each envelope carries (negative: a debt carried under CARRY_ALL).
    carries: tuple[int, ...]

    @property
    def pool(self) -> int:
        """The next pool before any base is taken from it."""
        return self.funded + self.skipped + self.pool_carry

    @property
    def unallocated(self) -> int:
        return self.pool - sum(self.bases)

    @property
    def allocated(self) -> int:
        return sum(self.bases) + sum(self.carries)


def plan_rollover(
    policy: RolloverPolicy,
    cap: int | None,
    *,
    pool: int,
    funded: int,
    missed_funding: int,
    envelopes: Sequence[EnvelopeBalance],
    set_bases: Sequence[int | None] | None = None,
    currency: str = "",
) -> RolloverPlan:
    """What closing a period with `pool` left unallocated and these envelopes moves into the
    next period, funded with `funded` (+ `missed_funding` of skipped periods).

    `set_bases[i]`, when not None, is the base an owner chose for envelope i at the close
    (closePeriod's `allocations`): it is taken from the next pool first and must fit in it
    (InsufficientFunds otherwise: the pool never goes negative); the other envelopes' bases are
    carried over and scaled down in proportion into what is left if they do not all fit.
    Carries follow each envelope's policy either way: a chosen base replaces the base, never
    what the rollover policy carries on top of it.
    """
    pool_carry = max(0, carry_amount(policy, pool, cap))
    skipped = max(0, carry_amount(policy, missed_funding, cap))
    total = funded + skipped + pool_carry
    chosen = list(set_bases) if set_bases is not None else [None] * len(envelopes)
    if len(chosen) != len(envelopes):
        raise ValueError("set_bases must name one base (or None) per envelope")
    need = sum(b for b in chosen if b is not None)
    if need > total:
        raise InsufficientFunds("the next period's pool", need, total, currency)
    free = [i for i, b in enumerate(chosen) if b is None]
    scaled = scale_bases([envelopes[i].base for i in free], total - need)
    bases = [0 if b is None else b for b in chosen]
    for i, base in zip(free, scaled, strict=True):
        bases[i] = base
    carries = tuple(carry_amount(e.policy or policy, e.remaining, cap) for e in envelopes)
    return RolloverPlan(funded, skipped, pool_carry, tuple(bases), carries)


__all__ = [
    "EnvelopeBalance",
    "RolloverPlan",
    "carry_amount",
    "plan_rollover",
    "scale_bases",
]
