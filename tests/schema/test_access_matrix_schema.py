"""The access model as a matrix generated from the schema and the router.

Every query, mutation and subscription field of the schema and every HTTP route must have
cases here (a new field without one fails `test_every_*_has_cases`); each case runs for every
persona — admin, budget creator, budget owner, project lead, member, viewer, a user with no
role, and no token at all — on an object they should reach ("own": budget Grant, project P1)
and one they should not ("foreign": budget Other, project P3), and checks the outcome:
allowed (a success payload, a non-null object, the object in the list) or denied
(PermissionDenied / NotFound, null, absent from the list). Each case runs in a transaction
that is rolled back, so every persona sees the same world.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest
from helpers import make_user
from tortoise.transactions import in_transaction

from app.domain.access import ProjectRole
from app.models import ApiToken, UnassignedSpend, User
from app.services import actors, allocations, budgets, rates, reservations, routing, spending
from app.services import transfers as transfer_service
from app.services.broker import broker
from app.services.spending import SpendInput
from schema import ids, schema
from schema.context import context_for_user

PERSONAS = ("admin", "creator", "owner", "lead", "member", "viewer", "nobody", "anonymous")
ALL_USERS = frozenset(PERSONAS) - {"anonymous"}
NOBODY: frozenset[str] = frozenset()
ADMIN = frozenset({"admin"})
OWNERS = frozenset({"admin", "owner"})
ACTING = frozenset({"admin", "owner", "lead", "member"})
READERS = frozenset({"admin", "owner", "lead", "member", "viewer"})
FINDERS = frozenset({"admin", "creator", "owner"})  # may list every project by name
CREATORS = frozenset({"admin", "creator"})
PEOPLE = frozenset({"admin", "lead"})  # manage a project's people

ERRORS = {"PermissionDenied", "NotFound"}


@dataclass
class World:
    users: dict[str, User]
    tokens: dict[str, str]
    ids: dict[str, str] = field(default_factory=dict)


class _Rollback(Exception):
    pass


@pytest.fixture
async def world(admin) -> World:
    admin_user, admin_actor, admin_token = admin
    users: dict[str, User] = {"admin": admin_user}
    tokens: dict[str, str] = {"admin": admin_token}
    for persona in ("creator", "owner", "lead", "member", "viewer", "nobody"):
        users[persona], tokens[persona] = await make_user(
            f"{persona.title()} Person", creator=persona == "creator"
        )
    for extra in ("xowner", "xmember", "p2member"):
        users[extra], tokens[extra] = await make_user(f"{extra.title()} Extra")
    grant = await budgets.create_budget(
        admin_actor,
        name="Grant",
        amount="1000",
        period_kind="ANNUAL",
        start_date=date(2026, 1, 1),
        owner_ids=[users["owner"].id],
    )
    other = await budgets.create_budget(
        admin_actor,
        name="Other",
        amount="1000",
        period_kind="ANNUAL",
        start_date=date(2026, 1, 1),
        owner_ids=[users["xowner"].id],
    )
    p1 = await budgets.create_project(admin_actor, name="P1")
    p2 = await budgets.create_project(admin_actor, name="P2")
    p3 = await budgets.create_project(admin_actor, name="P3")
    a1 = await allocations.allocate(admin_actor, budget_id=grant.id, project_id=p1.id, amount="500")
    a2 = await allocations.allocate(admin_actor, budget_id=grant.id, project_id=p2.id, amount="200")
    a3 = await allocations.allocate(admin_actor, budget_id=other.id, project_id=p3.id, amount="100")
    for who, project, role in [
        ("lead", p1, ProjectRole.LEAD),
        ("member", p1, ProjectRole.MEMBER),
        ("viewer", p1, ProjectRole.VIEWER),
        ("p2member", p2, ProjectRole.MEMBER),
        ("xmember", p3, ProjectRole.MEMBER),
    ]:
        await actors.add_project_member(
            admin_actor, project_id=project.id, user_id=users[who].id, role=role
        )
    s1, _ = await spending.record_spend(admin_actor, SpendInput(project_id=p1.id, amount="300"))
    s3, _ = await spending.record_spend(admin_actor, SpendInput(project_id=p3.id, amount="60"))
    member = await actors.load_actor(users["member"])
    xmember = await actors.load_actor(users["xmember"])
    r1, _ = await reservations.reserve_spend(member, project_id=p1.id, amount="10")
    r3, _ = await reservations.reserve_spend(xmember, project_id=p3.id, amount="5")
    t1 = await transfer_service.request_transfer(
        member, amount="20", reason="need it", from_allocation_id=a2.id, to_allocation_id=a1.id
    )
    t3 = await transfer_service.request_transfer(
        xmember, amount="1", reason="please", to_allocation_id=a3.id
    )
    owner = await actors.load_actor(users["owner"])
    xowner = await actors.load_actor(users["xowner"])
    rr1 = await routing.create_rule(
        owner, match="service", value="aws", project_id=p1.id, budget_id=grant.id
    )
    rr3 = await routing.create_rule(
        xowner, match="service", value="gcp", project_id=p3.id, budget_id=other.id
    )
    u1 = await UnassignedSpend.create(
        source="focus", external_id="u1", occurred_at=datetime(2026, 3, 1, tzinfo=UTC),
        amount_micros=1_000_000, amount_text="1", currency="USD", budget_id=grant.id,
    )  # fmt: skip
    u3 = await UnassignedSpend.create(
        source="focus", external_id="u3", occurred_at=datetime(2026, 3, 1, tzinfo=UTC),
        amount_micros=1_000_000, amount_text="1", currency="USD", budget_id=other.id,
    )  # fmt: skip
    await rates.set_rate(None, card="default", service="postdoc", unit="hour", price="50")
    from app.models import Alert

    al1 = await Alert.filter(allocation_id=a1.id).first()
    al3 = await Alert.filter(allocation_id=a3.id).first()
    assert al1 is not None and al3 is not None
    # A budget-level alert (the whole budget's figures: owners only), a webhook of each
    # budget, and a delivery given up on.
    from app.models import Delivery, OutboxEvent
    from app.services.delivery import admin as delivery_admin

    alb = await Alert.create(
        budget_id=grant.id, period_id=al1.period_id, scope="BUDGET", kind="FORECAST_OVERRUN",
        dedupe_key="matrix:budget", message="Grant is projected to overrun",
    )  # fmt: skip
    wh1, _ = await delivery_admin.create_webhook(owner, "https://example.org/h", budget_id=grant.id)
    wh3, _ = await delivery_admin.create_webhook(
        xowner, "https://example.org/x", budget_id=other.id
    )
    event = await OutboxEvent.create(kind="alert.raised", budget_id=grant.id, payload={})
    dead = await Delivery.create(
        event_id=event.id, channel="SLACK_DM", target="UGONE", state="DEAD",
        next_attempt_at=datetime(2026, 3, 1, tzinfo=UTC),
        created_at=datetime(2026, 3, 1, tzinfo=UTC),
        dead_reason="permanent error: slack: channel_not_found",
    )  # fmt: skip
    w = World(users=users, tokens=tokens)
    enc = ids.encode
    w.ids = {
        "grant": enc("Budget", grant.id),
        "other": enc("Budget", other.id),
        "p1": enc("Project", p1.id),
        "p2": enc("Project", p2.id),
        "p3": enc("Project", p3.id),
        "a1": enc("Allocation", a1.id),
        "a2": enc("Allocation", a2.id),
        "a3": enc("Allocation", a3.id),
        "s1": enc("Spend", s1.id),
        "s3": enc("Spend", s3.id),
        "r1": enc("Reservation", r1.id),
        "r3": enc("Reservation", r3.id),
        "t1": enc("Transfer", t1.id),
        "t3": enc("Transfer", t3.id),
        "rr1": enc("RoutingRule", rr1.id),
        "rr3": enc("RoutingRule", rr3.id),
        "u1": enc("UnassignedSpend", u1.id),
        "u3": enc("UnassignedSpend", u3.id),
        "al1": enc("Alert", al1.id),
        "al3": enc("Alert", al3.id),
        "alb": enc("Alert", alb.id),
        "wh1": enc("Webhook", wh1.id),
        "wh3": enc("Webhook", wh3.id),
        "dead": enc("Delivery", dead.id),
        "grant_pk": str(grant.id),
        "other_pk": str(other.id),
    }
    for name, user in users.items():
        w.ids[f"user:{name}"] = enc("User", user.id)
        token = await ApiToken.filter(user_id=user.id).first()
        assert token is not None
        w.ids[f"tok:{name}"] = enc("ApiToken", token.id)
    return w


# ---------------------------------------------------------------------------------------------
# Outcomes

Outcome = str  # "allowed" | "denied" | "other: …"


def payload_outcome(value: Any) -> Outcome:
    """A mutation's union payload: a success member, or an error member."""
    if not isinstance(value, dict) or "__typename" not in value:
        return f"other: {value!r}"
    name = value["__typename"]
    if name in ERRORS:
        return "denied"
    if "code" in value:  # another typed error: the case is wrong, not the policy
        return f"other: {name} {value.get('message')}"
    return "allowed"


