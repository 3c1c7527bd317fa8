"""Database start-up: one Tortoise config for the server, the CLI and the tests."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import asyncpg
from tortoise import Tortoise, connections
from tortoise.backends.base.config_generator import expand_db_url

MODELS = ["app.models"]


def normalize_url(url: str) -> str:
    """Accept the URL spellings people paste (postgresql://, postgres+asyncpg://)."""
    for prefix in ("postgresql+asyncpg://", "postgres+asyncpg://", "postgresql://"):
        if url.startswith(prefix):
            return "postgres://" + url[len(prefix) :]
    if url.startswith("sqlite://") and ":memory:" not in url:
        # The money tables live here: synchronous=FULL (the default) syncs the WAL at every
        # commit, so an acknowledged spend survives a power cut or a failing file system, not
        # only a crash of the process (NORMAL's guarantee, which may lose the last commits).
        # The cost is one fsync per commit (measured by bench/outbox_backlog.py, README
        # "Alerts and delivery"); `?synchronous=NORMAL` in the URL chooses speed instead.
        params = parse_qs(urlsplit(url).query)
        extra = [
            f"{name}={value}"
            for name, value in (("busy_timeout", "5000"), ("synchronous", "FULL"))
            if name not in params
        ]
        if extra:
            sep = "&" if "?" in url else "?"
            return f"{url}{sep}{'&'.join(extra)}"
    return url


class PooledConnection(asyncpg.Connection):  # type: ignore[misc]
    """A pooled PostgreSQL connection that is not reset when it goes back to the pool.

    asyncpg resets a released connection with `SELECT pg_advisory_unlock_all(); CLOSE ALL;
    UNLISTEN *; RESET ALL` — one more round trip for every statement run outside a transaction
    (each takes and returns a connection). Allot leaves no session state on pooled connections:
    its advisory locks are transaction-scoped (pg_advisory_xact_lock), it declares no cursors
    and sets no session settings, and LISTEN runs on the broker's own connection. asyncpg still
    rolls back a transaction left open and drops listeners on release."""

    def get_reset_query(self) -> str:
        return ""


def _connection(url: str) -> str | dict[str, Any]:
    url = normalize_url(url)
    if not is_postgres(url):
        return url
    config = expand_db_url(url)
    config["credentials"]["connection_class"] = PooledConnection
    return config


def tortoise_config(url: str) -> dict[str, Any]:
    return {
        "connections": {"default": _connection(url)},
        "apps": {
            "models": {
                "models": MODELS,
                "default_connection": "default",
                "migrations": "app.migrations",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


def is_postgres(url: str) -> bool:
    return normalize_url(url).startswith(("postgres://", "asyncpg://"))


async def init_db(url: str, *, shared: bool = False) -> None:
    """Open the database. `shared` makes it visible to every task (the server's request tasks
    do not inherit the lifespan task's context)."""
    from app.services import actor_cache

    actor_cache.forget()  # another database: nothing remembered of the last one holds
    await Tortoise.init(config=tortoise_config(url), _enable_global_fallback=shared)


async def migrate(url: str, target: str | None = None) -> None:
    """Apply every migration in app/migrations (the schema is never created any other way), or
    those up to `target` ("models.0002_trust": the upgrade tests start from an older state)."""
    from tortoise.migrations.api import migrate as run_migrations

    await run_migrations(config=tortoise_config(url), target=target)


async def close_db() -> None:
    from app.services import actor_cache

    actor_cache.forget()
    await connections.close_all()


def dialect() -> str:
    conn = connections.get("default")
    return "postgres" if conn.capabilities.dialect == "postgres" else "sqlite"


#: For the `tortoise` command line (makemigrations): `tortoise -c app.db.TORTOISE_ORM ...`.
TORTOISE_ORM = tortoise_config("sqlite://:memory:")


# --- is the schema up to date? ---------------------------------------------------------------


class NotMigrated(RuntimeError):
    """The database lacks migrations of app/migrations; str() is the message to show, and
    `message(where)` the same naming the database (the command line says which URL)."""

    def __init__(self, pending: list[str], applied_any: bool) -> None:
        self.pending = pending
        self.applied_any = applied_any
        super().__init__(self.message())

    def message(self, where: str | None = None) -> str:
        subject = f"the database ({where})" if where else "the database"
        if not self.applied_any:
            return f"{subject} has no Allot tables yet: run `allot migrate`"
        names = ", ".join(self.pending)
        return (
            f"{subject} is {len(self.pending)} migration(s) behind ({names}): run `allot migrate`"
        )


async def _migration_state() -> tuple[list[str], bool]:
    """(migrations of app/migrations not applied yet, in order; whether any is applied), read
    from Tortoise's recorder table on the open connection. A database that cannot be reached
    raises here (the recorder itself would read an unreachable one as "nothing applied")."""
    from tortoise.migrations.executor import MigrationExecutor

    connection = connections.get("default")
    await connection.execute_query("SELECT 1")
    executor = MigrationExecutor(connection, tortoise_config(":memory:")["apps"])
    steps = await executor.plan()
    applied = await executor.recorder.applied_migrations()
    pending = [step.migration.name for step in steps if not step.backward]
    return pending, bool(applied)


async def pending_migrations(url: str | None = None) -> list[str]:
    """The migrations of app/migrations the database lacks ([] when it is up to date). With a
    URL the database is opened and closed again; without, the open one is read."""
    if url is None:
        return (await _migration_state())[0]
    await init_db(url)
    try:
        return (await _migration_state())[0]
    finally:
        await close_db()


async def require_migrated(url: str | None = None) -> None:
    """Raise NotMigrated (its message says what to run) unless every migration is applied.
    The one check behind `allot serve`'s refusal to start and the CLI's message (with a URL
    the database is opened and closed again; without, the open one is read)."""
    if url is not None:
        await init_db(url)
        try:
            await require_migrated()
        finally:
            await close_db()
        return
    pending, applied_any = await _migration_state()
    if pending:
        raise NotMigrated(pending, applied_any)
