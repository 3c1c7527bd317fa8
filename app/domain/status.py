"""Status bands: the one-word health of an allocation or budget that the API and Slack show.

Bands are decided on what is *left*, not on what was spent, so a refund moves a budget back up.
Integer comparisons only: a float would put 10 % of a large budget on the wrong side of an edge.
"""

from __future__ import annotations

import enum

#: A budget with less than this share left is CRITICAL (percent of allocated).
CRITICAL_BELOW_PERCENT = 10
#: A budget with less than this share left is WARNING (percent of allocated).
WARNING_BELOW_PERCENT = 25


class BudgetStatus(str, enum.Enum):
    HEALTHY = "HEALTHY"
    WARNING = "WARNING"
    CRITICAL = "CRITICAL"
    EXHAUSTED = "EXHAUSTED"


def status_band(allocated: int, remaining: int) -> BudgetStatus:
    """EXHAUSTED at or below zero left, CRITICAL under 10 %, WARNING under 25 %, else HEALTHY.

    Nothing left is EXHAUSTED whatever was allocated, so an allocation of 0 with 0 left is
    EXHAUSTED (there is nothing to spend). Money left with nothing allocated (a refund larger than
    the spend) is HEALTHY: there is something to spend and no share to measure it against.
    """
    if remaining <= 0:
        return BudgetStatus.EXHAUSTED
    if allocated <= 0:
        return BudgetStatus.HEALTHY
    if remaining * 100 < allocated * CRITICAL_BELOW_PERCENT:
        return BudgetStatus.CRITICAL
    if remaining * 100 < allocated * WARNING_BELOW_PERCENT:
        return BudgetStatus.WARNING
    return BudgetStatus.HEALTHY


def percent_used(allocated: int, spent: int) -> float:
    """Spent as a percentage of allocated, for display; may exceed 100 when overdrawn.

    With nothing allocated: 0.0 if nothing (net) was spent, 100.0 if something was. The true ratio
    is infinite, which JSON cannot carry; EXHAUSTED in the status band tells the rest.
    """
    if allocated <= 0:
        return 100.0 if spent > 0 else 0.0
    # int / int is correctly rounded, so only the result is a float, never the money.
    return spent * 100 / allocated


__all__ = [
    "CRITICAL_BELOW_PERCENT",
    "WARNING_BELOW_PERCENT",
    "BudgetStatus",
    "percent_used",
    "status_band",
]
