"""The enterprise module's contacts: creating and editing them, and telling the drafts that
show them (CONTACTS_EDITED). An edit of a contact that draft quotes hold raises those quotes'
version; an ordered quote keeps the details it froze."""

from __future__ import annotations

from tortoise.timezone import now

from contacts import db, history, rules
from contacts.auth import Permission, Viewer
from contacts.changes import Outcome, event, refused, run_change
from contacts.events import EventBus, EventKind
from contacts.models import Enterprise, EnterpriseKind, HistoryKind, QuoteStatus
from contacts.rules import Code, Problem
from contacts.state import DETAIL_FIELDS, verdict
from contacts.text import search_key
from contacts.visibility import visible_contact, visible_enterprise

DRAFTS_HOLDING = (
    'SELECT DISTINCT a."quote_id" FROM "contact_assignment" a JOIN "quote" q ON q."id" = a."quote_id" '
    f'WHERE a."contact_id" = $1 AND q."status" = \'{QuoteStatus.DRAFT.value}\''
)
DRAFTS_LISTING = f'SELECT "id" FROM "quote" WHERE "status" = \'{QuoteStatus.DRAFT.value}\' AND "partner_id" = $1'
INSERT_CONTACT = (
    'INSERT INTO "contact" ("enterprise_id", "last_name", "first_name", "email", "phone", "role", "search_text", '
    '"created_at", "updated_at", "missing", "phone_is_mobile") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9, $10) '
    'RETURNING "id"'
)
LOCK_DRAFTS = (f'SELECT "id" FROM "quote" WHERE "id" IN ({{ids}}) AND "status" = \'{QuoteStatus.DRAFT.value}\' '
               'ORDER BY "id" FOR UPDATE')
STILL_HOLDING = 'SELECT "quote_id", "id" FROM "contact_assignment" WHERE "contact_id" = $1 AND "quote_id" IN ({ids})'
RAISE_VERSIONS = 'UPDATE "quote" SET "version" = "version" + 1, "updated_at" = $1 WHERE "id" IN ({ids})'


async def drafts_showing(enterprise: Enterprise, contact_id: int) -> tuple[list[int], list[int]]:
    """Draft quotes where the contact is assigned, and those whose drop-downs list it."""
    assigned = {row[0] for row in await db.run(DRAFTS_HOLDING, contact_id)}
    if enterprise.kind == EnterpriseKind.CLIENT:
        listing = await db.run(DRAFTS_LISTING + ' AND "client_id" = $2', enterprise.owner_id, enterprise.id)
    else:
        listing = await db.run(DRAFTS_LISTING, enterprise.owner_id)
    return sorted(assigned), sorted({row[0] for row in listing} - assigned)


def _search(details: dict) -> str:
    return search_key(details.get("last_name"), details.get("first_name"), details.get("email"))


def _told(viewer: Viewer, quote_ids: list[int]) -> list:
    return [event(EventKind.CONTACTS_EDITED, q, viewer) for q in quote_ids]


async def create_contact(viewer: Viewer, enterprise_id: int | None, details: dict, *, bus: EventBus) -> Outcome:
    """A permanent contact of the viewer's company or of one of its clients (CONTACT_EDIT)."""

    async def work() -> Outcome:
        enterprise = await visible_enterprise(viewer, enterprise_id)
        if enterprise is None:
            return refused(Problem(Code.NOT_FOUND, field=("enterprise",)))
        if not viewer.can(Permission.CONTACT_EDIT):
            return refused(Problem(Code.FORBIDDEN))
        cleaned, problems = rules.clean_contact_fields(details, required=("last_name",))
        if problems:
            return refused(*problems)
        values = {name: cleaned.get(name) for name in DETAIL_FIELDS}
        ((contact_id,),) = await db.run(INSERT_CONTACT, enterprise.id, *values.values(), _search(cleaned), now(),
                                        *verdict(values).values())
        _, listing = await drafts_showing(enterprise, contact_id)
        return Outcome(contact_id=contact_id, enterprises=(enterprise.id,), events=_told(viewer, listing))

    return await run_change(work, viewer=viewer, bus=bus, name="createContact")


async def update_contact(viewer: Viewer, contact_id: int | None, details: dict, *, bus: EventBus) -> Outcome:
    """Completes or corrects a contact (CONTACT_EDIT): a field left out (rules.UNSET) stays."""

    async def work() -> Outcome:
        # Locks the contact, then the draft quotes it is on in id order (the order of every
        # change), so that it takes turns with their changes and with placeOrder's freeze.
        contact = await visible_contact(viewer, contact_id, lock=True)
        if contact is None:
            return refused(Problem(Code.NOT_FOUND, field=("contact",)))
        if not viewer.can(Permission.CONTACT_EDIT):
            return refused(Problem(Code.FORBIDDEN), contact_id=contact.id)
        given = {name: value for name, value in details.items() if value is not rules.UNSET}
        cleaned, problems = rules.clean_contact_fields(
            given, required=[name for name in rules.REQUIRED_FOR_QUOTE if name in given]
        )
        if problems:
            return refused(*problems, contact_id=contact.id)
        if not cleaned:
            return Outcome(contact_id=contact.id, enterprises=(contact.enterprise_id,))
        current = {name: getattr(contact, name) for name in DETAIL_FIELDS}
        merged = {**current, **cleaned}
        names = [name for name in DETAIL_FIELDS if name in cleaned]  # column names from a fixed list
        assignments = ", ".join(f'"{name}" = ${i}' for i, name in enumerate(names, start=2))
        last = len(names) + 2
        await db.run(
            f'UPDATE "contact" SET {assignments}, "search_text" = ${last}, "updated_at" = ${last + 1}, '
            f'"missing" = ${last + 2}, "phone_is_mobile" = ${last + 3} WHERE "id" = $1',
            contact.id, *(cleaned[name] for name in names), _search(merged), now(), *verdict(merged).values(),
        )
        assigned, listing = await drafts_showing(contact.enterprise, contact.id)
        entries = []
        if assigned:
            locked = [row[0] for row in await db.run(LOCK_DRAFTS, ids=assigned)]
            # Read again under the locks: still drafts, and the contact still on them.
            showing = [tuple(row) for row in await db.run(STILL_HOLDING, contact.id, ids=locked)] if locked else []
            if showing:
                await db.run(RAISE_VERSIONS, now(), ids=sorted({quote_id for quote_id, _ in showing}))
            if merged != current:  # an edit that leaves every field as it was writes no entry
                email = (merged.get("email") or "").strip().lower() or None
                entries = [history.Change(quote_id, HistoryKind.CONTACT_EDITED, assignment_id, None,
                                          history.name_of(merged), contact.id, email)
                           for quote_id, assignment_id in sorted(showing)]
        # The contact's enterprise: the client whose quotes alone may show it, or the partner,
        # whose contacts every answer about a quote depends on.
        return Outcome(contact_id=contact.id, enterprises=(contact.enterprise_id,),
                       events=_told(viewer, assigned + listing), history=entries)

    return await run_change(work, viewer=viewer, bus=bus, name="updateContact")
