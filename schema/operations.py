"""The document and operation name a GraphQL HTTP request sends (its operation is then read from
the schema's prepared documents: schema/documents.py)."""

from __future__ import annotations

from collections.abc import Mapping

import orjson


def requested(method: str, query_params: Mapping[str, str], body: bytes) -> tuple[str, str | None] | None:
    """The document and operation name of a GraphQL HTTP request (GET parameters, or the
    POST body's JSON object), or None when they are missing or not strings."""
    if method == "GET":
        document, operation_name = query_params.get("query"), query_params.get("operationName")
    else:
        try:
            payload = orjson.loads(body)
        except orjson.JSONDecodeError:
            return None
        if not isinstance(payload, dict):
            return None
        document, operation_name = payload.get("query"), payload.get("operationName")
    if not isinstance(document, str) or not (operation_name is None or isinstance(operation_name, str)):
        return None
    return document, operation_name
