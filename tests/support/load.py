"""Load test: many clients change the same few quotes through several server processes.

Forty clients (by default) add, remove and re-tick contacts, apply suggestions (the client's
defaults, or another quote's list), set the client's defaults, edit enterprise contacts and
place orders on the same few draft quotes, through two `python -m api serve` processes on one
database, for a fixed time. Afterwards `check` proves from the database that:

- every invariant holds: at most one ON_SITE and one DELIVERY contact per quote, at most three
  TRACKING, at most ten contacts, no enterprise contact twice, an ordered quote valid and frozen;
  the client's defaults are one of the lists that were set, and valid;
- every accepted change is there and every refused one stored nothing: each accepted add's
  assignment exists unless an accepted removal took it away, each accepted order is placed,
  and the database holds nothing that no accepted (or interrupted) request asked for;
- every refused request carried a user error with a code that request can get, and no
  response was an HTTP 5xx or a top-level GraphQL error;
- the quotes' history (contacts/history.py), replayed from its first entry, gives each quote's
  list as it stands, and every accepted add, removal and order has its entry (a change never
  without its entries, an entry never without its change, whatever the retries and the kill).

On PostgreSQL, test-only triggers also record every committed row change with its
transaction id. `check` then replays the quotes' history transaction by transaction, in
`version` order: each transaction raised the version by exactly one, is one application of
the rules (`contacts.rules`) to the state the previous one left (so no update was lost and no two
changes saw the same state), and the invariants hold after every step, not only at the end. A
suggestion applied is one such transaction too, however many rows it inserts and updates: it
must be what `contacts.suggestion_rules` does with the contacts it touched (nothing taken away,
only free functions ticked, no contact left without a function).

Every client, with its own connection pool, is built before the clock starts; the
run is a number of requests (the suite's: tests/system/test_load.py), or a time measured from
the first request (by hand), so that what it checks never depends on how fast the machine is.
By hand, longer:

    TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test \\
        .venv/bin/python -m tests.support.load --seconds 60 --clients 40 [--kill]

which creates a fresh database `contacts_load` beside the given one (or a temporary SQLite
file with `--database-url sqlite://...`), starts the servers, runs, checks and prints figures.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field

import httpx

from contacts import rules, suggestion_rules
from schema.ids import decode_id, encode_id
from contacts.rules import Code, Function, Slot
from tests.support.tls import TLS

TOKEN = "demo-alice"
ACTIVE_QUOTES = 3
LOAD_CONTACTS = 14  # more than the ten a quote holds, so that QUOTE_CONTACT_LIMIT is reached
# Product codes of the demo catalogue: both contacts needed, none needed.
PRODUCT_MIXES = (("FIBRE-1G", "4G-BACKUP"), ("SIP-TRUNK-10",), ("ROUTER-PRO",))

QUOTE_FIELDS = "id status version assignments { id contact { id } functions }"
PAYLOAD = f"quote {{ {QUOTE_FIELDS} }} assignment {{ id functions }} userErrors {{ code field }}"
DOCUMENTS = {
    "assign": f"mutation($input: AssignContactInput!) {{ assignContact(input: $input) {{ {PAYLOAD} }} }}",
    "adhoc": f"mutation($input: AssignAdhocContactInput!) {{ assignAdhocContact(input: $input) {{ {PAYLOAD} }} }}",
    "unassign": f"mutation($input: UnassignContactInput!) {{ unassignContact(input: $input) {{ {PAYLOAD} }} }}",
    "tick": f"mutation($input: SetAssignmentFunctionInput!) {{ setAssignmentFunction(input: $input) {{ {PAYLOAD} }} }}",
    "order": f"mutation($input: PlaceOrderInput!) {{ placeOrder(input: $input) {{ quote {{ {QUOTE_FIELDS} }} userErrors {{ code field }} }} }}",
    "edit": "mutation($input: UpdateContactInput!) { updateContact(input: $input) { contact { id role } userErrors { code field } } }",
    "read": f"query($id: ID!) {{ quote(id: $id) {{ {QUOTE_FIELDS} }} }}",
    "suggest": f"mutation($input: ApplyContactSuggestionInput!) {{ applyContactSuggestion(input: $input) "
               f"{{ quote {{ {QUOTE_FIELDS} }} applied {{ id }} skipped {{ code }} userErrors {{ code field }} }} }}",
    "defaults": "mutation($input: SetContactDefaultsInput!) { setContactDefaults(input: $input) "
                "{ enterprise { id } userErrors { code field } } }",
}
ROOT_FIELD = {
    "assign": "assignContact", "adhoc": "assignAdhocContact", "unassign": "unassignContact",
    "tick": "setAssignmentFunction", "order": "placeOrder", "edit": "updateContact", "read": "quote",
    "suggest": "applyContactSuggestion", "defaults": "setContactDefaults",
}
# The codes each operation may be refused with when its input is well formed: the rules,
# the frozen quote, and an assignment removed by someone else in the meantime.
REFUSALS = {
    "assign": {Code.CONTACT_ALREADY_ON_QUOTE, Code.QUOTE_CONTACT_LIMIT, Code.QUOTE_NOT_EDITABLE, Code.TRACKING_CONTACT_LIMIT},
    "adhoc": {Code.QUOTE_CONTACT_LIMIT, Code.QUOTE_NOT_EDITABLE, Code.TRACKING_CONTACT_LIMIT},
    "unassign": {Code.NOT_FOUND, Code.QUOTE_NOT_EDITABLE},
    "tick": {Code.NOT_FOUND, Code.QUOTE_NOT_EDITABLE, Code.TRACKING_CONTACT_LIMIT},
    "order": {
        Code.CONTACT_WITHOUT_FUNCTION, Code.ON_SITE_CONTACT_REQUIRED, Code.DELIVERY_CONTACT_REQUIRED,
        Code.TRACKING_CONTACT_REQUIRED, Code.TRACKING_CONTACT_LIMIT, Code.QUOTE_NOT_EDITABLE,
    },
    "edit": set(),
    "read": set(),
    "suggest": {Code.SUGGESTION_EMPTY, Code.QUOTE_NOT_EDITABLE},
    "defaults": set(),
}
CHANGES = ("assign", "adhoc", "unassign", "tick", "order", "edit", "suggest", "defaults")


# --- The scenario: quotes and contacts made for the run -------------------------------------


@dataclass
class Scenario:
    partner_id: int
    client_id: int
    contacts: list[int]  # complete enterprise contacts that may go on the quotes
    editable: list[int]  # the client's contacts the clients may edit (a subset of `contacts`)
    initial_roles: dict[int, str]
    initial_defaults: tuple = ()  # the client's default contacts: ((contact, functions), ...)
    active: list[int] = field(default_factory=list)  # draft quotes the clients work on
    ordered: list[int] = field(default_factory=list)  # quotes whose order was placed
    quotes: list[int] = field(default_factory=list)  # every quote made for the run
    products: dict[int, tuple[str, ...]] = field(default_factory=dict)
    counter: int = 0

    async def new_quote(self) -> int:
        from contacts.models import Product, Quote, QuoteLine

        self.counter += 1
        mix = PRODUCT_MIXES[len(self.quotes) % len(PRODUCT_MIXES)]
        quote = await Quote.create(
            reference=f"LOAD-{int(time.time() * 1000) % 10**9}-{self.counter}",
            partner_id=self.partner_id,
            client_id=self.client_id,
        )
        for code in mix:
            await QuoteLine.create(quote_id=quote.id, product=await Product.get(code=code), quantity=1)
        self.quotes.append(quote.id)
        self.products[quote.id] = mix
        return quote.id


async def prepare(active_quotes: int = ACTIVE_QUOTES) -> Scenario:
    """Creates, through the ORM of this process, a client of demo-alice's company with many
    complete contacts (mobiles and landlines) and a few draft quotes for it."""
    from contacts.models import Contact, Enterprise, EnterpriseKind, User
    from contacts.text import search_key

    partner_id = (await User.get(username=TOKEN)).partner_id
    stamp = int(time.time() * 1000) % 10**9
    client = await Enterprise.create(
        name=f"Charge {stamp}", search_name=search_key(f"Charge {stamp}"), kind=EnterpriseKind.CLIENT, partner_id=partner_id
    )
    contacts, roles = [], {}
    for i in range(LOAD_CONTACTS):
        phone = f"+336{10000000 + i:08d}" if i % 3 else f"+332{40000000 + i:08d}"  # every third a landline
        contact = await Contact.create(
            enterprise_id=client.id, last_name=f"Charge{i:02d}", first_name="Test", email=f"charge{i}@example.com",
            phone=phone, role=f"Rôle {i}", search_text=search_key(f"Charge{i:02d}", "Test", f"charge{i}@example.com"),
        )
        contacts.append(contact.id)
        roles[contact.id] = contact.role
    # The partner's own complete contacts may go on the quotes too (source PARTNER).
    own = [
        c for c in await Contact.filter(enterprise_id=partner_id)
        if not rules.missing_fields({name: getattr(c, name) for name in ("last_name", "email", "phone", "role")})
    ]
    scenario = Scenario(
        partner_id=partner_id, client_id=client.id, contacts=contacts + [c.id for c in own],
        editable=contacts[:6], initial_roles=roles,
    )
    # The client's defaults, as setContactDefaults would store them (applied by CLIENT_DEFAULTS).
    from contacts.models import ContactDefault

    scenario.initial_defaults = valid_defaults(contacts[1:5])
    for position, (contact, functions) in enumerate(scenario.initial_defaults):
        await ContactDefault.create(enterprise_id=client.id, contact_id=contact, position=position,
                                    **{f.value.lower(): True for f in functions})
    for _ in range(active_quotes):
        scenario.active.append(await scenario.new_quote())
    return scenario


# --- The clients ------------------------------------------------------------------------


@dataclass
class Call:
    op: str
    quote: int | None
    server: int
    seq: int  # the order in which the calls were sent, from 0
    started: float  # seconds since the first request
    latency: float = 0.0
    outcome: str = ""  # accepted | refused (changes), ok (reads), unsent | unknown | failed
    status: int | None = None
    codes: tuple[str, ...] = ()
    target: int | None = None  # the assignment (unassign, tick) or contact (assign, edit) named
    function: str | None = None
    enabled: bool | None = None
    assignment: int | None = None  # the assignment an accepted add created
    applied: tuple[int, ...] = ()  # the assignments an accepted suggestion added or ticked
    version: int | None = None  # the quote's version an accepted suggestion made
    defaults: tuple = ()  # the list a defaults call sent: ((contact, functions), ...)
    detail: str = ""


@dataclass
class Report:
    calls: list[Call]
    seconds: float  # from the first request to the last answer
    clients: int
    servers: int
    killed_after: int | None = None  # how many calls had been sent when the server was killed
    killed_at: float | None = None  # when, in seconds from the first request

    @property
    def killed(self) -> bool:
        return self.killed_after is not None

    def changes(self) -> list[Call]:
        return [c for c in self.calls if c.op in CHANGES]

    def summary(self) -> dict:
        calls = self.calls
        done = [c for c in calls if c.outcome in ("accepted", "refused", "ok")]
        latencies = sorted(c.latency for c in done)

        def pct(p: float) -> float:
            return round(1000 * latencies[min(len(latencies) - 1, int(p * len(latencies)))], 1) if latencies else 0.0

        by_op = {
            op: dict(Counter(c.outcome for c in calls if c.op == op)) for op in sorted({c.op for c in calls})
        }
        refusals = Counter(code for c in calls if c.outcome == "refused" for code in c.codes)
        return {
            "seconds": round(self.seconds, 1),
            "clients": self.clients,
            "servers": self.servers,
            "requests": len(calls),
            "per_second": round(len(calls) / self.seconds, 1) if self.seconds else 0,
            "outcomes": dict(Counter(c.outcome for c in calls)),
            "by_operation": by_op,
            "refusal_codes": dict(refusals.most_common()),
            "latency_ms": {
                "p50": pct(0.50), "p95": pct(0.95), "p99": pct(0.99),
                "max": round(1000 * latencies[-1], 1) if latencies else 0.0,
                "mean": round(1000 * statistics.fmean(latencies), 1) if latencies else 0.0,
            },
            "orders_placed": sum(1 for c in calls if c.op == "order" and c.outcome == "accepted"),
        }


class QuoteView:
    """What one client last saw of a quote."""

    def __init__(self) -> None:
        self.version = 0
        self.status = "DRAFT"
        self.assignments: dict[int, tuple[int | None, frozenset[str]]] = {}

    def update(self, quote: dict | None) -> None:
        if not quote or quote["version"] < self.version:
            return
        self.version = quote["version"]
        self.status = quote["status"]
        self.assignments = {
            decode_id("ContactAssignment", a["id"]): (
                decode_id("Contact", a["contact"]["id"]) if a["contact"] else None,
                frozenset(a["functions"]),
            )
            for a in quote["assignments"]
        }


def valid_defaults(contacts: list[int]) -> tuple:
    """A valid list of defaults for up to four contacts: ON_SITE and TRACKING, DELIVERY, then
    TRACKING (three in all)."""
    functions = (frozenset({Function.ON_SITE, Function.TRACKING}), frozenset({Function.DELIVERY}),
                 frozenset({Function.TRACKING}), frozenset({Function.TRACKING}))
    return tuple(zip(contacts[:4], functions))


FUNCTION_CHOICES = ([], ["TRACKING"], ["ON_SITE"], ["DELIVERY"], ["ON_SITE"], ["DELIVERY"], ["ON_SITE", "TRACKING"],
                    ["DELIVERY", "TRACKING"], ["ON_SITE", "DELIVERY", "TRACKING"])


class Budget:
    """What the run may still send: a number of requests, a time from the first request, or
    both. `take()` numbers each call; `at_half` runs once, before the call that starts the
    second half (of the requests, or of the time when only a time is given)."""

    def __init__(self, requests: int | None, seconds: float | None, at_half: Callable[[], object] | None) -> None:
        if requests is None and seconds is None:
            raise ValueError("give a number of requests, a time, or both")
        self.requests, self.seconds, self.at_half = requests, seconds, at_half
        self.sent = 0
        self.started = 0.0
        self.killed_after: int | None = None
        self.killed_at: float | None = None

    def start(self) -> None:
        self.started = time.monotonic()

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    async def take(self) -> int | None:
        """The next call's number, or None when the budget is spent."""
        if self.requests is not None and self.sent >= self.requests:
            return None
        if self.seconds is not None and self.elapsed() >= self.seconds:
            return None
        half = self.sent >= self.requests // 2 if self.requests is not None else self.elapsed() >= self.seconds / 2
        if half and self.at_half is not None and self.killed_after is None:
            self.killed_after, self.killed_at = self.sent, self.elapsed()
            result = self.at_half()
            if asyncio.iscoroutine(result):
                await result
        self.sent += 1
        return self.sent - 1


