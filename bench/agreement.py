"""The floor answers what the service answers: the same `data`, key order aside, for a few
quotes (drafts and ordered, with ad-hoc and partner contacts) and audiences (permissions and
language), for setAssignmentFunction, and for the realistic mix's users on their own drafts
(reads and changes in turn, through either). Checked once before the floor is measured; a
difference stops the benchmark."""

from __future__ import annotations


import httpx

from bench import operations
from bench.dataset import Dataset
from bench.mix import drafts_of_users as mix_drafts
from schema.ids import encode_id

AUDIENCES = (("demo-alice", "fr"), ("demo-bob", "en"), ("demo-victor", "fr"))



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
                body = {"query": query, "variables": {"id": encode_id("Quote", quote)}}
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


HISTORY = ("query($id: ID!) { quote(id: $id) { history(first: 10) { edges { node "
           "{ id kind actor contactName assignmentId function summary } } } } }")


def check_mutation(service_url: str, floor_url: str, dataset: Dataset) -> int:
    """setAssignmentFunction: the service and the floor take turns on the same contacts (each
    undoing what the other did), and each floor answer is compared with the service's answer
    that left the same state; only the quote's version differs (raised by every change). Each
    change writes the same history entries whoever made it (read back through the service's
    Quote.history, their ids and times aside). Then a refusal (a fourth TRACKING contact)."""
    query = operations.set_assignment_function()
    compared = 0
    with httpx.Client(timeout=30) as http:
        def send(url: str, assignment: int, function: str, enabled: bool) -> dict:
            variables = {"input": {"assignmentId": encode_id("ContactAssignment", assignment), "function": function,
                                   "enabled": enabled}}
            answer = http.post(f"{url}/graphql", json={"query": query, "variables": variables},
                               headers={"Authorization": "Bearer demo-alice"}).json()
            if answer.get("errors"):
                raise AssertionError(f"setAssignmentFunction failed at {url}: {answer}")
            answer["data"]["setAssignmentFunction"]["quote"].pop("version")
            return answer["data"]

        def written_by(quote: int, change) -> tuple[dict, list[dict]]:
            """What `change()` answers, and the history entries it wrote (oldest first)."""
            def newest() -> list[dict]:
                answer = http.post(f"{service_url}/graphql", json={"query": HISTORY, "variables": {"id": encode_id("Quote", quote)}},
                                   headers={"Authorization": "Bearer demo-alice"}).json()
                return [edge["node"] for edge in answer["data"]["quote"]["history"]["edges"]]

            known = {entry["id"] for entry in newest()}
            answer = change()
            entries = [{k: v for k, v in entry.items() if k != "id"} for entry in reversed(newest()) if entry["id"] not in known]
            return answer, entries

        for quote in sorted(set(dataset.drafts) - {dataset.hot_quote})[:4]:
            rows = dataset.drafts[quote]
            for row in rows[:2]:
                for function in ("TRACKING", "ON_SITE"):
                    had = function in row.functions
                    if function == "TRACKING" and not had and sum("TRACKING" in r.functions for r in rows) >= 3:
                        continue  # would be refused: nothing to undo
                    holder = next((r.id for r in rows if function == "ON_SITE" and function in r.functions), None)
                    changed, made = written_by(quote, lambda: send(service_url, row.id, function, not had))
                    back, undone = written_by(quote, lambda: send(floor_url, row.id, function, had))
                    # The floor's redo starts where the service's change started unless that
                    # change took ON_SITE from another holder: its entries are compared then only.
                    made = made if holder in (None, row.id) else None
                    for url, expected, entries, enabled in ((floor_url, changed, made, not had),
                                                            (service_url, back, undone, had)):
                        answer, written = written_by(quote, lambda: send(url, row.id, function, enabled))
                        difference = first_difference(expected, answer)
                        if difference:
                            raise AssertionError(f"setAssignmentFunction on quote {quote}, service vs floor: {difference}")
                        if entries is not None and (written != entries or not written):
                            raise AssertionError(f"setAssignmentFunction on quote {quote}: history entries {written} "
                                                 f"where the same change wrote {entries}")
                        compared += 1
                    if holder is not None and holder != row.id:  # ON_SITE back where it was
                        send(service_url, holder, function, True)
        quote, rows = next((q, rows) for q, rows in sorted(dataset.drafts.items()) if q != dataset.hot_quote and len(rows) >= 4)
        for i, row in sorted(enumerate(rows), key=lambda item: item[0] < 3):  # TRACKING on the first three only
            send(service_url, row.id, "TRACKING", i < 3)
        refused = [send(url, rows[3].id, "TRACKING", True) for url in (service_url, floor_url)]
        if not refused[0]["setAssignmentFunction"]["userErrors"]:
            raise AssertionError(f"the service accepted a fourth TRACKING contact on quote {quote}")
        difference = first_difference(*refused)
        if difference:
            raise AssertionError(f"setAssignmentFunction refused on quote {quote}, service vs floor: {difference}")
        compared += 1
        for row in sorted(rows, key=lambda row: "TRACKING" in row.functions):  # back as the dataset says
            send(service_url, row.id, "TRACKING", "TRACKING" in row.functions)
    return compared


def check_mix(service_url: str, floor_url: str, dataset: Dataset, users: int = 3) -> int:
    """The realistic mix's users, each on its own draft: the service's and the floor's reads
    agree (the quote's version included) before a change, after a change through the service
    and after the change undone through the floor, and each change's answer agrees with the
    reads that follow it. The service reads with its response cache on: a read after the
    floor's change shows that change, or the check fails."""
    read, change = operations.quote_query(), operations.set_assignment_function()
    compared = 0
    with httpx.Client(timeout=30) as http:
        def post(url: str, token: str, query: str, variables: dict) -> dict:
            answer = http.post(f"{url}/graphql", json={"query": query, "variables": variables},
                               headers={"Authorization": f"Bearer {token}", "Accept": operations.ACCEPT}).json()
            if answer.get("errors"):
                raise AssertionError(f"{url} answered {token} with errors: {answer}")
            return answer["data"]

        def both_read(token: str, quote: int, moment: str, expected: dict | None = None) -> None:
            nonlocal compared
            variables = {"id": encode_id("Quote", quote)}
            service, floor = post(service_url, token, read, variables), post(floor_url, token, read, variables)
            for name, other in (("the floor's read", floor), ("the change's answer", expected)):
                difference = other is not None and first_difference(service, other)
                if difference:
                    raise AssertionError(f"mix: quote {quote} as {token}, {moment}: the service's read vs {name}: "
                                         f"{difference}")
            compared += 1

        for token, quote in list(mix_drafts(dataset).items())[:users]:
            rows = dataset.drafts[quote]
            target = next((r for r in rows if "ON_SITE" in r.functions), rows[0])  # one row changes each way
            had = "ON_SITE" in target.functions
            both_read(token, quote, "before any change")
            for url, enabled, who in ((service_url, not had, "service"), (floor_url, had, "floor")):
                variables = {"input": {"assignmentId": encode_id("ContactAssignment", target.id), "function": "ON_SITE",
                                       "enabled": enabled}}
                payload = post(url, token, change, variables)["setAssignmentFunction"]
                if payload["userErrors"]:
                    raise AssertionError(f"mix: the {who} refused ON_SITE={enabled} on quote {quote}: {payload}")
                both_read(token, quote, f"after the {who}'s change", {"quote": payload["quote"]})
    return compared
