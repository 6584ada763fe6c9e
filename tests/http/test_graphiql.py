"""GraphiQL opens with one tab per step-2 operation, in demo mode with the demo's token and ids,
ready to run, otherwise with nothing of anyone's data; its files served by the app itself, under
a Content-Security-Policy (api/graphiql.py). The page in a real browser, with no network beyond
the app: tests/system/browser/test_graphiql_in_chromium.py."""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import re

import pytest
from graphql import parse, validate
from strawberry.http.ides import get_graphql_ide_html

from api.graphiql import DEFAULT_HEADERS, TABS, TOKEN_PLACEHOLDER_HEADERS, frontend_operations
from api.graphiql_assets import ASSETS_DIR, find_assets
from api.settings import Settings
from schema import build_schema
from tests.conftest import empty_database, over_fresh_demo, reset_demo
from tests.http.test_live import listening
from tests.support.api import demo_of
from tests.support.service import running
from tests.support.wsclient import LiveClient

CDN = "https://unpkg.com/"
ASSETS_INSTALLED = (ASSETS_DIR / "graphiql").is_dir()


@pytest.fixture(scope="module")
async def demo_service(backend):
    """The service in demo mode (`serve --demo`, `make run`)."""
    async with running(backend.database, demo=True) as service:
        yield service


@pytest.fixture
async def api(demo_service):
    async with over_fresh_demo(demo_service.client()) as client:
        yield client


def tabs_of(html: str) -> tuple[str, list[dict]]:
    headers = json.loads(re.search(r"const DEFAULT_HEADERS = (.*);\n", html).group(1))
    tabs = json.loads(re.search(r"const DEFAULT_TABS = (.*);\n", html).group(1))
    return headers, tabs


