"""A client's default contacts (`Enterprise.contactDefaults`), replaced as a whole.

`set_contact_defaults` is one change through `run_change`: it locks the contacts named (in id
order), then the client's row (so that two replacements of the same defaults take turns),
checks in the contract's order (visible, else NOT_FOUND; CONTACT_EDIT, else FORBIDDEN; then
the rules of `contacts.suggestion_rules.defaults_problems`, all at once) and stores the new
list, or nothing. The client's drafts get CONTACTS_EDITED (their suggestions changed), their
version unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence

from contacts import db, rules
from contacts.auth import Permission, Viewer
from contacts.changes import Outcome, event, refused, run_change
from contacts.events import EventBus, EventKind
from contacts.models import EnterpriseKind, QuoteStatus
from contacts.rules import Code, Function, Problem
from contacts.state import missing_of
from contacts.suggestion_rules import DefaultEntry, defaults_problems, display_name
from contacts.visibility import lock_contacts, visible_enterprise

DELETE_DEFAULTS = 'DELETE FROM "contact_default" WHERE "enterprise_id" = $1'
INSERT_DEFAULT = ('INSERT INTO "contact_default" ("enterprise_id", "contact_id", "position", "on_site", "delivery", '
                  '"tracking") VALUES ($1, $2, $3, $4, $5, $6)')
CLIENT_DRAFTS = (f'SELECT "id" FROM "quote" WHERE "client_id" = $1 AND "partner_id" = $2 '
                 f'AND "status" = \'{QuoteStatus.DRAFT.value}\' ORDER BY "id"')


async def set_contact_defaults(
    viewer: Viewer, enterprise_id: int | None, defaults: Sequence[tuple[int | None, Sequence[Function]]], *,
    bus: EventBus,
) -> Outcome:
    """Replaces a client's default contacts with `defaults` ((contact id, functions), in the
    order they are to be proposed); an empty list removes them (CONTACT_EDIT)."""

    async def work() -> Outcome:
        contacts = await lock_contacts(viewer, [cid for cid, _ in defaults if cid is not None])
        enterprise = await visible_enterprise(viewer, enterprise_id, lock=True)
        if enterprise is None:
            return refused(Problem(Code.NOT_FOUND, field=("enterprise",)))
        for index, (contact_id, _) in enumerate(defaults):
            if contact_id not in contacts:  # another partner's, or none: one NOT_FOUND, nothing else
                return refused(Problem(Code.NOT_FOUND, field=("defaults", index, "contact")), enterprise_id=enterprise.id)
        if not viewer.can(Permission.CONTACT_EDIT):
            return refused(Problem(Code.FORBIDDEN), enterprise_id=enterprise.id)
        if enterprise.kind != EnterpriseKind.CLIENT:
            return refused(Problem(Code.CONTACT_NOT_ELIGIBLE, field=("enterprise",)), enterprise_id=enterprise.id)
        entries = []
        for contact_id, functions in defaults:
            contact = contacts[contact_id]
            entries.append(DefaultEntry(
                contact_id=contact.id, name=display_name(contact.last_name, contact.first_name), functions=functions,
                eligible=contact.enterprise_id in (enterprise.id, viewer.partner_id),
                missing=tuple(missing_of(contact)),
            ))
        if problems := defaults_problems(entries):
            return refused(*problems, enterprise_id=enterprise.id)
        await db.run(DELETE_DEFAULTS, enterprise.id)
        for position, entry in enumerate(entries):
            ticked = frozenset(entry.functions)
            await db.run(INSERT_DEFAULT, enterprise.id, entry.contact_id, position,
                         *(function in ticked for function in rules.FUNCTIONS))
        drafts = [row[0] for row in await db.run(CLIENT_DRAFTS, enterprise.id, viewer.partner_id)]
        return Outcome(enterprise_id=enterprise.id, enterprises=(enterprise.id,),
                       events=[event(EventKind.CONTACTS_EDITED, q, viewer) for q in drafts])

    return await run_change(work, viewer=viewer, bus=bus, name="setContactDefaults")
