"""The rules of suggestions and default contacts, one by one, without database or GraphQL
(contacts.suggestion_rules, and the messages that name the contact in contacts.messages)."""

from __future__ import annotations

from contacts.messages import EN, FR, MESSAGES, message, short_date, suggestion_label
from contacts.rules import Code, ContactField, Function, Problem, Slot
from contacts.suggestion_rules import (
    DefaultEntry,
    Entry,
    Listed,
    apply_suggestion,
    defaults_problems,
    display_name,
)

ON_SITE, DELIVERY, TRACKING = Function.ON_SITE, Function.DELIVERY, Function.TRACKING


def entry(contact_id: int | None, *functions: Function, email: str | None = None, last: str | None = None,
          first: str | None = "Prénom", missing=(), eligible: bool = True) -> Entry:
    return Entry(last_name=last or f"Nom{contact_id}", first_name=first, functions=frozenset(functions),
                 contact_id=contact_id, email=email, missing=tuple(missing), eligible=eligible)


def adhoc(email: str, *functions: Function, last: str = "Ponctuel") -> Entry:
    return entry(None, *functions, email=email, last=last)


def on_quote(assignment_id: int, contact_id: int | None, *functions: Function, email: str | None = None) -> Listed:
    return Listed(Slot(assignment_id, frozenset(functions)), contact_id, email)


def codes(problems: list[Problem]) -> list[tuple[Code, Function | None]]:
    return [(p.code, p.function) for p in problems]


# --- Applying a suggestion ------------------------------------------------------------------


def test_an_empty_quote_takes_the_whole_suggestion_in_order():
    plan = apply_suggestion([entry(1, ON_SITE, TRACKING), entry(2, DELIVERY), adhoc("a@x.fr", TRACKING)], [])
    assert plan.added == [(0, frozenset({ON_SITE, TRACKING})), (1, frozenset({DELIVERY})), (2, frozenset({TRACKING}))]
    assert plan.ticked == {} and plan.applied == [-1, -2, -3]
    assert plan.problems == [[], [], []] and plan.skipped == [] and plan.applies


def test_nothing_is_taken_away_a_held_function_is_skipped_and_the_rest_applied():
    listed = [on_quote(10, 7, ON_SITE), on_quote(11, 8, DELIVERY, TRACKING)]
    plan = apply_suggestion([entry(1, ON_SITE, TRACKING), entry(2, DELIVERY)], listed)
    # Contact 1 comes with TRACKING only; contact 2 has no free function: not added at all.
    assert plan.added == [(0, frozenset({TRACKING}))]
    assert plan.ticked == {}
    assert [codes(p) for p in plan.problems] == [[(Code.FUNCTION_TAKEN, ON_SITE)], [(Code.FUNCTION_TAKEN, DELIVERY)]]
    first = plan.problems[0][0]
    assert (first.contact_id, first.name) == (1, "Prénom Nom1")


def test_an_entry_finds_what_an_earlier_entry_took():
    plan = apply_suggestion([entry(1, ON_SITE), entry(2, ON_SITE, TRACKING)], [])
    assert plan.added == [(0, frozenset({ON_SITE})), (1, frozenset({TRACKING}))]
    assert codes(plan.skipped) == [(Code.FUNCTION_TAKEN, ON_SITE)]


def test_tracking_beyond_three_is_skipped_with_the_seed_code():
    listed = [on_quote(10, 7, TRACKING), on_quote(11, 8, TRACKING)]
    plan = apply_suggestion([entry(1, TRACKING), entry(2, TRACKING), entry(3, DELIVERY, TRACKING)], listed)
    assert plan.added == [(0, frozenset({TRACKING})), (2, frozenset({DELIVERY}))]
    assert [codes(p) for p in plan.problems] == [
        [], [(Code.TRACKING_CONTACT_LIMIT, TRACKING)], [(Code.TRACKING_CONTACT_LIMIT, TRACKING)]]


def test_a_contact_already_on_the_quote_gets_only_its_missing_free_functions():
    listed = [on_quote(10, 1, TRACKING), on_quote(11, 2, ON_SITE)]
    plan = apply_suggestion([entry(1, ON_SITE, DELIVERY, TRACKING)], listed)
    assert plan.added == [] and plan.ticked == {10: frozenset({DELIVERY, TRACKING})}
    assert plan.applied == [10]
    assert codes(plan.skipped) == [(Code.FUNCTION_TAKEN, ON_SITE)]


