"""`python -m bench` (`make bench`): the service measured against the raw-SQL floor, in one run.

1. Builds the dataset on PostgreSQL (a fresh database) and on SQLite (bench.dataset).
2. Counts the SQL statements the service sends for one step-2 read and one change
   (bench.statements), and starts the floor with as many (bench.floor); checks that the
   floor answers the same data (reads, changes, the mix's users: bench.agreement).
3. The service with its response cache off and the floor, in turns (`in_turns`): the
   step-2 query (wrk, else bench.pyload); then the service's step-2 query and
   setAssignmentFunction on the usual dataset and on one 100 times larger built for the
   purpose, in turns too (bench.scale; `--no-large` skips it).
4. The service as deployed (response cache on): the step-2 query (every quote read once
   before); in turns with the floor, setAssignmentFunction under 20 clients on one process
   and on two (bench.mutations) and the realistic mix (bench.mix); the step-2 query over
   SQLite.
5. (Steps 3 and 4 hold every ratio of the targets: each divides figures taken in turns.)
6. Live updates (bench.fanout): one change pushed to 1,000 subscribers of one process, then
   to 5,000 on two processes sharing Redis; memory per idle subscriber on each.
7. Prints the tables and writes them to BENCHMARKS.md and the README's performance section
   (bench.report, bench.tables).
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
import uuid
from pathlib import Path

import orjson

from bench import (agreement, dataset, fanout, instructions, load, machine, mix, mutations, operations, profile, report,
                   scale, statements)
from bench.procs import ROOT, api_server, database_name, floor_server

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/bench"
REDIS_URL = "redis://127.0.0.1:6379/0"


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10,
                        help="length of each measured load (default 10; whole seconds with wrk)")
    parser.add_argument("--warmup", type=float, default=2, help="warm-up before each measured load (default 2)")
    parser.add_argument("--connections", type=int, default=10, help="concurrent clients of the step-2 query")
    parser.add_argument("--mutation-connections", type=int, default=20)
    parser.add_argument("--mix-users", type=int, default=dataset.USERS,
                        help=f"users of the realistic mix (default and at most {dataset.USERS})")
    parser.add_argument("--subscribers", type=int, default=1000, help="subscribers of one process (default 1000)")
    parser.add_argument("--redis-subscribers", type=int, default=5000,
                        help="subscribers of two processes sharing Redis (default 5000; 0 skips them)")
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", REDIS_URL),
                        help=f"the Redis of the two processes (default {REDIS_URL}; a channel of the run's own)")
    parser.add_argument("--rounds", type=int, default=3, help="changes pushed to the subscribers (default 3)")
    parser.add_argument("--large", action=argparse.BooleanOptionalAction, default=True,
                        help="the dataset 100 times larger, for the cost with size (default: on; --no-large skips it)")
    parser.add_argument("--large-scale", type=int, default=scale.SCALE,
                        help=f"how many times larger (default {scale.SCALE}; less for a quick try)")
    parser.add_argument("--client", choices=("auto", "wrk", "python"), default="auto",
                        help="load generator of the reads: wrk when installed (auto), or bench/pyload.py")
    parser.add_argument("--ws-compression", choices=("browser", "none"), default="browser",
                        help="subscribers offer permessage-deflate as browsers do (default), or nothing")
    parser.add_argument("--output", type=Path, default=ROOT / "BENCHMARKS.md", help="where to write the tables")
    parser.add_argument("--readme", type=Path, default=ROOT / "README.md",
                        help="whose performance section (between its bench markers) gets the summary")
    parser.add_argument("--no-write", action="store_true", help="print the tables only")
    parser.add_argument("--json", type=Path, help="also write every figure as JSON to this file")
    return parser.parse_args(argv)


def bodies_file(directory: Path, quote_ids: list[int], name: str = "step2") -> Path:
    """The step-2 request of each generated quote, one a line (for wrk and bench/pyload.py)."""
    query = operations.quote_query()
    path = directory / f"{name}-bodies.jsonl"
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
    result = load.bodies_load(server.url, server.pid, bodies, connections=args.connections, seconds=args.seconds,
                              database=database, client=args.client)
    log(f"step-2 query ({server.name}, {database or 'sqlite'}): {describe(result)}")
    return result


def mutation_load(server, data: dataset.Dataset, args: argparse.Namespace, query: str | None = None) -> load.LoadResult:
    result = mutations.run(server, data, connections=args.mutation_connections, seconds=args.seconds,
                           warmup=args.warmup, query=query)
    log(f"setAssignmentFunction ({server.name}, {database_name(data.url)}): {describe(result)}, "
        f"{result.accepted} accepted, {result.refused} refused")
    return result


def mix_load(server, data: dataset.Dataset, args: argparse.Namespace) -> load.LoadResult:
    result = mix.run(server, data, seconds=args.seconds, warmup=args.warmup, users=args.mix_users)
    parts = ", ".join(f"{kind} {p['rps']:,.1f}/s p99 {p['p99_ms']:.1f} ms" for kind, p in result.parts.items())
    log(f"realistic mix ({server.name}): {describe(result)}; {parts}; {result.errors.get('stale_reads', 0)} stale")
    return result


def describe(result: load.LoadResult) -> str:
    return (f"{result.rps:,.1f} req/s, p50 {result.p50_ms:.2f} ms, p99 {result.p99_ms:.2f} ms, "
            f"{result.error_count} errors ({result.client})")


def live_updates(servers, data: dataset.Dataset, count: int, args: argparse.Namespace,
                 broker: str) -> fanout.FanoutResult:
    log(f"{count} subscribers on {len(servers)} process(es), events through {broker}")
    try:
        result = fanout.run(servers, data, count=count, rounds=args.rounds, compression=args.ws_compression,
                            broker=broker)
    except Exception as error:  # noqa: BLE001 - reported in the table, the rest stands
        result = fanout.FanoutResult(False, f"failed: {type(error).__name__}: {error}", subscribers=count,
                                     broker=broker)
    if result.available:
        log(f"live updates: last subscriber {result.last_ms_median:.1f} ms after the answer (median), worst "
            f"{result.last_ms_worst:.1f} ms, {result.received_min} received, "
            f"{result.bytes_per_subscriber / 1024:.1f} KiB per idle subscriber (most of any process)")
    else:
        log(f"live updates not available: {result.reason}")
    return result


def turned(args: argparse.Namespace, turns: int = load.TURNS) -> argparse.Namespace:
    """The arguments of one of `turns` turns that share each load's time."""
    return argparse.Namespace(**{**vars(args), "seconds": load.turn_seconds(args.seconds, turns)})


