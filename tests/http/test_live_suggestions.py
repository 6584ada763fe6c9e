"""Live updates of suggestions over WebSocket, against a real server (memory://): an applied
suggestion is one SUGGESTION_APPLIED event to every subscriber, with the quote as committed; a
change of the client's defaults tells its drafts (CONTACTS_EDITED) without raising their
version; a change to one quote's list tells no other draft."""

from __future__ import annotations

from tests.http.test_live import api, by_name, listening, live_server, quote_ids  # noqa: F401 (fixtures)
from tests.support.api import APPLY, DEFAULTS, SET_DEFAULTS, demo_of
from tests.support.wsclient import LEGACY_WS, LiveClient


async def test_a_suggestion_applied_is_one_event_to_every_subscriber_after_its_commit(api, live_server):
    quotes = await quote_ids(api)
    q101, q102 = quotes["DV-2026-0101"], quotes["DV-2026-0102"]
    async with (
        await LiveClient.connect(live_server.url, "demo-alice") as alice,
        await LiveClient.connect(live_server.url, "demo-victor", protocol=LEGACY_WS, language="en") as victor,
    ):
        await alice.subscribe(q101, "a")
        await alice.subscribe(q102, "b")
        await victor.subscribe(q101, "a")
        await listening(api.http, 3)

        data = await api(APPLY, {"input": {"quoteId": q101, "source": "CLIENT_DEFAULTS"}}, token="demo-bob")
        applied = data["applyContactSuggestion"]
        assert applied["userErrors"] == [] and len(applied["applied"]) == 3
        for client in (alice, victor):
            event = await client.event("a")
            assert (event["kind"], event["actor"], event["assignmentId"]) == ("SUGGESTION_APPLIED", "Bob Lefèvre", None)
            # The quote as the change committed it: every contact the suggestion added is there.
            assert event["quote"]["version"] == applied["quote"]["version"]
            assert {n: a["functions"] for n, a in by_name(event["quote"]).items()} == {
                "Dupont": ["ON_SITE", "TRACKING"], "Leroy": ["DELIVERY"], "Durand": ["TRACKING"]}
        # One event for the change; none for the other draft, although its suggestions changed.
        assert await alice.quiet(0.3) == [] and await victor.quiet(0.1) == []

        # A refused application (SUGGESTION_EMPTY) sends nothing.
        again = (await api(APPLY, {"input": {"quoteId": q101, "source": "CLIENT_DEFAULTS"}}))["applyContactSuggestion"]
        assert [e["code"] for e in again["userErrors"]] == ["SUGGESTION_EMPTY"]
        assert await alice.quiet(0.3) == []


async def test_a_defaults_change_tells_the_client_drafts_without_raising_their_version(api, live_server):
    demo = await demo_of(api)
    quotes = await quote_ids(api)
    q101, q102, q090 = quotes["DV-2026-0101"], quotes["DV-2026-0102"], quotes["DV-2026-0090"]
    async with await LiveClient.connect(live_server.url, "demo-bob") as bob:
        for op_id, quote_id in (("a", q101), ("b", q102), ("c", q090)):
            await bob.subscribe(quote_id, op_id)
        await listening(api.http, 3)
        versions = {q: (await api("query($id: ID!) { quote(id: $id) { version } }", {"id": q}))["quote"]["version"]
                    for q in (q101, q102)}
        bakery = demo.enterprises["Boulangerie Éloïse"]
        changed = await api(SET_DEFAULTS, {"input": {"enterpriseId": bakery, "defaults": [
            {"contactId": demo.contacts["Smith"], "functions": ["ON_SITE", "TRACKING"]}]}})
        assert changed["setContactDefaults"]["userErrors"] == []
        for op_id, quote_id in (("a", q101), ("b", q102)):
            event = await bob.event(op_id)
            assert (event["kind"], event["actor"]) == ("CONTACTS_EDITED", "Alice Durand")
            assert event["quote"]["version"] == versions[quote_id]
        # Not the other client's quote (ordered, of Cabinet Martin), and nothing more.
        assert await bob.quiet(0.3) == []
        after = (await api(DEFAULTS, {"id": bakery}))["enterprise"]["contactDefaults"]
        assert [d["contact"]["lastName"] for d in after] == ["Smith"]
