"""The view's use of the response cache (api/response_cache.py): a read answered from it, or run
and kept in it with what it depends on; a change's answer kept for the read that follows it.

`serve` stands in front of the GraphQL view for an authenticated HTTP request; `run` is the
view itself (Strawberry's handling of the request).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import orjson
from graphql import FieldNode, OperationType
from starlette.requests import ClientDisconnect, Request
from starlette.types import Message, Receive, Scope, Send

from api.graphql_http import replay
from api.observability import PREPARED_KEY
from api.response_cache import Check, QuoteRead, ResponseCache, is_read_only
from contacts.auth import Viewer
from contacts.db import connection_lost
from contacts.dependencies import contacts_versions
from contacts.messages import negotiate
from schema.dependencies import Dependencies, quote_selection
from schema.documents import Documents
from schema.operations import requested

log = logging.getLogger("api.graphql")

Run = Callable[[Scope, Receive, Send], Awaitable[None]]


async def serve(cache: ResponseCache, documents: Documents, run: Run, scope: Scope, request: Request,
                viewer: Viewer, send: Send) -> None:
    """Answers a query from the cache, or runs it and keeps its answer; runs anything else,
    and primes the cache with a change's answer."""
    try:
        body = await request.body() if request.method == "POST" else b""
    except ClientDisconnect:  # gone before sending its whole request: nobody to answer
        return
    receive_again = replay(body, request.receive)

    state = scope["state"]
    sent = requested(request.method, request.query_params, body)
    prepared = documents.prepare(sent[0]) if sent is not None and sent[0] else None
    state["prepared"] = prepared  # for the operation's context: not prepared twice
    dependencies = state["dependencies"] = Dependencies()  # noted by the resolvers
    operation_name = sent[1] if sent else None
    language = negotiate(request.headers.get("accept-language"))
    if not is_read_only(prepared, operation_name):
        answer = await _run_and_capture(run, scope, receive_again, send)
        if dependencies.committed is not None and answer is not None and not state.get("graphql_errors"):
            _prime(cache, prepared, operation_name, dependencies, viewer, language, answer[2])
        return
    key = cache.key(viewer, language, request.method, body if request.method == "POST" else scope.get("query_string", b""),
                    request.headers.get("accept", ""))
    cached = cache.get(key, viewer)
    if isinstance(cached, Check):
        try:
            cached = cache.checked(cached, viewer, await contacts_versions(list(cached.versions)))
        except Exception as error:
            if not connection_lost(error):
                raise
            cached = None  # the operation runs, and answers 503 if the database is still gone
    if cached is not None:
        state[PREPARED_KEY] = (prepared, operation_name)  # its operation, for the metrics and the log
        status, headers, content = cached
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": content})
        return
    answer = await _run_and_capture(run, scope, receive_again, send)
    if answer is None or state.get("graphql_errors"):
        return
    status, headers, content = answer
    operation = prepared.operation(operation_name)
    depends_on = dependencies.of(operation)
    cache.put(key, status, headers, content, data_version=viewer.data_version, depends_on=depends_on)
    if depends_on is not None and status == 200 and len(dependencies.quote_ids) == 1:
        found = quote_selection(prepared.document, operation, "quote")
        if found is not None:
            kept = tuple((name, value) for name, value in headers if name.lower() != b"content-length")
            cache.remember_read(dependencies.quote_ids[0], QuoteRead(key, found[0][0], found[1], kept))


async def _run_and_capture(run: Run, scope: Scope, receive: Receive, send: Send):
    """Runs the view, sending its answer on; the answer (status, headers, body), or None."""
    start: Message = {}
    chunks: list[bytes] = []

    async def keep(message: Message) -> None:
        if message["type"] == "http.response.start":
            start.update(message)
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))
        await send(message)

    await run(scope, receive, keep)
    return (start["status"], list(start.get("headers", [])), b"".join(chunks)) if start else None


def _prime(cache: ResponseCache, prepared, operation_name: str | None, dependencies: Dependencies, viewer: Viewer,
           language: str, content: bytes) -> None:
    """A change answered the quote it changed: that answer stands for the viewer's earlier
    reads of the quote with the same selection, under the versions the change committed."""
    operation = prepared.operation(operation_name)
    if operation is None or operation.operation != OperationType.MUTATION or len(operation.selection_set.selections) != 1:
        return
    root = operation.selection_set.selections[0]
    if not isinstance(root, FieldNode):
        return
    found = quote_selection(prepared.document, operation, root.name.value, "quote")
    quote_id, client_id, raised = dependencies.committed
    if found is None or client_id not in raised.contacts or viewer.partner_id not in raised.data:
        return
    (root_alias, quote_alias), signature = found
    parsed: list = []  # the change's quote, read from its answer only if a read is to be primed

    def encode(alias: str) -> bytes | None:
        if not parsed:
            parsed.append(((orjson.loads(content).get("data") or {}).get(root_alias) or {}).get(quote_alias))
        return orjson.dumps({"data": {alias: parsed[0]}}) if isinstance(parsed[0], dict) else None

    depends_on = {client_id: raised.contacts[client_id],
                  viewer.partner_id: raised.contacts.get(viewer.partner_id, viewer.partner_contacts_version)}
    cache.prime(viewer, language, quote_id, signature, encode,
                data_version=raised.data[viewer.partner_id], depends_on=depends_on)