def in_turns(floor_load, service_load) -> tuple[load.LoadResult, load.LoadResult]:
    """The floor's load and the service's, each run load.TURNS times for a share of the time
    (after its own warm-up), in turns: floor, service, service, floor, and again. A load that
    comes or goes on the machine weighs on both alike, and a steady drift of its speed cancels
    out. Measured minutes apart, the floor first, two runs of the same code gave the floor's
    mix 899 and 1,535 requests/s and the service's 827 and 702: ratios of 0.92 and 0.46. With
    two turns each (floor, service, service, floor), one run gave the floor's reads 814.6 then
    411.9 requests/s, the service's 241.3 and 277.0 between them: a change of the machine's
    speed halfway weighed on the floor's first turn alone; more turns share such a change."""
    floor: list[load.LoadResult] = []
    service: list[load.LoadResult] = []
    for _ in range(load.TURNS // 2):
        floor.append(floor_load())
        service.append(service_load())
        service.append(service_load())
        floor.append(floor_load())
    return load.merged(floor), load.merged(service)


def measure(args: argparse.Namespace, run: report.Run, postgres_url: str, sqlite_url: str, workdir: Path) -> None:
    pg, sq = run.postgres, run.sqlite
    bodies = bodies_file(workdir, pg.quote_ids)
    uncached = {"RESPONSE_CACHE_ENTRIES": "0"}

    with api_server(postgres_url) as service, floor_server(postgres_url, run.floor_statements) as floor:
        run.compared = agreement.check(service.url, floor.url, pg)
        run.compared_mutations = agreement.check_mutation(service.url, floor.url, pg)
        run.compared_mix = agreement.check_mix(service.url, floor.url, pg)
    log(f"the floor answers as the service ({run.compared} reads, {run.compared_mutations} setAssignmentFunction "
        f"answers and {run.compared_mix} reads of the mix's users after changes compared)")

    # The floor and the service in turns for each ratio (see `in_turns`); the service's response
    # cache off first: every read resolved.
    turn = turned(args)
    with floor_server(postgres_url, run.floor_statements) as floor, api_server(postgres_url, uncached) as service:
        run.step2["floor"], run.step2["postgres-uncached"] = in_turns(
            lambda: step2_load(floor, bodies, postgres_url, turn), lambda: step2_load(service, bodies, postgres_url, turn))
    run.profile = profile.run_loop(profile.breakdown(postgres_url, pg.quote_ids))
    log(f"step-2 read: {run.profile.figures['step-2 read']:.2f} ms of the app's CPU a request, in process")
    if instructions.available():
        run.instructions = instructions.count(postgres_url)
        log("instructions a request (floor ÷ service): " + ", ".join(
            f"{kind} {run.instructions.ratio(kind):.2f}×" for kind in instructions.KINDS))
    else:
        log("valgrind not found: no count of instructions (apt-get install valgrind)")
    if args.large:
        large_scale(args, run, postgres_url, workdir, uncached)
    else:
        run.scale.skipped = "skipped (--no-large)"

    # The service as deployed (response cache on).
    with floor_server(postgres_url, run.floor_statements) as floor, api_server(postgres_url) as service:
        run.step2["postgres"] = step2_load(service, bodies, postgres_url, args, primed=True)
        run.mutations["floor"], run.mutations["postgres"] = in_turns(
            lambda: mutation_load(floor, pg, turn), lambda: mutation_load(service, pg, turn))
        run.mutations["postgres-short"] = mutation_load(service, pg, args, mutations.SHORT_SELECTION)
        run.mix["floor"], run.mix["postgres"] = in_turns(lambda: mix_load(floor, pg, turn), lambda: mix_load(service, pg, turn))
    with floor_server(postgres_url, run.floor_statements, workers=2) as floor, api_server(postgres_url, workers=2) as service:
        run.mutations["floor-2"], run.mutations["postgres-2"] = in_turns(
            lambda: mutation_load(floor, pg, turn), lambda: mutation_load(service, pg, turn))

    with api_server(sqlite_url) as service:
        run.step2["sqlite"] = step2_load(service, bodies_file(workdir, sq.quote_ids, "sqlite"), sqlite_url, args,
                                         primed=True)

    with api_server(postgres_url) as service:
        run.fanout = live_updates([service], pg, args.subscribers, args, "memory")
    if args.redis_subscribers:
        broker = f"{args.redis_url}{'&' if '?' in args.redis_url else '?'}channel=bench-{uuid.uuid4().hex}"
        with api_server(postgres_url, broker_url=broker) as first, api_server(postgres_url, broker_url=broker) as second:
            run.fanout_redis = live_updates([first, second], pg, args.redis_subscribers, args, "redis")


def large_scale(args: argparse.Namespace, run: report.Run, postgres_url: str, workdir: Path, env: dict) -> None:
    """The large dataset built and counted; the step-2 read and setAssignmentFunction on the
    usual dataset and on the large one (response cache off) in turns, half the time each
    (usual, large, usual, large), so that a load that comes or goes on the machine weighs on
    both alike; then the large dataset dropped."""
    url = scale.large_url(postgres_url)
    run.scale.scale = args.large_scale
    log(f"dataset {args.large_scale} times larger on {url}")
    try:
        large = run.scale.large = asyncio.run(dataset.build(url, scale=args.large_scale, sample=scale.SAMPLE))
        log(f"built in {large.seconds:.1f} s: {large.rows}")
        run.scale.statements = statements.count(large)
        log(f"step-2 read on it: {run.scale.statements.step2} statements; setAssignmentFunction: "
            f"{run.scale.statements.mutation}")
        half = turned(args, 2)
        datasets = {"usual": (run.postgres, bodies_file(workdir, run.postgres.quote_ids)),
                    "large": (large, bodies_file(workdir, large.quote_ids, "large"))}
        reads: dict[str, list] = {"usual": [], "large": []}
        changes: dict[str, list] = {"usual": [], "large": []}
        with api_server(postgres_url, env) as usual, api_server(url, env) as bigger:
            servers = {"usual": usual, "large": bigger}
            for _ in range(2):
                for key, (data, bodies) in datasets.items():
                    reads[key].append(step2_load(servers[key], bodies, data.url, half))
                for key, (data, _) in datasets.items():
                    changes[key].append(mutation_load(servers[key], data, half))
        for key in datasets:
            run.scale.reads[key] = load.merged(reads[key])
            run.scale.changes[key] = load.merged(changes[key])
    finally:
        asyncio.run(scale.drop(url))


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    started = time.monotonic()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)  # thousands of sockets on each side
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 65536)), hard))
    if args.client == "wrk" and not load.wrk_available():
        sys.exit("bench: --client wrk, but wrk is not installed (apt-get install wrk)")
    if args.client == "auto" and not load.wrk_available():
        log("wrk not found: the reads are loaded by bench/pyload.py (apt-get install wrk for wrk)")
    args.mix_users = max(1, min(args.mix_users, dataset.USERS))

    postgres_url = os.environ.get("BENCH_DATABASE_URL") or DEFAULT_DATABASE_URL
    workdir = Path(tempfile.mkdtemp(prefix="bench-"))
    sqlite_url = f"sqlite://{workdir / 'bench.sqlite3'}"
    try:
        info = machine.describe(postgres_url)
        busy = machine.background_load()
        speed = machine.core_speed()
        if busy > 0.3:
            log(f"the machine is already busy ({busy:.2f} cores) before the benchmark: figures will be lower")
        settings = {"seconds": args.seconds, "warmup": args.warmup, "connections": args.connections,
                    "mutation_connections": args.mutation_connections, "mix_users": args.mix_users,
                    "subscribers": args.subscribers, "redis_subscribers": args.redis_subscribers,
                    "rounds": args.rounds, "large": args.large, "large_scale": args.large_scale}

        log(f"dataset on {postgres_url} and on SQLite")
        pg = asyncio.run(dataset.build(postgres_url))
        sq = asyncio.run(dataset.build(sqlite_url))
        run = report.Run(info, busy, settings, pg, sq)

        log("counting the SQL statements of the service")
        run.statements["postgres"] = statements.count(pg)
        run.statements["sqlite"] = statements.count(sq)
        first_reads = run.statements["postgres"].step2_first
        run.floor_statements = max(1, min(6, min(first_reads)))
        log(f"step-2 read: {run.statements['postgres'].step2} statements on PostgreSQL "
            f"({run.statements['postgres'].resets} pool resets), {run.statements['sqlite'].step2} on SQLite; "
            f"floor with {run.floor_statements}")

        measure(args, run, postgres_url, sqlite_url, workdir)
        run.busy_after = machine.background_load()
        run.core_seconds = (speed, machine.core_speed())
        run.seconds = time.monotonic() - started
        text = report.markdown(run)
        print(text)
        if not args.no_write:
            args.output.write_text(text, encoding="utf-8")
            log(f"written to {args.output}")
            if report.write_readme(args.readme, run):
                log(f"performance section of {args.readme} written")
            else:
                log(f"{args.readme} has no bench markers: its performance section is left as it is")
        if args.json:
            args.json.write_text(json.dumps(dataclasses.asdict(run), default=str, indent=2), encoding="utf-8")
        log(f"done in {run.seconds:.0f} s")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
