"""`allot transfers list|request|approve|reject|cancel`."""

from __future__ import annotations

from cli_world import MEMBER, OTHER, PI, Cli, envelopes


def test_a_taking_waits_for_an_owner_who_approves_it(lab: Cli) -> None:
    out = lab.ok(
        "transfers", "request", "500", "--from", "climate", "--to", "genomics",
        "--reason", "sequencing run", as_=MEMBER,
    )  # fmt: skip
    assert "requested trf_1: $500.00 from climate to genomics; PENDING" in out

    mine = next(r for r in lab.ok("transfers", "list", as_=MEMBER).splitlines() if "trf_1" in r)
    assert "another project" in mine and "genomics" in mine and "PENDING" in mine
    theirs = next(r for r in lab.ok("transfers", "list", as_=PI).splitlines() if "trf_1" in r)
    assert "climate" in theirs and "yours to decide" in theirs

    assert "only the budget's owners" in lab.refused("transfers", "approve", "trf_1", as_=MEMBER)
    assert "trf_1 is APPLIED" in lab.ok("transfers", "approve", "trf_1", "--note", "ok", as_=PI)
    assert envelopes(lab) == {"genomics": "4500", "climate": "2500"}


def test_an_owner_request_applies_at_once(lab: Cli) -> None:
    out = lab.ok(
        "transfers", "request", "$1k", "--from", "pool", "--to", "climate", "--reason", "more",
        as_=PI,
    )  # fmt: skip

    assert out.startswith("applied trf_1: $1,000.00 from pool to climate")
    assert envelopes(lab)["climate"] == "4000"


def test_reject_and_cancel(lab: Cli) -> None:
    ask = ("transfers", "request", "10", "--from", "pool", "--to", "genomics", "--reason", "x")
    lab.ok(*ask, as_=MEMBER)
    lab.ok(*ask, as_=MEMBER)

    assert "trf_1 is REJECTED" in lab.ok("transfers", "reject", "1", "--note", "no", as_=PI)
    assert "only the requester" in lab.refused("transfers", "cancel", "trf_2", as_=OTHER)
    assert "trf_2 is CANCELLED" in lab.ok("transfers", "cancel", "trf_2", as_=MEMBER)
    assert "already CANCELLED" in lab.refused("transfers", "approve", "trf_2", as_=PI)
    pending = lab.ok("transfers", "list", "--status", "pending", as_=PI)
    assert pending.strip() == "no transfers PENDING"


def test_sides_that_share_no_budget_or_a_bad_id(lab: Cli) -> None:
    assert "both the pool" in lab.refused(
        "transfers", "request", "1", "--from", "pool", "--to", "pool", "--reason", "x", as_=PI
    )
    assert "--to" in lab.refused(
        "transfers", "request", "1", "--from", "pool", "--to", "optics", "--reason", "x", as_=PI
    )
    assert "TRANSFER must be a Transfer id" in lab.refused(
        "transfers", "approve", "abc", as_=PI, code=2
    )
