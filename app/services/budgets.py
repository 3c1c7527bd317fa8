"""Projects and budgets: creating them and changing their settings."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from app import clock
from app.domain import validation as rules
from app.domain.access import (
    Actor,
    ProjectRole,
    can_create_budget,
    can_create_project,
    require,
    require_owner,
)
from app.domain.errors import Conflict, NotFound, ValidationError
from app.domain.money import to_micros
from app.domain.periods import (
    Calendar,
    PeriodBounds,
    check_dates,
    first_period,
    local_date,
    validate_timezone,
)
from app.models import (
    Budget,
    BudgetOwner,
    BudgetPeriod,
    BudgetPlan,
    Project,
    ProjectMember,
    User,
)
from app.services import ledger, lookup
from app.services.calendars import calendar_of, first_period_funding
from app.services.events import emit
from app.settings import get_settings


async def create_project(
    actor: Actor, *, name: str, slug: str | None = None, slack_channel: str | None = None
) -> Project:
    """Admins and budget creators start projects; a creator becomes the project's LEAD."""
    require(
        can_create_project(actor), "create projects (ask an admin for the budget-creator right)"
    )
    name = rules.name(name)
    slug = rules.slug(slug) if slug else rules.slugify(name)
    if not slug:
        raise ValidationError("slug", "could not be derived from the name; give one")
    try:
        async with in_transaction():
            project = await Project.create(
                name=name, slug=slug, slack_channel=rules.text(slack_channel, "slackChannel", 100)
            )
            if not actor.is_admin:
                await ProjectMember.create(
                    project=project, user_id=actor.user_id, role=ProjectRole.LEAD.value
                )
    except IntegrityError:
        raise Conflict(f"a project with slug {slug!r} exists already", field="slug") from None
    return project


async def create_budget(
    actor: Actor,
    *,
    name: str,
    amount: Decimal | str | int,
    period_kind: str,
    start_date: date,
    end_date: date | None = None,
    description: str | None = None,
    currency: str | None = None,
    timezone: str | None = None,
    alert_thresholds: list[int] | None = None,
    rollover_policy: str | None = None,
    owner_ids: list[int] | None = None,
    hard_limit: bool = False,
    enforce_pacing: bool = False,
    slack_channel: str | None = None,
    slack_privacy: str | None = None,
    fiscal_year_start_month: int | None = None,
    reset_day: int | None = None,
    week_start: str | None = None,
    prorate_first_period: bool = False,
) -> Budget:
    """Create a budget pool and fund its first period (admins and budget creators). The creator
    is an owner.

    The anchors (`fiscal_year_start_month`, `reset_day`, `week_start`; None: the default) cut a
    recurring budget's periods (app.domain.periods.Calendar); one the kind does not use is a
    ValidationError. With `prorate_first_period`, a first period that starts (or ends) inside a
    calendar period is funded with the amount × its days ÷ the whole period's days, rounded
    down to the micro; otherwise with the whole amount.
    """
    require(can_create_budget(actor), "create budgets (ask an admin for the budget-creator right)")
    name = rules.name(name)
    micros = to_micros(amount, field="amount", positive=True)
    calendar = Calendar.of(
        period_kind,
        fiscal_year_start_month=fiscal_year_start_month,
        reset_day=reset_day,
        week_start=week_start,
    )
    kind = calendar.kind
    bounds = first_period(calendar, start_date, end_date)
    if prorate_first_period and not kind.is_recurring:
        raise ValidationError("prorateFirstPeriod", _PRORATE_RULE)
    tz = validate_timezone(timezone or "UTC")
    if kind.is_recurring:
        _check_backdate(start_date, local_date(clock.now(), tz))
    code = rules.currency(currency)
    try:
        policy = rules.RolloverPolicy(rollover_policy or "NONE")
    except ValueError:
        raise ValidationError(
            "rolloverPolicy", "must be NONE, CARRY_UNSPENT or CARRY_ALL"
        ) from None
    owners = {actor.user_id, *(owner_ids or [])}
    found = set(await User.filter(id__in=owners).values_list("id", flat=True))
    missing = owners - found  # type: ignore[operator]
    if missing:
        raise NotFound("User", min(missing), field="ownerIds")
    async with in_transaction():
        budget = await Budget.create(
            name=name,
            description=rules.text(description, "description"),
            currency=code,
            amount_micros=micros,
            period_kind=kind.value,
            start_date=start_date,
            end_date=end_date,
            timezone=tz,
            fiscal_year_start_month=calendar.fiscal_year_start_month,
            reset_day=calendar.reset_day,
            week_start=calendar.week_start.value,
            prorate_first_period=bool(prorate_first_period),
            alert_thresholds=rules.thresholds(alert_thresholds),
            rollover_policy=policy.value,
            hard_limit=hard_limit,
            enforce_pacing=enforce_pacing,
            slack_channel=rules.text(slack_channel, "slackChannel", 100),
            slack_privacy=_privacy(slack_privacy or rules.SlackPrivacy.AMOUNTS.value),
        )
        period = await BudgetPeriod.create(
            budget=budget, seq=1, start_date=bounds.start, end_date=bounds.end
        )
        funding = first_period_funding(budget, bounds, micros)
        if funding:  # a prorated sliver of a tiny amount can round down to nothing
            await ledger.fund(period, funding, actor.user_id)
        for uid in sorted(owners):
            await BudgetOwner.create(budget=budget, user_id=uid)
        await emit("budget.created", {"budgetId": budget.id}, budget_id=budget.id)
    return budget


