"""The retention period's purge (contacts/retention.py) on SQLite and PostgreSQL, without HTTP:
what it erases (the copies on orders placed before the cutoff, ad-hoc and frozen alike) and
keeps (enterprise contacts, later orders, drafts, copies already erased), the history it leaves,
batches that hold no lock from one to the next, and two purges at once that share the work
instead of doing it twice. (The command line on two processes: tests/system/test_personal_data.py.)"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from tortoise.timezone import now

from contacts import db, personal_data, quote_contacts, retention
from contacts.events import EventKind
from contacts.models import (
    Contact,
    ContactAssignment,
    ContactSource,
    Enterprise,
    HistoryKind,
    Quote,
    QuoteHistoryEntry,
    QuoteStatus,
)
from contacts.rules import Function
from contacts.state import functions_of
from contacts.visibility import visible_quote
from tests.domain.test_commands import version, waits_for_a_lock, world  # noqa: F401 (fixture)
from tests.support.wsclient import WAIT

TRACKING = Function.TRACKING


async def copies(quote_reference: str) -> list[ContactAssignment]:
    quote = await Quote.get(reference=quote_reference)
    return await ContactAssignment.filter(quote_id=quote.id).order_by("id")


async def erased_entries(quote_ids: list[int]) -> list[QuoteHistoryEntry]:
    return await QuoteHistoryEntry.filter(quote_id__in=quote_ids, kind=HistoryKind.CONTACT_ERASED).order_by("id")


async def orders(world, count: int, days_ago: int = 400) -> list[int]:
    """`count` orders of the bakery placed `days_ago` days ago, each with a one-off contact and a
    frozen copy of Smith."""
    smith = await Contact.get(id=world.contacts["Smith"])
    made = []
    for i in range(count):
        quote = await Quote.create(reference=f"DV-OLD-{i:03d}", partner_id=world.alice.partner_id,
                                   client_id=world.quote.client_id, status=QuoteStatus.ORDERED,
                                   ordered_at=now() - timedelta(days=days_ago))
        await ContactAssignment.create(quote=quote, source=ContactSource.ADHOC, tracking=True, last_name=f"Ancien{i}",
                                       email=f"ancien{i}@example.fr", phone="+33611111111", role="Gardien")
        await ContactAssignment.create(quote=quote, contact=smith, source=ContactSource.CLIENT, on_site=True,
                                       last_name=smith.last_name, first_name=smith.first_name, email=smith.email,
                                       phone=smith.phone, role=smith.role)
        made.append(quote.id)
    return made


async def test_the_copies_on_orders_past_the_period_are_erased_and_nothing_else(world):
    """The demo's orders: DV-2026-0085 (35 days ago: Smith frozen, Garnier one-off) and
    DV-2026-0090 (9 days ago: Martin). With 20 days, only the first is past the period; with 0,
    every order placed before the run. Enterprise contacts and drafts stay."""
    draft = world.quote.id
    assert (await quote_contacts.assign_contact(world.alice, draft, world.contacts["Smith"], [TRACKING], bus=world.bus)).ok
    old = await Quote.get(reference="DV-2026-0085")
    partner_version = (await Enterprise.get(id=world.alice.partner_id)).data_version
    before = await version(old.id)
    world.published.clear()

    purged = await retention.purge(retention.cutoff(now(), 20), bus=world.bus)

    assert [(p.name, p.assignments) for p in purged] == [("Réseaux Atlantique", 2)]
    erased = await copies("DV-2026-0085")
    assert [(a.erased, a.contact_id, a.last_name, a.first_name, a.email, a.phone, a.role) for a in erased] == [
        (True, None, "", None, "", "", "")] * 2
    assert [functions_of(a) for a in erased] == [{Function.ON_SITE, TRACKING}, {Function.DELIVERY, TRACKING}]
    assert not any(a.erased for a in await copies("DV-2026-0090"))  # 9 days: within the period
    assert not any(a.erased for a in await ContactAssignment.filter(quote_id=draft))
    assert await Contact.exists(id=world.contacts["Smith"])  # the address book stays
    assert await version(old.id) == before + 1
    assert (await Enterprise.get(id=world.alice.partner_id)).data_version == partner_version + 1
    entries = await erased_entries([old.id])
    assert [(e.actor, e.erased, e.contact_name, e.email) for e in entries] == [(None, True, None, None)] * 2
    assert [(e.kind, e.quote_id, e.actor) for e in world.published] == [(EventKind.CONTACTS_EDITED, old.id, None)]

    everything = await retention.purge(retention.cutoff(now(), 0), bus=world.bus)
    assert [(p.name, p.assignments) for p in everything] == [("Réseaux Atlantique", 1)]  # Martin
    assert await retention.purge(retention.cutoff(now(), 0), bus=world.bus) == []  # a second run finds nothing
    assert len(await erased_entries([old.id])) == 2  # and writes nothing


async def test_every_history_entry_of_a_purged_quote_names_nobody(world):
    """A draft with its history, ordered, then past the period: each of its entries loses the
    contact's name and email (ORDER_PLACED names nobody anyway)."""
    q = world.quote.id
    for name, functions in (("Dupont", [Function.ON_SITE, TRACKING]), ("Leroy", [Function.DELIVERY])):
        assert (await quote_contacts.assign_contact(world.alice, q, world.contacts[name], functions, bus=world.bus)).ok
    assert (await quote_contacts.place_order(world.alice, q, bus=world.bus)).ok
    named = await QuoteHistoryEntry.filter(quote_id=q, contact_name__not_isnull=True).count()
    assert named == 5

    await retention.purge(retention.cutoff(now(), 0), bus=world.bus)

    entries = await QuoteHistoryEntry.filter(quote_id=q).order_by("id")
    assert all(e.contact_name is None and e.email is None and e.contact_id is None for e in entries)
    assert [e.kind for e in entries if not e.erased] == [HistoryKind.ORDER_PLACED]
    assert [e.actor for e in entries if e.kind == HistoryKind.CONTACT_ERASED] == [None, None]


