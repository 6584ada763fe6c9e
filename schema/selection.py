"""Which fields an operation selects on an object, known before that object is built.

A quote's step-2 fields (its lines, contact list, requirements, eligible contacts, validation)
are plain values filled in beforehand, for all the quotes of a list at once (schema/quote.py):
what to load depends on what the operation asks. `selected_fields` reads it from the
operation's text, once per operation (the answer hangs on the operation's node, and goes when
its document goes).
"""

from __future__ import annotations

from typing import Any

from strawberry.types import Info
from graphql import FieldNode, FragmentSpreadNode, GraphQLResolveInfo, InlineFragmentNode, SelectionSetNode

_CACHE = "_selected_fields"  # the attribute of an operation's node that holds the answers
_UNSET: Any = object()


def selected_fields(info: Info | GraphQLResolveInfo, *path: str) -> frozenset[str] | None:
    """The names of the fields selected on the object found by following `path` (field names)
    from the field being resolved; every field of every fragment counts, whatever its type
    condition. None when a directive (`@skip`, `@include`...) may change it: then the caller
    must assume everything is selected."""
    info = getattr(info, "_raw_info", info)  # Strawberry's Info wraps graphql-core's
    cache = getattr(info.operation, _CACHE, None)
    if cache is None:
        cache = {}
        object.__setattr__(info.operation, _CACHE, cache)
    key = (tuple(id(node) for node in info.field_nodes), path)
    found = cache.get(key, _UNSET)
    if found is _UNSET:
        # The field nodes are the operation's own: their ids stay theirs while it lives.
        found = _collect([node.selection_set for node in info.field_nodes], path, info.fragments)
        cache[key] = found
    return found


def _collect(sets: list[SelectionSetNode | None], path: tuple[str, ...], fragments: dict) -> frozenset[str] | None:
    names: set[str] = set()
    below: list[SelectionSetNode | None] = []
    pending = list(sets)
    seen: set[str] = set()
    while pending:
        selection_set = pending.pop()
        if selection_set is None:
            continue
        for selection in selection_set.selections:
            if selection.directives:
                return None
            if isinstance(selection, FieldNode):
                name = selection.name.value
                if path and name == path[0]:
                    below.append(selection.selection_set)
                names.add(name)
            elif isinstance(selection, InlineFragmentNode):
                pending.append(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                if name not in seen and name in fragments:
                    seen.add(name)
                    fragment = fragments[name]
                    if fragment.directives:
                        return None
                    pending.append(fragment.selection_set)
    if path:
        return _collect(below, path[1:], fragments)
    return frozenset(names)
