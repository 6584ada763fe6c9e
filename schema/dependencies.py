"""What an answer depends on, noted while it is resolved, for the response cache
(api/response_cache.py; the versions themselves: contacts/dependencies.py).

An operation whose root fields are all among `TRACKED_ROOTS` shows only the quotes it names,
their clients' data and the viewer's company's: `Query.quote` and `Query.viewer` note the
contacts versions of those enterprises as read with the data. Any other root field (a list of
quotes, of enterprises, a person's data) depends on the partner's whole data; so does a quote
not found (it may be one still to come).

A change (a mutation) notes the quote it changed and the versions it committed; when its
answer shows the quote with the selection of an earlier read of that quote, that answer
stands for the read (`ResponseCache.prime`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from graphql import (
    DocumentNode, FieldNode, FragmentDefinitionNode, FragmentSpreadNode, OperationDefinitionNode, SelectionSetNode,
    print_ast,
)

from contacts.auth import Viewer
from contacts.dependencies import Versions
from contacts.models import Quote

TRACKED_ROOTS = frozenset({"quote", "viewer", "contactFunctions", "__typename"})
_CACHE = "_quote_selection"  # the attribute of an operation's node that holds its signature


@dataclass
class Dependencies:
    """Noted by the resolvers of one operation."""

    versions: dict[int, int] = field(default_factory=dict)  # enterprise id -> contacts version
    known: bool = True
    quote_ids: list[int] = field(default_factory=list)
    committed: tuple[int, int, Versions] | None = None  # a change's quote, its client, the versions it committed

    def on_partner(self, viewer: Viewer) -> None:
        self._on(viewer.partner_id, viewer.partner_contacts_version)

    def on_quote(self, quote: Quote | None, viewer: Viewer) -> None:
        """A quote read with its client (None: not found)."""
        client = quote.__dict__.get("_client") if quote is not None else None
        if client is None:
            self.known = False
            return
        self.quote_ids.append(quote.id)
        self._on(client.id, client.contacts_version)
        self.on_partner(viewer)

    def _on(self, enterprise_id: int, version: int) -> None:
        if self.versions.setdefault(enterprise_id, version) != version:
            self.known = False  # read at two versions: a change came in between

    def of(self, operation: OperationDefinitionNode) -> dict[int, int] | None:
        """What the answer of `operation` depends on; None for the partner's whole data."""
        roots = operation.selection_set.selections
        if not self.known or not all(isinstance(s, FieldNode) and s.name.value in TRACKED_ROOTS for s in roots):
            return None
        return dict(self.versions)


def quote_selection(document: DocumentNode, operation: OperationDefinitionNode, *path: str) -> tuple[list[str], str] | None:
    """For an operation of one root field whose answer shows one quote at `path` (field names,
    from the root; the last one is the quote's): the aliases leading to it, and the signature of
    its selection (the selection and every fragment it spreads, as text). None for any other
    shape, or a selection with a directive (its answer may depend on variables)."""
    cache = getattr(operation, _CACHE, None)
    if cache is None:
        cache = {}
        object.__setattr__(operation, _CACHE, cache)
    if path not in cache:
        cache[path] = _quote_selection(document, operation, path)
    return cache[path]


def _quote_selection(document: DocumentNode, operation: OperationDefinitionNode, path: tuple[str, ...]):
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    selection_set: SelectionSetNode | None = operation.selection_set
    aliases = []
    for depth, name in enumerate(path):
        fields = [s for s in selection_set.selections if isinstance(s, FieldNode)] if selection_set else []
        if len(fields) != len(selection_set.selections) or (depth == 0 and len(fields) != 1):
            return None
        matching = [f for f in fields if f.name.value == name]
        if len(matching) != 1 or matching[0].directives:
            return None
        aliases.append((matching[0].alias or matching[0].name).value)
        selection_set = matching[0].selection_set
    if selection_set is None:
        return None
    used, pending = {}, [selection_set]
    while pending:
        for node in _spreads(pending.pop()):
            if node.name.value not in used and node.name.value in fragments:
                used[node.name.value] = fragments[node.name.value]
                pending.append(fragments[node.name.value].selection_set)
    text = "\n".join([print_ast(selection_set), *(print_ast(used[name]) for name in sorted(used))])
    return (aliases, text) if "@" not in text else None


def _spreads(selection_set: SelectionSetNode):
    for selection in selection_set.selections:
        if isinstance(selection, FragmentSpreadNode):
            yield selection
        elif selection.selection_set is not None:
            yield from _spreads(selection.selection_set)
