"""Changing a quote's contact list and placing the order: the domain side of the mutations.

Every function checks in the contract's order (the objects named must be visible, else one
NOT_FOUND; then the permission, else FORBIDDEN; then the quote must be a draft, else
QUOTE_NOT_EDITABLE; then the input and the rules, all reported together), writes nothing
when anything is refused, and publishes its events only once the change is committed.
Each runs in one transaction that locks its quote first, so concurrent changes to the same
quote take turns (see `write_transaction` and `_run` for how, on each database).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from tortoise.backends.base.client import TransactionalDBClient
from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.timezone import now
from tortoise.transactions import in_transaction

from api import events, reads, rules, sql
from api.auth import Permission, Viewer
from api.events import EventKind, QuoteEvent
from api.models import Contact, ContactAssignment, ContactSource, Enterprise, Quote, QuoteLine, QuoteStatus
from api.rules import Code, Function, Problem
from api.text import search_key

log = logging.getLogger("api.quote_contacts")


@dataclass
class Outcome:
    """What a mutation did: the quote to show (None when not found), what it changed, and
    every problem that refused it."""

    quote_id: int | None = None
    assignment_id: int | None = None
    contact_id: int | None = None
    problems: list[Problem] = field(default_factory=list)
    # The quote and its contact list as this change committed them (read under the quote's
    # lock, then changed as stored): the payload shows them without reading them again.
    committed: tuple[Quote, list[ContactAssignment]] | None = None

    @property
    def ok(self) -> bool:
        return not self.problems


def _not_found(*field_path: str, quote_id: int | None = None) -> Outcome:
    """One NOT_FOUND on the input field; the payload still shows a quote that was found."""
    return Outcome(quote_id=quote_id, problems=[Problem(Code.NOT_FOUND, field=("input", *field_path))])


def slot_of(assignment: ContactAssignment) -> rules.Slot:
    return rules.Slot(assignment.id, functions_of(assignment), rules.is_mobile(details_of(assignment)["phone"]))


def functions_of(assignment: ContactAssignment) -> frozenset[Function]:
    return frozenset(
        function
        for function, ticked in (
            (Function.ON_SITE, assignment.on_site),
            (Function.DELIVERY, assignment.delivery),
            (Function.TRACKING, assignment.tracking),
        )
        if ticked
    )


DETAIL_FIELDS = ("last_name", "first_name", "email", "phone", "role")


def details_of(assignment: ContactAssignment) -> dict[str, str | None]:
    """The details an assignment shows: its own (ad-hoc, or frozen at ordering), else its
    enterprise contact's current ones (the contact must have been loaded with it)."""
    if assignment.contact_id is None or assignment.last_name is not None:
        source = assignment
    else:
        source = assignment.contact
    return {name: getattr(source, name) for name in DETAIL_FIELDS}


def _function_columns(functions: frozenset[Function]) -> dict[str, bool]:
    return {
        "on_site": Function.ON_SITE in functions,
        "delivery": Function.DELIVERY in functions,
        "tracking": Function.TRACKING in functions,
    }


async def _quote_where(where: str, key: int, viewer: Viewer, lock: bool) -> Quote | None:
    """The viewer's quote, with its client; locked (the quote's row only) when asked."""
    text = reads.quotes_sql(where) + (' FOR UPDATE OF q' if lock else '')
    found = reads.quote_models(await sql.run(text, viewer.partner_id, key))
    return found[0] if found else None


async def visible_quote(viewer: Viewer, quote_id: int | None, *, lock: bool = False) -> Quote | None:
    if quote_id is None:
        return None
    return await _quote_where('q."id" = $2', quote_id, viewer, lock)


async def visible_enterprise(viewer: Viewer, enterprise_id: int | None) -> Enterprise | None:
    if enterprise_id is None:
        return None
    enterprise = await Enterprise.filter(id=enterprise_id).first()
    return enterprise if enterprise and enterprise.owner_id == viewer.partner_id else None