def present(key: str) -> Callable[[Any], Outcome]:
    """A list (or connection) holds the object with this id (a key of World.ids)."""

    def check(value: Any, w: World) -> Outcome:
        nodes = value.get("nodes") if isinstance(value, dict) else value
        wanted = w.ids[key]
        return "allowed" if any(n.get("id") == wanted for n in nodes or []) else "denied"

    return check  # type: ignore[return-value]


def not_null(value: Any, _w: World) -> Outcome:
    return "denied" if value is None else "allowed"


def batch_outcome(value: Any, _w: World) -> Outcome:
    if (value or {}).get("__typename") in ERRORS:
        return "denied"
    items = (value or {}).get("items") or []
    status = items[0]["status"] if items else None
    if status == "RECORDED":
        return "allowed"
    code = ((items[0].get("error") or {}).get("code")) if items else None
    return "denied" if code in ("PERMISSION_DENIED", "NOT_FOUND") else f"other: {items}"


@dataclass(frozen=True)
class Case:
    name: str
    document: str
    variables: Callable[[World], dict[str, Any]]
    allowed: frozenset[str]
    outcome: Callable[[Any, World], Outcome] | None = None  # None: a mutation payload


def _m(field_name: str, input_type: str, body: str = "") -> str:
    """A mutation document with one `$input` and the error fields every payload shares."""
    return (
        f"mutation($input: {input_type}) {{ {field_name}(input: $input) {{ __typename"
        f" ... on Error {{ code message }} {body} }} }}"
    )


def mutation(
    field_name: str,
    input_type: str,
    own: Callable[[World], dict[str, Any]],
    own_allowed: frozenset[str],
    foreign: Callable[[World], dict[str, Any]] | None = None,
    foreign_allowed: frozenset[str] = ADMIN,
    body: str = "",
) -> list[Case]:
    doc = _m(field_name, input_type, body)
    cases = [Case(f"{field_name} own", doc, lambda w: {"input": own(w)}, own_allowed)]
    if foreign is not None:
        cases.append(
            Case(
                f"{field_name} foreign",
                doc,
                lambda w, f=foreign: {"input": f(w)},  # type: ignore[misc]
                foreign_allowed,
            )
        )
    return cases


