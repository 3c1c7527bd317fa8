"""Statements per request, counted at the database driver under Tortoise (asyncpg's or
aiosqlite's connection methods), over HTTP against the real app (authentication included).

Counts are not timings: they do not depend on the machine, so they are asserted. The dashboard
must not grow with the number of allocations (no N+1) and stays within 10 statements;
`recordSpend` within 6, authentication included; none of them a pooled connection's reset.
bench/perf/statements.py counts the same requests from PostgreSQL's own log.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import aiosqlite
import asyncpg
import httpx
import pytest
from helpers import both_databases, make_user

from app.models import Allocation
from app.server import create_app
from app.services import allocations, budgets, spending, transfers
from app.settings import Settings
from bench.dashboard import DASHBOARD as BENCH_DASHBOARD

DASHBOARD = """query($id: ID!, $n: Int!) { budget(id: $id) { name amount allocated unallocated
  spent remaining percentUsed status pace dailyDrip
  forecast { burnRatePerDay projectedSpend projectedOverrun }
  allocations(first: $n) { totalCount nodes { id amount spent remaining percentUsed status pace
    dailyDrip runwayDays forecast { burnRatePerDay projectedSpend exhaustionDate }
    project { name } } }
  topSpenders { project { name } spent } timeline { date spent cumulative ideal }
  serviceBreakdown { service amount } } }"""

RECORD = """mutation($p: ID!, $x: String!) { recordSpend(input: {projectId: $p, amount: "0.01",
  service: "openai", externalId: $x}) { __typename ... on SpendRecorded { spend { id } }
  ... on Error { code message } } }"""

_RESET = ("pg_advisory_unlock_all", "RESET ALL", "UNLISTEN *", "CLOSE ALL")
_TXN = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "START TRANSACTION")


@dataclass
class Statements:
    """The SQL sent while counting (a commit or rollback call counts as one statement)."""

    sql: list[str] = field(default_factory=list)
    on: bool = False

    def show(self, what: str) -> None:
        if os.environ.get("ALLOT_SHOW_STATEMENTS"):
            print(f"\n{what}: {len(self)} statements\n{self}")

    def add(self, query: object) -> None:
        if self.on:
            self.sql.append(" ".join(str(query).split()))

    @property
    def resets(self) -> list[str]:
        return [s for s in self.sql if any(r in s for r in _RESET)]

    @property
    def transaction(self) -> list[str]:
        return [s for s in self.sql if s.upper().startswith(_TXN)]

    def __len__(self) -> int:
        return len(self.sql)

    def __str__(self) -> str:
        return "\n".join(f"  {n}. {s[:160]}" for n, s in enumerate(self.sql, 1))


def _wrap(cls: type, name: str, log: Statements, *, many: bool = False) -> Any:
    original = getattr(cls, name)

    async def counted(self: Any, *args: Any, **kwargs: Any) -> Any:
        query = args[0] if args else kwargs.get("query", kwargs.get("sql", name.upper()))
        if many and len(args) > 1:
            for _ in args[1]:
                log.add(query)  # executemany: one statement per row
        else:
            log.add(query)
        return await original(self, *args, **kwargs)

    return counted


@contextlib.contextmanager
def counting() -> Iterator[Statements]:
    """Count every statement asyncpg or aiosqlite is asked to run (not the pool's pings)."""
    log = Statements()
    mp = pytest.MonkeyPatch()
    for name in ("execute", "fetch", "fetchrow", "fetchval"):
        mp.setattr(asyncpg.connection.Connection, name, _wrap(asyncpg.Connection, name, log))
    mp.setattr(
        asyncpg.connection.Connection,
        "executemany",
        _wrap(asyncpg.Connection, "executemany", log, many=True),
    )
    for name in ("execute", "execute_fetchall", "executescript"):
        mp.setattr(aiosqlite.Connection, name, _wrap(aiosqlite.Connection, name, log))
    mp.setattr(
        aiosqlite.Connection,
        "executemany",
        _wrap(aiosqlite.Connection, "executemany", log, many=True),
    )
    for name in ("commit", "rollback"):
        original = getattr(aiosqlite.Connection, name)

        async def txn(self: Any, _original: Any = original, _name: str = name) -> Any:
            if self.in_transaction:  # sqlite3 sends nothing when no transaction is open
                log.add(_name.upper())
            return await _original(self)

        mp.setattr(aiosqlite.Connection, name, txn)
    try:
        yield log
    finally:
        mp.undo()


@pytest.fixture
async def client(admin: Any) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(Settings(), init_database=False, workers=[])
    headers = {"Authorization": f"Bearer {admin[2]}"}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://allot.test", headers=headers
    ) as c:
        yield c


async def _budget(actor: Any, projects: int) -> tuple[str, list[str]]:
    b = await budgets.create_budget(
        actor,
        name="Cloud",
        amount=str(1000 * projects),
        period_kind="GRANT",
        start_date=date(2026, 1, 1),
        end_date=date(2026, 12, 31),
    )
    ids = []
    for n in range(projects):
        p = await budgets.create_project(actor, name=f"Project {n}", slug=f"p{projects}-{n}")
        await allocations.allocate(actor, budget_id=b.id, project_id=p.id, amount="500")
        for k in range(2):
            await spending.record_spend(
                actor,
                spending.SpendInput(
                    project_id=p.id,
                    amount=f"{n + k + 1}.25",
                    service=["openai", "aws-ec2"][k],
                    external_id=f"seed-{n}-{k}",
                ),
            )
        ids.append(f"prj_{p.id}")
    return f"bud_{b.id}", ids


