"""A quote's contact history: who changed what, and when.

Every change of a quote's contact list is written here in the transaction of the change, by
the one place every change goes through (`contacts.changes.run_change`): an entry never exists
without its change, nor a change without its entries, also when a change is retried or its
process is killed. A command says what it changed, in order, as `Change`s; this module names
the contact as it was then and writes one row per entry. Read newest first, by pages.

Once a person's data is erased (contacts/personal_data.py), the entries about them are marked
`erased` and lose the contact's name, email and id (`forget_about`, `forget_quotes`): what is
left names nobody, and is read with a placeholder for the name.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from contacts import db
from contacts.models import ContactAssignment, HistoryKind, QuoteHistoryEntry
from contacts.reads import cols
from contacts.rules import FUNCTIONS, SINGLE_HOLDER, Function
from contacts.state import details_of, functions_of

MAX_PAGE = 100


@dataclass(frozen=True)
class Change:
    """One history entry to write."""

    quote_id: int
    kind: HistoryKind
    assignment_id: int | None = None
    function: Function | None = None
    contact_name: str | None = None
    contact_id: int | None = None
    email: str | None = None
    erased: bool = False  # about a person whose data is erased: no name, email nor contact id


def erased_change(quote_id: int, kind: HistoryKind, assignment_id: int) -> Change:
    """An entry about an assignment whose person's data is being erased."""
    return Change(quote_id, kind, assignment_id, erased=True)


def name_of(details: Mapping[str, str | None]) -> str:
    """How an entry names a contact: first name and last name, or the last name alone."""
    first, last = (details.get("first_name") or "").strip(), (details.get("last_name") or "").strip()
    return f"{first} {last}" if first else last


def about(assignment: ContactAssignment) -> dict:
    """What an entry keeps of an assignment's contact, as it shows now (the enterprise
    contact must have been loaded with it)."""
    details = details_of(assignment)
    email = details.get("email")
    return {
        "assignment_id": assignment.id,
        "contact_name": name_of(details),
        "contact_id": assignment.contact_id,
        "email": email.strip().lower() if email else None,
    }


def of_assignment(kind: HistoryKind, assignment: ContactAssignment, function: Function | None = None) -> Change:
    return Change(assignment.quote_id, kind, function=function, **about(assignment))


def function_moves(
    before: Mapping[int, frozenset[Function]], after: Mapping[int, frozenset[Function]], target: int,
) -> list[tuple[HistoryKind, int, Function]]:
    """(kind, assignment id, function) of each entry of functions moving, from `before` to
    `after` (the rules' answer): for each function in the order ON_SITE, DELIVERY, TRACKING, the
    target's untick, or the other contact's untick (ON_SITE, DELIVERY moving away from it) just
    before the target's tick."""
    moves: list[tuple[HistoryKind, int, Function]] = []
    for function in FUNCTIONS:
        had, has = function in before.get(target, frozenset()), function in after.get(target, frozenset())
        if had and not has:
            moves.append((HistoryKind.FUNCTION_UNTICKED, target, function))
        elif has and not had:
            if function in SINGLE_HOLDER:
                for other, functions in after.items():
                    if other != target and function in before.get(other, frozenset()) and function not in functions:
                        moves.append((HistoryKind.FUNCTION_UNTICKED, other, function))
            moves.append((HistoryKind.FUNCTION_TICKED, target, function))
    return moves


def function_changes(
    before: Mapping[int, frozenset[Function]], after: Mapping[int, frozenset[Function]],
    assignments: Mapping[int, ContactAssignment], target: int,
) -> list[Change]:
    """The entries of `function_moves`, each naming its contact as it shows now."""
    return [of_assignment(kind, assignments[moved], function)
            for kind, moved, function in function_moves(before, after, target)]


def functions_by_id(assignments: Iterable[ContactAssignment]) -> dict[int, frozenset[Function]]:
    return {a.id: functions_of(a) for a in assignments}


INSERT = (
    'INSERT INTO "quote_history" ("quote_id", "at", "kind", "actor", "contact_name", "contact_id", "email", '
    '"assignment_id", "function", "erased") VALUES {rows}'
)
COLUMNS = 10
# Rows per INSERT: a change of many quotes (an erasure) stays under the databases' limits on
# parameters per statement (SQLite 32766, PostgreSQL 32767).
ROWS_PER_STATEMENT = 500


async def write(changes: Sequence[Change], actor: str | None, at: datetime) -> None:
    """The entries of a change, in the order given (their ids keep it): one statement, or one
    per ROWS_PER_STATEMENT entries."""
    for start in range(0, len(changes), ROWS_PER_STATEMENT):
        values: list = []
        rows = []
        for change in changes[start:start + ROWS_PER_STATEMENT]:
            first = len(values)
            rows.append("(" + ", ".join(f"${first + i}" for i in range(1, COLUMNS + 1)) + ")")
            values += [change.quote_id, at, change.kind.value, actor, change.contact_name, change.contact_id,
                       change.email, change.assignment_id, change.function.value if change.function else None,
                       change.erased]
        await db.run(INSERT.format(rows=", ".join(rows)), *values)


# Forgetting a person: the entry keeps what happened (its kind, function, assignment, actor and
# time), not whom it happened to.
_FORGET = ('UPDATE "quote_history" SET "erased" = TRUE, "contact_name" = NULL, "email" = NULL, "contact_id" = NULL '
           'WHERE "quote_id" IN ')
FORGET_ABOUT = _FORGET + '(SELECT "id" FROM "quote" WHERE "partner_id" = $1) AND ("email" = $2{contacts})'
FORGET_ASSIGNMENTS = _FORGET + '(SELECT "id" FROM "quote" WHERE "partner_id" = $1) AND "assignment_id" IN ({ids})'
FORGET_QUOTES = _FORGET + f'({{ids}}) AND "kind" <> \'{HistoryKind.ORDER_PLACED.value}\''


async def forget_about(partner_id: int, email: str, contact_ids: Sequence[int], assignment_ids: Sequence[int]) -> None:
    """Every entry of the partner's quotes about the person: written with that email (in lower
    case), about one of their enterprise contacts, or about one of their assignments (also one
    removed earlier, found by its email or contact)."""
    contacts = ' OR "contact_id" IN ({ids})' if contact_ids else ""
    await db.run(FORGET_ABOUT.format(contacts=contacts), partner_id, email, ids=contact_ids)
    await db.run_each(FORGET_ASSIGNMENTS, partner_id, ids=assignment_ids)


async def forget_quotes(quote_ids: Sequence[int]) -> None:
    """Every entry that names a contact on these quotes (all but ORDER_PLACED)."""
    await db.run_each(FORGET_QUOTES, ids=quote_ids)


async def page(quote_id: int, first: int, after: int | None) -> list[QuoteHistoryEntry]:
    """Up to `first` + 1 entries of a quote, newest first, from before the entry `after` (the
    page goes on from it even when newer ones were written since): one statement."""
    if after is None:
        rows = await db.run(f'SELECT {cols(QuoteHistoryEntry, "h")} FROM "quote_history" h WHERE h."quote_id" = $1 '
                            'ORDER BY h."id" DESC LIMIT $2', quote_id, first + 1)
    else:
        rows = await db.run(f'SELECT {cols(QuoteHistoryEntry, "h")} FROM "quote_history" h WHERE h."quote_id" = $1 '
                            'AND h."id" < $2 ORDER BY h."id" DESC LIMIT $3', quote_id, after, first + 1)
    return db.rows_as(QuoteHistoryEntry, rows)
