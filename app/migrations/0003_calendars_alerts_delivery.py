from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index


class Migration(migrations.Migration):
    dependencies = [("models", "0002_trust")]

    initial = False

    operations = [
        ops.CreateModel(
            name="AlertEvent",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                (
                    "alert",
                    fields.ForeignKeyField(
                        "models.Alert",
                        source_field="alert_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="history",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("action", fields.CharField(max_length=16)),
                ("user_id", fields.IntField(null=True)),
                ("note", fields.TextField(null=True, unique=False)),
                (
                    "figures",
                    fields.JSONField(
                        null=True,
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                ("at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "alert_event",
                "app": "models",
                "pk_attr": "id",
                "table_description": "One step of an alert's history: RAISED, ESCALATED, ACKNOWLEDGED, RESOLVED.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="AlertRule",
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
                        related_name="alert_rules",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("scope", fields.CharField(max_length=16)),
                (
                    "project",
                    fields.ForeignKeyField(
                        "models.Project",
                        source_field="project_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="alert_rules",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("percent_used", fields.IntField(null=True)),
                ("remaining_micros", fields.BigIntField(null=True)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "alert_rule",
                "app": "models",
                "pk_attr": "id",
                "table_description": "One threshold: percent used or amount remaining, of the whole budget (scope BUDGET) or",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="AlertSubscription",
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
                        related_name="alert_subscriptions",
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
                        related_name="alert_subscriptions",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "kinds",
                    fields.JSONField(
                        default=list,
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                (
                    "scopes",
                    fields.JSONField(
                        default=list,
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                (
                    "channels",
                    fields.JSONField(
                        default=list,
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                ("slack_channel", fields.CharField(null=True, max_length=100)),
                ("frequency", fields.CharField(default="IMMEDIATE", max_length=12)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("updated_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "alert_subscription",
                "app": "models",
                "pk_attr": "id",
                "table_description": "A person's choice: which alert kinds and scopes, of which budget (null: every budget",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Delivery",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                (
                    "event",
                    fields.ForeignKeyField(
                        "models.OutboxEvent",
                        source_field="event_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="deliveries",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("channel", fields.CharField(max_length=16)),
                ("target", fields.CharField(max_length=320)),
                ("user_id", fields.IntField(null=True)),
                ("state", fields.CharField(default="PENDING", max_length=12)),
                ("attempts", fields.IntField(default=0)),
                ("uncertain", fields.BooleanField(default=False)),
                ("next_attempt_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("last_error", fields.TextField(null=True, unique=False)),
                ("dead_reason", fields.TextField(null=True, unique=False)),
                ("receipt", fields.CharField(null=True, max_length=200)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                (
                    "delivered_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
            ],
            options={
                "table": "delivery",
                "app": "models",
                "unique_together": (("event", "channel", "target"),),
                "indexes": [Index(fields=["state", "next_attempt_at"])],
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="DigestItem",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                ("user_id", fields.IntField()),
                ("channel", fields.CharField(max_length=16)),
                ("frequency", fields.CharField(max_length=12)),
                (
                    "alert",
                    fields.ForeignKeyField(
                        "models.Alert",
                        source_field="alert_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="digest_items",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("event_id", fields.BigIntField()),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("batched_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "digest_item",
                "app": "models",
                "unique_together": (("user_id", "channel", "event_id"),),
                "pk_attr": "id",
                "table_description": "An alert waiting for its person's digest on one channel (batched_at: when it was sent).",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Webhook",
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
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="webhooks",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "user",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="user_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="webhooks",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("url", fields.CharField(max_length=2000)),
                (
                    "kinds",
                    fields.JSONField(
                        default=list,
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                ("secret", fields.CharField(max_length=128)),
                ("previous_secret", fields.CharField(null=True, max_length=128)),
                (
                    "previous_secret_expires_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                ("created_by_id", fields.IntField(null=True)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                (
                    "disabled_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
            ],
            options={
                "table": "webhook",
                "app": "models",
                "pk_attr": "id",
                "table_description": "An HTTPS endpoint that receives events as signed JSON (docs/webhooks.md): of one budget",
            },
            bases=["Model"],
        ),
        ops.AlterField(
            model_name="Alert",
            name="kind",
            field=fields.CharField(max_length=32),
        ),
        ops.AlterField(
            model_name="Alert",
            name="threshold",
            field=fields.IntField(null=True),
        ),
        ops.AddField(
            model_name="Alert",
            name="allocated_micros",
            field=fields.BigIntField(null=True),
        ),
        ops.AddField(
            model_name="Alert",
            name="crossed",
            field=fields.JSONField(
                default=list,
                db_default="[]",
                encoder=functools.partial(dumps, separators=(",", ":")),
                decoder=loads,
            ),
        ),
        ops.AddField(
            model_name="Alert",
            name="exhaustion_date",
            field=fields.DateField(null=True),
        ),
        ops.AddField(
            model_name="Alert",
            name="note",
            field=fields.TextField(null=True, unique=False),
        ),
        ops.AddField(
            model_name="Alert",
            name="projected_micros",
            field=fields.BigIntField(null=True),
        ),
        ops.AddField(
            model_name="Alert",
            name="remaining_threshold_micros",
            field=fields.BigIntField(null=True),
        ),
        ops.AddField(
            model_name="Alert",
            name="resolved_at",
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name="Alert",
            name="resolved_reason",
            field=fields.CharField(null=True, max_length=200),
        ),
        ops.AddField(
            model_name="Alert",
            name="scope",
            field=fields.CharField(default="ALLOCATION", db_default="ALLOCATION", max_length=16),
        ),
        ops.AddField(
            model_name="Alert",
            name="spent_micros",
            field=fields.BigIntField(null=True),
        ),
        ops.AddField(
            model_name="Alert",
            name="state",
            field=fields.CharField(default="OPEN", db_default="OPEN", max_length=16),
        ),
        ops.AddIndex(model_name="Alert", index=Index(fields=("state",))),
        ops.AddField(
            model_name="Alert",
            name="transfer_id",
            field=fields.IntField(null=True),
        ),
        ops.AddField(
            model_name="Alert",
            name="updated_at",
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name="Budget",
            name="fiscal_year_start_month",
            field=fields.SmallIntField(default=1, db_default=1),
        ),
        ops.AddField(
            model_name="Budget",
            name="prorate_first_period",
            field=fields.BooleanField(default=False, db_default=False),
        ),
        ops.AddField(
            model_name="Budget",
            name="reset_day",
            field=fields.SmallIntField(default=1, db_default=1),
        ),
        ops.AddField(
            model_name="Budget",
            name="week_start",
            field=fields.CharField(default="MONDAY", db_default="MONDAY", max_length=9),
        ),
        ops.AlterModelOptions(
            name="OutboxEvent",
            options={
                "table": "outbox_event",
                "app": "models",
                "pk_attr": "id",
                "table_description": "The event log, written in the change's transaction (services insert `kind, budget_id,",
            },
        ),
        ops.AddField(
            model_name="Spend",
            name="amount_text",
            field=fields.CharField(null=True, max_length=64),
        ),
        ops.AddField(
            model_name="Spend",
            name="metadata",
            field=fields.JSONField(
                null=True, encoder=functools.partial(dumps, separators=(",", ":")), decoder=loads
            ),
        ),
        ops.AddField(
            model_name="Spend",
            name="tags",
            field=fields.JSONField(
                null=True, encoder=functools.partial(dumps, separators=(",", ":")), decoder=loads
            ),
        ),
        ops.AddField(
            model_name="UnassignedSpend",
            name="reason",
            field=fields.CharField(null=True, max_length=500),
        ),
    ]
