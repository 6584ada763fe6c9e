"""A quote's history, written by the commands in the transaction of their change, on SQLite and
PostgreSQL, without HTTP: one entry per contact added or removed and per function ticked or
unticked, in the order of additions/history, the contact named as it was then; nothing for a
change that changes nothing or is refused; once, whatever the retries."""

from __future__ import annotations

import pytest

from contacts import enterprise_contacts, history, quote_contacts
from contacts.auth import viewer_named
from contacts.events import MemoryBus
from contacts.models import Contact, HistoryKind, Quote, QuoteHistoryEntry
from contacts.rules import Function
from tests.conftest import reset_demo
from tests.domain.test_commands import stale_once

ON_SITE, DELIVERY, TRACKING = Function.ON_SITE, Function.DELIVERY, Function.TRACKING
ADHOC = {"email": "p@example.com", "phone": "0612345678", "role": "Livreur"}


class Scene:
    def __init__(self, alice, quote: Quote, contacts: dict[str, Contact]) -> None:
        self.alice, self.quote, self.contacts, self.bus = alice, quote, contacts, MemoryBus()

    async def adhoc(self, last_name: str, *functions: Function, first_name: str | None = None) -> int:
        outcome = await quote_contacts.assign_adhoc_contact(
            self.alice, self.quote.id, {**ADHOC, "last_name": last_name, "first_name": first_name}, list(functions),
            bus=self.bus)
        assert outcome.ok, outcome.problems
        return outcome.assignment_id

    async def entries(self) -> list[tuple]:
        """The quote's entries in the order they were written."""
        rows = await QuoteHistoryEntry.filter(quote_id=self.quote.id).order_by("id")
        return [(r.kind, r.contact_name, r.function, r.actor) for r in rows]


@pytest.fixture
async def scene(backend) -> Scene:
    await reset_demo()
    quote = await Quote.get(reference="DV-2026-0101")
    contacts = {c.last_name: c for c in await Contact.filter(enterprise_id=quote.client_id)}
    return Scene(await viewer_named("demo-alice"), quote, contacts)


def kinds(entries: list[tuple]) -> list[tuple]:
    return [(kind, name, function) for kind, name, function, _ in entries]


async def test_adding_with_functions_then_moving_on_site_then_removing(scene):
    await scene.adhoc("Martin", ON_SITE, first_name="Éric")
    smith = scene.contacts["Smith"]
    added = await quote_contacts.assign_contact(scene.alice, scene.quote.id, smith.id, [TRACKING, ON_SITE, DELIVERY],
                                                bus=scene.bus)
    assert added.ok
    name = f"{smith.first_name} {smith.last_name}" if smith.first_name else smith.last_name
    assert kinds(await scene.entries()) == [
        (HistoryKind.CONTACT_ADDED, "Éric Martin", None),
        (HistoryKind.FUNCTION_TICKED, "Éric Martin", "ON_SITE"),
        (HistoryKind.CONTACT_ADDED, name, None),
        # ON_SITE taken from Martin: its untick just before Smith's tick; then in the order
        # ON_SITE, DELIVERY, TRACKING whatever the order asked.
        (HistoryKind.FUNCTION_UNTICKED, "Éric Martin", "ON_SITE"),
        (HistoryKind.FUNCTION_TICKED, name, "ON_SITE"),
        (HistoryKind.FUNCTION_TICKED, name, "DELIVERY"),
        (HistoryKind.FUNCTION_TICKED, name, "TRACKING"),
    ]
    assert {actor for *_, actor in await scene.entries()} == {"Alice Durand"}


async def test_a_function_moving_between_contacts_is_two_entries_in_order(scene):
    a = await scene.adhoc("Alpha", DELIVERY)
    b = await scene.adhoc("Bravo", TRACKING)
    before = len(await scene.entries())
    assert (await quote_contacts.set_assignment_function(scene.alice, b, DELIVERY, True, bus=scene.bus)).ok
    assert kinds(await scene.entries())[before:] == [
        (HistoryKind.FUNCTION_UNTICKED, "Alpha", "DELIVERY"), (HistoryKind.FUNCTION_TICKED, "Bravo", "DELIVERY"),
    ]
    assert (await quote_contacts.set_assignment_function(scene.alice, a, TRACKING, True, bus=scene.bus)).ok
    assert (await quote_contacts.set_assignment_function(scene.alice, a, TRACKING, False, bus=scene.bus)).ok
    assert kinds(await scene.entries())[before + 2:] == [
        (HistoryKind.FUNCTION_TICKED, "Alpha", "TRACKING"), (HistoryKind.FUNCTION_UNTICKED, "Alpha", "TRACKING"),
    ]
    assert (await quote_contacts.unassign_contact(scene.alice, a, bus=scene.bus)).ok
    assert kinds(await scene.entries())[-1] == (HistoryKind.CONTACT_REMOVED, "Alpha", None)


async def test_a_change_that_changes_nothing_or_is_refused_writes_nothing(scene):
    a = await scene.adhoc("Alpha", TRACKING)
    await scene.adhoc("Bravo", TRACKING)
    await scene.adhoc("Charlie", TRACKING)
    d = await scene.adhoc("Delta")
    before = await scene.entries()
    assert (await quote_contacts.set_assignment_function(scene.alice, a, TRACKING, True, bus=scene.bus)).ok
    assert (await quote_contacts.set_assignment_function(scene.alice, a, ON_SITE, False, bus=scene.bus)).ok
    refused = await quote_contacts.set_assignment_function(scene.alice, d, TRACKING, True, bus=scene.bus)  # a fourth
    assert not refused.ok
    assert not (await quote_contacts.place_order(scene.alice, scene.quote.id, bus=scene.bus)).ok  # errors stand
    smith = scene.contacts["Smith"]
    assert (await enterprise_contacts.update_contact(scene.alice, smith.id, {"role": smith.role}, bus=scene.bus)).ok
    assert await scene.entries() == before


