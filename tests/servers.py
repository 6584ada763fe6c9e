"""Real servers for tests: `python -m api serve` in a subprocess, on a free port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """One `python -m api serve` process; `stop()` or `kill()` ends it."""

    def __init__(self, database_url: str, *, broker_url: str = "memory://", port: int | None = None,
                 demo: bool = False, env: dict | None = None, workers: int = 1) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.database_url = database_url
        command = [sys.executable, "-m", "api", "serve", "--port", str(self.port), "--workers", str(workers)]
        if demo:
            command.append("--demo")
        self.log_path = Path(os.environ.get("TMPDIR", "/tmp")) / f"api-server-{self.port}.log"
        self.log = open(self.log_path, "wb")
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            env={**os.environ, "DATABASE_URL": database_url, "BROKER_URL": broker_url, "LOG_LEVEL": "WARNING", **(env or {})},
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self.wait_ready()

    def wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}:\n{self.log_path.read_text()}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"server not ready after {timeout}s:\n{self.log_path.read_text()}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()

    def kill(self) -> None:
        self.process.kill()
        self.process.wait()
        self.log.close()
