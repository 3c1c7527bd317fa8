"""Budget periods: calendar arithmetic and the time zone each budget lives in.

A period is a run of whole *local* days, `start..end` with `end` inclusive, because people think
"the March budget ends on the 31st", not "at 00:00 on April 1st". The UTC instants of its edges are
derived from the budget's IANA time zone only when a timestamp has to be compared with them.

Recurring kinds (MONTHLY, QUARTERLY, ANNUAL, WEEKLY, DAILY) tile a `Calendar`: months, quarters
and years begin on `reset_day` of a month (1 by default), quarters and years in the month of the
fiscal year start and every third (or twelfth) month after it (January by default), weeks on
`week_start` (Monday by default), days every day. A budget that starts inside one of its
calendar's periods has a short first period (funded in full, or prorated when it asks:
`prorated`), then follows the calendar. GRANT and CUSTOM budgets are one period with explicit
dates. Nothing here reads the clock: `today` is always an argument.

The functions that cut periods (`first_period`, `next_period`, `period_containing`,
`resume_after`, `calendar_period`) take a `Calendar`, or a bare `PeriodKind` for the default
anchors (1 January, the 1st of the month, Monday), so a caller that has no anchors to give
keeps working.

Budget dates are bounded, `MIN_DATE..MAX_DATE` (1970-01-01 to 9000-12-31), and checked here,
where periods are computed (`first_period`, `next_period`, `period_containing`, or
`check_dates` directly), so every caller gets the same `ValidationError` naming `startDate` or
`endDate`. Without a bound, a MONTHLY budget starting 9999-12-01 overflows `datetime.date` when
its period end (or the local midnight after it) is computed. The upper bound leaves a thousand
years of headroom for that arithmetic; the lower one is the Unix epoch, before which no spend
in any export is dated.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from app.domain.errors import ValidationError

_ONE_DAY = timedelta(days=1)
#: The first and last days a budget may start or end on (see the module docstring).
MIN_DATE = date(1970, 1, 1)
MAX_DATE = date(9000, 12, 31)
_TIMEZONE_RULE = "must be an IANA time zone such as America/New_York"
#: Keys the tz database accepts but that do not name a place: `localtime` is whatever the host
#: is set to, which would make a budget's days depend on the server it runs on.
_NOT_A_PLACE = frozenset({"localtime", "posixrules", "Factory"})


class PeriodKind(str, enum.Enum):
    MONTHLY = "MONTHLY"
    QUARTERLY = "QUARTERLY"
    ANNUAL = "ANNUAL"
    WEEKLY = "WEEKLY"
    DAILY = "DAILY"
    GRANT = "GRANT"
    CUSTOM = "CUSTOM"

    @property
    def is_recurring(self) -> bool:
        """Recurring kinds roll into a next period; GRANT and CUSTOM are a single period."""
        return self in _RECURRING

    @property
    def months(self) -> int | None:
        """Length in calendar months of a month-based kind; None for weeks, days and grants."""
        return _CALENDAR_MONTHS.get(self)


#: Length of each month-based kind in calendar months.
_CALENDAR_MONTHS = {PeriodKind.MONTHLY: 1, PeriodKind.QUARTERLY: 3, PeriodKind.ANNUAL: 12}
_RECURRING = frozenset({*_CALENDAR_MONTHS, PeriodKind.WEEKLY, PeriodKind.DAILY})
#: Kinds whose periods begin in the fiscal year's first month (and every `months` after it).
_FISCAL = frozenset({PeriodKind.QUARTERLY, PeriodKind.ANNUAL})
#: The latest reset day every month has: a period "from the 31st" would have no start in April.
MAX_RESET_DAY = 28


class Weekday(str, enum.Enum):
    """The day a WEEKLY budget's weeks begin on (ISO 8601 weeks begin on Monday)."""

    MONDAY = "MONDAY"
    TUESDAY = "TUESDAY"
    WEDNESDAY = "WEDNESDAY"
    THURSDAY = "THURSDAY"
    FRIDAY = "FRIDAY"
    SATURDAY = "SATURDAY"
    SUNDAY = "SUNDAY"

    @property
    def number(self) -> int:
        """0 for Monday to 6 for Sunday, as `date.weekday()` counts."""
        return _WEEKDAYS.index(self)


