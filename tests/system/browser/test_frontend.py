"""The step-2 screen (frontend_stub/) in a real headless Chromium, against a real server.

One `python -m api serve --demo` serves the module, on a free port and an SQLite file of its
own; each test starts from the demo data as loaded (restored in milliseconds), so the tests do
not depend on each other. What the demo data holds (quote references, contact names) is read
from the API once; the assertions are on what a user sees on the page. The pages open in browser
tabs kept from one test to the next, each in a browser context of its own (`Tabs`).

Needs Debian's Chromium (its headless shell, or /usr/bin/chromium, or CHROMIUM_PATH: see
chromium.py) and the `playwright` package; the tests skip, saying which is missing, without
them. No `playwright install` is needed.

Nothing here waits a fixed time: every step waits for what the user would see (Playwright's
`expect` polls until its timeout), so a busy machine makes the tests slower, not red. What one
page shows of another's change can only have come live: the page never reloads nor polls.
"""
from __future__ import annotations

import base64
import os
import shlex
import sqlite3
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.support.process import ServerProcess, api_server, free_port
from tests.support.tls import TLS
from tests.system.browser.chromium import browser_missing

if browser_missing() is None:
    from tests.system.browser.chromium import expect

ROOT = Path(__file__).resolve().parents[3]
SCREENSHOT = ROOT / "docs" / "screenshot-step2.png"
PHONE_SCREENSHOT = ROOT / "docs" / "screenshot-step2-phone.png"
PHONE = {"width": 390, "height": 844}

if browser_missing():
    pytestmark = pytest.mark.skip(reason=browser_missing())

# The seven French texts of the contract, served word for word.
MSG = {
    "CONTACT_WITHOUT_FUNCTION": "Un des contacts n'a pas de fonction assignée. Veuillez cocher la case "
                                "correspondante ou retirer le contact du devis",
    "ON_SITE_CONTACT_REQUIRED": "Vous devez sélectionner au moins un contact sur site pour l'intervention du fournisseur",
    "DELIVERY_CONTACT_REQUIRED": "Vous devez renseigner au moins un contact pour la réception de votre colis",
    "TRACKING_CONTACT_REQUIRED": "Vous devez renseigner au moins un contact pour le suivi de votre commande",
    "TRACKING_CONTACT_LIMIT": "Le nombre maximum de contact est atteint, veuillez créer une liste de diffusion si vous "
                              "souhaitez ajouter plus de 3 contacts pour le suivi de votre commande",
    "CONTACT_INCOMPLETE": "Il manque des informations à ce contact. Veuillez le compléter dans le module Entreprises "
                          "si vous souhaitez l'ajouter au devis.",
    "PHONE_NOT_MOBILE": "Veuillez privilégier un numéro de mobile.",
}
ADHOC_NOTE = ("Les contacts ajoutés ponctuellement ne seront pas enregistrés dans la liste de vos contacts. "
              "Pour les ajouter de façon permanente, veuillez vous rendre dans la rubrique « Entreprise ».")
LABEL = {"ON_SITE": "Intervention sur site", "DELIVERY": "Livraison de matériel", "TRACKING": "Suivi de commande"}
# The seed's sentence for an incomplete contact, « en cliquant ici » being the link.
INCOMPLETE_WITH_LINK = ("Il manque des informations à ce contact. Veuillez le compléter dans le module Entreprises "
                        "en cliquant ici si vous souhaitez l'ajouter au devis.")
OFFLINE = ("Connexion au serveur perdue : les modifications sont suspendues jusqu'à son retour. "
           "Ce que vous avez saisi est conservé.")
NOT_FOUND = "Ce devis est introuvable."
ADD = {"client": "+ Ajouter le contact client choisi au devis", "partner": "+ Ajouter le contact partenaire choisi au devis"}
MENU = {"client": "Contacts client existants", "partner": "Contacts partenaire référent existants"}


# --- the server ------------------------------------------------------------------------------

class Server:
    """The service on a port and an SQLite file of its own, with the demo data, that a test may
    stop and start again (the pages then reconnect); STEP2_SERVER_CMD ({port}) runs another."""

    def __init__(self, db: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.db = db
        self.process: ServerProcess | None = None

    def start(self) -> None:
        custom = os.environ.get("STEP2_SERVER_CMD")
        self.process = api_server(f"sqlite://{self.db}", demo=True, port=self.port,
                                  command=shlex.split(custom) if custom else None, ready_path="/")

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop(timeout=10)
            self.process = None

    def gql(self, token: str, query: str, variables: dict | None = None, lang: str = "fr") -> dict:
        response = httpx.post(self.url + "/graphql", json={"query": query, "variables": variables or {}},
                              headers={"Authorization": f"Bearer {token}", "Accept-Language": lang}, timeout=10, verify=TLS)
        body = response.json()
        assert not body.get("errors"), body
        return body["data"]


@pytest.fixture(scope="module")
def running_server(tmp_path_factory):
    """One server for the module, and a copy of its database as the demo left it."""
    folder = tmp_path_factory.mktemp("step2")
    srv = Server(folder / "step2.sqlite3")
    srv.start()
    golden = folder / "demo.sqlite3"
    if not os.environ.get("STEP2_SERVER_CMD"):
        _copy_database(srv.db, golden)
    yield srv, golden
    srv.stop()


def _copy_database(source: Path, target: Path) -> None:
    """SQLite's online backup: the whole database, page by page, even while a server has it open."""
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)


def _restore_demo(golden: Path, live: Path) -> None:
    """The demo data as loaded, with data versions never seen before: each test diverges from
    the same state, and the server's response cache, keyed by the partner's data version,
    must not serve an answer of an earlier test's."""
    _copy_database(golden, live)
    with sqlite3.connect(live) as db:
        db.execute('UPDATE "enterprise" SET "data_version" = abs(random()) % 4611686018427387904, "contacts_version" = abs(random()) % 4611686018427387904')


@pytest.fixture
def server(running_server, tmp_path):
    """The server, running, over the demo data as it was loaded (a test may have stopped it,
    and changed the data): restored in milliseconds instead of a server started per test.
    Another server (STEP2_SERVER_CMD) is started anew for each test."""
    srv, golden = running_server
    if os.environ.get("STEP2_SERVER_CMD"):
        srv.stop()
        srv.db = tmp_path / "step2.sqlite3"
        srv.start()
    else:
        if srv.process is None:
            srv.start()
        _restore_demo(golden, srv.db)
    yield srv


class Tabs:
    """Browser tabs kept from one test to the next, each in a browser context of its own (own
    cookies, own socket). Making a context and its first page costs the desktop Chromium about
    1.4 s of CPU (0.55 s for an empty one), loading the screen again in a tab it has about
    0.4 s: a test takes an idle tab, or a new one, and gives it back on about:blank (its page's
    scripts and socket gone, its routes removed, its cookies cleared). A tab that fails to go
    back is closed."""

    def __init__(self, browser):
        self.browser = browser
        self.idle: dict[str | None, list] = {}  # by time zone, a context's own setting

    def take(self, viewport: dict, timezone: str | None):
        idle = self.idle.get(timezone)
        if idle:
            page = idle.pop()
            page.set_viewport_size(viewport)
            return page
        return self.browser.new_context(viewport=viewport, timezone_id=timezone).new_page()

    def give_back(self, page, timezone: str | None) -> None:
        try:
            page.unroute_all(behavior="ignoreErrors")
            page.goto("about:blank")
            page.context.clear_cookies()
        except Exception:  # noqa: BLE001 - the tab is unusable: never offered again
            page.context.close()
            return
        self.idle.setdefault(timezone, []).append(page)

    def close(self) -> None:
        for pages in self.idle.values():
            for page in pages:
                page.context.close()


@pytest.fixture(scope="module")
def tabs(browser):
    kept = Tabs(browser)
    yield kept
    kept.close()


