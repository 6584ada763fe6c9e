"""A cache of encoded answers to read-only GraphQL operations, never older than the data.

The key holds everything an answer depends on: the request (method, body or query string,
Accept), the viewer (user, partner, permissions), the language, and the partner's data
version. That version is raised in the transaction of every change to what the partner's
users can read (`contacts.changes.partner_data_changed`) and read again from the database
with the token on every request, from whichever process, so a cached answer is served only
while nothing it shows has changed. Once a request brings a new version of a partner's data,
the answers of that partner's older versions are dropped: what a change removed (a person's
erased data) is not kept in memory until it would have aged out. Bounded: least recently used
entries go first.
"""

from __future__ import annotations

from collections import OrderedDict

from graphql import OperationType

from contacts.auth import Viewer
from schema.operations import chosen_operation, requested

CachedResponse = tuple[int, list[tuple[bytes, bytes]], bytes]


def is_read_only(method: str, body: bytes, query_params) -> bool:
    """Whether a GraphQL HTTP request is one query (not a mutation, not a batch)."""
    request = requested(method, query_params, body)
    operation = chosen_operation(*request) if request else None
    return operation is not None and operation.operation == OperationType.QUERY


class ResponseCache:
    def __init__(self, max_entries: int = 2048, max_entry_bytes: int = 512 * 1024) -> None:
        self.max_entries = max_entries
        self.max_entry_bytes = max_entry_bytes
        self._entries: OrderedDict[tuple, CachedResponse] = OrderedDict()
        self._versions: dict[int, int] = {}  # each partner's data version, as its latest request brought it
        self.hits = 0
        self.misses = 0

    @staticmethod
    def key(viewer: Viewer, language: str, method: str, request_bytes: bytes, accept: str) -> tuple:
        return (
            viewer.user_id,
            viewer.partner_id,
            viewer.permissions,
            viewer.data_version,
            language,
            method,
            accept,
            request_bytes,
        )

    def _seen(self, key: tuple) -> None:
        """A request with this key: when it brings another version of its partner's data, the
        answers of the partner's other versions go."""
        partner, version = key[1], key[3]
        if self._versions.get(partner, version) != version:
            for old in [k for k in self._entries if k[1] == partner and k[3] != version]:
                del self._entries[old]
        self._versions[partner] = version

    def get(self, key: tuple) -> CachedResponse | None:
        self._seen(key)
        entry = self._entries.get(key)
        if entry is None:
            self.misses += 1
            return None
        self._entries.move_to_end(key)
        self.hits += 1
        return entry

    def put(self, key: tuple, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        """Keeps a successful answer (200; the caller checked it has no errors) of bounded size."""
        if status != 200 or len(body) > self.max_entry_bytes or self.max_entries <= 0:
            return
        self._seen(key)
        self._entries[key] = (status, headers, body)
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)
