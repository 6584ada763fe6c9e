"""The WebSocket connections this process serves now, and the operations running over them:
counted for /healthz and the metrics' gauges, and held for a graceful shutdown."""

from __future__ import annotations


class Connections:
    def __init__(self) -> None:
        self.websockets = 0  # open connections
        self.operations = 0  # operations (subscriptions, mostly) running over them
        self.handlers: set = set()  # their protocol handlers (api/websockets.py)
