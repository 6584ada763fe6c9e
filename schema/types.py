"""The GraphQL object types of enterprises, their contacts and the viewer: thin views over
stored rows, resolved from the operation's loaders. The quote's types are in `schema.quote`."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info

from contacts import models, rules
from contacts.auth import Permission as PermissionEnum
from contacts.auth import Viewer as Signed
from contacts.reads import contact_order
from contacts.state import functions_of, is_mobile_of, missing_of
from contacts.text import search_key
from schema.context import Context
from schema.errors import ContactFunction
from schema.ids import encode_id
from schema.makers import maker
from schema.pagination import PageInfo, check_first, check_search, decode_cursor, encode_cursor

Permission = strawberry.enum(PermissionEnum, name="Permission", description=None)
EnterpriseKind = strawberry.enum(models.EnterpriseKind, name="EnterpriseKind")
ContactField = strawberry.enum(rules.ContactField, name="ContactField")


@strawberry.type(name="Enterprise")
class EnterpriseType:
    id: strawberry.ID
    name: str
    kind: EnterpriseKind
    pk: strawberry.Private[int]

    @strawberry.field(description="By last name. search matches part of the last name, first name or email, ignoring case and accents.")
    async def contacts(
        self, info: Info[Context, None], first: int | None = 50, after: str | None = None, search: str | None = None
    ) -> ContactConnection:
        first = check_first(first, 50)
        search = check_search(search)
        start = decode_cursor(after, (str, str, int))
        rows = await info.context.loaders.contacts.load(self.pk)
        if search:
            key = search_key(search)
            rows = [row for row in rows if key in row.search_text]
        if start is not None:
            rows = [row for row in rows if contact_order(row) > tuple(start)]
        page = rows[:first]
        viewer = info.context.viewer
        edges = [ContactEdge(cursor=encode_cursor(*contact_order(row)), node=contact_view(row, viewer)) for row in page]
        return ContactConnection(
            edges=edges,
            page_info=PageInfo(has_next_page=len(rows) > first, end_cursor=edges[-1].cursor if edges else None),
        )

    @strawberry.field(description="For a CLIENT: the contacts proposed on its quotes, with their functions, in the order they were set. Empty for a PARTNER.")
    async def contact_defaults(self, info: Info[Context, None]) -> list[ContactDefault]:
        if self.kind != models.EnterpriseKind.CLIENT:
            return []
        viewer = info.context.viewer
        return [
            ContactDefault(contact=contact_view(row.contact, viewer), functions=[f for f in rules.FUNCTIONS if f in functions_of(row)])
            for row in await info.context.loaders.defaults.load(self.pk)
        ]


make_enterprise = maker(EnterpriseType)


def enterprise_view(row: models.Enterprise) -> EnterpriseType:
    return make_enterprise(id=encode_id("Enterprise", row.id), name=row.name, kind=row.kind, pk=row.id)


@strawberry.type(name="Contact")
class ContactType:
    id: strawberry.ID
    last_name: str
    first_name: str | None
    email: str | None
    phone: str | None = strawberry.field(description="International form (E.164), e.g. +33612345678.")
    phone_is_mobile: bool = strawberry.field(description="The site and delivery contacts should be reachable on a mobile.")
    role: str | None = strawberry.field(description="The contact's role in their company, shown when hovering the contact on a quote.")
    missing_fields: list[ContactField] = strawberry.field(description="What the contact lacks (empty or invalid) before it can be added to a quote.")
    is_complete: bool
    can_edit: bool = strawberry.field(description="Whether the viewer may edit this contact (CONTACT_EDIT).")
    # The contact's row: its moments are made when asked (a row read in place makes a datetime
    # only then, contacts/records.py; the step-2 screen lists twenty-odd contacts without them).
    row: strawberry.Private[models.Contact]

    @strawberry.field
    def updated_at(self) -> datetime:
        return self.row.updated_at

    @strawberry.field
    async def enterprise(self, info: Info[Context, None]) -> EnterpriseType:
        return enterprise_view(await info.context.loaders.enterprise.load(self.row.enterprise_id))


make_contact = maker(ContactType)


def contact_view(row: models.Contact, viewer: Signed) -> ContactType:
    missing = missing_of(row)
    return make_contact(
        id=encode_id("Contact", row.id),
        last_name=row.last_name,
        first_name=row.first_name,
        email=row.email,
        phone=row.phone,
        phone_is_mobile=is_mobile_of(row),
        role=row.role,
        missing_fields=missing,
        is_complete=not missing,
        can_edit=viewer.can(PermissionEnum.CONTACT_EDIT),
        row=row,
    )


@strawberry.type(description="A contact proposed by default on a client's quotes.")
class ContactDefault:
    contact: ContactType = strawberry.field(description="A contact of the client, or of the viewer's company (for example the partner's account manager).")
    functions: list[ContactFunction]


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


@strawberry.type
class Viewer:
    id: strawberry.ID
    name: str
    email: str
    partner: EnterpriseType = strawberry.field(description="The viewer's own company (kind PARTNER).")
    permissions: list[Permission]
