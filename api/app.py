"""The application of one process: `create_app` builds every part and keeps it on `app.state`.

    settings -> database, event bus -> schema -> GraphQL view (response cache, connections)
             -> routes, middleware, lifespan

Nothing is made at import: each app has its own parts (the tests build apps of their own),
and uvicorn calls `create_app()` in each worker (`python -m api serve`).
"""

from __future__ import annotations

import asyncio
import gc
import logging
from contextlib import asynccontextmanager, suppress
from datetime import timedelta
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send
from strawberry.http.websocket_origin import normalize_allowed_origins
from tortoise.contrib.starlette import RegisterTortoise

from api.graphiql_assets import ASSETS_PATH, assets_of
from api.access_log import AccessLog
from api.body_limit import BodyLimitMiddleware
from api.connections import Connections
from api.graphql_view import GraphQLView
from api.health import healthz, readyz
from api.metrics import Metrics
from api.observability import (
    ObservabilityMiddleware,
    ObservedWebSocket,
    RecordOperation,
    keep_personal_data_out_of_logs,
)
from api.request_id import RequestIdMiddleware
from api.response_cache import ResponseCache
from api.rights import RightsWatch
from api.settings import Settings
from api.shutdown import GracefulShutdown, close_websockets
from contacts.broker import make_bus
from contacts.db import Database
from contacts.events import EventBus
from schema import Limits, build_schema

FRONTEND = Path(__file__).resolve().parent.parent / "frontend_stub"


