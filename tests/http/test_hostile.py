"""Hostile input over real HTTP.

- Generated operations (hypothesis-graphql) of the served schema, queries and mutations, sent
  as demo-alice with ids that are hers, the other partner's (demo-mallory's), forged or random,
  and strings that are random, too long, empty, NUL or look like injections: no answer is a
  5xx, a masked bug ("Unexpected error.") or a trace, none holds anything of the other partner,
  and the other partner's data is unchanged afterwards (personalData, the access to a person's
  data, is generated on its own, with an email of the other partner's among the strings).
- Requests that are not a GraphQL operation: batches, JSON that is not an object, bodies that
  are not UTF-8 or not JSON, oversized bodies, too deep or too many aliases: a 4xx with a
  GraphQL error body that says what is wrong.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os

import graphql
import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import mutations, queries

from schema.ids import encode_id
from contacts.models import Contact, ContactAssignment, ContactSource, Enterprise, Quote, QuoteLine, User

EXAMPLES = int(os.environ.get("HOSTILE_EXAMPLES", "150"))  # per backend; ~5 s
TYPES = ("Quote", "Contact", "Enterprise", "ContactAssignment", "QuoteLine", "Product", "User", "Viewer")
# What a trace or a masked bug would show.
LEAKS = ("Traceback", 'File "/', "tortoise.", "asyncpg", "sqlite3", "Unexpected error.", "INTERNAL_SERVER_ERROR")
STRINGS = (
    "", " ", "Dupont", "é" * 101, "x" * 255, "a@b.fr", "not-an-email", "06 12 34 56 78", "+33 1 42 86 82 00", "0000",
    "\x00", "nul\x00inside", "Robert'); DROP TABLE contact;--", "<script>alert(1)</script>", "🙂🙂", "\u202e",
    "%s%s%n", "../../etc/passwd", "NaN", "-1", "99999999999999999999",
    # A person's data is looked up (and erased) by email: this one is the other partner's contact's,
    # which Alice must neither see nor erase.
    "paul.lacroix@hotel-du-lac.fr",
)
# personalData refuses an invalid email with a top-level error, and its result is non-null: a
# query that also asks for it with random text loses all its data. It is generated on its own.
LOOKUP = ["personalData"]


async def _snapshot(partner_id: int) -> dict:
    """Everything of a partner that Alice must not change."""
    enterprises = await Enterprise.filter(id=partner_id) + await Enterprise.filter(partner_id=partner_id)
    ids = [e.id for e in enterprises]
    quotes = await Quote.filter(partner_id=partner_id).order_by("id")
    return {
        "enterprises": [(e.id, e.name) for e in enterprises],
        "contacts": [
            (c.id, c.last_name, c.first_name, c.email, c.phone, c.role)
            for c in await Contact.filter(enterprise_id__in=ids).order_by("id")
        ],
        "quotes": [(q.id, q.status, q.version) for q in quotes],
        "assignments": [
            (a.id, a.contact_id, a.on_site, a.delivery, a.tracking, a.last_name)
            for a in await ContactAssignment.filter(quote_id__in=[q.id for q in quotes]).order_by("id")
        ],
    }


@pytest.fixture
async def hostile(api):
    """The demo data, plus an assignment on each partner's draft, and both partners' ids."""
    alice = await User.get(username="demo-alice")
    mallory = await User.get(username="demo-mallory")
    ids: dict[str, list[str]] = {}
    secrets: list[str] = []
    own: list[str] = []
    for name, user in (("alice", alice), ("mallory", mallory)):
        partner = await Enterprise.get(id=user.partner_id)
        enterprises = [partner, *await Enterprise.filter(partner_id=partner.id)]
        contacts = await Contact.filter(enterprise_id__in=[e.id for e in enterprises])
        quotes = await Quote.filter(partner_id=partner.id)
        draft = next(q for q in quotes if q.status == "DRAFT")
        client_contact = next(c for c in contacts if c.enterprise_id == draft.client_id)
        await ContactAssignment.create(quote_id=draft.id, contact_id=client_contact.id, source=ContactSource.CLIENT, tracking=True)
        assignments = await ContactAssignment.filter(quote_id__in=[q.id for q in quotes])
        lines = await QuoteLine.filter(quote_id__in=[q.id for q in quotes])
        ids[name] = (
            [encode_id("Enterprise", e.id) for e in enterprises]
            + [encode_id("Contact", c.id) for c in contacts]
            + [encode_id("Quote", q.id) for q in quotes]
            + [encode_id("ContactAssignment", a.id) for a in assignments]
            + [encode_id("QuoteLine", line.id) for line in lines]
        )
        ids[f"{name} quotes"] = [encode_id("Quote", q.id) for q in quotes]
        names = [e.name for e in enterprises] + [q.reference for q in quotes] + [user.name, user.email]
        names += [value for c in contacts for value in (c.last_name, c.email, c.phone) if value]
        (secrets if name == "mallory" else own).extend(names)
    pages = await api(
        "{ quotes(first: 1) { pageInfo { endCursor } } enterprises(first: 1) { pageInfo { endCursor } "
        "edges { node { contacts(first: 1) { pageInfo { endCursor } } } } } }"
    )
    cursors = [pages["quotes"]["pageInfo"]["endCursor"], pages["enterprises"]["pageInfo"]["endCursor"],
               pages["enterprises"]["edges"][0]["node"]["contacts"]["pageInfo"]["endCursor"]]
    return {"ids": ids, "secrets": secrets, "own": own, "cursors": [c for c in cursors if c],
            "mallory_partner": mallory.partner_id, "client": api}


def _id_values(ids: dict[str, list[str]]) -> st.SearchStrategy[graphql.StringValueNode]:
    forged = st.builds(encode_id, st.sampled_from(TYPES), st.integers(min_value=-5, max_value=2**40))
    junk = st.one_of(
        st.binary(max_size=24).map(lambda b: base64.b64encode(b).decode()),
        st.text(max_size=30),
        st.sampled_from(["", "UXVvdGU6", "UXVvdGU6MQ", "Quote:1", "=" * 70, base64.b64encode(b"Quote:1\x00").decode()]),
    )
    alice, quotes = st.sampled_from(ids["alice"]), st.sampled_from(ids["alice quotes"])
    return st.one_of(quotes, quotes, alice, alice, st.sampled_from(ids["mallory"]), forged, junk).map(
        lambda value: graphql.StringValueNode(value=value)
    )


def _string_values(cursors: list[str]) -> st.SearchStrategy[graphql.StringValueNode]:
    """Random text, awkward strings, and real page cursors (else `after` is almost never valid)."""
    return st.one_of(st.text(max_size=120), st.sampled_from(STRINGS), st.sampled_from(cursors)).map(
        lambda value: graphql.StringValueNode(value=value)
    )


def _int_values() -> st.SearchStrategy[graphql.IntValueNode]:
    """Mostly page sizes that are allowed (so that data comes back), sometimes any 32-bit int."""
    small = st.integers(min_value=0, max_value=100)
    return st.one_of(small, small, small, st.integers(min_value=-(2**31), max_value=2**31 - 1)).map(
        lambda value: graphql.IntValueNode(value=str(value))
    )


async def test_generated_operations_never_crash_nor_leak(hostile):
    http = hostile["client"].http  # the service in this process
    headers = {"Authorization": "Bearer demo-alice"}
    mallory_before = await _snapshot(hostile["mallory_partner"])
    introspection = (await http.post("/graphql", json={"query": graphql.get_introspection_query()}, headers=headers)).json()
    loop = asyncio.get_running_loop()

    def post(document: str, sent: dict) -> httpx.Response:
        """From hypothesis's thread: the request runs on the test's loop, where the service is."""
        return asyncio.run_coroutine_threadsafe(http.post("/graphql", json={"query": document}, headers=sent), loop).result(60)

    schema = graphql.build_client_schema(introspection["data"])
    scalars = {"ID": _id_values(hostile["ids"]), "String": _string_values(hostile["cursors"]), "Int": _int_values()}
    reads = queries(schema, fields=[name for name in schema.query_type.fields if name not in LOOKUP], custom_scalars=scalars)
    operations = st.one_of(reads, reads, mutations(schema, custom_scalars=scalars))
    lookups = queries(schema, fields=LOOKUP, custom_scalars=scalars)
    secrets = [s.lower() for s in hostile["secrets"]]
    own = [s.lower() for s in hostile["own"]]
    mallory_ids, alice_ids = hostile["ids"]["mallory"], hostile["ids"]["alice"]
    seen: dict[int | str, int] = {}

    def check(document: str, language: str | None) -> None:
        sent = dict(headers)
        if language:
            sent["Accept-Language"] = language
        response = post(document, sent)
        seen[response.status_code] = seen.get(response.status_code, 0) + 1
        text = response.text
        assert response.status_code in (200, 400), f"HTTP {response.status_code} for\n{document}\n{text[:500]}"
        body = response.json()
        assert "data" in body or "errors" in body, text[:500]
        for leak in LEAKS:
            assert leak not in text, f"{leak!r} shown for\n{document}\n{text[:1000]}"
        shown = json.dumps(body, ensure_ascii=False).lower()
        for secret in secrets:  # (personalData's report repeats the email it was asked)
            assert secret not in shown or secret in document.lower(), f"the other partner's {secret!r} shown for\n{document}"
        if any(name in shown for name in own) or any(gid in text and gid not in document for gid in alice_ids):
            seen["own data"] = seen.get("own data", 0) + 1
        for gid in mallory_ids:
            assert gid not in text or gid in document, f"the other partner's id {gid} shown for\n{document}"

    languages = st.sampled_from([None, "en", "fr-FR", "en;q=0.5, fr;q=0.9", "*", "x" * 300])
    for strategy, examples in ((operations, EXAMPLES), (lookups, EXAMPLES // 5)):
        run = given(document=strategy, language=languages)(check)
        run = settings(max_examples=examples, deadline=None, database=None, suppress_health_check=list(HealthCheck))(run)
        await asyncio.to_thread(run)
    assert await _snapshot(hostile["mallory_partner"]) == mallory_before
    assert seen.get(200, 0) >= (EXAMPLES + EXAMPLES // 5) // 4, seen  # most operations did run (not all refused up front)
    # The same look would have caught the other partner's data: Alice's own is often shown.
    assert seen.get("own data", 0) >= EXAMPLES // 20, seen


# --- Requests that are not an operation -----------------------------------------------------


DEEP = "{ quotes { edges { node { client { contacts { edges { node { enterprise { contacts { edges { node { id } } } } } } } } } } } }"
ALIASES = "{ " + " ".join(f"a{i}: viewer {{ name }}" for i in range(31)) + " }"
JSON = {"Content-Type": "application/json"}


@pytest.mark.parametrize(
    ("label", "request_kwargs", "status", "says"),
    [
        ("batch", {"json": [{"query": "{ viewer { name } }"}, {"query": "{ viewer { name } }"}]}, 400, "Batched requests"),
        ("empty batch", {"json": []}, 400, "Batched requests"),
        ("JSON string", {"content": b'"{ viewer { name } }"', "headers": JSON}, 400, "JSON object"),
        ("JSON number", {"content": b"42", "headers": JSON}, 400, "JSON object"),
        ("JSON null", {"content": b"null", "headers": JSON}, 400, "JSON object"),
        ("not UTF-8", {"content": b'{"query": "{ viewer { name } }\xff"}', "headers": JSON}, 400, "not UTF-8"),
        ("malformed", {"content": b'{"query": "{ viewer', "headers": JSON}, 400, "Unable to parse request body as JSON"),
        ("deeply nested JSON", {"content": b'{"variables": ' + b"[" * 40_000 + b"]" * 40_000 + b"}", "headers": JSON}, 400, "JSON"),
        ("no query", {"json": {"variables": {}}}, 400, "No GraphQL query"),
        ("query not a string", {"json": {"query": {"viewer": "name"}}}, 400, "`query` must be a string"),
        ("operationName not a string", {"json": {"query": "{ viewer { name } }", "operationName": 1}}, 400, "`operationName` must be"),
        ("text/plain", {"content": b'{"query": "{ viewer { name } }"}', "headers": {"Content-Type": "text/plain"}}, 415, "content type"),
        ("no content type", {"content": b'{"query": "{ viewer { name } }"}'}, 415, "Content-Type: application/json"),
        ("latin-1", {"content": b'{"query": "{ viewer { name } }"}', "headers": {"Content-Type": "application/json; charset=iso-8859-1"}}, 415, "UTF-8"),
        ("subscription", {"json": {"query": "subscription { quoteContactsChanged(quoteId: \"x\") { kind } }"}}, 400, "WebSocket"),
        ("oversized", {"content": b'{"query": "' + b" " * 120_000 + b'{ viewer { name } }"}', "headers": JSON}, 413, "larger than"),
    ],
)
async def test_requests_that_are_not_an_operation_get_a_clear_4xx(api, label, request_kwargs, status, says):
    """Requests that are not well-formed GraphQL over HTTP: a 4xx whatever the Accept header."""
    for accept in ("application/graphql-response+json", "application/json"):
        kwargs = dict(request_kwargs)  # the same parameters serve each backend
        headers = {"Authorization": "Bearer demo-alice", "Accept": accept, **kwargs.pop("headers", {})}
        response = await api.http.post("/graphql", headers=headers, **kwargs)
        assert response.status_code == status, (label, accept, response.status_code, response.text[:300])
        if status != 413:  # refused by the body limit, before the endpoint
            assert response.headers["content-type"].startswith(accept)
        body = response.json()
        assert body.get("data") is None and says in body["errors"][0]["message"], body
        assert not any(leak in response.text for leak in LEAKS)
    # ...and the server goes on serving.
    assert (await api("{ viewer { name } }"))["viewer"]["name"] == "Alice Durand"


@pytest.mark.parametrize(
    ("label", "query", "says"),
    [
        ("syntax", "{" * 5000, "Syntax Error"),
        ("too deep", DEEP, "at most 10"),
        ("31 aliases", ALIASES, "at most 30"),
        ("unknown field", "{ viewer { shoeSize } }", "shoeSize"),
        ("unknown operation", "query A { viewer { name } }", "Unknown operation"),
    ],
)
async def test_documents_that_do_not_parse_or_validate_are_request_errors(api, label, query, says):
    """GraphQL request errors (nothing ran): 400 and no `data` entry for a client that accepts
    application/graphql-response+json; 200 for a legacy application/json client, as the
    GraphQL-over-HTTP spec says; but a document over a limit (depth, aliases, tokens) is
    refused with 400 whatever the client accepts."""
    payload = {"query": query, **({"operationName": "B"} if label == "unknown operation" else {})}
    legacy = 400 if label in ("too deep", "31 aliases") else 200
    for accept, status in (("application/graphql-response+json", 400), ("application/json", legacy), ("*/*", legacy)):
        headers = {"Authorization": "Bearer demo-alice", "Accept": accept}
        response = await api.http.post("/graphql", json=payload, headers=headers)
        assert response.status_code == status, (label, accept, response.status_code, response.text[:300])
        assert response.headers["content-type"].startswith(accept.replace("*/*", "application/json"))
        body = response.json()
        assert "data" not in body and says in body["errors"][0]["message"], body