async def visible_contact(viewer: Viewer, contact_id: int | None, *, lock: bool = False) -> Contact | None:
    if contact_id is None:
        return None
    if lock:
        # The contact's row alone (FOR UPDATE cannot take the nullable side of the join).
        # (values_list() would drop FOR UPDATE: only() keeps it.)
        await Contact.filter(id=contact_id).select_for_update().only("id")
    contact = await Contact.filter(id=contact_id).select_related("enterprise").first()
    return contact if contact and contact.enterprise.owner_id == viewer.partner_id else None


async def _quote_of_assignment(viewer: Viewer, assignment_id: int | None) -> Quote | None:
    """The viewer's quote that holds the assignment, locked: one statement."""
    if assignment_id is None:
        return None
    return await _quote_where('q."id" = (SELECT "quote_id" FROM "contact_assignment" WHERE "id" = $2)',
                              assignment_id, viewer, lock=True)


def _gate(viewer: Viewer, quote: Quote, permission: Permission = Permission.QUOTE_EDIT) -> list[Problem]:
    """The permission, then the draft status: the checks after visibility."""
    if not viewer.can(permission):
        return [Problem(Code.FORBIDDEN)]
    if quote.status != QuoteStatus.DRAFT:
        return [Problem(Code.QUOTE_NOT_EDITABLE)]
    return []


async def _quote_to_change(viewer: Viewer, quote_id: int | None, field: str) -> Quote | Outcome:
    """The quote a change is about, locked; or the refusal, in the contract's order: NOT_FOUND
    on `field`, then FORBIDDEN, then QUOTE_NOT_EDITABLE."""
    return _gated(viewer, await visible_quote(viewer, quote_id, lock=True), field)


async def _quote_of_assignment_to_change(viewer: Viewer, assignment_id: int | None) -> Quote | Outcome:
    """The same for a change of an assignment: the quote that holds it."""
    return _gated(viewer, await _quote_of_assignment(viewer, assignment_id), "assignmentId", assignment_id)


def _gated(viewer: Viewer, quote: Quote | None, field: str, assignment_id: int | None = None) -> Quote | Outcome:
    if quote is None:
        return _not_found(field)
    if gate := _gate(viewer, quote):
        return Outcome(quote_id=quote.id, problems=_with_assignment(gate, assignment_id))
    return quote


async def _assignments(quote_id: int) -> list[ContactAssignment]:
    """A quote's contact list, with the enterprise contacts, in the order they were added."""
    return (await reads.assignments([quote_id]))[0]


async def _slots(quote_id: int) -> list[rules.Slot]:
    return [slot_of(a) for a in await _assignments(quote_id)]


async def _apply(changes: dict[int, frozenset[Function]], assignments: list[ContactAssignment], target: int) -> None:
    """Writes new functions, in the database and in `assignments`: the slots that lose
    ON_SITE or DELIVERY to `target` first, so that the partial unique indexes never see two
    holders; `target` 0 is not stored yet."""
    by_id = {a.id: a for a in assignments}
    for assignment_id, functions in sorted(changes.items(), key=lambda item: item[0] == target):
        if assignment_id:
            columns = _function_columns(functions)
            await sql.run(SET_FUNCTIONS, *columns.values(), assignment_id)
            for name, value in columns.items():
                setattr(by_id[assignment_id], name, value)


SET_FUNCTIONS = 'UPDATE "contact_assignment" SET "on_site" = $1, "delivery" = $2, "tracking" = $3 WHERE "id" = $4'
RAISE_QUOTE_VERSION = 'UPDATE "quote" SET "version" = "version" + 1, "updated_at" = $1 WHERE "id" = $2'
RAISE_DATA_VERSION = 'UPDATE "enterprise" SET "data_version" = "data_version" + 1 WHERE "id" = $1'


