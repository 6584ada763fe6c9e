"""The GraphQL schema of the order-contacts API (see ../shared/contract/schema.graphql)."""

from __future__ import annotations

import strawberry
from strawberry.schema.config import StrawberryConfig

from api.settings import Settings, settings
from schema.extensions import extensions
from schema.mutation import Mutation
from schema.query import Query


class Schema(strawberry.Schema):
    def process_errors(self, errors, execution_context=None) -> None:
        """Errors are the caller's (shown as they are) or bugs (logged once, by
        MaskUnexpectedErrors, with the request id): nothing more to log here."""


def build_schema(config: Settings = settings) -> strawberry.Schema:
    return Schema(
        query=Query,
        mutation=Mutation,
        extensions=extensions(config),
        config=StrawberryConfig(auto_camel_case=True),
    )


schema = build_schema()

__all__ = ["schema", "build_schema"]
