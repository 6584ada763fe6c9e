"""What the rules make of a contact's details is stored with them (contacts.state.verdict) by
every command that writes details, always what the rules say of the details stored; a row
written another way (no verdict) is judged when read, the same way. On both databases."""

from __future__ import annotations

from contacts import enterprise_contacts, personal_data, quote_contacts, rules
from contacts.auth import viewer_named
from contacts.events import MemoryBus
from contacts.models import Contact, ContactAssignment, Quote
from contacts.rules import ContactField, Function
from contacts.state import DETAIL_FIELDS, is_mobile_of, missing_of, shows_a_mobile
from tests.conftest import reset_demo

LANDLINE, MOBILE = "01 23 45 67 89", "06 12 34 56 78"


def details(row) -> dict:
    return {name: getattr(row, name) for name in DETAIL_FIELDS}


async def assert_stored_verdicts_are_the_rules() -> int:
    """Every stored verdict is what the rules say of the details stored beside it; answers how
    many there are."""
    stored = 0
    for contact in await Contact.all():
        if contact.missing is not None or contact.phone_is_mobile is not None:
            assert contact.missing == ",".join(f.value for f in rules.missing_fields(details(contact))), contact.last_name
            assert contact.phone_is_mobile is rules.is_mobile(contact.phone), contact.last_name
            stored += 1
    for assignment in await ContactAssignment.all():
        if assignment.phone_is_mobile is not None:
            assert assignment.phone_is_mobile is rules.is_mobile(assignment.phone), assignment.id
            stored += 1
    return stored


async def test_each_command_writes_the_rules_verdict_with_the_details(backend):
    await reset_demo()
    alice, bus = await viewer_named("demo-alice"), MemoryBus()
    quote = await Quote.get(reference="DV-2026-0101")

    created = await enterprise_contacts.create_contact(
        alice, quote.client_id, {"last_name": "Verdict", "phone": LANDLINE}, bus=bus)
    contact = await Contact.get(id=created.contact_id)
    assert (contact.missing, contact.phone_is_mobile) == ("EMAIL,ROLE", False)
    assert missing_of(contact) == [ContactField.EMAIL, ContactField.ROLE]

    completed = await enterprise_contacts.update_contact(
        alice, contact.id, {"email": "v@example.fr", "role": "Gardien", "phone": MOBILE, **dict.fromkeys(
            ("last_name", "first_name"), rules.UNSET)}, bus=bus)
    assert completed.ok, completed.problems
    contact = await Contact.get(id=contact.id)
    assert (contact.missing, contact.phone_is_mobile) == ("", True) and missing_of(contact) == []

    order = await Quote.get(reference="DV-2026-0102")
    added = await quote_contacts.assign_contact(alice, order.id, contact.id, [Function.TRACKING], bus=bus)
    adhoc = await quote_contacts.assign_adhoc_contact(
        alice, order.id, {"last_name": "Fixe", "email": "f@example.fr", "phone": LANDLINE, "role": "Accueil"}, [Function.TRACKING], bus=bus)
    assert added.ok and adhoc.ok, (added.problems, adhoc.problems)
    on_list = {a.id: a for a in await ContactAssignment.filter(quote_id=order.id).prefetch_related("contact")}
    assert on_list[added.assignment_id].phone_is_mobile is None  # shows its contact's, as it is now
    assert shows_a_mobile(on_list[added.assignment_id]) is True
    assert on_list[adhoc.assignment_id].phone_is_mobile is False and shows_a_mobile(on_list[adhoc.assignment_id]) is False

    # The order freezes each enterprise contact's details, with their verdict.
    ordered = await quote_contacts.place_order(alice, order.id, bus=bus)
    assert ordered.ok, ordered.problems
    frozen = await ContactAssignment.get(id=added.assignment_id)
    assert (frozen.phone, frozen.phone_is_mobile) == ("+33612345678", True)
    await assert_stored_verdicts_are_the_rules()

    # An erased copy keeps no verdict of the phone it no longer has.
    erased = await personal_data.erase_personal_data(alice, "f@example.fr", bus=bus)
    assert erased.ok, erased.problems
    gone = await ContactAssignment.get(id=adhoc.assignment_id)
    assert (gone.erased, gone.phone, gone.phone_is_mobile) == (True, "", None)
    await assert_stored_verdicts_are_the_rules()


async def test_a_row_without_a_verdict_is_judged_when_read(backend):
    """A row written another way than by the commands (here straight through the ORM), or
    before verdicts were stored, has none: it is judged when read, as the rules say."""
    await reset_demo()
    quote = await Quote.get(reference="DV-2026-0101")
    written = [
        await Contact.create(enterprise_id=quote.client_id, last_name=last, email=email, phone=phone, role=role, search_text="")
        for last, email, phone, role in (("Sans", None, "+33612345678", "Gérant"), ("Faux", "pas-un-email", "+33142868200", None),
                                          ("Complet", "c@example.fr", "+33612345678", "Accueil"))
    ]
    stored = await Contact.filter(enterprise_id=quote.client_id).exclude(missing=None)
    assert stored, "the demo's contacts are written with their verdict"
    for contact in [await Contact.get(id=c.id) for c in written] + stored:
        assert missing_of(contact) == rules.missing_fields(details(contact))
        assert is_mobile_of(contact) is rules.is_mobile(contact.phone)
    assert [missing_of(await Contact.get(id=c.id)) for c in written] == [
        [ContactField.EMAIL], [ContactField.EMAIL, ContactField.ROLE], []]
    await assert_stored_verdicts_are_the_rules()
