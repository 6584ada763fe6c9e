"""Quote.history over the API: entries newest first, a sentence in the request's language naming
the actor, the change and the contact as named then, paged by cursor (at most 100 a page),
readable by whoever can read the quote and by nobody else."""

from __future__ import annotations

from tests.support import api as h

HISTORY = """query($id: ID!, $first: Int, $after: String) { quote(id: $id) {
  history(first: $first, after: $after) {
    edges { cursor node { id at kind actor contactName assignmentId function summary } }
    pageInfo { hasNextPage endCursor } } } }"""


async def history(api, quote_id: str, first: int | None = None, after: str | None = None, **kwargs) -> dict | None:
    quote = (await api(HISTORY, {"id": quote_id, "first": first, "after": after}, **kwargs))["quote"]
    return quote["history"] if quote else None


async def test_the_entries_say_who_did_what_to_whom_newest_first_in_the_requests_language(api):
    demo = await h.demo_of(api)
    martin = await h.add_adhoc(api, demo.full, lastName="Martin", firstName="Éric", functions=["TRACKING"])
    assignment = martin["assignment"]["id"]
    await h.set_function(api, assignment, "TRACKING", False, token="demo-bob")

    french = await history(api, demo.full)
    assert [e["node"]["summary"] for e in french["edges"]] == [
        "Bob Lefèvre a décoché Suivi de commande pour Éric Martin",
        "Alice Durand a coché Suivi de commande pour Éric Martin",
        "Alice Durand a ajouté Éric Martin au devis",
    ]
    english = await history(api, demo.full, language="en")
    assert [e["node"]["summary"] for e in english["edges"]] == [
        "Bob Lefèvre unticked Order tracking for Éric Martin",
        "Alice Durand ticked Order tracking for Éric Martin",
        "Alice Durand added Éric Martin to the quote",
    ]
    newest = french["edges"][0]["node"]
    assert (newest["kind"], newest["actor"], newest["contactName"], newest["function"], newest["assignmentId"]) == (
        "FUNCTION_UNTICKED", "Bob Lefèvre", "Éric Martin", "TRACKING", assignment)
    assert newest["at"] >= french["edges"][-1]["node"]["at"]

    # The name as it was then: the one-off contact goes, the entries stay.
    await h.unassign(api, assignment)
    after = await history(api, demo.full)
    assert after["edges"][0]["node"]["summary"] == "Alice Durand a retiré Éric Martin du devis"
    assert len(after["edges"]) == 4


async def test_placing_the_order_is_an_entry_and_the_history_is_kept_after_it(api):
    demo = await h.demo_of(api)
    added = await h.assign(api, demo.plain, demo.contacts["Smith"], ["TRACKING"])
    assert added["userErrors"] == []
    assert (await h.place_order(api, demo.plain))["userErrors"] == []
    entries = (await history(api, demo.plain))["edges"]
    order = entries[0]["node"]
    assert (order["kind"], order["contactName"], order["assignmentId"], order["function"]) == ("ORDER_PLACED", None, None, None)
    assert order["summary"] == "Alice Durand a passé la commande"


async def test_pages_by_cursor_at_most_100(api):
    demo = await h.demo_of(api)
    for name in ("Un", "Deux", "Trois"):
        await h.add_adhoc(api, demo.full, lastName=name, firstName=None, functions=[])
    first = await history(api, demo.full, first=2)
    assert [e["node"]["contactName"] for e in first["edges"]] == ["Trois", "Deux"]
    assert first["pageInfo"] == {"hasNextPage": True, "endCursor": first["edges"][-1]["cursor"]}
    rest = await history(api, demo.full, first=2, after=first["pageInfo"]["endCursor"])
    assert [e["node"]["contactName"] for e in rest["edges"]] == ["Un"]
    assert rest["pageInfo"]["hasNextPage"] is False

    for first, after in ((101, None), (-1, None), (2, "not a cursor")):
        body = (await api.post(HISTORY, {"id": demo.full, "first": first, "after": after})).json()
        assert body["errors"] and body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", body
        assert "Unexpected" not in body["errors"][0]["message"]


async def test_readable_by_whoever_reads_the_quote_and_nobody_else(api):
    demo = await h.demo_of(api)
    await h.add_adhoc(api, demo.full, lastName="Visible", functions=["TRACKING"])
    seen_by_victor = await history(api, demo.full, token="demo-victor")  # read only
    assert seen_by_victor["edges"][0]["node"]["contactName"].endswith("Visible")
    assert await history(api, demo.full, token="demo-mallory") is None  # another partner's quote
