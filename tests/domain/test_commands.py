"""The domain's commands under concurrent changes, on SQLite and PostgreSQL, without HTTP.

Interleavings are forced in this process: a change holds its quote until it commits; a race
that hits a unique index is run again and gets the rules' answer, with nothing stored or
published by the losing attempt; an edit of a contact takes turns with its assignment and
with placeOrder's freeze. (Many clients on several server processes: tests/system/test_load.py.)
"""

from __future__ import annotations

import asyncio
import time

import asyncpg
import pytest
from tortoise import connections

from contacts import db, enterprise_contacts, quote_contacts
from contacts.auth import viewer_named
from contacts.events import EventKind, MemoryBus
from contacts.models import Contact, ContactAssignment, Quote, QuoteStatus
from contacts.rules import Code, Function
from contacts.state import functions_of
from contacts.visibility import visible_quote
from tests.conftest import reset_demo
from tests.support.wsclient import WAIT

ADHOC = {"last_name": "Ponctuel", "email": "p@example.com", "phone": "0612345678", "role": "Livreur"}


class Pause:
    """Stops the first call of a coroutine function after it has run, until released: the
    transaction it is part of keeps its locks meanwhile. Later calls run straight through."""

    def __init__(self) -> None:
        self.reached = asyncio.Event()
        self.release = asyncio.Event()
        self.used = False

    def after(self, function):
        async def paused(*args, **kwargs):
            result = await function(*args, **kwargs)
            if not self.used:
                self.used = True
                self.reached.set()
                await self.release.wait()
            return result

        return paused


def stale_once(function, stale):
    """`function`, except that its first call returns `stale(result)`: what a request racing
    another one would have read before the other committed."""
    calls = []

    async def racing(*args, **kwargs):
        result = await function(*args, **kwargs)
        calls.append(args)
        return stale(result) if len(calls) == 1 else result

    racing.calls = calls
    return racing


