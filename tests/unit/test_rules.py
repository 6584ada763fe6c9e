"""The contact rules of step 2, one by one, without database or GraphQL (contacts.rules, contacts.messages)."""

from __future__ import annotations

import pytest

from contacts import messages
from contacts.messages import EN, FR, message, negotiate, summary
from contacts.text import search_key
from contacts.rules import (
    MAX_CONTACTS_PER_QUOTE,
    UNSET,
    Code,
    ContactField,
    Function,
    LineNeeds,
    Problem,
    Slot,
    add_problems,
    clean_contact_fields,
    is_mobile,
    missing_fields,
    normalize_email,
    normalize_phone,
    requirements,
    set_function,
    set_functions,
    validate,
)

ON_SITE, DELIVERY, TRACKING = Function.ON_SITE, Function.DELIVERY, Function.TRACKING

# The seven texts of the seed page, word for word (contract README, "Messages").
SEED_FR = {
    Code.CONTACT_WITHOUT_FUNCTION: "Un des contacts n'a pas de fonction assignée. Veuillez cocher la case correspondante ou retirer le contact du devis",
    Code.ON_SITE_CONTACT_REQUIRED: "Vous devez sélectionner au moins un contact sur site pour l'intervention du fournisseur",
    Code.DELIVERY_CONTACT_REQUIRED: "Vous devez renseigner au moins un contact pour la réception de votre colis",
    Code.TRACKING_CONTACT_REQUIRED: "Vous devez renseigner au moins un contact pour le suivi de votre commande",
    Code.TRACKING_CONTACT_LIMIT: "Le nombre maximum de contact est atteint, veuillez créer une liste de diffusion si vous souhaitez ajouter plus de 3 contacts pour le suivi de votre commande",
    Code.CONTACT_INCOMPLETE: "Il manque des informations à ce contact. Veuillez le compléter dans le module Entreprises si vous souhaitez l'ajouter au devis.",
    Code.PHONE_NOT_MOBILE: "Veuillez privilégier un numéro de mobile.",
}

FIBRE = LineNeeds(1, on_site=True, delivery=True)
SIP = LineNeeds(2, on_site=False, delivery=False)
ROUTER = LineNeeds(3, on_site=False, delivery=True)


def slot(id: int, *functions: Function, mobile: bool = True) -> Slot:
    return Slot(id, frozenset(functions), mobile)


def codes(problems: list[Problem]) -> list[Code]:
    return [p.code for p in problems]


# --- Requirements -----------------------------------------------------------------------


def test_requirements_come_from_the_products_on_the_quote():
    reqs = requirements([FIBRE, SIP, ROUTER], [slot(10, ON_SITE, TRACKING), slot(11, TRACKING)])
    assert [r.function for r in reqs] == [ON_SITE, DELIVERY, TRACKING]
    on_site, delivery, tracking = reqs
    assert (on_site.min, on_site.max, on_site.count, on_site.required_by) == (1, 1, 1, (1,))
    assert (delivery.min, delivery.max, delivery.count, delivery.required_by) == (1, 1, 0, (1, 3))
    assert (tracking.min, tracking.max, tracking.count, tracking.required_by) == (1, 3, 2, ())

    # Products that need neither: on-site and delivery become optional (at most one), tracking stays.
    on_site, delivery, tracking = requirements([SIP], [])
    assert (on_site.min, on_site.max, delivery.min, delivery.max) == (0, 1, 0, 1)
    assert (tracking.min, tracking.max) == (1, 3)
    assert not on_site.is_required and tracking.is_required


def test_column_summaries_in_both_languages():
    on_site, delivery, tracking = requirements([FIBRE], [])
    assert summary(on_site, FR) == summary(delivery, FR) == "1 contact unique obligatoire"
    assert summary(tracking, FR) == "1 contact obligatoire, 3 max."
    optional_on_site, _, _ = requirements([SIP], [])
    assert summary(optional_on_site, FR) not in ("1 contact unique obligatoire", "")
    assert summary(optional_on_site, FR) != summary(optional_on_site, EN)
    assert summary(on_site, EN) != summary(on_site, FR)


# --- Validation -------------------------------------------------------------------------


def test_empty_quote_needing_everything_has_the_three_required_errors_in_order():
    errors, warnings = validate(requirements([FIBRE], []), [])
    assert codes(errors) == [Code.ON_SITE_CONTACT_REQUIRED, Code.DELIVERY_CONTACT_REQUIRED, Code.TRACKING_CONTACT_REQUIRED]
    assert [e.function for e in errors] == [ON_SITE, DELIVERY, TRACKING]
    assert warnings == []


