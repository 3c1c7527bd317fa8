"""The same commands on PostgreSQL: the schema checks speak its errors too."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_world import PI, Cli
from pgserver import PgServer
from typer.testing import CliRunner

from app.settings import get_settings


@pytest.mark.postgres
def test_an_empty_postgres_database_is_migrated_then_used(
    pg_server: PgServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tortoise.backends.base.executor import EXECUTOR_CACHE

    EXECUTOR_CACHE.clear()  # SQL cached per connection name, not per dialect
    monkeypatch.setenv("ALLOT_DATABASE_URL", pg_server.create_database())
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    cli = Cli(CliRunner(), tmp_path)
    try:
        assert "has no Allot tables yet: run `allot migrate`" in cli.refused("users", "list")
        cli.ok("migrate")
        cli.ok("users", "create", "--name", "Pat", "--email", PI, "--creator")
        cli.ok(
            "budgets", "create", "--name", "Q", "--amount", "900", "--period", "quarterly", as_=PI
        )
        cli.ok("projects", "create", "--name", "Genomics", as_=PI)
        cli.ok("allocate", "Q", "genomics", "300", as_=PI)

        out = cli.ok("status", "Q", as_=PI)

        assert "$900.00" in out and "$300.00" in out
    finally:
        EXECUTOR_CACHE.clear()
        get_settings.cache_clear()
