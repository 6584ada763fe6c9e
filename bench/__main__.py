"""`python -m bench` (`make bench`): the service measured against the raw-SQL floor, in one run.

1. Builds the dataset on PostgreSQL (a fresh database) and on SQLite (bench.dataset).
2. Counts the SQL statements the service sends for one step-2 read (bench.statements), and
   starts the floor with as many (bench.floor); checks that the floor answers the same data.
3. Loads the step-2 query on the floor, on the service over PostgreSQL and over SQLite
   (wrk, else bench.pyload): requests/s, p50, p99.
4. setAssignmentFunction under 20 clients on PostgreSQL (bench.mutations).
5. One change pushed to 1,000 subscribers, and memory per idle subscriber (bench.fanout).
6. Prints the tables and writes them to BENCHMARKS.md (bench.report).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import dataclasses
import json
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

import orjson

from bench import agreement, dataset, fanout, load, machine, mutations, operations, report, statements
from bench.procs import ROOT, api_server, database_name, floor_server

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/bench"


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10,
                        help="length of each measured load (default 10; whole seconds with wrk)")
    parser.add_argument("--warmup", type=float, default=2, help="warm-up before each measured load (default 2)")
    parser.add_argument("--connections", type=int, default=10, help="concurrent clients of the step-2 query")
    parser.add_argument("--mutation-connections", type=int, default=20)
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3, help="changes pushed to the subscribers (default 3)")
    parser.add_argument("--client", choices=("auto", "wrk", "python"), default="auto",
                        help="load generator of the reads: wrk when installed (auto), or bench/pyload.py")
    parser.add_argument("--ws-compression", choices=("browser", "none"), default="browser",
                        help="subscribers offer permessage-deflate as browsers do (default), or nothing")
    parser.add_argument("--output", type=Path, default=ROOT / "BENCHMARKS.md", help="where to write the tables")
    parser.add_argument("--no-write", action="store_true", help="print the tables only")
    parser.add_argument("--json", type=Path, help="also write every figure as JSON to this file")
    return parser.parse_args(argv)


def bodies_file(directory: Path, quote_ids: list[int]) -> Path:
    """The step-2 request of each generated quote, one a line (for wrk and bench/pyload.py)."""
    query = operations.quote_query()
    path = directory / "step2-bodies.jsonl"
    path.write_bytes(b"\n".join(
        orjson.dumps({"query": query, "variables": {"id": base64.b64encode(f"Quote:{q}".encode()).decode()}})
        for q in quote_ids
    ) + b"\n")
    return path


def prime(server, bodies: Path, connections: int = 10) -> None:
    """Reads every quote once, as the users who opened them would have: the response cache
    then holds an answer per quote, which stays valid until the data changes. The requests
    are the load's own, byte for byte and with its Accept (the cache's key holds both)."""
    import httpx

    lines = [line for line in bodies.read_bytes().splitlines() if line]

    async def go() -> None:
        queue = list(lines)
        headers = {"Authorization": "Bearer demo-alice", "Content-Type": "application/json",
                   "Accept": operations.ACCEPT}
        async with httpx.AsyncClient(base_url=server.url, headers=headers, timeout=30) as client:
            async def worker() -> None:
                while queue:
                    response = await client.post("/graphql", content=queue.pop())
                    response.raise_for_status()
            await asyncio.gather(*(worker() for _ in range(connections)))

    asyncio.run(go())


def step2_load(server, bodies: Path, url: str, args: argparse.Namespace, primed: bool = False) -> load.LoadResult:
    database = database_name(url)
    if primed:
        prime(server, bodies)
    if args.warmup:
        load.bodies_load(server.url, server.pid, bodies, connections=args.connections, seconds=args.warmup,
                         database=database, client=args.client, seed=7)
    return load.bodies_load(server.url, server.pid, bodies, connections=args.connections, seconds=args.seconds,
                            database=database, client=args.client)


def mutation_load(server, pg, args: argparse.Namespace, query: str | None = None) -> load.LoadResult:
    result = mutations.run(server, pg, connections=args.mutation_connections, seconds=args.seconds, warmup=args.warmup,
                           query=query)
    log(f"setAssignmentFunction ({server.name}): {describe(result)}, {result.accepted} accepted, {result.refused} refused")
    return result


def describe(result: load.LoadResult) -> str:
    return (f"{result.rps:,.1f} req/s, p50 {result.p50_ms:.2f} ms, p99 {result.p99_ms:.2f} ms, "
            f"{result.error_count} errors ({result.client})")


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    started = time.monotonic()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)  # 1,000 sockets on each side
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 65536)), hard))
    if args.client == "wrk" and not load.wrk_available():
        sys.exit("bench: --client wrk, but wrk is not installed (apt-get install wrk)")
    if args.client == "auto" and not load.wrk_available():
        log("wrk not found: the reads are loaded by bench/pyload.py (apt-get install wrk for wrk)")

    postgres_url = os.environ.get("BENCH_DATABASE_URL") or DEFAULT_DATABASE_URL
    workdir = Path(tempfile.mkdtemp(prefix="bench-"))
    sqlite_url = f"sqlite://{workdir / 'bench.sqlite3'}"
    try:
        info = machine.describe(postgres_url)
        busy = machine.background_load()
        if busy > 0.3:
            log(f"the machine is already busy ({busy:.2f} cores) before the benchmark: figures will be lower")
        settings = {"seconds": args.seconds, "warmup": args.warmup, "connections": args.connections,
                    "mutation_connections": args.mutation_connections, "subscribers": args.subscribers,
                    "rounds": args.rounds}

        log(f"dataset on {postgres_url} and on SQLite")
        pg = asyncio.run(dataset.build(postgres_url))
        sq = asyncio.run(dataset.build(sqlite_url))
        run = report.Run(info, busy, settings, pg, sq)
        bodies = bodies_file(workdir, pg.quote_ids)

        log("counting the SQL statements of the service")
        run.statements["postgres"] = statements.count(pg)
        run.statements["sqlite"] = statements.count(sq)
        first_reads = run.statements["postgres"].step2_first
        run.floor_statements = max(1, min(6, min(first_reads)))
        log(f"step-2 read: {run.statements['postgres'].step2} statements on PostgreSQL "
            f"({run.statements['postgres'].resets} pool resets), {run.statements['sqlite'].step2} on SQLite; "
            f"floor with {run.floor_statements}")

        with api_server(postgres_url) as service, floor_server(postgres_url, run.floor_statements) as floor:
            run.compared = agreement.check(service.url, floor.url, pg)
            run.compared_mutations = agreement.check_mutation(service.url, floor.url, pg)
        log(f"the floor answers as the service ({run.compared} reads and {run.compared_mutations} "
            f"setAssignmentFunction answers compared)")

        with floor_server(postgres_url, run.floor_statements) as floor:
            run.step2["floor"] = step2_load(floor, bodies, postgres_url, args)
            log(f"floor: {describe(run.step2['floor'])}")
            run.mutations["floor"] = mutation_load(floor, pg, args)
        log(f"floor, setAssignmentFunction: {describe(run.mutations['floor'])}")

        with api_server(postgres_url, {"RESPONSE_CACHE_ENTRIES": "0"}) as service:
            run.step2["postgres-uncached"] = step2_load(service, bodies, postgres_url, args)
        log(f"service, PostgreSQL, response cache off: {describe(run.step2['postgres-uncached'])}")

        with api_server(postgres_url) as service:
            run.step2["postgres"] = step2_load(service, bodies, postgres_url, args, primed=True)
            log(f"service, PostgreSQL: {describe(run.step2['postgres'])}")
            run.mutations["postgres"] = mutation_load(service, pg, args)
            run.mutations["postgres-short"] = mutation_load(service, pg, args, mutations.SHORT_SELECTION)
        with api_server(postgres_url, workers=2) as service:
            run.mutations["postgres-2"] = mutation_load(service, pg, args)

        with api_server(sqlite_url) as service:
            run.step2["sqlite"] = step2_load(service, bodies, sqlite_url, args, primed=True)
        log(f"service, SQLite: {describe(run.step2['sqlite'])}")

        with api_server(postgres_url) as service:
            log(f"{args.subscribers} subscribers")
            try:
                run.fanout = fanout.run(service, pg, count=args.subscribers, rounds=args.rounds,
                                        compression=args.ws_compression)
            except Exception as error:  # noqa: BLE001 - reported in the table, the rest stands
                run.fanout = fanout.FanoutResult(False, f"failed: {type(error).__name__}: {error}")
        if run.fanout.available:
            log(f"live updates: last subscriber {run.fanout.last_ms_median:.1f} ms after the answer (median), "
                f"{run.fanout.bytes_per_subscriber / 1024:.1f} KiB per idle subscriber")
        else:
            log(f"live updates not available: {run.fanout.reason}")

        run.seconds = time.monotonic() - started
        text = report.markdown(run)
        print(text)
        if not args.no_write:
            args.output.write_text(text, encoding="utf-8")
            log(f"written to {args.output}")
        if args.json:
            args.json.write_text(json.dumps(dataclasses.asdict(run), default=str, indent=2), encoding="utf-8")
        log(f"done in {run.seconds:.0f} s")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