class Client:
    def __init__(self, number: int, urls: list[str], live: list[bool], scenario: Scenario, seed: int,
                 on_order: Callable[[int], object], calls: list[Call], http: httpx.AsyncClient) -> None:
        self.number = number
        self.urls = urls
        self.live = live
        self.server = number % len(urls)
        self.scenario = scenario
        self.random = random.Random(seed * 1000 + number)
        self.on_order = on_order
        self.calls = calls
        self.views: dict[int, QuoteView] = defaultdict(QuoteView)
        self.http = http  # this client's own connection pool
        self.edits = 0

    def pick_quote(self) -> int:
        if self.scenario.ordered and self.random.random() < 0.08:
            return self.random.choice(self.scenario.ordered)
        return self.random.choice(self.scenario.active)

    def next_operation(self) -> tuple[str, int | None, dict, dict]:
        """The next request: operation, quote, GraphQL input, and what to record of it.

        Mostly what a user would do next on what they last saw (give a function to a contact
        without one, add a contact, place the order once the list looks valid), with enough
        randomness that requests often clash: the same contact added twice, a fourth TRACKING,
        an eleventh contact, a removal of what another client just removed."""
        r = self.random
        quote = self.pick_quote()
        view = self.views[quote]
        quote_gid = encode_id("Quote", quote)
        roll = r.random()
        assignments = list(view.assignments)
        idle = [aid for aid, (_, functions) in view.assignments.items() if not functions]
        if r.random() < 0.12:  # the page reads the quote again (as after a live event)
            return "read", quote, {"id": quote_gid}, {}
        pick = r.random()
        if pick < 0.015:  # someone saves a list as the client's defaults
            chosen = valid_defaults(r.sample(self.scenario.contacts, r.randint(1, 4)))
            defaults = [{"contactId": encode_id("Contact", c), "functions": sorted(f.value for f in fs)} for c, fs in chosen]
            return "defaults", None, {"enterpriseId": encode_id("Enterprise", self.scenario.client_id),
                                      "defaults": defaults}, {"defaults": chosen}
        if pick < 0.10 or (not assignments and pick < 0.25):  # a suggestion, more often on an empty list
            others = [q for q in self.scenario.quotes if q != quote]
            if others and r.random() < 0.6:
                source = r.choice(others)
                return "suggest", quote, {"quoteId": quote_gid, "source": "EARLIER_QUOTE",
                                          "fromQuoteId": encode_id("Quote", source)}, {"target": source}
            return "suggest", quote, {"quoteId": quote_gid, "source": "CLIENT_DEFAULTS"}, {}
        if roll < 0.03:
            contact = r.choice(self.scenario.editable)
            self.edits += 1
            role = f"Rôle c{self.number}-{self.edits}"  # unique: tells the version frozen at ordering
            return "edit", None, {"contactId": encode_id("Contact", contact), "role": role}, {"target": contact}
        if roll < 0.06 or (roll < 0.25 and self.looks_valid(quote, view)):
            return "order", quote, {"quoteId": quote_gid}, {}
        if roll < 0.30 and assignments:
            return self.towards_order(quote, view)
        if roll < 0.09:
            functions = r.choice(FUNCTION_CHOICES)
            details = {"lastName": f"Ponctuel {self.number}", "email": f"ponctuel{self.number}@example.com",
                       "phone": "06 98 76 54 32", "role": "Livreur"}
            return "adhoc", quote, {"quoteId": quote_gid, "functions": functions, **details}, {}
        crowded = len(assignments) >= 6
        if not assignments or roll < (0.20 if crowded else 0.45):
            on_quote = {c for c, _ in view.assignments.values()}
            candidates = [c for c in self.scenario.contacts if c not in on_quote] or self.scenario.contacts
            if r.random() < 0.1:
                candidates = self.scenario.contacts  # sometimes one already there
            contact = r.choice(candidates)
            functions = r.choice(FUNCTION_CHOICES)
            return "assign", quote, {"quoteId": quote_gid, "contactId": encode_id("Contact", contact), "functions": functions}, {"target": contact}
        assignment = r.choice(idle if idle and r.random() < 0.7 else assignments)
        if roll < (0.45 if crowded else 0.55) or (assignment in idle and r.random() < 0.5):
            return "unassign", quote, {"assignmentId": encode_id("ContactAssignment", assignment)}, {"target": assignment}
        function = r.choice(("ON_SITE", "DELIVERY", "TRACKING", "TRACKING"))
        _, has = view.assignments[assignment]
        enabled = function not in has if r.random() < 0.85 else function in has
        return "tick", quote, {"assignmentId": encode_id("ContactAssignment", assignment), "function": function,
                               "enabled": enabled}, {"target": assignment, "function": function, "enabled": enabled}

    def towards_order(self, quote: int, view: QuoteView) -> tuple[str, int | None, dict, dict]:
        """What a user about to order would do next: remove a contact without a function,
        give the missing functions, then place the order."""
        r = self.random
        idle = [aid for aid, (_, functions) in view.assignments.items() if not functions]
        if idle:
            aid = r.choice(idle)
            return "unassign", quote, {"assignmentId": encode_id("ContactAssignment", aid)}, {"target": aid}
        slots = [Slot(aid, frozenset(Function(f) for f in functions)) for aid, (_, functions) in view.assignments.items()]
        for req in rules.requirements(_needs(self.scenario.products[quote]), slots):
            if req.count < req.min:
                aid = r.choice(list(view.assignments))
                function = req.function.value
                return "tick", quote, {"assignmentId": encode_id("ContactAssignment", aid), "function": function,
                                       "enabled": True}, {"target": aid, "function": function, "enabled": True}
        return "order", quote, {"quoteId": encode_id("Quote", quote)}, {}

    def looks_valid(self, quote: int, view: QuoteView) -> bool:
        slots = [Slot(aid, frozenset(Function(f) for f in functions)) for aid, (_, functions) in view.assignments.items()]
        errors, _ = rules.validate(rules.requirements(_needs(self.scenario.products[quote]), slots), slots)
        return view.status == "DRAFT" and not errors

    def failover(self) -> bool:
        """Moves to a live server; False when none is left."""
        for step in range(1, len(self.urls) + 1):
            candidate = (self.server + step) % len(self.urls)
            if self.live[candidate]:
                self.server = candidate
                return True
        return False

    async def send(self, op: str, variables: dict, call: Call) -> dict | None:
        url = self.urls[self.server] + "/graphql"
        began = time.monotonic()
        try:
            response = await self.http.post(url, json={"query": DOCUMENTS[op], "variables": variables})
        except httpx.ConnectError as error:
            call.outcome, call.detail = "unsent", repr(error)  # never reached a server: no effect
            self.live[self.server] = False
            return None
        except httpx.HTTPError as error:
            call.outcome, call.detail = "unknown", repr(error)  # the server went away mid-request
            return None
        finally:
            call.latency = time.monotonic() - began
        call.status = response.status_code
        try:
            body = response.json()
        except ValueError:
            call.outcome, call.detail = "failed", f"HTTP {response.status_code}, not JSON: {response.text[:200]}"
            return None
        if response.status_code != 200 or body.get("errors") or not body.get("data"):
            call.outcome, call.detail = "failed", f"HTTP {response.status_code}: {str(body)[:300]}"
            return None
        return body["data"][ROOT_FIELD[op]]

    async def run(self, budget: Budget) -> None:
        while (seq := await budget.take()) is not None:
            op, quote, input_, extra = self.next_operation()
            call = Call(op, quote, self.server, seq, budget.elapsed(), **extra)
            self.calls.append(call)
            payload = await self.send(op, input_ if op == "read" else {"input": input_}, call)
            if payload is None:
                if not call.outcome:
                    call.outcome, call.detail = "failed", f"{op}: null answer"
                if call.outcome in ("unsent", "unknown") and not self.live[self.server] and not self.failover():
                    return
                continue
            if op == "read":
                call.outcome = "ok"
                self.views[quote].update(payload)
                continue
            errors = payload.get("userErrors") or []
            call.codes = tuple(e["code"] for e in errors)
            call.outcome = "refused" if errors else "accepted"
            if op not in ("edit", "defaults"):
                self.views[quote].update(payload.get("quote"))
            if call.outcome == "accepted":
                if op == "suggest":
                    call.applied = tuple(decode_id("ContactAssignment", a["id"]) for a in payload["applied"])
                    call.version = payload["quote"]["version"]
                elif op in ("assign", "adhoc"):
                    # null when another client removed it before this answer was read
                    created = payload.get("assignment")
                    call.assignment = decode_id("ContactAssignment", created["id"]) if created else None
                elif op == "order":
                    await self.on_order(quote)


