"""GraphiQL opens with the demo's token and one tab per step-2 operation, ready to run
(api/graphiql.py). The page in a real browser: tests/browser/test_graphiql_in_chromium.py."""

from __future__ import annotations

import json
import re

from graphql import parse, validate

from api.graphiql import DEFAULT_HEADERS, TABS, frontend_operations
from schema import build_schema
from tests.conftest import empty_database
from tests.http.test_live import listening
from tests.support.wsclient import LiveClient

STRAWBERRY_PAGE = "https://unpkg.com/"


def tabs_of(html: str) -> tuple[str, list[dict]]:
    headers = json.loads(re.search(r"const DEFAULT_HEADERS = (.*);\n", html).group(1))
    tabs = json.loads(re.search(r"const DEFAULT_TABS = (.*);\n", html).group(1))
    return headers, tabs


def assets(html: str) -> set[str]:
    return set(re.findall(r'(?:src|href)="(https?://[^"]+)"', html))


def test_every_operation_of_the_screen_has_a_tab():
    schema = build_schema()._schema
    operations = frontend_operations()
    documents = {name for name, text in operations.items() if re.search(r"^(query|mutation|subscription)\b", text, re.M)}
    assert {name for name, _, _ in TABS} == documents
    for name in documents:  # each is one valid operation of the served schema
        assert validate(schema, parse(operations[name])) == [], name


async def test_graphiql_opens_with_the_token_and_the_step2_operations_ready_to_run(api):
    page = await api.http.get("/graphql", headers={"Accept": "text/html"})  # no token needed
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    # The same files as Strawberry's own page, nothing more (they come from the unpkg CDN).
    from strawberry.http.ides import get_graphql_ide_html

    assert assets(html) == assets(get_graphql_ide_html("graphiql"))
    assert all(url.startswith(STRAWBERRY_PAGE) for url in assets(html))
    assert html.count("integrity=") == get_graphql_ide_html("graphiql").count("integrity=")

    headers, tabs = tabs_of(html)
    assert headers == DEFAULT_HEADERS and json.loads(headers) == {"Authorization": "Bearer demo-alice"}
    assert [re.search(r"^(?:query|mutation|subscription) (\w+)", t["query"], re.M).group(1) for t in tabs] == [
        "QuoteStep2", "AssignContact", "SetAssignmentFunction", "AssignAdhocContact", "UnassignContact",
        "UpdateContact", "PlaceOrder", "QuoteContactsChanged", "Viewer", "Quotes",
    ]
    assert all(t["headers"] == DEFAULT_HEADERS for t in tabs)

    # Ready to run: each tab as it is, in order, as the token in the Headers editor.
    answers = {}
    live = await LiveClient.connect(api.url, "demo-alice")
    try:
        subscription_first = sorted(tabs, key=lambda t: not re.search(r"^subscription ", t["query"], re.M))
        for tab in subscription_first:
            name = re.search(r"^(query|mutation|subscription) (\w+)", tab["query"], re.M).groups()
            variables = json.loads(tab["variables"]) if tab["variables"] else {}
            if name[0] == "subscription":
                await live.ws.send(json.dumps({"id": "g", "type": "subscribe",
                                               "payload": {"query": tab["query"], "variables": variables}}))
                await listening(api.http, 1)
                continue
            answers[name[1]] = await api(tab["query"], variables, headers={"Accept": "application/graphql-response+json"})
        # The subscription tab, started first, saw the changes, up to the order placed (a slow
        # subscriber may get only the latest of several events).
        kinds = []
        while "ORDER_PLACED" not in kinds:
            kinds.append((await live.event("g"))["kind"])
        assert set(kinds) <= {"CONTACT_ADDED", "CONTACTS_EDITED", "ORDER_PLACED"}, kinds
    finally:
        await live.close()

    quote = answers["QuoteStep2"]["quote"]
    assert quote["status"] == "DRAFT" and quote["reference"]
    products = [line["product"] for line in quote["lines"]]
    assert any(p["requiresOnSiteContact"] for p in products) and any(p["requiresDeliveryContact"] for p in products)
    added = answers["AssignContact"]["assignContact"]
    assert added["userErrors"] == [] and added["assignment"]["id"]
    assert [a["functions"] for a in added["quote"]["assignments"]] == [["ON_SITE", "TRACKING"]]
    assert answers["AssignAdhocContact"]["assignAdhocContact"]["userErrors"] == []
    # The two tabs that need an assignment id say where to find one; run as they are, NOT_FOUND.
    for name, field in (("SetAssignmentFunction", "setAssignmentFunction"), ("UnassignContact", "unassignContact")):
        assert [e["code"] for e in answers[name][field]["userErrors"]] == ["NOT_FOUND"]
    assert answers["UpdateContact"]["updateContact"]["userErrors"] == []
    assert answers["UpdateContact"]["updateContact"]["contact"]["isComplete"] is True
    assert answers["PlaceOrder"]["placeOrder"]["userErrors"] == []  # on-site, delivery and tracking all set
    assert answers["PlaceOrder"]["placeOrder"]["quote"]["status"] == "ORDERED"
    assert answers["Viewer"]["viewer"]["name"] == "Alice Durand"
    assert quote["id"] in [e["node"]["id"] for e in answers["Quotes"]["quotes"]["edges"]]


async def test_without_the_demo_data_the_tabs_say_what_to_fill_in(api):
    await empty_database()  # migrated, no demo data
    html = (await api.http.get("/graphql", headers={"Accept": "text/html"})).text
    _, tabs = tabs_of(html)
    assert json.loads(tabs[0]["variables"]) == {"id": "<a draft quote id: the Quotes tab lists them>"}
    assert len(tabs) == len(TABS)
