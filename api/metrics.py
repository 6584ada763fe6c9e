"""Prometheus metrics of one app, and its /metrics endpoint.

With `--workers N`, every worker writes its metrics into PROMETHEUS_MULTIPROC_DIR (`python -m
api serve` makes and empties one) and any worker's /metrics adds up all of them
(prometheus_client's multiprocess mode).

Operation names are the client's choice: the first MAX_OPERATION_LABELS distinct names of a
process, of at most MAX_LABEL_LENGTH characters, get a label of their own; later or longer
ones are counted as `(other)`, so that a client cannot blow up the number of time series nor
the memory they hold.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from contextlib import suppress

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
    multiprocess,
)
from starlette.requests import Request
from starlette.responses import Response

from graphql import OperationDefinitionNode

NONE = "(none)"  # no operation ran
ANONYMOUS = "(anonymous)"
OTHER = "(other)"
WEBSOCKET = "(websocket)"
MAX_OPERATION_LABELS = 200
MAX_LABEL_LENGTH = 100
ROUTES = frozenset({"/graphql", "/healthz", "/readyz", "/metrics"})


class Metrics:
    """The app's counters and gauges, in a registry of its own."""

    def __init__(self) -> None:
        self.multiprocess = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
        self.registry = CollectorRegistry()
        if not self.multiprocess:  # a process's own figures (in multiprocess mode they mean nothing)
            ProcessCollector(registry=self.registry)
            PlatformCollector(registry=self.registry)
        self.requests = Counter(
            "myopenip_requests",
            "HTTP requests and WebSocket connections, by route, GraphQL operation and HTTP status "
            "(101: a WebSocket accepted, 403: refused).",
            ["route", "operation", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "myopenip_request_duration_seconds",
            "Time from a request's arrival to the end of its answer, by route and GraphQL operation (HTTP only).",
            ["route", "operation"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
            registry=self.registry,
        )
        self.errors = Counter(
            "myopenip_graphql_errors",
            "Errors in GraphQL results sent over HTTP, by operation and extensions.code "
            "(BAD_REQUEST: a document that does not parse or validate; INTERNAL_SERVER_ERROR: a bug).",
            ["operation", "code"],
            registry=self.registry,
        )
        self.open_websockets = Gauge(
            "myopenip_open_websockets", "WebSocket connections open now.", multiprocess_mode="livesum",
            registry=self.registry,
        )
        self.open_subscriptions = Gauge(
            "myopenip_open_subscriptions",
            "Operations (subscriptions, mostly) running over WebSocket connections now.",
            multiprocess_mode="livesum",
            registry=self.registry,
        )
        self.database_connections = Gauge(
            "myopenip_database_connections",
            "Connections of the database pool (PostgreSQL) now, open and taken (by a request or a "
            "transaction): taken ones go back when their request ends.",
            ["state"],
            multiprocess_mode="livesum",
            registry=self.registry,
        )
        self._labels: set[str] = set()
        self._series: dict[tuple[str, str, int], tuple] = {}  # (route, operation, status) -> its two series
        self._gauge_source: Callable[[], tuple[int, int]] | None = None
        self._pool_source: Callable[[], tuple[int, int]] | None = None

    def request_done(self, route: str, operation: str, status: int, seconds: float) -> None:
        """Counts an HTTP request and its duration. The labelled series are kept here, by
        their labels (bounded: a few routes and statuses, at most MAX_OPERATION_LABELS
        operations): prometheus_client's `labels()` checks and converts them at every call."""
        key = (route, operation, status)
        series = self._series.get(key)
        if series is None:
            series = self._series[key] = (self.requests.labels(route, operation, str(status)),
                                          self.latency.labels(route, operation))
        series[0].inc()
        series[1].observe(seconds)

    def operation_label(self, operation: OperationDefinitionNode | None) -> str:
        """The label of the operation a request runs: its name, ANONYMOUS, or NONE when its
        document names no single operation; OTHER past MAX_OPERATION_LABELS names, or for a
        name longer than MAX_LABEL_LENGTH."""
        if operation is None:
            return NONE
        if operation.name is None:
            return ANONYMOUS
        name = operation.name.value
        if name not in self._labels:
            if len(self._labels) >= MAX_OPERATION_LABELS or len(name) > MAX_LABEL_LENGTH:
                return OTHER
            self._labels.add(name)
        return name

    # --- the gauges ------------------------------------------------------------------------------

    def watch(self, source: Callable[[], tuple[int, int]],
              pool: Callable[[], tuple[int, int]] | None = None) -> None:
        """Where the gauges read (open WebSockets, open subscriptions; the database pool's
        open and taken connections) of this process."""
        self._gauge_source = source
        self._pool_source = pool

    def refresh_gauges(self) -> None:
        if self._gauge_source is not None:
            websockets, subscriptions = self._gauge_source()
            self.open_websockets.set(websockets)
            self.open_subscriptions.set(subscriptions)
        if self._pool_source is not None:
            opened, taken = self._pool_source()
            self.database_connections.labels("open").set(opened)
            self.database_connections.labels("taken").set(taken)

    async def refresh_gauges_forever(self, every: float = 1.0) -> None:
        """Multiprocess mode: a worker's /metrics reads the other workers' gauges from their
        files, so each worker writes its own every second."""
        while True:
            self.refresh_gauges()
            await asyncio.sleep(every)

    def process_exited(self) -> None:
        """Multiprocess mode: this worker's gauges stop counting (its counters stay in the totals)."""
        if self.multiprocess:
            with suppress(Exception):
                multiprocess.mark_process_dead(os.getpid())

    # --- /metrics --------------------------------------------------------------------------------

    async def endpoint(self, request: Request) -> Response:
        """The Prometheus text format: this process's metrics, or every worker's added up."""
        self.refresh_gauges()
        if self.multiprocess:
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
            data = generate_latest(registry)
        else:
            data = generate_latest(self.registry)
        return Response(data, media_type=CONTENT_TYPE_LATEST)
