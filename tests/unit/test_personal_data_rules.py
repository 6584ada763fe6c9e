"""The pure parts of personal data (additions/privacy): what an email is matched by, the order of
checks, the placeholder and the retention period's actor in both languages, and an event of the
retention period across processes (no database)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from contacts.auth import Permission, Viewer
from contacts.broker import decode, encode
from contacts.events import EventKind, QuoteEvent
from contacts.messages import EN, FR, actor_name, contact_name, history_summary, message
from contacts.models import HistoryKind
from contacts.personal_data import checked
from contacts.retention import cutoff
from contacts.rules import Code, Function, Problem, email_key

ALICE = Viewer(1, "demo-alice", "Alice Durand", "a@example.com", 10, frozenset(Permission))
BOB = Viewer(2, "demo-bob", "Bob Lefèvre", "b@example.com", 10, frozenset({Permission.QUOTE_EDIT}))


@pytest.mark.parametrize(("typed", "key"), [
    ("eric.dupont@boulangerie-eloise.fr", "eric.dupont@boulangerie-eloise.fr"),
    ("  Eric.DUPONT@Boulangerie-Eloise.FR \t", "eric.dupont@boulangerie-eloise.fr"),
    ("Éric@Exemple.fr", "éric@exemple.fr"),
    ("\neric@example.fr\x00", "eric@example.fr"),
])
def test_an_email_is_matched_trimmed_and_ignoring_case(typed, key):
    assert email_key(typed) == key


@pytest.mark.parametrize("typed", ["", "   ", "not an email", "eric@", "@example.fr", "a" * 250 + "@example.fr", None])
def test_an_invalid_email_has_no_key(typed):
    assert email_key(typed) is None


def test_forbidden_comes_before_invalid_email():
    assert checked(BOB, "not an email") == (None, Problem(Code.FORBIDDEN))
    assert checked(BOB, "eric@example.fr") == (None, Problem(Code.FORBIDDEN))
    assert checked(ALICE, "not an email") == (None, Problem(Code.INVALID_EMAIL, field=("email",)))
    assert checked(ALICE, " Eric@Example.fr ") == ("eric@example.fr", None)
    assert message(Problem(Code.INVALID_EMAIL, field=("email",)), EN) == "This email address is not valid."


def test_an_erased_person_is_named_with_the_placeholder_in_the_readers_language():
    assert contact_name("Éric Dupont", False, FR) == "Éric Dupont"
    assert (contact_name(None, True, FR), contact_name("", True, EN)) == ("Contact effacé", "Erased contact")
    erased = contact_name(None, True, FR)
    assert history_summary(HistoryKind.FUNCTION_TICKED, "Alice Durand", erased, Function.TRACKING, FR) == (
        "Alice Durand a coché Suivi de commande pour Contact effacé")
    assert history_summary(HistoryKind.CONTACT_ERASED, None, contact_name(None, True, EN), None, EN) == (
        "Retention period erased the data of Erased contact")
    assert history_summary(HistoryKind.CONTACT_ERASED, None, erased, None, FR) == (
        "Durée de conservation a effacé les données de Contact effacé")
    assert (actor_name(None, FR), actor_name(None, EN), actor_name("Alice Durand", EN)) == (
        "Durée de conservation", "Retention period", "Alice Durand")


def test_an_event_of_the_retention_period_crosses_processes_without_an_actor():
    sent = QuoteEvent(EventKind.CONTACTS_EDITED, 7, None)
    assert decode(encode(sent)) == sent
    assert decode(encode(QuoteEvent(EventKind.CONTACT_REMOVED, 7, "Alice Durand", 3))).actor == "Alice Durand"


def test_the_retention_cutoff_is_counted_from_the_start_of_the_run():
    start = datetime(2026, 12, 1, 3, 15, tzinfo=timezone.utc)
    assert cutoff(start, 1095) == datetime(2023, 12, 2, 3, 15, tzinfo=timezone.utc)
    assert cutoff(start, 0) == start  # every order placed before the run
    with pytest.raises(ValueError):
        cutoff(start, -1)


def test_the_like_pattern_lets_every_case_through_and_escapes_the_wildcards():
    from contacts.personal_data import like, same_email

    assert like("jo_n%x@exemple.fr") == "jo\\_n\\%x@exemple.fr"
    assert like("éric@exemple.fr") == "_ric@exemple.fr"  # É or é: SQLite's LOWER leaves them as they are
    assert same_email(" Éric@Exemple.fr ", "éric@exemple.fr") and not same_email("aric@exemple.fr", "éric@exemple.fr")
    assert not same_email(None, "éric@exemple.fr") and not same_email("", "éric@exemple.fr")
