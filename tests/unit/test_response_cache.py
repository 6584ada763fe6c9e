"""The response cache as a data structure: what its key holds, what it keeps, and its bound.
(That it never serves a stale answer across processes: tests/system/test_response_cache.py.)"""

from __future__ import annotations

from api.response_cache import Check, QuoteRead, ResponseCache, is_read_only, size_of
from contacts.auth import Permission, Viewer
from schema import build_schema
from schema.documents import Documents
from schema.limits import Limits

ALICE = Viewer(1, "demo-alice", "Alice", "a@example.com", 10, frozenset({Permission.QUOTE_EDIT}), data_version=7)


def key(viewer: Viewer = ALICE, language: str = "fr", body: bytes = b'{"query": "{ viewer { name } }"}') -> tuple:
    return ResponseCache.key(viewer, language, "POST", body, "application/json")


def test_the_key_holds_everything_an_answer_depends_on_besides_the_data():
    base = key()
    assert key() == base
    bob = Viewer(**{**ALICE.__dict__, "user_id": 2, "username": "demo-bob"})
    fewer_rights = Viewer(**{**ALICE.__dict__, "permissions": frozenset()})
    other_partner = Viewer(**{**ALICE.__dict__, "partner_id": 11})
    for other in (key(bob), key(fewer_rights), key(other_partner), key(language="en"),
                  key(body=b'{"query": "{ viewer { email } }"}')):
        assert other != base


def named(name: str, viewer: Viewer = ALICE) -> tuple:
    return key(viewer, body=name.encode())


def keep(cache: ResponseCache, key: tuple, body: bytes, viewer: Viewer = ALICE, status: int = 200, **kwargs) -> None:
    cache.put(key, status, [], body, data_version=viewer.data_version, **kwargs)


def test_it_keeps_successful_answers_of_bounded_size_and_forgets_the_least_recently_used():
    a, too_big, refused, b, c = (named(name) for name in ("a", "too big", "refused", "b", "c"))
    cache = ResponseCache(max_entries=2, max_entry_bytes=size_of(a, [], b"0123456789"))
    keep(cache, a, b"0123456789")
    keep(cache, too_big, b"01234567890")
    keep(cache, refused, b"{}", status=400)
    assert cache.get(too_big, ALICE) is None and cache.get(refused, ALICE) is None
    keep(cache, b, b"b")
    assert cache.get(a, ALICE) is not None  # a is now the most recently used
    keep(cache, c, b"c")
    assert cache.get(b, ALICE) is None and cache.get(a, ALICE) is not None and cache.get(c, ALICE) is not None
    assert len(cache) == 2
    assert (cache.hits, cache.misses) == (3, 3)


def test_a_new_data_version_drops_the_partners_answers_that_depend_on_all_its_data():
    """After a change (an erasure) the partner's older answers without dependencies are not
    kept until they age out: the first request that brings the new version drops them; other
    partners keep theirs."""
    cache = ResponseCache(max_entries=10)
    other = Viewer(**{**ALICE.__dict__, "partner_id": 11, "user_id": 3})
    bob = Viewer(**{**ALICE.__dict__, "user_id": 2, "username": "demo-bob"})
    for name in ("report", "quote"):
        keep(cache, named(name), b"Smith")
        keep(cache, named(name, bob), b"Smith", bob)
    keep(cache, named("report", other), b"other", other)
    assert len(cache) == 5
    newer = Viewer(**{**bob.__dict__, "data_version": 8})
    assert cache.get(named("quote", newer), newer) is None
    assert len(cache) == 1 and cache.get(named("report", other), other) is not None
    keep(cache, named("quote", newer), b"erased", newer)
    assert cache.get(named("quote", newer), newer) is not None
    assert cache.bytes == sum(entry.size for entry in cache._entries.values())  # what went is no longer counted


CLIENT = 500


def test_an_answer_about_a_quote_outlives_changes_to_other_quotes():
    """Kept with the contacts versions of the quote's client and of the partner, an answer is
    served after another change of the partner's data once the client's version is found
    unmoved (a Check, one statement), and at once afterwards; a move of either drops it."""
    cache = ResponseCache()
    depends_on = {CLIENT: 3, ALICE.partner_id: ALICE.partner_contacts_version}
    keep(cache, named("quote"), b"answer", depends_on=depends_on)
    assert cache.get(named("quote"), ALICE)[2] == b"answer"  # same data version: no check

    later = Viewer(**{**ALICE.__dict__, "data_version": 8})
    check = cache.get(named("quote"), later)
    assert isinstance(check, Check) and check.versions == {CLIENT: 3}
    assert cache.checked(check, later, {CLIENT: 3})[2] == b"answer"
    assert cache.get(named("quote"), later)[2] == b"answer"  # kept under the new version: no check now

    again = Viewer(**{**ALICE.__dict__, "data_version": 9})
    check = cache.get(named("quote"), again)
    assert cache.checked(check, again, {CLIENT: 4}) is None  # the client's contacts moved
    assert cache.get(named("quote"), again) is None and len(cache) == 0

    keep(cache, named("quote"), b"answer", again, depends_on={CLIENT: 4, ALICE.partner_id: 0})
    partner_moved = Viewer(**{**again.__dict__, "data_version": 10, "partner_contacts_version": 1})
    assert cache.get(named("quote"), partner_moved) is None  # the partner's own contacts moved


def test_a_change_answers_the_reads_of_its_quote_that_its_user_made_before():
    cache = ResponseCache()
    read = QuoteRead(named("step 2"), "quote", "{ id version }", ((b"content-type", b"application/json"),))
    english = QuoteRead(key(language="en", body=b"step 2"), "q", "{ id version }", ())
    other_selection = QuoteRead(named("short"), "quote", "{ id }", ())
    for each in (read, english, other_selection):
        cache.remember_read(42, each)
    changed = Viewer(**{**ALICE.__dict__, "data_version": 8})
    primed = cache.prime(changed, "fr", 42, "{ id version }", lambda alias: b'{"data":{"%s":{"version":2}}}' % alias.encode(),
                         data_version=8, depends_on={CLIENT: 4, ALICE.partner_id: 0})
    assert primed == 1
    status, headers, body = cache.get(named("step 2"), changed)
    assert body == b'{"data":{"quote":{"version":2}}}'
    assert (b"content-length", str(len(body)).encode()) in headers and (b"content-type", b"application/json") in headers
    assert cache.get(named("short"), changed) is None
    bob = Viewer(**{**changed.__dict__, "user_id": 2})
    assert cache.prime(bob, "fr", 42, "{ id version }", lambda alias: b"", data_version=8, depends_on={}) == 0


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


def test_the_reads_it_remembers_for_priming_are_bounded_in_bytes_too():
    cache = ResponseCache(max_bytes=64 * 1024)
    body = b"x" * 1000  # a step-2 request is a few kB
    for quote_id in range(100):
        cache.remember_read(quote_id, QuoteRead(key(body=body + b"%d" % quote_id), "quote", "{ id }", ()))
        assert cache.read_bytes <= cache.max_read_bytes
    latest = Viewer(**{**ALICE.__dict__, "data_version": 8})
    assert cache.prime(latest, "fr", 99, "{ id }", lambda alias: b"{}", data_version=8, depends_on={}) == 1
    assert cache.prime(latest, "fr", 0, "{ id }", lambda alias: b"{}", data_version=8, depends_on={}) == 0  # forgotten
