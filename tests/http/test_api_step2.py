"""Step 2 over real HTTP: reading a quote, adding, removing and ticking contacts, placing the order."""

from __future__ import annotations

import asyncio

from tests.support.api import (
    SEED_FR,
    add_adhoc,
    assign,
    by_name,
    codes,
    demo_of,
    eligible,
    place_order,
    quote,
    set_function,
    unassign,
    update_contact,
)

FUNCTIONS = "{ contactFunctions { function label help } }"


async def test_step2_page_of_a_fresh_quote(api):
    demo = await demo_of(api)
    q = await quote(api, demo.full)

    assert (q["reference"], q["status"], q["viewerCanEdit"], q["orderedAt"]) == ("DV-2026-0101", "DRAFT", True, None)
    assert q["client"]["kind"] == "CLIENT" and q["client"]["id"] in demo.clients
    assert [(line["product"]["code"], line["quantity"]) for line in q["lines"]] == [("FIBRE-1G", 1), ("4G-BACKUP", 1)]
    fibre, backup = (line["product"] for line in q["lines"])
    assert (fibre["requiresOnSiteContact"], fibre["requiresDeliveryContact"]) == (True, True)
    assert (backup["requiresOnSiteContact"], backup["requiresDeliveryContact"]) == (False, True)
    assert q["assignments"] == []

    reqs = [(r["function"], r["min"], r["max"], r["count"], r["summary"], [x["product"]["code"] for x in r["requiredBy"]])
            for r in q["contactRequirements"]]
    assert reqs == [
        ("ON_SITE", 1, 1, 0, "1 contact unique obligatoire", ["FIBRE-1G"]),
        ("DELIVERY", 1, 1, 0, "1 contact unique obligatoire", ["FIBRE-1G", "4G-BACKUP"]),
        ("TRACKING", 1, 3, 0, "1 contact obligatoire, 3 max.", []),
    ]

    validation = q["contactValidation"]
    assert validation["isValid"] is False
    assert [(e["code"], e["message"], e["function"]) for e in validation["errors"]] == [
        ("ON_SITE_CONTACT_REQUIRED", SEED_FR["ON_SITE_CONTACT_REQUIRED"], "ON_SITE"),
        ("DELIVERY_CONTACT_REQUIRED", SEED_FR["DELIVERY_CONTACT_REQUIRED"], "DELIVERY"),
        ("TRACKING_CONTACT_REQUIRED", SEED_FR["TRACKING_CONTACT_REQUIRED"], "TRACKING"),
    ]
    assert validation["warnings"] == []

    # The drop-downs: the client's contacts and the partner's own, the incomplete ones with their reason.
    client, partner = eligible(q, "client"), eligible(q, "partner")
    assert set(client) == {"Smith", "Listen", "Dupont", "Leroy", "Fabre"}
    assert set(partner) == {"Durand", "Petit", "Olivier"}
    for name in ("Fabre", "Olivier"):
        entry = client.get(name) or partner[name]
        assert entry["canAdd"] is False
        assert entry["contact"]["isComplete"] is False and entry["contact"]["missingFields"] == ["PHONE"]
        assert [(r["code"], r["message"]) for r in entry["reasons"]] == [("CONTACT_INCOMPLETE", SEED_FR["CONTACT_INCOMPLETE"])]
        assert entry["contact"]["canEdit"] is True  # alice may complete it: the frontend shows the link
    for name in ("Smith", "Listen", "Dupont", "Leroy", "Durand", "Petit"):
        entry = client.get(name) or partner[name]
        assert (entry["canAdd"], entry["reasons"], entry["contact"]["isComplete"]) == (True, [], True), name
    assert client["Smith"]["contact"]["phone"] == "+33612345678" and client["Smith"]["contact"]["phoneIsMobile"] is True
    assert client["Listen"]["contact"]["phoneIsMobile"] is False

    # A quote whose products need neither on-site nor delivery: both optional, tracking still required.
    plain = await quote(api, demo.plain)
    on_site, delivery, tracking = plain["contactRequirements"]
    assert (on_site["min"], on_site["max"], delivery["min"], delivery["max"]) == (0, 1, 0, 1)
    assert on_site["summary"] == delivery["summary"] != "1 contact unique obligatoire"
    assert on_site["requiredBy"] == delivery["requiredBy"] == []
    assert (tracking["min"], tracking["max"], tracking["summary"]) == (1, 3, "1 contact obligatoire, 3 max.")
    assert codes(plain["contactValidation"]["errors"]) == ["TRACKING_CONTACT_REQUIRED"]

    functions = (await api(FUNCTIONS))["contactFunctions"]
    assert [(f["function"], f["label"]) for f in functions] == [
        ("ON_SITE", "Intervention sur site"),
        ("DELIVERY", "Livraison de matériel"),
        ("TRACKING", "Suivi de commande"),
    ]
    assert functions[0]["help"] == (
        "Le contact sera sollicité par le fournisseur ou sous-traitant pour la mise en service de la solution souscrite "
        "(ex : prise de rendez-vous, accueil et vérification le jour du rendez-vous). Veuillez privilégier un numéro de mobile."
    )
    assert functions[1]["help"] == (
        "Le contact pourra être sollicité pour la livraison du matériel commandé (routeur, modem). "
        "Veuillez privilégier un numéro de mobile."
    )
    assert functions[2]["help"] == (
        "Le(s) contact(s) pourra être sollicité par le service déploiement pour des précisions ou des informations "
        "de rejet de commandes fournisseurs. Veuillez créer une liste de diffusion si vous souhaitez ajouter plus de 3 contacts."
    )