class Pages:
    """Opens the screen in browser tabs, each in its own browser context (own user, own socket),
    and gives the tabs back."""

    def __init__(self, tabs: Tabs, server):
        self.tabs, self.server, self.opened, self.errors = tabs, server, [], []

    def open(self, user="demo-alice", quote=None, lang=None, viewport=None, live=True, timezone=None):
        page = self.tabs.take(viewport or {"width": 1200, "height": 1000}, timezone)
        self.opened.append((page, timezone, []))
        self.listen(page, "pageerror", lambda e: self.errors.append(str(e)))
        # The screen is served with a Content-Security-Policy (api/app.py): it must need nothing it forbids.
        self.listen(page, "console", lambda m: self.errors.append(m.text) if "Content Security Policy" in m.text else None)
        query = f"?user={user}" + (f"&quote={quote}" if quote else "") + (f"&lang={lang}" if lang else "")
        page.goto(self.server.url + "/" + query)
        if live:
            expect(page.locator("#live-status")).to_have_text(
                "En direct" if lang != "en" else "Live", timeout=10000)
        if quote and live:
            expect(page.locator("#step2")).to_be_visible()
        return page

    def listen(self, page, event: str, listener) -> None:
        """`page.on(event, listener)` for this test only: removed before the tab is given back."""
        next(listeners for opened, _, listeners in self.opened if opened is page).append((event, listener))
        page.on(event, listener)

    def close(self):
        for page, timezone, listeners in self.opened:
            for event, listener in listeners:
                page.remove_listener(event, listener)
            self.tabs.give_back(page, timezone)


@pytest.fixture
def pages(tabs, server):
    p = Pages(tabs, server)
    yield p
    p.close()
    assert not p.errors, f"JavaScript errors on the page: {p.errors}"


# --- the demo data, read from the API ---------------------------------------------------------

DEMO = """
{ quotes(first: 100) { edges { node {
    id reference status client { id }
    lines { product { requiresOnSiteContact requiresDeliveryContact } }
    eligibleContacts {
      client { contact { id lastName firstName role phoneIsMobile isComplete missingFields } }
      partner { contact { id lastName firstName role phoneIsMobile isComplete missingFields } }
    }
} } } }
"""


def name(c: dict) -> str:
    return " ".join(x for x in (c["lastName"], c.get("firstName")) if x)


class Demo:
    def __init__(self, server: Server):
        quotes = [e["node"] for e in server.gql("demo-alice", DEMO)["quotes"]["edges"]]
        needs = lambda q, f: any(l["product"][f] for l in q["lines"])  # noqa: E731
        drafts = [q for q in quotes if q["status"] == "DRAFT"]
        self.both = next(q for q in drafts if needs(q, "requiresOnSiteContact") and needs(q, "requiresDeliveryContact"))
        self.neither = next(q for q in drafts
                            if not needs(q, "requiresOnSiteContact") and not needs(q, "requiresDeliveryContact"))
        self.ordered = next(q for q in quotes if q["status"] == "ORDERED")
        eligible = self.both["eligibleContacts"]
        self.client = [e["contact"] for e in eligible["client"]]
        self.partner = [e["contact"] for e in eligible["partner"]]
        self.client_complete = [c for c in self.client if c["isComplete"]]
        self.partner_complete = [c for c in self.partner if c["isComplete"]]
        self.client_incomplete = next(c for c in self.client if not c["isComplete"])
        self.mobile = next(c for c in self.client_complete if c["phoneIsMobile"])
        self.landline = next(c for c in self.client_complete if not c["phoneIsMobile"])


@pytest.fixture(scope="module")
def demo_as_loaded(running_server):
    """What the demo data holds, read once for the module: each test starts from the data as
    loaded (see `server`). None for another server (STEP2_SERVER_CMD), started anew each test."""
    srv, golden = running_server
    if os.environ.get("STEP2_SERVER_CMD"):
        return None
    if srv.process is None:
        srv.start()
    _restore_demo(golden, srv.db)
    return Demo(srv)


@pytest.fixture
def demo(server, demo_as_loaded):
    return demo_as_loaded or Demo(server)


ASSIGN = """mutation($input: AssignContactInput!) { assignContact(input: $input) {
  assignment { id } userErrors { code message } } }"""
SET_FUNCTION = """mutation($input: SetAssignmentFunctionInput!) { setAssignmentFunction(input: $input) {
  userErrors { code message } } }"""


def assign(server, quote, contact, functions=(), token="demo-alice") -> str:
    payload = server.gql(token, ASSIGN, {"input": {"quoteId": quote["id"], "contactId": contact["id"]}})["assignContact"]
    assert not payload["userErrors"], payload
    for f in functions:
        out = server.gql(token, SET_FUNCTION, {"input": {
            "assignmentId": payload["assignment"]["id"], "function": f, "enabled": True}})["setAssignmentFunction"]
        assert not out["userErrors"], out
    return payload["assignment"]["id"]


CREATE_CONTACT = """mutation($input: CreateContactInput!) { createContact(input: $input) {
  contact { id } userErrors { code message } } }"""


# --- helpers on the page ----------------------------------------------------------------------

def row(page, contact):
    return page.get_by_role("row").filter(has=page.get_by_role("rowheader", name=name(contact)))


def box(page, contact, function, label=None):
    return page.get_by_role("checkbox", name=f"{label or LABEL[function]} : {name(contact)}", exact=True)


def menu(page, source):
    return page.get_by_role("combobox", name=MENU[source], exact=True)


def add_from_list(page, source, contact):
    menu(page, source).select_option(contact["id"])
    page.get_by_role("button", name=ADD[source], exact=True).click()
    expect(row(page, contact)).to_be_visible()


def notice(page, text):
    """A short notice (role="status"), visible on the screen."""
    return page.get_by_role("status").get_by_text(text, exact=True)


def size(locator) -> tuple[float, float]:
    box_ = locator.bounding_box()
    return box_["width"], box_["height"]


# WCAG 2's contrast ratio between an element's text colour and the background it sits on.
CONTRAST = """(el) => {
  const rgb = (c) => c.match(/[\\d.]+/g).map(Number);
  const lum = ([r, g, b]) => [r, g, b].map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; })
    .reduce((sum, v, i) => sum + v * [0.2126, 0.7152, 0.0722][i], 0);
  let bg = [255, 255, 255];
  for (let n = el; n && n.nodeType === 1; n = n.parentElement) {
    const c = rgb(getComputedStyle(n).backgroundColor);
    if (c.length < 4 || c[3] > 0) { bg = c; break; }
  }
  const [hi, lo] = [lum(rgb(getComputedStyle(el).color)), lum(bg)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}"""


def contrast(locator) -> float:
    return locator.evaluate(CONTRAST)


# --- the tests --------------------------------------------------------------------------------

def test_add_and_remove_contacts_then_undo(server, demo, pages):
    page = pages.open(quote=demo.both["id"])
    expect(page.get_by_role("table")).to_contain_text("Aucun contact sur ce devis.")
    client, partner = demo.client_complete[0], demo.partner_complete[0]

    # Keyboard only: pick the client contact in its menu, then press the "+" button, whose
    # accessible name starts with the "+" it shows.
    menu(page, "client").focus()
    menu(page, "client").select_option(client["id"])
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name=ADD["client"], exact=True)).to_be_focused()
    page.keyboard.press("Enter")
    expect(row(page, client)).to_be_visible()
    expect(notice(page, f"{name(client)} ajouté au devis.")).to_be_visible()
    add_from_list(page, "partner", partner)
    expect(page.get_by_role("row")).to_have_count(3)   # the header and two contacts

    # The contact's role is on its row, in plain sight (and on hover, by title).
    who = page.get_by_role("rowheader", name=name(client))
    expect(who).to_have_attribute("title", f"Rôle : {client['role']}")
    expect(who.get_by_text(client["role"])).to_be_visible()
    expect(who).not_to_have_attribute("tabindex", "0")
    expect(page.get_by_text(", Rôle")).to_have_count(0)
    # A contact on the quote is marked in its menu and cannot be chosen again.
    on_quote = menu(page, "client").get_by_role("option", name=name(client), exact=False)
    expect(on_quote).to_contain_text("(déjà sur le devis)")
    expect(on_quote).to_be_disabled()
    # Without a function, the rule's message shows.
    expect(page.locator("#validation")).to_contain_text(MSG["CONTACT_WITHOUT_FUNCTION"])

    # The trash button removes at once, and offers to undo; pressed while the tick before it is
    # still on its way (its request held back here), the undo knows the function too.
    held = []
    page.route("**/graphql", lambda route: held.append(route)
               if "mutation SetAssignmentFunction" in (route.request.post_data or "") else route.continue_())
    box(page, client, "TRACKING").click()
    expect(box(page, client, "TRACKING")).to_be_checked()
    page.get_by_role("button", name=f"Retirer {name(client)} du devis").click()
    assert len(held) == 1, held
    held[0].continue_()
    page.unroute("**/graphql")
    expect(row(page, client)).to_have_count(0)
    undo = page.get_by_role("button", name=f"Annuler le retrait de {name(client)}", exact=True)
    expect(page.get_by_role("status").get_by_text(f"{name(client)} retiré du devis.")).to_be_visible()
    expect(undo).to_have_text("Annuler le retrait")
    undo.click()
    expect(row(page, client)).to_be_visible()
    expect(box(page, client, "TRACKING")).to_be_checked()      # with the functions it had
    expect(notice(page, f"{name(client)} est de nouveau sur le devis.")).to_be_visible()
    expect(undo).to_have_count(0)

    # Another change closes the undo: only the last removal can be undone.
    page.get_by_role("button", name=f"Retirer {name(partner)} du devis").press("Enter")
    expect(row(page, partner)).to_have_count(0)
    expect(page.get_by_role("button", name=f"Annuler le retrait de {name(partner)}")).to_be_visible()
    page.get_by_role("button", name=f"Retirer {name(client)} du devis").click()
    expect(page.get_by_role("table")).to_contain_text("Aucun contact sur ce devis.")
    expect(page.get_by_role("button", name=f"Annuler le retrait de {name(partner)}")).to_have_count(0)
    expect(page.get_by_role("button", name=f"Annuler le retrait de {name(client)}")).to_be_visible()
    expect(page.locator("#validation")).not_to_contain_text(MSG["CONTACT_WITHOUT_FUNCTION"])


