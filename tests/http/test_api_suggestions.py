"""Default contacts and suggestions over HTTP (additions README, "Suggestions"): reading them,
applying one (what is added, ticked and skipped, and why), setting a client's defaults, the order
of checks, and nothing stored on a refusal."""

from __future__ import annotations

from tests.support.api import (
    DEFAULTS,
    SEED_FR,
    add_adhoc,
    apply_suggestion,
    assign,
    by_name,
    codes,
    demo_of,
    missing_id,
    place_order,
    quote,
    set_defaults,
    set_function,
    suggestions,
)

EARLIER = "DV-2026-0085"  # the bakery's order: John Smith (ON_SITE, TRACKING), Hugo Garnier ad hoc (DELIVERY, TRACKING)


def entries(suggestion: dict) -> list[tuple]:
    return [(e["lastName"], e["functions"], [(p["code"], p["function"]) for p in e["problems"]]) for e in suggestion["entries"]]


def functions_by_name(q: dict) -> dict[str, list[str]]:
    return {a["lastName"]: a["functions"] for a in q["assignments"]}


async def test_a_draft_is_offered_the_client_defaults_then_its_earlier_order(api):
    demo = await demo_of(api)
    found = await suggestions(api, demo.full)
    assert [(s["source"], s["fromQuote"] and s["fromQuote"]["reference"], s["canApply"]) for s in found] == [
        ("CLIENT_DEFAULTS", None, True), ("EARLIER_QUOTE", EARLIER, True)]
    defaults, earlier = found
    assert defaults["label"] == "Contacts par défaut de Boulangerie Éloïse"
    assert entries(defaults) == [("Dupont", ["ON_SITE", "TRACKING"], []), ("Leroy", ["DELIVERY"], []),
                                 ("Durand", ["TRACKING"], [])]
    assert [e["contact"]["id"] for e in defaults["entries"]] == [demo.contacts[n] for n in ("Dupont", "Leroy", "Durand")]
    assert earlier["label"].startswith("Contacts de la commande DV-2026-0085 du ")
    assert entries(earlier) == [("Smith", ["ON_SITE", "TRACKING"], []), ("Garnier", ["DELIVERY", "TRACKING"], [])]
    assert earlier["entries"][1]["contact"] is None and earlier["entries"][1]["firstName"] == "Hugo"

    english = await suggestions(api, demo.full, language="en")
    assert [s["label"] for s in english][0] == "Default contacts of Boulangerie Éloïse"
    assert english[1]["label"].startswith("Contacts from order DV-2026-0085 of ")

    assert [s["source"] for s in await suggestions(api, demo.full, first=1)] == ["CLIENT_DEFAULTS"]
    assert await suggestions(api, demo.full, first=0) == []
    # None on an ordered quote, none for a viewer who may not change quotes, none for a client without any.
    assert await suggestions(api, demo.quotes[EARLIER]) == []
    assert await suggestions(api, demo.full, token="demo-victor") == []
    assert await suggestions(api, demo.full, token="demo-bob") != []
    mallory = await demo_of(api, token="demo-mallory")
    assert await suggestions(api, mallory.quotes["DV-2026-0201"], token="demo-mallory") == []


async def test_first_is_at_most_ten(api):
    demo = await demo_of(api)
    response = await api.post("query($id: ID!) { quote(id: $id) { contactSuggestions(first: 11) { label } } }",
                              {"id": demo.full})
    body = response.json()
    assert body["errors"] and "between 0 and 10" in body["errors"][0]["message"], body
    assert (await api.post("query($id: ID!) { quote(id: $id) { contactSuggestions(first: -1) { label } } }",
                           {"id": demo.full})).json()["errors"]