def test_quote_needing_nothing_still_needs_a_tracking_contact():
    errors, _ = validate(requirements([SIP], []), [])
    assert codes(errors) == [Code.TRACKING_CONTACT_REQUIRED]
    slots = [slot(1, TRACKING)]
    assert validate(requirements([SIP], slots), slots) == ([], [])


def test_one_contact_without_function_error_per_contact_first():
    slots = [slot(1), slot(2, ON_SITE, DELIVERY, TRACKING), slot(3)]
    errors, _ = validate(requirements([FIBRE], slots), slots)
    assert codes(errors) == [Code.CONTACT_WITHOUT_FUNCTION, Code.CONTACT_WITHOUT_FUNCTION]
    assert [e.assignment_id for e in errors] == [1, 3]


def test_more_than_three_tracking_contacts_is_an_error():
    slots = [slot(i, TRACKING) for i in range(1, 5)]
    errors, _ = validate(requirements([SIP], slots), slots)
    assert codes(errors) == [Code.TRACKING_CONTACT_LIMIT]


def test_landline_on_on_site_or_delivery_warns_but_does_not_block():
    slots = [slot(1, ON_SITE, mobile=False), slot(2, DELIVERY, mobile=False), slot(3, TRACKING, mobile=False)]
    errors, warnings = validate(requirements([FIBRE], slots), slots)
    assert errors == []
    # Once for each of ON_SITE and DELIVERY, with the assignment and function; never for TRACKING.
    assert [(w.code, w.assignment_id, w.function) for w in warnings] == [
        (Code.PHONE_NOT_MOBILE, 1, ON_SITE),
        (Code.PHONE_NOT_MOBILE, 2, DELIVERY),
    ]
    mobiles = [slot(1, ON_SITE, DELIVERY, TRACKING, mobile=True)]
    assert validate(requirements([FIBRE], mobiles), mobiles) == ([], [])


# --- Ticking functions ------------------------------------------------------------------


def test_on_site_and_delivery_are_radio_buttons():
    slots = [slot(1, ON_SITE, TRACKING), slot(2, DELIVERY)]
    changes, problems = set_function(slots, 2, ON_SITE, True)
    assert problems == []
    assert changes == {2: frozenset({ON_SITE, DELIVERY}), 1: frozenset({TRACKING})}

    changes, _ = set_function(slots, 1, DELIVERY, True)
    assert changes == {1: frozenset({ON_SITE, TRACKING, DELIVERY}), 2: frozenset()}


def test_ticking_what_is_ticked_or_unticking_what_is_not_changes_nothing():
    slots = [slot(1, ON_SITE), slot(2)]
    assert set_function(slots, 1, ON_SITE, True) == ({}, [])
    assert set_function(slots, 2, TRACKING, False) == ({}, [])
    assert set_function(slots, 1, ON_SITE, False) == ({1: frozenset()}, [])


def test_fourth_tracking_contact_is_refused_third_accepted():
    slots = [slot(1, TRACKING), slot(2, TRACKING), slot(3), slot(4)]
    changes, problems = set_function(slots, 3, TRACKING, True)
    assert (changes, problems) == ({3: frozenset({TRACKING})}, [])
    slots[2] = slot(3, TRACKING)
    changes, problems = set_function(slots, 4, TRACKING, True)
    assert changes == {}
    assert [(p.code, p.function) for p in problems] == [(Code.TRACKING_CONTACT_LIMIT, TRACKING)]
    # Unticking one of the three frees a place.
    assert set_function(slots, 1, TRACKING, False) == ({1: frozenset()}, [])


def test_several_functions_at_once_follow_the_same_rules():
    slots = [slot(1, ON_SITE, TRACKING), slot(2, TRACKING), slot(3, TRACKING), slot(0)]
    changes, problems = set_functions(slots, 0, [ON_SITE, DELIVERY, TRACKING])
    assert changes == {0: frozenset({ON_SITE, DELIVERY}), 1: frozenset({TRACKING})}
    assert codes(problems) == [Code.TRACKING_CONTACT_LIMIT]


# --- Adding a contact -------------------------------------------------------------------


def test_add_problems_every_reason_at_once():
    assert add_problems(contact_missing=[], already_on_quote=False, contacts_on_quote=9) == []
    at_limit = add_problems(contact_missing=[], already_on_quote=False, contacts_on_quote=MAX_CONTACTS_PER_QUOTE)
    assert [(p.code, p.limit) for p in at_limit] == [(Code.QUOTE_CONTACT_LIMIT, 10)]
    assert MAX_CONTACTS_PER_QUOTE == 10
    everything = add_problems(
        contact_missing=[ContactField.PHONE], already_on_quote=True, contacts_on_quote=10, quote_is_draft=False, may_edit=False
    )
    assert codes(everything) == [
        Code.CONTACT_INCOMPLETE,
        Code.CONTACT_ALREADY_ON_QUOTE,
        Code.QUOTE_CONTACT_LIMIT,
        Code.QUOTE_NOT_EDITABLE,
        Code.FORBIDDEN,
    ]


