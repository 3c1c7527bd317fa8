"""Every failure is one line naming what to fix, with exit 1 (refused, failed) or 2 (usage)."""

from __future__ import annotations

import socket
import sqlite3
import sys
from pathlib import Path

import pytest
from cli_world import MEMBER, Cli
from typer.testing import CliRunner

from app.settings import get_settings


def test_a_missing_import_file_is_named_not_the_database(lab: Cli) -> None:
    line = lab.refused("import", "focus", "no-such-export.csv", "--budget", "bud_1", code=2)

    assert line == "error: no such file: no-such-export.csv"


def test_an_invalid_setting_names_the_setting_and_its_rule(lab: Cli) -> None:
    result = lab("budgets", "list", ALLOT_PORT="abc")

    assert result.exit_code == 1
    assert result.stderr.strip() == (
        "error: invalid setting ALLOT_PORT='abc': Input should be a valid integer, unable to"
        " parse string as an integer (from the environment or .env)"
    )


def test_a_channel_digest_frequency_that_is_not_one_names_the_setting(lab: Cli) -> None:
    result = lab("budgets", "list", ALLOT_SLACK_CHANNEL_DIGEST="hourly")

    assert result.exit_code == 1
    assert "ALLOT_SLACK_CHANNEL_DIGEST='hourly'" in result.stderr
    assert "must be DAILY, WEEKLY or empty" in result.stderr


def test_demo_on_a_database_with_data_says_so(migrated: Cli) -> None:
    migrated.ok("users", "create", "--name", "Ada", "--email", "ada@example.org", "--admin")
    migrated.ok("budgets", "create", "--name", "Mine", "--amount", "5", "--period", "monthly")

    line = migrated.refused("demo")
    assert line == (
        f"error: {migrated.path} already has data (1 budget(s)): the demo loads only into an"
        " empty database; use a new ALLOT_DATABASE_URL, or `allot demo --if-empty` to skip"
        " quietly"
    )
    quiet = migrated("demo", "--if-empty")
    assert quiet.exit_code == 0 and quiet.stdout.strip() == (
        "database already has data; demo not loaded"
    )


def test_a_folder_without_a_database_says_which_one_and_how_to_create_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ALLOT_DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    cli = Cli(CliRunner(), tmp_path / "allot.db")

    line = cli.refused("budgets", "list")

    assert line == (
        f"error: no database at {tmp_path / 'allot.db'} (ALLOT_DATABASE_URL=sqlite://allot.db,"
        " the default): create it with `allot migrate` (or `allot demo` for sample data),"
        " or point ALLOT_DATABASE_URL at yours"
    )
    assert not (tmp_path / "allot.db").exists()  # looking did not create an empty file
    get_settings.cache_clear()


def test_an_unmigrated_database_says_to_migrate(cli: Cli) -> None:
    cli.path.unlink()
    sqlite3.connect(cli.path).close()  # an empty SQLite file

    line = cli.refused("users", "list")

    assert "has no Allot tables yet: run `allot migrate`" in line


def test_a_database_behind_the_migrations_says_to_migrate(migrated: Cli) -> None:
    assert "no admin user yet" in migrated.refused("budgets", "list")  # up to date: no complaint
    with sqlite3.connect(migrated.path) as conn:
        conn.execute("DELETE FROM tortoise_migrations WHERE name = '0002_trust'")

    line = migrated.refused("budgets", "list")

    assert "is 1 migration(s) behind (0002_trust): run `allot migrate`" in line


def test_a_taken_port_says_how_to_pick_another(lab: Cli) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        line = lab.refused("serve", "--host", "127.0.0.1", "--port", str(port))

    assert line == (
        f"error: port {port} on 127.0.0.1 is already in use (another `allot serve`?): pick"
        " another with `allot serve --port N` or `make run PORT=N`"
    )


def test_serve_refuses_a_missing_database_before_listening(tmp_path: Path, cli: Cli) -> None:
    cli.path.unlink()

    assert "create it with `allot migrate`" in cli.refused("serve", "--port", "1")


def test_without_an_admin_the_default_user_is_explained(cli: Cli) -> None:
    assert cli.refused("budgets", "list") == (
        "error: no admin user yet: create one with `allot users create --admin --name NAME"
        " --email EMAIL` (or load `allot demo`), or act as a user with --as EMAIL"
    )


def test_acting_as_an_unknown_user(lab: Cli) -> None:
    assert lab.refused("budgets", "list", as_="zed@example.org") == (
        "error: no user with e-mail zed@example.org (--as)"
    )


def test_an_unexpected_error_is_one_line_too(
    lab: Cli, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import app.cli
    from app.services import verify

    async def broken() -> list[object]:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(verify, "verify", broken)
    monkeypatch.setattr(sys, "argv", ["allot", "verify"])

    with pytest.raises(SystemExit) as exited:
        app.cli.main()

    assert exited.value.code == 1
    err = capsys.readouterr().err
    assert err.strip() == (
        "error: unexpected RuntimeError: disk on fire (ALLOT_DEBUG=1 shows the traceback)"
    )


def test_usage_errors_exit_2(lab: Cli) -> None:
    assert lab("no-such-command").exit_code == 2
    assert lab("spend", "add", "genomics", as_=MEMBER).exit_code == 2
    assert "--budget must be a budget id" in lab.refused(
        "import", "focus", "x.csv", "--budget", "lab", code=2
    )


def test_migrate_creates_the_database_the_other_commands_then_open(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ALLOT_DATABASE_URL", f"sqlite://{tmp_path / 'new.db'}")
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    cli = Cli(CliRunner(), tmp_path / "new.db")
    assert "no database at" in cli.refused("users", "list")

    assert cli.ok("migrate").strip() == "database is up to date"
    assert cli.ok("migrate").strip() == "database is up to date"  # again: nothing to do
    assert "ada@example.org" in cli.ok(
        "users", "create", "--name", "Ada", "--email", "ada@example.org", "--admin"
    )
    get_settings.cache_clear()


def test_a_missing_price_map_is_named(lab: Cli) -> None:
    assert lab.refused("import", "prices", "prices.json", code=2) == (
        "error: no such file: prices.json"
    )


def test_a_database_older_than_the_code_says_to_migrate(lab: Cli) -> None:
    with sqlite3.connect(lab.path) as conn:
        conn.execute("ALTER TABLE project DROP COLUMN slack_channel")

    line = lab.refused("projects", "create", "--name", "Optics", as_="pat@example.org")

    assert "does not match this version of Allot" in line and "run `allot migrate`" in line
