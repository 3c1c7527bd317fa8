"""Malformed input through GraphQL and the report URLs: always a typed error, never "Unexpected
error" (extensions.code INTERNAL) or an HTTP 500.

Each test's docstring or comment says what today's code (before the input-strictness work) did
with the same input.
"""

from __future__ import annotations

import base64
from datetime import date
from typing import Any

import httpx
import pytest
from graphql import ExecutionResult
from helpers import both_databases

from app.models import User
from app.services import allocations, budgets
from schema import build_schema, ids
from schema import schema as default_schema
from schema.context import context_for_user
from schema.pagination import cursor
from schema.strings import StringInputs

ERRORS = (
    "__typename ... on Error { code message } ... on ValidationError { field rule }"
    " ... on NotFound { ref: field }"
)
CREATE_BUDGET = f"""mutation($amount: Decimal!, $kind: PeriodKind!, $start: Date!, $end: Date,
    $currency: String) {{
  createBudget(input: {{name: "Pool", amount: $amount, periodKind: $kind, startDate: $start,
      endDate: $end, currency: $currency}}) {{
    {ERRORS} ... on BudgetCreated {{ budget {{ id }} }} }}
}}"""
ALLOCATE = f"""mutation($b: ID!, $p: ID!) {{
  allocate(input: {{budgetId: $b, projectId: $p, amount: "1"}}) {{ {ERRORS} }} }}"""
CREATE_PROJECT = f"""mutation($name: String!, $slug: String) {{
  createProject(input: {{name: $name, slug: $slug}}) {{ {ERRORS} }} }}"""


async def run(user: User | None, query: str, schema: Any = None, **variables: Any) -> Any:
    context = await context_for_user(user)
    return await (schema or default_schema).execute(
        query, variable_values=variables, context_value=context
    )


def codes(result: ExecutionResult) -> list[str | None]:
    return [(e.extensions or {}).get("code") for e in result.errors or []]


@pytest.fixture
async def scene(admin: Any) -> dict[str, Any]:
    """A grant and a project, as ids, and the admin user."""
    _, actor, _ = admin
    budget = await budgets.create_budget(
        actor,
        name="Grant",
        amount="1000",
        period_kind="GRANT",
        start_date=date(2026, 1, 1),
        end_date=date(2026, 12, 31),
    )
    project = await budgets.create_project(actor, name="Algo")
    await allocations.allocate(actor, budget_id=budget.id, project_id=project.id, amount="10")
    return {
        "user": admin[0],
        "token": admin[2],
        "budget": ids.encode("Budget", budget.id),
        "project": ids.encode("Project", project.id),
    }


# -- 2. float literals ------------------------------------------------------------------------


async def test_a_float_literal_for_an_amount_is_a_validation_error_saying_how_to_write_it(
    scene: dict[str, Any],
) -> None:
    """Today: `amount: 0.1` is accepted as the literal's text (a budget is created)."""
    result = await run(
        scene["user"],
        """mutation { createBudget(input: {name: "F", amount: 0.1, periodKind: GRANT,
          startDate: "2026-01-01", endDate: "2026-12-31"}) { __typename } }""",
    )
    assert result.data is None
    [error] = result.errors or []
    assert 'write amounts as strings, e.g. "0.10"' in error.message
    assert error.extensions == {"code": "VALIDATION"}
    assert error.locations  # it points at the literal


@pytest.mark.parametrize("literal", ["true", "[1]", "{a: 1}", "GRANT"])
async def test_other_non_number_literals_are_validation_errors_not_masked(
    scene: dict[str, Any], literal: str
) -> None:
    """Today: parse_literal raises ValueError, which graphql-core wraps and AllotErrors masks
    as "Unexpected error"."""
    result = await run(
        scene["user"],
        f'{{ authorizeSpend(projectId: "{scene["project"]}", amount: {literal}) {{ allowed }} }}',
    )
    assert codes(result) == ["VALIDATION"], result.errors
    assert "Decimal literals must be strings" in result.errors[0].message  # type: ignore[index]


async def test_integer_and_string_literals_are_still_amounts(scene: dict[str, Any]) -> None:
    for literal in ("5", '"5.25"'):
        result = await run(
            scene["user"],
            f"""mutation {{ createBudget(input: {{name: "I", amount: {literal},
              periodKind: GRANT, startDate: "2026-01-01", endDate: "2026-12-31"}})
              {{ ... on BudgetCreated {{ budget {{ amount }} }} }} }}""",
        )
        assert result.errors is None, result.errors
        assert result.data["createBudget"]["budget"]["amount"] in ("5", "5.25")  # type: ignore[index]


