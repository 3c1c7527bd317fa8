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


# --- corrections: void, refund, move ----------------------------------------------------------


def _spend_id(out: str) -> str:
    """The spd_N a `spend add` printed."""
    return out.rsplit("(spd_", 1)[1].split(")", 1)[0]


def _envelope_spent(lab: Cli, slug: str) -> str:
    return next(r["spent"] for r in rows(lab, "allocations") if r["project_slug"] == slug)


def test_a_member_voids_a_spend_and_the_ledger_stays_clean(lab: Cli) -> None:
    sid = _spend_id(lab.ok("spend", "add", "genomics", "120", as_=MEMBER))

    out = lab.ok("spend", "void", f"spd_{sid}", "--reason", "recorded twice", as_=MEMBER)

    assert f"voided spd_{sid}: $120.00 given back to genomics in Lab (reversal spd_" in out
    assert "genomics: remaining $4,000.00 · HEALTHY" in out
    assert _envelope_spent(lab, "genomics") == "0"
    # Nothing is rewritten: the spend and its reversal are both there.
    amounts = sorted(s["amount"] for s in rows(lab, "spend"))
    assert amounts == ["-120", "120"]
    assert "zero drift" in lab.ok("verify")
    # A voided spend cannot be voided again: one line, exit 1.
    assert "already voided" in lab.refused("spend", "void", sid, "--reason", "again", as_=MEMBER)


def test_a_refund_gives_back_part_of_a_spend(lab: Cli) -> None:
    sid = _spend_id(lab.ok("spend", "add", "genomics", "100", as_=MEMBER))

    out = lab.ok("spend", "refund", sid, "$30", "--reason", "credit note 7", as_=MEMBER)

    assert f"refunded $30.00 of spd_{sid} to genomics in Lab (credit spd_" in out
    assert "$70.00 of it remains" in out
    assert _envelope_spent(lab, "genomics") == "70"
    line = lab.refused("spend", "refund", sid, "71", "--reason", "too much", as_=MEMBER)
    assert line.startswith("error: AMOUNT must be at most what remains of the spend (70)")
    assert "EUR" in lab.refused("spend", "refund", sid, "€5", "--reason", "x", as_=MEMBER)
    assert "AMOUNT" in lab.refused(
        "spend", "refund", sid, "ten", "--reason", "x", as_=MEMBER, code=2
    )


def test_an_owner_moves_a_spend_to_the_project_it_belongs_to(lab: Cli) -> None:
    sid = _spend_id(lab.ok("spend", "add", "genomics", "45.5", "--service", "gpu", as_=MEMBER))

    out = lab.ok(
        "spend", "move", sid, "--to", "climate", "--budget", "Lab", "--reason", "climate's run",
        as_=PI,
    )  # fmt: skip

    assert f"moved spd_{sid} ($45.50) from genomics in Lab to climate in Lab (now spd_" in out
    assert "genomics: remaining $4,000.00" in out and "climate: remaining $2,954.50" in out
    assert (_envelope_spent(lab, "genomics"), _envelope_spent(lab, "climate")) == ("0", "45.5")
    assert "zero drift" in lab.ok("verify")


def test_corrections_are_checked_like_the_spend_they_correct(lab: Cli) -> None:
    sid = _spend_id(lab.ok("spend", "add", "genomics", "10", as_=MEMBER))

    assert "not allowed" in lab.refused("spend", "void", sid, "--reason", "no", as_=VIEWER)
    assert "not allowed" in lab.refused("spend", "refund", sid, "1", "--reason", "no", as_=OTHER)
    # Mia cannot see climate, so she cannot move genomics' spend there either.
    assert "(--to)" in lab.refused(
        "spend", "move", sid, "--to", "climate", "--reason", "no", as_=MEMBER
    )
    # Oli may spend on climate, but may not take genomics' spend there.
    assert "not allowed" in lab.refused(
        "spend", "move", sid, "--to", "climate", "--reason", "no", as_=OTHER
    )
    assert _envelope_spent(lab, "genomics") == "10"


def test_bad_correction_input_is_one_line(lab: Cli) -> None:
    sid = _spend_id(lab.ok("spend", "add", "genomics", "10", as_=MEMBER))

    assert "SPEND_ID" in lab.refused("spend", "void", "bud_1", "--reason", "x", code=2)
    assert "not found" in lab.refused("spend", "void", "spd_999", "--reason", "x")
    assert "--reason" in lab.refused("spend", "void", sid, "--reason", "  ", as_=MEMBER)
    assert "--reason" in lab("spend", "void", sid).output  # required: a usage error
    assert lab("spend", "void", sid).exit_code == 2
    assert "--to" in lab.refused("spend", "move", sid, "--to", "genomics", "--reason", "x")
