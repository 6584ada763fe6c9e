"""A view's maker makes what its class makes (schema/makers.py): the same class, the same
attributes, the same defaults; a class whose `__init__` does more than store its arguments
gets no maker (the class itself)."""

from __future__ import annotations

import dataclasses
import itertools
from datetime import datetime, timezone

import pytest
import strawberry

from schema import errors, mutation, quote, types
from schema.makers import maker

MAKERS = [
    (types.EnterpriseType, types.make_enterprise),
    (types.ContactType, types.make_contact),
    (quote.ProductType, quote.make_product),
    (quote.QuoteLineType, quote.make_line),
    (quote.ContactAssignment, quote.make_assignment),
    (quote.ContactRequirement, quote.make_requirement),
    (quote.EligibleContact, quote.make_eligible),
    (quote.EligibleContacts, quote.make_eligible_contacts),
    (quote.ContactValidation, quote.make_validation),
    (quote.QuoteType, quote.make_quote),
    (errors.UserError, errors.make_user_error),
    (mutation.ContactAssignmentPayload, mutation.make_assignment_payload),
]


def _arguments(cls) -> dict:
    """A distinct value for each argument of `cls`'s __init__."""
    counter = itertools.count()
    return {f.name: (f"{f.name}-{next(counter)}" if f.name != "updated_at" else datetime.now(timezone.utc))
            for f in dataclasses.fields(cls) if f.init}


@pytest.mark.parametrize(("cls", "make"), MAKERS, ids=[cls.__name__ for cls, _ in MAKERS])
def test_a_maker_makes_what_its_class_makes(cls, make):
    assert make is not cls, f"{cls.__name__}'s __init__ should only store its arguments"
    arguments = _arguments(cls)
    made, called = make(**arguments), cls(**arguments)
    assert type(made) is cls
    assert vars(made) == vars(called) == arguments
    assert made == called  # the dataclass's own __eq__ sees no difference


@pytest.mark.parametrize(("cls", "make"), MAKERS, ids=[cls.__name__ for cls, _ in MAKERS])
def test_a_maker_refuses_what_its_class_refuses(cls, make):
    arguments = _arguments(cls)
    with pytest.raises(TypeError):
        make(**arguments, unknown=1)
    with pytest.raises(TypeError):
        make(*arguments.values())  # keywords only, as the class
    first = next(iter(arguments))
    with pytest.raises(TypeError):
        make(**{name: value for name, value in arguments.items() if name != first})


def test_defaults_are_the_classs_own():
    @strawberry.type
    class WithDefaults:
        name: str
        note: str | None = None
        count: int = 3

    make = maker(WithDefaults)
    assert make is not WithDefaults
    assert vars(make(name="a")) == vars(WithDefaults(name="a")) == {"name": "a", "note": None, "count": 3}
    assert vars(make(name="a", count=5)) == {"name": "a", "note": None, "count": 5}


def test_a_class_that_does_more_than_store_its_arguments_is_its_own_maker():
    @dataclasses.dataclass
    class AfterInit:
        name: str

        def __post_init__(self) -> None:
            self.name = self.name.upper()

    @dataclasses.dataclass
    class WithFactory:
        items: list = dataclasses.field(default_factory=list)

    @dataclasses.dataclass(frozen=True)
    class Frozen:
        name: str

    @dataclasses.dataclass
    class Positional:
        name: str

    class NotADataclass:
        def __init__(self, name: str) -> None:
            self.name = name

    for cls in (AfterInit, WithFactory, Frozen, Positional, NotADataclass):
        assert maker(cls) is cls
    assert maker(AfterInit)(name="a").name == "A"
