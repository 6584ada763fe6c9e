"""A person's data over the API (additions/privacy): personalData and erasePersonalData, their
order of checks, and nothing erased read back from anywhere the service answers from: every
query Alice and Victor can send (quotes, their lists, history and suggestions, the enterprises,
their contacts and defaults, the report), in French and English, the same requests answered
before (the response cache), and the events of the subscriptions open on the quotes touched;
the same of the retention period's purge, whose actor is the retention period."""

from __future__ import annotations

import json

from tortoise.timezone import now

from contacts import retention
from tests.http.test_live import listening
from tests.support import api as h
from tests.support.wsclient import LiveClient

EMAIL = "eric.dupont@boulangerie-eloise.fr"
# What must not be read back once Éric Dupont is erased: the demo contact's details, and those of
# the one-off copy typed in for him.
TRACES = ("dupont", "eric.dupont@", "+33698765432", "responsable informatique", "+33699887766", "gardien du site")
ADHOC = {"lastName": "Dupont", "firstName": "Eric", "email": "Eric.Dupont@Boulangerie-Eloise.FR",
         "phone": "06 99 88 77 66", "role": "Gardien du site"}

REPORT = f"""query($email: String!) {{ personalData(email: $email) {{
  email contacts {{ id lastName email enterprise {{ name }} }}
  assignments {{ quote {{ id reference status }} assignment {{ {h.ASSIGNMENT} erased }} }}
}} }}"""
ERASE = """mutation($input: ErasePersonalDataInput!) { erasePersonalData(input: $input) {
  erasedContacts erasedAssignments quotes { id reference version assignments { id lastName erased } }
  userErrors { code message field } } }"""
# Everything a reader can read, one quote and one enterprise at a time (a document asking all of
# them at once is over the cost limit, as it should be).
LISTS = "{ quotes(first: 100) { edges { node { id } } } enterprises(first: 100) { edges { node { id } } } }"
QUOTE_EVERYTHING = f"""query QuoteEverything($id: ID!) {{ quote(id: $id) {{
  ...Step2
  assignments {{ erased }}
  history(first: 100) {{ edges {{ node {{ kind actor contactName assignmentId summary }} }} }}
  contactSuggestions(first: 10) {{ label entries {{ lastName firstName contact {{ {h.CONTACT} }} problems {{ message }} }} }}
}} }}""" + h.STEP2
ENTERPRISE_EVERYTHING = f"""query EnterpriseEverything($id: ID!) {{ enterprise(id: $id) {{
  name contacts(first: 100) {{ edges {{ node {{ {h.CONTACT} }} }} }}
  contactDefaults {{ contact {{ {h.CONTACT} }} functions }}
}} }}"""


async def read_everything(client, **kwargs) -> dict:
    """Every quote and enterprise `client`'s reader can see, each read whole; the same requests
    every time (the response cache keeps them)."""
    lists = await client(LISTS, **kwargs)
    quotes = [e["node"]["id"] for e in lists["quotes"]["edges"]]
    enterprises = [e["node"]["id"] for e in lists["enterprises"]["edges"]]
    return {"quotes": [await client(QUOTE_EVERYTHING, {"id": i}, **kwargs) for i in quotes],
            "enterprises": [await client(ENTERPRISE_EVERYTHING, {"id": i}, **kwargs) for i in enterprises]}
READERS = ("demo-alice", "demo-victor")


async def scene(api) -> dict:
    """Éric Dupont on the draft DV-2026-0101 as the bakery's contact; typed in on DV-2026-0102
    (his email in other case), which is then ordered; typed in on DV-2026-0101 and taken off
    again. He is among the bakery's default contacts (demo)."""
    demo = await h.demo_of(api)
    on_draft = await h.assign(api, demo.full, demo.contacts["Dupont"], ["ON_SITE", "TRACKING"])
    earlier = await h.add_adhoc(api, demo.full, **ADHOC)
    assert on_draft["userErrors"] == [] and earlier["userErrors"] == []
    assert (await h.unassign(api, earlier["assignment"]["id"]))["userErrors"] == []
    typed = await h.add_adhoc(api, demo.plain, **ADHOC, functions=["TRACKING"])
    assert typed["userErrors"] == [] and (await h.place_order(api, demo.plain))["userErrors"] == []
    return {"demo": demo, "draft": demo.full, "order": demo.plain, "on_draft": on_draft["assignment"]["id"],
            "on_order": typed["assignment"]["id"], "earlier": earlier["assignment"]["id"]}


def traces_in(answer) -> list[str]:
    text = json.dumps(answer, ensure_ascii=False).lower()
    return [t for t in TRACES if t in text]


async def everything(api) -> list[dict]:
    """Everything the readers can read, in French and English."""
    return [await read_everything(api, token=token, language=language) for token in READERS for language in ("fr", "en")]


