"""The one launcher of server processes, for the tests that need a process boundary (several
processes, Redis, nginx, SIGKILL, SIGTERM, the browser) and for `make bench`.

`ServerProcess` runs a command on a free port of 127.0.0.1 and waits until it answers;
`api_server` runs the service itself, `python -m api serve`, as `make run` does.
"""

from __future__ import annotations

import json
import os
import random
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from tests.support import prefork

ROOT = Path(__file__).resolve().parents[2]
# `python -m api` forked from a process that imported it once (tests/support/prefork.py): the
# tests turn it on (tests/conftest.py); `make bench` measures processes started as `make run` does.
FORK_SERVERS = False
# A server's SQLite file that does not exist yet starts as a copy of one migrated once by this
# process (`python -m api migrate`): the ORM spends 0.6-0.75 s of CPU migrating an empty
# database, 6 ms finding a migrated one up to date. The tests turn it on; their session
# databases (tests/conftest.py) are still migrated from empty on every run.
COPY_MIGRATED_SQLITE = False
_migrated: Path | None = None


PORTS_PER_WORKER = 1500
_handed_out: set[int] = set()


def free_port() -> int:
    """A port of 127.0.0.1 that nothing listens on, for a server about to start. Each test
    process (each pytest-xdist worker: `make test` runs two) draws from a range of its own, below
    the kernel's ephemeral ports, and never hands out a port twice: two workers cannot give one
    port to two servers in the moment between this check and the server's bind."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    low = 20000 + (int(worker) if worker.isdigit() else 0) % 8 * PORTS_PER_WORKER
    for _ in range(10 * PORTS_PER_WORKER):
        port = random.randrange(low, low + PORTS_PER_WORKER)
        if port in _handed_out:
            continue
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        _handed_out.add(port)
        return port
    raise RuntimeError(f"no free port left in {low}-{low + PORTS_PER_WORKER - 1}")


def _parent_of(pid: int) -> int:
    stat = Path(f"/proc/{pid}/stat").read_text()
    return int(stat.rpartition(")")[2].split()[1])


class ServerProcess:
    """A server in a subprocess on 127.0.0.1:`port`, ready once `ready_path` answers 200.
    `stop()` (SIGTERM, then SIGKILL after a while) or `kill()` ends it; its log is kept in a
    file, printed when it fails to start."""

    def __init__(self, name: str, command: list[str], env: dict[str, str], port: int, *,
                 ready_path: str = "/healthz", timeout: float = 60) -> None:
        self.name = name
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.log_path = Path(tempfile.gettempdir()) / f"{name}-{port}.log"
        self.process = _launch(command, {**os.environ, **env}, self.log_path)
        self.pid = self.process.pid
        self._wait_ready(ready_path, timeout)

    def _wait_ready(self, path: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}:\n{self.log_path.read_text()}")
            try:
                with urllib.request.urlopen(f"{self.url}{path}", timeout=1) as response:
                    if response.status == 200 and self._answered_by_us(path, response.read()):
                        return
            except OSError:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"{self.name} not ready after {timeout}s:\n{self.log_path.read_text()}")

    def _answered_by_us(self, path: str, body: bytes) -> bool:
        """The service's /healthz says which process answers: this one or one of its workers,
        not another server that took the port first (this one then exits: its bind failed).
        A server that does not say (the benchmark's floor) is taken at its word."""
        if path != "/healthz":
            return True
        try:
            pid = json.loads(body).get("pid")
            return pid is None or pid == self.pid or _parent_of(pid) == self.pid
        except (ValueError, AttributeError, TypeError, OSError):
            return False

    def stop(self, timeout: float = 15) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def kill(self) -> None:
        self.process.kill()
        self.process.wait()

    def __enter__(self) -> ServerProcess:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def _launch(command: list[str], env: dict[str, str], log_path: Path) -> subprocess.Popen | prefork.ForkedProcess:
    """`command` in the project's folder with exactly `env`, its output written to `log_path`:
    forked (FORK_SERVERS) when it is `python -m api ...`, else started anew."""
    with open(log_path, "wb") as log:  # the process writes to its own copy of the file
        if FORK_SERVERS and prefork.can_start(command, env):
            return prefork.start(command[3:], env, str(ROOT), str(log_path))
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def _migrated_copy(database_url: str) -> None:
    """The SQLite file of `database_url`, when it does not exist yet, as a copy of a migrated one."""
    global _migrated
    path = Path(database_url.removeprefix("sqlite://"))
    if not database_url.startswith("sqlite:///") or "?" in database_url or path.exists():
        return
    if _migrated is None:
        template = Path(tempfile.mkdtemp(prefix="migrated-")) / "migrated.sqlite3"
        env = {**os.environ, "DATABASE_URL": f"sqlite://{template}"}
        log = template.with_suffix(".log")
        status = _launch([sys.executable, "-m", "api", "migrate"], env, log).wait(60)
        if status != 0:
            raise RuntimeError(f"`python -m api migrate` exited with {status}:\n{log.read_text()}")
        _migrated = template
    with sqlite3.connect(_migrated) as source, sqlite3.connect(path) as target:
        source.backup(target)


def api_server(database_url: str, *, broker_url: str = "memory://", env: dict[str, str] | None = None,
               workers: int = 1, demo: bool = False, port: int | None = None,
               command: list[str] | None = None, process_class: type[ServerProcess] = ServerProcess,
               ready_path: str = "/healthz") -> ServerProcess:
    """`python -m api serve` on `database_url` (or `command`, with {port} in it)."""
    settings = {"DATABASE_URL": database_url, "BROKER_URL": broker_url, "LOG_LEVEL": "WARNING"}
    if COPY_MIGRATED_SQLITE and command is None:
        _migrated_copy(database_url)
    for attempt in range(1, 4):
        chosen = port or free_port()
        if command is None:
            argv = [sys.executable, "-m", "api", "serve", "--port", str(chosen), "--workers", str(workers)]
            if demo:
                argv.append("--demo")
        else:
            argv = [part.format(port=chosen) for part in command]
        try:
            return process_class("api-server", argv, {**settings, **(env or {})}, chosen, ready_path=ready_path)
        except RuntimeError as error:
            # Another process took the port between free_port() and the bind: another one.
            if port or attempt == 3 or "address already in use" not in str(error).lower():
                raise
    raise AssertionError("unreachable")
