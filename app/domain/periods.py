"""Budget periods: calendar arithmetic and the time zone each budget lives in.

A period is a run of whole *local* days, `start..end` with `end` inclusive, because people think
"the March budget ends on the 31st", not "at 00:00 on April 1st". The UTC instants of its edges are
derived from the budget's IANA time zone only when a timestamp has to be compared with them.

Recurring kinds (MONTHLY, QUARTERLY, ANNUAL) are aligned to the calendar, so a budget that starts
mid-month has a short first period and then tiles the calendar; GRANT and CUSTOM budgets are one
period with explicit dates. Nothing here reads the clock: `today` is always an argument.

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
    GRANT = "GRANT"
    CUSTOM = "CUSTOM"

    @property
    def is_recurring(self) -> bool:
        """Recurring kinds roll into a next period; GRANT and CUSTOM are a single period."""
        return self in _CALENDAR_MONTHS


#: Length of each recurring kind in calendar months.
_CALENDAR_MONTHS = {PeriodKind.MONTHLY: 1, PeriodKind.QUARTERLY: 3, PeriodKind.ANNUAL: 12}


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


def _add_months(first_of_month: date, months: int) -> date:
    index = first_of_month.year * 12 + first_of_month.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _calendar_start(kind: PeriodKind, d: date) -> date:
    """First day of the calendar month, quarter (Jan/Apr/Jul/Oct) or year holding `d`."""
    size = _CALENDAR_MONTHS[kind]
    return date(d.year, (d.month - 1) // size * size + 1, 1)


def _calendar_end(kind: PeriodKind, d: date) -> date:
    return _add_months(_calendar_start(kind, d), _CALENDAR_MONTHS[kind]) - _ONE_DAY


def _calendar_period(
    kind: PeriodKind, d: date, start_date: date, end_date: date | None
) -> PeriodBounds:
    """The calendar period holding `d`, clipped to the budget's own start and end."""
    start = max(_calendar_start(kind, d), start_date)
    end = _calendar_end(kind, d)
    if end_date is not None:
        end = min(end, end_date)
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


def first_period(kind: PeriodKind, start_date: date, end_date: date | None) -> PeriodBounds:
    """The budget's first period; also where start and end dates are validated."""
    check_dates(start_date, end_date)
    if end_date is not None and end_date < start_date:
        raise ValidationError("endDate", "must not be before startDate")
    if not kind.is_recurring:
        if end_date is None:
            raise ValidationError("endDate", "is required for GRANT and CUSTOM budgets")
        return PeriodBounds(start_date, end_date)
    return _calendar_period(kind, start_date, start_date, end_date)


def next_period(
    kind: PeriodKind, current: PeriodBounds, end_date: date | None
) -> PeriodBounds | None:
    """The period after `current`, or None when the budget ends or does not recur."""
    if not kind.is_recurring:
        return None
    check_dates(None, end_date)
    if current.end >= MAX_DATE:  # an open-ended budget runs until MAX_DATE, not past it
        return None
    start = current.end + _ONE_DAY
    if end_date is not None and start > end_date:
        return None
    return _calendar_period(kind, start, start, end_date)


def period_containing(
    kind: PeriodKind, start_date: date, end_date: date | None, d: date
) -> PeriodBounds | None:
    """The period that day `d` belongs to, or None when `d` is outside the budget's dates.

    Computed directly from the calendar, so a spend years into an open-ended budget costs the
    same as one on its first day. An open-ended budget ends on MAX_DATE: later days are outside.
    """
    first = first_period(kind, start_date, end_date)
    if d < start_date or d > (end_date or MAX_DATE):
        return None
    if first.contains(d):
        return first
    return _calendar_period(kind, d, start_date, end_date)


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
    kind: PeriodKind, following: PeriodBounds, today: date, end_date: date | None
) -> Resumption:
    """The period to open when `following` (the period after the one closing) is already over
    on `today`: the one holding today, skipping those in between, so a close never opens a
    period that is due at once. Catching up is one close however far behind the budget is."""
    if today <= following.end:
        return Resumption(following)
    missed: list[PeriodBounds] = []
    current: PeriodBounds | None = following
    while current is not None and current.end < today:
        missed.append(current)
        current = next_period(kind, current, end_date)
    return Resumption(current, tuple(missed))


def period_start_instant(bounds: PeriodBounds, tz: str) -> datetime:
    return local_midnight_utc(bounds.start, tz)


def period_end_instant(bounds: PeriodBounds, tz: str) -> datetime:
    """Exclusive UTC end of a period: local midnight after its last day."""
    return local_midnight_utc(bounds.end + _ONE_DAY, tz)


__all__ = [
    "MAX_DATE",
    "MIN_DATE",
    "PeriodBounds",
    "PeriodKind",
    "Resumption",
    "check_dates",
    "first_period",
    "local_date",
    "local_midnight_utc",
    "next_period",
    "period_containing",
    "period_end_instant",
    "period_start_instant",
    "resume_after",
    "validate_timezone",
]
