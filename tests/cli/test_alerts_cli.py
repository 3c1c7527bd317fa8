"""`allot alerts list [BUDGET]` and the read it runs (app.services.alerts.list_alerts)."""

from __future__ import annotations

from cli_world import ADMIN, MEMBER, OTHER, PI, Cli


def _ids(out: str) -> list[str]:
    return [r.split("│")[1].strip() for r in out.splitlines() if "alr_" in r]


def test_owners_and_the_projects_people_see_its_alerts(lab: Cli) -> None:
    assert lab.ok("alerts", "list", as_=PI).strip() == "no alerts"
    lab.ok("spend", "add", "genomics", "2,000", as_=MEMBER)  # 50% of $4,000

    owner = lab.ok("alerts", "list", "Lab", as_=PI)
    assert _ids(owner) == ["alr_1"]
    assert "Genomics has used 50% of its $4,000.00 allocation in Lab" in owner
    row = next(r for r in owner.splitlines() if "alr_1" in r)
    assert "genomics" in row and "THRESHOLD" in row and "50%" in row and "OPEN" in row
    assert _ids(lab.ok("alerts", "list", as_=MEMBER)) == ["alr_1"]
    assert _ids(lab.ok("alerts", "list", as_=ADMIN)) == ["alr_1"]


def test_a_project_never_sees_another_projects_alerts(lab: Cli) -> None:
    lab.ok("spend", "add", "genomics", "2,000", as_=MEMBER)
    lab.ok("spend", "add", "climate", "1,500", as_=OTHER)  # climate's own 50%

    assert _ids(lab.ok("alerts", "list", as_=OTHER)) == ["alr_2"]
    assert _ids(lab.ok("alerts", "list", as_=MEMBER)) == ["alr_1"]
    assert _ids(lab.ok("alerts", "list", as_=PI)) == ["alr_2", "alr_1"]  # newest first


def test_alerts_of_a_budget_you_cannot_see_are_not_found(lab: Cli) -> None:
    lab.ok("budgets", "create", "--name", "Dept", "--amount", "5", "--period", "annual", as_=PI)

    line = lab.refused("alerts", "list", "bud_2", as_=MEMBER)

    assert line == "error: Budget 2 not found (BUDGET)"
