"""GraphiQL in a real headless Chromium, with no network beyond the app: it opens with the
demo's token in the Headers editor and the step-2 tabs, runs a query, a mutation and a
subscription as a partner would.

Integrators on closed networks are the users of this page: every request to another host is
refused here, and the test fails if the page asked for any. GraphiQL's files come from the app
itself (the npm packages of api/graphiql-assets, which `make install` installs).
"""
from __future__ import annotations

import json
import time

import httpx
import pytest

from api.graphiql_assets import ASSETS_DIR
from tests.support.process import api_server

from tests.system.browser.chromium import browser_missing

if browser_missing() is None:
    from tests.system.browser.chromium import expect

if browser_missing():
    pytestmark = pytest.mark.skip(reason=browser_missing())
elif not (ASSETS_DIR / "graphiql").is_dir():
    pytestmark = pytest.mark.skip(
        reason="GraphiQL's npm packages are not installed (make install runs npm ci in api/graphiql-assets when npm is there)")


@pytest.fixture
def server(tmp_path):
    srv = api_server(f"sqlite://{tmp_path / 'graphiql.sqlite3'}", demo=True)
    yield srv
    srv.stop()


def editor(page, selector: str) -> str:
    return page.evaluate("(s) => document.querySelector(s).CodeMirror.getValue()", selector)


def until(page, expression: str, arg=None, timeout: float = 10.0) -> None:
    """Polls `expression` in the page until it is true. (Playwright's wait_for_function evaluates
    its predicate with eval, which the page's Content-Security-Policy rightly refuses.)"""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression, arg):
        assert time.monotonic() < deadline, f"never true: {expression}"
        page.wait_for_timeout(100)


def run_tab(page, tab: str, operation: str, keyword: str) -> None:
    """Opens a tab and runs it, once GraphiQL has read the operation's name from the editor
    (it does so 100 ms after the editor changes; run before, it would send the last tab's)."""
    page.get_by_role("tab", name=tab, exact=True).click()
    expect(page.locator(".graphiql-query-editor")).to_contain_text(f"{keyword} {operation}")
    until(page, "(name) => document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.operationName === name",
          operation)
    page.get_by_role("button", name="Execute query (Ctrl-Enter)").click()


def test_graphiql_opens_ready_to_run_the_step2_operations_without_internet(browser, server):
    outside, errors, asked = [], [], []
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None)
    page.on("request", lambda r: asked.append(r.url))

    def only_the_app(route):
        if route.request.url.startswith(server.url + "/"):
            return route.continue_()
        outside.append(route.request.url)
        return route.abort("internetdisconnected")

    context.route("**/*", only_the_app)
    try:
        opened = page.goto(server.url + "/graphql")
        assert "'nonce-" in opened.headers["content-security-policy"]  # and the page works under it
        tabs = page.locator(".graphiql-tab")
        expect(tabs.first).to_contain_text("QuoteStep2", timeout=15000)
        assert [t.inner_text().strip() for t in tabs.all()] == [
            "QuoteStep2", "AssignContact", "SetAssignmentFunction", "AssignAdhocContact", "UnassignContact",
            "UpdateContact", "PlaceOrder", "QuoteContactsChanged", "Viewer", "Quotes",
            "ContactSuggestions", "ApplyContactSuggestion", "SetContactDefaults", "QuoteHistory",
        ]
        # The token in the Headers editor, the quote's id in the Variables editor.
        editors = page.evaluate(
            "Array.from(document.querySelectorAll('.graphiql-editor-tool .CodeMirror')).map(e => e.CodeMirror.getValue())")
        assert any(json.loads(text or "{}") == {"Authorization": "Bearer demo-alice"} for text in editors), editors
        variables = next(json.loads(text) for text in editors if '"id"' in text)

        # QuoteStep2, as it opens: the run button shows the quote.
        page.locator(".graphiql-execute-button").click()
        expect(page.locator(".graphiql-response")).to_contain_text('"reference": "DV-2026-0101"', timeout=10000)
        assert json.loads(editor(page, ".graphiql-response .CodeMirror"))["data"]["quote"]["id"] == variables["id"]

        # The subscription tab: running it opens the WebSocket with the token of the Headers editor...
        run_tab(page, "QuoteContactsChanged", "QuoteContactsChanged", "subscription")
        until(page, "() => fetch('/healthz').then(r => r.json()).then(h => h.subscriptions >= 1)")
        # ...and a change made elsewhere shows in it.
        change = httpx.post(server.url + "/graphql", headers={"Authorization": "Bearer demo-bob"}, json={
            "query": "mutation($input: AssignAdhocContactInput!) { assignAdhocContact(input: $input) { userErrors { code } } }",
            "variables": {"input": {"quoteId": variables["id"], "lastName": "Ponctuel", "email": "p@example.fr",
                                    "phone": "06 11 22 33 44", "role": "Gardien", "functions": ["TRACKING"]}}})
        assert change.json() == {"data": {"assignAdhocContact": {"userErrors": []}}}
        expect(page.locator(".graphiql-response")).to_contain_text('"kind": "CONTACT_ADDED"', timeout=10000)
        expect(page.locator(".graphiql-response")).to_contain_text('"actor": "Bob Lefèvre"')

        # AssignContact, as it opens: a contact added, no userErrors.
        run_tab(page, "AssignContact", "AssignContact", "mutation")
        until(page,  # the whole answer: CodeMirror shows only the lines in view
              "() => document.querySelector('.graphiql-response .CodeMirror').CodeMirror.getValue().includes('assignContact')")
        answer = json.loads(editor(page, ".graphiql-response .CodeMirror"))["data"]["assignContact"]
        assert answer["userErrors"] == [] and answer["assignment"]["id"] and len(answer["quote"]["assignments"]) == 2
    finally:
        context.close()
    assert not outside, f"the page asked for something outside the app: {outside}"
    assert all(url.startswith(server.url + "/") for url in asked), asked
    # GraphiQL's seven files, from the app.
    assert len({url for url in asked if "/graphiql/" in url}) == 7, asked
    assert not errors, f"JavaScript errors on the page: {errors}"