async def test_a_copy_already_erased_on_request_stays_as_it_is(world):
    old = await Quote.get(reference="DV-2026-0085")
    outcome = await personal_data.erase_personal_data(world.alice, "hugo.garnier@example.fr", bus=world.bus)
    assert outcome.result == personal_data.Erasure(0, 1, [old.id])
    by_alice = [(e.id, e.actor) for e in await erased_entries([old.id])]
    assert by_alice == [(by_alice[0][0], "Alice Durand")]

    dry = await retention.purge(retention.cutoff(now(), 20), bus=world.bus, dry_run=True)
    assert [(p.name, p.assignments) for p in dry] == [("Réseaux Atlantique", 1)]  # Smith only
    assert not (await copies("DV-2026-0085"))[0].erased  # a dry run changes nothing
    purged = await retention.purge(retention.cutoff(now(), 20), bus=world.bus)
    assert [p.assignments for p in purged] == [1]
    assert [(e.id, e.actor) for e in await erased_entries([old.id])][0] == by_alice[0]
    assert len(await erased_entries([old.id])) == 2


async def test_batches_hold_no_lock_from_one_to_the_next(world, monkeypatch):
    """The demo's two orders and five more, in batches of two orders: four transactions, in
    quote order. Between the first and the second, a change of a quote the first one erased
    gets its lock at once."""
    made = await orders(world, 5)
    batches = []
    pause = world.pause()
    monkeypatch.setattr(retention, "purge_batch", pause.after(retention.purge_batch))
    purging = world.spawn(retention.purge(retention.cutoff(now(), 0), bus=world.bus, batch_size=2,
                                          on_batch=lambda partner, batch: batches.append(batch)))
    await asyncio.wait_for(pause.reached.wait(), WAIT)  # the first batch is committed
    first = sorted({a.quote_id for a in await ContactAssignment.filter(erased=True)})
    assert len(first) == 2 and not set(first) & set(made)

    async def lock(quote_id: int):
        async with db.write_transaction():
            return await visible_quote(world.alice, quote_id, lock=True)

    locking = world.spawn(lock(first[0]))
    assert not await waits_for_a_lock(locking, world), "the purge kept a lock after its batch"
    assert (await locking).id == first[0]
    pause.release.set()
    purged = await purging
    assert [(b.quotes, b.assignments) for b in batches] == [(2, 3), (2, 4), (2, 4), (1, 2)]
    assert purged[0].assignments == 3 + 10
    assert len(await erased_entries(made)) == 10


@pytest.mark.postgres_only
async def test_two_purges_at_once_share_the_work(world, monkeypatch):
    """A purge holds its first batch of orders (the demo's two and two more) inside its
    transaction; a second purge skips those (SKIP LOCKED) and erases the others meanwhile, then
    waits for the held ones before it ends, finds them erased, and counts nothing twice: each
    copy has one CONTACT_ERASED entry. (On SQLite a process's transactions take turns: two
    processes, tests/system/test_personal_data.py.)"""
    made = await orders(world, 12)
    held_batch = asyncio.Event()
    release = asyncio.Event()
    real = retention.erase_in_place

    async def erase_then_hold(*args):
        await real(*args)
        if not held_batch.is_set():
            held_batch.set()
            await release.wait()

    monkeypatch.setattr(retention, "erase_in_place", erase_then_hold)
    before = retention.cutoff(now(), 0)
    first = world.spawn(retention.purge(before, bus=world.bus, batch_size=4))
    await asyncio.wait_for(held_batch.wait(), WAIT)
    second = world.spawn(retention.purge(before, bus=world.bus, batch_size=4))
    assert await waits_for_a_lock(second, world), "the second purge did not wait for the held batch at its end"
    # Every copy but the held batch's, committed by the second purge.
    assert await ContactAssignment.filter(quote_id__in=made[2:], erased=True).count() == 2 * 10
    release.set()
    (one,), (two,) = await asyncio.gather(first, second)
    assert (one.assignments, two.assignments) == (3 + 2 * 2, 2 * 10)
    entries = await erased_entries(made)
    assert len(entries) == len({e.assignment_id for e in entries}) == 2 * 12
