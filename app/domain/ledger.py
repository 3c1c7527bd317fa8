"""The ledger's shape: accounts and immutable entries between them (TigerBeetle's model).

Accounts per budget period: FUNDING (external, money into the budget), POOL (unallocated),
ALLOCATION (one per project envelope) and SPENT (external, money gone). `replay` recomputes
every cached balance from the entries; `allot verify` compares it to the cached columns.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum


class AccountKind(str, Enum):
    FUNDING = "FUNDING"
    POOL = "POOL"
    ALLOCATION = "ALLOCATION"
    SPENT = "SPENT"


class EntryKind(str, Enum):
    FUND = "FUND"  # funding -> pool
    DEFUND = "DEFUND"  # pool -> funding
    ALLOCATE = "ALLOCATE"  # pool -> allocation
    RELEASE = "RELEASE"  # allocation -> pool
    REALLOCATE = "REALLOCATE"  # allocation -> allocation
    SPEND = "SPEND"  # allocation -> spent
    REFUND = "REFUND"  # spent -> allocation
    ROLLOVER = "ROLLOVER"  # allocation/pool of period n -> period n+1
    REVERSAL = "REVERSAL"  # spent -> allocation (or back): a correction of an earlier spend


@dataclass(frozen=True)
class Entry:
    kind: EntryKind
    from_kind: AccountKind
    from_period: int | None
    from_allocation: int | None
    to_kind: AccountKind
    to_period: int | None
    to_allocation: int | None
    amount: int


@dataclass
class Balances:
    """What the cached columns must equal, recomputed from the journal."""

    funded: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    unallocated: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    allocated: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    spent: dict[int, int] = field(default_factory=lambda: defaultdict(int))

    def conserved(self) -> bool:
        """Money is neither made nor lost: what was funded sits in pools or allocations."""
        return sum(self.funded.values()) == sum(self.unallocated.values()) + sum(
            self.allocated.values()
        )


def replay(entries: Iterable[Entry]) -> Balances:
    b = Balances()
    for e in entries:
        _apply(b, e.from_kind, e.from_period, e.from_allocation, -e.amount, e.to_kind)
        _apply(b, e.to_kind, e.to_period, e.to_allocation, e.amount, e.from_kind)
    return b


def _apply(
    b: Balances,
    kind: AccountKind,
    period: int | None,
    allocation: int | None,
    delta: int,
    other: AccountKind,
) -> None:
    if kind is AccountKind.FUNDING and period is not None:
        b.funded[period] -= delta  # funding's debit is the pool's funding
    elif kind is AccountKind.POOL and period is not None:
        b.unallocated[period] += delta
    elif kind is AccountKind.ALLOCATION and allocation is not None:
        if other is AccountKind.SPENT:
            b.spent[allocation] -= delta
        else:
            b.allocated[allocation] += delta
