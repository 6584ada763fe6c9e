"""A person's data (additions/privacy) in the domain, on SQLite and PostgreSQL, without HTTP: the
access report, the erasure in one change (what it deletes, removes and erases in place, the
history it forgets and writes, the versions and events), and a concurrent change of the same
quote, which either comes before the erasure or sees the erased state (interleavings forced as
in test_commands.py). The retention period's purge: tests/domain/test_retention.py."""

from __future__ import annotations

import asyncio

from contacts import personal_data, quote_contacts
from contacts.auth import viewer_named
from contacts.events import EventKind
from contacts.models import (
    Contact,
    ContactAssignment,
    ContactDefault,
    ContactSource,
    Enterprise,
    HistoryKind,
    Quote,
    QuoteHistoryEntry,
    QuoteStatus,
)
from contacts.rules import Code, Function
from contacts.state import functions_of
from contacts.text import search_key
from tests.domain.test_commands import ends_or_waits, version, waits_for_a_lock, world  # noqa: F401 (fixture)
from tests.domain.test_query_count import counting
from tests.support.wsclient import WAIT

ON_SITE, DELIVERY, TRACKING = Function.ON_SITE, Function.DELIVERY, Function.TRACKING
EMAIL = "eric.dupont@boulangerie-eloise.fr"  # the demo's Éric Dupont, a contact of the bakery in its defaults
ASKED = "  Eric.DUPONT@Boulangerie-Eloise.fr "
# What must not be left of Éric Dupont once erased: his enterprise contact's details and those of
# the one-off copies typed in for him.
TRACES = ("dupont", "eric.dupont@", "+33698765432", "responsable informatique", "+33699887766", "gardien du site")
ADHOC = {"last_name": "Dupont", "first_name": "Eric", "email": "Eric.Dupont@Boulangerie-Eloise.FR",
         "phone": "06 99 88 77 66", "role": "Gardien du site"}


async def stored_text(partner_id: int) -> str:
    """Every stored value of the partner's contacts, defaults, contact lists and history, in
    lower case: where an erased person could still be read from."""
    enterprises = [partner_id, *[e.id for e in await Enterprise.filter(partner_id=partner_id)]]
    quotes = [q.id for q in await Quote.filter(partner_id=partner_id)]
    rows = [
        *(await Contact.filter(enterprise_id__in=enterprises).values()),
        *(await ContactDefault.filter(enterprise_id__in=enterprises).values()),
        *(await ContactAssignment.filter(quote_id__in=quotes).values()),
        *(await QuoteHistoryEntry.filter(quote_id__in=quotes).values()),
    ]
    return " ".join(str(value) for row in rows for value in row.values()).lower()


class Scene:
    """Éric Dupont on the demo's quotes: on the draft DV-2026-0101 as the bakery's contact (ON_SITE,
    TRACKING), typed in once on the draft DV-2026-0102 (his email in other case) and ordered with
    it, typed in on DV-2026-0101 and taken off again (an entry of an assignment removed earlier);
    and a contact of the other partner with the same email."""

    def __init__(self, world) -> None:
        self.world = world
        self.alice = world.alice
        self.draft = world.quote.id
        self.dupont = world.contacts["Dupont"]

    async def build(self) -> Scene:
        w = self.world
        self.plain = (await Quote.get(reference="DV-2026-0102")).id
        added = await quote_contacts.assign_contact(self.alice, self.draft, self.dupont, [ON_SITE, TRACKING], bus=w.bus)
        earlier = await quote_contacts.assign_adhoc_contact(self.alice, self.draft, ADHOC, [], bus=w.bus)
        assert added.ok and earlier.ok
        assert (await quote_contacts.unassign_contact(self.alice, earlier.assignment_id, bus=w.bus)).ok
        typed = await quote_contacts.assign_adhoc_contact(self.alice, self.plain, ADHOC, [TRACKING], bus=w.bus)
        assert typed.ok and (await quote_contacts.place_order(self.alice, self.plain, bus=w.bus)).ok
        self.on_draft, self.earlier, self.on_order = added.assignment_id, earlier.assignment_id, typed.assignment_id
        mallory = await viewer_named("demo-mallory")
        hotel = await Enterprise.get(partner_id=mallory.partner_id)
        self.theirs = await Contact.create(enterprise=hotel, last_name="Dupont", first_name="Éric", email=EMAIL,
                                           phone="+33600000000", role="Client", search_text=search_key("Dupont"))
        self.mallory = mallory
        w.published.clear()
        return self


