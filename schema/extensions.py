"""Protection of the GraphQL endpoint: operation limits and the masking of unexpected errors."""

from __future__ import annotations

import logging

from graphql import GraphQLError
from strawberry.extensions import MaskErrors, MaxAliasesLimiter, MaxTokensLimiter, QueryDepthLimiter
from strawberry.extensions.query_depth_limiter import IgnoreContext

from api.request_id import current_request_id
from api.settings import Settings

log = logging.getLogger("api.errors")


def _is_introspection(context: IgnoreContext) -> bool:
    return context.field_name.startswith("__")


def is_unexpected(error: GraphQLError) -> bool:
    """A bug, not the caller's fault: an exception that is not a GraphQLError of ours."""
    original = error.original_error
    return original is not None and not isinstance(original, GraphQLError)


class MaskUnexpectedErrors(MaskErrors):
    """Replaces an unexpected exception by "Unexpected error." with the request id, and logs it."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=is_unexpected, error_message="Unexpected error.")

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        request_id = current_request_id()
        log.error(
            "unexpected error in %s (request %s)",
            ".".join(str(p) for p in error.path or ()),
            request_id,
            exc_info=error.original_error,
        )
        masked = super().anonymise_error(error)
        masked.extensions = {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id}
        return masked


def extensions(settings: Settings) -> list:
    """Extensions as factories (a fresh instance per operation)."""
    return [
        # The contract counts the root field as level 1; Strawberry counts it as 0.
        lambda: QueryDepthLimiter(max_depth=settings.max_query_depth - 1, should_ignore=_is_introspection),
        lambda: MaxAliasesLimiter(max_alias_count=settings.max_aliases),
        lambda: MaxTokensLimiter(max_token_count=settings.max_tokens),
        MaskUnexpectedErrors,
    ]
