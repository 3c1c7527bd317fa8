"""The floor's spend paths: recordSpend, authorizeSpend and reserveSpend as raw SQL.

recordSpend writes what Allot's `spending._record` + `ledger.spend` write, in one transaction
and the same order: the spend row (ON CONFLICT on its externalId: a replay writes nothing), the
period's spent (only while OPEN), the conditional allocation update (`… WHERE allocated − spent
>= x` under a hard limit), the `spend_daily` upsert and the period's two totals, the SPEND
journal entry and the outbox event, plus an alert and its event when a threshold is crossed
(as `alerts.after_spend`).
Before it: the token and the allocation with its budget and the actor's right, two statements.
reserveSpend: the conditional hold, the reservation row and its outbox event.
authorizeSpend: the allocation, today's spend (and expired holds, when any are held).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from app.domain.money import to_micros
from app.domain.pacing import check_pacing, daily_drip, todays_allowance
from app.domain.periods import PeriodBounds, local_date
from app.models.ledger import TOTAL_SHARDS
from app.services.period_totals import UPSERT_DAY, UPSERT_SERVICE
from bench.perf._floor_db import Conn, Db, Row, authenticate, day, flag, money, pk

_RESOLVE = (
    "SELECT a.id, a.period_id, a.budget_id, a.allocated_micros, a.spent_micros, a.held_micros,"
    " b.timezone, b.hard_limit, b.currency, b.enforce_pacing, b.alert_thresholds,"
    " a.alert_threshold, pr.name, b.name, p.start_date, p.end_date,"
    " ? OR EXISTS (SELECT 1 FROM budget_owner o WHERE o.budget_id = a.budget_id"
    " AND o.user_id = ?) OR EXISTS (SELECT 1 FROM project_member m WHERE m.project_id ="
    " a.project_id AND m.user_id = ? AND m.role IN ('MEMBER', 'LEAD'))"
    " FROM allocation a JOIN budget_period p ON p.id = a.period_id"
    " JOIN budget b ON b.id = a.budget_id JOIN project pr ON pr.id = a.project_id"
    " WHERE a.project_id = ? AND p.status = 'OPEN' ORDER BY a.id"
)


def _error(field: str, code: str, message: str) -> dict:
    return {"data": {field: {"__typename": code, "code": code, "message": message}}}


async def _resolve(conn: Conn, auth: str | None, project: int) -> tuple[Row, int] | str:
    """(the project's open allocation with its budget, the user id), or why not."""
    user = await authenticate(conn, auth)
    if user is None:
        return "invalid token"
    rows = await conn.fetch(_RESOLVE, user[1], user[0], user[0], project)
    if not rows:
        return "no open allocation"
    return (rows[0], user[0]) if flag(rows[0][16]) else "permission denied"


def _audience(project: int) -> str:
    return json.dumps({"projects": [project], "users": [], "ownersOnly": False})


async def _outbox(conn: Conn, kind: str, payload: dict, budget: int, project: int, **kw: Any):  # type: ignore[no-untyped-def]
    await conn.fetch(
        "INSERT INTO outbox_event (kind, budget_id, payload, audience, dedupe_key, created_at,"
        " attempts) VALUES (?, ?, ?, ?, ?, ?, 0) RETURNING id",
        kind,
        budget,
        json.dumps(payload, separators=(",", ":")),
        _audience(project),
        kw.get("dedupe_key"),
        datetime.now(UTC),
    )


async def record_spend(db: Db, auth: str | None, v: dict[str, Any]) -> dict:
    project, amount = pk(v["p"], "prj"), to_micros(v["a"], field="amount")
    async with db.connection() as conn:
        found = await _resolve(conn, auth, project)
    if isinstance(found, str):
        return _error("recordSpend", "PermissionDenied", found)
    a, user = found
    now = datetime.now(UTC)
    local_day = local_date(now, a[6])
    async with db.transaction() as tx:
        rows = await tx.fetch(
            "INSERT INTO spend (budget_id, allocation_id, project_id, amount_micros, service,"
            " occurred_at, local_day, source, external_id, recorded_by_id, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, 'api', ?, ?, ?)"
            " ON CONFLICT (source, external_id, project_id) DO NOTHING RETURNING id",
            a[2], a[0], project, amount, "bench-http", now, local_day, v["x"], user, now,
        )  # fmt: skip
        if not rows:
            return _error("recordSpend", "Duplicate", "externalId recorded before")
        spend_id = rows[0][0]
        # As Allot (app/services/spend_post.py): the period is only checked (shared lock on
        # PostgreSQL), never updated: its spent is the SUM of its allocations.
        share = " FOR SHARE" if db.dialect == "postgres" else ""
        if not await tx.fetch(
            f"SELECT id FROM budget_period WHERE id = ? AND status = 'OPEN'{share}", a[1]
        ):
            raise RuntimeError("the period closed meanwhile")
        guard = " AND allocated_micros - spent_micros >= ?" if flag(a[7]) else ""
        after = await tx.fetch(
            f"UPDATE allocation SET spent_micros = spent_micros + ? WHERE id = ?{guard}"
            " RETURNING allocated_micros, spent_micros",
            *([amount, a[0], amount] if guard else [amount, a[0]]),
        )
        if not after:
            raise RuntimeError("insufficient funds")  # rolls the transaction back
        await tx.fetch(
            "INSERT INTO spend_daily (period_id, allocation_id, day, service, amount_micros,"
            " count) VALUES (?, ?, ?, ?, ?, 1) ON CONFLICT (allocation_id, day, service) DO"
            " UPDATE SET amount_micros = spend_daily.amount_micros + excluded.amount_micros,"
            " count = spend_daily.count + excluded.count RETURNING id",
            a[1], a[0], local_day, "bench-http", amount,
        )  # fmt: skip
        if db.dialect == "postgres":  # the period's totals (SQLite: the roll-up's triggers)
            for upsert, value in ((UPSERT_DAY, local_day), (UPSERT_SERVICE, "bench-http")):
                await tx.fetch(
                    f"{upsert} RETURNING id", a[1], value, a[0] % TOTAL_SHARDS, amount, 1
                )
        await tx.fetch(
            "INSERT INTO journal_entry (budget_id, kind, from_kind, from_period_id,"
            " from_allocation_id, to_kind, to_period_id, amount_micros, actor_id, spend_id,"
            " created_at) VALUES (?, 'SPEND', 'ALLOCATION', ?, ?, 'SPENT', ?, ?, ?, ?, ?)"
            " RETURNING id",
            a[2], a[1], a[0], a[1], amount, user, spend_id, now,
        )  # fmt: skip
        payload = {"spendId": spend_id, "allocationId": a[0], "amount": amount}
        await _outbox(tx, "spend.recorded", payload, a[2], project)
        await _alerts(tx, a, project, after[0][0], after[0][1] - amount, after[0][1])
    spend = {"id": f"spd_{spend_id}", "amount": money(amount)}
    return {
        "data": {"recordSpend": {"__typename": "SpendRecorded", "duplicate": False, "spend": spend}}
    }


async def _alerts(tx: Conn, a: Row, project: int, allocated: int, before: int, after: int) -> None:
    thresholds = json.loads(a[10]) if isinstance(a[10], str) else list(a[10] or [])
    if a[11]:
        thresholds = sorted({*thresholds, a[11]})
    for t in [t for t in thresholds if before * 100 < t * allocated <= after * 100]:
        key = f"alloc:{a[0]}:threshold:{t}"
        rows = await tx.fetch(
            "INSERT INTO alert (budget_id, period_id, allocation_id, kind, threshold, dedupe_key,"
            " message, created_at) VALUES (?, ?, ?, 'THRESHOLD', ?, ?, ?, ?)"
            " ON CONFLICT (dedupe_key) DO NOTHING RETURNING id",
            a[2], a[1], a[0], t, key, f"{a[12]} has used {t}%", datetime.now(UTC),
        )  # fmt: skip
        if rows:
            payload = {"alertId": rows[0][0], "allocationId": a[0], "threshold": t}
            await _outbox(tx, "alert.raised", payload, a[2], project, dedupe_key=key)


async def authorize_spend(db: Db, auth: str | None, v: dict[str, Any]) -> dict:
    micros = to_micros(v["a"], field="amount")
    now = datetime.now(UTC)
    async with db.connection() as conn:
        found = await _resolve(conn, auth, pk(v["p"], "prj"))
        if isinstance(found, str):
            return {"errors": [{"message": found}]}
        a = found[0]
        today = local_date(now, a[6])
        (spent_today,) = (
            await conn.fetch(
                "SELECT COALESCE(SUM(amount_micros), 0) FROM spend_daily"
                " WHERE allocation_id = ? AND day = ?",
                a[0],
                today,
            )
        )[0]
        held = 0
        if a[5]:
            stale = await conn.fetch(
                "SELECT COALESCE(SUM(amount_micros), 0) FROM reservation WHERE allocation_id = ?"
                " AND status = 'OPEN' AND expires_at <= ?",
                a[0],
                now,
            )
            held = a[5] - int(stale[0][0])
    remaining = a[3] - a[4] - held
    days_left = PeriodBounds(day(a[14]), day(a[15])).days_left(today)
    drip = daily_drip(remaining + int(spent_today), days_left)
    allowance, cur = todays_allowance(drip, int(spent_today)), a[8]
    held_note = f" (after {money(held)} {cur} held)" if held else ""
    allowed, reason = True, f"within the allocation's remaining {money(remaining)} {cur}{held_note}"
    if micros > remaining:
        allowed, reason = False, f"{money(micros)} {cur} exceeds the allocation's remaining"
    elif flag(a[9]):
        allowed, reason = check_pacing(micros, int(spent_today), drip)
    decision = {
        "allowed": allowed,
        "reason": reason,
        "remaining": money(remaining),
        "dailyAllowance": money(allowance),
    }
    return {"data": {"authorizeSpend": decision}}


async def reserve_spend(db: Db, auth: str | None, v: dict[str, Any]) -> dict:
    project, micros = pk(v["p"], "prj"), to_micros(v["a"], field="amount")
    async with db.connection() as conn:
        found = await _resolve(conn, auth, project)
    if isinstance(found, str):
        return _error("reserveSpend", "PermissionDenied", found)
    a, user = found
    now = datetime.now(UTC)
    async with db.transaction() as tx:
        if not await tx.fetch(
            "UPDATE allocation SET held_micros = held_micros + ? WHERE id = ?"
            " AND allocated_micros - spent_micros - held_micros >= ? RETURNING id",
            micros,
            a[0],
            micros,
        ):
            return _error("reserveSpend", "InsufficientFunds", "not enough left to hold")
        rows = await tx.fetch(
            "INSERT INTO reservation (budget_id, allocation_id, project_id, amount_micros,"
            " status, expires_at, created_by_id, created_at) VALUES (?, ?, ?, ?, 'OPEN', ?,"
            " ?, ?) RETURNING id",
            a[2], a[0], project, micros, now + timedelta(seconds=3600), user, now,
        )  # fmt: skip
        payload = {"reservationId": rows[0][0], "allocationId": a[0], "amount": micros}
        await _outbox(tx, "reservation.created", payload, a[2], project)
    reservation = {"id": f"rsv_{rows[0][0]}", "amount": money(micros), "status": "OPEN"}
    return {
        "data": {
            "reserveSpend": {
                "__typename": "SpendReserved",
                "duplicate": False,
                "reservation": reservation,
            }
        }
    }