def test_every_problem_of_a_contact_names_it_and_marks_its_row(server, demo, pages):
    first, second, landline = demo.client_complete[0], demo.partner_complete[0], demo.landline
    assign(server, demo.both, first)
    assign(server, demo.both, second)
    assign(server, demo.both, landline, ["DELIVERY"])
    page = pages.open(quote=demo.both["id"])
    validation = page.locator("#validation")

    # Once per contact without a function, each naming its contact; its row says so too.
    problems = validation.get_by_role("listitem").filter(has_text=MSG["CONTACT_WITHOUT_FUNCTION"])
    expect(problems).to_have_count(2)
    expect(problems.nth(0)).to_have_text(f"{name(first)} : {MSG['CONTACT_WITHOUT_FUNCTION']}")
    expect(problems.nth(1)).to_have_text(f"{name(second)} : {MSG['CONTACT_WITHOUT_FUNCTION']}")
    for contact in (first, second):
        expect(row(page, contact).get_by_text("Aucune fonction cochée")).to_be_visible()
        expect(box(page, contact, "TRACKING")).to_have_attribute("aria-invalid", "true")
    expect(row(page, landline).get_by_text("Aucune fonction cochée")).to_have_count(0)
    # A warning names its contact and function, and shows on that row.
    expect(validation.get_by_role("listitem").filter(has_text=MSG["PHONE_NOT_MOBILE"])).to_have_text(
        f"{name(landline)} (Livraison de matériel) : {MSG['PHONE_NOT_MOBILE']}")
    expect(row(page, landline).get_by_text("Pas un mobile (Livraison de matériel)")).to_be_visible()

    # Ticking a function puts that contact right: its message and its mark go, not the other's.
    box(page, first, "TRACKING").click()
    expect(problems).to_have_count(1)
    expect(problems).to_have_text(f"{name(second)} : {MSG['CONTACT_WITHOUT_FUNCTION']}")
    expect(row(page, first).get_by_text("Aucune fonction cochée")).to_have_count(0)
    expect(box(page, first, "TRACKING")).not_to_have_attribute("aria-invalid", "true")


def test_tracking_limit_message(server, demo, pages):
    contacts = (demo.client_complete + demo.partner_complete)[:4]
    assert len(contacts) == 4, "the demo data needs four complete contacts"
    for c in contacts[:3]:
        assign(server, demo.both, c, ["TRACKING"])
    assign(server, demo.both, contacts[3])
    page = pages.open(quote=demo.both["id"])
    expect(page.locator("#req-TRACKING")).to_contain_text("1 contact obligatoire, 3 max.")
    for c in contacts[:3]:
        expect(box(page, c, "TRACKING")).to_be_checked()

    fourth = box(page, contacts[3], "TRACKING")
    fourth.click()
    alert = page.locator("#list-errors")
    expect(alert).to_have_attribute("role", "alert")
    expect(alert).to_have_text(f"{name(contacts[3])} : {MSG['TRACKING_CONTACT_LIMIT']}")
    expect(fourth).not_to_be_checked()
    expect(fourth).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#req-TRACKING")).to_contain_text("(3/3)")

    # Unticking one frees a place: the fourth can then be ticked, and the message goes.
    box(page, contacts[0], "TRACKING").click()
    expect(box(page, contacts[0], "TRACKING")).not_to_be_checked()
    expect(alert).to_be_empty()
    fourth.click()
    expect(fourth).to_be_checked()


def test_on_site_and_delivery_move_between_contacts_and_the_screen_says_so(server, demo, pages):
    first, second = demo.mobile, demo.landline
    assign(server, demo.both, first)
    assign(server, demo.both, second)
    page = pages.open(quote=demo.both["id"])
    bob = pages.open(user="demo-bob", quote=demo.both["id"])
    validation = page.locator("#validation")
    expect(validation).to_contain_text(MSG["ON_SITE_CONTACT_REQUIRED"])
    expect(validation).to_contain_text(MSG["DELIVERY_CONTACT_REQUIRED"])
    expect(page.locator("#req-ON_SITE")).to_contain_text("1 contact unique obligatoire")

    box(page, first, "ON_SITE").click()
    expect(box(page, first, "ON_SITE")).to_be_checked()
    expect(validation).not_to_contain_text(MSG["ON_SITE_CONTACT_REQUIRED"])
    # Bob sees Alice's change, and is told of it (on screen, and read out: role="status").
    expect(box(bob, first, "ON_SITE")).to_be_checked()
    expect(notice(bob, f"Alice Durand a changé les fonctions de {name(first)}.")).to_be_visible()

    # Keyboard: Space on the second contact's box moves on-site to it, and the screen says so.
    box(page, second, "ON_SITE").focus()
    page.keyboard.press("Space")
    expect(box(page, second, "ON_SITE")).to_be_checked()
    expect(box(page, first, "ON_SITE")).not_to_be_checked()
    expect(box(page, second, "ON_SITE")).to_be_focused()
    moved = f"Intervention sur site : {name(second)} remplace {name(first)}."
    expect(notice(page, moved)).to_be_visible()
    expect(notice(bob, moved)).to_be_visible()
    # A landline on the on-site contact: the warning, which does not block.
    expect(validation).to_contain_text(MSG["PHONE_NOT_MOBILE"])

    box(page, second, "DELIVERY").click()
    expect(box(page, second, "DELIVERY")).to_be_checked()
    box(page, first, "DELIVERY").click()
    expect(box(page, first, "DELIVERY")).to_be_checked()
    expect(box(page, second, "DELIVERY")).not_to_be_checked()
    expect(box(page, second, "ON_SITE")).to_be_checked()
    expect(notice(page, f"Livraison de matériel : {name(first)} remplace {name(second)}.")).to_be_visible()
    expect(validation).not_to_contain_text(MSG["DELIVERY_CONTACT_REQUIRED"])


ADHOC_ERRORS = """mutation($input: AssignAdhocContactInput!) { assignAdhocContact(input: $input) {
  assignment { id } userErrors { code message field } } }"""
PHONE_FORMAT = ("Format attendu : un numéro français, comme 06 12 34 56 78, ou un numéro international "
                "commençant par + et l'indicatif du pays, comme +32 2 123 45 67.")


