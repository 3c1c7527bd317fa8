from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0003_calendars_alerts_delivery')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Allocation',
            name='released_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Budget',
            name='archived_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Project',
            name='archived_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Spend',
            name='correction_kind',
            field=fields.CharField(null=True, max_length=16),
        ),
        ops.AddField(
            model_name='Spend',
            name='correction_reason',
            field=fields.TextField(null=True, unique=False),
        ),
        ops.AddField(
            model_name='Spend',
            name='corrects_id',
            field=fields.BigIntField(null=True),
        ),
        ops.AddField(
            model_name='Spend',
            name='reversed_micros',
            field=fields.BigIntField(default=0, db_default=0),
        ),
        ops.AddField(
            model_name='Spend',
            name='void_reason',
            field=fields.TextField(null=True, unique=False),
        ),
        ops.AddField(
            model_name='Spend',
            name='voided_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Spend',
            name='voided_by',
            field=fields.ForeignKeyField('models.User', source_field='voided_by_id', null=True, db_constraint=True, to_field='id', related_name='voided_spends', on_delete=OnDelete.SET_NULL),
        ),
        ops.AddIndex(
            model_name='Spend',
            index=Index(fields=['corrects_id']),
        ),
        ops.AddField(
            model_name='User',
            name='password_hash',
            field=fields.CharField(null=True, max_length=255),
        ),
    ]
