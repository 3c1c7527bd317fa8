"""Fuzz the whole GraphQL schema with schemathesis: no input may end as a 5xx or a masked error.

Every Query and Mutation field is an operation; schemathesis (through hypothesis-graphql) writes
documents for it with random arguments and random selections, both well-typed ("positive") and
ill-typed ("negative"). They are sent to the real Starlette app (`app.server.create_app`) over
ASGI, against a migrated SQLite database holding the demo data: each document as an admin (to
reach deep code: services, the ledger, forecasts) and unauthenticated, and once more as the
admin with its arguments moved into variables (how real clients send them; only variables can
carry a lone surrogate, and they reach the scalars' `parse_value` instead of `parse_literal`).

An expected failure is typed: a union member, a coded error (`VALIDATION`, `NOT_FOUND`, …) or a
GraphQL validation error. A masked error (`extensions.code == "INTERNAL"`, "Unexpected error
(request id …)") is a bug, and so is any HTTP 5xx: this test fails on either, and lists each
distinct one with the exception, the line of our code it came from (from the traceback that
`schema.AllotErrors` logs) and the smallest request that triggered it.

The run is bounded and seeded: documents are generated first (hypothesis, fixed seed, generation
phase only, no example database), then sent in order. `ALLOT_FUZZ_EXAMPLES` (per operation and
mode; default 10: about 900 documents, 2,700 requests, 1-2 minutes on 2 cores) and
`ALLOT_FUZZ_SEED` change the run; `ALLOT_FUZZ_SECONDS` (default 180) caps the sending time so
`make test` stays within minutes even on a loaded machine. For a deeper run:
`ALLOT_FUZZ_EXAMPLES=80 ALLOT_FUZZ_SECONDS=1500 pytest tests/fuzz -s` (about 18,000 requests).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
import traceback
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import graphql
import httpx
import pytest
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

from app.services import demo
from app.settings import get_settings

pytestmark = pytest.mark.slow

EXAMPLES = int(os.environ.get("ALLOT_FUZZ_EXAMPLES", "10"))
SEED = int(os.environ.get("ALLOT_FUZZ_SEED", "20260315"))
SECONDS = float(os.environ.get("ALLOT_FUZZ_SECONDS", "180"))
FUZZ_NOW = datetime(2026, 5, 15, 12, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[2]
OUR_CODE = tuple(str(ROOT / d) for d in ("app", "schema", "bot"))


#: Private-use stand-ins for lone surrogates in generated text, swapped for the real thing in
#: variable values (a JSON body carries "\\ud800"; a GraphQL document cannot).
SURROGATES = {"\ue000": "\ud800", "\ue001": "\udfff"}


def _hostile_text() -> st.SearchStrategy[str]:
    """Text that real clients do send by mistake and that broke Allot before."""
    return st.sampled_from(
        [
            "",
            " ",
            "\x00",
            "a\x00b",
            # Lone surrogates, as stand-ins (see SURROGATES): a document cannot carry them, the
            # lexer refuses them; they are put back when the value travels as a variable.
            "\ue000",
            "x\ue001",
            "٣",
            "１２",
            "²",
            "1_000",
            " 5 ",
            "NaN",
            "Infinity",
            "1e400",
            "-0",
            "9" * 30,
            "bud_²",
            "bud_99999999999999999999",
            "bud_2147483648",
            "prj_9223372036854775808",
            "Y29ycnVwdA==",
            "XXX",
            "ZZZ",
            "9999-12-01",
            "0001-01-01",
            "USD",
            "America/New_York",
            "genomics",
            # Cursors: one the API could issue, one for 10^23, one that is not base64 text.
            "Yzo1",
            "YzoxMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDA=",
            "Yzrfsg==",
        ]
    )


@dataclass
class Finding:
    """One distinct failure: where it comes from and the smallest input that triggered it."""

    kind: str  # "masked" or "5xx"
    where: str
    error: str
    inputs: list[str] = field(default_factory=list)
    count: int = 0

    def add(self, request: str) -> None:
        self.count += 1
        self.inputs.append(request)

    def smallest(self) -> str:
        return min(self.inputs, key=len)


class _Captured(logging.Handler):
    """Keeps the tracebacks `schema.AllotErrors` logs for unexpected errors, by request id."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.by_request: dict[str, list[BaseException]] = {}

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info and record.exc_info[1] is not None and record.args:
            self.by_request.setdefault(str(record.args[0]), []).append(record.exc_info[1])

    def take(self, request_id: object) -> BaseException | None:
        """The next logged exception of a request: one response may carry several."""
        logged = self.by_request.get(str(request_id)) or []
        return logged.pop(0) if logged else None


