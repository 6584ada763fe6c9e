"""The benchmark's dataset: the demo data, then a partner of realistic size.

On top of `contacts.demo.load_demo` (users and tokens, products, both partners), the demo partner
"Réseaux Atlantique" gets 200 client enterprises of 20 complete contacts each (mobiles and
landlines, valid French numbers stored as `contacts.rules.normalize_phone` gives them) and 1,000
quotes of 3 lines with 3 to 5 contacts each, whose functions are valid (at most one ON_SITE,
one DELIVERY, 1 to 3 TRACKING, every contact with a function, ON_SITE and DELIVERY held when
a product needs them). One in ten quotes is ordered, its contacts frozen. It also gets 20 users
who may edit quotes (`bench-user-01`..., each token its user name, as the demo's), for the
realistic mix of 20 users.

`scale` multiplies the client enterprises and the quotes (100: 20,000 clients, 400,000
contacts, 100,000 quotes); `sample` then picks the quotes the loads use among them, at random
(the benchmark's bodies and drafts stay the usual size, spread over the whole table).

The rows are generated in Python from a fixed seed (the same data on every backend and every
run) as tuples, with their ids chosen here, so that the benchmark knows every id without
reading anything back, and written in bulk (bench/bulk.py: COPY on PostgreSQL, the ORM's
multi-row INSERTs on SQLite).
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import asyncpg
from tortoise import Tortoise
from tortoise.backends.base.executor import EXECUTOR_CACHE
from tortoise.timezone import now
from tortoise.transactions import in_transaction

from bench.bulk import copy_postgres, insert_orm
from contacts.auth import hash_token
from contacts.db import Database
from contacts.demo import load_demo
from contacts.models import (
    ApiToken,
    Contact,
    ContactAssignment,
    ContactSource,
    Enterprise,
    EnterpriseKind,
    Product,
    Quote,
    QuoteLine,
    QuoteStatus,
    User,
)
from contacts.rules import normalize_phone
from contacts.state import DETAIL_FIELDS, own_phone_is_mobile, verdict
from contacts.text import search_key

CLIENTS = 200
CONTACTS_PER_CLIENT = 20
QUOTES = 1000
LINES_PER_QUOTE = 3
USERS = 20
PARTNER_NAME = "Réseaux Atlantique"
SEED = 6

TABLES = ("enterprise", "contact", "quote", "quote_line", "contact_assignment", "app_user", "api_token")

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
    quote_ids: list[int] = field(default_factory=list)  # the 1,000 generated quotes (or the sample)
    drafts: dict[int, list[Assignment]] = field(default_factory=dict)  # draft quote -> its contacts (sampled)
    users: list[str] = field(default_factory=list)  # the tokens of the 20 users who may edit quotes
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


ENTERPRISE_COLUMNS = ("id", "name", "search_name", "kind", "partner_id")
CONTACT_COLUMNS = ("id", "enterprise_id", "last_name", "first_name", "email", "phone", "role", "search_text",
                   "missing", "phone_is_mobile")
QUOTE_COLUMNS = ("id", "reference", "partner_id", "client_id", "status", "version", "ordered_at")
LINE_COLUMNS = ("id", "quote_id", "product_id", "quantity")
ASSIGNMENT_COLUMNS = ("id", "quote_id", "contact_id", "source", "on_site", "delivery", "tracking",
                      "last_name", "first_name", "email", "phone", "role", "phone_is_mobile")
USER_COLUMNS = ("id", "username", "name", "email", "partner_id", "can_edit_quotes", "can_edit_contacts")
TOKEN_COLUMNS = ("id", "user_id", "token_hash")
NO_DETAILS = (None,) * 5


def _contacts_of(eid: int, i: int, first_id: int, rng: random.Random) -> list[tuple]:
    """The contacts of client i, as CONTACT_COLUMNS (details at [2:7])."""
    domain = f"client-{i + 1}.example.fr"
    rows = []
    for k in range(CONTACTS_PER_CLIENT):
        last, first = rng.choice(LAST_NAMES), rng.choice(FIRST_NAMES + [None])
        email = _email(first or "contact", last, domain)
        details = (last, first, email, _phone(rng, mobile=rng.random() < 0.6), rng.choice(ROLES))
        # With the verdict the service stores beside the details (contacts.state.verdict).
        rows.append((first_id + k, eid, *details, search_key(last, first, email),
                     *verdict(dict(zip(DETAIL_FIELDS, details))).values()))
    return rows


async def _generate(dataset: Dataset, scale: int, sample: int | None) -> list[tuple]:
    """The rows of each table: [(model, columns, rows)], in the order they can be written."""
    rng = random.Random(SEED)
    ids = await _next_ids()
    partner = await Enterprise.get(name=PARTNER_NAME, kind=EnterpriseKind.PARTNER)
    products = list(await Product.all().order_by("id"))
    partner_contacts = [(c.id, c.enterprise_id, c.last_name, c.first_name, c.email, c.phone, c.role)
                        for c in await Contact.filter(enterprise_id=partner.id).order_by("id") if c.phone and c.role]
    moment = now()
    clients, quote_count = CLIENTS * scale, QUOTES * scale
    kept = set(random.Random(SEED + 1).sample(range(quote_count), sample)) if sample else None

    enterprises, contacts, by_client = [], [], []
    for i in range(clients):
        eid = ids["enterprise"] + i
        name = f"{rng.choice(TRADES)} {rng.choice(LAST_NAMES)} {rng.choice(CITIES)} n°{i + 1}"
        enterprises.append((eid, name, search_key(name), EnterpriseKind.CLIENT, partner.id))
        by_client.append(_contacts_of(eid, i, ids["contact"] + len(contacts), rng))
        contacts.extend(by_client[-1])

    quotes, lines, assignments = [], [], []
    for i in range(quote_count):
        qid = ids["quote"] + i
        client = rng.randrange(clients)
        ordered = rng.random() < 0.1
        quotes.append((qid, f"BN-2026-{i + 1:05d}", partner.id, ids["enterprise"] + client,
                       QuoteStatus.ORDERED if ordered else QuoteStatus.DRAFT, rng.randrange(1, 12),
                       moment - timedelta(days=rng.randrange(1, 30)) if ordered else None))
        chosen = rng.sample(products, LINES_PER_QUOTE)
        for product in chosen:
            lines.append((ids["quote_line"] + len(lines), qid, product.id, rng.randrange(1, 4)))
        n = rng.randrange(3, 6)
        people: list[tuple[ContactSource, tuple | None, tuple]] = []
        if rng.random() < 0.2:
            people.append((ContactSource.PARTNER, rng.choice(partner_contacts), NO_DETAILS))
        if rng.random() < 0.1:
            last, first = rng.choice(LAST_NAMES), rng.choice(FIRST_NAMES)
            people.append((ContactSource.ADHOC, None, (last, first, _email(first, last, "prestataire.example.fr"),
                                                       _phone(rng, mobile=True), "Prestataire")))
        for contact in rng.sample(by_client[client], n - len(people)):
            people.append((ContactSource.CLIENT, contact, NO_DETAILS))
        rng.shuffle(people)
        functions = _functions(n, any(p.requires_on_site_contact for p in chosen),
                               any(p.requires_delivery_contact for p in chosen), rng)
        keep = kept is None or i in kept
        if keep:
            dataset.quote_ids.append(qid)
            for source, _, _ in people:
                dataset.examples.setdefault(f"{source.value.lower()} {'ordered' if ordered else 'draft'}", qid)
        for (source, contact, details), fs in zip(people, functions):
            if ordered and contact is not None:  # the freeze of placeOrder
                details = contact[2:7]
            aid = ids["contact_assignment"] + len(assignments)
            assignments.append((aid, qid, contact[0] if contact else None, source,
                                ON_SITE in fs, DELIVERY in fs, TRACKING in fs, *details,
                                own_phone_is_mobile(dict(zip(DETAIL_FIELDS, details)))))
            if not ordered and keep:
                dataset.drafts.setdefault(qid, []).append(Assignment(aid, set(fs)))

    users = [(ids["app_user"] + i, f"bench-user-{i + 1:02d}", f"Utilisateur {i + 1}",
              f"bench-user-{i + 1:02d}@example.com", partner.id, True, True) for i in range(USERS)]
    tokens = [(ids["api_token"] + i, user[0], hash_token(user[1])) for i, user in enumerate(users)]
    dataset.users = [user[1] for user in users]  # the demo's rule: the token is the user name
    dataset.hot_quote = next(q for q, a in dataset.drafts.items() if len(a) >= 3)
    dataset.rows = {"enterprises": clients, "contacts": len(contacts), "quotes": quote_count, "quote lines": len(lines),
                    "assignments": len(assignments), "ordered quotes": sum(q[4] == QuoteStatus.ORDERED for q in quotes)}
    return [(Enterprise, ENTERPRISE_COLUMNS, enterprises), (Contact, CONTACT_COLUMNS, contacts),
            (Quote, QUOTE_COLUMNS, quotes), (QuoteLine, LINE_COLUMNS, lines),
            (ContactAssignment, ASSIGNMENT_COLUMNS, assignments), (User, USER_COLUMNS, users),
            (ApiToken, TOKEN_COLUMNS, tokens)]


async def _write(url: str, tables: list[tuple]) -> None:
    """In one transaction: COPY on PostgreSQL, the ORM's multi-row INSERTs on SQLite."""
    if url.startswith("postgres"):
        conn = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
        try:
            async with conn.transaction():
                for model, columns, rows in tables:
                    await copy_postgres(conn, model, columns, rows)
        finally:
            await conn.close()
        return
    async with in_transaction():
        for model, columns, rows in tables:
            await insert_orm(model, columns, rows)


async def _fix_sequences() -> None:
    conn = Tortoise.get_connection("default")
    if conn.capabilities.dialect == "postgres":
        for table in TABLES:
            await conn.execute_query(
                f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), (SELECT MAX(\"id\") FROM \"{table}\"))"
            )
        await conn.execute_script("ANALYZE")


async def build(url: str, *, scale: int = 1, sample: int | None = None) -> Dataset:
    """A fresh database at `url` (postgres://... recreated, sqlite://... file replaced) with
    the migrations, the demo data and the generated rows (`scale` times the usual; the loads
    use `sample` quotes drawn among them, or all)."""
    started = time.perf_counter()
    if url.startswith("postgres"):
        await fresh_postgres(url)
    elif url.startswith("sqlite://"):
        Path(url.removeprefix("sqlite://")).unlink(missing_ok=True)
    database = Database(url)
    await database.migrate()
    dataset = Dataset(url)
    await database.open()
    try:
        await load_demo()
        await _write(url, await _generate(dataset, scale, sample))
        await _fix_sequences()
    finally:
        await database.close()
        # Executors cache their INSERT statements by connection name: forget them before the
        # next backend.
        EXECUTOR_CACHE.clear()
    dataset.seconds = time.perf_counter() - started
    return dataset
