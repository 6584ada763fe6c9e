"""The /graphql endpoint: authentication, language, per-request context, over Strawberry's ASGI view."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncGenerator
from contextlib import suppress
from json import JSONDecodeError

from starlette.requests import ClientDisconnect, Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.types import Message, Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState
from cross_web import HTTPException, parse_content_type
from graphql import GraphQLError
from strawberry.asgi import ASGIWebSocketAdapter, GraphQL
from strawberry.exceptions import ConnectionRejectionError, MissingQueryError
from strawberry.http.exceptions import NonJsonMessageReceived, NonTextMessageReceived
from strawberry.http import GraphQLRequestData
from strawberry.http.async_base_view import AsyncBaseHTTPView
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler

from api import graphiql
from api.auth import authenticate
from api.keepalive import KeepAlive
from api.messages import negotiate
from api.response_cache import ResponseCache, is_read_only
from schema.context import Context
from schema.extensions import LIMIT_CODES

UNAUTHENTICATED = {
    "data": None,
    "errors": [
        {
            "message": "Authentication required: send a valid token in the header `Authorization: Bearer <token>`.",
            "extensions": {"code": "UNAUTHENTICATED"},
        }
    ],
}


BATCH_REFUSED = "Batched requests (a JSON array of operations) are not supported: send one operation per request."
NOT_AN_OBJECT = 'Expected a JSON object here, such as {"query": "{ viewer { name } }", "variables": {}}.'
REASONS = {"Batching is not enabled": BATCH_REFUSED}
MUTATION_BY_GET = "Mutations are sent by POST: GET runs queries only."
SUBSCRIPTION_OVER_HTTP = (
    "Subscriptions are served over WebSocket at /graphql (graphql-transport-ws or graphql-ws), not over plain HTTP."
)

# GraphQL over HTTP (https://graphql.github.io/graphql-over-http/draft/): the two media types of
# a response, chosen by the request's Accept.
GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
APPLICATION_JSON = "application/json"
CONTENT_TYPES = {
    GRAPHQL_RESPONSE_JSON: "application/graphql-response+json; charset=utf-8",
    APPLICATION_JSON: "application/json",
}
ERROR_CODES = {
    400: "BAD_REQUEST",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    406: "NOT_ACCEPTABLE",
    415: "UNSUPPORTED_MEDIA_TYPE",
}


class RequestRefused(HTTPException):
    """A request refused before any operation ran, with headers of its own (Allow on a 405)."""

    def __init__(self, status_code: int, reason: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(status_code, reason)
        self.headers = headers or {}


def negotiate_media_type(accept: str | None) -> str | None:
    """The media type of the answer: application/graphql-response+json when the Accept header
    prefers it, application/json when it prefers that, accepts anything (`*/*`,
    `application/*`) or is absent (the spec's legacy rule); None when it accepts neither (406).
    Highest q first; at equal q a type named outright beats a wildcard, and
    graphql-response+json beats application/json."""
    if accept is None or not accept.strip():
        return APPLICATION_JSON
    offers: list[tuple[float, int, str]] = []
    refused: set[str] = set()
    for part in accept.split(","):
        media, *params = (piece.strip() for piece in part.split(";"))
        media = media.lower()
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value.strip())
                except ValueError:
                    q = 0.0
        if media in (GRAPHQL_RESPONSE_JSON, APPLICATION_JSON):
            if q <= 0:
                refused.add(media)
            else:
                offers.append((q, 3 if media == GRAPHQL_RESPONSE_JSON else 2, media))
        elif media in ("*/*", "application/*") and q > 0:
            offers.append((q, 1, "*"))
    for q, rank, media in sorted(offers, reverse=True):
        if media != "*":
            if media not in refused:
                return media
            continue
        # A wildcard: application/json (the legacy default) unless refused outright.
        for wildcard_choice in (APPLICATION_JSON, GRAPHQL_RESPONSE_JSON):
            if wildcard_choice not in refused:
                return wildcard_choice
    return None


def content_type_problem(header: str | None) -> str | None:
    """Why a POST's Content-Type is not one this endpoint reads (415), or None: JSON in UTF-8."""
    if not header or not header.strip():
        return "A POST needs `Content-Type: application/json` with the operation as a JSON object."
    media, params = parse_content_type(header)
    if media.lower() != APPLICATION_JSON:
        return f"Unsupported content type {media!r}: send the operation as JSON, with `Content-Type: application/json`."
    charset = params.get("charset", "utf-8").strip('"').lower()
    if charset not in ("utf-8", "utf8"):
        return f"Unsupported charset {charset!r}: the request body must be UTF-8."
    return None


def request_error(
    status: int, message: str, media_type: str = APPLICATION_JSON, headers: dict[str, str] | None = None
) -> Response:
    """A request refused before any operation ran (4xx), told as a GraphQL error body (no
    `data` entry: nothing ran)."""
    body = {"errors": [{"message": message, "extensions": {"code": ERROR_CODES.get(status, "BAD_REQUEST")}}]}
    return Response(
        json.dumps(body, ensure_ascii=False),
        status_code=status,
        headers={**(headers or {}), "content-type": CONTENT_TYPES[media_type]},
    )


def is_request_error(response_data: object) -> bool:
    """No data and only errors without a path: the document did not parse or validate (depth,
    aliases, tokens, unknown fields, variables of the wrong type), so nothing ran."""
    if not isinstance(response_data, dict) or response_data.get("data") is not None:
        return False
    errors = response_data.get("errors") or []
    return bool(errors) and all(not error.get("path") for error in errors)


def _wants_graphiql(request) -> bool:
    """A browser opening /graphql: GET, HTML accepted, no operation in the query string."""
    return (
        request.method == "GET"
        and "text/html" in request.headers.get("accept", "")
        and request.query_params.get("query") is None
    )


def _media_type(request) -> str:
    return getattr(getattr(request, "state", None), "media_type", None) or APPLICATION_JSON


FORBIDDEN_CLOSE_CODE = 4403  # a missing or unknown token in connection_init, on both protocols


class WebSocketAdapter(ASGIWebSocketAdapter):
    async def iter_json(self, *, ignore_parsing_errors: bool = False) -> AsyncGenerator[object, None]:
        """Strawberry's, without holding a message's text while it waits for the next one."""
        try:
            while self.ws.application_state != WebSocketState.DISCONNECTED:
                try:
                    yield self.view.decode_json(await self.ws.receive_text())
                except JSONDecodeError as error:
                    if not ignore_parsing_errors:
                        raise NonJsonMessageReceived from error
        except KeyError as error:
            raise NonTextMessageReceived from error
        except WebSocketDisconnect:
            pass


class _Registered:
    """A WebSocket handler that the view knows while it runs (for a graceful shutdown), and
    that keeps little while its connection is idle: its keep-alives are sent by the view's
    one keep-alive task (api/keepalive.py), and it lets go of each message once handled."""

    async def handle(self) -> None:
        GraphQLView.live_handlers.add(self)
        try:
            await super().handle()
        finally:
            GraphQLView.live_handlers.discard(self)
            self.view.keep_alives.discard(self)

    async def handle_message(self, message) -> None:
        try:
            await super().handle_message(message)
        finally:
            # Strawberry's read loop holds the last message until the next one comes, and a
            # subscriber's last message is its subscription's whole document.
            if isinstance(message, dict):
                message.clear()

    @staticmethod
    def _share_document(message) -> None:
        """Subscribers of the same operation send the same document: one copy of its text
        is kept for them all (it lives as long as an operation uses it)."""
        payload = message.get("payload") if isinstance(message, dict) else None
        if isinstance(payload, dict) and type(payload.get("query")) is str:
            payload["query"] = sys.intern(payload["query"])


class TransportWSHandler(_Registered, BaseGraphQLTransportWSHandler):
    """graphql-transport-ws, with keep-alive: once acknowledged, the server sends a `ping`
    every keep_alive_interval (the client answers `pong`), so that proxies keep idle
    connections open. Strawberry's handler only answers the client's pings."""

    async def handle_connection_init(self, message) -> None:
        await super().handle_connection_init(message)
        # Strawberry keeps its connection_init timer's task, cancelled by now, for the
        # connection's lifetime.
        self.connection_init_timeout_task = None
        if self.connection_acknowledged and self.view.keep_alive:
            self.view.keep_alives.add(self)

    async def send_keep_alive(self) -> None:
        await self.send_message({"type": "ping"})

    async def handle_subscribe(self, message) -> None:
        self._share_document(message)
        await super().handle_subscribe(message)

    async def run_operation(self, operation) -> None:
        GraphQLView.open_operations += 1
        try:
            await super().run_operation(operation)
        finally:
            GraphQLView.open_operations -= 1


class LegacyWSHandler(_Registered, BaseGraphQLWSHandler):
    """The legacy graphql-ws protocol, with `ka` keep-alives. A rejected connection_init
    closes with 4403, as on graphql-transport-ws; Strawberry closes with 1011."""

    async def handle(self) -> None:
        # As on graphql-transport-ws: a socket that sends no connection_init in time is closed
        # (4408), so that unauthenticated sockets are not kept open.
        # A timer, not a sleeping task: it costs less while the connection lives.
        watch = asyncio.get_running_loop().call_later(
            self.view.connection_init_wait_timeout.total_seconds(), self._close_unless_initialised
        )
        try:
            await super().handle()
        finally:
            watch.cancel()
            if self._closing is not None:
                with suppress(BaseException):
                    await self._closing

    _closing: asyncio.Task | None = None

    def _close_unless_initialised(self) -> None:
        if not self.connection_acknowledged:
            self._closing = asyncio.ensure_future(
                self.websocket.close(code=4408, reason="Connection initialisation timeout")
            )

    async def handle_connection_init(self, message) -> None:
        if self.connection_acknowledged:
            await self.websocket.close(code=4429, reason="Too many initialisation requests")
            return
        payload = message.get("payload")
        self.context.connection_params = payload if isinstance(payload, dict) else None
        try:
            await self.view.on_ws_connect(self.context)
        except ConnectionRejectionError as error:
            await self.send_message({"type": "connection_error", "payload": error.payload})
            await self.websocket.close(code=FORBIDDEN_CLOSE_CODE, reason="Forbidden")
            return
        await self.send_message({"type": "connection_ack"})
        self.connection_acknowledged = True
        if self.keep_alive:
            await self.send_keep_alive()  # as Strawberry's handler does, one at once
            self.view.keep_alives.add(self)

    async def send_keep_alive(self) -> None:
        await self.send_message({"type": "ka"})

    async def handle_start(self, message) -> None:
        self._share_document(message)
        await super().handle_start(message)

    async def handle_async_results(self, *args, **kwargs) -> None:
        GraphQLView.open_operations += 1
        try:
            await super().handle_async_results(*args, **kwargs)
        finally:
            GraphQLView.open_operations -= 1


class GraphQLView(GraphQL):
    """Strawberry's view, with our context; the viewer was authenticated before it runs."""

    graphql_transport_ws_handler_class = TransportWSHandler
    graphql_ws_handler_class = LegacyWSHandler
    # For /healthz: WebSocket connections being served now, and the operations (subscriptions,
    # mostly) running over them.
    open_websockets = 0
    open_operations = 0
    response_cache: ResponseCache | None = None
    # The WebSocket connections' protocol handlers running now: a graceful shutdown ends
    # their operations and closes them (api/shutdown.py).
    live_handlers: set = set()

    websocket_adapter_class = WebSocketAdapter

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.keep_alives = KeepAlive(self.keep_alive_interval)
        self._payload_texts: dict[int, tuple[dict, str]] = {}  # id(data) -> (data, its payload's text)

    async def get_context(self, request: Request | WebSocket, response: Response | WebSocket) -> Context:
        if isinstance(request, WebSocket):
            # Built once per connection; the viewer comes with connection_init (on_ws_connect).
            return Context(viewer=None, language="fr", request=request, response=response)
        return Context(
            viewer=getattr(request.state, "viewer", None),  # None only for the GraphiQL page
            language=negotiate(request.headers.get("accept-language")),
            request=request,
            response=response,
        )

    async def on_ws_connect(self, context: Context):
        params = context.connection_params if isinstance(context.connection_params, dict) else {}
        header = next((v for k, v in params.items() if k.lower() == "authorization" and isinstance(v, str)), None)
        viewer = await authenticate(header)
        if viewer is None:
            raise ConnectionRejectionError({"message": "Authentication required", "code": "UNAUTHENTICATED"})
        language = next((v for k, v in params.items() if k.lower() == "accept-language" and isinstance(v, str)), None)
        context.viewer = viewer
        context.request.state.viewer = viewer  # for the access log (api/observability.py)
        context.language = negotiate(language)
        return None

    async def serve_websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        """One WebSocket connection, for as long as it lasts. What Strawberry's __call__ and our
        run() do with a WebSocket, in one small frame instead of three: every open connection
        keeps them (api.app.App calls this directly)."""
        GraphQLView.open_websockets += 1
        try:
            await AsyncBaseHTTPView.run(self, WebSocket(scope, receive=receive, send=send))
        finally:
            GraphQLView.open_websockets -= 1

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await self.serve_websocket(scope, receive, send)
            return
        if scope["type"] == "http":
            request = Request(scope, receive)
            if not _wants_graphiql(request):
                viewer = await authenticate(request.headers.get("authorization"))
                if viewer is None:
                    response = JSONResponse(UNAUTHENTICATED, status_code=401, headers={"WWW-Authenticate": "Bearer"})
                    await response(scope, receive, send)
                    return
                media_type = negotiate_media_type(request.headers.get("accept"))
                refused = self._refuse_early(request, media_type)
                if refused is not None:
                    await refused(scope, receive, send)
                    return
                state = scope.setdefault("state", {})
                state["viewer"] = viewer
                state["media_type"] = media_type
                if self.response_cache is not None:
                    await self._cached(scope, request, viewer, send)
                    return
        await super().__call__(scope, receive, send)

    @staticmethod
    def _refuse_early(request: Request, media_type: str | None) -> Response | None:
        """A request whose answer no client could read (406: its Accept takes neither JSON
        type) or whose body is not JSON (415), refused before anything is read or cached."""
        if media_type is None:
            return request_error(
                406, "Not acceptable: accept application/graphql-response+json or application/json.",
            )
        if request.method == "POST":
            problem = content_type_problem(request.headers.get("content-type"))
            if problem is not None:
                return request_error(415, problem, media_type)
        return None

    async def _cached(self, scope: Scope, request: Request, viewer, send: Send) -> None:
        """Answers a query from the response cache, or runs it and keeps its answer."""
        try:
            body = await request.body() if request.method == "POST" else b""
        except ClientDisconnect:  # gone before sending its whole request: nobody to answer
            return
        replayed = False

        async def receive_again() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await request.receive()

        if not is_read_only(request.method, body, request.query_params):
            await super().__call__(scope, receive_again, send)
            return
        key = self.response_cache.key(
            viewer,
            negotiate(request.headers.get("accept-language")),
            request.method,
            body if request.method == "POST" else scope.get("query_string", b""),
            request.headers.get("accept", ""),
        )
        cached = self.response_cache.get(key)
        if cached is not None:
            status, headers, content = cached
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": content})
            return
        start: Message = {}
        chunks: list[bytes] = []

        async def keep(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        await super().__call__(scope, receive_again, keep)
        if start and not scope["state"].get("graphql_errors"):
            self.response_cache.put(key, start["status"], list(start.get("headers", [])), b"".join(chunks))

    async def run(self, request, *args, **kwargs):
        """Requests refused before any operation runs (malformed or non-object JSON, a batch,
        a mutation by GET) get a 4xx with a GraphQL error body, not Strawberry's plain text."""
        if isinstance(request, WebSocket):
            return await super().run(request, *args, **kwargs)
        try:
            return await super().run(request, *args, **kwargs)
        except HTTPException as error:
            return request_error(
                error.status_code,
                REASONS.get(error.reason, error.reason),
                _media_type(request),
                getattr(error, "headers", None),
            )

    async def render_graphql_ide(self, request: Request) -> Response:
        """Strawberry's GraphiQL page, opened with the demo's token and one tab per step-2
        operation (api/graphiql.py)."""
        return HTMLResponse(await graphiql.render(self.schema, self.graphql_ide_html))

    def should_render_graphql_ide(self, request) -> bool:
        """GraphiQL for a browser only (HTML accepted), as the authentication sees it; a
        client that accepts anything and sends no operation is told that it sent none."""
        return _wants_graphiql(request)

    def parse_json(self, data: str | bytes) -> object:
        """The request's JSON (HTTP only; WebSocket messages use decode_json): an object, or
        a list that Strawberry then refuses as a batch. A JSON string, number or null, or a
        body that is not UTF-8, is the caller's error (400), not a crash."""
        try:
            value = super().parse_json(data)
        except UnicodeDecodeError:
            raise HTTPException(400, "Unable to parse request body as JSON: it is not UTF-8.") from None
        if not isinstance(value, (dict, list)):
            raise HTTPException(400, NOT_AN_OBJECT)
        return value

    async def parse_http_body(self, request):
        data = await super().parse_http_body(request)
        if isinstance(data, GraphQLRequestData) and not isinstance(data.operation_name, (str, type(None))):
            raise HTTPException(400, "The GraphQL operation's `operationName` must be a string or null, if provided.")
        return data

    async def execute_single(self, request, request_adapter, sub_response, context, root_value, request_data):
        """One operation: queries by GET or POST, mutations by POST only (405 with Allow:
        POST by GET), subscriptions over WebSocket only. An operationName that names no
        operation of the document is a GraphQL request error, like a validation error."""
        allowed = {OperationType.QUERY} if request_adapter.method == "GET" else {OperationType.QUERY, OperationType.MUTATION}
        try:
            return await self.schema.execute(
                request_data.query,
                root_value=root_value,
                variable_values=request_data.variables,
                context_value=context,
                operation_name=request_data.operation_name,
                allowed_operation_types=allowed,
                operation_extensions=request_data.extensions,
            )
        except InvalidOperationTypeError as error:
            if error.operation_type == OperationType.MUTATION:
                raise RequestRefused(405, MUTATION_BY_GET, {"Allow": "POST"}) from None
            raise HTTPException(400, SUBSCRIPTION_OVER_HTTP) from None
        except CannotGetOperationTypeError as error:
            message = error.as_http_error_reason()
            if error.operation_name is None:
                message = "The document holds several operations: name the one to run in `operationName`."
            return ExecutionResult(data=None, errors=[GraphQLError(message, extensions={"code": "BAD_REQUEST"})])
        except MissingQueryError:
            raise HTTPException(400, "No GraphQL query found in the request") from None

    async def get_sub_response(self, request) -> Response:
        sub_response = await super().get_sub_response(request)
        sub_response.graphql_media_type = _media_type(request)
        return sub_response

    def create_response(self, response_data, sub_response: Response) -> Response:
        """The status and media type that GraphQL over HTTP gives: with
        application/graphql-response+json, a request error (the document does not parse or
        validate, its variables do not coerce, no operation to run) is a 400; with
        application/json (legacy clients) every well-formed request gets a 200, but for one
        over the depth, alias or token limits (400 always). A request
        error has no `data` entry, since nothing ran."""
        media_type = getattr(sub_response, "graphql_media_type", APPLICATION_JSON)
        if is_request_error(response_data):
            response_data = {key: value for key, value in response_data.items() if key != "data"}
            if not sub_response.status_code:
                over_a_limit = any(
                    (error.get("extensions") or {}).get("code") in LIMIT_CODES for error in response_data["errors"]
                )
                # A request over a limit is refused (400) whatever the answer's type, as a body
                # over the size limit is (413); other request errors follow the spec.
                sub_response.status_code = 400 if media_type == GRAPHQL_RESPONSE_JSON or over_a_limit else 200
        response = super().create_response(response_data, sub_response)
        response.headers["content-type"] = CONTENT_TYPES[media_type]
        return response

    async def process_result(self, request: Request, result) -> dict:
        if result.errors and isinstance(request, Request):
            request.state.graphql_errors = True  # such an answer is not kept by the response cache
        return await super().process_result(request, result)

    def decode_json(self, data: str | bytes) -> object:
        try:
            return json.loads(data)
        except RecursionError:
            # Nested deeper than the decoder goes: as unreadable as malformed JSON (400), not a crash.
            raise json.JSONDecodeError("JSON nested too deeply", "", 0) from None

    def encode_json(self, data: object) -> str:
        """JSON text of a response or a WebSocket message. A live update shared by many
        subscribers (schema/live.py) carries the same `data` object to each: its text is
        encoded once and spliced into each subscriber's message."""
        if isinstance(data, dict) and data.get("type") in ("next", "data") and isinstance(data.get("payload"), dict):
            payload = data["payload"]
            shared = payload.get("data")
            if isinstance(shared, dict) and set(payload) <= {"data", "errors", "extensions"}:
                text = self._payload_texts.get(id(shared))
                if text is None or text[0] is not shared:
                    text = (shared, json.dumps(payload, ensure_ascii=False))
                    self._payload_texts[id(shared)] = text
                    while len(self._payload_texts) > 64:
                        self._payload_texts.pop(next(iter(self._payload_texts)))
                return '{"type": %s, "id": %s, "payload": %s}' % (
                    json.dumps(data["type"]), json.dumps(data.get("id"), ensure_ascii=False), text[1]
                )
        return json.dumps(data, ensure_ascii=False)
