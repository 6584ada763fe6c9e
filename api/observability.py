"""What operators see of each request: Prometheus metrics and one JSON log line.

- `RecordOperation`, a Strawberry extension, writes into the HTTP request's scope the GraphQL
  operation it ran (its name, `(anonymous)` for an unnamed one) and counts the errors of its
  result by `extensions.code`. An answer from the response cache runs nothing: its operation
  is read from the request. A request refused before any operation ran (401, malformed JSON,
  a document that does not parse) is `(none)`.
- `ObservabilityMiddleware` times every HTTP request and WebSocket, counts it, and logs one
  JSON line per request on standard output with its request id (api/request_id.py),
  operation, viewer (username), status and duration. Written with one `write` of the whole
  line, not through `logging` (a LogRecord costs more than the line itself, its getpid()
  included), so that the workers of `--workers N` sharing one standard output never mix
  their lines.
- `/metrics` is the Prometheus text format. With `--workers N`, every worker writes its
  metrics into PROMETHEUS_MULTIPROC_DIR (`python -m api serve` makes and empties one) and any
  worker's /metrics adds up all of them (prometheus_client's multiprocess mode).

Operation names are the client's choice: the first MAX_OPERATION_LABELS distinct names of a
process get a label of their own, later ones are counted as `(other)`, so that a client cannot
blow up the number of time series.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import Callable
from contextlib import suppress
from datetime import datetime, timezone
from urllib.parse import parse_qsl

import orjson
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client import multiprocess
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.extensions import SchemaExtension

from api.operations import chosen_operation, requested
from api.request_id import current_request_id, request_id_of, reset_request_id, set_request_id

MULTIPROCESS = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))

NONE = "(none)"  # no operation ran
ANONYMOUS = "(anonymous)"
OTHER = "(other)"
WEBSOCKET = "(websocket)"
MAX_OPERATION_LABELS = 200

OPERATION_KEY = "graphql_operation"  # in scope["state"]
ERRORS_KEY = "graphql_error_count"
ROUTES = frozenset({"/graphql", "/healthz", "/readyz", "/metrics"})

REQUESTS = Counter(
    "myopenip_requests",
    "HTTP requests and WebSocket connections, by route, GraphQL operation and HTTP status "
    "(101: a WebSocket accepted, 403: refused).",
    ["route", "operation", "status"],
)
LATENCY = Histogram(
    "myopenip_request_duration_seconds",
    "Time from a request's arrival to the end of its answer, by route and GraphQL operation (HTTP only).",
    ["route", "operation"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
ERRORS = Counter(
    "myopenip_graphql_errors",
    "Errors in GraphQL results sent over HTTP, by operation and extensions.code "
    "(BAD_REQUEST: a document that does not parse or validate; INTERNAL_SERVER_ERROR: a bug).",
    ["operation", "code"],
)
OPEN_WEBSOCKETS = Gauge(
    "myopenip_open_websockets", "WebSocket connections open now.", multiprocess_mode="livesum"
)
OPEN_SUBSCRIPTIONS = Gauge(
    "myopenip_open_subscriptions",
    "Operations (subscriptions, mostly) running over WebSocket connections now.",
    multiprocess_mode="livesum",
)

_labels: set[str] = set()


class AccessLog:
    """One JSON object per line on standard output, whatever LOG_LEVEL says of other logs."""

    def __init__(self) -> None:
        self.enabled = False
        self._fd: int | None = None
        self.pid = 0

    def configure(self, enabled: bool) -> None:
        self.enabled = enabled
        self.pid = os.getpid()  # the process (worker) that served: see its /healthz
        try:
            sys.stdout.flush()
            self._fd = sys.stdout.fileno()
        except (AttributeError, OSError, ValueError):  # not a real file (captured)
            self._fd = None

    def write(self, line: dict) -> None:
        data = orjson.dumps(line) + b"\n"
        try:
            if self._fd is None:
                sys.stdout.write(data.decode())
                sys.stdout.flush()
                return
            while data:
                data = data[os.write(self._fd, data):]
        except OSError:  # standard output gone or full: the request is served all the same
            pass


access_log = AccessLog()


def configure_access_log(enabled: bool) -> None:
    access_log.configure(enabled)


def operation_label(document: object, operation_name: object) -> str:
    """The label of the operation a request runs: its name, ANONYMOUS, or NONE when the
    document names no single operation; OTHER past MAX_OPERATION_LABELS names."""
    if not isinstance(document, str) or not (operation_name is None or isinstance(operation_name, str)):
        return NONE
    operation = chosen_operation(document, operation_name)
    if operation is None:
        return NONE
    if operation.name is None:
        return ANONYMOUS
    name = operation.name.value
    if name not in _labels:
        if len(_labels) >= MAX_OPERATION_LABELS:
            return OTHER
        _labels.add(name)
    return name


def error_code(error) -> str:
    code = (getattr(error, "extensions", None) or {}).get("code")
    if isinstance(code, str):
        return code
    return "BAD_REQUEST" if not getattr(error, "path", None) else "ERROR"


class RecordOperation(SchemaExtension):
    """Tells the middleware which operation an HTTP request ran, and counts its errors.
    Listed before the extension that masks unexpected errors, so that it sees them masked
    (INTERNAL_SERVER_ERROR)."""

    def on_operation(self):
        yield
        context = self.execution_context
        request = getattr(context.context, "request", None)
        if not isinstance(request, Request):  # WebSocket operations: see the open-subscriptions gauge
            return
        provided = getattr(context, "_provided_operation_name", None)
        label = operation_label(context.query, provided)
        state = request.scope.setdefault("state", {})
        state[OPERATION_KEY] = label
        result = context.result
        errors = (getattr(result, "errors", None) if result is not None else None) or context.pre_execution_errors or ()
        if errors:
            state[ERRORS_KEY] = len(errors)
            for error in errors:
                ERRORS.labels(label, error_code(error)).inc()


def _operation_from_request(scope: Scope, body: bytes) -> str:
    """The operation of a GraphQL request that ran none in this process (a cached answer)."""
    params = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
    request = requested(scope.get("method", ""), params, body)
    return operation_label(*request) if request else NONE


def _viewer_name(scope: Scope) -> str | None:
    viewer = (scope.get("state") or {}).get("viewer")
    return getattr(viewer, "username", None)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class ObservabilityMiddleware:
    """Metrics and one access-log line for every HTTP request and WebSocket connection."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

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
        chunks: list[bytes] = []  # the body of a GraphQL POST, read again for a cached answer

        async def observed_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        async def observed_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                chunks.append(message.get("body", b""))
            return message

        graphql = path == "/graphql"
        try:
            await self.app(scope, observed_receive if graphql else receive, observed_send)
        finally:
            duration = time.perf_counter() - started
            state = scope.get("state") or {}
            operation = state.get(OPERATION_KEY)
            if operation is None:
                operation = _operation_from_request(scope, b"".join(chunks)) if graphql and status == 200 else NONE
            route = path if path in ROUTES else "other"
            REQUESTS.labels(route, operation, str(status)).inc()
            LATENCY.labels(route, operation).observe(duration)
            if access_log.enabled:
                line = {
                    "time": _now(),
                    "type": "http",
                    "requestId": current_request_id(),
                    "method": scope.get("method"),
                    "path": path,
                    "status": status,
                    "durationMs": round(duration * 1000, 2),
                    "operation": operation if graphql else None,
                    "viewer": _viewer_name(scope),
                    "client": (scope.get("client") or (None,))[0],
                    "pid": access_log.pid,
                }
                if state.get(ERRORS_KEY):
                    line["errors"] = state[ERRORS_KEY]
                access_log.write(line)

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        watch = WebSocketWatch(receive, send)
        try:
            await self.app(scope, watch.receive, watch.send)
        finally:
            watch.record(scope, started)


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

    def record(self, scope: Scope, started: float) -> None:
        """Counts the connection and writes its access-log line, once it is over."""
        duration = time.perf_counter() - started
        path = scope.get("path", "")
        status = self.status or 500
        REQUESTS.labels(path if path in ROUTES else "other", WEBSOCKET, str(status)).inc()
        if access_log.enabled:
            line = {
                "time": _now(),
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

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        token = set_request_id(request_id_of(scope))
        # ObservabilityMiddleware._websocket's lines, inline: a helper would be one more frame
        # that every open connection keeps.
        started = time.perf_counter()
        watch = WebSocketWatch(receive, send)
        try:
            await self.app(scope, watch.receive, watch.send)
        finally:
            watch.record(scope, started)
            reset_request_id(token)


# --- the gauges and /metrics -----------------------------------------------------------------

_gauge_source: Callable[[], tuple[int, int]] | None = None


def watch(source: Callable[[], tuple[int, int]]) -> None:
    """Where the gauges read (open WebSockets, open subscriptions) of this process."""
    global _gauge_source
    _gauge_source = source


def refresh_gauges() -> None:
    if _gauge_source is not None:
        websockets, subscriptions = _gauge_source()
        OPEN_WEBSOCKETS.set(websockets)
        OPEN_SUBSCRIPTIONS.set(subscriptions)


async def refresh_gauges_forever(every: float = 1.0) -> None:
    """Multiprocess mode: a worker's /metrics reads the other workers' gauges from their
    files, so each worker writes its own every second."""
    while True:
        refresh_gauges()
        await asyncio.sleep(every)


async def metrics(request: Request) -> Response:
    refresh_gauges()
    if MULTIPROCESS:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        data = generate_latest(registry)
    else:
        data = generate_latest(REGISTRY)
    return Response(data, media_type=CONTENT_TYPE_LATEST)


def process_exited() -> None:
    """Multiprocess mode: this worker's gauges stop counting (its counters stay in the totals)."""
    if MULTIPROCESS:
        with suppress(Exception):
            multiprocess.mark_process_dead(os.getpid())
