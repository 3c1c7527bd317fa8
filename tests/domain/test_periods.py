from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.errors import ValidationError
from app.domain.periods import (
    PeriodBounds,
    PeriodKind,
    first_period,
    local_date,
    local_midnight_utc,
    next_period,
    period_containing,
    period_end_instant,
    period_start_instant,
    validate_timezone,
)

RECURRING = [PeriodKind.MONTHLY, PeriodKind.QUARTERLY, PeriodKind.ANNUAL]
ALL_RECURRING = [*RECURRING, PeriodKind.WEEKLY, PeriodKind.DAILY]
CALENDAR_DAYS = {PeriodKind.MONTHLY: 31, PeriodKind.QUARTERLY: 92, PeriodKind.ANNUAL: 366}


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def all_periods(
    kind: PeriodKind, start: date, end: date | None, limit: int = 60
) -> list[PeriodBounds]:
    periods = [first_period(kind, start, end)]
    while len(periods) < limit and (nxt := next_period(kind, periods[-1], end)) is not None:
        periods.append(nxt)
    return periods


# --- kinds and bounds -----------------------------------------------------------------------


def test_only_grant_and_custom_do_not_recur() -> None:
    assert [k for k in PeriodKind if k.is_recurring] == ALL_RECURRING


def test_bounds_count_both_the_first_and_the_last_day() -> None:
    bounds = PeriodBounds(date(2025, 1, 1), date(2025, 1, 31))
    assert bounds.days == 31
    assert bounds.contains(date(2025, 1, 1)) and bounds.contains(date(2025, 1, 31))
    assert not bounds.contains(date(2024, 12, 31)) and not bounds.contains(date(2025, 2, 1))


def test_bounds_refuse_an_end_before_the_start() -> None:
    with pytest.raises(ValidationError) as err:
        PeriodBounds(date(2025, 2, 1), date(2025, 1, 31))
    assert err.value.field == "endDate"


def test_days_left_counts_today_and_is_never_below_one() -> None:
    bounds = PeriodBounds(date(2025, 4, 1), date(2025, 4, 30))
    assert bounds.days_left(date(2025, 3, 15)) == 30  # not started: the whole period
    assert bounds.days_left(date(2025, 4, 1)) == 30
    assert bounds.days_left(date(2025, 4, 29)) == 2
    assert bounds.days_left(date(2025, 4, 30)) == 1
    assert bounds.days_left(date(2025, 6, 1)) == 1


def test_elapsed_fraction_counts_today_as_elapsed_and_stays_within_zero_and_one() -> None:
    bounds = PeriodBounds(date(2025, 4, 1), date(2025, 4, 30))
    assert bounds.elapsed_fraction(date(2025, 3, 31)) == 0.0
    assert bounds.elapsed_fraction(date(2025, 4, 1)) == pytest.approx(1 / 30)
    assert bounds.elapsed_fraction(date(2025, 4, 15)) == pytest.approx(0.5)
    assert bounds.elapsed_fraction(date(2025, 4, 30)) == 1.0
    assert bounds.elapsed_fraction(date(2026, 1, 1)) == 1.0


@given(
    start=st.dates(date(2000, 1, 1), date(2090, 1, 1)),
    length=st.integers(0, 800),
    offset=st.integers(-50, 900),
)
def test_elapsed_days_and_days_left_add_up_to_the_period_plus_today(
    start: date, length: int, offset: int
) -> None:
    bounds = PeriodBounds(start, start + timedelta(days=length))
    today = start + timedelta(days=offset)
    fraction = bounds.elapsed_fraction(today)
    assert 0.0 <= fraction <= 1.0
    assert 1 <= bounds.days_left(today) <= bounds.days
    if bounds.contains(today):
        assert round(fraction * bounds.days) + bounds.days_left(today) == bounds.days + 1


# --- recurring periods follow the calendar --------------------------------------------------


def test_a_monthly_budget_starting_mid_month_has_a_short_first_period() -> None:
    assert first_period(PeriodKind.MONTHLY, date(2025, 1, 15), None) == PeriodBounds(
        date(2025, 1, 15), date(2025, 1, 31)
    )