async def partner_data_changed(viewer: Viewer) -> None:
    """Raises the data version of the viewer's partner, last in the transaction of a change
    (so its row lock is held only until the commit): cached answers read before are not
    served again (see api/response_cache.py)."""
    await sql.run(RAISE_DATA_VERSION, viewer.partner_id)


async def _bump(quote: Quote) -> None:
    """A new version of the locked quote, in the database and in `quote`."""
    moment = now()
    await sql.run(RAISE_QUOTE_VERSION, moment, quote.id)
    quote.version, quote.updated_at = quote.version + 1, moment


def _with_assignment(problems: list[Problem], assignment_id: int | None) -> list[Problem]:
    return [
        Problem(p.code, p.field, p.assignment_id or assignment_id, p.function, p.limit) for p in problems
    ]


def _functions_path(problems: list[Problem]) -> list[Problem]:
    return [Problem(p.code, p.field or ("input", "functions"), p.assignment_id, p.function, p.limit) for p in problems]


async def _add(
    quote: Quote, assignments: list[ContactAssignment], make: dict, functions: list[Function], problems: list[Problem],
    phone: str | None, contact: Contact | None = None,
) -> Outcome:
    """Adds an assignment with its functions, or refuses with every problem found."""
    new_slot = rules.Slot(0, frozenset(), rules.is_mobile(phone))
    changes, refused = rules.set_functions([*(slot_of(a) for a in assignments), new_slot], 0, functions)
    problems = problems + _functions_path(refused)
    if problems:
        return Outcome(quote_id=quote.id, problems=problems)
    await _apply(changes, assignments, target=0)
    assignment = await ContactAssignment.create(
        quote_id=quote.id, **make, **_function_columns(changes.get(0, frozenset()))
    )
    assignment.contact = contact
    await _bump(quote)
    return Outcome(quote_id=quote.id, assignment_id=assignment.id, committed=(quote, [*assignments, assignment]))


@asynccontextmanager
async def write_transaction() -> AsyncIterator[TransactionalDBClient]:
    """A transaction that will write.

    PostgreSQL: an ordinary transaction (READ COMMITTED); the mutations lock the rows they
    depend on (`select_for_update`) before reading anything else.

    SQLite: Tortoise's client holds one connection per process and a lock for the length of
    each transaction, so within a process transactions take turns. Server processes sharing
    the file are serialised by starting with BEGIN IMMEDIATE, which takes the database's write
    lock at once (waiting up to the connection's busy timeout, 5 s): a plain (deferred) BEGIN
    would read first and then fail to write ("database is locked", SQLITE_BUSY_SNAPSHOT)
    whenever another process wrote in between."""
    async with in_transaction() as conn:
        nested = isinstance(getattr(conn, "_parent", None), TransactionalDBClient)  # a savepoint
        if conn.capabilities.dialect == "sqlite" and not nested:
            await conn.execute_query("COMMIT")  # Tortoise's deferred BEGIN, which has read nothing
            await conn.execute_query("BEGIN IMMEDIATE")
        yield conn


ATTEMPTS = 3


def _unique_violation(error: IntegrityError) -> str | None:
    """Which of the contact list's unique indexes an IntegrityError hit: "contact" for an
    enterprise contact twice on a quote, "function" for a second ON_SITE or DELIVERY holder.

    PostgreSQL (asyncpg) names the index and details the key; SQLite names the columns."""
    cause = error.args[0] if error.args else None
    text = " ".join(
        str(part) for part in (error, cause, getattr(cause, "constraint_name", None), getattr(cause, "detail", None)) if part
    )
    if "uniq_assignment_on_site" in text or "uniq_assignment_delivery" in text:
        return "function"
    if "contact_assignment.contact_id" in text or "(quote_id, contact_id)" in text:
        return "contact"
    if "contact_assignment.quote_id" in text:  # SQLite names a partial index by its columns
        return "function"
    return None


