"""The contact rules of step 2 ("informations complémentaires"), each written once.

Pure: no database, no GraphQL. `Quote.contactValidation`, the eligible-contact lists and
every mutation call these functions, so that a rule of the seed page lives in one place:

- `requirements`: how many contacts each function needs on a quote (from its products);
- `validate`: the blocking errors and the PHONE_NOT_MOBILE warnings (placeOrder refuses
  while an error stands);
- `set_function`: ticking a box, with the radio behaviour of ON_SITE and DELIVERY and the
  limit of three TRACKING contacts;
- `add_problems`: why an enterprise contact cannot be added to a quote now;
- `missing_fields` and `clean_contact_fields`: what a contact lacks, and typed-in details
  checked and normalised (E.164 phones, emails, lengths).

One idea, the rules of the help page, kept in one file (a little over 300 lines) so that each
is found by its name; tests/unit/test_rules.py mirrors it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from contacts.text import tidy


class Function(str, Enum):
    ON_SITE = "ON_SITE"
    DELIVERY = "DELIVERY"
    TRACKING = "TRACKING"


FUNCTIONS = (Function.ON_SITE, Function.DELIVERY, Function.TRACKING)
# ON_SITE and DELIVERY belong to one contact at a time, like radio buttons.
SINGLE_HOLDER = frozenset({Function.ON_SITE, Function.DELIVERY})


class Code(str, Enum):
    CONTACT_WITHOUT_FUNCTION = "CONTACT_WITHOUT_FUNCTION"
    ON_SITE_CONTACT_REQUIRED = "ON_SITE_CONTACT_REQUIRED"
    DELIVERY_CONTACT_REQUIRED = "DELIVERY_CONTACT_REQUIRED"
    TRACKING_CONTACT_REQUIRED = "TRACKING_CONTACT_REQUIRED"
    TRACKING_CONTACT_LIMIT = "TRACKING_CONTACT_LIMIT"
    CONTACT_INCOMPLETE = "CONTACT_INCOMPLETE"
    CONTACT_ALREADY_ON_QUOTE = "CONTACT_ALREADY_ON_QUOTE"
    CONTACT_NOT_ELIGIBLE = "CONTACT_NOT_ELIGIBLE"
    QUOTE_CONTACT_LIMIT = "QUOTE_CONTACT_LIMIT"
    QUOTE_NOT_EDITABLE = "QUOTE_NOT_EDITABLE"
    NOT_FOUND = "NOT_FOUND"
    FORBIDDEN = "FORBIDDEN"
    REQUIRED = "REQUIRED"
    INVALID_EMAIL = "INVALID_EMAIL"
    INVALID_PHONE = "INVALID_PHONE"
    TOO_LONG = "TOO_LONG"
    PHONE_NOT_MOBILE = "PHONE_NOT_MOBILE"
    FUNCTION_TAKEN = "FUNCTION_TAKEN"
    SUGGESTION_EMPTY = "SUGGESTION_EMPTY"


class ContactField(str, Enum):
    LAST_NAME = "LAST_NAME"
    FIRST_NAME = "FIRST_NAME"
    EMAIL = "EMAIL"
    PHONE = "PHONE"
    ROLE = "ROLE"


MAX_CONTACTS_PER_QUOTE = 10
MAX_PER_FUNCTION = {Function.ON_SITE: 1, Function.DELIVERY: 1, Function.TRACKING: 3}
PHONE_REGION = "FR"

# Contact detail fields: their ContactField and their length limit (as typed).
FIELDS = {
    "last_name": (ContactField.LAST_NAME, 100),
    "first_name": (ContactField.FIRST_NAME, 100),
    "email": (ContactField.EMAIL, 254),
    "phone": (ContactField.PHONE, 40),
    "role": (ContactField.ROLE, 100),
}
# What a contact needs before it can go on a quote (first name is optional).
REQUIRED_FOR_QUOTE = ("last_name", "email", "phone", "role")


@dataclass(frozen=True)
class Problem:
    """One broken rule: a code, and what it is about. `field` names what was given wrong, in
    the domain's words (a command's argument, `("contact",)`, `("last_name",)`, or a place in
    a list, `("defaults", 2, "functions")`); the GraphQL layer turns it into an input path.
    `contact_id` and `name` say which contact it is about, when the message names it (the
    rules of suggestions and default contacts, `contacts.suggestion_rules`)."""

    code: Code
    field: tuple[str | int, ...] | None = None
    assignment_id: int | None = None
    function: Function | None = None
    limit: int | None = None
    contact_id: int | None = None
    name: str | None = None


@dataclass(frozen=True)
class Slot:
    """An assignment as the rules see it."""

    id: int
    functions: frozenset[Function]
    phone_is_mobile: bool = True


@dataclass(frozen=True)
class LineNeeds:
    """A quote line as the rules see it: which contacts its product needs."""

    id: int
    on_site: bool
    delivery: bool


@dataclass(frozen=True)
class Requirement:
    function: Function
    min: int
    max: int
    count: int
    required_by: tuple[int, ...]

    @property
    def is_required(self) -> bool:
        return self.min > 0


# --- Requirements and validation -------------------------------------------------------


def requirements(lines: Iterable[LineNeeds], slots: Iterable[Slot]) -> list[Requirement]:
    """For ON_SITE, DELIVERY and TRACKING in that order: min, max and current count."""
    lines = list(lines)
    slots = list(slots)
    needed_by = {
        Function.ON_SITE: tuple(line.id for line in lines if line.on_site),
        Function.DELIVERY: tuple(line.id for line in lines if line.delivery),
        Function.TRACKING: (),
    }
    result = []
    for function in FUNCTIONS:
        required = function == Function.TRACKING or bool(needed_by[function])
        result.append(
            Requirement(
                function=function,
                min=1 if required else 0,
                max=MAX_PER_FUNCTION[function],
                count=sum(1 for slot in slots if function in slot.functions),
                required_by=needed_by[function],
            )
        )
    return result


_REQUIRED_CODE = {
    Function.ON_SITE: Code.ON_SITE_CONTACT_REQUIRED,
    Function.DELIVERY: Code.DELIVERY_CONTACT_REQUIRED,
    Function.TRACKING: Code.TRACKING_CONTACT_REQUIRED,
}


def validate(reqs: Iterable[Requirement], slots: Iterable[Slot]) -> tuple[list[Problem], list[Problem]]:
    """The blocking errors and the warnings of a quote's contact list, in a stable order."""
    slots = list(slots)
    errors = [
        Problem(Code.CONTACT_WITHOUT_FUNCTION, assignment_id=slot.id)
        for slot in slots
        if not slot.functions
    ]
    warnings = []
    for req in reqs:
        if req.count < req.min:
            errors.append(Problem(_REQUIRED_CODE[req.function], function=req.function))
        if req.function == Function.TRACKING and req.count > req.max:
            errors.append(Problem(Code.TRACKING_CONTACT_LIMIT, function=req.function))
        if req.function in SINGLE_HOLDER:
            warnings.extend(
                Problem(Code.PHONE_NOT_MOBILE, assignment_id=slot.id, function=req.function)
                for slot in slots
                if req.function in slot.functions and not slot.phone_is_mobile
            )
    return errors, warnings