async def test_a_float_variable_is_refused_by_the_conversion_naming_the_field(
    scene: dict[str, Any],
) -> None:
    """Unchanged (a regression guard): a float variable reaches parse_decimal and is refused."""
    result = await run(
        scene["user"], CREATE_BUDGET, amount=0.1, kind="GRANT", start="2026-01-01", end="2026-12-31"
    )
    payload = result.data["createBudget"]  # type: ignore[index]
    assert (payload["__typename"], payload["field"]) == ("ValidationError", "amount")


# -- 1, 3, 5. amounts, currencies and dates as union members ----------------------------------


@pytest.mark.parametrize("amount", ["1_000", "٣", "１２", " 5 "])
async def test_amount_text_that_is_not_plain_ascii_is_a_validation_error(
    scene: dict[str, Any], amount: str
) -> None:
    """Today: each is accepted (1000, 3, 12 and 5)."""
    result = await run(
        scene["user"], CREATE_BUDGET, amount=amount, kind="GRANT", start="2026-01-01", end=None
    )
    payload = result.data["createBudget"]  # type: ignore[index]
    assert (payload["__typename"], payload["field"]) == ("ValidationError", "amount"), payload


@pytest.mark.parametrize("currency", ["XXX", "XTS", "ZZZ", ""])
async def test_a_code_that_names_no_currency_is_a_validation_error(
    scene: dict[str, Any], currency: str
) -> None:
    """Today: XXX, XTS and ZZZ create a budget in that "currency", and "" one in USD."""
    result = await run(
        scene["user"],
        CREATE_BUDGET,
        amount="10",
        kind="GRANT",
        start="2026-01-01",
        end="2026-12-31",
        currency=currency,
    )
    payload = result.data["createBudget"]  # type: ignore[index]
    assert (payload["__typename"], payload["field"]) == ("ValidationError", "currency"), payload


@pytest.mark.parametrize(
    ("kind", "start", "end", "field"),
    [
        ("MONTHLY", "9999-12-01", None, "startDate"),
        ("QUARTERLY", "1969-12-31", None, "startDate"),
        ("GRANT", "2026-01-01", "9999-12-31", "endDate"),
    ],
)
async def test_dates_outside_1970_to_9000_are_a_validation_error_naming_the_field(
    scene: dict[str, Any], kind: str, start: str, end: str | None, field: str
) -> None:
    """Today: the MONTHLY budget from 9999-12-01 ends as "Unexpected error" (ValueError: year
    10000 is out of range); the others are accepted."""
    result = await run(scene["user"], CREATE_BUDGET, amount="10", kind=kind, start=start, end=end)
    assert result.errors is None, result.errors
    payload = result.data["createBudget"]  # type: ignore[index]
    assert (payload["__typename"], payload["field"]) == ("ValidationError", field), payload


# -- 4. ids and cursors -----------------------------------------------------------------------


async def test_an_id_with_non_ascii_digits_is_a_validation_error_naming_the_argument(
    scene: dict[str, Any],
) -> None:
    """Today: `"²".isdigit()` is true, `int("²")` raises ValueError: "Unexpected error"."""
    result = await run(scene["user"], '{ budget(id: "bud_²") { id } }')
    assert codes(result) == ["VALIDATION"]
    assert result.errors[0].extensions["field"] == "id"  # type: ignore[index]
    mutation = await run(scene["user"], ALLOCATE, b="bud_²", p=scene["project"])
    payload = mutation.data["allocate"]  # type: ignore[index]
    assert (payload["__typename"], payload["field"]) == ("ValidationError", "budgetId")


async def test_node_answers_null_for_an_id_that_cannot_exist(scene: dict[str, Any]) -> None:
    """Today: both end as "Unexpected error" (ValueError, then SQLite's OverflowError)."""
    for ref in ("bud_²", "bud_99999999999999999999", "spd_" + "9" * 5000):
        result = await run(scene["user"], f'{{ node(id: "{ref}") {{ id }} }}')
        assert result.errors is None, (ref, result.errors)
        assert result.data == {"node": None}


