"""No request may cost seconds or gigabytes (issue 12): the documents of the attack, over HTTP
and over WebSocket, against the service in this process.

Costs are the process's CPU time for a request, compared with that of a cheap request measured
in the same run (never an absolute time); memory is what tracemalloc sees kept. Before the
limits were checked in one pass, the fragment fan-out took 4-5 s of CPU (thousands of cheap
requests), 600 duplicate fields 1.5-2 s, 30 aliased introspection queries 1.4-1.8 s, a
20,000-token document 0.6-1.6 s; each refused 40 kB document kept 12 MB."""

from __future__ import annotations

import gc
import json
import statistics
import time
import tracemalloc

from graphql import get_introspection_query

from schema.documents import size_of
from tests.support.api import LOOKUP, QUOTE, STEP2, demo_of
from tests.support.hostile import aliased_introspection, duplicate_fields, fragment_fan_out, many_tokens
from tests.support.wsclient import WAIT, LiveClient

CHEAP = "{ viewer { name } }"
# Refused documents cost about what parsing them costs: at most this many cheap requests
# (measured here: 3 to 40; the 20,000-token document is parsed up to its 5,000th token).
REFUSED_AT_MOST = 150
ATTACKS = {
    "20 fragments, each spreading the next twice": (fragment_fan_out(20), "QUERY_TOO_COSTLY"),
    "600 duplicate fields": (duplicate_fields(600), "QUERY_TOO_COSTLY"),
    "30 aliased introspection queries": (aliased_introspection(30), "QUERY_TOO_COSTLY"),
    "20,000 tokens": (many_tokens(20_000), "TOO_MANY_TOKENS"),
}


async def cpu(send, times: int = 3) -> float:
    """The least CPU time of this process over `times` runs of `send()`."""
    best = float("inf")
    for _ in range(times):
        started = time.process_time()
        await send()
        best = min(best, time.process_time() - started)
    return best


async def median_cpu(send, times: int = 21) -> float:
    samples = []
    for _ in range(times):
        started = time.process_time()
        await send()
        samples.append(time.process_time() - started)
    return statistics.median(samples)


async def test_the_documents_of_the_attack_are_refused_over_http_before_they_cost(api):
    async def cheap():
        assert (await api.post(CHEAP)).status_code == 200

    cheap_cpu = await median_cpu(cheap)
    for label, (document, code) in ATTACKS.items():
        async def send(document=document, code=code):
            response = await api.post(document, headers={"Accept": "application/json"})
            assert response.status_code == 400, (label, response.text[:300])
            assert [e["extensions"]["code"] for e in response.json()["errors"]] == [code], response.text[:300]

        ratio = await cpu(send) / cheap_cpu
        assert ratio < REFUSED_AT_MOST, f"{label}: {ratio:.0f} cheap requests"
    # ...while what partners send passes: GraphiQL's introspection, the step-2 screen's query.
    assert (await api(get_introspection_query(descriptions=True, input_value_deprecation=True)))["__schema"]
    assert (await api(QUOTE, {"id": (await demo_of(api)).full}))["quote"]["reference"]


async def test_the_documents_of_the_attack_are_refused_over_websocket_before_they_cost(api):
    async with await LiveClient.connect(api.url, "demo-alice") as live:
        sent = 0

        async def ask(document: str) -> dict:
            nonlocal sent
            sent += 1
            op_id = f"q{sent}"
            await live.ws.send(json.dumps({"id": op_id, "type": "subscribe", "payload": {"query": document}}))
            return await live.message_of(op_id, WAIT)

        async def cheap():
            assert (await ask(CHEAP))["type"] == "next"

        cheap_cpu = await median_cpu(cheap, 11)
        for label, (document, code) in ATTACKS.items():
            async def send(document=document, code=code):
                answer = await ask(document)
                assert answer["type"] == "error", answer
                assert [e["extensions"]["code"] for e in answer["payload"]] == [code], answer

            ratio = await cpu(send) / cheap_cpu
            assert ratio < REFUSED_AT_MOST, f"{label} over WebSocket: {ratio:.0f} cheap operations"
        await cheap()  # the connection goes on


REFUSED = 5  # of each kind: ten documents, ten times the bound if each kept what it once did


async def test_refused_documents_keep_nothing_and_kept_ones_no_more_than_their_estimate(api, service):
    documents = service.app.state.schema.documents
    await api.post(many_tokens(20_000))  # whatever a first refusal sets up once
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for i in range(REFUSED):
            assert (await api.post(many_tokens(20_000 + i))).status_code == 400
            assert (await api.post(fragment_fan_out(20 + i))).status_code == 400
        gc.collect()
        kept = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert kept < 1024 * 1024, f"{2 * REFUSED} refused documents kept {kept} bytes"  # before: 12 MB each

    # A kept document, with what executing it compiled, is no larger than the estimate that
    # the byte budget counts.
    demo = await demo_of(api)
    quotes = "query Quotes20 { quotes(first: 20) { edges { node { ...Step2 } } } }" + STEP2
    for document, variables in ((QUOTE, {"id": demo.full}), (LOOKUP, {}), (quotes, {})):
        documents.clear()
        gc.collect()
        tracemalloc.start()
        try:
            for _ in range(2):
                response = await api.post(document, variables)
                assert response.status_code == 200 and not response.json().get("errors"), response.text[:300]
            prepared = documents.prepare(document)
            estimate = size_of(prepared)
            del prepared, response
            gc.collect()
            with_it = tracemalloc.get_traced_memory()[0]
            documents.clear()
            gc.collect()
            freed = with_it - tracemalloc.get_traced_memory()[0]
        finally:
            tracemalloc.stop()
        assert 0 < freed <= estimate, (document[:40], freed, estimate)


async def test_websocket_messages_are_bounded_and_more_so_before_connection_init(api):
    """Before: messages up to 16 MiB were read and parsed before connection_init."""
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed

    from tests.support.wsclient import TRANSPORT_WS, ws_url

    async with connect(ws_url(api.url), subprotocols=[TRANSPORT_WS], open_timeout=WAIT, ping_interval=None,
                       max_size=None) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {"pad": "x" * 20_000}}))
        try:
            await ws.recv()
        except ConnectionClosed as closed:
            assert closed.rcvd.code == 1009  # too big: not read whole
        else:
            raise AssertionError("a 20 kB connection_init was read")

    async with await LiveClient.connect(api.url, "demo-alice") as live:
        padded = CHEAP + " # " + "x" * 60_000  # one comment: one token
        await live.ws.send(json.dumps({"id": "big", "type": "subscribe", "payload": {"query": padded}}))
        assert (await live.result("big"))["data"]["viewer"]["name"] == "Alice Durand"
        await live.ws.send(json.dumps({"id": "huge", "type": "subscribe", "payload": {"query": "x" * 200_000}}))
        try:
            while (message := await live.receive(WAIT)).get("id") != "huge":
                pass
        except ConnectionClosed as closed:
            assert closed.rcvd.code == 1009
        else:
            raise AssertionError(f"a 200 kB message was read: {message}")
