"""Documents an attacker sends to make one small request cost seconds or gigabytes (issue 12),
shared by the tests of the limits at each tier."""

from __future__ import annotations

from graphql import get_introspection_query


def fragment_fan_out(levels: int = 20) -> str:
    """`levels` fragments, each spreading the next twice (789 bytes for 20): 2**levels fields
    once every spread is followed."""
    fragments = [f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels)]
    fragments.append(f"fragment F{levels} on Query {{ __typename }}")
    return "{ ...F0 } " + " ".join(fragments)


def duplicate_fields(count: int = 600) -> str:
    """The same field `count` times (about 9 kB for 600): graphql-core compares every pair."""
    return "{ " + "viewer { name } " * count + "}"


def aliased_introspection(count: int = 30) -> str:
    """The introspection query that GraphiQL sends, `count` times under as many aliases."""
    query = get_introspection_query(descriptions=True)
    operation, fragments = query[: query.index("fragment")], query[query.index("fragment"):]
    body = operation[operation.index("{") + 1: operation.rindex("}")].strip()
    return "query { " + " ".join(f"a{i}: {body}" for i in range(count)) + " } " + fragments


def many_tokens(count: int = 20_000) -> str:
    """A document of `count` tokens (40 kB for 20,000): under the body limit, over the token one."""
    return "{ viewer { " + "a " * count + "} }"