def _is_transient(error: Exception) -> bool:
    """A deadlock or serialisation failure (PostgreSQL), or the SQLite file still locked by
    another process after the busy timeout: the transaction was rolled back and may be re-run."""
    sqlstate = getattr(error, "sqlstate", None) or getattr(error.__cause__, "sqlstate", None)
    return sqlstate in ("40001", "40P01") or "database is locked" in str(error)


async def _run(viewer: Viewer, work, event_kind: EventKind, quote_id: int | None = None) -> Outcome:
    """Runs `work` in a write transaction; publishes its event once committed.

    The quote lock makes concurrent changes of a quote take turns, so the rules always see
    the state the previous change left. The unique indexes are a second wall: should a change
    still hit one (a race the lock did not cover), the transaction is rolled back, nothing is
    stored and nothing published, and the change is run again on what is now there, which
    gives the rules' own answer (CONTACT_ALREADY_ON_QUOTE, or the radio behaviour of ON_SITE
    and DELIVERY). A deadlock or a locked SQLite file is retried the same way. Should the same
    enterprise contact still collide on the last attempt, the answer is CONTACT_ALREADY_ON_QUOTE
    on the quote `quote_id`; anything else that persists is a bug (masked, and logged).
    """
    for attempt in range(1, ATTEMPTS + 1):
        try:
            async with write_transaction():
                outcome = await work()
                if outcome.ok:
                    await partner_data_changed(viewer)
        except IntegrityError as error:
            violated = _unique_violation(error)
            log.warning("attempt %d of %s hit a unique index (%s): %s", attempt, event_kind.value, violated, error)
            if attempt == ATTEMPTS:
                if violated != "contact":
                    raise
                return Outcome(quote_id=quote_id, problems=[Problem(Code.CONTACT_ALREADY_ON_QUOTE, field=("input", "contactId"))])
        except Exception as error:
            if attempt == ATTEMPTS or not _is_transient(error):
                raise
            log.warning("attempt %d of %s rolled back: %s", attempt, event_kind.value, error)
        else:
            if outcome.ok and outcome.quote_id is not None:
                await events.publish([QuoteEvent(event_kind, outcome.quote_id, viewer.name, outcome.assignment_id)])
            return outcome
        await asyncio.sleep(0.005 * attempt)
    raise AssertionError("unreachable")


async def assign_contact(
    viewer: Viewer, quote_id: int | None, contact_id: int | None, functions: list[Function]
) -> Outcome:
    async def work() -> Outcome:
        # Locks in the order every mutation takes them: the enterprise contact, then the
        # quote. The contact's lock makes an edit of it (update_contact) and its assignment
        # take turns, so that the edit raises the version of every quote that shows it.
        contact = await visible_contact(viewer, contact_id, lock=True)
        quote = await visible_quote(viewer, quote_id, lock=True)
        if quote is None:
            return _not_found("quoteId")
        if contact is None:
            return _not_found("contactId", quote_id=quote.id)
        if gate := _gate(viewer, quote):
            return Outcome(quote_id=quote.id, problems=gate)
        if contact.enterprise_id == quote.client_id:
            source = ContactSource.CLIENT
        elif contact.enterprise_id == quote.partner_id:
            source = ContactSource.PARTNER
        else:
            return Outcome(quote_id=quote.id, problems=[Problem(Code.CONTACT_NOT_ELIGIBLE, field=("input", "contactId"))])
        assignments = await _assignments(quote.id)
        problems = rules.add_problems(
            contact_missing=rules.missing_fields({name: getattr(contact, name) for name in DETAIL_FIELDS}),
            already_on_quote=any(a.contact_id == contact.id for a in assignments),
            contacts_on_quote=len(assignments),
        )
        problems = [Problem(p.code, ("input", "contactId"), limit=p.limit) for p in problems]
        make = {"contact_id": contact.id, "source": source}
        return await _add(quote, assignments, make, functions, problems, phone=contact.phone, contact=contact)

    return await _run(viewer, work, EventKind.CONTACT_ADDED, quote_id)