async def run_load(urls: list[str], scenario: Scenario, *, clients: int, requests: int | None = None,
                   seconds: float | None = None, seed: int = 1, at_half: Callable[[], object] | None = None,
                   live: list[bool] | None = None) -> Report:
    """`clients` clients, spread over the servers, send `requests` requests in all (or work for
    `seconds` from the first request, or whichever ends first). Every client and its own
    connection pool are built before the clock starts. `at_half` runs once, when half the
    requests have been sent (half the time, for a run given only a time): the fault test kills
    a server there."""
    calls: list[Call] = []
    live = live if live is not None else [True] * len(urls)
    budget = Budget(requests, seconds, at_half)
    ordering = asyncio.Lock()

    async def on_order(quote_id: int) -> None:
        # An ordered quote is frozen: put a fresh draft in its place so the load goes on.
        async with ordering:
            if quote_id in scenario.active:
                scenario.active.remove(quote_id)
                scenario.ordered.append(quote_id)
                scenario.active.append(await scenario.new_quote())

    # A connection pool per client, as each user has their own: one pool shared by forty clients
    # looks through all its connections for each request (httpcore), which cost the test process
    # more CPU than the servers spent answering.
    async with AsyncExitStack() as stack:
        pool = []
        for i in range(clients):
            http = await stack.enter_async_context(
                httpx.AsyncClient(timeout=30, verify=TLS, headers={"Authorization": f"Bearer {TOKEN}"}))
            pool.append(Client(i, urls, live, scenario, seed, on_order, calls, http))
        budget.start()
        await asyncio.gather(*(c.run(budget) for c in pool))
        seconds_taken = budget.elapsed()
    return Report(calls, seconds_taken, clients, len(urls), budget.killed_after, budget.killed_at)


