"""Live updates over WebSocket, against a real server with the in-process event bus (memory://).

Both protocols (graphql-transport-ws and the legacy graphql-ws) subscribe to
quoteContactsChanged and receive an event for every kind of change, with the quote resolved
for the subscriber. See test_live_redis.py for several processes. How fast events arrive is
measured by `make bench`, not here: a test waits for a condition (an event, a count in
/healthz) and fails only when it never comes.
"""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from tests.conftest import over_fresh_demo
from tests.support.service import GraphQLClient, running
from tests.support.wsclient import LEGACY_WS, PROTOCOLS, TRANSPORT_WS, WAIT, LiveClient, Rejected

KEEP_ALIVE = 0.1  # seconds between the server's keep-alives in these tests
CONNECTION_INIT = 0.3  # seconds a socket has to send connection_init, in the test of that timeout

QUOTES = "{ quotes(first: 50) { edges { node { id reference version } } } }"
CONTACTS = """query($id: ID!) { quote(id: $id) { version eligibleContacts {
  client { contact { id lastName } } partner { contact { id lastName } } } client { id } } }"""
ASSIGN = """mutation($input: AssignContactInput!) { assignContact(input: $input) {
  quote { version } assignment { id } userErrors { code } } }"""
ASSIGN_ADHOC = """mutation($input: AssignAdhocContactInput!) { assignAdhocContact(input: $input) {
  quote { version } assignment { id } userErrors { code } } }"""
UNASSIGN = """mutation($input: UnassignContactInput!) { unassignContact(input: $input) {
  quote { version } userErrors { code } } }"""
SET_FUNCTION = """mutation($input: SetAssignmentFunctionInput!) { setAssignmentFunction(input: $input) {
  quote { version } userErrors { code } } }"""
PLACE_ORDER = """mutation($input: PlaceOrderInput!) { placeOrder(input: $input) {
  quote { version status } userErrors { code } } }"""
CREATE_CONTACT = """mutation($input: CreateContactInput!) { createContact(input: $input) {
  contact { id } userErrors { code } } }"""
UPDATE_CONTACT = """mutation($input: UpdateContactInput!) { updateContact(input: $input) {
  contact { id isComplete } userErrors { code } } }"""


@pytest.fixture(scope="module")
async def live_server(backend):
    """The service in this process, served by uvicorn on the memory bus, with fast keep-alives."""
    async with running(backend.database, keep_alive_seconds=KEEP_ALIVE) as service:
        yield service


@pytest.fixture
async def api(live_server) -> GraphQLClient:
    async with over_fresh_demo(live_server.client()) as client:
        yield client


async def quote_ids(api: GraphQLClient, token: str = "demo-alice") -> dict[str, str]:
    data = await api(QUOTES, token=token)
    return {edge["node"]["reference"]: edge["node"]["id"] for edge in data["quotes"]["edges"]}


async def contact_ids(api: GraphQLClient, quote_id: str) -> dict[str, str]:
    """The quote's client's and partner's contacts by last name."""
    quote = (await api(CONTACTS, {"id": quote_id}))["quote"]
    lists = quote["eligibleContacts"]
    return {e["contact"]["lastName"]: e["contact"]["id"] for e in lists["client"] + lists["partner"]}


async def mutate(api: GraphQLClient, query: str, input: dict, token: str = "demo-bob") -> dict:
    payload = next(iter((await api(query, {"input": input}, token=token)).values()))
    assert payload["userErrors"] == [], payload
    return payload


def by_name(quote: dict) -> dict[str, dict]:
    return {a["lastName"]: a for a in quote["assignments"]}


