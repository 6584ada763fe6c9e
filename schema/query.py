"""The Query root: the viewer, quotes, enterprises and the contact functions; a person's data
(`personalData`, from schema/privacy.py)."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info

from contacts import reads
from schema.context import Context
from schema.errors import PublicError
from schema.ids import decode_id, encode_id
from schema.pagination import PageInfo, check_first, check_search, decode_cursor, encode_cursor
from schema.privacy import PersonalDataQuery
from schema.quote import ContactFunctionInfo, QuoteConnection, QuoteEdge, QuoteStatus, QuoteType, function_infos, quote_view, quote_views
from schema.types import EnterpriseConnection, EnterpriseEdge, EnterpriseKind, EnterpriseType, Viewer, enterprise_view


@strawberry.type
class Query(PersonalDataQuery):
    @strawberry.field(description="The signed-in user, their company and what they may do.")
    async def viewer(self, info: Info[Context, None]) -> Viewer:
        viewer = info.context.viewer
        if info.context.dependencies is not None:
            info.context.dependencies.on_partner(viewer)
        partner = await info.context.loaders.enterprise.load(viewer.partner_id)
        return Viewer(
            id=encode_id("User", viewer.user_id),
            name=viewer.name,
            email=viewer.email,
            partner=enterprise_view(partner),
            permissions=sorted(viewer.permissions, key=lambda p: p.value, reverse=True),
        )

    @strawberry.field(description="A quote of the viewer's company; null when it does not exist or belongs to another partner.")
    async def quote(self, info: Info[Context, None], id: strawberry.ID) -> QuoteType | None:
        pk = decode_id("Quote", id)
        row = await info.context.loaders.quote.load(pk) if pk is not None else None
        if info.context.dependencies is not None:
            info.context.dependencies.on_quote(row, info.context.viewer)
        return await quote_view(info, row)

    @strawberry.field(description="The viewer's company's quotes, newest first. first is at most 100; more is an error.")
    async def quotes(
        self, info: Info[Context, None], first: int | None = 20, after: str | None = None, status: QuoteStatus | None = None
    ) -> QuoteConnection:
        first = check_first(first, 20)
        start = decode_cursor(after, (str, int))
        if start is not None:
            try:
                start = (datetime.fromisoformat(start[0]), start[1])
            except ValueError:
                raise PublicError("The cursor `after` is not valid.") from None
        rows = await reads.quotes_page(
            info.context.viewer.partner_id, status=status,
            after=start, limit=first + 1,
        )
        views = await quote_views(info, rows[:first], "edges", "node")
        edges = [QuoteEdge(cursor=encode_cursor(view.created_at.isoformat(), view.row.id), node=view) for view in views]
        return QuoteConnection(
            edges=edges,
            page_info=PageInfo(has_next_page=len(rows) > first, end_cursor=edges[-1].cursor if edges else None),
        )

    @strawberry.field(description="The viewer's company or one of its clients; null otherwise.")
    async def enterprise(self, info: Info[Context, None], id: strawberry.ID) -> EnterpriseType | None:
        pk = decode_id("Enterprise", id)
        row = await info.context.loaders.enterprise.load(pk) if pk is not None else None
        if row is None or row.owner_id != info.context.viewer.partner_id:
            return None
        return enterprise_view(row)

    @strawberry.field(description="The viewer's company and its clients, by name. search matches part of the name, ignoring case and accents.")
    async def enterprises(
        self,
        info: Info[Context, None],
        first: int | None = 20,
        after: str | None = None,
        kind: EnterpriseKind | None = None,
        search: str | None = None,
    ) -> EnterpriseConnection:
        first = check_first(first, 20)
        search = check_search(search)
        start = decode_cursor(after, (str, int))
        rows = await reads.enterprises_page(
            info.context.viewer.partner_id, kind=kind, search=search,
            after=tuple(start) if start is not None else None, limit=first + 1,
        )
        edges = [EnterpriseEdge(cursor=encode_cursor(r.name, r.id), node=enterprise_view(r)) for r in rows[:first]]
        return EnterpriseConnection(
            edges=edges,
            page_info=PageInfo(has_next_page=len(rows) > first, end_cursor=edges[-1].cursor if edges else None),
        )

    @strawberry.field(description="The three contact functions with their column label and help text, in the request's language.")
    def contact_functions(self, info: Info[Context, None]) -> list[ContactFunctionInfo]:
        return function_infos(info.context.language)
