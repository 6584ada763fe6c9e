"""The Mutation root: thin shells over the domain's commands (`contacts.quote_contacts`,
`contacts.enterprise_contacts`, `contacts.suggestions`, `contacts.contact_defaults`; and
`erasePersonalData`, from schema/privacy.py), which hold the behaviour: ids decoded, the outcome
shown."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from contacts import contact_defaults, enterprise_contacts, quote_contacts, rules, suggestions
from contacts.changes import Outcome
from contacts.rules import Function
from contacts.state import DETAIL_FIELDS
from contacts.visibility import visible_contact, visible_enterprise, visible_quote
from schema.context import Context
from schema.errors import ContactFunction, PublicError, UserError, user_errors
from schema.ids import decode_id
from schema.makers import maker
from schema.pagination import MAX_PAGE
from schema.privacy import PersonalDataMutation
from schema.quote import ContactAssignment, QuoteType, assignment_view, quote_view
from schema.suggestions import ContactSuggestionSource
from schema.types import ContactType, EnterpriseType, contact_view, enterprise_view


@strawberry.input
class AssignContactInput:
    quote_id: strawberry.ID
    contact_id: strawberry.ID
    functions: list[ContactFunction] | None = strawberry.field(
        default_factory=list, description="Functions to tick at once, under the same rules as setAssignmentFunction."
    )


@strawberry.input
class AssignAdhocContactInput:
    quote_id: strawberry.ID
    last_name: str
    first_name: str | None = None
    email: str
    phone: str
    role: str
    functions: list[ContactFunction] | None = strawberry.field(default_factory=list)


@strawberry.input
class UnassignContactInput:
    assignment_id: strawberry.ID


@strawberry.input
class SetAssignmentFunctionInput:
    assignment_id: strawberry.ID
    function: ContactFunction
    enabled: bool


@strawberry.input
class PlaceOrderInput:
    quote_id: strawberry.ID


@strawberry.input
class CreateContactInput:
    enterprise_id: strawberry.ID
    last_name: str
    first_name: str | None = None
    email: str | None = None
    phone: str | None = None
    role: str | None = None


@strawberry.input
class UpdateContactInput:
    contact_id: strawberry.ID
    last_name: str | None = strawberry.UNSET
    first_name: str | None = strawberry.UNSET
    email: str | None = strawberry.UNSET
    phone: str | None = strawberry.UNSET
    role: str | None = strawberry.UNSET


@strawberry.input
class ApplyContactSuggestionInput:
    quote_id: strawberry.ID
    source: ContactSuggestionSource
    from_quote_id: strawberry.ID | None = strawberry.field(
        default=None, description="Required for EARLIER_QUOTE: another quote of the same client (else NOT_FOUND)."
    )


@strawberry.input
class ContactDefaultInput:
    contact_id: strawberry.ID = strawberry.field(description="A contact of that client or of the viewer's company.")
    functions: list[ContactFunction] = strawberry.field(description="At least one.")


@strawberry.input
class SetContactDefaultsInput:
    enterprise_id: strawberry.ID = strawberry.field(description="The client the defaults are for.")
    defaults: list[ContactDefaultInput] = strawberry.field(description="In the order they are to be proposed.")


@strawberry.type
class ApplyContactSuggestionPayload:
    quote: QuoteType | None = strawberry.field(description="The quote after the change, or as it stands when refused; null when not found.")
    applied: list[ContactAssignment] = strawberry.field(description="The assignments that this change added or gave a function.")
    skipped: list[UserError] = strawberry.field(
        description="What was not applied, one entry per contact or function, in the source's order, with contactId set for an "
        "enterprise contact and function for a function; with SUGGESTION_EMPTY, why nothing applies."
    )
    user_errors: list[UserError]


@strawberry.type
class SetContactDefaultsPayload:
    enterprise: EnterpriseType | None = strawberry.field(description="The client after the change, or as it stands when refused; null when not found.")
    user_errors: list[UserError]


@strawberry.type
class ContactAssignmentPayload:
    quote: QuoteType | None = strawberry.field(description="The quote after the change, or as it stands when the change was refused; null when not found.")
    assignment: ContactAssignment | None = strawberry.field(description="The assignment added or changed; null when refused or removed.")
    user_errors: list[UserError]


make_assignment_payload = maker(ContactAssignmentPayload)


@strawberry.type
class PlaceOrderPayload:
    quote: QuoteType | None
    user_errors: list[UserError]


@strawberry.type
class ContactPayload:
    contact: ContactType | None
    user_errors: list[UserError]


async def _quote(info: Info[Context, None], outcome: Outcome) -> QuoteType | None:
    info.context.forget_loaded()
    if outcome.quote_id is None:
        return None
    if outcome.committed is not None:  # as the change committed it: no need to read it again
        row, assignments = outcome.committed
        info.context.loaders.known_assignments(row.id, assignments)
        if info.context.dependencies is not None and outcome.ok and outcome.raised is not None:
            info.context.dependencies.committed = (row.id, row.client_id, outcome.raised)
    else:
        row = await visible_quote(info.context.viewer, outcome.quote_id)
    if row is not None:
        info.context.loaders.known_quote(row)
    return await quote_view(info, row, "quote")


def _errors(info: Info[Context, None], outcome: Outcome) -> list[UserError]:
    return user_errors(outcome.problems, info.context.language)


async def _assignment_payload(info: Info[Context, None], outcome: Outcome, removed: bool = False) -> ContactAssignmentPayload:
    quote = await _quote(info, outcome)
    assignment = None
    if outcome.ok and outcome.assignment_id and not removed:
        rows = await info.context.loaders.assignments.load(outcome.quote_id)
        assignment = next((assignment_view(a, info.context.viewer, info.context.language)
                           for a in rows if a.id == outcome.assignment_id), None)
    return make_assignment_payload(quote=quote, assignment=assignment, user_errors=_errors(info, outcome))


def _details(input: object) -> dict:
    """The contact details of an input, a field left out as `rules.UNSET`."""
    return {name: rules.UNSET if getattr(input, name) is strawberry.UNSET else getattr(input, name) for name in DETAIL_FIELDS}


@strawberry.type
class Mutation(PersonalDataMutation):
    @strawberry.mutation(description="Adds an enterprise contact (the quote's client's or the viewer's company's) to a draft quote.")
    async def assign_contact(self, info: Info[Context, None], input: AssignContactInput) -> ContactAssignmentPayload:
        outcome = await quote_contacts.assign_contact(
            info.context.viewer,
            decode_id("Quote", input.quote_id),
            decode_id("Contact", input.contact_id),
            [Function(f) for f in input.functions or []],
            bus=info.context.bus,
        )
        return await _assignment_payload(info, outcome)

    @strawberry.mutation(description="Adds a one-off contact to a draft quote. It lives on this quote only and is not saved among the enterprise's contacts.")
    async def assign_adhoc_contact(self, info: Info[Context, None], input: AssignAdhocContactInput) -> ContactAssignmentPayload:
        outcome = await quote_contacts.assign_adhoc_contact(
            info.context.viewer,
            decode_id("Quote", input.quote_id),
            _details(input),
            [Function(f) for f in input.functions or []],
            bus=info.context.bus,
        )
        return await _assignment_payload(info, outcome)

    @strawberry.mutation(description="Takes a contact off a draft quote.")
    async def unassign_contact(self, info: Info[Context, None], input: UnassignContactInput) -> ContactAssignmentPayload:
        outcome = await quote_contacts.unassign_contact(
            info.context.viewer, decode_id("ContactAssignment", input.assignment_id), bus=info.context.bus
        )
        return await _assignment_payload(info, outcome, removed=True)

    @strawberry.mutation(
        description="Ticks or unticks one function of an assignment. ON_SITE and DELIVERY belong to one contact at a time: "
        "ticking one on a contact unticks it on the contact that had it. TRACKING is refused with TRACKING_CONTACT_LIMIT on a fourth contact."
    )
    async def set_assignment_function(
        self, info: Info[Context, None], input: SetAssignmentFunctionInput
    ) -> ContactAssignmentPayload:
        outcome = await quote_contacts.set_assignment_function(
            info.context.viewer, decode_id("ContactAssignment", input.assignment_id), Function(input.function),
            input.enabled, bus=info.context.bus,
        )
        return await _assignment_payload(info, outcome)

    @strawberry.mutation(description="Places the order when the contact rules hold: the quote becomes ORDERED and its contacts are frozen as they are.")
    async def place_order(self, info: Info[Context, None], input: PlaceOrderInput) -> PlaceOrderPayload:
        outcome = await quote_contacts.place_order(info.context.viewer, decode_id("Quote", input.quote_id), bus=info.context.bus)
        return PlaceOrderPayload(quote=await _quote(info, outcome), user_errors=_errors(info, outcome))

    @strawberry.mutation(description="Enterprise module: a permanent contact. Needs CONTACT_EDIT. Email, phone and role may be left out (the contact is then incomplete) but must be valid when given.")
    async def create_contact(self, info: Info[Context, None], input: CreateContactInput) -> ContactPayload:
        outcome = await enterprise_contacts.create_contact(
            info.context.viewer, decode_id("Enterprise", input.enterprise_id), _details(input), bus=info.context.bus
        )
        return await _contact_payload(info, outcome)

    @strawberry.mutation(description="Enterprise module: completes or corrects a contact. Needs CONTACT_EDIT. A field left out stays as it is; an empty last name, email, phone or role is refused (REQUIRED).")
    async def update_contact(self, info: Info[Context, None], input: UpdateContactInput) -> ContactPayload:
        outcome = await enterprise_contacts.update_contact(
            info.context.viewer, decode_id("Contact", input.contact_id), _details(input), bus=info.context.bus
        )
        return await _contact_payload(info, outcome)

    @strawberry.mutation(
        description="Applies a suggestion to a draft in one change: adds each of its contacts that can be added, and ticks each "
        "of their functions that is free, never removing or unticking anything already on the quote. What is not applied comes "
        "back in `skipped`, one entry per contact or function, with its reason. Refused whole, in userErrors, only for "
        "NOT_FOUND, FORBIDDEN, QUOTE_NOT_EDITABLE and SUGGESTION_EMPTY."
    )
    async def apply_contact_suggestion(
        self, info: Info[Context, None], input: ApplyContactSuggestionInput
    ) -> ApplyContactSuggestionPayload:
        outcome = await suggestions.apply_contact_suggestion(
            info.context.viewer, decode_id("Quote", input.quote_id), suggestions.SourceKind(input.source.value),
            decode_id("Quote", input.from_quote_id), bus=info.context.bus,
        )
        quote = await _quote(info, outcome)
        applied = []
        if outcome.ok and outcome.applied:
            rows = {a.id: a for a in await info.context.loaders.assignments.load(outcome.quote_id)}
            applied = [assignment_view(rows[i], info.context.viewer, info.context.language)
                       for i in outcome.applied if i in rows]
        return ApplyContactSuggestionPayload(
            quote=quote, applied=applied, skipped=user_errors(outcome.skipped, info.context.language),
            user_errors=_errors(info, outcome),
        )

    @strawberry.mutation(
        description="Replaces a client's default contacts as a whole (CONTACT_EDIT), for example with the list of the quote on "
        f"screen; an empty list removes them all. Every problem at once, nothing stored on a refusal. At most {MAX_PAGE} "
        "entries are read (more is an error); more than 10 is QUOTE_CONTACT_LIMIT."
    )
    async def set_contact_defaults(self, info: Info[Context, None], input: SetContactDefaultsInput) -> SetContactDefaultsPayload:
        if len(input.defaults) > MAX_PAGE:
            raise PublicError(f"`defaults` holds at most {MAX_PAGE} entries.")
        outcome = await contact_defaults.set_contact_defaults(
            info.context.viewer, decode_id("Enterprise", input.enterprise_id),
            [(decode_id("Contact", d.contact_id), [Function(f) for f in d.functions]) for d in input.defaults],
            bus=info.context.bus,
        )
        info.context.forget_loaded()
        enterprise = None
        if outcome.enterprise_id is not None:
            row = await visible_enterprise(info.context.viewer, outcome.enterprise_id)
            enterprise = enterprise_view(row) if row else None
        return SetContactDefaultsPayload(enterprise=enterprise, user_errors=_errors(info, outcome))


async def _contact_payload(info: Info[Context, None], outcome: Outcome) -> ContactPayload:
    info.context.forget_loaded()
    contact = None
    if outcome.contact_id is not None:
        row = await visible_contact(info.context.viewer, outcome.contact_id)
        contact = contact_view(row, info.context.viewer) if row else None
    return ContactPayload(contact=contact, user_errors=_errors(info, outcome))
