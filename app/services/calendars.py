"""A budget's calendar (its kind and anchors) read from its row, and what its first period is
funded with. The arithmetic is app.domain.periods; this only maps the stored columns to it, so
every service cuts a budget's periods with the same `Calendar`."""

from __future__ import annotations

from app.domain.periods import Calendar, PeriodBounds, PeriodKind, Weekday, calendar_period
from app.domain.periods import prorated as prorate
from app.models import Budget


def calendar_of(budget: Budget) -> Calendar:
    """The budget's calendar. Rows written before the anchors existed have the defaults."""
    return Calendar(
        PeriodKind(budget.period_kind),
        int(budget.fiscal_year_start_month or 1),
        int(budget.reset_day or 1),
        Weekday(budget.week_start or Weekday.MONDAY.value),
    )


def whole_first_period(budget: Budget, first: PeriodBounds) -> PeriodBounds | None:
    """The whole calendar period the budget's first period is part of (None for a grant)."""
    calendar = calendar_of(budget)
    if not calendar.kind.is_recurring:
        return None
    return calendar_period(calendar, first.start)


def first_period_prorated(budget: Budget, first: PeriodBounds) -> bool:
    """True when the first period is funded with less than the amount: the budget asked for it
    and the period is shorter than the calendar period it is part of."""
    whole = whole_first_period(budget, first)
    return bool(budget.prorate_first_period) and whole is not None and first.days < whole.days


def first_period_funding(budget: Budget, first: PeriodBounds, amount: int) -> int:
    """What the first period is funded with for a budget amount of `amount` micros: the amount,
    or with `prorate_first_period` its share of the days (app.domain.periods.prorated)."""
    whole = whole_first_period(budget, first)
    if not first_period_prorated(budget, first) or whole is None:
        return amount
    return prorate(amount, first, whole)


__all__ = ["calendar_of", "first_period_funding", "first_period_prorated", "whole_first_period"]
