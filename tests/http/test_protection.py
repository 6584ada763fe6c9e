"""Protection of the endpoint over real HTTP: operation limits, body size, bad requests, masked bugs."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from graphql import get_introspection_query

from tests.support.api import demo_of
from contacts import db

# Ten levels, the root field counting as level 1.
TEN = """query($id: ID!) { quote(id: $id) { client { contacts { edges { node {
  enterprise { contacts { edges { node { id } } } } } } } } } }"""
ELEVEN = TEN.replace("node { id }", "node { enterprise { id } }")
ELEVEN_BY_FRAGMENTS = """query($id: ID!) { quote(id: $id) { ...Q } }
fragment Q on Quote { client { contacts { edges { node { ... on Contact { ...C } } } } } }
fragment C on Contact { enterprise { contacts { edges { node { enterprise { id } } } } } }"""


def aliases(count: int) -> str:
    return "{ " + " ".join(f"a{i}: contactFunctions {{ function }}" for i in range(count)) + " }"


def spreads(count: int) -> str:
    """A fragment of ten aliases, spread `count` times."""
    fragment = "fragment Ten on Query { " + " ".join(f"b{i}: __typename" for i in range(10)) + " }"
    return "{" + " ...Ten" * count + " } " + fragment


def top_error(response: httpx.Response) -> str:
    body = response.json()
    assert body.get("data") is None, body
    assert len(body["errors"]) >= 1
    return body["errors"][0]["message"]


async def test_operation_limits(api):
    demo = await demo_of(api)
    variables = {"id": demo.full}

    data = await api(TEN, variables)
    assert data["quote"]["client"]["contacts"]["edges"]
    for query in (ELEVEN, ELEVEN_BY_FRAGMENTS, ELEVEN):  # the second time from the validation cache
        message = top_error(await api.post(query, variables))
        assert "10" in message and "deep" in message

    # Aliases: 30 pass, 31 do not; a fragment's aliases count at each spread.
    assert len(await api(aliases(30))) == 30
    assert "30" in top_error(await api.post(aliases(31)))
    assert len(await api(spreads(3))) == 10  # 3 x 10 aliases of the same fields: 30
    assert "30" in top_error(await api.post(spreads(4)))

    # Too many tokens, though the body is small enough.
    many = "{ viewer { " + "name " * 6000 + "} }"
    assert len(many) < 100_000
    assert top_error(await api.post(many))

    # Introspection is exempt from the depth limit (its type references nest deeper than 10).
    schema = await api(get_introspection_query(descriptions=True))
    names = {t["name"] for t in schema["__schema"]["types"]}
    assert {"Quote", "ContactAssignment", "ErrorCode"} <= names
    # ...but not a real query hidden behind an introspection-looking alias.
    hidden = ELEVEN.replace("quote(id: $id)", "__deep: quote(id: $id)")
    assert (await api.post(hidden, variables)).json().get("errors")


async def test_bad_requests_are_told_plainly(api):
    # GraphQL syntax and validation errors are shown as they are, not masked.
    syntax = top_error(await api.post("{ viewer { name }"))
    assert syntax.startswith("Syntax Error") and "Unexpected error" not in syntax
    unknown = top_error(await api.post("{ viewer { shoeSize } }"))
    assert "shoeSize" in unknown and "Viewer" in unknown
    wrong_type = (await api.post("query($id: ID!) { quote(id: $id) { id } }", {"id": 12.5})).json()
    assert wrong_type["errors"] and "$id" in wrong_type["errors"][0]["message"]

    # Malformed JSON: 400 with a message that says so.
    response = await api.http.post(
        "/graphql", content=b'{"query": "{ viewer { name } }"', headers={"Authorization": "Bearer demo-alice", "Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert "Unable to parse request body as JSON" in response.text
    # JSON nested deeper than the decoder goes (small enough a body): the same, not a crash.
    deep = b'{"query": "{ viewer { name } }", "variables": {"a": ' + b"[" * 30_000 + b"]" * 30_000 + b"}}"
    response = await api.http.post(
        "/graphql", content=deep, headers={"Authorization": "Bearer demo-alice", "Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert "Unable to parse request body as JSON" in response.text

    # A body over the limit: 413, whether its length is announced or it comes in chunks.
    big = b'{"query": "{ viewer { name } }", "variables": {"pad": "' + b"x" * 150_000 + b'"}}'
    headers = {"Authorization": "Bearer demo-alice", "Content-Type": "application/json"}
    response = await api.http.post("/graphql", content=big, headers=headers)
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"

    async def chunks():
        for start in range(0, len(big), 16_384):
            yield big[start:start + 16_384]

    response = await api.http.post("/graphql", content=chunks(), headers=headers)
    assert response.status_code == 413

    # A query by GET works too (the GraphiQL page is for browsers).
    response = await api.http.get("/graphql", params={"query": "{ viewer { name } }"}, headers={"Authorization": "Bearer demo-bob"})
    assert response.status_code == 200 and response.json()["data"]["viewer"]["name"] == "Bob Lefèvre"


async def test_unexpected_error_is_masked_and_logged(api, caplog):
    """A database table gone behind the service's back: a bug as the caller sees it."""
    headers = {"X-Request-ID": "req-masked-1"}
    assert (await api("{ quotes { edges { node { reference lines { id } } } } }"))["quotes"]["edges"]
    await db.run('ALTER TABLE "quote_line" RENAME TO "quote_line_gone"')
    try:
        # Another document than the one above: the response cache (which trusts the data version
        # that every write through the API raises) has no answer for it.
        response = await api.post("{ quotes { edges { node { id lines { id } } } } }", headers=headers)
    finally:
        await db.run('ALTER TABLE "quote_line_gone" RENAME TO "quote_line"')
    body = response.json()
    assert {e["message"] for e in body["errors"]} == {"Unexpected error."}
    assert body["errors"][0]["extensions"] == {"code": "INTERNAL_SERVER_ERROR", "requestId": "req-masked-1"}
    assert "quote_line" not in response.text and "Traceback" not in response.text
    assert response.headers["x-request-id"] == "req-masked-1"
    [logged] = [r for r in caplog.records if r.name == "schema.errors"]
    assert "req-masked-1" in logged.getMessage() and "quote_line" in str(logged.exc_info[1])


NPM_FOLDER = Path(__file__).resolve().parents[2] / "frontend_stub" / "types" / "node_modules"


@pytest.mark.skipif(not (NPM_FOLDER / "graphql" / "package.json").is_file(),
                    reason="the npm packages of frontend_stub/types/ are not installed (make test installs them)")
async def test_the_npm_packages_beside_the_screen_are_not_served(api):
    assert (await api.http.get("/types/package.json")).status_code == 200  # the typed operations are
    assert (await api.http.get("/types/node_modules/graphql/package.json")).status_code == 404
