"""Hostile input over real HTTP.

- Generated operations (hypothesis-graphql) of the served schema, queries and mutations, sent
  as demo-alice with ids that are hers, the other partner's (demo-mallory's), forged or random,
  and strings that are random, too long, empty, NUL or look like injections, their values
  written in the document or moved to `variables`, where JSON can carry any Unicode edge case
  (lone surrogates, zero-width and bidirectional marks, combining characters...): no answer is
  a 5xx, a masked bug ("Unexpected error.") or a trace, none holds anything of the other
  partner, and the other partner's data is unchanged afterwards (personalData, the access to a
  person's data, is generated on its own, with an email of the other partner's among the
  strings).
- Requests that are not a GraphQL operation: batches, JSON that is not an object, bodies that
  are not UTF-8 or not JSON, oversized bodies, too deep or too many aliases: a 4xx with a
  GraphQL error body that says what is wrong.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import re

import graphql
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import mutations, queries

from schema.ids import encode_id
from contacts.models import Contact, ContactAssignment, ContactSource, Enterprise, Quote, QuoteLine, User

# Generated from text that the two databases treat differently: run on each (tests/http/conftest.py).
both_databases = True
EXAMPLES = int(os.environ.get("HOSTILE_EXAMPLES", "150"))  # generated once (~5 s), sent on each database (~2 s)
# Text that JSON can carry and a GraphQL literal cannot (lone surrogates), or that looks empty,
# reversed or longer than it is.
UNICODE_EDGES = (
    "\ud800", "\udfff", "x\ud83d", "\ude42y", "🙂", "\u200b", "\u200b\u200c\u200d\u2060\ufeff", "\u202e\u202d",
    "e\u0301\u0301\u0301", "\x00", "\U0010ffff", "\ufffe", "İß\ufb01", "\u2028\u2029", "\u00a0\u3000", "𝔸" * 50,
)
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


# The operations are generated once per process and sent on each database: what differs between
# the two (ids, page cursors) is drawn as a placeholder, "\ue000<list>:<n>\ue001", each list's
# n-th value on the database the operation is sent to.
PLACEHOLDER = re.compile("\ue000([a-z ]+):(\\d+)\ue001")


def _placeholder(name: str, size: int) -> st.SearchStrategy[str]:
    return st.integers(min_value=0, max_value=size - 1).map(lambda n: f"\ue000{name}:{n}\ue001")


def _id_values(sizes: dict[str, int]) -> st.SearchStrategy[graphql.StringValueNode]:
    forged = st.builds(encode_id, st.sampled_from(TYPES), st.integers(min_value=-5, max_value=2**40))
    junk = st.one_of(
        st.binary(max_size=24).map(lambda b: base64.b64encode(b).decode()),
        st.text(max_size=30),
        st.sampled_from(["", "UXVvdGU6", "UXVvdGU6MQ", "Quote:1", "=" * 70, base64.b64encode(b"Quote:1\x00").decode()]),
    )
    alice, quotes = _placeholder("alice", sizes["alice"]), _placeholder("alice quotes", sizes["alice quotes"])
    return st.one_of(quotes, quotes, alice, alice, _placeholder("mallory", sizes["mallory"]), forged, junk).map(
        lambda value: graphql.StringValueNode(value=value)
    )


def _string_values(cursors: int) -> st.SearchStrategy[graphql.StringValueNode]:
    """Random text, awkward strings, and real page cursors (else `after` is almost never valid)."""
    return st.one_of(st.text(max_size=120), st.sampled_from(STRINGS), _placeholder("cursors", cursors)).map(
        lambda value: graphql.StringValueNode(value=value)
    )


def _filled(value: object, lists: dict[str, list[str]]) -> object:
    """`value` with its placeholders replaced by the values they stand for."""
    if isinstance(value, str):
        return PLACEHOLDER.sub(lambda m: lists[m[1]][int(m[2])], value)
    if isinstance(value, list):
        return [_filled(v, lists) for v in value]
    if isinstance(value, dict):
        return {k: _filled(v, lists) for k, v in value.items()}
    return value


def _int_values() -> st.SearchStrategy[graphql.IntValueNode]:
    """Mostly page sizes that are allowed (so that data comes back), sometimes any 32-bit int."""
    small = st.integers(min_value=0, max_value=100)
    return st.one_of(small, small, small, st.integers(min_value=-(2**31), max_value=2**31 - 1)).map(
        lambda value: graphql.IntValueNode(value=str(value))
    )


def _type_node(of_type: graphql.GraphQLInputType) -> graphql.TypeNode:
    if isinstance(of_type, graphql.GraphQLNonNull):
        return graphql.NonNullTypeNode(type=_type_node(of_type.of_type))
    if isinstance(of_type, graphql.GraphQLList):
        return graphql.ListTypeNode(type=_type_node(of_type.of_type))
    return graphql.NamedTypeNode(name=graphql.NameNode(value=of_type.name))


def lifted(schema: graphql.GraphQLSchema, document: graphql.DocumentNode) -> tuple[graphql.DocumentNode, dict]:
    """The document with every argument's value moved into a variable of the argument's type,
    and those variables' values."""
    type_info = graphql.TypeInfo(schema)
    variables: dict[str, object] = {}
    definitions: list[graphql.VariableDefinitionNode] = []

    class Lift(graphql.Visitor):
        def enter_argument(self, node, *args):
            of_type = type_info.get_input_type()
            if of_type is None or isinstance(node.value, graphql.VariableNode):
                return None
            name = f"v{len(variables)}"
            variables[name] = graphql.value_from_ast_untyped(node.value)
            variable = graphql.VariableNode(name=graphql.NameNode(value=name))
            definitions.append(graphql.VariableDefinitionNode(variable=variable, type=_type_node(of_type)))
            return graphql.ArgumentNode(name=node.name, value=variable)

        def leave_operation_definition(self, node, *args):
            return graphql.OperationDefinitionNode(
                operation=node.operation, name=node.name, variable_definitions=tuple(definitions),
                directives=node.directives, selection_set=node.selection_set,
            )

    return graphql.visit(document, graphql.TypeInfoVisitor(type_info, Lift())), variables


