"""A cache of encoded answers to read-only GraphQL operations, never older than the data.

The key holds everything an answer depends on: the request (method, body or query string,
Accept), the viewer (user, partner, permissions), the language, and the partner's data
version. That version is raised in the transaction of every change to what the partner's
users can read (`contacts.changes.partner_data_changed`) and read again from the database
with the token on every request, from whichever process, so a cached answer is served only
while nothing it shows has changed. Once a request brings a new version of a partner's data,
the answers of that partner's older versions are dropped: what a change removed (a person's
erased data) is not kept in memory until it would have aged out. Bounded in entries and in
bytes (the answer, the request that is its key, its headers): least recently used entries go
first.
"""

from __future__ import annotations

from collections import OrderedDict

from graphql import OperationType

from contacts.auth import Viewer
from schema.documents import Prepared

CachedResponse = tuple[int, list[tuple[bytes, bytes]], bytes]
ENTRY_OVERHEAD = 400  # bytes of an entry besides its request, headers and answer (tuples, ints)


def is_read_only(prepared: Prepared | None, operation_name: str | None) -> bool:
    """Whether a GraphQL request runs one query of a valid document (not a mutation)."""
    operation = prepared.operation(operation_name) if prepared is not None and prepared.valid else None
    return operation is not None and operation.operation == OperationType.QUERY


def size_of(key: tuple, headers: list[tuple[bytes, bytes]], body: bytes) -> int:
    return ENTRY_OVERHEAD + len(key[-1]) + len(key[-2]) + len(body) + sum(len(n) + len(v) + 40 for n, v in headers)


class ResponseCache:
    def __init__(self, max_entries: int = 2048, max_bytes: int = 32 * 1024 * 1024,
                 max_entry_bytes: int = 512 * 1024) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.max_entry_bytes = min(max_entry_bytes, max_bytes // 8)
        self._entries: OrderedDict[tuple, tuple[CachedResponse, int]] = OrderedDict()
        self._versions: dict[int, int] = {}  # each partner's data version, as its latest request brought it
        self.bytes = 0
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
                self.bytes -= self._entries.pop(old)[1]
        self._versions[partner] = version

    def get(self, key: tuple) -> CachedResponse | None:
        self._seen(key)
        entry = self._entries.get(key)
        if entry is None:
            self.misses += 1
            return None
        self._entries.move_to_end(key)
        self.hits += 1
        return entry[0]

    def put(self, key: tuple, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        """Keeps a successful answer (200; the caller checked it has no errors) of bounded size."""
        size = size_of(key, headers, body)
        if status != 200 or size > self.max_entry_bytes or self.max_entries <= 0:
            return
        self._seen(key)
        old = self._entries.pop(key, None)
        if old is not None:
            self.bytes -= old[1]
        self._entries[key] = ((status, headers, body), size)
        self.bytes += size
        while len(self._entries) > self.max_entries or self.bytes > self.max_bytes:
            _, (_, gone) = self._entries.popitem(last=False)
            self.bytes -= gone

    def __len__(self) -> int:
        return len(self._entries)
