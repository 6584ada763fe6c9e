"""Permissions, the order of the checks, bad ids and tenant isolation, over real HTTP."""

from __future__ import annotations

import base64

from tests.support.api import (
    ADHOC,
    PLACE_ORDER,
    SET_FUNCTION,
    UNASSIGN,
    adhoc_input,
    add_adhoc,
    assign,
    codes,
    create_contact,
    demo_of,
    eligible,
    missing_id,
    place_order,
    quote,
    set_function,
    unassign,
    update_contact,
)

ENTERPRISE = "query($id: ID!) { enterprise(id: $id) { id name contacts { edges { node { id lastName } } } } }"
LISTS = """{
  quotes(first: 100) { edges { node { reference client { name } assignments { lastName } } } }
  enterprises(first: 100) { edges { node { name contacts(first: 100) { edges { node { lastName email } } } } } }
}"""


async def test_read_only_user_may_look_but_not_change(api):
    demo = await demo_of(api)
    smith = (await assign(api, demo.full, demo.contacts["Smith"]))["assignment"]["id"]
    before = await quote(api, demo.full)

    seen = await quote(api, demo.full, token="demo-victor")
    assert seen["viewerCanEdit"] is False
    assert [(a["id"], a["functions"]) for a in seen["assignments"]] == [(smith, [])]
    assert seen["assignments"][0]["contact"]["canEdit"] is False
    entry = eligible(seen, "client")["Dupont"]
    assert entry["canAdd"] is False and codes(entry["reasons"]) == ["FORBIDDEN"]
    assert codes(eligible(seen, "client")["Fabre"]["reasons"]) == ["CONTACT_INCOMPLETE", "FORBIDDEN"]

    attempts = [
        await assign(api, demo.full, demo.contacts["Dupont"], ["TRACKING"], token="demo-victor"),
        await add_adhoc(api, demo.full, token="demo-victor", email="bad"),  # FORBIDDEN before the input
        await unassign(api, smith, token="demo-victor"),
        await set_function(api, smith, "TRACKING", token="demo-victor"),
        await place_order(api, demo.full, token="demo-victor"),
    ]
    for attempt in attempts:
        assert [(e["code"], e["message"]) for e in attempt["userErrors"]] == [
            ("FORBIDDEN", "Vous n'avez pas le droit de faire cette modification.")
        ]
        assert attempt["quote"]["version"] == before["version"]
    assert await quote(api, demo.full) == before

    # bob may change quotes (not contacts), and the ordered one stays as it is for him too.
    bob = await assign(api, demo.full, demo.contacts["Dupont"], ["TRACKING"], token="demo-bob")
    assert bob["userErrors"] == [] and bob["quote"]["viewerCanEdit"] is True
    assert (await quote(api, demo.ordered, token="demo-bob"))["viewerCanEdit"] is False