#: The calendar settings: changeable only until the budget starts (see update_budget).
_CALENDAR = ("fiscal_year_start_month", "reset_day", "week_start", "prorate_first_period")
_SETTABLE = {
    "name",
    "description",
    "alert_thresholds",
    "rollover_policy",
    "hard_limit",
    "enforce_pacing",
    "slack_channel",
    "slack_privacy",
    "auto_approve_below",
    "allow_self_approval",
    "transfer_expiry_days",
    "timezone",
    "end_date",
    "amount",
    "rollover_cap",
    *_CALENDAR,
}
#: The GraphQL names of the calendar settings, for the errors that refuse changing them.
_CALENDAR_FIELDS = {
    "fiscal_year_start_month": "fiscalYearStartMonth",
    "reset_day": "resetDay",
    "week_start": "weekStart",
    "prorate_first_period": "prorateFirstPeriod",
}
_PRORATE_RULE = (
    "applies only to recurring budgets (a GRANT or CUSTOM budget is one period, funded with "
    "its whole amount)"
)


async def update_budget(actor: Actor, budget_id: int, **changes: object) -> Budget:
    """Owners change settings. A new amount funds or defunds the current period's pool (a
    prorated first period by its share of the new amount).

    The calendar (`fiscal_year_start_month`, `reset_day`, `week_start`, `prorate_first_period`)
    may change only until the budget starts: its first period is then cut again and funded
    again, and nothing can have been recorded in a period that has not begun. Once it has
    started, the periods already cut (and the spend, carries and plans dated by them) follow
    the calendar they were cut with, so a change is a ValidationError: end the budget and
    create one with the new calendar.
    """
    unknown = set(changes) - _SETTABLE
    if unknown:
        raise ValidationError(sorted(unknown)[0], "cannot be changed")
    budget = await lookup.budget(budget_id)
    require_owner(actor, budget.id, "change this budget")
    lookup.writable_budget(budget)
    fields: dict[str, object] = {}
    for key, value in changes.items():
        if value is None and key not in {
            "description",
            "slack_channel",
            "auto_approve_below",
            "transfer_expiry_days",
            "rollover_cap",
        }:
            continue
        if key == "name":
            fields["name"] = rules.name(str(value))
        elif key in {"description", "slack_channel"}:
            fields[key] = rules.text(value, key)  # type: ignore[arg-type]
        elif key == "alert_thresholds":
            fields[key] = rules.thresholds(value)  # type: ignore[arg-type]
        elif key == "rollover_policy":
            try:
                fields[key] = rules.RolloverPolicy(value).value
            except ValueError:
                raise ValidationError(
                    "rolloverPolicy", "must be NONE, CARRY_UNSPENT or CARRY_ALL"
                ) from None
        elif key == "slack_privacy":
            fields[key] = _privacy(str(value))
        elif key in {"hard_limit", "enforce_pacing", "allow_self_approval"}:
            fields[key] = bool(value)
        elif key == "auto_approve_below":
            fields["auto_approve_below_micros"] = (
                None if value is None else to_micros(value, field="autoApproveBelow", positive=True)
            )
        elif key == "rollover_cap":  # None: no cap
            fields["rollover_cap_micros"] = (
                None if value is None else to_micros(value, field="rolloverCap")
            )
            if value is not None and fields["rollover_cap_micros"] < 0:  # type: ignore[operator]
                raise ValidationError("rolloverCap", "must not be negative")
        elif key == "transfer_expiry_days":
            if value is not None and not 1 <= int(value) <= 365:  # type: ignore[call-overload]
                raise ValidationError("transferExpiryDays", "must be between 1 and 365")
            fields[key] = value
        elif key == "timezone":
            fields[key] = validate_timezone(str(value))
        elif key in {"end_date", "amount", *_CALENDAR}:
            pass  # handled below, they move money or periods
    calendar = {k: changes[k] for k in _CALENDAR if changes.get(k) is not None}
    recut = await _calendar_change(budget, calendar) if calendar else None
    async with in_transaction():
        if fields:
            await Budget.filter(id=budget.id).update(**fields)
        if recut is not None:
            await _recut_first_period(budget, *recut)
        if changes.get("amount") is not None or recut is not None:
            new = (
                budget.amount_micros
                if changes.get("amount") is None
                else to_micros(changes["amount"], field="amount", positive=True)
            )
            await _refund_open_period(actor, budget.id, new)
        if changes.get("end_date") is not None:
            await _set_end_date(budget, changes["end_date"])  # type: ignore[arg-type]
    return await lookup.budget(budget.id)


