"""Server processes under test, and what /proc says about them (CPU time, memory)."""

from __future__ import annotations

import os
import sys
import time

from tests.support.process import ROOT, ServerProcess, free_port
from tests.support.process import api_server as launch_api

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
__all__ = ["ROOT", "Process", "free_port"]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of one process so far."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime


def with_children(pid: int) -> list[int]:
    """The process and its descendants (the workers of `uvicorn --workers N`)."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(f"/proc/{entry.name}/stat") as f:
                    parent = int(f.read().rpartition(")")[2].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, ()))
    return found


def tree_cpu_seconds(pid: int) -> float:
    """CPU time so far of a process and of its live descendants."""
    total = 0.0
    for member in with_children(pid):
        try:
            total += cpu_seconds(member)
        except OSError:
            continue
    return total


def rss_bytes(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for {pid}")


POSTGRES_WORKERS = (b"walwriter", b"checkpointer", b"background writer", b"autovacuum", b"wal writer")


def postgres_backends(database: str | None) -> dict[int, float]:
    """CPU time so far of each PostgreSQL process that works for `database`: its backends
    (by the title PostgreSQL gives them: "postgres: [CLUSTER: ]USER DATABASE HOST(PORT) STATE")
    and the server's background processes (WAL writer, checkpointer, autovacuum...), which
    serve every database but mostly this one while it is loaded."""
    found: dict[int, float] = {}
    if not database:
        return found
    needle = f" {database} ".encode()
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/cmdline", "rb") as f:
                title = f.read()
            if title.startswith(b"postgres: ") and (needle in title or any(w in title for w in POSTGRES_WORKERS)):
                found[int(entry.name)] = cpu_seconds(int(entry.name))
        except (OSError, ValueError, IndexError):
            continue
    return found


def machine_busy_seconds() -> float:
    """CPU time spent by the whole machine (all cores, not idle nor iowait)."""
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    return (sum(values[:8]) - idle) / CLOCK_TICKS


def database_name(url: str) -> str | None:
    return url.rpartition("/")[2].partition("?")[0] if url.startswith("postgres") else None


class CpuMeter:
    """CPU used between `start()` and `stop()`, in cores (1.0 = one core busy all along):
    by the given processes (with their workers), by the PostgreSQL backends of `database`, by
    the whole machine."""

    def __init__(self, database: str | None = None, **pids: int) -> None:
        self.database = database
        self.pids = pids

    def _read(self) -> tuple[dict[str, float], dict[int, float]]:
        values = {name: tree_cpu_seconds(pid) for name, pid in self.pids.items()}
        values["machine"] = machine_busy_seconds()
        values["wall"] = time.monotonic()
        return values, postgres_backends(self.database)

    def start(self) -> None:
        self.begin, self.begin_pg = self._read()

    def stop(self) -> dict[str, float]:
        end, end_pg = self._read()
        wall = end["wall"] - self.begin["wall"]
        shares = {name: (end[name] - self.begin[name]) / wall for name in end if name != "wall"}
        shares["postgres"] = sum(cpu - self.begin_pg.get(pid, 0.0) for pid, cpu in end_pg.items()) / wall
        return shares


class Process(ServerProcess):
    """A server under measure, started by the tests' launcher: its CPU time and memory."""

    def cpu_seconds(self) -> float:
        return cpu_seconds(self.pid)

    def rss_bytes(self) -> int:
        return rss_bytes(self.pid)


def _server_env(database_url: str) -> dict[str, str]:
    return {"DATABASE_URL": database_url, "BROKER_URL": "memory://", "LOG_LEVEL": "WARNING"}


def api_server(database_url: str, env: dict[str, str] | None = None, workers: int = 1,
               broker_url: str = "memory://") -> Process:
    """The real service, as `make run` starts it: `python -m api serve`, one worker unless
    told otherwise, its events in process unless given a broker (redis://...?channel=...)."""
    return launch_api(database_url, broker_url=broker_url, env=env, workers=workers, process_class=Process)


def counting_server(database_url: str) -> Process:
    """The real service's application, with every SQL statement it sends counted."""
    port = free_port()
    return Process("sqlcount", [sys.executable, "-m", "bench.sqlcount", "--port", str(port)],
                   _server_env(database_url), port)


def floor_server(database_url: str, statements: int, workers: int = 1) -> Process:
    port = free_port()
    return Process("floor", [sys.executable, "-m", "bench.floor", "--port", str(port), "--statements", str(statements),
                             "--workers", str(workers)], _server_env(database_url), port)