@both_databases
@pytest.mark.parametrize("ref", ["bud_99999999999999999999", "bud_2147483648", "2147483648"])
async def test_an_id_beyond_the_key_column_is_not_found_naming_the_field(
    scene: dict[str, Any], ref: str
) -> None:
    """Budget keys are 32-bit IntFields. Today: 2^64-ish ends as "Unexpected error" (SQLite's
    OverflowError), and 2^31 on PostgreSQL too ("value out of int32 range")."""
    mutation = await run(scene["user"], ALLOCATE, b=ref, p=scene["project"])
    assert mutation.errors is None, mutation.errors
    payload = mutation.data["allocate"]  # type: ignore[index]
    assert (payload["__typename"], payload["ref"]) == ("NotFound", "budgetId"), payload
    query = await run(scene["user"], f'{{ budget(id: "{ref}") {{ id }} }}')
    assert query.data == {"budget": None}
    # A coded NOT_FOUND today; nothing once the resolver maps NotFound to null (see the
    # report of the input-strictness work): either way typed, never INTERNAL.
    assert set(codes(query)) <= {"NOT_FOUND"}, query.errors


@both_databases
async def test_a_64_bit_kind_takes_ids_past_2_to_the_31(scene: dict[str, Any]) -> None:
    """Spend keys are BigIntFields: spd_2147483648 is a well-formed id of a missing row."""
    assert ids.decode("spd_2147483648", "Spend", "spendId") == 2**31
    result = await run(scene["user"], '{ node(id: "spd_2147483648") { id } }')
    assert result.errors is None and result.data == {"node": None}


@both_databases
@pytest.mark.parametrize(
    "after",
    [
        cursor(10**23),
        cursor(2**31),  # budgets have 32-bit keys
        base64.urlsafe_b64encode("c:٣".encode()).decode(),
        "not a cursor",
        "Yzo1!!",
    ],
)
async def test_a_cursor_this_api_never_issued_is_a_validation_error(
    scene: dict[str, Any], after: str
) -> None:
    """Today: the cursor for 10^23 ends as "Unexpected error" (OverflowError on SQLite), 2^31
    too on PostgreSQL, and "c:٣" is read as the key 3."""
    result = await run(
        scene["user"], "query($a: String) { budgets(after: $a) { totalCount } }", a=after
    )
    assert codes(result) == ["VALIDATION"], result.errors
    assert result.errors[0].extensions["field"] == "after"  # type: ignore[index]


async def test_a_cursor_the_api_issued_still_pages(scene: dict[str, Any]) -> None:
    result = await run(
        scene["user"], "query($a: String) { budgets(after: $a) { totalCount } }", a=cursor(0)
    )
    assert result.errors is None and result.data == {"budgets": {"totalCount": 1}}


# -- 6. strings: the domain rules and the pre-execution check ---------------------------------


@both_databases
@pytest.mark.parametrize("name", ["a\x00b", "\ud800"])
async def test_unstorable_text_in_a_name_is_a_validation_error_naming_it(
    scene: dict[str, Any], name: str
) -> None:
    """Today: on SQLite the NUL is stored and the lone surrogate ends as "Unexpected error"
    (UnicodeEncodeError in the driver); on PostgreSQL both do. Through GraphQL the string check
    refuses it before execution, naming the argument; the service refuses it too, for every
    other caller (the CLI, imports)."""
    from app.domain.errors import ValidationError
    from app.services import actors, budgets

    result = await run(scene["user"], CREATE_PROJECT, name=name, slug="fine-slug")
    assert result.errors is not None and result.data is None
    assert result.errors[0].extensions["field"] == "createProject.input.name"
    assert result.errors[0].extensions["code"] == "VALIDATION"
    with pytest.raises(ValidationError) as refused:
        await budgets.create_project(
            await actors.load_actor(scene["user"]), name=name, slug="fine-slug"
        )
    assert refused.value.field == "name"


@pytest.fixture
def checked_schema() -> Any:
    """The real schema with `StringInputs` added, as schema/__init__.py is to register it."""
    schema = build_schema()
    schema.extensions = (*schema.extensions, StringInputs)
    return schema


@both_databases
async def test_the_string_check_refuses_a_nul_in_an_argument_no_rule_looks_at(
    scene: dict[str, Any], checked_schema: Any
) -> None:
    """`search` goes through no validation helper. Today (no check): on PostgreSQL the NUL in
    the LIKE pattern ends as "Unexpected error"."""
    literal = await run(
        scene["user"], '{ budgets(search: "a\\u0000") { totalCount } }', checked_schema
    )
    assert literal.data is None
    [error] = literal.errors or []
    assert error.extensions == {
        "code": "VALIDATION",
        "field": "budgets.search",
        "rule": "must not contain NUL characters (\\x00)",
    }
    variable = await run(
        scene["user"],
        "query($s: String) { budgets(search: $s) { totalCount } }",
        checked_schema,
        s="\ud800",
    )
    [error] = variable.errors or []
    assert error.extensions["field"] == "budgets.search"  # type: ignore[index]
    assert error.extensions["variable"] == "$s"  # type: ignore[index]
    assert "lone surrogate" in error.message
    assert "\ud800" not in error.message  # never echoed


