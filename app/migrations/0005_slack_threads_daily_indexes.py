from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0004_corrections_archives_passwords')]

    initial = False

    operations = [
        ops.CreateModel(
            name='SlackThread',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('key', fields.CharField(max_length=64)),
                ('channel', fields.CharField(max_length=64)),
                ('ts', fields.CharField(max_length=32)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'slack_thread', 'app': 'models', 'unique_together': (('key', 'channel'),), 'pk_attr': 'id', 'table_description': 'The first alert message of one envelope (or of a budget period) in one Slack channel.'},
            bases=['Model'],
        ),
        ops.AddIndex(
            model_name='SpendDaily',
            index=Index(fields=['period_id', 'day']),
        ),
        ops.AddIndex(
            model_name='SpendDaily',
            index=Index(fields=['period_id', 'service']),
        ),
    ]
