"""GraphiQL as a partner first opens it: one tab per operation of the step-2 screen
(frontend_stub/operations.js). In demo mode (`serve --demo`, `make run`) the demo's token is in
the Headers editor and the tabs' variables are taken from the demo data when the database holds
it; otherwise the page embeds nothing of anyone's data and runs no query: the tabs say what to
fill in, and the Headers editor where the token goes.

The page is served with a Content-Security-Policy: scripts from the app (or the CDN) and its one
inline script by a nonce of its own, connections to the app only.

The page is Strawberry's own (GraphiQL 3.8 with the explorer plugin, React 18, js-cookie, with
subresource integrity); only its inline script is replaced, to hand GraphiQL `defaultHeaders`
and `defaultTabs`. GraphiQL uses them on a browser's first visit; after that it shows the tabs
and headers it kept in localStorage. Subscriptions in GraphiQL go over the WebSocket at the
same URL, and GraphiQL sends the Headers editor's content as the connection_init payload, so
the token works there too.

Its seven files come from the app itself (api/graphiql_assets.py), or from the unpkg CDN.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
from functools import lru_cache
from pathlib import Path

from starlette.responses import HTMLResponse

from api.graphiql_assets import Assets

log = logging.getLogger("api.graphiql")

OPERATIONS_JS = Path(__file__).resolve().parent.parent / "frontend_stub" / "operations.js"
DEMO_TOKEN = "demo-alice"
DEFAULT_HEADERS = json.dumps({"Authorization": f"Bearer {DEMO_TOKEN}"}, indent=2)
TOKEN_PLACEHOLDER_HEADERS = json.dumps({"Authorization": "Bearer <your token>"}, indent=2)
ASSIGNMENT_PLACEHOLDER = "<an assignment id: the AssignContact tab answers one in assignContact.assignment.id>"

# The tabs, in order: the constant of operations.js, what it does, and its variables.
TABS = [
    ("QUOTE_QUERY", "A quote's step 2: everything the screen shows.", lambda d: {"id": d["quote"]}),
    ("ASSIGN_CONTACT", "Adds a client contact with two functions ticked.",
     lambda d: {"input": {"quoteId": d["quote"], "contactId": d["contact"], "functions": ["ON_SITE", "TRACKING"]}}),
    ("SET_ASSIGNMENT_FUNCTION", "Ticks (or unticks, enabled: false) one function of a contact on the quote.",
     lambda d: {"input": {"assignmentId": ASSIGNMENT_PLACEHOLDER, "function": "DELIVERY", "enabled": True}}),
    ("ASSIGN_ADHOC_CONTACT", "Adds a one-off contact, kept on this quote only.",
     lambda d: {"input": {"quoteId": d["quote"], "lastName": "Ponctuel", "firstName": "Paul",
                          "email": "paul.ponctuel@example.fr", "phone": "06 11 22 33 44", "role": "Gardien",
                          "functions": ["DELIVERY"]}}),
    ("UNASSIGN_CONTACT", "Takes a contact off the quote.", lambda d: {"input": {"assignmentId": ASSIGNMENT_PLACEHOLDER}}),
    ("UPDATE_CONTACT", "Completes an incomplete enterprise contact (needs CONTACT_EDIT).",
     lambda d: {"input": {"contactId": d["incomplete"], "phone": "06 98 76 54 32"}}),
    ("PLACE_ORDER", "Places the order once the contact rules hold; the contacts are then frozen.",
     lambda d: {"input": {"quoteId": d["quote"]}}),
    ("QUOTE_CONTACTS_CHANGED", "Live updates of a quote over WebSocket: run it, then change the quote in another tab.",
     lambda d: {"quoteId": d["quote"]}),
    ("VIEWER_QUERY", "Who the token is, and the three functions with their help texts.", lambda d: None),
    ("QUOTES_QUERY", "The viewer's quotes.", lambda d: {"first": 20}),
    ("CONTACT_SUGGESTIONS", "A draft's suggestions: the client's default contacts and its earlier quotes' lists, "
     "with what each would add and why not.", lambda d: {"id": d["quote"]}),
    ("APPLY_CONTACT_SUGGESTION", "Applies the client's default contacts to the draft (EARLIER_QUOTE, with "
     "fromQuoteId, takes another quote's list).", lambda d: {"input": {"quoteId": d["quote"], "source": "CLIENT_DEFAULTS"}}),
    ("SET_CONTACT_DEFAULTS", "Replaces the client's default contacts (needs CONTACT_EDIT).",
     lambda d: {"input": {"enterpriseId": d["client"], "defaults": [{"contactId": d["contact"], "functions": ["TRACKING"]}]}}),
    ("QUOTE_HISTORY", "Who changed the quote's contacts, and when, newest first (`after`: an entry's cursor, "
     "for the entries before it).", lambda d: {"id": d["quote"], "first": 10}),
]

PLACEHOLDERS = {
    "quote": "<a draft quote id: the Quotes tab lists them>",
    "contact": "<a client contact id: eligibleContacts.client in the QuoteStep2 tab>",
    "incomplete": "<an incomplete contact id: isComplete false in the QuoteStep2 tab>",
    "client": "<a client enterprise id: client.id in the QuoteStep2 tab>",
}

DEMO_QUERY = """{
  quotes(first: 100, status: DRAFT) { edges { node { id client { id }
    lines { product { requiresOnSiteContact requiresDeliveryContact } }
    eligibleContacts { client { canAdd contact { id isComplete phoneIsMobile } } }
  } } }
}"""


@lru_cache(maxsize=4)
def frontend_operations(path: Path = OPERATIONS_JS) -> dict[str, str]:
    """The GraphQL documents of operations.js by constant name, `${FRAGMENT}` spliced in."""
    text = path.read_text(encoding="utf-8")
    raw = dict(re.findall(r"export const (\w+) = /\* GraphQL \*/ `(.*?)`;", text, flags=re.S))

    def resolve(name: str, seen: tuple[str, ...] = ()) -> str:
        if name in seen:
            raise ValueError(f"operations.js: {name} includes itself")
        return re.sub(r"\$\{(\w+)\}", lambda m: resolve(m.group(1), seen + (name,)), raw[name])

    return {name: _tidy(resolve(name)) for name in raw}


def _tidy(document: str) -> str:
    lines = [line.rstrip() for line in document.strip("\n").splitlines()]
    indent = min((len(line) - len(line.lstrip()) for line in lines if line.strip()), default=0)
    tidy: list[str] = []
    for line in lines:
        line = line[indent:] if line.strip() else ""
        if line or (tidy and tidy[-1]):
            tidy.append(line)
    return "\n".join(tidy).strip() + "\n"


async def demo_ids(schema, bus) -> dict[str, str]:
    """Ids to fill the tabs' variables with, read as demo-alice: the draft whose products need
    both an on-site and a delivery contact, a client contact that can be added (with a
    mobile), an incomplete one. Placeholders when the demo data is not there."""
    ids = dict(PLACEHOLDERS)
    try:
        from contacts.auth import viewer_of_token
        from schema import Context

        viewer = await viewer_of_token(DEMO_TOKEN)
        if viewer is None:
            return ids
        result = await schema.execute(DEMO_QUERY, context_value=Context(viewer=viewer, language="fr", bus=bus))
        if result.errors or not result.data:
            return ids
        drafts = [edge["node"] for edge in result.data["quotes"]["edges"]]
        if not drafts:
            return ids

        def needs_both(quote: dict) -> bool:
            products = [line["product"] for line in quote["lines"]]
            return any(p["requiresOnSiteContact"] for p in products) and any(p["requiresDeliveryContact"] for p in products)

        quote = next((q for q in drafts if needs_both(q)), drafts[0])
        client = quote["eligibleContacts"]["client"]
        addable = [e["contact"] for e in client if e["canAdd"]]
        ids["quote"] = quote["id"]
        ids["client"] = quote["client"]["id"]
        contact = next((c for c in addable if c["phoneIsMobile"]), addable[0] if addable else None)
        if contact:
            ids["contact"] = contact["id"]
        incomplete = next((e["contact"] for e in client if not e["contact"]["isComplete"]), None)
        if incomplete:
            ids["incomplete"] = incomplete["id"]
    except Exception:  # the page must open whatever the database holds
        log.warning("GraphiQL: the demo ids could not be read", exc_info=True)
    return ids


def default_tabs(ids: dict[str, str], headers: str = DEFAULT_HEADERS) -> list[dict]:
    operations = frontend_operations()
    tabs = []
    for name, what, variables in TABS:
        values = variables(ids)
        tabs.append({
            "query": f"# {what}\n# From frontend_stub/operations.js ({name}).\n{operations[name]}",
            "variables": json.dumps(values, indent=2, ensure_ascii=False) if values is not None else None,
            "headers": headers,
        })
    return tabs


SCRIPT = """
      // GraphiQL with the demo's token and the step-2 operations (api/graphiql.py).
      const DEFAULT_HEADERS = %(headers)s;
      const DEFAULT_TABS = %(tabs)s;

      // ?q=...&variables=...&headers=... opens one operation instead (a shared link).
      const parameters = {};
      for (const entry of window.location.search.slice(1).split("&")) {
        const eq = entry.indexOf("=");
        if (eq >= 0) {
          parameters[decodeURIComponent(entry.slice(0, eq))] = decodeURIComponent(
            entry.slice(eq + 1).replace(/\\+/g, " "),
          );
        }
      }

      // The tab GraphiQL kept in localStorage as the active one, on a later visit. Handed back
      // to GraphiQL as its query, variables and headers, so that it finds that tab again
      // rather than opening a copy of it.
      function keptTab() {
        try {
          const kept = JSON.parse(window.localStorage.getItem("graphiql:tabState"));
          return kept.tabs[kept.activeTabIndex] || null;
        } catch (e) {
          return null;
        }
      }

      const fetchURL = window.location.origin + window.location.pathname;
      const subscriptionURL = new URL(fetchURL);
      subscriptionURL.protocol = subscriptionURL.protocol === "https:" ? "wss:" : "ws:";

      // Subscriptions go over graphql-ws (graphql-transport-ws); the Headers editor's content is
      // sent as the connection_init payload, which is where the server reads the token.
      const fetcher = GraphiQL.createFetcher({
        url: fetchURL,
        subscriptionUrl: subscriptionURL.toString(),
      });

      function GraphiQLWithExplorer() {
        const explorer = React.useMemo(() => GraphiQLPluginExplorer.explorerPlugin(), []);
        const props = {
          fetcher: fetcher,
          plugins: [explorer],
          defaultEditorToolsVisibility: true,
          inputValueDeprecation: true,
          isHeadersEditorEnabled: true,
          shouldPersistHeaders: true,
          defaultHeaders: DEFAULT_HEADERS,
        };
        const kept = keptTab();
        if (parameters.q) {
          props.query = parameters.q;
          props.variables = parameters.variables;
        } else if (kept) {
          props.query = kept.query || "";
          props.variables = kept.variables || "";
          props.headers = kept.headers || DEFAULT_HEADERS;
        } else {
          // A first visit: the step-2 tabs. GraphiQL opens the first one with its query but
          // not its variables, so those are handed over too.
          props.defaultTabs = DEFAULT_TABS;
          props.defaultQuery = DEFAULT_TABS[0].query;
          props.variables = DEFAULT_TABS[0].variables;
        }
        if (parameters.headers) {
          props.headers = parameters.headers;
        }
        return React.createElement(GraphiQL, props);
      }

      ReactDOM.createRoot(document.getElementById("graphiql")).render(
        React.createElement(GraphiQLWithExplorer),
      );
