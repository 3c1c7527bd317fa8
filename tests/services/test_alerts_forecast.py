"""The scheduled pass: forecast overrun and exhaustion raised once per period with
hysteresis (re-raised only after recovering and crossing again), pace, transfers waiting too
long. On the old code there was no alert before an overrun at all."""

from __future__ import annotations

from datetime import timedelta

from delivery_harness import World, make_world
from helpers import NOW, both_databases

from app.models import Alert
from app.services import allocations, transfers
from app.services.actors import load_actor
from app.services.alert_scan import scan
from app.services.spending import SpendInput, record_spend


async def _history(world: World, per_day: str = "30", days: int = 14) -> None:
    actor = await load_actor(world.admin)
    for age in range(1, days + 1):
        await record_spend(
            actor,
            SpendInput(
                project_id=world.project_id, amount=per_day, occurred_at=NOW - timedelta(days=age)
            ),
        )


async def _envelope(world: World, amount: str) -> None:
    await allocations.allocate(
        await load_actor(world.admin),
        budget_id=world.budget_id,
        project_id=world.project_id,
        amount=amount,
    )


async def _open(kind: str) -> list[Alert]:
    return await Alert.filter(kind=kind, scope="ALLOCATION", state__in=["OPEN", "ACKNOWLEDGED"])


@both_databases
async def test_a_forecast_overrun_is_raised_once_and_again_only_after_recovering(database, admin):
    world = await make_world(admin[0])  # 5,000 envelope, grant to Dec 31
    await _history(world)  # 30 a day: ~9,180 projected by Dec 31
    for _ in range(5):
        await scan()
    (alert,) = await _open("FORECAST_OVERRUN")
    assert "projected to spend $9,180.00 of its $5,000.00" in alert.message
    assert alert.projected_micros == 9_180_000_000

    await _envelope(world, "8500")  # 9,180 > 8,500 × 1.05: inside the band, stays raised
    await scan()
    assert [a.id for a in await _open("FORECAST_OVERRUN")] == [alert.id]
    await _envelope(world, "9000")  # 9,180 ≤ 9,450: recovered
    await scan()
    await alert.refresh_from_db()
    assert (
        alert.state == "RESOLVED" and alert.resolved_reason == "the forecast is back under the line"
    )
    await _envelope(world, "8500")  # back in the band: not raised again
    await scan()
    assert await _open("FORECAST_OVERRUN") == []
    await _envelope(world, "5000")  # crosses again: a second alert
    await scan()
    await scan()
    (second,) = await _open("FORECAST_OVERRUN")
    assert second.id != alert.id
    assert await Alert.filter(kind="FORECAST_OVERRUN").count() == 2


async def test_exhaustion_before_the_period_ends_and_pace(database, admin):
    world = await make_world(admin[0], allocate="1000")
    await _history(world, per_day="40")  # 560 of 1,000 spent with a fifth of the year gone
    await scan()
    (exhaustion,) = await _open("EXHAUSTION_SOON")
    assert exhaustion.exhaustion_date is not None
    assert exhaustion.exhaustion_date.isoformat() < "2026-12-31"
    (pace,) = await _open("PACE")
    assert "has spent 56% with 20% of the period gone" in pace.message
    await scan()
    assert len(await _open("PACE")) == 1 and len(await _open("EXHAUSTION_SOON")) == 1


async def test_a_first_day_of_spend_alone_raises_no_forecast_alert(database, admin):
    world = await make_world(admin[0])
    await record_spend(
        await load_actor(admin[0]), SpendInput(project_id=world.project_id, amount="300")
    )
    await scan()
    assert await Alert.filter(kind__in=["FORECAST_OVERRUN", "EXHAUSTION_SOON"]).count() == 0


async def test_a_transfer_waiting_too_long_raises_and_resolves_when_decided(
    database, admin, fixed_clock
):
    world = await make_world(admin[0])
    mia = await load_actor(world.member)
    transfer = await transfers.request_transfer(
        mia, amount="10", reason="more", to_allocation_id=world.allocation_id
    )
    from app.models import TransferRequest

    await TransferRequest.filter(id=transfer.id).update(created_at=NOW)  # on the test's clock
    await scan()
    assert await Alert.filter(kind="TRANSFER_PENDING_TOO_LONG").count() == 0
    fixed_clock[0] = fixed_clock[0] + timedelta(hours=49)
    await scan()
    await scan()
    (alert,) = await Alert.filter(kind="TRANSFER_PENDING_TOO_LONG")
    assert alert.scope == "BUDGET" and alert.transfer_id == transfer.id
    assert "has waited 49 hours" in alert.message
    await transfers.approve_transfer(await load_actor(world.owners[0]), transfer_id=transfer.id)
    await scan()
    await alert.refresh_from_db()
    assert alert.state == "RESOLVED" and alert.resolved_reason == "the transfer was decided"
