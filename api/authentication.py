"""Who is calling: the viewer of an `Authorization: Bearer <token>` header, sent with each
HTTP request or in a WebSocket's connection_init payload."""

from __future__ import annotations

from contacts.auth import MAX_TOKEN_LENGTH, Viewer, hash_token, viewer_of_token

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


def token_hash(authorization: str | None) -> str | None:
    """The SHA-256 of the bearer token of an Authorization header (what a WebSocket keeps, to
    check its rights again), or None."""
    token = bearer_token(authorization)
    return hash_token(token) if token and len(token) <= MAX_TOKEN_LENGTH else None
