"""The enterprise module's contacts over real HTTP: creating, completing, listing and searching."""

from __future__ import annotations

import base64
import json

from tests.support.api import assign, codes, create_contact, demo_of, eligible, quote, update_contact

CONTACTS = """query($id: ID!, $first: Int, $after: String, $search: String) {
  enterprise(id: $id) { contacts(first: $first, after: $after, search: $search) {
    edges { cursor node { id lastName firstName } } pageInfo { hasNextPage endCursor } } }
}"""

ENTERPRISES = """query($first: Int, $after: String, $kind: EnterpriseKind, $search: String) {
  enterprises(first: $first, after: $after, kind: $kind, search: $search) {
    edges { node { id name kind } } pageInfo { hasNextPage endCursor } }
}"""

QUOTES = """query($first: Int, $after: String, $status: QuoteStatus) {
  quotes(first: $first, after: $after, status: $status) {
    edges { cursor node { reference status } } pageInfo { hasNextPage endCursor } }
}"""


async def test_create_contact(api):
    demo = await demo_of(api)
    bakery = demo.enterprises["Boulangerie Éloïse"]

    # Only the last name is needed; empty optional fields count as left out.
    created = await create_contact(api, enterpriseId=bakery, lastName=" Gauthier ", firstName="", email="", phone="  ", role="")
    assert created["userErrors"] == []
    contact = created["contact"]
    assert (contact["lastName"], contact["firstName"], contact["email"], contact["phone"], contact["role"]) == (
        "Gauthier", None, None, None, None,
    )
    assert contact["missingFields"] == ["EMAIL", "PHONE", "ROLE"] and contact["isComplete"] is False
    assert contact["enterprise"]["id"] == bakery

    # It shows in the drafts' drop-down, refused as incomplete.
    entry = eligible(await quote(api, demo.full), "client")["Gauthier"]
    assert entry["canAdd"] is False and codes(entry["reasons"]) == ["CONTACT_INCOMPLETE"]

    # A complete one, phone normalised: it can go on the quote at once.
    created = await create_contact(
        api, enterpriseId=bakery, lastName="Roux", firstName="Inès", email="ines.roux@boulangerie-eloise.fr",
        phone="06 12 34 56 79", role="Livreuse",
    )
    assert created["userErrors"] == [] and created["contact"]["phone"] == "+33612345679"
    assert created["contact"]["isComplete"] is True and created["contact"]["phoneIsMobile"] is True
    assert (await assign(api, demo.full, created["contact"]["id"], ["DELIVERY"]))["userErrors"] == []

    # In the partner's own company too.
    own = await create_contact(api, enterpriseId=demo.partner, lastName="Nouveau", email="n@reseaux-atlantique.fr")
    assert own["userErrors"] == [] and "Nouveau" in eligible(await quote(api, demo.plain), "partner")

    # Every problem at once; nothing created.
    refused = await create_contact(
        api, enterpriseId=bakery, lastName="", firstName="F" * 101, email="ines@", phone="06 12", role="R" * 101
    )
    assert sorted((e["code"], tuple(e["field"])) for e in refused["userErrors"]) == sorted([
        ("REQUIRED", ("input", "lastName")),
        ("TOO_LONG", ("input", "firstName")),
        ("INVALID_EMAIL", ("input", "email")),
        ("INVALID_PHONE", ("input", "phone")),
        ("TOO_LONG", ("input", "role")),
    ])
    assert refused["contact"] is None
    listed = await api(CONTACTS, {"id": bakery})
    assert len(listed["enterprise"]["contacts"]["edges"]) == 7  # 5 of the demo + Gauthier + Roux