def test_adhoc_form_errors_and_success(server, demo, pages):
    page = pages.open(quote=demo.both["id"])
    form = page.get_by_role("form", name="Ajouter un contact")
    expect(form).to_contain_text(ADHOC_NOTE)
    for label in ("Nom", "Prénom", "Email", "Téléphone", "Rôle"):
        expect(form.get_by_label(label, exact=False).first).to_be_editable()
    expect(form.get_by_text("Ex. : 06 12 34 56 78")).to_be_visible()

    bad = {"lastName": "", "firstName": "", "email": "pas-un-email", "phone": "12", "role": ""}
    expected = server.gql("demo-alice", ADHOC_ERRORS, {"input": {"quoteId": demo.both["id"], **bad}})
    expected = expected["assignAdhocContact"]["userErrors"]
    assert {e["field"][-1] for e in expected} >= {"lastName", "email", "phone", "role"}, expected

    page.locator("#adhoc-email").fill(bad["email"])
    page.locator("#adhoc-phone").fill(bad["phone"])
    form.get_by_role("button", name="Ajouter au devis").click()
    for field in ("lastName", "email", "phone", "role"):
        messages = "".join(e["message"] for e in expected if e["field"][-1] == field)
        # A refused phone also says which format is expected.
        expect(page.locator(f"#adhoc-{field}-error")).to_have_text(messages + (PHONE_FORMAT if field == "phone" else ""))
        expect(page.locator(f"#adhoc-{field}")).to_have_attribute("aria-invalid", "true")
        described = page.locator(f"#adhoc-{field}").get_attribute("aria-describedby")
        assert f"adhoc-{field}-error" in described.split()
    expect(form.get_by_text(PHONE_FORMAT)).to_be_visible()
    expect(page.locator("#adhoc-firstName")).to_have_attribute("aria-invalid", "false")
    expect(page.locator("#adhoc-lastName")).to_be_focused()   # the first field at fault
    expect(page.get_by_role("table")).to_contain_text("Aucun contact sur ce devis.")

    page.locator("#adhoc-lastName").fill("Ponctuel")
    page.locator("#adhoc-firstName").fill("Paul")
    page.locator("#adhoc-email").fill("paul.ponctuel@example.fr")
    page.locator("#adhoc-phone").fill("06 12 34 56 78")
    page.locator("#adhoc-role").fill("Gardien")
    page.locator("#adhoc-role").press("Enter")
    adhoc = {"lastName": "Ponctuel", "firstName": "Paul", "role": "Gardien"}
    expect(row(page, adhoc)).to_be_visible()
    expect(row(page, adhoc).get_by_role("rowheader")).to_have_attribute("title", "Rôle : Gardien")
    expect(row(page, adhoc).get_by_role("rowheader")).to_contain_text("Gardien · 06 12 34 56 78")
    for field in ("lastName", "email", "phone", "role"):
        expect(page.locator(f"#adhoc-{field}-error")).to_be_empty()
        expect(page.locator(f"#adhoc-{field}")).to_have_value("")
    # Not saved among the enterprise's contacts: the menus do not offer it.
    expect(menu(page, "client")).not_to_contain_text("Ponctuel")
    expect(menu(page, "partner")).not_to_contain_text("Ponctuel")


def test_complete_an_incomplete_contact_then_add_it(server, demo, pages):
    contact = demo.client_incomplete
    # Bob may not edit contacts: the API's sentence (no link), what is missing, and why he
    # cannot complete it himself.
    bob = pages.open(user="demo-bob", quote=demo.both["id"])
    menu(bob, "client").select_option(contact["id"])
    reasons = bob.locator("#client-reasons")
    expect(reasons.get_by_role("listitem")).to_have_text(MSG["CONTACT_INCOMPLETE"])
    expect(reasons).to_contain_text("Manquant : téléphone.")
    expect(reasons.get_by_text("Vous n'avez pas le droit de modifier les contacts : demandez à un collègue "
                               "qui a ce droit de le compléter.", exact=False)).to_be_visible()
    expect(bob.get_by_role("button", name=ADD["client"])).to_be_disabled()
    expect(reasons.get_by_role("link")).to_have_count(0)

    page = pages.open(quote=demo.both["id"])
    menu(page, "client").select_option(contact["id"])
    # The seed's sentence word for word, « en cliquant ici » being the link.
    sentence = page.locator("#client-reasons").get_by_role("listitem")
    expect(sentence).to_have_text(INCOMPLETE_WITH_LINK)
    expect(page.get_by_text("Compléter ce contact ici")).to_have_count(0)
    expect(page.locator("#client-reasons")).not_to_contain_text("Vous n'avez pas le droit")
    add = page.get_by_role("button", name=ADD["client"])
    expect(add).to_be_disabled()
    sentence.get_by_role("link", name="en cliquant ici", exact=True).click()
    form = page.get_by_role("form", name=f"Compléter le contact {name(contact)}")
    expect(form).to_be_visible()
    expect(form.get_by_role("heading")).to_contain_text(contact["lastName"])

    # A wrong value first: its error shows under its field, nothing is saved.
    fields = {"PHONE": ("phone", "06 12 34 56 78"), "EMAIL": ("email", "iris.complete@example.fr"),
              "ROLE": ("role", "Assistante"), "LAST_NAME": ("lastName", "Complet")}
    missing = [fields[m] for m in contact["missingFields"]]
    assert missing, contact
    target, _ = missing[0]
    expect(page.locator(f"#complete-{target}")).to_be_focused()     # the first missing field
    page.locator(f"#complete-{target}").fill("x" if target in ("phone", "email") else "")
    form.get_by_role("button", name="Enregistrer le contact").click()
    expect(page.locator(f"#complete-{target}")).to_have_attribute("aria-invalid", "true")
    expect(page.locator(f"#complete-{target}-error")).not_to_be_empty()
    expect(add).to_be_disabled()

    for field, value in missing:
        page.locator(f"#complete-{field}").fill(value)
    form.get_by_role("button", name="Enregistrer le contact").click()
    expect(form).to_be_hidden()
    expect(add).to_be_enabled()
    expect(add).to_be_focused()
    expect(page.locator("#client-reasons")).not_to_contain_text(MSG["CONTACT_INCOMPLETE"])
    page.keyboard.press("Enter")
    expect(row(page, contact)).to_be_visible()
    # Bob's page followed: the contact is now on the quote and complete in his menu too.
    expect(row(bob, contact)).to_be_visible()
    expect(bob.locator("#client-reasons")).not_to_contain_text(MSG["CONTACT_INCOMPLETE"])


def test_place_the_order_with_messages_true_of_the_quote_as_it_stands(server, demo, pages):
    quote = demo.neither
    contact = demo.client_complete[0]
    assignment = assign(server, quote, contact)
    page = pages.open(quote=quote["id"])
    order = page.get_by_role("button", name="Passer la commande")
    order_errors = page.locator("#order-errors")
    order.click()
    expect(order_errors).to_contain_text(f"{name(contact)} : {MSG['CONTACT_WITHOUT_FUNCTION']}")
    expect(order_errors).to_contain_text(MSG["TRACKING_CONTACT_REQUIRED"])
    expect(page.locator("#ordered")).to_be_hidden()

    # Put right by someone else: the refusal's messages go with the problems they named.
    out = server.gql("demo-bob", SET_FUNCTION, {"input": {"assignmentId": assignment, "function": "TRACKING",
                                                         "enabled": True}})["setAssignmentFunction"]
    assert not out["userErrors"], out
    expect(box(page, contact, "TRACKING")).to_be_checked()
    expect(page.locator("#validation")).to_have_text("Les contacts du devis sont en règle.")
    expect(order_errors).to_be_empty()

    # Refused again after a change of one's own, then put right: the same.
    box(page, contact, "TRACKING").click()
    expect(box(page, contact, "TRACKING")).not_to_be_checked()
    order.click()
    expect(order_errors).to_contain_text(MSG["TRACKING_CONTACT_REQUIRED"])
    box(page, contact, "TRACKING").click()
    expect(page.locator("#validation")).to_have_text("Les contacts du devis sont en règle.")
    expect(order_errors).to_be_empty()

    order.click()
    expect(page.locator("#ordered")).to_contain_text("Commande passée le")
    expect(notice(page, "Commande passée.")).to_be_visible()
    expect(order_errors).to_be_empty()
    expect(page.get_by_label("Devis", exact=True)).to_contain_text(f"{quote['reference']} — ")
    expect(page.locator("#quote-select option:checked")).to_contain_text("(commandé)")
    # Frozen: a read-only table (see test_frozen_lists_are_plain_read_only_tables).
    expect(order).to_be_hidden()
    expect(page.get_by_role("checkbox")).to_have_count(0)
    expect(row(page, contact).get_by_role("cell").nth(2)).to_contain_text("oui")