async def test_the_report_finds_every_contact_and_copy_with_the_email_and_nothing_of_another_partner(world):
    scene = await Scene(world).build()
    key, problem = personal_data.checked(scene.alice, ASKED)
    assert (key, problem) == (EMAIL, None)
    with counting() as statements:
        found = await personal_data.report(scene.alice, key)
    assert len(statements) == 2, statements  # whatever the number of contacts and copies
    assert [c.id for c in found.contacts] == [scene.dupont]
    assert [(a.quote_id, a.id, a.source) for a in found.assignments] == [
        (scene.draft, scene.on_draft, ContactSource.CLIENT), (scene.plain, scene.on_order, ContactSource.ADHOC)]
    # The other partner's: its own contact with the email, and nothing of Alice's company.
    theirs = await personal_data.report(scene.mallory, key)
    assert [c.id for c in theirs.contacts] == [scene.theirs.id] and theirs.assignments == []
    # A frozen copy of an enterprise contact is found by the contact's email as it is now too.
    ordered = await Quote.get(reference="DV-2026-0085")  # Smith, frozen
    smith = await ContactAssignment.get(quote_id=ordered.id, contact_id=world.contacts["Smith"])
    await Contact.filter(id=world.contacts["Smith"]).update(email="jsmith@boulangerie-eloise.fr")
    again = await personal_data.report(scene.alice, "jsmith@boulangerie-eloise.fr")
    assert [a.id for a in again.assignments] == [smith.id]


async def test_the_erasure_does_it_all_in_one_change_and_leaves_nothing_to_read(world):
    scene = await Scene(world).build()
    bakery = await Enterprise.get(id=world.quote.client_id)
    partner_version = (await Enterprise.get(id=scene.alice.partner_id)).data_version
    versions = {q: await version(q) for q in (scene.draft, scene.plain)}
    stored = await stored_text(scene.alice.partner_id)
    assert [t for t in TRACES if t not in stored] == []  # the look finds what there is to erase

    outcome = await personal_data.erase_personal_data(scene.alice, ASKED, bus=world.bus)

    assert outcome.ok and outcome.result == personal_data.Erasure(1, 2, [scene.draft, scene.plain])
    assert not await Contact.exists(id=scene.dupont)
    assert [d.contact_id for d in await ContactDefault.filter(enterprise_id=bakery.id)] != []
    assert not await ContactDefault.exists(contact_id=scene.dupont)
    assert not await ContactAssignment.exists(id=scene.on_draft)  # taken off the draft
    copy = await ContactAssignment.get(id=scene.on_order)  # erased in place on the order
    assert (copy.erased, copy.contact_id, copy.last_name, copy.first_name, copy.email, copy.phone, copy.role) == (
        True, None, "", None, "", "", "")
    assert functions_of(copy) == {TRACKING}
    assert {q: await version(q) for q in versions} == {q: v + 1 for q, v in versions.items()}
    assert (await Enterprise.get(id=scene.alice.partner_id)).data_version == partner_version + 1

    # The history names him no more, also in the entries of the copy taken off earlier; each
    # draft touched has its CONTACT_REMOVED, each copy erased its CONTACT_ERASED, by Alice.
    entries = await QuoteHistoryEntry.filter(quote_id__in=[scene.draft, scene.plain]).order_by("id")
    about_him = [e for e in entries if e.assignment_id in (scene.on_draft, scene.earlier, scene.on_order)]
    assert len(about_him) == 9 and all(e.erased and e.contact_name is None and e.email is None for e in about_him)
    assert [(e.quote_id, e.kind, e.assignment_id, e.actor) for e in entries[-2:]] == [
        (scene.draft, HistoryKind.CONTACT_REMOVED, scene.on_draft, "Alice Durand"),
        (scene.plain, HistoryKind.CONTACT_ERASED, scene.on_order, "Alice Durand")]
    assert [(e.kind, e.quote_id, e.assignment_id, e.actor) for e in world.published] == [
        (EventKind.CONTACT_REMOVED, scene.draft, scene.on_draft, "Alice Durand"),
        (EventKind.CONTACTS_EDITED, scene.plain, None, "Alice Durand")]

    stored = await stored_text(scene.alice.partner_id)
    assert [t for t in TRACES if t in stored] == []
    # The other partner's contact with the same email is its own business.
    assert (await Contact.get(id=scene.theirs.id)).email == EMAIL
    # Asked again: nothing left, which is not an error.
    again = await personal_data.erase_personal_data(scene.alice, EMAIL, bus=world.bus)
    assert again.ok and again.result == personal_data.Erasure(0, 0, [])
    assert (await personal_data.report(scene.alice, EMAIL)).assignments == []