async def test_order_of_checks(api):
    demo = await demo_of(api)
    bad = adhoc_input(demo.ordered, lastName="", email="nope", phone="1", role="")

    # Not found first: nothing else is said.
    for quote_id in (missing_id("Quote"), "not-an-id", demo.contacts["Smith"], ""):
        body = await api(ADHOC, {"input": {**bad, "quoteId": quote_id}}, token="demo-victor")
        payload = body["assignAdhocContact"]
        assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [("NOT_FOUND", ["input", "quoteId"])]
        assert payload["quote"] is None and payload["assignment"] is None
    missing_contact = await assign(api, demo.full, missing_id("Contact"), token="demo-victor")
    assert [(e["code"], e["field"]) for e in missing_contact["userErrors"]] == [("NOT_FOUND", ["input", "contactId"])]
    # Then the permission, before the status and the input.
    forbidden = await api(ADHOC, {"input": bad}, token="demo-victor")
    assert codes(forbidden["assignAdhocContact"]["userErrors"]) == ["FORBIDDEN"]
    # Then the status, before the input.
    frozen = await api(ADHOC, {"input": bad})
    assert codes(frozen["assignAdhocContact"]["userErrors"]) == ["QUOTE_NOT_EDITABLE"]
    # Then every problem of the input.
    on_draft = await api(ADHOC, {"input": {**bad, "quoteId": demo.full}})
    assert sorted(codes(on_draft["assignAdhocContact"]["userErrors"])) == ["INVALID_EMAIL", "INVALID_PHONE", "REQUIRED", "REQUIRED"]

    # The same order for the other mutations.
    assert codes((await assign(api, demo.ordered, demo.contacts["Fabre"], token="demo-victor"))["userErrors"]) == ["FORBIDDEN"]
    assert codes((await assign(api, demo.ordered, demo.contacts["Fabre"]))["userErrors"]) == ["QUOTE_NOT_EDITABLE"]
    assert codes((await assign(api, demo.ordered, demo.contacts["Smith"]))["userErrors"]) == ["QUOTE_NOT_EDITABLE"]
    for assignment_id in (missing_id("ContactAssignment"), "%%%", demo.full):
        for body, name in (
            (await api(UNASSIGN, {"input": {"assignmentId": assignment_id}}, token="demo-victor"), "unassignContact"),
            (await api(SET_FUNCTION, {"input": {"assignmentId": assignment_id, "function": "TRACKING", "enabled": True}},
                       token="demo-victor"), "setAssignmentFunction"),
        ):
            assert [(e["code"], e["field"]) for e in body[name]["userErrors"]] == [("NOT_FOUND", ["input", "assignmentId"])]
    placed = await api(PLACE_ORDER, {"input": {"quoteId": missing_id("Quote")}})
    assert codes(placed["placeOrder"]["userErrors"]) == ["NOT_FOUND"] and placed["placeOrder"]["quote"] is None
    # Contacts: not found, then CONTACT_EDIT, then the input.
    for token in ("demo-bob", "demo-alice"):
        nobody = await update_contact(api, token=token, contactId=missing_id("Contact"), lastName="")
        assert [(e["code"], e["field"]) for e in nobody["userErrors"]] == [("NOT_FOUND", ["input", "contactId"])]
        nowhere = await create_contact(api, token=token, enterpriseId=missing_id("Enterprise"), lastName="")
        assert [(e["code"], e["field"]) for e in nowhere["userErrors"]] == [("NOT_FOUND", ["input", "enterpriseId"])]
    assert codes((await update_contact(api, token="demo-bob", contactId=demo.contacts["Smith"], lastName=""))["userErrors"]) == ["FORBIDDEN"]


async def test_another_partner_sees_nothing_of_alice(api):
    alice = await demo_of(api)
    mallory = await demo_of(api, token="demo-mallory")
    assert set(mallory.quotes) == {"DV-2026-0201"}
    assert set(mallory.contacts) == {"Girard", "Lacroix"}
    smith_assignment = (await assign(api, alice.full, alice.contacts["Smith"], ["ON_SITE"]))["assignment"]["id"]
    before = await quote(api, alice.full)

    # Reads: alice's ids answer null, exactly like ids that do not exist or are malformed.
    for quote_id in (alice.full, alice.ordered, missing_id("Quote"), "garbage"):
        assert await quote(api, quote_id, token="demo-mallory") is None
    for enterprise_id in (alice.partner, *alice.clients, missing_id("Enterprise"), "garbage"):
        assert (await api(ENTERPRISE, {"id": enterprise_id}, token="demo-mallory"))["enterprise"] is None
    lists = await api(LISTS, token="demo-mallory")
    text = str(lists)
    for name in ("DV-2026-01", "DV-2026-0090", "Boulangerie", "Réseaux", "Smith", "Durand", "reseaux-atlantique"):
        assert name not in text, name
    # And alice sees nothing of mallory's.
    assert await quote(api, mallory.quotes["DV-2026-0201"]) is None
    assert "Boréal" not in str(await api(LISTS)) and "Lacroix" not in str(await api(LISTS))

    # Writes: NOT_FOUND, the same answer as for an id that does not exist.
    def same_as_missing(payload, missing_payload):
        assert payload == missing_payload
        assert codes(payload["userErrors"]) == ["NOT_FOUND"]

    async def adhoc_on(quote_id):
        return (await api(ADHOC, {"input": adhoc_input(quote_id)}, token="demo-mallory"))["assignAdhocContact"]

    same_as_missing(await adhoc_on(alice.full), await adhoc_on(missing_id("Quote")))
    same_as_missing(
        await assign(api, alice.full, mallory.contacts["Girard"], token="demo-mallory"),
        await assign(api, missing_id("Quote"), mallory.contacts["Girard"], token="demo-mallory"),
    )
    # Alice's contact on mallory's own quote: not found (on contactId), not "not eligible".
    same_as_missing(
        await assign(api, mallory.quotes["DV-2026-0201"], alice.contacts["Smith"], token="demo-mallory"),
        await assign(api, mallory.quotes["DV-2026-0201"], missing_id("Contact"), token="demo-mallory"),
    )
    # Mallory's contact on alice's quote, by alice.
    same_as_missing(
        await assign(api, alice.full, mallory.contacts["Lacroix"]),
        await assign(api, alice.full, missing_id("Contact")),
    )
    same_as_missing(
        await unassign(api, smith_assignment, token="demo-mallory"),
        await unassign(api, missing_id("ContactAssignment"), token="demo-mallory"),
    )
    same_as_missing(
        await set_function(api, smith_assignment, "TRACKING", token="demo-mallory"),
        await set_function(api, missing_id("ContactAssignment"), "TRACKING", token="demo-mallory"),
    )
    same_as_missing(
        await place_order(api, alice.full, token="demo-mallory"),
        await place_order(api, missing_id("Quote"), token="demo-mallory"),
    )
    same_as_missing(
        await update_contact(api, contactId=alice.contacts["Smith"], role="Pirate", token="demo-mallory"),
        await update_contact(api, contactId=missing_id("Contact"), role="Pirate", token="demo-mallory"),
    )
    for enterprise_id in (alice.partner, alice.clients[0]):
        same_as_missing(
            await create_contact(api, enterpriseId=enterprise_id, lastName="Intrus", token="demo-mallory"),
            await create_contact(api, enterpriseId=missing_id("Enterprise"), lastName="Intrus", token="demo-mallory"),
        )

    # Nothing of alice's changed.
    assert await quote(api, alice.full) == before
    assert "Intrus" not in str(await api(LISTS)) and "Pirate" not in str(await api(LISTS))


