"""`allot spend add`: exact amounts, once per external id, by the people who may spend."""

from __future__ import annotations

from cli_world import MEMBER, OTHER, PI, VIEWER, Cli, rows


def test_a_member_records_spend_with_every_detail(lab: Cli) -> None:
    out = lab.ok(
        "spend", "add", "genomics", "1,250.50", "--service", "aws-ec2", "--description",
        "GPU run", "--external-id", "inv-1", "--at", "2026-03-14T09:30:00Z", as_=MEMBER,
    )  # fmt: skip

    assert "recorded $1,250.50 on genomics in Lab (spd_" in out
    assert "remaining $2,749.50 · HEALTHY" in out
    (spend,) = rows(lab, "spend")
    assert (spend["amount"], spend["service"], spend["description"]) == (
        "1250.5",
        "aws-ec2",
        "GPU run",
    )
    assert (spend["external_id"], spend["occurred_at"]) == ("inv-1", "2026-03-14T09:30:00Z")
    assert spend["recorded_by"] == MEMBER


def test_a_tiny_cost_is_kept_exact(lab: Cli) -> None:
    out = lab.ok("spend", "add", "genomics", "0.000123", "--service", "gpt-4o", as_=MEMBER)

    assert "recorded $0.000123 on genomics" in out
    assert [s["amount"] for s in rows(lab, "spend")] == ["0.000123"]


def test_the_same_external_id_is_recorded_once(lab: Cli) -> None:
    args = ("spend", "add", "genomics", "12", "--external-id", "inv-7")
    lab.ok(*args, as_=MEMBER)

    assert "already recorded" in lab.ok(*args, as_=MEMBER)
    assert len(rows(lab, "spend")) == 1


def test_viewers_and_other_projects_cannot_spend(lab: Cli) -> None:
    assert "not allowed" in lab.refused("spend", "add", "genomics", "5", as_=VIEWER)
    # Climate's member cannot name genomics at all.
    assert "no project" in lab.refused("spend", "add", "genomics", "5", as_=OTHER)
    assert rows(lab, "spend") == []


def test_an_owner_records_on_any_of_the_budgets_allocations(lab: Cli) -> None:
    assert "recorded $7.00 on climate" in lab.ok("spend", "add", "climate", "$7", as_=PI)


def test_a_symbol_of_another_currency_is_refused(lab: Cli) -> None:
    line = lab.refused("spend", "add", "climate", "€5", as_=PI)

    assert "EUR" in line and "USD" in line


def test_bad_amounts_and_times_are_usage_errors(lab: Cli) -> None:
    assert "AMOUNT" in lab.refused("spend", "add", "genomics", "ten", as_=MEMBER, code=2)
    assert "--at" in lab.refused(
        "spend", "add", "genomics", "1", "--at", "yesterday", as_=MEMBER, code=2
    )
