"""A quote's state: its lines and contact list, and what the rules make of them.

`quote_state` is the one place where stored rows meet `contacts.rules`: the validation field,
the column requirements and placeOrder all read a quote through it. The adapters below turn
an assignment row into what the rules see (a `Slot`) and what a screen shows (its details).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from contacts import reads, rules
from contacts.models import ContactAssignment, QuoteLine
from contacts.rules import Function

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


def slot_of(assignment: ContactAssignment) -> rules.Slot:
    """An assignment as the rules see it. An erased one (an order's, its phone gone) gives no
    PHONE_NOT_MOBILE warning: there is nobody left to call."""
    mobile = assignment.erased or rules.is_mobile(details_of(assignment)["phone"])
    return rules.Slot(assignment.id, functions_of(assignment), mobile)


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