# --- Ticking functions -----------------------------------------------------------------


def set_function(
    slots: Iterable[Slot], target_id: int, function: Function, enabled: bool
) -> tuple[dict[int, frozenset[Function]], list[Problem]]:
    """Ticks or unticks `function` on the slot `target_id`.

    Returns the new functions of every slot that changes (the target, and the slot that
    loses ON_SITE or DELIVERY to it), or the problem that refuses the change.
    """
    slots = list(slots)
    target = next(slot for slot in slots if slot.id == target_id)
    if not enabled:
        if function not in target.functions:
            return {}, []
        return {target.id: target.functions - {function}}, []
    if function in target.functions:
        return {}, []
    changes = {target.id: target.functions | {function}}
    if function in SINGLE_HOLDER:
        for slot in slots:
            if slot.id != target.id and function in slot.functions:
                changes[slot.id] = slot.functions - {function}
    else:
        holders = sum(1 for slot in slots if function in slot.functions)
        if holders >= MAX_PER_FUNCTION[function]:
            return {}, [Problem(Code.TRACKING_CONTACT_LIMIT, function=function)]
    return changes, []


def set_functions(
    slots: Iterable[Slot], target_id: int, functions: Iterable[Function]
) -> tuple[dict[int, frozenset[Function]], list[Problem]]:
    """Ticks several functions on one slot, one after the other, under `set_function`."""
    current = {slot.id: slot for slot in slots}
    changes: dict[int, frozenset[Function]] = {}
    problems: list[Problem] = []
    for function in dict.fromkeys(functions):
        step, refused = set_function(current.values(), target_id, function, True)
        problems.extend(refused)
        for slot_id, new_functions in step.items():
            changes[slot_id] = new_functions
            current[slot_id] = Slot(slot_id, new_functions, current[slot_id].phone_is_mobile)
    return changes, problems


# --- Adding a contact ------------------------------------------------------------------