def test_frozen_lists_are_plain_read_only_tables(server, demo, pages):
    contact = demo.client_complete[0]
    assign(server, demo.both, contact, ["TRACKING"])
    assign(server, demo.both, demo.partner_complete[0])

    # Victor (read only) on a draft: the list as a table, no control he cannot use.
    page = pages.open(user="demo-victor", quote=demo.both["id"])
    expect(page.locator("#read-only")).to_have_text(
        "Lecture seule : vous ne pouvez pas modifier les contacts de ce devis.")
    expect(row(page, contact)).to_be_visible()
    step2 = page.locator("#step2")
    for role in ("checkbox", "combobox", "textbox"):
        expect(step2.get_by_role(role)).to_have_count(0)
    for label in (f"Retirer {name(contact)} du devis", "Passer la commande", "Ajouter au devis", ADD["client"]):
        expect(page.get_by_role("button", name=label)).to_have_count(0)
    cells = row(page, contact).get_by_role("cell")
    expect(cells).to_have_count(3)
    expect(cells.nth(0)).to_contain_text("non")
    expect(cells.nth(0).locator("svg")).to_have_count(0)
    expect(cells.nth(2)).to_contain_text("oui")
    tick = cells.nth(2).locator("svg")
    expect(tick).to_be_visible()
    assert contrast(tick) >= 4.5, contrast(tick)      # a tick that reads (it was 2.6:1)
    # What still stands in the way of the order, as information, not as a red list to fix.
    validation = page.locator("#validation")
    expect(validation).not_to_contain_text("À corriger")
    expect(validation.get_by_role("heading", name="Il reste à régler avant la commande :")).to_be_visible()
    item = validation.get_by_role("listitem").filter(has_text=MSG["CONTACT_WITHOUT_FUNCTION"])
    expect(item).to_have_css("color", "rgb(29, 36, 51)")
    assert contrast(item) >= 7, contrast(item)

    # The ordered quote, for Alice who may edit drafts: the same table, with no check to run.
    page.get_by_label("Utilisateur (démo)").select_option("demo-alice")
    expect(page.locator("#live-status")).to_have_text("En direct")
    page.get_by_label("Devis", exact=True).select_option(demo.ordered["id"])
    expect(page.locator("#ordered")).to_contain_text("Commande passée le")
    expect(page.locator("#validation-card")).to_be_hidden()
    expect(step2.get_by_role("checkbox")).to_have_count(0)


def test_a_quote_that_cannot_be_seen_opens_nothing(server, demo, pages):
    mallory = server.gql("demo-mallory", "{ quotes(first: 10) { edges { node { id } } } }")["quotes"]["edges"]
    unknown = base64.b64encode(b"Quote:999999").decode()
    for quote in ("garbage", unknown, mallory[0]["node"]["id"]):
        page = pages.open(quote=quote, live=False)
        expect(page.get_by_role("alert").get_by_text(NOT_FOUND, exact=True)).to_be_visible()
        expect(page.locator("#step2")).to_be_hidden()
        expect(page.get_by_label("Devis", exact=True).locator("option:checked")).to_have_text("— Choisir un devis —")
    # Choosing a quote opens it, and the message goes.
    page.get_by_label("Devis", exact=True).select_option(demo.both["id"])
    expect(page.locator("#step2")).to_be_visible()
    expect(page.get_by_text(NOT_FOUND)).to_have_count(0)
    # Switching to a user of another partner: the same, rather than another quote.
    page.get_by_label("Utilisateur (démo)").select_option("demo-mallory")
    expect(page.get_by_role("alert").get_by_text(NOT_FOUND, exact=True)).to_be_visible()
    expect(page.locator("#step2")).to_be_hidden()
    picker = page.get_by_label("Devis", exact=True)
    expect(picker.locator("option")).to_have_count(1 + len(mallory))
    for ref in (demo.both["reference"], demo.neither["reference"], demo.ordered["reference"]):
        expect(picker).not_to_contain_text(ref)


def test_unknown_user_is_told_in_the_page_language(server, pages):
    page = pages.open(user="nobody", live=False)
    expect(page.get_by_role("alert").get_by_text(
        "Utilisateur inconnu ou session expirée : choisissez un utilisateur de démonstration en haut de la page.",
        exact=True)).to_be_visible()
    expect(page.get_by_text("Authentication required", exact=False)).to_have_count(0)
    english = pages.open(user="nobody", lang="en", live=False)
    expect(english.get_by_role("alert").get_by_text(
        "Unknown user or expired session: choose a demo user at the top of the page.", exact=True)).to_be_visible()


def test_drop_downs_show_phone_and_email_mark_what_is_on_the_quote_and_filter(server, demo, pages):
    # Twenty more contacts at the client: the menu gets a filter field.
    for i in range(20):
        out = server.gql("demo-alice", CREATE_CONTACT, {"input": {
            "enterpriseId": demo.both["client"]["id"], "lastName": f"Renfort{i:02d}", "firstName": "Jeanne",
            "email": f"renfort{i:02d}@example.fr", "phone": f"06 00 00 00 {i:02d}", "role": "Stagiaire"}})
        assert not out["createContact"]["userErrors"], out
    mobile = demo.mobile
    assign(server, demo.both, mobile, ["TRACKING"])
    page = pages.open(quote=demo.both["id"])
    client_menu = menu(page, "client")
    total = len(demo.client) + 20

    # Each contact with its role, phone and email; the one on the quote marked and not choosable.
    option = client_menu.get_by_role("option", name=name(mobile), exact=False)
    assigned = server.gql("demo-alice", "query($id: ID!) { quote(id: $id) { assignments { phone email } } }",
                          {"id": demo.both["id"]})["quote"]["assignments"][0]
    national = "0" + assigned["phone"][3:]                     # +33612345678 -> 06 12 34 56 78
    national = " ".join(national[i:i + 2] for i in range(0, 10, 2))
    expect(option).to_have_text(f"{name(mobile)} — {mobile['role']} — {national} — {assigned['email']} (déjà sur le devis)")
    expect(option).to_be_disabled()
    expect(client_menu.get_by_role("option", name="Renfort07 Jeanne — Stagiaire — 06 00 00 00 07 — renfort07@example.fr",
                                   exact=True)).to_be_enabled()
    expect(client_menu.get_by_role("option")).to_have_count(1 + total)
    # The partner's menu is short: no filter there.
    expect(page.get_by_role("searchbox", name="Filtrer les contacts partenaire")).to_be_hidden()

    # Typing filters by name (case and accents ignored)...
    search = page.get_by_role("searchbox", name="Filtrer les contacts client")
    search.fill("renfort1")
    expect(client_menu.get_by_role("option")).to_have_count(1 + 10)
    expect(page.get_by_text(f"10 contact(s) sur {total}")).to_be_visible()
    search.fill("RENFÖRT07")
    expect(client_menu.get_by_role("option")).to_have_count(2)
    client_menu.select_option(label="Renfort07 Jeanne — Stagiaire — 06 00 00 00 07 — renfort07@example.fr")
    # ...the chosen contact's phone and email show under the menu...
    expect(page.locator("#client-chosen")).to_have_text("Tél. 06 00 00 00 07 · renfort07@example.fr")
    page.get_by_role("button", name=ADD["client"]).click()
    expect(row(page, {"lastName": "Renfort07", "firstName": "Jeanne"})).to_be_visible()
    # ...and by phone, as typed or as stored.
    search.fill("06 00 00 00 1")
    expect(client_menu.get_by_role("option")).to_have_count(1 + 10)
    search.fill("+336000000")
    expect(client_menu.get_by_role("option")).to_have_count(1 + 20)
    search.fill("personne de ce nom")
    expect(client_menu.get_by_role("option", name="Aucun contact ne correspond")).to_be_disabled()
    search.fill("")
    expect(client_menu.get_by_role("option")).to_have_count(1 + total)


