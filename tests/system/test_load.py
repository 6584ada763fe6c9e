"""Many clients on the same few quotes through two real server processes, one of them killed
(SIGKILL) once half the requests are sent, on SQLite and PostgreSQL (tests.support.load):
afterwards every invariant holds, every accepted change is there, every refusal was a user
error, no 5xx; on PostgreSQL the committed history replays as one rule application per version.
Longer, by hand: `python -m tests.support.load --seconds 60 --clients 40 [--kill]`.

The load is a number of requests, not a time: what it checks does not depend on how fast the
machine is.
"""

from __future__ import annotations

import os

import httpx

from contacts.models import Quote
from tests.conftest import reset_demo
from tests.support import load
from tests.support.process import api_server

LOAD_REQUESTS = int(os.environ.get("LOAD_REQUESTS", "800"))
LOAD_CLIENTS = int(os.environ.get("LOAD_CLIENTS", "40"))



async def _load(servers, kill) -> tuple[load.Report, list[str]]:
    await reset_demo()
    scenario = await load.prepare()
    audited = await load.install_audit()
    live = [True] * len(servers)
    try:
        report = await load.run_load([s.url for s in servers], scenario, requests=LOAD_REQUESTS,
                                     clients=LOAD_CLIENTS, at_half=kill, live=live)
        problems = await load.check(scenario, report, audited=audited)
        print(report.summary())
        return report, problems
    finally:
        await load.remove_audit()


def _assert_served(report: load.Report) -> None:
    summary = report.summary()
    accepted = [c for c in report.changes() if c.outcome == "accepted"]
    refused = [c for c in report.calls if c.outcome == "refused"]
    assert len(report.calls) == LOAD_REQUESTS, summary  # every client kept going to the end
    assert {c.op for c in accepted} >= {"assign", "unassign", "tick", "suggest"}, summary
    assert refused, summary  # the clients clash: some changes must be refused
    assert not [c for c in report.calls if c.status and c.status >= 500], summary


async def test_forty_clients_on_two_servers_one_killed_half_way(backend):
    """Forty clients on the same few quotes through two server processes, the first SIGKILLed
    once half the requests are sent. Afterwards every invariant holds, every accepted change is
    there, every refusal was a user error, no 5xx (and, on PostgreSQL, the history replays as
    one rule application per version); every request that ended before the kill was answered;
    requests cut off count as maybe-done; the other process served the rest, and a restarted
    process serves too."""
    servers = [api_server(backend.database_url) for _ in range(2)]
    try:
        def kill_first() -> None:
            servers[0].kill()

        report, problems = await _load(servers, kill_first)
    finally:
        for server in servers:
            server.stop()
    assert problems == [], "\n".join(problems[:30])
    _assert_served(report)
    before_kill = [c for c in report.calls if c.started + c.latency < report.killed_at]
    unanswered = [(c.seq, c.op, c.server, round(c.started, 3), round(c.latency, 3), c.outcome, c.detail)
                  for c in before_kill if c.outcome not in ("accepted", "refused", "ok")]
    assert unanswered == [], (report.killed_at, unanswered[:10])
    assert report.killed_after == LOAD_REQUESTS // 2, report.summary()
    after_kill = [c for c in report.calls if c.seq >= report.killed_after]
    served = [c for c in after_kill if c.outcome in ("accepted", "refused", "ok")]
    # Every call sent after the kill was served by the other server, or found the dead one gone
    # on its way to the other (refused connection, or a kept-alive connection cut).
    assert {c.server for c in served} == {1}, "the other server stopped serving after the kill"
    lost = [c for c in after_kill if c not in served]
    assert all(c.server == 0 and c.outcome in ("unsent", "unknown") for c in lost), report.summary()
    assert len(lost) <= 2 * LOAD_CLIENTS, report.summary()
    restarted = api_server(backend.database_url)
    try:
        async with httpx.AsyncClient(base_url=restarted.url, headers={"Authorization": "Bearer demo-alice"}) as http:
            quote = await Quote.filter(reference="DV-2026-0102").first()
            response = await http.post("/graphql", json={
                "query": "mutation($input: AssignAdhocContactInput!) { assignAdhocContact(input: $input) "
                         "{ quote { version assignments { lastName } } userErrors { code } } }",
                "variables": {"input": {"quoteId": load.encode_id("Quote", quote.id), "lastName": "Après",
                                        "email": "apres@example.com", "phone": "0611111111", "role": "Test",
                                        "functions": ["TRACKING"]}},
            })
            body = response.json()
            assert response.status_code == 200 and body["data"]["assignAdhocContact"]["userErrors"] == [], body
            assert "Après" in [a["lastName"] for a in body["data"]["assignAdhocContact"]["quote"]["assignments"]]
    finally:
        restarted.stop()
