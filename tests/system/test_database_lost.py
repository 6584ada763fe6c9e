"""PostgreSQL connections terminated under load (`pg_terminate_backend` on every connection of
the server, every 0.2 s), against a real `python -m api serve` process (issue 12).

Before: some requests got a plain-text 500 from the authentication ("cannot switch to state 12;
another operation is in progress", a broken connection handed out again by the pool), others
had their connection dropped without an answer. Now a read whose connection is lost is tried
once more on a new connection; what still cannot be answered gets a 503 with Retry-After and a
GraphQL error SERVICE_UNAVAILABLE; a broken connection is never used again, so that once the
terminations stop every request is served.
"""

from __future__ import annotations

import asyncio
import collections
import os

import asyncpg
import httpx
import pytest

from tests.conftest import POSTGRES_URL, fresh_postgres_database
from tests.support.process import api_server

pytestmark = pytest.mark.skipif(not POSTGRES_URL, reason="TEST_DATABASE_URL is not set (a postgres:// URL)")

REQUESTS = int(os.environ.get("LOST_REQUESTS", "600"))
CLIENTS = 10
READS = (
    "{ viewer { name } }",
    "{ quotes { edges { node { id reference assignments { id lastName } } } } }",
    "{ enterprises { edges { node { name contacts { edges { node { lastName } } } } } } }",
)
ASSIGN = """mutation($input: AssignAdhocContactInput!) { assignAdhocContact(input: $input) {
  assignment { id } userErrors { code } } }"""
UNASSIGN = "mutation($input: UnassignContactInput!) { unassignContact(input: $input) { userErrors { code } } }"


async def taken_connections(http: httpx.AsyncClient) -> float:
    """The pool's connections still taken, once no request runs: `/metrics` answers after the
    last request's connection went back (it goes back before the answer is sent)."""
    text = (await http.get("/metrics")).text
    return next(float(line.rpartition(" ")[2]) for line in text.splitlines()
                if line.startswith('myopenip_database_connections{state="taken"}'))


async def test_terminated_connections_get_a_503_at_worst_and_are_never_reused(tmp_path):
    name = f"contacts_lost_{os.getpid()}"
    url = await fresh_postgres_database(POSTGRES_URL, name)
    server = api_server(url, demo=True, env={"RESPONSE_CACHE_ENTRIES": "0"})
    admin = await asyncpg.connect(POSTGRES_URL.replace("postgres://", "postgresql://", 1))
    try:
        headers = {"Authorization": "Bearer demo-alice"}
        async with httpx.AsyncClient(base_url=server.url, timeout=30, headers=headers) as http:
            quotes = (await http.post("/graphql", json={"query": "{ quotes(status: DRAFT) { edges { node { id } } } }"})).json()
            quote = quotes["data"]["quotes"]["edges"][0]["node"]["id"]
            outcomes: collections.Counter = collections.Counter()
            wrong: list[str] = []
            sent = 0
            terminated = 0
            stop = asyncio.Event()

            async def terminate() -> None:
                nonlocal terminated
                while not stop.is_set():
                    rows = await admin.fetch(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
                        name)
                    terminated += len(rows)
                    try:
                        await asyncio.wait_for(stop.wait(), 0.2)
                    except TimeoutError:
                        pass

            async def request(i: int) -> httpx.Response:
                if i % 5 == 0:
                    variables = {"input": {"quoteId": quote, "lastName": f"Perdu {i}", "email": "p@example.fr",
                                           "phone": "0611223344", "role": "Gardien", "functions": ["TRACKING"]}}
                    response = await http.post("/graphql", json={"query": ASSIGN, "variables": variables})
                    assignment = ((response.json().get("data") or {}).get("assignAdhocContact") or {}).get("assignment")
                    if assignment:  # keep the list short: take it off again
                        await http.post("/graphql", json={"query": UNASSIGN, "variables": {"input": {"assignmentId": assignment["id"]}}})
                    return response
                return await http.post("/graphql", json={"query": READS[i % len(READS)]})

            async def client() -> None:
                nonlocal sent
                while sent < REQUESTS:
                    sent += 1
                    try:
                        response = await request(sent)
                    except httpx.HTTPError as error:  # no answer at all
                        outcomes[type(error).__name__] += 1
                        wrong.append(repr(error))
                        continue
                    outcomes[response.status_code] += 1
                    if response.status_code == 503:
                        body = response.json()
                        if response.headers.get("retry-after") != "1" or body.get("data") is not None or \
                                {e["extensions"]["code"] for e in body["errors"]} != {"SERVICE_UNAVAILABLE"}:
                            wrong.append(f"503 {response.headers} {response.text[:300]}")
                    elif response.status_code != 200 or "Unexpected error" in response.text:
                        wrong.append(f"{response.status_code} {response.text[:300]}")

            terminating = asyncio.create_task(terminate())
            await asyncio.gather(*(client() for _ in range(CLIENTS)))
            stop.set()
            await terminating
            assert terminated >= 20, terminated  # connections were lost all along
            assert not wrong, (outcomes, wrong[:5])
            assert outcomes[200] >= REQUESTS * 0.9, outcomes  # a read is tried again on a new connection

            # The terminations over, no broken connection is handed out again: all is served.
            for i in range(30):
                response = await http.post("/graphql", json={"query": READS[i % len(READS)]})
                assert response.status_code == 200 and "errors" not in response.json(), response.text[:300]
            # And every connection taken was given back, even those lost during a BEGIN: the
            # pool has not shrunk (nor would a SIGTERM wait on them).
            assert await taken_connections(http) == 0
    finally:
        await admin.close()
        server.stop()
