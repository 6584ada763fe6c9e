from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0003_enterprise_data_version')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ContactDefault',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('enterprise', fields.ForeignKeyField('models.Enterprise', source_field='enterprise_id', db_constraint=True, to_field='id', related_name='contact_defaults', on_delete=OnDelete.CASCADE)),
                ('contact', fields.ForeignKeyField('models.Contact', source_field='contact_id', db_constraint=True, to_field='id', related_name='defaults', on_delete=OnDelete.CASCADE)),
                ('position', fields.IntField()),
                ('on_site', fields.BooleanField(default=False)),
                ('delivery', fields.BooleanField(default=False)),
                ('tracking', fields.BooleanField(default=False)),
            ],
            options={'table': 'contact_default', 'app': 'models', 'unique_together': (('enterprise', 'contact'),), 'pk_attr': 'id', 'table_description': "A contact proposed by default on a client's quotes, with its functions"},
            bases=['Model'],
        ),
        ops.AddIndex(
            model_name='Quote',
            index=Index(fields=['client_id', 'status']),
        ),
    ]
