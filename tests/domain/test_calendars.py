"""Calendars with anchors: fiscal years and quarters, months that reset on a chosen day, weeks,
days; the prorated first period; DST. Pure: no database, no clock."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.errors import ValidationError
from app.domain.periods import (
    MAX_RESET_DAY,
    Calendar,
    PeriodBounds,
    PeriodKind,
    Weekday,
    calendar_period,
    first_period,
    next_period,
    period_containing,
    period_end_instant,
    period_start_instant,
    prorated,
    resume_after,
)

K = PeriodKind
M = 1_000_000
FISCAL_JULY = Calendar(K.ANNUAL, fiscal_year_start_month=7)
FROM_15TH = Calendar(K.MONTHLY, reset_day=15)
WEEKS_FROM_MONDAY = Calendar(K.WEEKLY)
DAYS = Calendar(K.DAILY)


def periods_of(
    calendar: Calendar, start: date, end: date | None, limit: int = 60
) -> list[PeriodBounds]:
    out = [first_period(calendar, start, end)]
    while len(out) < limit and (nxt := next_period(calendar, out[-1], end)) is not None:
        out.append(nxt)
    return out


def spans(periods: list[PeriodBounds]) -> list[tuple[str, str]]:
    return [(p.start.isoformat(), p.end.isoformat()) for p in periods]


# --- the calendar and its anchors -----------------------------------------------------------


def test_weekly_and_daily_budgets_recur() -> None:
    assert K.WEEKLY.is_recurring and K.DAILY.is_recurring
    assert not K.GRANT.is_recurring and not K.CUSTOM.is_recurring


def test_a_bare_kind_is_the_calendar_with_default_anchors() -> None:
    assert first_period(K.MONTHLY, date(2026, 3, 10), None) == first_period(
        Calendar(K.MONTHLY), date(2026, 3, 10), None
    )
    assert Calendar(K.QUARTERLY) == Calendar(K.QUARTERLY, 1, 1, Weekday.MONDAY)


@pytest.mark.parametrize(
    ("kwargs", "field", "rule"),
    [
        ({"kind": "QUARTERLY", "fiscal_year_start_month": 0}, "fiscalYearStartMonth", "1 to 12"),
        ({"kind": "ANNUAL", "fiscal_year_start_month": 13}, "fiscalYearStartMonth", "1 to 12"),
        ({"kind": "MONTHLY", "reset_day": 29}, "resetDay", "1 to 28"),
        ({"kind": "MONTHLY", "reset_day": 0}, "resetDay", "1 to 28"),
        ({"kind": "MONTHLY", "fiscal_year_start_month": 7}, "fiscalYearStartMonth", "only to"),
        ({"kind": "WEEKLY", "reset_day": 15}, "resetDay", "only to"),
        ({"kind": "DAILY", "reset_day": 2}, "resetDay", "only to"),
        ({"kind": "GRANT", "fiscal_year_start_month": 7}, "fiscalYearStartMonth", "only to"),
        ({"kind": "MONTHLY", "week_start": "SUNDAY"}, "weekStart", "only to WEEKLY"),
        ({"kind": "WEEKLY", "week_start": "SOMEDAY"}, "weekStart", "day of the week"),
        ({"kind": "FORTNIGHTLY"}, "periodKind", "must be one of"),
    ],
)
def test_an_anchor_out_of_range_or_for_another_kind_is_refused_naming_it(
    kwargs: dict, field: str, rule: str
) -> None:
    kind = kwargs.pop("kind")
    with pytest.raises(ValidationError) as err:
        Calendar.of(kind, **kwargs)
    assert err.value.field == field and rule in err.value.rule


def test_a_boolean_is_not_a_month_number() -> None:
    with pytest.raises(ValidationError) as err:
        Calendar(K.ANNUAL, fiscal_year_start_month=True)
    assert err.value.field == "fiscalYearStartMonth"


def test_the_latest_reset_day_is_one_every_month_has() -> None:
    assert MAX_RESET_DAY == 28
    calendar = Calendar(K.MONTHLY, reset_day=28)
    assert calendar_period(calendar, date(2026, 2, 28)) == PeriodBounds(
        date(2026, 2, 28), date(2026, 3, 27)
    )


# --- fiscal years and quarters --------------------------------------------------------------


def test_a_fiscal_year_from_1_july_runs_to_30_june() -> None:
    assert spans(periods_of(FISCAL_JULY, date(2025, 9, 15), None, limit=3)) == [
        ("2025-09-15", "2026-06-30"),
        ("2026-07-01", "2027-06-30"),
        ("2027-07-01", "2028-06-30"),
    ]
    assert calendar_period(FISCAL_JULY, date(2026, 6, 30)) == PeriodBounds(
        date(2025, 7, 1), date(2026, 6, 30)
    )
    assert calendar_period(FISCAL_JULY, date(2026, 7, 1)).start == date(2026, 7, 1)


def test_the_uk_tax_year_runs_from_6_april_to_5_april() -> None:
    tax_year = Calendar(K.ANNUAL, fiscal_year_start_month=4, reset_day=6)
    assert calendar_period(tax_year, date(2026, 4, 5)) == PeriodBounds(
        date(2025, 4, 6), date(2026, 4, 5)
    )
    assert calendar_period(tax_year, date(2026, 4, 6)) == PeriodBounds(
        date(2026, 4, 6), date(2027, 4, 5)
    )


def test_fiscal_quarters_begin_in_the_start_month_and_every_third_month_after_it() -> None:
    february = Calendar(K.QUARTERLY, fiscal_year_start_month=2)
    assert spans(periods_of(february, date(2026, 1, 10), None, limit=5)) == [
        ("2026-01-10", "2026-01-31"),  # the end of the quarter Nov–Jan
        ("2026-02-01", "2026-04-30"),
        ("2026-05-01", "2026-07-31"),
        ("2026-08-01", "2026-10-31"),
        ("2026-11-01", "2027-01-31"),
    ]
    # July is three quarters after January: the same quarters as the calendar's.
    july = Calendar(K.QUARTERLY, fiscal_year_start_month=7)
    assert calendar_period(july, date(2026, 5, 5)) == calendar_period(K.QUARTERLY, date(2026, 5, 5))


# --- months that reset on a chosen day ------------------------------------------------------


def test_a_month_from_the_15th_runs_to_the_14th() -> None:
    assert spans(periods_of(FROM_15TH, date(2026, 1, 1), None, limit=4)) == [
        ("2026-01-01", "2026-01-14"),
        ("2026-01-15", "2026-02-14"),
        ("2026-02-15", "2026-03-14"),  # 28 days
        ("2026-03-15", "2026-04-14"),
    ]
    leap = calendar_period(FROM_15TH, date(2028, 3, 1))
    assert leap == PeriodBounds(date(2028, 2, 15), date(2028, 3, 14)) and leap.days == 29


def test_a_day_before_the_reset_day_belongs_to_the_month_before() -> None:
    assert calendar_period(FROM_15TH, date(2026, 1, 14)) == PeriodBounds(
        date(2025, 12, 15), date(2026, 1, 14)
    )
    assert period_containing(FROM_15TH, date(2026, 1, 1), None, date(2031, 7, 14)) == (
        PeriodBounds(date(2031, 6, 15), date(2031, 7, 14))
    )


# --- weeks and days -------------------------------------------------------------------------


def test_weeks_from_monday_and_from_sunday() -> None:
    wednesday = date(2026, 3, 11)
    assert wednesday.weekday() == 2
    assert spans(periods_of(WEEKS_FROM_MONDAY, wednesday, None, limit=3)) == [
        ("2026-03-11", "2026-03-15"),
        ("2026-03-16", "2026-03-22"),
        ("2026-03-23", "2026-03-29"),
    ]
    sunday_weeks = Calendar(K.WEEKLY, week_start=Weekday.SUNDAY)
    assert calendar_period(sunday_weeks, wednesday) == PeriodBounds(
        date(2026, 3, 8), date(2026, 3, 14)
    )
    assert Weekday.SUNDAY.number == 6 and Weekday.MONDAY.number == 0


def test_every_day_is_a_period_of_a_daily_budget() -> None:
    assert spans(periods_of(DAYS, date(2026, 2, 27), date(2026, 3, 2))) == [
        ("2026-02-27", "2026-02-27"),
        ("2026-02-28", "2026-02-28"),
        ("2026-03-01", "2026-03-01"),
        ("2026-03-02", "2026-03-02"),
    ]
    assert period_containing(DAYS, date(2026, 1, 1), None, date(2035, 6, 1)) == PeriodBounds(
        date(2035, 6, 1), date(2035, 6, 1)
    )


def test_a_daily_budget_catching_up_skips_the_days_it_missed() -> None:
    following = PeriodBounds(date(2026, 3, 2), date(2026, 3, 2))
    r = resume_after(DAYS, following, date(2026, 3, 5), None)
    assert r.resume == PeriodBounds(date(2026, 3, 5), date(2026, 3, 5))
    assert [m.start.day for m in r.missed] == [2, 3, 4]


def test_a_fiscal_year_catching_up_resumes_in_the_year_holding_today() -> None:
    following = PeriodBounds(date(2026, 7, 1), date(2027, 6, 30))
    r = resume_after(FISCAL_JULY, following, date(2028, 1, 10), None)
    assert r.resume == PeriodBounds(date(2027, 7, 1), date(2028, 6, 30))
    assert r.missed == (following,)


@pytest.mark.parametrize(
    ("calendar", "day", "hours"),
    [
        (DAYS, date(2026, 3, 29), 23),  # Berlin springs forward
        (DAYS, date(2026, 10, 25), 25),  # and falls back
        (WEEKS_FROM_MONDAY, date(2026, 3, 25), 7 * 24 - 1),
    ],
)
def test_periods_stay_whole_local_days_across_dst(
    calendar: Calendar, day: date, hours: int
) -> None:
    bounds = calendar_period(calendar, day)
    tz = "Europe/Berlin"
    length = period_end_instant(bounds, tz) - period_start_instant(bounds, tz)
    assert length == timedelta(hours=hours)


def test_a_daily_period_in_new_york_ends_at_local_midnight() -> None:
    bounds = calendar_period(DAYS, date(2026, 7, 4))
    assert period_end_instant(bounds, "America/New_York") == datetime(2026, 7, 5, 4, tzinfo=UTC)


# --- the calendar tiles time ----------------------------------------------------------------

calendars = st.one_of(
    st.builds(
        Calendar,
        st.sampled_from([K.QUARTERLY, K.ANNUAL]),
        st.integers(1, 12),
        st.integers(1, MAX_RESET_DAY),
    ),
    st.builds(Calendar, st.just(K.MONTHLY), st.just(1), st.integers(1, MAX_RESET_DAY)),
    st.builds(Calendar, st.just(K.WEEKLY), week_start=st.sampled_from(list(Weekday))),
    st.just(DAYS),
)
LONGEST = {K.DAILY: 1, K.WEEKLY: 7, K.MONTHLY: 31, K.QUARTERLY: 92, K.ANNUAL: 366}


@given(
    calendar=calendars,
    start=st.dates(date(1990, 1, 1), date(2060, 12, 31)),
    span=st.none() | st.integers(0, 1500),
)
def test_anchored_periods_tile_time_without_gap_or_overlap(
    calendar: Calendar, start: date, span: int | None
) -> None:
    end = None if span is None else start + timedelta(days=span)
    periods = periods_of(calendar, start, end, limit=40)
    assert periods[0].start == start
    for before, after in pairwise(periods):
        assert after.start == before.end + timedelta(days=1)
    for period in periods:
        whole = calendar_period(calendar, period.start)
        assert whole.start <= period.start and period.end <= whole.end
        assert whole.days <= LONGEST[calendar.kind]
        assert period_containing(calendar, start, end, period.start) == period
        assert period_containing(calendar, start, end, period.end) == period
        if period is not periods[0]:
            assert period.start == whole.start  # only the first may start inside a period
        if period is not periods[-1] or end is None:
            assert period.end == whole.end or period.end == end
    if end is not None and len(periods) < 40:
        assert periods[-1].end == end


@given(calendar=calendars, d=st.dates(date(1971, 1, 1), date(8999, 12, 31)))
def test_the_calendar_period_of_any_day_holds_it_and_starts_on_its_anchor(
    calendar: Calendar, d: date
) -> None:
    whole = calendar_period(calendar, d)
    assert whole.contains(d)
    if calendar.kind.months is not None:
        assert whole.start.day == calendar.reset_day
        months = whole.start.year * 12 + whole.start.month - calendar.fiscal_year_start_month
        assert months % calendar.kind.months == 0
    elif calendar.kind is K.WEEKLY:
        assert whole.start.weekday() == calendar.week_start.number
    assert calendar_period(calendar, whole.end + timedelta(days=1)).start == whole.end + timedelta(
        days=1
    )


# --- the prorated first period ---------------------------------------------------------------


def test_a_first_period_of_17_of_31_days_gets_17_31sts_rounded_down_to_the_micro() -> None:
    first = first_period(K.MONTHLY, date(2026, 3, 15), None)
    whole = calendar_period(K.MONTHLY, date(2026, 3, 15))
    assert (first.days, whole.days) == (17, 31)
    # 10,000 × 17 ÷ 31 = 5,483.870967 74…: the 0.74 micro is not funded.
    assert prorated(10_000 * M, first, whole) == 5_483_870_967


def test_a_whole_first_period_is_funded_in_full() -> None:
    whole = calendar_period(FISCAL_JULY, date(2026, 7, 1))
    assert prorated(50_000 * M, whole, whole) == 50_000 * M


@given(
    amount=st.integers(1, 10**15),
    whole_days=st.integers(1, 366),
    data=st.data(),
)
def test_proration_never_funds_more_than_the_share_nor_a_micro_less(
    amount: int, whole_days: int, data: st.DataObject
) -> None:
    days = data.draw(st.integers(1, whole_days))
    start = date(2026, 1, 1)
    whole = PeriodBounds(start, start + timedelta(days=whole_days - 1))
    first = PeriodBounds(whole.end - timedelta(days=days - 1), whole.end)
    share = prorated(amount, first, whole)
    assert share * whole_days <= amount * days < (share + 1) * whole_days
    assert 0 <= share <= amount
