"""Changing a quote's contact list and placing the order.

Each command checks in the contract's order (the objects named must be visible, else one
NOT_FOUND; then the permission, else FORBIDDEN; then the quote must be a draft, else
QUOTE_NOT_EDITABLE; then the input and the rules, all reported together) and runs through
`contacts.changes.run_change`: one transaction that locks the quote first, so that concurrent
changes to a quote take turns; nothing stored on a refusal; what changed written to the quote's
history in the same transaction; events once committed.
"""

from __future__ import annotations

from tortoise.timezone import now

from contacts import db, history, reads, rules
from contacts.auth import Permission, Viewer
from contacts.changes import Outcome, event, refused, run_change
from contacts.events import EventBus, EventKind
from contacts.models import ContactAssignment, ContactSource, HistoryKind, Quote, QuoteStatus
from contacts.rules import Code, Function, Problem
from contacts.state import DETAIL_FIELDS, function_columns, is_mobile_of, missing_of, own_phone_is_mobile, read_quote_state, slot_of
from contacts.visibility import quote_of_assignment, visible_contact, visible_quote


def _not_found(field: str, quote_id: int | None = None) -> Outcome:
    """One NOT_FOUND on the argument named; the payload still shows a quote that was found."""
    return refused(Problem(Code.NOT_FOUND, field=(field,)), quote_id=quote_id)


def gate(viewer: Viewer, quote: Quote, permission: Permission = Permission.QUOTE_EDIT) -> list[Problem]:
    """The permission, then the draft status: the checks after visibility."""
    if not viewer.can(permission):
        return [Problem(Code.FORBIDDEN)]
    if quote.status != QuoteStatus.DRAFT:
        return [Problem(Code.QUOTE_NOT_EDITABLE)]
    return []


def _gated(viewer: Viewer, quote: Quote | None, field: str, assignment_id: int | None = None) -> Quote | Outcome:
    """The quote a change is about; or the refusal, in the contract's order: NOT_FOUND on
    `field`, then FORBIDDEN, then QUOTE_NOT_EDITABLE."""
    if quote is None:
        return _not_found(field)
    if problems := gate(viewer, quote):
        return refused(*_with_assignment(problems, assignment_id), quote_id=quote.id)
    return quote


async def assignments_of(quote_id: int) -> list[ContactAssignment]:
    """A quote's contact list, with the enterprise contacts, in the order they were added."""
    return (await reads.assignments([quote_id]))[0]


SET_FUNCTIONS = 'UPDATE "contact_assignment" SET "on_site" = $1, "delivery" = $2, "tracking" = $3 WHERE "id" = $4'
RAISE_QUOTE_VERSION = 'UPDATE "quote" SET "version" = "version" + 1, "updated_at" = $1 WHERE "id" = $2'
INSERT_ASSIGNMENT = (
    'INSERT INTO "contact_assignment" ("quote_id", "contact_id", "source", "on_site", "delivery", "tracking", '
    '"last_name", "first_name", "email", "phone", "role", "added_at", "phone_is_mobile") '
    'VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING {columns}'
)
DELETE_ASSIGNMENT = 'DELETE FROM "contact_assignment" WHERE "id" = $1 AND "quote_id" = $2 RETURNING "id"'
# The freeze: each assignment of an enterprise contact keeps the details it shows now.
FREEZE = (
    'UPDATE "contact_assignment" SET "last_name" = c."last_name", "first_name" = c."first_name", '
    '"email" = c."email", "phone" = c."phone", "role" = c."role", "phone_is_mobile" = c."phone_is_mobile" FROM "contact" c '
    'WHERE c."id" = "contact_assignment"."contact_id" AND "contact_assignment"."quote_id" = $1'
)
ORDER = ('UPDATE "quote" SET "status" = $1, "ordered_at" = $2, "updated_at" = $2, "version" = "version" + 1 '
         'WHERE "id" = $3')


async def _apply(changes: dict[int, frozenset[Function]], assignments: list[ContactAssignment], target: int) -> None:
    """Writes new functions, in the database and in `assignments`: the slots that lose
    ON_SITE or DELIVERY to `target` first, so that the partial unique indexes never see two
    holders; `target` 0 is not stored yet."""
    by_id = {a.id: a for a in assignments}
    for assignment_id, functions in sorted(changes.items(), key=lambda item: item[0] == target):
        if assignment_id:
            columns = function_columns(functions)
            await db.run(SET_FUNCTIONS, *columns.values(), assignment_id)
            for name, value in columns.items():
                setattr(by_id[assignment_id], name, value)


