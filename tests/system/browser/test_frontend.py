"""The step-2 screen (frontend_stub/) in a real headless Chromium, against a real server.

Each test starts `python -m api serve --demo` on a free port with a fresh SQLite file, so the
tests do not depend on each other. What the demo data holds (quote references, contact names)
is read from the API first; the assertions are on what a user sees on the page.

Needs Debian's chromium (/usr/bin/chromium, or CHROMIUM_PATH) and the `playwright` package;
the tests skip, saying which is missing, without them. No `playwright install` is needed.
"""
from __future__ import annotations

import os
import shlex
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.system.browser.chromium import browser_missing

if browser_missing() is None:
    from playwright.sync_api import expect

ROOT = Path(__file__).resolve().parents[3]
SCREENSHOT = ROOT / "docs" / "screenshot-step2.png"

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


# --- the server ------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`python -m api serve --demo` on a free port; STEP2_SERVER_CMD ({port}) runs another one."""

    def __init__(self, db: Path, log: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.db = db
        self.log = log
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        custom = os.environ.get("STEP2_SERVER_CMD")
        cmd = (shlex.split(custom.format(port=self.port)) if custom else
               [sys.executable, "-m", "api", "serve", "--demo", "--port", str(self.port)])
        env = {**os.environ, "DATABASE_URL": f"sqlite://{self.db}", "BROKER_URL": "memory://"}
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server stopped at once:\n{self.log.read_text()[-3000:]}")
            try:
                if httpx.get(self.url + "/", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"the server did not answer on {self.url}:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def gql(self, token: str, query: str, variables: dict | None = None, lang: str = "fr") -> dict:
        response = httpx.post(self.url + "/graphql", json={"query": query, "variables": variables or {}},
                              headers={"Authorization": f"Bearer {token}", "Accept-Language": lang}, timeout=10)
        body = response.json()
        assert not body.get("errors"), body
        return body["data"]


@pytest.fixture
def server(tmp_path):
    srv = Server(tmp_path / "step2.sqlite3", tmp_path / "server.log")
    srv.start()
    yield srv
    srv.stop()


class Pages:
    """Opens pages, each in its own browser context (own user, own socket), and closes them."""

    def __init__(self, browser, server):
        self.browser, self.server, self.contexts, self.errors = browser, server, [], []

    def open(self, user="demo-alice", quote=None, lang=None):
        context = self.browser.new_context(viewport={"width": 1200, "height": 1000})
        self.contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        query = f"?user={user}" + (f"&quote={quote}" if quote else "") + (f"&lang={lang}" if lang else "")
        page.goto(self.server.url + "/" + query)
        expect(page.locator("#live-status")).to_have_text(
            "En direct" if lang != "en" else "Live", timeout=10000)
        if quote:
            expect(page.locator("#step2")).to_be_visible()
        return page

    def close(self):
        for c in self.contexts:
            c.close()


@pytest.fixture
def pages(browser, server):
    p = Pages(browser, server)
    yield p
    p.close()
    assert not p.errors, f"JavaScript errors on the page: {p.errors}"


# --- the demo data, read from the API ---------------------------------------------------------

DEMO = """
{ quotes(first: 100) { edges { node {
    id reference status
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


@pytest.fixture
def demo(server):
    return Demo(server)


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


# --- helpers on the page ----------------------------------------------------------------------

def row(page, contact):
    return page.locator("#contacts-table tbody tr", has=page.locator("th .name", has_text=name(contact)))


def box(page, contact, function, label=None):
    return page.get_by_role("checkbox", name=f"{label or LABEL[function]} : {name(contact)}", exact=True)


def add_from_list(page, source, contact):
    page.get_by_label("Contacts client existants" if source == "client"
                      else "Contacts partenaire référent existants").select_option(contact["id"])
    word = "client" if source == "client" else "partenaire"
    page.get_by_role("button", name=f"Ajouter le contact {word} choisi au devis").click()
    expect(row(page, contact)).to_be_visible()


# --- the tests --------------------------------------------------------------------------------

def test_add_and_remove_contacts(server, demo, pages):
    page = pages.open(quote=demo.both["id"])
    expect(page.locator("#contacts-table tbody")).to_contain_text("Aucun contact sur ce devis.")
    client, partner = demo.client_complete[0], demo.partner_complete[0]

    # Keyboard only: pick the client contact in its menu, then press the "+" button.
    menu = page.get_by_label("Contacts client existants")
    menu.focus()
    menu.select_option(client["id"])
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Ajouter le contact client choisi au devis")).to_be_focused()
    page.keyboard.press("Enter")
    expect(row(page, client)).to_be_visible()
    add_from_list(page, "partner", partner)
    expect(page.locator("#contacts-table tbody tr")).to_have_count(2)

    # The contact's role on hover (title) and for a screen reader (text of the row header).
    who = row(page, client).locator("th")
    expect(who).to_have_attribute("title", f"Rôle : {client['role']}")
    expect(who).to_contain_text(client["role"])
    # A contact on the quote cannot be added twice.
    page.get_by_label("Contacts client existants").select_option(client["id"])
    expect(page.get_by_role("button", name="Ajouter le contact client choisi au devis")).to_be_disabled()
    # Without a function, the rule's message shows.
    expect(page.locator("#validation")).to_contain_text(MSG["CONTACT_WITHOUT_FUNCTION"])

    page.get_by_role("button", name=f"Retirer {name(client)} du devis").click()
    expect(row(page, client)).to_have_count(0)
    expect(page.locator("#contacts-table tbody tr")).to_have_count(1)
    page.get_by_role("button", name=f"Retirer {name(partner)} du devis").press("Enter")
    expect(page.locator("#contacts-table tbody")).to_contain_text("Aucun contact sur ce devis.")
    expect(page.locator("#validation")).not_to_contain_text(MSG["CONTACT_WITHOUT_FUNCTION"])


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
    expect(alert).to_have_text(MSG["TRACKING_CONTACT_LIMIT"])
    expect(fourth).not_to_be_checked()
    expect(fourth).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#req-TRACKING")).to_contain_text("(3/3)")

    # Unticking one frees a place: the fourth can then be ticked, and the message goes.
    box(page, contacts[0], "TRACKING").click()
    expect(box(page, contacts[0], "TRACKING")).not_to_be_checked()
    expect(alert).to_be_empty()
    fourth.click()
    expect(fourth).to_be_checked()


def test_on_site_and_delivery_act_as_radio_buttons(server, demo, pages):
    first, second = demo.mobile, demo.landline
    assign(server, demo.both, first)
    assign(server, demo.both, second)
    page = pages.open(quote=demo.both["id"])
    validation = page.locator("#validation")
    expect(validation).to_contain_text(MSG["ON_SITE_CONTACT_REQUIRED"])
    expect(validation).to_contain_text(MSG["DELIVERY_CONTACT_REQUIRED"])
    expect(page.locator("#req-ON_SITE")).to_contain_text("1 contact unique obligatoire")

    box(page, first, "ON_SITE").click()
    expect(box(page, first, "ON_SITE")).to_be_checked()
    expect(validation).not_to_contain_text(MSG["ON_SITE_CONTACT_REQUIRED"])

    # Keyboard: Space on the second contact's box moves on-site to it.
    box(page, second, "ON_SITE").focus()
    page.keyboard.press("Space")
    expect(box(page, second, "ON_SITE")).to_be_checked()
    expect(box(page, first, "ON_SITE")).not_to_be_checked()
    expect(box(page, second, "ON_SITE")).to_be_focused()
    # A landline on the on-site contact: the warning, which does not block.
    expect(validation).to_contain_text(MSG["PHONE_NOT_MOBILE"])

    box(page, second, "DELIVERY").click()
    expect(box(page, second, "DELIVERY")).to_be_checked()
    box(page, first, "DELIVERY").click()
    expect(box(page, first, "DELIVERY")).to_be_checked()
    expect(box(page, second, "DELIVERY")).not_to_be_checked()
    expect(box(page, second, "ON_SITE")).to_be_checked()
    expect(validation).not_to_contain_text(MSG["DELIVERY_CONTACT_REQUIRED"])


ADHOC_ERRORS = """mutation($input: AssignAdhocContactInput!) { assignAdhocContact(input: $input) {
  assignment { id } userErrors { code message field } } }"""


def test_adhoc_form_errors_and_success(server, demo, pages):
    page = pages.open(quote=demo.both["id"])
    form = page.locator("#adhoc-form")
    expect(form).to_contain_text(ADHOC_NOTE)
    for label in ("Nom", "Prénom", "Email", "Téléphone", "Rôle"):
        expect(form.get_by_label(label, exact=False).first).to_be_editable()

    bad = {"lastName": "", "firstName": "", "email": "pas-un-email", "phone": "12", "role": ""}
    expected = server.gql("demo-alice", ADHOC_ERRORS, {"input": {"quoteId": demo.both["id"], **bad}})
    expected = expected["assignAdhocContact"]["userErrors"]
    assert {e["field"][-1] for e in expected} >= {"lastName", "email", "phone", "role"}, expected

    page.locator("#adhoc-email").fill(bad["email"])
    page.locator("#adhoc-phone").fill(bad["phone"])
    page.get_by_role("button", name="Ajouter au devis").click()
    for field in ("lastName", "email", "phone", "role"):
        messages = [e["message"] for e in expected if e["field"][-1] == field]
        expect(page.locator(f"#adhoc-{field}-error")).to_have_text("".join(messages))
        expect(page.locator(f"#adhoc-{field}")).to_have_attribute("aria-invalid", "true")
        described = page.locator(f"#adhoc-{field}").get_attribute("aria-describedby")
        assert f"adhoc-{field}-error" in described.split()
    expect(page.locator("#adhoc-firstName")).to_have_attribute("aria-invalid", "false")
    expect(page.locator("#adhoc-lastName")).to_be_focused()   # the first field at fault
    expect(page.locator("#contacts-table tbody")).to_contain_text("Aucun contact sur ce devis.")

    page.locator("#adhoc-lastName").fill("Ponctuel")
    page.locator("#adhoc-firstName").fill("Paul")
    page.locator("#adhoc-email").fill("paul.ponctuel@example.fr")
    page.locator("#adhoc-phone").fill("06 12 34 56 78")
    page.locator("#adhoc-role").fill("Gardien")
    page.locator("#adhoc-role").press("Enter")
    adhoc = {"lastName": "Ponctuel", "firstName": "Paul", "role": "Gardien"}
    expect(row(page, adhoc)).to_be_visible()
    expect(row(page, adhoc).locator("th")).to_have_attribute("title", "Rôle : Gardien")
    for field in ("lastName", "email", "phone", "role"):
        expect(page.locator(f"#adhoc-{field}-error")).to_be_empty()
        expect(page.locator(f"#adhoc-{field}")).to_have_value("")
    # Not saved among the enterprise's contacts: the menus do not offer it.
    expect(page.get_by_label("Contacts client existants")).not_to_contain_text("Ponctuel")
    expect(page.get_by_label("Contacts partenaire référent existants")).not_to_contain_text("Ponctuel")


def test_complete_an_incomplete_contact_then_add_it(server, demo, pages):
    contact = demo.client_incomplete
    # Bob may not edit contacts: he sees why, without a way to complete it.
    bob = pages.open(user="demo-bob", quote=demo.both["id"])
    bob.get_by_label("Contacts client existants").select_option(contact["id"])
    expect(bob.locator("#client-reasons")).to_contain_text(MSG["CONTACT_INCOMPLETE"])
    expect(bob.get_by_role("button", name="Ajouter le contact client choisi au devis")).to_be_disabled()
    expect(bob.get_by_role("button", name="Compléter ce contact ici")).to_have_count(0)

    page = pages.open(quote=demo.both["id"])
    page.get_by_label("Contacts client existants").select_option(contact["id"])
    expect(page.locator("#client-reasons")).to_contain_text(MSG["CONTACT_INCOMPLETE"])
    add = page.get_by_role("button", name="Ajouter le contact client choisi au devis")
    expect(add).to_be_disabled()
    page.get_by_role("button", name="Compléter ce contact ici").click()
    form = page.locator("#complete-form")
    expect(form).to_be_visible()
    expect(form.get_by_role("heading")).to_contain_text(contact["lastName"])

    # A wrong value first: its error shows under its field, nothing is saved.
    fields = {"PHONE": ("phone", "06 12 34 56 78"), "EMAIL": ("email", "iris.complete@example.fr"),
              "ROLE": ("role", "Assistante"), "LAST_NAME": ("lastName", "Complet")}
    missing = [fields[m] for m in contact["missingFields"]]
    assert missing, contact
    target, _ = missing[0]
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
    expect(row(bob, contact)).to_be_visible(timeout=2000)
    expect(bob.locator("#client-reasons")).not_to_contain_text(MSG["CONTACT_INCOMPLETE"])


def test_place_the_order(server, demo, pages):
    quote = demo.neither
    contact = demo.client_complete[0]
    assign(server, quote, contact)
    page = pages.open(quote=quote["id"])
    order = page.get_by_role("button", name="Passer la commande")
    order.click()
    expect(page.locator("#order-errors")).to_contain_text(MSG["CONTACT_WITHOUT_FUNCTION"])
    expect(page.locator("#order-errors")).to_contain_text(MSG["TRACKING_CONTACT_REQUIRED"])
    expect(page.locator("#ordered")).to_be_hidden()

    box(page, contact, "TRACKING").click()
    expect(page.locator("#validation")).to_contain_text("Les contacts du devis sont en règle.")
    order.click()
    expect(page.locator("#ordered")).to_be_visible()
    expect(page.locator("#ordered")).to_contain_text("Commande passée le")
    expect(page.locator("#order-errors")).to_be_empty()
    expect(order).to_be_disabled()
    expect(box(page, contact, "TRACKING")).to_be_disabled()
    expect(box(page, contact, "TRACKING")).to_be_checked()
    expect(page.get_by_role("button", name=f"Retirer {name(contact)} du devis")).to_be_disabled()
    expect(page.locator("#adhoc-lastName")).to_be_disabled()
    expect(page.get_by_label("Devis", exact=True)).to_contain_text(f"{quote['reference']} — ")
    expect(page.locator("#quote-select option:checked")).to_contain_text("(commandé)")


def test_read_only_user_and_another_partner(server, demo, pages):
    contact = demo.client_complete[0]
    assign(server, demo.both, contact, ["TRACKING"])
    page = pages.open(user="demo-victor", quote=demo.both["id"])
    expect(page.locator("#read-only")).to_have_text(
        "Lecture seule : vous ne pouvez pas modifier les contacts de ce devis.")
    expect(row(page, contact)).to_be_visible()
    expect(box(page, contact, "TRACKING")).to_be_checked()
    for f in LABEL:
        expect(box(page, contact, f)).to_be_disabled()
    expect(page.get_by_role("button", name=f"Retirer {name(contact)} du devis")).to_be_disabled()
    page.get_by_label("Contacts client existants").select_option(demo.client_complete[1]["id"])
    expect(page.get_by_role("button", name="Ajouter le contact client choisi au devis")).to_be_disabled()
    for field in ("lastName", "firstName", "email", "phone", "role"):
        expect(page.locator(f"#adhoc-{field}")).to_be_disabled()
    expect(page.get_by_role("button", name="Ajouter au devis")).to_be_disabled()
    expect(page.get_by_role("button", name="Passer la commande")).to_be_disabled()

    # Switching to Mallory (another partner) from the user picker: only her own quotes.
    mallory_refs = {e["node"]["reference"] for e in server.gql(
        "demo-mallory", "{ quotes(first: 100) { edges { node { reference } } } }")["quotes"]["edges"]}
    page.get_by_label("Utilisateur (démo)").select_option("demo-mallory")
    picker = page.get_by_label("Devis", exact=True)
    expect(picker.locator("option")).to_have_count(len(mallory_refs))
    for ref in mallory_refs:
        expect(picker).to_contain_text(ref)
    for ref in (demo.both["reference"], demo.neither["reference"], demo.ordered["reference"]):
        expect(picker).not_to_contain_text(ref)
    expect(page.locator("#contacts-table")).not_to_contain_text(name(contact))


def test_english_switch(server, demo, pages):
    page = pages.open(quote=demo.both["id"])
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    labels = {f["function"]: f["label"] for f in server.gql(
        "demo-alice", "{ contactFunctions { function label } }", lang="en")["contactFunctions"]}
    for f, label in labels.items():
        expect(page.locator(f"#col-{f}")).to_contain_text(label)
    expect(page.locator("#adhoc-form")).to_contain_text("will not be saved in your list of contacts")
    expect(page.get_by_label("Existing client contacts")).to_be_visible()
    expect(page.locator("#validation")).not_to_contain_text(MSG["TRACKING_CONTACT_REQUIRED"])
    expect(page.locator("#live-status")).to_have_text("Live", timeout=5000)
    page.get_by_role("button", name="Français").click()
    expect(page.locator("#validation")).to_contain_text(MSG["TRACKING_CONTACT_REQUIRED"])


def test_two_pages_follow_each_other_live_and_reconnect(server, demo, pages):
    quote = demo.both
    first, second = demo.client_complete[0], demo.partner_complete[0]
    alice = pages.open(user="demo-alice", quote=quote["id"])
    bob = pages.open(user="demo-bob", quote=quote["id"])

    add_from_list(alice, "client", first)
    expect(row(bob, first)).to_be_visible(timeout=1000)
    box(bob, first, "TRACKING").click()
    expect(box(bob, first, "TRACKING")).to_be_checked()
    expect(box(alice, first, "TRACKING")).to_be_checked(timeout=1000)

    # The connection drops (the server restarts): both pages say so, reconnect, and follow again.
    server.stop()
    expect(alice.locator("#live-status")).to_have_text("Connexion perdue, reconnexion…", timeout=5000)
    server.start()
    for page in (alice, bob):
        expect(page.locator("#live-status")).to_have_text("En direct", timeout=15000)
    add_from_list(bob, "partner", second)
    expect(row(alice, second)).to_be_visible(timeout=1000)
    alice.get_by_role("button", name=f"Retirer {name(first)} du devis").click()
    expect(row(bob, first)).to_have_count(0, timeout=1000)


def test_screenshot(server, demo, pages):
    """Saves docs/screenshot-step2.png: a quote with contacts, functions, a warning and an error."""
    mobile, landline = demo.mobile, demo.landline
    partner = demo.partner_complete[0]
    assign(server, demo.both, mobile, ["ON_SITE", "TRACKING"])
    assign(server, demo.both, landline, ["DELIVERY"])
    assign(server, demo.both, partner)
    page = pages.open(quote=demo.both["id"])
    expect(row(page, partner)).to_be_visible()
    page.get_by_label("Contacts client existants").select_option(demo.client_incomplete["id"])
    expect(page.locator("#client-reasons")).to_contain_text(MSG["CONTACT_INCOMPLETE"])
    page.locator("#col-TRACKING button.info").hover()
    expect(page.locator("#help-TRACKING")).to_be_visible()
    expect(page.locator("#global-errors")).to_be_empty()
    SCREENSHOT.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)
    assert SCREENSHOT.stat().st_size > 10_000
