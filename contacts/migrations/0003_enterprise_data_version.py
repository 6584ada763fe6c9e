from tortoise import migrations
from tortoise.migrations import operations as ops
from contacts.models import new_data_version
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0002_one_on_site_one_delivery')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Enterprise',
            name='data_version',
            field=fields.BigIntField(default=new_data_version, db_default=0),
        ),
    ]