async def test_refused_changes_store_nothing(api):
    demo = await demo_of(api)
    smith = (await assign(api, demo.full, demo.contacts["Smith"], ["ON_SITE", "DELIVERY", "TRACKING"]))["assignment"]["id"]
    for name in ("Listen", "Dupont"):
        await assign(api, demo.full, demo.contacts[name], ["TRACKING"])
    before = await quote(api, demo.full)

    refused = [
        # Would take on-site and delivery from Smith, but the email is wrong.
        (await api(ADHOC, {"input": adhoc_input(demo.full, email="x@", functions=["ON_SITE", "DELIVERY"])}))["assignAdhocContact"],
        # Would take on-site from Smith, but tracking is full.
        await assign(api, demo.full, demo.contacts["Leroy"], ["ON_SITE", "TRACKING"]),
        await add_adhoc(api, demo.full, functions=["DELIVERY", "TRACKING"]),
    ]
    for payload in refused:
        assert payload["userErrors"] and payload["assignment"] is None
        assert payload["quote"] == before
    assert await quote(api, demo.full) == before
    assert by_functions(before) == {"Smith": ["ON_SITE", "DELIVERY", "TRACKING"], "Listen": ["TRACKING"], "Dupont": ["TRACKING"]}

    # placeOrder refused leaves the draft as it was.
    await unassign(api, smith)
    before = await quote(api, demo.full)
    payload = await place_order(api, demo.full)
    assert codes(payload["userErrors"]) == ["ON_SITE_CONTACT_REQUIRED", "DELIVERY_CONTACT_REQUIRED"]
    assert payload["quote"] == before == await quote(api, demo.full)


def by_functions(q: dict) -> dict[str, list[str]]:
    return {a["lastName"]: a["functions"] for a in q["assignments"]}


async def test_ids_are_opaque_and_typed(api):
    demo = await demo_of(api)
    pk_of_full = base64.b64decode(demo.full).decode().partition(":")[2]
    # The same number under another type, or with junk, finds nothing.
    for wrong in (
        base64.b64encode(f"Contact:{pk_of_full}".encode()).decode(),
        base64.b64encode(f"Quote:{pk_of_full}x".encode()).decode(),
        base64.b64encode(f"Quote:-{pk_of_full}".encode()).decode(),
        base64.b64encode(b"Quote:99999999999999999999").decode(),
        pk_of_full,
        "Quote:" + pk_of_full,
        "x" * 500,
    ):
        assert await quote(api, wrong) is None, wrong
        assert codes((await place_order(api, wrong))["userErrors"]) == ["NOT_FOUND"]
    assert (await quote(api, demo.full))["id"] == demo.full
