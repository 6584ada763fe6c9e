"""The ASGI application: routes, middleware and the lifespan that opens the database."""

from __future__ import annotations

import asyncio
from datetime import timedelta
import logging
import os
import time
from contextlib import asynccontextmanager, suppress
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send
from strawberry.http.websocket_origin import normalize_allowed_origins
from tortoise import connections
from tortoise.contrib.starlette import RegisterTortoise

from api import events, graphiql, observability
from api.body_limit import BodyLimitMiddleware
from api.graphql_view import GraphQLView
from api.request_id import RequestIdMiddleware
from api.shutdown import GracefulShutdown, close_websockets
from api.response_cache import ResponseCache
from api.settings import Settings, settings as default_settings, tortoise_config

FRONTEND = Path(__file__).resolve().parent.parent / "frontend_stub"


async def healthz(request: Request) -> JSONResponse:
    """Liveness, and the live updates of the process that answers (each process of
    `--workers N` has its own): open WebSocket connections, the operations running over them
    (subscriptions), the event bus's subscriber queues, all asyncio tasks (to see that
    nothing is left behind) and the broker link."""
    bus = events.bus()
    return JSONResponse(
        {
            "status": "ok",
            "pid": os.getpid(),  # the process that answers, as in the JSON log lines
            "websockets": GraphQLView.open_websockets,
            "subscriptions": GraphQLView.open_operations,
            "eventQueues": bus.subscriber_count(),
            "tasks": len(asyncio.all_tasks()),
            "broker": bus.status(),
        }
    )


READY_TIMEOUT = 1.0  # seconds each dependency gets to answer /readyz


async def _check(name: str, probe) -> tuple[str, dict]:
    started = time.perf_counter()
    try:
        async with asyncio.timeout(READY_TIMEOUT):
            await probe()
    except Exception as error:  # noqa: BLE001 - any failure makes the dependency down
        reason = str(error) or type(error).__name__
        if isinstance(error, TimeoutError):
            reason = f"no answer within {READY_TIMEOUT:g}s"
        return name, {"ok": False, "error": reason}
    return name, {"ok": True, "ms": round((time.perf_counter() - started) * 1000, 2)}


async def _database() -> None:
    await connections.get("default").execute_query("SELECT 1")


async def readyz(request: Request) -> JSONResponse:
    """Readiness: 200 when the database and the event broker answer, else 503 naming what is
    down. A load balancer sends traffic only to a ready process; /healthz says it is alive."""
    bus = events.bus()
    checks = dict(await asyncio.gather(_check("database", _database), _check("broker", bus.check)))
    checks["broker"]["kind"] = bus.status()["kind"]
    ready = all(check["ok"] for check in checks.values())
    return JSONResponse(
        {"status": "ready" if ready else "unavailable", "checks": checks},
        status_code=200 if ready else 503,
        headers={"Cache-Control": "no-store"},
    )


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


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or default_settings
    from schema import build_schema

    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    observability.configure_access_log(settings.access_log)
    # Browser origins beyond the app's own: none unless ALLOWED_ORIGINS lists them (CORS for
    # HTTP; Strawberry refuses other WebSocket handshakes with 403). Validated here: a typo
    # fails the start, not a browser later.
    origins = sorted(normalize_allowed_origins(settings.allowed_origins))
    schema = build_schema(settings)
    # First, so that it sees the errors once masked (its exit hook runs last).
    schema.extensions = (observability.RecordOperation, *schema.extensions)
    graphql = GraphQLView(
        schema,
        keep_alive=True,
        keep_alive_interval=settings.keep_alive_seconds,
        connection_init_wait_timeout=timedelta(seconds=settings.connection_init_seconds),
        allowed_origins=origins,
    )
    if settings.response_cache_entries > 0:
        graphql.response_cache = ResponseCache(max_entries=settings.response_cache_entries)
    observability.watch(lambda: (GraphQLView.open_websockets, GraphQLView.open_operations))

    @asynccontextmanager
    async def lifespan(app: Starlette):
        shutdown = GracefulShutdown(timeout=min(5.0, settings.graceful_shutdown_seconds))
        async with RegisterTortoise(app, config=tortoise_config(settings.database_url)):
            bus = events.make_bus(settings.broker_url)
            events.use_bus(bus)
            await bus.start()
            gauges = asyncio.create_task(observability.refresh_gauges_forever()) if observability.MULTIPROCESS else None
            shutdown.install()
            try:
                yield
            finally:
                shutdown.uninstall()
                await close_websockets(timeout=2.0)
                if gauges is not None:
                    gauges.cancel()
                    with suppress(asyncio.CancelledError):
                        await gauges
                observability.process_exited()
                await bus.stop()

    # GraphiQL's files, served by the app itself unless GRAPHIQL_ASSETS=cdn (api/graphiql.py).
    graphiql_assets = graphiql.configure(settings.graphiql_assets)
    routes = [
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/metrics", observability.metrics),
        Route("/graphql", graphql, methods=["GET", "POST"]),
        WebSocketRoute("/graphql", graphql),
        Route(graphiql.ASSETS_PATH + "{file:path}", graphiql_assets.serve, methods=["GET", "HEAD"]),
    ]
    if FRONTEND.is_dir():
        routes.append(Mount("/", StaticFiles(directory=FRONTEND, html=True), name="frontend"))
    app = App(
        routes=routes,
        middleware=[
            Middleware(RequestIdMiddleware),
            Middleware(observability.ObservabilityMiddleware),
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
    app.graphql_websocket = observability.ObservedWebSocket(graphql.serve_websocket)
    return app
