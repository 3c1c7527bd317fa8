"""A real Allot server for the integration tests, one per module (starting uvicorn and
migrating costs seconds), and an admin's GraphQL helpers to arrange budgets and projects.
conftest.py registers the fixture; import the helpers from here, never from a conftest.

The server is started as tests/e2e/live.py does (the CLI migrates and creates the admin, then
uvicorn serves on a free loopback port), with that module's helpers. Each test funds its own
project in a shared budget, so tests do not see each other's money.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from e2e.live import ROOT, LiveServer, allot, free_port

# Before anything imports litellm: its bundled price map instead of fetching one at import,
# and its bundled copies of anything else it would fetch by itself (tokenizers, catalogs).
os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
os.environ["LITELLM_OFFLINE_MODE"] = "true"


def _start(path: Path) -> tuple[subprocess.Popen[str], LiveServer]:
    env = {
        **os.environ,
        "ALLOT_DATABASE_URL": f"sqlite://{path / 'live.db'}",
        "ALLOT_RUN_WORKERS": "false",
    }
    migrated = allot(env, "migrate")
    assert migrated.returncode == 0, migrated.stderr
    created = allot(
        env, "users", "create", "--name", "Ada", "--email", "ada@example.org", "--admin"
    )
    assert created.returncode == 0, created.stderr
    found = re.search(r"API token \(shown once\): (\S+)", created.stdout)
    assert found is not None, created.stdout
    port = free_port()
    # A file, not a pipe: nobody reads the pipe while tests run, and a full one blocks uvicorn.
    log = (path / "server.log").open("w")
    proc = subprocess.Popen(
        [
            *(sys.executable, "-m", "uvicorn", "app.main:create", "--factory"),
            *("--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"),
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    log.close()  # the child has its own descriptor
    server = LiveServer(url=f"http://127.0.0.1:{port}", token=found.group(1), env=env)
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{server.url}/healthz", timeout=1).status_code == 200:
                return proc, server
        except httpx.TransportError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"server did not start: {(path / 'server.log').read_text()}")
        time.sleep(0.1)


@dataclass
class Allot:
    """The admin's view of the live server: arrange money, read it back exactly."""

    server: LiveServer
    budget_id: str

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def token(self) -> str:
        return self.server.token

    def mutate(self, field: str, success: str, selection: str, **input: Any) -> dict[str, Any]:
        kind = f"{field[0].upper()}{field[1:]}Input"
        query = (
            f"mutation($input: {kind}!) {{ {field}(input: $input) {{ __typename "
            f"... on {success} {{ {selection} }} ... on Error {{ code message }} }} }}"
        )
        result = self.server.graphql(query, input=input)[field]
        assert result["__typename"] == success, result
        return result  # type: ignore[no-any-return]

    def project(self, allocation: Decimal | str | None = "100") -> str:
        """A new project, funded with `allocation` in the shared budget (None: not funded)."""
        slug = f"p-{uuid.uuid4().hex[:10]}"
        project = self.mutate("createProject", "ProjectCreated", "project { id }", name=slug)
        project_id: str = project["project"]["id"]
        if allocation is not None:
            self.mutate(
                "allocate",
                "AllocationSet",
                "allocation { id }",
                budgetId=self.budget_id,
                projectId=project_id,
                amount=str(allocation),
            )
        return project_id

    def spend(self, project_id: str, amount: str) -> None:
        self.mutate(
            "recordSpend", "SpendRecorded", "spend { id }", projectId=project_id, amount=amount
        )

    def user(self, name: str) -> tuple[str, str]:
        """(user id, API token) of a new user with no rights."""
        email = f"{name}-{uuid.uuid4().hex[:6]}@example.org"
        made = self.mutate("createUser", "UserCreated", "user { id } token", name=name, email=email)
        return made["user"]["id"], made["token"]

    def member(self, project_id: str, user_id: str, role: str = "MEMBER") -> None:
        self.mutate(
            "addProjectMember",
            "ProjectMemberAdded",
            "ok",
            projectId=project_id,
            userId=user_id,
            role=role,
        )

    def rate(self, service: str, unit: str, price: str) -> None:
        self.mutate(
            "setRate",
            "RateSet",
            "changed",
            card=f"test-{uuid.uuid4().hex[:6]}",
            service=service,
            unit=unit,
            price=price,
            effectiveFrom=(datetime.now(UTC).date() - timedelta(days=1)).isoformat(),
        )

    def allocation(self, project_id: str) -> dict[str, Decimal]:
        """The project's one envelope: amount, spent, remaining, held (exact)."""
        data = self.server.graphql(
            "query($id: ID!) { project(id: $id) { allocations { amount spent remaining held } } }",
            id=project_id,
        )
        (envelope,) = data["project"]["allocations"]
        return {key: Decimal(value) for key, value in envelope.items()}

    def spends(self, project_id: str) -> list[dict[str, Any]]:
        data = self.server.graphql(
            "query($id: ID!) { project(id: $id) { allocations { spends(first: 100) { nodes {"
            " id amount service description externalId source } } } } }",
            id=project_id,
        )
        (envelope,) = data["project"]["allocations"]
        return list(envelope["spends"]["nodes"])


@pytest.fixture(scope="module")
def live_allot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Allot]:
    proc, server = _start(tmp_path_factory.mktemp("allot-live"))
    try:
        today = datetime.now(UTC).date()
        world = Allot(server=server, budget_id="")
        budget = world.mutate(
            "createBudget",
            "BudgetCreated",
            "budget { id }",
            name="Integrations",
            amount="1000000",
            periodKind="GRANT",
            startDate=(today - timedelta(days=30)).isoformat(),
            endDate=(today + timedelta(days=365)).isoformat(),
            timezone="UTC",
        )
        world.budget_id = budget["budget"]["id"]
        yield world
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def closed_port_url() -> str:
    """A loopback URL nothing listens on: connections are refused at once (no network)."""
    return f"http://127.0.0.1:{free_port()}"