async def test_update_contact(api):
    demo = await demo_of(api)
    fabre = demo.contacts["Fabre"]
    version = (await quote(api, demo.full))["version"]

    # Completing the incomplete contact of the seed: then it can be added.
    done = await update_contact(api, contactId=fabre, phone="+33 6 55 44 33 22")
    assert done["userErrors"] == []
    c = done["contact"]
    assert (c["lastName"], c["firstName"], c["email"], c["phone"], c["role"]) == (
        "Fabre", "Lucie", "lucie.fabre@boulangerie-eloise.fr", "+33655443322", "Responsable de boutique",
    )  # the fields left out stay as they were
    assert c["isComplete"] is True and c["missingFields"] == []
    entry = eligible(await quote(api, demo.full), "client")["Fabre"]
    assert (entry["canAdd"], entry["reasons"]) == (True, [])
    # A contact that is only in the drop-downs: the quote's version does not move.
    assert (await quote(api, demo.full))["version"] == version
    # The search follows the new details.
    renamed = await update_contact(api, contactId=fabre, lastName="Fabré-Noël")
    assert renamed["contact"]["lastName"] == "Fabré-Noël"
    found = await api(CONTACTS, {"id": demo.enterprises["Boulangerie Éloïse"], "search": "fabre-noel"})
    assert [e["node"]["id"] for e in found["enterprise"]["contacts"]["edges"]] == [fabre]

    # An empty first name clears it; a contact can be corrected, not emptied.
    cleared = await update_contact(api, contactId=fabre, firstName="")
    assert cleared["userErrors"] == [] and cleared["contact"]["firstName"] is None
    refused = await update_contact(api, contactId=fabre, lastName="", email=None, phone=" ", role="")
    assert sorted((e["code"], tuple(e["field"])) for e in refused["userErrors"]) == sorted([
        ("REQUIRED", ("input", "lastName")),
        ("REQUIRED", ("input", "email")),
        ("REQUIRED", ("input", "phone")),
        ("REQUIRED", ("input", "role")),
    ])
    refused = await update_contact(api, contactId=fabre, email="lucie@@x.fr", phone="0000", lastName="L" * 101)
    assert sorted(codes(refused["userErrors"])) == ["INVALID_EMAIL", "INVALID_PHONE", "TOO_LONG"]
    refused = await update_contact(api, contactId=fabre, email="e" * 250 + "@x.fr")
    assert [(e["code"], e["field"]) for e in refused["userErrors"]] == [("TOO_LONG", ["input", "email"])]
    assert "254" in refused["userErrors"][0]["message"]
    refused = await update_contact(api, contactId=fabre, phone="06 12 34 56 78" + " " * 27)
    assert [(e["code"], e["field"]) for e in refused["userErrors"]] == [("TOO_LONG", ["input", "phone"])]

    # Nothing of the refused changes was stored.
    unchanged = await update_contact(api, contactId=fabre)
    assert unchanged["userErrors"] == []
    assert unchanged["contact"] == {**cleared["contact"], "updatedAt": unchanged["contact"]["updatedAt"]}
    assert unchanged["contact"]["updatedAt"] == cleared["contact"]["updatedAt"]


async def test_contact_edit_permission(api):
    demo = await demo_of(api)
    bakery = demo.enterprises["Boulangerie Éloïse"]
    for user in ("demo-bob", "demo-victor"):
        created = await create_contact(api, token=user, enterpriseId=bakery, lastName="Interdit")
        assert [(e["code"], e["field"]) for e in created["userErrors"]] == [("FORBIDDEN", None)]
        assert created["contact"] is None
        # Forbidden before the input is looked at: one error only.
        updated = await update_contact(api, token=user, contactId=demo.contacts["Fabre"], lastName="", email="nope")
        assert codes(updated["userErrors"]) == ["FORBIDDEN"]
        assert updated["userErrors"][0]["message"] == "Vous n'avez pas le droit de faire cette modification."
        # The frontend hides the edit link.
        entry = eligible(await quote(api, demo.full, token=user), "client")["Fabre"]
        assert entry["contact"]["canEdit"] is False
    listed = await api(CONTACTS, {"id": bakery, "search": "interdit"})
    assert listed["enterprise"]["contacts"]["edges"] == []
    fabre = (await update_contact(api, contactId=demo.contacts["Fabre"]))["contact"]
    assert (fabre["lastName"], fabre["email"], fabre["canEdit"]) == ("Fabre", "lucie.fabre@boulangerie-eloise.fr", True)


async def test_contacts_pages_and_search(api):
    demo = await demo_of(api)
    bakery = demo.enterprises["Boulangerie Éloïse"]
    # Two contacts named like the demo's Leroy (who has no first name), and a lower-case name.
    for last, first in (("Leroy", "Anne"), ("Leroy", "Zoé"), ("de Vries", "Émile")):
        assert (await create_contact(api, enterpriseId=bakery, lastName=last, firstName=first))["userErrors"] == []

    everyone = (await api(CONTACTS, {"id": bakery, "first": 100}))["enterprise"]["contacts"]
    all_ids = [e["node"]["id"] for e in everyone["edges"]]
    assert len(all_ids) == 8 and everyone["pageInfo"]["hasNextPage"] is False

    # Page by page, one at a time: everyone once, in the same order.
    seen, after = [], None
    for _ in range(20):
        page = (await api(CONTACTS, {"id": bakery, "first": 1, "after": after}))["enterprise"]["contacts"]
        seen += [e["node"]["id"] for e in page["edges"]]
        assert page["pageInfo"]["endCursor"] == (page["edges"][-1]["cursor"] if page["edges"] else None)
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == all_ids

    # Search ignores case and accents, on last name, first name and email.
    def names(data):
        return sorted(e["node"]["lastName"] for e in data["enterprise"]["contacts"]["edges"])

    assert names(await api(CONTACTS, {"id": bakery, "search": "ERIC"})) == ["Dupont"]
    assert names(await api(CONTACTS, {"id": bakery, "search": "zoe"})) == ["Leroy"]
    assert names(await api(CONTACTS, {"id": bakery, "search": "émile"})) == ["de Vries"]
    assert names(await api(CONTACTS, {"id": bakery, "search": "accueil@"})) == ["Leroy"]
    assert names(await api(CONTACTS, {"id": bakery, "search": "lEROY"})) == ["Leroy", "Leroy", "Leroy"]
    assert names(await api(CONTACTS, {"id": bakery, "search": "girard"})) == []  # another partner's contact