# --- The audit: every committed row change, with its transaction (PostgreSQL) ------------


AUDIT_SQL = """
CREATE TABLE IF NOT EXISTS load_audit (
    seq bigserial PRIMARY KEY,
    txid bigint NOT NULL DEFAULT txid_current(),
    tbl text NOT NULL, op text NOT NULL, row_id int NOT NULL, quote_id int, contact_id int,
    on_site boolean, delivery boolean, tracking boolean, version int, status text,
    last_name text, role text
);
CREATE OR REPLACE FUNCTION load_audit_assignment() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        INSERT INTO load_audit (tbl, op, row_id, quote_id, contact_id)
        VALUES ('assignment', 'DELETE', OLD.id, OLD.quote_id, OLD.contact_id);
        RETURN OLD;
    END IF;
    INSERT INTO load_audit (tbl, op, row_id, quote_id, contact_id, on_site, delivery, tracking, last_name, role)
    VALUES ('assignment', TG_OP, NEW.id, NEW.quote_id, NEW.contact_id, NEW.on_site, NEW.delivery, NEW.tracking,
            NEW.last_name, NEW.role);
    RETURN NEW;
END $$ LANGUAGE plpgsql;
CREATE OR REPLACE FUNCTION load_audit_quote() RETURNS trigger AS $$
BEGIN
    INSERT INTO load_audit (tbl, op, row_id, quote_id, version, status)
    VALUES ('quote', TG_OP, NEW.id, NEW.id, NEW.version, NEW.status);
    RETURN NEW;
END $$ LANGUAGE plpgsql;
CREATE OR REPLACE FUNCTION load_audit_contact() RETURNS trigger AS $$
BEGIN
    INSERT INTO load_audit (tbl, op, row_id, contact_id, last_name, role)
    VALUES ('contact', TG_OP, NEW.id, NEW.id, NEW.last_name, NEW.role);
    RETURN NEW;
END $$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS load_audit_assignment ON contact_assignment;
CREATE TRIGGER load_audit_assignment AFTER INSERT OR UPDATE OR DELETE ON contact_assignment
    FOR EACH ROW EXECUTE FUNCTION load_audit_assignment();
DROP TRIGGER IF EXISTS load_audit_quote ON quote;
CREATE TRIGGER load_audit_quote AFTER UPDATE ON quote FOR EACH ROW EXECUTE FUNCTION load_audit_quote();
DROP TRIGGER IF EXISTS load_audit_contact ON contact;
CREATE TRIGGER load_audit_contact AFTER UPDATE ON contact FOR EACH ROW EXECUTE FUNCTION load_audit_contact();
TRUNCATE load_audit;
"""

DROP_AUDIT_SQL = """
DROP TRIGGER IF EXISTS load_audit_assignment ON contact_assignment;
DROP TRIGGER IF EXISTS load_audit_quote ON quote;
DROP TRIGGER IF EXISTS load_audit_contact ON contact;
DROP FUNCTION IF EXISTS load_audit_assignment();
DROP FUNCTION IF EXISTS load_audit_quote();
DROP FUNCTION IF EXISTS load_audit_contact();
DROP TABLE IF EXISTS load_audit;
"""