"""

INLINE_SCRIPT = re.compile(r"(<script)(>)(.*?)(</script>)", re.S)


def _js(value: object) -> str:
    """JSON as a JavaScript literal inside a <script> element."""
    return json.dumps(value, ensure_ascii=False).replace("</", "<\\/").replace("<!--", "<\\!--")


def page(strawberry_html: str, tabs: list[dict], headers: str = DEFAULT_HEADERS, nonce: str = "") -> str:
    """Strawberry's GraphiQL page with its inline script (the last one) replaced by ours, which
    the Content-Security-Policy allows by its nonce."""
    matches = list(INLINE_SCRIPT.finditer(strawberry_html))
    if not matches:
        log.warning("GraphiQL: Strawberry's page has no inline script to replace; served as it is")
        return strawberry_html
    last = matches[-1]
    script = SCRIPT % {"headers": _js(headers), "tabs": _js(tabs)}
    opening = f' nonce="{nonce}">' if nonce else ">"
    return strawberry_html[: last.start(2)] + opening + script + "    " + strawberry_html[last.end(3):]


def content_security_policy(nonce: str, assets: Assets) -> str:
    """What the GraphiQL page may load and run: its files (from the app, or the CDN), its inline
    script by its nonce, styles inline too (GraphiQL and its editors set them), connections to
    the app only (HTTP and WebSocket: 'self')."""
    files = "'self'" if assets.local else "'self' https://unpkg.com"
    return "; ".join([
        "default-src 'self'",
        f"script-src {files} 'nonce-{nonce}'",
        f"style-src {files} 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'none'",
    ])


async def render(schema, strawberry_html: str, bus, assets: Assets, *, demo: bool) -> HTMLResponse:
    """The page, with its Content-Security-Policy. In demo mode, with the demo's token and ids
    (read as demo-alice); otherwise with placeholders only, and no query run."""
    nonce = secrets.token_urlsafe(16)
    html = assets.rewrite(strawberry_html)
    if demo:
        html = page(html, default_tabs(await demo_ids(schema, bus)), DEFAULT_HEADERS, nonce)
    else:
        html = page(html, default_tabs(dict(PLACEHOLDERS), TOKEN_PLACEHOLDER_HEADERS), TOKEN_PLACEHOLDER_HEADERS, nonce)
    return HTMLResponse(html, headers={
        "Content-Security-Policy": content_security_policy(nonce, assets),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
    })
