"""The GraphQL types of a quote's step 2: its lines, its contact list, what each function
needs, the contacts the drop-downs offer and the validation; views over stored rows, resolved
from the operation's loaders (`contacts.state` says what the rules make of them)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import strawberry
from strawberry.types import Info

from contacts import models, rules
from contacts.auth import Permission as PermissionEnum
from contacts.auth import Viewer as Signed
from contacts.messages import FUNCTION_HELP, FUNCTION_LABELS, contact_name, summary
from contacts.state import QuoteState, details_of, functions_of, shows_a_mobile
from schema.context import Context
from schema.errors import ContactFunction, UserError, user_errors
from schema.history import QuoteHistoryConnection, history_page
from schema.ids import encode_id
from schema.makers import maker
from schema.pagination import PageInfo
from schema.selection import selected_fields
from schema.suggestions import ContactSuggestion, check_first, read_suggestions, suggestion_view
from schema.types import ContactType, EnterpriseType, contact_view, enterprise_view

QuoteStatus = strawberry.enum(models.QuoteStatus, name="QuoteStatus")
ContactSource = strawberry.enum(models.ContactSource, name="ContactSource")


@strawberry.type(name="Product")
class ProductType:
    id: strawberry.ID
    code: str
    name: str
    requires_on_site_contact: bool = strawberry.field(description="A supplier or subcontractor commissions it on site: the quote needs its one on-site contact.")
    requires_delivery_contact: bool = strawberry.field(description="Equipment (router, modem) is shipped: the quote needs its one delivery contact.")


make_product = maker(ProductType)


@strawberry.type(name="QuoteLine")
class QuoteLineType:
    id: strawberry.ID
    product: ProductType
    quantity: int


make_line = maker(QuoteLineType)


def line_view(row: models.QuoteLine) -> QuoteLineType:
    product = row.product
    return make_line(
        id=encode_id("QuoteLine", row.id),
        product=make_product(
            id=encode_id("Product", product.id),
            code=product.code,
            name=product.name,
            requires_on_site_contact=product.requires_on_site_contact,
            requires_delivery_contact=product.requires_delivery_contact,
        ),
        quantity=row.quantity,
    )


@strawberry.type(description="A contact on a quote's list, with the functions ticked for it.")
class ContactAssignment:
    id: strawberry.ID
    source: ContactSource
    contact: ContactType | None = strawberry.field(description="The enterprise contact it comes from, as it is now; null for an ad-hoc contact.")
    last_name: str = strawberry.field(description="On a draft, the enterprise contact's current details; once ordered, those it had at ordering.")
    first_name: str | None
    email: str
    phone: str
    phone_is_mobile: bool
    role: str
    functions: list[ContactFunction]
    added_at: datetime
    erased: bool = strawberry.field(
        description="True once the person's data is erased, on request or after the retention period: its names, email "
        "and phone are then placeholders (last name « Contact effacé », \"Erased contact\" in English; first name null; "
        "email, phone and role empty), contact is null, and the functions are kept."
    )


make_assignment = maker(ContactAssignment)


def assignment_view(row: models.ContactAssignment, viewer: Signed, language: str) -> ContactAssignment:
    details = details_of(row)
    ticked = functions_of(row)
    return make_assignment(
        id=encode_id("ContactAssignment", row.id),
        source=row.source,
        contact=contact_view(row.contact, viewer) if row.contact_id else None,
        last_name=contact_name(details["last_name"], row.erased, language) or "",
        first_name=details["first_name"],
        email=details["email"] or "",
        phone=details["phone"] or "",
        phone_is_mobile=shows_a_mobile(row),
        role=details["role"] or "",
        functions=[f for f in rules.FUNCTIONS if f in ticked],
        added_at=row.added_at,
        erased=row.erased,
    )


@strawberry.type
class ContactFunctionInfo:
    function: ContactFunction
    label: str = strawberry.field(description="The column title.")
    help: str = strawberry.field(description="The text behind the column's (i) sign.")


def function_infos(language: str) -> list[ContactFunctionInfo]:
    return [
        ContactFunctionInfo(function=f, label=FUNCTION_LABELS[f][language], help=FUNCTION_HELP[f][language])
        for f in rules.FUNCTIONS
    ]


@strawberry.type
class ContactRequirement:
    function: ContactFunction
    min: int
    max: int
    count: int
    summary: str
    required_by: list[QuoteLineType]


make_requirement = maker(ContactRequirement)


@strawberry.type
class EligibleContact:
    contact: ContactType
    can_add: bool = strawberry.field(description="Whether assignContact would accept this contact now.")
    reasons: list[UserError]


make_eligible = maker(EligibleContact)


@strawberry.type
class EligibleContacts:
    client: list[EligibleContact]
    partner: list[EligibleContact]


make_eligible_contacts = maker(EligibleContacts)


@strawberry.type
class ContactValidation:
    is_valid: bool
    errors: list[UserError]
    warnings: list[UserError]


make_validation = maker(ContactValidation)


async def _history(root: strawberry.Parent[QuoteType], info: Info[Context, None], first: int | None = 50,
                   after: str | None = None) -> QuoteHistoryConnection:
    return await history_page(root.row.id, first, after, info.context.language)


@strawberry.type(name="Quote")
class QuoteType:
    """A quote's step-2 fields are plain values, filled in beforehand by `quote_views` for all
    the quotes of a list at once, and only those the operation selects (the others stay None
    and are never read)."""

    id: strawberry.ID
    reference: str
    status: QuoteStatus
    viewer_can_edit: bool = strawberry.field(description="Whether the viewer may change this quote's contacts now: QUOTE_EDIT, and the quote still a draft.")
    version: int = strawberry.field(description="Grows by at least one with every change to what the quote's contacts show.")
    created_at: datetime
    updated_at: datetime
    ordered_at: datetime | None
    client: EnterpriseType
    history: QuoteHistoryConnection = strawberry.field(
        resolver=_history, description="Every change to this quote's contacts, newest first, by whom and when. Kept after ordering.")
    lines: list[QuoteLineType]
    assignments: list[ContactAssignment] = strawberry.field(description="The quote's contact list, in the order the contacts were added.")
    contact_requirements: list[ContactRequirement] = strawberry.field(description="For each function, in the order ON_SITE, DELIVERY, TRACKING: how many contacts it needs, at most, and has now.")
    eligible_contacts: EligibleContacts = strawberry.field(description="What the two drop-down menus offer: the client's contacts and the viewer's company's.")
    contact_validation: ContactValidation = strawberry.field(description="The contact rules as they stand; placeOrder refuses while isValid is false.")
    row: strawberry.Private[models.Quote]

    @strawberry.field(description="Ready-made contact lists for this draft, best first: the client's defaults (when it has any), "
                      "then the lists of the client's most recent other quotes that hold at least one contact, ordered ones first. "
                      "Empty once ordered, and for a viewer without QUOTE_EDIT. first is at most 10; more is an error.")
    async def contact_suggestions(self, info: Info[Context, None], first: int | None = 3) -> list[ContactSuggestion]:
        found = await read_suggestions(info, self.row, check_first(first))
        sources = await quote_views(info, [s.from_quote for s in found if s.from_quote], "fromQuote")
        by_id = {view.row.id: view for view in sources}
        return [await suggestion_view(info, self.row, s, by_id[s.from_quote.id] if s.from_quote else None) for s in found]


make_quote = maker(QuoteType)


# The fields filled in beforehand, by what they need loaded.
CLIENT = "client"
NEEDS_LISTS = frozenset({"assignments"})
NEEDS_STATE = frozenset({"lines", "contactRequirements", "eligibleContacts", "contactValidation"})
NEEDS_CONTACTS = frozenset({"eligibleContacts"})


async def quote_views(info: Info[Context, None], rows: Sequence[models.Quote], *path: str) -> list[QuoteType]:
    """`rows` as the operation shows them at `path` (field names from the field being
    resolved): what its selection needs is loaded for all of them at once, one statement per
    kind (their lines, contact lists, and their clients' and the viewer's company's contacts)."""
    if not rows:
        return []
    selected = selected_fields(info, *path)
    context = info.context
    loaders = context.loaders
    wants_lists = selected is None or not NEEDS_LISTS.isdisjoint(selected)
    wants_state = selected is None or not NEEDS_STATE.isdisjoint(selected)
    wants_contacts = selected is None or not NEEDS_CONTACTS.isdisjoint(selected)
    wants_client = selected is None or CLIENT in selected
    await loaders.prefetch(rows, lists=wants_lists, state=wants_state, contacts=wants_contacts)
    clients = {}
    if wants_client:
        missing = [row.client_id for row in rows if row.__dict__.get("_client") is None]
        if missing:
            clients = dict(zip(missing, await loaders.enterprise.load_many(missing)))
    viewer, language = context.viewer, context.language
    views = []
    for row in rows:
        state = loaders.state_of(row) if wants_state else None
        client = (row.__dict__.get("_client") or clients.get(row.client_id)) if wants_client else None
        views.append(make_quote(
            id=encode_id("Quote", row.id),
            reference=row.reference,
            status=row.status,
            viewer_can_edit=viewer.can(PermissionEnum.QUOTE_EDIT) and row.status == models.QuoteStatus.DRAFT,
            version=row.version,
            created_at=row.created_at,
            updated_at=row.updated_at,
            ordered_at=row.ordered_at,
            client=enterprise_view(client) if client is not None else None,
            lines=[line_view(line) for line in state.lines] if state else None,
            assignments=[assignment_view(a, viewer, language) for a in loaders.assignments_of(row)] if wants_lists else None,
            contact_requirements=_requirements(state, language) if state else None,
            eligible_contacts=_eligible(row, state, loaders.contacts_of(row), viewer, language) if wants_contacts else None,
            contact_validation=make_validation(
                is_valid=not state.errors,
                errors=user_errors(state.errors, language),
                warnings=user_errors(state.warnings, language),
            ) if state else None,
            row=row,
        ))
    return views


async def quote_view(info: Info[Context, None], row: models.Quote | None, *path: str) -> QuoteType | None:
    """One quote as the operation shows it at `path` (see `quote_views`); None for None."""
    return (await quote_views(info, [row], *path))[0] if row is not None else None


def _requirements(state: QuoteState, language: str) -> list[ContactRequirement]:
    lines = {line.id: line for line in state.lines}
    return [
        make_requirement(
            function=req.function,
            min=req.min,
            max=req.max,
            count=req.count,
            summary=summary(req, language),
            required_by=[line_view(lines[i]) for i in req.required_by],
        )
        for req in state.requirements
    ]


def _eligible(row: models.Quote, state: QuoteState, contacts: tuple[list[models.Contact], list[models.Contact]],
              viewer: Signed, language: str) -> EligibleContacts:
    on_quote = {a.contact_id for a in state.assignments}
    may_edit = viewer.can(PermissionEnum.QUOTE_EDIT)
    is_draft = row.status == models.QuoteStatus.DRAFT

    # Whether a contact may be added depends, on one quote, on what it lacks and whether it is
    # on the quote already: the rules and their messages are worked out once per such case.
    verdicts: dict[tuple, tuple[bool, list]] = {}

    def eligible(contact_row: models.Contact) -> EligibleContact:
        contact = contact_view(contact_row, viewer)
        case = (tuple(contact.missing_fields), contact_row.id in on_quote)
        verdict = verdicts.get(case)
        if verdict is None:
            reasons = rules.add_problems(
                contact_missing=contact.missing_fields,
                already_on_quote=case[1],
                contacts_on_quote=len(state.assignments),
                quote_is_draft=is_draft,
                may_edit=may_edit,
            )
            verdict = verdicts[case] = (not reasons, user_errors(reasons, language))
        return make_eligible(contact=contact, can_add=verdict[0], reasons=verdict[1])

    client, partner = contacts
    return make_eligible_contacts(client=[eligible(r) for r in client], partner=[eligible(r) for r in partner])


@strawberry.type
class QuoteEdge:
    cursor: str
    node: QuoteType


@strawberry.type
class QuoteConnection:
    edges: list[QuoteEdge]
    page_info: PageInfo
