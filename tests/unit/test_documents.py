"""The documents of a schema (schema/documents.py) and the response cache (api/response_cache.py):
parsed at most MAX_TOKENS tokens, held to the limits before graphql-core validates them,
nothing refused kept, and what is kept bounded in bytes."""

from __future__ import annotations

import gc
import tracemalloc

from graphql import get_introspection_query

from api.response_cache import ResponseCache
from contacts.auth import Viewer
from schema import build_schema
from schema.documents import Documents, size_of
from schema.limits import Limits
from tests.support.api import QUOTE
from tests.support.hostile import aliased_introspection, duplicate_fields, fragment_fan_out, many_tokens

SCHEMA = build_schema()._schema


def test_nothing_refused_is_kept_and_each_is_told_why():
    documents = Documents(SCHEMA, Limits(), budget_bytes=32 * 1024 * 1024)
    refused = {
        "{ viewer { name }": "GRAPHQL_PARSE_FAILED",
        many_tokens(20_000): "TOO_MANY_TOKENS",
        fragment_fan_out(20): "QUERY_TOO_COSTLY",
        duplicate_fields(600): "QUERY_TOO_COSTLY",
        aliased_introspection(30): "QUERY_TOO_COSTLY",
        "{ viewer { shoeSize } }": "GRAPHQL_VALIDATION_FAILED",
    }
    for text, code in refused.items():
        for _ in range(2):
            prepared = documents.prepare(text)
            assert not prepared.valid and prepared.errors
            assert (prepared.errors[0].extensions or {}).get("code", code) == code, prepared.errors[0]
    assert len(documents) == 0 and documents.bytes == 0
    assert "more than 5000 tokens" in documents.prepare(many_tokens(20_000)).errors[0].message

    valid = documents.prepare(QUOTE)
    assert valid.valid and valid.operation(None).name.value == "Quote"
    assert documents.prepare(QUOTE) is valid and len(documents) == 1


def test_refused_documents_keep_no_memory():
    """Before: each refused 40 kB document kept about 12 MB (parsed up to 20,000 tokens into a
    cache of 1,024 entries)."""
    documents = Documents(SCHEMA, Limits(), budget_bytes=32 * 1024 * 1024)
    texts = [many_tokens(20_000 + i) for i in range(6)] + [fragment_fan_out(20 + i) for i in range(4)]
    documents.prepare(texts[0])  # whatever the first parse sets up once
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for text in texts:
            assert not documents.prepare(text).valid
        gc.collect()
        kept = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert kept < 256 * 1024, f"{kept} bytes kept by 10 refused documents"


def test_kept_documents_stay_within_their_byte_budget_least_recently_used_out():
    budget = 2 * 1024 * 1024
    documents = Documents(SCHEMA, Limits(), budget_bytes=budget)
    texts = [QUOTE.replace("query Quote", f"query Quote{i}") for i in range(100)]
    for text in texts:
        assert documents.prepare(text).valid
        assert documents.bytes <= budget
    assert 0 < len(documents) < 100
    kept = len(documents)
    documents.prepare(texts[-1])  # the newest is still there: nothing parsed, nothing dropped
    assert len(documents) == kept
    # A document larger than a quarter of the budget is answered, never kept.
    small = Documents(SCHEMA, Limits(), budget_bytes=64 * 1024)
    assert small.prepare(get_introspection_query(descriptions=True)).valid and len(small) == 0


def test_the_size_of_a_kept_document_is_not_underestimated():
    """What parsing and validating keep (the syntax tree, its locations): measured, it stays
    under the estimate (tests/http/test_limits.py measures it with the executor's part)."""
    documents = Documents(SCHEMA, Limits(), budget_bytes=32 * 1024 * 1024)
    fragments = "{ viewer { " + " ".join(f"...F{i}" for i in range(150)) + " } } " + " ".join(
        f"fragment F{i} on Viewer {{ name }}" for i in range(150))
    strings = "{ " + " ".join(f'q{i}: quote(id: "{"x" * 2000}") {{ id }}' for i in range(25)) + " }"
    for text in (QUOTE, get_introspection_query(descriptions=True), fragments, strings):
        gc.collect()
        tracemalloc.start()
        try:
            prepared = documents.prepare(text)
            gc.collect()
            held = tracemalloc.get_traced_memory()[0]
        finally:
            tracemalloc.stop()
        assert prepared.valid
        assert held <= size_of(prepared), (text[:40], held, size_of(prepared))


def test_the_response_cache_is_bounded_in_bytes():
    viewer = Viewer(1, "u", "U", "u@example.fr", 1, frozenset())
    cache = ResponseCache(max_entries=10_000, max_bytes=1024 * 1024)
    body = b"x" * 50_000
    for i in range(100):
        cache.put(cache.key(viewer, "fr", "POST", b'{"query": "%d"}' % i, "*/*"), 200, [(b"content-type", b"application/json")], body,
                  data_version=0)
        assert cache.bytes <= 1024 * 1024
    assert 10 <= len(cache) <= 20
    assert cache.get(cache.key(viewer, "fr", "POST", b'{"query": "99"}', "*/*"), viewer) is not None
    assert cache.get(cache.key(viewer, "fr", "POST", b'{"query": "0"}', "*/*"), viewer) is None
    # An answer over an eighth of the budget is not kept; one with a long request counts it.
    cache.put(cache.key(viewer, "fr", "POST", b"q", "*/*"), 200, [], b"x" * 200_000, data_version=0)
    assert cache.get(cache.key(viewer, "fr", "POST", b"q", "*/*"), viewer) is None
    long_request = b"y" * 100_000
    cache.put(cache.key(viewer, "fr", "POST", long_request, "*/*"), 200, [], b"{}", data_version=0)
    assert cache.bytes <= 1024 * 1024 and cache.get(cache.key(viewer, "fr", "POST", long_request, "*/*"), viewer) is not None
