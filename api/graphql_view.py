"""The /graphql endpoint: Strawberry's ASGI view with our authentication, context, GraphQL
over HTTP (api/graphql_http.py), the two WebSocket protocols (api/websockets.py) and the
response cache (api/response_cache.py). One idea, the view, whose overrides of Strawberry's
hooks stay together (a little over 300 lines)."""

from __future__ import annotations

import json
import logging

import orjson

from graphql import GraphQLError
from cross_web import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError, MissingQueryError
from strawberry.http import GraphQLRequestData
from strawberry.http.async_base_view import AsyncBaseHTTPView
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType

from api import cached_answers, graphiql
from api.authentication import UNAUTHENTICATED, authenticate, token_hash
from api.connections import Connections
from api.event_texts import EventTexts
from api.graphiql_assets import Assets
from api.graphql_http import (
    APPLICATION_JSON,
    CONTENT_TYPES,
    GRAPHQL_RESPONSE_JSON,
    LONE_SURROGATE,
    MUTATION_BY_GET,
    NOT_AN_OBJECT,
    REASONS,
    RETRY_AFTER,
    SUBSCRIPTION_OVER_HTTP,
    UNAVAILABLE,
    RequestRefused,
    holds_lone_surrogate,
    is_request_error,
    is_unavailable,
    media_type_of,
    negotiate_media_type,
    refused_before_reading,
    replay,
    replay_message,
    request_error,
    wants_graphiql,
)
from api.keepalive import KeepAlive
from api.request_id import current_request_id
from api.response_cache import ResponseCache
from api.websockets import LegacyWSHandler, ServiceUnavailable, TransportWSHandler, WebSocketAdapter
from contacts.db import connection_lost, session
from contacts.events import EventBus
from contacts.messages import negotiate
from schema import PREPARED_OPERATIONS, Context
from schema.limits import LIMIT_CODES

log = logging.getLogger("api.graphql")
PLAIN_KEYS = frozenset({"query", "variables", "operationName", "extensions"})


