"""The demo data of the contract README: two partners, their users, clients, contacts and quotes;
and (additions README, "Suggestions") the first client's default contacts and an ordered quote
of that client whose frozen list holds an enterprise contact and an ad-hoc one, so that both
kinds of suggestion show on its drafts."""

from __future__ import annotations

from datetime import timedelta

from tortoise.timezone import now
from tortoise.transactions import in_transaction

from contacts.auth import hash_token
from contacts.models import (
    ApiToken,
    Contact,
    ContactAssignment,
    ContactDefault,
    ContactSource,
    Enterprise,
    EnterpriseKind,
    Product,
    Quote,
    QuoteLine,
    QuoteStatus,
    User,
)
from contacts.state import own_phone_is_mobile, verdict
from contacts.text import search_key

PRODUCTS = [
    # code, name, on-site contact, delivery contact
    ("FIBRE-1G", "Fibre optique dédiée 1 Gbit/s", True, True),
    ("SIP-TRUNK-10", "Trunk SIP 10 canaux", False, False),
    ("4G-BACKUP", "Secours 4G (routeur livré)", False, True),
    ("ROUTER-PRO", "Routeur professionnel", False, True),
]


async def _enterprise(name: str, kind: EnterpriseKind, partner: Enterprise | None = None) -> Enterprise:
    return await Enterprise.create(name=name, search_name=search_key(name), kind=kind, partner=partner)


async def _user(username: str, name: str, partner: Enterprise, quotes: bool, contacts: bool) -> User:
    user = await User.create(
        username=username,
        name=name,
        email=f"{username}@example.com",
        partner=partner,
        can_edit_quotes=quotes,
        can_edit_contacts=contacts,
    )
    await ApiToken.create(user=user, token_hash=hash_token(username))  # the demo token is the user name
    return user


async def _contact(enterprise: Enterprise, last: str, first: str | None, email: str | None, phone: str | None, role: str | None) -> Contact:
    details = {"last_name": last, "first_name": first, "email": email, "phone": phone, "role": role}
    return await Contact.create(enterprise=enterprise, **details, search_text=search_key(last, first, email), **verdict(details))


async def _assignment(**values) -> ContactAssignment:
    """An assignment with its own details (ad hoc, or frozen), stored as the commands store them."""
    return await ContactAssignment.create(**values, phone_is_mobile=own_phone_is_mobile(values))


async def _quote(reference: str, partner: Enterprise, client: Enterprise, codes: list[str], age_days: int) -> Quote:
    quote = await Quote.create(reference=reference, partner=partner, client=client)
    await Quote.filter(id=quote.id).update(created_at=now() - timedelta(days=age_days))
    for code in codes:
        await QuoteLine.create(quote=quote, product=await Product.get(code=code), quantity=1)
    return await Quote.get(id=quote.id)


async def has_data() -> bool:
    return await Enterprise.exists()


async def load_demo() -> None:
    """Creates the demo data in one transaction."""
    async with in_transaction():
        for code, name, on_site, delivery in PRODUCTS:
            await Product.create(code=code, name=name, requires_on_site_contact=on_site, requires_delivery_contact=delivery)

        alpha = await _enterprise("Réseaux Atlantique", EnterpriseKind.PARTNER)
        await _user("demo-alice", "Alice Durand", alpha, quotes=True, contacts=True)
        await _user("demo-bob", "Bob Lefèvre", alpha, quotes=True, contacts=False)
        await _user("demo-victor", "Victor Moreau", alpha, quotes=False, contacts=False)
        account_manager = await _contact(alpha, "Durand", "Alice", "alice.durand@reseaux-atlantique.fr", "+33611223344", "Chargée d'affaires")
        await _contact(alpha, "Petit", "Olivier", "olivier.petit@reseaux-atlantique.fr", "+33240112233", "Technicien référent")
        await _contact(alpha, "Olivier", "Sophie", "sophie.olivier@reseaux-atlantique.fr", None, "Assistante commerciale")

        bakery = await _enterprise("Boulangerie Éloïse", EnterpriseKind.CLIENT, alpha)
        smith = await _contact(bakery, "Smith", "John", "john.smith@boulangerie-eloise.fr", "+33612345678", "Gérant")
        listen = await _contact(bakery, "Listen", "Marie", "marie.listen@boulangerie-eloise.fr", "+33142868200", "Comptable")
        dupont = await _contact(bakery, "Dupont", "Éric", "eric.dupont@boulangerie-eloise.fr", "+33698765432", "Responsable informatique")
        leroy = await _contact(bakery, "Leroy", None, "accueil@boulangerie-eloise.fr", "+33240998877", "Accueil")
        await _contact(bakery, "Fabre", "Lucie", "lucie.fabre@boulangerie-eloise.fr", None, "Responsable de boutique")

        cabinet = await _enterprise("Cabinet Martin & Associés", EnterpriseKind.CLIENT, alpha)
        martin = await _contact(cabinet, "Martin", "Claire", "claire.martin@cabinet-martin.fr", "+33677889900", "Associée")

        await _quote("DV-2026-0101", alpha, bakery, ["FIBRE-1G", "4G-BACKUP"], age_days=1)
        await _quote("DV-2026-0102", alpha, bakery, ["SIP-TRUNK-10"], age_days=2)
        ordered = await _quote("DV-2026-0090", alpha, cabinet, ["ROUTER-PRO"], age_days=10)
        await _assignment(
            quote=ordered, contact=martin, source=ContactSource.CLIENT, delivery=True, tracking=True,
            last_name=martin.last_name, first_name=martin.first_name, email=martin.email, phone=martin.phone, role=martin.role,
        )
        await Quote.filter(id=ordered.id).update(status=QuoteStatus.ORDERED, ordered_at=now() - timedelta(days=9), version=4)

        # The bakery's default contacts, and an older order of the bakery with a one-off contact.
        for position, (contact, functions) in enumerate(
            [(dupont, ("on_site", "tracking")), (leroy, ("delivery",)), (account_manager, ("tracking",))]
        ):
            await ContactDefault.create(enterprise=bakery, contact=contact, position=position,
                                        **{name: True for name in functions})
        earlier = await _quote("DV-2026-0085", alpha, bakery, ["FIBRE-1G"], age_days=40)
        await _assignment(
            quote=earlier, contact=smith, source=ContactSource.CLIENT, on_site=True, tracking=True,
            last_name=smith.last_name, first_name=smith.first_name, email=smith.email, phone=smith.phone, role=smith.role,
        )
        await _assignment(
            quote=earlier, source=ContactSource.ADHOC, delivery=True, tracking=True, last_name="Garnier", first_name="Hugo",
            email="hugo.garnier@example.fr", phone="+33687654321", role="Gardien de l'immeuble",
        )
        await Quote.filter(id=earlier.id).update(status=QuoteStatus.ORDERED, ordered_at=now() - timedelta(days=35), version=5)

        boreal = await _enterprise("Télécom Boréal", EnterpriseKind.PARTNER)
        await _user("demo-mallory", "Mallory Girard", boreal, quotes=True, contacts=True)
        await _contact(boreal, "Girard", "Mallory", "mallory.girard@telecom-boreal.fr", "+33655443322", "Chef de projet")
        hotel = await _enterprise("Hôtel du Lac", EnterpriseKind.CLIENT, boreal)
        await _contact(hotel, "Lacroix", "Paul", "paul.lacroix@hotel-du-lac.fr", "+33644556677", "Directeur")
        await _quote("DV-2026-0201", boreal, hotel, ["FIBRE-1G"], age_days=3)
        del listen
