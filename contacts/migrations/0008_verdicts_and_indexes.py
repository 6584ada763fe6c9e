"""What the contact rules make of a contact's details, stored with them (contacts.state.verdict),
and an index on every foreign key that a lookup follows: a quote's lines, a partner's clients
and users, a contact's assignments and defaults, a user's tokens."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0007_personal_data')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='ApiToken',
            index=Index(fields=['user_id']),
        ),
        ops.AddField(
            model_name='Contact',
            name='missing',
            field=fields.CharField(null=True, description='The ContactFields it lacks, comma-separated', max_length=60),
        ),
        ops.AddField(
            model_name='Contact',
            name='phone_is_mobile',
            field=fields.BooleanField(null=True),
        ),
        ops.AddField(
            model_name='ContactAssignment',
            name='phone_is_mobile',
            field=fields.BooleanField(null=True),
        ),
        ops.AddIndex(
            model_name='ContactAssignment',
            index=Index(fields=['contact_id']),
        ),
        ops.AddIndex(
            model_name='ContactDefault',
            index=Index(fields=['contact_id']),
        ),
        ops.AddIndex(
            model_name='Enterprise',
            index=Index(fields=['partner_id']),
        ),
        ops.AddIndex(
            model_name='QuoteLine',
            index=Index(fields=['quote_id']),
        ),
        ops.AddIndex(
            model_name='QuoteLine',
            index=Index(fields=['product_id']),
        ),
        ops.AddIndex(
            model_name='User',
            index=Index(fields=['partner_id']),
        ),
    ]
