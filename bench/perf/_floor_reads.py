"""The floor's reads: the per-allocation list and the full dashboard, as raw SQL plus the pure
domain functions (app.domain: forecast, pacing, status), returning the JSON Allot returns.

The dashboard is nine statements: the token, the budget with its periods and the owner check,
the page of allocations with their projects (and the total count as a window), the daily
spend of every envelope over the forecast window, the period's days, its services, the top
spenders, the transfers (first 50, as Allot's default page) and the owners. It serves the
owner's view (the bench's token is the budget's owner); anyone else gets an error.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import Any

from app.domain import forecast as domain_forecast
from app.domain.pacing import daily_drip
from app.domain.periods import PeriodBounds, local_date
from app.domain.status import percent_used, status_band
from bench.perf._floor_db import Conn, Row, authenticate, day, money, pk

#: The forecast's look-back (schema.loaders.HISTORY_DAYS + 7).
HISTORY_DAYS = 35
#: Allot's default page (schema.pagination.DEFAULT_PAGE), used for `transfers`.
DEFAULT_PAGE = 50


class Refused(Exception):
    """No token, or not an owner of the budget."""


async def _budget(conn: Conn, auth: str | None, budget_id: str) -> Row:
    """The current period (the open one, else the last) with the budget's name and zone."""
    user = await authenticate(conn, auth)
    if user is None:
        raise Refused("invalid token")
    rows = await conn.fetch(
        "SELECT p.id, p.start_date, p.end_date, p.status, p.funded_micros,"
        " p.unallocated_micros, p.allocated_micros,"
        # An open period's spent is the SUM of its allocations (app.services.lookup).
        " CASE WHEN p.status = 'OPEN' THEN (SELECT CAST(COALESCE(SUM(a.spent_micros), 0)"
        " AS BIGINT) FROM allocation a WHERE a.period_id = p.id) ELSE p.spent_micros END,"
        " b.name, b.timezone,"
        " EXISTS (SELECT 1 FROM budget_owner o WHERE o.budget_id = b.id AND o.user_id = ?)"
        " FROM budget b JOIN budget_period p ON p.budget_id = b.id WHERE b.id = ?"
        " ORDER BY p.seq",
        user[0],
        pk(budget_id, "bud"),
    )
    if not rows or not (user[1] or rows[0][10]):
        raise Refused("not an owner of this budget")
    return next((r for r in reversed(rows) if r[3] == "OPEN"), rows[-1])


def _totals(p: Row) -> dict[str, Any]:
    available, spent = p[5] + p[6], p[7]
    return {
        "amount": money(p[4]),
        "allocated": money(p[6]),
        "unallocated": money(p[5]),
        "spent": money(spent),
        "remaining": money(available - spent),
    }


async def allocation_list(conn: Conn, auth: str | None, budget_id: str, n: int) -> dict:
    """Goal 1: totals plus id, amount, spent and project name per allocation (3 statements)."""
    p = await _budget(conn, auth, budget_id)
    rows = await conn.fetch(
        "SELECT a.id, a.allocated_micros, a.spent_micros, pr.name FROM allocation a"
        " JOIN project pr ON pr.id = a.project_id WHERE a.period_id = ? ORDER BY a.id LIMIT ?",
        p[0],
        n,
    )
    nodes = [
        {
            "id": f"alc_{r[0]}",
            "amount": money(r[1]),
            "spent": money(r[2]),
            "project": {"name": r[3]},
        }
        for r in rows
    ]
    return {"data": {"budget": {**_totals(p), "allocations": {"nodes": nodes}}}}


def _drip(bounds: PeriodBounds, today: date, available: int, spent: int, daily: dict) -> str:
    spent_today = daily.get(today, 0) if bounds.contains(today) else 0
    return money(daily_drip(available - spent + spent_today, bounds.days_left(today)))


def _envelope(r: Row, bounds: PeriodBounds, today: date, daily: dict[date, int]) -> dict:
    allocated, spent = r[1], r[2]
    remaining = allocated - spent
    f = domain_forecast.forecast(daily, bounds, today, allocated, spent)
    return {
        "node": {
            "id": f"alc_{r[0]}",
            "amount": money(allocated),
            "spent": money(spent),
            "remaining": money(remaining),
            "percentUsed": percent_used(allocated, spent),
            "status": status_band(allocated, remaining).value,
            "dailyDrip": _drip(bounds, today, allocated, spent, daily),
            "runwayDays": None if f.runway_days is None else round(f.runway_days, 2),
            "forecast": {
                "burnRatePerDay": money(f.burn_rate_per_day),
                "projectedSpend": money(f.projected_spend),
                "exhaustionDate": None if f.exhaustion_date is None else str(f.exhaustion_date),
            },
            "project": {"name": r[4], "slug": r[5]},
        }
    }


