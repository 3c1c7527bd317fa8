"""A budget period's spend per day and per service, kept on write with the `spend_daily` roll-up.

`spend_daily` holds one row per (allocation, day, service): a dashboard that drew its timeline
and service breakdown from it read every allocation's rows of the period (767,603 rows for a
year of spread-out spend). The totals hold the same sums per (period, day) and per
(period, service), so those reads cost O(days) and O(services) whatever the spend.

No hot row: each total is split into `TOTAL_SHARDS` rows by allocation id, so spends into one
budget on one day (an LLM budget's calls) land on different rows; spends into one allocation
already queue on its row.

The same amounts go into the totals in the same transaction as into `spend_daily`:
- SQLite: triggers on `spend_daily` (migration 0006). One writer at a time, so there is no lock
  order to keep, and a spend stays at five statements. `add` does nothing there.
- PostgreSQL: every writer adds them explicitly: `spend_post` (one spend, inside its one
  statement: `postgres_ctes`), `batch_ledger` (recordSpends and imports) and `corrections`.
`allot verify` checks the totals against `spend_daily`. The shard count is fixed in the
migration's backfill and triggers: changing `TOTAL_SHARDS` takes a migration.

Lock order (PostgreSQL): a transaction takes the totals' rows last,
after its allocation and `spend_daily` rows, and the day rows before the service rows, each in
sorted order. A transaction waiting for a total's row therefore holds no lock that the
holder of that row still needs, and two batches take shared rows in the same order.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from app.models.ledger import TOTAL_SHARDS
from app.services.sql import execute_many, fetch, is_postgres

#: (period id, allocation id, local day, service, amount micros, spend count)
Delta = tuple[int, int, date, str, int, int]

#: Each totals table and the roll-up column it sums by.
TOTALS = (("spend_period_day", "day"), ("spend_period_service", "service"))


def _upsert(table: str, key: str, rows: str) -> str:
    """Add `rows` (a VALUES list or a SELECT of period_id, key, shard, amount, count) to a
    totals table."""
    return (
        f"INSERT INTO {table} (period_id, {key}, shard, amount_micros, count) {rows}"
        f" ON CONFLICT (period_id, {key}, shard) DO UPDATE SET"
        f" amount_micros = {table}.amount_micros + excluded.amount_micros,"
        f" count = {table}.count + excluded.count"
    )


UPSERT_DAY, UPSERT_SERVICE = (_upsert(t, k, "VALUES (?, ?, ?, ?, ?)") for t, k in TOTALS)


def shard(allocation_id: int) -> int:
    return allocation_id % TOTAL_SHARDS


def postgres_ctes(
    after: str, period: str, allocation: str, day: str, service: str, amount: str
) -> str:
    """The two upserts as data-modifying CTEs of PostgreSQL's one-statement spend. Each reads
    the row returned by the one before (`after`, which must return one, then the day's), so the
    day's row is locked before the service's, both after the roll-up's. The arguments are SQL
    expressions."""
    parts = []
    source = after
    for (table, key), value in zip(TOTALS, (day, service), strict=True):
        name = f"{key}_total"
        rows = f"SELECT {period}, {value}, {allocation} % {TOTAL_SHARDS}, {amount}, 1 FROM {source}"
        parts.append(f"{name} AS (\n  {_upsert(table, key, rows)}\n  RETURNING 1 AS one\n)")
        source = name
    return ",\n".join(parts)


async def add(deltas: Iterable[Delta]) -> None:
    """Amounts written to `spend_daily` (a batch's, or a correction's one), summed per total
    row: every day row in order, then every service row in order (two executemany;
    PostgreSQL)."""
    if not is_postgres():
        return  # the roll-up's triggers
    days: dict[tuple[int, date, int], list[int]] = {}
    services: dict[tuple[int, str, int], list[int]] = {}
    for period_id, allocation_id, day, service, amount, count in deltas:
        s = shard(allocation_id)
        for bucket in (
            days.setdefault((period_id, day, s), [0, 0]),
            services.setdefault((period_id, service, s), [0, 0]),
        ):
            bucket[0] += amount
            bucket[1] += count
    await execute_many(UPSERT_DAY, [[*k, *v] for k, v in sorted(days.items())])
    await execute_many(UPSERT_SERVICE, [[*k, *v] for k, v in sorted(services.items())])


#: `allot verify`: (period, key) pairs whose total differs from the roll-up's sum.
DRIFT = """
SELECT r.period_id, r.k, r.total AS rollup, COALESCE(t.total, 0) AS kept FROM
  (SELECT period_id, {key} AS k, SUM(amount_micros) AS total FROM spend_daily
   GROUP BY period_id, {key}) r
  LEFT JOIN (SELECT period_id, {key} AS k, SUM(amount_micros) AS total FROM {table}
   GROUP BY period_id, {key}) t ON t.period_id = r.period_id AND t.k = r.k
WHERE r.total <> COALESCE(t.total, 0)
UNION ALL
SELECT t.period_id, t.k, 0, t.total FROM
  (SELECT period_id, {key} AS k, SUM(amount_micros) AS total FROM {table}
   GROUP BY period_id, {key}) t
WHERE t.total <> 0 AND NOT EXISTS (
  SELECT 1 FROM spend_daily d WHERE d.period_id = t.period_id AND d.{key} = t.k)
"""


async def drift() -> list[tuple[str, int, int]]:
    """(what, kept total, roll-up sum) for every total that disagrees with `spend_daily`."""
    out = []
    for table, key in TOTALS:
        for r in await fetch(DRIFT.format(table=table, key=key)):
            what = f"period {r['period_id']} {key} {str(r['k'])[:10]!r} total"
            out.append((what, int(r["kept"]), int(r["rollup"])))
    return out


__all__ = ["TOTALS", "UPSERT_DAY", "UPSERT_SERVICE", "add", "drift", "postgres_ctes", "shard"]
