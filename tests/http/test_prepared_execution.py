"""The short path of a plain GraphQL request (api.graphql_view.GraphQLView.answer_prepared, then
schema.Schema.execute_prepared) answers what Strawberry's view answers: the same status, media
type and bytes, and the same figures in /metrics, for the screen's reads and changes, with and
without errors, in both media types and both languages. The same requests are sent twice over
the same demo data, once with the short path and once without, and compared."""

from __future__ import annotations

import json
import re

import strawberry

from tests.conftest import reset_demo
from tests.support import api as h

GRAPHQL_RESPONSE = "application/graphql-response+json"
ORDERED_AT = re.compile(rb'"orderedAt":"[^"]+"')  # the demo's order is dated from when it was loaded
COUNTED = re.compile(r"^myopenip_(requests|graphql_errors)_total\{(.*)\} ([0-9.e+]+)$")


def corpus(demo: h.Demo) -> list[tuple[dict, dict]]:
    """(JSON body, headers) of every request, in order; the changes build on each other."""
    alice = {"Authorization": "Bearer demo-alice"}
    both = [alice, {**alice, "Accept": GRAPHQL_RESPONSE}, {**alice, "Accept-Language": "en"}]
    dupont, martin = demo.contacts["Dupont"], demo.contacts["Martin"]
    two = "query A { viewer { name } } query B { quote(id: $id) { reference } }".replace("$id", '"' + demo.full + '"')
    bad_email = {"quoteId": demo.plain, "lastName": "Test", "firstName": "T", "email": "nope", "phone": "0600000000",
                 "role": "Test", "functions": ["TRACKING"]}
    requests = []
    for headers in both:
        requests += [
            ({"query": h.QUOTE, "variables": {"id": demo.full}}, headers),
            ({"query": h.QUOTE, "variables": {"id": demo.ordered}, "operationName": "Quote"}, headers),
            ({"query": h.QUOTE, "variables": {"id": h.missing_id("Quote")}}, headers),  # null, no error
            ({"query": h.QUOTE, "variables": {"id": "not an id"}}, headers),  # an error at quote
            ({"query": h.QUOTE, "variables": {"id": 12}}, headers),  # the variable does not coerce
            ({"query": h.QUOTE, "variables": {}}, headers),  # the variable is missing
            ({"query": two, "operationName": "B"}, headers),
            ({"query": "{ viewer { name } __typename }", "variables": None}, headers),
        ]
    requests += [
        ({"query": h.ASSIGN, "variables": {"input": {"quoteId": demo.full, "contactId": dupont, "functions": ["ON_SITE"]}}},
         alice),
        ({"query": h.ASSIGN, "variables": {"input": {"quoteId": demo.full, "contactId": dupont, "functions": []}}},
         both[1]),  # CONTACT_ALREADY_ON_QUOTE
        ({"query": h.ASSIGN, "variables": {"input": {"quoteId": demo.full, "contactId": martin, "functions": ["TRACKING"]}}},
         {**alice, "Accept-Language": "en"}),
        ({"query": h.ADHOC, "variables": {"input": bad_email}}, alice),  # a user error, nothing stored
        ({"query": h.ADHOC, "variables": {"input": {**bad_email, "email": "t@example.com"}}}, alice),
        ({"query": h.SET_FUNCTION, "variables": {"input": {"assignmentId": h.missing_id("ContactAssignment"),
                                                           "function": "TRACKING", "enabled": True}}}, alice),
        ({"query": h.SET_FUNCTION, "variables": {"input": {"assignmentId": h.missing_id("ContactAssignment"),
                                                           "function": "NOPE", "enabled": True}}}, both[1]),
        ({"query": h.ASSIGN, "variables": {"input": {"quoteId": demo.full, "contactId": martin, "functions": []}}},
         {"Authorization": "Bearer demo-mallory"}),  # another partner's quote: not found
        ({"query": h.QUOTE, "variables": {"id": demo.full}}, alice),
    ]
    return requests


def counted(metrics: str) -> dict[str, float]:
    return {f"{m[1]}{{{m[2]}}}": float(m[3]) for m in map(COUNTED.match, metrics.splitlines()) if m}


async def exchange(api, service, requests) -> tuple[list[tuple[int, str, bytes]], dict[str, float]]:
    """The answers to `requests` over fresh demo data, and what they added to the counters."""
    before = counted((await api.http.get("/metrics")).text)
    answers = []
    for body, headers in requests:
        response = await api.http.post("/graphql", json=body, headers=headers)
        content = ORDERED_AT.sub(b'"orderedAt":"(loaded)"', response.content)
        answers.append((response.status_code, response.headers["content-type"], content))
    after = counted((await api.http.get("/metrics")).text)
    return answers, {key: value - before.get(key, 0) for key, value in after.items() if value != before.get(key, 0)}


async def test_a_plain_request_is_answered_as_strawberry_answers_it(api, service, monkeypatch):
    view = service.app.state.graphql
    requests = corpus(await h.demo_of(api))
    full_path = []
    execute = strawberry.Schema.execute

    async def noted(self, *args, **kwargs):
        full_path.append(kwargs.get("operation_name"))
        return await execute(self, *args, **kwargs)

    monkeypatch.setattr(strawberry.Schema, "execute", noted)
    monkeypatch.setattr(view, "response_cache", None)  # every request answered, none replayed
    await reset_demo()
    short, short_counts = await exchange(api, service, requests)
    assert full_path == []  # every request of the corpus is plain: none went Strawberry's way
    full_path.clear()
    view.prepared_path = False
    try:
        await reset_demo()
        full, full_counts = await exchange(api, service, requests)
    finally:
        view.prepared_path = True
    assert len(full_path) == len(requests)  # all of them through Strawberry's view this time
    for number, (mine, theirs) in enumerate(zip(short, full)):
        assert mine == theirs, (number, requests[number][0].get("query", "")[:60], mine, theirs)
    assert short_counts == full_counts
    assert {status for status, _, _ in short} == {200, 400}  # request errors in application/graphql-response+json
    answers = [json.loads(content) for _, _, content in short]
    assert sum("errors" in answer for answer in answers) == 4  # a variable missing (3), one that does not coerce
    assert sum('"userErrors":[{' in content.decode() for _, _, content in short) >= 3
