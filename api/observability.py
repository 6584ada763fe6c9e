"""What operators see of each request: its metrics (api/metrics.py) and its line in the
access log (api/access_log.py).

- `RecordOperation`, a Strawberry extension, writes into the HTTP request's scope the GraphQL
  operation it ran (its name, `(anonymous)` for an unnamed one) and counts the errors of its
  result by `extensions.code`. An answer from the response cache runs nothing: the view
  leaves its operation in the scope (PREPARED_KEY). A request refused before any operation ran
  (401, malformed JSON, a document that does not parse) is `(none)`.
- `ObservabilityMiddleware` times every HTTP request and WebSocket, counts it, and logs one
  JSON line per request with its request id (api/request_id.py), operation, viewer
  (username), status and duration; `ObservedWebSocket` does the same for the /graphql
  WebSocket, which skips the middleware chain (see api/app.py).
- Neither the access log nor any other log carries a request's document, its variables, a
  result or a statement's values: contacts are people, and what is erased must not survive in
  the logs (`keep_personal_data_out_of_logs`).
"""

from __future__ import annotations

import logging
import time

from graphql import get_operation_ast
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.extensions import SchemaExtension

from api.access_log import AccessLog, now_text
from api.metrics import NONE, ROUTES, WEBSOCKET, Metrics
from api.request_id import current_request_id, request_id_of, reset_request_id, set_request_id

OPERATION_KEY = "graphql_operation"  # in scope["state"]

# Libraries that log SQL with its values (the ORM, the database drivers) or WebSocket frames
# with their payloads, at DEBUG: never below INFO, whatever LOG_LEVEL says.
DATA_LOGGERS = ("tortoise", "aiosqlite", "asyncpg", "websockets")


def keep_personal_data_out_of_logs() -> None:
    """Keeps the libraries that would log statement values or message payloads at INFO or above."""
    for name in DATA_LOGGERS:
        logger = logging.getLogger(name)
        if logger.getEffectiveLevel() < logging.INFO:
            logger.setLevel(logging.INFO)
ERRORS_KEY = "graphql_error_count"
PREPARED_KEY = "graphql_prepared"  # the operation of an answer from the response cache


def error_code(error) -> str:
    code = (getattr(error, "extensions", None) or {}).get("code")
    if isinstance(code, str):
        return code
    return "BAD_REQUEST" if not getattr(error, "path", None) else "ERROR"


class RecordOperation(SchemaExtension):
    """Tells the middleware which operation an HTTP request ran, and counts its errors.
    Listed before the extension that masks unexpected errors, so that it sees them masked
    (INTERNAL_SERVER_ERROR)."""

    def __init__(self, metrics: Metrics) -> None:
        super().__init__()
        self.metrics = metrics

    def on_operation(self):
        yield
        context = self.execution_context
        request = getattr(context.context, "request", None)
        if not isinstance(request, Request):  # WebSocket operations: see the open-subscriptions gauge
            return
        provided = getattr(context, "_provided_operation_name", None)
        document = context.graphql_document
        label = self.metrics.operation_label(
            get_operation_ast(document, provided) if document is not None and isinstance(provided, (str, type(None))) else None
        )
        state = request.scope.setdefault("state", {})
        state[OPERATION_KEY] = label
        result = context.result
        errors = (getattr(result, "errors", None) if result is not None else None) or context.pre_execution_errors or ()
        if errors:
            state[ERRORS_KEY] = len(errors)
            for error in errors:
                self.metrics.errors.labels(label, error_code(error)).inc()


def _viewer_name(scope: Scope) -> str | None:
    viewer = (scope.get("state") or {}).get("viewer")
    return getattr(viewer, "username", None)