async def test_english_with_accept_language_en_french_otherwise(api):
    demo = await demo_of(api)
    english = await quote(api, demo.full, language="en-GB,en;q=0.9,fr;q=0.5")
    french = await quote(api, demo.full)
    also_french = await quote(api, demo.full, language="de, fr;q=0.9, en;q=0.8")

    assert codes(english["contactValidation"]["errors"]) == codes(french["contactValidation"]["errors"])
    en_messages = [e["message"] for e in english["contactValidation"]["errors"]]
    assert en_messages[0] == "You must select at least one on-site contact for the supplier's intervention"
    assert not set(en_messages) & set(SEED_FR.values())
    assert [e["message"] for e in french["contactValidation"]["errors"]] == [
        SEED_FR["ON_SITE_CONTACT_REQUIRED"], SEED_FR["DELIVERY_CONTACT_REQUIRED"], SEED_FR["TRACKING_CONTACT_REQUIRED"],
    ]
    assert also_french["contactValidation"] == french["contactValidation"]
    assert [r["summary"] for r in english["contactRequirements"]] != [r["summary"] for r in french["contactRequirements"]]
    fabre = eligible(english, "client")["Fabre"]["reasons"][0]
    assert fabre["code"] == "CONTACT_INCOMPLETE" and fabre["message"] != SEED_FR["CONTACT_INCOMPLETE"]

    functions = (await api(FUNCTIONS, language="en"))["contactFunctions"]
    assert [f["label"] for f in functions] == ["On-site intervention", "Equipment delivery", "Order tracking"]

    # A refused change in English: same codes, English messages.
    refused = await assign(api, demo.full, demo.contacts["Fabre"], language="en")
    assert codes(refused["userErrors"]) == ["CONTACT_INCOMPLETE"]
    assert refused["userErrors"][0]["message"].startswith("This contact is missing some information")