def assets(html: str) -> dict[str, str]:
    """The page's scripts and style sheets, each with its integrity hash."""
    tags = re.findall(r"<(?:script|link)\b[^>]*>", html)
    found = {}
    for tag in tags:
        url = re.search(r'(?:src|href)="([^"]+)"', tag)
        if url and not url.group(1).startswith("data:"):
            integrity = re.search(r'integrity="([^"]+)"', tag)
            found[url.group(1)] = integrity.group(1) if integrity else None
    return found


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
    # The same files as Strawberry's own page, with the same integrity hashes, nothing more.
    strawberry = assets(get_graphql_ide_html("graphiql"))
    assert sorted(assets(html).values()) == sorted(strawberry.values()) and len(strawberry) == 7

    headers, tabs = tabs_of(html)
    assert headers == DEFAULT_HEADERS and json.loads(headers) == {"Authorization": "Bearer demo-alice"}
    assert [re.search(r"^(?:query|mutation|subscription) (\w+)", t["query"], re.M).group(1) for t in tabs] == [
        "QuoteStep2", "AssignContact", "SetAssignmentFunction", "AssignAdhocContact", "UnassignContact",
        "UpdateContact", "PlaceOrder", "QuoteContactsChanged", "Viewer", "Quotes",
        "ContactSuggestions", "ApplyContactSuggestion", "SetContactDefaults", "QuoteHistory",
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
    # The suggestion tabs come last: the draft is ordered by then (no suggestions, not editable).
    assert answers["ContactSuggestions"]["quote"]["contactSuggestions"] == []
    assert [e["code"] for e in answers["ApplyContactSuggestion"]["applyContactSuggestion"]["userErrors"]] == [
        "QUOTE_NOT_EDITABLE"]
    defaults = answers["SetContactDefaults"]["setContactDefaults"]
    assert defaults["userErrors"] == [] and defaults["enterprise"]["id"] == quote["client"]["id"]
    # The history tab comes last: what the tabs before it did to the draft, newest first.
    entries = [e["node"]["summary"] for e in answers["QuoteHistory"]["quote"]["history"]["edges"]]
    assert entries[0] == "Alice Durand a passé la commande" and len(entries) == 6, entries


async def test_without_the_demo_data_the_tabs_say_what_to_fill_in(api):
    await empty_database()  # migrated, no demo data
    html = (await api.http.get("/graphql", headers={"Accept": "text/html"})).text
    _, tabs = tabs_of(html)
    assert json.loads(tabs[0]["variables"]) == {"id": "<a draft quote id: the Quotes tab lists them>"}
    assert len(tabs) == len(TABS)


@pytest.mark.skipif(not ASSETS_INSTALLED, reason="GraphiQL's npm packages are not installed: `make install` runs npm ci in api/graphiql-assets")
async def test_out_of_demo_mode_the_page_embeds_nothing_of_anyones_data(service, monkeypatch):
    """Before: every GET of the page, without a token, ran a query as demo-alice and embedded
    her token and her quotes' ids."""
    from api import graphiql

    async def must_not_run(*args):
        raise AssertionError("a query was run for the GraphiQL page out of demo mode")

    monkeypatch.setattr(graphiql, "demo_ids", must_not_run)
    await reset_demo()
    client = service.client()
    try:
        demo = await demo_of(client)
        page = await client.http.get("/graphql", headers={"Accept": "text/html"})
        assert page.status_code == 200
        headers, tabs = tabs_of(page.text)
        assert headers == TOKEN_PLACEHOLDER_HEADERS and "demo-alice" not in page.text
        assert all(t["headers"] == TOKEN_PLACEHOLDER_HEADERS for t in tabs) and len(tabs) == len(TABS)
        assert json.loads(tabs[0]["variables"]) == {"id": "<a draft quote id: the Quotes tab lists them>"}
        for gid in [*demo.quotes.values(), *demo.contacts.values()]:
            assert gid not in page.text
    finally:
        await client.http.aclose()


async def test_the_page_has_a_content_security_policy_that_lets_its_own_script_run(api):
    page = await api.http.get("/graphql", headers={"Accept": "text/html"})
    policy = page.headers["content-security-policy"]
    nonce = re.search(r"'nonce-([^']+)'", policy).group(1)
    inline = re.findall(r"<script\b([^>]*)>(?!\s*</script>)", page.text)  # scripts with a body
    assert inline == [f' nonce="{nonce}"']
    assert "connect-src 'self'" in policy and "object-src 'none'" in policy and "frame-ancestors 'none'" in policy
    assert ("https://unpkg.com" in policy) is (not ASSETS_INSTALLED)
    again = await api.http.get("/graphql", headers={"Accept": "text/html"})
    assert again.headers["content-security-policy"] != policy  # a nonce per page
    # The step-2 screen too, stricter: no inline script or style at all.
    for path in ("/", "/app.js", "/style.css"):
        screen = await api.http.get(path)
        assert screen.status_code == 200, path
        assert "script-src 'self';" in screen.headers["content-security-policy"]
        assert "style-src 'self';" in screen.headers["content-security-policy"]
        assert screen.headers["x-content-type-options"] == "nosniff"
    assert "<script>" not in (await api.http.get("/")).text and " style=" not in (await api.http.get("/")).text


async def test_graphiql_files_come_from_the_app_itself(api):
    html = (await api.http.get("/graphql", headers={"Accept": "text/html"})).text
    files = assets(html)
    assert len(files) == 7 and all(url.startswith("/graphiql/") for url in files), files
    for url, integrity in files.items():
        # What the browser checks: the bytes served match the page's integrity hash.
        answer = await api.http.get(url)
        assert answer.status_code == 200, url
        algorithm, _, expected = integrity.partition("-")
        assert base64.b64encode(hashlib.new(algorithm, answer.content).digest()).decode() == expected, url
        assert answer.headers["content-type"].startswith("text/css" if url.endswith(".css") else "text/javascript")
        assert "immutable" in answer.headers["cache-control"]  # the version is in the address
    # Only those files: not the rest of node_modules, not outside it.
    for url in ("/graphiql/graphiql@3.8.3/package.json", "/graphiql/react@18.2.0/index.js",
                "/graphiql/graphiql@3.8.3/../../package.json", "/graphiql/graphiql@9.9.9/graphiql.min.js"):
        assert (await api.http.get(url)).status_code == 404, url


async def test_graphiql_from_the_cdn_when_asked(backend):
    async with running(backend.database, graphiql_assets="cdn") as cdn_service, cdn_service.http() as http:
        page = await http.get("/graphql", headers={"Accept": "text/html"})
        assert "script-src 'self' https://unpkg.com 'nonce-" in page.headers["content-security-policy"]
        html = page.text
        assert assets(html) == assets(get_graphql_ide_html("graphiql"))
        assert all(url.startswith(CDN) for url in assets(html))
        assert (await http.get("/graphiql/graphiql@3.8.3/graphiql.min.js")).status_code == 404


def test_without_the_npm_packages_the_page_falls_back_to_the_cdn_and_the_log_says_so(tmp_path, caplog):
    html = get_graphql_ide_html("graphiql")
    with caplog.at_level(logging.WARNING, logger="api.graphiql"):
        found = find_assets("local", html, folder=tmp_path / "node_modules")
    assert not found.local and found.rewrite(html) == html
    assert "unpkg CDN" in caplog.text and "graphiql is not installed" in caplog.text

    # Another version of a package than the page names (its integrity hash would fail): the CDN too.
    package = tmp_path / "node_modules" / "react"
    package.mkdir(parents=True)
    (package / "package.json").write_text('{"version": "18.3.1"}')
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="api.graphiql"):
        assert not find_assets("local", html, folder=tmp_path / "node_modules").local
    assert "react 18.3.1 is installed where the page needs 18.2.0" in caplog.text


def test_graphiql_assets_setting(monkeypatch):
    monkeypatch.delenv("GRAPHIQL_ASSETS", raising=False)
    assert Settings.from_env().graphiql_assets == "local"
    monkeypatch.setenv("GRAPHIQL_ASSETS", "CDN")
    assert Settings.from_env().graphiql_assets == "cdn"
    monkeypatch.setenv("GRAPHIQL_ASSETS", "internet")
    with pytest.raises(ValueError, match="GRAPHIQL_ASSETS must be one of local, cdn"):
        Settings.from_env()