def test_english_switch(server, demo, pages):
    page = pages.open(quote=demo.both["id"])
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    labels = {f["function"]: f["label"] for f in server.gql(
        "demo-alice", "{ contactFunctions { function label } }", lang="en")["contactFunctions"]}
    for f, label in labels.items():
        expect(page.get_by_role("columnheader", name=label)).to_be_visible()
    expect(page.get_by_role("form", name="Add a contact")).to_contain_text(
        "will not be saved in your list of contacts. To add them permanently, please go to the Enterprises module.")
    expect(page.get_by_label("Existing client contacts")).to_be_visible()
    expect(page.get_by_role("button", name="+ Add the chosen client contact to the quote", exact=True)).to_be_visible()
    expect(page.locator("#validation")).not_to_contain_text(MSG["TRACKING_CONTACT_REQUIRED"])
    expect(page.locator("#live-status")).to_have_text("Live", timeout=5000)
    # English texts use English quotation marks, and one name for the enterprise module.
    page.get_by_role("combobox", name="Existing client contacts").select_option(demo.client_incomplete["id"])
    expect(page.locator("#client-reasons").get_by_role("listitem")).to_have_text(
        "This contact is missing some information. Please complete it in the Enterprises module by clicking here "
        "if you want to add it to the quote.")
    expect(page.locator("#client-reasons").get_by_role("link", name="by clicking here", exact=True)).to_be_visible()
    text = page.locator("body").inner_text()
    assert "«" not in text and "»" not in text, text
    assert "Enterprise »" not in text and "section" not in text
    page.get_by_role("button", name="Français").click()
    expect(page.locator("#validation")).to_contain_text(MSG["TRACKING_CONTACT_REQUIRED"])


def test_two_pages_follow_each_other_live_and_reconnect(server, demo, pages):
    quote = demo.both
    first, second = demo.client_complete[0], demo.partner_complete[0]
    alice = pages.open(user="demo-alice", quote=quote["id"])
    bob = pages.open(user="demo-bob", quote=quote["id"])

    add_from_list(alice, "client", first)
    expect(row(bob, first)).to_be_visible()
    # Bob is told who changed what, on screen and for screen readers.
    expect(notice(bob, f"Alice Durand a ajouté {name(first)} au devis.")).to_be_visible()
    box(bob, first, "TRACKING").click()
    expect(box(bob, first, "TRACKING")).to_be_checked()
    expect(box(alice, first, "TRACKING")).to_be_checked()
    expect(notice(alice, f"Bob Lefèvre a changé les fonctions de {name(first)}.")).to_be_visible()

    # The connection drops (the server restarts): both pages say so, reconnect, and follow again.
    server.stop()
    expect(alice.locator("#live-status")).to_have_text("Connexion perdue, reconnexion…", timeout=5000)
    server.start()
    for page in (alice, bob):
        expect(page.locator("#live-status")).to_have_text("En direct", timeout=15000)
    add_from_list(bob, "partner", second)
    expect(row(alice, second)).to_be_visible()
    alice.get_by_role("button", name=f"Retirer {name(first)} du devis").click()
    expect(row(bob, first)).to_have_count(0)
    expect(notice(bob, f"Alice Durand a retiré {name(first)} du devis.")).to_be_visible()


def test_server_gone_changes_wait_and_what_was_typed_stays(server, demo, pages):
    contact = demo.client_complete[0]
    assign(server, demo.both, contact)
    page = pages.open(quote=demo.both["id"])
    controls = [box(page, contact, "TRACKING"), page.get_by_role("button", name=f"Retirer {name(contact)} du devis"),
                page.get_by_role("button", name="Ajouter au devis"), page.get_by_role("button", name="Passer la commande")]

    server.stop()
    offline = page.get_by_role("alert").get_by_text(OFFLINE, exact=True)
    expect(offline).to_be_visible(timeout=10000)
    for control in controls:
        expect(control).to_be_disabled()
    menu(page, "partner").select_option(demo.partner_complete[0]["id"])
    expect(page.get_by_role("button", name=ADD["partner"])).to_be_disabled()
    # The form can still be filled in; it is sent once the server is back.
    typed = {"lastName": "Patient", "email": "patient@example.fr", "phone": "06 55 44 33 22", "role": "Gardien"}
    for field, value in typed.items():
        page.locator(f"#adhoc-{field}").fill(value)
    page.locator("#adhoc-role").press("Enter")       # not sent while offline
    expect(page.get_by_role("alert").get_by_text("Failed to fetch")).to_have_count(0)

    server.start()
    expect(offline).to_be_hidden(timeout=20000)
    expect(page.locator("#live-status")).to_have_text("En direct")
    for control in controls:
        expect(control).to_be_enabled()
    for field, value in typed.items():
        expect(page.locator(f"#adhoc-{field}")).to_have_value(value)
    page.get_by_role("button", name="Ajouter au devis").click()
    expect(row(page, {"lastName": "Patient"})).to_be_visible()


def test_a_change_that_finds_no_server_is_told_in_french_and_cleared_once_back(server, demo, pages):
    contact = demo.client_complete[0]
    assign(server, demo.both, contact)
    page = pages.open(quote=demo.both["id"])
    # The network fails under the page's requests (the live socket stays up).
    page.route("**/graphql", lambda route: route.abort("internetdisconnected"))
    box(page, contact, "TRACKING").click()
    lost = page.locator("#list-errors").get_by_text(
        "Le serveur ne répond pas : cette modification n'a pas été enregistrée.", exact=True)
    expect(lost).to_be_visible()
    expect(page.get_by_text("Failed to fetch")).to_have_count(0)
    expect(page.get_by_role("alert").get_by_text(OFFLINE, exact=True)).to_be_visible()
    expect(box(page, contact, "TRACKING")).not_to_be_checked()    # as it is on the server
    expect(box(page, contact, "TRACKING")).to_be_disabled()

    page.unroute("**/graphql")
    expect(page.get_by_role("alert").get_by_text(OFFLINE, exact=True)).to_be_hidden(timeout=15000)
    expect(lost).to_have_count(0)                                  # stale once back
    expect(box(page, contact, "TRACKING")).to_be_enabled()
    box(page, contact, "TRACKING").click()
    expect(box(page, contact, "TRACKING")).to_be_checked()


def test_phone_width(server, demo, pages):
    """At 390 × 844: nothing wider than the screen, every control a touch target of at least
    24 px (44 px for the list's lines and buttons), the functions labelled on each contact."""
    contact, other = demo.mobile, demo.landline
    assign(server, demo.both, contact, ["ON_SITE", "TRACKING"])
    assign(server, demo.both, other, ["DELIVERY"])
    page = pages.open(quote=demo.both["id"], viewport=PHONE)
    expect(row(page, other)).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    card = page.locator("#contacts-table").bounding_box()
    assert card["x"] >= 0 and card["x"] + card["width"] <= PHONE["width"], card
    checkboxes = page.get_by_role("checkbox")
    expect(checkboxes).to_have_count(6)
    for i in range(6):
        b = checkboxes.nth(i).bounding_box()
        assert b["x"] >= card["x"] and b["x"] + b["width"] <= card["x"] + card["width"], b
        assert b["width"] >= 24 and b["height"] >= 24, b
    # Each function is labelled on the contact's own line, and the label ticks its box.
    label = row(page, contact).get_by_text("Livraison de matériel", exact=True)
    expect(label).to_be_visible()
    assert size(label)[1] >= 44
    label.click()
    expect(box(page, contact, "DELIVERY")).to_be_checked()
    expect(box(page, other, "DELIVERY")).not_to_be_checked()
    for function, text in LABEL.items():
        info = page.get_by_role("button", name=f"Aide : {text}")
        expect(info).to_be_visible()
        assert min(size(info)) >= 24, (function, size(info))
    # Seven entries in the history by now: « Tout afficher » shows, a touch target too.
    show_all = page.get_by_role("button", name="Tout afficher", exact=True)
    expect(show_all).to_be_visible()
    for button in (page.get_by_role("button", name=f"Retirer {name(contact)} du devis"),
                   page.get_by_role("button", name=ADD["client"]), page.get_by_role("button", name=ADD["partner"]),
                   show_all):
        assert min(size(button)) >= 44, size(button)
    info = page.get_by_role("button", name="Aide : Suivi de commande")
    info.focus()
    tooltip = page.get_by_role("tooltip").filter(has_text="Le(s) contact(s) pourra être sollicité")
    expect(tooltip).to_be_visible()
    t = tooltip.bounding_box()
    assert t["x"] >= 0 and t["x"] + t["width"] <= PHONE["width"], t
    page.keyboard.press("Escape")
    expect(tooltip).to_be_hidden()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def _same_times(page) -> None:
    """The history's times are now's: shown as one fixed time in the pictures, so that they
    change only when the screen does."""
    page.evaluate("document.querySelectorAll('#history-list time').forEach(t => { t.textContent = '01/12/2026 09:30'; })")


