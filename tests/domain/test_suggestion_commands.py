"""Applying suggestions and setting default contacts under concurrent changes, on SQLite and
PostgreSQL, without HTTP: the same locks as every change (the enterprise contacts, then the
quote; the client's row for its defaults), events only after the commit. Interleavings are
forced in this process, as in test_commands.py."""

from __future__ import annotations

import asyncio

from contacts import contact_defaults, enterprise_contacts, quote_contacts, suggestions
from contacts.events import EventKind
from contacts.models import ContactAssignment, ContactDefault, Enterprise
from contacts.rules import Code, Function
from contacts.suggestions import SourceKind
from tests.domain.test_commands import adhoc, functions, version, waits_for_a_lock, world  # noqa: F401 (fixture)
from tests.support.wsclient import WAIT

ON_SITE, DELIVERY, TRACKING = Function.ON_SITE, Function.DELIVERY, Function.TRACKING


async def apply_defaults(world):
    return await suggestions.apply_contact_suggestion(world.alice, world.quote.id, SourceKind.CLIENT_DEFAULTS, None,
                                                      bus=world.bus)


async def test_a_tick_waits_for_a_suggestion_being_applied_and_sees_what_it_did(world, monkeypatch):
    """Two TRACKING contacts on the quote; the defaults add Dupont with the third. A tick of
    TRACKING on a fourth contact, sent while the suggestion holds the quote, waits, then finds
    three and is refused: without the lock there would be four. Nothing is published before
    the commit."""
    q = world.quote.id
    await adhoc(world, "Un", TRACKING)
    await adhoc(world, "Deux", TRACKING)
    idle = await adhoc(world, "Trois")
    before = await version(q)
    world.published.clear()

    pause = world.pause()
    monkeypatch.setattr(suggestions, "bump", pause.after(suggestions.bump))
    applying = world.spawn(apply_defaults(world))
    await asyncio.wait_for(pause.reached.wait(), WAIT)  # written, version raised, not committed
    ticking = world.spawn(quote_contacts.set_assignment_function(world.alice, idle, TRACKING, True, bus=world.bus))
    assert await waits_for_a_lock(ticking, world), "the tick did not wait for the suggestion's lock"
    assert world.published == []  # not before the commit
    pause.release.set()
    applied, ticked = await asyncio.gather(applying, ticking)

    assert applied.ok and len(applied.applied) == 2  # Dupont (ON_SITE, TRACKING) and Leroy; Durand's TRACKING is the fourth
    assert [(p.code, p.function, p.name) for p in applied.skipped] == [(Code.TRACKING_CONTACT_LIMIT, TRACKING, "Alice Durand")]
    assert [p.code for p in ticked.problems] == [Code.TRACKING_CONTACT_LIMIT]
    assert sum("TRACKING" in f for f in (await functions(q)).values()) == 3
    assert await version(q) == before + 1
    assert [e.kind for e in world.published] == [EventKind.SUGGESTION_APPLIED]


async def test_an_edit_of_a_contact_being_added_by_a_suggestion_raises_the_version(world, monkeypatch):
    """The suggestion locks the contacts it may add before the quote: an edit of one of them
    waits for it, then sees the contact on the quote and raises its version."""
    q, dupont = world.quote.id, world.contacts["Dupont"]
    before = await version(q)
    pause = world.pause()
    monkeypatch.setattr(suggestions, "bump", pause.after(suggestions.bump))
    applying = world.spawn(apply_defaults(world))
    await asyncio.wait_for(pause.reached.wait(), WAIT)
    editing = world.spawn(enterprise_contacts.update_contact(world.alice, dupont, {"role": "DSI"}, bus=world.bus))
    assert await waits_for_a_lock(editing, world), "the edit did not wait for the suggestion that adds its contact"
    pause.release.set()
    applied, edited = await asyncio.gather(applying, editing)
    assert applied.ok and edited.ok
    assert await version(q) == before + 2
    # Published once each after its commit, in no promised order (docs/live-updates.md).
    kinds = sorted(e.kind for e in world.published if e.quote_id == q)
    assert kinds == sorted([EventKind.SUGGESTION_APPLIED, EventKind.CONTACTS_EDITED])


async def test_two_replacements_of_a_client_defaults_take_turns(world, monkeypatch):
    """Two users set the same client's defaults at once, with different contacts: the second
    waits for the first (the client's row) and replaces its list whole; no mix of the two."""
    client = world.quote.client_id
    c = world.contacts
    pause = world.pause()
    monkeypatch.setattr(contact_defaults, "visible_enterprise", pause.after(contact_defaults.visible_enterprise))
    first = world.spawn(contact_defaults.set_contact_defaults(
        world.alice, client, [(c["Smith"], [ON_SITE]), (c["Listen"], [TRACKING])], bus=world.bus))
    await asyncio.wait_for(pause.reached.wait(), WAIT)  # its contacts and the client's row locked
    second = world.spawn(contact_defaults.set_contact_defaults(
        world.alice, client, [(c["Leroy"], [DELIVERY, TRACKING])], bus=world.bus))
    assert await waits_for_a_lock(second, world), "the second replacement did not wait for the first"
    pause.release.set()
    outcomes = await asyncio.gather(first, second)
    assert all(o.ok for o in outcomes), [o.problems for o in outcomes]
    rows = await ContactDefault.filter(enterprise_id=client).order_by("position")
    assert [(r.contact_id, r.delivery, r.tracking) for r in rows] == [(c["Leroy"], True, True)]
    drafts = {e.quote_id for e in world.published}
    assert all(e.kind == EventKind.CONTACTS_EDITED for e in world.published)
    assert drafts == {q.id for q in await (await Enterprise.get(id=client)).client_quotes.filter(status="DRAFT")}


async def test_a_refused_suggestion_stores_and_publishes_nothing(world):
    q = world.quote.id
    assert (await apply_defaults(world)).ok
    before, rows = await version(q), await ContactAssignment.filter(quote_id=q).count()
    world.published.clear()
    again = await apply_defaults(world)
    assert [p.code for p in again.problems] == [Code.SUGGESTION_EMPTY]
    assert [p.code for p in again.skipped] == [Code.CONTACT_ALREADY_ON_QUOTE] * 3
    assert await version(q) == before and await ContactAssignment.filter(quote_id=q).count() == rows
    assert world.published == []
