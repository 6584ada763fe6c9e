"""The limits of a document (schema/limits.py): depth, aliases and cost, measured in one pass
in which every selection set of the document is measured once, however its fragments nest."""

from __future__ import annotations

import pytest
from graphql import SelectionSetNode, Visitor, get_introspection_query, parse, visit

from api.graphiql import frontend_operations
from schema import build_schema
from schema.limits import LIMIT_CODES, PAIR_COST, DocumentLimits, Limits, _Pass
from tests.support.api import LOOKUP, QUOTE, STEP2
from tests.support.hostile import aliased_introspection, duplicate_fields, fragment_fan_out, many_tokens

SCHEMA = build_schema()._schema
LIMITS = DocumentLimits(SCHEMA, Limits())


def codes(document: str, limits: DocumentLimits = LIMITS) -> list[str]:
    return [error.extensions["code"] for error in limits.refusals(parse(document))]


def cost(document: str) -> int:
    """The document's cost, with no limit in the way."""
    unlimited = DocumentLimits(SCHEMA, Limits(max_cost=10**12, max_aliases=10**9, max_query_depth=10**9))
    assert unlimited.refusals(parse(document)) == []
    measure = _Pass(unlimited, parse(document))
    total = 0
    for definition in measure.document.definitions:
        if getattr(definition, "operation", None) is not None:
            total += measure.selection_set(definition.selection_set, SCHEMA.get_root_type(definition.operation)).cost
    return total + measure.pairs * PAIR_COST


class _SelectionSets(Visitor):
    count = 0

    def enter_selection_set(self, *args) -> None:
        self.count += 1


def selection_sets(document) -> int:
    counter = _SelectionSets()
    visit(document, counter)
    return counter.count


@pytest.mark.parametrize("levels", [5, 20, 200])
def test_each_selection_set_is_measured_once_however_fragments_fan_out(levels, monkeypatch):
    """Linear time: 20 fragments each spreading the next twice are 21 selection sets to
    measure, not a million (the depth and alias rules walked every spread again)."""
    document = parse(fragment_fan_out(levels))
    measured: list[SelectionSetNode] = []
    original = _Pass.selection_set

    def counting(self, node, parent):
        measured.append(node)
        return original(self, node, parent)

    monkeypatch.setattr(_Pass, "selection_set", counting)
    refused = LIMITS.refusals(document)
    assert len(measured) == selection_sets(document) == levels + 2
    assert [e.extensions["code"] for e in refused] == (["QUERY_TOO_COSTLY"] if 2**levels > Limits().max_cost else [])


def test_the_worst_documents_of_the_attack_are_refused_with_their_code():
    assert codes(fragment_fan_out(20)) == ["QUERY_TOO_COSTLY"]
    assert codes(duplicate_fields(600)) == ["QUERY_TOO_COSTLY"]
    assert codes(aliased_introspection(30)) == ["QUERY_TOO_COSTLY"]
    assert codes(many_tokens(4900)) == ["QUERY_TOO_COSTLY"]  # 4,900 times the same field
    assert set(LIMIT_CODES) == {"QUERY_TOO_DEEP", "TOO_MANY_ALIASES", "TOO_MANY_TOKENS", "QUERY_TOO_COSTLY"}


def test_what_the_screen_the_docs_and_integrators_send_is_within_the_limits():
    operations = frontend_operations()
    for name, text in operations.items():
        if text.lstrip().startswith(("query", "mutation", "subscription")):
            used = "\n".join(t for n, t in operations.items() if t.lstrip().startswith("fragment") and f"...{t.split()[1]}" in text)
            assert codes(text + used) == [], name
    assert codes(QUOTE) == []
    assert codes(LOOKUP) == []  # 100 enterprises of 100 contacts: the tests' own look-up
    assert codes(get_introspection_query(descriptions=True, input_value_deprecation=True)) == []  # GraphiQL's
    assert codes("query { quotes(first: 20) { edges { node { ...Step2 } } } }" + STEP2) == []


