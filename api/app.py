"""The ASGI application: routes, middleware and the lifespan that opens the database."""

from __future__ import annotations

import asyncio
import logging
from contextlib import asynccontextmanager
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from tortoise.contrib.starlette import RegisterTortoise

from api import events
from api.body_limit import BodyLimitMiddleware
from api.graphql_view import GraphQLView
from api.request_id import RequestIdMiddleware
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
            "websockets": GraphQLView.open_websockets,
            "subscriptions": GraphQLView.open_operations,
            "eventQueues": bus.subscriber_count(),
            "tasks": len(asyncio.all_tasks()),
            "broker": bus.status(),
        }
    )


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or default_settings
    from schema import build_schema

    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    graphql = GraphQLView(build_schema(settings), keep_alive=True, keep_alive_interval=settings.keep_alive_seconds)
    if settings.response_cache_entries > 0:
        graphql.response_cache = ResponseCache(max_entries=settings.response_cache_entries)

    @asynccontextmanager
    async def lifespan(app: Starlette):
        async with RegisterTortoise(app, config=tortoise_config(settings.database_url)):
            bus = events.make_bus(settings.broker_url)
            events.use_bus(bus)
            await bus.start()
            try:
                yield
            finally:
                await bus.stop()

    routes = [
        Route("/healthz", healthz),
        Route("/graphql", graphql, methods=["GET", "POST"]),
        WebSocketRoute("/graphql", graphql),
    ]
    if FRONTEND.is_dir():
        routes.append(Mount("/", StaticFiles(directory=FRONTEND, html=True), name="frontend"))
    return Starlette(
        routes=routes,
        middleware=[
            Middleware(RequestIdMiddleware),
            Middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes),
        ],
        lifespan=lifespan,
    )
