"""A request id per HTTP request or WebSocket, for logs and masked errors."""

from __future__ import annotations

import contextvars
import os

from starlette.types import ASGIApp, Message, Receive, Scope, Send

_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")


def current_request_id() -> str:
    return _request_id.get()


def request_id_of(scope: Scope) -> str:
    """The caller's X-Request-ID when it is safe to log, else a new one: 32 random hex digits
    (as a uuid4's hex, without making the UUID object)."""
    given = next((value for name, value in scope.get("headers") or () if name == b"x-request-id"), b"").decode("latin-1")
    return given if 0 < len(given) <= 64 and given.replace("-", "").isalnum() else os.urandom(16).hex()


def set_request_id(request_id: str) -> contextvars.Token:
    return _request_id.set(request_id)


def reset_request_id(token: contextvars.Token) -> None:
    _request_id.reset(token)


class RequestIdMiddleware:
    """Takes a safe X-Request-ID from the caller or makes one; echoes it in the response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        request_id = request_id_of(scope)
        token = _request_id.set(request_id)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            _request_id.reset(token)
