"""The rollover plan a close applies and the preview shows (app.domain.rollover.plan_rollover):
carried-over bases, bases an owner chooses at the close, and what each envelope carries."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.errors import InsufficientFunds
from app.domain.rollover import EnvelopeBalance, plan_rollover
from app.domain.validation import RolloverPolicy as P

M = 1_000_000


def test_without_choices_the_plan_is_the_close_as_before() -> None:
    """Bases are what each envelope held minus what rolled into it; carries follow the policy."""
    plan = plan_rollover(
        P.CARRY_UNSPENT,
        None,
        pool=200 * M,
        funded=1000 * M,
        missed_funding=0,
        envelopes=[
            EnvelopeBalance(500 * M, 100 * M, 100 * M),
            EnvelopeBalance(300 * M, 350 * M, 0),
        ],
    )
    assert plan.bases == (400 * M, 300 * M)
    assert plan.carries == (400 * M, 0)  # the overspent envelope carries nothing
    assert (plan.pool_carry, plan.pool, plan.unallocated) == (200 * M, 1200 * M, 500 * M)
    assert plan.allocated == 1100 * M


def test_a_chosen_base_replaces_the_carried_one_and_the_carry_still_comes_on_top() -> None:
    plan = plan_rollover(
        P.CARRY_ALL,
        None,
        pool=0,
        funded=1000 * M,
        missed_funding=0,
        envelopes=[EnvelopeBalance(400 * M, 100 * M, 0), EnvelopeBalance(400 * M, 500 * M, 0)],
        set_bases=[700 * M, None],
    )
    assert plan.bases == (700 * M, 300 * M)  # the other base is scaled into what is left
    assert plan.carries == (300 * M, -100 * M)  # a chosen base never changes the carry
    assert plan.unallocated == 0


def test_chosen_bases_that_do_not_fit_the_next_pool_are_refused() -> None:
    with pytest.raises(InsufficientFunds) as err:
        plan_rollover(
            P.NONE,
            None,
            pool=500 * M,  # lapses under NONE
            funded=1000 * M,
            missed_funding=3000 * M,  # lapses too
            envelopes=[EnvelopeBalance(0, 0, 0)],
            set_bases=[1000 * M + 1],
            currency="USD",
        )
    assert (err.value.requested, err.value.available) == (1000 * M + 1, 1000 * M)
    assert "the next period's pool has 1000 USD available" in str(err.value)


def test_a_cap_limits_the_pool_the_envelopes_and_skipped_funding_alike() -> None:
    plan = plan_rollover(
        P.CARRY_UNSPENT,
        50 * M,
        pool=300 * M,
        funded=100 * M,
        missed_funding=200 * M,
        envelopes=[EnvelopeBalance(80 * M, 0, 0, P.NONE)],
    )
    assert (plan.pool_carry, plan.skipped, plan.carries) == (50 * M, 50 * M, (0,))


@given(
    pool=st.integers(0, 10**12),
    funded=st.integers(0, 10**12),
    held=st.lists(st.tuples(st.integers(0, 10**11), st.integers(0, 10**11)), max_size=8),
    data=st.data(),
)
def test_the_next_pool_never_goes_negative(
    pool: int, funded: int, held: list[tuple[int, int]], data: st.DataObject
) -> None:
    envelopes = [EnvelopeBalance(a, s, 0) for a, s in held]
    choices = [data.draw(st.none() | st.integers(0, 10**12)) for _ in envelopes]
    policy = data.draw(st.sampled_from(list(P)))
    try:
        plan = plan_rollover(
            policy,
            None,
            pool=pool,
            funded=funded,
            missed_funding=0,
            envelopes=envelopes,
            set_bases=choices,
        )
    except InsufficientFunds:
        assert (
            sum(c for c in choices if c is not None)
            > plan_rollover(
                policy, None, pool=pool, funded=funded, missed_funding=0, envelopes=[]
            ).pool
        )
        return
    assert plan.unallocated >= 0
    for chosen, base in zip(choices, plan.bases, strict=True):
        assert chosen is None or base == chosen