async def test_the_report_lists_the_contacts_and_copies_with_the_email_of_the_viewers_company_only(api):
    s = await scene(api)
    await h.create_contact(api, token="demo-mallory", enterpriseId=(await h.demo_of(api, token="demo-mallory")).partner,
                           lastName="Homonyme", email=EMAIL)
    report = (await api(REPORT, {"email": "  Eric.DUPONT@Boulangerie-Eloise.fr "}))["personalData"]
    assert report["email"] == "eric.dupont@boulangerie-eloise.fr"
    assert [(c["lastName"], c["enterprise"]["name"]) for c in report["contacts"]] == [("Dupont", "Boulangerie Éloïse")]
    listed = [(a["quote"]["reference"], a["quote"]["status"], a["assignment"]["source"], a["assignment"]["id"])
              for a in report["assignments"]]
    assert listed == [("DV-2026-0101", "DRAFT", "CLIENT", s["on_draft"]), ("DV-2026-0102", "ORDERED", "ADHOC", s["on_order"])]
    assert report["assignments"][1]["assignment"]["email"] == "Eric.Dupont@boulangerie-eloise.fr"
    # The other partner sees its own contact only, and nothing of Alice's company.
    theirs = (await api(REPORT, {"email": EMAIL}, token="demo-mallory"))["personalData"]
    assert [c["lastName"] for c in theirs["contacts"]] == ["Homonyme"] and theirs["assignments"] == []
    assert "Homonyme" not in json.dumps(report)


async def test_forbidden_comes_before_invalid_email_and_nothing_is_stored(api):
    s = await scene(api)
    before = await everything(api)
    for token, email, code in (("demo-bob", EMAIL, "FORBIDDEN"), ("demo-victor", "not an email", "FORBIDDEN"),
                               ("demo-alice", "not an email", "INVALID_EMAIL"), ("demo-alice", "", "INVALID_EMAIL")):
        body = (await api.post(REPORT, {"email": email}, token=token, language="en")).json()
        assert body["data"] is None and [e["extensions"]["code"] for e in body["errors"]] == [code], body
        erased = (await api(ERASE, {"input": {"email": email}}, token=token, language="en"))["erasePersonalData"]
        field = ["input", "email"] if code == "INVALID_EMAIL" else None
        assert [(e["code"], e["field"]) for e in erased["userErrors"]] == [(code, field)]
        assert (erased["erasedContacts"], erased["erasedAssignments"], erased["quotes"]) == (0, 0, [])
    body = (await api.post(REPORT, {"email": "nope"})).json()
    assert body["errors"][0]["message"] == "Cette adresse email n'est pas valide."
    assert body["errors"][0]["extensions"]["code"] == "INVALID_EMAIL"
    assert await everything(api) == before
    assert (await api(REPORT, {"email": EMAIL}))["personalData"]["assignments"][0]["assignment"]["id"] == s["on_draft"]


async def test_nothing_erased_can_be_read_back_from_anywhere(api):
    s = await scene(api)
    demo = s["demo"]
    before = await everything(api)  # also what the response cache keeps
    assert all(traces_in(answer) == list(TRACES) for answer in before), [traces_in(a) for a in before]

    async with (await LiveClient.connect(api.url, "demo-victor") as victor,
                await LiveClient.connect(api.url, "demo-alice", language="en") as alice):
        await victor.subscribe(s["draft"], "draft")
        await alice.subscribe(s["order"], "order")
        await listening(api.http, 2)
        erased = (await api(ERASE, {"input": {"email": " Eric.Dupont@Boulangerie-Eloise.FR "}}))["erasePersonalData"]
        draft_event, order_event = await victor.event("draft"), await alice.event("order")

    assert erased["userErrors"] == []
    assert (erased["erasedContacts"], erased["erasedAssignments"]) == (1, 2)
    assert [q["id"] for q in erased["quotes"]] == [s["draft"], s["order"]]
    assert traces_in(erased) == []
    assert (draft_event["kind"], draft_event["actor"], draft_event["assignmentId"]) == (
        "CONTACT_REMOVED", "Alice Durand", s["on_draft"])
    assert (order_event["kind"], order_event["actor"]) == ("CONTACTS_EDITED", "Alice Durand")
    assert [(a["lastName"], a["role"], a["phone"], a["contact"]) for a in order_event["quote"]["assignments"]] == [
        ("Erased contact", "", "", None)]
    assert traces_in([draft_event, order_event]) == []

    after = await everything(api)  # the same requests as before: not answered from the cache
    assert [traces_in(answer) for answer in after] == [[]] * 4
    assert (await api(REPORT, {"email": EMAIL}))["personalData"] == {"email": EMAIL, "contacts": [], "assignments": []}

    # The order keeps the copy's functions, named with a placeholder in the reader's language.
    for answer, language in zip(after, ("fr", "en", "fr", "en")):
        quotes = {q["quote"]["id"]: q["quote"] for q in answer["quotes"]}
        (copy,) = quotes[s["order"]]["assignments"]
        placeholder = "Contact effacé" if language == "fr" else "Erased contact"
        assert (copy["id"], copy["lastName"], copy["firstName"], copy["email"], copy["erased"], copy["functions"]) == (
            s["on_order"], placeholder, None, "", True, ["TRACKING"])
        assert [a["id"] for a in quotes[s["draft"]]["assignments"]] == []
        history = [e["node"] for e in quotes[s["draft"]]["history"]["edges"]]
        about = [n for n in history if n["assignmentId"] in (s["on_draft"], s["earlier"])]
        assert len(about) == 6 and {n["contactName"] for n in about} == {placeholder}
        assert history[0]["summary"] == (f"Alice Durand a retiré {placeholder} du devis" if language == "fr"
                                         else f"Alice Durand removed {placeholder} from the quote")
        order_history = [e["node"] for e in quotes[s["order"]]["history"]["edges"]]
        assert order_history[0]["kind"] == "CONTACT_ERASED"
        assert order_history[0]["summary"] == (f"Alice Durand a effacé les données de {placeholder}" if language == "fr"
                                               else f"Alice Durand erased the data of {placeholder}")
        bakery = next(e["enterprise"] for e in answer["enterprises"] if e["enterprise"]["name"] == "Boulangerie Éloïse")
        assert [d["contact"]["lastName"] for d in bakery["contactDefaults"]] == ["Leroy", "Durand"]
    assert demo.contacts["Dupont"] not in json.dumps(after)


