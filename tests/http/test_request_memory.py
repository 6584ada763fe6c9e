"""A request's objects (its context, loaders, rows and views) are freed as soon as it ends, by
their reference counts: none is left in a reference cycle for the garbage collector. Left in
cycles, every request's rows would wait for a collection, and the collections (which stop
every request in flight while they run) would come more often and last longer as traffic
grows. The screen's reads and changes, with and without errors, in both languages."""

from __future__ import annotations

import gc
from collections import Counter

from tortoise.models import Model

from tests.http.test_prepared_execution import corpus
from tests.support import api as h

# The kinds of object that a request makes and that must not outlive it. The rest of what a
# collection finds in such a test belongs to the test's own HTTP client.
OURS = ("contacts.", "schema.", "api.", "graphql.", "strawberry.", "starlette.")


def left_in_cycles() -> Counter:
    """What the garbage collector finds unreachable now, by kind (module and class)."""
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        gc.collect()
        # By type(o), never o itself: a weak proxy found there may point to what is already gone.
        kinds = [type(o) for o in gc.garbage]
        return Counter(f"{kind.__module__}.{kind.__qualname__}" for kind in kinds
                       if issubclass(kind, Model) or kind.__module__.startswith(OURS))
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.collect()  # what was kept for the count is freed now


async def test_a_request_leaves_nothing_for_the_garbage_collector(api):
    demo = await h.demo_of(api)
    requests = corpus(demo)

    async def send_all() -> None:
        for body, headers in requests:
            response = await api.http.post("/graphql", json=body, headers=headers)
            assert response.status_code in (200, 400), response.text

    await send_all()  # documents prepared, selections compiled: what is kept on purpose is made
    left_in_cycles()
    gc.disable()
    try:
        await send_all()  # the changes are refused this time (already done): errors too
        left = left_in_cycles()
    finally:
        gc.enable()
    assert not left, f"left in reference cycles by {len(requests)} requests: {left.most_common(12)}"
