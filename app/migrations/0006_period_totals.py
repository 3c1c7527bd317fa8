from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

# Fill the totals from the roll-up they are kept with (app.services.period_totals); 16 is
# app.models.ledger.TOTAL_SHARDS when this migration was written (a migration never changes).
BACKFILL = [
    "INSERT INTO spend_period_day (period_id, day, shard, amount_micros, count)"
    " SELECT period_id, day, allocation_id % 16, SUM(amount_micros), SUM(count)"
    " FROM spend_daily GROUP BY period_id, day, allocation_id % 16",
    "INSERT INTO spend_period_service (period_id, service, shard, amount_micros, count)"
    " SELECT period_id, service, allocation_id % 16, SUM(amount_micros), SUM(count)"
    " FROM spend_daily GROUP BY period_id, service, allocation_id % 16",
]



def _totals_trigger(sign: str, row: str) -> str:
    """SQL of one trigger body's upserts: `row` (NEW or OLD) added with `sign`."""
    out = []
    for table, key in (("spend_period_day", "day"), ("spend_period_service", "service")):
        out.append(
            f"INSERT INTO {table} (period_id, {key}, shard, amount_micros, count)"
            f" VALUES ({row}.period_id, {row}.{key}, {row}.allocation_id % 16,"
            f" {sign}{row}.amount_micros, {sign}{row}.count)"
            f" ON CONFLICT (period_id, {key}, shard) DO UPDATE SET"
            " amount_micros = amount_micros + excluded.amount_micros,"
            " count = count + excluded.count;"
        )
    return " ".join(out)


# SQLite: the roll-up's triggers keep the totals (one writer at a time, so no lock order to
# keep, and a spend stays at five statements). PostgreSQL: the writers add them explicitly, in
# the lock order app.services.period_totals describes, so it gets no triggers.
SQLITE_TRIGGERS = f"""
CREATE TRIGGER spend_daily_totals_insert AFTER INSERT ON spend_daily BEGIN
  {_totals_trigger("", "NEW")}
END;
CREATE TRIGGER spend_daily_totals_update AFTER UPDATE ON spend_daily BEGIN
  {_totals_trigger("-", "OLD")}
  {_totals_trigger("", "NEW")}
END;
CREATE TRIGGER spend_daily_totals_delete AFTER DELETE ON spend_daily BEGIN
  {_totals_trigger("-", "OLD")}
END;
"""
SQLITE_DROP = """
DROP TRIGGER IF EXISTS spend_daily_totals_insert;
DROP TRIGGER IF EXISTS spend_daily_totals_update;
DROP TRIGGER IF EXISTS spend_daily_totals_delete;
"""


async def _sqlite_triggers(apps, editor) -> None:
    if editor.client.capabilities.dialect == "sqlite":
        await editor.client.execute_script(SQLITE_TRIGGERS)


async def _drop_sqlite_triggers(apps, editor) -> None:
    if editor.client.capabilities.dialect == "sqlite":
        await editor.client.execute_script(SQLITE_DROP)


class Migration(migrations.Migration):
    dependencies = [('models', '0005_slack_threads_daily_indexes')]

    initial = False

    operations = [
        ops.CreateModel(
            name='SpendPeriodDay',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('period', fields.ForeignKeyField('models.BudgetPeriod', source_field='period_id', db_constraint=True, to_field='id', related_name='day_totals', on_delete=OnDelete.CASCADE)),
                ('day', fields.DateField()),
                ('shard', fields.SmallIntField()),
                ('amount_micros', fields.BigIntField(default=0)),
                ('count', fields.IntField(default=0)),
            ],
            options={'table': 'spend_period_day', 'app': 'models', 'unique_together': (('period', 'day', 'shard'),), 'pk_attr': 'id', 'table_description': "A budget period's spend per local day, in TOTAL_SHARDS rows by allocation id, kept on write with spend_daily."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SpendPeriodService',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('period', fields.ForeignKeyField('models.BudgetPeriod', source_field='period_id', db_constraint=True, to_field='id', related_name='service_totals', on_delete=OnDelete.CASCADE)),
                ('service', fields.CharField(default='', max_length=200)),
                ('shard', fields.SmallIntField()),
                ('amount_micros', fields.BigIntField(default=0)),
                ('count', fields.IntField(default=0)),
            ],
            options={'table': 'spend_period_service', 'app': 'models', 'unique_together': (('period', 'service', 'shard'),), 'pk_attr': 'id', 'table_description': "A budget period's spend per service, in TOTAL_SHARDS rows by allocation id, kept on write with spend_daily."},
            bases=['Model'],
        ),
        ops.RunSQL(BACKFILL, reverse_sql=[]),
        ops.RunPython(_sqlite_triggers, _drop_sqlite_triggers),
    ]
