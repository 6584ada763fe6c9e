"""A cache of encoded answers to read-only GraphQL operations, never older than the data.

The key holds the request (method, body or query string, Accept), the viewer (user, partner,
permissions) and the language. An entry also holds the partner's data version it was read
under, and, for an answer about one quote (`schema.dependencies`), the contacts versions of the
enterprises it shows (contacts/dependencies.py). Both are raised in the transaction of every
change and read again with the token on every request, from whichever process:

- same data version: nothing the partner's users can read has changed; the answer is served.
- a newer one: an answer with its dependencies is served when their contacts versions have
  not moved (the partner's comes with the token, the client's in one statement); then it is
  kept under the new data version. An answer without them is dropped, and so are the
  partner's other such answers (what a change removed, a person's erased data, is not kept
  in memory until it would have aged out).

After a change, `prime` keeps the change's own answer for a read its user made before of the
same quote with the same selection: the read that follows a change is served at once.
Bounded in entries and in bytes (the answer, the request that is its key, its headers): least
recently used entries go first.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from graphql import OperationType

from contacts.auth import Viewer
from schema.documents import Prepared

CachedResponse = tuple[int, list[tuple[bytes, bytes]], bytes]
ENTRY_OVERHEAD = 400  # bytes of an entry besides its request, headers and answer (tuples, ints)
READS_PER_QUOTE = 8  # reads of a quote remembered per user, to be primed after a change


def is_read_only(prepared: Prepared | None, operation_name: str | None) -> bool:
    """Whether a GraphQL request runs one query of a valid document (not a mutation)."""
    operation = prepared.operation(operation_name) if prepared is not None and prepared.valid else None
    return operation is not None and operation.operation == OperationType.QUERY


def _read_size(read: QuoteRead) -> int:
    """The bytes a remembered read holds of its own (its selection's text is its document's)."""
    return size_of(read.key, read.headers, b"")


def size_of(key: tuple, headers, body: bytes) -> int:
    """The bytes an entry holds: its answer, the request that is its key, its headers."""
    return ENTRY_OVERHEAD + len(key[-1]) + len(key[-2]) + len(body) + sum(len(n) + len(v) + 40 for n, v in headers)


@dataclass(slots=True)
class Entry:
    response: CachedResponse
    size: int
    data_version: int
    depends_on: dict[int, int] | None  # enterprise id -> contacts version; None: the partner's whole data


@dataclass(slots=True)
class Check:
    """An entry found under an older data version: served if these contacts versions (of
    enterprises other than the viewer's partner) are still what the database holds."""

    key: tuple
    entry: Entry
    versions: dict[int, int]


@dataclass(frozen=True, slots=True)
class QuoteRead:
    """A read of one quote seen by the cache, that a change's answer may stand for: the root
    field's alias, the signature of its selection, and the headers of its answer."""

    key: tuple
    alias: str
    selection: str
    headers: tuple[tuple[bytes, bytes], ...]


class ResponseCache:
    def __init__(self, max_entries: int = 2048, max_bytes: int = 32 * 1024 * 1024,
                 max_entry_bytes: int = 512 * 1024) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.max_entry_bytes = min(max_entry_bytes, max_bytes // 8)
        self._entries: OrderedDict[tuple, Entry] = OrderedDict()
        self._versions: dict[int, int] = {}  # each partner's data version, as its latest request brought it
        # (user id, quote id) -> the reads of that quote by that user, most recent last; their
        # requests (the keys) held within an eighth of the byte budget
        self._reads: OrderedDict[tuple[int, int], dict[tuple, QuoteRead]] = OrderedDict()
        self.max_read_bytes = max_bytes // 8
        self.read_bytes = 0
        self.bytes = 0
        self.hits = 0
        self.misses = 0
        self.primed = 0

    @staticmethod
    def key(viewer: Viewer, language: str, method: str, request_bytes: bytes, accept: str) -> tuple:
        return (viewer.user_id, viewer.partner_id, viewer.permissions, language, method, accept, request_bytes)

    def _seen(self, partner: int, version: int) -> None:
        """A request of a partner's user: when it brings another data version, the partner's
        answers without dependencies go."""
        if self._versions.get(partner, version) != version:
            for old in [k for k, e in self._entries.items()
                        if k[1] == partner and e.depends_on is None and e.data_version != version]:
                self._drop(old)
        self._versions[partner] = version

    def _drop(self, key: tuple) -> None:
        entry = self._entries.pop(key, None)
        if entry is not None:
            self.bytes -= entry.size

    def get(self, key: tuple, viewer: Viewer) -> CachedResponse | Check | None:
        """The answer kept for this key if it is still true, a Check to make first, or None."""
        self._seen(viewer.partner_id, viewer.data_version)
        entry = self._entries.get(key)
        if entry is not None and entry.data_version != viewer.data_version:
            depends_on = entry.depends_on
            partner = viewer.partner_id
            if depends_on is None or depends_on.get(partner, viewer.partner_contacts_version) != viewer.partner_contacts_version:
                self._drop(key)
                entry = None
            else:
                others = {e: v for e, v in depends_on.items() if e != partner}
                if others:
                    return Check(key, entry, others)
                entry.data_version = viewer.data_version
        if entry is None:
            self.misses += 1
            return None
        self._entries.move_to_end(key)
        self.hits += 1
        return entry.response

    def checked(self, check: Check, viewer: Viewer, current: dict[int, int]) -> CachedResponse | None:
        """The answer of a Check, given the contacts versions as they stand."""
        if current != check.versions or self._entries.get(check.key) is not check.entry:
            self._drop(check.key)
            self.misses += 1
            return None
        check.entry.data_version = viewer.data_version
        self._entries.move_to_end(check.key)
        self.hits += 1
        return check.entry.response

    def put(self, key: tuple, status: int, headers: list[tuple[bytes, bytes]], body: bytes, *,
            data_version: int, depends_on: dict[int, int] | None = None) -> None:
        """Keeps a successful answer (200; the caller checked it has no errors) of bounded size."""
        size = size_of(key, headers, body)
        if status != 200 or size > self.max_entry_bytes or self.max_entries <= 0:
            return
        self._seen(key[1], data_version)
        self._drop(key)
        self._entries[key] = Entry((status, headers, body), size, data_version, depends_on)
        self.bytes += size
        while len(self._entries) > self.max_entries or self.bytes > self.max_bytes:
            _, gone = self._entries.popitem(last=False)
            self.bytes -= gone.size

    def remember_read(self, quote_id: int, read: QuoteRead) -> None:
        """A read of one quote, answered and kept: a change of that quote by the same user may
        stand for it (`prime`). The least recently seen reads go first."""
        user = read.key[0]
        reads = self._reads.pop((user, quote_id), {})
        self._forget(reads.pop(read.key, None))
        reads[read.key] = read
        self.read_bytes += _read_size(read)
        while len(reads) > READS_PER_QUOTE:
            self._forget(reads.pop(next(iter(reads))))
        self._reads[(user, quote_id)] = reads
        while self._reads and (len(self._reads) > self.max_entries or self.read_bytes > self.max_read_bytes):
            for gone in self._reads.popitem(last=False)[1].values():
                self._forget(gone)

    def _forget(self, read: QuoteRead | None) -> None:
        if read is not None:
            self.read_bytes -= _read_size(read)

    def prime(self, viewer: Viewer, language: str, quote_id: int, selection: str, encode, *,
              data_version: int, depends_on: dict[int, int]) -> int:
        """After a change of a quote by `viewer`, its answer for each read of that quote the
        viewer made before with the same selection and language: `encode(alias)` gives the
        read's answer from the change's (None: nothing to prime it with). Answers how many
        reads it primed."""
        primed = 0
        for read in (self._reads.get((viewer.user_id, quote_id)) or {}).values():
            key = read.key
            if read.selection != selection or key[2] != viewer.permissions or key[3] != language:
                continue
            body = encode(read.alias)
            if body is None:
                continue
            headers = [*read.headers, (b"content-length", str(len(body)).encode())]
            self.put(key, 200, headers, body, data_version=data_version, depends_on=dict(depends_on))
            primed += 1
        self.primed += primed
        return primed

    def __len__(self) -> int:
        return len(self._entries)
