"""The GraphQL schema of the order-contacts API (see ../shared/contract/schema.graphql)."""

from __future__ import annotations

import dataclasses

import strawberry
from strawberry.schema.config import StrawberryConfig

from api.settings import Settings, settings
from schema.context import Context
from schema.extensions import extensions
from schema.mutation import Mutation
from schema.query import Query
from schema.subscription import Subscription


class Schema(strawberry.Schema):
    def process_errors(self, errors, execution_context=None) -> None:
        """Errors are the caller's (shown as they are) or bugs (logged once, by
        MaskUnexpectedErrors, with the request id): nothing more to log here."""

    async def stream(self, query, variable_values=None, context_value=None, *args, **kwargs):
        """Over a WebSocket, Strawberry runs every operation with the connection's one
        context: each operation gets a copy of its own, so operations never share loaders."""
        if isinstance(context_value, Context):
            context_value = dataclasses.replace(context_value)
        return await super().stream(query, variable_values, context_value, *args, **kwargs)


def build_schema(config: Settings = settings) -> strawberry.Schema:
    return Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        extensions=extensions(config),
        config=StrawberryConfig(auto_camel_case=True),
    )


schema = build_schema()

__all__ = ["schema", "build_schema"]