def query(
    field_name: str,
    document: str,
    own: Callable[[World], dict[str, Any]],
    own_allowed: frozenset[str],
    outcome: Callable[[Any, World], Outcome],
    foreign: Callable[[World], dict[str, Any]] | None = None,
    foreign_allowed: frozenset[str] = ADMIN,
    foreign_outcome: Callable[[Any, World], Outcome] | None = None,
) -> list[Case]:
    cases = [Case(f"{field_name} own", document, own, own_allowed, outcome)]
    if foreign is not None:
        cases.append(
            Case(
                f"{field_name} foreign",
                document,
                foreign,
                foreign_allowed,
                foreign_outcome or outcome,
            )
        )
    return cases


def _tokens_seen(value: Any, _w: World) -> Outcome:
    """Some owner's apiTokens came back (not null)."""
    owners = (value or {}).get("owners") or []
    return "allowed" if any(o.get("apiTokens") is not None for o in owners) else "denied"


def _passed_permission(value: Any, _w: World) -> Outcome:
    """A payload refused for its state (InvalidState) got past the permission check."""
    if isinstance(value, dict) and value.get("__typename") == "InvalidState":
        return "allowed"
    return payload_outcome(value)


def _i(key: str) -> Callable[[World], str]:
    return lambda w: w.ids[key]


# ---------------------------------------------------------------------------------------------
# The cases, by root field

RECORD_SPENDS = (
    "mutation($items: [RecordSpendInput!]!) { recordSpends(input: {items: $items}) {"
    " __typename ... on Error { code }"
    " ... on SpendsRecorded { items { status error { code } } } } }"
)

