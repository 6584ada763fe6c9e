"""The GraphQL face of the order-contacts API: `build_schema` makes the schema that /graphql
serves (its SDL is `schema.graphql`, written by `python -m schema.sdl`; the rules it
serves: docs/rules.md).

Types, Query, Mutation and Subscription are thin over the domain (`contacts`); `documents`
parses, holds to the limits (`limits`) and validates each document once, and keeps the valid
ones within a byte budget; `extensions` hands them to Strawberry and masks unexpected errors;
`live` shares one live subscription per audience; `execution` completes plain objects in one
pass.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncGenerator

import strawberry
from graphql import OperationType as CoreOperationType
from strawberry.execution import optimized_is_awaitable
from strawberry.schema._graphql_core import execution_context_class_kwargs
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.schema import _coerce_error
from strawberry.types.execution import ExecutionResult, PreExecutionError
from strawberry.types.graphql import OperationType
from strawberry.utils.await_maybe import await_maybe

from schema.context import Context
from schema.documents import Documents, Prepared
from schema.execution import PlainExecutionContext
from schema.extensions import MaskUnexpectedErrors, PreparedDocument, operation_hooks
from schema.inputs import build_plain_inputs
from schema.limits import Limits
from schema.live import SharedSubscriptions, share_key, shared_field
from schema.mutation import Mutation
from schema.query import Query
from schema.subscription import Subscription


DOCUMENT_CACHE_BYTES = 32 * 1024 * 1024
QUERY_OR_MUTATION = frozenset({OperationType.QUERY, OperationType.MUTATION})
PREPARED_OPERATIONS = (CoreOperationType.QUERY, CoreOperationType.MUTATION)


class Schema(strawberry.Schema):
    """Strawberry's schema, with its documents (prepared once per text, the valid ones kept
    within `document_cache_bytes`) and its shared live subscriptions."""

    def __init__(self, *args, limits: Limits, document_cache_bytes: int = DOCUMENT_CACHE_BYTES,
                 extensions: tuple = (), **kwargs) -> None:
        super().__init__(
            *args, extensions=[*extensions, lambda: PreparedDocument(self.documents), MaskUnexpectedErrors], **kwargs
        )
        self.documents = Documents(self._schema, limits, document_cache_bytes)
        self.shared = SharedSubscriptions()
        converter = self.schema_converter
        build_plain_inputs((t.definition for t in converter.type_map.values()), self.config, converter.scalar_registry)

    async def execute_prepared(self, prepared: Prepared, operation_name: str | None, variables: dict | None,
                               context: Context) -> ExecutionResult:
        """`execute` for a document `Documents` prepared valid, whose operation (a query or a
        mutation) the caller found: Strawberry's own steps but parsing and validation, which
        ran once for the document's text. Every extension's `on_operation` runs around it as in
        `execute` (the metrics, the masking of unexpected errors); those of parsing and
        validation (PreparedDocument's) have nothing to do. Saves about 0.2 ms a request, the
        same answer (tests/http/test_prepared_execution.py compares the two). It calls the steps
        of Strawberry's `execute` by their names, which are not public: Strawberry is pinned, and
        that test fails at once should a new version move them."""
        execution_context = self._create_execution_context(
            query=prepared.text, allowed_operation_types=QUERY_OR_MUTATION, variable_values=variables,
            context_value=context, root_value=None, operation_name=operation_name, operation_extensions=None,
        )
        execution_context.graphql_document = prepared.document
        extensions = self.get_extensions()
        for extension in extensions:
            extension.execution_context = execution_context
        runner = self.create_extensions_runner(execution_context, extensions)
        try:
            async with operation_hooks(extensions) or runner.operation():
                result = await await_maybe(self._get_execute_function()(
                    self._schema, prepared.document, root_value=None,
                    middleware=self._get_middleware_manager(extensions), variable_values=variables,
                    operation_name=operation_name, context_value=context, is_awaitable=optimized_is_awaitable,
                    **execution_context_class_kwargs(self.execution_context_class),
                ))
                execution_context.result = result
                if result.errors:
                    execution_context.pre_execution_errors = result.errors
                    self._process_errors(result.errors, execution_context)
        except Exception as error:  # noqa: BLE001 - as Strawberry's execute answers it
            answer = await self._handle_execution_result(
                execution_context, PreExecutionError(data=None, errors=[_coerce_error(error)]), runner)
        else:
            answer = await self._handle_execution_result(execution_context, result, runner, skip_process_errors=True)
        _let_go_of_tracebacks(answer.errors)
        return answer

    def process_errors(self, errors, execution_context=None) -> None:
        """Errors are the caller's (shown as they are) or bugs (logged once, by
        MaskUnexpectedErrors, with the request id): nothing more to log here."""

    async def stream(self, query, variable_values=None, context_value=None, *args, **kwargs):
        """Over a WebSocket, Strawberry runs every operation with the connection's one
        context: each operation gets a copy of its own, so operations never share loaders.
        A live quote subscription joins the one already running for the same operation and
        audience (schema/live.py), so each change is resolved once per audience. The document
        is prepared here once, and handed on with the context."""
        operation_name = kwargs.get("operation_name", args[1] if len(args) > 1 else None)
        prepared = self.documents.prepare(query) if isinstance(query, str) and query else None
        if prepared is not None and prepared.document is None:
            # A syntax error, or too many tokens: answered as any refused document is. (Raised
            # from the parsing hook, it would escape Strawberry's stream and leave the
            # operation unanswered.)
            return _refused(prepared.errors)
        if isinstance(context_value, Context):
            context_value = dataclasses.replace(context_value, prepared=prepared)
        start = lambda: super(Schema, self).stream(query, variable_values, context_value, *args, **kwargs)  # noqa: E731
        viewer = getattr(context_value, "viewer", None)
        if viewer is None or prepared is None or shared_field(prepared, operation_name) is None:
            return await start()
        audience = (viewer.partner_id, viewer.permissions, context_value.language)
        return await self.shared.join(share_key(query, variable_values, operation_name, audience), start)


async def _refused(errors) -> AsyncGenerator:
    yield PreExecutionError(data=None, errors=list(errors))


def build_schema(limits: Limits | None = None, *, document_cache_bytes: int = DOCUMENT_CACHE_BYTES,
                 extra_extensions: tuple = ()) -> Schema:
    """The schema, with the limits of its operations and the byte budget of its kept
    documents; `extra_extensions` run first (the process adds its metrics there)."""
    return Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        limits=limits or Limits(),
        document_cache_bytes=document_cache_bytes,
        extensions=extra_extensions,
        config=StrawberryConfig(auto_camel_case=True),
        execution_context_class=PlainExecutionContext,
    )


def _let_go_of_tracebacks(errors) -> None:
    """An error answered (a variable that does not coerce, say) keeps the frames it was raised
    through, which hold the error: a reference cycle that keeps the operation (its context
    and all it loaded) until the garbage collector runs. Once every extension has seen the
    errors (an unexpected one is logged with its traceback by then), their tracebacks go."""
    for error in errors or ():
        for exception in (error, getattr(error, "original_error", None), error.__cause__, error.__context__):
            if exception is not None:
                exception.__traceback__ = None


__all__ = ["PREPARED_OPERATIONS", "Context", "Limits", "Schema", "build_schema"]