def _timeline(bounds: PeriodBounds, today: date, available: int, daily: dict) -> list[dict]:
    last = min(max(today, max(daily, default=bounds.start)), bounds.end)
    points, cumulative, d = [], 0, bounds.start
    while d <= last:
        cumulative += daily.get(d, 0)
        ideal = available * ((d - bounds.start).days + 1) // bounds.days
        points.append(
            {
                "date": str(d),
                "spent": money(daily.get(d, 0)),
                "cumulative": money(cumulative),
                "ideal": money(ideal),
            }
        )
        d += timedelta(days=1)
    return points


async def dashboard(conn: Conn, auth: str | None, budget_id: str, n: int) -> dict:
    """Goal 2: bench.dashboard.DASHBOARD's figures, computed the same way (9 statements)."""
    now = datetime.now(UTC)
    p = await _budget(conn, auth, budget_id)
    period_id, bid = p[0], pk(budget_id, "bud")
    bounds = PeriodBounds(day(p[1]), day(p[2]))
    today = local_date(now, p[9])
    available, spent = p[5] + p[6], p[7]
    rows = await conn.fetch(
        "SELECT a.id, a.allocated_micros, a.spent_micros, a.project_id, pr.name, pr.slug,"
        " COUNT(*) OVER () FROM allocation a JOIN project pr ON pr.id = a.project_id"
        " WHERE a.period_id = ? ORDER BY a.id LIMIT ?",
        period_id,
        n,
    )
    history: dict[int, dict[date, int]] = defaultdict(dict)
    budget_history: dict[date, int] = defaultdict(int)
    for project_id, d, amount in await conn.fetch(
        "SELECT a.project_id, d.day, SUM(d.amount_micros) FROM spend_daily d"
        " JOIN allocation a ON a.id = d.allocation_id WHERE a.budget_id = ? AND d.day >= ?"
        " GROUP BY a.project_id, d.day",
        bid,
        now.date() - timedelta(days=HISTORY_DAYS),
    ):
        history[project_id][day(d)] = int(amount)
        budget_history[day(d)] += int(amount)
    days = await conn.fetch(
        "SELECT day, SUM(amount_micros) FROM spend_period_day WHERE period_id = ? GROUP BY day",
        period_id,
    )
    services = await conn.fetch(
        "SELECT service, SUM(amount_micros) FROM spend_period_service WHERE period_id = ?"
        " GROUP BY service",
        period_id,
    )
    top = await conn.fetch(
        "SELECT pr.name, a.spent_micros FROM allocation a JOIN project pr ON pr.id = a.project_id"
        " WHERE a.period_id = ? ORDER BY a.spent_micros DESC, a.id LIMIT 5",
        period_id,
    )
    transfers = await conn.fetch(
        'SELECT t.amount_micros, t.status, u.name FROM transfer_request t JOIN "user" u'
        " ON u.id = t.requested_by_id WHERE t.budget_id = ? ORDER BY t.id LIMIT ?",
        bid,
        DEFAULT_PAGE,
    )
    owners = await conn.fetch(
        'SELECT u.name FROM budget_owner o JOIN "user" u ON u.id = o.user_id'
        " WHERE o.budget_id = ? ORDER BY o.id",
        bid,
    )
    f = domain_forecast.forecast(budget_history, bounds, today, available, spent)
    services_sorted = sorted(((int(t), s or "") for s, t in services), key=lambda x: (-x[0], x[1]))
    budget = {
        "name": p[8],
        **_totals(p),
        "percentUsed": percent_used(available, spent),
        "status": status_band(available, available - spent).value,
        "dailyDrip": _drip(bounds, today, available, spent, budget_history),
        "allocations": {
            "totalCount": int(rows[0][6]) if rows else 0,
            "edges": [_envelope(r, bounds, today, history.get(r[3], {})) for r in rows],
        },
        "topSpenders": [{"project": {"name": name}, "spent": money(s)} for name, s in top],
        "timeline": _timeline(bounds, today, available, {day(d): int(t) for d, t in days}),
        "serviceBreakdown": [
            {"service": s or "(unspecified)", "amount": money(t)} for t, s in services_sorted
        ],
        "forecast": {
            "burnRatePerDay": money(f.burn_rate_per_day),
            "projectedSpend": money(f.projected_spend),
            "projectedOverrun": money(f.projected_overrun),
        },
        "transfers": {
            "edges": [
                {"node": {"amount": money(a), "status": s, "requestedBy": {"name": u}}}
                for a, s, u in transfers
            ]
        },
        "owners": [{"name": name} for (name,) in owners],
    }
    return {"data": {"budget": budget}}
