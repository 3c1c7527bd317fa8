"""The corrections' access rules (issue #9), as pure decisions."""

from __future__ import annotations

from app.domain.access import (
    Actor,
    ProjectRole,
    can_archive_budget,
    can_archive_project,
    can_correct_spend,
    can_credit_beyond_spent,
    can_move_spend,
)

ADMIN = Actor(1, is_admin=True)
OWNER = Actor(2, owned_budgets=frozenset({10}))
LEAD = Actor(3, project_roles={100: ProjectRole.LEAD})
MEMBER = Actor(4, project_roles={100: ProjectRole.MEMBER})
VIEWER = Actor(5, project_roles={100: ProjectRole.VIEWER})
BOTH = Actor(6, project_roles={100: ProjectRole.MEMBER, 200: ProjectRole.MEMBER})
CREATOR = Actor(7, is_budget_creator=True)


def test_correcting_a_spend_is_recording_it() -> None:
    allowed = [
        a for a in (ADMIN, OWNER, LEAD, MEMBER, VIEWER, CREATOR) if can_correct_spend(a, 10, 100)
    ]
    assert allowed == [ADMIN, OWNER, LEAD, MEMBER]
    assert not can_correct_spend(OWNER, 11, 100)  # another budget's owner


def test_a_move_needs_both_sides() -> None:
    assert not can_move_spend(MEMBER, 10, 100, 10, 200)
    assert can_move_spend(BOTH, 10, 100, 10, 200)
    assert can_move_spend(OWNER, 10, 100, 10, 200)  # an owner spends on any of its allocations
    assert not can_move_spend(OWNER, 10, 100, 11, 300)  # not into a budget it does not own
    assert can_move_spend(ADMIN, 10, 100, 11, 300)


def test_credits_beyond_spent_archive_and_delete() -> None:
    assert [a for a in (ADMIN, OWNER, LEAD, MEMBER) if can_credit_beyond_spent(a, 10)] == [
        ADMIN,
        OWNER,
    ]
    assert [a for a in (ADMIN, OWNER, LEAD, MEMBER) if can_archive_budget(a, 10)] == [ADMIN, OWNER]
    assert [a for a in (ADMIN, OWNER, LEAD, MEMBER, CREATOR) if can_archive_project(a, 100)] == [
        ADMIN,
        LEAD,
    ]
