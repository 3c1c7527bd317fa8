"""Figure 3 of issue #9: the timeline (GraphQL `Budget.timeline` and the PDF report's chart)
ends at the period's `spent`, also when the period counts spend dated before its start (an
earlier bill's imported rows) or after its end: that spend is carried to the first (last) day.
"""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

from app.domain.timeline import Day, timeline_days
from app.ingest import read_focus
from app.services import allocations, budgets, imports, routing, spending
from app.services.pdf_data import load_report_data
from app.services.spending import SpendInput
from schema import ids

M = 1_000_000

# Two rows of a 2024 bill and one of this month (the clock stands on 15 March 2026).
FOCUS = (
    "BilledCost,ChargePeriodStart,BillingCurrency,ServiceName,Tags\n"
    '9000.00,2024-11-03T00:00:00Z,USD,svc,"{""team"": ""algo""}"\n'
    '3378.85,2024-12-20T00:00:00Z,USD,svc,"{""team"": ""algo""}"\n'
    '1000.00,2026-03-02T10:00:00Z,USD,svc,"{""team"": ""algo""}"\n'
)

TIMELINE = """query($id: ID!) { budget(id: $id) { spent
  timeline { date spent outside cumulative ideal } } }"""


async def _world(actor):
    b = await budgets.create_budget(
        actor, name="Cloud", amount="20000", period_kind="MONTHLY", start_date=date(2026, 3, 1)
    )
    p = await budgets.create_project(actor, name="Algo")
    await allocations.allocate(actor, budget_id=b.id, project_id=p.id, amount="18000")
    await routing.create_rule(actor, match="tag", key="team", value="algo", project_id=p.id)
    summary = await imports.import_rows(actor, read_focus(io.StringIO(FOCUS)), source="focus")
    assert summary.recorded == 3
    await spending.record_spend(actor, SpendInput(project_id=p.id, amount="1299.89"))
    return b, p


async def test_the_timeline_ends_at_the_periods_spent(admin, gql) -> None:
    user, actor, _ = admin
    b, _ = await _world(actor)
    data = (await gql(user, TIMELINE, id=ids.encode("Budget", b.id)))["budget"]
    assert data["spent"] == "14678.74"
    points = data["timeline"]
    assert [p["date"] for p in points] == [f"2026-03-{d:02d}" for d in range(1, 16)]
    # The 2024 rows are carried to the first day: the line starts there...
    assert points[0] == {
        "date": "2026-03-01",
        "spent": "0",
        "outside": "12378.85",
        "cumulative": "12378.85",
        "ideal": points[0]["ideal"],
    }
    assert (points[1]["spent"], points[1]["outside"]) == ("1000", "0")
    # ...and ends at the period's spent (before the fix: 2,299.89).
    assert points[-1]["cumulative"] == data["spent"]
    assert points[-1]["spent"] == "1299.89"
    total = sum(Decimal(p["spent"]) + Decimal(p["outside"]) for p in points)
    assert total == Decimal(data["spent"])


async def test_the_pdf_chart_ends_at_the_reports_spent(admin) -> None:
    _, actor, _ = admin
    b, _ = await _world(actor)
    data = await load_report_data(actor, b.id, None)
    assert data.spent == 14_678_740_000
    assert data.timeline[0][:2] == (date(2026, 3, 1), 12_378_850_000)
    assert data.timeline[-1][:2] == (date(2026, 3, 15), data.spent)


def test_spend_dated_after_the_end_is_carried_to_the_last_day() -> None:
    start, end = date(2026, 3, 1), date(2026, 3, 3)
    daily = {date(2026, 2, 27): 5, date(2026, 3, 2): 7, date(2026, 3, 9): 11}
    # Today is the first day, but spend dated after the end runs the chart to the end.
    assert timeline_days(daily, start, end, date(2026, 3, 1)) == [
        Day(date(2026, 3, 1), 0, 5, 5),
        Day(date(2026, 3, 2), 7, 0, 12),
        Day(date(2026, 3, 3), 0, 11, 23),
    ]


def test_a_one_day_period_carries_both_sides_to_its_only_point() -> None:
    day = date(2026, 3, 1)
    daily = {date(2026, 2, 1): 2, day: 3, date(2026, 3, 2): 4}
    assert timeline_days(daily, day, day, day) == [Day(day, 3, 6, 9)]


def test_without_outside_spend_the_points_are_as_before() -> None:
    start, end = date(2026, 3, 1), date(2026, 3, 31)
    points = timeline_days({date(2026, 3, 2): 4}, start, end, date(2026, 3, 3))
    assert [(p.day.day, p.spent, p.outside, p.cumulative) for p in points] == [
        (1, 0, 0, 0),
        (2, 4, 0, 4),
        (3, 0, 0, 4),
    ]