def _origin(exc: BaseException) -> str:
    """`path:line in function` of the innermost frame of our code, and the exception type."""
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if f.filename.startswith(OUR_CODE)]
    frame = (ours or frames or [None])[-1]
    if frame is None:
        return type(exc).__name__
    path = os.path.relpath(frame.filename, ROOT)
    return f"{path}:{frame.lineno} in {frame.name}"


def _weighted(*choices: tuple[int, st.SearchStrategy[Any]]) -> st.SearchStrategy[Any]:
    """`one_of` with weights: a branch listed n times is drawn n times as often."""
    return st.one_of(*(strategy for weight, strategy in choices for _ in range(weight)))


#: Words the API knows: a string argument that is plausible, so that the request gets past its
#: other arguments' checks and into the code behind them.
WORDS = [
    "aws",
    "aws-ec2",
    "genomics",
    "gpt-4o",
    "input_token",
    "output_token",
    "hour",
    "tag",
    "service",
    "sub_account",
    "project",
    "USD",
    "EUR",
    "UTC",
    "America/New_York",
    "postdoc",
    "default",
    "current",
    "all",
    "ada@example.org",
    "U0123",
]


@pytest.fixture
def custom_scalars(ids: dict[str, list[str]]) -> Iterator[None]:
    """Strategies for every scalar, mostly plausible and sometimes hostile.

    Mostly plausible, because an input with one bad argument gets past the others' checks and
    reaches the code behind them, where masked errors live; sometimes hostile (`_hostile_text`,
    floats for amounts, extreme integers), because that is what the fuzz is for. `ID` is
    overridden too: random text would never name a row, so most ids are real ones harvested
    from the seeded database. hypothesis-graphql's own text is UTF-8-clean; real clients also
    send lone surrogates and NULs (see SURROGATES).
    """
    from schemathesis.graphql import nodes
    from schemathesis.specs.graphql.scalars import CUSTOM_SCALARS

    real_ids = [i for values in ids.values() for i in values]
    hostile = _hostile_text().map(nodes.String)
    decimals = _weighted(
        (
            5,
            st.decimals(min_value=-(10**6), max_value=10**6, places=2).map(
                lambda d: nodes.String(str(d))
            ),
        ),
        (2, st.sampled_from(["0", "12.50", "0.000123", "1", "100", ".5", "5."]).map(nodes.String)),
        (1, st.integers(min_value=-(10**25), max_value=10**25).map(nodes.Int)),
        (1, st.floats(allow_nan=False, allow_infinity=False).map(nodes.Float)),
        (1, st.decimals(allow_nan=False, allow_infinity=False).map(lambda d: nodes.String(str(d)))),
        (1, hostile),
    )
    dates = _weighted(
        (5, st.dates(date(2024, 1, 1), date(2028, 12, 31)).map(lambda d: nodes.String(str(d)))),
        (1, st.dates().map(lambda d: nodes.String(d.isoformat()))),
        (1, hostile),
    )
    datetimes = _weighted(
        (
            5,
            st.datetimes(datetime(2025, 1, 1), datetime(2026, 6, 30), timezones=st.just(UTC)).map(
                lambda d: nodes.String(d.isoformat())
            ),
        ),
        (1, st.datetimes(timezones=st.just(UTC)).map(lambda d: nodes.String(d.isoformat()))),
        (1, st.datetimes().map(lambda d: nodes.String(d.isoformat()))),
        (1, hostile),
    )
    json_values = st.recursive(
        st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=8)),
        lambda inner: st.one_of(
            st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=5), inner, max_size=3)
        ),
        max_leaves=6,
    ).map(lambda v: nodes.String(json.dumps(v)))
    id_values = _weighted(
        (6, st.sampled_from(real_ids).map(nodes.String)),
        (1, hostile),
        (1, st.text(max_size=10).map(nodes.String)),
        (1, st.integers(min_value=-(2**31), max_value=2**31 - 1).map(nodes.Int)),
    )
    ints = _weighted(
        (6, st.integers(min_value=0, max_value=20).map(nodes.Int)),
        (1, st.sampled_from([-1, 1000, 1001, 2**31 - 1, -(2**31)]).map(nodes.Int)),
        (1, st.integers(min_value=-(2**31), max_value=2**31 - 1).map(nodes.Int)),
    )
    strings = _weighted(
        (3, st.sampled_from(WORDS).map(nodes.String)),
        (2, st.text(max_size=20).map(nodes.String)),
        (1, hostile),
    )
    added = {
        "Decimal": decimals,
        "Date": dates,
        "DateTime": datetimes,
        "JSON": json_values,
        "ID": id_values,
        "Int": ints,
        "String": strings,
    }
    saved = dict(CUSTOM_SCALARS)
    CUSTOM_SCALARS.update(added)
    yield
    CUSTOM_SCALARS.clear()
    CUSTOM_SCALARS.update(saved)


