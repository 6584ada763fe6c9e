"""Personal data (additions/privacy): an erased assignment and history entry are marked, and the
orders past the retention period are found by status and order date."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0006_quote_history')]

    initial = False

    operations = [
        ops.AddField(
            model_name='ContactAssignment',
            name='erased',
            field=fields.BooleanField(default=False, db_default=False),
        ),
        ops.AddIndex(
            model_name='Quote',
            index=Index(fields=['status', 'ordered_at']),
        ),
        ops.AddField(
            model_name='QuoteHistoryEntry',
            name='erased',
            field=fields.BooleanField(default=False, db_default=False),
        ),
    ]
