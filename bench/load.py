"""Driving a load: wrk (Debian's package) when present, else bench/pyload.py, each in a
process of its own, with the CPU that the client, the server and PostgreSQL used meanwhile."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from bench.operations import ACCEPT
from bench.procs import CpuMeter

HERE = Path(__file__).resolve().parent


@dataclass
class LoadResult:
    client: str  # "wrk" or "python"
    connections: int
    seconds: float
    requests: int
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    errors: dict = field(default_factory=dict)
    cpu: dict = field(default_factory=dict)  # share of one core: client, server, postgres, machine
    accepted: int = 0
    refused: int = 0
    drafts: dict = field(default_factory=dict)  # setAssignmentFunction: the state the load left
    parts: dict = field(default_factory=dict)  # the realistic mix: "read", "change" -> requests, rps, p50_ms...

    @property
    def error_count(self) -> int:
        return sum(v for k, v in self.errors.items() if k not in ("accepted", "refused"))


def wrk_available() -> bool:
    return shutil.which("wrk") is not None


def _run_client(command: list[str], server_pid: int, database: str | None,
                result_file: Path | None = None) -> tuple[dict, dict]:
    """Runs the client to its end; its result (its BENCH_JSON line, or `result_file` where it
    writes it), and the CPU shares meanwhile."""
    meter = CpuMeter(database, server=server_pid)
    meter.start()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        process = subprocess.Popen(command, cwd=HERE.parent, stdout=out, stderr=err)
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        shares = meter.stop()
        out.seek(0)
        err.seek(0)
        printed, complaints = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    text = result_file.read_text() if result_file and result_file.exists() else printed
    lines = [line for line in text.splitlines() if line.startswith("BENCH_JSON ")]
    try:
        result = json.loads(lines[0][len("BENCH_JSON "):])
    except (IndexError, ValueError):
        raise RuntimeError(f"{command[0]} gave no result (exit {process.returncode}):\n{printed[-2000:]}\n"
                           f"{complaints[-4000:]}") from None
    wall = result["duration_us"] / 1e6
    shares["client"] = (usage.ru_utime + usage.ru_stime) / wall if wall else 0.0
    return result, shares


def _result(client: str, connections: int, raw: dict, shares: dict) -> LoadResult:
    seconds = raw["duration_us"] / 1e6
    latency = raw["latency_us"]
    errors = raw.get("errors", {})
    return LoadResult(
        client=client, connections=connections, seconds=seconds, requests=raw["requests"],
        rps=raw["requests"] / seconds if seconds else 0.0,
        p50_ms=latency["p50"] / 1000, p90_ms=latency["p90"] / 1000, p99_ms=latency["p99"] / 1000,
        max_ms=latency["max"] / 1000,
        errors={k: v for k, v in errors.items() if k not in ("accepted", "refused")},
        cpu=shares, accepted=errors.get("accepted", 0), refused=errors.get("refused", 0),
        drafts=raw.get("drafts", {}),
        parts={kind: {"requests": part["requests"], "rps": part["requests"] / seconds if seconds else 0.0,
                      **{f"{p}_ms": part["latency_us"][p] / 1000 for p in ("p50", "p90", "p99", "max")}}
               for kind, part in raw.get("parts", {}).items()},
    )


def bodies_load(url: str, server_pid: int, bodies_file: Path, *, connections: int, seconds: float,
                database: str | None = None, client: str = "auto", token: str = "demo-alice",
                seed: int = 6) -> LoadResult:
    """POST /graphql with bodies drawn at random from `bodies_file`, closed loop."""
    if client == "auto":
        client = "wrk" if wrk_available() else "python"
    if client == "wrk":
        command = ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency", "--timeout", "10s",
                   "-s", str(HERE / "step2.lua"), url, "--", str(bodies_file), token, str(seed), ACCEPT]
        raw, shares = _run_client(command, server_pid, database)
        return _result("wrk", connections, raw, shares)
    spec = {"url": url, "connections": connections, "seconds": seconds, "seed": seed, "token": token,
            "mode": "bodies", "bodies_file": str(bodies_file)}
    return python_load(spec, server_pid, database)


def python_load(spec: dict, server_pid: int, database: str | None = None) -> LoadResult:
    with tempfile.TemporaryDirectory(prefix="bench-load-") as directory:
        spec_file, result_file = Path(directory) / "spec.json", Path(directory) / "result.json"
        spec_file.write_text(json.dumps(spec))
        raw, shares = _run_client([sys.executable, "-m", "bench.pyload", str(spec_file), str(result_file)],
                                  server_pid, database, result_file)
    return _result("python", spec["connections"], raw, shares)


TURNS = 4  # of each side, when the floor and the service take turns (bench/__main__.py `in_turns`)


def turn_seconds(seconds: float, turns: int = TURNS) -> float:
    """The time of each of `turns` turns that share a load's `seconds`: whole seconds (wrk's
    unit), at least 1."""
    return float(max(1, round(seconds / turns)))


def merged(results: list[LoadResult]) -> LoadResult:
    """Loads of the same kind taken in turns, as one: requests and time added up, CPU shares
    weighted by time, p50/p90/p99 the mean of the turns' weighted by their requests, the
    worst max; the same for each part of a mix (reads, changes)."""
    seconds = sum(r.seconds for r in results)
    requests = sum(r.requests for r in results)

    def mean(name: str) -> float:
        return sum(getattr(r, name) * r.requests for r in results) / requests if requests else 0.0

    errors: dict = {}
    for r in results:
        for key, value in r.errors.items():
            errors[key] = errors.get(key, 0) + value
    cpu = {key: sum(r.cpu.get(key, 0.0) * r.seconds for r in results) / seconds for key in results[0].cpu}
    parts = {}
    for kind in results[0].parts:
        turns = [r.parts[kind] for r in results if kind in r.parts]
        count = sum(t["requests"] for t in turns)
        parts[kind] = {"requests": count, "rps": count / seconds if seconds else 0.0,
                       **{f"{p}_ms": sum(t[f"{p}_ms"] * t["requests"] for t in turns) / count if count else 0.0
                          for p in ("p50", "p90", "p99")},
                       "max_ms": max(t["max_ms"] for t in turns)}
    return LoadResult(
        client=results[0].client, connections=results[0].connections, seconds=seconds, requests=requests,
        rps=requests / seconds if seconds else 0.0, p50_ms=mean("p50_ms"), p90_ms=mean("p90_ms"),
        p99_ms=mean("p99_ms"), max_ms=max(r.max_ms for r in results), errors=errors, cpu=cpu,
        accepted=sum(r.accepted for r in results), refused=sum(r.refused for r in results),
        drafts=results[-1].drafts, parts=parts,
    )
