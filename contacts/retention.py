"""The retention period of personal data (additions/privacy, "Personal data"): the contacts kept
on orders placed more than PERSONAL_DATA_RETENTION_DAYS ago are erased, as an erasure on request
erases an order's copies (`contacts.personal_data.ERASE`): ad-hoc and frozen copies alike, their
functions kept, every history entry of the quote naming nobody, one CONTACT_ERASED entry per
copy whose actor is the retention period itself (null), a new version and a CONTACTS_EDITED
event per quote. Enterprise contacts stay: they are the partner's address book.

`purge` (the command line's `purge-personal-data`) works partner by partner, in batches of at
most `batch_size` quotes, each batch one short change through `run_change` (its own
transaction: no lock is kept from one batch to the next). A batch claims its quotes with
`FOR UPDATE SKIP LOCKED` on PostgreSQL, so that two purges at once (on two hosts) share the
work instead of doing it twice or waiting for each other; on SQLite every write transaction
takes the database's write lock at once (BEGIN IMMEDIATE), so batches take turns. Under the
claim, a batch reads again which copies are not erased yet: a copy already erased stays as it
is and is not counted twice. The last batches of a partner wait for the quotes that other
changes held (an order being erased on request), so that a run leaves nothing expired behind.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from contacts import db, history
from contacts.changes import Outcome, run_change
from contacts.events import EventBus, EventKind, QuoteEvent
from contacts.models import HistoryKind, QuoteStatus
from contacts.personal_data import erase_in_place

DEFAULT_RETENTION_DAYS = 1095  # three years
BATCH_SIZE = 100  # quotes per transaction (at most 10 contacts each)

ORDERED = QuoteStatus.ORDERED.value
# Per partner: how many copies not yet erased its orders placed before $1 hold.
EXPIRED = ('SELECT e."id", e."name", COUNT(a."id") FROM "enterprise" e JOIN "quote" q ON q."partner_id" = e."id" '
           f'JOIN "contact_assignment" a ON a."quote_id" = q."id" WHERE q."status" = \'{ORDERED}\' '
           'AND q."ordered_at" < $1 AND NOT a."erased" GROUP BY e."id", e."name" ORDER BY e."name", e."id"')
# A batch: at most $3 of the partner's ($1) orders placed before $2 that hold a copy not erased.
CLAIM = (f'SELECT q."id", q."client_id" FROM "quote" q WHERE q."partner_id" = $1 AND q."status" = \'{ORDERED}\' '
         'AND q."ordered_at" < $2 '
         'AND EXISTS (SELECT 1 FROM "contact_assignment" a WHERE a."quote_id" = q."id" AND NOT a."erased") '
         'ORDER BY q."id" LIMIT $3 FOR UPDATE OF q')
NOT_ERASED = 'SELECT "id", "quote_id" FROM "contact_assignment" WHERE "quote_id" IN ({ids}) AND NOT "erased" ORDER BY "id"'


def cutoff(start: datetime, days: int) -> datetime:
    """Orders placed before this moment are past the retention period: `days` before the start
    of the run (0: every order placed before the run)."""
    if days < 0:
        raise ValueError(f"the retention period is a number of days, 0 or more, not {days}")
    return start - timedelta(days=days)


@dataclass
class PartnerPurge:
    """One partner's line of the purge: its name and how many copies were (or would be) erased."""

    partner_id: int
    name: str
    assignments: int


async def expired(before: datetime) -> list[PartnerPurge]:
    """The partners whose orders placed before `before` hold copies not erased yet, by name,
    with their number: one statement."""
    return [PartnerPurge(row[0], row[1], int(row[2])) for row in await db.run(EXPIRED, before)]


@dataclass
class Batch:
    quotes: int  # quotes claimed
    assignments: int  # copies erased
    seconds: float  # from the claim to the commit


async def purge_batch(partner_id: int, before: datetime, size: int, *, bus: EventBus,
                      skip_locked: bool = True) -> Batch:
    """Erases the copies held by at most `size` of the partner's orders placed before `before`
    that still hold some, in one transaction; the quotes held by another transaction are left to
    it (`skip_locked`) or waited for."""
    started: list[float] = []

    async def work() -> Outcome:
        started[:] = [time.perf_counter()]
        claims = [tuple(row) for row in await db.run(CLAIM + (" SKIP LOCKED" if skip_locked else ""),
                                                      partner_id, before, size)]
        claimed = [quote_id for quote_id, _ in claims]
        rows = await db.run(NOT_ERASED, ids=claimed) if claimed else []
        if not rows:  # nothing left to erase on them (erased meanwhile by another purge)
            return Outcome(result=(len(claimed), 0))
        assignment_ids = [row[0] for row in rows]
        quote_ids = sorted({row[1] for row in rows})
        await history.forget_quotes(quote_ids)
        await erase_in_place(assignment_ids, quote_ids)
        return Outcome(
            history=[history.erased_change(quote_id, HistoryKind.CONTACT_ERASED, assignment_id)
                     for assignment_id, quote_id in sorted(rows, key=lambda row: (row[1], row[0]))],
            events=[QuoteEvent(EventKind.CONTACTS_EDITED, quote_id, None) for quote_id in quote_ids],
            partner_ids=(partner_id,), result=(len(claimed), len(rows)),
            enterprises=tuple(sorted({client for quote_id, client in claims if quote_id in quote_ids})),
        )

    outcome = await run_change(work, viewer=None, bus=bus, name="purgePersonalData")
    quotes, assignments = outcome.result
    return Batch(quotes, assignments, time.perf_counter() - started[0])


async def purge(before: datetime, *, bus: EventBus, batch_size: int = BATCH_SIZE, dry_run: bool = False,
                on_batch: Callable[[PartnerPurge, Batch], None] | None = None) -> list[PartnerPurge]:
    """Erases the copies held by the orders placed before `before`, partner by partner, in
    batches; answers each partner's line (what it erased; with `dry_run`, what it would erase,
    changing nothing). A partner whose copies another purge erased meanwhile counts 0."""
    found = await expired(before)
    if dry_run:
        return found
    done = []
    for partner in found:
        erased = PartnerPurge(partner.partner_id, partner.name, 0)
        for skip_locked in (True, False):
            while True:
                batch = await purge_batch(partner.partner_id, before, batch_size, bus=bus, skip_locked=skip_locked)
                erased.assignments += batch.assignments
                if on_batch is not None and batch.quotes:
                    on_batch(erased, batch)
                if batch.quotes < batch_size:
                    break
        done.append(erased)
    return done