async def test_an_erased_copy_is_never_suggested(api):
    """The bakery's earlier order DV-2026-0085 holds Smith (frozen) and Garnier (one-off): once
    Garnier is erased its list offers Smith only; once Smith is too, it is offered no more."""
    demo = await h.demo_of(api)
    offered = await h.suggestions(api, demo.full, first=10)
    (earlier,) = [x for x in offered if x["fromQuote"] and x["fromQuote"]["reference"] == "DV-2026-0085"]
    assert [e["lastName"] for e in earlier["entries"]] == ["Smith", "Garnier"]

    assert (await api(ERASE, {"input": {"email": "hugo.garnier@example.fr"}}))["erasePersonalData"]["erasedAssignments"] == 1
    offered = await h.suggestions(api, demo.full, first=10)
    (earlier,) = [x for x in offered if x["fromQuote"] and x["fromQuote"]["reference"] == "DV-2026-0085"]
    assert [e["lastName"] for e in earlier["entries"]] == ["Smith"]

    erased = (await api(ERASE, {"input": {"email": "john.smith@boulangerie-eloise.fr"}}))["erasePersonalData"]
    assert (erased["erasedContacts"], erased["erasedAssignments"]) == (1, 1)
    offered = await h.suggestions(api, demo.full, first=10)
    assert [x["fromQuote"]["reference"] for x in offered if x["fromQuote"]] == []
    applied = await h.apply_suggestion(api, demo.full, "EARLIER_QUOTE", demo.quotes["DV-2026-0085"])
    assert [e["code"] for e in applied["userErrors"]] == ["SUGGESTION_EMPTY"]


ORDERS = """{ quotes(first: 100, status: ORDERED) { edges { node { reference version
  assignments { lastName firstName email phone role erased functions contact { id } }
  history(first: 5) { edges { node { kind actor contactName summary } } } } } } }"""


async def test_the_retention_period_erases_orders_and_says_so_in_events_history_and_fresh_answers(api, service):
    """The purge (here in the test's process, as the command line runs it) raises the partner's
    data version: the same read answered before is not served from the cache; a page following
    an order hears of it, the retention period as actor, in its language."""
    demo = await h.demo_of(api)
    before = await api(ORDERS, language="en")  # kept by the response cache
    names = {a["lastName"] for e in before["quotes"]["edges"] for a in e["node"]["assignments"]}
    assert names == {"Martin", "Smith", "Garnier"}
    async with await LiveClient.connect(api.url, "demo-bob", language="en") as bob:
        await bob.subscribe(demo.ordered, "order")  # DV-2026-0090, ordered 9 days ago
        await listening(api.http, 1)
        purged = await retention.purge(retention.cutoff(now(), 0), bus=service.app.state.bus)
        event = await bob.event("order")
    assert [(p.name, p.assignments) for p in purged] == [("Réseaux Atlantique", 3)]
    assert (event["kind"], event["actor"]) == ("CONTACTS_EDITED", "Retention period")
    assert [(a["lastName"], a["phone"], a["contact"]) for a in event["quote"]["assignments"]] == [("Erased contact", "", None)]

    after = await api(ORDERS, language="en")
    for edge in after["quotes"]["edges"]:
        quote = edge["node"]
        assert {(a["lastName"], a["firstName"], a["email"], a["erased"], a["contact"]) for a in quote["assignments"]} == {
            ("Erased contact", None, "", True, None)}
        newest = quote["history"]["edges"][0]["node"]
        assert (newest["kind"], newest["actor"], newest["contactName"], newest["summary"]) == (
            "CONTACT_ERASED", "Retention period", "Erased contact", "Retention period erased the data of Erased contact")
    french = (await api(ORDERS))["quotes"]["edges"][0]["node"]["history"]["edges"][0]["node"]
    assert french["summary"] == "Durée de conservation a effacé les données de Contact effacé"
    assert traces_in(after) == [] and "garnier" not in json.dumps(after).lower() and "smith" not in json.dumps(after).lower()
