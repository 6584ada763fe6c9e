"""How fast the retention period's purge erases, and how long each of its transactions holds its
locks (contacts/retention.py), on PostgreSQL and SQLite. Not part of `make bench`:

    .venv/bin/python -m bench.purge [--orders 5000] [--batch-size 100 500]

For each backend and batch size: a fresh database with the benchmark's dataset
(bench/dataset.py), plus `--orders` orders placed four years ago, each with four frozen copies
and the history of its draft (a contact added and a function ticked per copy, the order placed:
nine entries); then one purge of everything past the period, as `purge-personal-data` runs it.
Printed: copies erased per second, and each batch's time from its claim to its commit (the
time its orders stay locked), median, 95th percentile and longest.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from datetime import timedelta

from tortoise.backends.base.executor import EXECUTOR_CACHE
from tortoise.timezone import now

from bench.dataset import PARTNER_NAME, build
from contacts import retention
from contacts.db import Database
from contacts.events import MemoryBus
from contacts.models import (
    ContactAssignment,
    ContactSource,
    Enterprise,
    EnterpriseKind,
    HistoryKind,
    Quote,
    QuoteHistoryEntry,
    QuoteStatus,
)

COPIES = 4


async def expired_orders(count: int) -> int:
    """`count` orders placed four years ago, with their copies and history; the copies' number."""
    partner = await Enterprise.get(name=PARTNER_NAME, kind=EnterpriseKind.PARTNER)
    client = await Enterprise.filter(partner_id=partner.id).order_by("id").first()
    placed = now() - timedelta(days=4 * 365)
    await Quote.bulk_create([Quote(reference=f"OLD-{i:06d}", partner_id=partner.id, client_id=client.id,
                                   status=QuoteStatus.ORDERED, ordered_at=placed) for i in range(count)],
                            batch_size=1000)
    quotes = [q.id for q in await Quote.filter(reference__startswith="OLD-").order_by("id")]
    copies = [ContactAssignment(quote_id=q, source=ContactSource.ADHOC, tracking=i == 0, on_site=i == 1,
                                last_name=f"Nom{q}-{i}", first_name="Prénom", email=f"p{q}.{i}@example.fr",
                                phone="+33612345678", role="Gardien") for q in quotes for i in range(COPIES)]
    await ContactAssignment.bulk_create(copies, batch_size=1000)
    rows = await ContactAssignment.filter(quote_id__in=quotes).values_list("id", "quote_id", "last_name", "email")
    entries = []
    for assignment_id, quote_id, name, email in rows:
        for kind in (HistoryKind.CONTACT_ADDED, HistoryKind.FUNCTION_TICKED):
            entries.append(QuoteHistoryEntry(quote_id=quote_id, at=placed, kind=kind, actor="Alice Durand",
                                             contact_name=name, email=email, assignment_id=assignment_id,
                                             function="TRACKING" if kind == HistoryKind.FUNCTION_TICKED else None))
    entries += [QuoteHistoryEntry(quote_id=q, at=placed, kind=HistoryKind.ORDER_PLACED, actor="Alice Durand")
                for q in quotes]
    await QuoteHistoryEntry.bulk_create(entries, batch_size=1000)
    return len(rows)


async def measure(url: str, orders: int, batch_size: int) -> str:
    await build(url)
    database = Database(url)
    await database.open()
    try:
        copies = await expired_orders(orders)
        batches: list[float] = []
        started = time.perf_counter()
        done = await retention.purge(retention.cutoff(now(), retention.DEFAULT_RETENTION_DAYS), bus=MemoryBus(),
                                     batch_size=batch_size, on_batch=lambda partner, batch: batches.append(batch.seconds))
        seconds = time.perf_counter() - started
    finally:
        await database.close()
        EXECUTOR_CACHE.clear()  # the ORM's INSERTs are cached by connection name: not for the next backend
    erased = sum(p.assignments for p in done)
    assert erased == copies, (erased, copies)
    ms = sorted(b * 1000 for b in batches)
    p95 = ms[min(len(ms) - 1, int(len(ms) * 0.95))]
    return (f"| {'PostgreSQL' if url.startswith('postgres') else 'SQLite'} | {batch_size} | {erased:,} | {len(ms)} | "
            f"{seconds:.2f} | {erased / seconds:,.0f} | {statistics.median(ms):.1f} | {p95:.1f} | {ms[-1]:.1f} |")


async def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.purge", description=__doc__)
    parser.add_argument("--orders", type=int, default=5000)
    parser.add_argument("--batch-size", type=int, nargs="+", default=[retention.BATCH_SIZE])
    parser.add_argument("--postgres", default=os.environ.get("TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test"),
                        help="a PostgreSQL server's URL; the benchmark uses its database bench_purge")
    args = parser.parse_args()
    postgres = args.postgres.rpartition("/")[0] + "/bench_purge"
    print(f"{args.orders:,} orders of {COPIES} copies past the period, 9 history entries each; "
          "batch times from the claim to the commit")
    print("| database | batch size (orders) | copies erased | batches | seconds | copies/s | batch ms, median | p95 | longest |")
    print("|---|--:|--:|--:|--:|--:|--:|--:|--:|")
    with tempfile.TemporaryDirectory() as folder:
        for size in args.batch_size:
            for url in (postgres, f"sqlite://{folder}/bench-{size}.sqlite3"):
                print(await measure(url, args.orders, size), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