async def _connection():
    from tortoise import connections

    return connections.get("default")


async def install_audit() -> bool:
    """Installs the audit triggers on PostgreSQL; False (nothing done) on SQLite."""
    conn = await _connection()
    if conn.capabilities.dialect != "postgres":
        return False
    await conn.execute_script(AUDIT_SQL)
    return True


async def remove_audit() -> None:
    conn = await _connection()
    if conn.capabilities.dialect == "postgres":
        await conn.execute_script(DROP_AUDIT_SQL)


# --- The checks ---------------------------------------------------------------------------


FUNCTION_COLUMNS = (("on_site", Function.ON_SITE), ("delivery", Function.DELIVERY), ("tracking", Function.TRACKING))


def _functions(row) -> frozenset[Function]:
    """The functions of an audit row (a dict) or of a ContactAssignment."""
    get = row.get if isinstance(row, dict) else lambda name: getattr(row, name)
    return frozenset(function for column, function in FUNCTION_COLUMNS if get(column))


@dataclass
class State:
    """A quote as the replay sees it: assignment id -> (contact id, functions)."""

    version: int = 1
    status: str = "DRAFT"
    assignments: dict[int, tuple[int | None, frozenset[Function]]] = field(default_factory=dict)

    def slots(self) -> list[Slot]:
        return [Slot(aid, functions) for aid, (_, functions) in sorted(self.assignments.items())]


def invariant_problems(label: str, state: State) -> list[str]:
    problems = []
    counts = Counter(f for _, functions in state.assignments.values() for f in functions)
    for function in rules.FUNCTIONS:
        if counts[function] > rules.MAX_PER_FUNCTION[function]:
            problems.append(f"{label}: {counts[function]} {function.value} contacts")
    if len(state.assignments) > rules.MAX_CONTACTS_PER_QUOTE:
        problems.append(f"{label}: {len(state.assignments)} contacts")
    contacts = Counter(c for c, _ in state.assignments.values() if c is not None)
    if twice := [c for c, n in contacts.items() if n > 1]:
        problems.append(f"{label}: enterprise contacts {twice} more than once")
    return problems


def _needs(products: tuple[str, ...]) -> list[rules.LineNeeds]:
    from contacts.demo import PRODUCTS

    table = {code: (on_site, delivery) for code, _, on_site, delivery in PRODUCTS}
    return [rules.LineNeeds(i, *table[code]) for i, code in enumerate(products)]


def _set_function_explains(before: State, changed: dict[int, frozenset[Function]]) -> bool:
    """Whether one tick or untick, by the rules, turns `before` into `changed`."""
    slots = before.slots()
    for target in changed:
        for function in rules.FUNCTIONS:
            for enabled in (True, False):
                result, refused = rules.set_function(slots, target, function, enabled)
                if not refused and result == changed:
                    return True
    return False


def _replay_suggestion(label: str, before: State, after: State, inserted: list[dict], deleted: list[dict],
                       updated: dict[int, dict]) -> list[str]:
    """Whether one transaction is one suggestion applied to `before` (filling `after`): no row
    deleted, no function taken away, and exactly what `suggestion_rules.apply_suggestion` does
    with the contacts it touched (in the order of their rows), every one applied whole. So a
    function ticked was free, a contact added has a function, and the limits hold at each step."""
    if deleted:
        return [f"{label}: a suggestion deleted assignments {[r['row_id'] for r in deleted]}"]
    if any(aid not in before.assignments for aid in updated):
        return [f"{label}: a suggestion updated an assignment that was not there"]
    changed = {aid: _functions(r) for aid, r in updated.items() if _functions(r) != before.assignments[aid][1]}
    lost = {aid: before.assignments[aid][1] - f for aid, f in changed.items() if before.assignments[aid][1] - f}
    if lost:
        return [f"{label}: a suggestion took functions away: {lost}"]
    if any(not _functions(r) for r in inserted):
        return [f"{label}: a suggestion left a contact without a function"]
    # Who is who, for the rules: an enterprise contact by its id, an ad-hoc one by its row.
    key = lambda aid, contact: None if contact is not None else f"row{aid}@load"  # noqa: E731
    listed = [suggestion_rules.Listed(Slot(aid, f), c, key(aid, c)) for aid, (c, f) in sorted(before.assignments.items())]
    touched = [(aid, before.assignments[aid][0], f) for aid, f in sorted(changed.items())]
    touched += [(r["row_id"], r["contact_id"], _functions(r)) for r in sorted(inserted, key=lambda r: r["row_id"])]
    entries = [suggestion_rules.Entry("", None, f, contact_id=c, email=key(aid, c)) for aid, c, f in touched]
    plan = suggestion_rules.apply_suggestion(entries, listed)
    added = [f for _, f in plan.added]
    if plan.skipped or plan.ticked != changed or added != [_functions(r) for r in sorted(inserted, key=lambda r: r["row_id"])]:
        return [f"{label}: {changed} and {len(inserted)} added are not one suggestion applied to {before.assignments}"]
    for aid, functions in changed.items():
        after.assignments[aid] = (before.assignments[aid][0], functions)
    for r in inserted:
        after.assignments[r["row_id"]] = (r["contact_id"], _functions(r))
    return []


