"""Posting one spend: the spend row, its allocation's balance, the daily roll-up, the journal
entry and the outbox event, in as few statements as the database allows.

PostgreSQL: one statement, a data-modifying CTE. Every part hangs off the spend row actually
inserted, so a replayed `externalId` (ON CONFLICT DO NOTHING) changes nothing, and the whole
spend is one atomic statement, the period's totals per day and per service included
(app.services.period_totals). SQLite: five short statements inside the caller's transaction
(SQLite has no data-modifying CTEs; one process serialises its transactions anyway); the
roll-up's triggers keep the totals there.

Concurrency without a hot row: a spend does not update its budget period's row. It takes a
SHARE lock on it (`FOR SHARE`: spends do not block each other) while the period is OPEN; a close
claims the row with an UPDATE, which waits for the spends in flight and makes later ones find
it CLOSED (they retry in the next period). So every spend lands in exactly one period, and
writers into one budget no longer queue behind each other. The allocation row is locked before
it is read for the hard-limit check, so two spends cannot both pass a check only one fits.

Pacing (a budget with hardLimit and enforcePacing): a charge must also fit the pacing cap of
its local day, twice the day's drip (app.domain.pacing; the same rule as authorizeSpend). The
cap is part of the same condition as the hard limit, read from the locked allocation row and
the day's roll-up, so it adds no statement on SQLite. On PostgreSQL the caller takes the
allocation's row lock first (`lock_for_pacing`, one extra statement and only for a paced charge)
so the roll-up the post reads already includes every spend committed before it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from app.domain.ledger import AccountKind as K
from app.domain.ledger import EntryKind
from app.domain.pacing import PACING_CAP_MULTIPLE
from app.services import period_totals
from app.services.sql import fetch, is_postgres


@dataclass(frozen=True)
class SpendRow:
    """What a spend writes; amounts in micros (negative: a credit)."""

    budget_id: int
    period_id: int
    allocation_id: int
    project_id: int
    amount: int
    service: str | None
    description: str | None
    occurred_at: datetime
    local_day: date
    source: str
    external_id: str | None
    quantity: str | None
    unit: str | None
    actor_id: int | None
    created_at: datetime
    audience: dict[str, Any]


@dataclass(frozen=True)
class Posted:
    """The outcome: `spend_id` None means nothing was written, and why (`period_open`,
    `within_limit`, or a replayed externalId when both are true)."""

    spend_id: int | None
    period_open: bool
    within_limit: bool
    allocated: int = 0
    spent_after: int = 0
    #: False when the hard limit held but the pacing cap refused the charge.
    within_pace: bool = True


_SPEND_COLUMNS = (
    "budget_id, allocation_id, project_id, amount_micros, service, description, occurred_at,"
    " local_day, source, external_id, quantity, unit, recorded_by_id, created_at"
)


def _entry(row: SpendRow) -> tuple[str, tuple[str, int, int | None], tuple[str, int, int | None]]:
    here = (K.ALLOCATION.value, row.period_id, row.allocation_id)
    spent = (K.SPENT.value, row.period_id, None)
    if row.amount >= 0:
        return EntryKind.SPEND.value, here, spent
    return EntryKind.REFUND.value, spent, here


async def post_spend(
    row: SpendRow, *, hard_limit: bool, pace_days_left: int | None = None
) -> Posted:
    """Write one spend (inside the caller's transaction on SQLite).

    `pace_days_left`: the budget paces its hard limit; the days left in the period from the
    spend's local day (today included), the divisor of the drip. None: no pacing cap.
    """
    pace = pace_days_left if hard_limit and row.amount > 0 else None
    if is_postgres():
        return await _post_postgres(row, hard_limit, pace)
    return await _post_sqlite(row, hard_limit, pace)


async def lock_for_pacing(allocation_id: int) -> None:
    """PostgreSQL: lock the allocation row before a paced post, so the post's read of the
    day's roll-up sees every spend committed ahead of it (SQLite serialises writers anyway)."""
    if is_postgres():
        await fetch("SELECT id FROM allocation WHERE id = $1 FOR NO KEY UPDATE", allocation_id)


def _limit(row: SpendRow, hard_limit: bool, column: str = "") -> str:
    # Only a charge can overdraw; a credit always fits.
    if not hard_limit or row.amount <= 0:
        return ""
    return f" AND {column}allocated_micros - {column}spent_micros - {column}held_micros >= $3"


def _pace_fits(column: str, amount: str, alloc: str, day: str, days_left: str, top: str) -> str:
    """SQL for: the day's spend plus this charge stays within twice the day's drip (what was
    left at the start of the day, never below zero, divided by the days left, rounded down),
    as app.domain.pacing.check_pacing and daily_drip compute it."""
    day_spent = (
        f"(SELECT COALESCE(SUM(d.amount_micros), 0) FROM spend_daily d"
        f" WHERE d.allocation_id = {alloc} AND d.day = {day})"
    )
    start_of_day = (
        f"{column}allocated_micros - {column}spent_micros - {column}held_micros + {day_spent}"
    )
    return (
        f"({day_spent} + {amount} <= {PACING_CAP_MULTIPLE} * "
        f"({top}(0, {start_of_day}) / {days_left}))"
    )


async def _post_postgres(row: SpendRow, hard_limit: bool, pace: int | None) -> Posted:
    kind, src, dst = _entry(row)
    paced = "TRUE" if pace is None else _pace_fits("a.", "$3", "a.id", "$9", "$22", "GREATEST")
    checks = "target.fits" if hard_limit and row.amount > 0 else "TRUE"
    if pace is not None:
        checks += " AND target.paced"
    totals = period_totals.postgres_ctes("daily", "$1", "$2", "$9", "COALESCE($6, '')", "$3")
    sql = f"""
WITH open_period AS (
  SELECT id FROM budget_period WHERE id = $1 AND status = 'OPEN' FOR SHARE
), target AS (
  SELECT a.id, (a.allocated_micros - a.spent_micros - a.held_micros >= $3) AS fits,
    {paced} AS paced
  FROM allocation a JOIN open_period p ON p.id = a.period_id
  WHERE a.id = $2 FOR NO KEY UPDATE OF a
), ins AS (
  INSERT INTO spend ({_SPEND_COLUMNS})
  SELECT $4, $2, $5, $3, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15
  FROM target WHERE {checks}
  ON CONFLICT (source, external_id, project_id) DO NOTHING
  RETURNING id
), upd AS (
  UPDATE allocation SET spent_micros = spent_micros + $3
  WHERE id = $2 AND EXISTS (SELECT 1 FROM ins)
  RETURNING allocated_micros, spent_micros
), daily AS (
  INSERT INTO spend_daily (period_id, allocation_id, day, service, amount_micros, count)
  SELECT $1, $2, $9, COALESCE($6, ''), $3, 1 FROM ins
  ON CONFLICT (allocation_id, day, service) DO UPDATE SET
    amount_micros = spend_daily.amount_micros + excluded.amount_micros,
    count = spend_daily.count + excluded.count
  RETURNING 1 AS one
), {totals}, journal AS (
  INSERT INTO journal_entry (budget_id, kind, from_kind, from_period_id, from_allocation_id,
    to_kind, to_period_id, to_allocation_id, amount_micros, actor_id, spend_id, created_at)
  SELECT $4, $16, $17, $1, $18, $19, $1, $20, abs($3), $14, ins.id, $15 FROM ins
), event AS (
  INSERT INTO outbox_event (kind, budget_id, payload, audience, created_at, attempts)
  SELECT 'spend.recorded', $4,
    jsonb_build_object('spendId', ins.id, 'allocationId', $2::bigint, 'amount', $3::bigint),
    $21::jsonb, $15, 0
  FROM ins
)
SELECT EXISTS (SELECT 1 FROM open_period) AS period_open,
       COALESCE((SELECT fits FROM target), FALSE) AS fits,
       COALESCE((SELECT paced FROM target), FALSE) AS paced,
       (SELECT id FROM ins) AS spend_id,
       (SELECT allocated_micros FROM upd) AS allocated,
       (SELECT spent_micros FROM upd) AS spent
"""
    result = await fetch(
        sql,
        row.period_id,  # $1
        row.allocation_id,  # $2
        row.amount,  # $3
        row.budget_id,  # $4
        row.project_id,  # $5
        row.service,  # $6
        row.description,  # $7
        row.occurred_at,  # $8
        row.local_day,  # $9
        row.source,  # $10
        row.external_id,  # $11
        row.quantity,  # $12
        row.unit,  # $13
        row.actor_id,  # $14
        row.created_at,  # $15
        kind,  # $16
        src[0],  # $17
        src[2],  # $18
        dst[0],  # $19
        dst[2],  # $20
        json.dumps(row.audience),  # $21
        *([pace] if pace is not None else []),  # $22
    )
    r = result[0]
    fits = bool(r["fits"]) or not hard_limit or row.amount <= 0
    if r["spend_id"] is None:
        in_pace = pace is None or not fits or bool(r["paced"])
        return Posted(None, bool(r["period_open"]), fits, within_pace=in_pace)
    return Posted(int(r["spend_id"]), True, True, int(r["allocated"]), int(r["spent"]))


async def _post_sqlite(row: SpendRow, hard_limit: bool, pace: int | None) -> Posted:
    kind, src, dst = _entry(row)
    limit = _limit(row, hard_limit).replace("$3", "?")
    pace_args: list[object] = []
    if pace is not None:
        # The same parameters twice: the day's roll-up is read in two places.
        limit += " AND " + _pace_fits("", "?", "allocation.id", "?", "?", "MAX")
        pace_args = [row.local_day, row.amount, row.local_day, pace]
    updated = await fetch(
        "UPDATE allocation SET spent_micros = spent_micros + ? WHERE id = ?"
        " AND EXISTS (SELECT 1 FROM budget_period WHERE id = ? AND status = 'OPEN')"
        f"{limit} RETURNING allocated_micros, spent_micros",
        row.amount,
        row.allocation_id,
        row.period_id,
        *([row.amount] if hard_limit and row.amount > 0 else []),
        *pace_args,
    )
    if not updated:
        status = await fetch("SELECT status FROM budget_period WHERE id = ?", row.period_id)
        is_open = bool(status) and status[0]["status"] == "OPEN"
        if is_open and pace is not None:
            # Which rule refused it (a refusal only, never the fast path): the hard limit or
            # the pacing cap.
            fits = await fetch(
                "SELECT allocated_micros - spent_micros - held_micros >= ? AS fits"
                " FROM allocation WHERE id = ?",
                row.amount,
                row.allocation_id,
            )
            within = bool(fits) and bool(fits[0]["fits"])
            return Posted(None, True, within, within_pace=not within)
        return Posted(None, is_open, not is_open)
    inserted = await fetch(
        f"INSERT INTO spend ({_SPEND_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (source, external_id, project_id) DO NOTHING RETURNING id",
        row.budget_id,
        row.allocation_id,
        row.project_id,
        row.amount,
        row.service,
        row.description,
        row.occurred_at,
        row.local_day,
        row.source,
        row.external_id,
        row.quantity,
        row.unit,
        row.actor_id,
        row.created_at,
    )
    if not inserted:  # a replayed externalId: undo the balance change, report a duplicate
        await fetch(
            "UPDATE allocation SET spent_micros = spent_micros - ? WHERE id = ? RETURNING id",
            row.amount,
            row.allocation_id,
        )
        return Posted(None, True, True)
    spend_id = int(inserted[0]["id"])
    await fetch(
        "INSERT INTO spend_daily (period_id, allocation_id, day, service, amount_micros, count)"
        " VALUES (?, ?, ?, ?, ?, 1) ON CONFLICT (allocation_id, day, service) DO UPDATE SET"
        " amount_micros = spend_daily.amount_micros + excluded.amount_micros,"
        " count = spend_daily.count + excluded.count RETURNING id",
        row.period_id,
        row.allocation_id,
        row.local_day,
        row.service or "",
        row.amount,
    )
    await fetch(
        "INSERT INTO journal_entry (budget_id, kind, from_kind, from_period_id,"
        " from_allocation_id, to_kind, to_period_id, to_allocation_id, amount_micros, actor_id,"
        " spend_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        row.budget_id,
        kind,
        src[0],
        src[1],
        src[2],
        dst[0],
        dst[1],
        dst[2],
        abs(row.amount),
        row.actor_id,
        spend_id,
        row.created_at,
    )
    payload = {"spendId": spend_id, "allocationId": row.allocation_id, "amount": row.amount}
    await fetch(
        "INSERT INTO outbox_event (kind, budget_id, payload, audience, created_at, attempts)"
        " VALUES ('spend.recorded', ?, ?, ?, ?, 0) RETURNING id",
        row.budget_id,
        json.dumps(payload),
        json.dumps(row.audience),
        row.created_at,
    )
    allocated, spent = updated[0]["allocated_micros"], updated[0]["spent_micros"]
    return Posted(spend_id, True, True, int(allocated), int(spent))


__all__ = ["Posted", "SpendRow", "post_spend"]
