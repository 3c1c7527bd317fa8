"""`allot status BUDGET`: the GraphQL Budget's figures, as the acting user sees them.

The clock is pinned to 2026-03-15 12:00 UTC: 17 days of March are left, today included.
"""

from __future__ import annotations

from cli_world import MEMBER, PI, Cli


def _fact(out: str, label: str) -> str:
    line = next(row for row in out.splitlines() if row.startswith(label + " "))
    return line[len(label) :].strip()


def _row(out: str, slug: str) -> list[str]:
    line = next(row for row in out.splitlines() if f" {slug} " in row)
    return [cell.strip() for cell in line.split("│")[1:-1]]


def test_status_shows_the_budgets_figures_pace_and_forecast(lab: Cli) -> None:
    lab.ok("spend", "add", "genomics", "600", "--at", "2026-03-15T08:00Z", as_=MEMBER)

    out = lab.ok("status", "Lab", as_=PI)

    assert "Lab (bud_1) · MONTHLY period 1: 2026-03-01 → 2026-03-31 (UTC), 48% elapsed" in out
    assert _fact(out, "amount") == "$10,000.00"
    assert _fact(out, "allocated") == "$7,000.00"
    assert _fact(out, "unallocated") == "$3,000.00"
    assert _fact(out, "spent") == "$600.00 (6%)"
    assert _fact(out, "remaining") == "$9,400.00"
    assert _fact(out, "status") == "HEALTHY"
    assert _fact(out, "pace") == "BEHIND"
    # What was left this morning ($10,000) over 17 days; $600 of today's share is spent.
    assert _fact(out, "daily drip") == "$588.24"
    assert _fact(out, "today") == "$600.00 spent, $0.00 left"
    assert _fact(out, "burn rate").endswith("a day")
    assert _fact(out, "forecast").endswith("by 2026-03-31")
    genomics = _row(out, "genomics")
    assert genomics[:6] == ["genomics", "$4,000.00", "$600.00", "$3,400.00", "15%", "HEALTHY"]
    assert genomics[6] == "$235.29"  # $4,000 over 17 days
    assert _row(out, "climate")[:4] == ["climate", "$3,000.00", "$0.00", "$3,000.00"]


def test_a_member_sees_their_share_of_the_budget(lab: Cli) -> None:
    out = lab.ok("status", "bud_1", as_=MEMBER)

    assert _fact(out, "amount") == "$7,000.00"  # their $4,000 envelope and the $3,000 pool
    assert "genomics" in out and " climate " not in out


def test_status_of_a_budget_you_cannot_see(lab: Cli) -> None:
    line = lab.refused("status", "bud_7", as_=PI)
    assert "no budget 'bud_7' that you can see" in line


def test_a_budget_that_exists_but_is_not_yours_reads_as_missing(lab: Cli) -> None:
    lab.ok("budgets", "create", "--name", "Dept", "--amount", "5", "--period", "annual", as_=PI)

    line = lab.refused("status", "bud_2", as_=MEMBER)

    assert line == "error: no budget 'bud_2' that you can see (BUDGET)"
