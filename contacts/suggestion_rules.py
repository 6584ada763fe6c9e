"""The rules of default contacts and suggestions, each written once.

Pure: no database, no GraphQL. A suggestion is a ready-made contact list for a draft: the
client's default contacts, or the list of an earlier quote of the same client. Reading the
suggestions (`Quote.contactSuggestions`, each entry's `problems`) and applying one
(`applyContactSuggestion`) call the same function, so what a page offers is what applying does:

- `apply_suggestion`: in the source's order, which contacts are added with which functions,
  which functions are ticked on contacts already there, and why the rest is not applied. It
  never removes a contact nor unticks a function, and never leaves a contact without one;
- `defaults_problems`: why a list cannot be a client's default contacts (all at once).

The problems name their contact (`Problem.name`, `Problem.contact_id`): a page shows them
contact by contact.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from contacts.rules import (
    FUNCTIONS,
    MAX_CONTACTS_PER_QUOTE,
    MAX_PER_FUNCTION,
    SINGLE_HOLDER,
    Code,
    ContactField,
    Function,
    Problem,
    Slot,
)


def display_name(last_name: str | None, first_name: str | None) -> str:
    """How a message names a contact: first name, a space, last name ("Éric Dupont"); the last
    name alone when there is no first name."""
    return " ".join(part for part in (first_name, last_name) if part)


@dataclass(frozen=True)
class Entry:
    """A contact of a suggestion's source, as the rules see it.

    `contact_id` is set for an enterprise contact (its details as they are now), None for an
    ad-hoc contact of an earlier quote (its own details; found on the draft by `email`)."""

    last_name: str
    first_name: str | None
    functions: frozenset[Function]
    contact_id: int | None = None
    email: str | None = None
    missing: tuple[ContactField, ...] = ()  # what it lacks now before it can go on a quote
    eligible: bool = True  # an enterprise contact of the quote's client or of its partner

    @property
    def name(self) -> str:
        return display_name(self.last_name, self.first_name)


@dataclass(frozen=True)
class Listed:
    """A contact on the draft, as the rules see it: its slot, and who it is."""

    slot: Slot
    contact_id: int | None = None
    email: str | None = None  # an ad-hoc contact's


def _email_key(email: str | None) -> str | None:
    return email.strip().casefold() if email and email.strip() else None


@dataclass
class Plan:
    """What applying a suggestion does now: `added` (the index of each entry added, in the
    source's order, with the functions it gets), `ticked` (each contact already on the quote
    that gains functions: its functions after), `applied` (the slots added or ticked, in the
    source's order: a new contact's is negative, -1 for the first added), and `problems`, one
    list per entry (empty: the entry is applied whole)."""

    added: list[tuple[int, frozenset[Function]]] = field(default_factory=list)
    ticked: dict[int, frozenset[Function]] = field(default_factory=dict)
    applied: list[int] = field(default_factory=list)
    problems: list[list[Problem]] = field(default_factory=list)

    @property
    def applies(self) -> bool:
        """Whether applying adds or ticks at least one thing."""
        return bool(self.added or self.ticked)

    @property
    def skipped(self) -> list[Problem]:
        """Everything not applied, in the source's order."""
        return [problem for problems in self.problems for problem in problems]


