"""One runner for every change: a write transaction, retried when it must be, its events
published once it is committed.

A command hands `run_change` its work: a function that locks what it depends on, checks in the
contract's order (visible, else NOT_FOUND; then the permission, else FORBIDDEN; then a draft,
else QUOTE_NOT_EDITABLE; then the input and the rules, all at once) and writes, or refuses with
its problems. Nothing is stored when it refuses; what it changed is written to the quotes'
history in the same transaction (contacts/history.py); nothing is published before the commit.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from tortoise.exceptions import IntegrityError
from tortoise.timezone import now

from contacts import db, history
from contacts.auth import Viewer
from contacts.dependencies import Versions, raise_versions
from contacts.events import EventBus, EventKind, QuoteEvent
from contacts.history import Change
from contacts.models import ContactAssignment, Quote
from contacts.rules import Problem

log = logging.getLogger("contacts.changes")

ATTEMPTS = 3


@dataclass
class Outcome:
    """What a command did: the quote (or enterprise) to show (None when not found), what it
    changed, the events to publish once committed, and every problem that refused it. A
    suggestion applied also says which assignments it added or gave a function (`applied`)
    and what it did not apply (`skipped`: kept when it is refused too, to say why)."""

    quote_id: int | None = None
    assignment_id: int | None = None
    contact_id: int | None = None
    enterprise_id: int | None = None
    problems: list[Problem] = field(default_factory=list)
    applied: list[int] = field(default_factory=list)
    skipped: list[Problem] = field(default_factory=list)
    events: list[QuoteEvent] = field(default_factory=list)
    # What changed on each quote's contact list, in order: its history entries.
    history: list[Change] = field(default_factory=list)
    # The quote and its contact list as this change committed them (read under the quote's
    # lock, then changed as stored): the payload shows them without reading them again.
    committed: tuple[Quote, list[ContactAssignment]] | None = None
    # The partners whose data version the change raises, for a change made by the service
    # itself (no viewer: the retention period); a viewer's change raises its partner's.
    partner_ids: tuple[int, ...] = ()
    # The enterprises whose contacts version it raises (contacts/dependencies.py): the client
    # of a quote changed, the enterprise of a contact or defaults changed; None for all the
    # partner's. `raised`: the versions it committed.
    enterprises: tuple[int, ...] | None = None
    raised: Versions | None = None
    # What else a command answers (an erasure's counts: contacts.personal_data.Erasure).
    result: object = None

    @property
    def ok(self) -> bool:
        return not self.problems


def refused(*problems: Problem, quote_id: int | None = None, contact_id: int | None = None,
            enterprise_id: int | None = None) -> Outcome:
    return Outcome(quote_id=quote_id, contact_id=contact_id, enterprise_id=enterprise_id, problems=list(problems))


def event(kind: EventKind, quote_id: int, viewer: Viewer, assignment_id: int | None = None) -> QuoteEvent:
    return QuoteEvent(kind, quote_id, viewer.name, assignment_id)


def unique_violation(error: IntegrityError) -> str | None:
    """Which of the contact list's unique indexes an IntegrityError hit: "contact" for an
    enterprise contact twice on a quote, "function" for a second ON_SITE or DELIVERY holder.

    PostgreSQL (asyncpg) names the index and details the key; SQLite names the columns."""
    cause = error.args[0] if error.args else None
    text = " ".join(
        str(part) for part in (error, cause, getattr(cause, "constraint_name", None), getattr(cause, "detail", None)) if part
    )
    if "uniq_assignment_on_site" in text or "uniq_assignment_delivery" in text:
        return "function"
    if "contact_assignment.contact_id" in text or "(quote_id, contact_id)" in text:
        return "contact"
    if "contact_assignment.quote_id" in text:  # SQLite names a partial index by its columns
        return "function"
    return None


def is_transient(error: Exception) -> bool:
    """A deadlock or serialisation failure (PostgreSQL), or the SQLite file still locked by
    another process after the busy timeout: the transaction was rolled back and may be re-run."""
    sqlstate = getattr(error, "sqlstate", None) or getattr(error.__cause__, "sqlstate", None)
    return sqlstate in ("40001", "40P01") or "database is locked" in str(error)


async def run_change(
    work: Callable[[], Awaitable[Outcome]], *, viewer: Viewer | None, bus: EventBus, name: str,
    on_collision: Outcome | None = None,
) -> Outcome:
    """Runs `work` in a write transaction; publishes its events once committed. The viewer is
    the actor of its history entries; None for what the service does by itself (the history
    then names the retention period), whose outcome says which partners' data it changed.

    The locks make concurrent changes of a quote take turns, so the rules always see the state
    the previous change left. The unique indexes are a second wall: should a change still hit
    one (a race the locks did not cover), the transaction is rolled back, nothing is stored
    and nothing published, and the change is run again on what is now there, which gives the
    rules' own answer (CONTACT_ALREADY_ON_QUOTE, or the radio behaviour of ON_SITE and
    DELIVERY). A deadlock or a locked SQLite file is retried the same way. Should the same
    enterprise contact still collide on the last attempt, the answer is `on_collision`;
    anything else that persists is a bug (masked, and logged).
    """
    for attempt in range(1, ATTEMPTS + 1):
        try:
            async with db.write_transaction():
                outcome = await work()
                if outcome.ok:
                    await history.write(outcome.history, viewer.name if viewer else None, now())
                    # Last, so that the enterprises' rows are locked only until the commit.
                    outcome.raised = await raise_versions(
                        outcome.partner_ids if viewer is None else (viewer.partner_id,), outcome.enterprises)
        except IntegrityError as error:
            violated = unique_violation(error)
            log.warning("attempt %d of %s hit a unique index (%s): %s", attempt, name, violated, error)
            if attempt == ATTEMPTS:
                if violated == "contact" and on_collision is not None:
                    return on_collision
                raise
        except Exception as error:
            if attempt == ATTEMPTS or not is_transient(error):
                raise
            log.warning("attempt %d of %s rolled back: %s", attempt, name, error)
        else:
            if outcome.ok:
                for each in outcome.events:
                    await bus.publish(each)
                log.debug("%s committed (attempt %d): %d history entries, %d events", name, attempt,
                          len(outcome.history), len(outcome.events))
            return outcome
        await asyncio.sleep(0.005 * attempt)
    raise AssertionError("unreachable")
