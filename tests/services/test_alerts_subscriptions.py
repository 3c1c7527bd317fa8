"""Subscription preferences, read and set through GraphQL: kinds, scopes, channels and
frequency per person — and an alert reaches someone only if they may see it, whatever they
subscribed to. (The old code had no preferences: only the budget's channel or its owners.)"""

from __future__ import annotations

from delivery_harness import (
    make_world,
    notifier_for,
    spend,
)
from helpers import make_user

from app.models import Delivery
from app.services.outbox import deliver_pending

SET = """
mutation($i: SetAlertSubscriptionInput!) { setAlertSubscription(input: $i) { __typename
  ... on AlertSubscriptionSet { subscription { id budgetId kinds scopes channels frequency } }
  ... on Error { code message } ... on ValidationError { field } } }
"""


async def test_a_member_hears_of_their_envelope_never_of_the_whole_budget(
    database, admin, gql, slack_fake
):
    world = await make_world(admin[0], owners=("UOWNA",), thresholds=[50], allocate="9000")
    done = await gql(
        world.member,
        SET,
        i={"budgetId": f"bud_{world.budget_id}", "channels": ["SLACK_DM"], "kinds": ["THRESHOLD"]},
    )
    sub = done["setAlertSubscription"]["subscription"]
    assert sub["channels"] == ["SLACK_DM"] and sub["frequency"] == "IMMEDIATE"
    mine = await gql(world.member, "{ alertSubscriptions { id channels kinds } }")
    assert mine["alertSubscriptions"] == [
        {"id": sub["id"], "channels": ["SLACK_DM"], "kinds": ["THRESHOLD"]}
    ]
    await spend(world, "5000")  # envelope 55%, pool 50%: two alerts
    await deliver_pending([notifier_for(slack_fake)])
    to_mia = [d.target for d in await Delivery.filter(user_id=world.member.id)]
    assert to_mia == ["UMIA"], "the envelope's alert only; the pool's is for owners"
    (post,) = slack_fake.posts("DUMIA")
    assert "GPU Lab has used 50%" in post["text"]
    assert len(slack_fake.posts("DUOWNA")) == 2, "the owner (no preference) gets both"


async def test_an_owner_can_mute_or_choose_kinds(database, admin, gql, slack_fake):
    world = await make_world(admin[0], owners=("UOWNA",), thresholds=[50])
    await gql(world.owners[0], SET, i={"channels": [], "budgetId": f"bud_{world.budget_id}"})
    await spend(world, "2600")
    await deliver_pending([notifier_for(slack_fake)])
    assert slack_fake.posts("DUOWNA") == [], "muted"


async def test_bad_preferences_are_typed_errors(database, admin, gql):
    world = await make_world(admin[0])
    stranger, _ = await make_user("Sam Stranger")
    bad = await gql(world.member, SET, i={"channels": ["PIGEON"]})
    assert bad["setAlertSubscription"] == {
        "__typename": "ValidationError",
        "code": "VALIDATION",
        "message": "channels[0] must be one of SLACK_DM, SLACK_CHANNEL, EMAIL, WEBHOOK",
        "field": "channels[0]",
    }
    bad = await gql(world.member, SET, i={"channels": ["SLACK_CHANNEL"]})
    assert bad["setAlertSubscription"]["field"] == "slackChannel"
    denied = await gql(
        stranger, SET, i={"budgetId": f"bud_{world.budget_id}", "channels": ["EMAIL"]}
    )
    assert denied["setAlertSubscription"]["__typename"] == "PermissionDenied"