MUTATIONS: dict[str, list[Case]] = {
    # An allocation's alert: its owners and the people who act for the project; a budget-level
    # alert: owners only.
    "acknowledgeAlert": [
        *mutation(
            "acknowledgeAlert",
            "AcknowledgeAlertInput!",
            lambda w: {"alertId": w.ids["al1"]},
            ACTING,
            lambda w: {"alertId": w.ids["al3"]},
        ),
        *mutation(
            "acknowledgeAlert",
            "AcknowledgeAlertInput!",
            lambda w: {"alertId": w.ids["alb"]},
            OWNERS,
        ),
    ],
    "setAlertThresholds": mutation(
        "setAlertThresholds",
        "SetAlertThresholdsInput!",
        lambda w: {"budgetId": w.ids["grant"], "scope": "BUDGET", "percentUsed": [90]},
        OWNERS,
        lambda w: {"budgetId": w.ids["other"], "scope": "BUDGET", "percentUsed": [90]},
    ),
    # Anyone who may see the budget may ask for its alerts (each still reaches them only if
    # they may see it).
    "setAlertSubscription": mutation(
        "setAlertSubscription",
        "SetAlertSubscriptionInput!",
        lambda w: {"budgetId": w.ids["grant"], "channels": ["SLACK_DM"]},
        READERS,
        lambda w: {"budgetId": w.ids["other"], "channels": ["SLACK_DM"]},
    ),
    "createWebhook": mutation(
        "createWebhook",
        "CreateWebhookInput!",
        lambda w: {"url": "https://example.org/new", "budgetId": w.ids["grant"]},
        OWNERS,
        lambda w: {"url": "https://example.org/new", "budgetId": w.ids["other"]},
    ),
    "rotateWebhookSecret": mutation(
        "rotateWebhookSecret",
        "WebhookInput!",
        lambda w: {"webhookId": w.ids["wh1"]},
        OWNERS,
        lambda w: {"webhookId": w.ids["wh3"]},
    ),
    "deleteWebhook": mutation(
        "deleteWebhook",
        "WebhookInput!",
        lambda w: {"webhookId": w.ids["wh1"]},
        OWNERS,
        lambda w: {"webhookId": w.ids["wh3"]},
    ),
    # Delivery rows name every recipient: admins only.
    "retryDelivery": mutation(
        "retryDelivery", "RetryDeliveryInput!", lambda w: {"deliveryId": w.ids["dead"]}, ADMIN
    ),
    "addBudgetOwner": mutation(
        "addBudgetOwner",
        "AddBudgetOwnerInput!",
        lambda w: {"budgetId": w.ids["grant"], "userId": w.ids["user:nobody"]},
        OWNERS,
        lambda w: {"budgetId": w.ids["other"], "userId": w.ids["user:nobody"]},
    ),
    "removeBudgetOwner": mutation(
        "removeBudgetOwner",
        "RemoveBudgetOwnerInput!",
        lambda w: {"budgetId": w.ids["grant"], "userId": w.ids["user:admin"]},
        OWNERS,
        lambda w: {"budgetId": w.ids["other"], "userId": w.ids["user:xowner"]},
    ),
    "addProjectMember": mutation(
        "addProjectMember",
        "AddProjectMemberInput!",
        lambda w: {"projectId": w.ids["p1"], "userId": w.ids["user:nobody"], "role": "VIEWER"},
        PEOPLE,
        lambda w: {"projectId": w.ids["p3"], "userId": w.ids["user:nobody"], "role": "MEMBER"},
    ),
    "removeProjectMember": mutation(
        "removeProjectMember",
        "RemoveProjectMemberInput!",
        lambda w: {"projectId": w.ids["p1"], "userId": w.ids["user:viewer"]},
        PEOPLE,
        lambda w: {"projectId": w.ids["p3"], "userId": w.ids["user:xmember"]},
    ),
    "allocate": mutation(
        "allocate",
        "AllocateInput!",
        lambda w: {"budgetId": w.ids["grant"], "projectId": w.ids["p2"], "amount": "250"},
        OWNERS,
        lambda w: {"budgetId": w.ids["other"], "projectId": w.ids["p3"], "amount": "150"},
    ),
    "allocateMany": mutation(
        "allocateMany",
        "AllocateManyInput!",
        lambda w: {
            "budgetId": w.ids["grant"],
            "split": "EXPLICIT",
            "items": [{"projectId": w.ids["p2"], "amount": "250"}],
        },
        OWNERS,
        lambda w: {
            "budgetId": w.ids["other"],
            "split": "EXPLICIT",
            "items": [{"projectId": w.ids["p3"], "amount": "150"}],
        },
    ),
    "releaseAllocation": mutation(
        "releaseAllocation",
        "ReleaseAllocationInput!",
        lambda w: {"allocationId": w.ids["a2"]},
        OWNERS,
        lambda w: {"allocationId": w.ids["a3"]},
    ),
    "setAllocationRollover": mutation(
        "setAllocationRollover",
        "SetAllocationRolloverInput!",
        lambda w: {"allocationId": w.ids["a1"], "rolloverPolicy": "CARRY_ALL"},
        OWNERS,
        lambda w: {"allocationId": w.ids["a3"], "rolloverPolicy": "CARRY_ALL"},
    ),
    "updateBudget": mutation(
        "updateBudget",
        "UpdateBudgetInput!",
        lambda w: {"budgetId": w.ids["grant"], "name": "Renamed"},
        OWNERS,
        lambda w: {"budgetId": w.ids["other"], "name": "Renamed"},
    ),
    "closePeriod": mutation(
        "closePeriod",
        "ClosePeriodInput!",
        lambda w: {"budgetId": w.ids["grant"]},
        OWNERS,
        lambda w: {"budgetId": w.ids["other"]},
    ),
    "setPlannedAmount": mutation(
        "setPlannedAmount",
        "SetPlannedAmountInput!",
        lambda w: {"budgetId": w.ids["grant"], "periodStart": "2027-01-01", "amount": "5"},
        OWNERS,
        lambda w: {"budgetId": w.ids["other"], "periodStart": "2027-01-01", "amount": "5"},
    ),
    "createBudget": mutation(
        "createBudget",
        "CreateBudgetInput!",
        lambda w: {
            "name": "New",
            "amount": "10",
            "periodKind": "MONTHLY",
            "startDate": "2026-03-01",
        },
        CREATORS,
    ),
    "createProject": mutation(
        "createProject", "CreateProjectInput!", lambda w: {"name": "Newcomer"}, CREATORS
    ),
    "createUser": mutation(
        "createUser",
        "CreateUserInput!",
        lambda w: {"name": "Newbie", "email": "newbie@example.org"},
        ADMIN,
    ),
    "setPassword": mutation(
        "setPassword",
        "SetPasswordInput!",
        lambda w: {"password": "a long new password"},
        ALL_USERS,
        lambda w: {"userId": w.ids["user:xowner"], "password": "a long new password"},
    ),
    "setBudgetCreator": mutation(
        "setBudgetCreator",
        "SetBudgetCreatorInput!",
        lambda w: {"userId": w.ids["user:nobody"], "allowed": True},
        ADMIN,
    ),
    "createApiToken": mutation(
        "createApiToken",
        "CreateApiTokenInput!",
        lambda w: {"name": "mine"},
        ALL_USERS,
        lambda w: {"userId": w.ids["user:xowner"], "name": "theirs"},
    ),
    # One's own token, or anyone's as an admin (a budget owner gains no right over them).
    "revokeApiToken": mutation(
        "revokeApiToken",
        "RevokeApiTokenInput!",
        lambda w: {"tokenId": w.ids["tok:member"]},
        frozenset({"admin", "member"}),
        lambda w: {"tokenId": w.ids["tok:xowner"]},
    ),
    "linkSlackUser": mutation(
        "linkSlackUser",
        "LinkSlackUserInput!",
        lambda w: {"slackUserId": "USELF"},
        ALL_USERS,
        lambda w: {"slackUserId": "UOTHER", "userId": w.ids["user:xowner"]},
    ),
    "createSlackLinkCode": mutation(
        "createSlackLinkCode", "CreateSlackLinkCodeInput", lambda w: {}, ALL_USERS
    ),
    # Only the bot (a verified Slack request) links the Slack user it speaks for.
    "linkSlackAccount": mutation(
        "linkSlackAccount", "LinkSlackAccountInput!", lambda w: {"slackUserId": "U1"}, NOBODY
    ),
    # Only the outbox's notifier records where it posted.
    "recordSlackMessage": [
        *mutation(
            "recordSlackMessage",
            "RecordSlackMessageInput!",
            lambda w: {"transferId": w.ids["t1"], "channel": "C1", "ts": "1.2"},
            NOBODY,
        ),
        Case(
            "recordSlackMessage alert thread",
            _m("recordSlackMessage", "RecordSlackMessageInput!"),
            lambda w: {"input": {"alertId": w.ids["al1"], "channel": "C1", "ts": "1.3"}},
            NOBODY,
        ),
    ],
    "recordSpend": mutation(
        "recordSpend",
        "RecordSpendInput!",
        lambda w: {"projectId": w.ids["p1"], "amount": "1"},
        ACTING,
        lambda w: {"projectId": w.ids["p3"], "amount": "1"},
    ),
    # Corrections (issue #9): checked like the write they correct; a move on both sides.
    "voidSpend": mutation(
        "voidSpend",
        "VoidSpendInput!",
        lambda w: {"spendId": w.ids["s1"], "reason": "twice"},
        ACTING,
        lambda w: {"spendId": w.ids["s3"], "reason": "twice"},
    ),
    "refundSpend": mutation(
        "refundSpend",
        "RefundSpendInput!",
        lambda w: {"spendId": w.ids["s1"], "amount": "1", "reason": "credit"},
        ACTING,
        lambda w: {"spendId": w.ids["s3"], "amount": "1", "reason": "credit"},
    ),
    # P1 → P2: only those who may record spend on both (P1's people are not P2's).
    "moveSpend": mutation(
        "moveSpend",
        "MoveSpendInput!",
        lambda w: {"spendId": w.ids["s1"], "toProjectId": w.ids["p2"], "reason": "wrong"},
        OWNERS,
        lambda w: {"spendId": w.ids["s3"], "toProjectId": w.ids["p1"], "reason": "wrong"},
    ),
    "moveSpends": mutation(
        "moveSpends",
        "MoveSpendsInput!",
        lambda w: {
            "filter": {"allocationId": w.ids["a1"]},
            "toProjectId": w.ids["p2"],
            "reason": "wrong",
        },
        OWNERS,
        lambda w: {
            "filter": {"allocationId": w.ids["a3"]},
            "toProjectId": w.ids["p1"],
            "reason": "wrong",
        },
    ),
    "archiveBudget": mutation(
        "archiveBudget",
        "BudgetRefInput!",
        lambda w: {"budgetId": w.ids["grant"]},
        OWNERS,
        lambda w: {"budgetId": w.ids["other"]},
    ),
    "archiveProject": mutation(
        "archiveProject",
        "ProjectRefInput!",
        lambda w: {"projectId": w.ids["p1"]},
        PEOPLE,
        lambda w: {"projectId": w.ids["p3"]},
    ),
    # Not archived / moved money: the permission check passes first, then the state refuses
    # (an InvalidState counts as allowed here).
    **{
        name: [
            Case(
                f"{name} {side}",
                _m(name, f"{kind}RefInput!"),
                lambda w, k=key, ref=ref: {"input": {k: w.ids[ref]}},
                allowed,
                _passed_permission,
            )
            for side, ref, allowed in ((("own", own, who), ("foreign", foreign, ADMIN)))
        ]
        for name, kind, key, own, foreign, who in (
            ("restoreBudget", "Budget", "budgetId", "grant", "other", OWNERS),
            ("deleteBudget", "Budget", "budgetId", "grant", "other", OWNERS),
            ("restoreProject", "Project", "projectId", "p1", "p3", PEOPLE),
            ("deleteProject", "Project", "projectId", "p1", "p3", PEOPLE),
        )
    },
    "logTime": mutation(
        "logTime",
        "LogTimeInput!",
        lambda w: {"projectId": w.ids["p1"], "hours": "1", "role": "postdoc"},
        ACTING,
        lambda w: {"projectId": w.ids["p3"], "hours": "1", "role": "postdoc"},
    ),
    "reserveSpend": mutation(
        "reserveSpend",
        "ReserveSpendInput!",
        lambda w: {"projectId": w.ids["p1"], "amount": "1"},
        ACTING,
        lambda w: {"projectId": w.ids["p3"], "amount": "1"},
    ),
    "settleReservation": mutation(
        "settleReservation",
        "SettleReservationInput!",
        lambda w: {"reservationId": w.ids["r1"], "amount": "1"},
        ACTING,
        lambda w: {"reservationId": w.ids["r3"], "amount": "1"},
    ),
    "releaseReservation": mutation(
        "releaseReservation",
        "ReleaseReservationInput!",
        lambda w: {"reservationId": w.ids["r1"]},
        ACTING,
        lambda w: {"reservationId": w.ids["r3"]},
    ),
    "requestTransfer": [
        *mutation(
            "requestTransfer",
            "RequestTransferInput!",
            # A gift from P1 to P2.
            lambda w: {
                "fromAllocationId": w.ids["a1"],
                "toAllocationId": w.ids["a2"],
                "amount": "1",
                "reason": "gift",
            },
            ACTING,
            lambda w: {
                "fromAllocationId": w.ids["a3"],
                "toPool": True,
                "amount": "1",
                "reason": "x",
            },
        ),
        # Asking P2 for money for P1 (a taking: it waits for an owner, but may be asked).
        *mutation(
            "requestTransfer",
            "RequestTransferInput!",
            lambda w: {
                "fromAllocationId": w.ids["a2"],
                "toAllocationId": w.ids["a1"],
                "amount": "1",
                "reason": "ask",
            },
            ACTING,
        ),
    ],
    "approveTransfer": mutation(
        "approveTransfer",
        "DecideTransferInput!",
        lambda w: {"transferId": w.ids["t1"]},
        OWNERS,
        lambda w: {"transferId": w.ids["t3"]},
    ),
    "rejectTransfer": mutation(
        "rejectTransfer",
        "DecideTransferInput!",
        lambda w: {"transferId": w.ids["t1"]},
        OWNERS,
        lambda w: {"transferId": w.ids["t3"]},
    ),
    "cancelTransfer": mutation(
        "cancelTransfer",
        "CancelTransferInput!",
        lambda w: {"transferId": w.ids["t1"]},
        frozenset({"admin", "member"}),  # the requester
        lambda w: {"transferId": w.ids["t3"]},
    ),
    "createRoutingRule": mutation(
        "createRoutingRule",
        "CreateRoutingRuleInput!",
        lambda w: {
            "match": "service",
            "value": "azure",
            "projectId": w.ids["p1"],
            "budgetId": w.ids["grant"],
        },
        OWNERS,
        lambda w: {
            "match": "service",
            "value": "azure",
            "projectId": w.ids["p3"],
            "budgetId": w.ids["other"],
        },
    ),
    "deleteRoutingRule": mutation(
        "deleteRoutingRule",
        "DeleteRoutingRuleInput!",
        lambda w: {"ruleId": w.ids["rr1"]},
        OWNERS,
        lambda w: {"ruleId": w.ids["rr3"]},
    ),
    "assignSpend": mutation(
        "assignSpend",
        "AssignSpendInput!",
        lambda w: {"unassignedSpendIds": [w.ids["u1"]], "projectId": w.ids["p1"]},
        OWNERS,
        lambda w: {"unassignedSpendIds": [w.ids["u3"]], "projectId": w.ids["p3"]},
    ),
    "applyRoutingRules": mutation(
        "applyRoutingRules",
        "ApplyRoutingRulesInput!",
        lambda w: {"budgetId": w.ids["grant"]},
        OWNERS,
        lambda w: {"budgetId": w.ids["other"]},
    ),
    "setRate": mutation(
        "setRate",
        "SetRateInput!",
        lambda w: {
            "card": "grant-card",
            "service": "gpt-4o",
            "unit": "input_token",
            "price": "0.000002",
            "budgetId": w.ids["grant"],
        },
        OWNERS,
        lambda w: {"card": "default", "service": "gpt-4o", "unit": "input_token", "price": "1"},
    ),
    "recordSpends": [
        Case(
            "recordSpends own",
            RECORD_SPENDS,
            lambda w: {"items": [{"projectId": w.ids["p1"], "amount": "1"}]},
            ACTING,
            lambda v, w: batch_outcome(v, w),
        ),
        Case(
            "recordSpends foreign",
            RECORD_SPENDS,
            lambda w: {"items": [{"projectId": w.ids["p3"], "amount": "1"}]},
            ADMIN,
            lambda v, w: batch_outcome(v, w),
        ),
    ],
}