async def replay(scenario: Scenario, report: Report | None = None) -> tuple[list[str], dict[int, dict]]:
    """Replays the audited history of each load quote; returns problems and, per quote, the
    ids of the assignments inserted and deleted, the orders placed, ticks, contact edits and
    suggestions applied. The versions made by accepted suggestions come from their answers
    (`report`); a suggestion cut off by a kill is recognised by what it did."""
    calls = report.calls if report is not None else []
    suggested: dict[int, set[int]] = defaultdict(set)  # quote -> the versions accepted suggestions made
    for c in calls:
        if c.op == "suggest" and c.outcome == "accepted" and c.version is not None:
            suggested[c.quote].add(c.version)
    maybe_suggested = Counter(c.quote for c in calls if c.op == "suggest" and c.outcome == "unknown")
    conn = await _connection()
    rows = await conn.execute_query_dict("SELECT * FROM load_audit ORDER BY seq")
    problems: list[str] = []
    by_tx: dict[int, list[dict]] = defaultdict(list)
    for row in rows:
        by_tx[row["txid"]].append(row)
    roles: dict[int, list[tuple[int, str]]] = defaultdict(list)  # contact -> [(seq, role)]
    for row in rows:
        if row["tbl"] == "contact":
            roles[row["contact_id"]].append((row["seq"], row["role"]))
    history: dict[int, dict] = {}
    quotes = set(scenario.quotes)
    for quote in scenario.quotes:
        steps = []
        for txid, tx_rows in by_tx.items():
            mine = [r for r in tx_rows if r["quote_id"] == quote]
            if mine:
                steps.append((txid, mine, [r for r in tx_rows if r["tbl"] == "contact"]))
        state = State()
        seen = {"inserted": set(), "deleted": set(), "ordered": 0, "ticks": 0, "edits": 0, "suggestions": 0}
        bumps = {}
        edit_seqs: dict[int, int] = {}  # contact -> its latest edit that raised this quote's version
        for txid, mine, contact_rows in steps:
            quote_rows = [r for r in mine if r["tbl"] == "quote"]
            if len(quote_rows) != 1:
                problems.append(f"quote {quote}: transaction {txid} changed it without raising its version once ({len(quote_rows)} quote updates)")
                continue
            bumps[txid] = (quote_rows[0], mine, contact_rows)
        expected_version = 1
        for txid, (quote_row, mine, contact_rows) in sorted(bumps.items(), key=lambda item: item[1][0]["version"]):
            label = f"quote {quote} v{quote_row['version']} (tx {txid})"
            if quote_row["version"] != expected_version + 1:
                problems.append(f"{label}: version went from {expected_version} to {quote_row['version']}")
            expected_version = quote_row["version"]
            if state.status == "ORDERED":
                problems.append(f"{label}: changed after the order was placed")
            last = {}
            for r in mine:
                if r["tbl"] == "assignment":
                    last[r["row_id"]] = r
            inserted = [r for r in last.values() if r["op"] == "INSERT"]
            deleted = [r for r in last.values() if r["op"] == "DELETE"]
            updated = {aid: r for aid, r in last.items() if r["op"] == "UPDATE"}
            new = State(quote_row["version"], quote_row["status"], dict(state.assignments))
            if quote_row["version"] in suggested[quote]:
                seen["suggestions"] += 1
                problems.extend(_replay_suggestion(label, state, new, inserted, deleted, updated))
            elif quote_row["status"] == "ORDERED" and state.status == "DRAFT":
                seen["ordered"] += 1
                errors, _ = rules.validate(rules.requirements(_needs(scenario.products[quote]), state.slots()), state.slots())
                if errors:
                    problems.append(f"{label}: order placed with {[e.code.value for e in errors]}")
                if inserted or deleted or any(_functions(r) != state.assignments[aid][1] for aid, r in updated.items()):
                    problems.append(f"{label}: the order also changed the contacts")
                for aid, (contact, _) in state.assignments.items():
                    if contact is None:
                        continue
                    frozen = updated.get(aid)
                    if frozen is None or frozen["last_name"] is None:
                        problems.append(f"{label}: assignment {aid} not frozen")
                        continue
                    # Frozen at least as new as the latest edit that raised this quote's version.
                    since = edit_seqs.get(contact, 0)
                    history_of = [(0, scenario.initial_roles.get(contact))] + roles.get(contact, [])
                    allowed = [role for seq, role in history_of if seq >= since]
                    if contact in scenario.initial_roles and frozen["role"] not in allowed:
                        problems.append(f"{label}: assignment {aid} frozen with role {frozen['role']!r}, not one of {allowed}")
            else:
                step: list[str] = []
                counted = {k: set(v) if isinstance(v, set) else v for k, v in seen.items()}
                if len(inserted) == 1 and not deleted:
                    seen["inserted"].add(inserted[0]["row_id"])
                    row = inserted[0]
                    functions = _functions(row)
                    already = any(c == row["contact_id"] for c, _ in state.assignments.values()) if row["contact_id"] else False
                    if rules.add_problems(contact_missing=(), already_on_quote=already, contacts_on_quote=len(state.assignments)):
                        step.append(f"{label}: contact {row['contact_id']} added against the rules")
                    result, refused = rules.set_functions([*state.slots(), Slot(0, frozenset())], 0, sorted(functions))
                    others = {aid: f for aid, f in result.items() if aid != 0}
                    observed = {aid: _functions(r) for aid, r in updated.items() if _functions(r) != state.assignments[aid][1]}
                    if refused or result.get(0, frozenset()) != functions or others != observed:
                        step.append(f"{label}: add with {sorted(f.value for f in functions)} is not what the rules do: {observed} vs {others}")
                    for aid, functions_now in observed.items():
                        new.assignments[aid] = (state.assignments[aid][0], functions_now)
                    new.assignments[row["row_id"]] = (row["contact_id"], functions)
                elif len(deleted) == 1 and not inserted and not updated:
                    aid = deleted[0]["row_id"]
                    seen["deleted"].add(aid)
                    if aid not in new.assignments:
                        step.append(f"{label}: deleted assignment {aid} that was not there")
                    new.assignments.pop(aid, None)
                elif not inserted and not deleted and updated:
                    observed = {aid: _functions(r) for aid, r in updated.items() if _functions(r) != state.assignments.get(aid, (None, None))[1]}
                    if any(aid not in state.assignments for aid in updated):
                        step.append(f"{label}: updated an assignment that was not there")
                    elif not observed or not _set_function_explains(state, observed):
                        step.append(f"{label}: {observed} is not one tick or untick from {state.assignments} (a lost update?)")
                    seen["ticks"] += 1
                    for aid, functions_now in observed.items():
                        new.assignments[aid] = (state.assignments[aid][0], functions_now)
                elif not inserted and not deleted and not updated and contact_rows:
                    seen["edits"] += 1
                    edited = {r["contact_id"] for r in contact_rows}
                    for r in contact_rows:
                        edit_seqs[r["contact_id"]] = max(edit_seqs.get(r["contact_id"], 0), r["seq"])
                    if not edited & {c for c, _ in state.assignments.values()}:
                        step.append(f"{label}: version raised by an edit of contacts {edited} not on the quote")
                else:
                    step.append(f"{label}: a transaction that is no single change: {mine}")
                if step and maybe_suggested[quote]:
                    # A suggestion whose answer was lost (its server killed): its change committed.
                    trial = State(new.version, new.status, dict(state.assignments))
                    if not _replay_suggestion(label, state, trial, inserted, deleted, updated):
                        new, step, seen = trial, [], counted
                        seen["suggestions"] += 1
                problems.extend(step)
            problems.extend(invariant_problems(label, new))
            state = new
        history[quote] = {**seen, "state": state}
    stray = [r for r in rows if r["tbl"] == "assignment" and r["quote_id"] not in quotes]
    if stray:
        problems.append(f"{len(stray)} changes to assignments of quotes outside the load")
    return problems, history


async def database_state(scenario: Scenario) -> dict[int, tuple[State, list]]:
    from contacts.models import ContactAssignment, Quote

    result = {}
    for quote in await Quote.filter(id__in=scenario.quotes):
        rows = await ContactAssignment.filter(quote_id=quote.id).order_by("id")
        state = State(quote.version, quote.status.value, {
            a.id: (a.contact_id, _functions(a)) for a in rows
        })
        result[quote.id] = (state, rows)
    return result