def test_already_there_with_its_functions_is_contact_already_on_quote_and_nothing_applies():
    listed = [on_quote(10, 1, ON_SITE, TRACKING)]
    plan = apply_suggestion([entry(1, ON_SITE), entry(1, TRACKING)], listed)
    assert not plan.applies
    assert codes(plan.skipped) == [(Code.CONTACT_ALREADY_ON_QUOTE, None)] * 2


def test_an_adhoc_entry_is_on_the_quote_when_an_adhoc_contact_has_its_email_ignoring_case():
    listed = [on_quote(10, None, TRACKING, email="Garde@Example.fr"), on_quote(11, 5, DELIVERY, email=None)]
    plan = apply_suggestion([adhoc("garde@example.FR", ON_SITE, TRACKING)], listed)
    assert plan.added == [] and plan.ticked == {10: frozenset({ON_SITE, TRACKING})}
    # An enterprise contact with that email is someone else: the ad-hoc one is added.
    other = apply_suggestion([adhoc("x@example.fr", ON_SITE)], [Listed(Slot(12, frozenset()), 9, None)])
    assert other.added == [(0, frozenset({ON_SITE}))]


def test_the_same_adhoc_email_twice_in_a_source_is_one_contact():
    plan = apply_suggestion([adhoc("a@x.fr", ON_SITE), adhoc("A@x.fr", TRACKING)], [])
    assert plan.added == [(0, frozenset({ON_SITE, TRACKING}))] and plan.applied == [-1]


def test_a_contact_that_cannot_be_added_is_skipped_whole_with_every_reason():
    full = [on_quote(i, 100 + i) for i in range(1, 11)]
    plan = apply_suggestion([
        entry(1, ON_SITE, missing=[ContactField.PHONE]),
        entry(2, eligible=False),
        entry(3, TRACKING),
    ], full)
    assert [codes(p) for p in plan.problems] == [
        [(Code.CONTACT_INCOMPLETE, None), (Code.QUOTE_CONTACT_LIMIT, None)],
        [(Code.CONTACT_WITHOUT_FUNCTION, None), (Code.CONTACT_NOT_ELIGIBLE, None), (Code.QUOTE_CONTACT_LIMIT, None)],
        [(Code.QUOTE_CONTACT_LIMIT, None)],
    ]
    assert plan.skipped[-1].limit == 10 and not plan.applies


def test_the_quote_last_place_goes_to_the_first_entry_that_can_take_it():
    nine = [on_quote(i, 100 + i) for i in range(1, 10)]
    plan = apply_suggestion([entry(1, TRACKING), entry(2, DELIVERY)], nine)
    assert plan.added == [(0, frozenset({TRACKING}))]
    assert codes(plan.problems[1]) == [(Code.QUOTE_CONTACT_LIMIT, None)]


def test_an_incomplete_contact_already_on_the_quote_still_gets_its_free_functions():
    plan = apply_suggestion([entry(1, DELIVERY, missing=[ContactField.ROLE])], [on_quote(10, 1, TRACKING)])
    assert plan.ticked == {10: frozenset({DELIVERY, TRACKING})} and plan.skipped == []


def test_a_suggestion_never_leaves_a_contact_without_a_function():
    listed = [on_quote(10, 7, ON_SITE), on_quote(11, 8, DELIVERY)]
    for entries in ([entry(1)], [entry(1, ON_SITE)], [entry(1, DELIVERY), entry(2, ON_SITE, DELIVERY)]):
        plan = apply_suggestion(entries, listed)
        assert all(functions for _, functions in plan.added)
        assert plan.added == []


# --- Default contacts ------------------------------------------------------------------------


def default(contact_id: int, *functions: Function, **kwargs) -> DefaultEntry:
    return DefaultEntry(contact_id, f"Contact {contact_id}", list(functions), **kwargs)


def fields(problems: list[Problem]) -> list[tuple]:
    return [(p.code, p.field, p.function) for p in problems]


def test_a_valid_list_of_defaults_has_no_problem():
    assert defaults_problems([default(1, ON_SITE, TRACKING), default(2, DELIVERY), default(3, TRACKING, TRACKING)]) == []
    assert defaults_problems([]) == []


