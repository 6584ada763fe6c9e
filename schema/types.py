"""The GraphQL object types: thin views over stored rows, resolved from per-request loaders."""

from __future__ import annotations

import base64
import json
from datetime import datetime
from enum import Enum

import strawberry
from strawberry.types import Info

from api import rules
from api.auth import Permission as PermissionEnum
from api.ids import encode_id
from api.messages import FUNCTION_HELP, FUNCTION_LABELS, summary
from api import models
from api.quote_contacts import details_of, functions_of
from api.reads import contact_order
from schema.context import Context
from schema.errors import ContactFunction, PublicError, UserError, user_error

Permission = strawberry.enum(PermissionEnum, name="Permission", description=None)
EnterpriseKind = strawberry.enum(models.EnterpriseKind, name="EnterpriseKind")
QuoteStatus = strawberry.enum(models.QuoteStatus, name="QuoteStatus")
ContactSource = strawberry.enum(models.ContactSource, name="ContactSource")
ContactField = strawberry.enum(rules.ContactField, name="ContactField")

MAX_PAGE = 100


# --- Pagination ------------------------------------------------------------------------------


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


def encode_cursor(*values: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(values, default=str).encode()).decode()


MAX_ID = 2**31 - 1  # the database's integer ids


def decode_cursor(cursor: str | None, kinds: tuple[type, ...]) -> list | None:
    """The values of a cursor of ours, of the given kinds (str, int), or a PublicError:
    what reaches the database is text it can hold and ids within its integers."""
    if cursor is None:
        return None
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor.encode()).decode())
    except (ValueError, UnicodeError):
        raise PublicError("The cursor `after` is not valid.") from None
    if not isinstance(values, list) or len(values) != len(kinds) or not all(
        (type(v) is int and 0 <= v <= MAX_ID) if kind is int else (isinstance(v, str) and "\x00" not in v)
        for v, kind in zip(values, kinds)
    ):
        raise PublicError("The cursor `after` is not valid.")
    return values


def check_first(first: int | None, default: int) -> int:
    if first is None:
        return default
    if first < 0 or first > MAX_PAGE:
        raise PublicError(f"`first` must be between 0 and {MAX_PAGE}.")
    return first


# --- Enterprises and contacts ---------------------------------------------------------------


@strawberry.type(name="Enterprise")
class EnterpriseType:
    row: strawberry.Private[models.Enterprise]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(encode_id("Enterprise", self.row.id))

    @strawberry.field
    def name(self) -> str:
        return self.row.name

    @strawberry.field
    def kind(self) -> EnterpriseKind:
        return self.row.kind

    @strawberry.field(description="By last name. search matches part of the last name, first name or email, ignoring case and accents.")
    async def contacts(
        self, info: Info[Context, None], first: int | None = 50, after: str | None = None, search: str | None = None
    ) -> ContactConnection:
        from api.text import search_key

        first = check_first(first, 50)
        start = decode_cursor(after, (str, str, int))
        rows = await info.context.loaders.contacts.load(self.row.id)
        if search:
            key = search_key(search)
            rows = [row for row in rows if key in row.search_text]
        if start is not None:
            rows = [row for row in rows if contact_order(row) > tuple(start)]
        page = rows[:first]
        edges = [ContactEdge(cursor=encode_cursor(*contact_order(row)), node=ContactType(row=row)) for row in page]
        return ContactConnection(
            edges=edges,
            page_info=PageInfo(has_next_page=len(rows) > first, end_cursor=edges[-1].cursor if edges else None),
        )


@strawberry.type(name="Contact")
class ContactType:
    row: strawberry.Private[models.Contact]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(encode_id("Contact", self.row.id))

    @strawberry.field
    async def enterprise(self, info: Info[Context, None]) -> EnterpriseType:
        return EnterpriseType(row=await info.context.loaders.enterprise.load(self.row.enterprise_id))

    @strawberry.field
    def last_name(self) -> str:
        return self.row.last_name

    @strawberry.field
    def first_name(self) -> str | None:
        return self.row.first_name

    @strawberry.field
    def email(self) -> str | None:
        return self.row.email

    @strawberry.field(description="International form (E.164), e.g. +33612345678.")
    def phone(self) -> str | None:
        return self.row.phone

    @strawberry.field(description="The site and delivery contacts should be reachable on a mobile.")
    def phone_is_mobile(self) -> bool:
        return rules.is_mobile(self.row.phone)

    @strawberry.field(description="The contact's role in their company, shown when hovering the contact on a quote.")
    def role(self) -> str | None:
        return self.row.role

    @strawberry.field(description="What the contact lacks (empty or invalid) before it can be added to a quote.")
    def missing_fields(self) -> list[ContactField]:
        return rules.missing_fields(_contact_details(self.row))

    @strawberry.field
    def is_complete(self) -> bool:
        return not rules.missing_fields(_contact_details(self.row))

    @strawberry.field(description="Whether the viewer may edit this contact (CONTACT_EDIT).")
    def can_edit(self, info: Info[Context, None]) -> bool:
        return info.context.viewer.can(PermissionEnum.CONTACT_EDIT)

    @strawberry.field
    def updated_at(self) -> datetime:
        return self.row.updated_at


