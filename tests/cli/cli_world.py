"""The people and the lab the CLI tests act in, and the runner wrapper (import from here)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from typer.testing import CliRunner, Result


@dataclass
class Cli:
    """`cli("budgets", "list", as_="mia@example.org")` → click's Result (exit_code, stdout,
    stderr). `ok(...)` also asserts success and returns stdout."""

    runner: CliRunner
    path: Path

    def __call__(self, *args: str, as_: str | None = None, **env: str) -> Result:
        from app.cli import app

        argv = (["--as", as_] if as_ else []) + list(args)
        result = self.runner.invoke(app, argv, env=env or None)
        assert "Traceback" not in result.output, result.output
        assert result.exception is None or isinstance(result.exception, SystemExit), repr(
            result.exception
        )
        return result

    def ok(self, *args: str, as_: str | None = None, **env: str) -> str:
        result = self(*args, as_=as_, **env)
        assert result.exit_code == 0, result.output
        return result.stdout

    def refused(self, *args: str, as_: str | None = None, code: int = 1) -> str:
        """The one line on stderr of a command that must fail with `code`."""
        result = self(*args, as_=as_)
        assert result.exit_code == code, result.output
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
        return lines[0]


ADMIN = "ada@example.org"
PI = "pat@example.org"  # budget creator, owner of "Lab", lead of genomics and climate
MEMBER = "mia@example.org"  # MEMBER of genomics
VIEWER = "vic@example.org"  # VIEWER of genomics
OTHER = "oli@example.org"  # MEMBER of climate only


def seed_lab(cli: Cli) -> None:
    """A lab: budget "Lab" (bud_1, $10,000 a month, alerts at 50%), genomics ($4,000) and
    climate ($3,000), and five people with different rights."""
    cli.ok("users", "create", "--name", "Ada Admin", "--email", ADMIN, "--admin")
    cli.ok("users", "create", "--name", "Pat PI", "--email", PI, "--creator")
    for name, email in (("Mia Member", MEMBER), ("Vic Viewer", VIEWER), ("Oli Other", OTHER)):
        cli.ok("users", "create", "--name", name, "--email", email)
    cli.ok(
        "budgets", "create", "--name", "Lab", "--amount", "10,000", "--period", "monthly",
        "--start", "2026-03-01", "--thresholds", "50", as_=PI,
    )  # fmt: skip
    cli.ok("projects", "create", "--name", "Genomics", as_=PI)
    cli.ok("projects", "create", "--name", "Climate", as_=PI)
    cli.ok("projects", "members", "add", "genomics", MEMBER, as_=PI)
    cli.ok("projects", "members", "add", "genomics", VIEWER, "--role", "viewer", as_=PI)
    cli.ok("projects", "members", "add", "climate", OTHER, as_=PI)
    cli.ok("allocate", "Lab", "genomics", "4000", as_=PI)
    cli.ok("allocate", "Lab", "climate", "3000", as_=PI)


def rows(cli: Cli, report: str, as_: str | None = None, budget: str = "bud_1") -> list[dict]:
    """A report's rows with their exact decimals (`allot export … --format json`)."""
    import json

    return json.loads(cli.ok("export", budget, "--report", report, "--format", "json", as_=as_))


def envelopes(cli: Cli, as_: str | None = None) -> dict[str, str]:
    """slug → allocated (exact) in the current period of Lab."""
    return {r["project_slug"]: r["allocated"] for r in rows(cli, "allocations", as_)}