def test_screenshots(server, demo, pages):
    """Saves docs/screenshot-step2.png (desktop) and docs/screenshot-step2-phone.png (390 px):
    a quote with contacts, functions, a warning and an error, and its latest history."""
    mobile, landline = demo.mobile, demo.landline
    partner = demo.partner_complete[0]
    assign(server, demo.both, mobile, ["ON_SITE", "TRACKING"])
    assign(server, demo.both, landline, ["DELIVERY"])
    assign(server, demo.both, partner)
    page = pages.open(quote=demo.both["id"])
    expect(row(page, partner)).to_be_visible()
    menu(page, "client").select_option(demo.client_incomplete["id"])
    expect(page.locator("#client-reasons").get_by_role("listitem")).to_have_text(INCOMPLETE_WITH_LINK)
    page.get_by_role("button", name="Aide : Suivi de commande").hover()
    expect(page.get_by_role("tooltip").filter(has_text="Le(s) contact(s)")).to_be_visible()
    expect(page.locator("#global-errors")).to_be_empty()
    expect(page.get_by_role("button", name="Tout afficher")).to_be_visible()    # the history read
    SCREENSHOT.parent.mkdir(exist_ok=True)
    _same_times(page)
    page.screenshot(path=str(SCREENSHOT), full_page=True)
    assert SCREENSHOT.stat().st_size > 10_000

    phone = pages.open(quote=demo.both["id"], viewport=PHONE)
    expect(row(phone, partner).get_by_text("Aucune fonction cochée")).to_be_visible()
    expect(phone.get_by_role("button", name="Tout afficher")).to_be_visible()
    _same_times(phone)
    phone.screenshot(path=str(PHONE_SCREENSHOT), full_page=True)
    assert PHONE_SCREENSHOT.stat().st_size > 10_000


# --- suggestions and default contacts -------------------------------------------------------------

SUGGESTIONS = """query($id: ID!) { quote(id: $id) { contactSuggestions { source label
  entries { lastName firstName functions } } } }"""


def suggestions_of(server, quote, lang="fr") -> dict[str, dict]:
    """The quote's suggestions as the API offers them, by source ("CLIENT_DEFAULTS", "EARLIER_QUOTE")."""
    found = server.gql("demo-alice", SUGGESTIONS, {"id": quote["id"]}, lang=lang)["quote"]["contactSuggestions"]
    return {s["source"]: s for s in found}


def named(c: dict) -> str:
    """How the API's messages name a contact: first name, then last name."""
    return " ".join(x for x in (c.get("firstName"), c["lastName"]) if x)


def suggestion(page, label):
    """A suggestion of the card, by its label (its heading)."""
    return page.locator("#suggestions-card").get_by_role("listitem").filter(
        has=page.get_by_role("heading", name=label, exact=True))


def test_suggestions_fill_an_empty_list_then_say_what_was_skipped_and_why(server, demo, pages):
    offered = suggestions_of(server, demo.both)
    defaults, earlier = offered["CLIENT_DEFAULTS"], offered["EARLIER_QUOTE"]
    alice = pages.open(quote=demo.both["id"])
    bob = pages.open(user="demo-bob", quote=demo.both["id"])
    card = alice.get_by_role("region", name="Reprendre des contacts")
    expect(card).to_be_visible()
    # What each would add, contact by contact, before anyone applies it.
    items = suggestion(alice, defaults["label"]).get_by_role("list").first.get_by_role("listitem")
    expect(items).to_have_text([
        f"{name(e)} : {', '.join(LABEL[f] for f in e['functions'])}" for e in defaults["entries"]])

    alice.get_by_role("button", name=f"Appliquer : {defaults['label']}", exact=True).click()
    for e in defaults["entries"]:
        expect(row(alice, e)).to_be_visible()
        expect(row(bob, e)).to_be_visible()
    names = ", ".join(name(e) for e in defaults["entries"])
    expect(card.get_by_role("status")).to_have_text(f"{defaults['label']} : {names} repris.")
    expect(notice(bob, "Alice Durand a repris des contacts sur le devis.")).to_be_visible()
    # The defaults have nothing left to give; the earlier order now finds ON_SITE and DELIVERY
    # taken: it says so for each contact before it is applied.
    expect(suggestion(alice, defaults["label"])).to_contain_text("Rien à reprendre de cette liste pour l'instant.")
    expect(alice.get_by_role("button", name=f"Appliquer : {defaults['label']}", exact=True)).to_have_count(0)
    smith, garnier = earlier["entries"]
    expect(suggestion(alice, earlier["label"])).to_contain_text(
        f"{named(smith)} : la fonction « Intervention sur site » appartient déjà à un autre contact")

    alice.get_by_role("button", name=f"Appliquer : {earlier['label']}", exact=True).click()
    expect(row(alice, smith)).to_be_visible()
    expect(box(alice, smith, "TRACKING")).to_be_checked()
    expect(box(alice, smith, "ON_SITE")).not_to_be_checked()
    expect(row(alice, garnier)).to_have_count(0)
    result = card.get_by_role("status")
    expect(result).to_contain_text(f"{earlier['label']} : {name(smith)} repris.")
    expect(result.get_by_role("heading", name="Non repris, et pourquoi :")).to_be_visible()
    expect(result.get_by_role("listitem")).to_have_text([
        f"{named(smith)} : la fonction « Intervention sur site » appartient déjà à un autre contact de la liste, qui la garde.",
        f"{named(garnier)} : la fonction « Livraison de matériel » appartient déjà à un autre contact de la liste, qui la garde.",
        f"{named(garnier)} : {MSG['TRACKING_CONTACT_LIMIT']}",
    ])
    # A list of four is no longer short: no more suggestions, the report stays until the next change.
    expect(card.get_by_role("button")).to_have_count(0)
    box(alice, smith, "TRACKING").click()
    expect(card).to_be_hidden()


def test_suggestions_in_english_and_for_a_viewer_who_may_not_change_the_quote(server, demo, pages):
    offered = suggestions_of(server, demo.neither, lang="en")
    earlier = offered["EARLIER_QUOTE"]
    assert offered["CLIENT_DEFAULTS"]["label"] == "Default contacts of Boulangerie Éloïse"
    page = pages.open(quote=demo.neither["id"], lang="en")
    card = page.get_by_role("region", name="Reuse contacts")
    expect(card).to_contain_text("Nothing already on the quote is taken away.")
    expect(suggestion(page, "Default contacts of Boulangerie Éloïse")).to_be_visible()
    page.get_by_role("button", name=f"Apply: {earlier['label']}", exact=True).click()
    for e in earlier["entries"]:
        expect(row(page, e)).to_be_visible()
    expect(card.get_by_role("status")).to_have_text(f"{earlier['label']}: {', '.join(name(e) for e in earlier['entries'])} reused.")
    # Applied again, there is nothing left: the API says so in English.
    expect(suggestion(page, earlier["label"])).to_contain_text("Nothing to reuse from this list for now.")
    text = page.locator("body").inner_text()
    assert "«" not in text and "»" not in text, text
    # Victor may read the quote, not change it: no suggestions to apply.
    victor = pages.open(user="demo-victor", quote=demo.both["id"], lang="en")
    expect(victor.get_by_role("table")).to_be_visible()
    expect(victor.get_by_role("region", name="Reuse contacts")).to_have_count(0)
    expect(victor.get_by_role("button", name="Save this list as the client's default contacts")).to_have_count(0)


