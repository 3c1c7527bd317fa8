"""The calendar enums of the contract: `Weekday`, the first day of a WEEKLY budget's weeks.

It wraps the domain's own enum (app.domain.periods.Weekday), as schema/types/common.py does for
the others, so the GraphQL values are the domain's values.
"""

from __future__ import annotations

import strawberry

from app.domain.periods import Weekday as DomainWeekday
from schema.types.common import describe_values

Weekday = describe_values(
    strawberry.enum(
        DomainWeekday,
        name="Weekday",
        description="A day of the week: where a WEEKLY budget's weeks begin (weekStart).",
    ),
    {
        "MONDAY": "Monday (the ISO 8601 first day of the week; the default).",
        "TUESDAY": "Tuesday.",
        "WEDNESDAY": "Wednesday.",
        "THURSDAY": "Thursday.",
        "FRIDAY": "Friday.",
        "SATURDAY": "Saturday.",
        "SUNDAY": "Sunday.",
    },
)

__all__ = ["Weekday"]
