from __future__ import annotations

import gzip
import json
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

import pytest
from data_files import data_file
from helpers import actor_of, make_user

from app.domain.errors import PermissionDenied, UnpricedUsage, ValidationError
from app.domain.pricing import UsagePart
from app.models import Allocation, JournalEntry, Rate, Spend, SpendUsage
from app.services import allocations, budgets, pricing, rates, spending
from app.services.actors import add_budget_owner
from app.services.spending import SpendInput
from app.services.verify import verify

LITELLM = data_file("litellm_model_prices_and_context_window.json.gz")


def micros_half_even(value: Decimal) -> int:
    return int(value.quantize(Decimal("0.000001"), rounding=ROUND_HALF_EVEN) * 1_000_000)


async def funded_project(actor, *, amount: str = "1000", hard_limit: bool = False, name="Algo"):
    b = await budgets.create_budget(
        actor,
        name=f"Grant {name}",
        amount="50000",
        period_kind="GRANT",
        start_date=date(2026, 1, 1),
        end_date=date(2026, 12, 31),
        hard_limit=hard_limit,
    )
    p = await budgets.create_project(actor, name=name)
    a = await allocations.allocate(actor, budget_id=b.id, project_id=p.id, amount=amount)
    return b, p, a


async def test_the_litellm_price_map_is_imported_and_token_usage_is_priced_exactly(admin) -> None:
    _, actor, _ = admin
    summary = await rates.import_litellm(LITELLM, effective_from=date(2026, 1, 1))
    with gzip.open(LITELLM, "rt", encoding="utf-8") as f:
        doc = json.load(f, parse_float=Decimal)
    assert summary.created > 10_000 and summary.unchanged == 0
    assert await Rate.filter(card__name="litellm").count() == summary.created
    _, p, _ = await funded_project(actor)
    for model in ("gpt-4o", "databricks/databricks-claude-sonnet-4-1"):
        entry = doc[model]
        expected = micros_half_even(
            Decimal(entry["input_cost_per_token"]) * 1_234_567
            + Decimal(entry["output_cost_per_token"]) * 89_013
        )
        usage = (UsagePart("input_token", "1234567"), UsagePart("output_token", "89013"))
        priced = await pricing.price_parts(model, usage, datetime(2026, 3, 1, tzinfo=UTC))
        assert priced.micros == expected
        spend, created = await spending.record_spend(
            actor, SpendInput(project_id=p.id, model=model, usage=usage)
        )
        assert created and spend.amount_micros == expected
        assert spend.service == model and model in (spend.description or "")
    assert await SpendUsage.filter(unit="output_token").count() == 2
    assert await verify() == []


async def test_importing_the_same_price_map_again_creates_no_new_versions(
    admin, tmp_path: Path
) -> None:
    first = await rates.import_litellm(LITELLM, effective_from=date(2026, 1, 1))
    again = await rates.import_litellm(LITELLM, effective_from=date(2026, 2, 1))
    assert again.created == 0 and again.updated == 0 and again.unchanged == first.read
    changed = tmp_path / "prices.json"
    changed.write_text(
        json.dumps(
            {
                "gpt-4o": {
                    "litellm_provider": "openai",
                    "input_cost_per_token": 0.000002,
                    "output_cost_per_token": 0.00001,
                }
            }
        )
    )
    third = await rates.import_litellm(changed, effective_from=date(2026, 3, 1))
    assert (third.created, third.unchanged) == (1, 1)
    versions = (
        await Rate.filter(service="gpt-4o", unit="input_token")
        .order_by("effective_from")
        .values_list("price", flat=True)
    )
    assert versions == ["0.0000025", "0.000002"]


async def test_usage_is_priced_at_the_rate_in_force_when_it_happened(admin, fixed_clock) -> None:
    _, actor, _ = admin
    _, p, _ = await funded_project(actor)
    await rates.set_rate(
        actor,
        card="lab",
        service="a100",
        unit="gpu_hour",
        price="2.50",
        effective_from=date(2026, 1, 1),
    )
    await rates.set_rate(
        actor,
        card="lab",
        service="a100",
        unit="gpu_hour",
        price="3.10",
        effective_from=date(2026, 3, 1),
    )
    feb = datetime(2026, 2, 15, 9, tzinfo=UTC)
    assert await pricing.price_usage("a100", "gpu_hour", "10", feb) == 25_000_000
    assert (
        await pricing.price_usage("a100", "gpu_hour", "10", datetime(2026, 3, 10, tzinfo=UTC))
        == 31_000_000
    )
    spend, _ = await spending.record_spend(
        actor,
        SpendInput(
            project_id=p.id, service="a100", usage=(UsagePart("gpu_hour", "4"),), occurred_at=feb
        ),
    )
    assert spend.amount_micros == 10_000_000 and (spend.quantity, spend.unit) == ("4", "gpu_hour")
    # A rate set later for that past date prices new usage, but does not reprice recorded spend.
    await rates.set_rate(
        actor,
        card="lab",
        service="a100",
        unit="gpu_hour",
        price="9",
        effective_from=date(2026, 2, 1),
    )
    assert (await Spend.get(id=spend.id)).amount_micros == 10_000_000
    assert await pricing.price_usage("a100", "gpu_hour", "1", feb) == 9_000_000


async def test_setting_the_price_already_in_force_creates_no_new_version(admin) -> None:
    _, actor, _ = admin
    _, changed = await rates.set_rate(
        actor,
        card="lab",
        service="a100",
        unit="gpu_hour",
        price="2.5",
        effective_from=date(2026, 1, 1),
    )
    _, again = await rates.set_rate(
        actor,
        card="lab",
        service="a100",
        unit="gpu_hour",
        price="2.50",
        effective_from=date(2026, 2, 1),
    )
    assert changed and not again
    assert await Rate.filter(service="a100").count() == 1


