"""`Budget.rolloverPreview`: what closing the open period now would carry, read-only.

The figures come from app.services.periods.preview_close, which computes the close's own plan
(the same bounds and app.services.rollover.plan_next) without writing. What a viewer sees
follows the read rules: owners every envelope; a project's people the pool and their own
projects' envelopes (`visible_allocations`, the policy module's allocation scope), so no other
project's remainder or carry can be read from the preview.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import strawberry

from app.domain.money import from_micros
from app.domain.validation import RolloverPolicy as DomainPolicy
from app.models import Allocation as AllocationRow
from app.services.periods import ClosePreview
from schema.context import Info
from schema.pagination import Connection, paginate
from schema.types.allocation import Allocation, allocations_for
from schema.types.budget_figures import visible_allocations
from schema.types.common import After, First, RolloverPolicy


@dataclass(frozen=True)
class _Carry:
    policy: DomainPolicy
    remaining: int
    carried: int
    base: int | None


@strawberry.type(
    description="What one envelope would carry if the period closed now. Money fields are "
    "exact decimal strings in the budget's currency."
)
class EnvelopeRollover:
    allocation: Allocation = strawberry.field(description="The envelope in the open period.")
    policy: RolloverPolicy = strawberry.field(
        description="The policy that applies to it: its own override, or the budget's."
    )
    remaining: Decimal = strawberry.field(
        description="What it holds now: amount − spent (negative when overspent)."
    )
    carried: Decimal = strawberry.field(
        description="What would carry into the next period's envelope under its policy and "
        "the budget's rolloverCap (negative: an overspend carried as a debt under CARRY_ALL); "
        "0 when the budget would end."
    )
    lapsed: Decimal = strawberry.field(
        description="remaining − carried: what would stay in the closed period (lapse)."
    )
    next_base: Decimal | None = strawberry.field(
        description="What the next period's pool would give it (its base, scaled down if the "
        "pool cannot cover every base); null when the budget would end."
    )
    next_amount: Decimal | None = strawberry.field(
        description="nextBase + carried: the envelope the next period would open with; null "
        "when the budget would end."
    )


@strawberry.type(description="What the unallocated pool would carry if the period closed now.")
class PoolRollover:
    policy: RolloverPolicy = strawberry.field(description="The budget's rollover policy.")
    remaining: Decimal = strawberry.field(description="The unallocated pool now.")
    carried: Decimal = strawberry.field(
        description="What would carry into the next pool (CARRY_UNSPENT or CARRY_ALL, at most "
        "rolloverCap); 0 under NONE or when the budget would end."
    )
    lapsed: Decimal = strawberry.field(description="remaining − carried: what would lapse.")


@strawberry.type(
    description="What would happen if the open period closed now (closePeriod, or the "
    "scheduler once it is due), computed with the close's own rules and changing nothing: the "
    "period that would open and what every envelope and the pool would carry into it. Owners "
    "see every envelope; a project's people the pool and their own projects' envelopes."
)
class RolloverPreview:
    as_of: datetime = strawberry.field(description="The instant the preview was computed for.")
    closes_early: bool = strawberry.field(
        description="Closing now would end the period before its last day: it would end "
        "today and the next regular period would open at once (see docs/periods.md)."
    )
    next_period_start: date | None = strawberry.field(
        description="First day of the period that would open; null when the budget would "
        "end (a GRANT or CUSTOM budget, or a recurring one at its end date)."
    )
    next_period_end: date | None = strawberry.field(
        description="Last day of the period that would open; null when the budget would end."
    )
    skipped_periods: int = strawberry.field(
        description="Whole periods a catch-up would skip (the scheduler is behind); usually 0."
    )
    pool: PoolRollover = strawberry.field(description="The unallocated pool's rollover.")
    budget_id: strawberry.Private[int]
    period_id: strawberry.Private[int]
    default_policy: strawberry.Private[DomainPolicy]
    carries: strawberry.Private[dict[int, _Carry]]

    @classmethod
    def from_preview(cls, budget_id: int, preview: ClosePreview, default: str) -> RolloverPreview:
        policy = DomainPolicy(default)
        plan = preview.plan
        carries: dict[int, _Carry] = {}
        for n, e in enumerate(preview.envelopes):
            carries[e.id] = _Carry(
                DomainPolicy(e.policy) if e.policy else policy,
                e.allocated - e.spent,
                0 if plan is None else plan.rollover.carries[n],
                None if plan is None else plan.rollover.bases[n],
            )
        pool_carry = 0 if plan is None else plan.rollover.pool_carry
        return cls(
            as_of=preview.as_of,
            closes_early=preview.early,
            next_period_start=None if preview.next is None else preview.next.start,
            next_period_end=None if preview.next is None else preview.next.end,
            skipped_periods=len(preview.missed),
            pool=PoolRollover(
                policy=RolloverPolicy(policy),
                remaining=from_micros(preview.pool),
                carried=from_micros(pool_carry),
                lapsed=from_micros(preview.pool - pool_carry),
            ),
            budget_id=budget_id,
            period_id=preview.period.id,
            default_policy=policy,
            carries=carries,
        )

    def _envelope(self, row: AllocationRow, allocation: Allocation) -> EnvelopeRollover:
        c = self.carries.get(row.id)
        if c is None:  # created after the preview read the envelopes: nothing planned for it
            policy = DomainPolicy(row.rollover_policy) if row.rollover_policy else None
            remaining = row.allocated_micros - row.spent_micros
            c = _Carry(policy or self.default_policy, remaining, 0, None)
        return EnvelopeRollover(
            allocation=allocation,
            policy=RolloverPolicy(c.policy),
            remaining=from_micros(c.remaining),
            carried=from_micros(c.carried),
            lapsed=from_micros(c.remaining - c.carried),
            next_base=None if c.base is None else from_micros(c.base),
            next_amount=None if c.base is None else from_micros(c.base + c.carried),
        )

    @strawberry.field(
        description="The envelopes of the open period the viewer may see (owners: all; a "
        "project's people: their own projects'), in id order, each with what it would carry."
    )
    async def allocations(
        self, info: Info, first: First = None, after: After = None
    ) -> Connection[EnvelopeRollover]:
        query = visible_allocations(info, self.budget_id, self.period_id)

        async def build(rows: list[AllocationRow]) -> list[EnvelopeRollover]:
            views = await allocations_for(info, rows)
            return [self._envelope(r, a) for r, a in zip(rows, views, strict=True)]

        return await paginate(query, first, after, build_all=build)


__all__ = ["EnvelopeRollover", "PoolRollover", "RolloverPreview"]