NODE = "query($id: ID!) { node(id: $id) { id } }"

QUERIES: dict[str, list[Case]] = {
    "viewer": [
        *query("viewer", "{ viewer { id } }", lambda w: {}, ALL_USERS, not_null),
        *query(
            "viewer apiTokens",
            "{ viewer { apiTokens { id prefix } } }",
            lambda w: {},
            ALL_USERS,
            lambda v, w: "denied" if v is None or v["apiTokens"] is None else "allowed",
        ),
    ],
    "node": [
        # User.apiTokens through a budget's owners (whom its members also see): the owner
        # themself and admins only.
        *query(
            "node budget owners apiTokens",
            "query($id: ID!) { node(id: $id) { ... on Budget { owners { apiTokens { id } } } } }",
            lambda w: {"id": w.ids["grant"]},
            OWNERS,
            _tokens_seen,
        ),
        *query(
            "node budget",
            NODE,
            lambda w: {"id": w.ids["grant"]},
            READERS,
            not_null,
            lambda w: {"id": w.ids["other"]},
        ),
        *query(
            "node allocation",
            NODE,
            lambda w: {"id": w.ids["a1"]},
            READERS,
            not_null,
            lambda w: {"id": w.ids["a3"]},
        ),
        *query(
            "node spend",
            NODE,
            lambda w: {"id": w.ids["s1"]},
            READERS,
            not_null,
            lambda w: {"id": w.ids["s3"]},
        ),
        *query(
            "node alert",
            NODE,
            lambda w: {"id": w.ids["al1"]},
            READERS,
            not_null,
            lambda w: {"id": w.ids["al3"]},
        ),
        *query(
            "node budget alert",
            NODE,
            lambda w: {"id": w.ids["alb"]},
            OWNERS,
            not_null,
        ),
        *query(
            "node transfer",
            NODE,
            lambda w: {"id": w.ids["t1"]},
            READERS,
            not_null,
            lambda w: {"id": w.ids["t3"]},
        ),
        *query(
            "node project",
            NODE,
            lambda w: {"id": w.ids["p1"]},
            READERS | FINDERS,
            not_null,
            lambda w: {"id": w.ids["p3"]},
            FINDERS,
        ),
        *query(
            "node user",
            NODE,
            lambda w: {"id": w.ids["user:nobody"]},
            frozenset({"admin", "nobody"}),  # yourself, or an admin
            not_null,
        ),
    ],
    "budgets": query(
        "budgets",
        "{ budgets(first: 100) { nodes { id } } }",
        lambda w: {},
        READERS,
        present("grant"),
        lambda w: {},
        ADMIN,
        present("other"),
    ),
    "budget": query(
        "budget",
        "query($id: ID!) { budget(id: $id) { id } }",
        lambda w: {"id": w.ids["grant"]},
        READERS,
        not_null,
        lambda w: {"id": w.ids["other"]},
    ),
    "projects": query(
        "projects",
        "{ projects(first: 100) { nodes { id } } }",
        lambda w: {},
        READERS | FINDERS,
        present("p1"),
        lambda w: {},
        FINDERS,
        present("p3"),
    ),
    "project": query(
        "project",
        "query($id: ID!) { project(id: $id) { id } }",
        lambda w: {"id": w.ids["p1"]},
        READERS | FINDERS,
        not_null,
        lambda w: {"id": w.ids["p3"]},
        FINDERS,
    ),
    "transfers": query(
        "transfers",
        "{ transfers(first: 100) { nodes { id } } }",
        lambda w: {},
        READERS,
        present("t1"),
        lambda w: {},
        ADMIN,
        present("t3"),
    ),
    "authorizeSpend": query(
        "authorizeSpend",
        'query($p: ID!) { authorizeSpend(projectId: $p, amount: "1") { allowed } }',
        lambda w: {"p": w.ids["p1"]},
        READERS,
        not_null,
        lambda w: {"p": w.ids["p3"]},
    ),
    "allocationDirectory": query(
        "allocationDirectory",
        "query($b: ID) { allocationDirectory(budgetId: $b) { id } }",
        lambda w: {"b": w.ids["grant"]},
        READERS,
        present("a1"),
        lambda w: {"b": w.ids["other"]},
        ADMIN,
        present("a3"),
    ),
    "routingRules": query(
        "routingRules",
        "{ routingRules(first: 100) { nodes { id } } }",
        lambda w: {},
        OWNERS,
        present("rr1"),
        lambda w: {},
        ADMIN,
        present("rr3"),
    ),
    "unassignedSpends": query(
        "unassignedSpends",
        "{ unassignedSpends(first: 100) { nodes { id } } }",
        lambda w: {},
        OWNERS,
        present("u1"),
        lambda w: {},
        ADMIN,
        present("u3"),
    ),
    # Rates are prices, not anyone's money: every signed-in user may read the global card.
    "rateCards": query(
        "rateCards",
        "{ rateCards(first: 100) { nodes { id name } } }",
        lambda w: {},
        ALL_USERS,
        lambda v, w: "allowed" if v["nodes"] else "denied",
    ),
    "alerts": [
        *query(
            "alerts allocation",
            "{ alerts(first: 100) { nodes { id } } }",
            lambda w: {},
            READERS,
            present("al1"),
            lambda w: {},
            ADMIN,
            present("al3"),
        ),
        # The whole budget's figures: owners only, never through a project role.
        *query(
            "alerts budget-level",
            "query($b: ID) { alerts(budgetId: $b, first: 100) { nodes { id } } }",
            lambda w: {"b": w.ids["grant"]},
            OWNERS,
            present("alb"),
        ),
    ],
    "deliveries": query(
        "deliveries",
        "{ deliveries(state: DEAD, first: 10) { nodes { id } } }",
        lambda w: {},
        ADMIN,
        present("dead"),
    ),
    "webhooks": query(
        "webhooks",
        "{ webhooks(first: 100) { nodes { id } } }",
        lambda w: {},
        OWNERS,
        present("wh1"),
        lambda w: {},
        ADMIN,
        present("wh3"),
    ),
    # Your own subscriptions: everyone signed in.
    "alertSubscriptions": query(
        "alertSubscriptions", "{ alertSubscriptions { id } }", lambda w: {}, ALL_USERS, not_null
    ),
    "alertThresholds": query(
        "alertThresholds",
        "query($b: ID!) { alertThresholds(budgetId: $b) { id } }",
        lambda w: {"b": w.ids["grant"]},
        OWNERS,
        not_null,
        lambda w: {"b": w.ids["other"]},
    ),
    "priceUsage": query(
        "priceUsage",
        '{ priceUsage(service: "postdoc", unit: "hour", quantity: "2") { amount } }',
        lambda w: {},
        ALL_USERS,
        not_null,
    ),
}

