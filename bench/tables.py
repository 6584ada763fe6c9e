"""The benchmark's tables, as Markdown lines, from one run's figures (bench.report.Run).

Every table that loads the machine has an "other load" column: the cores that the rest of
the machine used meanwhile (other programs, and the kernel's share of the loopback), so that a
figure taken on a busy machine says so.
"""

from __future__ import annotations

import math

from bench import scale
from bench.load import LoadResult

# The targets of issue 18: ratios to the floors, measured in the same run.
FLOOR_SHARE = 0.6  # requests/s at least this share of the floor's
P99_FACTOR = 2.0  # p99 at most this many times the floor's
FANOUT_MS = 250.0
BYTES_PER_SUBSCRIBER = 20 * 1024

CPU_HEAD = "| server CPU | PostgreSQL CPU | client CPU | other load |"


def n(value, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:,.{digits}f}"


def ratio(value: float, floor: float) -> str:
    return f"{value / floor:.2f}×" if floor else "-"


def other_load(cpu: dict) -> float:
    return max(0.0, cpu.get("machine", 0) - cpu.get("server", 0) - cpu.get("client", 0) - cpu.get("postgres", 0))


def cores(result: LoadResult) -> str:
    cpu = result.cpu
    return (f"| {n(cpu.get('server', 0), 2)} | {n(cpu.get('postgres', 0), 2)} | {n(cpu.get('client', 0), 2)} "
            f"| {n(other_load(cpu), 2)} |")


def met(ok: bool) -> str:
    return "yes" if ok else "**no**"


def step2_table(run) -> list[str]:
    floor = run.step2.get("floor")
    lines = [
        "| step-2 query | SQL statements a request | requests/s | p50 ms | p99 ms | req/s ÷ floor | p50 ÷ floor "
        "| p99 ÷ floor | errors " + CPU_HEAD,
        "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    names = {
        "floor": "floor: bare Starlette + asyncpg + orjson (PostgreSQL)",
        "postgres-uncached": "service, PostgreSQL, response cache off (every read resolved)",
        "postgres": "service, PostgreSQL, response cache warm (every quote read once before)",
        "sqlite": "service, SQLite, response cache warm",
    }
    for key, name in names.items():
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
            f"| {name} | {statements} | {n(result.rps)} | {n(result.p50_ms, 2)} | {n(result.p99_ms, 2)} "
            f"| {ratio(result.rps, floor.rps) if floor else '-'} "
            f"| {ratio(result.p50_ms, floor.p50_ms) if floor else '-'} "
            f"| {ratio(result.p99_ms, floor.p99_ms) if floor else '-'} | {result.error_count} " + cores(result)
        )
    return lines


MUTATION_ROWS = {  # key: (name, the floor it is divided by)
    "floor": ("floor: bare Starlette + asyncpg + orjson, one process", "floor"),
    "floor-2": ("floor, two processes (`--workers 2`)", "floor-2"),
    "postgres": ("service, one process (`--workers 1`)", "floor"),
    "postgres-2": ("service, two processes (`--workers 2`), divided by the floor on two", "floor-2"),
    "postgres-short": ("for reference: service, one process, a short selection (quote id, version and functions)",
                       None),
}


