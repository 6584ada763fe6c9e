"""GraphQL documents as the service reads them, once per text: parsed (at most MAX_TOKENS
tokens: graphql-core's parser stops there), held to the limits (schema/limits.py) in one pass,
then validated by graphql-core, and kept for the next request with the same text.

Only documents that passed everything are kept, least recently used first out, within a
budget of bytes (a document's size is estimated from its text and its tokens: see
BYTES_PER_TOKEN). A refused document is parsed, answered and forgotten: nothing of it stays.
What the executor compiles for a document (schema/execution.py) hangs on the document and
goes with it.
"""

from __future__ import annotations

import sys
from collections import OrderedDict
from dataclasses import dataclass

from graphql import DocumentNode, GraphQLError, GraphQLSchema, OperationDefinitionNode, get_operation_ast, parse, specified_rules
from strawberry.schema.schema import validate_document

from schema.limits import DocumentLimits, Limits

# What a kept document costs per token: its syntax tree with locations (~550 bytes a token)
# and what the executor compiles for it (up to ~900 bytes a token in all: measured by
# tests/unit/test_documents.py and tests/http/test_limits.py).
BYTES_PER_TOKEN = 1200
RULES = tuple(specified_rules)


@dataclass(frozen=True, eq=False)
class Prepared:
    """A document's text, its syntax tree (None when it does not parse), and why it is
    refused: a syntax error, the limits it breaks, or graphql-core's validation errors."""

    text: str
    document: DocumentNode | None
    errors: tuple[GraphQLError, ...] = ()

    @property
    def valid(self) -> bool:
        return self.document is not None and not self.errors

    def operation(self, name: str | None) -> OperationDefinitionNode | None:
        """The operation a request runs: the one named, or the only one."""
        return get_operation_ast(self.document, name) if self.document is not None else None


def _mark_token_limit(error: GraphQLError) -> GraphQLError:
    if error.message.startswith("Syntax Error: Document contains more than"):
        error.extensions = {**(error.extensions or {}), "code": "TOO_MANY_TOKENS"}
    return error


def size_of(prepared: Prepared) -> int:
    """The bytes a kept document holds, estimated."""
    # The text, and as much again for what hangs on its nodes: the fields each selects
    # (schema/selection.py), and a quote's selection printed for the response cache
    # (schema/dependencies.py).
    return 3 * sys.getsizeof(prepared.text) + BYTES_PER_TOKEN * getattr(prepared.document, "token_count", 0) + 200


class Documents:
    """The documents of one schema, prepared once per text."""

    def __init__(self, schema: GraphQLSchema, limits: Limits, budget_bytes: int) -> None:
        self.schema = schema
        self.limits = limits
        self.measure = DocumentLimits(schema, limits)
        self.budget_bytes = budget_bytes
        self.bytes = 0
        self._kept: OrderedDict[str, tuple[Prepared, int]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._kept)

    def prepare(self, text: str) -> Prepared:
        found = self._kept.get(text)
        if found is not None:
            self._kept.move_to_end(text)
            return found[0]
        try:
            document = parse(text, max_tokens=self.limits.max_tokens)
        except GraphQLError as error:
            return Prepared(text, None, (_mark_token_limit(error),))
        refused = self.measure.refusals(document)
        if refused:
            return Prepared(text, document, tuple(refused))
        prepared = Prepared(text, document, tuple(validate_document(self.schema, document, RULES)))
        if prepared.valid:
            self._keep(prepared)
        return prepared

    def clear(self) -> None:
        self._kept.clear()
        self.bytes = 0

    def _keep(self, prepared: Prepared) -> None:
        size = size_of(prepared)
        if size > self.budget_bytes // 4:  # one document never takes most of the budget
            return
        self._kept[prepared.text] = (prepared, size)
        self.bytes += size
        while self.bytes > self.budget_bytes:
            _, (_, gone) = self._kept.popitem(last=False)
            self.bytes -= gone
