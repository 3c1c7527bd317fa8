"""Alerts as objects: one alert for thresholds crossed together (naming the highest), budget-
level and amount-remaining thresholds, acknowledgement with a note, automatic resolution, and
their history — through the services and the GraphQL API.

On the old code a spend crossing 50% and 80% at once raised two alerts, a pool 82% used
raised nothing, and alerts had no state: these tests fail there."""

from __future__ import annotations

import pytest
from delivery_harness import make_world, spend
from helpers import both_databases

from app.models import Alert, AlertEvent, OutboxEvent
from app.services import alert_rules, alerts, allocations, periods
from app.services.actors import load_actor
from app.services.alert_scan import scan

ALERTS = """
query($b: ID, $s: AlertState) { alerts(budgetId: $b, state: $s, first: 50) { totalCount nodes {
  id kind scope state threshold crossed allocated spent remaining percentUsed message note
  acknowledgedBy { name } resolvedReason history { action note by } } } }
"""


@both_databases
async def test_a_spend_crossing_two_thresholds_raises_one_alert_naming_the_highest(database, admin):
    world = await make_world(admin[0])
    await spend(world, "4100")  # 0% → 82% of the envelope: 50 and 80 at once
    (alert,) = await Alert.filter(scope="ALLOCATION")
    assert alert.kind == "THRESHOLD" and alert.threshold == 80
    assert alert.crossed == ["50%", "80%"] and alert.state == "OPEN"
    assert "used 80%" in alert.message
    raised = await OutboxEvent.filter(kind="alert.raised")
    assert [e.payload["threshold"] for e in raised if e.payload["scope"] == "ALLOCATION"] == [80]


async def test_a_higher_threshold_later_escalates_the_same_alert(database, admin, gql):
    world = await make_world(admin[0])
    await spend(world, "2600")  # 52%
    owner = world.owners[0]
    (first,) = await Alert.filter(scope="ALLOCATION")
    await alerts.acknowledge(await load_actor(owner), first.id, "on it")
    await spend(world, "1500")  # 82%
    (alert,) = await Alert.filter(scope="ALLOCATION")
    assert alert.id == first.id and alert.threshold == 80 and alert.state == "OPEN"
    assert alert.crossed == ["50%", "80%"]
    actions = [e.action for e in await AlertEvent.filter(alert_id=alert.id).order_by("id")]
    assert actions == ["RAISED", "ACKNOWLEDGED", "ESCALATED"]
    events = await OutboxEvent.filter(kind="alert.raised").order_by("id")
    assert [e.payload["threshold"] for e in events if e.payload["scope"] == "ALLOCATION"] == [
        50,
        80,
    ]


@both_databases
async def test_a_pool_82_percent_used_raises_a_budget_alert_for_owners_only(database, admin, gql):
    world = await make_world(admin[0], thresholds=[80], allocate="9000")
    await spend(world, "8200")  # the pool (10,000) 82% used; the envelope 91%
    budget_alert = await Alert.get(scope="BUDGET")
    assert budget_alert.threshold == 80 and "Cloud Grant has used 80%" in budget_alert.message
    (event,) = [
        e for e in await OutboxEvent.filter(kind="alert.raised") if e.payload["scope"] == "BUDGET"
    ]
    assert event.audience["ownersOnly"] is True
    b = f"bud_{world.budget_id}"
    seen_by_owner = await gql(world.owners[0], ALERTS, b=b)
    assert {n["scope"] for n in seen_by_owner["alerts"]["nodes"]} == {"BUDGET", "ALLOCATION"}
    seen_by_member = await gql(world.member, ALERTS, b=b)
    assert [n["scope"] for n in seen_by_member["alerts"]["nodes"]] == ["ALLOCATION"]


async def test_amount_remaining_thresholds_set_through_graphql(database, admin, gql):
    world = await make_world(admin[0], thresholds=[])
    done = await gql(
        world.owners[0],
        "mutation($i: SetAlertThresholdsInput!) { setAlertThresholds(input: $i) { __typename"
        " ... on AlertThresholdsSet { thresholds { scope amountRemaining } } } }",
        i={
            "budgetId": f"bud_{world.budget_id}",
            "scope": "ALLOCATION",
            "amountRemaining": ["1000"],
        },
    )
    assert done["setAlertThresholds"]["thresholds"] == [
        {"scope": "ALLOCATION", "amountRemaining": "1000"}
    ]
    await spend(world, "3900")  # 1,100 left: not yet
    assert await Alert.filter(scope="ALLOCATION").count() == 0
    await spend(world, "200")  # 900 left
    (alert,) = await Alert.filter(scope="ALLOCATION")
    assert alert.remaining_threshold_micros == 1_000_000_000 and alert.threshold is None
    assert "$900.00 left" in alert.message
    bad = await gql(
        world.owners[0],
        "mutation($i: SetAlertThresholdsInput!) { setAlertThresholds(input: $i) { __typename"
        " ... on ValidationError { field } } }",
        i={"budgetId": f"bud_{world.budget_id}", "scope": "BUDGET", "percentUsed": [0]},
    )
    assert bad["setAlertThresholds"] == {"__typename": "ValidationError", "field": "percentUsed[0]"}


