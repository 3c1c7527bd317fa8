"""The policy module as a matrix: every role against every action, deny by default.

The scene: budget 1 funds projects 10 and 20; budget 2 funds project 30. The target of every
action is project 10's allocation in budget 1.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.access import (
    Actor,
    ProjectRole,
    can_create_budget,
    can_manage_project_people,
    can_record_spend,
    can_request_transfer,
    can_view_allocation,
    can_view_budget,
    can_view_project,
    can_write_project,
    is_owner,
    require,
    require_admin,
    require_owner,
)
from app.domain.errors import PermissionDenied

BUDGET, OTHER_BUDGET = 1, 2
PROJECT, SIBLING_PROJECT, FOREIGN_PROJECT = 10, 20, 30
PROJECTS_OF_BUDGET = (PROJECT, SIBLING_PROJECT)

ROLES: dict[str, Actor] = {
    "admin": Actor(1, is_admin=True),
    "owner of the budget": Actor(2, owned_budgets=frozenset({BUDGET})),
    "owner of another budget": Actor(3, owned_budgets=frozenset({OTHER_BUDGET})),
    "budget creator": Actor(9, is_budget_creator=True),
    "lead of the project": Actor(10, project_roles={PROJECT: ProjectRole.LEAD}),
    "member of the project": Actor(4, project_roles={PROJECT: ProjectRole.MEMBER}),
    "viewer of the project": Actor(5, project_roles={PROJECT: ProjectRole.VIEWER}),
    "member of another project in the budget": Actor(
        6, project_roles={SIBLING_PROJECT: ProjectRole.MEMBER}
    ),
    "member of a project in another budget": Actor(
        7, project_roles={FOREIGN_PROJECT: ProjectRole.MEMBER}
    ),
    "stranger": Actor(8),
}


def _owner_allowed(actor: Actor) -> bool:
    try:
        require_owner(actor, BUDGET, "allocate this budget")
    except PermissionDenied:
        return False
    return True


ACTIONS = {
    "view budget": lambda a: can_view_budget(a, BUDGET, PROJECTS_OF_BUDGET),
    "view allocation": lambda a: can_view_allocation(a, BUDGET, PROJECT),
    "record spend": lambda a: can_record_spend(a, BUDGET, PROJECT),
    "request transfer": lambda a: can_request_transfer(a, BUDGET, [PROJECT]),
    "allocate/approve": _owner_allowed,
    "write project": lambda a: can_write_project(a, PROJECT),
    "create budget": can_create_budget,
    "manage people": lambda a: can_manage_project_people(a, PROJECT),
}

Y, N = True, False
# columns: view budget, view allocation, record spend, request transfer, allocate/approve,
#          write project, create budget, manage people
MATRIX = {
    "admin":                                   (Y,   Y,    Y,    Y,     Y,    Y,    Y,    Y),
    "budget creator":                          (N,   N,    N,    N,     N,    N,    Y,    N),
    "owner of the budget":                     (Y,   Y,    Y,    Y,     Y,    N,    N,    N),
    "owner of another budget":                 (N,   N,    N,    N,     N,    N,    N,    N),
    "lead of the project":                     (Y,   Y,    Y,    Y,     N,    Y,    N,    Y),
    "member of the project":                   (Y,   Y,    Y,    Y,     N,    Y,    N,    N),
    "viewer of the project":                   (Y,   Y,    N,    N,     N,    N,    N,    N),
    "member of another project in the budget": (Y,   N,    N,    N,     N,    N,    N,    N),
    "member of a project in another budget":   (N,   N,    N,    N,     N,    N,    N,    N),
    "stranger":                                (N,   N,    N,    N,     N,    N,    N,    N),
}  # fmt: skip

CASES = [
    pytest.param(role, action, expected, id=f"{role} / {action}")
    for role, row in MATRIX.items()
    for action, expected in zip(ACTIONS, row, strict=True)
]


def test_the_matrix_names_every_role_and_every_action() -> None:
    assert set(MATRIX) == set(ROLES)
    assert all(len(row) == len(ACTIONS) for row in MATRIX.values())


@pytest.mark.parametrize(("role", "action", "expected"), CASES)
def test_each_role_may_do_exactly_what_the_matrix_says(
    role: str, action: str, expected: bool
) -> None:
    assert ACTIONS[action](ROLES[role]) is expected


def test_a_member_may_request_a_transfer_that_touches_one_of_their_own_projects() -> None:
    sibling = ROLES["member of another project in the budget"]
    assert can_request_transfer(sibling, BUDGET, [SIBLING_PROJECT, PROJECT])
    assert not can_request_transfer(sibling, BUDGET, [PROJECT])


def test_a_viewer_may_not_request_a_transfer_even_for_their_own_project() -> None:
    assert not can_request_transfer(ROLES["viewer of the project"], BUDGET, [PROJECT])


def test_members_and_viewers_see_their_project_but_strangers_do_not() -> None:
    assert can_view_project(ROLES["member of the project"], PROJECT)
    assert can_view_project(ROLES["viewer of the project"], PROJECT)
    assert not can_view_project(ROLES["member of another project in the budget"], PROJECT)
    assert not can_view_project(ROLES["stranger"], PROJECT)


def test_a_budget_with_no_projects_is_seen_by_its_owners_only() -> None:
    assert can_view_budget(ROLES["owner of the budget"], BUDGET, [])
    assert not can_view_budget(ROLES["member of the project"], BUDGET, [])


def test_require_owner_names_the_refused_action() -> None:
    with pytest.raises(PermissionDenied, match="not allowed to approve this transfer") as info:
        require_owner(ROLES["member of the project"], BUDGET, "approve this transfer")
    assert info.value.code == "PERMISSION_DENIED"


def test_require_admin_refuses_everyone_but_admins() -> None:
    require_admin(ROLES["admin"], "create users")
    for role, actor in ROLES.items():
        if role != "admin":
            with pytest.raises(PermissionDenied):
                require_admin(actor, "create users")


def test_require_passes_when_allowed_and_raises_when_not() -> None:
    require(True, "do it")
    with pytest.raises(PermissionDenied):
        require(False, "do it")


ids = st.integers(min_value=1, max_value=50)
roles = st.dictionaries(ids, st.sampled_from(list(ProjectRole)), max_size=5)


@given(budget=ids, project=ids, others=st.lists(ids, max_size=4))
def test_an_admin_is_allowed_everything(budget: int, project: int, others: list[int]) -> None:
    admin = Actor(1, is_admin=True)
    assert is_owner(admin, budget)
    assert can_view_budget(admin, budget, others)
    assert can_view_allocation(admin, budget, project)
    assert can_record_spend(admin, budget, project)
    assert can_request_transfer(admin, budget, others)
    assert can_write_project(admin, project)


@given(budget=ids, project=ids, others=st.lists(ids, max_size=4))
def test_a_user_without_roles_is_denied_everything(
    budget: int, project: int, others: list[int]
) -> None:
    nobody = Actor(2)
    assert not is_owner(nobody, budget)
    assert not can_view_budget(nobody, budget, [project, *others])
    assert not can_view_allocation(nobody, budget, project)
    assert not can_record_spend(nobody, budget, project)
    assert not can_request_transfer(nobody, budget, [project, *others])
    assert not can_write_project(nobody, project)


@given(owned=st.frozensets(ids, max_size=4), project_roles=roles, budget=ids, project=ids)
def test_whoever_may_write_may_also_see(
    owned: frozenset[int], project_roles: dict[int, ProjectRole], budget: int, project: int
) -> None:
    actor = Actor(3, owned_budgets=owned, project_roles=project_roles)
    if can_record_spend(actor, budget, project):
        assert can_view_allocation(actor, budget, project)
        assert can_view_budget(actor, budget, [project])
    if can_write_project(actor, project):
        assert can_view_project(actor, project)