def test_february_has_29_days_in_2024_and_28_in_2026() -> None:
    leap = period_containing(PeriodKind.MONTHLY, date(2024, 1, 1), None, date(2024, 2, 10))
    common = period_containing(PeriodKind.MONTHLY, date(2026, 1, 1), None, date(2026, 2, 10))
    assert leap == PeriodBounds(date(2024, 2, 1), date(2024, 2, 29)) and leap.days == 29
    assert common == PeriodBounds(date(2026, 2, 1), date(2026, 2, 28)) and common.days == 28


def test_the_period_after_january_in_a_leap_year_ends_on_february_29() -> None:
    january = first_period(PeriodKind.MONTHLY, date(2024, 1, 1), None)
    assert next_period(PeriodKind.MONTHLY, january, None) == PeriodBounds(
        date(2024, 2, 1), date(2024, 2, 29)
    )


def test_monthly_periods_run_through_the_year_end() -> None:
    december = first_period(PeriodKind.MONTHLY, date(2025, 12, 1), None)
    assert december.end == date(2025, 12, 31)
    assert next_period(PeriodKind.MONTHLY, december, None) == PeriodBounds(
        date(2026, 1, 1), date(2026, 1, 31)
    )


def test_quarters_start_in_january_april_july_and_october() -> None:
    periods = all_periods(PeriodKind.QUARTERLY, date(2025, 5, 10), None, limit=5)
    assert [(p.start, p.end) for p in periods] == [
        (date(2025, 5, 10), date(2025, 6, 30)),
        (date(2025, 7, 1), date(2025, 9, 30)),
        (date(2025, 10, 1), date(2025, 12, 31)),
        (date(2026, 1, 1), date(2026, 3, 31)),
        (date(2026, 4, 1), date(2026, 6, 30)),
    ]


def test_an_annual_budget_follows_calendar_years() -> None:
    periods = all_periods(PeriodKind.ANNUAL, date(2024, 3, 15), None, limit=2)
    assert periods == [
        PeriodBounds(date(2024, 3, 15), date(2024, 12, 31)),
        PeriodBounds(date(2025, 1, 1), date(2025, 12, 31)),
    ]


def test_the_budget_end_date_cuts_the_last_period_short_and_stops_the_sequence() -> None:
    periods = all_periods(PeriodKind.MONTHLY, date(2025, 1, 10), date(2025, 3, 15))
    assert periods == [
        PeriodBounds(date(2025, 1, 10), date(2025, 1, 31)),
        PeriodBounds(date(2025, 2, 1), date(2025, 2, 28)),
        PeriodBounds(date(2025, 3, 1), date(2025, 3, 15)),
    ]


def test_an_end_date_on_the_first_of_a_month_makes_a_one_day_last_period() -> None:
    periods = all_periods(PeriodKind.MONTHLY, date(2025, 1, 20), date(2025, 2, 1))
    assert periods[-1] == PeriodBounds(date(2025, 2, 1), date(2025, 2, 1))
    assert len(periods) == 2


def test_an_end_date_on_a_period_end_leaves_no_empty_period_after_it() -> None:
    q1 = first_period(PeriodKind.QUARTERLY, date(2025, 1, 1), date(2025, 3, 31))
    assert q1 == PeriodBounds(date(2025, 1, 1), date(2025, 3, 31))
    assert next_period(PeriodKind.QUARTERLY, q1, date(2025, 3, 31)) is None


# --- grants and custom periods --------------------------------------------------------------


@pytest.mark.parametrize("kind", [PeriodKind.GRANT, PeriodKind.CUSTOM])
def test_grant_and_custom_budgets_need_an_end_date(kind: PeriodKind) -> None:
    with pytest.raises(ValidationError) as err:
        first_period(kind, date(2025, 1, 1), None)
    assert (err.value.field, err.value.rule) == (
        "endDate",
        "is required for GRANT and CUSTOM budgets",
    )


@pytest.mark.parametrize("kind", list(PeriodKind))
def test_an_end_date_before_the_start_date_is_refused(kind: PeriodKind) -> None:
    with pytest.raises(ValidationError) as err:
        first_period(kind, date(2025, 3, 1), date(2025, 2, 28))
    assert (err.value.field, err.value.rule) == ("endDate", "must not be before startDate")