def add_problems(
    *,
    contact_missing: Iterable[ContactField],
    already_on_quote: bool,
    contacts_on_quote: int,
    quote_is_draft: bool = True,
    may_edit: bool = True,
) -> list[Problem]:
    """Every reason an enterprise contact cannot be added to a quote now."""
    problems = []
    if list(contact_missing):
        problems.append(Problem(Code.CONTACT_INCOMPLETE))
    if already_on_quote:
        problems.append(Problem(Code.CONTACT_ALREADY_ON_QUOTE))
    if contacts_on_quote >= MAX_CONTACTS_PER_QUOTE:
        problems.append(Problem(Code.QUOTE_CONTACT_LIMIT, limit=MAX_CONTACTS_PER_QUOTE))
    if not quote_is_draft:
        problems.append(Problem(Code.QUOTE_NOT_EDITABLE))
    if not may_edit:
        problems.append(Problem(Code.FORBIDDEN))
    return problems


# --- Contact details -------------------------------------------------------------------


@lru_cache(maxsize=4096)
def normalize_phone(raw: str) -> str | None:
    """The number in E.164 (French numbering by default), or None when it is not valid. A
    number with an extension (`+33 1 42 86 82 00 ext. 12`, `poste 12`) is not: E.164 has no
    place for it, and the extension would be lost silently."""
    try:
        number = phonenumbers.parse(raw, PHONE_REGION)
    except phonenumbers.NumberParseException:
        return None
    if number.extension or not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@lru_cache(maxsize=4096)
def is_mobile(phone: str | None) -> bool:
    """Whether a phone number reaches a mobile (landlines and invalid numbers do not)."""
    if not phone:
        return False
    try:
        number = phonenumbers.parse(phone, PHONE_REGION)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.number_type(number) in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    )


@lru_cache(maxsize=4096)
def normalize_email(raw: str) -> str | None:
    """The address in normal form, or None when it is not valid (no network look-up)."""
    try:
        return validate_email(raw, check_deliverability=False).normalized
    except EmailNotValidError:
        return None


def email_key(raw: str | None) -> str | None:
    """What an email is matched by when a person asks for their data (contacts.personal_data):
    the address without its surrounding spaces, in normal form and in lower case; None when it
    is not a valid address. A stored address matches when its own trimmed lower case is this."""
    text = tidy(raw) if isinstance(raw, str) else ""
    if not text or len(text) > FIELDS["email"][1]:
        return None
    normalized = normalize_email(text)
    return normalized.lower() if normalized is not None else None


def missing_fields(details: Mapping[str, str | None]) -> list[ContactField]:
    """What a stored contact lacks (empty or invalid) before it can go on a quote."""
    missing = []
    for name in REQUIRED_FOR_QUOTE:
        value = (details.get(name) or "").strip()
        if (
            not value
            or (name == "email" and normalize_email(value) is None)
            or (name == "phone" and normalize_phone(value) is None)
        ):
            missing.append(FIELDS[name][0])
    return missing


UNSET = object()


def clean_contact_fields(
    values: Mapping[str, object], *, required: Iterable[str]
) -> tuple[dict[str, str | None], list[Problem]]:
    """Checks typed-in contact details and returns them normalised.

    `values` maps field names (`last_name`, `email`...) to what was typed; a field absent
    from it (or UNSET) is left out. Control characters count as spaces, and what shows nothing
    at either end (spaces, zero-width and other format characters) is dropped: a value of such
    characters only is empty. An empty value counts as left out, which is REQUIRED
    for a field in `required`, and clears an optional one (None). Emails and phones must
    be valid when given; phones come back in E.164. Returns every problem at once.
    """
    required = set(required)
    cleaned: dict[str, str | None] = {}
    problems: list[Problem] = []
    for name, raw in values.items():
        if raw is UNSET:
            continue
        _, max_length = FIELDS[name]
        field = (name,)
        text = tidy(raw) if isinstance(raw, str) else ""
        if isinstance(raw, str) and len(raw) > max_length:
            problems.append(Problem(Code.TOO_LONG, field=field, limit=max_length))
            continue
        if not text:
            if name in required:
                problems.append(Problem(Code.REQUIRED, field=field))
            else:
                cleaned[name] = None
            continue
        if name == "email":
            text = normalize_email(text)
            if text is None:
                problems.append(Problem(Code.INVALID_EMAIL, field=field))
                continue
        elif name == "phone":
            text = normalize_phone(text)
            if text is None:
                problems.append(Problem(Code.INVALID_PHONE, field=field))
                continue
        cleaned[name] = text
    for name in required - set(values):
        problems.append(Problem(Code.REQUIRED, field=(name,)))
    return cleaned, problems