@pytest.fixture
async def seeded(database: str, fixed_clock: list[datetime]) -> str:
    """The demo data (a grant, a lab quarter, a class) and the admin's API token.

    The demo's dates run to April 2026, so the clock is pinned a month after them.
    """
    fixed_clock[0] = FUZZ_NOW
    loaded, token = await demo.load()
    assert loaded and token
    return token


@pytest.fixture
async def ids(seeded: str) -> dict[str, list[str]]:
    from app.models import (
        Alert,
        Allocation,
        Budget,
        BudgetPeriod,
        Project,
        Rate,
        RateCard,
        Reservation,
        RoutingRule,
        Spend,
        TransferRequest,
        UnassignedSpend,
        User,
    )
    from schema import ids as gids

    kinds = {
        "Budget": Budget,
        "Project": Project,
        "Allocation": Allocation,
        "Spend": Spend,
        "Transfer": TransferRequest,
        "User": User,
        "Alert": Alert,
        "BudgetPeriod": BudgetPeriod,
        "Reservation": Reservation,
        "RoutingRule": RoutingRule,
        "UnassignedSpend": UnassignedSpend,
        "RateCard": RateCard,
        "Rate": Rate,
    }
    out: dict[str, list[str]] = {}
    for kind, model in kinds.items():
        pks = await model.all().order_by("id").limit(5).values_list("id", flat=True)
        out[kind] = [gids.encode(kind, int(pk)) for pk in pks] or [gids.encode(kind, 1)]
    return out


def _with_surrogates(value: Any) -> Any:
    """A variable value with the stand-ins of SURROGATES replaced by lone surrogates."""
    if isinstance(value, str):
        for mark, surrogate in SURROGATES.items():
            value = value.replace(mark, surrogate)
        return value
    if isinstance(value, list):
        return [_with_surrogates(v) for v in value]
    if isinstance(value, dict):
        return {k: _with_surrogates(v) for k, v in value.items()}
    return value