class GraphQLView(GraphQL):
    """Strawberry's view, with our context: the viewer is authenticated before anything runs
    (HTTP), or with connection_init (WebSocket); read-only queries may be answered from the
    response cache."""

    graphql_transport_ws_handler_class = TransportWSHandler
    graphql_ws_handler_class = LegacyWSHandler
    websocket_adapter_class = WebSocketAdapter

    def __init__(self, schema, *, bus: EventBus, connections: Connections, response_cache: ResponseCache | None,
                 graphiql_assets: Assets, demo: bool = False, **kwargs) -> None:
        super().__init__(schema, **kwargs)
        self.bus = bus
        self.demo = demo
        self.graphiql_assets = graphiql_assets
        self.connections = connections
        self.response_cache = response_cache
        self.keep_alives = KeepAlive(self.keep_alive_interval)
        self.event_texts = EventTexts()
        self.prepared_path = True  # plain requests by answer_prepared (off: all by Strawberry's view)

    async def get_context(self, request: Request | WebSocket, response: Response | WebSocket) -> Context:
        if isinstance(request, WebSocket):
            # Built once per connection; the viewer comes with connection_init (on_ws_connect).
            return Context(viewer=None, language="fr", bus=self.bus, request=request, response=response,
                           request_id=current_request_id())
        return Context(
            viewer=getattr(request.state, "viewer", None),  # None only for the GraphiQL page
            language=negotiate(request.headers.get("accept-language")),
            bus=self.bus,
            request=request,
            response=response,
            request_id=current_request_id(),
            prepared=getattr(request.state, "prepared", None),  # when the response cache looked at it
            dependencies=getattr(request.state, "dependencies", None),  # noted for the response cache
        )

    async def on_ws_connect(self, context: Context):
        params = context.connection_params if isinstance(context.connection_params, dict) else {}
        header = next((v for k, v in params.items() if k.lower() == "authorization" and isinstance(v, str)), None)
        try:
            viewer = await authenticate(header)
        except Exception as error:
            if not connection_lost(error):
                raise
            log.warning("database connection lost while authenticating a WebSocket: %s", error)
            raise ServiceUnavailable from None
        if viewer is None:
            raise ConnectionRejectionError({"message": "Authentication required", "code": "UNAUTHENTICATED"})
        language = next((v for k, v in params.items() if k.lower() == "accept-language" and isinstance(v, str)), None)
        context.viewer = viewer
        context.token_hash = token_hash(header)  # its rights are read again (api/rights.py)
        context.request.state.viewer = viewer  # for the access log (api/observability.py)
        context.language = negotiate(language)
        return None

    async def serve_websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        """One WebSocket connection, for as long as it lasts. What Strawberry's __call__ and our
        run() do with a WebSocket, in one small frame instead of three: every open connection
        keeps them (api.app.App calls this directly)."""
        self.connections.websockets += 1
        try:
            await AsyncBaseHTTPView.run(self, WebSocket(scope, receive=receive, send=send))
        finally:
            self.connections.websockets -= 1

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await self.serve_websocket(scope, receive, send)
            return
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        # The request's statements on one database connection, not one each (contacts.db.session),
        # given back once the answer starts. A small request's body comes whole in its first
        # message, received here before a connection is taken: such a request keeps its one
        # connection from its authentication to its answer. A body that comes in parts is read
        # with no connection held (given back after the authentication).
        first = await receive()
        receive = replay_message(first, receive)
        async with session() as connection:
            async def answer(message) -> None:
                if message["type"] == "http.response.start":
                    await connection.close()
                await send(message)

            request = Request(scope, receive)
            if not wants_graphiql(request):
                try:
                    viewer = await authenticate(request.headers.get("authorization"))
                except Exception as error:
                    if not connection_lost(error):
                        raise
                    log.warning("database connection lost while authenticating: %s", error)
                    media_type = negotiate_media_type(request.headers.get("accept")) or APPLICATION_JSON
                    await request_error(503, UNAVAILABLE, media_type, RETRY_AFTER)(scope, receive, answer)
                    return
                if first["type"] != "http.request" or first.get("more_body", False):
                    await connection.give_back()
                if viewer is None:
                    response = JSONResponse(UNAUTHENTICATED, status_code=401, headers={"WWW-Authenticate": "Bearer"})
                    await response(scope, receive, answer)
                    return
                media_type = negotiate_media_type(request.headers.get("accept"))
                refused = refused_before_reading(request, media_type)
                if refused is not None:
                    await refused(scope, receive, answer)
                    return
                state = scope.setdefault("state", {})
                state["viewer"] = viewer
                state["media_type"] = media_type
                if self.response_cache is not None:
                    await cached_answers.serve(self.response_cache, self.schema.documents, self.graphql_http,
                                               scope, request, viewer, answer)
                    return
                await self.graphql_http(scope, receive, answer)
                return
            await super().__call__(scope, receive, answer)

    async def graphql_http(self, scope: Scope, receive: Receive, send: Send) -> None:
        """A GraphQL request over HTTP, authenticated. A plain one (a POST of a JSON object
        whose document is prepared valid, a query or a mutation) is run by `answer_prepared`;
        anything else by Strawberry's view, which answers every case the same way. A POST comes
        here with a JSON body (`refused_before_reading` answered any other with a 415)."""
        request = Request(scope, receive)
        if self.prepared_path and request.method == "POST" \
                and self._get_stream_transport_from_headers(request.headers) is None:
            try:
                body = await request.body()
            except ClientDisconnect:  # gone before sending its whole request: nobody to answer
                return
            response = await self.answer_prepared(request, body)
            if response is not None:
                await response(scope, receive, send)
                return
            receive = replay(body, receive)
        await super().__call__(scope, receive, send)

    async def answer_prepared(self, request: Request, body: bytes) -> Response | None:
        """What Strawberry's view answers to a plain request (see `graphql_http`), in one short
        frame: the body read once (orjson), the document prepared once (schema/documents.py),
        then Schema.execute_prepared and this view's own process_result and create_response.
        None when the request is not plain: Strawberry's view then answers it."""
        try:
            payload = orjson.loads(body)
        except orjson.JSONDecodeError:
            return None
        if payload.__class__ is not dict or not payload.keys() <= PLAIN_KEYS:
            return None
        query, variables = payload.get("query"), payload.get("variables")
        operation_name, extensions = payload.get("operationName"), payload.get("extensions")
        if not (query and isinstance(query, str) and isinstance(variables, (dict, type(None)))
                and isinstance(operation_name, (str, type(None))) and (extensions is None or extensions == {})):
            return None
        if holds_lone_surrogate(body, payload):
            return None
        prepared = getattr(request.state, "prepared", None)
        if prepared is None or prepared.text != query:
            prepared = self.schema.documents.prepare(query)
        operation = prepared.operation(operation_name) if prepared.valid else None
        if operation is None or operation.operation not in PREPARED_OPERATIONS:
            return None
        sub_response = await self.get_sub_response(request)
        context = await self.get_context(request, sub_response)
        result = await self.schema.execute_prepared(prepared, operation_name, variables, context)
        response_data = await self.process_result(request, result)
        if result.errors:
            self._handle_errors(result.errors, response_data)
        return self.create_response(response_data, sub_response)

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
                media_type_of(request),
                getattr(error, "headers", None),
            )

    async def render_graphql_ide(self, request: Request) -> Response:
        """Strawberry's GraphiQL page, opened with one tab per step-2 operation, and in demo
        mode the demo's token (api/graphiql.py)."""
        return await graphiql.render(self.schema, self.graphql_ide_html, self.bus, self.graphiql_assets, demo=self.demo)

    def should_render_graphql_ide(self, request) -> bool:
        """GraphiQL for a browser only (HTML accepted), as the authentication sees it; a
        client that accepts anything and sends no operation is told that it sent none."""
        return wants_graphiql(request)

    def parse_json(self, data: str | bytes) -> object:
        """The request's JSON (HTTP only; WebSocket messages use decode_json): an object, or
        a list that Strawberry then refuses as a batch. A JSON string, number or null, or a
        body that is not UTF-8, is the caller's error (400), not a crash."""
        try:
            value = super().parse_json(data)
        except UnicodeDecodeError:
            raise HTTPException(400, "Unable to parse request body as JSON: it is not UTF-8.") from None
        if holds_lone_surrogate(data, value):
            raise HTTPException(400, LONE_SURROGATE)
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
        sub_response.graphql_media_type = media_type_of(request)
        return sub_response

    def create_response(self, response_data, sub_response: Response) -> Response:
        """The status and media type that GraphQL over HTTP gives: with
        application/graphql-response+json, a request error (the document does not parse or
        validate, its variables do not coerce, no operation to run) is a 400; with
        application/json (legacy clients) every well-formed request gets a 200, but for one
        over the depth, alias or token limits (400 always). A request
        error has no `data` entry, since nothing ran."""
        media_type = getattr(sub_response, "graphql_media_type", APPLICATION_JSON)
        if is_unavailable(response_data) and not sub_response.status_code:
            sub_response.status_code = 503  # nothing came back: the database could not be reached
            sub_response.headers.update(RETRY_AFTER)
        elif is_request_error(response_data):
            response_data = {key: value for key, value in response_data.items() if key != "data"}
            if not sub_response.status_code:
                over_a_limit = any(
                    (error.get("extensions") or {}).get("code") in LIMIT_CODES for error in response_data["errors"]
                )
                # A request over a limit is refused (400) whatever the answer's type, as a body
                # over the size limit is (413); other request errors follow the spec.
                sub_response.status_code = 400 if media_type == GRAPHQL_RESPONSE_JSON or over_a_limit else 200
        # orjson: the same JSON as json.dumps, in a fifth of the time (a step-2 answer is 18 kB).
        response = Response(orjson.dumps(response_data), status_code=sub_response.status_code or 200,
                            media_type=CONTENT_TYPES[media_type])
        if sub_response.headers.raw:  # set by a resolver, or Retry-After above
            response.headers.raw.extend(sub_response.headers.raw)
        response.background = sub_response.background
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
        """JSON text of a response or a WebSocket message; a live update shared by many
        subscribers is encoded once (api/event_texts.py)."""
        return self.event_texts.message(data) or json.dumps(data, ensure_ascii=False)