def with_unicode_edges(value: object, draw) -> object:
    """`value` with some of its strings, anywhere in it, replaced by or mixed with UNICODE_EDGES."""
    if isinstance(value, str):
        how = draw(st.integers(min_value=0, max_value=3))
        edge = draw(st.sampled_from(UNICODE_EDGES))
        return value if how == 0 else edge if how == 1 else value + edge if how == 2 else edge + value
    if isinstance(value, list):
        return [with_unicode_edges(v, draw) for v in value]
    if isinstance(value, dict):
        return {k: with_unicode_edges(v, draw) for k, v in value.items()}
    return value


Request = tuple[str, dict, "str | None"]  # a document, its variables, an Accept-Language
_generated: dict[tuple, list[Request]] = {}


def _requests(schema: graphql.GraphQLSchema, sizes: dict[str, int], cursors: int) -> list[Request]:
    """The generated operations (the same on every run: derandomized), with placeholders for ids
    and cursors; made once per process for both databases. Their values are in the document or
    moved to `variables`, some of their strings mixed with UNICODE_EDGES."""
    key = (graphql.print_schema(schema), tuple(sorted(sizes.items())), cursors, EXAMPLES)
    if key in _generated:
        return _generated[key]
    scalars = {"ID": _id_values(sizes), "String": _string_values(cursors), "Int": _int_values()}
    as_nodes = {"custom_scalars": scalars, "print_ast": lambda node: node}
    reads = queries(schema, fields=[name for name in schema.query_type.fields if name not in LOOKUP], **as_nodes)
    operations = st.one_of(reads, reads, mutations(schema, **as_nodes))
    lookups = queries(schema, fields=LOOKUP, **as_nodes)
    languages = st.sampled_from([None, "en", "fr-FR", "en;q=0.5, fr;q=0.9", "*", "x" * 300])
    made: list[Request] = []

    def keep(node: graphql.DocumentNode, language: str | None, in_variables: bool, data) -> None:
        variables: dict = {}
        if in_variables:
            node, variables = lifted(schema, node)
            variables = with_unicode_edges(variables, data.draw)
        made.append((graphql.print_ast(node), variables, language))

    for strategy, examples in ((operations, EXAMPLES), (lookups, EXAMPLES // 5)):
        run = given(node=strategy, language=languages, in_variables=st.sampled_from([False, True, True]), data=st.data())(keep)
        # derandomize: the same examples on every run, so the counts below do not depend on luck.
        run = settings(max_examples=examples, deadline=None, database=None, derandomize=True,
                       suppress_health_check=list(HealthCheck))(run)
        run()
    _generated[key] = made
    return made


async def test_generated_operations_never_crash_nor_leak(hostile):
    http = hostile["client"].http  # the service in this process
    headers = {"Authorization": "Bearer demo-alice"}
    mallory_before = await _snapshot(hostile["mallory_partner"])
    introspection = (await http.post("/graphql", json={"query": graphql.get_introspection_query()}, headers=headers)).json()
    schema = graphql.build_client_schema(introspection["data"])
    lists = {**hostile["ids"], "cursors": hostile["cursors"]}
    sizes = {name: len(values) for name, values in hostile["ids"].items() if name != "mallory quotes"}
    requests = await asyncio.to_thread(_requests, schema, sizes, len(hostile["cursors"]))
    secrets = [s.lower() for s in hostile["secrets"]]
    own = [s.lower() for s in hostile["own"]]
    mallory_ids, alice_ids = hostile["ids"]["mallory"], hostile["ids"]["alice"]
    seen: dict[int | str, int] = {}

    for document, variables, language in requests:
        document, variables = _filled(document, lists), _filled(variables, lists)
        sent = {**headers, "Content-Type": "application/json"}
        if language:
            sent["Accept-Language"] = language
        payload = json.dumps({"query": document, "variables": variables})  # ASCII: any text, as escapes
        asked = (document + json.dumps(variables, ensure_ascii=False)).lower()  # what the request itself says
        assert not PLACEHOLDER.search(asked), asked
        response = await http.post("/graphql", content=payload.encode(), headers=sent)
        seen[response.status_code] = seen.get(response.status_code, 0) + 1
        if variables:
            seen["variables"] = seen.get("variables", 0) + 1
        text = response.text
        assert response.status_code in (200, 400), f"HTTP {response.status_code} for\n{payload}\n{text[:500]}"
        try:
            json.dumps(variables, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:  # half a character somewhere: told so, with a 400
            assert response.status_code == 400 and "surrogate" in text, f"{payload}\n{text[:300]}"
            seen["lone surrogate"] = seen.get("lone surrogate", 0) + 1
        body = response.json()
        assert "data" in body or "errors" in body, text[:500]
        for leak in LEAKS:
            assert leak not in text, f"{leak!r} shown for\n{document}\n{text[:1000]}"
        shown = json.dumps(body, ensure_ascii=False).lower()
        for secret in secrets:  # (personalData's report repeats the email it was asked)
            assert secret not in shown or secret in asked, f"the other partner's {secret!r} shown for\n{payload}"
        if any(name in shown for name in own) or any(gid in text and gid.lower() not in asked for gid in alice_ids):
            seen["own data"] = seen.get("own data", 0) + 1
        for gid in mallory_ids:
            assert gid not in text or gid.lower() in asked, f"the other partner's id {gid} shown for\n{payload}"

    assert await _snapshot(hostile["mallory_partner"]) == mallory_before
    assert seen.get(200, 0) >= (EXAMPLES + EXAMPLES // 5) // 4, seen  # most operations did run (not all refused up front)
    assert seen.get("variables", 0) >= EXAMPLES // 5, seen  # values sent as variables too
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


# --- Lone UTF-16 surrogates -----------------------------------------------------------------
# JSON can carry half a character ("\ud800"), which no UTF-8 can: before, it gave a plain-text
# 500 in operationName or an enum variable, "Unexpected error." in a typed-in text or a search,
# and no answer at all as a WebSocket operation's id.

ADHOC_MUTATION = "mutation($input: AssignAdhocContactInput!) { assignAdhocContact(input: $input) { userErrors { code } } }"
SURROGATE_PAYLOADS = {
    "operationName": lambda demo: {"query": "query A { viewer { name } }", "operationName": "A\ud800"},
    "enum variable": lambda demo: {"query": "query($s: QuoteStatus) { quotes(status: $s) { edges { node { id } } } }",
                                   "variables": {"s": "\ud800"}},
    "typed-in text": lambda demo: {"query": ADHOC_MUTATION, "variables": {"input": {
        "quoteId": demo.full, "lastName": "Dupont\udfff", "email": "a@b.fr", "phone": "0611223344", "role": "Gardien"}}},
    "search": lambda demo: {"query": "query($s: String) { enterprises(search: $s) { edges { node { id } } } }",
                            "variables": {"s": "\ud800"}},
    "variable name": lambda demo: {"query": "{ viewer { name } }", "variables": {"\udc00": 1}},
    "extensions": lambda demo: {"query": "{ viewer { name } }", "extensions": {"x": ["\ud800"]}},
    "document": lambda demo: {"query": "{ viewer { name } } # \ud800"},
}


@pytest.mark.parametrize("label", SURROGATE_PAYLOADS)
async def test_a_lone_surrogate_anywhere_gets_a_400_that_says_so(api, label):
    from tests.support.api import demo_of

    payload = SURROGATE_PAYLOADS[label](await demo_of(api))
    body = json.dumps(payload).encode()  # ASCII: the surrogate as the escape \ud800
    for accept in ("application/graphql-response+json", "application/json"):
        headers = {"Authorization": "Bearer demo-alice", "Content-Type": "application/json", "Accept": accept}
        response = await api.http.post("/graphql", content=body, headers=headers)
        assert response.status_code == 400, (label, response.status_code, response.text[:300])
        error = response.json()["errors"][0]
        assert error["extensions"]["code"] == "BAD_REQUEST" and "surrogate" in error["message"], error
    if "variables" in payload:  # by GET too
        params = {"query": payload["query"], "variables": json.dumps(payload["variables"])}
        response = await api.http.get("/graphql", params=params, headers={"Authorization": "Bearer demo-alice"})
        assert response.status_code == 400 and "surrogate" in response.text, response.text[:300]


async def test_a_surrogate_pair_is_one_character_and_welcome(api):
    body = json.dumps({"query": "query($s: String) { enterprises(search: $s) { edges { node { id } } } }",
                       "variables": {"s": "🙂"}}).encode()  # \ud83d\ude42
    response = await api.http.post("/graphql", content=body, headers={"Authorization": "Bearer demo-alice", "Content-Type": "application/json"})
    assert response.status_code == 200 and response.json() == {"data": {"enterprises": {"edges": []}}}


@pytest.mark.parametrize("protocol", ["graphql-transport-ws", "graphql-ws"])
async def test_a_lone_surrogate_over_websocket_is_answered(api, protocol):
    from websockets.exceptions import ConnectionClosed

    from tests.support.wsclient import WAIT, LiveClient

    kind = "subscribe" if protocol == "graphql-transport-ws" else "start"
    async with await LiveClient.connect(api.url, "demo-alice", protocol=protocol) as live:
        query = "query($s: String) { enterprises(search: $s) { edges { node { id } } } }"
        if protocol == "graphql-ws":
            query = "subscription($s: ID!) { quoteContactsChanged(quoteId: $s) { kind } }"
        await live.ws.send(json.dumps({"id": "1", "type": kind, "payload": {"query": query, "variables": {"s": "\ud800"}}}))
        answer = await live.message_of("1", WAIT)
        assert answer["type"] == "error", answer
        error = answer["payload"][0] if isinstance(answer["payload"], list) else answer["payload"]
        assert error["extensions"]["code"] == "BAD_REQUEST" and "surrogate" in error["message"]
        # An id that is such text cannot be answered: the socket is closed as for any invalid message.
        await live.ws.send(json.dumps({"id": "\ud800", "type": kind, "payload": {"query": "{ viewer { name } }"}}))
        try:
            while True:
                await live.receive(WAIT)
        except ConnectionClosed as closed:
            assert closed.rcvd.code == 4400


async def test_a_search_longer_than_any_name_is_refused_plainly(api):
    """Before: a search of 50,000 characters was a masked bug on SQLite (its LIKE pattern limit)."""
    for search in ("x" * 50_000, "é" * 201):
        for query in ("query($s: String) { enterprises(search: $s) { edges { node { id } } } }",
                      "query($s: String) { enterprises { edges { node { contacts(search: $s) { edges { node { id } } } } } } }"):
            response = await api.post(query, {"s": search})
            assert response.status_code == 200, response.text[:300]
            error = response.json()["errors"][0]
            assert error["extensions"]["code"] == "BAD_USER_INPUT" and "200" in error["message"], error
    data = await api("query($s: String) { enterprises(search: $s) { edges { node { id } } } }", {"s": "é" * 200})
    assert data == {"enterprises": {"edges": []}}


MALFORMED_OPERATIONS = {
    "syntax error": {"query": "{ viewer {"},
    "too many tokens": {"query": "{ viewer { " + "a " * 6000 + "} }"},
    "over the cost": {"query": "{ " + "viewer { name } " * 600 + "}"},
    "unknown operation": {"query": "query A { viewer { name } }", "operationName": "B" * 300},
    "operationName not a string": {"query": "query A { viewer { name } }", "operationName": ["A"]},
    "query not a string": {"query": 12},
    "variables not an object": {"query": "query($s: String) { enterprises(search: $s) { edges { node { id } } } }", "variables": [1]},
    "variable of the wrong type": {"query": "query($n: Int) { quotes(first: $n) { edges { node { id } } } }", "variables": {"n": "x"}},
}


@pytest.mark.parametrize("protocol", ["graphql-transport-ws", "graphql-ws"])
@pytest.mark.parametrize("label", MALFORMED_OPERATIONS)
async def test_a_malformed_operation_over_websocket_is_answered(api, protocol, label, caplog):
    """Each gets an answer for its operation (an error), or the socket closed as for an invalid
    message (4400); never silence, and the connection serves what comes next."""
    from websockets.exceptions import ConnectionClosed

    from tests.support.wsclient import WAIT, LiveClient

    kind = "subscribe" if protocol == "graphql-transport-ws" else "start"
    async with await LiveClient.connect(api.url, "demo-alice", protocol=protocol) as live:
        await live.ws.send(json.dumps({"id": "bad", "type": kind, "payload": MALFORMED_OPERATIONS[label]}))
        try:
            answer = await live.message_of("bad", WAIT)
        except ConnectionClosed as closed:
            assert closed.rcvd.code == 4400, closed
        else:
            # An error for the operation, or a result that carries one (variables that do not coerce).
            assert answer["type"] == "error" or answer["payload"].get("errors"), answer
            if protocol == "graphql-transport-ws":  # and the socket goes on
                await live.ws.send(json.dumps({"id": "ok", "type": kind, "payload": {"query": "{ viewer { name } }"}}))
                assert (await live.result("ok"))["data"] == {"viewer": {"name": "Alice Durand"}}
    assert not [r for r in caplog.records if r.levelname == "ERROR"], [r.getMessage() for r in caplog.records]
