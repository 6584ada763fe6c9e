"""Plain objects completed in one pass, not field by field.

graphql-core completes every field of a result on its own: a resolve info, a resolver call, a
path, awaitable checks, about 10 µs a field. Most of our objects are views built beforehand
(schema/types.py: `contact_view`, `assignment_view`...), whose fields are plain attributes. For
an object whose selected fields are all such attributes (Strawberry's "basic" fields, without
arguments, `@defer` or `@stream`), `PlainExecutionContext` compiles the selection into a small
function (read each attribute, coerce each scalar as graphql-core would) and applies it to
every object of that selection. An operation without directives compiles each selection once
for all its executions (schema/documents.py hands out the same document every time): the
compiled selections hang on the operation's node, and go when its document goes.

Anything unexpected while doing so (a null in a non-null field, a value of the wrong kind, an
awaitable) drops back to graphql-core's own completion of that object, which then reports it
as it always does: the fast path changes the speed, never the answer.

One idea, the compiled completion, in one file (a little over 300 lines): the execution context
that uses it and the code it generates.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphql import (
    DirectiveNode,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    Visitor,
    is_leaf_type,
    visit,
)
from graphql.pyutils import Undefined
from graphql.type import specified_scalar_types
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import CustomGraphQLEnumType, GraphQLCoreConverter

Complete = Callable[[Any], Any]
_BUILT_IN = set(specified_scalar_types.values())
Cell = list  # [the compiled completion, or None when the selection is not plain]

_PENDING: Any = object()  # a selection being compiled, met again inside itself
_UNSET: Any = object()
SHARED = "_plain_selections"  # the attribute of an operation's node that holds its compiled selections


class NotPlain(Exception):
    """A value the compiled path does not complete; graphql-core's own path will."""


class PlainExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """graphql-core's execution, with plain objects completed by compiled selections."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # (object type, id of its field list) -> (that list, kept alive; its cell).
        self._cells: dict[tuple[GraphQLObjectType, int], tuple[Any, Cell]] = {}
        self._selections: dict | None = _UNSET

    def build_response(self, data):
        """graphql-core's response; then the context lets go of its helpers for resolvers,
        bound methods of itself: a reference cycle that would keep the whole operation (its
        context value, loaders and rows) alive until the garbage collector runs, instead of
        freeing it as soon as the answer is sent. No resolver starts once the response is built
        (each resolve info already made holds the helpers it was given)."""
        response = super().build_response(data)
        self.async_helpers = None
        return response

    def complete_object_value(self, return_type, field_details_list, info, path, result, position_context):
        if not self._wraps_resolvers():
            complete = self._cell(return_type, field_details_list)[0]
            if complete is not None:
                try:
                    return complete(result)
                except Exception:  # noqa: BLE001 - graphql-core's path below reports it as it should
                    pass
        return super().complete_object_value(return_type, field_details_list, info, path, result, position_context)

    def _wraps_resolvers(self) -> bool:
        """Whether an extension wraps every resolver (a `resolve` hook): then every field
        goes through it, as graphql-core does. Strawberry always passes a manager."""
        manager = self.middleware_manager
        return manager is not None and bool(manager.middlewares)

    # --- Compiled selections ----------------------------------------------------------------

    def _cell(self, object_type: GraphQLObjectType, field_details_list) -> Cell:
        key = (object_type, id(field_details_list))
        found = self._cells.get(key)
        if found is not None:
            return found[1]
        shared = self._shared_selections()
        shared_key = (object_type, tuple(id(d.node) for d in field_details_list))
        cell = shared.get(shared_key) if shared is not None else None
        if cell is None:
            cell = [_PENDING]
            self._cells[key] = (field_details_list, cell)
            cell[0] = self._compile_object(object_type, field_details_list)
            if shared is not None:
                shared[shared_key] = cell
        else:
            self._cells[key] = (field_details_list, cell)
        return cell

    def _shared_selections(self) -> dict | None:
        """This operation's selections compiled by earlier executions, or None when its
        fields may depend on its variables (`@skip`, `@include`, `@defer`...)."""
        if self._selections is _UNSET:
            operation, fragments = self.operation, self.fragment_definitions
            found = getattr(operation, SHARED, _UNSET)
            if found is _UNSET:
                # By (object type, ids of the field nodes), which live as long as the operation.
                found = None if _has_directives(operation, fragments) else {}
                object.__setattr__(operation, SHARED, found)
            self._selections = found
        return self._selections

    def _compile_object(self, object_type: GraphQLObjectType, field_details_list) -> Complete | None:
        grouped_field_set, new_defer_usages, _ = self.collect_subfields(object_type, field_details_list)
        if new_defer_usages:
            return None
        steps: list[_Step] = []
        for response_name, details in grouped_field_set.items():
            if any(d.defer_usage is not None or d.fragment_variable_values is not None for d in details):
                return None
            node = details[0].node
            name = node.name.value
            if name == "__typename":
                steps.append(_Step(response_name, None, None, None, object_type.name))
                continue
            field = object_type.fields.get(name)
            definition = field and field.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
            if definition is None or field.args or node.arguments or not definition.is_basic_field:
                return None
            if getattr(field.resolve, "_is_default", False) is not True:
                return None
            complete = self._compile_value(field.type, details)
            if complete is None:
                return None
            steps.append(_Step(response_name, definition, field.type, complete, None, self._cell_inside(field.type, details)))
        return _generate(object_type, steps)

    def _cell_inside(self, return_type: GraphQLOutputType, details) -> Cell | None:
        """The cell of the object type inside `return_type` (through lists and non-null)."""
        while isinstance(return_type, (GraphQLNonNull, GraphQLList)):
            return_type = return_type.of_type
        if isinstance(return_type, GraphQLObjectType):
            return self._cell(return_type, details)
        return None

    def _compile_value(self, return_type: GraphQLOutputType, details) -> Complete | None:
        if isinstance(return_type, GraphQLNonNull):
            inner = self._compile_value(return_type.of_type, details)
            return None if inner is None else _non_null(inner)
        if isinstance(return_type, GraphQLList):
            item = self._compile_value(return_type.of_type, details)
            return None if item is None else _list_of(item)
        if is_leaf_type(return_type):
            return _leaf(return_type.coerce_output_value)
        if isinstance(return_type, GraphQLObjectType):
            cell = self._cell(return_type, details)
            return None if cell[0] is None else _object_in(cell)
        return None  # interfaces and unions: graphql-core resolves their runtime type


class _Directives(Visitor):
    found = False

    def enter_directive(self, node: DirectiveNode, *args: Any) -> Any:
        self.found = True
        return self.BREAK


def _has_directives(operation, fragments: dict) -> bool:
    for node in (operation, *fragments.values()):
        visitor = _Directives()
        visit(node, visitor)
        if visitor.found:
            return True
    return False


def _non_null(inner: Complete) -> Complete:
    def complete_non_null(value: Any) -> Any:
        completed = inner(value)
        if completed is None:
            raise NotPlain
        return completed

    return complete_non_null


def _list_of(item: Complete) -> Complete:
    def complete_list(value: Any) -> Any:
        if value is None:
            return None
        if not isinstance(value, (list, tuple)):
            raise NotPlain
        return [item(v) for v in value]

    return complete_list


def _leaf(coerce: Callable[[Any], Any]) -> Complete:
    def complete_leaf(value: Any) -> Any:
        if value is None:
            return None
        coerced = coerce(value)
        if coerced is None or coerced is Undefined:
            raise NotPlain
        return coerced

    return complete_leaf


def _object_in(cell: Cell) -> Complete:
    def complete_child(value: Any) -> Any:
        if value is None:
            return None
        complete = cell[0]  # read when used: a selection may contain itself further down
        if complete is None or complete is _PENDING:
            raise NotPlain
        return complete(value)

    return complete_child


def _reader(definition) -> Callable[[Any], Any]:
    """How Strawberry reads a basic field whose default resolver is not getattr."""
    return lambda source: definition.default_resolver(source, definition.python_name)


# --- Generated code -------------------------------------------------------------------------
#
# A selection becomes the text of one function: read each attribute, keep a value whose class
# is the one its type expects (a str for String and ID, a bool for Boolean, an int in range for
# Int; for an enum, a member of it, answered by its name), and hand anything else to the
# field's general completion above (which coerces it, or raises NotPlain). Lists of such values
# and of objects are completed inline: no call per leaf.


class _Step:
    """A response key of a selection: its field's definition, type and general completion (or
    the constant it answers, for __typename), and the cell of the object type inside it."""

    __slots__ = ("name", "definition", "type", "complete", "constant", "cell")

    def __init__(self, name, definition, type_, complete, constant, cell=None) -> None:
        self.name, self.definition, self.type, self.complete, self.constant, self.cell = (
            name, definition, type_, complete, constant, cell)


_CLASS_OF = {"String": str, "ID": str, "Boolean": bool, "Int": int}


def _bind(names: dict, prefix: str, value: Any) -> str:
    name = f"{prefix}_{len(names)}"
    names[name] = value
    return name


def _leaf_expression(leaf: GraphQLOutputType, var: str, names: dict, fallback: str) -> str:
    """An expression completing `var` of the leaf type `leaf`; `fallback(var)` for a value of
    another class (None included)."""
    if isinstance(leaf, CustomGraphQLEnumType):
        members = {member: name for name, value in leaf.values.items()
                   for member in leaf.wrapped_cls if member.value == value.value}
        enum, table = _bind(names, "enum", leaf.wrapped_cls), _bind(names, "names", members)
        return f"({table}[{var}] if {var}.__class__ is {enum} else {fallback}({var}))"
    kind = _CLASS_OF.get(leaf.name) if leaf in _BUILT_IN else None
    if kind is None:
        return f"{fallback}({var})"
    test = f"{var}.__class__ is {_bind(names, 'class', kind)}"
    if kind is int:
        test += f" and -2147483648 <= {var} <= 2147483647"
    return f"({var} if {test} else {fallback}({var}))"


def _generate(object_type: GraphQLObjectType, steps: list[_Step]) -> Complete:
    names: dict[str, Any] = {"NotPlain": NotPlain, "list": list}
    lines = ["def complete_object(source):", "    if source is None: raise NotPlain"]
    if object_type.is_type_of is not None:
        names["is_type_of"] = object_type.is_type_of
        lines.append("    if is_type_of(source, None) is not True: raise NotPlain")
    entries = []
    for i, step in enumerate(steps):
        if step.definition is None:
            entries.append(f"{step.name!r}: {_bind(names, 'constant', step.constant)}")
            continue
        var = f"v{i}"
        python_name = step.definition.python_name
        if step.definition.default_resolver is getattr and python_name.isidentifier():
            lines.append(f"    {var} = source.{python_name}")
        else:
            lines.append(f"    {var} = {_bind(names, 'read', _reader(step.definition))}(source)")
        lines.append(f"    {var} = {_value_expression(step, var, names)}")
        entries.append(f"{step.name!r}: {var}")
    lines.append("    return {" + ", ".join(entries) + "}")
    exec(compile("\n".join(lines), f"<selection on {object_type.name}>", "exec"), names)
    return names["complete_object"]


def _value_expression(step: _Step, var: str, names: dict) -> str:
    """An expression completing `var`, the value of `step`'s field."""
    fallback = _bind(names, "complete", step.complete)
    non_null = isinstance(step.type, GraphQLNonNull)
    inner = step.type.of_type if non_null else step.type
    if isinstance(inner, GraphQLObjectType):
        cell = _bind(names, "cell", step.cell)  # read when used: a selection may contain itself
        return f"{cell}[0]({var})" if non_null else f"(None if {var} is None else {cell}[0]({var}))"
    if not isinstance(inner, GraphQLList):
        return _leaf_expression(inner, var, names, fallback)
    item = inner.of_type
    item_non_null = isinstance(item, GraphQLNonNull)
    item_inner = item.of_type if item_non_null else item
    if isinstance(item_inner, GraphQLObjectType):
        expression = f"{_bind(names, 'cell', step.cell)}[0](x)"
    elif isinstance(item_inner, GraphQLList):
        return f"{fallback}({var})"
    else:
        expression = _leaf_expression(item_inner, "x", names, _bind(names, "unexpected", _unexpected))
    if not item_non_null:
        expression = f"(None if x is None else {expression})"
    return f"([{expression} for x in {var}] if {var}.__class__ is list else {fallback}({var}))"


def _unexpected(value: Any) -> Any:
    """An item the generated code does not expect: graphql-core completes the object."""
    raise NotPlain
