"""The benchmark's tables: printed at the end of a run and written to BENCHMARKS.md."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from bench.dataset import Dataset
from bench.fanout import FanoutResult
from bench.load import LoadResult
from bench.statements import StatementCount

# The targets of issue 6.
FLOOR_SHARE = 0.6
MUTATION_P99_MS = 30.0
FANOUT_MS = 250.0
BYTES_PER_SUBSCRIBER = 20 * 1024


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
    step2: dict[str, LoadResult] = field(default_factory=dict)  # "floor", "postgres", "sqlite"
    mutations: dict[str, LoadResult] = field(default_factory=dict)  # "floor", "postgres", "postgres-2"
    fanout: FanoutResult | None = None
    seconds: float = 0.0


def _n(value: float, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:,.{digits}f}"


def _ratio(value: float, floor: float) -> str:
    return f"{value / floor:.2f}×" if floor else "-"


def _cores(result: LoadResult) -> tuple[str, str, str, str]:
    cpu = result.cpu
    other = cpu.get("machine", 0) - cpu.get("server", 0) - cpu.get("client", 0) - cpu.get("postgres", 0)
    return (_n(cpu.get("server", 0), 2), _n(cpu.get("postgres", 0), 2), _n(cpu.get("client", 0), 2),
            _n(max(0.0, other), 2))


def _errors(result: LoadResult) -> str:
    return str(result.error_count) if result.error_count else "0"


def _met(ok: bool) -> str:
    return "yes" if ok else "**no**"


def step2_table(run: Run) -> list[str]:
    floor = run.step2.get("floor")
    lines = [
        "| step-2 query | SQL statements a request | requests/s | p50 ms | p99 ms | req/s ÷ floor | p50 ÷ floor "
        "| p99 ÷ floor | errors | server CPU | PostgreSQL CPU | client CPU | other load |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    names = {
        "floor": "floor: bare Starlette + asyncpg + orjson (PostgreSQL)",
        "postgres-uncached": "service, PostgreSQL, response cache off (every read resolved)",
        "postgres": "service, PostgreSQL, response cache warm (every quote read once before)",
        "sqlite": "service, SQLite, response cache warm",
    }
    for key in ("floor", "postgres-uncached", "postgres", "sqlite"):
        result = run.step2.get(key)
        if result is None:
            continue
        if key == "floor":
            statements = str(run.floor_statements)
        else:
            count = run.statements.get(key.removesuffix("-uncached"))
            if not count:
                statements = "-"
            elif key.endswith("-uncached"):  # every read as a first read
                statements = count._span(count.step2_first)
            else:  # a first read, then the same read answered from the cache
                statements = f"{count._span(count.step2_first)}, then {count._span(count.step2_again)}"
            if count and key.startswith("postgres") and count.step2_resets and max(count.step2_resets):
                statements += f" (+{count.resets} pool resets)"
        lines.append(
            f"| {names[key]} | {statements} | {_n(result.rps)} | {_n(result.p50_ms, 2)} | {_n(result.p99_ms, 2)} "
            f"| {_ratio(result.rps, floor.rps) if floor else '-'} "
            f"| {_ratio(result.p50_ms, floor.p50_ms) if floor else '-'} "
            f"| {_ratio(result.p99_ms, floor.p99_ms) if floor else '-'} | {_errors(result)} | "
            + " | ".join(_cores(result)) + " |"
        )
    return lines


def mutation_table(run: Run) -> list[str]:
    floor = run.mutations.get("floor")
    count = run.statements.get("postgres")
    names = {
        "floor": "floor: bare Starlette + asyncpg + orjson, one process",
        "postgres": "service, one process (`--workers 1`)",
        "postgres-2": "service, two processes (`--workers 2`)",
        "postgres-short": "for reference: service, one process, a short selection (quote id, version and functions)",
    }
    lines = [
        "| setAssignmentFunction, PostgreSQL, 20 clients | SQL statements | requests/s | p50 ms | p99 ms | max ms "
        "| req/s ÷ floor | p99 ÷ floor | accepted | refused | errors | server CPU | PostgreSQL CPU | client CPU "
        "| other load |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for key, name in names.items():
        m = run.mutations.get(key)
        if m is None:
            continue
        statements = (count.mutation if count else "-") if key != "floor" else "the same"
        if key == "postgres-short":
            statements = f"{count.mutation - 2} (no lines nor contacts)" if count else "-"
        lines.append(
            f"| {name}, {_n(m.seconds, 0)} s | {statements} | {_n(m.rps)} | {_n(m.p50_ms, 2)} | {_n(m.p99_ms, 2)} "
            f"| {_n(m.max_ms, 2)} | {_ratio(m.rps, floor.rps) if floor and key != 'postgres-short' else '-'} "
            f"| {_ratio(m.p99_ms, floor.p99_ms) if floor and key != 'postgres-short' else '-'} | {m.accepted} "
            f"| {m.refused} | {_errors(m)} | "
            + " | ".join(_cores(m)) + " |"
        )
    return lines


def fanout_table(run: Run) -> list[str]:
    f = run.fanout
    if f is None:
        return []
    if not f.available:
        return [f"One change pushed to {run.settings['subscribers']} subscribers: **not available** ({f.reason})."]
    return [
        "| one change, PostgreSQL | subscribers | audiences | last event after the answer, ms (median / worst) "
        "| last event after sending, ms (median) | mutation answer, ms (median) | received (least) | events with errors "
        "| memory per idle subscriber | server RSS before → after | time to open all |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
        f"| {len(f.rounds)} rounds, permessage-deflate {'offered' if f.compression == 'browser' else 'not offered'} "
        f"| {f.subscribers} | {f.audiences} | {_n(f.last_ms_median)} / {_n(f.last_ms_worst)} "
        f"| {_n(f.from_send_ms_median)} | {_n(f.answer_ms_median)} | {f.received_min} | {f.errors_max} "
        f"| {_n(f.bytes_per_subscriber / 1024)} KiB | {_n(f.rss_before / 2**20)} → {_n(f.rss_after / 2**20)} MiB "
        f"| {_n(f.open_seconds)} s |",
    ]


def targets_table(run: Run) -> list[str]:
    lines = ["| target of issue 6 | measured | met |", "|---|---|---|"]
    floor, service = run.step2.get("floor"), run.step2.get("postgres")
    if floor and service:
        share = service.rps / floor.rps if floor.rps else 0.0
        lines.append(f"| step-2 query ≥ {FLOOR_SHARE}× the floor's requests/s (PostgreSQL) | {share:.2f}× "
                     f"| {_met(share >= FLOOR_SHARE)} |")
    count = run.statements.get("postgres")
    if count:
        lines.append(f"| a fixed number of SQL statements per step-2 read (20 quotes of 3-5 contacts, read twice) "
                     f"| {count.step2} | {_met(count.step2_fixed)} |")
    for key, processes in (("postgres", "one process"), ("postgres-2", "two processes")):
        m = run.mutations.get(key)
        if m:
            lines.append(f"| setAssignmentFunction p99 < {MUTATION_P99_MS:.0f} ms, 20 clients, PostgreSQL ({processes}) "
                         f"| {_n(m.p99_ms, 2)} ms | {_met(m.p99_ms < MUTATION_P99_MS)} |")
    f = run.fanout
    if f and f.available:
        lines.append(f"| {f.subscribers} subscribers all have the event within {FANOUT_MS:.0f} ms (worst round) "
                     f"| {_n(f.last_ms_worst)} ms, {f.received_min} received "
                     f"| {_met(f.last_ms_worst <= FANOUT_MS and f.received_min == f.subscribers)} |")
        lines.append(f"| under 20 KB per idle subscriber | {_n(f.bytes_per_subscriber / 1024)} KiB "
                     f"| {_met(f.bytes_per_subscriber < BYTES_PER_SUBSCRIBER)} |")
    elif f:
        lines.append(f"| live updates to {run.settings['subscribers']} subscribers | not available | **no** |")
    return lines


def machine_lines(run: Run) -> list[str]:
    m = run.machine
    packages = ", ".join(f"{k} {v}" for k, v in m["packages"].items())
    return [
        f"- Date: {m['date']}; code: commit {m['commit']}",
        f"- CPU: {m['cpu']}, {m['cores']} cores; memory {m['memory_gib']} GiB; Linux {m['kernel']}",
        f"- Python {m['python']}; PostgreSQL {m['postgres']} (127.0.0.1, same machine); {packages}",
        f"- Load generator: {run.step2['floor'].client if run.step2.get('floor') else '-'}"
        f"{' (' + m['wrk'] + ')' if m['wrk'] and run.step2.get('floor') and run.step2['floor'].client == 'wrk' else ''}"
        " for the reads, bench/pyload.py for the mutations, bench/subscribers.py (websockets) for the subscribers",
        f"- Busy cores before the run, the benchmark idle: {run.background_cores:.2f} of {m['cores']}; "
        f"other processes during the measured loads: {_other_load(run)} cores (column \"other load\"); "
        f"the whole run took {run.seconds:.0f} s",
    ]


def _other_load(run: Run) -> str:
    results = [*run.step2.values(), *run.mutations.values()]
    values = [max(0.0, r.cpu.get("machine", 0) - r.cpu.get("server", 0) - r.cpu.get("client", 0)
                  - r.cpu.get("postgres", 0)) for r in results]
    return f"{min(values):.2f} to {max(values):.2f}" if values else "-"


def dataset_line(run: Run) -> str:
    rows = run.postgres.rows
    return (f"Dataset (built in {run.postgres.seconds:.1f} s on PostgreSQL, {run.sqlite.seconds:.1f} s on SQLite): "
            f"the demo data, plus for the demo partner {rows['enterprises']} client enterprises, {rows['contacts']} "
            f"contacts, {rows['quotes']} quotes ({rows['ordered quotes']} ordered) of {rows['quote lines']} lines and "
            f"{rows['assignments']} contacts on quotes.")


def markdown(run: Run) -> str:
    s = run.settings
    parts = [
        "# Benchmarks",
        "",
        "Written by `make bench` (`python -m bench`); every figure below comes from that one run. "
        "Ratios are the service's figure divided by the floor's.",
        "",
        "## Machine",
        "",
        *machine_lines(run),
        "",
        "## Step-2 query",
        "",
        f"The query the frontend sends (QUOTE_QUERY with its fragments, read from frontend_stub/operations.js), "
        f"as demo-alice, on quotes drawn at random among the {len(run.postgres.quote_ids)}; {s['connections']} "
        f"concurrent clients for {s['seconds']:g} s after {s['warmup']:g} s of warm-up; one server process "
        f"(`python -m api serve --workers 1`). The floor answered the same `data` as the service for "
        f"{run.compared} answers (quotes × audiences) before it was measured. The SQLite row is divided by the "
        f"same floor (there is no SQLite floor). CPU in cores (1.00 = one core busy); PostgreSQL's is that of "
        f"its backends on the benchmark's database and of its background processes; \"other load\" is what "
        f"the rest of the machine used meanwhile (other programs, and the kernel's share of the loopback).",
        "",
        *step2_table(run),
        "",
        "## Mutations",
        "",
        "Each client ticks or unticks TRACKING or ON_SITE on a contact of a random draft quote, as demo-alice, "
        "with the frontend's SET_ASSIGNMENT_FUNCTION (which answers the whole QuoteStep2 fragment); a closed loop "
        f"of {s['mutation_connections']} clients for {s['seconds']:g} s after {s['warmup']:g} s of warm-up, each "
        "request changing something (every load starts from the state the one before left). The floor sends "
        "the service's statements for it (the quote and its client, the quote locked through the assignment; "
        "the contact list, the update, the quote's and the partner's versions; then the lines and the eligible "
        "contacts) straight "
        "through asyncpg, applies the same rules and answers the same `data` (checked on "
        f"{run.compared_mutations} answers, the quote's version aside, before the loads). Server CPU counts "
        "every process of the server.",
        "",
        *mutation_table(run),
        "",
        "## Live updates",
        "",
        "Subscribers of one draft quote (QUOTE_CONTACTS_CHANGED over graphql-transport-ws), as demo-alice, "
        "demo-bob and demo-victor in French and English in turn; each round moves ON_SITE to another contact "
        "of the quote. Memory per idle subscriber: the server's RSS once all are subscribed, less its RSS "
        "before, divided by their number.",
        "",
        *fanout_table(run),
        "",
        "## Targets",
        "",
        *targets_table(run),
        "",
        dataset_line(run),
        "",
        "## Reproduce",
        "",
        "    make bench                      # or: .venv/bin/python -m bench --seconds 10",
        "",
        "PostgreSQL on 127.0.0.1:5432 (user postgres): the database `bench` is dropped and created again "
        "(another with BENCH_DATABASE_URL=postgres://.../NAME). wrk (`apt-get install wrk`) is used when "
        "present, else a Python load generator. `python -m bench --help` lists the options.",
        "",
    ]
    return "\n".join(parts)
