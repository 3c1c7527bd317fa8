"""`allot allocate`: one project, equal and percent splits, and who may allocate."""

from __future__ import annotations

from cli_world import MEMBER, PI, Cli, envelopes


def test_allocate_one_project_takes_the_amount_as_people_type_it(lab: Cli) -> None:
    out = lab.ok("allocate", "Lab", "genomics", "$4,250.50", as_=PI)

    assert envelopes(lab)["genomics"] == "4250.5"
    assert "$4,250.50" in out and "unallocated in the pool: $2,749.50" in out


def test_allocate_to_zero_hands_the_unspent_back_to_the_pool(lab: Cli) -> None:
    lab.ok("allocate", "bud_1", "climate", "0", as_=PI)

    assert envelopes(lab)["climate"] == "0"


def test_equal_split_keeps_every_micro(lab: Cli) -> None:
    lab.ok("projects", "create", "--name", "Optics", as_=PI)

    lab.ok("allocate", "Lab", "--equal", "100", "genomics", "climate", "optics", as_=PI)

    assert envelopes(lab) == {
        "genomics": "33.333334",
        "climate": "33.333333",
        "optics": "33.333333",
    }


def test_percent_split_divides_the_total(lab: Cli) -> None:
    lab.ok("allocate", "Lab", "--percent", "genomics=40", "climate=60%", "--total", "$5k", as_=PI)

    assert envelopes(lab) == {"genomics": "2000", "climate": "3000"}


def test_explicit_pairs_set_several_allocations_at_once(lab: Cli) -> None:
    lab.ok("allocate", "Lab", "genomics=100", "climate=250.25", as_=PI)

    assert envelopes(lab) == {"genomics": "100", "climate": "250.25"}


def test_a_member_cannot_allocate_and_nothing_changes(lab: Cli) -> None:
    line = lab.refused("allocate", "Lab", "genomics", "9000", as_=MEMBER)

    assert line == "error: you are not allowed to allocate this budget"
    assert envelopes(lab)["genomics"] == "4000"


def test_more_than_the_pool_holds_is_refused(lab: Cli) -> None:
    line = lab.refused("allocate", "Lab", "genomics", "9000", as_=PI)

    assert "the pool" in line and "available" in line
    assert envelopes(lab)["genomics"] == "4000"


def test_a_malformed_amount_is_a_usage_error(lab: Cli) -> None:
    line = lab.refused("allocate", "Lab", "genomics", "4.000,00", as_=PI, code=2)

    assert "AMOUNT" in line and "not a valid amount" in line


def test_an_unknown_project_or_budget_is_named(lab: Cli) -> None:
    assert "PROJECT" in lab.refused("allocate", "Lab", "astronomy", "5", as_=PI)
    assert "Budget 9 not found" in lab.refused("allocate", "bud_9", "genomics", "5", as_=PI)


def test_split_options_need_their_parts(lab: Cli) -> None:
    assert "--total" in lab.refused("allocate", "Lab", "--percent", "genomics=40", code=2)
    assert "projects" in lab.refused("allocate", "Lab", "--equal", "100", code=2)
    assert "PROJECT AMOUNT" in lab.refused("allocate", "Lab", "genomics", code=2)