async def _a_transaction_waits(backend, sqlite_lock: asyncio.Lock) -> bool:
    """Whether some transaction of this test waits for a lock that another one holds:
    PostgreSQL shows it in pg_stat_activity (the test's own database); on SQLite, a process's transactions take turns on its one
    connection, behind an asyncio lock."""
    if backend.name == "postgres":
        conn = await asyncpg.connect(backend.database_url.replace("postgres://", "postgresql://", 1))
        try:
            return bool(await conn.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"))
        finally:
            await conn.close()
    return sqlite_lock.locked() and bool(getattr(sqlite_lock, "_waiters", None))


async def ends_or_waits(task: asyncio.Task, world: World) -> None:
    """Polls until `task` has ended or waits for a lock: it has gone as far as it can."""
    deadline = time.monotonic() + WAIT
    while not task.done() and not await _a_transaction_waits(world.backend, world.sqlite_lock):
        assert time.monotonic() < deadline, "neither ended nor waiting for a lock"
        await asyncio.sleep(0.02)


async def waits_for_a_lock(task: asyncio.Task, world: World) -> bool:
    """Polls until `task` waits for a lock that another transaction holds (True), or ends
    (False): the outcome does not depend on how fast the machine is."""
    deadline = time.monotonic() + WAIT
    while not task.done() and time.monotonic() < deadline:
        if await _a_transaction_waits(world.backend, world.sqlite_lock):
            return not task.done()
        await asyncio.sleep(0.02)
    return False


class RecordingBus(MemoryBus):
    """The in-process bus, keeping what was published."""

    def __init__(self) -> None:
        super().__init__()
        self.published: list = []

    async def publish(self, event) -> None:
        self.published.append(event)
        await super().publish(event)


class World:
    """The demo data afresh: Alice, the demo quote that needs every function, its client's
    complete contacts, and the events published (recorded instead of sent). `pause()` and
    `spawn()` are released and awaited at the end even when the test fails half-way, so that
    no transaction is left holding its locks."""

    def __init__(self, backend, alice, quote: Quote, contacts: dict[str, int], bus: RecordingBus) -> None:
        self.backend = backend
        self.bus = bus
        published = bus.published
        # Tortoise's per-process SQLite lock, read outside any transaction (inside one, the
        # connection named "default" is the transaction's own).
        self.sqlite_lock = connections.get("default")._lock if backend.name == "sqlite" else None  # noqa: SLF001
        self.alice, self.quote, self.contacts, self.published = alice, quote, contacts, published
        self.pauses: list[Pause] = []
        self.tasks: list[asyncio.Task] = []

    def pause(self) -> Pause:
        self.pauses.append(Pause())
        return self.pauses[-1]

    def spawn(self, coroutine) -> asyncio.Task:
        self.tasks.append(asyncio.create_task(coroutine))
        return self.tasks[-1]

    async def settle(self) -> None:
        for pause in self.pauses:
            pause.release.set()
        await asyncio.wait_for(asyncio.gather(*self.tasks, return_exceptions=True), 30)


@pytest.fixture
async def world(backend):
    await reset_demo()
    alice = await viewer_named("demo-alice")
    quote = await Quote.get(reference="DV-2026-0101")
    contacts = {c.last_name: c.id for c in await Contact.filter(enterprise_id=quote.client_id)}
    world = World(backend, alice, quote, contacts, RecordingBus())
    yield world
    await world.settle()


async def version(quote_id: int) -> int:
    return (await Quote.get(id=quote_id)).version


async def functions(quote_id: int) -> dict[int, set[str]]:
    rows = await ContactAssignment.filter(quote_id=quote_id).order_by("id")
    return {a.id: {f.value for f in functions_of(a)} for a in rows}


async def adhoc(world, name: str, *fs: Function) -> int:
    outcome = await quote_contacts.assign_adhoc_contact(
        world.alice, world.quote.id, {**ADHOC, "last_name": name}, list(fs), bus=world.bus)
    assert outcome.ok, outcome.problems
    return outcome.assignment_id


# --- The quote lock ------------------------------------------------------------------------


async def test_a_change_holds_its_quote_until_it_commits(world, monkeypatch):
    """Two clients tick TRACKING at once where two are ticked: the second waits for the first
    and is then refused (without the lock both would read two holders and make four)."""
    q = world.quote.id
    await adhoc(world, "Un", Function.TRACKING)
    await adhoc(world, "Deux", Function.TRACKING)
    third, fourth = await adhoc(world, "Trois"), await adhoc(world, "Quatre")
    before = await version(q)
    world.published.clear()

    pause = world.pause()
    monkeypatch.setattr(quote_contacts, "bump", pause.after(quote_contacts.bump))
    first = world.spawn(quote_contacts.set_assignment_function(world.alice, third, Function.TRACKING, True, bus=world.bus))
    await asyncio.wait_for(pause.reached.wait(), WAIT)  # ticked and version raised, not committed
    second = world.spawn(quote_contacts.set_assignment_function(world.alice, fourth, Function.TRACKING, True, bus=world.bus))
    assert await waits_for_a_lock(second, world), "the second change did not wait for the first one's lock"
    pause.release.set()
    first, second = await asyncio.gather(first, second)

    assert first.ok
    assert [p.code for p in second.problems] == [Code.TRACKING_CONTACT_LIMIT]
    assert sum("TRACKING" in f for f in (await functions(q)).values()) == 3
    assert await version(q) == before + 1
    assert [e.kind for e in world.published] == [EventKind.FUNCTIONS_CHANGED]


async def test_the_lock_is_taken_inside_the_transaction(world):
    """Tortoise's select_for_update() is honoured in in_transaction(): a second transaction
    that locks the same quote gets it only once the first one has committed (PostgreSQL);
    on SQLite the whole second transaction waits."""
    q = world.quote.id
    order: list[str] = []
    holding = asyncio.Event()

    async def second():
        await holding.wait()
        async with db.write_transaction():
            await visible_quote(world.alice, q, lock=True)
            order.append("second has the lock")

    waiting = world.spawn(second())
    async with db.write_transaction():
        await visible_quote(world.alice, q, lock=True)
        holding.set()
        assert await waits_for_a_lock(waiting, world)
        order.append("first commits")
    await waiting
    assert order == ["first commits", "second has the lock"]


@pytest.mark.postgres_only
async def test_a_connection_lost_inside_a_change_fails_it_and_nothing_is_sent_elsewhere(world):
    """The transaction's connection terminated by the server between two statements: the next
    one fails as a lost connection (a 503 for the client), rather than being sent again on
    another connection outside the transaction; what the transaction wrote is gone, and the
    pool serves the next request."""
    q = world.quote.id
    before = await version(q)
    admin = await asyncpg.connect(world.backend.database_url.replace("postgres://", "postgresql://", 1))
    try:
        async with db.session():
            with pytest.raises(Exception) as raised:
                async with db.write_transaction():
                    await db.run('UPDATE "quote" SET "version" = "version" + 1 WHERE "id" = $1', q)
                    pid = (await db.run("SELECT pg_backend_pid() AS pid"))[0]["pid"]
                    await admin.execute("SELECT pg_terminate_backend($1)", pid)
                    await db.run('SELECT "version" FROM "quote" WHERE "id" = $1', q)
                    await db.run('UPDATE "quote" SET "version" = "version" + 1 WHERE "id" = $1', q)
            assert db.connection_lost(raised.value), raised.value
    finally:
        await admin.close()
    assert await version(q) == before
    async with db.session():
        assert (await db.run('SELECT "version" FROM "quote" WHERE "id" = $1', q))[0]["version"] == before


# --- The unique indexes: a second wall ------------------------------------------------------


async def test_same_contact_twice_in_a_race_gets_contact_already_on_quote(world, monkeypatch):
    """The first attempt reads the list as it was before the contact went on it (a race the
    lock would have prevented); the unique (quote, contact) index refuses the insert, the
    attempt is rolled back and run again, and the rules answer."""
    q, smith = world.quote.id, world.contacts["Smith"]
    added = await quote_contacts.assign_contact(world.alice, q, smith, [Function.TRACKING], bus=world.bus)
    assert added.ok
    before = await version(q)
    world.published.clear()

    racing = stale_once(quote_contacts.assignments_of, lambda rows: [])
    monkeypatch.setattr(quote_contacts, "assignments_of", racing)
    again = await quote_contacts.assign_contact(world.alice, q, smith, [Function.ON_SITE], bus=world.bus)

    assert len(racing.calls) == 2  # run again after the index refused it
    assert [(p.code, p.field) for p in again.problems] == [(Code.CONTACT_ALREADY_ON_QUOTE, ("contact",))]
    assert again.quote_id == q
    assert await ContactAssignment.filter(quote_id=q, contact_id=smith).count() == 1
    assert await functions(q) == {added.assignment_id: {"TRACKING"}}  # the losing attempt's ON_SITE is gone
    assert await version(q) == before
    assert world.published == []


async def test_a_collision_that_persists_is_still_a_user_error(world, monkeypatch):
    q, smith = world.quote.id, world.contacts["Smith"]
    assert (await quote_contacts.assign_contact(world.alice, q, smith, [], bus=world.bus)).ok
    before = await version(q)
    world.published.clear()

    async def always_stale(quote_id):
        return []

    monkeypatch.setattr(quote_contacts, "assignments_of", always_stale)
    outcome = await quote_contacts.assign_contact(world.alice, q, smith, [Function.DELIVERY], bus=world.bus)
    assert [p.code for p in outcome.problems] == [Code.CONTACT_ALREADY_ON_QUOTE]
    assert outcome.quote_id == q  # the payload shows the quote as it stands
    assert await ContactAssignment.filter(quote_id=q).count() == 1
    assert await version(q) == before and world.published == []


@pytest.mark.parametrize("function", [Function.ON_SITE, Function.DELIVERY])
async def test_radio_function_in_a_race_ends_with_one_holder(world, monkeypatch, function):
    """Ticking ON_SITE (DELIVERY) on B while the first attempt has not seen that A holds it:
    the partial unique index refuses the second holder, the attempt is run again and unticks A
    as the radio buttons do. One event, the version raised once."""
    q = world.quote.id
    a = await adhoc(world, "Alpha", function)
    b = await adhoc(world, "Bravo", Function.TRACKING)
    before = await version(q)
    world.published.clear()

    def without_holder(rows):
        for row in rows:  # as read before A's function was committed
            setattr(row, function.value.lower(), False)
        return rows

    racing = stale_once(quote_contacts.assignments_of, without_holder)
    monkeypatch.setattr(quote_contacts, "assignments_of", racing)
    outcome = await quote_contacts.set_assignment_function(world.alice, b, function, True, bus=world.bus)

    assert outcome.ok and len(racing.calls) == 2
    assert await functions(q) == {a: set(), b: {"TRACKING", function.value}}
    assert await version(q) == before + 1
    assert [(e.kind, e.assignment_id) for e in world.published] == [(EventKind.FUNCTIONS_CHANGED, b)]


async def test_adhoc_contact_with_a_taken_function_in_a_race(world, monkeypatch):
    q = world.quote.id
    a = await adhoc(world, "Alpha", Function.DELIVERY, Function.TRACKING)
    before = await version(q)
    world.published.clear()
    racing = stale_once(quote_contacts.assignments_of, lambda rows: [])
    monkeypatch.setattr(quote_contacts, "assignments_of", racing)
    outcome = await quote_contacts.assign_adhoc_contact(world.alice, q, {**ADHOC, "last_name": "Bravo"}, [Function.DELIVERY], bus=world.bus)
    assert outcome.ok and len(racing.calls) == 2
    assert await functions(q) == {a: {"TRACKING"}, outcome.assignment_id: {"DELIVERY"}}
    assert await ContactAssignment.filter(quote_id=q).count() == 2  # the losing attempt's row is gone
    assert await version(q) == before + 1
    assert len(world.published) == 1


# --- Edits of a contact against its assignment and against the freeze -------------------


async def test_edit_of_a_contact_being_assigned_raises_the_version(world, monkeypatch):
    """An edit of Smith while Smith is being added (not yet committed): the edit waits for
    the assignment and then raises the quote's version, since the quote now shows Smith's
    new details. (Before the fix it ran alongside, saw no assignment, and left the version
    as it was: a client holding that version kept the old details.)"""
    q, smith = world.quote.id, world.contacts["Smith"]
    before = await version(q)
    pause = world.pause()
    monkeypatch.setattr(quote_contacts, "bump", pause.after(quote_contacts.bump))
    assigning = world.spawn(quote_contacts.assign_contact(world.alice, q, smith, [Function.TRACKING], bus=world.bus))
    await asyncio.wait_for(pause.reached.wait(), WAIT)
    editing = world.spawn(enterprise_contacts.update_contact(world.alice, smith, {"role": "Gérant associé"}, bus=world.bus))
    assert await waits_for_a_lock(editing, world), "the edit did not wait for the assignment of its contact"
    pause.release.set()
    assigned, edited = await asyncio.gather(assigning, editing)
    assert assigned.ok and edited.ok
    assert await version(q) == before + 2
    # Each change publishes its event once committed; which of the two is published first is
    # the event loop's turn after the commits (docs/live-updates.md promises no order: each
    # event's quote is read as it stands when it is sent).
    kinds = sorted(e.kind for e in world.published if e.quote_id == q)
    assert kinds == sorted([EventKind.CONTACT_ADDED, EventKind.CONTACTS_EDITED])


@pytest.mark.parametrize("first", ["order", "edit"])
async def test_order_and_edit_of_an_assigned_contact_agree(world, monkeypatch, first):
    """placeOrder and an edit of a contact on the quote, interleaved either way: the frozen
    details and the version tell the same story. Either the edit came first (the order froze
    the new details, and the edit raised the version of the draft) or the order did (old
    details frozen, the version of the ordered quote left alone)."""
    q, smith = world.quote.id, world.contacts["Smith"]
    assert (await quote_contacts.assign_contact(
        world.alice, q, smith, [Function.ON_SITE, Function.DELIVERY, Function.TRACKING], bus=world.bus)).ok
    before = await version(q)
    pause = world.pause()
    if first == "order":  # the order has locked the quote and checked the rules
        monkeypatch.setattr(quote_contacts, "read_quote_state", pause.after(quote_contacts.read_quote_state))
        held = world.spawn(quote_contacts.place_order(world.alice, q, bus=world.bus))
        await asyncio.wait_for(pause.reached.wait(), WAIT)
        other = world.spawn(enterprise_contacts.update_contact(world.alice, smith, {"role": "Gérant associé"}, bus=world.bus))
    else:  # the edit has changed the contact and found the drafts that show it
        monkeypatch.setattr(enterprise_contacts, "drafts_showing", pause.after(enterprise_contacts.drafts_showing))
        held = world.spawn(enterprise_contacts.update_contact(world.alice, smith, {"role": "Gérant associé"}, bus=world.bus))
        await asyncio.wait_for(pause.reached.wait(), WAIT)
        other = world.spawn(quote_contacts.place_order(world.alice, q, bus=world.bus))
    await ends_or_waits(other, world)
    pause.release.set()
    outcomes = await asyncio.gather(held, other)
    assert all(o.ok for o in outcomes), [o.problems for o in outcomes]

    quote = await Quote.get(id=q)
    (frozen,) = await ContactAssignment.filter(quote_id=q)
    assert quote.status == QuoteStatus.ORDERED
    assert (await Contact.get(id=smith)).role == "Gérant associé"
    if frozen.role == "Gérant associé":
        assert quote.version == before + 2, "the order froze the edit, which did not raise the draft's version"
    else:
        assert frozen.role == "Gérant"
        assert quote.version == before + 1, "the edit raised the version of an ordered quote"
    if first == "order":
        assert frozen.role == "Gérant"  # the edit could not get in before the order's freeze


async def test_new_contact_while_the_order_is_placed(world, monkeypatch):
    """createContact for the quote's client during placeOrder: the contact exists, the order
    is placed, the frozen list and the version are the order's only."""
    q, smith = world.quote.id, world.contacts["Smith"]
    assert (await quote_contacts.assign_contact(
        world.alice, q, smith, [Function.ON_SITE, Function.DELIVERY, Function.TRACKING], bus=world.bus)).ok
    before = await version(q)
    pause = world.pause()
    monkeypatch.setattr(quote_contacts, "read_quote_state", pause.after(quote_contacts.read_quote_state))
    ordering = world.spawn(quote_contacts.place_order(world.alice, q, bus=world.bus))
    await asyncio.wait_for(pause.reached.wait(), WAIT)
    creating = world.spawn(enterprise_contacts.create_contact(
        world.alice, world.quote.client_id, {"last_name": "Nouveau", "email": "nouveau@example.com"}, bus=world.bus))
    await ends_or_waits(creating, world)
    pause.release.set()
    ordered, created = await asyncio.gather(ordering, creating)
    assert ordered.ok and created.ok
    quote = await Quote.get(id=q)
    assert quote.status == QuoteStatus.ORDERED and quote.version == before + 1
    assert [a.contact_id for a in await ContactAssignment.filter(quote_id=q)] == [smith]
    assert await Contact.filter(enterprise_id=world.quote.client_id, last_name="Nouveau").exists()