async def test_applying_adds_what_it_can_ticks_what_is_free_and_says_what_it_skipped(api):
    demo = await demo_of(api)
    before = await quote(api, demo.full)
    applied = await apply_suggestion(api, demo.full)
    assert applied["userErrors"] == [] and applied["skipped"] == []
    assert [(a["lastName"], a["source"], a["functions"]) for a in applied["applied"]] == [
        ("Dupont", "CLIENT", ["ON_SITE", "TRACKING"]), ("Leroy", "CLIENT", ["DELIVERY"]), ("Durand", "PARTNER", ["TRACKING"])]
    q = applied["quote"]
    assert q["version"] == before["version"] + 1  # one change
    assert q == await quote(api, demo.full)
    assert q["contactValidation"]["isValid"] is True

    # The earlier order now finds ON_SITE and DELIVERY taken and two TRACKING contacts: Smith
    # comes with TRACKING only; Garnier has nothing free and is not added at all.
    earlier = (await suggestions(api, demo.full))[1]
    assert entries(earlier) == [
        ("Smith", ["ON_SITE", "TRACKING"], [("FUNCTION_TAKEN", "ON_SITE")]),
        ("Garnier", ["DELIVERY", "TRACKING"], [("FUNCTION_TAKEN", "DELIVERY"), ("TRACKING_CONTACT_LIMIT", "TRACKING")]),
    ]
    second = await apply_suggestion(api, demo.full, "EARLIER_QUOTE", demo.quotes[EARLIER])
    assert second["userErrors"] == []
    assert [(a["lastName"], a["functions"]) for a in second["applied"]] == [("Smith", ["TRACKING"])]
    assert [(e["code"], e["function"], e["contactId"], e["message"]) for e in second["skipped"]] == [
        ("FUNCTION_TAKEN", "ON_SITE", demo.contacts["Smith"],
         "John Smith : la fonction « Intervention sur site » appartient déjà à un autre contact de la liste, qui la garde."),
        ("FUNCTION_TAKEN", "DELIVERY", None,
         "Hugo Garnier : la fonction « Livraison de matériel » appartient déjà à un autre contact de la liste, qui la garde."),
        ("TRACKING_CONTACT_LIMIT", "TRACKING", None, "Hugo Garnier : " + SEED_FR["TRACKING_CONTACT_LIMIT"]),
    ]
    assert functions_by_name(second["quote"]) == {
        "Dupont": ["ON_SITE", "TRACKING"], "Leroy": ["DELIVERY"], "Durand": ["TRACKING"], "Smith": ["TRACKING"]}
    assert second["quote"]["version"] == q["version"] + 1
    # Nothing of an enterprise's contacts was written: the ad-hoc contact stays the order's own.
    assert "Garnier" not in {e["contact"]["lastName"] for e in second["quote"]["eligibleContacts"]["client"]}


async def test_the_same_suggestion_twice_is_suggestion_empty_and_stores_nothing(api):
    demo = await demo_of(api)
    first = await apply_suggestion(api, demo.plain, "EARLIER_QUOTE", demo.quotes[EARLIER])
    assert first["userErrors"] == [] and [a["lastName"] for a in first["applied"]] == ["Smith", "Garnier"]
    garnier = by_name(first["quote"])["Garnier"]
    assert (garnier["source"], garnier["contact"], garnier["email"]) == ("ADHOC", None, "hugo.garnier@example.fr")
    version = first["quote"]["version"]

    again = await apply_suggestion(api, demo.plain, "EARLIER_QUOTE", demo.quotes[EARLIER], language="en")
    assert codes(again["userErrors"]) == ["SUGGESTION_EMPTY"] and again["applied"] == []
    assert again["userErrors"][0]["message"].startswith("This suggestion has nothing to add to the quote")
    assert [(e["code"], e["contactId"], e["message"]) for e in again["skipped"]] == [
        ("CONTACT_ALREADY_ON_QUOTE", demo.contacts["Smith"], "John Smith is already on the list."),
        ("CONTACT_ALREADY_ON_QUOTE", None, "Hugo Garnier is already on the list."),
    ]
    assert again["quote"]["version"] == version == (await quote(api, demo.plain))["version"]
    # The list it came from says so before anyone tries.
    earlier = next(s for s in await suggestions(api, demo.plain) if s["source"] == "EARLIER_QUOTE")
    assert earlier["canApply"] is False


async def test_an_adhoc_contact_with_the_same_email_is_the_same_contact(api):
    demo = await demo_of(api)
    added = await add_adhoc(api, demo.full, lastName="Garnier", email="HUGO.GARNIER@example.fr", functions=["TRACKING"])
    assert added["userErrors"] == []
    applied = await apply_suggestion(api, demo.full, "EARLIER_QUOTE", demo.quotes[EARLIER])
    assert [(a["lastName"], a["functions"]) for a in applied["applied"]] == [
        ("Smith", ["ON_SITE", "TRACKING"]), ("Garnier", ["DELIVERY", "TRACKING"])]
    assert [a["lastName"] for a in applied["quote"]["assignments"]] == ["Garnier", "Smith"]  # not added twice