# --- Contact details --------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed, e164, mobile",
    [
        ("06 12 34 56 78", "+33612345678", True),
        ("06.12.34.56.78", "+33612345678", True),
        ("+33 6 12 34 56 78", "+33612345678", True),
        ("0033612345678", "+33612345678", True),
        ("01 42 86 82 00", "+33142868200", False),
        ("+44 7911 123456", "+447911123456", True),
        ("12345", None, False),
        ("06 12 34", None, False),
        ("06 12 34 56 78 9", None, False),
        ("téléphone", None, False),
        # An extension has no place in E.164: refused rather than silently dropped.
        ("+33612345678 ext. 12", None, False),
        ("01 42 86 82 00 poste 12", None, False),
        ("+33 1 42 86 82 00;ext=12", None, False),
    ],
)
def test_phones_in_e164_with_french_default_and_mobile_detection(typed, e164, mobile):
    assert normalize_phone(typed) == e164
    assert is_mobile(e164) is mobile


def test_emails_are_checked_without_network():
    assert normalize_email("john.smith@boulangerie-eloise.fr") == "john.smith@boulangerie-eloise.fr"
    assert normalize_email("John.Smith@EXAMPLE.COM") == "John.Smith@example.com"
    for bad in ("john", "john@", "@boulangerie.fr", "john@boulangerie", "jo hn@boulangerie.fr", "a@@b.fr"):
        assert normalize_email(bad) is None, bad


def test_missing_fields_of_a_stored_contact():
    complete = {"last_name": "Smith", "first_name": None, "email": "j@s.fr", "phone": "+33612345678", "role": "Gérant"}
    assert missing_fields(complete) == []  # first name is optional
    assert missing_fields({**complete, "phone": None}) == [ContactField.PHONE]
    assert missing_fields({**complete, "email": "not an email", "role": "  "}) == [ContactField.EMAIL, ContactField.ROLE]
    assert missing_fields({**complete, "phone": "123"}) == [ContactField.PHONE]
    assert missing_fields({}) == [ContactField.LAST_NAME, ContactField.EMAIL, ContactField.PHONE, ContactField.ROLE]


REQUIRED = ("last_name", "email", "phone", "role")


def test_clean_contact_fields_normalises_and_reports_everything_at_once():
    cleaned, problems = clean_contact_fields(
        {"last_name": "  Smith ", "first_name": "", "email": "John@Example.FR", "phone": "06 12 34 56 78", "role": "Gérant"},
        required=REQUIRED,
    )
    assert problems == []
    assert cleaned == {"last_name": "Smith", "first_name": None, "email": "John@example.fr", "phone": "+33612345678", "role": "Gérant"}

    _, problems = clean_contact_fields(
        {"last_name": " ", "first_name": "x" * 101, "email": "nope", "phone": "12", "role": None}, required=REQUIRED
    )
    assert [(p.code, p.field) for p in problems] == [
        (Code.REQUIRED, ("last_name",)),
        (Code.TOO_LONG, ("first_name",)),
        (Code.INVALID_EMAIL, ("email",)),
        (Code.INVALID_PHONE, ("phone",)),
        (Code.REQUIRED, ("role",)),
    ]


def test_required_fields_left_out_and_unset_fields():
    _, problems = clean_contact_fields({"last_name": "Smith"}, required=REQUIRED)
    assert sorted(p.field[-1] for p in problems if p.code == Code.REQUIRED) == ["email", "phone", "role"]
    cleaned, problems = clean_contact_fields({"last_name": UNSET, "first_name": "  "}, required=())
    assert (cleaned, problems) == ({"first_name": None}, [])


def _email_of_length(n: int) -> str:
    local = "a" * 64
    labels, remaining = [], n - len(local) - 1 - len(".fr")
    while remaining > 0:
        size = min(63, remaining)
        if remaining - size == 1:  # a label of 0 characters is not possible
            size -= 2
        labels.append("b" * size)
        remaining -= size + 1
    email = f"{local}@{'.'.join(labels)}.fr"
    assert len(email) == n
    return email


