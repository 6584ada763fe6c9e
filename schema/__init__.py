"""The GraphQL face of the order-contacts API: `build_schema` makes the schema that /graphql
serves (its SDL is `schema.graphql`, written by `python -m schema.sdl`; the rules it
serves: docs/rules.md).

Types, Query, Mutation and Subscription are thin over the domain (`contacts`); `extensions`
holds the limits, the caches and the masking of unexpected errors; `live` shares one live
subscription per audience; `execution` completes plain objects in one pass.
"""

from __future__ import annotations

import dataclasses
from collections import OrderedDict

import strawberry
from strawberry.schema.config import StrawberryConfig

from schema.context import Context
from schema.execution import PlainExecutionContext
from schema.extensions import Limits, extensions
from schema.live import SharedSubscriptions, share_key, shared_field
from schema.mutation import Mutation
from schema.query import Query
from schema.subscription import Subscription


class Schema(strawberry.Schema):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.shared = SharedSubscriptions()

    def process_errors(self, errors, execution_context=None) -> None:
        """Errors are the caller's (shown as they are) or bugs (logged once, by
        MaskUnexpectedErrors, with the request id): nothing more to log here."""

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


def build_schema(limits: Limits | None = None, *, extra_extensions: tuple = ()) -> Schema:
    """The schema, with the limits of its operations; `extra_extensions` run first (the
    process adds its metrics there)."""
    validated: OrderedDict = OrderedDict()  # documents validated, and their errors
    schema = Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        extensions=[*extra_extensions, *extensions(limits or Limits(), validated)],
        config=StrawberryConfig(auto_camel_case=True),
        execution_context_class=PlainExecutionContext,
    )
    schema.validated = validated
    return schema


__all__ = ["Context", "Limits", "Schema", "build_schema"]
