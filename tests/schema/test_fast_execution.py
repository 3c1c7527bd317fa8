"""The fast executor (schema/execution.py) answers exactly as graphql-core's own executor.

Every document runs twice on the same demo data: once through the app's schema as it is
(`FastExecutionContext`: plain fields, readers, lists built in one pass) and once with the
execution context swapped for Strawberry's plain one. Data and errors must be identical.
The readers (`__graphql_readers__`) are also checked one by one against the attribute they
stand for, on rows with arbitrary figures.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from graphql import GraphQLNonNull
from hypothesis import given
from hypothesis import strategies as st
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from app.domain.money import MAX_MICROS, from_micros, micros_text
from app.models import Budget, User
from app.services import demo
from bench.perf.queries import DASHBOARD, LIST
from schema import schema
from schema.context import context_for_user
from schema.execution import FastExecutionContext
from schema.pagination import Row
from schema.scalars import serialize
from schema.types.allocation import Allocation
from schema.types.project import Project

DOCUMENTS: dict[str, str] = {
    "bench list": LIST,
    "bench dashboard": DASHBOARD,
    "edges, cursors and page info": """query($id: ID!, $n: Int!) { budget(id: $id) {
        allocations(first: $n) { totalCount pageInfo { hasNextPage endCursor startCursor }
          edges { cursor node { id amount } } } } }""",
    "every plain allocation field, aliases and __typename": """query($id: ID!, $n: Int!) {
        budget(id: $id) { __typename id name allocations(first: $n) { nodes { __typename
          id a: amount spent remaining held available percentUsed status alertThreshold notes
          rolloverOverride rolloverPolicy project { __typename id name slug slackChannel
            myRole } budget { id name } } } } }""",
    "fragments and a resolver field among plain ones": """query($id: ID!, $n: Int!) {
        budget(id: $id) { allocations(first: $n) { nodes { ...Money project { ...P } pace
          dailyDrip } } } }
        fragment Money on Allocation { id amount spent remaining }
        fragment P on Project { id name }""",
    "a page after a cursor": """query($id: ID!, $n: Int!) { budget(id: $id) {
        allocations(first: $n, after: "Yzoy") { nodes { id amount project { name } } } } }""",
    "projects and their allocations": """query { projects { nodes { id name slug
        allocations { id amount spent status project { id } } } } }""",
    "an error beside plain fields": """query($id: ID!, $n: Int!) { budget(id: $id) {
        allocations(first: $n) { nodes { id amount } } } missing: budget(id: "bud_999999") {
        id } bad: budget(id: "nope") { id } }""",
}


async def _run(document: str, variables: dict[str, Any]) -> tuple[Any, Any]:
    admin = await User.filter(is_admin=True).order_by("id").first()
    result = await schema.execute(
        document, variable_values=variables, context_value=await context_for_user(admin)
    )
    errors = [(e.message, e.path, (e.extensions or {}).get("code")) for e in result.errors or []]
    return result.data, errors


@pytest.fixture
async def loaded(database: str, fixed_clock: list[datetime]) -> dict[str, Any]:
    fixed_clock[0] = datetime(2026, 5, 15, 12, tzinfo=UTC)  # the demo runs to April 2026
    await demo.load()
    budget = await Budget.filter(name="CS499 Spring 2026").first()
    assert budget is not None
    return {"id": f"bud_{budget.id}", "n": 30}


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
async def test_fast_and_plain_execution_give_the_same_answer(
    name: str, loaded: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert issubclass(schema.execution_context_class, FastExecutionContext)
    document = DOCUMENTS[name]
    variables = loaded if "$id" in document else {}
    fast = await _run(document, variables)
    monkeypatch.setattr(schema, "execution_context_class", StrawberryGraphQLCoreExecutionContext)
    plain = await _run(document, variables)
    assert fast == plain
    if name != "an error beside plain fields":
        assert fast[1] == [], fast[1]
        assert fast[0] is not None


def _leaf_type(type_name: str, field: str) -> Any:
    graphql_type = schema._schema.get_type(type_name)
    assert graphql_type is not None
    for name, definition in graphql_type.fields.items():  # type: ignore[attr-defined]
        python = definition.extensions["strawberry-definition"].python_name
        if python == field:
            of_type = definition.type
            return name, of_type.of_type if isinstance(of_type, GraphQLNonNull) else of_type
    raise AssertionError(f"{type_name} has no field {field}")


amounts = st.integers(-MAX_MICROS, MAX_MICROS)


@given(allocated=amounts, spent=amounts, held=st.integers(0, MAX_MICROS), pk=st.integers(1, 2**31))
def test_allocation_readers_write_what_the_attributes_serialize_to(
    allocated: int, spent: int, held: int, pk: int
) -> None:
    row = Row(
        id=pk,
        budget_id=1,
        period_id=1,
        project_id=pk,
        allocated_micros=allocated,
        spent_micros=spent,
        held_micros=held,
        notes=None,
        alert_threshold=None,
        rollover_policy=None,
    )
    allocation = Allocation.build(row, None, None)  # type: ignore[arg-type]
    readers = Allocation.__graphql_readers__  # type: ignore[attr-defined]
    assert set(readers) >= {"id", "amount", "spent", "remaining", "held", "available"}
    for field, reader in readers.items():
        _, leaf = _leaf_type("Allocation", field)
        assert reader(allocation) == leaf.serialize(getattr(allocation, field)), field


@given(pk=st.integers(1, 2**31), name=st.text(min_size=1, max_size=40))
def test_project_readers_write_what_the_attributes_serialize_to(pk: int, name: str) -> None:
    project = Project.from_model(Row(id=pk, name=name, slug="a-b", slack_channel=None))  # type: ignore[arg-type]
    for field, reader in Project.__graphql_readers__.items():  # type: ignore[attr-defined]
        _, leaf = _leaf_type("Project", field)
        assert reader(project) == leaf.serialize(getattr(project, field)), field


@given(amounts)
def test_micros_text_is_the_decimal_scalars_text_of_from_micros(m: int) -> None:
    assert micros_text(m) == serialize(from_micros(m))