async def test_the_erasure_of_a_contact_only_offered_tells_the_drafts_that_offer_it(world):
    """A contact of the partner's own company, on no quote: deleted, and every draft whose
    drop-down lists offered it gets CONTACTS_EDITED, its version as it was."""
    before = {q.id: q.version for q in await Quote.filter(partner_id=world.alice.partner_id, status=QuoteStatus.DRAFT)}
    outcome = await personal_data.erase_personal_data(world.alice, "olivier.petit@reseaux-atlantique.fr", bus=world.bus)
    assert outcome.result == personal_data.Erasure(1, 0, [])
    assert [(e.kind, e.quote_id) for e in world.published] == [(EventKind.CONTACTS_EDITED, q) for q in sorted(before)]
    assert {q: await version(q) for q in before} == before


async def test_a_refused_erasure_stores_nothing_in_the_order_of_checks(world):
    scene = await Scene(world).build()
    stored = await stored_text(scene.alice.partner_id)
    bob = await viewer_named("demo-bob")  # QUOTE_EDIT only
    for viewer, email, code in ((bob, EMAIL, Code.FORBIDDEN), (bob, "not an email", Code.FORBIDDEN),
                                (scene.alice, "not an email", Code.INVALID_EMAIL), (scene.alice, " ", Code.INVALID_EMAIL)):
        outcome = await personal_data.erase_personal_data(viewer, email, bus=world.bus)
        assert [(p.code, p.field) for p in outcome.problems] == [(code, ("email",) if code == Code.INVALID_EMAIL else None)]
    assert await stored_text(scene.alice.partner_id) == stored
    assert world.published == []


# --- A concurrent change of the same quote -------------------------------------------------------


async def test_a_change_holding_the_quote_comes_before_the_erasure(world, monkeypatch):
    """DELIVERY ticked for Dupont on the draft, held inside its transaction: the erasure waits
    for the quote's lock, then removes the assignment as the tick left it (the tick's entry,
    then the erasure's, neither naming him)."""
    scene = await Scene(world).build()
    pause = world.pause()
    monkeypatch.setattr(quote_contacts, "bump", pause.after(quote_contacts.bump))
    ticking = world.spawn(quote_contacts.set_assignment_function(scene.alice, scene.on_draft, DELIVERY, True, bus=world.bus))
    await asyncio.wait_for(pause.reached.wait(), WAIT)
    erasing = world.spawn(personal_data.erase_personal_data(scene.alice, EMAIL, bus=world.bus))
    assert await waits_for_a_lock(erasing, world), "the erasure did not wait for the change holding the quote"
    pause.release.set()
    ticked, erased = await asyncio.gather(ticking, erasing)
    assert ticked.ok and erased.result.assignments == 2
    entries = await QuoteHistoryEntry.filter(quote_id=scene.draft).order_by("-id").limit(2)
    assert [(e.kind, e.function, e.erased) for e in entries] == [
        (HistoryKind.CONTACT_REMOVED, None, True), (HistoryKind.FUNCTION_TICKED, "DELIVERY", True)]
    assert [e.kind for e in world.published] == [EventKind.FUNCTIONS_CHANGED, EventKind.CONTACT_REMOVED, EventKind.CONTACTS_EDITED]


async def test_a_change_after_the_erasure_waits_and_sees_the_erased_state(world, monkeypatch):
    """The erasure holds the draft (and the order): a tick of Dupont's assignment waits, then
    finds it gone (NOT_FOUND); a one-off contact added meanwhile waits, then goes on the list
    the erasure left; the order's copy, asked for by a report once both are done, is erased."""
    scene = await Scene(world).build()
    before = await version(scene.draft)
    pause = world.pause()
    monkeypatch.setattr(personal_data, "erase_in_place", pause.after(personal_data.erase_in_place))
    erasing = world.spawn(personal_data.erase_personal_data(scene.alice, EMAIL, bus=world.bus))
    await asyncio.wait_for(pause.reached.wait(), WAIT)  # forgotten, removed, erased: not committed
    ticking = world.spawn(quote_contacts.set_assignment_function(scene.alice, scene.on_draft, DELIVERY, True, bus=world.bus))
    assert await waits_for_a_lock(ticking, world), "the tick did not wait for the erasure"
    pause.release.set()
    erased, ticked = await asyncio.gather(erasing, ticking)
    adding = await quote_contacts.assign_adhoc_contact(
        scene.alice, scene.draft, {**ADHOC, "last_name": "Martin", "email": "martin@example.fr"}, [TRACKING], bus=world.bus)
    assert erased.ok and [p.code for p in ticked.problems] == [Code.NOT_FOUND]
    assert adding.ok and await version(scene.draft) == before + 2
    assert [a.last_name for a in await ContactAssignment.filter(quote_id=scene.draft)] == ["Martin"]
    assert [(e.kind, e.quote_id) for e in world.published][:2] == [
        (EventKind.CONTACT_REMOVED, scene.draft), (EventKind.CONTACTS_EDITED, scene.plain)]


