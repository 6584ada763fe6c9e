"""GraphQL over HTTP (https://graphql.github.io/graphql-over-http/draft/): the media type of
an answer, its status, and how a request refused before any operation ran is told (a 4xx
with a GraphQL error body). Pure functions and constants, used by the view."""

from __future__ import annotations

import json
import re

from cross_web import HTTPException, parse_content_type
from starlette.responses import Response

BATCH_REFUSED = "Batched requests (a JSON array of operations) are not supported: send one operation per request."
NOT_AN_OBJECT = 'Expected a JSON object here, such as {"query": "{ viewer { name } }", "variables": {}}.'
REASONS = {"Batching is not enabled": BATCH_REFUSED}
MUTATION_BY_GET = "Mutations are sent by POST: GET runs queries only."
LONE_SURROGATE = (
    "The request holds text that is not valid Unicode: a lone UTF-16 surrogate (such as \\ud800, half of a "
    "character outside the basic plane). Send each character whole."
)
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
    503: "SERVICE_UNAVAILABLE",
}
UNAVAILABLE = "The service is unavailable for a moment: try again."
RETRY_AFTER = {"Retry-After": "1"}  # seconds: a database connection lost is replaced at once


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


_ESCAPED_SURROGATE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_ESCAPED_SURROGATE_BYTES = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def holds_lone_surrogate(raw: str | bytes, value: object) -> bool:
    """Whether JSON `value`, decoded from `raw`, holds a lone UTF-16 surrogate anywhere (keys
    included): text that no UTF-8 can carry, which would fail wherever it is stored, compared
    or sent back. JSON brings one only as an escape (`\\ud800`): most texts are cleared by a
    look at `raw`; a surrogate pair makes one character and is fine."""
    pattern = _ESCAPED_SURROGATE_BYTES if isinstance(raw, (bytes, bytearray)) else _ESCAPED_SURROGATE
    return bool(pattern.search(raw)) and lone_surrogate_in(value)


def lone_surrogate_in(value: object) -> bool:
    """Whether JSON `value` holds a lone UTF-16 surrogate anywhere, keys included."""
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def refused_before_reading(request, media_type: str | None) -> Response | None:
    """A request whose answer no client could read (406: its Accept takes neither JSON type) or
    whose body is not JSON (415), refused before anything is read or cached."""
    if media_type is None:
        return request_error(406, "Not acceptable: accept application/graphql-response+json or application/json.")
    if request.method == "POST":
        problem = content_type_problem(request.headers.get("content-type"))
        if problem is not None:
            return request_error(415, problem, media_type)
    return None


def is_unavailable(response_data: object) -> bool:
    """Nothing came back because the database could not be reached (a 503: try again)."""
    if not isinstance(response_data, dict) or response_data.get("data") is not None:
        return False
    return any((error.get("extensions") or {}).get("code") == "SERVICE_UNAVAILABLE" for error in response_data.get("errors") or ())


def is_request_error(response_data: object) -> bool:
    """No data and only errors without a path: the document did not parse or validate (depth,
    aliases, tokens, unknown fields, variables of the wrong type), so nothing ran."""
    if not isinstance(response_data, dict) or response_data.get("data") is not None:
        return False
    errors = response_data.get("errors") or []
    return bool(errors) and all(not error.get("path") for error in errors)


def wants_graphiql(request) -> bool:
    """A browser opening /graphql: GET, HTML accepted, no operation in the query string."""
    return (
        request.method == "GET"
        and "text/html" in request.headers.get("accept", "")
        and request.query_params.get("query") is None
    )


def media_type_of(request) -> str:
    return getattr(getattr(request, "state", None), "media_type", None) or APPLICATION_JSON


def replay(body: bytes, receive):
    """`receive` for a request whose body was read already: that body first, once, then what
    `receive` says (a disconnection)."""
    return replay_message({"type": "http.request", "body": body, "more_body": False}, receive)


def replay_message(message, receive):
    """`receive` once `message` was received: `message` first, once, then what `receive` says."""
    replayed = False

    async def again():
        nonlocal replayed
        if not replayed:
            replayed = True
            return message
        return await receive()

    return again
