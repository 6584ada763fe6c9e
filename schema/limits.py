"""The limits of a GraphQL document, measured in one pass before graphql-core validates it.

Three measures, each fragment measured once (memoised) and counted at every place it is
spread, so that the pass takes time linear in the document's size however its fragments nest
(20 fragments each spreading the next twice are 20 measures, not a million):

- depth: levels of fields, the root field counting as level 1; introspection fields (`__schema`,
  `__type`) are exempt, as the contract says;
- aliases: fields given an alias;
- cost: the work the document asks, in fields. Every field selected counts 1, times the size
  of the lists it sits in: `first` of a connection (its default when not given, the largest
  page for a variable without a default), and an estimate for other lists. Introspection
  counts like any field, its lists sized from the schema itself (its types, their fields...):
  it is not a free pass. Fields with the same response name in one selection set are compared
  pairwise by graphql-core's validation (OverlappingFieldsCanBeMerged), each comparison going
  through both fields' selections: m such fields of n fields' selections in all count
  PAIR_COST x (m(m-1)/2 + (m-1)n).

A document over a limit is refused before graphql-core's validation runs, whose rules cost
more than the execution for some documents (duplicate fields), with every limit it breaks. Once
the cost is over its limit the pass stops counting it (and comparing names), and only goes on
for the depth and the aliases: a refused document costs no more than an accepted one.

One idea, the measure of a document, in one file (a little over 300 lines).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from dataclasses import field as dataclass_field

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLEnumType,
    GraphQLWrappingType,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SchemaMetaFieldDef,
    SelectionSetNode,
    TypeMetaFieldDef,
    VariableNode,
)

from contacts.suggestions import MAX_SUGGESTIONS
from schema.pagination import MAX_PAGE


@dataclass(frozen=True)
class Limits:
    """What a document may ask, checked before it is validated or run."""

    max_query_depth: int = 10  # the root field counting as level 1 (introspection exempt)
    max_aliases: int = 30  # a fragment's counted at each place it is spread
    max_tokens: int = 5000  # GraphQL tokens, comments included (graphql-core's parser stops past them)
    max_cost: int = 50_000  # fields, times the lists they sit in (see the module's docstring)


# The codes of the limits: a request over one is refused with 400, whatever the answer's type.
LIMIT_CODES = frozenset({"QUERY_TOO_DEEP", "TOO_MANY_ALIASES", "TOO_MANY_TOKENS", "QUERY_TOO_COSTLY"})

# Lists of the schema that are not pages of a connection: how many items they hold, at most
# or typically. Any other list counts DEFAULT_LIST_SIZE.
LIST_SIZES = {
    ("Query", "contactFunctions"): 3,
    ("Quote", "contactRequirements"): 3,
    ("Quote", "assignments"): 10,  # MAX_CONTACTS_PER_QUOTE
    ("EligibleContact", "reasons"): 5,  # every reason there is (rules.add_problems)
    # A client's or a partner's contacts, unpaged: a typical count (not a bound).
    ("EligibleContacts", "client"): 20,
    ("EligibleContacts", "partner"): 20,
}
DEFAULT_LIST_SIZE = 10
# `first` arguments refused above another bound than a page's (MAX_PAGE).
FIRST_BOUNDS = {("Quote", "contactSuggestions"): MAX_SUGGESTIONS}
# What graphql-core's validation spends comparing two fields of the same response name, for
# each comparison and each field of their selections, in fields resolved (measured: see
# tests/http/test_limits.py).
PAIR_COST = 2


@dataclass
class _Part:
    """A measured selection set."""

    depth: int = 0
    aliases: int = 0
    cost: int = 0
    nodes: int = 0  # fields, fragments' included, not multiplied by lists
    # Response names at its level, fragments' included: how many fields have it, and the
    # fields of their selections.
    names: dict[str, list[int]] = dataclass_field(default_factory=dict)


_EMPTY = _Part()


class DocumentLimits:
    """The limits of one schema's documents: `refusals(document)` says which it breaks."""

    def __init__(self, schema: GraphQLSchema, limits: Limits) -> None:
        self.schema = schema
        self.limits = limits
        self.list_sizes = {**introspection_list_sizes(schema), **LIST_SIZES}

    def refusals(self, document: DocumentNode) -> list[GraphQLError]:
        """The limits `document` breaks, each as a GraphQLError with its code; empty when it
        may go on to be validated."""
        return _Pass(self, document).refusals()