async def bump(quote: Quote) -> None:
    """A new version of the locked quote, in the database and in `quote`."""
    moment = now()
    await db.run(RAISE_QUOTE_VERSION, moment, quote.id)
    quote.version, quote.updated_at = quote.version + 1, moment


def _with_assignment(problems: list[Problem], assignment_id: int | None) -> list[Problem]:
    return [Problem(p.code, p.field, p.assignment_id or assignment_id, p.function, p.limit) for p in problems]


async def _add(
    viewer: Viewer, quote: Quote, assignments: list[ContactAssignment], make: dict, functions: list[Function],
    problems: list[Problem], contact=None,
) -> Outcome:
    """Adds an assignment with its functions, or refuses with every problem found."""
    details = {name: make.get(name) for name in DETAIL_FIELDS}
    mobile = is_mobile_of(contact) if contact is not None else rules.is_mobile(details["phone"])
    new_slot = rules.Slot(0, frozenset(), mobile)
    changes, refusals = rules.set_functions([*(slot_of(a) for a in assignments), new_slot], 0, functions)
    problems = problems + [Problem(p.code, p.field or ("functions",), p.assignment_id, p.function, p.limit)
                           for p in refusals]
    if problems:
        return refused(*problems, quote_id=quote.id)
    before = history.functions_by_id(assignments)
    await _apply(changes, assignments, target=0)
    rows = await db.run(
        INSERT_ASSIGNMENT.format(columns=db.columns(ContactAssignment)),
        quote.id, make.get("contact_id"), make["source"].value, *function_columns(changes.get(0, frozenset())).values(),
        *details.values(), now(), own_phone_is_mobile(details),
    )
    (assignment,) = db.rows_as(ContactAssignment, rows)
    object.__setattr__(assignment, "_contact", contact)
    await bump(quote)
    listed = [*assignments, assignment]
    after = {**history.functions_by_id(assignments), assignment.id: changes.get(0, frozenset())}
    return Outcome(
        quote_id=quote.id, assignment_id=assignment.id, committed=(quote, listed), enterprises=(quote.client_id,),
        events=[event(EventKind.CONTACT_ADDED, quote.id, viewer, assignment.id)],
        history=[history.of_assignment(HistoryKind.CONTACT_ADDED, assignment),
                 *history.function_changes(before, after, {a.id: a for a in listed}, assignment.id)],
    )


async def assign_contact(
    viewer: Viewer, quote_id: int | None, contact_id: int | None, functions: list[Function], *, bus: EventBus
) -> Outcome:
    """Adds an enterprise contact (the quote's client's or the viewer's company's) to a draft."""

    async def work() -> Outcome:
        # Locks in the order every change takes them: the enterprise contact, then the quote.
        # The contact's lock makes an edit of it (update_contact) and its assignment take
        # turns, so that the edit raises the version of every quote that shows it.
        contact = await visible_contact(viewer, contact_id, lock=True)
        quote = await visible_quote(viewer, quote_id, lock=True)
        if quote is None:
            return _not_found("quote")
        if contact is None:
            return _not_found("contact", quote.id)
        if problems := gate(viewer, quote):
            return refused(*problems, quote_id=quote.id)
        if contact.enterprise_id == quote.client_id:
            source = ContactSource.CLIENT
        elif contact.enterprise_id == quote.partner_id:
            source = ContactSource.PARTNER
        else:
            return refused(Problem(Code.CONTACT_NOT_ELIGIBLE, field=("contact",)), quote_id=quote.id)
        assignments = await assignments_of(quote.id)
        problems = rules.add_problems(
            contact_missing=missing_of(contact),
            already_on_quote=any(a.contact_id == contact.id for a in assignments),
            contacts_on_quote=len(assignments),
        )
        problems = [Problem(p.code, ("contact",), limit=p.limit) for p in problems]
        make = {"contact_id": contact.id, "source": source}
        return await _add(viewer, quote, assignments, make, functions, problems, contact=contact)

    collision = refused(Problem(Code.CONTACT_ALREADY_ON_QUOTE, field=("contact",)), quote_id=quote_id)
    return await run_change(work, viewer=viewer, bus=bus, name="assignContact", on_collision=collision)


