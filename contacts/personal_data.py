"""Personal data (additions/privacy, "Personal data"): a person's right of access and right to
erasure, for what a partner holds about them.

An email names the person: matched without its surrounding spaces and ignoring case
(`rules.email_key`), against the partner's enterprise contacts (its own and its clients') and
every contact on its quotes, drafts and orders, enterprise and ad-hoc alike. Nothing of another
partner's is read. Both need CONTACT_EDIT (FORBIDDEN first), then a valid email (INVALID_EMAIL).
The statements find the rows by a LIKE pattern (`like`) that lets through every case of the
email on both databases (SQLite's LOWER folds ASCII letters only); `same_email` keeps those
that are the email.

- `report` (personalData): the enterprise contacts and the assignments that carry the email;
  two statements whatever their number.
- `erase_personal_data` (erasePersonalData): one change through `run_change`. It locks, in the
  order every change takes its locks, the enterprise contacts with that email (id order), then
  the quotes that hold the person (id order), and run_change raises the partner's data version
  last. Under those locks it reads what the quotes hold now (a change that got there first is
  seen; one that comes after waits, then sees the erased state) and, in the same transaction:
  forgets the person in the history of the partner's quotes; removes their assignments from the
  drafts (CONTACT_REMOVED: an entry each, an event per draft); erases their frozen copies on the
  orders in place (`ERASE`: CONTACT_ERASED entries, a CONTACTS_EDITED event per order); takes
  their enterprise contacts out of the clients' defaults and deletes them (CONTACTS_EDITED to the
  drafts whose lists offered them, their version as it was). Every quote touched gets a new
  version once.

The retention period's purge erases orders' copies the same way (`contacts.retention`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from tortoise.timezone import now

from contacts import db, history, rules
from contacts.auth import Permission, Viewer
from contacts.changes import Outcome, event, refused, run_change
from contacts.events import EventBus, EventKind
from contacts.models import Contact, ContactAssignment, Enterprise, EnterpriseKind, HistoryKind, QuoteStatus
from contacts.reads import cols
from contacts.rules import Code, Problem
from contacts.visibility import OWNED

# The partner's ($1) enterprise contacts (alias c, with their enterprise e) whose email is like $2.
CONTACTS_WITH = ('SELECT {c}, {e} FROM "contact" c JOIN "enterprise" e ON e."id" = c."enterprise_id" '
                 f'WHERE {OWNED.replace("$2", "$1")} AND LOWER(TRIM(c."email")) LIKE $2 ESCAPE \'\\\' ORDER BY c."id"')
# The report's assignments: on the partner's quotes, not erased, whose own details (ad-hoc, or
# frozen at ordering) or enterprise contact carry the email.
REPORTED = ('SELECT {a}, {c} FROM "contact_assignment" a JOIN "quote" q ON q."id" = a."quote_id" '
            'LEFT JOIN "contact" c ON c."id" = a."contact_id" WHERE q."partner_id" = $1 AND NOT a."erased" '
            'AND (LOWER(TRIM(a."email")) LIKE $2 ESCAPE \'\\\' OR LOWER(TRIM(c."email")) LIKE $2 ESCAPE \'\\\') '
            'ORDER BY a."quote_id", a."id"')
# The erasure's assignments: those that carry the email, and those of the contacts deleted ({ids}).
_HOLDING = 'NOT a."erased" AND (LOWER(TRIM(a."email")) LIKE $2 ESCAPE \'\\\'{contacts})'
LOCK_QUOTES = ('SELECT q."id", q."status" FROM "quote" q WHERE q."partner_id" = $1 AND q."id" IN '
               f'(SELECT a."quote_id" FROM "contact_assignment" a WHERE {_HOLDING}) ORDER BY q."id" FOR UPDATE OF q')
HELD = ('SELECT {a} FROM "contact_assignment" a JOIN "quote" q ON q."id" = a."quote_id" '
        f'WHERE q."partner_id" = $1 AND {_HOLDING} ORDER BY a."id"')

DELETE_ASSIGNMENTS = 'DELETE FROM "contact_assignment" WHERE "id" IN ({ids})'
# What an order keeps of an erased person: its functions; the name shown is a placeholder.
ERASE = ('UPDATE "contact_assignment" SET "erased" = TRUE, "contact_id" = NULL, "last_name" = \'\', '
         '"first_name" = NULL, "email" = \'\', "phone" = \'\', "role" = \'\', "phone_is_mobile" = NULL WHERE "id" IN ({ids})')
RAISE_VERSIONS = 'UPDATE "quote" SET "version" = "version" + 1, "updated_at" = $1 WHERE "id" IN ({ids})'
DELETE_DEFAULTS = 'DELETE FROM "contact_default" WHERE "contact_id" IN ({ids})'
DELETE_CONTACTS = 'DELETE FROM "contact" WHERE "id" IN ({ids})'
DRAFTS = f'SELECT "id" FROM "quote" WHERE "partner_id" = $1 AND "status" = \'{QuoteStatus.DRAFT.value}\''


def checked(viewer: Viewer, email: str | None) -> tuple[str | None, Problem | None]:
    """The email's key, or why nothing is read or erased: FORBIDDEN (CONTACT_EDIT), then
    INVALID_EMAIL (on the email)."""
    if not viewer.can(Permission.CONTACT_EDIT):
        return None, Problem(Code.FORBIDDEN)
    key = rules.email_key(email)
    if key is None:
        return None, Problem(Code.INVALID_EMAIL, field=("email",))
    return key, None


def like(key: str) -> str:
    """The LIKE pattern (escape character `\\`) of an email's key: its ASCII characters as they are
    (LOWER folds those on both databases), any other one as `_`, any one character (SQLite's
    LOWER leaves them as they are). Every stored email that is the key matches it."""
    return "".join("\\" + c if c in "\\%_" else c if c.isascii() else "_" for c in key)


def same_email(stored: str | None, key: str) -> bool:
    """Whether a stored email is the person's: trimmed and in lower case, the key."""
    return bool(stored) and stored.strip().lower() == key