def _contact_details(row: models.Contact) -> dict[str, str | None]:
    return {"last_name": row.last_name, "email": row.email, "phone": row.phone, "role": row.role}


@strawberry.type
class ContactEdge:
    cursor: str
    node: ContactType


@strawberry.type
class ContactConnection:
    edges: list[ContactEdge]
    page_info: PageInfo


@strawberry.type
class EnterpriseEdge:
    cursor: str
    node: EnterpriseType


@strawberry.type
class EnterpriseConnection:
    edges: list[EnterpriseEdge]
    page_info: PageInfo


# --- Quotes -------------------------------------------------------------------------------


@strawberry.type(name="Product")
class ProductType:
    row: strawberry.Private[models.Product]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(encode_id("Product", self.row.id))

    @strawberry.field
    def code(self) -> str:
        return self.row.code

    @strawberry.field
    def name(self) -> str:
        return self.row.name

    @strawberry.field(description="A supplier or subcontractor commissions it on site: the quote needs its one on-site contact.")
    def requires_on_site_contact(self) -> bool:
        return self.row.requires_on_site_contact

    @strawberry.field(description="Equipment (router, modem) is shipped: the quote needs its one delivery contact.")
    def requires_delivery_contact(self) -> bool:
        return self.row.requires_delivery_contact


@strawberry.type(name="QuoteLine")
class QuoteLineType:
    row: strawberry.Private[models.QuoteLine]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(encode_id("QuoteLine", self.row.id))

    @strawberry.field
    def product(self) -> ProductType:
        return ProductType(row=self.row.product)

    @strawberry.field
    def quantity(self) -> int:
        return self.row.quantity


@strawberry.type(description="A contact on a quote's list, with the functions ticked for it.")
class ContactAssignment:
    row: strawberry.Private[models.ContactAssignment]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(encode_id("ContactAssignment", self.row.id))

    @strawberry.field
    def source(self) -> ContactSource:
        return self.row.source

    @strawberry.field(description="The enterprise contact it comes from, as it is now; null for an ad-hoc contact.")
    def contact(self) -> ContactType | None:
        return ContactType(row=self.row.contact) if self.row.contact_id else None

    @strawberry.field(description="On a draft, the enterprise contact's current details; once ordered, those it had at ordering.")
    def last_name(self) -> str:
        return details_of(self.row)["last_name"] or ""

    @strawberry.field
    def first_name(self) -> str | None:
        return details_of(self.row)["first_name"]

    @strawberry.field
    def email(self) -> str:
        return details_of(self.row)["email"] or ""

    @strawberry.field
    def phone(self) -> str:
        return details_of(self.row)["phone"] or ""

    @strawberry.field
    def phone_is_mobile(self) -> bool:
        return rules.is_mobile(details_of(self.row)["phone"])

    @strawberry.field
    def role(self) -> str:
        return details_of(self.row)["role"] or ""

    @strawberry.field
    def functions(self) -> list[ContactFunction]:
        return [f for f in rules.FUNCTIONS if f in functions_of(self.row)]

    @strawberry.field
    def added_at(self) -> datetime:
        return self.row.added_at


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


@strawberry.type
class EligibleContact:
    contact: ContactType
    can_add: bool = strawberry.field(description="Whether assignContact would accept this contact now.")
    reasons: list[UserError]


@strawberry.type
class EligibleContacts:
    client: list[EligibleContact]
    partner: list[EligibleContact]


@strawberry.type
class ContactValidation:
    is_valid: bool
    errors: list[UserError]
    warnings: list[UserError]


