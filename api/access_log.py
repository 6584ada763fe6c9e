"""The access log: one JSON object per line on standard output, whatever LOG_LEVEL says of
other logs. Written with one `write` of the whole line, not through `logging` (a LogRecord
costs more than the line itself, its getpid() included), so that the workers of `--workers N`
sharing one standard output never mix their lines."""

from __future__ import annotations

import os
import sys
from datetime import datetime, timezone

import orjson


def now_text() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class AccessLog:
    """One JSON object per line on standard output, whatever LOG_LEVEL says of other logs."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.pid = os.getpid()  # the process (worker) that served: see its /healthz
        try:
            sys.stdout.flush()
            self._fd = sys.stdout.fileno()
        except (AttributeError, OSError, ValueError):  # not a real file (captured)
            self._fd = None

    def write(self, line: dict) -> None:
        data = orjson.dumps(line) + b"\n"
        try:
            if self._fd is None:
                sys.stdout.write(data.decode())
                sys.stdout.flush()
                return
            while data:
                data = data[os.write(self._fd, data):]
        except OSError:  # standard output gone or full: the request is served all the same
            pass
