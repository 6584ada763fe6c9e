"""GraphQL over HTTP's rules, without a server: the media type an Accept header gets, the
Content-Type a POST needs, what makes an answer a request error, and how a refusal is told."""

from __future__ import annotations

import json

from api.graphql_http import (
    APPLICATION_JSON,
    GRAPHQL_RESPONSE_JSON,
    content_type_problem,
    is_request_error,
    negotiate_media_type,
    request_error,
)


def test_accept_negotiation():
    json_, gql = APPLICATION_JSON, GRAPHQL_RESPONSE_JSON
    for accept, chosen in (
        (None, json_), ("", json_), ("*/*", json_), ("application/*", json_),
        (json_, json_), (gql, gql), (f"{json_}, {gql}", gql), (f"{gql};q=0.5, {json_}", json_),
        (f"{json_};q=0, */*", gql), (f"{gql};q=0, {json_};q=0, */*", None),
        ("text/html", None), ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", json_),
        ("APPLICATION/JSON; charset=utf-8", json_), (f"{json_};q=oops", None),
    ):
        assert negotiate_media_type(accept) == chosen, accept


def test_a_post_needs_json_in_utf8():
    assert content_type_problem("application/json") is None
    assert content_type_problem("application/json; charset=UTF-8") is None
    assert "Content-Type: application/json" in content_type_problem(None)
    assert "Content-Type: application/json" in content_type_problem("   ")
    assert "text/plain" in content_type_problem("text/plain")
    assert "UTF-8" in content_type_problem("application/json; charset=iso-8859-1")


def test_a_request_error_is_an_answer_without_data_whose_errors_have_no_path():
    assert is_request_error({"errors": [{"message": "Syntax Error"}]})
    assert is_request_error({"data": None, "errors": [{"message": "Unknown field"}]})
    assert not is_request_error({"data": None, "errors": [{"message": "boom", "path": ["quote"]}]})  # it ran
    assert not is_request_error({"data": {"viewer": None}, "errors": [{"message": "x"}]})
    assert not is_request_error({"data": {"viewer": {"name": "A"}}})
    assert not is_request_error([])


def test_a_refusal_is_a_graphql_error_body_with_its_code():
    response = request_error(405, "Mutations are sent by POST.", GRAPHQL_RESPONSE_JSON, {"Allow": "POST"})
    assert response.status_code == 405 and response.headers["allow"] == "POST"
    assert response.headers["content-type"].startswith(GRAPHQL_RESPONSE_JSON)
    body = json.loads(response.body)
    assert body == {"errors": [{"message": "Mutations are sent by POST.", "extensions": {"code": "METHOD_NOT_ALLOWED"}}]}
    assert json.loads(request_error(415, "x").body)["errors"][0]["extensions"]["code"] == "UNSUPPORTED_MEDIA_TYPE"
