"""What the benchmark ran on: the machine, the software, the code, and how busy it was."""

from __future__ import annotations

import asyncio
import os
import platform
import subprocess
import time
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, version

import asyncpg

from bench.procs import ROOT, machine_busy_seconds

PACKAGES = ("strawberry-graphql", "graphql-core", "starlette", "uvicorn", "tortoise-orm", "asyncpg", "aiosqlite",
            "websockets", "orjson", "uvloop", "httptools")


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_gib() -> float:
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024 / 1024
    return 0.0


async def _postgres_version(url: str) -> str:
    server = url.rpartition("/")[0].replace("postgres://", "postgresql://", 1)
    conn = await asyncpg.connect(server + "/postgres")
    try:
        return await conn.fetchval("SHOW server_version")
    finally:
        await conn.close()


def _run(command: list[str]) -> str:
    try:
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=10)
        return (done.stdout or done.stderr).strip()
    except (OSError, subprocess.TimeoutExpired):
        return ""


def describe(postgres_url: str) -> dict:
    packages = {}
    for name in PACKAGES:
        try:
            packages[name] = version(name)
        except PackageNotFoundError:
            pass
    commit = _run(["git", "rev-parse", "--short", "HEAD"])
    changed = _run(["git", "status", "--porcelain", "--", "api", "schema"])
    return {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "memory_gib": round(_memory_gib(), 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "postgres": asyncio.run(_postgres_version(postgres_url)),
        "wrk": (_run(["wrk", "--version"]).splitlines() or [""])[0].partition(" [")[0],
        "packages": packages,
        "commit": commit + (" with uncommitted changes to api/ or schema/" if changed else ""),
    }


def background_load(seconds: float = 1.0) -> float:
    """Cores busy on the machine while the benchmark itself does nothing."""
    before, started = machine_busy_seconds(), time.monotonic()
    time.sleep(seconds)
    return (machine_busy_seconds() - before) / (time.monotonic() - started)


def core_speed(repeats: int = 3) -> float:
    """Seconds of CPU that one core takes for a fixed piece of Python (`sum(range(3 * 10**7))`),
    the least of `repeats`: how fast this machine's cores are today, to compare two runs (the
    same code on another day's machine may run at a third of the speed, with no other load seen)."""
    best = float("inf")
    for _ in range(repeats):
        started = time.process_time()
        sum(range(3 * 10**7))
        best = min(best, time.process_time() - started)
    return best
