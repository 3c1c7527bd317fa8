"""Success payloads follow one naming convention, and renamed ones keep their old names working.

Convention: a mutation's payload union is `<Mutation>Payload`, and its one success member is
`<Noun><PastParticiple>` (createBudget → BudgetCreated, addProjectMember → ProjectMemberAdded).
Success types that were renamed (`Done`, `UserLinked`, `PeriodClose`) are interfaces now,
implemented by the new types, so a client's old fragment (`... on Done { ok }`) keeps matching.
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import date
from typing import Any

import pytest
from graphql import GraphQLObjectType, GraphQLUnionType, get_named_type, parse, validate
from helpers import make_user

from app.models import Alert
from app.services import allocations, budgets, spending
from app.services.spending import SpendInput
from schema import ids
from schema import schema as allot_schema

#: Old name (now an interface) → the fields a client selected on it → {mutation: new type}.
RENAMED: dict[str, tuple[str, dict[str, str]]] = {
    "Done": (
        "ok",
        {
            "addBudgetOwner": "BudgetOwnerAdded",
            "removeBudgetOwner": "BudgetOwnerRemoved",
            "addProjectMember": "ProjectMemberAdded",
            "removeProjectMember": "ProjectMemberRemoved",
            "acknowledgeAlert": "AlertAcknowledged",
        },
    ),
    "UserLinked": ("user { id slackUserId }", {"linkSlackUser": "SlackUserLinked"}),
    "PeriodClose": (
        "closedPeriod { seq status } nextPeriod { seq }",
        {"closePeriod": "PeriodClosed"},
    ),
}
#: Success types more than one mutation returns: the name must be true of each.
SHARED = {
    "TransferDecided": {"approveTransfer", "rejectTransfer", "cancelTransfer"},
    "SpendRecorded": {"recordSpend", "logTime"},
}
PAST_PARTICIPLE = re.compile(r"^[A-Z][A-Za-z]*[a-z](?:ed|Set)$")


def _success_types() -> dict[str, str]:
    """{mutation: its success type}, checking each payload's shape on the way."""
    mutation = allot_schema._schema.mutation_type
    assert mutation is not None
    out = {}
    for name, field in mutation.fields.items():
        union = get_named_type(field.type)
        assert isinstance(union, GraphQLUnionType), f"{name} does not return a union"
        assert union.name == f"{name[0].upper()}{name[1:]}Payload", union.name
        success = [t.name for t in union.types if not any(i.name == "Error" for i in t.interfaces)]
        assert len(success) == 1, f"{union.name} has success members {success}"
        out[name] = success[0]
    return out


def test_every_success_type_is_a_noun_and_a_past_participle() -> None:
    wrong = {m: t for m, t in _success_types().items() if not PAST_PARTICIPLE.match(t)}
    assert not wrong, f"success types not named <Noun><PastParticiple>: {wrong}"


def test_a_success_type_is_shared_only_where_its_name_fits_each_mutation() -> None:
    users: dict[str, set[str]] = defaultdict(set)
    for mutation, success in _success_types().items():
        users[success].add(mutation)
    shared = {t: m for t, m in users.items() if len(m) > 1}
    assert shared == SHARED


def test_old_names_are_interfaces_of_the_new_types() -> None:
    types = allot_schema._schema.type_map
    success = _success_types()
    for old, (_, renamed) in RENAMED.items():
        for mutation, new in renamed.items():
            assert success[mutation] == new
            new_type = types[new]
            assert isinstance(new_type, GraphQLObjectType)
            assert old in {i.name for i in new_type.interfaces}, f"{new} must implement {old}"


def _document(mutation: str, on: str, selection: str) -> str:
    kind = f"{mutation[0].upper()}{mutation[1:]}Input"
    return (
        f"mutation($input: {kind}!) {{ {mutation}(input: $input) {{ __typename "
        f"... on {on} {{ {selection} }} ... on Error {{ code message }} }} }}"
    )


@pytest.mark.parametrize(
    ("mutation", "old", "new", "selection"),
    [
        (mutation, old, new, selection)
        for old, (selection, renamed) in RENAMED.items()
        for mutation, new in renamed.items()
    ],
)
def test_old_and_new_fragments_both_validate(
    mutation: str, old: str, new: str, selection: str
) -> None:
    for on in (old, new):
        errors = validate(allot_schema._schema, parse(_document(mutation, on, selection)))
        assert not errors, f"... on {on} in {mutation}: {errors}"


# ---------------------------------------------------------------------------------------------
# Executed: each renamed mutation, once with the old fragment and once with the new one.


async def _run(gql: Any, user: Any, mutation: str, on: str, selection: str, **input: Any) -> Any:
    data = await gql(user, _document(mutation, on, selection), input=input)
    return data[mutation]


async def test_done_fragments_match_before_and_after_the_rename(admin, gql) -> None:
    user, actor, _ = admin
    other, _ = await make_user("Olive Owner")
    budget = await budgets.create_budget(
        actor,
        name="Grant",
        amount="1000",
        period_kind="GRANT",
        start_date=date(2026, 1, 1),
        end_date=date(2026, 12, 31),
    )
    project = await budgets.create_project(actor, name="Algo")
    await allocations.allocate(actor, budget_id=budget.id, project_id=project.id, amount="100")
    await spending.record_spend(actor, SpendInput(project_id=project.id, amount="60"))
    alert = await Alert.get(budget_id=budget.id, threshold=50)
    owner = {"budgetId": ids.encode("Budget", budget.id), "userId": ids.encode("User", other.id)}
    member = {
        "projectId": ids.encode("Project", project.id),
        "userId": ids.encode("User", other.id),
    }
    steps = [
        ("addBudgetOwner", owner),
        ("removeBudgetOwner", owner),
        ("addProjectMember", member),
        ("removeProjectMember", member),
        ("acknowledgeAlert", {"alertId": ids.encode("Alert", alert.id)}),
    ]
    renamed = RENAMED["Done"][1]
    for on in ("Done", None):  # the old fragment, then the new one
        for mutation, variables in steps:
            new = renamed[mutation]
            result = await _run(gql, user, mutation, on or new, "ok", **variables)
            assert result == {"__typename": new, "ok": True}, (mutation, on, result)


async def test_user_linked_fragments_match_before_and_after_the_rename(admin, gql) -> None:
    user, _, _ = admin
    for on in ("UserLinked", "SlackUserLinked"):
        result = await _run(
            gql, user, "linkSlackUser", on, "user { id slackUserId }", slackUserId="U0ADA"
        )
        assert result == {
            "__typename": "SlackUserLinked",
            "user": {"id": ids.encode("User", user.id), "slackUserId": "U0ADA"},
        }


async def test_period_close_fragments_match_before_and_after_the_rename(admin, gql) -> None:
    user, actor, _ = admin
    for n, on in enumerate(("PeriodClose", "PeriodClosed")):
        budget = await budgets.create_budget(
            actor,
            name=f"Lab {n}",
            amount="100000",
            period_kind="QUARTERLY",
            start_date=date(2026, 1, 1),
        )
        result = await _run(
            gql,
            user,
            "closePeriod",
            on,
            "closedPeriod { seq status } nextPeriod { seq }",
            budgetId=ids.encode("Budget", budget.id),
        )
        assert result == {
            "__typename": "PeriodClosed",
            "closedPeriod": {"seq": 1, "status": "CLOSED"},
            "nextPeriod": {"seq": 2},
        }
