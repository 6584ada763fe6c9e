"""Each enterprise's contacts version (contacts/dependencies.py): what a cached answer that
shows a quote depends on, besides the partner's data version."""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops

from contacts.models import new_data_version


class Migration(migrations.Migration):
    dependencies = [('models', '0008_verdicts_and_indexes')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Enterprise',
            name='contacts_version',
            field=fields.BigIntField(default=new_data_version, db_default=0),
        ),
    ]