async def history_problems(scenario: Scenario, report: Report, db: dict[int, tuple[State, list]]) -> list[str]:
    """The quotes' history (contacts/history.py), replayed from its first entry, gives each
    quote's list as it stands; every accepted add and removal has its entry, and no entry names
    an assignment that no accepted or interrupted request could have added."""
    from contacts.models import HistoryKind, QuoteHistoryEntry

    problems: list[str] = []
    entries = await QuoteHistoryEntry.filter(quote_id__in=scenario.quotes).order_by("id")
    replayed: dict[int, dict[int, set[str]]] = {q: {} for q in scenario.quotes}
    added, removed = set(), set()
    for entry in entries:
        contacts = replayed[entry.quote_id]
        where = f"quote {entry.quote_id}, entry {entry.id} ({entry.kind.value})"
        if entry.kind == HistoryKind.CONTACT_ADDED:
            if entry.assignment_id in contacts:
                problems.append(f"{where}: assignment {entry.assignment_id} added twice")
            contacts[entry.assignment_id] = set()
            added.add(entry.assignment_id)
        elif entry.kind == HistoryKind.CONTACT_REMOVED:
            if contacts.pop(entry.assignment_id, None) is None:
                problems.append(f"{where}: assignment {entry.assignment_id} removed but not there")
            removed.add(entry.assignment_id)
        elif entry.kind in (HistoryKind.FUNCTION_TICKED, HistoryKind.FUNCTION_UNTICKED):
            functions = contacts.get(entry.assignment_id)
            if functions is None:
                problems.append(f"{where}: assignment {entry.assignment_id} not on the quote")
                continue
            ticked = entry.kind == HistoryKind.FUNCTION_TICKED
            if (entry.function in functions) == ticked:
                problems.append(f"{where}: {entry.function} was {'already' if ticked else 'not'} ticked")
            (functions.add if ticked else functions.discard)(entry.function)
    for quote, (state, _) in db.items():
        stored = {aid: {f.value for f in functions} for aid, (_, functions) in state.assignments.items()}
        if replayed.get(quote) != stored:
            problems.append(f"quote {quote}: its history replays to {replayed.get(quote)}, but it holds {stored}")
    accepted = [c for c in report.changes() if c.outcome == "accepted"]
    for call in accepted:
        if call.op in ("assign", "adhoc") and call.assignment and call.assignment not in added:
            problems.append(f"{call.op} of assignment {call.assignment}: accepted without its CONTACT_ADDED entry")
        if call.op == "unassign" and call.target not in removed:
            problems.append(f"unassign of assignment {call.target}: accepted without its CONTACT_REMOVED entry")
    ordered = {q for q, (state, _) in db.items() if state.status == "ORDERED"}
    placed = {e.quote_id for e in entries if e.kind == HistoryKind.ORDER_PLACED}
    if ordered != placed:
        problems.append(f"ordered quotes {sorted(ordered)}, ORDER_PLACED entries for {sorted(placed)}")
    return problems


async def check(scenario: Scenario, report: Report, *, audited: bool) -> list[str]:
    """Everything that went wrong; empty when the run kept every promise."""
    problems: list[str] = []
    # No 5xx, no top-level error, every refusal a user error that operation can get.
    for c in report.calls:
        if c.outcome == "failed":
            problems.append(f"{c.op} on quote {c.quote} failed: {c.detail}")
        elif c.status is not None and c.status >= 500:
            problems.append(f"{c.op}: HTTP {c.status}")
        elif c.outcome == "refused":
            unexpected = set(c.codes) - {code.value for code in REFUSALS[c.op]}
            if unexpected or not c.codes:
                problems.append(f"{c.op} on quote {c.quote} refused with {c.codes}")
        elif c.outcome == "unknown" and not report.killed:
            problems.append(f"{c.op}: {c.detail} while no server was killed")
    changes = report.changes()
    accepted = [c for c in changes if c.outcome == "accepted"]
    unknown = [c for c in changes if c.outcome == "unknown"]
    db = await database_state(scenario)

    added = ({c.assignment for c in accepted if c.op in ("assign", "adhoc")}
             | {a for c in accepted if c.op == "suggest" for a in c.applied}) - {None}
    problems += [
        f"{c.op} on quote {c.quote}: accepted, without its assignment, yet no removal was accepted"
        for c in accepted if c.op in ("assign", "adhoc") and c.assignment is None
        and not any(u.op == "unassign" and u.quote == c.quote for u in accepted)
    ]
    removed = Counter(c.target for c in accepted if c.op == "unassign")
    problems += [f"assignment {a} removed {n} times" for a, n in removed.items() if n > 1]
    unknown_adds = Counter(c.quote for c in unknown if c.op in ("assign", "adhoc"))
    for c in unknown:  # a suggestion cut off may have added as many contacts as a quote holds
        if c.op == "suggest":
            unknown_adds[c.quote] += rules.MAX_CONTACTS_PER_QUOTE
    maybe_removed = {c.target for c in unknown if c.op == "unassign"}
    ordered_by_api = Counter(c.quote for c in accepted if c.op == "order")
    maybe_ordered = {c.quote for c in unknown if c.op == "order"}
    for quote, (state, rows) in db.items():
        label = f"quote {quote}"
        problems += invariant_problems(f"{label} (final)", state)
        present = set(state.assignments)
        mine_added = ({c.assignment for c in accepted if c.op in ("assign", "adhoc") and c.quote == quote}
                      | {a for c in accepted if c.op == "suggest" and c.quote == quote for a in c.applied}) - {None}
        for aid in mine_added - present:
            if aid not in removed and aid not in maybe_removed:
                problems.append(f"{label}: accepted assignment {aid} is missing")
        for aid in present & set(removed):
            problems.append(f"{label}: assignment {aid} is still there after its accepted removal")
        strangers = present - added
        if len(strangers) > unknown_adds[quote]:
            problems.append(f"{label}: assignments {sorted(strangers)} that no accepted request added")
        if ordered_by_api[quote] > 1:
            problems.append(f"{label}: the order was placed {ordered_by_api[quote]} times")
        if ordered_by_api[quote] and state.status != "ORDERED":
            problems.append(f"{label}: accepted order, but the quote is {state.status}")
        if state.status == "ORDERED":
            if not ordered_by_api[quote] and quote not in maybe_ordered:
                problems.append(f"{label}: ORDERED without an accepted placeOrder")
            errors, _ = rules.validate(rules.requirements(_needs(scenario.products[quote]), state.slots()), state.slots())
            if errors:
                problems.append(f"{label}: ordered with {[e.code.value for e in errors]}")
            if any(row.last_name is None for row in rows):
                problems.append(f"{label}: ordered with assignments not frozen")
        # Every accepted change raised the version once (a tick may change nothing).
        on_quote = [c for c in accepted if c.quote == quote]
        certain = sum(1 for c in on_quote if c.op in ("assign", "adhoc", "unassign", "order", "suggest"))
        possible = certain + sum(1 for c in on_quote if c.op == "tick") + sum(1 for c in unknown if c.quote == quote)
        edits = sum(1 for c in accepted + unknown if c.op == "edit")
        if not certain <= state.version - 1 <= possible + edits:
            problems.append(f"{label}: version {state.version} after {certain} sure and {possible - certain} possible changes")

    problems += await history_problems(scenario, report, db)
    if audited:
        replay_problems, history = await replay(scenario, report)
        problems += replay_problems
        for quote, (state, _) in db.items():
            seen = history[quote]
            replayed = seen["state"]
            if (replayed.version, replayed.status, replayed.assignments) != (state.version, state.status, state.assignments):
                problems.append(f"quote {quote}: the replay ends at {replayed} but the database holds {state}")
            on_quote = [c for c in changes if c.quote == quote]
            kinds = (("assign", "adhoc"), ("unassign",), ("tick",), ("order",), ("suggest",))
            sure = {op: sum(1 for c in on_quote if c.op in op and c.outcome == "accepted") for op in kinds}
            maybe = {op: sum(1 for c in on_quote if c.op in op and c.outcome == "unknown") for op in sure}
            # A suggestion cut off whose change looks like one add or one tick is counted as such.
            lost_suggestions = maybe[("suggest",)]
            for op, count, also in (
                (("assign", "adhoc"), len(seen["inserted"]), lost_suggestions), (("unassign",), len(seen["deleted"]), 0),
                (("order",), seen["ordered"], 0), (("suggest",), seen["suggestions"], 0),
            ):
                if not sure[op] <= count <= sure[op] + maybe[op] + also:
                    problems.append(f"quote {quote}: {count} committed {op[0]} for {sure[op]} accepted and {maybe[op]} interrupted")
            if seen["ticks"] > sure[("tick",)] + maybe[("tick",)] + lost_suggestions:
                problems.append(f"quote {quote}: {seen['ticks']} committed ticks for {sure[('tick',)]} accepted")
    problems += await defaults_problems(scenario, report)
    return problems


