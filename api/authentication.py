"""Who is calling: the viewer of an `Authorization: Bearer <token>` header, sent with each
HTTP request or in a WebSocket's connection_init payload."""

from __future__ import annotations

from contacts.auth import Viewer, viewer_of_token

# The answer to a request without a valid token (HTTP 401).
UNAUTHENTICATED = {
    "data": None,
    "errors": [
        {
            "message": "Authentication required: send a valid token in the header `Authorization: Bearer <token>`.",
            "extensions": {"code": "UNAUTHENTICATED"},
        }
    ],
}


def bearer_token(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, or None."""
    scheme, _, token = (authorization or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


async def authenticate(authorization: str | None) -> Viewer | None:
    """The viewer of an Authorization header, or None when its token is missing or unknown."""
    return await viewer_of_token(bearer_token(authorization))
