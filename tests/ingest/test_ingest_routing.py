"""Routing rules on real rows of the FOCUS 1.0 sample."""

from __future__ import annotations

import pytest
from data_files import data_file

from app.domain.errors import ValidationError
from app.ingest import CostRow, Router, RoutingRule, parse_rule, read_focus, route

SAMPLE = data_file("focus1.0_sample_1000rows.csv")


@pytest.fixture(scope="module")
def rows() -> dict[str, CostRow]:
    return {row.external_id: row for row in read_focus(SAMPLE) if isinstance(row, CostRow)}


def test_a_tag_rule_matches_on_key_and_value(rows):
    rules = [RoutingRule(10, "tag", "application", "BrightLensMatrix", "vision")]
    assert route(rows["19384"], rules) == "vision"
    assert route(rows["11472"], rules) is None  # no tags at all


def test_tag_keys_and_values_ignore_case_and_spaces(rows):
    azure = rows["5488176"]  # tags include "Project": "Foo"
    assert route(azure, [parse_rule("tag: project = foo -> foo-lab")]) == "foo-lab"


def test_a_sub_account_rule_matches_the_id_or_the_name(rows):
    row = rows["11472"]
    assert route(row, [parse_rule("sub_account:51738928782 -> atlas")]) == "atlas"
    assert route(row, [parse_rule("sub_account:atlas nimbus -> atlas")]) == "atlas"
    assert route(row, [parse_rule("sub_account:5173892878 -> atlas")]) is None


def test_a_service_rule_matches_the_whole_name_in_any_case(rows):
    row = rows["11472"]
    assert route(row, [parse_rule("service:amazon simple queue service -> queues")]) == "queues"
    assert route(row, [parse_rule("service:Amazon Simple Queue -> queues")]) is None


def test_the_lowest_priority_number_wins_whatever_the_order_given(rows):
    row = rows["19384"]
    rules = [
        RoutingRule(20, "tag", "environment", "dev", "dev-pool"),
        RoutingRule(5, "service", None, "Elastic Load Balancing", "networking"),
        RoutingRule(30, "sub_account", None, "Zenith Eclipse", "zenith"),
    ]
    assert route(row, rules) == "networking"
    assert Router(rules[:1] + rules[2:]).route(row) == "dev-pool"


def test_routing_every_sample_row_by_environment_splits_them_exactly(rows):
    router = Router([parse_rule("tag:environment=prod -> prod", 1),
                     parse_rule("tag:environment=dev -> dev", 2)])  # fmt: skip
    targets = [router.route(row) for row in rows.values()]
    expected_prod = sum(1 for r in rows.values() if r.tags.get("environment") == "prod")
    assert targets.count("prod") == expected_prod > 0
    assert targets.count(None) == sum(1 for r in rows.values() if "environment" not in r.tags)


@pytest.mark.parametrize(
    "text", ["tag:project -> x", "label:a=b -> x", "service:EC2", "tag:=b -> x"]
)
def test_a_malformed_rule_is_refused(text):
    with pytest.raises(ValidationError):
        parse_rule(text)
