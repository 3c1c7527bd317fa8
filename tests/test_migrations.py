"""The migrations in app/migrations are the only way a real database gets its schema: they must
match the models exactly, on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from pgserver import PgServer
from tortoise import Tortoise
from tortoise.cli.cli import tortoise_cli_context
from tortoise.migrations.autodetector import MigrationAutodetector

from app import db

SQLITE_COLUMNS = (
    "SELECT m.name AS tbl, p.name AS col FROM sqlite_master m JOIN pragma_table_info(m.name) p"
    " WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE 'tortoise_%'"
)
PG_COLUMNS = (
    "SELECT table_name AS tbl, column_name AS col FROM information_schema.columns"
    " WHERE table_schema = 'public' AND table_name NOT LIKE 'tortoise_%'"
)


SQLITE_INDEXES = (
    'SELECT m.name AS tbl, il."unique" AS uniq, group_concat(ii.name) AS cols'
    " FROM sqlite_master m JOIN pragma_index_list(m.name) il JOIN pragma_index_info(il.name) ii"
    " WHERE m.type = 'table' AND m.name NOT LIKE 'tortoise_%' GROUP BY m.name, il.name"
)
PG_INDEXES = (
    "SELECT t.relname AS tbl, ix.indisunique AS uniq,"
    " string_agg(a.attname, ',' ORDER BY k.n) AS cols"
    " FROM pg_index ix JOIN pg_class t ON t.oid = ix.indrelid"
    " JOIN pg_namespace ns ON ns.oid = t.relnamespace"
    " CROSS JOIN LATERAL unnest(ix.indkey) WITH ORDINALITY AS k(attnum, n)"
    " JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum"
    " WHERE ns.nspname = 'public' AND t.relname NOT LIKE 'tortoise_%'"
    " GROUP BY t.relname, ix.indexrelid, ix.indisunique"
)


async def _indexes(url: str, *, migrate: bool) -> set[tuple[str, bool, str]]:
    """(table, unique, columns) of every index: a lost index is a slow query in production."""
    if migrate:
        await db.migrate(url)
        await db.close_db()
    await db.init_db(url)
    if not migrate:
        await Tortoise.generate_schemas()
    from app.services.sql import fetch

    rows = await fetch(PG_INDEXES if db.is_postgres(url) else SQLITE_INDEXES)
    await db.close_db()
    return {(r["tbl"], bool(r["uniq"]), r["cols"]) for r in rows}


async def _columns(url: str, *, migrate: bool) -> set[tuple[str, str]]:
    if migrate:
        await db.migrate(url)
        await db.close_db()
        await db.init_db(url)
    else:
        await db.init_db(url)
        await Tortoise.generate_schemas()
    from app.services.sql import fetch

    rows = await fetch(PG_COLUMNS if db.is_postgres(url) else SQLITE_COLUMNS)
    await db.close_db()
    return {(r["tbl"], r["col"]) for r in rows if not r["tbl"].startswith("tortoise")}


def test_the_models_have_no_changes_missing_from_the_migrations() -> None:
    config = db.tortoise_config("sqlite://:memory:")

    async def main() -> list[object]:
        async with tortoise_cli_context(config) as ctx:
            return await MigrationAutodetector(ctx.apps, config["apps"]).changes()

    assert asyncio.run(main()) == [], "run: tortoise -c app.db.TORTOISE_ORM makemigrations"


def test_migrations_build_the_same_tables_as_the_models_on_sqlite(tmp_path: Path) -> None:
    migrated = asyncio.run(_columns(f"sqlite://{tmp_path / 'm.db'}", migrate=True))
    generated = asyncio.run(_columns(f"sqlite://{tmp_path / 'g.db'}", migrate=False))
    assert migrated == generated
    assert ("journal_entry", "amount_micros") in migrated


def test_migrations_build_the_same_indexes_as_the_models_on_sqlite(tmp_path: Path) -> None:
    migrated = asyncio.run(_indexes(f"sqlite://{tmp_path / 'm.db'}", migrate=True))
    generated = asyncio.run(_indexes(f"sqlite://{tmp_path / 'g.db'}", migrate=False))
    assert migrated == generated
    assert ("spend", True, "source,external_id,project_id") in migrated


@pytest.mark.postgres
def test_migrations_build_the_same_indexes_as_the_models_on_postgres(pg_server: PgServer) -> None:
    migrated = asyncio.run(_indexes(pg_server.create_database(), migrate=True))
    generated = asyncio.run(_indexes(pg_server.create_database(), migrate=False))
    assert migrated == generated


@pytest.mark.postgres
def test_migrations_build_the_same_tables_as_the_models_on_postgres(pg_server: PgServer) -> None:
    migrated = asyncio.run(_columns(pg_server.create_database(), migrate=True))
    generated = asyncio.run(_columns(pg_server.create_database(), migrate=False))
    assert migrated == generated


# --- upgrading a database that holds rows ----------------------------------------------------

_FIRST = "0002_trust"  # the oldest state real installations run today


async def _fill_every_table(url: str) -> dict[str, int]:
    """One row in every table, NOT NULL columns given a value of their type, foreign keys off:
    what matters is that each later migration keeps the rows (a NOT NULL column added without a
    database default fails here, never on an empty test database)."""
    from app.services.sql import execute, fetch

    counts = {}
    if db.is_postgres(url):
        await execute("SET session_replication_role = replica")  # no FK checks for this fill
        tables = [
            r["tbl"]
            for r in await fetch(
                "SELECT table_name AS tbl FROM information_schema.tables"
                " WHERE table_schema = 'public' AND table_name NOT LIKE 'tortoise_%'"
            )
        ]
    else:
        await execute("PRAGMA foreign_keys = OFF")  # no FK checks for this fill
        tables = [
            r["name"]
            for r in await fetch(
                "SELECT name FROM sqlite_master WHERE type = 'table'"
                " AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'tortoise_%'"
            )
        ]
    for table in tables:
        if db.is_postgres(url):
            columns = await fetch(
                "SELECT column_name AS name, data_type AS type,"
                " is_nullable = 'NO' AND column_default IS NULL AS required"
                " FROM information_schema.columns WHERE table_name = ?",
                table,
            )
        else:
            columns = [
                {
                    "name": r["name"],
                    "type": r["type"],
                    "required": r["notnull"] and r["dflt_value"] is None,
                }
                for r in await fetch(f'SELECT * FROM pragma_table_info("{table}")')
            ]
        names, values = [], []
        for c in columns:
            if not c["required"]:
                continue
            kind = str(c["type"]).lower()
            names.append(f'"{c["name"]}"')
            if "json" in kind:
                values.append("'{}'")
            elif "int" in kind or "numeric" in kind or ("bool" in kind and not db.is_postgres(url)):
                values.append("1")
            elif "bool" in kind:
                values.append("true")
            elif "timestamp" in kind:
                values.append("'2026-03-01 00:00:00+00'")
            elif "date" in kind:
                values.append("'2026-03-01'")
            else:
                values.append("'x'")
        await execute(f'INSERT INTO "{table}" ({", ".join(names)}) VALUES ({", ".join(values)})')
        counts[table] = 1
    return counts


async def _upgrade_with_rows(url: str) -> tuple[dict[str, int], dict[str, int]]:
    from app.services.sql import fetch

    await db.migrate(url, target=f"models.{_FIRST}")
    await db.close_db()
    await db.init_db(url)
    before = await _fill_every_table(url)
    await db.close_db()
    await db.migrate(url)  # every later migration, over tables that hold rows
    await db.close_db()
    await db.init_db(url)
    after = {t: (await fetch(f'SELECT COUNT(*) AS n FROM "{t}"'))[0]["n"] for t in before}
    await db.close_db()
    return before, after


def test_every_migration_upgrades_a_database_that_holds_rows_on_sqlite(tmp_path: Path) -> None:
    before, after = asyncio.run(_upgrade_with_rows(f"sqlite://{tmp_path / 'old.db'}"))
    assert after == before


def test_every_migration_upgrades_a_database_that_holds_rows_on_postgres(
    pg_server: PgServer,
) -> None:
    before, after = asyncio.run(_upgrade_with_rows(pg_server.create_database()))
    assert after == before