def test_save_the_list_as_the_client_defaults_in_english_then_in_french(server, demo, pages):
    mobile, landline = demo.mobile, demo.landline
    assign(server, demo.neither, mobile, ["TRACKING"])
    assign(server, demo.neither, landline)  # no function yet
    other = pages.open(quote=demo.both["id"], lang="en")  # the client's other draft, open meanwhile
    expect(suggestion(other, "Default contacts of Boulangerie Éloïse")).to_be_visible()
    page = pages.open(quote=demo.neither["id"], lang="en")
    save = page.get_by_role("button", name="Save this list as the client's default contacts", exact=True)
    save.click()
    # Refused whole, naming the contact at fault; nothing saved.
    expect(page.locator("#defaults-errors").get_by_role("listitem")).to_have_text(
        f"{named(landline)}: One of the contacts has no function assigned. "
        "Please tick the matching box or remove the contact from the quote")
    page.get_by_role("checkbox", name=f"Equipment delivery: {name(landline)}", exact=True).click()
    expect(page.locator("#defaults-errors")).to_be_empty()  # about a list that has changed since
    save.click()
    expect(notice(page, "List saved as Boulangerie Éloïse's default contacts.")).to_be_visible()
    # The other draft's suggestions follow at once (its page gets CONTACTS_EDITED).
    expect(suggestion(other, "Default contacts of Boulangerie Éloïse").get_by_role("list").first.get_by_role("listitem")).to_have_text(
        [f"{name(mobile)}: Order tracking", f"{name(landline)}: Equipment delivery"])

    # In French, and only for a user who may edit contacts.
    french = pages.open(quote=demo.neither["id"])
    french.get_by_role("button", name="Enregistrer cette liste comme contacts par défaut du client", exact=True).click()
    expect(notice(french, "Liste enregistrée comme contacts par défaut de Boulangerie Éloïse.")).to_be_visible()
    bob = pages.open(user="demo-bob", quote=demo.neither["id"])
    expect(row(bob, mobile)).to_be_visible()
    expect(bob.get_by_role("button", name="Enregistrer cette liste comme contacts par défaut du client")).to_have_count(0)


# --- the quote's history --------------------------------------------------------------------------

HISTORY = """query($id: ID!) { quote(id: $id) { history(first: 100) { edges { node { at summary } } } } }"""
EN_LABEL = {"ON_SITE": "On-site intervention", "DELIVERY": "Equipment delivery", "TRACKING": "Order tracking"}
PARIS = "Europe/Paris"


def history(page, lang="fr"):
    """The history under the list: a list named by its heading."""
    return page.get_by_role("list", name="Historique" if lang == "fr" else "History", exact=True)


def expect_history(page, summaries, lang="fr"):
    """The history shows these sentences, and only these, in this order (newest first)."""
    items = history(page, lang).get_by_role("listitem")
    expect(items).to_have_count(len(summaries))
    expect(items).to_contain_text(summaries)


def test_two_users_changing_one_quote_see_its_history_live_newest_first(server, demo, pages):
    quote, a, b, c = demo.both, demo.mobile, demo.landline, demo.partner_complete[0]
    assign(server, quote, a, ["TRACKING"])
    assign(server, quote, b)
    alice = pages.open(user="demo-alice", quote=quote["id"], timezone=PARIS)
    bob = pages.open(user="demo-bob", quote=quote["id"], timezone=PARIS)
    written = [f"Alice Durand a ajouté {named(b)} au devis",
               f"Alice Durand a coché Suivi de commande pour {named(a)}",
               f"Alice Durand a ajouté {named(a)} au devis"]
    for page in (alice, bob):
        expect(page.get_by_role("heading", name="Historique", exact=True)).to_be_visible()
        expect_history(page, written)
    # Each entry says when, in the page's language and time zone.
    newest = server.gql("demo-alice", HISTORY, {"id": quote["id"]})["quote"]["history"]["edges"][0]["node"]
    local = datetime.fromisoformat(newest["at"]).astimezone(ZoneInfo(PARIS))
    first = history(bob).get_by_role("listitem").first
    expect(first).to_have_text(f"{written[0]}, le {local:%d/%m/%Y %H:%M}")
    expect(first.locator("time")).to_have_attribute("datetime", newest["at"])

    # A change by one shows at once on top of both pages' history, with who made it.
    add_from_list(alice, "partner", c)
    written.insert(0, f"Alice Durand a ajouté {named(c)} au devis")
    for page in (alice, bob):
        expect_history(page, written)
    # One small read per change and page: Bob's own page reads it once, though both his
    # change's answer and its event bring the new quote.
    reads = {alice: [], bob: []}
    for page in (alice, bob):
        pages.listen(page, "request", lambda r, page=page: reads[page].append(r) if "query QuoteHistory" in (r.post_data or "") else None)
    box(bob, a, "ON_SITE").click()
    written.insert(0, f"Bob Lefèvre a coché Intervention sur site pour {named(a)}")
    for page in (alice, bob):
        expect_history(page, written)
        assert len(reads[page]) == 1, [r.post_data for r in reads[page]]
    # ON_SITE moving from one contact to another: two entries, the untick first.
    box(bob, b, "ON_SITE").click()
    written[:0] = [f"Bob Lefèvre a coché Intervention sur site pour {named(b)}",
                   f"Bob Lefèvre a décoché Intervention sur site pour {named(a)}"]
    # Seven entries: the latest five show, « Tout afficher » shows the others.
    for page in (alice, bob):
        expect_history(page, written[:5])
    bob.get_by_role("button", name="Tout afficher", exact=True).click()
    expect_history(bob, written)
    expect_history(alice, written[:5])

    # Everything shown, the next change still comes on top; the other page keeps its latest five.
    alice.get_by_role("button", name=f"Retirer {name(c)} du devis").click()
    written.insert(0, f"Alice Durand a retiré {named(c)} du devis")
    expect_history(bob, written)
    expect_history(alice, written[:5])
    bob.get_by_role("button", name="N'afficher que les 5 dernières", exact=True).click()
    expect_history(bob, written[:5])
    alice.get_by_role("button", name="Tout afficher", exact=True).click()
    expect_history(alice, written)
    # What the API holds, in the same order.
    held = server.gql("demo-alice", HISTORY, {"id": quote["id"]})["quote"]["history"]["edges"]
    assert [e["node"]["summary"] for e in held] == written


def test_history_in_english_for_a_read_only_user_and_kept_once_ordered(server, demo, pages):
    quote, a, b = demo.both, demo.mobile, demo.landline
    assign(server, quote, a, ["TRACKING"])
    assign(server, quote, b, ["ON_SITE", "DELIVERY"])
    # Victor may read the quote, not change it: he reads its history, in English.
    victor = pages.open(user="demo-victor", quote=quote["id"], lang="en")
    expect(victor.get_by_role("heading", name="History", exact=True)).to_be_visible()
    written = [f"Alice Durand ticked {EN_LABEL['DELIVERY']} for {named(b)}",
               f"Alice Durand ticked {EN_LABEL['ON_SITE']} for {named(b)}",
               f"Alice Durand added {named(b)} to the quote",
               f"Alice Durand ticked {EN_LABEL['TRACKING']} for {named(a)}",
               f"Alice Durand added {named(a)} to the quote"]
    expect_history(victor, written, lang="en")
    expect(victor.get_by_role("button", name="Show all")).to_have_count(0)     # nothing older

    # Alice places the order: Victor's page follows, and the ordered quote keeps its history.
    alice = pages.open(user="demo-alice", quote=quote["id"])
    alice.get_by_role("button", name="Passer la commande").click()
    expect(alice.locator("#ordered")).to_contain_text("Commande passée le")
    expect(history(alice).get_by_role("listitem").first).to_contain_text("Alice Durand a passé la commande")
    expect(victor.locator("#ordered")).to_contain_text("Order placed on")
    written.insert(0, "Alice Durand placed the order")
    expect_history(victor, written[:5], lang="en")
    # « Show all » by keyboard: the button keeps the focus, visibly, and becomes the way back.
    show_all = victor.get_by_role("button", name="Show all", exact=True)
    assert min(size(show_all)) >= 24, size(show_all)
    show_all.focus()
    victor.keyboard.press("Enter")
    expect_history(victor, written, lang="en")
    back = victor.get_by_role("button", name="Show the latest 5 only", exact=True)
    expect(back).to_be_focused()
    assert back.evaluate("el => el.matches(':focus-visible') && getComputedStyle(el).outlineStyle") == "solid"
    victor.reload()
    expect_history(victor, written[:5], lang="en")