async def test_assign_enterprise_contacts(api):
    demo = await demo_of(api)
    start = (await quote(api, demo.full))["version"]

    # A client contact, with on-site and delivery ticked at once.
    added = await assign(api, demo.full, demo.contacts["Smith"], ["ON_SITE", "DELIVERY"])
    assert added["userErrors"] == []
    smith = added["assignment"]
    assert (smith["source"], smith["lastName"], smith["firstName"], smith["email"], smith["phone"], smith["role"]) == (
        "CLIENT", "Smith", "John", "john.smith@boulangerie-eloise.fr", "+33612345678", "Gérant",
    )
    assert smith["functions"] == ["ON_SITE", "DELIVERY"] and smith["phoneIsMobile"] is True
    assert smith["contact"]["id"] == demo.contacts["Smith"]
    q = added["quote"]
    assert q["version"] > start
    assert [a["id"] for a in q["assignments"]] == [smith["id"]]
    assert codes(q["contactValidation"]["errors"]) == ["TRACKING_CONTACT_REQUIRED"]
    assert [(r["function"], r["count"]) for r in q["contactRequirements"]] == [("ON_SITE", 1), ("DELIVERY", 1), ("TRACKING", 0)]
    entry = eligible(q, "client")["Smith"]
    assert entry["canAdd"] is False and codes(entry["reasons"]) == ["CONTACT_ALREADY_ON_QUOTE"]

    # A partner contact, for tracking: the rules hold.
    added = await assign(api, demo.full, demo.contacts["Durand"], ["TRACKING"])
    assert added["userErrors"] == [] and added["assignment"]["source"] == "PARTNER"
    q = added["quote"]
    assert [a["lastName"] for a in q["assignments"]] == ["Smith", "Durand"]  # in the order they were added
    assert q["contactValidation"] == {"isValid": True, "errors": [], "warnings": []}
    version = q["version"]

    # A landline takes delivery from Smith (radio): a warning, which does not block.
    added = await assign(api, demo.full, demo.contacts["Listen"], ["DELIVERY"])
    listen = added["assignment"]
    q = added["quote"]
    assert by_name(q)["Smith"]["functions"] == ["ON_SITE"]
    assert listen["functions"] == ["DELIVERY"] and listen["phoneIsMobile"] is False
    assert q["contactValidation"]["isValid"] is True
    assert [(w["code"], w["message"], w["assignmentId"], w["function"]) for w in q["contactValidation"]["warnings"]] == [
        ("PHONE_NOT_MOBILE", SEED_FR["PHONE_NOT_MOBILE"], listen["id"], "DELIVERY"),
    ]
    version = q["version"]

    # Refused: twice the same, incomplete, another client's contact. Each leaves the quote as it was.
    for name, code in (("Smith", "CONTACT_ALREADY_ON_QUOTE"), ("Fabre", "CONTACT_INCOMPLETE"), ("Martin", "CONTACT_NOT_ELIGIBLE")):
        refused = await assign(api, demo.full, demo.contacts[name], ["TRACKING"])
        assert [(e["code"], e["field"]) for e in refused["userErrors"]] == [(code, ["input", "contactId"])], name
        assert refused["assignment"] is None
        assert refused["quote"]["version"] == version
        assert [a["lastName"] for a in refused["quote"]["assignments"]] == ["Smith", "Durand", "Listen"]
    assert refused["userErrors"][0]["message"] != SEED_FR["CONTACT_INCOMPLETE"]

    # Tracking on a fourth contact, asked at once with the contact: refused, nothing stored.
    await set_function(api, by_name(q)["Smith"]["id"], "TRACKING")
    await set_function(api, listen["id"], "TRACKING")
    before = await quote(api, demo.full)
    refused = await assign(api, demo.full, demo.contacts["Dupont"], ["ON_SITE", "TRACKING"])
    assert [(e["code"], e["message"], e["function"]) for e in refused["userErrors"]] == [
        ("TRACKING_CONTACT_LIMIT", SEED_FR["TRACKING_CONTACT_LIMIT"], "TRACKING"),
    ]
    after = await quote(api, demo.full)
    assert after == before  # Smith keeps on-site: the radio did not move half-way