def as_variables(document: str, schema: graphql.GraphQLSchema) -> dict[str, Any] | None:
    """The same operation with every field argument (at any depth, fragments included) passed
    as a variable, the way the bot, the dashboard and most clients send them: the values reach
    `parse_value`, not `parse_literal`, and may hold what no document can (lone surrogates).
    None if the document does not parse or has no argument."""
    try:
        ast = graphql.parse(document)
    except graphql.GraphQLError:
        return None
    type_info = graphql.TypeInfo(schema)
    definitions: list[graphql.VariableDefinitionNode] = []
    values: dict[str, Any] = {}

    class Hoist(graphql.Visitor):
        def enter_argument(self, node: graphql.ArgumentNode, *_: Any) -> Any:
            argument = type_info.get_argument()
            if argument is None or isinstance(node.value, graphql.VariableNode):
                return None
            name = f"v{len(definitions)}"
            variable = graphql.VariableNode(name=graphql.NameNode(value=name))
            definitions.append(
                graphql.VariableDefinitionNode(
                    variable=variable, type=graphql.parse_type(str(argument.type))
                )
            )
            values[name] = _with_surrogates(graphql.value_from_ast_untyped(node.value))
            return graphql.ArgumentNode(name=node.name, value=variable)

    edited = graphql.visit(ast, graphql.TypeInfoVisitor(type_info, Hoist()))
    operations = [d for d in edited.definitions if isinstance(d, graphql.OperationDefinitionNode)]
    if not definitions or len(operations) != 1:
        return None
    [operation] = operations
    rewritten = graphql.OperationDefinitionNode(
        operation=operation.operation,
        name=operation.name,
        variable_definitions=(*(operation.variable_definitions or ()), *definitions),
        directives=operation.directives,
        selection_set=operation.selection_set,
    )
    others = tuple(d for d in edited.definitions if d is not operation)
    query = graphql.print_ast(graphql.DocumentNode(definitions=(rewritten, *others)))
    return {"query": query, "variables": values}


def _outcome(body: dict[str, Any]) -> str:
    """How far a request got: refused before execution, executed with errors, or clean."""
    if body.get("data") is None:
        return "refused before execution"
    if body.get("errors"):
        codes = {str((e.get("extensions") or {}).get("code")) for e in body["errors"]}
        return "executed with errors " + "/".join(sorted(codes))
    return "executed cleanly"


