"""`allot budgets list|show|create|update`."""

from __future__ import annotations

from cli_world import ADMIN, MEMBER, OTHER, PI, Cli


def _line(out: str, text: str) -> str:
    return next(row for row in out.splitlines() if text in row)


def test_create_with_every_setting_and_show_them(lab: Cli) -> None:
    out = lab.ok(
        "budgets", "create", "--name", "NSF Grant", "--amount", "$50k", "--period", "GRANT",
        "--start", "2026-01-01", "--end", "2027-12-31", "--currency", "eur",
        "--timezone", "Europe/Berlin", "--thresholds", "50,80,100%", "--rollover", "carry_unspent",
        "--hard-limit", "--enforce-pacing", "--slack-channel", "#grant", "--slack-privacy", "full",
        "--description", "Three years of work", "--owner", ADMIN, as_=PI,
    )  # fmt: skip

    assert "created budget bud_2 'NSF Grant': €50,000.00 GRANT from 2026-01-01" in out
    shown = lab.ok("budgets", "show", "NSF Grant", as_=PI)
    for text in (
        "GRANT from 2026-01-01 to 2027-12-31, Europe/Berlin",
        "Pat PI <pat@example.org>",
        "Ada Admin <ada@example.org>",
        "50%, 80%, 100%",
        "CARRY_UNSPENT",
        "hard limit, pacing",
        "#grant (privacy FULL)",
        "Three years of work",
        "€50,000.00",
    ):
        assert text in shown, text


def test_list_shows_figures_with_currency_and_separators(lab: Cli) -> None:
    out = lab.ok("budgets", "list", as_=PI)
    header, row = _line(out, "unallocated"), _line(out, "Lab")

    cells = row.split("│")[1:-1]
    assert [c.strip() for c in cells] == [
        "bud_1", "Lab", "MONTHLY", "$10,000.00", "$7,000.00", "$3,000.00", "$0.00",
        "$10,000.00", "0%", "HEALTHY",
    ]  # fmt: skip
    # Money is right-aligned under its header: the cells end where the header cells end.
    heads = header.split("┃")[1:-1]
    for head, cell in zip(heads[3:8], cells[3:8], strict=True):
        assert len(head) == len(cell) and cell.endswith("0 ") and head.endswith(head.strip() + " ")


def test_a_member_sees_the_pool_and_their_own_envelopes_only(lab: Cli) -> None:
    row = _line(lab.ok("budgets", "list", as_=MEMBER), "Lab")

    # genomics' $4,000 and the $3,000 pool; climate's $3,000 is not theirs to see.
    assert "$7,000.00" in row and "$4,000.00" in row and "$3,000.00" in row
    shown = lab.ok("budgets", "show", "bud_1", as_=MEMBER)
    assert "genomics" in shown and "climate" not in shown


def test_a_budget_you_cannot_see_is_not_found(lab: Cli) -> None:
    lab.ok("budgets", "create", "--name", "Private", "--amount", "5", "--period", "monthly", as_=PI)

    assert "no budget" in lab.refused("budgets", "show", "Private", as_=OTHER)
    assert "Private" not in lab.ok("budgets", "list", as_=OTHER)


def test_update_changes_only_what_is_given(lab: Cli) -> None:
    out = lab.ok(
        "budgets", "update", "Lab", "--amount", "12,000", "--auto-approve-below", "100",
        "--no-hard-limit", "--slack-channel", "#lab", as_=PI,
    )  # fmt: skip

    assert "updated budget bud_1 'Lab'" in out
    shown = lab.ok("budgets", "show", "Lab", as_=PI)
    assert "$12,000.00" in shown and "below $100.00" in shown and "#lab" in shown
    lab.ok("budgets", "update", "Lab", "--auto-approve-below", "none", as_=PI)
    assert "auto-approve  no" in lab.ok("budgets", "show", "Lab", as_=PI)


def test_update_without_options_is_a_usage_error(lab: Cli) -> None:
    assert "nothing to change" in lab.refused("budgets", "update", "Lab", as_=PI, code=2)


def test_update_is_for_owners(lab: Cli) -> None:
    line = lab.refused("budgets", "update", "Lab", "--name", "Mine", as_=MEMBER)

    assert line == "error: you are not allowed to change this budget"


def test_create_errors_name_the_option(lab: Cli) -> None:
    base = ("budgets", "create", "--name", "X", "--amount", "100")
    assert "--end" in lab.refused(*base, "--period", "grant", as_=PI)
    assert "--timezone" in lab.refused(
        *base, "--period", "monthly", "--timezone", "Mars/Base", as_=PI
    )
    assert "--start" in lab.refused(
        *base, "--period", "monthly", "--start", "March", as_=PI, code=2
    )
    result = lab(*base, "--period", "fortnightly", as_=PI)
    assert result.exit_code == 2 and "fortnightly" in result.stderr
    assert "--week-start applies only to WEEKLY" in lab.refused(
        *base, "--period", "monthly", "--week-start", "sunday", as_=PI
    )
    assert "--reset-day must be a day of the month from 1 to 28" in lab.refused(
        *base, "--period", "monthly", "--reset-day", "31", as_=PI
    )


def test_create_on_a_fiscal_calendar(lab: Cli) -> None:
    lab.ok(
        "budgets", "create", "--name", "Ops FY", "--amount", "120k", "--period", "annual",
        "--start", "2026-03-10", "--fiscal-year-start-month", "7", as_=PI,
    )  # fmt: skip
    shown = lab.ok("budgets", "show", "Ops FY", as_=PI)
    # The first period runs to the fiscal year's end (30 June), not the calendar year's.
    assert "2026-06-30" in shown and "2026-12-31" not in shown
    lab.ok(
        "budgets", "create", "--name", "LLM", "--amount", "20", "--period", "weekly",
        "--start", "2026-03-10", "--week-start", "sunday", as_=PI,
    )  # fmt: skip
    assert "2026-03-14" in lab.ok("budgets", "show", "LLM", as_=PI)  # Tuesday to Saturday


def test_archive_restore_and_delete(lab: Cli) -> None:
    lab.ok("budgets", "create", "--name", "Spare", "--amount", "100", "--period", "monthly", as_=PI)
    assert "archived budget" in lab.ok("budgets", "archive", "Spare", as_=PI)
    assert "Spare" not in lab.ok("budgets", "list", as_=PI)
    assert "already archived" in lab.refused("budgets", "archive", "Spare", as_=PI)
    assert "restored budget" in lab.ok("budgets", "restore", "Spare", as_=PI)
    assert "Spare" in lab.ok("budgets", "list", as_=PI)
    assert "deleted budget" in lab.ok("budgets", "delete", "Spare", as_=PI)
    assert 'no budget "Spare"' in lab.refused("budgets", "show", "Spare", as_=PI)
    # A budget that moved money is archived, not deleted; a member may do neither.
    assert "archive" in lab.refused("budgets", "delete", "Lab", as_=PI)
    assert lab.refused("budgets", "archive", "Lab", as_=MEMBER)
