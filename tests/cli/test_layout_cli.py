"""The command tree: every command of before is still there, beside the everyday verbs."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cli_world import Cli

ROOT = Path(__file__).resolve().parents[2]


def test_help_lists_every_command(cli: Cli) -> None:
    out = cli.ok("--help")

    for name in (
        "serve", "migrate", "demo", "users", "tokens", "verify", "import", "rules", "export",
        "budgets", "projects", "allocate", "spend", "transfers", "status", "periods", "alerts",
    ):  # fmt: skip
        assert f" {name} " in out, name
    assert "--as" in out


@pytest.mark.parametrize(
    ("group", "verbs"),
    [
        ("budgets", ["list", "show", "create", "update", "archive", "restore", "delete"]),
        ("projects", ["list", "create", "members"]),
        ("transfers", ["list", "request", "approve", "reject", "cancel"]),
        ("periods", ["list", "close"]),
        ("spend", ["add", "void", "refund", "move"]),
        ("users", ["create", "list", "set-password", "grant-creator", "revoke-creator"]),
    ],
)
def test_each_group_has_its_verbs(cli: Cli, group: str, verbs: list[str]) -> None:
    out = cli.ok(group, "--help")

    for verb in verbs:
        assert f" {verb} " in out, verb


def test_python_dash_m_app_cli_is_the_same_command() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "app.cli", "--help"], cwd=ROOT, capture_output=True, text=True
    )

    assert done.returncode == 0 and "allocate" in done.stdout


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_run_passes_port_to_serve() -> None:
    def serve_line(*args: str) -> str:
        done = subprocess.run(
            ["make", "-n", "run", *args], cwd=ROOT, capture_output=True, text=True, check=True
        )
        # Under `make test` a nested make also prints "make[1]: Leaving directory …".
        return [line for line in done.stdout.splitlines() if "allot serve" in line][-1].strip()

    assert serve_line("PORT=8123").endswith("allot serve --port 8123")
    assert serve_line("PORT=").endswith("allot serve")