SUBSCRIPTIONS: dict[str, list[Case]] = {
    "budgetEvents": query(
        "budgetEvents",
        "subscription($b: ID!) { budgetEvents(budgetId: $b) { kind } }",
        lambda w: {"b": w.ids["grant"]},
        READERS,
        not_null,
        lambda w: {"b": w.ids["other"]},
    )
}


# ---------------------------------------------------------------------------------------------
# Running a case


def _root(document: str) -> str:
    from graphql import OperationDefinitionNode, parse

    op = next(d for d in parse(document).definitions if isinstance(d, OperationDefinitionNode))
    return op.selection_set.selections[0].name.value  # type: ignore[attr-defined]


async def _outcome(case: Case, persona: str, w: World) -> Outcome:
    user = None if persona == "anonymous" else w.users[persona]
    context = await context_for_user(user)
    variables = case.variables(w)
    root = _root(case.document)
    if case.document.lstrip().startswith("subscription"):
        return await _subscription_outcome(case, context, variables, w)
    result = await schema.execute(case.document, variable_values=variables, context_value=context)
    if result.errors:
        code = (result.errors[0].extensions or {}).get("code")
        if code in ("PERMISSION_DENIED", "NOT_FOUND"):
            return "denied"
        return f"other: {[e.message for e in result.errors]}"
    assert result.data is not None
    value = result.data[root]
    if case.outcome is None:
        return payload_outcome(value)
    return case.outcome(value, w)