async def test_no_threshold_crossed_reads_nothing(database, admin, monkeypatch):
    world = await make_world(admin[0])
    await spend(world, "100")  # warms the rules cache
    from app.models import AlertRule

    def forbidden(*_a, **_k):  # type: ignore[no-untyped-def]
        raise AssertionError("after_spend read the database with nothing crossed")

    monkeypatch.setattr(AlertRule, "filter", forbidden)
    monkeypatch.setattr(Alert, "filter", forbidden)
    await spend(world, "100")  # 4%: nothing crossed
    monkeypatch.undo()
    assert await Alert.all().count() == 0


@both_databases
async def test_acknowledge_with_a_note_then_resolve_when_money_comes_in(database, admin, gql):
    world = await make_world(admin[0])
    await spend(world, "4100")  # 82%
    alert = await Alert.get(scope="ALLOCATION")
    member = await load_actor(world.member)
    await alerts.acknowledge(member, alert.id, "  asked the PI for more  ")
    await alert.refresh_from_db()
    assert alert.state == "ACKNOWLEDGED" and alert.note == "asked the PI for more"
    assert alert.acknowledged_by_id == world.member.id  # type: ignore[attr-defined]

    await allocations.allocate(
        await load_actor(admin[0]), budget_id=world.budget_id, project_id=world.project_id,
        amount="9000",
    )  # fmt: skip  # 4,100 of 9,000: 46%, back under 80% (and 50%)
    counts = await scan()
    await alert.refresh_from_db()
    assert (
        alert.state == "RESOLVED" and alert.resolved_reason == "usage is back under the threshold"
    )
    assert counts["resolved"] >= 1
    assert await OutboxEvent.filter(kind="alert.resolved").count() >= 1
    await scan()  # a second pass changes nothing
    again = await Alert.get(id=alert.id)
    assert again.state == "RESOLVED"

    await spend(world, "3300")  # 82% again: a new alert, not the old one reopened
    fresh = await Alert.filter(scope="ALLOCATION", state="OPEN", kind="THRESHOLD")
    assert len(fresh) == 1 and fresh[0].id != alert.id and fresh[0].threshold == 80
    page = await gql(world.member, ALERTS, b=f"bud_{world.budget_id}", s="RESOLVED")
    (node,) = [n for n in page["alerts"]["nodes"] if n["kind"] == "THRESHOLD"]
    assert [h["action"] for h in node["history"]] == ["RAISED", "ACKNOWLEDGED", "RESOLVED"]
    assert node["acknowledgedBy"] == {"name": "Mia"} and node["note"] == "asked the PI for more"
    assert node["percentUsed"] == 82.0 and node["remaining"] == "900"


async def test_a_viewer_may_read_but_not_acknowledge(database, admin):
    from helpers import make_user

    from app.domain.access import ProjectRole
    from app.domain.errors import PermissionDenied
    from app.services import actors

    world = await make_world(admin[0])
    viewer, _ = await make_user("Vic Viewer")
    await actors.add_project_member(
        await load_actor(admin[0]), project_id=world.project_id, user_id=viewer.id,
        role=ProjectRole.VIEWER,
    )  # fmt: skip
    await spend(world, "4100")
    alert = await Alert.get(scope="ALLOCATION")
    actor = await load_actor(viewer)
    assert [a.id for a in await alerts.list_alerts(actor)] == [alert.id]
    with pytest.raises(PermissionDenied):
        await alerts.acknowledge(actor, alert.id)


async def test_closing_the_period_resolves_its_alerts_and_raises_period_closed(
    database, admin, fixed_clock
):
    world = await make_world(admin[0], period_kind="MONTHLY")
    await spend(world, "4100")
    await periods.close_period(await load_actor(admin[0]), world.budget_id)
    await scan()
    threshold = await Alert.get(kind="THRESHOLD", scope="ALLOCATION")
    assert threshold.state == "RESOLVED" and threshold.resolved_reason == "the period closed"
    closed = await Alert.get(kind="PERIOD_CLOSED", period_id=threshold.period_id)  # type: ignore[attr-defined]
    assert closed.scope == "BUDGET" and "spent $4,100.00 of $10,000.00" in closed.message
    count = await Alert.filter(kind="PERIOD_CLOSED").count()
    await scan()
    assert await Alert.filter(kind="PERIOD_CLOSED").count() == count, "once per period"
    await alerts.acknowledge(await load_actor(world.owners[0]), closed.id, None)
    await closed.refresh_from_db()
    assert closed.state == "RESOLVED", "an informational alert resolves once seen"
    alert_rules.invalidate()
