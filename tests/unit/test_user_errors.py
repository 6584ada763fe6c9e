"""A domain problem as GraphQL shows it (schema/errors.py): its message in the request's
language, and its field, named in the domain's words, as the mutation's input path."""

from __future__ import annotations

from contacts.rules import Code, Function, Problem
from schema.errors import input_path, user_error
from schema.ids import encode_id


def test_the_domains_field_names_become_input_paths():
    assert input_path(("contact",)) == ["input", "contactId"]
    assert input_path(("quote",)) == ["input", "quoteId"]
    assert input_path(("assignment",)) == ["input", "assignmentId"]
    assert input_path(("last_name",)) == ["input", "lastName"]
    assert input_path(("defaults", 2, "functions")) == ["input", "defaults", "2", "functions"]
    assert input_path(("from_quote",)) == ["input", "fromQuoteId"]


def test_a_problem_is_a_user_error_in_the_requests_language():
    problem = Problem(Code.TRACKING_CONTACT_LIMIT, ("function",), 7, Function.TRACKING)
    french, english = user_error(problem, "fr"), user_error(problem, "en")
    assert french.code == english.code == Code.TRACKING_CONTACT_LIMIT
    assert french.message.startswith("Le nombre maximum de contact est atteint") and french.message != english.message
    assert french.field == ["input", "function"]
    assert french.assignment_id == encode_id("ContactAssignment", 7) and french.function == Function.TRACKING
    assert user_error(Problem(Code.FORBIDDEN), "fr").field is None
    assert "10" in user_error(Problem(Code.QUOTE_CONTACT_LIMIT, limit=10), "en").message
