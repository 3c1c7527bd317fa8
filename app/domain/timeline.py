"""The days of a period's spend chart, so the line ends where the period's `spent` does.

A period counts every spend that landed in it, whatever day the spend is dated: imported rows of
an earlier bill (a FOCUS export from 2024 read into a 2026 budget), a late charge, a spend dated
after a period that closed early. The chart has one point per day of the period, so spend dated
outside it has no day of its own. It is carried to the nearest edge: spend dated before the
start counts on the first day, spend dated after the end on the last day. The cumulative line
then starts where the earlier spend put it and ends at the period's `spent`, as a reader of the
chart next to the figure expects; `outside` says how much of an edge point is carried.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class Day:
    """One point: spend dated that day, spend carried to it from outside the period (only on
    the first and the last day), and the cumulative spend up to and including the day."""

    day: date
    spent: int
    outside: int
    cumulative: int


def timeline_days(daily: Mapping[date, int], start: date, end: date, today: date) -> list[Day]:
    """Points from `start` to today (or the last day with spend), never past `end`.

    `daily`: spend per local day (micros) of everything that counts in the period, including
    days before `start` and after `end`; those are carried to the first and the last point
    (the chart then runs to `end`), so the last point's cumulative is always the sum of `daily`.
    """
    before = sum(v for d, v in daily.items() if d < start)
    after = sum(v for d, v in daily.items() if d > end)
    inside = [d for d in daily if start <= d <= end]
    last = min(max(today, max(inside, default=start), end if after else start), end)
    points: list[Day] = []
    cumulative, day = 0, start
    while day <= last:
        outside = (before if day == start else 0) + (after if day == end else 0)
        spent = daily.get(day, 0)
        cumulative += spent + outside
        points.append(Day(day, spent, outside, cumulative))
        day += timedelta(days=1)
    return points


__all__ = ["Day", "timeline_days"]
