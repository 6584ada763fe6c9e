"""Protection of the GraphQL endpoint: documents held to the limits before they are validated
or run (schema/documents.py, schema/limits.py), and the masking of unexpected errors; and the
operations' `on_operation` hooks, run for a prepared operation without Strawberry's runner."""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager, ExitStack, contextmanager

from graphql import GraphQLError
from strawberry.exceptions import MissingQueryError
from strawberry.extensions import MaskErrors, SchemaExtension
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError

from contacts.db import connection_lost
from schema.documents import Documents, Prepared
from schema.limits import LIMIT_CODES, Limits

log = logging.getLogger("schema.errors")


class PreparedDocument(SchemaExtension):
    """Hands Strawberry the operation's document as `Documents` prepares it (schema/documents.py):
    parsed at most once per text, held to the limits before graphql-core validates it, and
    validated once. A request may bring its document prepared already (the view prepares it to
    choose the response cache, schema.Schema.stream to share a subscription): it is used, not
    prepared again."""

    def __init__(self, documents: Documents) -> None:
        super().__init__()
        self.documents = documents
        self.prepared: Prepared | None = None

    def on_parse(self):
        context = self.execution_context
        if not isinstance(context.query, str):  # not a document: Strawberry tells so
            yield
            return
        prepared = getattr(context.context, "prepared", None)
        if not isinstance(prepared, Prepared) or prepared.text != context.query:
            prepared = self.documents.prepare(context.query)
        self.prepared = prepared
        if prepared.document is None:
            raise prepared.errors[0]  # a syntax error, or too many tokens
        context.graphql_document = prepared.document
        yield

    def on_validate(self):
        if self.prepared is not None:
            self.execution_context.pre_execution_errors = list(self.prepared.errors)
        yield


UNAVAILABLE = "The service is unavailable for a moment: try again."
CALLERS_ERRORS = (CannotGetOperationTypeError, InvalidOperationTypeError, MissingQueryError)


def is_unexpected(error: GraphQLError) -> bool:
    """A bug, not the caller's fault: an exception that is not a GraphQLError of ours, nor one
    of Strawberry's telling that the request names no operation it may run (which reach a
    WebSocket's operation as they are)."""
    original = error.original_error
    return original is not None and not isinstance(original, (GraphQLError, *CALLERS_ERRORS))


class MaskUnexpectedErrors(MaskErrors):
    """Replaces an unexpected exception by "Unexpected error." with the request id, and logs it;
    a database connection lost meanwhile by SERVICE_UNAVAILABLE (the client may try again: the
    view answers 503 when nothing came back)."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=is_unexpected, error_message="Unexpected error.")

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        request_id = getattr(self.execution_context.context, "request_id", "-")
        if connection_lost(error.original_error):
            log.warning("database connection lost in %s (request %s): %s", ".".join(str(p) for p in error.path or ()),
                        request_id, error.original_error)
            return GraphQLError(UNAVAILABLE, nodes=error.nodes, path=error.path,
                                extensions={"code": "SERVICE_UNAVAILABLE", "requestId": request_id})
        log.error(
            "unexpected error in %s (request %s)",
            ".".join(str(p) for p in error.path or ()),
            request_id,
            exc_info=error.original_error,
        )
        masked = super().anonymise_error(error)
        masked.extensions = {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id}
        return masked


# --- Running the operation's hooks ----------------------------------------------------------

_NO_HOOK = object()
_UNKNOWN = object()
_hooks: dict[type, Callable | object | None] = {}  # by extension class: see _operation_hook


def _operation_hook(kind: type[SchemaExtension]) -> Callable | None | object:
    """The `on_operation` of an extension class as a context manager factory; `_NO_HOOK`
    when it has none; None when it is not a generator function (Strawberry's runner drives it)."""
    hook = kind.on_operation
    if hook is SchemaExtension.on_operation:
        return _NO_HOOK
    return contextmanager(hook) if inspect.isgeneratorfunction(hook) else None


def operation_hooks(extensions: Sequence[SchemaExtension]) -> AbstractAsyncContextManager | None:
    """The `on_operation` hooks of `extensions`, entered in their order and left in reverse, an
    exception thrown into each, as Strawberry's runner does; their context managers made from
    factories kept per extension class, where the runner inspects every extension again for each
    request (about 5% of a small request's CPU). None when a hook is not a generator function:
    Strawberry's runner then runs them."""
    hooks = []
    for extension in extensions:
        kind = type(extension)
        hook = _hooks.get(kind, _UNKNOWN)
        if hook is _UNKNOWN:
            hook = _hooks[kind] = _operation_hook(kind)
        if hook is None:
            return None
        if hook is not _NO_HOOK:
            hooks.append((hook, extension))
    return _Entered(hooks)


class _Entered:
    """The hooks' context managers on one ExitStack, entered and left as an async context
    manager, in the place of Strawberry's runner (whose hooks may be async)."""

    __slots__ = ("hooks", "stack")

    def __init__(self, hooks: list[tuple[Callable, SchemaExtension]]) -> None:
        self.hooks = hooks

    async def __aenter__(self) -> None:
        self.stack = stack = ExitStack()
        for hook, extension in self.hooks:
            stack.enter_context(hook(extension))

    async def __aexit__(self, *exc) -> None:
        # As Strawberry's runner: a hook may replace the exception, not swallow it.
        self.stack.__exit__(*exc)


__all__ = ["LIMIT_CODES", "Limits", "MaskUnexpectedErrors", "PreparedDocument", "operation_hooks"]