def apply_suggestion(entries: Sequence[Entry], listed: Iterable[Listed]) -> Plan:
    """Applies a suggestion's entries, in order, to a draft's contact list.

    An entry already on the quote (the same enterprise contact; for an ad-hoc entry, an ad-hoc
    contact with the same email, ignoring case) gets the functions it lacks that are free. Any
    other entry is added, when it can be, with its functions that are free; one with none free
    is not added. A function is free when ON_SITE or DELIVERY is held by no one, when TRACKING
    has fewer than three holders: a suggestion never takes a function from anyone, and each
    entry sees the list as the entries before it left it. Every reason for not applying an
    entry, or one of its functions, is a problem of that entry, naming its contact.
    """
    plan = Plan()
    functions = {item.slot.id: item.slot.functions for item in listed}
    by_contact = {item.contact_id: item.slot.id for item in listed if item.contact_id is not None}
    by_email = {}
    for item in listed:
        key = _email_key(item.email) if item.contact_id is None else None
        if key is not None:
            by_email.setdefault(key, item.slot.id)
    holders = Counter(f for held in functions.values() for f in held)
    count = len(functions)
    next_new = -1  # planned contacts have negative ids until they are stored

    for index, entry in enumerate(entries):
        def problem(code: Code, function: Function | None = None, limit: int | None = None) -> Problem:
            return Problem(code, function=function, limit=limit, contact_id=entry.contact_id, name=entry.name)

        found = by_contact.get(entry.contact_id) if entry.contact_id is not None else by_email.get(_email_key(entry.email))
        blocked = []
        if not entry.functions:
            blocked.append(problem(Code.CONTACT_WITHOUT_FUNCTION))
        if found is None:
            if not entry.eligible:
                blocked.append(problem(Code.CONTACT_NOT_ELIGIBLE))
            if entry.missing:
                blocked.append(problem(Code.CONTACT_INCOMPLETE))
            if count >= MAX_CONTACTS_PER_QUOTE:
                blocked.append(problem(Code.QUOTE_CONTACT_LIMIT, limit=MAX_CONTACTS_PER_QUOTE))
        if blocked:
            plan.problems.append(blocked)
            continue

        has = functions[found] if found is not None else frozenset()
        free, refused = [], []
        for function in FUNCTIONS:
            if function not in entry.functions or function in has:
                continue
            if holders[function] < MAX_PER_FUNCTION[function]:
                free.append(function)
            elif function in SINGLE_HOLDER:
                refused.append(problem(Code.FUNCTION_TAKEN, function))
            else:
                refused.append(problem(Code.TRACKING_CONTACT_LIMIT, function))
        if found is not None and not free and not refused:
            refused.append(problem(Code.CONTACT_ALREADY_ON_QUOTE))
        plan.problems.append(refused)
        if not free:
            continue
        holders.update(free)
        if found is not None:
            functions[found] = has | frozenset(free)
            if found < 0:  # added by an earlier entry of this suggestion: it gets them at once
                position = -found - 1
                plan.added[position] = (plan.added[position][0], functions[found])
            else:
                plan.ticked[found] = functions[found]
            if found not in plan.applied:
                plan.applied.append(found)
            continue
        functions[next_new] = frozenset(free)
        if entry.contact_id is not None:
            by_contact[entry.contact_id] = next_new
        elif (key := _email_key(entry.email)) is not None:
            by_email.setdefault(key, next_new)
        plan.added.append((index, frozenset(free)))
        plan.applied.append(next_new)
        count += 1
        next_new -= 1
    return plan


# --- A client's default contacts ----------------------------------------------------------


@dataclass(frozen=True)
class DefaultEntry:
    """One contact of a client's default contacts as given: who it is, its functions, and
    whether it may be one (the client's or the partner's, complete)."""

    contact_id: int
    name: str
    functions: Sequence[Function]
    eligible: bool = True
    missing: tuple[ContactField, ...] = ()


def defaults_problems(entries: Sequence[DefaultEntry]) -> list[Problem]:
    """Every reason the list cannot be a client's default contacts, at once: at most 10
    contacts (once, on the list); each contact eligible, complete, listed once (on each
    repeat) and with a function; over the list, at most one ON_SITE and one DELIVERY
    (FUNCTION_TAKEN) and three TRACKING (TRACKING_CONTACT_LIMIT), on each entry past the
    limit. `field` is a place in the list: ("defaults", 2, "contact"), ("defaults", 2,
    "functions")."""
    problems: list[Problem] = []
    if len(entries) > MAX_CONTACTS_PER_QUOTE:
        problems.append(Problem(Code.QUOTE_CONTACT_LIMIT, field=("defaults",), limit=MAX_CONTACTS_PER_QUOTE))
    seen: set[int] = set()
    holders: Counter[Function] = Counter()
    for index, entry in enumerate(entries):
        at_contact, at_functions = ("defaults", index, "contact"), ("defaults", index, "functions")

        def problem(code: Code, at: tuple, function: Function | None = None) -> Problem:
            return Problem(code, field=at, function=function, contact_id=entry.contact_id, name=entry.name)

        if not entry.eligible:
            problems.append(problem(Code.CONTACT_NOT_ELIGIBLE, at_contact))
        if entry.missing:
            problems.append(problem(Code.CONTACT_INCOMPLETE, at_contact))
        if entry.contact_id in seen:
            problems.append(problem(Code.CONTACT_ALREADY_ON_QUOTE, at_contact))
        seen.add(entry.contact_id)
        given = frozenset(entry.functions)
        if not given:
            problems.append(problem(Code.CONTACT_WITHOUT_FUNCTION, at_functions))
        for function in FUNCTIONS:
            if function not in given:
                continue
            holders[function] += 1
            if holders[function] > MAX_PER_FUNCTION[function]:
                code = Code.FUNCTION_TAKEN if function in SINGLE_HOLDER else Code.TRACKING_CONTACT_LIMIT
                problems.append(problem(code, at_functions, function))
    return problems
