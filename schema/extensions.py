"""Protection of the GraphQL endpoint: operation limits and the masking of unexpected errors."""

from __future__ import annotations

import logging
from collections import OrderedDict
from dataclasses import dataclass

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    ValidationContext,
    ValidationRule,
)
from strawberry.extensions import AddValidationRules, MaskErrors, ParserCache, SchemaExtension
from strawberry.extensions.max_aliases import count_fields_with_alias
from strawberry.schema.schema import validate_document

log = logging.getLogger("schema.errors")


@dataclass(frozen=True)
class Limits:
    """What an operation may ask, checked before it runs (introspection exempt)."""

    max_query_depth: int = 10  # the root field counting as level 1
    max_aliases: int = 30  # a fragment's counted at each place it is spread
    max_tokens: int = 5000


def operation_depth(node, fragments: dict[str, FragmentDefinitionNode], seen: frozenset[str] = frozenset()) -> int:
    """Levels of fields below `node`, the root field counting as level 1; introspection
    fields (`__schema`, `__type`) do not count."""
    deepest = 0
    for selection in getattr(node.selection_set, "selections", ()) if node.selection_set else ():
        if isinstance(selection, FieldNode):
            if selection.name.value.startswith("__"):
                continue
            deepest = max(deepest, 1 + operation_depth(selection, fragments, seen))
        elif isinstance(selection, InlineFragmentNode):
            deepest = max(deepest, operation_depth(selection, fragments, seen))
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            if name in fragments and name not in seen:
                deepest = max(deepest, operation_depth(fragments[name], fragments, seen | {name}))
    return deepest


def depth_limit_rule(max_depth: int) -> type[ValidationRule]:
    class DepthLimit(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            fragments = {
                d.name.value: d for d in context.document.definitions if isinstance(d, FragmentDefinitionNode)
            }
            for definition in context.document.definitions:
                if isinstance(definition, OperationDefinitionNode):
                    depth = operation_depth(definition, fragments)
                    if depth > max_depth:
                        name = definition.name.value if definition.name else "anonymous"
                        context.report_error(
                            GraphQLError(
                                f"Operation '{name}' is {depth} levels deep; at most {max_depth} are allowed.",
                                definition,
                                extensions={"code": "QUERY_TOO_DEEP"},
                            )
                        )

    return DepthLimit


def alias_limit_rule(max_aliases: int) -> type[ValidationRule]:
    class AliasLimit(ValidationRule):
        """Aliases of the document, a fragment's counted at each place it is spread."""

        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            fragments = {
                d.name.value: d for d in context.document.definitions if isinstance(d, FragmentDefinitionNode)
            }
            count = sum(
                count_fields_with_alias(d, fragments)
                for d in context.document.definitions
                if isinstance(d, OperationDefinitionNode)
            )
            if count > max_aliases:
                context.report_error(
                    GraphQLError(
                        f"The document has {count} aliases; at most {max_aliases} are allowed.",
                        extensions={"code": "TOO_MANY_ALIASES"},
                    )
                )

    return AliasLimit


# The codes of the limits: a request over one is refused with 400, whatever the answer's type.
LIMIT_CODES = frozenset({"QUERY_TOO_DEEP", "TOO_MANY_ALIASES", "TOO_MANY_TOKENS"})


class LimitedParserCache(ParserCache):
    """Parses once per document text (bounded LRU), at most `max_tokens` tokens: past them
    graphql-core stops with a syntax error, which gets the limit's code."""

    def __init__(self, max_tokens: int, maxsize: int) -> None:
        super().__init__(maxsize=maxsize)
        self.max_tokens = max_tokens

    def on_parse(self):
        self.execution_context.parse_options["max_tokens"] = self.max_tokens
        try:
            yield from super().on_parse()
        except GraphQLError as error:
            _mark_token_limit([error])
            raise


class DocumentValidationCache(SchemaExtension):
    """Validates each parsed document once (bounded LRU).

    Strawberry's ValidationCache keys an lru_cache on the document itself, whose hash and
    equality walk the whole syntax tree on every request. The parser cache above hands out
    one document object per text, so its identity is the key here (the entry keeps the
    document alive, so that its id cannot be reused)."""

    def __init__(self, validated: OrderedDict, maxsize: int) -> None:
        super().__init__()
        self._validated = validated  # the schema's, shared by its operations
        self.maxsize = maxsize

    def on_validate(self):
        context = self.execution_context
        document = context.graphql_document
        key = (id(context.schema._schema), id(document), tuple(context.validation_rules))
        found = self._validated.get(key)
        if found is None:
            found = (document, validate_document(context.schema._schema, document, context.validation_rules))
            self._validated[key] = found
            if len(self._validated) > self.maxsize:
                self._validated.popitem(last=False)
        else:
            self._validated.move_to_end(key)
        context.pre_execution_errors = found[1]
        yield


def _mark_token_limit(errors: list[GraphQLError]) -> None:
    for error in errors:
        if error.message.startswith("Syntax Error: Document contains more than"):
            error.extensions = {**(error.extensions or {}), "code": "TOO_MANY_TOKENS"}


def is_unexpected(error: GraphQLError) -> bool:
    """A bug, not the caller's fault: an exception that is not a GraphQLError of ours."""
    original = error.original_error
    return original is not None and not isinstance(original, GraphQLError)


class MaskUnexpectedErrors(MaskErrors):
    """Replaces an unexpected exception by "Unexpected error." with the request id, and logs it."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=is_unexpected, error_message="Unexpected error.")

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        request_id = getattr(self.execution_context.context, "request_id", "-")
        log.error(
            "unexpected error in %s (request %s)",
            ".".join(str(p) for p in error.path or ()),
            request_id,
            exc_info=error.original_error,
        )
        masked = super().anonymise_error(error)
        masked.extensions = {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id}
        return masked


def extensions(limits: Limits, validated: OrderedDict) -> list:
    """Extensions as factories (a fresh instance per operation).

    Parsing and validation are cached (bounded LRU) by document, validation in `validated`
    (the schema's): the limits are validation rules, built once here so that the cache key
    (document, rules) repeats.
    """
    rules = [depth_limit_rule(limits.max_query_depth), alias_limit_rule(limits.max_aliases)]
    return [
        lambda: LimitedParserCache(max_tokens=limits.max_tokens, maxsize=512),
        lambda: AddValidationRules(rules),
        lambda: DocumentValidationCache(validated, maxsize=512),
        MaskUnexpectedErrors,
    ]