async def _subscription_outcome(
    case: Case, context: Any, variables: dict[str, Any], w: World
) -> Outcome:
    stream = await schema.subscribe(case.document, variable_values=variables, context_value=context)
    if not hasattr(stream, "__anext__"):
        return "denied" if stream.errors else f"other: {stream}"
    first = asyncio.ensure_future(stream.__anext__())
    try:
        result = await asyncio.wait_for(asyncio.shield(first), 0.3)
    except TimeoutError:
        return "allowed"  # subscribed and waiting for events
    finally:
        first.cancel()
        with contextlib.suppress(BaseException):
            await first
        await stream.aclose()
    if result.errors:
        code = (result.errors[0].extensions or {}).get("code")
        return "denied" if code in ("PERMISSION_DENIED", "NOT_FOUND") else f"other: {result}"
    return "allowed"


def _all_cases() -> list[Case]:
    return [c for table in (MUTATIONS, QUERIES, SUBSCRIPTIONS) for cs in table.values() for c in cs]


def _fields(kind: str) -> set[str]:
    graphql_schema = schema._schema
    root = {
        "query": graphql_schema.query_type,
        "mutation": graphql_schema.mutation_type,
        "subscription": graphql_schema.subscription_type,
    }[kind]
    return set(root.fields) if root else set()


@pytest.mark.parametrize(
    ("kind", "table"),
    [("query", QUERIES), ("mutation", MUTATIONS), ("subscription", SUBSCRIPTIONS)],
)
def test_every_root_field_of_the_schema_has_cases(kind: str, table: dict[str, Any]) -> None:
    missing = _fields(kind) - set(table)
    assert not missing, f"{kind} fields without access cases: {sorted(missing)}"
    assert not set(table) - _fields(kind), "cases for fields the schema no longer has"


async def test_the_access_matrix(world: World) -> None:
    """Every case × every persona, each in a rolled-back transaction; all mismatches at once."""
    mismatches: list[str] = []
    runs = 0
    for case in _all_cases():
        for persona in PERSONAS:
            outcome = await _in_rollback(case, persona, world)
            runs += 1
            want = "allowed" if persona in case.allowed else "denied"
            if outcome != want:
                mismatches.append(f"{case.name} / {persona}: wanted {want}, got {outcome}")
    assert not mismatches, f"{len(mismatches)} of {runs} runs differ:\n" + "\n".join(mismatches)
    assert runs >= 8 * 90