def test_every_problem_of_a_list_of_defaults_at_once_each_on_its_place():
    problems = defaults_problems([
        default(1, ON_SITE, TRACKING),
        default(2, ON_SITE, DELIVERY, TRACKING, eligible=False),
        default(1, TRACKING),
        default(3, missing=(ContactField.PHONE,)),
        default(4, DELIVERY, TRACKING),
    ])
    assert fields(problems) == [
        (Code.CONTACT_NOT_ELIGIBLE, ("defaults", 1, "contact"), None),
        (Code.FUNCTION_TAKEN, ("defaults", 1, "functions"), ON_SITE),
        (Code.CONTACT_ALREADY_ON_QUOTE, ("defaults", 2, "contact"), None),
        (Code.CONTACT_INCOMPLETE, ("defaults", 3, "contact"), None),
        (Code.CONTACT_WITHOUT_FUNCTION, ("defaults", 3, "functions"), None),
        (Code.FUNCTION_TAKEN, ("defaults", 4, "functions"), DELIVERY),
        (Code.TRACKING_CONTACT_LIMIT, ("defaults", 4, "functions"), TRACKING),
    ]
    assert {(p.contact_id, p.name) for p in problems[:2]} == {(2, "Contact 2")}


def test_more_than_ten_defaults_is_one_quote_contact_limit_on_the_list():
    problems = defaults_problems([default(i, DELIVERY if i == 0 else ON_SITE if i == 1 else
                                          TRACKING if i < 5 else DELIVERY) for i in range(11)])
    limits = [p for p in problems if p.code == Code.QUOTE_CONTACT_LIMIT]
    assert len(limits) == 1 and limits[0].field == ("defaults",) and limits[0].limit == 10
    four = defaults_problems([default(i, TRACKING) for i in range(4)])
    assert fields(four) == [(Code.TRACKING_CONTACT_LIMIT, ("defaults", 3, "functions"), TRACKING)]


# --- Messages that name the contact, and labels ------------------------------------------------------


SEED_FR = {
    Code.CONTACT_INCOMPLETE: "Il manque des informations à ce contact. Veuillez le compléter dans le module Entreprises si vous souhaitez l'ajouter au devis.",
    Code.TRACKING_CONTACT_LIMIT: "Le nombre maximum de contact est atteint, veuillez créer une liste de diffusion si vous souhaitez ajouter plus de 3 contacts pour le suivi de votre commande",
    Code.CONTACT_WITHOUT_FUNCTION: "Un des contacts n'a pas de fonction assignée. Veuillez cocher la case correspondante ou retirer le contact du devis",
}


def test_a_named_problem_with_a_seed_text_reads_the_name_then_that_text():
    for code, text in SEED_FR.items():
        assert message(Problem(code, name="Éric Dupont"), FR) == f"Éric Dupont : {text}"
        assert message(Problem(code, name="Éric Dupont"), EN) == f"Éric Dupont: {MESSAGES[code][EN]}"
    assert message(Problem(Code.CONTACT_INCOMPLETE), FR) == SEED_FR[Code.CONTACT_INCOMPLETE]  # unnamed: as before


def test_the_other_named_problems_name_the_contact_and_the_function():
    taken = Problem(Code.FUNCTION_TAKEN, function=ON_SITE, name="John Smith")
    assert message(taken, FR) == ("John Smith : la fonction « Intervention sur site » appartient déjà à un autre "
                                  "contact de la liste, qui la garde.")
    assert message(taken, EN) == "John Smith: On-site intervention already belongs to another contact of the list, who keeps it."
    assert message(Problem(Code.QUOTE_CONTACT_LIMIT, limit=10, name="Leroy"), FR) == (
        "Pas de place pour Leroy : un devis compte au plus 10 contacts.")
    for code in (Code.CONTACT_ALREADY_ON_QUOTE, Code.CONTACT_NOT_ELIGIBLE, Code.QUOTE_CONTACT_LIMIT, Code.FUNCTION_TAKEN):
        for language in (FR, EN):
            assert "Leroy" in message(Problem(code, function=DELIVERY, limit=10, name="Leroy"), language)
    assert message(Problem(Code.SUGGESTION_EMPTY), EN).startswith("This suggestion has nothing to add")


def test_display_name_is_first_name_then_last_name():
    assert display_name("Dupont", "Éric") == "Éric Dupont"
    assert display_name("Leroy", None) == "Leroy"


def test_suggestion_labels_say_where_the_list_comes_from_in_french_time():
    from datetime import datetime, timezone

    late = datetime(2026, 11, 11, 23, 30, tzinfo=timezone.utc)  # already the 12th in Paris
    assert short_date(late, FR) == "12/11/2026" and short_date(late, EN) == "12 Nov 2026"
    assert suggestion_label(FR, reference="DV-2026-0042", moment=late, ordered=True) == (
        "Contacts de la commande DV-2026-0042 du 12/11/2026")
    assert suggestion_label(EN, reference="DV-2026-0042", moment=late) == "Contacts from quote DV-2026-0042 changed on 12 Nov 2026"
    assert suggestion_label(FR, client="Boulangerie Éloïse") == "Contacts par défaut de Boulangerie Éloïse"