def test_a_grant_is_one_period_across_years_with_nothing_after_it() -> None:
    grant = first_period(PeriodKind.GRANT, date(2024, 9, 1), date(2027, 8, 31))
    assert grant == PeriodBounds(date(2024, 9, 1), date(2027, 8, 31))
    assert next_period(PeriodKind.GRANT, grant, date(2027, 8, 31)) is None
    assert period_containing(PeriodKind.GRANT, grant.start, grant.end, date(2026, 2, 28)) == grant


def test_a_one_day_custom_period_is_allowed() -> None:
    assert first_period(PeriodKind.CUSTOM, date(2025, 6, 1), date(2025, 6, 1)).days == 1


# --- period_containing ----------------------------------------------------------------------


def test_no_period_contains_a_day_outside_the_budget_dates() -> None:
    start, end = date(2025, 1, 15), date(2025, 6, 10)
    assert period_containing(PeriodKind.MONTHLY, start, end, date(2025, 1, 14)) is None
    assert period_containing(PeriodKind.MONTHLY, start, end, date(2025, 6, 11)) is None
    assert period_containing(PeriodKind.GRANT, start, end, date(2025, 6, 11)) is None


def test_the_partial_first_and_last_periods_are_returned_as_clipped() -> None:
    start, end = date(2025, 1, 15), date(2025, 6, 10)
    assert period_containing(PeriodKind.MONTHLY, start, end, date(2025, 1, 20)) == PeriodBounds(
        start, date(2025, 1, 31)
    )
    assert period_containing(PeriodKind.MONTHLY, start, end, date(2025, 6, 10)) == PeriodBounds(
        date(2025, 6, 1), end
    )


def test_a_day_years_into_an_open_ended_budget_finds_its_calendar_period() -> None:
    assert period_containing(
        PeriodKind.QUARTERLY, date(2020, 2, 2), None, date(2031, 11, 30)
    ) == PeriodBounds(date(2031, 10, 1), date(2031, 12, 31))


@given(
    kind=st.sampled_from(RECURRING),
    start=st.dates(date(1999, 1, 1), date(2060, 12, 31)),
    span=st.none() | st.integers(0, 1500),
)
def test_consecutive_periods_tile_the_calendar_without_gap_or_overlap(
    kind: PeriodKind, start: date, span: int | None
) -> None:
    end = None if span is None else start + timedelta(days=span)
    periods = all_periods(kind, start, end, limit=60)
    assert periods[0].start == start
    for before, after in pairwise(periods):
        assert after.start == before.end + timedelta(days=1)
    for period in periods:
        assert period.days <= CALENDAR_DAYS[kind]
        assert period_containing(kind, start, end, period.start) == period
        assert period_containing(kind, start, end, period.end) == period
        if period is not periods[0]:
            assert period.start.day == 1  # only the first period may start mid-calendar
    if end is not None and len(periods) < 60:
        assert periods[-1].end == end


# --- time zones -----------------------------------------------------------------------------


def test_valid_time_zones_are_returned_unchanged() -> None:
    assert validate_timezone("Europe/Berlin") == "Europe/Berlin"
    assert validate_timezone("UTC") == "UTC"


@pytest.mark.parametrize(
    "tz", ["Mars/Olympus", "", "../etc/passwd", "/etc/localtime", "localtime", "America/New_York "]
)
def test_anything_but_an_iana_zone_is_refused(tz: str) -> None:
    with pytest.raises(ValidationError) as err:
        validate_timezone(tz)
    assert (err.value.field, err.value.rule) == (
        "timezone",
        "must be an IANA time zone such as America/New_York",
    )


def test_a_naive_instant_is_refused_because_its_day_is_ambiguous() -> None:
    with pytest.raises(ValidationError) as err:
        local_date(datetime(2025, 1, 1, 12, 0), "UTC")
    assert err.value.field == "instant"


