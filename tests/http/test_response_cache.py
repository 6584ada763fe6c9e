"""The response cache by what an answer depends on (issue 18): a step-2 answer outlives changes
to other clients' data, never a change to its quote, its client or the partner's own contacts;
after a change, the change's own answer serves the read that follows it, byte for byte what the
read would have given. Counted in SQL statements: one (the token) for an answer served as it
is, two when its client's version is checked first, five for a step-2 read resolved.
(Two processes and concurrent writers: tests/system/test_response_cache.py.)"""

from __future__ import annotations

from tests.domain.test_query_count import counting
from tests.support import api as h

CABINET = "Cabinet Martin & Associés"
RESOLVED = 5  # statements of a step-2 read (tests/domain/test_query_count.py)
RECHECKED = RESOLVED + 1  # the client's version read first, found moved


async def read(api, quote_id: str, **kwargs) -> tuple[bytes, int]:
    """The answer's bytes, and how many SQL statements it took."""
    with counting() as statements:
        response = await api.post(h.QUOTE, {"id": quote_id}, **kwargs)
    assert response.status_code == 200 and "errors" not in response.json(), response.text
    return response.content, len(statements)


async def test_an_answer_outlives_changes_to_other_clients_and_never_one_to_its_own(api):
    demo = await h.demo_of(api)
    first, cost = await read(api, demo.full)
    assert cost == RESOLVED
    assert await read(api, demo.full) == (first, 1)

    # Another client's data changes (and with it the partner's data version).
    added = await h.create_contact(api, enterpriseId=demo.enterprises[CABINET], lastName="Nouveau")
    assert added["userErrors"] == []
    assert await read(api, demo.full) == (first, 2)  # the client's version checked: unmoved
    assert await read(api, demo.full) == (first, 1)  # and kept under the new data version

    # A contact of the quote's client: the drop-down shows it at once.
    assert (await h.update_contact(api, contactId=demo.contacts["Dupont"], lastName="Dupond"))["userErrors"] == []
    renamed, cost = await read(api, demo.full)
    assert cost == RECHECKED and b"Dupond" in renamed and b'"Dupont"' not in renamed

    # Another quote of the same client (its list is one of this draft's suggestions).
    assert (await h.add_adhoc(api, demo.plain))["userErrors"] == []
    assert (await read(api, demo.full))[1] == RECHECKED

    # The partner's own contacts, which every quote offers.
    mine = await h.create_contact(api, enterpriseId=demo.partner, lastName="Interne")
    assert mine["userErrors"] == []
    offered, cost = await read(api, demo.full)
    assert cost == RESOLVED and b"Interne" in offered  # its version came with the token: no check

    # Another user's change of this very quote.
    assert (await h.add_adhoc(api, demo.full, token="demo-bob"))["userErrors"] == []
    changed, cost = await read(api, demo.full)
    assert cost == RECHECKED and changed != offered


async def test_a_change_answers_the_read_that_follows_it(api):
    demo = await h.demo_of(api)
    await read(api, demo.full)  # the screen, read once: the cache knows its selection
    await read(api, demo.full, language="en")
    added = await h.assign(api, demo.full, demo.contacts["Smith"], ["ON_SITE"])
    assert added["userErrors"] == []
    after_add, cost = await read(api, demo.full)
    assert cost == 1  # the change's answer, kept for this read
    assert (await read(api, demo.full, language="en"))[1] == RECHECKED  # another language: its own answer

    ticked = await h.set_function(api, added["assignment"]["id"], "TRACKING")
    primed, cost = await read(api, demo.full)
    assert cost == 1 and primed != after_add
    # Byte for byte what a read resolved afresh gives (another Accept: another key).
    fresh = await api.post(h.QUOTE, {"id": demo.full}, headers={"Accept": "application/json, */*;q=0.1"})
    assert fresh.content == primed
    assert fresh.json()["data"]["quote"] == ticked["quote"]

    # Bob, who did not read this quote before, gets his own answer; Alice's stays hers.
    bob, cost = await read(api, demo.full, token="demo-bob")
    assert cost == RESOLVED and b'"canEdit":false' in bob
    # A refused change primes nothing: the next read is the one kept before.
    refused = await h.set_function(api, added["assignment"]["id"], "DELIVERY", token="demo-victor")
    assert h.codes(refused["userErrors"]) == ["FORBIDDEN"]
    assert await read(api, demo.full) == (primed, 1)


async def test_a_read_of_something_else_than_one_quote_is_dropped_by_any_change(api):
    demo = await h.demo_of(api)
    listed, cost = await read_lookup(api)
    assert await read_lookup(api) == (listed, 1)
    assert (await h.create_contact(api, enterpriseId=demo.enterprises[CABINET], lastName="Nouveau"))["userErrors"] == []
    after, cost = await read_lookup(api)
    assert cost > 1 and b"Nouveau" in after


async def read_lookup(api) -> tuple[bytes, int]:
    with counting() as statements:
        response = await api.post(h.LOOKUP)
    assert response.status_code == 200
    return response.content, len(statements)