class _Pass:
    def __init__(self, owner: DocumentLimits, document: DocumentNode) -> None:
        self.schema = owner.schema
        self.limits = owner.limits
        self.list_sizes = owner.list_sizes
        self.document = document
        self.fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
        self.measured: dict[str, _Part | None] = {}  # None while a fragment is being measured
        self.pairs = 0
        self.cap = owner.limits.max_cost + 1  # counts stop there (they are over the limit)
        self.over = False
        # Int variables' defaults (the largest when operations differ), for `first: $n`.
        self.defaults: dict[str, int] = {}
        for definition in document.definitions:
            if isinstance(definition, OperationDefinitionNode):
                for variable in definition.variable_definitions or ():
                    if isinstance(variable.default_value, IntValueNode):
                        name = variable.variable.name.value
                        value = int(variable.default_value.value)
                        self.defaults[name] = max(value, self.defaults.get(name, value))

    def refusals(self) -> list[GraphQLError]:
        limits = self.limits
        refused: list[GraphQLError] = []
        total_aliases = 0
        total_cost = 0
        try:
            for definition in self.document.definitions:
                if not isinstance(definition, OperationDefinitionNode):
                    continue
                root = self.schema.get_root_type(definition.operation)
                part = self.selection_set(definition.selection_set, root)
                total_aliases = self.count(total_aliases + part.aliases)
                total_cost = self.check(total_cost + part.cost)
                if part.depth > limits.max_query_depth:
                    name = definition.name.value if definition.name else "anonymous"
                    refused.append(GraphQLError(
                        f"Operation '{name}' is {part.depth} levels deep; at most {limits.max_query_depth} are allowed.",
                        definition, extensions={"code": "QUERY_TOO_DEEP"},
                    ))
            for name in self.fragments:  # fragments that no operation spreads are validated too
                if name not in self.measured:
                    total_cost = self.check(total_cost + self.fragment(name).cost)
            self.check(total_cost + self.pairs * PAIR_COST)
        except RecursionError:
            return [GraphQLError("The document is nested too deeply.", extensions={"code": "QUERY_TOO_DEEP"})]
        if self.over:
            refused.append(GraphQLError(
                f"The document asks too much: its cost is over {limits.max_cost} (each field counts once for every "
                "item of the lists it is in: `first` of a connection, an estimate for other lists; introspection too). "
                "Ask for fewer fields, smaller pages or fewer aliases.",
                extensions={"code": "QUERY_TOO_COSTLY"},
            ))
        if total_aliases > limits.max_aliases:
            refused.append(GraphQLError(
                f"The document has {total_aliases} aliases; at most {limits.max_aliases} are allowed.",
                extensions={"code": "TOO_MANY_ALIASES"},
            ))
        return refused

    def check(self, cost: int) -> int:
        """`cost`, at most the cap; past the limit, the document is over it."""
        if cost > self.limits.max_cost or self.pairs * PAIR_COST > self.limits.max_cost:
            self.over = True
        return min(cost, self.cap)

    def count(self, value: int) -> int:
        """A count that only has to be known up to the cap (aliases, fields)."""
        return min(value, self.cap)

    def fragment(self, name: str) -> _Part:
        if name in self.measured:
            return self.measured[name] or _EMPTY  # None: a cycle, which validation refuses
        fragment = self.fragments.get(name)
        if fragment is None:
            return _EMPTY  # an unknown fragment, which validation refuses
        self.measured[name] = None
        part = self.selection_set(fragment.selection_set, self.schema.get_type(fragment.type_condition.name.value))
        self.measured[name] = part
        return part

    def selection_set(self, node: SelectionSetNode, parent) -> _Part:
        depth = aliases = cost = nodes = 0
        names: dict[str, list[int]] = {}
        for selection in node.selections:
            if isinstance(selection, FieldNode):
                name = selection.name.value
                if selection.alias:
                    aliases += 1
                field_cost, sub_depth, sub_nodes = 1, 0, 0
                if selection.selection_set is not None:
                    definition, named, is_list = self.field(parent, name)
                    sub = self.selection_set(selection.selection_set, named)
                    aliases = self.count(aliases + sub.aliases)
                    sub_depth, sub_nodes = sub.depth, sub.nodes
                    field_cost += self.list_size(parent, name, definition, selection, is_list) * sub.cost
                if not name.startswith("__"):
                    depth = max(depth, 1 + sub_depth)
                cost += field_cost
                nodes = self.count(nodes + 1 + sub_nodes)
                if not self.over:
                    same = names.setdefault(selection.alias.value if selection.alias else name, [0, 0])
                    same[0] += 1
                    same[1] += sub_nodes
            else:
                if isinstance(selection, InlineFragmentNode):
                    condition = selection.type_condition
                    sub = self.selection_set(
                        selection.selection_set, self.schema.get_type(condition.name.value) if condition else parent
                    )
                elif isinstance(selection, FragmentSpreadNode):
                    sub = self.fragment(selection.name.value)
                else:
                    continue
                depth = max(depth, sub.depth)
                aliases = self.count(aliases + sub.aliases)
                cost += sub.cost
                nodes = self.count(nodes + sub.nodes)
                if not self.over:  # past the limit, names are not compared any more
                    for name, (count, sub_nodes) in sub.names.items():
                        same = names.setdefault(name, [0, 0])
                        same[0] += count
                        same[1] += sub_nodes
            cost = self.check(cost)
        if not self.over:
            self.pairs = self.count(self.pairs + sum(m * (m - 1) // 2 + (m - 1) * n for m, n in names.values() if m > 1))
        return _Part(depth, aliases, self.check(cost), nodes, {} if self.over else names)

    def field(self, parent, name: str):
        """The field's definition, its named type, and whether it is a list (None, None, False
        for a field the schema does not have: validation refuses it)."""
        if name == "__schema":
            field = SchemaMetaFieldDef
        elif name == "__type":
            field = TypeMetaFieldDef
        elif isinstance(parent, (GraphQLObjectType, GraphQLInterfaceType)):
            field = parent.fields.get(name)
        else:
            field = None
        if field is None:
            return None, None, False
        of_type, is_list = field.type, False
        while isinstance(of_type, GraphQLWrappingType):
            is_list = is_list or isinstance(of_type, GraphQLList)
            of_type = of_type.of_type
        return field, of_type, is_list

    def list_size(self, parent, name: str, field, node: FieldNode, is_list: bool) -> int:
        """How many times the field's selection is resolved for one of its parent (at least 1)."""
        if field is None:
            return 1
        if "first" in field.args:
            bound = FIRST_BOUNDS.get((parent.name, name), MAX_PAGE)
            return max(1, self.first(node, field.args["first"].default_value, bound))
        if not is_list or parent.name.endswith("Connection"):  # a page's edges: `first` counted them
            return 1
        return self.list_sizes.get((parent.name, name), DEFAULT_LIST_SIZE)

    def first(self, node: FieldNode, default: object, bound: int) -> int:
        """`first` as given, or its variable's default, or the argument's; at most `bound` (a
        larger one is refused when the field runs)."""
        value = next((a.value for a in node.arguments or () if a.name.value == "first"), None)
        if isinstance(value, IntValueNode):
            return min(int(value.value), bound)
        if isinstance(value, VariableNode):
            return min(self.defaults.get(value.name.value, bound), bound)
        return min(default, bound) if isinstance(default, int) else bound


def introspection_list_sizes(schema: GraphQLSchema) -> dict[tuple[str, str], int]:
    """The lists of introspection, sized from the schema: all its types, the mean number of
    fields of a type, of arguments of a field..."""
    types = list(schema.type_map.values())
    objects = [t for t in types if isinstance(t, (GraphQLObjectType, GraphQLInterfaceType))]
    inputs = [t for t in types if isinstance(t, GraphQLInputObjectType)]
    enums = [t for t in types if isinstance(t, GraphQLEnumType)]
    fields = [f for t in objects for f in t.fields.values()]

    def mean(counts: list[int]) -> int:
        return max(1, math.ceil(sum(counts) / len(counts))) if counts else 1

    return {
        ("__Schema", "types"): len(types),
        ("__Schema", "directives"): len(schema.directives),
        ("__Type", "fields"): mean([len(t.fields) for t in objects]),
        ("__Type", "inputFields"): mean([len(t.fields) for t in inputs]),
        ("__Type", "enumValues"): mean([len(t.values) for t in enums]),
        ("__Type", "interfaces"): mean([len(t.interfaces) for t in objects]),
        ("__Type", "possibleTypes"): 1,
        ("__Field", "args"): mean([len(f.args) for f in fields]),
        ("__Directive", "args"): mean([len(d.args) for d in schema.directives]),
    }
