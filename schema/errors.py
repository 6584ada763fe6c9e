"""User errors (problems reported in a payload) and public top-level errors."""

from __future__ import annotations

import strawberry
from graphql import GraphQLError

from api.ids import encode_id
from api.messages import message
from api.rules import Code, Function, Problem

ErrorCode = strawberry.enum(Code, name="ErrorCode")
ContactFunction = strawberry.enum(Function, name="ContactFunction")


@strawberry.type
class UserError:
    code: ErrorCode
    message: str = strawberry.field(description="In the request's language: French by default, English for Accept-Language: en.")
    field: list[str] | None = strawberry.field(description='Path to the input field at fault, e.g. ["input", "email"].')
    assignment_id: strawberry.ID | None
    function: ContactFunction | None


def user_error(problem: Problem, language: str) -> UserError:
    return UserError(
        code=problem.code,
        message=message(problem, language),
        field=list(problem.field) if problem.field else None,
        assignment_id=encode_id("ContactAssignment", problem.assignment_id) if problem.assignment_id else None,
        function=problem.function,
    )


class PublicError(GraphQLError):
    """A top-level error the caller may read as it is (not masked)."""

    def __init__(self, message: str, code: str = "BAD_USER_INPUT") -> None:
        super().__init__(message, extensions={"code": code})