async def test_enterprises_and_quotes_lists(api):
    everything = (await api(ENTERPRISES, {}))["enterprises"]
    assert [(e["node"]["name"], e["node"]["kind"]) for e in everything["edges"]] == [
        ("Boulangerie Éloïse", "CLIENT"), ("Cabinet Martin & Associés", "CLIENT"), ("Réseaux Atlantique", "PARTNER"),
    ]
    clients = (await api(ENTERPRISES, {"kind": "CLIENT"}))["enterprises"]["edges"]
    assert [e["node"]["name"] for e in clients] == ["Boulangerie Éloïse", "Cabinet Martin & Associés"]
    for search in ("eloise", "ÉLOÏSE", "boulangerie élo"):
        found = (await api(ENTERPRISES, {"search": search}))["enterprises"]["edges"]
        assert [e["node"]["name"] for e in found] == ["Boulangerie Éloïse"], search
    found = (await api(ENTERPRISES, {"search": "boulangerie\u0000"}))["enterprises"]["edges"]
    assert [e["node"]["name"] for e in found] == ["Boulangerie Éloïse"]
    for search in ("%", "_", "boréal", "hotel"):
        assert (await api(ENTERPRISES, {"search": search}))["enterprises"]["edges"] == [], search

    first = (await api(ENTERPRISES, {"first": 2}))["enterprises"]
    assert first["pageInfo"]["hasNextPage"] is True
    rest = (await api(ENTERPRISES, {"first": 2, "after": first["pageInfo"]["endCursor"]}))["enterprises"]
    assert [e["node"]["name"] for e in rest["edges"]] == ["Réseaux Atlantique"]
    assert rest["pageInfo"]["hasNextPage"] is False

    # Quotes: newest first, page by page.
    refs, after = [], None
    while True:
        page = (await api(QUOTES, {"first": 1, "after": after}))["quotes"]
        refs += [e["node"]["reference"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert refs == ["DV-2026-0101", "DV-2026-0102", "DV-2026-0090", "DV-2026-0085"]
    drafts = (await api(QUOTES, {"status": "DRAFT"}))["quotes"]["edges"]
    assert [e["node"]["reference"] for e in drafts] == ["DV-2026-0101", "DV-2026-0102"]
    assert (await api(QUOTES, {"first": 0}))["quotes"]["edges"] == []

    # first is at most 100, and not negative: an error, not a silent cut.
    for query, variables in ((QUOTES, {"first": 101}), (ENTERPRISES, {"first": 101}), (QUOTES, {"first": -1})):
        body = (await api.post(query, variables)).json()
        assert body["errors"] and "100" in body["errors"][0]["message"] and body["data"] is None
    body = (await api.post(CONTACTS, {"id": (await demo_of(api)).partner, "first": 101})).json()
    assert body["errors"] and "100" in body["errors"][0]["message"]
    assert (await api(QUOTES, {"first": 100}))["quotes"]["pageInfo"]["hasNextPage"] is False

    # A cursor that is not one of ours is the caller's error, told as such.
    def cursor(*values):
        return base64.urlsafe_b64encode(json.dumps(values).encode()).decode()

    bakery = (await demo_of(api)).enterprises["Boulangerie Éloïse"]
    for query, variables in (
        (QUOTES, {"after": "bm9wZQ=="}),
        (QUOTES, {"after": cursor("2026-01-01T00:00:00+00:00", 10**20)}),  # beyond the database's integers
        (QUOTES, {"after": cursor("2026-01-01T00:00:00+00:00", "1")}),
        (ENTERPRISES, {"after": "garbage"}),
        (ENTERPRISES, {"after": cursor("Boulangerie", "99999999999999999999")}),
        (ENTERPRISES, {"after": cursor("Boulangerie\u0000", 1)}),  # PostgreSQL text cannot hold NUL
        (CONTACTS, {"id": bakery, "after": "garbage"}),
        (CONTACTS, {"id": bakery, "after": cursor(1, 2, 3)}),
    ):
        body = (await api.post(query, variables)).json()
        assert body["errors"][0]["message"] == "The cursor `after` is not valid."
