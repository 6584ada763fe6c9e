"""The benchmark's dataset: the demo data, then a partner of realistic size.

On top of `contacts.demo.load_demo` (users and tokens, products, both partners), the demo partner
"Réseaux Atlantique" gets 200 client enterprises of 20 complete contacts each (mobiles and
landlines, valid French numbers stored as `contacts.rules.normalize_phone` gives them) and 1,000
quotes of 3 lines with 3 to 5 contacts each, whose functions are valid (at most one ON_SITE,
one DELIVERY, 1 to 3 TRACKING, every contact with a function, ON_SITE and DELIVERY held when
a product needs them). One in ten quotes is ordered, its contacts frozen.

The rows are generated in Python from a fixed seed (the same data on every backend and every
run) and written with the ORM's bulk inserts, with their ids chosen here, so that the
benchmark knows every id without reading anything back.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from datetime import timedelta

import asyncpg
from tortoise import Tortoise
from tortoise.backends.base.executor import EXECUTOR_CACHE
from tortoise.timezone import now
from tortoise.transactions import in_transaction

from contacts.db import Database
from contacts.demo import load_demo
from contacts.models import (
    Contact,
    ContactAssignment,
    ContactSource,
    Enterprise,
    EnterpriseKind,
    Product,
    Quote,
    QuoteLine,
    QuoteStatus,
)
from contacts.rules import normalize_phone
from contacts.text import search_key

CLIENTS = 200
CONTACTS_PER_CLIENT = 20
QUOTES = 1000
LINES_PER_QUOTE = 3
PARTNER_NAME = "Réseaux Atlantique"
SEED = 6

TABLES = ("enterprise", "contact", "quote", "quote_line", "contact_assignment")

TRADES = ["Boulangerie", "Cabinet", "Garage", "Pharmacie", "Hôtel", "Librairie", "Imprimerie", "Menuiserie",
          "Clinique", "Agence", "Transports", "Brasserie", "Fromagerie", "Atelier", "Société", "Laboratoire"]
LAST_NAMES = ["Martin", "Bernard", "Thomas", "Petit", "Robert", "Richard", "Durand", "Dubois", "Moreau", "Laurent",
              "Simon", "Michel", "Lefèvre", "Leroy", "Roux", "David", "Bertrand", "Morel", "Fournier", "Girard",
              "Bonnet", "Dupont", "Lambert", "Fontaine", "Rousseau", "Vincent", "Muller", "Lefebvre", "Faure", "André",
              "Mercier", "Blanc", "Guérin", "Boyer", "Garnier", "Chevalier", "François", "Legrand", "Gauthier", "Garcia",
              "Perrin", "Robin", "Clément", "Morin", "Nicolas", "Henry", "Roussel", "Mathieu", "Gautier", "Masson"]
FIRST_NAMES = ["Camille", "Léa", "Manon", "Chloé", "Inès", "Jade", "Louise", "Emma", "Zoé", "Hélène", "Lucas",
               "Hugo", "Louis", "Nathan", "Jules", "Gabriel", "Arthur", "Raphaël", "Théo", "Étienne", "Noémie", "Agnès"]
ROLES = ["Gérant", "Gérante", "Comptable", "Responsable informatique", "Assistante de direction", "Directeur technique",
         "Responsable des achats", "Office manager", "Chef de projet", "Responsable logistique", "Accueil"]
CITIES = ["Nantes", "Rennes", "Brest", "Vannes", "Angers", "La Rochelle", "Lorient", "Quimper", "Saint-Nazaire", "Cholet"]

ON_SITE, DELIVERY, TRACKING = "ON_SITE", "DELIVERY", "TRACKING"


@dataclass
class Assignment:
    id: int
    functions: set[str]


@dataclass
class Dataset:
    """What the benchmark needs to know of the rows it wrote."""

    url: str
    quote_ids: list[int] = field(default_factory=list)  # the 1,000 generated quotes
    drafts: dict[int, list[Assignment]] = field(default_factory=dict)  # draft quote -> its contacts
    hot_quote: int = 0  # the draft that the subscribers follow (left out of the mutation load)
    examples: dict[str, int] = field(default_factory=dict)  # a quote with each kind of contact
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def _phone(rng: random.Random, mobile: bool) -> str:
    while True:
        prefix = rng.choice(["06", "07"]) if mobile else rng.choice(["01", "02", "03", "04", "05", "09"])
        typed = prefix + " " + " ".join(f"{rng.randrange(100):02d}" for _ in range(4))
        phone = normalize_phone(typed)
        if phone:
            return phone


def _email(first: str, last: str, domain: str) -> str:
    return f"{search_key(first)}.{search_key(last)}@{domain}".replace(" ", "-").replace("'", "")


def _functions(n: int, need_on_site: bool, need_delivery: bool, rng: random.Random) -> list[set[str]]:
    """Valid functions for n contacts: each has one, at most one ON_SITE and one DELIVERY
    (held when needed), 1 to 3 TRACKING."""
    while True:
        sets: list[set[str]] = [set() for _ in range(n)]
        if need_on_site or rng.random() < 0.4:
            sets[rng.randrange(n)].add(ON_SITE)
        if need_delivery or rng.random() < 0.4:
            sets[rng.randrange(n)].add(DELIVERY)
        for s in sets:
            if not s:
                s.add(TRACKING)
        tracking = sum(TRACKING in s for s in sets)
        for s in sets:
            if tracking < 3 and TRACKING not in s and rng.random() < 0.3:
                s.add(TRACKING)
                tracking += 1
        if tracking == 0:
            sets[rng.randrange(n)].add(TRACKING)
            tracking = 1
        if tracking <= 3:
            return sets


async def fresh_postgres(url: str) -> None:
    """Drops and creates the database of `url` on its server."""
    server, _, name = url.rpartition("/")
    conn = await asyncpg.connect(server.replace("postgres://", "postgresql://", 1) + "/postgres")
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


async def _next_ids() -> dict[str, int]:
    conn = Tortoise.get_connection("default")
    ids = {}
    for table in TABLES:
        _, rows = await conn.execute_query(f'SELECT COALESCE(MAX("id"), 0) AS m FROM "{table}"')
        ids[table] = dict(rows[0])["m"] + 1
    return ids


async def _generate(dataset: Dataset) -> None:
    rng = random.Random(SEED)
    ids = await _next_ids()
    partner = await Enterprise.get(name=PARTNER_NAME, kind=EnterpriseKind.PARTNER)
    products = list(await Product.all().order_by("id"))
    partner_contacts = [c for c in await Contact.filter(enterprise_id=partner.id).order_by("id") if c.phone and c.role]
    moment = now()

    enterprises, contacts, by_client = [], [], {}
    for i in range(CLIENTS):
        eid = ids["enterprise"] + i
        name = f"{rng.choice(TRADES)} {rng.choice(LAST_NAMES)} {rng.choice(CITIES)} n°{i + 1}"
        enterprises.append(Enterprise(id=eid, name=name, search_name=search_key(name), kind=EnterpriseKind.CLIENT,
                                      partner_id=partner.id))
        domain = f"client-{i + 1}.example.fr"
        by_client[eid] = []
        for _ in range(CONTACTS_PER_CLIENT):
            last, first = rng.choice(LAST_NAMES), rng.choice(FIRST_NAMES + [None])
            contact = Contact(
                id=ids["contact"] + len(contacts), enterprise_id=eid, last_name=last, first_name=first,
                email=_email(first or "contact", last, domain), phone=_phone(rng, mobile=rng.random() < 0.6),
                role=rng.choice(ROLES), search_text="",
            )
            contact.search_text = search_key(contact.last_name, contact.first_name, contact.email)
            contacts.append(contact)
            by_client[eid].append(contact)

    quotes, lines, assignments = [], [], []
    for i in range(QUOTES):
        qid = ids["quote"] + i
        client = rng.choice(enterprises)
        ordered = rng.random() < 0.1
        quotes.append(Quote(
            id=qid, reference=f"BN-2026-{i + 1:05d}", partner_id=partner.id, client_id=client.id,
            status=QuoteStatus.ORDERED if ordered else QuoteStatus.DRAFT, version=rng.randrange(1, 12),
            ordered_at=moment - timedelta(days=rng.randrange(1, 30)) if ordered else None,
        ))
        chosen = rng.sample(products, LINES_PER_QUOTE)
        for product in chosen:
            lines.append(QuoteLine(id=ids["quote_line"] + len(lines), quote_id=qid, product_id=product.id,
                                   quantity=rng.randrange(1, 4)))
        n = rng.randrange(3, 6)
        people: list[tuple[ContactSource, Contact | None, dict]] = []
        if rng.random() < 0.2:
            people.append((ContactSource.PARTNER, rng.choice(partner_contacts), {}))
        if rng.random() < 0.1:
            last, first = rng.choice(LAST_NAMES), rng.choice(FIRST_NAMES)
            people.append((ContactSource.ADHOC, None, {
                "last_name": last, "first_name": first, "email": _email(first, last, "prestataire.example.fr"),
                "phone": _phone(rng, mobile=True), "role": "Prestataire",
            }))
        for contact in rng.sample(by_client[client.id], n - len(people)):
            people.append((ContactSource.CLIENT, contact, {}))
        rng.shuffle(people)
        functions = _functions(n, any(p.requires_on_site_contact for p in chosen),
                               any(p.requires_delivery_contact for p in chosen), rng)
        for source, _, _ in people:
            dataset.examples.setdefault(f"{source.value.lower()} {'ordered' if ordered else 'draft'}", qid)
        for (source, contact, details), fs in zip(people, functions):
            if ordered and contact is not None:  # the freeze of placeOrder
                details = {k: getattr(contact, k) for k in ("last_name", "first_name", "email", "phone", "role")}
            aid = ids["contact_assignment"] + len(assignments)
            assignments.append(ContactAssignment(
                id=aid, quote_id=qid, contact_id=contact.id if contact else None, source=source,
                on_site=ON_SITE in fs, delivery=DELIVERY in fs, tracking=TRACKING in fs, **details,
            ))
            if not ordered:
                dataset.drafts.setdefault(qid, []).append(Assignment(aid, set(fs)))
        dataset.quote_ids.append(qid)

    async with in_transaction():
        for model, rows in ((Enterprise, enterprises), (Contact, contacts), (Quote, quotes),
                            (QuoteLine, lines), (ContactAssignment, assignments)):
            await model.bulk_create(rows, batch_size=1000)
    dataset.hot_quote = next(q for q, a in dataset.drafts.items() if len(a) >= 3)
    dataset.rows = {"enterprises": CLIENTS, "contacts": len(contacts), "quotes": QUOTES, "quote lines": len(lines),
                    "assignments": len(assignments), "ordered quotes": sum(q.status == QuoteStatus.ORDERED for q in quotes)}


async def _fix_sequences() -> None:
    conn = Tortoise.get_connection("default")
    if conn.capabilities.dialect == "postgres":
        for table in TABLES:
            await conn.execute_query(
                f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), (SELECT MAX(\"id\") FROM \"{table}\"))"
            )
        await conn.execute_script("ANALYZE")


async def build(url: str) -> Dataset:
    """A fresh database at `url` (postgres://... recreated, sqlite://... file replaced) with
    the migrations, the demo data and the generated rows."""
    started = time.perf_counter()
    if url.startswith("postgres"):
        await fresh_postgres(url)
    database = Database(url)
    await database.migrate()
    dataset = Dataset(url)
    await database.open()
    try:
        await load_demo()
        await _generate(dataset)
        await _fix_sequences()
    finally:
        await database.close()
        # Executors cache their INSERT statements by connection name: forget them before the
        # next backend.
        EXECUTOR_CACHE.clear()
    dataset.seconds = time.perf_counter() - started
    return dataset
