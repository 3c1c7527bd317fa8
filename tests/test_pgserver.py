"""The throwaway PostgreSQL server used by the tests really runs."""

from __future__ import annotations

import asyncpg
import pytest
from pgserver import PgServer

pytestmark = pytest.mark.postgres


def test_url_shape(pg_server: PgServer) -> None:
    if pg_server.external_url:
        pytest.skip("ALLOT_TEST_PG_URL points at an external server")
    assert pg_server.url == f"postgres://allot@127.0.0.1:{pg_server.port}/allot"


async def test_main_database_answers(pg_server: PgServer) -> None:
    conn = await asyncpg.connect(pg_server.url)
    try:
        assert await conn.fetchval("select 1") == 1
        assert await conn.fetchval("show server_encoding") == "UTF8"
    finally:
        await conn.close()


async def test_databases_are_independent(pg_server: PgServer) -> None:
    url_a = pg_server.create_database("t_pgserver_a")
    url_b = pg_server.create_database("t_pgserver_b")
    assert url_a.endswith("/t_pgserver_a") and url_b.endswith("/t_pgserver_b")
    a = await asyncpg.connect(url_a)
    b = await asyncpg.connect(url_b)
    try:
        assert await a.fetchval("select 1") == 1
        assert await b.fetchval("select 1") == 1
        assert await a.fetchval("select current_database()") == "t_pgserver_a"
        await a.execute("create table only_in_a (x int)")
        await a.execute("insert into only_in_a values (42)")
        assert await a.fetchval("select x from only_in_a") == 42
        with pytest.raises(asyncpg.UndefinedTableError):
            await b.fetchval("select x from only_in_a")
    finally:
        await a.close()
        await b.close()


async def test_recreating_a_database_empties_it(pg_server: PgServer) -> None:
    url = pg_server.create_database("t_pgserver_again")
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("create table leftover (x int)")
    finally:
        await conn.close()
    url = pg_server.create_database("t_pgserver_again")  # dropped and made anew
    conn = await asyncpg.connect(url)
    try:
        assert await conn.fetchval("select to_regclass('leftover')") is None
    finally:
        await conn.close()


def test_fresh_database_fixture(pg_database_url: str) -> None:
    assert pg_database_url.startswith("postgres://")
