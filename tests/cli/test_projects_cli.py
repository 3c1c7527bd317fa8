"""`allot projects list|create` and `allot projects members add|remove`."""

from __future__ import annotations

from cli_world import ADMIN, MEMBER, OTHER, PI, Cli


def test_create_makes_the_creator_its_lead(lab: Cli) -> None:
    out = lab.ok("projects", "create", "--name", "Deep Sea", "--slack-channel", "#sea", as_=PI)

    assert "created project prj_3 deep-sea (Deep Sea)" in out
    row = next(r for r in lab.ok("projects", "list", as_=PI).splitlines() if "deep-sea" in r)
    assert "LEAD" in row and "#sea" in row


def test_a_member_lists_only_their_projects(lab: Cli) -> None:
    out = lab.ok("projects", "list", as_=MEMBER)

    assert "genomics" in out and "climate" not in out
    assert "MEMBER" in out


def test_a_lead_adds_and_removes_people(lab: Cli) -> None:
    assert f"{OTHER} is now VIEWER of genomics" in lab.ok(
        "projects", "members", "add", "genomics", OTHER, "--role", "VIEWER", as_=PI
    )
    assert "genomics" in lab.ok("projects", "list", as_=OTHER)

    assert f"{OTHER} removed from genomics" in lab.ok(
        "projects", "members", "remove", "genomics", OTHER, as_=PI
    )
    assert "genomics" not in lab.ok("projects", "list", as_=OTHER)


def test_funding_a_project_gives_no_right_over_its_people(lab: Cli) -> None:
    lab.ok("projects", "create", "--name", "Outside", as_=ADMIN)
    lab.ok("allocate", "Lab", "outside", "100", as_=PI)

    line = lab.refused("projects", "members", "add", "outside", PI, as_=PI)

    assert line == "error: you are not allowed to manage this project's people"


def test_a_member_cannot_manage_people(lab: Cli) -> None:
    line = lab.refused("projects", "members", "add", "genomics", OTHER, as_=MEMBER)

    assert "not allowed to manage this project's people" in line


def test_unknown_person_or_role(lab: Cli) -> None:
    assert "no user with e-mail zed@example.org (EMAIL)" in lab.refused(
        "projects", "members", "add", "genomics", "zed@example.org", as_=PI
    )
    result = lab("projects", "members", "add", "genomics", OTHER, "--role", "BOSS", as_=PI)
    assert result.exit_code == 2
