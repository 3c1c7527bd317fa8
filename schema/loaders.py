"""Per-request DataLoaders: one SQL statement per kind of row, however many rows a query shows.

Built fresh for every request in `get_context` (module-level loaders would cache across users).
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from typing import Any, TypeVar

from strawberry.dataloader import DataLoader
from tortoise.expressions import RawSQL
from tortoise.models import Model

from app.models import (
    Allocation,
    Budget,
    BudgetOwner,
    BudgetPeriod,
    Project,
    ProjectMember,
    SpendDaily,
    User,
)

M = TypeVar("M", bound=Model)

#: How many days of history the forecast looks at (see app.domain.forecast).
HISTORY_DAYS = 28


class SharedLoader(DataLoader[Any, Any]):
    """A DataLoader whose results survive a cancelled waiter.

    Many fields await one batched future; when a sibling field fails, graphql-core cancels the
    other pending fields, and a plain `await future` would cancel the shared future itself —
    every other field waiting on it then fails with CancelledError (an escaped 5xx). Each waiter
    gets a shield instead: cancelling it leaves the batch running for the rest.
    """

    def load(self, key: Any) -> Any:  # type: ignore[override]
        return asyncio.shield(super().load(key))


def _by_id(model: type[M]) -> DataLoader[int, M | None]:
    async def load(ids: list[int]) -> list[M | None]:
        rows = {r.pk: r for r in await model.filter(id__in=set(ids))}
        return [rows.get(i) for i in ids]

    return SharedLoader(load_fn=load)


def _grouped(
    fetch: Callable[[list[int]], Any], key: Callable[[Any], int]
) -> DataLoader[int, list[Any]]:
    async def load(ids: list[int]) -> list[list[Any]]:
        groups: dict[int, list[Any]] = defaultdict(list)
        for row in await fetch(ids):
            groups[key(row)].append(row)
        return [groups.get(i, []) for i in ids]

    return SharedLoader(load_fn=load)


#: An open period's spent is the sum of its allocations (app.services.lookup.with_open_spent),
#: read here in the same statement as the periods.
_OPEN_SPENT = RawSQL(
    'CASE WHEN "budget_period"."status" = \'OPEN\' THEN (SELECT CAST(COALESCE('
    'SUM("allocation"."spent_micros"), 0) AS BIGINT) FROM "allocation"'
    ' WHERE "allocation"."period_id" = "budget_period"."id") END'
)


async def _latest_periods(budget_ids: Sequence[int]) -> list[BudgetPeriod]:
    """The current period of each budget: its open one, else its last one (an ended grant),
    an open one's spent summed from its allocations in the same statement."""
    rows = (
        await BudgetPeriod.filter(budget_id__in=set(budget_ids))
        .annotate(open_spent=_OPEN_SPENT)
        .order_by("budget_id", "seq")
    )
    best: dict[int, BudgetPeriod] = {}
    for p in rows:
        bid = p.budget_id  # type: ignore[attr-defined]
        if bid not in best or p.status == "OPEN" or best[bid].status != "OPEN":
            best[bid] = p
    for p in best.values():
        if p.status == "OPEN":
            p.spent_micros = int(p.open_spent or 0)  # type: ignore[attr-defined]
    return list(best.values())


class Loaders:
    def __init__(self, today: date) -> None:
        self.user = _by_id(User)
        self.project = _by_id(Project)
        self.budget = _by_id(Budget)
        self.allocation = _by_id(Allocation)
        self.period = _by_id(BudgetPeriod)
        self.current_period = _grouped(_latest_periods, lambda p: p.budget_id)
        self.allocations_by_project = _grouped(
            lambda ids: Allocation.filter(project_id__in=set(ids)).order_by("id"),
            lambda a: a.project_id,
        )
        self.project_ids_by_budget = _grouped(
            lambda ids: Allocation.filter(budget_id__in=set(ids)).values("budget_id", "project_id"),
            lambda r: r["budget_id"],
        )
        self.owners = _grouped(
            lambda ids: BudgetOwner.filter(budget_id__in=set(ids)).select_related("user"),
            lambda o: o.budget_id,
        )
        self.members = _grouped(
            lambda ids: ProjectMember.filter(project_id__in=set(ids)).select_related("user"),
            lambda m: m.project_id,
        )
        since = today - timedelta(days=HISTORY_DAYS + 7)
        # Daily spend of a project in a budget across periods, keyed (budget id, project id):
        # the forecast of a young period learns from the end of the previous one.
        self.daily_by_envelope = _grouped(
            lambda keys: SpendDaily.filter(
                allocation__budget_id__in={k[0] for k in keys},
                allocation__project_id__in={k[1] for k in keys},
                day__gte=since,
            ).values("allocation__budget_id", "allocation__project_id", "day", "amount_micros"),
            lambda r: (r["allocation__budget_id"], r["allocation__project_id"]),
        )


def daily_series(rows: list[dict[str, Any]]) -> dict[date, int]:
    """Sum roll-up rows (one per service) into one amount per day."""
    out: dict[date, int] = defaultdict(int)
    for r in rows:
        out[r["day"]] += r["amount_micros"]
    return dict(out)
