"""Errors as GraphQL shows them: a domain problem becomes a `UserError` of the payload, with
its message in the request's language and its input path; `PublicError` is a top-level
error the caller may read as it is (not masked)."""

from __future__ import annotations

import strawberry
from graphql import GraphQLError

from contacts.messages import message
from contacts.rules import Code, Function, Problem
from schema.ids import encode_id
from schema.makers import maker

ErrorCode = strawberry.enum(Code, name="ErrorCode")
ContactFunction = strawberry.enum(Function, name="ContactFunction")

# The input field of each thing a command names; other names are camel-cased
# (`last_name` -> `lastName`), and positions in a list become strings ("2").
INPUT_NAMES = {
    "quote": "quoteId",
    "contact": "contactId",
    "assignment": "assignmentId",
    "enterprise": "enterpriseId",
    "from_quote": "fromQuoteId",
}


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def input_path(field: tuple[str | int, ...]) -> list[str]:
    """The path of a mutation's input field at fault: ("contact",) -> ["input", "contactId"]."""
    return ["input", *(str(part) if isinstance(part, int) else INPUT_NAMES.get(part) or _camel(part) for part in field)]


@strawberry.type
class UserError:
    code: ErrorCode
    message: str = strawberry.field(description="In the request's language: French by default, English for Accept-Language: en.")
    field: list[str] | None = strawberry.field(description='Path to the input field at fault, e.g. ["input", "email"].')
    assignment_id: strawberry.ID | None
    function: ContactFunction | None
    contact_id: strawberry.ID | None = strawberry.field(description="The enterprise contact at fault, when there is one.")


make_user_error = maker(UserError)


def user_error(problem: Problem, language: str) -> UserError:
    return make_user_error(
        code=problem.code,
        message=message(problem, language),
        field=input_path(problem.field) if problem.field else None,
        assignment_id=encode_id("ContactAssignment", problem.assignment_id) if problem.assignment_id else None,
        function=problem.function,
        contact_id=encode_id("Contact", problem.contact_id) if problem.contact_id else None,
    )


def user_errors(problems: list[Problem], language: str) -> list[UserError]:
    return [user_error(p, language) for p in problems]


class PublicError(GraphQLError):
    """A top-level error the caller may read as it is (not masked)."""

    def __init__(self, message: str, code: str = "BAD_USER_INPUT") -> None:
        super().__init__(message, extensions={"code": code})