async def test_quote_holds_at_most_ten_contacts(api):
    demo = await demo_of(api)
    for name in ("Smith", "Listen", "Dupont", "Leroy", "Durand"):
        assert (await assign(api, demo.full, demo.contacts[name], ["TRACKING"] if name == "Smith" else []))["userErrors"] == []
    for i in range(5):
        added = await add_adhoc(api, demo.full, lastName=f"Ponctuel{i}")
        assert added["userErrors"] == []
    q = added["quote"]
    assert len(q["assignments"]) == 10
    # Each contact without a function is reported, by its assignment.
    without = [e for e in q["contactValidation"]["errors"] if e["code"] == "CONTACT_WITHOUT_FUNCTION"]
    assert len(without) == 9 and {e["message"] for e in without} == {SEED_FR["CONTACT_WITHOUT_FUNCTION"]}
    assert {e["assignmentId"] for e in without} == {a["id"] for a in q["assignments"] if not a["functions"]}
    # Everybody left in the drop-downs is refused now, with the reason.
    petit = eligible(q, "partner")["Petit"]
    assert petit["canAdd"] is False and codes(petit["reasons"]) == ["QUOTE_CONTACT_LIMIT"]
    assert "10" in petit["reasons"][0]["message"]

    eleventh = await assign(api, demo.full, demo.contacts["Petit"])
    assert codes(eleventh["userErrors"]) == ["QUOTE_CONTACT_LIMIT"] and eleventh["assignment"] is None
    eleventh = await add_adhoc(api, demo.full, lastName="Onzième")
    assert codes(eleventh["userErrors"]) == ["QUOTE_CONTACT_LIMIT"]
    assert len(eleventh["quote"]["assignments"]) == 10

    # Taking one off makes room again.
    assert (await unassign(api, q["assignments"][-1]["id"]))["userErrors"] == []
    assert (await assign(api, demo.full, demo.contacts["Petit"]))["userErrors"] == []


async def test_assign_adhoc_contact(api):
    demo = await demo_of(api)
    bakery_contacts = "query($id: ID!) { enterprise(id: $id) { contacts { edges { node { lastName } } } } }"
    client_id = (await quote(api, demo.full))["client"]["id"]
    listed_before = await api(bakery_contacts, {"id": client_id})

    # Every problem at once, each under its field; nothing stored.
    refused = await add_adhoc(
        api, demo.full, lastName="  ", firstName="x" * 101, email="pas-un-email", phone="12", role="", functions=["ON_SITE"]
    )
    assert sorted((e["code"], tuple(e["field"])) for e in refused["userErrors"]) == sorted([
        ("REQUIRED", ("input", "lastName")),
        ("TOO_LONG", ("input", "firstName")),
        ("INVALID_EMAIL", ("input", "email")),
        ("INVALID_PHONE", ("input", "phone")),
        ("REQUIRED", ("input", "role")),
    ])
    assert all(e["message"] for e in refused["userErrors"])
    assert refused["assignment"] is None and refused["quote"]["assignments"] == []

    # A valid one: phone normalised, functions ticked, on this quote only.
    added = await add_adhoc(api, demo.full, phone="06 12 34 56 78", firstName="", functions=["ON_SITE", "TRACKING"])
    assert added["userErrors"] == []
    a = added["assignment"]
    assert (a["source"], a["contact"], a["lastName"], a["firstName"], a["phone"], a["phoneIsMobile"]) == (
        "ADHOC", None, "Ponctuel", None, "+33612345678", True,
    )
    assert (a["email"], a["role"], a["functions"]) == ("paul.ponctuel@example.fr", "Gardien", ["ON_SITE", "TRACKING"])
    q = added["quote"]
    assert "Ponctuel" not in eligible(q, "client") and "Ponctuel" not in eligible(q, "partner")
    assert await api(bakery_contacts, {"id": client_id}) == listed_before

    # Control characters (a paste accident; PostgreSQL text cannot even hold NUL) count as spaces.
    pasted = await add_adhoc(api, demo.full, lastName="\u0000Collé\n", firstName="Jean\u0000Paul", role="\u0000")
    assert [(e["code"], e["field"]) for e in pasted["userErrors"]] == [("REQUIRED", ["input", "role"])]
    pasted = await add_adhoc(api, demo.full, lastName="\u0000Collé\n", firstName="Jean\u0000Paul", role="Gardien\t")
    assert pasted["userErrors"] == []
    assert (pasted["assignment"]["lastName"], pasted["assignment"]["firstName"], pasted["assignment"]["role"]) == (
        "Collé", "Jean Paul", "Gardien",
    )
    await unassign(api, pasted["assignment"]["id"])

    # A landline for delivery: accepted, with the warning.
    landline = await add_adhoc(api, demo.full, lastName="Fixe", phone="01 42 86 82 00", functions=["DELIVERY"])
    assert landline["userErrors"] == [] and landline["assignment"]["phone"] == "+33142868200"
    warnings = landline["quote"]["contactValidation"]["warnings"]
    assert [(w["code"], w["assignmentId"], w["function"]) for w in warnings] == [
        ("PHONE_NOT_MOBILE", landline["assignment"]["id"], "DELIVERY")
    ]
    assert landline["quote"]["contactValidation"]["isValid"] is True

    # An ad-hoc contact taking on-site from another one (radio) is the same as ticking it later.
    moved = await add_adhoc(api, demo.full, lastName="Site", functions=["ON_SITE"])
    assert by_name(moved["quote"])["Ponctuel"]["functions"] == ["TRACKING"]
    assert by_name(moved["quote"])["Site"]["functions"] == ["ON_SITE"]


