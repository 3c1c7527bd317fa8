from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise import fields
from tortoise.indexes import Index
from tortoise.migrations.constraints import UniqueConstraint


class RemoveInlineUnique(ops.RemoveConstraint):
    """SQLite keeps a unique_together of CREATE TABLE as an autoindex that DROP INDEX cannot
    remove: rebuild the table without it (SQLite's documented way); elsewhere drop it."""

    async def database_forward(self, app_label, old_state, new_state, state_editor=None):
        if state_editor is not None and state_editor.DIALECT == "sqlite":
            model = new_state.apps.get_model(f"{app_label}.{self.model_name}")
            await state_editor._remake_table(model)
            for index in model._meta.indexes:  # the rebuild drops the table's other indexes
                if not isinstance(index, Index):
                    index = Index(fields=tuple(index))
                await state_editor.add_index(model, index)
            return
        await super().database_forward(app_label, old_state, new_state, state_editor)


class Migration(migrations.Migration):
    dependencies = [("models", "0001_initial")]

    initial = False

    operations = [
        ops.CreateModel(
            name="SlackRequestSeen",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                ("digest", fields.CharField(unique=True, max_length=64)),
                (
                    "seen_at",
                    fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False),
                ),
            ],
            options={"table": "slack_request_seen", "app": "models", "pk_attr": "id"},
            bases=["Model"],
        ),
        ops.AddField(
            model_name="Budget",
            name="slack_privacy",
            field=fields.CharField(default="AMOUNTS", max_length=16),
        ),
        ops.AddField(
            model_name="OutboxEvent",
            name="audience",
            field=fields.JSONField(
                null=True, encoder=functools.partial(dumps, separators=(",", ":")), decoder=loads
            ),
        ),
        RemoveInlineUnique(
            model_name="Spend",
            name=None,
            fields=["source", "external_id"],
        ),
        ops.AddConstraint(
            model_name="Spend",
            constraint=UniqueConstraint(fields=("source", "external_id", "project"), name=None),
        ),
        ops.AddField(
            model_name="User",
            name="is_budget_creator",
            field=fields.BooleanField(default=False),
        ),
    ]
