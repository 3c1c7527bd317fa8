"""Replaying the journal: every cached balance is derivable from the immutable entries."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from app.domain.ledger import AccountKind as K
from app.domain.ledger import Entry, EntryKind, replay

P1, P2 = 1, 2  # two periods of one budget
A, B, C = 11, 12, 21  # allocations A and B in period 1, C in period 2


def fund(amount: int, period: int = P1) -> Entry:
    return Entry(EntryKind.FUND, K.FUNDING, period, None, K.POOL, period, None, amount)


def defund(amount: int, period: int = P1) -> Entry:
    return Entry(EntryKind.DEFUND, K.POOL, period, None, K.FUNDING, period, None, amount)


def allocate(alloc: int, amount: int, period: int = P1) -> Entry:
    return Entry(EntryKind.ALLOCATE, K.POOL, period, None, K.ALLOCATION, period, alloc, amount)


def release(alloc: int, amount: int, period: int = P1) -> Entry:
    return Entry(EntryKind.RELEASE, K.ALLOCATION, period, alloc, K.POOL, period, None, amount)


def reallocate(src: int, dst: int, amount: int, period: int = P1) -> Entry:
    return Entry(EntryKind.REALLOCATE, K.ALLOCATION, period, src, K.ALLOCATION, period, dst, amount)


def spend(alloc: int, amount: int, period: int = P1) -> Entry:
    return Entry(EntryKind.SPEND, K.ALLOCATION, period, alloc, K.SPENT, period, None, amount)


def refund(alloc: int, amount: int, period: int = P1) -> Entry:
    return Entry(EntryKind.REFUND, K.SPENT, period, None, K.ALLOCATION, period, alloc, amount)


def test_an_empty_journal_has_no_balances_and_is_conserved() -> None:
    b = replay([])
    assert not b.funded and not b.unallocated and not b.allocated and not b.spent
    assert b.conserved()


def test_replay_recomputes_every_balance_of_a_typical_budget() -> None:
    b = replay(
        [
            fund(1000),
            allocate(A, 400),
            allocate(B, 300),
            reallocate(A, B, 50),
            spend(A, 120),
            spend(B, 80),
            refund(A, 20),
            release(B, 100),
            defund(10),
        ]
    )
    assert b.funded[P1] == 990
    assert b.unallocated[P1] == 1000 - 400 - 300 + 100 - 10
    assert b.allocated[A] == 350
    assert b.allocated[B] == 250
    assert b.spent[A] == 100
    assert b.spent[B] == 80
    assert b.conserved()


def test_spend_and_refunds_move_spent_but_not_the_allocated_amount() -> None:
    b = replay([fund(100), allocate(A, 100), spend(A, 70), refund(A, 30)])
    assert b.allocated[A] == 100
    assert b.spent[A] == 40


def test_a_rollover_moves_money_into_the_next_period() -> None:
    rollover_alloc = Entry(EntryKind.ROLLOVER, K.ALLOCATION, P1, A, K.ALLOCATION, P2, C, 30)
    rollover_pool = Entry(EntryKind.ROLLOVER, K.POOL, P1, None, K.POOL, P2, None, 5)
    b = replay([fund(100), allocate(A, 60), spend(A, 30), rollover_alloc, rollover_pool])
    assert b.allocated[A] == 30 and b.allocated[C] == 30
    assert b.unallocated[P1] == 35 and b.unallocated[P2] == 5
    assert b.conserved()


def test_spend_paid_straight_from_funding_breaks_conservation() -> None:
    leak = Entry(EntryKind.SPEND, K.FUNDING, P1, None, K.SPENT, P1, None, 10)
    assert not replay([fund(100), leak]).conserved()


def test_an_allocation_entry_without_its_allocation_breaks_conservation() -> None:
    orphan = Entry(EntryKind.ALLOCATE, K.POOL, P1, None, K.ALLOCATION, P1, None, 10)
    assert not replay([fund(100), orphan]).conserved()


ALLOCS = [A, B]


@st.composite
def journals(draw: st.DrawFn) -> list[Entry]:
    """Well-formed journals: every kind of entry, between the accounts of one period."""
    amount = st.integers(min_value=1, max_value=10**12)
    makers = [
        lambda: fund(draw(amount)),
        lambda: defund(draw(amount)),
        lambda: allocate(draw(st.sampled_from(ALLOCS)), draw(amount)),
        lambda: release(draw(st.sampled_from(ALLOCS)), draw(amount)),
        lambda: reallocate(*draw(st.permutations(ALLOCS)), draw(amount)),
        lambda: spend(draw(st.sampled_from(ALLOCS)), draw(amount)),
        lambda: refund(draw(st.sampled_from(ALLOCS)), draw(amount)),
    ]
    n = draw(st.integers(min_value=0, max_value=40))
    return [draw(st.sampled_from(makers))() for _ in range(n)]


@given(journals())
def test_every_well_formed_journal_is_conserved(entries: list[Entry]) -> None:
    assert replay(entries).conserved()


@given(journals())
def test_replay_equals_the_sum_of_signed_entries(entries: list[Entry]) -> None:
    b = replay(entries)
    for alloc in ALLOCS:
        inflow = sum(
            e.amount for e in entries if e.to_allocation == alloc and e.from_kind is not K.SPENT
        )
        outflow = sum(
            e.amount for e in entries if e.from_allocation == alloc and e.to_kind is not K.SPENT
        )
        spent = sum(
            e.amount for e in entries if e.from_allocation == alloc and e.to_kind is K.SPENT
        )
        refunded = sum(
            e.amount for e in entries if e.to_allocation == alloc and e.from_kind is K.SPENT
        )
        assert b.allocated.get(alloc, 0) == inflow - outflow
        assert b.spent.get(alloc, 0) == spent - refunded


@given(journals(), st.randoms(use_true_random=False))
def test_replay_does_not_depend_on_entry_order(entries: list[Entry], rnd) -> None:
    shuffled = list(entries)
    rnd.shuffle(shuffled)
    a, b = replay(entries), replay(shuffled)
    for name in ("funded", "unallocated", "allocated", "spent"):
        left = {k: v for k, v in getattr(a, name).items() if v}
        right = {k: v for k, v in getattr(b, name).items() if v}
        assert left == right
