from tortoise import migrations
from tortoise.migrations import operations as ops
from contacts.models import HistoryKind
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0005_one_on_site_one_delivery_default')]

    initial = False

    operations = [
        ops.CreateModel(
            name='QuoteHistoryEntry',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('quote', fields.ForeignKeyField('models.Quote', source_field='quote_id', db_constraint=True, to_field='id', related_name='history', on_delete=OnDelete.CASCADE)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('kind', fields.CharEnumField(description='CONTACT_ADDED: CONTACT_ADDED\nCONTACT_REMOVED: CONTACT_REMOVED\nFUNCTION_TICKED: FUNCTION_TICKED\nFUNCTION_UNTICKED: FUNCTION_UNTICKED\nCONTACT_EDITED: CONTACT_EDITED\nORDER_PLACED: ORDER_PLACED\nCONTACT_ERASED: CONTACT_ERASED', enum_type=HistoryKind, max_length=20)),
                ('actor', fields.CharField(null=True, max_length=200)),
                ('contact_name', fields.CharField(null=True, max_length=201)),
                ('contact_id', fields.IntField(null=True)),
                ('email', fields.CharField(null=True, max_length=254)),
                ('assignment_id', fields.IntField(null=True)),
                ('function', fields.CharField(null=True, max_length=10)),
            ],
            options={'table': 'quote_history', 'app': 'models', 'indexes': [Index(fields=['quote_id', 'id'])], 'pk_attr': 'id', 'table_description': "One change of a quote's contact list, written in the transaction of the change"},
            bases=['Model'],
        ),
    ]
