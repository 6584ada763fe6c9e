"""Which operation a GraphQL request runs, read from its document (parsed once per text)."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

import orjson
from graphql import GraphQLError, OperationDefinitionNode, parse


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


@lru_cache(maxsize=1024)
def chosen_operation(document: str | None, operation_name: str | None) -> OperationDefinitionNode | None:
    """The operation a request runs: the one named, or the only one; None when the document
    does not parse or names no single operation (the executor then says why)."""
    if not document:
        return None
    try:
        parsed = parse(document, max_tokens=20_000)
    except GraphQLError:
        return None
    operations = [d for d in parsed.definitions if isinstance(d, OperationDefinitionNode)]
    chosen = [o for o in operations if operation_name is None or (o.name and o.name.value == operation_name)]
    return chosen[0] if len(chosen) == 1 else None