def eligible(quote: dict, last_name: str) -> dict:
    return next(e for e in quote["eligibleContacts"]["client"] if e["contact"]["lastName"] == last_name)


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_every_change_reaches_a_subscriber(api, live_server, protocol):
    quotes = await quote_ids(api)
    q101, q102 = quotes["DV-2026-0101"], quotes["DV-2026-0102"]
    contacts = await contact_ids(api, q101)
    async with await LiveClient.connect(live_server.url, "demo-alice", protocol=protocol) as alice:
        await alice.subscribe(q101, "a")
        await alice.subscribe(q102, "b")
        await listening(api.http, 2)

        # Bob adds a contact: CONTACT_ADDED, with the quote as it now stands.
        added = await mutate(api, ASSIGN, {"quoteId": q101, "contactId": contacts["Smith"], "functions": ["ON_SITE", "TRACKING"]})
        event = await alice.event("a")
        assert event["kind"] == "CONTACT_ADDED"
        assert event["actor"] == "Bob Lefèvre"
        assert event["assignmentId"] == added["assignment"]["id"]
        assert event["quote"]["version"] >= added["quote"]["version"]
        assert by_name(event["quote"])["Smith"]["functions"] == ["ON_SITE", "TRACKING"]
        assert eligible(event["quote"], "Smith")["canAdd"] is False

        dupont = await mutate(api, ASSIGN, {"quoteId": q101, "contactId": contacts["Dupont"], "functions": ["DELIVERY"]})
        assert (await alice.event("a"))["kind"] == "CONTACT_ADDED"

        # ON_SITE moves to Dupont: one event shows both the new holder and the one who lost it.
        ticked = await mutate(
            api, SET_FUNCTION, {"assignmentId": dupont["assignment"]["id"], "function": "ON_SITE", "enabled": True}
        )
        event = await alice.event("a")
        assert event["kind"] == "FUNCTIONS_CHANGED"
        assert event["assignmentId"] == dupont["assignment"]["id"]
        assert event["quote"]["version"] >= ticked["quote"]["version"]
        assert by_name(event["quote"])["Dupont"]["functions"] == ["ON_SITE", "DELIVERY"]
        assert by_name(event["quote"])["Smith"]["functions"] == ["TRACKING"]

        # Completing a contact of the drop-down (Fabre has no phone) makes it addable at once.
        assert eligible(event["quote"], "Fabre")["canAdd"] is False
        await mutate(api, UPDATE_CONTACT, {"contactId": contacts["Fabre"], "phone": "06 01 02 03 04"}, token="demo-alice")
        event = await alice.event("a")
        assert event["kind"] == "CONTACTS_EDITED"
        assert event["actor"] == "Alice Durand"
        assert eligible(event["quote"], "Fabre")["canAdd"] is True
        # The other draft of the same client lists Fabre too.
        other = await alice.event("b")
        assert other["kind"] == "CONTACTS_EDITED" and eligible(other["quote"], "Fabre")["canAdd"] is True

        # Editing an assigned contact: the assignment shows the new details, the version grows.
        before = event["quote"]["version"]
        await mutate(api, UPDATE_CONTACT, {"contactId": contacts["Smith"], "role": "Gérant associé"}, token="demo-alice")
        event = await alice.event("a")
        assert event["kind"] == "CONTACTS_EDITED"
        assert by_name(event["quote"])["Smith"]["role"] == "Gérant associé"
        assert event["quote"]["version"] > before
        assert (await alice.event("b"))["kind"] == "CONTACTS_EDITED"

        # A new contact of the client appears in both drafts' drop-downs.
        client_id = (await api(CONTACTS, {"id": q101}))["quote"]["client"]["id"]
        await mutate(
            api, CREATE_CONTACT,
            {"enterpriseId": client_id, "lastName": "Nouveau", "email": "n@example.com", "phone": "0611111111", "role": "Stagiaire"},
            token="demo-alice",
        )
        for op_id in ("a", "b"):
            event = await alice.event(op_id)
            assert event["kind"] == "CONTACTS_EDITED"
            assert eligible(event["quote"], "Nouveau")["canAdd"] is True

        # Removing a contact.
        await mutate(api, UNASSIGN, {"assignmentId": dupont["assignment"]["id"]})
        event = await alice.event("a")
        assert event["kind"] == "CONTACT_REMOVED"
        assert event["assignmentId"] == dupont["assignment"]["id"]
        assert "Dupont" not in by_name(event["quote"])

        # Placing the order of the other quote (it needs only a tracking contact).
        await mutate(api, ASSIGN, {"quoteId": q102, "contactId": contacts["Listen"], "functions": ["TRACKING"]})
        assert (await alice.event("b"))["kind"] == "CONTACT_ADDED"
        await mutate(api, PLACE_ORDER, {"quoteId": q102})
        event = await alice.event("b")
        assert event["kind"] == "ORDER_PLACED"
        assert event["quote"]["status"] == "ORDERED"
        assert event["quote"]["viewerCanEdit"] is False

        # Nothing else was sent: one event per change, to the quote it concerns.
        assert await alice.quiet(0.3) == []


