"""The response cache costs nothing in correctness (issue 6): after an accepted change, a read
through either of two server processes sees it at once, and no cached answer goes to another
partner, another permission set, another user or another language."""

from __future__ import annotations

import asyncio

import pytest

from tests.support import api as h
from tests.conftest import reset_demo
from tests.support.service import GraphQLClient
from tests.support.process import api_server


@pytest.fixture(scope="module")
def processes(backend):
    """Two server processes on the same database, each with its own response cache."""
    servers = [api_server(backend.database_url), api_server(backend.database_url)]
    yield servers
    for server in servers:
        server.stop()


@pytest.fixture
async def two(processes):
    """A client of each process, over freshly loaded demo data (whose data version is new: what
    the processes cached before cannot be served again)."""
    await reset_demo()
    clients = [GraphQLClient.of(s.url) for s in processes]
    yield clients
    for client in clients:
        await client.http.aclose()


async def test_a_change_made_on_one_process_is_read_at_once_on_the_other(two):
    a, b = two
    demo = await h.demo_of(a)
    before_a, before_b = await h.quote(a, demo.full), await h.quote(b, demo.full)  # both cached now
    assert before_a == before_b == await h.quote(b, demo.full)
    assert before_a["assignments"] == []

    added = await h.assign(a, demo.full, demo.contacts["Smith"], ["ON_SITE"])
    assert added["userErrors"] == []
    seen = await h.quote(b, demo.full)
    assert [x["lastName"] for x in seen["assignments"]] == ["Smith"]
    assert seen["version"] > before_b["version"]

    # A change that leaves the quote's version alone (a contact only in its drop-down lists).
    renamed = await h.update_contact(b, contactId=demo.contacts["Dupont"], lastName="Dupond")
    assert renamed["userErrors"] == []
    names = {e["contact"]["lastName"] for e in (await h.quote(a, demo.full))["eligibleContacts"]["client"]}
    assert "Dupond" in names and "Dupont" not in names

    # A refused change leaves the answer as it was, on both.
    refused = await h.assign(b, demo.full, demo.contacts["Fabre"])  # incomplete contact
    assert h.codes(refused["userErrors"]) == ["CONTACT_INCOMPLETE"]
    assert await h.quote(a, demo.full) == await h.quote(b, demo.full)


async def test_cached_answers_stay_with_their_partner_permissions_user_and_language(two):
    a, _ = two
    demo = await h.demo_of(a)
    request = "query($id: ID!) { viewer { name } quote(id: $id) { reference viewerCanEdit eligibleContacts { client { canAdd contact { canEdit } } } contactValidation { errors { message } } } }"

    alice = await a(request, {"id": demo.full}, token="demo-alice")
    alice_again = await a(request, {"id": demo.full}, token="demo-alice")
    assert alice == alice_again and alice["viewer"]["name"] == "Alice Durand"
    assert alice["quote"]["viewerCanEdit"] is True

    bob = await a(request, {"id": demo.full}, token="demo-bob")  # same partner, no CONTACT_EDIT
    assert bob["viewer"]["name"] == "Bob Lefèvre"
    assert {e["contact"]["canEdit"] for e in bob["quote"]["eligibleContacts"]["client"]} == {False}

    victor = await a(request, {"id": demo.full}, token="demo-victor")  # read only
    assert victor["quote"]["viewerCanEdit"] is False
    assert {e["canAdd"] for e in victor["quote"]["eligibleContacts"]["client"]} == {False}

    mallory = await a(request, {"id": demo.full}, token="demo-mallory")  # another partner
    assert mallory["quote"] is None and mallory["viewer"]["name"] == "Mallory Girard"

    english = await a(request, {"id": demo.full}, token="demo-alice", language="en")
    assert english["quote"]["contactValidation"]["errors"][0]["message"].startswith("You must")
    french = await a(request, {"id": demo.full}, token="demo-alice")
    assert french["quote"]["contactValidation"]["errors"][0]["message"].startswith("Vous devez")


