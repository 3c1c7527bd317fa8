"""`allot periods list|close BUDGET`."""

from __future__ import annotations

from cli_world import MEMBER, PI, Cli


def _statuses(out: str) -> list[tuple[str, str]]:
    cells = [[c.strip() for c in r.split("│")[1:-1]] for r in out.splitlines() if "│" in r]
    return [(c[0], c[3]) for c in cells]


def test_list_and_close_the_open_period(lab: Cli) -> None:
    assert _statuses(lab.ok("periods", "list", "Lab", as_=MEMBER)) == [("1", "OPEN")]

    out = lab.ok("periods", "close", "Lab", "--yes", as_=PI)

    # Closed early, the period ends today (2026-03-15); where the next one starts is the
    # periods service's rule (app.services.periods), shown as it says.
    assert "closed period 1 (2026-03-01 → 2026-03-15)" in out
    assert "opened period 2 (" in out
    assert _statuses(lab.ok("periods", "list", "bud_1", as_=PI)) == [("1", "CLOSED"), ("2", "OPEN")]


def test_only_owners_close_periods(lab: Cli) -> None:
    line = lab.refused("periods", "close", "Lab", "--yes", as_=MEMBER)

    assert line == "error: you are not allowed to close this budget's period"
    assert _statuses(lab.ok("periods", "list", "Lab", as_=PI)) == [("1", "OPEN")]


def test_a_grant_that_ended_has_no_period_to_close(lab: Cli) -> None:
    lab.ok(
        "budgets", "create", "--name", "G", "--amount", "10", "--period", "grant",
        "--start", "2026-03-01", "--end", "2026-06-30", as_=PI,
    )  # fmt: skip
    assert "the budget has ended" in lab.ok("periods", "close", "G", "--yes", as_=PI)

    assert "is closed" in lab.refused("periods", "close", "G", "--yes", as_=PI)