def test_the_cost_counts_lists_pages_and_introspection():
    assert cost("{ viewer { name } }") == 2
    # A connection's page: `first`, its default (20) when not given, the largest page (100)
    # for a variable without a default, its default otherwise.
    assert cost("{ quotes(first: 5) { edges { node { id } } } }") == 1 + 5 * 3
    assert cost("{ quotes { edges { node { id } } } }") == 1 + 20 * 3
    assert cost("query($n: Int) { quotes(first: $n) { edges { node { id } } } }") == 1 + 100 * 3
    assert cost("query($n: Int = 7) { quotes(first: $n) { edges { node { id } } } }") == 1 + 7 * 3
    # A `first` bounded lower than a page: at most its bound (contactSuggestions: 10).
    assert cost('query($n: Int) { quote(id: "x") { contactSuggestions(first: $n) { label } } }') == 1 + 1 + 10 * 1
    assert cost('{ quote(id: "x") { contactSuggestions(first: 50) { label } } }') == 1 + 1 + 10 * 1
    # Other lists: their size when known (10 assignments at most), else 10.
    assert cost('{ quote(id: "x") { assignments { id } } }') == 1 + 1 + 10 * 1
    # Pages multiply pages.
    nested = "{ enterprises(first: 10) { edges { node { contacts(first: 10) { edges { node { id } } } } } } }"
    assert cost(nested) == 1 + 10 * (1 + (1 + (1 + 10 * (1 + (1 + 1)))))
    # Introspection is sized from the schema: all its types, their fields...
    one = cost(get_introspection_query(descriptions=True))
    assert cost("{ __schema { types { name } } }") == 1 + 1 + len(SCHEMA.type_map)
    assert Limits().max_cost // 2 < one < Limits().max_cost
    assert cost(aliased_introspection(2)) == 2 * one
    # Fields of the same name are compared pairwise: the pairs, and their selections, count.
    assert cost(duplicate_fields(3)) == 3 * 2 + PAIR_COST * (3 + 2 * 3)


def test_depth_counts_the_root_field_as_one_and_exempts_introspection():
    deep = "{ quotes { edges { node { client { contacts(first: 1) { edges { node { enterprise { id } } } } } } } } }"
    assert codes(deep, DocumentLimits(SCHEMA, Limits(max_query_depth=9))) == []  # quotes ... id: 9 levels
    assert codes(deep, DocumentLimits(SCHEMA, Limits(max_query_depth=8))) == ["QUERY_TOO_DEEP"]
    by_fragment = "{ quotes { ...Q } } fragment Q on QuoteConnection { edges { node { client { ...E } } } } " \
                  "fragment E on EnterpriseType { contacts(first: 1) { edges { node { enterprise { id } } } } }"
    assert codes(by_fragment, DocumentLimits(SCHEMA, Limits(max_query_depth=8))) == ["QUERY_TOO_DEEP"]
    assert codes(get_introspection_query(descriptions=True), DocumentLimits(SCHEMA, Limits(max_query_depth=3))) == []


def test_aliases_count_at_every_spread_of_their_fragment():
    fragment = "fragment Ten on Query { " + " ".join(f"b{i}: __typename" for i in range(10)) + " }"
    assert codes("{ ...Ten ...Ten ...Ten } " + fragment) == []
    assert codes("{ ...Ten ...Ten ...Ten ...Ten } " + fragment) == ["TOO_MANY_ALIASES"]


def test_a_document_over_several_limits_is_told_all_of_them():
    deep_and_costly = "{ quotes { edges { node { client { contacts { edges { node { enterprise { contacts { edges { node { id } } } } } } } } } } } }"
    assert codes(deep_and_costly) == ["QUERY_TOO_DEEP", "QUERY_TOO_COSTLY"]
    assert codes(fragment_fan_out(30) + " query Other { ...F29 }") == ["QUERY_TOO_COSTLY"]


def test_invalid_documents_are_left_to_validation():
    """Unknown fields, fragments and types, and fragment cycles, are graphql-core's to refuse:
    the measure neither fails nor loops on them."""
    assert codes("{ nope { deeper } ...Missing }") == []
    assert codes("{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }") == []
    assert codes("{ ... on Nope { x } }") == []
