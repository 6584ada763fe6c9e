"""Which operation a GraphQL request runs, read from its document (parsed once per text)."""

from __future__ import annotations

from functools import lru_cache

from graphql import GraphQLError, OperationDefinitionNode, parse


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