async def assign_adhoc_contact(viewer: Viewer, quote_id: int | None, details: dict, functions: list[Function]) -> Outcome:
    async def work() -> Outcome:
        quote = await _quote_to_change(viewer, quote_id, "quoteId")
        if isinstance(quote, Outcome):
            return quote
        cleaned, problems = rules.clean_contact_fields(details, required=rules.REQUIRED_FOR_QUOTE)
        assignments = await _assignments(quote.id)
        problems += rules.add_problems(contact_missing=(), already_on_quote=False, contacts_on_quote=len(assignments))
        make = {"source": ContactSource.ADHOC, **{name: cleaned.get(name) for name in DETAIL_FIELDS}}
        return await _add(quote, assignments, make, functions, problems, phone=cleaned.get("phone"))

    return await _run(viewer, work, EventKind.CONTACT_ADDED)


async def unassign_contact(viewer: Viewer, assignment_id: int | None) -> Outcome:
    async def work() -> Outcome:
        quote = await _quote_of_assignment_to_change(viewer, assignment_id)
        if isinstance(quote, Outcome):
            return quote
        deleted = await ContactAssignment.filter(id=assignment_id, quote_id=quote.id).delete()
        if not deleted:  # removed by a concurrent request after we looked it up
            return _not_found("assignmentId")
        await _bump(quote)
        return Outcome(quote_id=quote.id, assignment_id=assignment_id)

    return await _run(viewer, work, EventKind.CONTACT_REMOVED)


async def set_assignment_function(
    viewer: Viewer, assignment_id: int | None, function: Function, enabled: bool
) -> Outcome:
    async def work() -> Outcome:
        quote = await _quote_of_assignment_to_change(viewer, assignment_id)
        if isinstance(quote, Outcome):
            return quote
        assignments = await _assignments(quote.id)
        slots = [slot_of(a) for a in assignments]
        if not any(slot.id == assignment_id for slot in slots):
            return _not_found("assignmentId")
        changes, refused = rules.set_function(slots, assignment_id, function, enabled)
        if refused:
            problems = [
                Problem(p.code, ("input", "function"), assignment_id, p.function, p.limit) for p in refused
            ]
            return Outcome(quote_id=quote.id, problems=problems)
        if changes:
            await _apply(changes, assignments, target=assignment_id)
            await _bump(quote)
        return Outcome(quote_id=quote.id, assignment_id=assignment_id, committed=(quote, assignments))

    return await _run(viewer, work, EventKind.FUNCTIONS_CHANGED)


async def quote_problems(quote_id: int) -> tuple[list[Problem], list[Problem]]:
    """The validation of a quote's contact list, read from the database."""
    lines = await QuoteLine.filter(quote_id=quote_id).select_related("product")
    slots = await _slots(quote_id)
    reqs = rules.requirements((line_needs(line) for line in lines), slots)
    return rules.validate(reqs, slots)


def line_needs(line: QuoteLine) -> rules.LineNeeds:
    return rules.LineNeeds(line.id, line.product.requires_on_site_contact, line.product.requires_delivery_contact)


async def place_order(viewer: Viewer, quote_id: int | None) -> Outcome:
    async def work() -> Outcome:
        quote = await _quote_to_change(viewer, quote_id, "quoteId")
        if isinstance(quote, Outcome):
            return quote
        errors, _warnings = await quote_problems(quote.id)
        if errors:
            return Outcome(quote_id=quote.id, problems=errors)
        # The freeze: every assignment keeps the details it shows at this moment.
        for assignment in await ContactAssignment.filter(quote_id=quote.id, contact_id__not_isnull=True).select_related("contact"):
            await ContactAssignment.filter(id=assignment.id).update(**details_of(assignment))
        moment = now()
        await Quote.filter(id=quote.id).update(
            status=QuoteStatus.ORDERED, ordered_at=moment, updated_at=moment, version=F("version") + 1
        )
        return Outcome(quote_id=quote.id)

    return await _run(viewer, work, EventKind.ORDER_PLACED)


# --- The enterprise module's contacts -------------------------------------------------------


