"""A private PostgreSQL cluster that a test may stop, start and restart (tests/pgserver.py on
its own port), so the session's shared server is never disturbed; and a database on it that
the app's Tortoise connection uses. Fixtures `cluster` and `live_db` (tests/e2e/conftest.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from pgserver import PgServer, PgUnavailable, pg_required

from app import db


@pytest.fixture(scope="module")
def cluster() -> Iterator[PgServer]:
    """One private cluster per test module (never the external PostgreSQL: it is stopped)."""
    server = PgServer(external_url=None)
    server.external_url = None
    try:
        server.start()
    except PgUnavailable as exc:
        if pg_required():
            pytest.fail(str(exc))
        pytest.skip(str(exc))
    yield server
    server.stop()


def pg_ctl(server: PgServer, *args: str) -> None:
    """`pg_ctl stop|start|restart …` on the private cluster, waiting up to 60 s."""
    assert server.base_dir is not None
    server._pg(
        "pg_ctl", *args, "-D", str(server.base_dir / "data"), "-w", "-t", "60",
        "-o", f"-p {server.port}", "-l", str(server.base_dir / "postgres.log"),
    )  # fmt: skip


@pytest.fixture
async def live_db(cluster: PgServer) -> AsyncIterator[str]:
    """A fresh database on the private cluster, its schema generated, Tortoise connected."""
    from tortoise import Tortoise
    from tortoise.backends.base.executor import EXECUTOR_CACHE

    EXECUTOR_CACHE.clear()
    url = cluster.create_database()
    await db.init_db(url)
    await Tortoise.generate_schemas()
    yield url
    await db.close_db()