async def _in_rollback(case: Case, persona: str, w: World) -> Outcome:
    box: list[Outcome] = []
    try:
        async with in_transaction():
            box.append(await _outcome(case, persona, w))
            raise _Rollback
    except _Rollback:
        pass
    assert broker.subscriber_count(int(w.ids["grant_pk"])) == 0
    return box[0]


# ---------------------------------------------------------------------------------------------
# HTTP routes


@dataclass(frozen=True)
class Route:
    path: Callable[[World], str]
    allowed: frozenset[str]
    #: Status codes of an allowed and of a denied call.
    ok: int = 200


HTTP_ROUTES: dict[str, list[Route]] = {
    "/healthz": [Route(lambda w: "/healthz", ALL_USERS | {"anonymous"})],
    # No user data, the same answer for everyone (this database is built from the models, so
    # readiness says 503 here): tests/e2e/test_health.py.
    "/readyz": [],
    "/graphiql/{name:str}": [
        Route(lambda w: "/graphiql/graphiql.min.js", ALL_USERS | {"anonymous"})
    ],
    # Scraped with ALLOT_METRICS_TOKEN, never with a user's API token.
    "/metrics": [Route(lambda w: "/metrics", NOBODY)],
    "/graphql": [Route(lambda w: "/graphql", ALL_USERS | {"anonymous"})],  # the GraphiQL page
    "/": [Route(lambda w: "/", ALL_USERS | {"anonymous"})],  # the page; data comes from the API
    "/dashboard": [Route(lambda w: "/dashboard", ALL_USERS | {"anonymous"})],
    "/dashboard/": [Route(lambda w: "/dashboard/", ALL_USERS | {"anonymous"})],
    "/dashboard/{name:str}": [Route(lambda w: "/dashboard/app.js", ALL_USERS | {"anonymous"})],
    # The web app's routes (app/dashboard): the same page for everyone; data comes from the API.
    "/login": [Route(lambda w: "/login", ALL_USERS | {"anonymous"})],
    "/settings": [Route(lambda w: "/settings", ALL_USERS | {"anonymous"})],
    "/budgets/{ref}": [Route(lambda w: f"/budgets/{w.ids['other']}", ALL_USERS | {"anonymous"})],
    "/budgets/{ref}/periods": [
        Route(lambda w: f"/budgets/{w.ids['other']}/periods", ALL_USERS | {"anonymous"})
    ],
    "/alerts": [Route(lambda w: "/alerts", ALL_USERS | {"anonymous"})],
    "/budgets/{ref}/edit": [
        Route(lambda w: f"/budgets/{w.ids['other']}/edit", ALL_USERS | {"anonymous"})
    ],
    "/budgets/{ref}/spend": [
        Route(lambda w: f"/budgets/{w.ids['other']}/spend", ALL_USERS | {"anonymous"})
    ],
    "/unassigned": [Route(lambda w: "/unassigned", ALL_USERS | {"anonymous"})],
    "/projects/{ref}": [Route(lambda w: "/projects/prj_1", ALL_USERS | {"anonymous"})],
    "/transfers/{ref}": [Route(lambda w: "/transfers/trf_1", ALL_USERS | {"anonymous"})],
    "/dashboard/vendor/{name:str}": [
        Route(lambda w: "/dashboard/vendor/preact.mjs", ALL_USERS | {"anonymous"})
    ],
    # Sign-in (app/sessions.py): login and logout are POSTs (a GET is 405); the session is the
    # cookie's, and a bearer token is not one (401): tests/test_sessions.py.
    "/auth/login": [Route(lambda w: "/auth/login", NOBODY)],
    "/auth/logout": [Route(lambda w: "/auth/logout", NOBODY)],
    "/auth/session": [Route(lambda w: "/auth/session", NOBODY)],
    # OpenID Connect sign-in (app/oidc.py): 404 unless configured; a redirect to the provider
    # or back to /login, never a page of data: tests/test_oidc.py.
    "/auth/oidc/login": [Route(lambda w: "/auth/oidc/login", NOBODY)],
    "/auth/oidc/callback": [Route(lambda w: "/auth/oidc/callback", NOBODY)],
    "/reports/{budget_id}/{file}": [
        Route(lambda w: f"/reports/{w.ids['grant']}/spend.csv", READERS),
        Route(lambda w: f"/reports/{w.ids['other']}/spend.csv", ADMIN),
    ],
    "/slack/events": [],  # signed by Slack, not by a user: tests/bot and tests/e2e
}


def _router_paths() -> set[str]:
    from app.server import create_app
    from app.settings import Settings

    app = create_app(Settings(), init_database=False)
    return {getattr(r, "path", "") for r in app.routes if getattr(r, "path", "").startswith("/")}


def test_every_http_route_has_cases() -> None:
    paths = _router_paths() - {"/slack/events"}  # mounted only with a signing secret
    assert paths <= set(HTTP_ROUTES), sorted(paths - set(HTTP_ROUTES))


async def test_the_http_route_matrix(world: World) -> None:
    from app.server import create_app
    from app.settings import Settings

    app = create_app(Settings(), init_database=False)
    mismatches = []
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        for template, routes in HTTP_ROUTES.items():
            for route in routes:
                for persona in PERSONAS:
                    headers = (
                        {}
                        if persona == "anonymous"
                        else {"Authorization": f"Bearer {world.tokens[persona]}"}
                    )
                    response = await client.get(route.path(world), headers=headers)
                    allowed = response.status_code == route.ok
                    if allowed != (persona in route.allowed):
                        mismatches.append(
                            f"{template} {route.path(world)} / {persona}: {response.status_code}"
                        )
                    assert response.status_code < 500, (template, persona, response.text)
    assert not mismatches, "\n".join(mismatches)
