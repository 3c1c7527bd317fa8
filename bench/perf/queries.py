"""The GraphQL documents the harness sends, and the request bodies built from them.

The floor app (bench/perf/floor_app.py) answers the same bodies with the same JSON, so one
load-generator spec serves both; `@N@` and `@P@` are filled in by bench/perf/_load.py.
"""

from __future__ import annotations

import json

from bench.dashboard import DASHBOARD

#: Goal 1: budget totals plus, per allocation, id, amount, spent and project name.
LIST = """query($id: ID!, $n: Int!) { budget(id: $id) { amount allocated unallocated spent
  remaining allocations(first: $n) { nodes { id amount spent project { name } } } } }"""

RECORD = """mutation($p: ID!, $a: Decimal!, $x: String!) { recordSpend(input: {projectId: $p,
  amount: $a, service: "bench-http", externalId: $x}) { __typename
  ... on SpendRecorded { duplicate spend { id amount } } ... on Error { code message } } }"""

AUTHORIZE = """query($p: ID!, $a: Decimal!) { authorizeSpend(projectId: $p, amount: $a) {
  allowed reason remaining dailyAllowance } }"""

RESERVE = """mutation($p: ID!, $a: Decimal!) { reserveSpend(input: {projectId: $p, amount: $a,
  ttlSeconds: 3600}) { __typename ... on SpendReserved { duplicate reservation { id amount
  status } } ... on Error { code message } } }"""

__all__ = ["AUTHORIZE", "DASHBOARD", "LIST", "RECORD", "RESERVE", "body"]


def body(query: str, **variables: object) -> str:
    """A request body; string variables may hold the load generator's placeholders."""
    return json.dumps({"query": query, "variables": variables})


def read_body(budget_id: str, allocations: int, *, full: bool) -> str:
    return body(DASHBOARD if full else LIST, id=budget_id, n=allocations)


def spend_body(run: str) -> str:
    """recordSpend of 0.01 on the next project, with an externalId unique to this run."""
    return body(RECORD, p="@P@", a="0.01", x=f"{run}-@N@")
