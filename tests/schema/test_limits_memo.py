"""The gate's checks are remembered per parsed document and per value of the variables they
read (schema.limits.per_document): the same answer as checking again, fewer walks."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphql import GraphQLError, parse

from app.models import User
from schema import schema
from schema.context import context_for_user
from schema.limits import per_document

PAGE = "query($n: Int!, $q: String) { budgets(first: $n) { nodes { id } } }"


def _counting() -> tuple[list[Any], Any]:
    calls: list[Any] = []

    def check(document: Any, variables: Mapping[str, Any]) -> list[GraphQLError]:
        calls.append(document)
        n = variables.get("n")
        return [GraphQLError("too many")] if isinstance(n, int) and n > 10 else []

    return calls, per_document(check)


def test_a_check_runs_again_only_when_a_variable_it_read_changes() -> None:
    calls, check = _counting()
    document = parse(PAGE)
    assert check(document, {"n": 5, "q": "a"}) == []
    assert check(document, {"n": 5, "q": "b"}) == []  # q was never read
    assert len(calls) == 1
    assert [e.message for e in check(document, {"n": 50})] == ["too many"]
    assert len(calls) == 2
    assert [e.message for e in check(document, {"n": 50, "q": "c"})] == ["too many"]
    assert check(document, {"n": 5}) == []
    assert len(calls) == 2
    assert check(document, {}) == []  # absent is a value of its own
    assert len(calls) == 3


def test_another_document_with_the_same_text_is_checked_again() -> None:
    calls, check = _counting()
    check(parse(PAGE), {"n": 5})
    check(parse(PAGE), {"n": 5})
    assert len(calls) == 2


def test_a_check_that_looks_at_every_variable_is_not_remembered() -> None:
    calls: list[int] = []

    def check(document: Any, variables: Mapping[str, Any]) -> list[GraphQLError]:
        calls.append(len(variables))
        return []

    remembered = per_document(check)
    document = parse(PAGE)
    remembered(document, {"n": 1})
    remembered(document, {"n": 1})
    assert calls == [1, 1]


async def test_the_schema_refuses_a_page_size_after_the_same_document_passed(database) -> None:
    admin = await User.create(name="A", email="a@example.org", is_admin=True)
    context = await context_for_user(admin)
    page = "query($n: Int!) { budgets(first: $n) { nodes { id } } }"
    ok = await schema.execute(page, variable_values={"n": 5}, context_value=context)
    assert ok.errors is None
    big = await schema.execute(page, variable_values={"n": 10**6}, context_value=context)
    assert big.errors and "first" in big.errors[0].message
    again = await schema.execute(page, variable_values={"n": 5}, context_value=context)
    assert again.errors is None


def test_asking_whether_there_are_variables_is_remembered_as_such() -> None:
    calls: list[bool] = []

    def check(document: Any, variables: Mapping[str, Any]) -> list[GraphQLError]:
        calls.append(bool(variables))
        return [] if (variables or {}).get("n") != 99 else [GraphQLError("no")]

    remembered = per_document(check)
    document = parse(PAGE)
    remembered(document, {"n": 1, "x": "a"})
    remembered(document, {"n": 1, "x": "b"})  # only x changed: not read
    assert calls == [True]
    remembered(document, {})
    assert calls == [True, False]
    assert remembered(document, {"n": 99})[0].message == "no"
