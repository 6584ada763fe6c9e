"""The GraphQL schema of the order-contacts API (`schema.graphql`; its rules: docs/rules.md)."""

from __future__ import annotations

import dataclasses

import strawberry
from strawberry.schema.config import StrawberryConfig

from api.settings import Settings, settings
from schema.context import Context
from schema.execution import PlainExecutionContext
from schema.live import SharedSubscriptions, share_key, shared_field
from schema.extensions import extensions
from schema.mutation import Mutation
from schema.query import Query
from schema.subscription import Subscription


class Schema(strawberry.Schema):
    def process_errors(self, errors, execution_context=None) -> None:
        """Errors are the caller's (shown as they are) or bugs (logged once, by
        MaskUnexpectedErrors, with the request id): nothing more to log here."""

    shared = SharedSubscriptions()

    async def stream(self, query, variable_values=None, context_value=None, *args, **kwargs):
        """Over a WebSocket, Strawberry runs every operation with the connection's one
        context: each operation gets a copy of its own, so operations never share loaders.
        A live quote subscription joins the one already running for the same operation and
        audience (schema/live.py), so each change is resolved once per audience."""
        if isinstance(context_value, Context):
            context_value = dataclasses.replace(context_value)
        start = lambda: super(Schema, self).stream(query, variable_values, context_value, *args, **kwargs)  # noqa: E731
        operation_name = kwargs.get("operation_name", args[1] if len(args) > 1 else None)
        viewer = getattr(context_value, "viewer", None)
        if viewer is None or shared_field(query, operation_name) is None:
            return await start()
        audience = (viewer.partner_id, viewer.permissions, context_value.language)
        return await self.shared.join(share_key(query, variable_values, operation_name, audience), start)


def build_schema(config: Settings = settings) -> strawberry.Schema:
    return Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        extensions=extensions(config),
        config=StrawberryConfig(auto_camel_case=True),
        execution_context_class=PlainExecutionContext,
    )


schema = build_schema()

__all__ = ["schema", "build_schema"]
