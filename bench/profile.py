"""Where the CPU of one request goes, for BENCHMARKS.md's breakdown.

    python -m bench.profile                     # PostgreSQL: the database bench_profile, rebuilt
    python -m bench.profile --requests 3000 --database-url postgres://postgres@127.0.0.1:5432/NAME

The benchmark's usual dataset; the service's app (`api.app.create_app`, response cache off,
no access log) in this process, driven straight through ASGI, one request at a time, with no
client nor socket, on the event loop `python -m api serve` runs (uvloop, as uvicorn picks it
when installed): what it measures is the app's own CPU. First the CPU per request, unprofiled
(`time.process_time`), for the step-2 read as the frontend sends it, for `{ viewer { name } }`
(the cost of any authenticated GraphQL request) and for GET /healthz (the cost of the HTTP stack
alone); then the step-2 read under cProfile, its functions' own time grouped by what they do,
each group's share scaled to the unprofiled CPU per request (cProfile, on CPU time, slows small
functions more than large ones: the shares are an estimate, the total is measured).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import cProfile
import dataclasses
import pstats
import random
import sysconfig
import time
from dataclasses import dataclass, field

import orjson

from api.app import create_app
from api.settings import Settings
from bench import dataset, operations

# Groups, by the file a function is in; the first that matches.
GROUPS = [
    ("authentication (token → viewer)", ("contacts/auth.py", "api/authentication.py", "hashlib")),
    ("parsing, limits, validation (cached per document)", ("graphql/language", "graphql/validation", "schema/documents.py",
                                                          "schema/limits.py", "schema/operations.py")),
    ("SQL: driver, pool, ORM's connection wrapper", ("asyncpg", "tortoise", "aiosqlite", "contacts/db.py:run",
                                                     "contacts/db.py:_fetch", "contacts/db.py:fetch",
                                                     "contacts/db.py:give_back", "contacts/db.py:close",
                                                     "contacts/db.py:_release", "contacts/db.py:session")),
    ("rows made into models", ("contacts/db.py", "contacts/reads.py", "<rows of")),
    ("rules, state, messages", ("contacts/rules.py", "contacts/state.py", "contacts/messages.py", "contacts/suggestion",
                                "contacts/text.py")),
    ("ids (base64)", ("schema/ids.py", "base64")),
    ("step-2 views (schema/quote.py, types, loaders)", ("schema/quote.py", "schema/types.py", "schema/loaders.py",
                                                        "schema/selection.py", "schema/query.py", "schema/context.py",
                                                        "schema/errors.py", "strawberry/dataloader.py")),
    ("completion (schema/execution.py, graphql-core)", ("schema/execution.py", "<selection on", "graphql/execution", "graphql/pyutils",
                                                       "graphql/type")),
    ("Strawberry: HTTP view, schema.execute, extensions", ("strawberry", "schema/extensions.py", "schema/__init__.py",
                                                           "api/graphql_view.py", "api/graphql_http.py", "cross_web")),
    ("JSON (orjson, json)", ("orjson", "json")),
    ("Starlette, middleware, metrics, logging", ("starlette", "api/", "prometheus_client", "logging")),
    ("asyncio, sockets (tasks, futures, event loop, send and receive)", ("asyncio", "uvloop", "contextvars", "selectors",
                                                                        "epoll", "_socket")),
]
STDLIB = sysconfig.get_paths()["stdlib"]
OTHER = "other (the benchmark's own calls, dataclasses' generated code...)"


def group_of(filename: str, function: str) -> str:
    where = f"{filename}:{function}"
    for name, needles in GROUPS:
        if any(needle in where for needle in needles):
            return name
    if filename == "~":  # a built-in: orjson's and json's C functions, dict and list methods...
        return next((name for name, needles in GROUPS[-3:-2] if any(n in function for n in needles)), OTHER)
    return OTHER


def request(method: str, path: str, body: bytes = b"", token: str = "demo-alice"):
    headers = [(b"host", b"bench"), (b"authorization", f"Bearer {token}".encode()),
               (b"accept", operations.ACCEPT.encode()), (b"content-type", b"application/json"),
               (b"content-length", str(len(body)).encode())]
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
             "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "", "headers": headers,
             "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80)}
    return scope, body


async def call(app, scope: dict, body: bytes) -> int:
    sent = False
    status = 0

    async def receive():
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.sleep(3600)

    async def send(message):
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(dict(scope), receive, send)
    return status


async def cpu_per_request(app, requests: list[tuple[dict, bytes]]) -> float:
    """Milliseconds of this process's CPU per request, one request at a time."""
    started = time.process_time()
    for scope, body in requests:
        assert await call(app, scope, body) == 200
    return (time.process_time() - started) * 1000 / len(requests)


@dataclass
class Breakdown:
    """CPU per request unprofiled (ms, by request), and the step-2 read's by part (µs, costliest
    first), with the costliest functions left ungrouped."""

    requests: int
    figures: dict[str, float]
    parts: list[tuple[str, float, float]]  # part, µs a request, share
    ungrouped: list[tuple[float, str]] = field(default_factory=list)


