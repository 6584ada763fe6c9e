"""An input object of plain values built straight from its input value (schema/inputs.py)
is what Strawberry's own conversion makes of the same value: every field given, only the
required ones, the nullable ones null."""

from __future__ import annotations

import enum

import pytest
import strawberry
from strawberry.types.arguments import convert_argument
from strawberry.types.base import StrawberryList, StrawberryOptional

from schema import build_schema
from schema.inputs import build_plain_inputs

SCHEMA = build_schema()
CONVERTER = SCHEMA.schema_converter
INPUTS = {t.definition.name: t.definition for t in CONVERTER.type_map.values() if getattr(t.definition, "is_input", False)}
BUILT = sorted(name for name, definition in INPUTS.items() if definition.from_input is not None)


def test_the_inputs_of_plain_values_are_built_directly():
    assert "SetAssignmentFunctionInput" in BUILT and "AssignContactInput" in BUILT
    assert INPUTS["SetContactDefaultsInput"].from_input is None  # a list of input objects: Strawberry's


def _sample(type_, name: str):
    if isinstance(type_, StrawberryOptional):
        type_ = type_.of_type
    if isinstance(type_, StrawberryList):
        return [_sample(type_.of_type, name), _sample(type_.of_type, name)]
    if isinstance(type_, type) and issubclass(type_, enum.Enum):
        return list(type_)[-1]
    if type_ is bool:
        return True
    if type_ is int:
        return 7
    return f"{name}-value"


def _values(definition):
    """Input values as graphql-core gives them: every field; the required ones only; the
    nullable ones null."""
    names = {field.python_name: SCHEMA.config.name_converter.from_field(field) for field in definition.fields}
    types = {field.python_name: field.resolve_type(type_definition=definition) for field in definition.fields}
    every = {names[p]: _sample(t, p) for p, t in types.items()}
    required = {names[p]: every[names[p]] for p, t in types.items() if not isinstance(t, StrawberryOptional)}
    nulls = {**every, **{names[p]: None for p, t in types.items() if isinstance(t, StrawberryOptional)}}
    return [every, required, nulls]


def _strawberrys_own(definition, value):
    built, definition.from_input = definition.from_input, None
    try:
        return convert_argument(value, definition.origin, CONVERTER.scalar_registry, SCHEMA.config)
    finally:
        definition.from_input = built


@pytest.mark.parametrize("name", BUILT)
def test_built_as_strawberry_converts_it(name):
    definition = INPUTS[name]
    for value in _values(definition):
        built = convert_argument(value, definition.origin, CONVERTER.scalar_registry, SCHEMA.config)
        converted = _strawberrys_own(definition, value)
        assert type(built) is definition.origin
        assert vars(built) == vars(converted), value
        for field in definition.fields:  # a list is the input's own copy, as Strawberry makes it
            given = value.get(SCHEMA.config.name_converter.from_field(field))
            if isinstance(given, list):
                assert getattr(built, field.python_name) is not given


@strawberry.enum
class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


@strawberry.input
class Sample:
    needed: str
    nullable: str | None
    defaulted: int = 3
    unset: str | None = strawberry.UNSET
    colours: list[Colour] | None = strawberry.field(default_factory=list)


def test_omitted_fields_as_strawberry_leaves_them():
    definition = Sample.__strawberry_definition__
    assert build_plain_inputs([definition], SCHEMA.config, CONVERTER.scalar_registry) == ["Sample"]
    for value in ({"needed": "a"}, {"needed": "a", "nullable": None, "colours": None},
                  {"needed": "a", "nullable": "b", "defaulted": 4, "unset": None, "colours": [Colour.BLUE]}):
        built = convert_argument(value, Sample, CONVERTER.scalar_registry, SCHEMA.config)
        assert vars(built) == vars(_strawberrys_own(definition, value)), value
    assert vars(convert_argument({"needed": "a"}, Sample, CONVERTER.scalar_registry, SCHEMA.config)) == {
        "needed": "a", "nullable": None, "defaulted": 3, "unset": strawberry.UNSET, "colours": []}
