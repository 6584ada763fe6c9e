"""The benchmark's report: BENCHMARKS.md, and the summary in the README's performance section
(between its `<!-- bench:begin -->` and `<!-- bench:end -->` markers), both from one run."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from bench import tables
from bench.dataset import Dataset
from bench.fanout import FanoutResult
from bench.load import LoadResult, turn_seconds
from bench.instructions import Counts
from bench.instructions import lines as instruction_lines
from bench.profile import Breakdown, breakdown_lines
from bench.scale import ScaleResult
from bench.statements import StatementCount
from bench.tables import other_load

README_BEGIN = "<!-- bench:begin: written by `make bench` (bench/report.py); edit the prose around it -->"
README_END = "<!-- bench:end -->"


@dataclass
class Run:
    machine: dict
    background_cores: float
    settings: dict
    postgres: Dataset
    sqlite: Dataset
    statements: dict[str, StatementCount] = field(default_factory=dict)  # "postgres", "sqlite"
    floor_statements: int = 0
    compared: int = 0
    compared_mutations: int = 0
    compared_mix: int = 0
    step2: dict[str, LoadResult] = field(default_factory=dict)  # "floor", "postgres-uncached", "postgres", "sqlite"
    mutations: dict[str, LoadResult] = field(default_factory=dict)  # "floor", "floor-2", "postgres", "postgres-2", ...
    mix: dict[str, LoadResult] = field(default_factory=dict)  # "floor", "postgres"
    scale: ScaleResult = field(default_factory=ScaleResult)
    fanout: FanoutResult | None = None  # one process, events in process
    fanout_redis: FanoutResult | None = None  # two processes, events through Redis
    profile: Breakdown | None = None  # where the CPU of one step-2 read goes
    instructions: Counts | None = None  # instructions a request, the service's and the floor's
    busy_after: float = 0.0
    core_seconds: tuple[float, float] | None = None  # machine.core_speed() before and after the run
    seconds: float = 0.0


def _other_load(run: Run) -> str:
    results = [*run.step2.values(), *run.mutations.values(), *run.mix.values(), *run.scale.reads.values(),
               *run.scale.changes.values()]
    values = [other_load(r.cpu) for r in results]
    values += [other_load(f.cpu) for f in (run.fanout, run.fanout_redis) if f and f.cpu]
    return f"{min(values):.2f} to {max(values):.2f}" if values else "-"


def machine_lines(run: Run) -> list[str]:
    m = run.machine
    packages = ", ".join(f"{k} {v}" for k, v in m["packages"].items())
    floor = run.step2.get("floor")
    return [
        f"- Date: {m['date']}; code: commit {m['commit']}",
        f"- CPU: {m['cpu']}, {m['cores']} cores; memory {m['memory_gib']} GiB; Linux {m['kernel']}",
        f"- Python {m['python']}; PostgreSQL {m['postgres']} (127.0.0.1, same machine); {packages}",
        f"- Load generator: {floor.client if floor else '-'}"
        f"{' (' + m['wrk'] + ')' if m['wrk'] and floor and floor.client == 'wrk' else ''}"
        " for the reads, bench/pyload.py for the mutations and the mix, bench/subscribers.py (websockets) "
        "for the subscribers",
        f"- Machine's load: {run.background_cores:.2f} of {m['cores']} cores busy before the run (the benchmark "
        f"idle), {run.busy_after:.2f} after it; other processes during the measured loads: {_other_load(run)} "
        f"cores (column \"other load\" of each table); the whole run took {run.seconds:.0f} s",
        *([f"- Speed of a core: `sum(range(3 * 10**7))` took {run.core_seconds[0]:.2f} s of CPU before the run, "
           f"{run.core_seconds[1]:.2f} s after it (the least of three; compare runs on different days by it)"]
          if run.core_seconds else []),
    ]


def dataset_lines(run: Run) -> list[str]:
    rows = run.postgres.rows
    lines = [
        f"- Usual (built in {run.postgres.seconds:.1f} s on PostgreSQL, {run.sqlite.seconds:.1f} s on SQLite): "
        f"the demo data, plus for the demo partner {rows['enterprises']:,} client enterprises, {rows['contacts']:,} "
        f"contacts, {rows['quotes']:,} quotes ({rows['ordered quotes']:,} ordered) of {rows['quote lines']:,} lines "
        f"and {rows['assignments']:,} contacts on quotes, and {len(run.postgres.users)} users who may edit quotes.",
    ]
    large = run.scale.large
    if large:
        rows = large.rows
        lines.append(
            f"- {run.scale.scale}× larger, PostgreSQL only (built in {large.seconds:.1f} s, COPY, then dropped): "
            f"{rows['enterprises']:,} client enterprises, {rows['contacts']:,} contacts, {rows['quotes']:,} quotes "
            f"({rows['ordered quotes']:,} ordered) of {rows['quote lines']:,} lines and {rows['assignments']:,} "
            f"contacts on quotes; the loads use {len(large.quote_ids):,} of its quotes drawn at random.")
    else:
        lines.append(f"- The larger dataset: {run.scale.skipped or 'not built'}.")
    return lines


def markdown(run: Run) -> str:
    s = run.settings
    turn = turn_seconds(s["seconds"])  # the floor and the service in turns, each this long
    return "\n".join([
        "# Benchmarks",
        "",
        "Written by `make bench` (`python -m bench`); every figure below comes from that one run. "
        "Ratios are the service's figure divided by the floor's: a bare Starlette + asyncpg + orjson endpoint "
        "of the benchmark's own (bench/floor.py) that sends the service's SQL statements and answers the same "
        "`data`, checked equal before it is measured.",
        "",
        "## Machine",
        "",
        *machine_lines(run),
        "",
        "## Datasets",
        "",
        *dataset_lines(run),
        "",
        "## Targets",
        "",
        *tables.targets_table(run),
        "",
        "## Step-2 query",
        "",
        f"The query the frontend sends (QUOTE_QUERY with its fragments, read from frontend_stub/operations.js, "
        f"with its `Accept: application/json`), as demo-alice, on quotes drawn at random among the "
        f"{len(run.postgres.quote_ids):,}; {s['connections']} concurrent clients for {s['seconds']:g} s after "
        f"{s['warmup']:g} s of warm-up; one server process (`python -m api serve --workers 1`). The floor and the "
        f"service with its response cache off are measured in turns (floor, service, service, floor, twice; "
        f"{turn:g} s each, each after its own warm-up), so that a load that comes or goes on "
        f"the machine weighs on both alike; their figures add up the four turns. The floor answered "
        f"the same `data` as the service for {run.compared} answers (quotes × audiences) before it was measured. "
        f"The SQLite row is divided by the same floor (there is no SQLite floor). CPU in cores (1.00 = one core "
        f"busy); PostgreSQL's is that of its backends on the benchmark's database and of its background processes.",
        "",
        *tables.step2_table(run),
        "",
        "## Where the CPU of a step-2 read goes",
        "",
        *(breakdown_lines(run.profile) if run.profile else ["Not measured in this run."]),
        "The floor spends its CPU on the same statements through asyncpg, the rules and orjson, with nothing "
        "between them: no GraphQL document, no event loop hop per resolver, no ORM model per row. What the "
        "service adds is the GraphQL layer (the view, the operation's extensions and execution, the step-2 "
        "views, completion), the rows made into models, and its middleware (request ids, metrics, access log, "
        "CORS, body limit). Its statements go straight to asyncpg on one pooled connection per request "
        "(`contacts.db.session`), and a plain request skips Strawberry's parsing, validation and HTTP steps "
        "(`Schema.execute_prepared`). The figures above are `python -m bench.profile` (which builds its own "
        "database); `--show-other N` lists the costliest functions left in no part.",
        "",
        "## Instructions a request",
        "",
        "Requests per second move with the machine (two runs of the same code gave the uncached read 0.40× and "
        "0.51× the floor; `sum(range(3 * 10**7))` took 0.3 s of CPU one day and 0.7 to 1.2 s the next). The "
        "instructions an app executes for a request do not: valgrind's callgrind counts them, the same to a few "
        "in a million from one run to the next, whatever else the machine does. Each app driven through ASGI in "
        "a process of its own (as above: no client nor socket, the HTTP server's work left out), on the "
        f"benchmark's database, {run.instructions.requests if run.instructions else 100} requests counted after "
        "the same ones run once: the step-2 read on quotes of the demo partner, and setAssignmentFunction "
        "ticking TRACKING on contacts of drafts, then unticking it. PostgreSQL's work (the same statements for "
        "both) is not counted. `python -m bench.instructions` gives this table alone.",
        "",
        *(instruction_lines(run.instructions) if run.instructions else
          ["Not counted in this run (valgrind is not installed: `apt-get install valgrind`)."]),
        "",
        "## Mutations",
        "",
        "Each client ticks or unticks TRACKING or ON_SITE on a contact of a random draft quote, as demo-alice, "
        "with the frontend's SET_ASSIGNMENT_FUNCTION (which answers the whole QuoteStep2 fragment); a closed loop "
        f"of {s['mutation_connections']} clients for {s['seconds']:g} s after {s['warmup']:g} s of warm-up, each "
        "request changing something (every load starts from the state the one before left); the service and "
        f"the floor on as many processes in turns (floor, service, service, floor, twice; {turn:g} s "
        "each, each after its own warm-up). The floor sends "
        "the service's statements for it (the quote and its client, the quote locked through the assignment; "
        "the contact list, the update, the quote's version, the change's history entries and the partner's "
        "versions; then the lines and the eligible contacts) straight through asyncpg, applies the same rules, "
        "writes the same history entries and answers the same `data` (checked on "
        f"{run.compared_mutations} answers, the quote's version aside, before the loads). Two processes are "
        "divided by the floor on two processes. Server CPU counts every process of the server.",
        "",
        *tables.mutation_table(run),
        "",
        "## Realistic mix",
        "",
        f"{s['mix_users']} users of the demo partner (`bench-user-NN`), one connection each, each on its own draft "
        "quote: four step-2 reads of it, then one setAssignmentFunction on it (the frontend's full selection), "
        f"and again, in a closed loop for {s['seconds']:g} s after {s['warmup']:g} s of warm-up; reads and changes "
        "are timed in the same run and reported apart and together. The service runs as deployed (response "
        "cache on, one process); the floor does the same with the same statements, in turns with it (floor, "
        f"service, service, floor, twice; {turn:g} s each, each after its own warm-up). A read that shows an "
        "older "
        "version of the quote than the user's own last change is stale (counted apart from the errors). Before "
        f"the loads, {run.compared_mix} reads by these users, after changes made through the service and through "
        "the floor in turn, were the same on both.",
        "",
        *tables.mix_table(run),
        "",
        "## Cost with size",
        "",
        "The step-2 read (10 clients) and setAssignmentFunction (20 clients) with the response cache off, on the "
        "usual dataset and on the larger one (see Datasets; the same number of distinct quotes read and changed "
        "on both), one server process on each, measured in turns (usual, larger, usual, larger; half the time "
        "each, each after its warm-up) so that a load that comes or goes on the machine weighs on both alike; "
        "p50 and p99 are the means of the two turns. CPU a request: the server's, and PostgreSQL's (its backends "
        "on that database and its background processes), divided by the requests served.",
        "",
        *tables.scale_table(run),
        "",
        "## Live updates",
        "",
        "Subscribers of one draft quote (QUOTE_CONTACTS_CHANGED over graphql-transport-ws), as demo-alice, "
        "demo-bob and demo-victor in French and English in turn, spread evenly over the server processes, in "
        "client processes of at most 2,500 each; each round moves ON_SITE to another contact of the quote "
        "through the first process (the second learns of it through Redis). Memory per idle subscriber: a "
        "process's RSS once all its subscribers are subscribed, less its RSS before, divided by their number. "
        "CPU in cores during the rounds: the server processes', the subscribers' processes', and the rest of the "
        "machine's (Redis's share included). The clients share the server's two cores: they read the server's "
        "frames themselves once the handshake is done (bench/subscribers.py), as websockets' parser cost them "
        "more than the server spends sending each event.",
        "",
        *tables.fanout_table(run),
        "",
        "## Reproduce",
        "",
        "    make bench                      # or: .venv/bin/python -m bench --seconds 10",
        "    .venv/bin/python -m bench --seconds 2 --warmup 1 --subscribers 100 --redis-subscribers 200 "
        "--large-scale 5 --no-write    # a quick try",
        "",
        "PostgreSQL on 127.0.0.1:5432 (user postgres): the database `bench` is dropped and created again, and "
        "`bench_large` built and dropped (others with BENCH_DATABASE_URL=postgres://.../NAME); Redis on "
        "127.0.0.1:6379 for the two processes (BENCH_REDIS_URL; a channel of the run's own). wrk "
        "(`apt-get install wrk`) is used when present, else a Python load generator. `python -m bench --help` "
        "lists the options.",
        "",
    ])


def readme_section(run: Run) -> list[str]:
    """The summary in the README: the targets with the figures they compare, from this run."""
    m = run.machine
    return [
        README_BEGIN,
        f"The latest run ({m['date']}, commit {m['commit']}; {m['cores']} cores, PostgreSQL {m['postgres'].split()[0]} "
        f"on the same machine, not idle: {run.background_cores:.2f} cores busy before it, {_other_load(run)} used "
        f"by other processes during its loads; {run.seconds:.0f} s in all). Every figure, and the "
        "tables behind these, are in [BENCHMARKS.md](BENCHMARKS.md):",
        "",
        *tables.targets_table(run),
        *(["", "Instructions a request, which do not move with the machine (valgrind, the app alone; see BENCHMARKS.md): "
            + "; ".join(f"{name} floor ÷ service {run.instructions.ratio(kind):.2f}×"
                        for kind, name in (("read", "step-2 read"), ("change", "setAssignmentFunction"))) + "."]
          if run.instructions else []),
        README_END,
    ]


def write_readme(path: Path, run: Run) -> bool:
    """Replaces the text between the markers; False when the README has none."""
    text = path.read_text(encoding="utf-8")
    begin, end = text.find(README_BEGIN.split(":")[0] + ":begin"), text.find(README_END)
    if begin < 0 or end < begin:
        return False
    end += len(README_END)
    path.write_text(text[:begin] + "\n".join(readme_section(run)) + text[end:], encoding="utf-8")
    return True
