"""Pacing: how much a budget may spend per day, and whether it is spending faster than time.

The daily drip spreads what is left evenly over the days left (today included), the way ad
platforms pace a daily budget. A budget that enforces pacing may spend up to twice its drip in one
day, so a busy day is allowed but a runaway job cannot burn a month in an afternoon.
"""

from __future__ import annotations

import enum
from fractions import Fraction

from app.domain.errors import ValidationError
from app.domain.money import from_micros

#: A day may spend at most this many drips when pacing is enforced.
PACING_CAP_MULTIPLE = 2
DEFAULT_PACE_TOLERANCE = 0.10
#: Why a hard-limited, pacing budget refused a recorded charge (InsufficientFunds `rule`): it
#: names the rule and no figures, which authorizeSpend shows to those who may see them.
PACE_RULE = (
    "it would exceed today's pacing cap (the budget enforces pacing: a day may spend at most "
    "twice its daily drip; authorizeSpend says how much is left today)"
)


def daily_drip(remaining: int, days_left: int) -> int:
    """Remaining micros ÷ days left, rounded down so the drips never add up to more than is left.

    Compute it from the remaining balance at the start of the local day: recomputed after each
    spend, the drip (and with it the cap) would shrink as the day goes on.
    """
    if remaining <= 0:
        return 0
    return remaining // max(1, days_left)


def drip_today(remaining: int, spent_today: int, days_left: int) -> int:
    """Today's drip: what was left at the start of the local day (`remaining` now plus what was
    spent today) ÷ the days left, today included; 0 once nothing remains now.

    The start of the day is the base so the drip does not shrink as the day's spend comes in;
    but an envelope that is used up or overdrawn *now* has nothing left to drip, whatever it
    held this morning: a drip there would invite spend that can only deepen the overdraft (an
    allocation at -25.00 showed a drip of 11.29 from this morning's balance).
    """
    if remaining <= 0:
        return 0
    return daily_drip(remaining + spent_today, days_left)


class Pace(str, enum.Enum):
    AHEAD = "AHEAD"  # spending faster than time passes: will run out early
    ON_PACE = "ON_PACE"
    BEHIND = "BEHIND"  # spending slower than time passes: money will be left over


def _exact(ratio: float) -> Fraction:
    """A float ratio as the decimal the caller wrote (0.1 is one tenth, not 0.1000000000000000055).

    Band edges then behave as written: 60 % spent at half time is exactly 10 points ahead.
    """
    return Fraction(repr(float(ratio)))


def pace(
    spent: int,
    allocated: int,
    elapsed_fraction: float,
    tolerance: float = DEFAULT_PACE_TOLERANCE,
) -> Pace:
    """Compare the share of money spent with the share of time elapsed.

    ON_PACE while the two are within `tolerance` (a fraction: 0.10 is ten percentage points,
    edges included). With nothing allocated, any spend is AHEAD and no spend is ON_PACE.
    """
    if tolerance < 0:
        raise ValidationError("tolerance", "must not be negative")
    if allocated <= 0:
        return Pace.AHEAD if spent > 0 else Pace.ON_PACE
    elapsed = min(Fraction(1), max(Fraction(0), _exact(elapsed_fraction)))
    gap = Fraction(spent, allocated) - elapsed
    band = _exact(tolerance)
    if gap > band:
        return Pace.AHEAD
    if gap < -band:
        return Pace.BEHIND
    return Pace.ON_PACE


def todays_allowance(drip: int, spent_today: int, remaining: int | None = None) -> int:
    """What is left of today's drip (never negative), and with `remaining` never more than what
    remains now: a credit today makes `spent_today` negative, and the drip minus it would
    otherwise offer more than the envelope holds."""
    allowance = max(0, drip - spent_today)
    return allowance if remaining is None else min(allowance, max(0, remaining))


def pacing_cap(drip: int) -> int:
    """The most a pacing budget may spend in one local day."""
    return PACING_CAP_MULTIPLE * max(0, drip)


def check_pacing(amount: int, spent_today: int, drip: int) -> tuple[bool, str]:
    """May a spend of `amount` go through today? Returns (allowed, reason for the user).

    Refunds and corrections (amount ≤ 0) are always allowed: refusing them would only leave the
    ledger wrong.
    """
    if amount <= 0:
        return True, "refunds and corrections are not paced"
    cap = pacing_cap(drip)
    if spent_today + amount <= cap:
        return True, "within today's pacing cap"
    left = max(0, cap - spent_today)
    return False, (
        f"would exceed today's pacing cap of {from_micros(cap)} "
        f"(twice the daily drip of {from_micros(drip)}); "
        f"{from_micros(spent_today)} already spent today, {from_micros(left)} left"
    )


__all__ = [
    "DEFAULT_PACE_TOLERANCE",
    "PACE_RULE",
    "PACING_CAP_MULTIPLE",
    "Pace",
    "check_pacing",
    "daily_drip",
    "drip_today",
    "pace",
    "pacing_cap",
    "todays_allowance",
]
