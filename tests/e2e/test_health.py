"""/healthz (liveness: no database call) and /readyz (readiness: the database answers, every
migration is applied, it takes writes; 503 naming the failed check, with the worker's pid), and
the server's refusal to start on a database that lacks migrations, with the command line's
message and no traceback."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from live import allot, free_port
from running import environment, start
from tortoise import connections

from app import db
from app.server import create_app
from app.settings import Settings

#: Every migration of app/migrations, in order (the newest last).
MIGRATIONS = sorted(path.stem for path in (Path(db.__file__).parent / "migrations").glob("0*.py"))


def client_of() -> httpx.AsyncClient:
    app = create_app(Settings(), init_database=False, workers=[])
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://allot.test")


@pytest.fixture
async def migrated(tmp_path: Path) -> AsyncIterator[str]:
    """A SQLite database built by app/migrations (the test suite's usual one is built from the
    models, without the recorder table), open."""
    url = f"sqlite://{tmp_path / 'migrated.db'}"
    await db.migrate(url)
    await db.close_db()
    await db.init_db(url)
    yield url
    await db.close_db()


async def readyz() -> tuple[int, dict[str, Any]]:
    async with client_of() as client:
        response = await client.get("/readyz")
    return response.status_code, response.json()


async def test_a_migrated_database_is_ready(migrated: str) -> None:
    status, body = await readyz()
    assert (status, body["status"]) == (200, "ready"), body
    assert body["checks"] == {"database": "ok", "migrations": "ok", "writable": "ok"}
    assert body["pid"] == os.getpid()
    assert await db.pending_migrations() == []


async def test_missing_migrations_are_named(database: str) -> None:
    """A database with every table but no migration recorded (the suite's database is
    migrated; its record of them is removed here)."""
    await connections.get("default").execute_script("DELETE FROM tortoise_migrations")
    status, body = await readyz()
    assert (status, body["status"], body["failed"]) == (503, "not ready", ["migrations"])
    assert body["checks"]["database"] == "ok" and body["checks"]["writable"] == "skipped"
    assert all(name in body["checks"]["migrations"] for name in MIGRATIONS), body
    assert "allot migrate" in body["checks"]["migrations"]


async def test_a_database_that_takes_no_writes_is_not_ready(migrated: str) -> None:
    # What a read-only file, a full disk's refusal or a standby looks like to SQLite's client.
    await connections.get("default").execute_script("PRAGMA query_only = ON")
    status, body = await readyz()
    assert (status, body["failed"]) == (503, ["writable"]), body
    assert "readonly" in body["checks"]["writable"], body
    await connections.get("default").execute_script("PRAGMA query_only = OFF")
    assert (await readyz())[0] == 200


async def test_liveness_does_not_ask_the_database_readiness_does() -> None:
    url = f"postgres://allot@127.0.0.1:{free_port()}/nowhere"  # nothing listens there
    await db.init_db(url)
    try:
        async with client_of() as client:
            alive = await client.get("/healthz")
            ready = await client.get("/readyz")
    finally:
        await db.close_db()
    assert (alive.status_code, alive.json()) == (200, {"status": "ok"})
    body = ready.json()
    assert (ready.status_code, body["failed"]) == (503, ["database"]), body
    assert body["checks"]["migrations"] == body["checks"]["writable"] == "skipped"


@pytest.mark.parametrize("state", ["empty", "one-behind"])
def test_the_server_refuses_to_start_without_every_migration(tmp_path: Path, state: str) -> None:
    path = tmp_path / "allot.db"
    env = environment(f"sqlite://{path}")
    if state == "one-behind":
        assert allot(env, "migrate").returncode == 0
        with sqlite3.connect(path) as conn:
            conn.execute("DELETE FROM tortoise_migrations WHERE name = ?", (MIGRATIONS[-1],))
        expected = f"the database is 1 migration(s) behind ({MIGRATIONS[-1]}): run `allot migrate`"
    else:
        expected = "the database has no Allot tables yet: run `allot migrate`"
    server = start(env, tmp_path / "serve.log")
    try:
        code = server.proc.wait(timeout=60)  # it stops by itself; a hang fails here
    finally:
        server.stop()
    output = server.output()
    assert code == 3, output  # uvicorn's "startup failed"
    assert expected in output and "Traceback" not in output, output
    # The same check, and the same words, for any caller (the command line uses it too).
    import asyncio

    with pytest.raises(db.NotMigrated) as refused:
        asyncio.run(db.require_migrated(f"sqlite://{path}"))
    assert str(refused.value) == expected
    where = refused.value.message("ALLOT_DATABASE_URL=…")
    assert where == expected.replace("the database", "the database (ALLOT_DATABASE_URL=…)")


def test_the_server_refuses_to_start_on_a_database_it_cannot_reach(tmp_path: Path) -> None:
    env = environment(f"postgres://allot:s3cret@127.0.0.1:{free_port()}/nowhere")
    server = start(env, tmp_path / "serve.log")
    try:
        code = server.proc.wait(timeout=60)
    finally:
        server.stop()
    output = server.output()
    assert code == 3, output
    assert "ERROR:    cannot open the database: " in output, output
    assert "Traceback" not in output and "s3cret" not in output, output
