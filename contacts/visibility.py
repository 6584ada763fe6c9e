"""What a viewer may see: its partner's quotes, contacts and enterprises, and nothing else.

Each lookup is one statement scoped to the viewer's partner, so that another partner's row and
a row that does not exist look the same (None). A command locks what it looks up (`lock=True`:
`FOR UPDATE` of that row only, on PostgreSQL) in the order every command takes its locks: the
enterprise contacts (several in id order: `lock_contacts`), then the quote (or, for a client's
default contacts, the client's row), then (last, just before the commit) the partner's data
version.
"""

from __future__ import annotations

from contacts import db
from contacts.auth import Viewer
from contacts.models import Contact, Enterprise, EnterpriseKind, Quote
from contacts.reads import cols, quote_rows, quotes_sql

# An enterprise (alias e) the partner $2 may see: itself, or one of its clients.
OWNED = (f'((e."kind" = \'{EnterpriseKind.CLIENT.value}\' AND e."partner_id" = $2) '
         f'OR (e."kind" = \'{EnterpriseKind.PARTNER.value}\' AND e."id" = $2))')


async def _quote_where(where: str, key: int, viewer: Viewer, lock: bool) -> Quote | None:
    text = quotes_sql(where) + (" FOR UPDATE OF q" if lock else "")
    found = quote_rows(await db.run(text, viewer.partner_id, key))
    return found[0] if found else None


async def visible_quote(viewer: Viewer, quote_id: int | None, *, lock: bool = False) -> Quote | None:
    """The viewer's quote, with its client; locked (the quote's row only) when asked."""
    if quote_id is None:
        return None
    return await _quote_where('q."id" = $2', quote_id, viewer, lock)


async def quote_of_assignment(viewer: Viewer, assignment_id: int | None, *, lock: bool = False) -> Quote | None:
    """The viewer's quote that holds an assignment, with its client: one statement."""
    if assignment_id is None:
        return None
    return await _quote_where('q."id" = (SELECT "quote_id" FROM "contact_assignment" WHERE "id" = $2)',
                              assignment_id, viewer, lock)


async def visible_enterprise(viewer: Viewer, enterprise_id: int | None, *, lock: bool = False) -> Enterprise | None:
    """The viewer's company, or one of its clients; locked (its row only) when asked."""
    if enterprise_id is None:
        return None
    rows = await db.run(f'SELECT {cols(Enterprise, "e")} FROM "enterprise" e WHERE e."id" = $1 AND {OWNED}'
                        + (" FOR UPDATE OF e" if lock else ""),
                        enterprise_id, viewer.partner_id)
    found = db.rows_as(Enterprise, rows)
    return found[0] if found else None


async def visible_contact(viewer: Viewer, contact_id: int | None, *, lock: bool = False) -> Contact | None:
    """A contact of the viewer's company or of one of its clients, with its enterprise;
    locked (the contact's row only) when asked."""
    if contact_id is None:
        return None
    rows = await db.run(
        f'SELECT {cols(Contact, "c")}, {cols(Enterprise, "e", "enterprise.")} FROM "contact" c '
        f'JOIN "enterprise" e ON e."id" = c."enterprise_id" WHERE c."id" = $1 AND {OWNED}'
        + (" FOR UPDATE OF c" if lock else ""),
        contact_id, viewer.partner_id,
    )
    found = db.rows_as(Contact, rows, {"enterprise": Enterprise})
    return found[0] if found else None


async def lock_contacts(viewer: Viewer, contact_ids: list[int]) -> dict[int, Contact]:
    """The contacts among `contact_ids` that the viewer may see, with their enterprises, as
    they are now: locked, in id order (the order in which every change that names several
    contacts locks them, before anything else). One statement."""
    wanted = sorted(set(contact_ids))
    if not wanted:
        return {}
    rows = await db.run(
        f'SELECT {cols(Contact, "c")}, {cols(Enterprise, "e", "enterprise.")} FROM "contact" c '
        f'JOIN "enterprise" e ON e."id" = c."enterprise_id" WHERE {OWNED.replace("$2", "$1")} '
        'AND c."id" IN ({ids}) ORDER BY c."id" FOR UPDATE OF c',
        viewer.partner_id, ids=wanted,
    )
    return {contact.id: contact for contact in db.rows_as(Contact, rows, {"enterprise": Enterprise})}
