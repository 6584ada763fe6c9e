"""At most one ON_SITE and one DELIVERY contact per quote, held by the database itself.

Partial unique indexes: the same SQL works on PostgreSQL and SQLite.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("models", "0001_initial")]

    operations = [
        ops.RunSQL(
            [
                'CREATE UNIQUE INDEX "uniq_assignment_on_site" ON "contact_assignment" ("quote_id") WHERE "on_site"',
                'CREATE UNIQUE INDEX "uniq_assignment_delivery" ON "contact_assignment" ("quote_id") WHERE "delivery"',
            ],
            reverse_sql=[
                'DROP INDEX "uniq_assignment_on_site"',
                'DROP INDEX "uniq_assignment_delivery"',
            ],
        )
    ]
