from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index


class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name="Budget",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("name", fields.CharField(max_length=200)),
                ("description", fields.TextField(null=True, unique=False)),
                ("currency", fields.CharField(default="USD", max_length=3)),
                ("amount_micros", fields.BigIntField()),
                ("period_kind", fields.CharField(max_length=16)),
                ("start_date", fields.DateField()),
                ("end_date", fields.DateField(null=True)),
                ("timezone", fields.CharField(default="UTC", max_length=64)),
                (
                    "alert_thresholds",
                    fields.JSONField(
                        default=list,
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                ("rollover_policy", fields.CharField(default="NONE", max_length=16)),
                ("rollover_cap_micros", fields.BigIntField(null=True)),
                ("hard_limit", fields.BooleanField(default=False)),
                ("enforce_pacing", fields.BooleanField(default=False)),
                ("auto_approve_below_micros", fields.BigIntField(null=True)),
                ("allow_self_approval", fields.BooleanField(default=False)),
                ("transfer_expiry_days", fields.IntField(null=True)),
                ("slack_channel", fields.CharField(null=True, max_length=100)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={"table": "budget", "app": "models", "pk_attr": "id"},
            bases=["Model"],
        ),
        ops.CreateModel(
            name="BudgetPeriod",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "budget",
                    fields.ForeignKeyField(
                        "models.Budget",
                        source_field="budget_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="periods",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("seq", fields.IntField()),
                ("start_date", fields.DateField()),
                ("end_date", fields.DateField()),
                ("status", fields.CharField(default="OPEN", max_length=16)),
                ("funded_micros", fields.BigIntField(default=0)),
                ("unallocated_micros", fields.BigIntField(default=0)),
                ("allocated_micros", fields.BigIntField(default=0)),
                ("spent_micros", fields.BigIntField(default=0)),
                ("closed_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "budget_period",
                "app": "models",
                "unique_together": (("budget", "seq"),),
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="BudgetPlan",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "budget",
                    fields.ForeignKeyField(
                        "models.Budget",
                        source_field="budget_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="plans",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("period_start", fields.DateField()),
                ("amount_micros", fields.BigIntField()),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "budget_plan",
                "app": "models",
                "unique_together": (("budget", "period_start"),),
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="OutboxEvent",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                ("kind", fields.CharField(max_length=48)),
                ("budget_id", fields.IntField(null=True, db_index=True)),
                (
                    "payload",
                    fields.JSONField(
                        encoder=functools.partial(dumps, separators=(",", ":")), decoder=loads
                    ),
                ),
                ("dedupe_key", fields.CharField(null=True, unique=True, max_length=200)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("attempts", fields.IntField(default=0)),
                (
                    "next_attempt_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                (
                    "delivered_at",
                    fields.DatetimeField(
                        null=True, db_index=True, auto_now=False, auto_now_add=False
                    ),
                ),
                ("last_error", fields.TextField(null=True, unique=False)),
            ],
            options={"table": "outbox_event", "app": "models", "pk_attr": "id"},
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Project",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("name", fields.CharField(max_length=200)),
                ("slug", fields.CharField(unique=True, max_length=100)),
                ("slack_channel", fields.CharField(null=True, max_length=100)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={"table": "project", "app": "models", "pk_attr": "id"},
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Allocation",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "budget",
                    fields.ForeignKeyField(
                        "models.Budget",
                        source_field="budget_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="allocations",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "period",
                    fields.ForeignKeyField(
                        "models.BudgetPeriod",
                        source_field="period_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="allocations",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "project",
                    fields.ForeignKeyField(
                        "models.Project",
                        source_field="project_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="allocations",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("allocated_micros", fields.BigIntField(default=0)),
                ("spent_micros", fields.BigIntField(default=0)),
                ("held_micros", fields.BigIntField(default=0)),
                ("notes", fields.TextField(null=True, unique=False)),
                ("alert_threshold", fields.IntField(null=True)),
                ("rollover_policy", fields.CharField(null=True, max_length=16)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "allocation",
                "app": "models",
                "unique_together": (("period", "project"),),
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="RateCard",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("name", fields.CharField(unique=True, max_length=100)),
                ("currency", fields.CharField(default="USD", max_length=3)),
                (
                    "budget",
                    fields.ForeignKeyField(
                        "models.Budget",
                        source_field="budget_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="rate_cards",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("description", fields.TextField(null=True, unique=False)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={"table": "rate_card", "app": "models", "pk_attr": "id"},
            bases=["Model"],
        ),
        ops.CreateModel(
            name="SpendDaily",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                (
                    "period",
                    fields.ForeignKeyField(
                        "models.BudgetPeriod",
                        source_field="period_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="daily",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "allocation",
                    fields.ForeignKeyField(
                        "models.Allocation",
                        source_field="allocation_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="daily",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("day", fields.DateField()),
                ("service", fields.CharField(default="", max_length=200)),
                ("amount_micros", fields.BigIntField(default=0)),
                ("count", fields.IntField(default=0)),
            ],
            options={
                "table": "spend_daily",
                "app": "models",
                "unique_together": (("allocation", "day", "service"),),
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="UnassignedSpend",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                ("source", fields.CharField(max_length=32)),
                ("external_id", fields.CharField(max_length=255)),
                ("occurred_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("amount_micros", fields.BigIntField()),
                ("amount_text", fields.CharField(max_length=64)),
                ("currency", fields.CharField(max_length=3)),
                ("service", fields.CharField(null=True, max_length=200)),
                ("sub_account_id", fields.CharField(null=True, max_length=200)),
                ("sub_account_name", fields.CharField(null=True, max_length=200)),
                (
                    "tags",
                    fields.JSONField(
                        default=dict,
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                ("charge_category", fields.CharField(null=True, max_length=32)),
                ("description", fields.TextField(null=True, unique=False)),
                ("quantity", fields.CharField(null=True, max_length=64)),
                ("unit", fields.CharField(null=True, max_length=64)),
                ("provider", fields.CharField(null=True, max_length=200)),
                ("line", fields.IntField(default=0)),
                (
                    "budget",
                    fields.ForeignKeyField(
                        "models.Budget",
                        source_field="budget_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="unassigned_spends",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "unassigned_spend",
                "app": "models",
                "unique_together": (("source", "external_id"),),
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="User",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("name", fields.CharField(max_length=200)),
                ("email", fields.CharField(unique=True, max_length=320)),
                ("is_admin", fields.BooleanField(default=False)),
                ("slack_user_id", fields.CharField(null=True, unique=True, max_length=32)),
                ("slack_team_id", fields.CharField(null=True, max_length=32)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={"table": "user", "app": "models", "pk_attr": "id"},
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Alert",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "budget",
                    fields.ForeignKeyField(
                        "models.Budget",
                        source_field="budget_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="alerts",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "period",
                    fields.ForeignKeyField(
                        "models.BudgetPeriod",
                        source_field="period_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="alerts",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "allocation",
                    fields.ForeignKeyField(
                        "models.Allocation",
                        source_field="allocation_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="alerts",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("kind", fields.CharField(max_length=24)),
                ("threshold", fields.IntField()),
                ("dedupe_key", fields.CharField(unique=True, max_length=200)),
                ("message", fields.TextField(unique=False)),
                (
                    "acknowledged_by",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="acknowledged_by_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="acknowledged_alerts",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                (
                    "acknowledged_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={"table": "alert", "app": "models", "pk_attr": "id"},
            bases=["Model"],
        ),
        ops.CreateModel(
            name="ApiToken",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "user",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="user_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="tokens",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("name", fields.CharField(default="", max_length=200)),
                ("token_hash", fields.CharField(unique=True, max_length=64)),
                ("prefix", fields.CharField(max_length=16)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                (
                    "last_used_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                ("revoked_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={"table": "api_token", "app": "models", "pk_attr": "id"},
            bases=["Model"],
        ),
        ops.CreateModel(
            name="BudgetOwner",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "budget",
                    fields.ForeignKeyField(
                        "models.Budget",
                        source_field="budget_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="owner_links",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "user",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="user_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="owned_budgets",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
            ],
            options={
                "table": "budget_owner",
                "app": "models",
                "unique_together": (("budget", "user"),),
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="IdempotencyRecord",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "user",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="user_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="idempotency_records",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("operation", fields.CharField(max_length=64)),
                ("key", fields.CharField(max_length=255)),
                ("request_hash", fields.CharField(max_length=64)),
                ("result_kind", fields.CharField(max_length=32)),
                ("result_id", fields.BigIntField()),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "idempotency_record",
                "app": "models",
                "unique_together": (("user", "operation", "key"),),
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="JournalEntry",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                (
                    "budget",
                    fields.ForeignKeyField(
                        "models.Budget",
                        source_field="budget_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="journal",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("kind", fields.CharField(max_length=16)),
                ("from_kind", fields.CharField(max_length=16)),
                (
                    "from_period",
                    fields.ForeignKeyField(
                        "models.BudgetPeriod",
                        source_field="from_period_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="debits",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "from_allocation",
                    fields.ForeignKeyField(
                        "models.Allocation",
                        source_field="from_allocation_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="debits",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("to_kind", fields.CharField(max_length=16)),
                (
                    "to_period",
                    fields.ForeignKeyField(
                        "models.BudgetPeriod",
                        source_field="to_period_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="credits",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "to_allocation",
                    fields.ForeignKeyField(
                        "models.Allocation",
                        source_field="to_allocation_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="credits",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("amount_micros", fields.BigIntField()),
                (
                    "actor",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="actor_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="journal_entries",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                ("spend_id", fields.BigIntField(null=True, db_index=True)),
                ("transfer_id", fields.IntField(null=True, db_index=True)),
                ("memo", fields.TextField(null=True, unique=False)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={"table": "journal_entry", "app": "models", "pk_attr": "id"},
            bases=["Model"],
        ),
        ops.CreateModel(
            name="ProjectMember",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "project",
                    fields.ForeignKeyField(
                        "models.Project",
                        source_field="project_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="member_links",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "user",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="user_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="memberships",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("role", fields.CharField(default="MEMBER", max_length=16)),
            ],
            options={
                "table": "project_member",
                "app": "models",
                "unique_together": (("project", "user"),),
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Rate",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "card",
                    fields.ForeignKeyField(
                        "models.RateCard",
                        source_field="card_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="rates",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("service", fields.CharField(max_length=200)),
                ("unit", fields.CharField(max_length=64)),
                ("price", fields.CharField(max_length=64)),
                ("effective_from", fields.DateField()),
                (
                    "created_by",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="created_by_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="rates",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "rate",
                "app": "models",
                "unique_together": (("card", "service", "unit", "effective_from"),),
                "indexes": [Index(fields=["service", "unit", "effective_from"])],
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Reservation",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                (
                    "budget",
                    fields.ForeignKeyField(
                        "models.Budget",
                        source_field="budget_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="reservations",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "allocation",
                    fields.ForeignKeyField(
                        "models.Allocation",
                        source_field="allocation_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="reservations",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "project",
                    fields.ForeignKeyField(
                        "models.Project",
                        source_field="project_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="reservations",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("amount_micros", fields.BigIntField()),
                ("status", fields.CharField(default="OPEN", max_length=16)),
                ("expires_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("service", fields.CharField(null=True, max_length=200)),
                ("description", fields.TextField(null=True, unique=False)),
                ("idempotency_key", fields.CharField(null=True, max_length=255)),
                (
                    "created_by",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="created_by_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="reservations",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                ("spend_id", fields.BigIntField(null=True)),
                ("settled_micros", fields.BigIntField(null=True)),
                ("closed_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "reservation",
                "app": "models",
                "unique_together": (("created_by", "idempotency_key"),),
                "indexes": [
                    Index(fields=["allocation_id", "status"]),
                    Index(fields=["status", "expires_at"]),
                ],
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="RoutingRule",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("priority", fields.IntField(default=100)),
                ("match", fields.CharField(max_length=16)),
                ("key", fields.CharField(null=True, max_length=200)),
                ("value", fields.CharField(max_length=500)),
                (
                    "project",
                    fields.ForeignKeyField(
                        "models.Project",
                        source_field="project_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="routing_rules",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "budget",
                    fields.ForeignKeyField(
                        "models.Budget",
                        source_field="budget_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="routing_rules",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "created_by",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="created_by_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="routing_rules",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={"table": "routing_rule", "app": "models", "pk_attr": "id"},
            bases=["Model"],
        ),
        ops.CreateModel(
            name="SlackLinkCode",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "user",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="user_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="slack_link_codes",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("code_hash", fields.CharField(unique=True, max_length=64)),
                ("expires_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("used_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={"table": "slack_link_code", "app": "models", "pk_attr": "id"},
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Spend",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                (
                    "budget",
                    fields.ForeignKeyField(
                        "models.Budget",
                        source_field="budget_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="spends",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "allocation",
                    fields.ForeignKeyField(
                        "models.Allocation",
                        source_field="allocation_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="spends",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "project",
                    fields.ForeignKeyField(
                        "models.Project",
                        source_field="project_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="spends",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("amount_micros", fields.BigIntField()),
                ("service", fields.CharField(null=True, max_length=200)),
                ("description", fields.TextField(null=True, unique=False)),
                ("occurred_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("local_day", fields.DateField()),
                ("source", fields.CharField(default="api", max_length=32)),
                ("external_id", fields.CharField(null=True, max_length=255)),
                ("quantity", fields.CharField(null=True, max_length=64)),
                ("unit", fields.CharField(null=True, max_length=64)),
                (
                    "recorded_by",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="recorded_by_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="spends",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "spend",
                "app": "models",
                "unique_together": (("source", "external_id"),),
                "indexes": [Index(fields=["allocation_id", "occurred_at"])],
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="SpendUsage",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                (
                    "spend",
                    fields.ForeignKeyField(
                        "models.Spend",
                        source_field="spend_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="usage",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "rate",
                    fields.ForeignKeyField(
                        "models.Rate",
                        source_field="rate_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="usage",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                ("service", fields.CharField(max_length=200)),
                ("unit", fields.CharField(max_length=64)),
                ("quantity", fields.CharField(max_length=64)),
                ("price", fields.CharField(max_length=64)),
                ("amount", fields.CharField(max_length=128)),
            ],
            options={"table": "spend_usage", "app": "models", "pk_attr": "id"},
            bases=["Model"],
        ),
        ops.CreateModel(
            name="TransferRequest",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "budget",
                    fields.ForeignKeyField(
                        "models.Budget",
                        source_field="budget_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="transfer_requests",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "period",
                    fields.ForeignKeyField(
                        "models.BudgetPeriod",
                        source_field="period_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="transfer_requests",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "from_allocation",
                    fields.ForeignKeyField(
                        "models.Allocation",
                        source_field="from_allocation_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="outgoing_requests",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "to_allocation",
                    fields.ForeignKeyField(
                        "models.Allocation",
                        source_field="to_allocation_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="incoming_requests",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("amount_micros", fields.BigIntField()),
                ("reason", fields.TextField(unique=False)),
                ("status", fields.CharField(default="PENDING", max_length=16)),
                (
                    "requested_by",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="requested_by_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="requested_transfers",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "decided_by",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="decided_by_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="decided_transfers",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                ("decided_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("decision_note", fields.TextField(null=True, unique=False)),
                ("failure_reason", fields.TextField(null=True, unique=False)),
                ("expires_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={"table": "transfer_request", "app": "models", "pk_attr": "id"},
            bases=["Model"],
        ),
        ops.CreateModel(
            name="SlackMessage",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "transfer",
                    fields.ForeignKeyField(
                        "models.TransferRequest",
                        source_field="transfer_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="slack_messages",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("channel", fields.CharField(max_length=64)),
                ("ts", fields.CharField(max_length=32)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "slack_message",
                "app": "models",
                "unique_together": (("channel", "ts"),),
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
    ]