_WEEKDAYS = list(Weekday)


@dataclass(frozen=True)
class Calendar:
    """How a budget's time is cut: its kind and the anchors of its recurring periods.

    `fiscal_year_start_month` (1–12) is the month QUARTERLY and ANNUAL periods begin in (7: a
    fiscal year from 1 July; fiscal quarters begin in it and every third month after it).
    `reset_day` (1–28) is the day of the month MONTHLY, QUARTERLY and ANNUAL periods begin on
    (15: a month runs from the 15th to the 14th; with 4 and 6, a UK tax year from 6 April). Days
    29–31 are refused because not every month has them. `week_start` is the first day of a
    WEEKLY period. An anchor the kind does not use must stay at its default, so a stored
    calendar never carries a setting that silently does nothing.
    """

    kind: PeriodKind
    fiscal_year_start_month: int = 1
    reset_day: int = 1
    week_start: Weekday = Weekday.MONDAY

    def __post_init__(self) -> None:
        if not isinstance(self.kind, PeriodKind):
            raise ValidationError("periodKind", _KIND_RULE)
        month, day = self.fiscal_year_start_month, self.reset_day
        if isinstance(month, bool) or not isinstance(month, int) or not 1 <= month <= 12:
            raise ValidationError("fiscalYearStartMonth", "must be a month number from 1 to 12")
        if isinstance(day, bool) or not isinstance(day, int) or not 1 <= day <= MAX_RESET_DAY:
            raise ValidationError(
                "resetDay", f"must be a day of the month from 1 to {MAX_RESET_DAY}"
            )
        if not isinstance(self.week_start, Weekday):
            raise ValidationError("weekStart", "must be a day of the week such as MONDAY")
        if month != 1 and self.kind not in _FISCAL:
            raise ValidationError(
                "fiscalYearStartMonth", "applies only to QUARTERLY and ANNUAL budgets"
            )
        if day != 1 and self.kind.months is None:
            raise ValidationError(
                "resetDay", "applies only to MONTHLY, QUARTERLY and ANNUAL budgets"
            )
        if self.week_start is not Weekday.MONDAY and self.kind is not PeriodKind.WEEKLY:
            raise ValidationError("weekStart", "applies only to WEEKLY budgets")

    @classmethod
    def of(
        cls,
        kind: PeriodKind | str,
        *,
        fiscal_year_start_month: int | None = None,
        reset_day: int | None = None,
        week_start: Weekday | str | None = None,
    ) -> Calendar:
        """A calendar from user input: None is the default anchor; text names are checked."""
        try:
            kind = PeriodKind(kind)
        except ValueError:
            raise ValidationError("periodKind", _KIND_RULE) from None
        if week_start is None:
            weekday = Weekday.MONDAY
        else:
            try:
                weekday = Weekday(week_start)
            except ValueError:
                raise ValidationError(
                    "weekStart", "must be a day of the week such as MONDAY"
                ) from None
        return cls(
            kind,
            1 if fiscal_year_start_month is None else fiscal_year_start_month,
            1 if reset_day is None else reset_day,
            weekday,
        )


_KIND_RULE = f"must be one of {', '.join(k.value for k in PeriodKind)}"


def _as_calendar(calendar: Calendar | PeriodKind) -> Calendar:
    return calendar if isinstance(calendar, Calendar) else Calendar(calendar)