async def breakdown(database_url: str, quote_ids: list[int], requests: int = 2000) -> Breakdown:
    """Measures the app over `database_url` (migrated, with the benchmark's data; nothing else
    serving from this process), reading the step-2 screen of `quote_ids` drawn at random."""
    settings = dataclasses.replace(Settings(database_url=database_url, access_log=False),
                                   response_cache_entries=0, log_level="WARNING")
    app = create_app(settings)
    query = operations.quote_query()
    rng = random.Random(18)
    ids = [rng.choice(quote_ids) for _ in range(requests)]
    step2 = [request("POST", "/graphql", orjson.dumps(
        {"query": query, "variables": {"id": base64.b64encode(f"Quote:{q}".encode()).decode()}})) for q in ids]
    viewer = [request("POST", "/graphql", b'{"query": "{ viewer { name } }"}')] * requests
    health = [request("GET", "/healthz")] * requests
    async with app.router.lifespan_context(app):
        for each in (step2, viewer, health):  # warm-up: documents prepared, pool open, code compiled
            await cpu_per_request(app, each[:200])
        figures = {name: await cpu_per_request(app, each)
                   for name, each in (("step-2 read", step2), ("{ viewer { name } }", viewer), ("GET /healthz", health))}
        profiler = cProfile.Profile(time.process_time)  # CPU time: waiting for the database counts nothing
        profiler.enable()
        await cpu_per_request(app, step2[: requests // 2])
        profiler.disable()
    stats = pstats.Stats(profiler).stats
    own: dict[str, float] = {}
    ungrouped = []
    for (filename, line, function), (_, _, tottime, _, callers) in stats.items():
        # A built-in (getattr, len, a dict's method...) or a helper of the standard library
        # (functools, contextlib, inspect...) counts for the group of its callers.
        helper = filename == "~" or (group_of(filename, function) == OTHER and STDLIB in filename)
        shares = ([(group_of(caller[0], caller[2]), timing[2]) for caller, timing in callers.items()]
                  if helper and callers else [(group_of(filename, function), tottime)])
        called = sum(t for _, t in shares) or 1.0
        for group, t in shares:
            own[group] = own.get(group, 0.0) + tottime * t / called
        if not helper and group_of(filename, function) == OTHER:
            ungrouped.append((tottime, f"{filename}:{line}:{function}"))
    total = sum(own.values()) or 1.0
    per_request_us = figures["step-2 read"] * 1000
    parts = [(group, per_request_us * seconds / total, seconds / total)
             for group, seconds in sorted(own.items(), key=lambda item: -item[1])]
    return Breakdown(requests, figures, parts,
                     [(per_request_us * t / total, where) for t, where in sorted(ungrouped, reverse=True)])


def breakdown_lines(result: Breakdown) -> list[str]:
    """The breakdown as markdown, for BENCHMARKS.md."""
    f = result.figures
    return [
        f"CPU of the server's own process per request, one request at a time, {result.requests:,} of each "
        f"(the app driven through ASGI in the benchmark's process, on uvloop as the server: no client, no "
        f"socket): the step-2 read "
        f"{f['step-2 read']:.2f} ms, `{{ viewer {{ name }} }}` {f['{ viewer { name } }']:.2f} ms (what any "
        f"authenticated GraphQL request costs: the token's statement, Strawberry's view and execution), "
        f"GET /healthz {f['GET /healthz']:.2f} ms (the HTTP stack alone). The step-2 read's CPU by part: "
        "cProfile's own time of each function, on CPU time, grouped by what the function does (a built-in or "
        "a helper of the standard library counts for its callers), each group's share applied to the "
        "unprofiled total.",
        "",
        "| part of one step-2 read | µs a request | share |",
        "|---|--:|--:|",
        *(f"| {part} | {us:,.0f} | {100 * share:.0f}% |" for part, us, share in result.parts),
        "",
    ]


def run_loop(coroutine):
    """Runs `coroutine` on the server's event loop: uvloop when installed (uvicorn's "auto"
    choice), else asyncio's. On asyncio's own loop, whose scheduling is Python code, cProfile
    gives the loop a larger share than it has in the server."""
    try:
        from uvloop import run
    except ImportError:  # pragma: no cover - uvicorn[standard] installs it on Linux
        return asyncio.run(coroutine)
    return run(coroutine)


async def main_async(args: argparse.Namespace) -> None:
    data = await dataset.build(args.database_url)
    result = await breakdown(args.database_url, data.quote_ids, args.requests)
    print("\n".join(breakdown_lines(result)))
    for us, where in result.ungrouped[: args.show_other]:
        print(f"  {us:7.1f} µs  {where}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/bench_profile")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--show-other", type=int, default=0, help="also list the N costliest functions left ungrouped")
    run_loop(main_async(parser.parse_args(argv)))


if __name__ == "__main__":
    main()