async def test_unassign_and_tick_functions(api):
    demo = await demo_of(api)
    ids = {}
    for name in ("Smith", "Listen", "Dupont", "Durand"):
        ids[name] = (await assign(api, demo.full, demo.contacts[name]))["assignment"]["id"]

    # Radio: on-site goes from Smith to Listen.
    ticked = await set_function(api, ids["Smith"], "ON_SITE")
    assert ticked["userErrors"] == [] and ticked["assignment"]["functions"] == ["ON_SITE"]
    version = ticked["quote"]["version"]
    moved = await set_function(api, ids["Listen"], "ON_SITE")
    assert moved["assignment"]["id"] == ids["Listen"] and moved["assignment"]["functions"] == ["ON_SITE"]
    assert by_name(moved["quote"])["Smith"]["functions"] == []
    assert moved["quote"]["version"] > version
    assert [(w["code"], w["assignmentId"]) for w in moved["quote"]["contactValidation"]["warnings"]] == [
        ("PHONE_NOT_MOBILE", ids["Listen"])
    ]

    # Three tracking contacts, not four.
    for name in ("Smith", "Listen", "Dupont"):
        assert (await set_function(api, ids[name], "TRACKING"))["userErrors"] == []
    version = (await quote(api, demo.full))["version"]
    refused = await set_function(api, ids["Durand"], "TRACKING")
    assert refused["assignment"] is None
    assert [(e["code"], e["message"], e["assignmentId"], e["function"], e["field"]) for e in refused["userErrors"]] == [
        ("TRACKING_CONTACT_LIMIT", SEED_FR["TRACKING_CONTACT_LIMIT"], ids["Durand"], "TRACKING", ["input", "function"])
    ]
    assert refused["quote"]["version"] == version and by_name(refused["quote"])["Durand"]["functions"] == []

    # Untick: Dupont leaves tracking, Durand may take it.
    untick = await set_function(api, ids["Dupont"], "TRACKING", False)
    assert untick["assignment"]["functions"] == [] and untick["quote"]["version"] > version
    assert (await set_function(api, ids["Durand"], "TRACKING"))["assignment"]["functions"] == ["TRACKING"]

    # Take Listen off: on-site is needed again.
    removed = await unassign(api, ids["Listen"])
    assert removed["userErrors"] == [] and removed["assignment"] is None
    q = removed["quote"]
    assert "Listen" not in by_name(q)
    assert eligible(q, "client")["Listen"]["canAdd"] is True
    assert [(r["function"], r["count"]) for r in q["contactRequirements"]] == [("ON_SITE", 0), ("DELIVERY", 0), ("TRACKING", 2)]
    assert "ON_SITE_CONTACT_REQUIRED" in codes(q["contactValidation"]["errors"])
    again = await unassign(api, ids["Listen"])
    assert [(e["code"], e["field"]) for e in again["userErrors"]] == [("NOT_FOUND", ["input", "assignmentId"])]
    again = await set_function(api, ids["Listen"], "TRACKING")
    assert codes(again["userErrors"]) == ["NOT_FOUND"]