async def test_the_string_check_names_the_path_inside_inputs_lists_and_fragments(
    scene: dict[str, Any], checked_schema: Any
) -> None:
    result = await run(
        scene["user"],
        """mutation($i: RecordSpendsInput!) { recordSpends(input: $i) { __typename } }""",
        checked_schema,
        i={
            "items": [
                {"projectId": scene["project"], "amount": "1", "service": "aws"},
                {"projectId": scene["project"], "amount": "1", "service": "x\x00"},
            ]
        },
    )
    [error] = result.errors or []
    assert error.extensions["field"] == "recordSpends.input.items[1].service"  # type: ignore[index]
    assert error.extensions["variable"] == "$i.items[1].service"  # type: ignore[index]
    fragment = await run(
        scene["user"],
        """{ budgets { nodes { ...B } } }
        fragment B on Budget { allocations(after: "\\u0000") { totalCount } }""",
        checked_schema,
    )
    assert [e.extensions["field"] for e in fragment.errors or []] == ["...B.allocations.after"]  # type: ignore[index]


async def test_the_string_check_lets_ordinary_text_through(
    scene: dict[str, Any], checked_schema: Any
) -> None:
    result = await run(
        scene["user"], CREATE_PROJECT, checked_schema, name="Café 🎉\nLab", slug="cafe-lab"
    )
    assert result.errors is None
    assert result.data["createProject"]["__typename"] == "ProjectCreated"  # type: ignore[index]


async def test_the_string_check_works_wherever_it_is_listed(scene: dict[str, Any]) -> None:
    """Listed first (before validation has run), it checks at the start of execution."""
    schema = build_schema()
    schema.extensions = (StringInputs, *schema.extensions)
    result = await run(scene["user"], CREATE_PROJECT, schema, name="a\x00", slug="s")
    assert result.data is None
    assert [e.extensions["field"] for e in result.errors or []] == ["createProject.input.name"]  # type: ignore[index]


# -- 7. the report URLs -----------------------------------------------------------------------


@pytest.fixture
def http() -> Any:
    from app.server import create_app
    from app.settings import get_settings

    app = create_app(get_settings(), init_database=False, workers=[])
    # An exception through Starlette becomes the 500 a real server would send.
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://allot.test")


@both_databases
@pytest.mark.parametrize(
    "ref", ["bud_99999999999999999999", "bud_2147483648", "bud_²", "99999999999999999999"]
)
@pytest.mark.parametrize("file", ["spend.csv", "summary.pdf"])
async def test_a_report_of_a_budget_that_cannot_exist_is_404_with_a_json_body(
    scene: dict[str, Any], http: Any, ref: str, file: str
) -> None:
    """Today: HTTP 500 (OverflowError on SQLite for 10^20; int32 overflow on PostgreSQL for
    2^31; ValueError for "²")."""
    async with http as client:
        response = await client.get(
            f"/reports/{ref}/{file}", headers={"Authorization": f"Bearer {scene['token']}"}
        )
    assert response.status_code == 404, response.text
    assert response.json()["error"]["code"] == "NOT_FOUND"
    assert response.json()["error"]["message"].startswith("Budget ")


@pytest.mark.parametrize("period", ["²", "٣", "99999999999999999999", "2147483648"])
async def test_a_period_number_no_period_can_have_is_400_naming_period(
    scene: dict[str, Any], http: Any, period: str
) -> None:
    """Today: HTTP 500 ("²".isdigit() then int() fails; 10^20 overflows the column)."""
    async with http as client:
        response = await client.get(
            f"/reports/{scene['budget']}/spend.csv",
            params={"period": period},
            headers={"Authorization": f"Bearer {scene['token']}"},
        )
    assert response.status_code == 400, response.text
    assert response.json()["error"]["field"] == "period"


async def test_a_cancelled_field_does_not_cancel_the_batch_its_siblings_wait_for(database) -> None:
    """graphql-core cancels pending sibling fields when one fails; a shared DataLoader future
    must survive that, or every other field waiting on it ends as an escaped CancelledError."""
    import asyncio

    from schema.loaders import SharedLoader

    started = asyncio.Event()

    async def slow(keys: list[int]) -> list[int]:
        started.set()
        await asyncio.sleep(0.05)
        return [k * 2 for k in keys]

    loader = SharedLoader(load_fn=slow)
    doomed = asyncio.ensure_future(loader.load(1))
    survivor = asyncio.ensure_future(loader.load(1))
    await started.wait()
    doomed.cancel()
    assert await survivor == 2