@pytest.mark.parametrize(
    "name, ok_value, long_value",
    [
        ("last_name", "L" * 100, "L" * 101),
        ("first_name", "F" * 100, "F" * 101),
        ("role", "R" * 100, "R" * 101),
        ("email", _email_of_length(254), _email_of_length(255)),
        # 40 characters as typed, spaces included: the stored E.164 form is shorter.
        ("phone", "06" + " " * 30 + "12345678", "06" + " " * 31 + "12345678"),
    ],
)
def test_too_long_limits(name, ok_value, long_value):
    assert len(ok_value) + 1 == len(long_value)
    cleaned, problems = clean_contact_fields({name: ok_value}, required=())
    assert problems == [] and cleaned[name]
    _, problems = clean_contact_fields({name: long_value}, required=())
    assert [(p.code, p.limit) for p in problems] == [(Code.TOO_LONG, len(ok_value))]
    assert "{limit}" not in message(problems[0], FR) and str(len(ok_value)) in message(problems[0], FR)


# --- Messages and languages -------------------------------------------------------------


@pytest.mark.parametrize("code", list(SEED_FR))
def test_seed_messages_word_for_word_and_in_english(code):
    assert message(Problem(code), FR) == SEED_FR[code]
    english = message(Problem(code), EN)
    assert english and english != SEED_FR[code]


def test_every_code_has_a_message_in_both_languages():
    for code in Code:
        problem = Problem(code, limit=10)
        fr, en = message(problem, FR), message(problem, EN)
        assert fr and en and fr != en, code
        assert "{" not in fr + en, code
    assert "10" in message(Problem(Code.QUOTE_CONTACT_LIMIT, limit=10), FR)


def test_function_labels_and_help_texts_of_the_seed():
    assert {f: messages.FUNCTION_LABELS[f][FR] for f in Function} == {
        ON_SITE: "Intervention sur site",
        DELIVERY: "Livraison de matériel",
        TRACKING: "Suivi de commande",
    }
    assert {f: messages.FUNCTION_LABELS[f][EN] for f in Function} == {
        ON_SITE: "On-site intervention",
        DELIVERY: "Equipment delivery",
        TRACKING: "Order tracking",
    }
    assert messages.FUNCTION_HELP[ON_SITE][FR].startswith("Le contact sera sollicité par le fournisseur ou sous-traitant")
    assert messages.FUNCTION_HELP[TRACKING][FR].endswith("si vous souhaitez ajouter plus de 3 contacts.")


@pytest.mark.parametrize(
    "header, language",
    [
        (None, FR),
        ("", FR),
        ("en", EN),
        ("EN-gb", EN),
        ("en-US,en;q=0.9", EN),
        ("fr-FR,fr;q=0.9,en;q=0.8", FR),
        ("de-DE,en;q=0.5", EN),  # other languages do not count
        ("de-DE", FR),
        ("en;q=0.5,fr;q=0.8", FR),
        ("fr;q=0.5,en;q=0.5", FR),  # the first of the highest q
        ("en;q=0.5,fr;q=0.5", EN),
        ("en;q=0", FR),
        ("fr;q=0,en;q=0.1", EN),
        ("english", FR),
        ("en;q=oops,fr;q=0.2", FR),
    ],
)
def test_accept_language_negotiation(header, language):
    assert negotiate(header) == language


def test_control_characters_typed_in_count_as_spaces():
    cleaned, problems = clean_contact_fields(
        {"last_name": "\x00Smith\n", "first_name": "Jean\x00Paul", "role": "\t"}, required=("last_name", "role")
    )
    assert cleaned == {"last_name": "Smith", "first_name": "Jean Paul"}
    assert [(p.code, p.field) for p in problems] == [(Code.REQUIRED, ("role",))]
    assert search_key("Élo\x00ïse", None, "A\tB") == "eloise ab"


def test_a_value_that_shows_nothing_is_empty():
    """Zero-width spaces and joiners, bidirectional marks, a byte order mark, no-break spaces:
    a name of those only is no name (it used to be accepted); around a name, they are dropped."""
    invisible = "\u200b\u200c\u200d\u2060\ufeff\u202e\u00a0\u3000"
    cleaned, problems = clean_contact_fields(
        {"last_name": invisible, "first_name": "\u200bJean\u200d", "role": " Gérant\u2060"}, required=("last_name", "role")
    )
    assert [(p.code, p.field) for p in problems] == [(Code.REQUIRED, ("last_name",))]
    assert cleaned == {"first_name": "Jean", "role": "Gérant"}
    # Inside a name they stay (a joiner within an emoji or a script that needs it).
    assert clean_contact_fields({"last_name": "Ali\u200cce"}, required=())[0] == {"last_name": "Ali\u200cce"}


def test_problems_name_the_domains_fields_and_the_graphql_layer_makes_them_input_paths():
    from schema.errors import input_path

    assert input_path(("contact",)) == ["input", "contactId"]
    assert input_path(("last_name",)) == ["input", "lastName"]
    assert input_path(("defaults", 2, "functions")) == ["input", "defaults", "2", "functions"]
    assert input_path(("from_quote",)) == ["input", "fromQuoteId"]
