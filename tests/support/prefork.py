"""`python -m api serve` forked from a process that has imported the service once.

A server process spends about a second importing Python (Strawberry, graphql-core, Tortoise,
uvicorn...) before it serves; the suite starts some thirty. The launcher (tests/support/process.py)
asks this module instead: one fork server per test process (`multiprocessing`'s "forkserver"
start method) imports the service's modules once, and each server is a fork of it that runs the
command line's own `api.cli.main(argv)` with its own environment, folder and log. It is still a
real process of its own, with its own pid, its own signal handlers (uvicorn's) and its own exit
status: SIGTERM, SIGKILL and several workers behave as with `python -m api serve`.

`start()` returns a handle with the part of `subprocess.Popen` the tests use.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys

# Imported by the fork server before it forks: what `python -m api serve` imports.
PRELOAD = ["api.cli", "api.app", "uvicorn", "uvicorn.protocols.http.httptools_impl", "tortoise.backends.asyncpg",
           "tortoise.backends.sqlite", "redis.asyncio"]

_context = None


def _fork_server():
    global _context
    if _context is None:
        _context = multiprocessing.get_context("forkserver")
        _context.set_forkserver_preload(PRELOAD)
    return _context


def _serve(argv: list[str], env: dict[str, str], cwd: str, log_path: str) -> None:
    """In the forked process: the environment, folder and output of a process of its own, then
    the command line."""
    null = os.open(os.devnull, os.O_RDONLY)  # uvicorn hands fd 0 down to its workers
    os.dup2(null, 0)
    os.close(null)
    sys.stdin = open(0, closefd=False)
    log = os.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(log)
    sys.stdout.reconfigure(line_buffering=True)
    sys.stderr.reconfigure(line_buffering=True)
    os.environ.clear()
    os.environ.update(env)
    os.chdir(cwd)
    from api.cli import main

    main(argv)


class ForkedProcess:
    """What the tests use of `subprocess.Popen`, for a forked server."""

    def __init__(self, process: multiprocessing.process.BaseProcess) -> None:
        self._process = process
        self.pid = process.pid

    @property
    def returncode(self) -> int | None:
        return self._process.exitcode

    def poll(self) -> int | None:
        return self._process.exitcode

    def wait(self, timeout: float | None = None) -> int:
        self._process.join(timeout)
        if self._process.exitcode is None:
            raise subprocess.TimeoutExpired(f"forked server {self.pid}", timeout)
        return self._process.exitcode

    def send_signal(self, sig: int) -> None:
        if self._process.exitcode is None:
            os.kill(self.pid, sig)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


def can_start(command: list[str], env: dict[str, str]) -> bool:
    """Whether `command` can be forked: `python -m api ...`, unless its environment names
    PROMETHEUS_MULTIPROC_DIR with one worker (prometheus_client reads it when imported; with
    several workers, each worker is a process started anew that imports it)."""
    if command[:3] != [sys.executable, "-m", "api"]:
        return False
    workers = command[command.index("--workers") + 1] if "--workers" in command else "1"
    return not env.get("PROMETHEUS_MULTIPROC_DIR") or workers != "1"


def start(argv: list[str], env: dict[str, str], cwd: str, log_path: str) -> ForkedProcess:
    """`python -m api <argv>` with exactly `env` as its environment, in `cwd`, its output
    appended to `log_path`."""
    process = _fork_server().Process(target=_serve, args=(argv, env, cwd, log_path), name="api-server", daemon=False)
    process.start()
    return ForkedProcess(process)
