"""The floor answers what the service answers: the same `data`, key order aside, for a few
quotes (drafts and ordered, with ad-hoc and partner contacts) and audiences (permissions and
language). Checked once before the floor is measured; a difference stops the benchmark."""

from __future__ import annotations

import base64

import httpx

from bench import operations
from bench.dataset import Dataset

AUDIENCES = (("demo-alice", "fr"), ("demo-bob", "en"), ("demo-victor", "fr"))


def _gid(kind: str, pk: int) -> str:
    return base64.b64encode(f"{kind}:{pk}".encode()).decode()


def first_difference(a, b, path: str = "data") -> str | None:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b)):
            if key not in a or key not in b:
                return f"{path}.{key}: only in {'service' if key in a else 'floor'}"
            found = first_difference(a[key], b[key], f"{path}.{key}")
            if found:
                return found
        return None
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return f"{path}: {len(a)} items (service) vs {len(b)} (floor)"
        for i, (x, y) in enumerate(zip(a, b)):
            found = first_difference(x, y, f"{path}[{i}]")
            if found:
                return found
        return None
    return None if a == b else f"{path}: {a!r} (service) vs {b!r} (floor)"


def quotes_to_check(dataset: Dataset) -> list[int]:
    """A draft and an ordered quote with each kind of contact (client, partner, ad hoc), the
    quote that the subscribers follow, and the demo's first quote (no contact yet)."""
    return sorted({*dataset.examples.values(), dataset.hot_quote, 1})


def check(service_url: str, floor_url: str, dataset: Dataset) -> int:
    """The number of answers compared; raises AssertionError at the first difference."""
    query = operations.quote_query()
    compared = 0
    with httpx.Client(timeout=30) as http:
        for quote in quotes_to_check(dataset):
            for user, language in AUDIENCES:
                headers = {"Authorization": f"Bearer {user}", "Accept-Language": language}
                body = {"query": query, "variables": {"id": _gid("Quote", quote)}}
                service = http.post(f"{service_url}/graphql", json=body, headers=headers).json()
                floor = http.post(f"{floor_url}/graphql", json=body, headers=headers).json()
                if service.get("errors") or not (service.get("data") or {}).get("quote"):
                    raise AssertionError(f"the service did not answer quote {quote} as {user}: {service}")
                difference = first_difference(service["data"], floor.get("data"))
                if difference:
                    raise AssertionError(f"the floor's answer differs from the service's for quote {quote} "
                                         f"as {user} ({language}): {difference}")
                compared += 1
    return compared