async def test_each_subscriber_gets_the_quote_in_its_language_with_its_rights(api, live_server):
    q101 = (await quote_ids(api))["DV-2026-0101"]
    async with (
        await LiveClient.connect(live_server.url, "demo-alice") as alice,
        await LiveClient.connect(live_server.url, "demo-victor", protocol=LEGACY_WS, language="en-GB,en;q=0.9") as victor,
    ):
        await alice.subscribe(q101)
        await victor.subscribe(q101)
        await listening(api.http, 2)  # two audiences: two languages and rights
        await mutate(
            api, ASSIGN_ADHOC,
            {"quoteId": q101, "lastName": "Renard", "email": "r@example.com", "phone": "02 40 11 22 33", "role": "Gardien",
             "functions": ["ON_SITE"]},
        )
        for_alice, for_victor = await alice.event(), await victor.event()

    assert for_alice["quote"]["version"] == for_victor["quote"]["version"]
    assert for_alice["quote"]["viewerCanEdit"] is True
    assert for_victor["quote"]["viewerCanEdit"] is False
    assert eligible(for_alice["quote"], "Smith")["canAdd"] is True
    assert [r["code"] for r in eligible(for_victor["quote"], "Smith")["reasons"]] == ["FORBIDDEN"]
    alice_warnings = for_alice["quote"]["contactValidation"]["warnings"]
    victor_warnings = for_victor["quote"]["contactValidation"]["warnings"]
    assert [w["code"] for w in alice_warnings] == [w["code"] for w in victor_warnings] == ["PHONE_NOT_MOBILE"]
    assert alice_warnings[0]["message"] == "Veuillez privilégier un numéro de mobile."
    assert victor_warnings[0]["message"] != alice_warnings[0]["message"]
    assert "mobile" in victor_warnings[0]["message"].lower()
    errors = for_victor["quote"]["contactValidation"]["errors"]
    assert "DELIVERY_CONTACT_REQUIRED" in [e["code"] for e in errors]
    assert all(not e["message"].startswith("Vous") for e in errors)


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize(
    "payload",
    [{}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "demo-alice"}, {"authorization": "Bearer "}],
    ids=["no-token", "unknown-token", "no-bearer", "empty-bearer"],
)
async def test_a_missing_or_unknown_token_closes_with_4403(api, live_server, protocol, payload):
    with pytest.raises(Rejected) as rejected:
        await LiveClient.connect(live_server.url, protocol=protocol, payload=payload)
    assert rejected.value.code == 4403


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_a_valid_token_is_acknowledged_whatever_the_header_case(api, live_server, protocol):
    client = await LiveClient.connect(live_server.url, protocol=protocol, payload={"authorization": "bearer demo-bob"})
    await client.close()


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_another_partners_quote_is_not_found_and_never_sends_an_event(api, live_server, protocol):
    mallory_quote = (await quote_ids(api, "demo-mallory"))["DV-2026-0201"]
    async with await LiveClient.connect(live_server.url, "demo-alice", protocol=protocol) as alice:
        await alice.subscribe(mallory_quote, "theirs")
        await alice.subscribe("UXVvdGU6OTk5OTk=", "missing")  # Quote:99999
        await alice.subscribe("not an id", "malformed")
        results = {}
        for _ in range(6):
            message = await alice.receive(timeout=2)
            results.setdefault(message["id"], []).append(message)
        for op_id in ("theirs", "missing", "malformed"):
            first, last = results[op_id]
            assert first["type"] in ("next", "data")
            assert first["payload"]["data"] is None
            [error] = first["payload"]["errors"]
            assert error["extensions"]["code"] == "NOT_FOUND"
            assert last["type"] == "complete"
        # Another partner's id cannot be told apart from one that does not exist.
        assert results["theirs"][0]["payload"] == results["missing"][0]["payload"]

        # Mallory changes her quote: Alice hears nothing.
        lacroix = (await api(CONTACTS, {"id": mallory_quote}, token="demo-mallory"))["quote"]["eligibleContacts"]["client"][0]
        await mutate(api, ASSIGN, {"quoteId": mallory_quote, "contactId": lacroix["contact"]["id"]}, token="demo-mallory")
        assert await alice.quiet(0.5) == []


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_idle_connections_get_keep_alives_and_stay_open(api, live_server, protocol):
    q101 = (await quote_ids(api))["DV-2026-0101"]
    contacts = await contact_ids(api, q101)
    async with await LiveClient.connect(live_server.url, "demo-alice", protocol=protocol) as alice:
        await alice.subscribe(q101)
        assert await alice.until_keep_alives(3) == []
        await mutate(api, ASSIGN, {"quoteId": q101, "contactId": contacts["Smith"]})
        assert (await alice.event())["kind"] == "CONTACT_ADDED"