@dataclass(frozen=True)
class PeriodBounds:
    """Local days `start..end`, both included."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValidationError("endDate", "must not be before startDate")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def contains(self, d: date) -> bool:
        return self.start <= d <= self.end

    def days_left(self, today: date) -> int:
        """Days from `today` to the end, today included; the divisor of the daily drip.

        Before the period starts it is the whole length; on or after the last day it is 1, so a
        caller can always divide by it.
        """
        if today < self.start:
            return self.days
        return max(1, (self.end - today).days + 1)

    def elapsed_fraction(self, today: date) -> float:
        """Share of the period that has passed by the end of `today`, in [0, 1].

        Today counts as elapsed because the spend it is compared with already includes today's:
        counting only the days before today would call a budget that spends exactly its drip each
        morning "ahead". 0.0 before the start, 1.0 from the last day on.
        """
        if today < self.start:
            return 0.0
        elapsed = min(self.days, (today - self.start).days + 1)
        return elapsed / self.days


def _month_start(index: int, day: int) -> date:
    """Day `day` of the month `index` months after January of year 0 (year * 12 + month - 1)."""
    return date(index // 12, index % 12 + 1, day)


def calendar_period(calendar: Calendar | PeriodKind, d: date) -> PeriodBounds:
    """The whole period of the calendar that holds day `d`, not clipped to any budget's dates:
    the full month, quarter, year, week or day a prorated first period is measured against."""
    cal = _as_calendar(calendar)
    kind = cal.kind
    if kind is PeriodKind.DAILY:
        return PeriodBounds(d, d)
    if kind is PeriodKind.WEEKLY:
        start = d - timedelta(days=(d.weekday() - cal.week_start.number) % 7)
        return PeriodBounds(start, start + timedelta(days=6))
    months = kind.months
    if months is None:
        raise ValidationError("periodKind", "GRANT and CUSTOM budgets follow no calendar")
    # The month whose reset day is the latest on or before `d`, then back to a period start:
    # a month that is a whole number of periods after the fiscal year's first month.
    index = d.year * 12 + d.month - 1 - (1 if d.day < cal.reset_day else 0)
    index -= (index - (cal.fiscal_year_start_month - 1)) % months
    start = _month_start(index, cal.reset_day)
    return PeriodBounds(start, _month_start(index + months, cal.reset_day) - _ONE_DAY)


def _calendar_period(
    cal: Calendar, d: date, start_date: date, end_date: date | None
) -> PeriodBounds:
    """The calendar period holding `d`, clipped to the budget's own start and end."""
    whole = calendar_period(cal, d)
    start = max(whole.start, start_date)
    end = whole.end if end_date is None else min(whole.end, end_date)
    return PeriodBounds(start, end)


def _check_date(value: date, field: str) -> None:
    if not isinstance(value, date):
        raise ValidationError(field, "must be a date such as 2026-01-31")
    if not MIN_DATE <= value <= MAX_DATE:
        raise ValidationError(
            field, f"must be between {MIN_DATE.isoformat()} and {MAX_DATE.isoformat()}"
        )


def check_dates(start_date: date | None, end_date: date | None) -> None:
    """Refuse a budget start or end outside `MIN_DATE..MAX_DATE`, naming the field."""
    if start_date is not None:
        _check_date(start_date, "startDate")
    if end_date is not None:
        _check_date(end_date, "endDate")


def first_period(
    calendar: Calendar | PeriodKind, start_date: date, end_date: date | None
) -> PeriodBounds:
    """The budget's first period; also where start and end dates are validated."""
    cal = _as_calendar(calendar)
    check_dates(start_date, end_date)
    if end_date is not None and end_date < start_date:
        raise ValidationError("endDate", "must not be before startDate")
    if not cal.kind.is_recurring:
        if end_date is None:
            raise ValidationError("endDate", "is required for GRANT and CUSTOM budgets")
        return PeriodBounds(start_date, end_date)
    return _calendar_period(cal, start_date, start_date, end_date)


def next_period(
    calendar: Calendar | PeriodKind, current: PeriodBounds, end_date: date | None
) -> PeriodBounds | None:
    """The period after `current`, or None when the budget ends or does not recur."""
    cal = _as_calendar(calendar)
    if not cal.kind.is_recurring:
        return None
    check_dates(None, end_date)
    if current.end >= MAX_DATE:  # an open-ended budget runs until MAX_DATE, not past it
        return None
    start = current.end + _ONE_DAY
    if end_date is not None and start > end_date:
        return None
    return _calendar_period(cal, start, start, end_date)


