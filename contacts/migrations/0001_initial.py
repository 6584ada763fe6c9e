from tortoise import migrations
from tortoise.migrations import operations as ops
from contacts.models import ContactSource, EnterpriseKind, QuoteStatus
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='Enterprise',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(max_length=200)),
                ('search_name', fields.CharField(db_index=True, max_length=200)),
                ('kind', fields.CharEnumField(description='PARTNER or CLIENT', enum_type=EnterpriseKind, max_length=10)),
                ('partner', fields.ForeignKeyField('models.Enterprise', source_field='partner_id', null=True, db_constraint=True, to_field='id', related_name='clients', on_delete=OnDelete.RESTRICT)),
            ],
            options={'table': 'enterprise', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A partner (a reseller, whose users sign in) or a client of a partner.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Contact',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('enterprise', fields.ForeignKeyField('models.Enterprise', source_field='enterprise_id', db_constraint=True, to_field='id', related_name='contacts', on_delete=OnDelete.RESTRICT)),
                ('last_name', fields.CharField(max_length=100)),
                ('first_name', fields.CharField(null=True, max_length=100)),
                ('email', fields.CharField(null=True, max_length=254)),
                ('phone', fields.CharField(null=True, max_length=40)),
                ('role', fields.CharField(null=True, max_length=100)),
                ('search_text', fields.CharField(max_length=500)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'contact', 'app': 'models', 'indexes': [Index(fields=['enterprise_id', 'last_name'])], 'pk_attr': 'id', 'table_description': 'A permanent contact of an enterprise (the list of the enterprise module).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Product',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('code', fields.CharField(unique=True, max_length=50)),
                ('name', fields.CharField(max_length=200)),
                ('requires_on_site_contact', fields.BooleanField(default=False)),
                ('requires_delivery_contact', fields.BooleanField(default=False)),
            ],
            options={'table': 'product', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A product of the catalogue, and which contacts its order needs.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Quote',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('reference', fields.CharField(unique=True, max_length=50)),
                ('partner', fields.ForeignKeyField('models.Enterprise', source_field='partner_id', db_constraint=True, to_field='id', related_name='quotes', on_delete=OnDelete.RESTRICT)),
                ('client', fields.ForeignKeyField('models.Enterprise', source_field='client_id', db_constraint=True, to_field='id', related_name='client_quotes', on_delete=OnDelete.RESTRICT)),
                ('status', fields.CharEnumField(default=QuoteStatus.DRAFT, description='DRAFT or ORDERED', enum_type=QuoteStatus, max_length=10)),
                ('version', fields.IntField(default=1)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('ordered_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'quote', 'app': 'models', 'indexes': [Index(fields=['partner_id', 'status'])], 'pk_attr': 'id', 'table_description': 'A quote of a partner for one of its clients, ORDERED once the order is placed.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ContactAssignment',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('quote', fields.ForeignKeyField('models.Quote', source_field='quote_id', db_constraint=True, to_field='id', related_name='assignments', on_delete=OnDelete.CASCADE)),
                ('contact', fields.ForeignKeyField('models.Contact', source_field='contact_id', null=True, db_constraint=True, to_field='id', related_name='assignments', on_delete=OnDelete.RESTRICT)),
                ('source', fields.CharEnumField(description='CLIENT, PARTNER or ADHOC', enum_type=ContactSource, max_length=10)),
                ('on_site', fields.BooleanField(default=False)),
                ('delivery', fields.BooleanField(default=False)),
                ('tracking', fields.BooleanField(default=False)),
                ('last_name', fields.CharField(null=True, max_length=100)),
                ('first_name', fields.CharField(null=True, max_length=100)),
                ('email', fields.CharField(null=True, max_length=254)),
                ('phone', fields.CharField(null=True, max_length=40)),
                ('role', fields.CharField(null=True, max_length=100)),
                ('added_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'contact_assignment', 'app': 'models', 'unique_together': (('quote', 'contact'),), 'pk_attr': 'id', 'table_description': 'A contact on the contact list of a quote, with its three functions.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='QuoteLine',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('quote', fields.ForeignKeyField('models.Quote', source_field='quote_id', db_constraint=True, to_field='id', related_name='lines', on_delete=OnDelete.CASCADE)),
                ('product', fields.ForeignKeyField('models.Product', source_field='product_id', db_constraint=True, to_field='id', related_name='lines', on_delete=OnDelete.RESTRICT)),
                ('quantity', fields.IntField(default=1)),
            ],
            options={'table': 'quote_line', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A product line of a quote.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='User',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('username', fields.CharField(unique=True, max_length=100)),
                ('name', fields.CharField(max_length=200)),
                ('email', fields.CharField(max_length=254)),
                ('partner', fields.ForeignKeyField('models.Enterprise', source_field='partner_id', db_constraint=True, to_field='id', related_name='users', on_delete=OnDelete.RESTRICT)),
                ('can_edit_quotes', fields.BooleanField(default=False)),
                ('can_edit_contacts', fields.BooleanField(default=False)),
            ],
            options={'table': 'app_user', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A user of a partner, who signs in with a bearer token.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ApiToken',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='tokens', on_delete=OnDelete.CASCADE)),
                ('token_hash', fields.CharField(unique=True, max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'api_token', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A bearer token, of which only the SHA-256 is stored.'},
            bases=['Model'],
        ),
    ]
