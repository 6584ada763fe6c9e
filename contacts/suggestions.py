"""Suggestions for a draft's contact list: what they offer, and applying one.

A suggestion's source is the client's default contacts (CLIENT_DEFAULTS), or the list of
another quote of the same client (EARLIER_QUOTE; an ordered quote's frozen list, without the
assignments whose person's data was erased: those are never suggested). What each
would do now is `contacts.suggestion_rules.apply_suggestion`, for the read
(`Quote.contactSuggestions`) and for the command alike:

- `suggestions` builds a draft's suggestions from rows its caller read in batches (the
  defaults, the earlier quotes and their lists: a fixed number of statements whatever the
  number of quotes and contacts);
- `apply_contact_suggestion` is the command, one change through `run_change`: it locks the
  enterprise contacts it may add (in id order), then the quote, and adds and ticks what the
  rules allow in one transaction, the quote's version raised once, one SUGGESTION_APPLIED
  event after the commit; nothing stored when nothing applies (SUGGESTION_EMPTY).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

from tortoise.timezone import now

from contacts import db, history, reads, rules
from contacts.auth import Viewer
from contacts.changes import Outcome, event, refused, run_change
from contacts.events import EventBus, EventKind
from contacts.models import Contact, ContactAssignment, ContactDefault, ContactSource, HistoryKind, Quote
from contacts.quote_contacts import INSERT_ASSIGNMENT, SET_FUNCTIONS, assignments_of, bump, gate
from contacts.rules import Code, Problem
from contacts.state import DETAIL_FIELDS, function_columns, functions_of, missing_of, own_phone_is_mobile, slot_of
from contacts.suggestion_rules import Entry, Listed, Plan, apply_suggestion
from contacts.visibility import lock_contacts, visible_quote

MAX_SUGGESTIONS = 10  # `first` of Quote.contactSuggestions


class SourceKind(str, Enum):
    CLIENT_DEFAULTS = "CLIENT_DEFAULTS"
    EARLIER_QUOTE = "EARLIER_QUOTE"


@dataclass
class Suggestion:
    """A ready-made list for a draft: where it comes from, its entries in order (each with
    the enterprise contact as it is now, None for an ad-hoc one), and what applying it now
    would do (`plan`: added, ticked, and each entry's problems)."""

    kind: SourceKind
    from_quote: Quote | None
    entries: list[Entry]
    contacts: list[Contact | None]
    plan: Plan


def _details(contact) -> dict[str, str | None]:
    return {name: getattr(contact, name) for name in DETAIL_FIELDS}


def contact_entry(contact: Contact, functions: frozenset[rules.Function], quote: Quote) -> Entry:
    """An enterprise contact as a suggestion's entry: its details as they are now."""
    return Entry(
        last_name=contact.last_name, first_name=contact.first_name, functions=functions, contact_id=contact.id,
        missing=tuple(missing_of(contact)),
        eligible=contact.enterprise_id in (quote.client_id, quote.partner_id),
    )


def adhoc_entry(assignment: ContactAssignment) -> Entry:
    """An ad-hoc contact of an earlier quote as an entry: its own details."""
    return Entry(
        last_name=assignment.last_name or "", first_name=assignment.first_name, functions=functions_of(assignment),
        email=assignment.email, missing=tuple(rules.missing_fields(_details(assignment))),
    )


def listed(assignments: Sequence[ContactAssignment]) -> list[Listed]:
    """A draft's contact list as the rules of suggestions see it."""
    return [Listed(slot_of(a), a.contact_id, a.email if a.contact_id is None else None) for a in assignments]


def default_entries(defaults: Sequence[ContactDefault], quote: Quote,
                    contacts: dict[int, Contact] | None = None) -> tuple[list[Entry], list[Contact | None]]:
    """The client's defaults as entries; `contacts` (locked, as they are now) replaces the
    contacts read with them, and a contact missing from it is no longer there."""
    entries, shown = [], []
    for row in defaults:
        contact = row.contact if contacts is None else contacts.get(row.contact_id)
        if contact is None:
            continue
        entries.append(contact_entry(contact, functions_of(row), quote))  # the same three columns
        shown.append(contact)
    return entries, shown


def suggestible(assignments: Sequence[ContactAssignment]) -> list[ContactAssignment]:
    """An earlier quote's list as a suggestion offers it: an erased person is never suggested."""
    return [a for a in assignments if not a.erased]


def quote_entries(assignments: Sequence[ContactAssignment], quote: Quote,
                  contacts: dict[int, Contact] | None = None) -> tuple[list[Entry], list[Contact | None]]:
    """An earlier quote's list as entries, in the order its contacts were added (`assignments`
    already `suggestible`)."""
    entries, shown = [], []
    for a in assignments:
        if a.contact_id is None:
            entries.append(adhoc_entry(a))
            shown.append(None)
            continue
        contact = a.contact if contacts is None else contacts.get(a.contact_id)
        if contact is None:
            continue
        entries.append(contact_entry(contact, functions_of(a), quote))
        shown.append(contact)
    return entries, shown


def suggestions(quote: Quote, assignments: Sequence[ContactAssignment], defaults: Sequence[ContactDefault],
                earlier: Sequence[tuple[Quote, Sequence[ContactAssignment]]], first: int) -> list[Suggestion]:
    """The draft's suggestions, best first: the client's defaults (when it has any), then the
    lists of its other quotes that hold a contact, as `earlier` gives them (ordered ones by
    latest order, then drafts by latest change); at most `first`."""
    found: list[Suggestion] = []
    on_quote = listed(assignments)
    if defaults:
        entries, contacts = default_entries(defaults, quote)
        found.append(Suggestion(SourceKind.CLIENT_DEFAULTS, None, entries, contacts, apply_suggestion(entries, on_quote)))
    for other, rows in earlier:
        rows = suggestible(rows)
        if other.id == quote.id or not rows:
            continue
        entries, contacts = quote_entries(rows, other)
        found.append(Suggestion(SourceKind.EARLIER_QUOTE, other, entries, contacts, apply_suggestion(entries, on_quote)))
    return found[:max(first, 0)]


# --- Applying one ------------------------------------------------------------------------


async def _source(quote: Quote, kind: SourceKind, from_quote: Quote | None) -> tuple[list, list[int]]:
    """The source's rows, and the enterprise contacts they name."""
    if kind == SourceKind.CLIENT_DEFAULTS:
        rows = (await reads.contact_defaults([quote.client_id]))[0]
    else:
        rows = suggestible((await reads.assignments([from_quote.id]))[0])
    return rows, [row.contact_id for row in rows if row.contact_id is not None]


async def apply_contact_suggestion(
    viewer: Viewer, quote_id: int | None, kind: SourceKind, from_quote_id: int | None, *, bus: EventBus
) -> Outcome:
    """Applies a suggestion to a draft: adds what can be added and ticks what is free, in the
    source's order, never taking anything away. Refused whole only for NOT_FOUND (the quote;
    for EARLIER_QUOTE, `fromQuoteId` left out, the quote itself or another client's quote),
    FORBIDDEN, QUOTE_NOT_EDITABLE and SUGGESTION_EMPTY; what is not applied is `skipped`."""

    async def work() -> Outcome:
        quote = await visible_quote(viewer, quote_id)
        if quote is None:
            return refused(Problem(Code.NOT_FOUND, field=("quote",)))
        from_quote = None
        if kind == SourceKind.EARLIER_QUOTE:
            if from_quote_id is not None and from_quote_id != quote.id:
                from_quote = await visible_quote(viewer, from_quote_id)
            if from_quote is None or from_quote.client_id != quote.client_id:
                return refused(Problem(Code.NOT_FOUND, field=("from_quote",)), quote_id=quote.id)
        if problems := gate(viewer, quote):
            return refused(*problems, quote_id=quote.id)
        rows, contact_ids = await _source(quote, kind, from_quote)
        # Locks in the order every change takes them: the enterprise contacts (in id order),
        # then the quote; run_change raises the partner's data version last.
        contacts = await lock_contacts(viewer, contact_ids)
        quote = await visible_quote(viewer, quote.id, lock=True)
        if quote is None:
            return refused(Problem(Code.NOT_FOUND, field=("quote",)))
        if problems := gate(viewer, quote):
            return refused(*problems, quote_id=quote.id)
        if kind == SourceKind.CLIENT_DEFAULTS:
            entries, _ = default_entries(rows, quote, contacts)
            sources = [contacts[row.contact_id] for row in rows if row.contact_id in contacts]
        else:
            entries, _ = quote_entries(rows, quote, contacts)
            sources = [contacts[row.contact_id] if row.contact_id is not None else row
                       for row in rows if row.contact_id is None or row.contact_id in contacts]
        assignments = await assignments_of(quote.id)
        plan = apply_suggestion(entries, listed(assignments))
        if not plan.applies:
            outcome = refused(Problem(Code.SUGGESTION_EMPTY), quote_id=quote.id)
            outcome.skipped = plan.skipped
            return outcome
        before = history.functions_by_id(assignments)
        applied = await _write(quote, assignments, plan, sources)
        await bump(quote)
        return Outcome(
            quote_id=quote.id, committed=(quote, assignments), applied=applied, skipped=plan.skipped,
            enterprises=(quote.client_id,),
            events=[event(EventKind.SUGGESTION_APPLIED, quote.id, viewer)],
            history=_entries(before, assignments, applied),
        )

    return await run_change(work, viewer=viewer, bus=bus, name="applyContactSuggestion")


def _entries(before: dict, assignments: list[ContactAssignment], applied: list[int]) -> list:
    """The history of an applied suggestion, in the source's order: each contact added, then
    its functions; each function ticked on a contact already there (nothing is taken away)."""
    by_id = {a.id: a for a in assignments}
    after = history.functions_by_id(assignments)
    entries = []
    for assignment_id in applied:
        if assignment_id not in before:
            entries.append(history.of_assignment(HistoryKind.CONTACT_ADDED, by_id[assignment_id]))
        entries += history.function_changes(before, after, by_id, assignment_id)
    return entries


async def _write(quote: Quote, assignments: list[ContactAssignment], plan: Plan, sources: list) -> list[int]:
    """Stores the plan: the functions ticked on contacts already there, then the contacts
    added, in the source's order (`sources[i]`: entry i's enterprise contact, or the ad-hoc
    assignment it copies). Updates `assignments` as stored; answers the applied ids in order."""
    by_id = {a.id: a for a in assignments}
    for assignment_id, functions in plan.ticked.items():
        columns = function_columns(functions)
        await db.run(SET_FUNCTIONS, *columns.values(), assignment_id)
        for name, value in columns.items():
            setattr(by_id[assignment_id], name, value)
    new_ids = []
    for index, functions in plan.added:
        source = sources[index]
        if isinstance(source, Contact):
            origin = ContactSource.CLIENT if source.enterprise_id == quote.client_id else ContactSource.PARTNER
            contact_id, details = source.id, dict.fromkeys(DETAIL_FIELDS)
        else:
            origin, contact_id, details = ContactSource.ADHOC, None, _details(source)
        rows = await db.run(
            INSERT_ASSIGNMENT.format(columns=db.columns(ContactAssignment)),
            quote.id, contact_id, origin.value, *function_columns(functions).values(), *details.values(), now(),
            own_phone_is_mobile(details),
        )
        (assignment,) = db.rows_as(ContactAssignment, rows)
        object.__setattr__(assignment, "_contact", source if contact_id is not None else None)
        assignments.append(assignment)
        new_ids.append(assignment.id)
    return [new_ids[-slot - 1] if slot < 0 else slot for slot in plan.applied]

