"""Database start-up: one Tortoise config for the server, the CLI and the tests."""

from __future__ import annotations

from typing import Any

from tortoise import Tortoise, connections

MODELS = ["app.models"]


def normalize_url(url: str) -> str:
    """Accept the URL spellings people paste (postgresql://, postgres+asyncpg://)."""
    for prefix in ("postgresql+asyncpg://", "postgres+asyncpg://", "postgresql://"):
        if url.startswith(prefix):
            return "postgres://" + url[len(prefix) :]
    if url.startswith("sqlite://") and "busy_timeout" not in url and ":memory:" not in url:
        # WAL with synchronous=NORMAL is durable across crashes of the process (a power cut may
        # lose the last commits, never corrupt the file) and spares one fsync per commit.
        sep = "&" if "?" in url else "?"
        return f"{url}{sep}busy_timeout=5000&synchronous=NORMAL"
    return url


def tortoise_config(url: str) -> dict[str, Any]:
    return {
        "connections": {"default": normalize_url(url)},
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
    await Tortoise.init(config=tortoise_config(url), _enable_global_fallback=shared)


async def migrate(url: str) -> None:
    """Apply every migration in app/migrations (the schema is never created any other way)."""
    from tortoise.migrations.api import migrate as run_migrations

    await run_migrations(config=tortoise_config(url))


async def close_db() -> None:
    await connections.close_all()


def dialect() -> str:
    conn = connections.get("default")
    return "postgres" if conn.capabilities.dialect == "postgres" else "sqlite"


#: For the `tortoise` command line (makemigrations): `tortoise -c app.db.TORTOISE_ORM ...`.
TORTOISE_ORM = tortoise_config("sqlite://:memory:")