def period_containing(
    calendar: Calendar | PeriodKind, start_date: date, end_date: date | None, d: date
) -> PeriodBounds | None:
    """The period that day `d` belongs to, or None when `d` is outside the budget's dates.

    Computed directly from the calendar, so a spend years into an open-ended budget costs the
    same as one on its first day. An open-ended budget ends on MAX_DATE: later days are outside.
    """
    cal = _as_calendar(calendar)
    first = first_period(cal, start_date, end_date)
    if d < start_date or d > (end_date or MAX_DATE):
        return None
    if first.contains(d):
        return first
    return _calendar_period(cal, d, start_date, end_date)


def prorated(amount: int, first: PeriodBounds, whole: PeriodBounds) -> int:
    """The funding of a first period cut short: `amount` × its days ÷ the days of the whole
    calendar period it is part of, rounded down to the micro.

    Rounding down means the budget is never funded with money it was not given: what is cut
    (less than one micro of the fraction) is simply not funded, so the ledger stays exact and
    every later period gets the full amount. A first period that is the whole calendar period
    gets `amount` itself.
    """
    if first.days >= whole.days:
        return amount
    return amount * first.days // whole.days


def validate_timezone(tz: str) -> str:
    """Return `tz` unchanged if it names an IANA zone; refuse anything else."""
    if not isinstance(tz, str) or tz in _NOT_A_PLACE:
        raise ValidationError("timezone", _TIMEZONE_RULE)
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError("timezone", _TIMEZONE_RULE) from None
    return tz


def _zone(tz: str) -> ZoneInfo:
    return ZoneInfo(validate_timezone(tz))


def local_date(instant: datetime, tz: str) -> date:
    """The local day an instant falls on: which day, and so which period, a spend counts in."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValidationError("instant", "must be timezone-aware (naive datetimes are ambiguous)")
    return instant.astimezone(_zone(tz)).date()


def local_midnight_utc(d: date, tz: str) -> datetime:
    """The UTC instant at which local day `d` begins.

    `fold=0` picks the first of two repeated midnights, and for a midnight skipped by a DST jump
    it resolves to the first instant that does exist on `d` (e.g. 01:00 in Santiago): in both
    cases the start of the local day.
    """
    return datetime.combine(d, time(0), tzinfo=_zone(tz)).astimezone(UTC)


@dataclass(frozen=True)
class Resumption:
    """Where a recurring budget resumes after its open period closed: `resume` is the period to
    open (None: the budget has ended), `missed` the whole periods in between that passed while
    nothing could happen in them (the server was down, or the budget was created late)."""

    resume: PeriodBounds | None
    missed: tuple[PeriodBounds, ...] = ()


def resume_after(
    calendar: Calendar | PeriodKind, following: PeriodBounds, today: date, end_date: date | None
) -> Resumption:
    """The period to open when `following` (the period after the one closing) is already over
    on `today`: the one holding today, skipping those in between, so a close never opens a
    period that is due at once. Catching up is one close however far behind the budget is."""
    if today <= following.end:
        return Resumption(following)
    cal = _as_calendar(calendar)
    missed: list[PeriodBounds] = []
    current: PeriodBounds | None = following
    while current is not None and current.end < today:
        missed.append(current)
        current = next_period(cal, current, end_date)
    return Resumption(current, tuple(missed))


def period_start_instant(bounds: PeriodBounds, tz: str) -> datetime:
    return local_midnight_utc(bounds.start, tz)


def period_end_instant(bounds: PeriodBounds, tz: str) -> datetime:
    """Exclusive UTC end of a period: local midnight after its last day."""
    return local_midnight_utc(bounds.end + _ONE_DAY, tz)


__all__ = [
    "MAX_DATE",
    "MAX_RESET_DAY",
    "MIN_DATE",
    "Calendar",
    "PeriodBounds",
    "PeriodKind",
    "Resumption",
    "Weekday",
    "calendar_period",
    "check_dates",
    "first_period",
    "local_date",
    "local_midnight_utc",
    "next_period",
    "period_containing",
    "period_end_instant",
    "period_start_instant",
    "prorated",
    "resume_after",
    "validate_timezone",
]