async def test_an_order_placed_while_the_erasure_waits_is_erased_in_place(world, monkeypatch):
    """placeOrder holds the draft where Dupont has every function: the erasure waits, then finds
    an order and erases his frozen copy in place (functions kept) instead of taking him off."""
    scene = await Scene(world).build()
    assert (await quote_contacts.set_assignment_function(scene.alice, scene.on_draft, DELIVERY, True, bus=world.bus)).ok
    pause = world.pause()
    monkeypatch.setattr(quote_contacts, "read_quote_state", pause.after(quote_contacts.read_quote_state))
    ordering = world.spawn(quote_contacts.place_order(scene.alice, scene.draft, bus=world.bus))
    await asyncio.wait_for(pause.reached.wait(), WAIT)
    erasing = world.spawn(personal_data.erase_personal_data(scene.alice, EMAIL, bus=world.bus))
    await ends_or_waits(erasing, world)
    pause.release.set()
    ordered, erased = await asyncio.gather(ordering, erasing)
    assert ordered.ok and erased.ok
    quote = await Quote.get(id=scene.draft)
    copy = await ContactAssignment.get(id=scene.on_draft)
    assert quote.status == QuoteStatus.ORDERED
    assert copy.erased and copy.contact_id is None and functions_of(copy) == {ON_SITE, DELIVERY, TRACKING}
    kinds = [e.kind for e in await QuoteHistoryEntry.filter(quote_id=scene.draft).order_by("-id").limit(2)]
    assert kinds == [HistoryKind.CONTACT_ERASED, HistoryKind.ORDER_PLACED]
    assert not await Contact.exists(id=scene.dupont)


async def test_statements_of_an_erasure_do_not_grow_with_its_quotes(world):
    """One statement per kind of row, whatever the number of quotes and copies the person is on."""
    scene = await Scene(world).build()
    for _ in range(4):
        quote = await Quote.create(reference=f"DV-ERASE-{_}", partner_id=scene.alice.partner_id,
                                   client_id=world.quote.client_id)
        assert (await quote_contacts.assign_adhoc_contact(scene.alice, quote.id, ADHOC, [TRACKING], bus=world.bus)).ok
    with counting() as statements:
        outcome = await personal_data.erase_personal_data(scene.alice, EMAIL, bus=world.bus)
    assert outcome.result.assignments == 6
    written = [s for s in statements if not s.lstrip().upper().startswith(("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE"))]
    assert len(written) <= 14, written


async def test_every_case_of_the_email_on_both_databases_and_nothing_that_only_looks_like_it(world):
    """A capital É kept by the email's normal form is found and erased by « élodie… » on SQLite
    too (whose LOWER folds ASCII letters only); an email that differs in that letter, or that
    only a LIKE wildcard would take for it, is left alone."""
    bakery = world.quote.client_id
    made = {}
    for email in ("Élodie.Marchal@exemple.fr", "Alodie.Marchal@exemple.fr", "jo_n@exemple.fr", "john@exemple.fr"):
        made[email] = (await Contact.create(enterprise_id=bakery, last_name="Marchal", email=email, phone="+33612345678",
                                            role="Associée", search_text="marchal")).id
    key, _ = personal_data.checked(world.alice, " élodie.marchal@EXEMPLE.fr")
    assert [c.id for c in (await personal_data.report(world.alice, key)).contacts] == [made["Élodie.Marchal@exemple.fr"]]
    assert [c.id for c in (await personal_data.report(world.alice, "jo_n@exemple.fr")).contacts] == [made["jo_n@exemple.fr"]]
    outcome = await personal_data.erase_personal_data(world.alice, " élodie.marchal@EXEMPLE.fr", bus=world.bus)
    assert outcome.result.contacts == 1
    left = {c.email for c in await Contact.filter(id__in=list(made.values()))}
    assert left == {"Alodie.Marchal@exemple.fr", "jo_n@exemple.fr", "john@exemple.fr"}