async def test_a_draft_list_is_a_suggestion_for_the_client_other_drafts_latest_changed_first(api):
    demo = await demo_of(api)
    await assign(api, demo.plain, demo.contacts["Listen"], ["TRACKING"])
    found = await suggestions(api, demo.full)
    assert [s["fromQuote"] and s["fromQuote"]["reference"] for s in found] == [None, EARLIER, "DV-2026-0102"]
    assert found[2]["label"].startswith("Contacts du devis DV-2026-0102 modifié le ")
    applied = await apply_suggestion(api, demo.full, "EARLIER_QUOTE", demo.plain)
    assert [(a["lastName"], a["functions"]) for a in applied["applied"]] == [("Listen", ["TRACKING"])]
    # Ordered quotes come before drafts, latest order first.
    await assign(api, demo.full, demo.contacts["Dupont"], ["ON_SITE", "DELIVERY"])
    assert (await place_order(api, demo.full))["userErrors"] == []
    await set_function(api, by_name(await quote(api, demo.plain))["Listen"]["id"], "DELIVERY")
    references = [s["fromQuote"]["reference"] for s in await suggestions(api, demo.plain, first=10) if s["fromQuote"]]
    assert references == ["DV-2026-0101", EARLIER]  # 0101 ordered just now; the draft itself is never offered


async def test_apply_checks_in_order_not_found_forbidden_not_editable(api):
    demo = await demo_of(api)
    mallory = await demo_of(api, token="demo-mallory")
    other_client_order = demo.ordered  # DV-2026-0090: Cabinet Martin's
    for quote_id in (missing_id("Quote"), "garbage", mallory.quotes["DV-2026-0201"]):
        refused = await apply_suggestion(api, quote_id)
        assert [(e["code"], e["field"]) for e in refused["userErrors"]] == [("NOT_FOUND", ["input", "quoteId"])]
        assert refused["quote"] is None
    for from_quote in (None, demo.full, other_client_order, mallory.quotes["DV-2026-0201"], missing_id("Quote")):
        for token in ("demo-alice", "demo-victor"):  # visibility first: victor's FORBIDDEN comes after
            refused = await apply_suggestion(api, demo.full, "EARLIER_QUOTE", from_quote, token=token)
            assert [(e["code"], e["field"]) for e in refused["userErrors"]] == [("NOT_FOUND", ["input", "fromQuoteId"])]
            assert refused["quote"]["id"] == demo.full and refused["skipped"] == []
    assert codes((await apply_suggestion(api, demo.full, token="demo-victor"))["userErrors"]) == ["FORBIDDEN"]
    ordered = await apply_suggestion(api, demo.quotes[EARLIER], "EARLIER_QUOTE", demo.plain, token="demo-victor")
    assert codes(ordered["userErrors"]) == ["FORBIDDEN"]
    assert codes((await apply_suggestion(api, demo.quotes[EARLIER]))["userErrors"]) == ["QUOTE_NOT_EDITABLE"]
    assert (await quote(api, demo.full))["assignments"] == []


# --- Default contacts ---------------------------------------------------------------------------


async def test_defaults_are_replaced_as_a_whole_and_read_back_in_order(api):
    demo = await demo_of(api)
    bakery = demo.enterprises["Boulangerie Éloïse"]
    read = (await api(DEFAULTS, {"id": bakery}))["enterprise"]
    assert [(d["contact"]["lastName"], d["functions"]) for d in read["contactDefaults"]] == [
        ("Dupont", ["ON_SITE", "TRACKING"]), ("Leroy", ["DELIVERY"]), ("Durand", ["TRACKING"])]
    assert (await api(DEFAULTS, {"id": demo.partner}))["enterprise"]["contactDefaults"] == []

    changed = await set_defaults(api, bakery, [(demo.contacts["Smith"], ["TRACKING", "ON_SITE", "TRACKING"]),
                                               (demo.contacts["Petit"], ["DELIVERY"])])
    assert changed["userErrors"] == []
    assert [(d["contact"]["lastName"], d["functions"]) for d in changed["enterprise"]["contactDefaults"]] == [
        ("Smith", ["ON_SITE", "TRACKING"]), ("Petit", ["DELIVERY"])]
    assert (await suggestions(api, demo.full))[0]["entries"][0]["lastName"] == "Smith"

    removed = await set_defaults(api, bakery, [])
    assert removed["userErrors"] == [] and removed["enterprise"]["contactDefaults"] == []
    assert [s["source"] for s in await suggestions(api, demo.full)] == ["EARLIER_QUOTE"]
    empty = await apply_suggestion(api, demo.full)
    assert codes(empty["userErrors"]) == ["SUGGESTION_EMPTY"] and empty["skipped"] == []