class ObservabilityMiddleware:
    """Metrics and one access-log line for every HTTP request and WebSocket connection."""

    def __init__(self, app: ASGIApp, metrics: Metrics, access_log: AccessLog) -> None:
        self.app = app
        self.metrics = metrics
        self.access_log = access_log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self._http(scope, receive, send)
        elif scope["type"] == "websocket":
            await self._websocket(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        path = scope.get("path", "")
        status = 500

        async def observed_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        graphql = path == "/graphql"
        try:
            await self.app(scope, receive, observed_send)
        finally:
            duration = time.perf_counter() - started
            state = scope.get("state") or {}
            operation = state.get(OPERATION_KEY)
            if operation is None:
                cached = state.get(PREPARED_KEY)
                operation = self.metrics.operation_label(cached[0].operation(cached[1])) if cached else NONE
            route = path if path in ROUTES else "other"
            self.metrics.request_done(route, operation, status, duration)
            if self.access_log.enabled:
                line = {
                    "time": now_text(),
                    "type": "http",
                    "requestId": current_request_id(),
                    "method": scope.get("method"),
                    "path": path,
                    "status": status,
                    "durationMs": round(duration * 1000, 2),
                    "operation": operation if graphql else None,
                    "viewer": _viewer_name(scope),
                    "client": (scope.get("client") or (None,))[0],
                    "pid": self.access_log.pid,
                }
                if state.get(ERRORS_KEY):
                    line["errors"] = state[ERRORS_KEY]
                self.access_log.write(line)

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        watch = WebSocketWatch(receive, send)
        try:
            await self.app(scope, watch.receive, watch.send)
        finally:
            watch.record(scope, started, self.metrics, self.access_log)


class WebSocketWatch:
    """What the metrics and the access log tell of one WebSocket connection: the handshake's
    status and the close code, seen in the messages that pass. An object with two methods
    rather than two closures: every open connection keeps it."""

    __slots__ = ("_receive", "_send", "status", "close_code")

    def __init__(self, receive: Receive, send: Send) -> None:
        self._receive = receive
        self._send = send
        self.status: int | None = None
        self.close_code: int | None = None

    async def send(self, message: Message) -> None:
        kind = message["type"]
        if kind == "websocket.accept":
            self.status = 101
        elif kind == "websocket.close":
            if self.status is None:
                self.status = 403  # closed before accepting: the server answers the handshake with 403
            if self.close_code is None:
                self.close_code = message.get("code", 1000)
        elif kind == "websocket.http.response.start":
            self.status = message["status"]
        await self._send(message)

    async def receive(self) -> Message:
        message = await self._receive()
        if message["type"] == "websocket.disconnect" and self.close_code is None:
            self.close_code = message.get("code", 1005)
        return message

    def record(self, scope: Scope, started: float, metrics: Metrics, access_log: AccessLog) -> None:
        """Counts the connection and writes its access-log line, once it is over."""
        duration = time.perf_counter() - started
        path = scope.get("path", "")
        status = self.status or 500
        metrics.requests.labels(path if path in ROUTES else "other", WEBSOCKET, str(status)).inc()
        if access_log.enabled:
            line = {
                "time": now_text(),
                "type": "websocket",
                "requestId": current_request_id(),
                "method": "GET",
                "path": path,
                "status": status,
                "durationMs": round(duration * 1000, 2),
                "operation": None,
                "viewer": _viewer_name(scope),
                "client": (scope.get("client") or (None,))[0],
                "closeCode": self.close_code,
                "pid": access_log.pid,
            }
            access_log.write(line)


class ObservedWebSocket:
    """A WebSocket endpoint with what RequestIdMiddleware and ObservabilityMiddleware give a
    WebSocket (its request id; its metrics and access-log line), without the rest of the
    middleware chain, whose frames every open connection would keep (see api/app.py)."""

    def __init__(self, app: ASGIApp, metrics: Metrics, access_log: AccessLog) -> None:
        self.app = app
        self.metrics = metrics
        self.access_log = access_log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        token = set_request_id(request_id_of(scope))
        # ObservabilityMiddleware._websocket's lines, inline: a helper would be one more frame
        # that every open connection keeps.
        started = time.perf_counter()
        watch = WebSocketWatch(receive, send)
        try:
            await self.app(scope, watch.receive, watch.send)
        finally:
            watch.record(scope, started, self.metrics, self.access_log)
            reset_request_id(token)