def mutation_table(run) -> list[str]:
    count = run.statements.get("postgres")
    lines = [
        "| setAssignmentFunction, PostgreSQL, 20 clients | SQL statements | requests/s | p50 ms | p99 ms | max ms "
        "| req/s ÷ floor | p99 ÷ floor | accepted | refused | errors " + CPU_HEAD,
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for key, (name, floor_key) in MUTATION_ROWS.items():
        m = run.mutations.get(key)
        if m is None:
            continue
        floor = run.mutations.get(floor_key) if floor_key else None
        statements = (count.mutation if count else "-") if key.startswith("postgres") else "the same"
        if key == "postgres-short":
            statements = f"{count.mutation - 2} (no lines nor contacts)" if count else "-"
        lines.append(
            f"| {name}, {n(m.seconds, 0)} s | {statements} | {n(m.rps)} | {n(m.p50_ms, 2)} | {n(m.p99_ms, 2)} "
            f"| {n(m.max_ms, 2)} | {ratio(m.rps, floor.rps) if floor else '-'} "
            f"| {ratio(m.p99_ms, floor.p99_ms) if floor else '-'} | {m.accepted} | {m.refused} | {m.error_count} "
            + cores(m)
        )
    return lines


def mix_table(run) -> list[str]:
    floor = run.mix.get("floor")
    lines = [
        "| realistic mix, PostgreSQL, one process | requests | requests/s | p50 ms | p99 ms | max ms | req/s ÷ floor "
        "| p99 ÷ floor | stale reads | errors " + CPU_HEAD,
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for key, name in (("floor", "floor"), ("postgres", "service, response cache on")):
        result = run.mix.get(key)
        if result is None:
            continue
        stale = result.errors.get("stale_reads", 0)
        lines.append(
            f"| {name}: reads and changes together | {result.requests} | {n(result.rps)} | {n(result.p50_ms, 2)} "
            f"| {n(result.p99_ms, 2)} | {n(result.max_ms, 2)} | {ratio(result.rps, floor.rps) if floor else '-'} "
            f"| {ratio(result.p99_ms, floor.p99_ms) if floor else '-'} | {stale} | {result.error_count - stale} "
            + cores(result)
        )
        for kind, label in (("read", "reads (step-2 query)"), ("change", "changes (setAssignmentFunction)")):
            part, base = result.parts.get(kind), (floor.parts.get(kind) if floor else None)
            if part is None:
                continue
            lines.append(
                f"| {name}: {label} | {part['requests']} | {n(part['rps'])} | {n(part['p50_ms'], 2)} "
                f"| {n(part['p99_ms'], 2)} | {n(part['max_ms'], 2)} | {ratio(part['rps'], base['rps']) if base else '-'} "
                f"| {ratio(part['p99_ms'], base['p99_ms']) if base else '-'} | | | | | | |"
            )
    return lines


def scale_table(run) -> list[str]:
    s = run.scale
    if s.skipped or "large" not in s.reads:
        return [f"Cost with size: {s.skipped or 'not measured'}."]
    usual_count, large_count = run.statements.get("postgres"), s.statements
    lines = [
        "| PostgreSQL, response cache off | dataset | SQL statements a request | requests/s | p50 ms | p99 ms "
        "| server CPU ms a request | PostgreSQL CPU ms a request | errors " + CPU_HEAD,
        "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for label, results, count_of in (("step-2 read, 10 clients", s.reads, lambda c: c._span(c.step2_first)),
                                     ("setAssignmentFunction, 20 clients", s.changes, lambda c: str(c.mutation))):
        for key, dataset_name, count in (("usual", "usual", usual_count), ("large", f"{s.scale}× larger", large_count)):
            r = results.get(key)
            if r is None:
                continue
            lines.append(
                f"| {label} | {dataset_name} | {count_of(count) if count else '-'} | {n(r.rps)} | {n(r.p50_ms, 2)} "
                f"| {n(r.p99_ms, 2)} | {n(scale.per_request_ms(r, 'server'), 2)} "
                f"| {n(scale.per_request_ms(r, 'postgres'), 2)} | {r.error_count} " + cores(r)
            )
        usual, large = results.get("usual"), results.get("large")
        if usual and large:
            lines.append(
                f"| {label} | **larger ÷ usual** | | **{ratio(large.rps, usual.rps)}** "
                f"| {ratio(large.p50_ms, usual.p50_ms)} | {ratio(large.p99_ms, usual.p99_ms)} "
                f"| {ratio(scale.per_request_ms(large, 'server'), scale.per_request_ms(usual, 'server'))} "
                f"| {ratio(scale.per_request_ms(large, 'postgres'), scale.per_request_ms(usual, 'postgres'))} "
                f"| | | | | |"
            )
    return lines


def fanout_table(run) -> list[str]:
    lines = [
        "| one change, PostgreSQL | server processes | subscribers | client processes | last event after the answer, "
        "ms (median / worst) | last event after sending, ms (median) | mutation answer, ms (median) "
        "| received (least) | events with errors | memory per idle subscriber, each process "
        "| server RSS before → after, each process | time to open all | server CPU | client CPU | other load |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for f in (run.fanout, run.fanout_redis):
        if f is None:
            continue
        where = "events in process" if f.broker == "memory" else "events through Redis"
        if not f.available:
            lines.append(f"| {where} | | {f.subscribers:,} | | **not available**: {f.reason} | | | | | | | | | | |")
            continue
        memory = " / ".join(f"{n(s['bytes_per_subscriber'] / 1024)} KiB" for s in f.servers)
        rss = " / ".join(f"{n(s['rss_before'] / 2**20)} → {n(s['rss_after'] / 2**20)} MiB" for s in f.servers)
        lines.append(
            f"| {len(f.rounds)} rounds, {where}, permessage-deflate "
            f"{'offered' if f.compression == 'browser' else 'not offered'} | {len(f.servers)} | {f.subscribers:,} "
            f"| {f.clients} | {n(f.last_ms_median)} / {n(f.last_ms_worst)} | {n(f.from_send_ms_median)} "
            f"| {n(f.answer_ms_median)} | {f.received_min:,} | {f.errors_max} | {memory} | {rss} "
            f"| {n(f.open_seconds)} s | {n(f.cpu.get('server'), 2)} | {n(f.cpu.get('client'), 2)} "
            f"| {n(other_load(f.cpu), 2) if f.cpu else '-'} |"
        )
    return lines


def _floor_targets(run, lines: list[str]) -> None:
    floor, uncached = run.step2.get("floor"), run.step2.get("postgres-uncached")
    if floor and uncached:
        share = uncached.rps / floor.rps
        lines.append(f"| uncached step-2 read ≥ {FLOOR_SHARE}× the floor's requests/s | {share:.2f}× "
                     f"({n(uncached.rps)} vs {n(floor.rps)} req/s) | {met(share >= FLOOR_SHARE)} |")
    counts = getattr(run, "instructions", None)
    if counts is not None:
        # The same bar on the app's own work, which does not move with the machine (a requests/s
        # ratio does, by a tenth or more between runs of the same code).
        for kind, name in (("read", "uncached step-2 read"), ("change", "setAssignmentFunction")):
            share = counts.ratio(kind)
            lines.append(f"| {name}, counted in instructions a request (the app alone, valgrind): the floor's "
                         f"÷ the service's ≥ {FLOOR_SHARE}× | {share:.2f}× ({counts.of(kind, 'floor') / 1e6:.2f} M vs "
                         f"{counts.of(kind, 'service') / 1e6:.2f} M) | {met(share >= FLOOR_SHARE)} |")
    for key, floor_key, processes in (("postgres", "floor", "one process"), ("postgres-2", "floor-2", "two processes")):
        m, f = run.mutations.get(key), run.mutations.get(floor_key)
        if m and f:
            share, slower = m.rps / f.rps, m.p99_ms / f.p99_ms
            lines.append(f"| setAssignmentFunction ({processes}) ≥ {FLOOR_SHARE}× the floor's requests/s | "
                         f"{share:.2f}× ({n(m.rps)} vs {n(f.rps)} req/s) | {met(share >= FLOOR_SHARE)} |")
            lines.append(f"| setAssignmentFunction ({processes}) p99 ≤ {P99_FACTOR:g}× the floor's | {slower:.2f}× "
                         f"({n(m.p99_ms)} vs {n(f.p99_ms)} ms) | {met(slower <= P99_FACTOR)} |")
    m, f = run.mix.get("postgres"), run.mix.get("floor")
    if m and f:
        share, slower = m.rps / f.rps, m.p99_ms / f.p99_ms
        lines.append(f"| realistic mix ≥ {FLOOR_SHARE}× the floor's requests/s (the bar of the two above) "
                     f"| {share:.2f}× ({n(m.rps)} vs {n(f.rps)} req/s) | {met(share >= FLOOR_SHARE)} |")
        lines.append(f"| realistic mix p99 ≤ {P99_FACTOR:g}× the floor's | {slower:.2f}× "
                     f"({n(m.p99_ms)} vs {n(f.p99_ms)} ms) | {met(slower <= P99_FACTOR)} |")
        stale = m.errors.get("stale_reads", 0)
        lines.append(f"| realistic mix: no read older than the user's own change | {stale} stale of "
                     f"{m.parts.get('read', {}).get('requests', 0):,} reads | {met(stale == 0)} |")


def _scale_targets(run, lines: list[str]) -> None:
    s = run.scale
    if s.skipped or "large" not in s.reads:
        lines.append(f"| cost flat with size (within {scale.FLAT_WITHIN:.0%}) | {s.skipped or 'not measured'} "
                     f"| **no** |")
        return
    for label, results in (("step-2 read", s.reads), ("setAssignmentFunction", s.changes)):
        usual, large = results.get("usual"), results.get("large")
        if usual and large:
            rate, cost, ok = scale.flat(usual, large)
            lines.append(f"| {label}: {s.scale}× the data, requests/s and CPU a request (server + PostgreSQL) "
                         f"within {scale.FLAT_WITHIN:.0%} | requests/s {rate:.2f}×, CPU a request {cost:.2f}× "
                         f"({n(scale.cost_ms(usual), 2)} → {n(scale.cost_ms(large), 2)} ms) | {met(ok)} |")
    usual, large = run.statements.get("postgres"), s.statements
    if usual and large:
        same = (usual.step2_first == large.step2_first and usual.step2_fixed and large.step2_fixed
                and usual.mutation == large.mutation)
        lines.append(f"| SQL statements a request fixed, whatever the size (step-2 read; setAssignmentFunction) "
                     f"| {usual._span(usual.step2_first)} and {large._span(large.step2_first)}; "
                     f"{usual.mutation} and {large.mutation} | {met(same)} |")


def _live_targets(run, lines: list[str]) -> None:
    for f, count, where in ((run.fanout, run.settings["subscribers"], "one process"),
                            (run.fanout_redis, run.settings["redis_subscribers"], "two processes over Redis")):
        if f is None:
            continue
        if not f.available:
            lines.append(f"| {count:,} subscribers on {where} | not available: {f.reason} | **no** |")
            continue
        lines.append(f"| {f.subscribers:,} subscribers on {where} all have the event within {FANOUT_MS:.0f} ms "
                     f"(worst round) | {n(f.last_ms_worst)} ms, {f.received_min:,} received "
                     f"| {met(f.last_ms_worst <= FANOUT_MS and f.received_min == f.subscribers)} |")
        memory = " and ".join(f"{n(s['bytes_per_subscriber'] / 1024)} KiB" for s in f.servers)
        lines.append(f"| {where}: under 20 KB per idle subscriber{' on each' if len(f.servers) > 1 else ''} "
                     f"| {memory} | {met(f.bytes_per_subscriber < BYTES_PER_SUBSCRIBER)} |")


def targets_table(run) -> list[str]:
    lines = ["| target of issue 18 | measured | met |", "|---|---|---|"]
    _floor_targets(run, lines)
    _scale_targets(run, lines)
    _live_targets(run, lines)
    return lines