async def test_placing_the_order_and_editing_a_contact_on_drafts(scene):
    smith = scene.contacts["Smith"]
    assert (await quote_contacts.assign_contact(scene.alice, scene.quote.id, smith.id, [ON_SITE, DELIVERY, TRACKING],
                                                bus=scene.bus)).ok
    other = await Quote.get(reference="DV-2026-0102")
    assert (await quote_contacts.assign_contact(scene.alice, other.id, smith.id, [TRACKING], bus=scene.bus)).ok
    first_name = smith.first_name
    assert (await enterprise_contacts.update_contact(scene.alice, smith.id, {"last_name": "Smythe"}, bus=scene.bus)).ok
    renamed = f"{first_name} Smythe" if first_name else "Smythe"
    for quote in (scene.quote, other):
        last = await QuoteHistoryEntry.filter(quote_id=quote.id).order_by("-id").first()
        assert (last.kind, last.contact_name, last.contact_id) == (HistoryKind.CONTACT_EDITED, renamed, smith.id)
    assert (await quote_contacts.place_order(scene.alice, scene.quote.id, bus=scene.bus)).ok
    entries = await scene.entries()
    assert kinds(entries)[-1] == (HistoryKind.ORDER_PLACED, None, None)
    # The contact as it was named when each entry was written: a later edit changes none.
    added = [name for kind, name, *_ in entries if kind == HistoryKind.CONTACT_ADDED]
    assert added == [f"{first_name} Smith" if first_name else "Smith"]


async def test_a_change_run_again_after_a_race_writes_its_entries_once(scene, monkeypatch):
    """The losing attempt is rolled back with whatever it wrote; the attempt that commits
    writes the entries of what it did."""
    a = await scene.adhoc("Alpha", ON_SITE)
    b = await scene.adhoc("Bravo", TRACKING)
    before = len(await scene.entries())

    def without_holder(rows):
        for row in rows:
            row.on_site = False  # as read before Alpha's ON_SITE was committed
        return rows

    racing = stale_once(quote_contacts.assignments_of, without_holder)
    monkeypatch.setattr(quote_contacts, "assignments_of", racing)
    assert (await quote_contacts.set_assignment_function(scene.alice, b, ON_SITE, True, bus=scene.bus)).ok
    assert len(racing.calls) == 2
    assert kinds(await scene.entries())[before:] == [
        (HistoryKind.FUNCTION_UNTICKED, "Alpha", "ON_SITE"), (HistoryKind.FUNCTION_TICKED, "Bravo", "ON_SITE"),
    ]
    assert a


async def test_a_page_goes_on_from_its_cursor_even_when_newer_entries_were_written(scene):
    for name in ("A", "B", "C"):
        await scene.adhoc(name, TRACKING)
    first = await history.page(scene.quote.id, 2, None)
    assert [r.contact_name for r in first] == ["C", "C", "B"]  # newest first: C's tick, C added, B's tick
    await scene.adhoc("D")
    after = await history.page(scene.quote.id, 10, first[1].id)
    assert [(r.kind, r.contact_name) for r in after] == [
        (HistoryKind.FUNCTION_TICKED, "B"), (HistoryKind.CONTACT_ADDED, "B"),
        (HistoryKind.FUNCTION_TICKED, "A"), (HistoryKind.CONTACT_ADDED, "A"),
    ]


async def test_an_applied_suggestion_writes_what_it_applied_in_the_sources_order(scene):
    """The bakery's default contacts (the demo's): each contact added then its functions, each
    function ticked on a contact already there; nothing taken away."""
    from contacts.suggestions import SourceKind, apply_contact_suggestion

    from contacts.models import ContactDefault

    defaults = await ContactDefault.filter(enterprise_id=scene.quote.client_id).order_by("position").prefetch_related("contact")
    assert len(defaults) >= 2
    first = defaults[0].contact
    already = await quote_contacts.assign_contact(scene.alice, scene.quote.id, first.id, [], bus=scene.bus)
    assert already.ok
    before = len(await scene.entries())
    outcome = await apply_contact_suggestion(scene.alice, scene.quote.id, SourceKind.CLIENT_DEFAULTS, None, bus=scene.bus)
    assert outcome.ok, outcome.problems
    written = kinds(await scene.entries())[before:]
    expected = []
    for default in defaults:
        contact = default.contact
        name = f"{contact.first_name} {contact.last_name}" if contact.first_name else contact.last_name
        if contact.id != first.id:
            expected.append((HistoryKind.CONTACT_ADDED, name, None))
        expected += [(HistoryKind.FUNCTION_TICKED, name, f) for f, ticked in
                     (("ON_SITE", default.on_site), ("DELIVERY", default.delivery), ("TRACKING", default.tracking)) if ticked]
    assert written == expected
    assert not any(kind in (HistoryKind.FUNCTION_UNTICKED, HistoryKind.CONTACT_REMOVED) for kind, *_ in written)
