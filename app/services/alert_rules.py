"""Thresholds: percent used or amount remaining, for a budget as a whole and for its envelopes.

A budget's `alertThresholds` (percent used) stay the default of both scopes: per envelope as
before, and for the whole budget period (spent ÷ allocated + unallocated) unless the budget has
BUDGET-scope percent rules of its own. Extra rules live in `alert_rule`.

The spend path checks thresholds inside its transaction and must not read more when nothing
is crossed, so each process keeps a budget's rules for `RULES_TTL_SECONDS`; a change made here
clears this process's copy at once, other processes pick it up within the TTL (and the
scheduled pass, app.services.alert_scan, catches a crossing any of them missed).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from fractions import Fraction

from tortoise.transactions import in_transaction

from app.domain.access import Actor, can_manage_alert_rules, require
from app.domain.errors import ValidationError
from app.domain.money import format_money, to_micros
from app.models import AlertRule, Budget
from app.services import lookup

RULES_TTL_SECONDS = 30.0
BUDGET, ALLOCATION = "BUDGET", "ALLOCATION"


@dataclass(frozen=True)
class Rules:
    """A budget's extra rules: percent and remaining levels by scope (and project)."""

    budget_percent: tuple[int, ...] = ()
    budget_remaining: tuple[int, ...] = ()
    #: project id (None: every envelope) → levels
    envelope_percent: dict[int | None, tuple[int, ...]] = field(default_factory=dict)
    envelope_remaining: dict[int | None, tuple[int, ...]] = field(default_factory=dict)


_cache: dict[int, tuple[float, Rules]] = {}


def invalidate(budget_id: int | None = None) -> None:
    if budget_id is None:
        _cache.clear()
    else:
        _cache.pop(budget_id, None)


async def rules_for(budget_id: int) -> Rules:
    hit = _cache.get(budget_id)
    if hit is not None and hit[0] > time.monotonic():
        return hit[1]
    rows = await AlertRule.filter(budget_id=budget_id).values(
        "scope", "project_id", "percent_used", "remaining_micros"
    )
    bp: set[int] = set()
    br: set[int] = set()
    ep: dict[int | None, set[int]] = {}
    er: dict[int | None, set[int]] = {}
    for r in rows:
        if r["scope"] == BUDGET:
            (bp.add(r["percent_used"]) if r["percent_used"] is not None else None)
            (br.add(r["remaining_micros"]) if r["remaining_micros"] is not None else None)
        else:
            if r["percent_used"] is not None:
                ep.setdefault(r["project_id"], set()).add(r["percent_used"])
            if r["remaining_micros"] is not None:
                er.setdefault(r["project_id"], set()).add(r["remaining_micros"])
    rules = Rules(
        tuple(sorted(bp)),
        tuple(sorted(br)),
        {k: tuple(sorted(v)) for k, v in ep.items()},
        {k: tuple(sorted(v)) for k, v in er.items()},
    )
    _cache[budget_id] = (time.monotonic() + RULES_TTL_SECONDS, rules)
    return rules


@dataclass(frozen=True)
class Level:
    """One threshold of one scope: crossed when spend goes from below `at` to `at` or more."""

    label: str
    rank: Fraction  # spend (micros) at which it triggers: higher is more severe
    percent: int | None = None
    remaining: int | None = None


def levels(
    allocated: int, percents: set[int] | tuple[int, ...], remainings: tuple[int, ...], cur: str
) -> list[Level]:
    out = [Level(f"{p}%", Fraction(p * allocated, 100), percent=p) for p in set(percents)]
    out += [
        Level(f"{format_money(r, cur)} remaining", Fraction(allocated - r), remaining=r)
        for r in remainings
        if 0 <= r < allocated
    ]
    return sorted(out, key=lambda lv: lv.rank)


def crossed(all_levels: list[Level], before: int, after: int) -> list[Level]:
    """Levels `after` reaches and `before` did not (exact: percent levels compare
    before·100 < p·allocated ≤ after·100), lowest first."""
    return [lv for lv in all_levels if before < lv.rank <= after]


def envelope_levels(
    budget: Budget, rules: Rules, project_id: int, extra: int | None, allocated: int
) -> list[Level]:
    if allocated <= 0:
        return []
    percents = {*(budget.alert_thresholds or []), *rules.envelope_percent.get(None, ())}
    percents |= set(rules.envelope_percent.get(project_id, ()))
    if extra:
        percents.add(extra)
    remainings = (
        *rules.envelope_remaining.get(None, ()),
        *rules.envelope_remaining.get(project_id, ()),
    )
    return levels(allocated, percents, tuple(set(remainings)), budget.currency)


def budget_levels(budget: Budget, rules: Rules, available: int) -> list[Level]:
    if available <= 0:
        return []
    percents = rules.budget_percent or tuple(budget.alert_thresholds or [])
    return levels(available, percents, rules.budget_remaining, budget.currency)


def _percents(values: list[int] | None, name: str) -> list[int]:
    out = []
    for i, v in enumerate(values or []):
        if not isinstance(v, int) or isinstance(v, bool) or not 1 <= v <= 1000:
            raise ValidationError(f"{name}[{i}]", "must be a whole percent from 1 to 1000")
        out.append(v)
    return sorted(set(out))


async def set_thresholds(
    actor: Actor,
    budget_id: int,
    scope: str,
    project_id: int | None,
    percent_used: list[int] | None,
    amount_remaining: list[str] | None,
) -> list[AlertRule]:
    """Replace the rules of one scope (BUDGET; ALLOCATION for every envelope, or one
    project's) with these levels; empty lists remove them."""
    if scope not in (BUDGET, ALLOCATION):
        raise ValidationError("scope", "must be BUDGET or ALLOCATION")
    if scope == BUDGET and project_id is not None:
        raise ValidationError("projectId", "names an envelope: use scope ALLOCATION")
    budget = await lookup.budget(budget_id)
    require(can_manage_alert_rules(actor, budget.id), "change this budget's alert thresholds")
    if project_id is not None:
        await lookup.project(project_id)
    percents = _percents(percent_used, "percentUsed")
    remainings = []
    for i, text in enumerate(amount_remaining or []):
        micros = to_micros(text, field=f"amountRemaining[{i}]")
        if micros < 0:
            raise ValidationError(f"amountRemaining[{i}]", "must not be negative")
        remainings.append(micros)
    async with in_transaction():
        await AlertRule.filter(budget_id=budget.id, scope=scope, project_id=project_id).delete()
        for p in percents:
            await AlertRule.create(
                budget_id=budget.id, scope=scope, project_id=project_id, percent_used=p
            )
        for r in sorted(set(remainings)):
            await AlertRule.create(
                budget_id=budget.id, scope=scope, project_id=project_id, remaining_micros=r
            )
    invalidate(budget.id)
    return await list_thresholds(actor, budget.id)


async def list_thresholds(actor: Actor, budget_id: int) -> list[AlertRule]:
    budget = await lookup.budget(budget_id)
    require(can_manage_alert_rules(actor, budget.id), "see this budget's alert thresholds")
    return await AlertRule.filter(budget_id=budget.id).order_by("scope", "project_id", "id")