async def test_place_order_refused_then_accepted_then_frozen(api):
    demo = await demo_of(api)
    smith = (await assign(api, demo.full, demo.contacts["Smith"]))["assignment"]["id"]
    adhoc = (await add_adhoc(api, demo.full))["assignment"]["id"]

    refused = await place_order(api, demo.full)
    assert [(e["code"], e["message"], e["assignmentId"], e["function"]) for e in refused["userErrors"]] == [
        ("CONTACT_WITHOUT_FUNCTION", SEED_FR["CONTACT_WITHOUT_FUNCTION"], smith, None),
        ("CONTACT_WITHOUT_FUNCTION", SEED_FR["CONTACT_WITHOUT_FUNCTION"], adhoc, None),
        ("ON_SITE_CONTACT_REQUIRED", SEED_FR["ON_SITE_CONTACT_REQUIRED"], None, "ON_SITE"),
        ("DELIVERY_CONTACT_REQUIRED", SEED_FR["DELIVERY_CONTACT_REQUIRED"], None, "DELIVERY"),
        ("TRACKING_CONTACT_REQUIRED", SEED_FR["TRACKING_CONTACT_REQUIRED"], None, "TRACKING"),
    ]
    assert refused["quote"]["status"] == "DRAFT" and refused["quote"]["viewerCanEdit"] is True
    assert refused["userErrors"] == refused["quote"]["contactValidation"]["errors"]

    await set_function(api, smith, "ON_SITE")
    await set_function(api, smith, "TRACKING")
    partial = await place_order(api, demo.full)
    assert [(e["code"], e["assignmentId"]) for e in partial["userErrors"]] == [
        ("CONTACT_WITHOUT_FUNCTION", adhoc), ("DELIVERY_CONTACT_REQUIRED", None)
    ]
    await add_adhoc(api, demo.full, lastName="Fixe", phone="01 42 86 82 00", functions=["DELIVERY"])
    await unassign(api, adhoc)
    version = (await quote(api, demo.full))["version"]

    # A landline's warning does not block the order.
    placed = await place_order(api, demo.full)
    assert placed["userErrors"] == []
    q = placed["quote"]
    assert (q["status"], q["viewerCanEdit"]) == ("ORDERED", False)
    assert q["orderedAt"] and q["version"] > version
    assert codes(q["contactValidation"]["warnings"]) == ["PHONE_NOT_MOBILE"]
    assert {codes(e["reasons"])[-1] for e in q["eligibleContacts"]["client"]} == {"QUOTE_NOT_EDITABLE"}
    ordered_ids = {e["node"]["id"] for e in (await api('{ quotes(status: ORDERED) { edges { node { id } } } }'))["quotes"]["edges"]}
    assert ordered_ids == {demo.full, demo.ordered, demo.quotes["DV-2026-0085"]}

    # Every change is refused now, with one QUOTE_NOT_EDITABLE, and nothing moves.
    attempts = [
        await assign(api, demo.full, demo.contacts["Dupont"], ["TRACKING"]),
        await add_adhoc(api, demo.full, lastName="", email="x"),  # bad input too: the status is checked first
        await unassign(api, smith),
        await set_function(api, smith, "TRACKING", False),
        await set_function(api, smith, "DELIVERY"),
        await place_order(api, demo.full),
    ]
    for attempt in attempts:
        assert codes(attempt["userErrors"]) == ["QUOTE_NOT_EDITABLE"], attempt["userErrors"]
        assert attempt["userErrors"][0]["message"]
        assert attempt["quote"] == q


