"""The `allot` command run in-process (typer's CliRunner) against a real, migrated SQLite file.

Commands open and close the database themselves (asyncio.run per invocation), so these tests
are synchronous and never hold a connection of their own. The lab (cli_world.seed_lab) is
built once through the CLI and copied for each test that uses it.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_world import Cli, seed_lab
from helpers import NOW
from typer.testing import CliRunner

from app import clock
from app.settings import get_settings


def _use(path: Path, workdir: Path, monkeypatch: pytest.MonkeyPatch) -> Cli:
    monkeypatch.setenv("ALLOT_DATABASE_URL", f"sqlite://{path}")
    monkeypatch.setenv("COLUMNS", "200")  # rich tables: one row a line
    monkeypatch.delenv("ALLOT_PORT", raising=False)
    monkeypatch.chdir(workdir)  # no .env of the checkout
    get_settings.cache_clear()
    return Cli(CliRunner(), path)


@pytest.fixture(scope="session")
def lab_template(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("lab")
    path = folder / "lab.db"
    shutil.copy(sqlite_template, path)
    with pytest.MonkeyPatch.context() as monkeypatch:
        clock.set_clock(lambda: NOW)
        try:
            seed_lab(_use(path, folder, monkeypatch))
        finally:
            clock.set_clock(None)
            get_settings.cache_clear()
    return path


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database built by the migrations themselves (`allot migrate` then finds nothing to
    do), unlike sqlite_template, which is built from the models."""
    import asyncio

    from app import db

    path = tmp_path_factory.mktemp("migrated") / "migrated.db"

    async def build() -> None:
        await db.migrate(f"sqlite://{path}")
        await db.close_db()

    asyncio.run(build())
    return path


@pytest.fixture
def migrated(
    migrated_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Cli]:
    """An empty database built by `allot migrate`."""
    path = tmp_path / "allot.db"
    shutil.copy(migrated_template, path)
    yield _use(path, tmp_path, monkeypatch)
    get_settings.cache_clear()


@pytest.fixture
def cli(sqlite_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cli]:
    """An empty, migrated database."""
    path = tmp_path / "allot.db"
    shutil.copy(sqlite_template, path)
    yield _use(path, tmp_path, monkeypatch)
    get_settings.cache_clear()


@pytest.fixture
def lab(lab_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cli]:
    """A copy of the lab (see cli_world.seed_lab)."""
    path = tmp_path / "allot.db"
    shutil.copy(lab_template, path)
    yield _use(path, tmp_path, monkeypatch)
    get_settings.cache_clear()
