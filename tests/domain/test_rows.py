"""contacts.db.rows_as makes from a row what Tortoise's own `Model._init_from_db` makes, on both
databases: the same attributes with the same values and types, related objects included."""

from __future__ import annotations

from datetime import datetime, timezone

from contacts import db, reads, records
from contacts.models import Contact, ContactAssignment, Enterprise, Quote, QuoteLine
from tests.conftest import reset_demo


def state(instance) -> dict:
    return {k: v for k, v in instance.__dict__.items() if not k.startswith("_") or k in ("_partial", "_saved_in_db")}


def same(ours, theirs) -> None:
    assert type(ours) is type(theirs)
    assert state(ours) == state(theirs)
    assert {k: type(v) for k, v in state(ours).items()} == {k: type(v) for k, v in state(theirs).items()}


async def test_rows_become_the_models_tortoise_makes(backend):
    await reset_demo()
    partner_id = (await Enterprise.filter(kind="PARTNER").first()).id
    for model, sql in (
        (Enterprise, f'SELECT {reads.cols(Enterprise, "e")} FROM "enterprise" e'),
        (Contact, f'SELECT {reads.cols(Contact, "c")} FROM "contact" c'),
        (QuoteLine, f'SELECT {reads.cols(QuoteLine, "l")} FROM "quote_line" l'),
        (ContactAssignment, f'SELECT {reads.cols(ContactAssignment, "a")} FROM "contact_assignment" a'),
    ):
        rows = await db.run(sql)
        assert rows, model
        for ours, row in zip(db.rows_as(model, rows), rows):
            same(ours, model._init_from_db(**row))

    # With related objects: each quote with its client; assignments with their contact or None.
    quote_ids = [q.id for q in await Quote.filter(partner_id=partner_id)]
    for quote in await reads.quotes(quote_ids, partner_id):
        same(quote.client, await Enterprise.get(id=quote.client_id))
    lists = await reads.assignments(quote_ids)
    assert any(a.contact_id is None for rows in lists for a in rows)
    assert any(a.contact_id is not None for rows in lists for a in rows)
    for rows in lists:
        for assignment in rows:
            same(assignment, await ContactAssignment.get(id=assignment.id))
            if assignment.contact_id is None:
                assert assignment.__dict__["_contact"] is None
            else:
                same(assignment.contact, await Contact.get(id=assignment.contact_id))


async def test_record_rows_read_as_the_models_tortoise_makes(backend):
    """contacts.records: on PostgreSQL a contact's row is read in place, each attribute the
    model's own value (and type); a model whose columns need converting (a quote's status, an
    enum) has no such rows; on SQLite neither has (its booleans and moments are converted)."""
    await reset_demo()
    record = records.record_of(Contact)
    if backend.name == "sqlite":
        assert record is None
        return
    assert record is not None and records.record_of(Quote) is None
    # Moments come as microseconds since 1970 and become the datetime asyncpg makes: one at the
    # last microsecond of a second, one before 1970.
    first, second = [c.id for c in await Contact.all().order_by("id").limit(2)]
    await db.run('UPDATE "contact" SET "updated_at" = $1 WHERE "id" = $2',
                 datetime(2026, 3, 29, 1, 59, 59, 999999, tzinfo=timezone.utc), first)
    await db.run('UPDATE "contact" SET "created_at" = $1 WHERE "id" = $2',
                 datetime(1969, 12, 31, 23, 59, 58, 500001, tzinfo=timezone.utc), second)
    rows = await db.run(f'SELECT {records.columns(Contact, "c")} FROM "contact" c', record_class=record)
    moments = {row.id: (row.created_at, row.updated_at) for row in rows}
    assert moments[first][1] == datetime(2026, 3, 29, 1, 59, 59, 999999, tzinfo=timezone.utc)
    assert moments[second][0] == datetime(1969, 12, 31, 23, 59, 58, 500001, tzinfo=timezone.utc)
    assert len(rows) > 3
    fields = list(Contact._meta.fields_db_projection)
    for row in rows:
        model = await Contact.get(id=row.id)
        assert type(row) is record
        assert {name: getattr(row, name) for name in fields} == {name: getattr(model, name) for name in fields}
        assert {name: type(getattr(row, name)) for name in fields} == {name: type(getattr(model, name)) for name in fields}
    # As reads give them to the step-2 screen: every enterprise's contacts, in contact_order.
    enterprise_ids = sorted({row.enterprise_id for row in rows})
    for listed in await reads.enterprise_contacts(enterprise_ids):
        assert listed and all(type(row) is record for row in listed)
        assert listed == sorted(listed, key=reads.contact_order)