def _holding(contact_ids: Sequence[int]) -> str:
    return ' OR a."contact_id" IN ({ids})' if contact_ids else ""


# --- The right of access -----------------------------------------------------------------------


@dataclass
class Report:
    """What the partner holds about an email: its enterprise contacts, and the assignments that
    carry it (each with its enterprise contact), by quote, in the order they were added."""

    email: str
    contacts: list[Contact]
    assignments: list[ContactAssignment]


async def report(viewer: Viewer, email: str) -> Report:
    """The report of a checked email's key (see `checked`): two statements."""
    contacts = await db.run(CONTACTS_WITH.format(c=cols(Contact, "c"), e=cols(Enterprise, "e", "enterprise.")),
                            viewer.partner_id, like(email))
    assignments = await db.run(REPORTED.format(a=cols(ContactAssignment, "a"), c=cols(Contact, "c", "contact.")),
                               viewer.partner_id, like(email))
    return Report(
        email,
        [c for c in db.rows_as(Contact, contacts, {"enterprise": Enterprise}) if same_email(c.email, email)],
        [a for a in db.rows_as(ContactAssignment, assignments, {"contact": Contact})
         if same_email(a.email, email) or (a.contact is not None and same_email(a.contact.email, email))],
    )


# --- The right to erasure ----------------------------------------------------------------------


@dataclass
class Erasure:
    """What an erasure did: the enterprise contacts deleted, the assignments removed from drafts
    and erased on orders, and the quotes whose contact list changed (in id order)."""

    contacts: int = 0
    assignments: int = 0
    quote_ids: list[int] = field(default_factory=list)


async def erase_in_place(assignment_ids: Sequence[int], quote_ids: Sequence[int]) -> None:
    """Erases orders' copies of a person (their quotes locked), and gives each quote a new version."""
    await db.run_each(ERASE, ids=assignment_ids)
    await db.run_each(RAISE_VERSIONS, now(), ids=quote_ids)


