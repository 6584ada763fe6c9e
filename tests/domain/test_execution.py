"""Plain objects completed by compiled selections (schema/execution.py) answer exactly what
graphql-core's own field-by-field completion answers: data, errors and their paths."""

from __future__ import annotations

import enum
import json

import pytest
import strawberry
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from contacts.auth import viewer_named
from contacts.events import MemoryBus
from schema.ids import encode_id
from contacts.models import Quote
from bench import operations
from schema import build_schema
from schema.context import Context
from schema.execution import PlainExecutionContext
from tests.conftest import reset_demo

schema = build_schema()

REFERENCE = build_schema()
REFERENCE.execution_context_class = StrawberryGraphQLCoreExecutionContext  # graphql-core's completion


def _answer(result) -> str:
    """The answer as its JSON text: the keys' order counts, as it does for a client's bytes."""
    return json.dumps({"data": result.data, "errors": [e.formatted for e in result.errors or []]})


async def test_the_step2_screen_reads_the_same_as_with_graphql_cores_completion(backend):
    await reset_demo()
    assert schema.execution_context_class is PlainExecutionContext
    documents = [operations.quote_query(), operations.operation("VIEWER_QUERY"), operations.operation("QUOTES_QUERY")]
    compared = 0
    for username in ("demo-alice", "demo-bob", "demo-victor"):
        viewer = await viewer_named(username)
        for quote in await Quote.all():
            for language in ("fr", "en"):
                for document in documents:
                    variables = {"id": encode_id("Quote", quote.id)}
                    ours, theirs = [
                        await s.execute(document, variable_values=variables, context_value=Context(viewer=viewer, language=language, bus=MemoryBus()))
                        for s in (schema, REFERENCE)
                    ]
                    assert _answer(ours) == _answer(theirs)
                    compared += 1
    assert compared >= 3 * 2 * 3 * 2  # users x quotes x languages x documents, at the least


# --- Without a database: a plain type holding a value its field cannot take ---------------


@strawberry.type
class Line:
    label: str
    amount: int


@strawberry.enum
class Kind(enum.Enum):
    FIBRE = "fibre"
    SIP = "sip"


@strawberry.type
class Basket:
    lines: list[Line]
    note: str | None
    kind: Kind
    kinds: list[Kind | None] | None
    code: strawberry.ID
    flag: bool
    first: Line | None


# Values of another class than the field's (coerced by graphql-core, or refused), by variant.
ODD = {
    "int-as-string": {"note": 12},
    "bool-as-string": {"note": True},
    "int-as-id": {"code": 42},
    "big-int": {"lines": [Line(label="a", amount=2**40)]},
    "bool-as-int": {"lines": [Line(label="a", amount=True)]},
    "int-as-bool": {"flag": 1},
    "enum-value-as-enum": {"kind": "sip"},
    "unknown-enum": {"kind": "adsl"},
    "null-in-list": {"kinds": [Kind.SIP, None]},
    "tuple-as-list": {"kinds": (Kind.FIBRE,)},
    "null-object": {"first": None},
    "null-item-object": {"lines": [None]},
    "string-as-list": {"kinds": "FIBRE"},
}


@strawberry.type
class Query:
    @strawberry.field
    def basket(self, broken: bool = False, variant: str = "") -> Basket:
        lines = [Line(label="a", amount=1), Line(label=None if broken else "b", amount=2)]  # type: ignore[arg-type]
        values = {"lines": lines, "note": None, "kind": Kind.FIBRE, "kinds": [Kind.SIP], "code": "B1", "flag": False,
                  "first": lines[0]}
        return Basket(**{**values, **ODD.get(variant, {})})


PLAIN = strawberry.Schema(Query, execution_context_class=PlainExecutionContext)
GRAPHQL_CORE = strawberry.Schema(Query)


@pytest.mark.parametrize(
    ("document", "variables"),
    [
        ("{ basket { lines { label amount } note } }", None),
        ("{ basket(broken: true) { lines { label amount } note } }", None),  # null in a non-null field
        ("{ basket { ...B lines { amount __typename } } } fragment B on Basket { lines { label } n: note }", None),
        ("query ($x: Boolean!) { basket { lines { label @include(if: $x) amount } } }", {"x": True}),
        ("query ($x: Boolean!) { basket { lines { label @include(if: $x) amount } } }", {"x": False}),
        ("{ basket { kind kinds code flag first { __typename } } }", None),
        *[(f'{{ basket(variant: "{variant}") {{ lines {{ label amount }} note kind kinds code flag first {{ label }} }} }}', None)
          for variant in ODD],
    ],
)
async def test_errors_paths_and_directives_are_graphql_cores(document, variables):
    for _ in range(2):  # the second execution uses the selections compiled by the first
        ours = await PLAIN.execute(document, variable_values=variables)
        theirs = await GRAPHQL_CORE.execute(document, variable_values=variables)
        assert _answer(ours) == _answer(theirs)


async def test_a_document_is_validated_once_and_a_refused_one_every_time_but_never_kept():
    schema_with_limits = build_schema()
    documents = schema_with_limits.documents
    document = "{ viewer { name } } # validated once"
    before = len(documents)
    for _ in range(3):
        await schema_with_limits.execute(document, context_value=Context(viewer=None, language="fr", bus=MemoryBus()))
    assert len(documents) == before + 1
    too_many_aliases = "{ " + "".join(f"a{i}: __typename " for i in range(31)) + "}"
    for refused in (too_many_aliases, "{ viewer { shoeSize } }", "{ viewer {"):
        for _ in range(2):
            result = await schema_with_limits.execute(refused)
            assert result.errors and result.data is None
    assert "30" in (await schema_with_limits.execute(too_many_aliases)).errors[0].message
    assert len(documents) == before + 1  # nothing refused is kept


async def test_an_error_is_reported_as_graphql_core_reports_it():
    result = await PLAIN.execute("{ basket(broken: true) { lines { label } } }")
    assert result.data is None
    assert [(e.message, e.path) for e in result.errors] == [
        ("Cannot return null for non-nullable field Line.label.", ["basket", "lines", 1, "label"])
    ]

