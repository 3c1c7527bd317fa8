"""The floor's database access: the drivers Allot uses (asyncpg, aiosqlite), and nothing else.

PostgreSQL: an asyncpg pool of the size Tortoise uses by default (1–5), without asyncpg's reset
on release (the floor keeps no session state, which is what "no connection resets" asks of
Allot). SQLite: one aiosqlite connection in autocommit mode with Tortoise's pragmas (WAL,
foreign keys, busy_timeout) behind one lock, as Tortoise runs it, and the `synchronous` level
Allot runs the same URL with (FULL unless the URL says `?synchronous=…`, as app/db.py): a
floor that did not sync the WAL at commit would not be doing the same writes.
SQL is written with `?` placeholders; PostgreSQL gets `$1, $2, …`.

Values differ by driver (SQLite keeps dates and timestamps as ISO text, booleans as 0/1):
parameters are converted on the way in, and `day` and `flag` read results into one shape.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import date, datetime
from typing import Any, Protocol
from urllib.parse import parse_qs

Row = Sequence[Any]


class Conn(Protocol):
    async def fetch(self, sql: str, *args: Any) -> list[Row]: ...


def _render(sql: str) -> str:
    parts = sql.split("?")
    return parts[0] + "".join(f"${i}{part}" for i, part in enumerate(parts[1:], start=1))


async def _no_reset(_conn: Any) -> None:
    return None


class PgDb:
    dialect = "postgres"

    def __init__(self, pool: Any) -> None:
        self.pool = pool

    @classmethod
    async def open(cls, url: str) -> PgDb:
        import asyncpg

        pool = await asyncpg.create_pool(url, min_size=1, max_size=5, reset=_no_reset)
        return cls(pool)

    async def close(self) -> None:
        await self.pool.close()

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[Conn]:
        async with self.pool.acquire() as conn:
            yield _PgConn(conn)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Conn]:
        async with self.pool.acquire() as conn, conn.transaction():
            yield _PgConn(conn)


class _PgConn:
    def __init__(self, conn: Any) -> None:
        self.conn = conn

    async def fetch(self, sql: str, *args: Any) -> list[Row]:
        return list(await self.conn.fetch(_render(sql), *args))


class SqliteDb:
    dialect = "sqlite"

    def __init__(self, conn: Any) -> None:
        self.conn = conn
        self.lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: str, synchronous: str = "FULL") -> SqliteDb:
        import aiosqlite

        conn = await aiosqlite.connect(path, isolation_level=None)
        for pragma in ("journal_mode=WAL", "journal_size_limit=16384", "foreign_keys=ON"):
            await conn.execute(f"PRAGMA {pragma}")
        await conn.execute("PRAGMA busy_timeout=5000")
        if synchronous.upper() not in ("OFF", "NORMAL", "FULL", "EXTRA"):
            raise ValueError(f"synchronous={synchronous!r}")
        await conn.execute(f"PRAGMA synchronous={synchronous.upper()}")
        return cls(conn)

    async def close(self) -> None:
        await self.conn.close()

    async def fetch(self, sql: str, *args: Any) -> list[Row]:
        cursor = await self.conn.execute(sql, [_sqlite_value(a) for a in args])
        rows = await cursor.fetchall()
        await cursor.close()
        return list(rows)

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[Conn]:
        async with self.lock:
            yield self

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Conn]:
        async with self.lock:
            await self.conn.execute("BEGIN")
            try:
                yield self
            except BaseException:
                await self.conn.execute("ROLLBACK")
                raise
            await self.conn.execute("COMMIT")


def _sqlite_value(value: Any) -> Any:
    """Dates and timestamps as Tortoise stores them in SQLite (ISO text)."""
    if isinstance(value, datetime):
        return value.isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    return value


Db = PgDb | SqliteDb


async def open_db(url: str) -> Db:
    if url.startswith(("postgres://", "postgresql://")):
        return await PgDb.open(url)
    path, _, query = url.removeprefix("sqlite://").partition("?")
    level = parse_qs(query).get("synchronous", ["FULL"])[-1]
    return await SqliteDb.open(path, level)


def day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def flag(value: Any) -> bool:
    return bool(value)


def pk(text: str, prefix: str) -> int:
    """`prj_12` → 12 (the floor trusts its own bench's ids)."""
    return int(str(text).removeprefix(prefix + "_"))


def money(micros: int) -> str:
    """Micros as Allot's Decimal scalar prints them: exact, no trailing zeros."""
    sign = "-" if micros < 0 else ""
    units, rest = divmod(abs(micros), 1_000_000)
    if not rest:
        return f"{sign}{units}" if micros else "0"
    return f"{sign}{units}.{rest:06d}".rstrip("0")


async def authenticate(conn: Conn, header: str | None) -> tuple[int, bool] | None:
    """(user id, is admin) for a live bearer token, in one statement; None otherwise."""
    token = (header or "").removeprefix("Bearer ").strip()
    rows = await conn.fetch(
        'SELECT u.id, u.is_admin FROM api_token t JOIN "user" u ON u.id = t.user_id'
        " WHERE t.token_hash = ? AND t.revoked_at IS NULL",
        hashlib.sha256(token.encode()).hexdigest(),
    )
    return (int(rows[0][0]), flag(rows[0][1])) if rows else None