async def assign_adhoc_contact(
    viewer: Viewer, quote_id: int | None, details: dict, functions: list[Function], *, bus: EventBus
) -> Outcome:
    """Adds a one-off contact, which lives on this quote only."""

    async def work() -> Outcome:
        quote = _gated(viewer, await visible_quote(viewer, quote_id, lock=True), "quote")
        if isinstance(quote, Outcome):
            return quote
        cleaned, problems = rules.clean_contact_fields(details, required=rules.REQUIRED_FOR_QUOTE)
        assignments = await assignments_of(quote.id)
        problems += rules.add_problems(contact_missing=(), already_on_quote=False, contacts_on_quote=len(assignments))
        make = {"source": ContactSource.ADHOC, **cleaned}
        return await _add(viewer, quote, assignments, make, functions, problems)

    return await run_change(work, viewer=viewer, bus=bus, name="assignAdhocContact")


async def unassign_contact(viewer: Viewer, assignment_id: int | None, *, bus: EventBus) -> Outcome:
    """Takes a contact off a draft."""

    async def work() -> Outcome:
        quote = _gated(viewer, await quote_of_assignment(viewer, assignment_id, lock=True), "assignment", assignment_id)
        if isinstance(quote, Outcome):
            return quote
        removed = next((a for a in await assignments_of(quote.id) if a.id == assignment_id), None)
        if removed is None or not await db.run(DELETE_ASSIGNMENT, assignment_id, quote.id):  # gone meanwhile
            return _not_found("assignment")
        await bump(quote)
        return Outcome(quote_id=quote.id, assignment_id=assignment_id, enterprises=(quote.client_id,),
                       events=[event(EventKind.CONTACT_REMOVED, quote.id, viewer, assignment_id)],
                       history=[history.of_assignment(HistoryKind.CONTACT_REMOVED, removed)])

    return await run_change(work, viewer=viewer, bus=bus, name="unassignContact")


async def set_assignment_function(
    viewer: Viewer, assignment_id: int | None, function: Function, enabled: bool, *, bus: EventBus
) -> Outcome:
    """Ticks or unticks a function, with the radio behaviour of ON_SITE and DELIVERY."""

    async def work() -> Outcome:
        quote = _gated(viewer, await quote_of_assignment(viewer, assignment_id, lock=True), "assignment", assignment_id)
        if isinstance(quote, Outcome):
            return quote
        assignments = await assignments_of(quote.id)
        slots = [slot_of(a) for a in assignments]
        if not any(slot.id == assignment_id for slot in slots):
            return _not_found("assignment")
        changes, refusals = rules.set_function(slots, assignment_id, function, enabled)
        if refusals:
            return refused(*(Problem(p.code, ("function",), assignment_id, p.function, p.limit) for p in refusals),
                           quote_id=quote.id)
        entries = []
        if changes:
            before = history.functions_by_id(assignments)
            await _apply(changes, assignments, target=assignment_id)
            await bump(quote)
            entries = history.function_changes(before, {**before, **changes}, {a.id: a for a in assignments},
                                               assignment_id)
        return Outcome(
            quote_id=quote.id, assignment_id=assignment_id, committed=(quote, assignments),
            enterprises=(quote.client_id,), events=[event(EventKind.FUNCTIONS_CHANGED, quote.id, viewer, assignment_id)], history=entries,
        )

    return await run_change(work, viewer=viewer, bus=bus, name="setAssignmentFunction")


async def place_order(viewer: Viewer, quote_id: int | None, *, bus: EventBus) -> Outcome:
    """Places the order when the rules hold: the quote is frozen with its contacts' details."""

    async def work() -> Outcome:
        quote = _gated(viewer, await visible_quote(viewer, quote_id, lock=True), "quote")
        if isinstance(quote, Outcome):
            return quote
        errors = (await read_quote_state(quote.id)).errors
        if errors:
            return refused(*errors, quote_id=quote.id)
        await db.run(FREEZE, quote.id)
        await db.run(ORDER, QuoteStatus.ORDERED.value, now(), quote.id)
        return Outcome(quote_id=quote.id, enterprises=(quote.client_id,),
                       events=[event(EventKind.ORDER_PLACED, quote.id, viewer)],
                       history=[history.Change(quote.id, HistoryKind.ORDER_PLACED)])

    return await run_change(work, viewer=viewer, bus=bus, name="placeOrder")
