"""Personal data as GraphQL shows it (additions/privacy): the right of access (`personalData`)
and the right to erasure (`erasePersonalData`), thin over `contacts.personal_data`. Query and
Mutation take these fields from the two classes below."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from contacts import personal_data
from contacts.messages import message
from contacts.personal_data import Erasure
from schema.context import Context
from schema.errors import PublicError, UserError, user_errors
from schema.quote import ContactAssignment, QuoteType, assignment_view, quote_views
from schema.types import ContactType, contact_view


@strawberry.type
class PersonalDataAssignment:
    quote: QuoteType
    assignment: ContactAssignment


@strawberry.type(description="What the viewer's company holds about one person (additions/privacy).")
class PersonalDataReport:
    email: str = strawberry.field(description="The email asked, without its surrounding spaces and in lower case.")
    contacts: list[ContactType] = strawberry.field(
        description="The enterprise contacts (the company's own and its clients') with this email."
    )
    assignments: list[PersonalDataAssignment] = strawberry.field(
        description="Every contact on the company's quotes (drafts, orders, ad-hoc ones) with this email, or whose enterprise "
        "contact has it, by quote, in the order they were added. Erased ones are not listed: they hold nothing of anybody."
    )


@strawberry.input
class ErasePersonalDataInput:
    email: str


@strawberry.type
class ErasePersonalDataPayload:
    erased_contacts: int = strawberry.field(description="The enterprise contacts deleted.")
    erased_assignments: int = strawberry.field(description="The assignments removed from drafts and erased on orders.")
    quotes: list[QuoteType] = strawberry.field(description="The quotes whose contact list changed.")
    user_errors: list[UserError]


@strawberry.type
class PersonalDataQuery:
    @strawberry.field(
        description="Right of access (CONTACT_EDIT, else a FORBIDDEN error; an invalid email is an INVALID_EMAIL error): "
        "everything the viewer's company holds about the person with this email, ignoring case and surrounding spaces: "
        "its enterprise contacts and every contact on its quotes that carries it."
    )
    async def personal_data(self, info: Info[Context, None], email: str) -> PersonalDataReport:
        context = info.context
        viewer, language = context.viewer, context.language
        key, problem = personal_data.checked(viewer, email)
        if problem is not None:
            raise PublicError(message(problem, language), code=problem.code.value)
        found = await personal_data.report(viewer, key)
        quotes = await context.loaders.quote.load_many(sorted({a.quote_id for a in found.assignments}))
        views = {view.row.id: view for view in await quote_views(info, [q for q in quotes if q is not None], "assignments", "quote")}
        return PersonalDataReport(
            email=email.strip().lower(),
            contacts=[contact_view(c, viewer) for c in found.contacts],
            assignments=[PersonalDataAssignment(quote=views[a.quote_id], assignment=assignment_view(a, viewer, language))
                         for a in found.assignments if a.quote_id in views],
        )


@strawberry.type
class PersonalDataMutation:
    @strawberry.mutation(
        description="Right to erasure (CONTACT_EDIT), in one change: the viewer's company's enterprise contacts with this email "
        "are deleted (and taken out of the clients' default contacts) and taken off its drafts; ad-hoc contacts with it are "
        "taken off its drafts; on its ordered quotes the copies are erased in place (erased: true), their functions kept; "
        "history entries name the person no more. Each quote touched gets a new version and its event. An email found "
        "nowhere erases nothing (zero counts)."
    )
    async def erase_personal_data(self, info: Info[Context, None], input: ErasePersonalDataInput) -> ErasePersonalDataPayload:
        context = info.context
        outcome = await personal_data.erase_personal_data(context.viewer, input.email, bus=context.bus)
        context.forget_loaded()
        erasure = outcome.result if isinstance(outcome.result, Erasure) else Erasure()
        quotes = await context.loaders.quote.load_many(erasure.quote_ids)
        return ErasePersonalDataPayload(
            erased_contacts=erasure.contacts,
            erased_assignments=erasure.assignments,
            quotes=await quote_views(info, [q for q in quotes if q is not None], "quotes"),
            user_errors=user_errors(outcome.problems, context.language),
        )