@strawberry.type(name="Quote")
class QuoteType:
    row: strawberry.Private[models.Quote]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(encode_id("Quote", self.row.id))

    @strawberry.field
    def reference(self) -> str:
        return self.row.reference

    @strawberry.field
    def status(self) -> QuoteStatus:
        return self.row.status

    @strawberry.field
    async def client(self, info: Info[Context, None]) -> EnterpriseType:
        return EnterpriseType(row=await info.context.loaders.enterprise.load(self.row.client_id))

    @strawberry.field
    async def lines(self, info: Info[Context, None]) -> list[QuoteLineType]:
        return [QuoteLineType(row=line) for line in (await info.context.loaders.state(self.row)).lines]

    @strawberry.field(description="The quote's contact list, in the order the contacts were added.")
    async def assignments(self, info: Info[Context, None]) -> list[ContactAssignment]:
        return [ContactAssignment(row=a) for a in (await info.context.loaders.state(self.row)).assignments]

    @strawberry.field(description="For each function, in the order ON_SITE, DELIVERY, TRACKING: how many contacts it needs, at most, and has now.")
    async def contact_requirements(self, info: Info[Context, None]) -> list[ContactRequirement]:
        state = await info.context.loaders.state(self.row)
        lines = {line.id: line for line in state.lines}
        language = info.context.language
        return [
            ContactRequirement(
                function=req.function,
                min=req.min,
                max=req.max,
                count=req.count,
                summary=summary(req, language),
                required_by=[QuoteLineType(row=lines[i]) for i in req.required_by],
            )
            for req in state.requirements
        ]

    @strawberry.field(description="What the two drop-down menus offer: the client's contacts and the viewer's company's.")
    async def eligible_contacts(self, info: Info[Context, None]) -> EligibleContacts:
        loaders = info.context.loaders
        state = await loaders.state(self.row)
        client, partner = await loaders.contacts.load_many([self.row.client_id, self.row.partner_id])
        on_quote = {a.contact_id for a in state.assignments}
        may_edit = info.context.viewer.can(PermissionEnum.QUOTE_EDIT)
        is_draft = self.row.status == models.QuoteStatus.DRAFT
        language = info.context.language

        def eligible(row: models.Contact) -> EligibleContact:
            reasons = rules.add_problems(
                contact_missing=rules.missing_fields(_contact_details(row)),
                already_on_quote=row.id in on_quote,
                contacts_on_quote=len(state.assignments),
                quote_is_draft=is_draft,
                may_edit=may_edit,
            )
            return EligibleContact(
                contact=ContactType(row=row),
                can_add=not reasons,
                reasons=[user_error(p, language) for p in reasons],
            )

        return EligibleContacts(client=[eligible(r) for r in client], partner=[eligible(r) for r in partner])

    @strawberry.field(description="The contact rules as they stand; placeOrder refuses while isValid is false.")
    async def contact_validation(self, info: Info[Context, None]) -> ContactValidation:
        state = await info.context.loaders.state(self.row)
        language = info.context.language
        return ContactValidation(
            is_valid=not state.errors,
            errors=[user_error(p, language) for p in state.errors],
            warnings=[user_error(p, language) for p in state.warnings],
        )

    @strawberry.field(description="Whether the viewer may change this quote's contacts now: QUOTE_EDIT, and the quote still a draft.")
    def viewer_can_edit(self, info: Info[Context, None]) -> bool:
        return info.context.viewer.can(PermissionEnum.QUOTE_EDIT) and self.row.status == models.QuoteStatus.DRAFT

    @strawberry.field(description="Grows by at least one with every change to what the quote's contacts show.")
    def version(self) -> int:
        return self.row.version

    @strawberry.field
    def created_at(self) -> datetime:
        return self.row.created_at

    @strawberry.field
    def updated_at(self) -> datetime:
        return self.row.updated_at

    @strawberry.field
    def ordered_at(self) -> datetime | None:
        return self.row.ordered_at


@strawberry.type
class QuoteEdge:
    cursor: str
    node: QuoteType


@strawberry.type
class QuoteConnection:
    edges: list[QuoteEdge]
    page_info: PageInfo


@strawberry.type
class Viewer:
    id: strawberry.ID
    name: str
    email: str
    partner: EnterpriseType = strawberry.field(description="The viewer's own company (kind PARTNER).")
    permissions: list[Permission]