async def defaults_problems(scenario: Scenario, report: Report) -> list[str]:
    """The client's defaults at the end: one of the lists that were set (or the first one), and
    valid (at most one ON_SITE and one DELIVERY, three TRACKING, ten contacts, each with a
    function)."""
    from contacts.models import ContactDefault

    rows = await ContactDefault.filter(enterprise_id=scenario.client_id).order_by("position")
    final = tuple((r.contact_id, _functions(r)) for r in rows)
    possible = {scenario.initial_defaults} | {c.defaults for c in report.calls
                                              if c.op == "defaults" and c.outcome in ("accepted", "unknown")}
    problems = []
    if final not in possible:
        problems.append(f"the client's defaults {final} are none of the lists that were set")
    counts = Counter(f for _, functions in final for f in functions)
    if any(counts[f] > rules.MAX_PER_FUNCTION[f] for f in rules.FUNCTIONS) or len(final) > rules.MAX_CONTACTS_PER_QUOTE:
        problems.append(f"the client's defaults break a limit: {final}")
    if any(not functions for _, functions in final) or len({c for c, _ in final}) != len(final):
        problems.append(f"the client's defaults have a contact without a function, or twice: {final}")
    return problems


# --- By hand ------------------------------------------------------------------------------


async def _main(args) -> int:
    import os
    import tempfile

    from contacts.db import Database
    from contacts.demo import load_demo
    from tests.support.process import ServerProcess, api_server

    base = args.database_url or os.environ.get("TEST_DATABASE_URL")
    if not base:
        print("Give --database-url (postgres://... or sqlite://...) or set TEST_DATABASE_URL.", file=sys.stderr)
        return 2
    if base.startswith("postgres"):
        from tests.conftest import fresh_postgres_database

        url = await fresh_postgres_database(base, "contacts_load")
    else:
        url = f"sqlite://{tempfile.mkdtemp()}/load.sqlite3"
    database = Database(url)
    await database.migrate()
    await database.open()
    servers: list[ServerProcess] = []
    try:
        await load_demo()
        scenario = await prepare(args.quotes)
        audited = await install_audit()
        servers = [api_server(url) for _ in range(args.servers)]
        live = [True] * len(servers)
        restarted: list[ServerProcess] = []

        def kill_one() -> None:
            servers[0].kill()
            live[0] = False
            print(f"killed server 0 (pid {servers[0].process.pid})", file=sys.stderr)

        report = await run_load([s.url for s in servers], scenario, seconds=args.seconds, requests=args.requests,
                                clients=args.clients,
                                seed=args.seed, at_half=kill_one if args.kill else None, live=live)
        if args.kill:
            restarted.append(api_server(url))
            async with httpx.AsyncClient(headers={"Authorization": f"Bearer {TOKEN}"}) as http:
                response = await http.post(restarted[0].url + "/graphql", json={"query": "{ viewer { name } }"})
                print(f"restarted server answers: {response.status_code} {response.json()}", file=sys.stderr)
            servers += restarted
        problems = await check(scenario, report, audited=audited)
        import json

        print(json.dumps(report.summary(), indent=2, ensure_ascii=False))
        print(json.dumps({"history": await history_figures(scenario, servers[-1].url)}, indent=2))
        if problems:
            print(f"{len(problems)} PROBLEMS:", *problems[:50], sep="\n  ")
            return 1
        print(f"OK: every invariant holds ({'with' if audited else 'without'} the transaction replay)")
        return 0
    finally:
        for server in servers:
            server.stop()
        await database.close()


HISTORY_PAGE = """query($id: ID!, $first: Int) { quote(id: $id) { id
  history(first: $first) { edges { cursor node { id kind actor contactName assignmentId function summary at } }
  pageInfo { hasNextPage endCursor } } } }"""


async def history_figures(scenario: Scenario, url: str) -> dict:
    """How many history entries the load left on each of its quotes, and what a page of the
    longest history costs through a server: 30 reads of its newest 71 to 100 entries (each a
    request of its own for the response cache), one at a time."""
    from contacts.models import QuoteHistoryEntry

    per_quote = {q: await QuoteHistoryEntry.filter(quote_id=q).count() for q in scenario.quotes}
    counts = sorted(per_quote.values())
    longest = max(per_quote, key=per_quote.get)
    quote_id = encode_id("Quote", longest)
    timings = []
    async with httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30) as http:
        for first in range(100, 70, -1):
            started = time.perf_counter()
            response = await http.post("/graphql", json={"query": HISTORY_PAGE, "variables": {"id": quote_id, "first": first}})
            timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200 and len(response.json()["data"]["quote"]["history"]["edges"]) == min(
                first, per_quote[longest]), response.text[:300]
    return {"entries_per_quote": {"min": counts[0], "median": statistics.median(counts), "max": counts[-1]},
            "page_of_up_to_100_ms": {"median": round(statistics.median(timings), 2), "max": round(max(timings), 2)},
            "statements_per_page": "2 (the quote, then the page: tests/domain/test_query_count.py)"}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.support.load", description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, help="run for this long from the first request")
    parser.add_argument("--requests", type=int, help="send this many requests in all (default: 60 s, no count)")
    parser.add_argument("--clients", type=int, default=40)
    parser.add_argument("--servers", type=int, default=2)
    parser.add_argument("--quotes", type=int, default=ACTIVE_QUOTES, help="draft quotes worked on at once")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--kill", action="store_true",
                        help="SIGKILL server 0 half-way (of the requests, or of the time), restart one at the end")
    parser.add_argument("--database-url", help="default: TEST_DATABASE_URL")
    args = parser.parse_args(argv)
    if args.seconds is None and args.requests is None:
        args.seconds = 60
    sys.exit(asyncio.run(_main(args)))


if __name__ == "__main__":
    main()
