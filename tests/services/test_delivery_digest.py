"""Weekly digests by Slack DM: the alerts of the week in one message on Monday at the digest
hour (ALLOT_DIGEST_HOUR_UTC), none before, one per boundary, an escalated alert once (its
latest figures), and nothing sent at once to whoever chose the digest."""

from __future__ import annotations

from datetime import timedelta

from delivery_harness import make_world, notifier_for, spend
from helpers import NOW, both_databases

from app.models import DigestItem, OutboxEvent
from app.services import alert_prefs, allocations
from app.services.actors import load_actor
from app.services.delivery import digest
from app.services.outbox import deliver_pending


def test_digest_boundaries_are_the_hour_daily_and_monday_weekly():
    assert NOW.weekday() == 6  # Sunday 15 March 2026, 12:00 UTC
    assert digest.boundary(NOW, "DAILY", 8) == NOW.replace(hour=8)
    assert digest.boundary(NOW.replace(hour=7), "DAILY", 8) == NOW.replace(day=14, hour=8)
    assert digest.boundary(NOW, "WEEKLY", 8) == NOW.replace(day=9, hour=8)
    monday = NOW.replace(day=16, hour=8)
    assert digest.boundary(monday, "WEEKLY", 8) == monday
    assert digest.boundary(monday - timedelta(seconds=1), "WEEKLY", 8) == NOW.replace(day=9, hour=8)


@both_databases
async def test_a_weekly_slack_digest_comes_on_monday_once_with_each_alert_once(
    database, admin, slack_fake, fixed_clock
):
    world = await make_world(admin[0], owners=("UOWNA",), thresholds=[20, 40])
    owner = await load_actor(world.owners[0])
    await alert_prefs.set_subscription(
        owner, budget_id=None, kinds=[], scopes=["ALLOCATION"], channels=["SLACK_DM"],
        frequency="WEEKLY",
    )  # fmt: skip
    await allocations.allocate(
        await load_actor(admin[0]), budget_id=world.budget_id, project_id=world.other_project_id,
        amount="1000",
    )  # fmt: skip
    notifier = notifier_for(slack_fake)
    await spend(world, "1100")  # GPU Lab 22%
    await spend(world, "1000")  # GPU Lab 42%: the same alert, escalated
    await spend(world, "300", project_id=world.other_project_id)  # NLP Lab 30%
    await deliver_pending([notifier])
    assert slack_fake.posts("DUOWNA") == [], "a digest person is not told at once"
    assert await DigestItem.filter(frequency="WEEKLY", batched_at=None).count() == 3

    fixed_clock[0] = NOW + timedelta(hours=19, minutes=59)  # Monday 07:59
    assert await digest.send_due() == 0
    fixed_clock[0] = NOW + timedelta(hours=20)  # Monday 08:00
    assert await digest.send_due() == 1
    assert await digest.send_due() == 0, "one digest per boundary"
    await deliver_pending([notifier])
    (message,) = slack_fake.posts("DUOWNA")
    lines = message["text"].splitlines()
    assert lines[0].startswith(":bell: Your weekly Allot alert digest")
    assert len(lines) == 3, lines  # the escalated alert once, with its latest figures
    assert any("GPU Lab has used 40%" in line for line in lines)
    assert any("NLP Lab has used 20%" in line for line in lines)
    (event,) = await OutboxEvent.filter(kind="alert.digest")
    assert len(event.payload["alertIds"]) == 2

    await spend(world, "500", project_id=world.other_project_id)  # NLP Lab 80%: escalated
    await deliver_pending([notifier])
    fixed_clock[0] = NOW + timedelta(days=2)  # Tuesday: not a weekly boundary
    assert await digest.send_due() == 0
    fixed_clock[0] = NOW + timedelta(days=8, hours=-4)  # the next Monday 08:00
    assert await digest.send_due() == 1
    await deliver_pending([notifier])
    assert len(slack_fake.posts("DUOWNA")) == 2
    assert "NLP Lab has used 40%" in slack_fake.posts("DUOWNA")[-1]["text"]