async def _post(client: httpx.AsyncClient, query: str, **variables: Any) -> dict[str, Any]:
    response = await client.post("/graphql", json={"query": query, "variables": variables})
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body["errors"]
    return dict(body["data"])


async def _count(client: httpx.AsyncClient, query: str, **variables: Any) -> Statements:
    await _post(client, query, **variables)  # warm: caches filled, statements prepared
    with counting() as log:
        log.on = True
        await _post(client, query, **variables)
        log.on = False
    return log


@both_databases
async def test_the_dashboard_takes_the_same_few_statements_for_10_or_100_allocations(
    admin: Any, client: httpx.AsyncClient
) -> None:
    actor = admin[1]
    counts = []
    for n in (10, 100):
        budget_id, _ = await _budget(actor, n)
        log = await _count(client, DASHBOARD, id=budget_id, n=n)
        data = await _post(client, DASHBOARD, id=budget_id, n=n)
        assert len(data["budget"]["allocations"]["nodes"]) == n
        assert data["budget"]["allocations"]["totalCount"] == n
        # The seeded spends: (k + 1.25) + (k + 2.25) on project k.
        assert data["budget"]["spent"] == str(n * (n - 1) + 3.5 * n).removesuffix(".0")
        log.show(f"dashboard, {n} allocations")
        assert not log.resets, log
        assert len(log) <= 10, f"{len(log)} statements:\n{log}"
        counts.append(len(log))
    assert counts[0] == counts[1], counts


@both_databases
async def test_the_bench_dashboard_with_transfers_and_owners_stays_within_10_statements(
    admin: Any, client: httpx.AsyncClient
) -> None:
    """bench.perf's full dashboard (bench.dashboard.DASHBOARD): the test's, plus transfers with
    their requesters and the owners. The requesters come with the transfers' page."""
    actor = admin[1]
    counts = []
    for n in (10, 100):
        budget_id, _ = await _budget(actor, n)
        pk = int(budget_id.removeprefix("bud_"))
        for k in range(3):  # applied at once (an admin asks): requester and decider known
            await transfers.request_transfer(
                actor, amount="1", reason=f"top up {k}", budget_id=pk,
                to_allocation_id=(await Allocation.filter(budget_id=pk).first()).id,  # type: ignore[union-attr]
            )  # fmt: skip
        log = await _count(client, BENCH_DASHBOARD, id=budget_id, n=n)
        data = await _post(client, BENCH_DASHBOARD, id=budget_id, n=n)
        edges = data["budget"]["transfers"]["edges"]
        assert [e["node"]["requestedBy"]["name"] for e in edges] == [admin[0].name] * 3
        log.show(f"bench dashboard, {n} allocations")
        assert not log.resets, log
        assert len(log) <= 10, f"{len(log)} statements:\n{log}"
        counts.append(len(log))
    assert counts[0] == counts[1], counts


@both_databases
async def test_record_spend_takes_at_most_6_statements_with_authentication(
    admin: Any, client: httpx.AsyncClient, database_url: str
) -> None:
    _, project_ids = await _budget(admin[1], 2)
    await _post(client, RECORD, p=project_ids[0], x="warm")
    with counting() as log:
        log.on = True
        data = await _post(client, RECORD, p=project_ids[1], x="counted")
        log.on = False
    log.show("recordSpend")
    assert data["recordSpend"]["__typename"] == "SpendRecorded", data
    assert not log.resets, log
    # PostgreSQL: the lookup, then BEGIN, one data-modifying CTE, COMMIT. SQLite (no such CTEs)
    # needs five writes between its BEGIN and COMMIT: six statements of work, eight in all.
    work = len(log) - len(log.transaction)
    assert work <= 6, f"{len(log)} statements:\n{log}"
    if database_url.startswith("postgres"):
        assert len(log) <= 6, f"{len(log)} statements:\n{log}"


@both_databases
async def test_authenticating_a_known_token_costs_no_statement(
    admin: Any, client: httpx.AsyncClient
) -> None:
    await _post(client, "{ viewer { id name } }")
    with counting() as log:
        log.on = True
        await _post(client, "{ viewer { id name } }")
        log.on = False
    log.show("viewer")
    assert len(log) == 0, f"{len(log)} statements:\n{log}"


@both_databases
async def test_a_cached_token_is_refused_at_once_once_revoked(
    admin: Any, client: httpx.AsyncClient
) -> None:
    from app.services import actors

    await _post(client, "{ viewer { id } }")  # cached now
    await actors.revoke_tokens(admin[0].id)
    response = await client.post("/graphql", json={"query": "{ viewer { id } }"})
    assert "errors" in response.json(), response.text


@both_databases
async def test_a_cached_token_loses_a_removed_role_at_once(
    admin: Any, client: httpx.AsyncClient
) -> None:
    from app.domain.access import ProjectRole
    from app.services import actors

    budget_id, project_ids = await _budget(admin[1], 1)
    member, token = await make_user("Mo Member")
    project = int(project_ids[0].split("_")[1])
    await actors.add_project_member(
        admin[1], project_id=project, user_id=member.id, role=ProjectRole.VIEWER
    )
    query = "query($id: ID!) { budget(id: $id) { id } }"
    headers = {"Authorization": f"Bearer {token}"}

    async def sees() -> bool:
        body = {"query": query, "variables": {"id": budget_id}}
        response = await client.post("/graphql", json=body, headers=headers)
        return response.json()["data"]["budget"] is not None

    assert await sees() and await sees()  # the second from the cache
    await actors.remove_project_member(admin[1], project_id=project, user_id=member.id)
    assert not await sees()
    await actors.add_project_member(admin[1], project_id=project, user_id=member.id)
    assert await sees()