@pytest.fixture(scope="module")
async def impatient_server(backend):
    """A service that gives a socket CONNECTION_INIT seconds to say who it is."""
    async with running(backend.database, connection_init_seconds=CONNECTION_INIT) as service:
        yield service


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_a_socket_that_never_says_who_it_is_is_closed_in_time(impatient_server, protocol):
    """No connection_init within CONNECTION_INIT seconds: closed with 4408 on both protocols,
    so that unauthenticated sockets are not kept open; one that said it in time is answered,
    however long its token takes to look up."""
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed

    from tests.support.wsclient import ws_url

    started = time.monotonic()
    async with connect(ws_url(impatient_server.url), subprotocols=[protocol], ping_interval=None) as ws:
        with pytest.raises(ConnectionClosed):
            await asyncio.wait_for(ws.recv(), timeout=CONNECTION_INIT + WAIT)
    assert ws.close_code == 4408
    assert time.monotonic() - started >= CONNECTION_INIT - 0.2  # not before its time


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_a_connection_init_sent_in_time_is_answered_however_long_its_token_takes(api, impatient_server, protocol,
                                                                                      monkeypatch):
    import api.graphql_view

    authenticate = api.graphql_view.authenticate

    async def slow(header):
        await asyncio.sleep(CONNECTION_INIT * 2)  # past the timeout, which counts until connection_init
        return await authenticate(header)

    monkeypatch.setattr(api.graphql_view, "authenticate", slow)
    client = await LiveClient.connect(impatient_server.url, "demo-alice", protocol=protocol)
    await client.close()


async def health(http: httpx.AsyncClient) -> dict:
    response = await http.get("/healthz")
    assert response.status_code == 200
    return response.json()


async def wait_health(http: httpx.AsyncClient, condition, timeout: float = WAIT) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        state = await health(http)
        if condition(state) or time.monotonic() > deadline:
            return state
        await asyncio.sleep(0.05)


async def listening(http: httpx.AsyncClient, queues: int) -> dict:
    """Once the server behind `http` has `queues` subscriptions listening for events (one per
    quote and audience), so that a change made next reaches them."""
    state = await wait_health(http, lambda s: s["eventQueues"] >= queues)
    assert state["eventQueues"] >= queues, state
    return state


def idle(state: dict) -> bool:
    return state["websockets"] == state["subscriptions"] == state["eventQueues"] == 0


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_idle_connections_share_one_keep_alive_task(api, live_server, protocol):
    """An acknowledged, idle connection costs the server its own ASGI task and nothing that
    sleeps: one task sends every connection's keep-alive, and ends with the last connection."""
    async with httpx.AsyncClient(base_url=live_server.url) as http:
        before = await wait_health(http, idle)
        assert idle(before)
        clients = [await LiveClient.connect(live_server.url, "demo-alice", protocol=protocol) for _ in range(5)]
        try:
            during = await wait_health(http, lambda s: s["tasks"] == before["tasks"] + 5 + 1)
            assert during["websockets"] == 5
            assert during["tasks"] == before["tasks"] + 5 + 1
            quiet = await asyncio.gather(*(client.until_keep_alives(3) for client in clients))
            assert quiet == [[]] * 5
        finally:
            for client in clients:
                await client.close()
        after = await wait_health(http, lambda s: idle(s) and s["tasks"] <= before["tasks"])
        assert idle(after)
        assert after["tasks"] <= before["tasks"]


async def test_clients_that_go_away_leave_nothing_behind(api, live_server):
    q101 = (await quote_ids(api))["DV-2026-0101"]
    contacts = await contact_ids(api, q101)
    async with httpx.AsyncClient(base_url=live_server.url) as http:
        before = await wait_health(http, idle)
        assert idle(before)

        clients = await asyncio.gather(
            *(LiveClient.connect(live_server.url, "demo-alice", protocol=PROTOCOLS[i % 2]) for i in range(50))
        )
        for client in clients:
            await client.subscribe(q101)
        busy = await wait_health(http, lambda s: s["subscriptions"] == 50 and s["eventQueues"] > 0)
        assert (busy["websockets"], busy["subscriptions"]) == (50, 50)
        assert busy["eventQueues"] > 0
        assert busy["tasks"] > before["tasks"]

        # They all hear of a change...
        await mutate(api, ASSIGN, {"quoteId": q101, "contactId": contacts["Smith"]})
        kinds = await asyncio.gather(*(client.event() for client in clients))
        assert {event["kind"] for event in kinds} == {"CONTACT_ADDED"}

        # ...then go: some drop the TCP connection, some stop and close politely.
        for i, client in enumerate(clients):
            if i % 3 == 0:
                client.abort()
            elif i % 3 == 1:
                await client.stop()
                await client.close()
            else:
                await client.close()
        after = await wait_health(http, lambda s: idle(s) and s["tasks"] <= before["tasks"])
        assert idle(after)
        assert after["tasks"] <= before["tasks"]

    # The server still serves live updates.
    async with await LiveClient.connect(live_server.url, "demo-bob", protocol=TRANSPORT_WS) as bob:
        await bob.subscribe(q101)
        await listening(api.http, 1)
        await mutate(api, ASSIGN, {"quoteId": q101, "contactId": contacts["Dupont"]}, token="demo-alice")
        assert (await bob.event())["kind"] == "CONTACT_ADDED"
