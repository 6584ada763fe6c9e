"""schema.graphql, the SDL committed at the top of the repository, is the schema that a real
server serves (introspected over HTTP). After a change to schema/, `make schema` rewrites the
file. (`.ci/run` checks the file against the API contract before the test suite.)"""

from __future__ import annotations

import difflib

from graphql import build_client_schema, build_schema, get_introspection_query, lexicographic_sort_schema, print_schema

from schema.sdl import FILE, sdl

STALE = "schema.graphql is not the served schema: run `make schema` and commit it.\n"


def canonical(schema) -> str:
    return print_schema(lexicographic_sort_schema(schema))


def diff(want: str, got: str) -> str:
    return "".join(difflib.unified_diff(want.splitlines(True), got.splitlines(True), "schema.graphql", "served", n=2))


def test_the_file_is_the_schema_as_strawberry_prints_it():
    assert FILE.read_text(encoding="utf-8") == sdl(), STALE + diff(FILE.read_text(encoding="utf-8"), sdl())


async def test_the_file_is_the_schema_a_real_server_serves(api):
    body = (await api.post(get_introspection_query(descriptions=True, specified_by_url=True,
                                                   directive_is_repeatable=True, input_value_deprecation=True))).json()
    assert "errors" not in body, body
    served = canonical(build_client_schema(body["data"]))
    committed = canonical(build_schema(FILE.read_text(encoding="utf-8")))
    assert committed == served, STALE + diff(committed, served)