async def test_assignment_details_live_on_a_draft_frozen_once_ordered(api):
    demo = await demo_of(api)
    smith_id = demo.contacts["Smith"]
    added = await assign(api, demo.full, smith_id, ["ON_SITE", "DELIVERY", "TRACKING"])
    assignment_id = added["assignment"]["id"]
    version = added["quote"]["version"]

    # On a draft, the assignment shows the contact's current details, and the version grows.
    edited = await update_contact(api, contactId=smith_id, phone="01 42 86 82 01", role="Directeur", firstName="")
    assert edited["userErrors"] == []
    q = await quote(api, demo.full)
    smith = by_name(q)["Smith"]
    assert (smith["phone"], smith["role"], smith["firstName"], smith["phoneIsMobile"]) == ("+33142868201", "Directeur", None, False)
    assert q["version"] > version
    assert codes(q["contactValidation"]["warnings"]) == ["PHONE_NOT_MOBILE", "PHONE_NOT_MOBILE"]

    placed = await place_order(api, demo.full)
    assert placed["userErrors"] == []
    ordered_version = placed["quote"]["version"]

    # Once ordered, the assignment keeps what it showed; assignment.contact is the contact as it is now.
    await update_contact(api, contactId=smith_id, lastName="Smith-Martin", email="js@boulangerie-eloise.fr",
                         phone="06 99 88 77 66", role="Retraité", firstName="Jean")
    q = await quote(api, demo.full)
    (frozen,) = q["assignments"]
    assert frozen["id"] == assignment_id
    assert (frozen["lastName"], frozen["firstName"], frozen["email"], frozen["phone"], frozen["role"]) == (
        "Smith", None, "john.smith@boulangerie-eloise.fr", "+33142868201", "Directeur",
    )
    assert frozen["phoneIsMobile"] is False
    now = frozen["contact"]
    assert (now["lastName"], now["firstName"], now["email"], now["phone"], now["role"]) == (
        "Smith-Martin", "Jean", "js@boulangerie-eloise.fr", "+33699887766", "Retraité",
    )
    assert q["status"] == "ORDERED" and q["version"] == ordered_version

    # The demo's ordered quote too: its contact is frozen with the details it had.
    demo_ordered = await quote(api, demo.ordered)
    (martin,) = demo_ordered["assignments"]
    await update_contact(api, contactId=martin["contact"]["id"], role="Gérante")
    after = (await quote(api, demo.ordered))["assignments"][0]
    assert after["role"] == martin["role"] != "Gérante" and after["contact"]["role"] == "Gérante"


async def test_concurrent_changes_keep_the_limits(api):
    demo = await demo_of(api)
    ids = [(await add_adhoc(api, demo.full, lastName=f"Base{i}"))["assignment"]["id"] for i in range(6)]

    # Six tick tracking at once: three win, three are told the limit.
    ticks = await asyncio.gather(*(set_function(api, i, "TRACKING") for i in ids))
    assert sorted(codes(t["userErrors"]) for t in ticks) == [[]] * 3 + [["TRACKING_CONTACT_LIMIT"]] * 3
    # Six take on-site at once: one holds it in the end.
    await asyncio.gather(*(set_function(api, i, "ON_SITE") for i in ids))
    q = await quote(api, demo.full)
    assert [r["count"] for r in q["contactRequirements"]] == [1, 0, 3]

    # Eight more contacts at once on a list of six: four get in.
    added = await asyncio.gather(*(add_adhoc(api, demo.full, lastName=f"Plus{i}") for i in range(8)))
    assert sorted(codes(a["userErrors"]) for a in added) == [[]] * 4 + [["QUOTE_CONTACT_LIMIT"]] * 4
    assert len((await quote(api, demo.full))["assignments"]) == 10

    # The same enterprise contact twice at once: once on the list.
    await unassign(api, ids[0])
    await unassign(api, ids[1])
    twice = await asyncio.gather(*(assign(api, demo.full, demo.contacts["Smith"]) for _ in range(2)))
    assert sorted(codes(t["userErrors"]) for t in twice) == [[], ["CONTACT_ALREADY_ON_QUOTE"]]
    assert [a["lastName"] for a in (await quote(api, demo.full))["assignments"]].count("Smith") == 1