async def test_every_problem_of_a_defaults_list_at_once_on_its_input_and_nothing_stored(api):
    demo = await demo_of(api)
    bakery = demo.enterprises["Boulangerie Éloïse"]
    c = demo.contacts
    refused = await set_defaults(api, bakery, [
        (c["Smith"], ["ON_SITE", "TRACKING"]),
        (c["Martin"], ["TRACKING"]),        # another client's contact
        (c["Fabre"], ["TRACKING"]),         # incomplete
        (c["Smith"], ["TRACKING"]),         # twice
        (c["Dupont"], []),                  # no function
        (c["Listen"], ["ON_SITE", "TRACKING"]),
    ])
    assert [(e["code"], e["field"], e["function"], e["contactId"]) for e in refused["userErrors"]] == [
        ("CONTACT_NOT_ELIGIBLE", ["input", "defaults", "1", "contactId"], None, c["Martin"]),
        ("CONTACT_INCOMPLETE", ["input", "defaults", "2", "contactId"], None, c["Fabre"]),
        ("CONTACT_ALREADY_ON_QUOTE", ["input", "defaults", "3", "contactId"], None, c["Smith"]),
        ("TRACKING_CONTACT_LIMIT", ["input", "defaults", "3", "functions"], "TRACKING", c["Smith"]),
        ("CONTACT_WITHOUT_FUNCTION", ["input", "defaults", "4", "functions"], None, c["Dupont"]),
        ("FUNCTION_TAKEN", ["input", "defaults", "5", "functions"], "ON_SITE", c["Listen"]),
        ("TRACKING_CONTACT_LIMIT", ["input", "defaults", "5", "functions"], "TRACKING", c["Listen"]),
    ]
    messages = [e["message"] for e in refused["userErrors"]]
    assert messages[1] == "Lucie Fabre : " + SEED_FR["CONTACT_INCOMPLETE"]
    assert messages[4] == "Éric Dupont : " + SEED_FR["CONTACT_WITHOUT_FUNCTION"]
    assert [d["contact"]["lastName"] for d in refused["enterprise"]["contactDefaults"]] == ["Dupont", "Leroy", "Durand"]

    english = await set_defaults(api, bakery, [(c["Smith"], ["TRACKING"])] * 2, language="en")
    assert [e["message"] for e in english["userErrors"]] == ["John Smith is already on the list."]

    eleven = [(c[name], ["TRACKING"] if i < 3 else []) for i, name in enumerate(
        ["Smith", "Listen", "Dupont", "Leroy", "Durand", "Petit", "Martin", "Fabre", "Olivier", "Smith", "Listen"])]
    too_many = await set_defaults(api, bakery, eleven)
    limits = [e for e in too_many["userErrors"] if e["code"] == "QUOTE_CONTACT_LIMIT"]
    assert [(e["field"], e["contactId"]) for e in limits] == [(["input", "defaults"], None)]
    assert len((await api(DEFAULTS, {"id": bakery}))["enterprise"]["contactDefaults"]) == 3


async def test_defaults_check_in_order_not_found_forbidden_then_a_client_only(api):
    demo = await demo_of(api)
    mallory = await demo_of(api, token="demo-mallory")
    bakery = demo.enterprises["Boulangerie Éloïse"]
    hotel = mallory.enterprises["Hôtel du Lac"]
    for enterprise in (hotel, missing_id("Enterprise"), "garbage"):
        refused = await set_defaults(api, enterprise, [(demo.contacts["Smith"], ["TRACKING"])])
        assert [(e["code"], e["field"]) for e in refused["userErrors"]] == [("NOT_FOUND", ["input", "enterpriseId"])]
        assert refused["enterprise"] is None
    for token in ("demo-alice", "demo-bob"):  # another partner's contact is not found, before bob's FORBIDDEN
        refused = await set_defaults(api, bakery, [(demo.contacts["Smith"], ["TRACKING"]),
                                                   (mallory.contacts["Lacroix"], ["TRACKING"])], token=token)
        assert [(e["code"], e["field"]) for e in refused["userErrors"]] == [("NOT_FOUND", ["input", "defaults", "1", "contactId"])]
    assert codes((await set_defaults(api, bakery, [], token="demo-bob"))["userErrors"]) == ["FORBIDDEN"]
    partner = await set_defaults(api, demo.partner, [(demo.contacts["Durand"], ["TRACKING"])])
    assert [(e["code"], e["field"]) for e in partner["userErrors"]] == [("CONTACT_NOT_ELIGIBLE", ["input", "enterpriseId"])]
    assert len((await api(DEFAULTS, {"id": bakery}))["enterprise"]["contactDefaults"]) == 3
    too_long = await api.post("mutation($input: SetContactDefaultsInput!) { setContactDefaults(input: $input) { userErrors { code } } }",
                              {"input": {"enterpriseId": bakery, "defaults": [{"contactId": "x", "functions": []}] * 101}})
    assert too_long.json()["errors"][0]["message"] == "`defaults` holds at most 100 entries."