async def test_a_change_answers_what_a_read_on_the_other_process_then_shows(two):
    """The mutations answer the quote as their transaction left it, without reading it again
    (issue 6): the same step-2 screen as a read made right after, through another process."""
    a, b = two
    demo = await h.demo_of(a)
    q = demo.full

    async def same_as_read(payload: dict) -> dict:
        assert payload["userErrors"] == []
        assert payload["quote"] == await h.quote(b, q)
        return payload

    smith = await same_as_read(await h.assign(a, q, demo.contacts["Smith"], ["ON_SITE", "TRACKING"]))
    adhoc = await same_as_read(await h.add_adhoc(a, q))
    smith_id, adhoc_id = smith["assignment"]["id"], adhoc["assignment"]["id"]
    moved = await same_as_read(await h.set_function(a, adhoc_id, "ON_SITE"))  # ON_SITE leaves Smith
    assert [x["functions"] for x in moved["quote"]["assignments"]] == [["TRACKING"], ["ON_SITE"]]
    await same_as_read(await h.set_function(a, adhoc_id, "DELIVERY"))
    await same_as_read(await h.set_function(a, smith_id, "TRACKING", False))
    removed = await same_as_read(await h.unassign(a, smith_id))
    assert [x["id"] for x in removed["quote"]["assignments"]] == [adhoc_id]
    refused = await h.unassign(a, smith_id)  # already gone
    assert [e["code"] for e in refused["userErrors"]] == ["NOT_FOUND"]


async def test_suggestions_are_never_older_than_the_lists_and_defaults_they_come_from(two):
    """A draft's suggestions are read from other quotes and from the client's defaults: a change
    to either, made through one process, shows at once in the suggestions read through the
    other, whose answer was cached (no event is sent to that draft)."""
    a, b = two
    demo = await h.demo_of(a)
    before = await h.suggestions(b, demo.full)
    assert before == await h.suggestions(b, demo.full)  # cached now
    assert [s["fromQuote"] and s["fromQuote"]["reference"] for s in before] == [None, "DV-2026-0085"]

    # Another draft of the client gets a contact: it is offered at once.
    assert (await h.assign(a, demo.plain, demo.contacts["Listen"], ["TRACKING"]))["userErrors"] == []
    after = await h.suggestions(b, demo.full)
    assert [s["fromQuote"] and s["fromQuote"]["reference"] for s in after] == [None, "DV-2026-0085", "DV-2026-0102"]

    # The defaults change.
    changed = await h.set_defaults(a, demo.enterprises["Boulangerie Éloïse"], [(demo.contacts["Smith"], ["TRACKING"])])
    assert changed["userErrors"] == []
    assert [e["lastName"] for e in (await h.suggestions(b, demo.full))[0]["entries"]] == ["Smith"]

    # A suggestion applied to the other draft: what it would do now, read through the other process.
    assert (await h.apply_suggestion(a, demo.plain))["userErrors"] == []
    offered = {s["fromQuote"] and s["fromQuote"]["reference"]: s for s in await h.suggestions(b, demo.plain)}
    assert offered[None]["canApply"] is False
    assert [p["code"] for p in offered[None]["entries"][0]["problems"]] == ["CONTACT_ALREADY_ON_QUOTE"]


async def test_concurrent_writers_on_two_processes_never_read_an_answer_older_than_their_change(two):
    """Answers are kept by what they depend on (a quote's client, the partner's contacts) and a
    change's answer is kept for the read that follows it: with writers on both processes at
    once, on two drafts of one client and on the same draft, every read shows at least the
    reader's own last change, through either process; once they stop, both agree."""
    a, b = two
    demo = await h.demo_of(a)
    smith = (await h.assign(a, demo.full, demo.contacts["Smith"], ["TRACKING"]))["assignment"]["id"]
    hugo = (await h.add_adhoc(a, demo.full))["assignment"]["id"]
    other = (await h.add_adhoc(b, demo.plain))["assignment"]["id"]
    for api in (a, b):  # every reader's screen cached on both processes
        for token in ("demo-alice", "demo-bob"):
            for quote_id in (demo.full, demo.plain):
                await h.quote(api, quote_id, token=token)
    reads = 0

    async def writer(api, token: str, quote_id: str, assignment_id: str, function: str) -> None:
        nonlocal reads
        for round_ in range(12):
            changed = await h.set_function(api, assignment_id, function, round_ % 2 == 0, token=token)
            assert changed["userErrors"] == []
            mine = changed["quote"]["version"]
            for reader in (api, b if api is a else a):
                seen = await h.quote(reader, quote_id, token=token)
                reads += 1
                assert seen["version"] >= mine, (token, quote_id, seen["version"], mine)

    await asyncio.gather(
        writer(a, "demo-alice", demo.full, smith, "DELIVERY"),
        writer(b, "demo-bob", demo.full, hugo, "ON_SITE"),
        writer(b, "demo-alice", demo.plain, other, "DELIVERY"),
    )
    assert reads == 72
    for quote_id in (demo.full, demo.plain):
        for token in ("demo-alice", "demo-bob"):
            assert await h.quote(a, quote_id, token=token) == await h.quote(b, quote_id, token=token)
