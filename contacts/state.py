"""A quote's state: its lines and contact list, and what the rules make of them.

`quote_state` is the one place where stored rows meet `contacts.rules`: the validation field,
the column requirements and placeOrder all read a quote through it. The adapters below turn
an assignment row into what the rules see (a `Slot`) and what a screen shows (its details).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from contacts import reads, rules
from contacts.models import Contact, ContactAssignment, QuoteLine
from contacts.rules import ContactField, Function

DETAIL_FIELDS = ("last_name", "first_name", "email", "phone", "role")


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


def function_columns(functions: frozenset[Function]) -> dict[str, bool]:
    """The stored columns of a set of functions."""
    return {
        "on_site": Function.ON_SITE in functions,
        "delivery": Function.DELIVERY in functions,
        "tracking": Function.TRACKING in functions,
    }


def details_of(assignment: ContactAssignment) -> dict[str, str | None]:
    """The details an assignment shows: its own (ad-hoc, or frozen at ordering), else its
    enterprise contact's current ones (the contact must have been loaded with it)."""
    if assignment.contact_id is None or assignment.last_name is not None:
        source = assignment
    else:
        source = assignment.contact
    return {name: getattr(source, name) for name in DETAIL_FIELDS}


# --- What the rules make of a contact's details, stored with them ------------------------------
#
# Checking an email and parsing a phone cost some 80 µs a contact, and a step-2 page lists
# dozens. So the verdict is written with the details (`verdict`, by every statement that writes
# them) and read back with them; a row without one (written before it was stored, or another
# way) has it worked out when read. Either way it is the rules' own (rules.missing_fields and
# rules.is_mobile).


def verdict(details: Mapping[str, str | None]) -> dict[str, object]:
    """The stored verdict of an enterprise contact's details: the columns `missing` (the
    ContactFields it lacks, comma-separated) and `phone_is_mobile`."""
    missing = rules.missing_fields(details)
    return {"missing": ",".join(field.value for field in missing), "phone_is_mobile": rules.is_mobile(details.get("phone"))}


def own_phone_is_mobile(details: Mapping[str, str | None]) -> bool | None:
    """The stored `phone_is_mobile` of an assignment's own details (None when it has none: an
    enterprise contact's assignment shows the contact's)."""
    phone = details.get("phone")
    return None if phone is None else rules.is_mobile(phone)


@lru_cache(maxsize=64)
def _fields(stored: str) -> tuple[ContactField, ...]:
    return tuple(ContactField(name) for name in stored.split(",")) if stored else ()


def missing_of(contact: Contact) -> list[ContactField]:
    """What an enterprise contact lacks (empty or invalid) before it can go on a quote."""
    if contact.missing is not None:
        return list(_fields(contact.missing))
    return rules.missing_fields({name: getattr(contact, name) for name in DETAIL_FIELDS})


def is_mobile_of(contact: Contact) -> bool:
    """Whether an enterprise contact's phone is a mobile."""
    return contact.phone_is_mobile if contact.phone_is_mobile is not None else rules.is_mobile(contact.phone)


def shows_a_mobile(assignment: ContactAssignment) -> bool:
    """Whether the phone an assignment shows (see `details_of`) is a mobile."""
    if assignment.contact_id is None or assignment.last_name is not None:
        stored = assignment.phone_is_mobile
        return stored if stored is not None else rules.is_mobile(assignment.phone)
    return is_mobile_of(assignment.contact)


def slot_of(assignment: ContactAssignment) -> rules.Slot:
    """An assignment as the rules see it. An erased one (an order's, its phone gone) gives no
    PHONE_NOT_MOBILE warning: there is nobody left to call."""
    return rules.Slot(assignment.id, functions_of(assignment), assignment.erased or shows_a_mobile(assignment))


def line_needs(line: QuoteLine) -> rules.LineNeeds:
    return rules.LineNeeds(line.id, line.product.requires_on_site_contact, line.product.requires_delivery_contact)


@dataclass
class QuoteState:
    """A quote's lines and contact list, and what the rules make of them."""

    lines: list[QuoteLine]
    assignments: list[ContactAssignment]
    requirements: list[rules.Requirement]
    errors: list[rules.Problem]
    warnings: list[rules.Problem]


def quote_state(lines: Sequence[QuoteLine], assignments: Sequence[ContactAssignment]) -> QuoteState:
    slots = [slot_of(a) for a in assignments]
    reqs = rules.requirements((line_needs(line) for line in lines), slots)
    errors, warnings = rules.validate(reqs, slots)
    return QuoteState(list(lines), list(assignments), reqs, errors, warnings)


async def read_quote_state(quote_id: int) -> QuoteState:
    """A quote's state as stored now (two statements: its lines, its contact list)."""
    (lines,) = await reads.quote_lines([quote_id])
    (assignments,) = await reads.assignments([quote_id])
    return quote_state(lines, assignments)
