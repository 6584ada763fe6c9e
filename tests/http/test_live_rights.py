"""A WebSocket acts with its token's rights as they stand (api/rights.py), on both protocols.

Before issue 12 a socket kept the viewer of its connection_init: after the user's rights were
removed, the user moved to another partner, then deleted with its token, the open socket still
received partner A's events with `viewerCanEdit: true`, ran new queries as that user, and a
mutation sent over it was stored.

- Before each operation the token's viewer is read again: an operation sent once the rights
  narrowed closes the socket with 4403 and does not run (a server whose periodic check is an
  hour away shows it).
- While subscriptions run, the rights of every open socket are read again every
  RIGHTS_CHECK_SECONDS (here 0.2 s): a socket whose rights narrowed is closed with 4403 and its
  events stop.
"""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from websockets.exceptions import ConnectionClosed

from api import rights as rights_module
from contacts.models import ApiToken, ContactAssignment, User
from schema.ids import decode_id
from tests.conftest import over_fresh_demo, reset_demo
from tests.http.test_live import ASSIGN, contact_ids, health, listening, mutate, quote_ids, wait_health
from tests.support.service import running
from tests.support.wsclient import PROTOCOLS, TRANSPORT_WS, WAIT, LiveClient

CHECK = 0.2  # seconds between two checks of the open sockets' rights, in these tests


@pytest.fixture(scope="module")
async def watched(backend):
    """The service, its open sockets' rights read again every CHECK seconds."""
    async with running(backend.database, rights_check_seconds=CHECK) as service:
        yield service


@pytest.fixture(scope="module")
async def unwatched(backend):
    """The service with its periodic check an hour away: only the check of each operation acts."""
    async with running(backend.database, rights_check_seconds=3600) as service:
        yield service


@pytest.fixture
async def api(watched):
    async with over_fresh_demo(watched.client()) as client:
        yield client


async def close_code(client: LiveClient) -> tuple[int | None, list[dict]]:
    """Receives until the server closes the socket: its close code, and what came before."""
    received = []
    deadline = time.monotonic() + WAIT
    try:
        while True:
            received.append(await client.receive(deadline - time.monotonic()))
    except ConnectionClosed as closed:
        return (closed.rcvd.code if closed.rcvd else None), received


async def revoke_token(username: str) -> None:
    await ApiToken.filter(user__username=username).delete()


async def delete_user(username: str) -> None:
    await User.filter(username=username).delete()  # its tokens go with it


async def move_to_other_partner(username: str) -> None:
    mallory = await User.get(username="demo-mallory")
    await User.filter(username=username).update(partner_id=mallory.partner_id)


async def remove_quote_edit(username: str) -> None:
    await User.filter(username=username).update(can_edit_quotes=False)


CHANGES = {
    "token revoked": revoke_token,
    "user deleted": delete_user,
    "user moved to another partner": move_to_other_partner,
    "right removed": remove_quote_edit,
}


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("change", CHANGES)
async def test_a_subscription_ends_with_4403_once_the_rights_narrow(api, watched, protocol, change):
    q101 = (await quote_ids(api))["DV-2026-0101"]
    contacts = await contact_ids(api, q101)
    live = await LiveClient.connect(watched.url, "demo-alice", protocol=protocol)
    try:
        await live.subscribe(q101)
        await listening(api.http, 1)
        await mutate(api, ASSIGN, {"quoteId": q101, "contactId": contacts["Smith"], "functions": ["TRACKING"]})
        assert (await live.event())["quote"]["viewerCanEdit"] is True  # before: a live subscriber

        await CHANGES[change]("demo-alice")
        code, _ = await close_code(live)
        assert code == 4403, code
        # Its subscription is over: the server serves it no more.
        await wait_health(api.http, lambda s: s["websockets"] == s["subscriptions"] == s["eventQueues"] == 0)
    finally:
        await live.close()


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_an_operation_sent_once_the_rights_narrowed_does_not_run(backend, unwatched, protocol):
    """The periodic check is an hour away: the check of the operation itself refuses it."""
    await reset_demo()
    client = unwatched.client()
    try:
        q101 = (await quote_ids(client))["DV-2026-0101"]
        contacts = await contact_ids(client, q101)
        live = await LiveClient.connect(unwatched.url, "demo-alice", protocol=protocol)
        try:
            await live.subscribe(q101, "before")
            await listening(client.http, 1)
            await delete_user("demo-bob")  # another user's change: nothing to do with this socket
            await revoke_token("demo-alice")
            if protocol == TRANSPORT_WS:
                mutation = {"query": ASSIGN, "variables": {"input": {"quoteId": q101, "contactId": contacts["Smith"], "functions": ["TRACKING"]}}}
                await live.ws.send(json.dumps({"id": "m", "type": "subscribe", "payload": mutation}))
            else:
                await live.subscribe(q101, "after")
            code, received = await close_code(live)
            assert code == 4403, (code, received)
            assert not [m for m in received if m.get("id") in ("m", "after") and m["type"] in ("next", "data")], received
        finally:
            await live.close()
        assert not await ContactAssignment.filter(quote_id=_pk(q101)).exists()  # the mutation was not stored
    finally:
        await client.http.aclose()


def _pk(global_id: str) -> int:
    return decode_id("Quote", global_id)


async def test_queries_and_mutations_over_the_socket_use_the_rights_as_they_stand(api, watched):
    """A right added is used by the next operation, without a new connection."""
    q101 = (await quote_ids(api))["DV-2026-0101"]
    contacts = await contact_ids(api, q101)
    async with await LiveClient.connect(watched.url, "demo-victor") as live:
        async def assign(op_id: str) -> dict:
            variables = {"input": {"quoteId": q101, "contactId": contacts["Smith"], "functions": ["TRACKING"]}}
            await live.ws.send(json.dumps({"id": op_id, "type": "subscribe", "payload": {"query": ASSIGN, "variables": variables}}))
            return (await live.result(op_id))["data"]["assignContact"]

        assert [e["code"] for e in (await assign("1"))["userErrors"]] == ["FORBIDDEN"]
        await User.filter(username="demo-victor").update(can_edit_quotes=True)
        assert (await assign("2"))["userErrors"] == []
        assert [m["type"] for m in await live.quiet(3 * CHECK)] == ["complete", "complete"]  # and nothing closes
    assert await ContactAssignment.filter(quote_id=_pk(q101)).count() == 1


async def test_the_watch_reads_every_socket_at_once(api, watched, monkeypatch):
    """Many sockets, one reading of their tokens per check (a statement per 500 tokens), not
    one per socket or per event."""
    readings: list[int] = []
    read = rights_module.viewers_of_token_hashes

    async def counted(hashes):
        hashes = list(hashes)
        readings.append(len(set(hashes)))
        return await read(hashes)

    monkeypatch.setattr(rights_module, "viewers_of_token_hashes", counted)
    sockets = [await LiveClient.connect(watched.url, name) for name in ("demo-alice", "demo-bob", "demo-victor") * 4]
    try:
        rights = watched.app.state.rights
        checks = rights.checks
        await wait_health(api.http, lambda s: rights.checks >= checks + 2)
        assert readings[-1] == 3  # twelve sockets, three tokens, one reading
        await revoke_token("demo-bob")
        for client in sockets[1::3]:
            assert (await close_code(client))[0] == 4403
        others = sockets[0::3] + sockets[2::3]
        heard = await asyncio.gather(*(client.quiet(3 * CHECK) for client in others))
        assert heard == [[]] * len(others)  # the others go on, listened to at the same time
        state = await health(api.http)
        assert state["websockets"] == 8
    finally:
        for client in sockets:
            await client.close()