def test_local_date_refuses_an_unknown_zone() -> None:
    with pytest.raises(ValidationError) as err:
        local_date(utc(2025, 1, 1), "Nowhere/City")
    assert err.value.field == "timezone"


@pytest.mark.parametrize(
    ("tz", "before", "day", "after"),
    [
        # Spring forward: the day of the change is 23 hours long.
        ("America/New_York", utc(2024, 3, 10, 5), date(2024, 3, 10), utc(2024, 3, 11, 4)),
        ("Europe/Berlin", utc(2024, 3, 30, 23), date(2024, 3, 31), utc(2024, 3, 31, 22)),
        # Fall back: the day of the change is 25 hours long.
        ("America/New_York", utc(2024, 11, 3, 4), date(2024, 11, 3), utc(2024, 11, 4, 5)),
        ("Europe/Berlin", utc(2024, 10, 26, 22), date(2024, 10, 27), utc(2024, 10, 27, 23)),
    ],
)
def test_local_midnight_moves_by_an_hour_across_a_dst_change(
    tz: str, before: datetime, day: date, after: datetime
) -> None:
    assert local_midnight_utc(day, tz) == before
    assert local_midnight_utc(day + timedelta(days=1), tz) == after
    assert abs((after - before) - timedelta(hours=24)) == timedelta(hours=1)


def test_a_midnight_skipped_by_dst_resolves_to_the_first_instant_of_that_day() -> None:
    # Santiago jumps from 24:00 on 7 Sept 2024 straight to 01:00 on 8 Sept.
    start = local_midnight_utc(date(2024, 9, 8), "America/Santiago")
    assert start == utc(2024, 9, 8, 4)
    assert local_date(start, "America/Santiago") == date(2024, 9, 8)
    assert local_date(start - timedelta(microseconds=1), "America/Santiago") == date(2024, 9, 7)


def test_a_spend_at_2359_local_on_the_last_day_counts_in_that_period() -> None:
    tz = "Europe/Berlin"
    march = first_period(PeriodKind.MONTHLY, date(2024, 3, 1), None)
    late = datetime(2024, 3, 31, 23, 59, tzinfo=ZoneInfo(tz)).astimezone(UTC)
    assert late == utc(2024, 3, 31, 21, 59)  # already summer time
    day = local_date(late, tz)
    assert day == date(2024, 3, 31)
    assert period_containing(PeriodKind.MONTHLY, date(2024, 1, 1), None, day) == march
    assert period_start_instant(march, tz) <= late < period_end_instant(march, tz)
    assert period_end_instant(march, tz) == utc(2024, 3, 31, 22)


def test_a_new_york_spend_late_on_new_years_eve_belongs_to_the_old_year() -> None:
    tz = "America/New_York"
    late = utc(2025, 1, 1, 4, 59)  # 23:59 EST on 31 Dec 2024
    day = local_date(late, tz)
    assert day == date(2024, 12, 31)
    q4 = period_containing(PeriodKind.QUARTERLY, date(2024, 1, 1), None, day)
    assert q4 == PeriodBounds(date(2024, 10, 1), date(2024, 12, 31))
    assert q4 is not None and late < period_end_instant(q4, tz) == utc(2025, 1, 1, 5)
    assert local_date(utc(2025, 1, 1, 5), tz) == date(2025, 1, 1)


def test_a_period_spanning_a_dst_change_is_an_hour_short_of_whole_days() -> None:
    march = PeriodBounds(date(2024, 3, 1), date(2024, 3, 31))
    length = period_end_instant(march, "America/New_York") - period_start_instant(
        march, "America/New_York"
    )
    assert length == timedelta(days=31, hours=-1)


@given(
    instant=st.datetimes(datetime(1990, 1, 1), datetime(2060, 1, 1), timezones=st.just(UTC)),
    tz=st.sampled_from(["America/New_York", "Europe/Berlin", "Asia/Kolkata", "America/Santiago"]),
)
def test_every_instant_lies_between_its_local_midnight_and_the_next(
    instant: datetime, tz: str
) -> None:
    day = local_date(instant, tz)
    assert local_midnight_utc(day, tz) <= instant < local_midnight_utc(day + timedelta(days=1), tz)
