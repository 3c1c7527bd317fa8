"""`allot verify`: recompute every cached balance from the journal and report any drift."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from app.domain.ledger import AccountKind, Entry, EntryKind, replay
from app.models import Allocation, BudgetPeriod, JournalEntry, SpendDaily
from app.services import period_totals

_CHUNK = 20_000


@dataclass(frozen=True)
class Drift:
    what: str
    cached: int
    journal: int

    def __str__(self) -> str:
        return f"{self.what}: cached {self.cached}, journal {self.journal}"


async def _entries():
    last = 0
    while True:
        rows = (
            await JournalEntry.filter(id__gt=last)
            .order_by("id")
            .limit(_CHUNK)
            .values_list(
                "id",
                "kind",
                "from_kind",
                "from_period_id",
                "from_allocation_id",
                "to_kind",
                "to_period_id",
                "to_allocation_id",
                "amount_micros",
            )
        )
        if not rows:
            return
        for r in rows:
            yield Entry(
                EntryKind(r[1]), AccountKind(r[2]), r[3], r[4], AccountKind(r[5]), r[6], r[7], r[8]
            )
        last = rows[-1][0]


async def verify() -> list[Drift]:
    entries = [e async for e in _entries()]
    balances = replay(entries)
    drifts: list[Drift] = []
    if not balances.conserved():
        drifts.append(
            Drift(
                "journal conservation (funded = pools + allocations)",
                sum(balances.funded.values()),
                sum(balances.unallocated.values()) + sum(balances.allocated.values()),
            )
        )
    alloc_sum: dict[int, int] = defaultdict(int)
    spent_sum: dict[int, int] = defaultdict(int)
    daily: dict[int, int] = defaultdict(int)
    for alloc_id, amount in await SpendDaily.all().values_list("allocation_id", "amount_micros"):
        daily[alloc_id] += amount  # type: ignore[index]
    rows = await Allocation.all().values_list("id", "period_id", "allocated_micros", "spent_micros")
    for alloc_id, period_id, allocated, spent in rows:
        alloc_sum[period_id] += allocated  # type: ignore[index]
        spent_sum[period_id] += spent  # type: ignore[index]
        _cmp(
            drifts,
            f"allocation {alloc_id} allocated",
            allocated,
            balances.allocated.get(alloc_id, 0),
        )  # type: ignore[arg-type]
        _cmp(drifts, f"allocation {alloc_id} spent", spent, balances.spent.get(alloc_id, 0))  # type: ignore[arg-type]
        _cmp(drifts, f"allocation {alloc_id} daily roll-up", daily.get(alloc_id, 0), spent)  # type: ignore[arg-type]
    await _verify_holds(drifts)
    await _verify_corrections(drifts)
    for what, kept, rollup in await period_totals.drift():
        drifts.append(Drift(f"{what} (journal: the spend_daily roll-up)", kept, rollup))
    periods = await BudgetPeriod.all().values_list(
        "id", "funded_micros", "unallocated_micros", "allocated_micros", "spent_micros", "status"
    )
    for pid, funded, unallocated, allocated, spent, status in periods:
        _cmp(drifts, f"period {pid} funded", funded, balances.funded.get(pid, 0))  # type: ignore[arg-type]
        _cmp(drifts, f"period {pid} unallocated", unallocated, balances.unallocated.get(pid, 0))  # type: ignore[arg-type]
        _cmp(drifts, f"period {pid} allocated", allocated, alloc_sum.get(pid, 0))  # type: ignore[arg-type]
        if status != "OPEN":  # an open period's spent is the sum of its allocations, not cached
            _cmp(drifts, f"period {pid} spent", spent, spent_sum.get(pid, 0))  # type: ignore[arg-type]
        if unallocated < 0:
            drifts.append(Drift(f"period {pid} pool is negative", unallocated, 0))
    return drifts


async def _verify_corrections(drifts: list[Drift]) -> None:
    """spend.reversed_micros is what its reversal rows gave back (app.services.corrections),
    and never more than the spend itself."""
    from app.models import Spend

    given: dict[int, int] = defaultdict(int)
    rows = await Spend.filter(source="correction", corrects_id__not_isnull=True).values_list(
        "corrects_id", "amount_micros"
    )
    for spend_id, amount in rows:
        given[spend_id] -= amount  # type: ignore[index,operator]
    cached = await Spend.filter(reversed_micros__not=0).values_list(
        "id", "amount_micros", "reversed_micros"
    )
    seen = set()
    for spend_id, amount, reversed_ in cached:
        seen.add(spend_id)
        _cmp(drifts, f"spend {spend_id} reversed", reversed_, given.get(spend_id, 0))  # type: ignore[arg-type]
        if abs(reversed_) > abs(amount):  # type: ignore[arg-type]
            drifts.append(
                Drift(f"spend {spend_id} reversed more than its amount", reversed_, amount)
            )  # type: ignore[arg-type]
    for spend_id, amount in given.items():
        if spend_id not in seen and amount:
            drifts.append(Drift(f"spend {spend_id} reversed", 0, amount))


async def _verify_holds(drifts: list[Drift]) -> None:
    """allocation.held_micros is the sum of its OPEN reservations, and never negative."""
    from app.models import Reservation

    open_sum: dict[int, int] = defaultdict(int)
    rows = await Reservation.filter(status="OPEN").values_list("allocation_id", "amount_micros")
    for alloc_id, amount in rows:
        open_sum[alloc_id] += amount  # type: ignore[index]
    for alloc_id, held in await Allocation.all().values_list("id", "held_micros"):
        _cmp(drifts, f"allocation {alloc_id} held", held, open_sum.get(alloc_id, 0))  # type: ignore[arg-type]
        if held < 0:  # type: ignore[operator]
            drifts.append(Drift(f"allocation {alloc_id} held is negative", held, 0))  # type: ignore[arg-type]


def _cmp(drifts: list[Drift], what: str, cached: int, journal: int) -> None:
    if cached != journal:
        drifts.append(Drift(what, cached, journal))