# The step-2 screen loads its own files only, runs no inline script nor style, and talks to this
# app only (HTTP and WebSocket: 'self'); no page may frame it.
FRONTEND_HEADERS = {
    "Content-Security-Policy": "; ".join([
        "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "connect-src 'self'",
        "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'", "form-action 'self'",
    ]),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


class FrontendFiles(StaticFiles):
    """The step-2 screen's files, with FRONTEND_HEADERS. The npm packages of its typed
    operations (types/node_modules, tooling for `make types`) are not the screen's: they are
    not served."""

    def lookup_path(self, path: str):
        if "node_modules" in Path(path).parts:
            return "", None
        return super().lookup_path(path)

    async def get_response(self, path: str, scope: Scope):
        response = await super().get_response(path, scope)
        response.headers.update(FRONTEND_HEADERS)
        return response


class App(Starlette):
    """Starlette, but a WebSocket to /graphql goes straight to the GraphQL view with its request
    id, metrics and access-log line (observability.ObservedWebSocket): none of the other
    middleware acts on WebSockets, and each coroutine frame of the chain (CORS, body limit,
    errors, exceptions, router...) would be kept by every open connection for as long as it
    lives. Anything else takes the whole chain."""

    graphql_websocket: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket" and scope["path"] == "/graphql" and self.graphql_websocket is not None:
            scope["app"] = self
            await self.graphql_websocket(scope, receive, send)
        else:
            await super().__call__(scope, receive, send)


def create_app(settings: Settings | None = None, *, database: Database | None = None,
               bus: EventBus | None = None) -> App:
    """The app, from the environment's settings unless given. A `database` given is open
    already and stays open (its owner closes it); otherwise the app opens its settings'
    database for as long as it runs. A `bus` given is started and stopped with the app."""
    settings = settings or Settings.from_env()
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    keep_personal_data_out_of_logs()
    owns_database = database is None
    database = database or Database(settings.database_url)
    bus = bus or make_bus(settings.broker_url)
    # Browser origins beyond the app's own: none unless ALLOWED_ORIGINS lists them (CORS for
    # HTTP; Strawberry refuses other WebSocket handshakes with 403). Validated here: a typo
    # fails the start, not a browser later.
    origins = sorted(normalize_allowed_origins(settings.allowed_origins))
    metrics = Metrics()
    access_log = AccessLog(settings.access_log)
    connections = Connections()
    # The metrics' extension first, so that it sees the errors once masked (its exit hook runs last).
    schema = build_schema(
        Limits(settings.max_query_depth, settings.max_aliases, settings.max_tokens, settings.max_cost),
        document_cache_bytes=settings.document_cache_bytes,
        extra_extensions=(lambda: RecordOperation(metrics),),
    )
    # GraphiQL's files, served by the app itself unless GRAPHIQL_ASSETS=cdn (api/graphiql_assets.py).
    graphiql_assets = assets_of(settings.graphiql_assets)
    graphql = GraphQLView(
        schema,
        bus=bus,
        connections=connections,
        graphiql_assets=graphiql_assets,
        demo=settings.demo,
        response_cache=(
            ResponseCache(settings.response_cache_entries, settings.response_cache_bytes)
            if settings.response_cache_entries > 0 and settings.response_cache_bytes > 0 else None
        ),
        keep_alive=True,
        keep_alive_interval=settings.keep_alive_seconds,
        connection_init_wait_timeout=timedelta(seconds=settings.connection_init_seconds),
        allowed_origins=origins,
    )
    metrics.watch(lambda: (connections.websockets, connections.operations), database.pool_usage)
    rights = RightsWatch(connections, settings.rights_check_seconds)

    @asynccontextmanager
    async def lifespan(app: Starlette):
        shutdown = GracefulShutdown(connections, timeout=min(5.0, settings.graceful_shutdown_seconds))
        async with RegisterTortoise(app, config=database.config) if owns_database else _nothing():
            await bus.start()
            gauges = asyncio.create_task(metrics.refresh_gauges_forever()) if metrics.multiprocess else None
            watching = asyncio.create_task(rights.run_forever())
            shutdown.install()
            if owns_database:  # the process itself (tests that bring their database share theirs)
                settle_startup_objects()
            try:
                yield
            finally:
                shutdown.uninstall()
                await close_websockets(connections, timeout=2.0)
                for task in (gauges, watching):
                    if task is not None:
                        task.cancel()
                        with suppress(asyncio.CancelledError):
                            await task
                metrics.process_exited()
                await bus.stop()

    routes = [
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/metrics", metrics.endpoint),
        Route("/graphql", graphql, methods=["GET", "POST"]),
        WebSocketRoute("/graphql", graphql),
        Route(ASSETS_PATH + "{file:path}", graphiql_assets.serve, methods=["GET", "HEAD"]),
    ]
    if FRONTEND.is_dir():
        routes.append(Mount("/", FrontendFiles(directory=FRONTEND, html=True), name="frontend"))
    app = App(
        routes=routes,
        middleware=[
            Middleware(RequestIdMiddleware),
            Middleware(ObservabilityMiddleware, metrics=metrics, access_log=access_log),
            Middleware(
                CORSMiddleware,
                allow_origins=origins,
                allow_methods=["GET", "POST"],
                allow_headers=["Authorization", "Content-Type", "Accept", "Accept-Language", "X-Request-ID"],
                expose_headers=["X-Request-ID"],
                max_age=600,
            ),
            Middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes),
        ],
        lifespan=lifespan,
    )
    app.graphql_websocket = ObservedWebSocket(graphql.serve_websocket, metrics, access_log)
    state = app.state
    state.settings, state.database, state.bus, state.schema = settings, database, bus, schema
    state.graphql, state.connections, state.metrics, state.access_log = graphql, connections, metrics, access_log
    state.rights = rights
    return app


def settle_startup_objects() -> None:
    """What the process built to start (modules, the schema, its compiled parts) lives as long
    as the process: moved out of the garbage collector's reach, so that a full collection scans
    only what requests made. Measured on the step-2 read: the worst pause of the collector went
    from 63 ms (one full collection in 2,000 requests, felt by every request in flight) to 4 ms."""
    gc.collect()
    gc.freeze()


@asynccontextmanager
async def _nothing():
    yield
