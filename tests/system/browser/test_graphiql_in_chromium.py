"""GraphiQL in a real headless Chromium: it opens with the demo's token in the Headers editor
and the step-2 tabs, runs a query, a mutation and a subscription as a partner would.

Strawberry's page loads GraphiQL, React and the explorer plugin from the unpkg CDN, which the
test machines cannot reach: the browser gets the very same files (the page's integrity hashes
check it) from the npm packages of tests/system/browser/graphiql (`npm ci` there; `make test` does it).
The test fails if the page asks for anything else outside the server.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest

from tests.support.process import api_server

from tests.system.browser.chromium import browser_missing

if browser_missing() is None:
    from playwright.sync_api import expect

ASSETS = Path(__file__).resolve().parent / "graphiql" / "node_modules"
CDN = re.compile(r"https://unpkg\.com/((?:@[^/@]+/)?[^/@]+)@([^/]+)/(.+)")

if browser_missing():
    pytestmark = pytest.mark.skip(reason=browser_missing())
elif not (ASSETS / "graphiql").is_dir():
    pytestmark = pytest.mark.skip(reason="GraphiQL's npm packages are not installed: run `npm ci` in tests/system/browser/graphiql (make test does)")


@pytest.fixture
def server(tmp_path):
    srv = api_server(f"sqlite://{tmp_path / 'graphiql.sqlite3'}", demo=True)
    yield srv
    srv.stop()


def editor(page, selector: str) -> str:
    return page.evaluate("(s) => document.querySelector(s).CodeMirror.getValue()", selector)


def test_graphiql_opens_ready_to_run_the_step2_operations(browser, server):
    outside, errors = [], []
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.on("pageerror", lambda e: errors.append(str(e)))

    def from_npm(route):
        url = route.request.url
        match = CDN.fullmatch(url)
        if not match:
            outside.append(url)
            return route.abort()
        name, version, path = match.groups()
        installed = json.loads((ASSETS / name / "package.json").read_text())["version"]
        if installed != version or not (ASSETS / name / path).is_file():
            outside.append(f"{url} (installed: {name}@{installed})")
            return route.abort()
        kind = "text/css" if path.endswith(".css") else "application/javascript"
        route.fulfill(path=str(ASSETS / name / path), content_type=kind, headers={"Access-Control-Allow-Origin": "*"})

    def elsewhere(route):
        if route.request.url.startswith(server.url):
            return route.continue_()
        if route.request.url.startswith("https://unpkg.com/"):
            return from_npm(route)
        outside.append(route.request.url)
        return route.abort()

    context.route("**/*", elsewhere)
    try:
        page.goto(server.url + "/graphql")
        tabs = page.locator(".graphiql-tab")
        expect(tabs.first).to_contain_text("QuoteStep2", timeout=15000)
        assert [t.inner_text().strip() for t in tabs.all()] == [
            "QuoteStep2", "AssignContact", "SetAssignmentFunction", "AssignAdhocContact", "UnassignContact",
            "UpdateContact", "PlaceOrder", "QuoteContactsChanged", "Viewer", "Quotes",
        ]
        # The token in the Headers editor, the quote's id in the Variables editor.
        editors = page.evaluate(
            "Array.from(document.querySelectorAll('.graphiql-editor-tool .CodeMirror')).map(e => e.CodeMirror.getValue())")
        assert any(json.loads(text or "{}") == {"Authorization": "Bearer demo-alice"} for text in editors), editors
        variables = next(json.loads(text) for text in editors if '"id"' in text)

        # QuoteStep2, as it opens: the run button shows the quote.
        page.click(".graphiql-execute-button")
        expect(page.locator(".graphiql-response")).to_contain_text('"reference": "DV-2026-0101"', timeout=10000)
        assert json.loads(editor(page, ".graphiql-response .CodeMirror"))["data"]["quote"]["id"] == variables["id"]

        # The subscription tab: running it opens the WebSocket with the token of the Headers editor...
        page.locator(".graphiql-tab", has_text="QuoteContactsChanged").click()
        expect(page.locator(".graphiql-query-editor")).to_contain_text("subscription QuoteContactsChanged")
        page.wait_for_timeout(400)  # GraphiQL reads the operation's name 100 ms after the editor changes
        page.click(".graphiql-execute-button")
        page.wait_for_function(
            "fetch('/healthz').then(r => r.json()).then(h => h.subscriptions >= 1)", timeout=10000, polling=200)
        # ...and a change made elsewhere shows in it.
        change = httpx.post(server.url + "/graphql", headers={"Authorization": "Bearer demo-bob"}, json={
            "query": "mutation($input: AssignAdhocContactInput!) { assignAdhocContact(input: $input) { userErrors { code } } }",
            "variables": {"input": {"quoteId": variables["id"], "lastName": "Ponctuel", "email": "p@example.fr",
                                    "phone": "06 11 22 33 44", "role": "Gardien", "functions": ["TRACKING"]}}})
        assert change.json() == {"data": {"assignAdhocContact": {"userErrors": []}}}
        expect(page.locator(".graphiql-response")).to_contain_text('"kind": "CONTACT_ADDED"', timeout=10000)
        expect(page.locator(".graphiql-response")).to_contain_text('"actor": "Bob Lefèvre"')

        # AssignContact, as it opens: a contact added, no userErrors.
        page.locator(".graphiql-tab", has_text="AssignContact").first.click()
        expect(page.locator(".graphiql-query-editor")).to_contain_text("mutation AssignContact")
        page.wait_for_timeout(400)
        page.click(".graphiql-execute-button")
        page.wait_for_function(  # the whole answer: CodeMirror shows only the lines in view
            "document.querySelector('.graphiql-response .CodeMirror').CodeMirror.getValue().includes('assignContact')",
            timeout=10000)
        answer = json.loads(editor(page, ".graphiql-response .CodeMirror"))["data"]["assignContact"]
        assert answer["userErrors"] == [] and answer["assignment"]["id"] and len(answer["quote"]["assignments"]) == 2
    finally:
        context.close()
    assert not outside, f"the page asked for files outside the server and the CDN's packages: {outside}"
    assert not errors, f"JavaScript errors on the page: {errors}"