async def _drafts_offering(partner_id: int, contacts: Sequence[Contact]) -> list[int]:
    """The partner's drafts whose drop-down lists (and suggestions) offer one of the contacts."""
    if not contacts:
        return []
    if any(c.enterprise.kind == EnterpriseKind.PARTNER for c in contacts):
        rows = await db.run(DRAFTS, partner_id)
    else:
        rows = await db.run(DRAFTS + ' AND "client_id" IN ({ids})', partner_id,
                            ids=sorted({c.enterprise_id for c in contacts}))
    return [row[0] for row in rows]


async def erase_personal_data(viewer: Viewer, email: str | None, *, bus: EventBus) -> Outcome:
    """Erases everything the viewer's company holds about the person with this email, in one
    change (CONTACT_EDIT); an email found nowhere erases nothing and is not an error."""

    async def work() -> Outcome:
        key, problem = checked(viewer, email)
        if problem is not None:
            return refused(problem)
        partner, pattern = viewer.partner_id, like(key)
        locked = db.rows_as(Contact, await db.run(
            CONTACTS_WITH.format(c=cols(Contact, "c"), e=cols(Enterprise, "e", "enterprise.")) + " FOR UPDATE OF c",
            partner, pattern), {"enterprise": Enterprise})
        contacts = [c for c in locked if same_email(c.email, key)]
        contact_ids = [c.id for c in contacts]
        holding = _holding(contact_ids)
        status = {row[0]: row[1] for row in await db.run(LOCK_QUOTES.format(contacts=holding), partner, pattern,
                                                         ids=contact_ids)}
        # Read again under the locks: what these quotes hold now (a quote the person has left
        # meanwhile is not touched; one they were added to since is a change after this one).
        rows = await db.run(HELD.format(a=cols(ContactAssignment, "a"), contacts=holding), partner, pattern,
                            ids=contact_ids)
        held = [a for a in db.rows_as(ContactAssignment, rows)
                if a.quote_id in status and (same_email(a.email, key) or a.contact_id in contact_ids)]
        by_quote: dict[int, list[int]] = defaultdict(list)
        for assignment in held:
            by_quote[assignment.quote_id].append(assignment.id)
        touched = sorted(by_quote)
        drafts = [q for q in touched if status[q] == QuoteStatus.DRAFT.value]
        orders = [q for q in touched if status[q] != QuoteStatus.DRAFT.value]

        await history.forget_about(partner, key, contact_ids, [a.id for a in held])
        await db.run_each(DELETE_ASSIGNMENTS, ids=[a for q in drafts for a in by_quote[q]])
        await erase_in_place([a for q in orders for a in by_quote[q]], touched)
        offering = await _drafts_offering(partner, contacts)
        await db.run_each(DELETE_DEFAULTS, ids=contact_ids)
        await db.run_each(DELETE_CONTACTS, ids=contact_ids)

        entries, events = [], []
        for quote_id in touched:
            removed = quote_id in drafts
            kind = HistoryKind.CONTACT_REMOVED if removed else HistoryKind.CONTACT_ERASED
            entries += [history.erased_change(quote_id, kind, a) for a in by_quote[quote_id]]
            if removed:
                only = by_quote[quote_id][0] if len(by_quote[quote_id]) == 1 else None
                events.append(event(EventKind.CONTACT_REMOVED, quote_id, viewer, only))
            else:
                events.append(event(EventKind.CONTACTS_EDITED, quote_id, viewer))
        events += [event(EventKind.CONTACTS_EDITED, q, viewer) for q in offering if q not in by_quote]
        return Outcome(history=entries, events=sorted(events, key=lambda e: e.quote_id),
                       result=Erasure(len(contacts), len(held), touched))

    return await run_change(work, viewer=viewer, bus=bus, name="erasePersonalData")
