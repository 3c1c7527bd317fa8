"""Demo data: three real situations, loaded through the same use cases as any client."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from app.domain.access import Actor
from app.models import Budget, User
from app.services import actors, allocations, budgets, spending, transfers
from app.services.allocations import Split, SplitItem
from app.services.spending import SpendInput

ADMIN_EMAIL = "admin@allot.local"


async def load(*, if_empty: bool = False) -> tuple[bool, str | None]:
    """Returns (loaded, admin token if one was created now)."""
    token = None
    admin = await User.filter(is_admin=True).order_by("id").first()
    if admin is None:
        admin, token = await actors.create_user(
            None, name="Admin", email=ADMIN_EMAIL, is_admin=True
        )
    if if_empty and await Budget.exists():
        return False, token
    actor = Actor(user_id=admin.id, is_admin=True)
    budgets_loaded = [await grant(actor), await lab(actor), await course(actor)]
    for b in budgets_loaded:
        await recent_activity(actor, b)
    return True, token


#: Daily spend of the last weeks, so burn rates, pacing, timelines and forecasts have something
#: to show: (project slug or name prefix, service, base amount per weekday).
RECENT = {
    "NSF CISE-2024-12345": [
        ("algorithm-development", "aws-ec2", 96),
        ("user-study", "prolific", 35),
    ],
    "CS Lab Q1 2026": [
        ("genomics", "hpc-cluster", 310),
        ("climate-modeling", "hpc-cluster", 180),
        ("ml-research", "openai", 140),
    ],
    "CS499 Spring 2026": [
        ("cs499-team-01", "gcp-compute", 3),
        ("cs499-team-02", "gcp-compute", 5),
        ("cs499-team-07", "gcp-compute", 2),
    ],
}


async def recent_activity(actor: Actor, budget: Budget, days: int = 21) -> None:
    """Weekday-shaped spend over the last `days` days (none in the future), deterministic."""
    from app import clock
    from app.models import Project
    from app.services.batch import record_spends

    today = clock.now().date()
    items = []
    for slug, service, base in RECENT.get(budget.name, []):
        project = await Project.get(slug=slug)
        for ago in range(days, 0, -1):
            day = today - timedelta(days=ago)
            if day < budget.start_date or day.weekday() >= 5:
                continue
            cents = (ago * 37 + len(slug) * 11) % 100
            amount = f"{base + (ago % 5) * base // 10}.{cents:02d}"
            items.append(
                SpendInput(
                    project_id=project.id,
                    budget_id=budget.id,
                    amount=amount,
                    service=service,
                    description="Daily usage",
                    occurred_at=_at(day, 12),
                    source="demo",
                )
            )
    if items:
        await record_spends(actor, items)


def _at(d: date, hour: int = 15) -> datetime:
    return datetime(d.year, d.month, d.day, hour, tzinfo=UTC)


async def grant(actor: Actor) -> Budget:
    """A $50k NSF grant for three projects, with a reallocation."""
    b = await budgets.create_budget(
        actor,
        name="NSF CISE-2024-12345",
        amount="50000",
        period_kind="GRANT",
        start_date=date(2025, 9, 1),
        end_date=date(2028, 8, 31),
        timezone="America/New_York",
        description="NSF CISE award: algorithms, a user study and the paper's experiments.",
    )
    algo = await budgets.create_project(
        actor, name="Algorithm Development", slug="algorithm-development"
    )
    study = await budgets.create_project(actor, name="User Study", slug="user-study")
    paper = await budgets.create_project(actor, name="Paper Experiments", slug="paper-experiments")
    for p, amount in ((algo, "20000"), (study, "15000"), (paper, "10000")):
        await allocations.allocate(actor, budget_id=b.id, project_id=p.id, amount=amount)
    spends = [
        (algo, "4210.55", "aws-ec2", "GPU training runs", date(2025, 10, 14)),
        (algo, "1890.00", "openai", "LLM evaluation", date(2026, 3, 2)),
        (study, "3600.00", "prolific", "Participant payments, wave 1", date(2026, 2, 20)),
        (study, "450.25", "qualtrics", "Survey licence", date(2026, 1, 8)),
        (paper, "1275.40", "aws-ec2", "Baseline experiments", date(2026, 4, 11)),
    ]
    for p, amount, service, text, day in spends:
        await spending.record_spend(
            actor,
            SpendInput(
                project_id=p.id,
                budget_id=b.id,
                amount=amount,
                service=service,
                description=text,
                occurred_at=_at(day),
                source="demo",
            ),
        )
    paper_alloc = await _allocation(b, paper.id)
    algo_alloc = await _allocation(b, algo.id)
    await transfers.request_transfer(
        actor,
        amount="5000",
        from_allocation_id=paper_alloc,
        to_allocation_id=algo_alloc,
        reason="Paper experiments finished under budget; the new solver needs more GPU time.",
    )
    return b


async def lab(actor: Actor) -> Budget:
    """A $100k department quarter for three groups, $10k held back."""
    b = await budgets.create_budget(
        actor,
        name="CS Lab Q1 2026",
        amount="100000",
        period_kind="QUARTERLY",
        start_date=date(2026, 1, 1),
        timezone="America/Chicago",
        description="Department quarter for the lab's research groups.",
    )
    groups = [("Genomics", "40000"), ("Climate Modeling", "30000"), ("ML Research", "20000")]
    for name, amount in groups:
        p = await budgets.create_project(actor, name=name)
        await allocations.allocate(actor, budget_id=b.id, project_id=p.id, amount=amount)
        await spending.record_spend(
            actor,
            SpendInput(
                project_id=p.id,
                budget_id=b.id,
                amount=str(int(amount) // 8),
                service="hpc-cluster",
                description="Cluster hours, January",
                occurred_at=_at(date(2026, 1, 31)),
                source="demo",
            ),
        )
    return b


async def course(actor: Actor) -> Budget:
    """$5k of cloud credits for 25 student projects at $150 each."""
    b = await budgets.create_budget(
        actor,
        name="CS499 Spring 2026",
        amount="5000",
        period_kind="GRANT",
        start_date=date(2026, 1, 12),
        end_date=date(2026, 12, 31),
        timezone="America/Los_Angeles",
        description="Cloud credits for the capstone course; credits expire at the end of 2026.",
    )
    items = []
    for n in range(1, 26):
        p = await budgets.create_project(
            actor, name=f"CS499 Team {n:02d}", slug=f"cs499-team-{n:02d}"
        )
        items.append(SplitItem(project_id=p.id))
    await allocations.allocate_many(
        actor, budget_id=b.id, split=Split.EQUAL, items=items, total="3750"
    )
    for n, item in enumerate(items[:5], start=1):
        await spending.record_spend(
            actor,
            SpendInput(
                project_id=item.project_id,
                budget_id=b.id,
                amount=f"{n * 7}.{n:02d}",
                service="gcp-compute",
                description="Course project VM",
                source="demo",
                occurred_at=_at(date(2026, 2, 1) + timedelta(days=n)),
            ),
        )
    return b


async def _allocation(b: Budget, project_id: int) -> int:
    from app.models import Allocation

    row = await Allocation.get(budget_id=b.id, project_id=project_id)
    return row.id
