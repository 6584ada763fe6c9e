"""The /graphql endpoint: authentication, language, per-request context, over Strawberry's ASGI view."""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError

from api.auth import authenticate
from api.messages import negotiate
from schema.context import Context

UNAUTHENTICATED = {
    "data": None,
    "errors": [
        {
            "message": "Authentication required: send a valid token in the header `Authorization: Bearer <token>`.",
            "extensions": {"code": "UNAUTHENTICATED"},
        }
    ],
}


def _wants_graphiql(request: Request) -> bool:
    return (
        request.method == "GET"
        and "text/html" in request.headers.get("accept", "")
        and "query" not in request.query_params
    )


class GraphQLView(GraphQL):
    """Strawberry's view, with our context; the viewer was authenticated before it runs."""

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
        context.language = negotiate(language)
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            request = Request(scope, receive)
            if not _wants_graphiql(request):
                viewer = await authenticate(request.headers.get("authorization"))
                if viewer is None:
                    response = JSONResponse(UNAUTHENTICATED, status_code=401, headers={"WWW-Authenticate": "Bearer"})
                    await response(scope, receive, send)
                    return
                scope.setdefault("state", {})["viewer"] = viewer
        await super().__call__(scope, receive, send)

    def encode_json(self, data: object) -> str:
        return json.dumps(data, ensure_ascii=False)
