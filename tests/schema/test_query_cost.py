"""The gate before validation (schema/cost.py, schema/limits.py): an operation's estimated
cost, depth and aliases measured with fragments memoised, lists in the variables and in the
document, repeated fields, and suggestions that leak the schema when introspection is off."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import pytest
from graphql import ExecutionResult, OperationDefinitionNode, get_introspection_query, parse

import bot.operations
import schema.limits as limits_module
from app.models import Budget, Project, Spend, User
from app.services import budgets
from app.settings import Settings
from schema import build_schema
from schema import schema as default_schema
from schema.context import context_for_user
from schema.cost import CAP, _Walker, field_merges, measure_document
from schema.limits import RequestLimits, limit_errors

ROOT = Path(__file__).resolve().parents[2]
GQL = default_schema._schema
LIMITS = RequestLimits.from_settings(Settings())


def fan_out(n: int, leaf: str = "budgets { totalCount }") -> str:
    """`fragment F2 on Query { ...F1 ...F1 }` … `query { ...Fn }`: 2^(n-1) copies of `leaf`."""
    parts = [f"fragment F1 on Query {{ {leaf} }}"]
    parts += [f"fragment F{i} on Query {{ ...F{i - 1} ...F{i - 1} }}" for i in range(2, n + 1)]
    return " ".join([*parts, f"query {{ ...F{n} }}"])


def cost(text: str, **variables: Any) -> int:
    return measure_document(GQL, parse(text), variables).cost


async def run(
    user: User | None, query: str, schema: Any = None, **variables: Any
) -> ExecutionResult:
    context = await context_for_user(user)
    return await (schema or default_schema).execute(
        query, variable_values=variables, context_value=context
    )


def codes(result: ExecutionResult) -> list[str | None]:
    return [(e.extensions or {}).get("code") for e in result.errors or []]


# --- the fan-out ----------------------------------------------------------------------------


async def test_the_fragment_fan_out_is_refused_before_any_validation_rule_without_a_token(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    validated: list[Any] = []
    original = limits_module._validate

    def spy(*args: Any) -> Any:
        validated.append(args[1])
        return original(*args)

    monkeypatch.setattr(limits_module, "_validate", spy)
    document = fan_out(20)
    assert len(document) < 850  # the ~820-character document of the finding

    result = await run(None, document)

    assert result.data is None
    assert codes(result) == ["QUERY_TOO_COMPLEX"]
    (error,) = result.errors or []
    assert "100,000" in error.message and "ALLOT_MAX_QUERY_COST" in error.message
    assert error.extensions and error.extensions["limit"] == Settings().max_query_cost
    assert validated == [], "a validation rule saw the refused document"
    assert (await run(None, "{ __typename }")).data == {"__typename": "Query"}
    assert len(validated) == 1  # the spy does see documents the gate lets through


def test_the_measure_visits_each_fragment_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = 0
    original = _Walker._selection_set

    def counting(self: _Walker, *args: Any) -> Any:
        nonlocal calls
        calls += 1
        return original(self, *args)

    monkeypatch.setattr(_Walker, "_selection_set", counting)
    n = 24  # without the memo this would be 2^23 visits
    document = parse(fan_out(n, "__typename"))
    measured = measure_document(GQL, document)
    assert calls <= 2 * n + 2
    assert measured.cost == 2 ** (n - 1)
    assert field_merges(document) > LIMITS.max_field_merges  # the merged trees collapse too


def test_a_very_long_fan_out_saturates_instead_of_growing_without_bound() -> None:
    measured = measure_document(GQL, parse(fan_out(400)))  # 2^399 copies
    assert measured.cost == CAP


async def test_a_fragment_cycle_terminates_and_graphql_refuses_it() -> None:
    cycle = "fragment A on Query { viewer { name } ...B } fragment B on Query { ...A } { ...A }"
    assert cost(cycle) == 2  # the spread that closes the cycle counts as nothing
    result = await run(None, cycle)
    assert result.data is None and result.errors
    assert all("Cannot spread fragment" in e.message for e in result.errors), result.errors


async def test_an_unknown_fragment_is_a_validation_error_not_an_unexpected_one() -> None:
    result = await run(None, "{ ...Missing }")
    assert [e.message for e in result.errors or []] == ["Unknown fragment 'Missing'."]
    assert "INTERNAL" not in codes(result)


# --- the cost model -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "variables", "expected"),
    [
        # a connection multiplies its sub-selection by first:; its own nodes list does not
        ("{ budgets(first: 10) { nodes { id name } } }", {}, 1 + 10 * (1 + 2)),
        ("{ budgets { totalCount } }", {}, 1 + 50),  # the default page size
        ("query($n: Int) { budgets(first: $n) { totalCount } }", {"n": 7}, 1 + 7),
        ("query($n: Int = 3) { budgets(first: $n) { totalCount } }", {}, 1 + 3),
        ("query($n: Int) { budgets(first: $n) { totalCount } }", {"n": None}, 1 + 50),
        # clamped to the maximum page size: the page-size rule refuses it with its message
        ("{ budgets(first: 100000) { totalCount } }", {}, 1 + 1000),
        ("{ budgets(first: 0) { totalCount } }", {}, 1 + 1),
        # a plain list: 10, or its limit: (given, or the argument's default)
        ('{ budget(id: "b") { owners { name } } }', {}, 1 + (1 + 10)),
        ('{ budget(id: "b") { topSpenders { id } } }', {}, 1 + (1 + 5)),
        ('{ budget(id: "b") { topSpenders(limit: 2) { id } } }', {}, 1 + (1 + 2)),
        # every spread of a fragment counts
        (
            "fragment F on Query { budgets(first: 2) { totalCount } } { ...F ...F }",
            {},
            2 * (1 + 2),
        ),
        ("{ a: budgets(first: 2) { totalCount } b: budgets(first: 3) { totalCount } }", {}, 7),
    ],
)
def test_the_cost_model(query: str, variables: dict[str, Any], expected: int) -> None:
    assert cost(query, **variables) == expected


def _dashboard_documents() -> dict[str, str]:
    """The web app's documents (app/dashboard/queries.js), with the shared error fragment of
    api.js put in as the browser does."""
    api = (ROOT / "app/dashboard/api.js").read_text(encoding="utf-8")
    fragment = re.search(r"export const ERROR_FIELDS = `(.*?)`;", api, re.S).group(1)  # type: ignore[union-attr]
    script = (ROOT / "app/dashboard/queries.js").read_text(encoding="utf-8")
    found = dict(re.findall(r"export const ([A-Z_]+) = `(.*?)`;", script, re.S))
    return {
        f"queries.js {name}": text.replace("${ERROR_FIELDS}", fragment)
        for name, text in found.items()
        if "{" in text
    }


def _bot_documents() -> dict[str, str]:
    documents = {}
    for name, value in vars(bot.operations).items():
        if name.isupper() and isinstance(value, str):
            parsed = parse(value)
            if any(isinstance(d, OperationDefinitionNode) for d in parsed.definitions):
                documents[f"bot.operations.{name}"] = value
    return documents


def _bench_dashboard() -> str:
    module = ast.parse((ROOT / "bench/dashboard.py").read_text(encoding="utf-8"))
    for node in module.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "DASHBOARD":
            return str(ast.literal_eval(node.value))
    raise AssertionError("bench/dashboard.py has no DASHBOARD query")


def test_the_apps_own_documents_pass_the_gate_comfortably() -> None:
    documents = {**_bot_documents(), **_dashboard_documents()}
    assert len([n for n in documents if n.startswith("bot.")]) >= 15
    web_app = {"queries.js BUDGETS", "queries.js BUDGET", "queries.js ALLOCATE_MANY"}
    assert web_app <= documents.keys()
    # The benchmark's dashboard query with allocations(first: 1000).
    documents["bench/dashboard.py DASHBOARD"] = _bench_dashboard()
    for name, text in documents.items():
        variables = {"n": 1000, "id": "bud_1"}
        assert limit_errors(GQL, parse(text), variables, LIMITS) == [], name
        measured = measure_document(GQL, parse(text), variables)
        assert measured.cost <= LIMITS.max_cost // 4, (name, measured.cost)
        assert field_merges(parse(text)) <= 10, name
    # GraphiQL's schema query passes too (introspection is on by default).
    introspection = parse(get_introspection_query(descriptions=True, input_value_deprecation=True))
    assert limit_errors(GQL, introspection, {}, LIMITS) == []


# --- depth and aliases through fragments ----------------------------------------------------


async def test_aliases_are_counted_through_every_spread() -> None:
    sixteen = " ".join(f"v{n}: viewer {{ name }}" for n in range(16))
    result = await run(None, f"fragment A on Query {{ {sixteen} }} {{ ...A ...A }}")
    assert [e.message for e in result.errors or []] == ["32 aliases found. Allowed: 30"]
    assert codes(result) == ["TOO_MANY_ALIASES"]


async def test_depth_is_counted_through_fragments() -> None:
    chain = ["fragment L0 on Budget { id }"]
    chain += [
        f"fragment L{i} on Budget {{ allocations(first: 1) {{ nodes {{ budget {{ ...L{i - 1} }}"
        " } } }"
        for i in range(1, 6)
    ]
    result = await run(None, " ".join([*chain, 'query Deep { budget(id: "b") { ...L5 } }']))
    assert [e.message for e in result.errors or []] == [
        "'Deep' exceeds maximum operation depth of 12"
    ]


# --- lists ----------------------------------------------------------------------------------

RECORD_SPENDS = """mutation($input: RecordSpendsInput!) { recordSpends(input: $input) {
  __typename ... on Error { code message } } }"""


async def test_a_list_in_the_variables_longer_than_the_limit_is_refused_before_coercion(
    admin: tuple[User, Any, str],
) -> None:
    user, actor, _ = admin
    project = await budgets.create_project(actor, name="Batch")
    items = [{"projectId": f"prj_{project.id}", "amount": "1"}] * 10_001
    result = await run(user, RECORD_SPENDS, input={"items": items})
    assert result.data is None
    (error,) = result.errors or []
    assert error.extensions == {"code": "LIST_TOO_LONG", "field": "input.items", "limit": 10_000}
    assert "input.items" in error.message and "10,000" in error.message
    assert await Spend.all().count() == 0


async def test_variables_nested_too_deeply_or_holding_too_much_are_refused() -> None:
    deep: Any = "x"
    for _ in range(40):
        deep = [deep]
    query = "query($a: Decimal) { __typename }"
    result = await run(None, query, a=deep)
    assert codes(result) == ["VARIABLES_TOO_DEEP"]
    assert "nests deeper than 32 levels" in (result.errors or [])[0].message

    small = build_schema(Settings(max_list_items=10))  # at most 100 lists and objects
    wide = {f"k{i}": [[0]] * 10 for i in range(10)}
    result = await run(None, query, small, a=wide)
    assert codes(result) == ["LIST_TOO_LONG"]
    assert "more than 100 lists and objects" in (result.errors or [])[0].message
    within = await run(None, query, small, a=[[0]] * 10)
    assert not {"LIST_TOO_LONG", "VARIABLES_TOO_DEEP"} & set(codes(within))


async def test_a_list_literal_longer_than_the_limit_is_refused(
    admin: tuple[User, Any, str],
) -> None:
    user, _, _ = admin
    small = build_schema(Settings(max_list_items=3))
    mutation = """mutation { createBudget(input: {name: "Lab", amount: "10", periodKind: GRANT,
      startDate: "2026-01-01", endDate: "2026-12-31", alertThresholds: [50, 75, 90, 100]}) {
      __typename } }"""
    result = await run(user, mutation, small)
    assert result.data is None
    (error,) = result.errors or []
    assert error.extensions == {
        "code": "LIST_TOO_LONG",
        "field": "createBudget.input.alertThresholds",
        "limit": 3,
    }
    assert await Budget.all().count() == 0
    three = mutation.replace("90, 100", "90")
    assert (await run(user, three, small)).errors is None


async def test_a_number_of_thousands_of_digits_is_refused_by_name_not_masked() -> None:
    result = await run(None, "{ budgets(first: " + "9" * 5000 + ") { totalCount } }")
    assert [e.message for e in result.errors or []] == [
        "budgets.first is a number of 5,000 characters; at most 100 are allowed."
    ]
    assert codes(result) == ["VALIDATION"]


# --- repeated fields ------------------------------------------------------------------------


def test_field_merges_count_the_pairs_that_share_a_response_name() -> None:
    assert field_merges(parse("{ a: viewer { name } b: viewer { name } }")) == 0
    # viewer twice (1 pair), and the two `name`s merged under it (1 pair)
    assert field_merges(parse("{ viewer { name } viewer { name } }")) == 2
    assert field_merges(parse("fragment V on Query { viewer { id } } { ...V ...V ...V }")) == 6


async def test_a_field_repeated_hundreds_of_times_is_refused_before_validation() -> None:
    # 300 copies cost 600, but graphql-core would compare 44,850 pairs of them (about 1 s).
    result = await run(None, "{ " + "viewer { name } " * 300 + "}")
    assert result.data is None
    assert codes(result) == ["QUERY_TOO_COMPLEX"]
    assert "same fields" in (result.errors or [])[0].message


async def test_what_hides_in_a_definition_that_will_not_run_is_measured_too() -> None:
    # graphql-core validates every definition before it refuses the duplicate or unused ones.
    heavy = "budgets(first: 1000) { nodes { allocations(first: 1000) { totalCount } } }"
    for document in (
        f"fragment A on Query {{ __typename }} fragment A on Query {{ {heavy} }} {{ ...A }}",
        f"fragment Unused on Query {{ {heavy} }} {{ __typename }}",
        f"{{ {heavy} }} {{ __typename }}",  # two anonymous operations
    ):
        assert codes(await run(None, document)) == ["QUERY_TOO_COMPLEX"], document
    repeated = "viewer { name } " * 300
    duplicate = f"fragment A on Query {{ __typename }} fragment A on Query {{ {repeated} }}"
    assert codes(await run(None, duplicate + " { ...A }")) == ["QUERY_TOO_COMPLEX"]


async def test_nested_duplicates_are_refused_although_each_place_repeats_a_field_thrice() -> None:
    inner = "id"
    for _ in range(3):
        inner = ("budget { allocations(first: 1) { nodes { " + inner + " } } } ") * 3
    query = '{ node(id: "alc_1") { ... on Allocation { ' + inner + " } } }"
    assert cost(query) <= LIMITS.max_cost
    assert field_merges(parse(query)) == 1521  # 27 `id`s merged at the bottom, and so on
    result = await run(None, query)
    assert codes(result) == ["QUERY_TOO_COMPLEX"]


# --- suggestions ----------------------------------------------------------------------------


async def test_no_suggestions_name_the_schema_when_introspection_is_off() -> None:
    closed = build_schema(Settings(introspection=False))
    typo = "{ budgetz { totalCount } }"
    enum = "query($s: TransferStatus) { transfers(status: $s) { totalCount } }"

    open_typo = (await run(None, typo)).errors or []
    assert "Did you mean" in open_typo[0].message and "'budgets'" in open_typo[0].message
    open_enum = (await run(None, enum, s="PENDIN")).errors or []
    assert "Did you mean" in open_enum[0].message

    closed_typo = (await run(None, typo, closed)).errors or []
    assert [e.message for e in closed_typo] == ["Cannot query field 'budgetz' on type 'Query'."]
    closed_enum = (await run(None, enum, closed, s="PENDIN")).errors or []
    assert closed_enum and all("Did you mean" not in e.message for e in closed_enum)
    assert all("PENDING" not in e.message for e in closed_enum)


async def test_the_gate_lets_a_project_query_through(admin: tuple[User, Any, str]) -> None:
    user, actor, _ = admin
    await budgets.create_project(actor, name="Through")
    result = await run(user, "{ projects(first: 5) { totalCount nodes { name } } }")
    assert result.errors is None
    assert result.data == {"projects": {"totalCount": 1, "nodes": [{"name": "Through"}]}}
    assert await Project.all().count() == 1