def _check_backdate(start_date: date, today: date) -> None:
    """A recurring budget may not start more than `max_backdate_years` back: its periods up to
    today would be funded for nothing (a budget from 0001-01-01 once meant 24,000 periods)."""
    years = get_settings().max_backdate_years
    try:
        earliest = today.replace(year=today.year - years)
    except ValueError:  # 29 February
        earliest = today.replace(year=today.year - years, day=28)
    if start_date < earliest:
        raise ValidationError(
            "startDate",
            f"must not be more than {years} years in the past for a recurring budget"
            f" (earliest {earliest.isoformat()}; ALLOT_MAX_BACKDATE_YEARS)",
        )


def _privacy(value: str) -> str:
    try:
        return rules.SlackPrivacy(value).value
    except ValueError:
        raise ValidationError("slackPrivacy", "must be FULL, AMOUNTS or NONE") from None


async def _set_end_date(budget: Budget, end_date: date) -> None:
    """A new end date: the periods follow it, and an ended grant whose end moves to today or
    later reopens (a no-cost extension). See app.services.plans.apply_end_date."""
    from app.services import plans

    check_dates(None, end_date)
    if end_date < budget.start_date:
        raise ValidationError("endDate", "must not be before startDate")
    await Budget.filter(id=budget.id).update(end_date=end_date)
    await plans.apply_end_date(budget, end_date)


async def _calendar_change(
    budget: Budget, changes: dict[str, object]
) -> tuple[Calendar, bool] | None:
    """The budget's new calendar and proration, checked; None when nothing would change.

    Refused once the budget has started (see update_budget) and while planned amounts exist
    (they are dated by the current calendar's period starts).
    """
    current = calendar_of(budget)
    calendar = Calendar.of(
        current.kind,
        fiscal_year_start_month=changes.get(  # type: ignore[arg-type]
            "fiscal_year_start_month", current.fiscal_year_start_month
        ),
        reset_day=changes.get("reset_day", current.reset_day),  # type: ignore[arg-type]
        week_start=changes.get("week_start", current.week_start),  # type: ignore[arg-type]
    )
    prorate = bool(changes.get("prorate_first_period", budget.prorate_first_period))
    if prorate and not calendar.kind.is_recurring:
        raise ValidationError("prorateFirstPeriod", _PRORATE_RULE)
    if calendar == current and prorate == bool(budget.prorate_first_period):
        return None
    field = _CALENDAR_FIELDS[next(k for k in _CALENDAR if k in changes)]
    today = local_date(clock.now(), budget.timezone)
    if today >= budget.start_date:
        raise ValidationError(
            field,
            f"cannot change once the budget has started (on {budget.start_date.isoformat()}):"
            " its periods are cut by the calendar it started with; end it (endDate) and create"
            " a budget with the new calendar",
        )
    if await BudgetPlan.filter(budget_id=budget.id).exists():
        raise ValidationError(
            field,
            "cannot change while planned amounts exist: remove them first (they are dated"
            " by the current calendar)",
        )
    return calendar, prorate


async def _recut_first_period(budget: Budget, calendar: Calendar, prorate: bool) -> None:
    """Store the new calendar and cut the (not yet started) first period again."""
    await Budget.filter(id=budget.id).update(
        fiscal_year_start_month=calendar.fiscal_year_start_month,
        reset_day=calendar.reset_day,
        week_start=calendar.week_start.value,
        prorate_first_period=prorate,
    )
    bounds = first_period(calendar, budget.start_date, budget.end_date)
    await BudgetPeriod.filter(budget_id=budget.id, seq=1, status="OPEN").update(end_date=bounds.end)


async def _refund_open_period(actor: Actor, budget_id: int, amount: int) -> None:
    """Fund (or defund) the open period to what `amount` gives it: the amount, or for a
    prorated first period its share. The pool must be able to give back a decrease."""
    budget = await Budget.get(id=budget_id)  # as changed in this transaction
    period = await lookup.open_period(budget)
    target = amount
    if period.seq == 1:
        target = first_period_funding(
            budget, PeriodBounds(period.start_date, period.end_date), amount
        )
    delta = target - period.funded_micros
    if delta:
        await ledger.fund(period, delta, actor.user_id)
    if amount != budget.amount_micros:
        await Budget.filter(id=budget.id).update(amount_micros=amount)
