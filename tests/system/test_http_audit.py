"""GraphQL over HTTP as the spec says, checked by the graphql-http audit suite (npm) against a
real server: no failed MUST (error) and no failed SHOULD (warning). Also the behaviour around
it that the audit does not look at: 405 with Allow for a mutation by GET, 406, 415, and the
response cache answering each Accept with its own media type.

`make test` installs the suite (`npm ci` in tests/system/http_audit) when npm is there."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.support.process import ServerProcess, api_server
from tests.support.tls import TLS

AUDIT = Path(__file__).resolve().parent / "http_audit"
NODE = shutil.which("node")


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory):
    """A server of its own over an SQLite file with the demo data, response cache on."""
    server = api_server(f"sqlite://{tmp_path_factory.mktemp('audit') / 'audit.sqlite3'}", demo=True)
    yield server
    server.stop()


@pytest.mark.skipif(NODE is None, reason="node is not installed: the graphql-http audit needs Node.js 18 or later")
@pytest.mark.skipif(
    not (AUDIT / "node_modules" / "graphql-http").is_dir(),
    reason="the graphql-http npm package is not installed: run `npm ci` in tests/system/http_audit (make test does)",
)
def test_graphql_http_audit_passes_without_failure_or_warning(demo_server):
    for _ in range(2):  # the second run is answered from the response cache where it can be
        run = subprocess.run(
            [NODE, str(AUDIT / "audit.mjs"), f"{demo_server.url}/graphql", "demo-alice"],
            capture_output=True, text=True, timeout=60,
        )
        lines = [json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")]
        assert lines and "summary" in lines[-1], run.stdout + run.stderr
        results, summary = lines[:-1], lines[-1]["summary"]
        not_ok = [r for r in results if r["status"] != "ok"]
        assert summary["error"] == 0 and summary["warn"] == 0, json.dumps(not_ok, indent=1, ensure_ascii=False)
        assert run.returncode == 0, run.stdout + run.stderr
        assert summary["ok"] >= 60 and len(results) == sum(summary.values())
        assert not not_ok, not_ok  # not even a notice (a MAY not taken)


def post(server: ServerProcess, body, accept: str | None = None, **headers) -> httpx.Response:
    headers = {"Authorization": "Bearer demo-alice", **({"Accept": accept} if accept else {}), **headers}
    if isinstance(body, (bytes, str)):
        return httpx.post(f"{server.url}/graphql", content=body, headers=headers, timeout=10, verify=TLS)
    return httpx.post(f"{server.url}/graphql", json=body, headers=headers, timeout=10, verify=TLS)


def test_get_runs_queries_only(demo_server):
    url = f"{demo_server.url}/graphql"
    auth = {"Authorization": "Bearer demo-alice"}
    ok = httpx.get(url, params={"query": "{ viewer { name } }"}, headers=auth)
    assert ok.status_code == 200 and ok.json() == {"data": {"viewer": {"name": "Alice Durand"}}}
    mutation = 'mutation { placeOrder(input: {quoteId: "x"}) { userErrors { code } } }'
    for accept in ("application/json", "application/graphql-response+json"):
        refused = httpx.get(url, params={"query": mutation}, headers={**auth, "Accept": accept})
        assert refused.status_code == 405 and refused.headers["allow"] == "POST"
        assert refused.headers["content-type"].startswith(accept)
        assert refused.json() == {"errors": [{"message": "Mutations are sent by POST: GET runs queries only.",
                                              "extensions": {"code": "METHOD_NOT_ALLOWED"}}]}
    # The same document names a query and a mutation: operationName decides.
    both = "query Q { viewer { name } } mutation M { placeOrder(input: {quoteId: \"x\"}) { userErrors { code } } }"
    assert httpx.get(url, params={"query": both, "operationName": "Q"}, headers=auth).status_code == 200
    assert httpx.get(url, params={"query": both, "operationName": "M"}, headers=auth).status_code == 405
    # Subscriptions are for the WebSocket, by GET or POST.
    subscription = 'subscription { quoteContactsChanged(quoteId: "x") { kind } }'
    for response in (httpx.get(url, params={"query": subscription}, headers=auth), post(demo_server, {"query": subscription})):
        assert response.status_code == 400 and "WebSocket" in response.json()["errors"][0]["message"]
    # The browser's GraphiQL page needs no token; anything else without a query is told so.
    assert httpx.get(url, headers={"Accept": "text/html"}).headers["content-type"].startswith("text/html")
    no_query = httpx.get(url, headers={**auth, "Accept": "*/*"})
    assert no_query.status_code == 400 and "No GraphQL query" in no_query.json()["errors"][0]["message"]


def test_media_types(demo_server):
    query = {"query": "{ viewer { name } }"}
    expected = {"data": {"viewer": {"name": "Alice Durand"}}}
    for accept, media_type in (
        (None, "application/json"),
        ("*/*", "application/json"),
        ("application/json", "application/json"),
        ("application/graphql-response+json", "application/graphql-response+json"),
        ("application/graphql-response+json, application/json;q=0.9", "application/graphql-response+json"),  # Apollo Client
        ("application/json, multipart/mixed", "application/json"),  # GraphiQL
        ("application/graphql-response+json;q=0.5, application/json", "application/json"),
    ):
        for _ in range(2):  # the second from the response cache
            response = post(demo_server, query, accept)
            assert response.status_code == 200 and response.json() == expected
            assert response.headers["content-type"].split(";")[0] == media_type, (accept, response.headers)
    refused = post(demo_server, query, "text/html")
    assert refused.status_code == 406 and refused.json()["errors"][0]["extensions"]["code"] == "NOT_ACCEPTABLE"

    # A field error is not a request error: 200 with data, whatever the media type.
    first = {"query": "{ viewer { name } quotes(first: 101) { edges { node { id } } } }"}
    for accept in ("application/json", "application/graphql-response+json"):
        response = post(demo_server, first, accept)
        assert response.status_code == 200, response.text
        assert response.json()["data"] is None and response.json()["errors"][0]["path"] == ["quotes"]

    # A variable that does not coerce: 400 for graphql-response+json, 200 for application/json.
    coerce = {"query": "query($id: ID!) { quote(id: $id) { id } }", "variables": {"id": None}}
    assert post(demo_server, coerce, "application/graphql-response+json").status_code == 400
    legacy = post(demo_server, coerce, "application/json")
    assert legacy.status_code == 200 and "data" not in legacy.json() and "$id" in legacy.text


def test_the_content_type_of_a_post_is_checked_before_the_response_cache(demo_server):
    body = json.dumps({"query": "{ viewer { email } }"})
    assert post(demo_server, body, **{"Content-Type": "application/json"}).status_code == 200  # now cached
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "application/json; charset=latin1"):
        response = post(demo_server, body, **{"Content-Type": content_type})
        assert response.status_code == 415, (content_type, response.text)
        assert response.json()["errors"][0]["extensions"]["code"] == "UNSUPPORTED_MEDIA_TYPE"
    assert post(demo_server, body, **{"Content-Type": "application/json; charset=UTF-8"}).status_code == 200
