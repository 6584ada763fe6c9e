"""At most one ON_SITE and one DELIVERY contact per client's defaults, held by the database
itself, as migration 0002 does for the quotes' lists.

Partial unique indexes: the same SQL works on PostgreSQL and SQLite.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("models", "0004_contact_defaults")]

    operations = [
        ops.RunSQL(
            [
                'CREATE UNIQUE INDEX "uniq_default_on_site" ON "contact_default" ("enterprise_id") WHERE "on_site"',
                'CREATE UNIQUE INDEX "uniq_default_delivery" ON "contact_default" ("enterprise_id") WHERE "delivery"',
            ],
            reverse_sql=[
                'DROP INDEX "uniq_default_on_site"',
                'DROP INDEX "uniq_default_delivery"',
            ],
        )
    ]