def _draw(strategy: st.SearchStrategy[Any]) -> list[str]:
    """EXAMPLES documents from a case strategy: seeded, generation only, nothing stored."""
    drawn: list[str] = []

    @seed(SEED)
    @settings(
        max_examples=EXAMPLES,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def draw(case: Any) -> None:
        drawn.append(case.body)

    draw()
    return list(dict.fromkeys(drawn))


def _generate(schema: Any) -> list[tuple[str, str]]:
    """(operation label, document) pairs: EXAMPLES positive and EXAMPLES negative per operation."""
    from schemathesis.core.control import SkipTest
    from schemathesis.generation import GenerationMode

    documents: list[tuple[str, str]] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                drawn = _draw(operation.as_strategy(generation_mode=mode))
            except SkipTest:  # no argument to make invalid in negative mode
                continue
            documents += [(operation.label, d) for d in drawn]
    return documents


def _requests(
    documents: list[tuple[str, str]], schema: graphql.GraphQLSchema, token: str
) -> list[tuple[str, str, dict[str, str], dict[str, Any]]]:
    """(label, caller, headers, JSON body) in order: each document as written, as the admin
    and unauthenticated; then, as the admin, with its arguments as variables."""
    admin = {"Authorization": f"Bearer {token}"}
    out = []
    for label, document in documents:
        out.append((label, "admin", admin, {"query": document}))
        out.append((label, "anonymous", {}, {"query": document}))
        hoisted = as_variables(document, schema)
        if hoisted is not None:
            out.append((label, "admin, variables", admin, hoisted))
    return out


def _shown(payload: dict[str, Any]) -> str:
    """A request as a report line: the document, and the variables JSON-escaped."""
    text = payload["query"]
    if payload.get("variables"):
        text += "\n  variables: " + json.dumps(payload["variables"])[:400]
    return text


async def test_no_input_ends_as_a_5xx_or_a_masked_error(
    seeded: str, custom_scalars: None, capsys: pytest.CaptureFixture[str]
) -> None:
    import schemathesis

    from app.server import create_app

    app = create_app(get_settings(), init_database=False, workers=[])
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=True)
    handler = _Captured()
    graphql_logger = logging.getLogger("allot.graphql")
    graphql_logger.addHandler(handler)
    # Thousands of refused documents would flood the captured log: keep only our handler.
    graphql_logger.propagate = False
    strawberry_logger = logging.getLogger("strawberry.execution")
    strawberry_logger.disabled = True
    findings: dict[tuple[str, str, str], Finding] = {}
    sent = masked = server_errors = 0
    outcomes: Counter[str] = Counter()
    started = time.monotonic()

    def found(kind: str, where: str, what: str, caller: str, payload: dict[str, Any]) -> None:
        key = (kind, where, what)
        findings.setdefault(key, Finding(*key)).add(f"[{caller}] {_shown(payload)}")

    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://allot.test") as client:
            introspection = await client.post(
                "/graphql",
                json={"query": graphql.get_introspection_query()},
                headers={"Authorization": f"Bearer {seeded}"},
            )
            schema = schemathesis.graphql.from_dict(introspection.json())
            documents = _generate(schema)
            requests = _requests(documents, schema.client_schema, seeded)
            for label, caller, headers, payload in requests:
                if time.monotonic() - started > SECONDS:
                    break
                sent += 1
                try:
                    # json.dumps escapes lone surrogates (httpx's encoder would refuse them),
                    # so the server receives exactly the text that was drawn.
                    response = await client.post(
                        "/graphql",
                        content=json.dumps(payload).encode(),
                        headers={**headers, "Content-Type": "application/json"},
                    )
                except (Exception, asyncio.CancelledError) as exc:
                    # An exception through Starlette: a 500 (or, for a CancelledError raised
                    # inside the app, a dropped connection). ASGITransport runs the app in this
                    # task, so a cancellation of the test itself must still stop it.
                    task = asyncio.current_task()
                    if isinstance(exc, asyncio.CancelledError) and task and task.cancelling():
                        raise
                    server_errors += 1
                    found(
                        "5xx", _origin(exc), f"{type(exc).__name__}: {exc}"[:200], caller, payload
                    )
                    continue
                if response.status_code >= 500:
                    server_errors += 1
                    found("5xx", label, f"HTTP {response.status_code}", caller, payload)
                    continue
                try:
                    body = response.json()
                except ValueError:
                    body = {"errors": [{"message": "not JSON", "extensions": {"code": "INTERNAL"}}]}
                outcomes[f"{caller}: {_outcome(body)}"] += 1
                for error in body.get("errors") or []:
                    extensions = error.get("extensions") or {}
                    if extensions.get("code") != "INTERNAL":
                        continue
                    masked += 1
                    exc = handler.take(extensions.get("requestId"))
                    where = _origin(exc) if exc else label
                    what = f"{type(exc).__name__}: {exc}"[:200] if exc else error["message"]
                    found("masked", where, what, caller, payload)
    finally:
        graphql_logger.removeHandler(handler)
        graphql_logger.propagate = True
        strawberry_logger.disabled = False

    report = [
        f"fuzz: {len(documents)} documents, {sent} requests, {masked} masked errors, "
        f"{server_errors} 5xx, {len(findings)} distinct, {time.monotonic() - started:.0f} s",
        *(f"  {k}: {v}" for k, v in sorted(outcomes.items())),
    ]
    for f in sorted(findings.values(), key=lambda f: (f.kind, f.where)):
        report.append(f"- {f.kind} x{f.count} at {f.where}: {f.error}\n    {f.smallest()[:900]}")
    with capsys.disabled():
        print("\n" + "\n".join(report))
    assert not findings, "\n".join(report)
