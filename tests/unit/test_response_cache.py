"""The response cache as a data structure: what its key holds, what it keeps, and its bound.
(That it never serves a stale answer across processes: tests/system/test_response_cache.py.)"""

from __future__ import annotations

from api.response_cache import ResponseCache, is_read_only, size_of
from contacts.auth import Permission, Viewer
from schema import build_schema
from schema.documents import Documents
from schema.limits import Limits

ALICE = Viewer(1, "demo-alice", "Alice", "a@example.com", 10, frozenset({Permission.QUOTE_EDIT}), data_version=7)


def key(viewer: Viewer = ALICE, language: str = "fr", body: bytes = b'{"query": "{ viewer { name } }"}') -> tuple:
    return ResponseCache.key(viewer, language, "POST", body, "application/json")


def test_the_key_holds_everything_an_answer_depends_on():
    base = key()
    assert key() == base
    newer = Viewer(**{**ALICE.__dict__, "data_version": 8})
    bob = Viewer(**{**ALICE.__dict__, "user_id": 2, "username": "demo-bob"})
    fewer_rights = Viewer(**{**ALICE.__dict__, "permissions": frozenset()})
    other_partner = Viewer(**{**ALICE.__dict__, "partner_id": 11})
    for other in (key(newer), key(bob), key(fewer_rights), key(other_partner), key(language="en"),
                  key(body=b'{"query": "{ viewer { email } }"}')):
        assert other != base


def named(name: str, viewer: Viewer = ALICE) -> tuple:
    return key(viewer, body=name.encode())


def test_it_keeps_successful_answers_of_bounded_size_and_forgets_the_least_recently_used():
    a, too_big, refused, b, c = (named(name) for name in ("a", "too big", "refused", "b", "c"))
    cache = ResponseCache(max_entries=2, max_entry_bytes=size_of(a, [], b"0123456789"))
    cache.put(a, 200, [], b"0123456789")
    cache.put(too_big, 200, [], b"01234567890")
    cache.put(refused, 400, [], b"{}")
    assert cache.get(too_big) is None and cache.get(refused) is None
    cache.put(b, 200, [], b"b")
    assert cache.get(a) is not None  # a is now the most recently used
    cache.put(c, 200, [], b"c")
    assert cache.get(b) is None and cache.get(a) is not None and cache.get(c) is not None
    assert len(cache) == 2
    assert (cache.hits, cache.misses) == (3, 3)


def test_a_new_data_version_drops_the_partners_older_answers_at_once():
    """After a change (an erasure) the partner's older answers are not kept until they age out:
    the first request that brings the new version drops them; other partners keep theirs."""
    cache = ResponseCache(max_entries=10)
    other = Viewer(**{**ALICE.__dict__, "partner_id": 11, "user_id": 3})
    bob = Viewer(**{**ALICE.__dict__, "user_id": 2, "username": "demo-bob"})
    for name in ("report", "quote"):
        cache.put(named(name), 200, [], b"Smith")
        cache.put(named(name, bob), 200, [], b"Smith")
    cache.put(named("report", other), 200, [], b"other")
    assert len(cache) == 5
    newer = Viewer(**{**bob.__dict__, "data_version": 8})
    assert cache.get(named("quote", newer)) is None
    assert len(cache) == 1 and cache.get(named("report", other)) is not None
    cache.put(named("quote", newer), 200, [], b"erased")
    assert cache.get(named("quote", newer)) is not None and cache.get(named("quote")) is None
    assert cache.bytes == sum(size for _, size in cache._entries.values())  # what went is no longer counted


def test_only_a_single_query_is_read_only():
    documents = Documents(build_schema()._schema, Limits(), budget_bytes=1024 * 1024)
    assert is_read_only(documents.prepare("{ viewer { name } }"), None)
    assert is_read_only(documents.prepare("query Q { viewer { name } } mutation M { __typename }"), "Q")
    assert not is_read_only(documents.prepare("query Q { viewer { name } } mutation M { __typename }"), "M")
    assert not is_read_only(documents.prepare('mutation { placeOrder(input: {quoteId: "x"}) { quote { id } } }'), None)
    assert not is_read_only(documents.prepare("query A { viewer { name } } query B { viewer { name } }"), None)
    assert not is_read_only(documents.prepare("{ viewer { nothing } }"), None)  # not valid
    assert not is_read_only(documents.prepare("not graphql"), None)
    assert not is_read_only(None, None)  # no document (not JSON, a batch...)
