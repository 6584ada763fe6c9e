"""Input objects of plain values built straight from the input value.

Strawberry turns a mutation's input object into its class field by field, asking of each
field's type what it is every time (a list? optional? an enum? a nested input?): about a
tenth of a setAssignmentFunction's own work. Most of our inputs hold only scalars and enums
(or lists of them), which graphql-core has already coerced into the values the class takes.
For those, `build_plain_inputs` gives the type definition a `from_input` (Strawberry's hook for
types that build their own value) that does what Strawberry's conversion does for them: a
field the client omitted and that has no default is None, a list is copied, every other value
is taken as it is; the field's GraphQL name read once, here. An input with anything else in it
(a nested input object, a global id to decode, a `Maybe`) keeps Strawberry's own conversion.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import MISSING
from typing import Any

from strawberry.relay.types import GlobalID
from strawberry.schema.config import StrawberryConfig
from strawberry.scalars import is_scalar
from strawberry.types.base import StrawberryList, StrawberryMaybe, StrawberryObjectDefinition, StrawberryOptional
from strawberry.types.enum import StrawberryEnumDefinition, has_enum_definition


def build_plain_inputs(definitions: Iterable[Any], config: StrawberryConfig, scalars: Mapping) -> list[str]:
    """Gives each input definition of plain values its `from_input`; their names."""
    built = []
    for definition in definitions:
        if not isinstance(definition, StrawberryObjectDefinition) or not definition.is_input:
            continue
        if definition.from_input is not None:
            continue
        shapes = [_shape(field.resolve_type(type_definition=definition), scalars) for field in definition.fields]
        if None in shapes:
            continue
        fields = [(config.name_converter.from_field(field), field.python_name, shape == LIST)
                  for field, shape in zip(definition.fields, shapes, strict=True)]
        unset = {field.python_name: None for field in definition.fields
                 if field.default_value is MISSING and field.default_factory is MISSING}
        definition.from_input = _builder(fields, unset)
        built.append(definition.name)
    return built


LEAF, LIST = "leaf", "list"


def _shape(type_: Any, scalars: Mapping) -> str | None:
    """LEAF for a scalar or an enum, LIST for a list of them (either nullable, or items
    nullable); None for anything Strawberry converts further."""
    if isinstance(type_, StrawberryMaybe):
        return None
    if isinstance(type_, StrawberryOptional):
        type_ = type_.of_type
    if isinstance(type_, StrawberryList):
        item = type_.of_type.of_type if isinstance(type_.of_type, StrawberryOptional) else type_.of_type
        return LIST if _is_leaf(item, scalars) else None
    return LEAF if _is_leaf(type_, scalars) else None


def _is_leaf(type_: Any, scalars: Mapping) -> bool:
    if type_ is GlobalID:
        return False  # decoded by Strawberry's conversion
    if isinstance(type_, StrawberryEnumDefinition) or has_enum_definition(type_):
        return True
    return is_scalar(type_, scalars)


def _builder(fields: list[tuple[str, str, bool]], unset: dict[str, None]):
    def from_input(cls: type, value: Mapping[str, Any], context: Any) -> Any:
        arguments = dict(unset)
        for graphql_name, python_name, is_list in fields:
            if graphql_name in value:
                given = value[graphql_name]
                # graphql-core gives every request that omits a list the same default list.
                arguments[python_name] = list(given) if is_list and given is not None else given
        return cls(**arguments)

    return from_input