async def _drafts_showing(enterprise: Enterprise, contact_id: int) -> tuple[list[int], list[int]]:
    """Draft quotes where the contact is assigned, and those whose drop-downs list it."""
    assigned = await ContactAssignment.filter(contact_id=contact_id, quote__status=QuoteStatus.DRAFT).values_list(
        "quote_id", flat=True
    )
    drafts = Quote.filter(status=QuoteStatus.DRAFT, partner_id=enterprise.owner_id)
    if enterprise.kind == "CLIENT":
        drafts = drafts.filter(client_id=enterprise.id)
    listing = await drafts.values_list("id", flat=True)
    assigned_set = set(assigned)
    return sorted(assigned_set), sorted(set(listing) - assigned_set)


async def create_contact(viewer: Viewer, enterprise_id: int | None, details: dict) -> Outcome:
    async def work():
        enterprise = await visible_enterprise(viewer, enterprise_id)
        if enterprise is None:
            return _not_found("enterpriseId"), []
        if not viewer.can(Permission.CONTACT_EDIT):
            return Outcome(problems=[Problem(Code.FORBIDDEN)]), []
        cleaned, problems = rules.clean_contact_fields(details, required=("last_name",))
        if problems:
            return Outcome(problems=problems), []
        contact = await Contact.create(enterprise_id=enterprise.id, search_text=_search(cleaned), **cleaned)
        _, listing = await _drafts_showing(enterprise, contact.id)
        return Outcome(contact_id=contact.id), listing

    return await _run_contact_change(viewer, work)


async def _run_contact_change(viewer: Viewer, work) -> Outcome:
    """Runs a change of the enterprise module in a write transaction; once it is committed,
    tells every draft that shows the contact (CONTACTS_EDITED)."""
    async with write_transaction():
        outcome, drafts = await work()
        if outcome.ok:
            await partner_data_changed(viewer)
    await events.publish([QuoteEvent(EventKind.CONTACTS_EDITED, q, viewer.name) for q in drafts])
    return outcome


def _search(details: dict) -> str:
    return search_key(details.get("last_name"), details.get("first_name"), details.get("email"))


async def update_contact(viewer: Viewer, contact_id: int | None, details: dict) -> Outcome:
    async def work():
        # Locks the contact, then the draft quotes it is on in id order (the order of every
        # mutation), so that it takes turns with their changes and with placeOrder's freeze.
        contact = await visible_contact(viewer, contact_id, lock=True)
        if contact is None:
            return _not_found("contactId"), []
        if not viewer.can(Permission.CONTACT_EDIT):
            return Outcome(contact_id=contact.id, problems=[Problem(Code.FORBIDDEN)]), []
        given = {name: value for name, value in details.items() if value is not rules.UNSET}
        cleaned, problems = rules.clean_contact_fields(
            given, required=[name for name in rules.REQUIRED_FOR_QUOTE if name in given]
        )
        if problems:
            return Outcome(contact_id=contact.id, problems=problems), []
        if not cleaned:
            return Outcome(contact_id=contact.id), []
        current = {name: getattr(contact, name) for name in DETAIL_FIELDS}
        merged = {**current, **cleaned}
        await Contact.filter(id=contact.id).update(**cleaned, search_text=_search(merged), updated_at=now())
        assigned, listing = await _drafts_showing(contact.enterprise, contact.id)
        if assigned:
            locked = await Quote.filter(id__in=assigned, status=QuoteStatus.DRAFT).order_by("id").select_for_update()
            # Read again under the locks: still drafts, and the contact still on them.
            showing = await ContactAssignment.filter(
                contact_id=contact.id, quote_id__in=[q.id for q in locked]
            ).values_list("quote_id", flat=True)
            if showing:
                await Quote.filter(id__in=showing).update(version=F("version") + 1, updated_at=now())
        return Outcome(contact_id=contact.id), assigned + listing

    return await _run_contact_change(viewer, work)