async def test_unpriced_usage_is_refused_naming_the_model_and_unit_and_nothing_is_written(
    admin,
) -> None:
    _, actor, _ = admin
    _, p, a = await funded_project(actor)
    await rates.set_rate(
        actor,
        card="lab",
        service="my-llm",
        unit="input_token",
        price="0.000000075",
        effective_from=date(2026, 1, 1),
    )
    with pytest.raises(UnpricedUsage) as caught:
        await spending.record_spend(
            actor,
            SpendInput(
                project_id=p.id,
                model="my-llm",
                usage=(UsagePart("input_token", "1000"), UsagePart("output_token", "10")),
            ),
        )
    assert caught.value.code == "UNPRICED"
    assert (caught.value.service, caught.value.unit) == ("my-llm", "output_token")
    assert "output_token" in caught.value.message and "'my-llm'" in caught.value.message
    with pytest.raises(UnpricedUsage):
        await pricing.price_usage("unknown-model", "input_token", "5")
    assert await Spend.all().count() == 0 and await JournalEntry.filter(kind="SPEND").count() == 0
    assert (await Allocation.get(id=a.id)).spent_micros == 0


async def test_a_rate_below_a_micro_is_kept_exact_and_the_spend_is_rounded_once(admin) -> None:
    _, actor, _ = admin
    _, p, _ = await funded_project(actor)
    for unit in ("input_token", "output_token"):
        await rates.set_rate(
            actor,
            card="lab",
            service="tiny",
            unit=unit,
            price="0.0000005",
            effective_from=date(2026, 1, 1),
        )
    assert (await Rate.filter(service="tiny").first()).price == "0.0000005"  # type: ignore[union-attr]
    # Each part is half a micro: rounding each would give 0, rounding the sum once gives 1.
    spend, _ = await spending.record_spend(
        actor,
        SpendInput(
            project_id=p.id,
            model="tiny",
            usage=(UsagePart("input_token", "1"), UsagePart("output_token", "1")),
        ),
    )
    assert spend.amount_micros == 1 and spend.unit == "input_token+output_token"
    assert await verify() == []


async def test_giving_both_amount_and_usage_or_neither_is_a_validation_error(admin) -> None:
    _, actor, _ = admin
    _, p, _ = await funded_project(actor)
    with pytest.raises(ValidationError) as both:
        await spending.record_spend(
            actor,
            SpendInput(project_id=p.id, amount="5", model="m", usage=(UsagePart("hour", "1"),)),
        )
    assert both.value.field == "usage"
    with pytest.raises(ValidationError) as neither:
        await spending.record_spend(actor, SpendInput(project_id=p.id, service="aws"))
    assert neither.value.field == "amount"


async def test_hours_are_priced_at_the_role_or_the_persons_hourly_rate(admin) -> None:
    user, actor, _ = admin
    _, p, _ = await funded_project(actor)
    await rates.set_rate(
        actor,
        card="people",
        service="postdoc",
        unit="hour",
        price="62.5",
        effective_from=date(2026, 1, 1),
    )
    await rates.set_rate(
        actor,
        card="people",
        service=f"user:{user.id}",
        unit="hour",
        price="80",
        effective_from=date(2026, 1, 1),
    )
    by_role, _ = await pricing.log_time(
        actor, project_id=p.id, hours="7.5", role="postdoc", description="sequencing runs"
    )
    by_person, _ = await pricing.log_time(actor, project_id=p.id, hours="2", user_id=user.id)
    assert by_role.amount_micros == 468_750_000 and by_role.unit == "hour"
    assert by_role.source == "time" and by_role.description.startswith("sequencing runs")  # type: ignore[union-attr]
    assert by_person.amount_micros == 160_000_000
    with pytest.raises(UnpricedUsage) as caught:
        await pricing.log_time(actor, project_id=p.id, hours="1", role="professor")
    assert (caught.value.service, caught.value.unit) == ("professor", "hour")
    assert await verify() == []


async def test_a_budgets_own_card_wins_and_only_its_owners_may_set_it(admin) -> None:
    _, actor, _ = admin
    b, p, _ = await funded_project(actor)
    await rates.set_rate(
        actor,
        card="list",
        service="gpt-x",
        unit="input_token",
        price="0.00001",
        effective_from=date(2026, 1, 1),
    )
    owner, _ = await make_user("Olga Owner")
    await add_budget_owner(actor, budget_id=b.id, user_id=owner.id)
    owner_actor = await actor_of(owner)
    await rates.set_rate(
        owner_actor,
        card="negotiated",
        service="gpt-x",
        unit="input_token",
        price="0.000008",
        effective_from=date(2026, 1, 1),
        budget_id=b.id,
    )
    assert await pricing.price_usage("gpt-x", "input_token", "1000000", budget_id=b.id) == 8_000_000
    assert await pricing.price_usage("gpt-x", "input_token", "1000000") == 10_000_000
    with pytest.raises(PermissionDenied):
        await rates.set_rate(
            owner_actor,
            card="list",
            service="gpt-x",
            unit="input_token",
            price="0",
            effective_from=date(2026, 2, 1),
        )
    stranger = await actor_of((await make_user("Sam Stranger"))[0])
    with pytest.raises(PermissionDenied):
        await rates.set_rate(
            stranger,
            card="negotiated",
            service="gpt-x",
            unit="input_token",
            price="0",
            effective_from=date(2026, 2, 1),
        )
    assert p.id
